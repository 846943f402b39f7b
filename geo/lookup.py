"""Point -> the unit of 1/7/2025 a report is in, and the former district and commune.

Rules:
* inside the province: in a unit polygon, or in the 2025 outline (whose separately simplified
  edge leaves slivers up to ~30 m outside every unit; such a point gets the nearest unit);
* unit: the unit polygon containing the point (lowest code on a shared edge);
* former commune: the nearest former commune point among those that went (wholly or in part)
  to the point's unit, preferring those whose CSV district is the former district polygon
  holding the point; so the commune always agrees with the unit it became;
* former district: that commune's district (the CSV's). It is the polygon's, except for the
  five communes moved into TP Thái Nguyên in 2015 that the stale polygons still draw in their
  old districts (SOURCES.md limitation 1): there the commune's own district is the true one.
The caller keeps the former units only for reports dated before 1/7/2025.

Containment is a bounding-box filter and GEOS's prepared point test; the nearest polygon (for
slivers) is shapely's STRtree. Loading takes about a second; callers keep one
instance per unit layer (backend/services/intake/places.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
import shapely

from geo.boundaries import BoundaryData, UnitShapes, feature_collection, read_boundaries
from geo.nearest import (
    METRES_PER_DEG_LAT,
    METRES_PER_DEG_LON,
    ORIGIN_LAT,
    ORIGIN_LON,
    nearest_index,
    to_local_xy,
)

PROVINCE_NAME = "Thái Nguyên"


class OutsideProvince(ValueError):
    """The coordinates are valid but not in the province; the message is shown to users."""

    def __init__(self, lon: float, lat: float) -> None:
        self.lon = lon
        self.lat = lat
        super().__init__(f"Vị trí ({lat:.5f}, {lon:.5f}) nằm ngoài địa giới tỉnh {PROVINCE_NAME}.")


@dataclass(frozen=True)
class Location:
    """Where a point is: its unit of 1/7/2025 and the former district and commune."""

    lon: float
    lat: float
    unit_code: str
    unit_name: str
    former_district_code: str | None
    former_district_name: str | None  # full name, e.g. "Thành phố Thái Nguyên"
    former_commune_code: str | None
    former_commune_name: str | None


class Hits(NamedTuple):
    """Row positions found for each query point; -1 means none.

    `unit` indexes `Gazetteer.units`, `district` `Gazetteer.former_districts`, `commune`
    `Gazetteer.former_communes`.
    """

    inside: np.ndarray
    unit: np.ndarray
    district: np.ndarray
    commune: np.ndarray


def validate_coordinates(lon: float, lat: float) -> tuple[float, float]:
    """Return (lon, lat) as floats or raise ValueError with a message users can act on."""
    try:
        lon_f, lat_f = float(lon), float(lat)
    except (TypeError, ValueError):
        raise ValueError("Tọa độ phải là số (kinh độ, vĩ độ).") from None
    if not (math.isfinite(lon_f) and math.isfinite(lat_f)):
        raise ValueError("Tọa độ không hợp lệ: kinh độ và vĩ độ phải là số hữu hạn.")
    if abs(lat_f) > 90 or abs(lon_f) > 180:
        hint = ""
        if abs(lon_f) <= 90 and abs(lat_f) <= 180:
            hint = " Có thể vĩ độ và kinh độ đã bị đảo chỗ cho nhau?"
        raise ValueError(
            f"Tọa độ ngoài phạm vi: vĩ độ {lat_f} phải trong [-90, 90], "
            f"kinh độ {lon_f} phải trong [-180, 180].{hint}"
        )
    return lon_f, lat_f


class Gazetteer:
    """Immutable lookup tables built once from the geography folder."""

    def __init__(self, data: BoundaryData) -> None:
        self.units = data.units
        self.former_districts = data.former_districts
        self.former_communes = data.former_communes
        self.unit_shapes = data.unit_shapes
        self.province = data.province
        shapes = data.unit_shapes.frame.set_index("code").reindex(self.units["code"])
        missing = shapes.index[shapes.geometry.isna()].tolist()
        if missing:
            raise ValueError(f"Lớp ranh giới xã/phường thiếu mã: {', '.join(missing[:5])}.")
        self._unit_geoms = shapes.geometry.to_numpy()
        self._unit_tree = shapely.STRtree(self._unit_geoms)
        self._unit_bounds = shapely.bounds(self._unit_geoms)
        self._district_geoms = self.former_districts.geometry.to_numpy()
        self._district_tree = shapely.STRtree(self._district_geoms)
        self._district_bounds = shapely.bounds(self._district_geoms)
        shapely.prepare(self._unit_geoms)
        shapely.prepare(self._district_geoms)
        shapely.prepare(self.province)

        communes = self.former_communes
        self._cx, self._cy = to_local_xy(communes["lon"].to_numpy(), communes["lat"].to_numpy())
        position = {code: i for i, code in enumerate(self.former_districts["code"])}
        own = np.array([position.get(c, -1) for c in communes["district_code"]], dtype=np.intp)
        self._commune_district = own
        unit_position = {code: i for i, code in enumerate(self.units["code"])}
        went_to = [[unit_position[c] for c in str(cell).split("|") if c in unit_position]
                   for cell in communes["successors"]]
        self._unit_communes = tuple(
            np.array([j for j, units in enumerate(went_to) if i in units], dtype=np.intp)
            for i in range(len(self.units)))
        self._unit_codes = self.units["code"].tolist()
        self._unit_names = self.units["name"].tolist()
        self._district_codes = self.former_districts["code"].tolist()
        self._district_names = self.former_districts["full_name"].tolist()
        self._commune_codes = communes["code"].tolist()
        self._commune_names = communes["name"].tolist()
        self._extent = tuple(float(v) for v in shapely.bounds(
            shapely.union_all([self.province, *self._unit_geoms])))
        # plain Python copies for the one-point path (a citizen's submission)
        self._unit_box_list = [tuple(map(float, b)) for b in self._unit_bounds]
        self._district_box_list = [tuple(map(float, b)) for b in self._district_bounds]

    @classmethod
    def load(cls, geo_dir: Path, unit_shapes: UnitShapes | None = None) -> Gazetteer:
        """Read the geography folder; `unit_shapes` (an imported official layer) replaces the
        shipped approximate unit polygons."""
        return cls(read_boundaries(geo_dir, unit_shapes))

    # -- lookups ---------------------------------------------------------------------------

    def locate(self, lon: float, lat: float) -> Location:
        """Units for one point; raises ValueError for bad input, OutsideProvince outside."""
        lon_f, lat_f = validate_coordinates(lon, lat)
        u = _first_covering(self._unit_geoms, self._unit_box_list, lon_f, lat_f)
        d = _first_covering(self._district_geoms, self._district_box_list, lon_f, lat_f)
        if u < 0 or d < 0:  # a sliver or outside: the array path knows the rules for those
            hits = self.locate_indices(np.array([lon_f]), np.array([lat_f]))
            if not hits.inside[0]:
                raise OutsideProvince(lon_f, lat_f)
            u, d, c = int(hits.unit[0]), int(hits.district[0]), int(hits.commune[0])
        else:
            c = self._former_commune_one(lon_f, lat_f, u, d)
            d = int(self._commune_district[c])
        return Location(
            lon=lon_f,
            lat=lat_f,
            unit_code=self._unit_codes[u],
            unit_name=self._unit_names[u],
            former_district_code=self._district_codes[d] if d >= 0 else None,
            former_district_name=self._district_names[d] if d >= 0 else None,
            former_commune_code=self._commune_codes[c] if c >= 0 else None,
            former_commune_name=self._commune_names[c] if c >= 0 else None,
        )

    def locate_many(self, lons: np.ndarray, lats: np.ndarray) -> pd.DataFrame:
        """Vectorised `locate`: columns inside, unit_code, former_district_code,
        former_commune_code. Rows outside or not valid coordinates get inside=False and None
        codes instead of an exception, so one bad row cannot sink a bulk import."""
        hits = self.locate_indices(lons, lats)
        codes = self.codes_frame(hits)
        codes.insert(0, "inside", hits.inside)
        return codes

    def codes_frame(self, hits: Hits) -> pd.DataFrame:
        """Turn `Hits` row positions into code columns (object dtype, None for -1)."""
        return pd.DataFrame({
            "unit_code": _take(self.units["code"].to_numpy(), hits.unit),
            "former_district_code": _take(self.former_districts["code"].to_numpy(),
                                          hits.district),
            "former_commune_code": _take(self.former_communes["code"].to_numpy(), hits.commune),
        })

    def locate_indices(self, lons: np.ndarray, lats: np.ndarray) -> Hits:
        """Row positions instead of codes: the shared core of `locate`, `locate_many`, sampling."""
        x = np.atleast_1d(np.asarray(lons, dtype=np.float64))
        y = np.atleast_1d(np.asarray(lats, dtype=np.float64))
        if x.ndim != 1 or x.shape != y.shape:
            raise ValueError("Kinh độ và vĩ độ phải là hai mảng một chiều cùng độ dài.")
        n = len(x)
        with np.errstate(invalid="ignore"):
            valid = np.isfinite(x) & np.isfinite(y) & (np.abs(y) <= 90) & (np.abs(x) <= 180)
        unit = np.full(n, -1, dtype=np.intp)
        district = np.full(n, -1, dtype=np.intp)
        commune = np.full(n, -1, dtype=np.intp)
        rows = np.flatnonzero(valid)
        unit[rows] = _containing(self._unit_geoms, self._unit_bounds, x[rows], y[rows])
        stray = rows[unit[rows] < 0]
        in_outline = shapely.intersects_xy(self.province, x[stray], y[stray])
        inside = unit >= 0
        inside[stray[in_outline]] = True
        near = stray[in_outline]
        if len(near):
            unit[near] = _nearest(self._unit_tree, shapely.points(x[near], y[near]))
        found = np.flatnonzero(inside)
        if len(found):
            district[found] = _containing(self._district_geoms, self._district_bounds,
                                          x[found], y[found])
            lost = found[district[found] < 0]
            if len(lost):
                district[lost] = _nearest(self._district_tree, shapely.points(x[lost], y[lost]))
            commune[found] = self._former_commune(x[found], y[found], unit[found],
                                                  district[found])
            district[found] = self._commune_district[commune[found]]
        return Hits(inside, unit, district, commune)

    # -- map layers --------------------------------------------------------------------------

    def unit_geojson(self, properties: dict[str, dict] | None = None) -> str:
        """Unit polygons as GeoJSON text, properties code and name plus `properties[code]`."""
        extra = properties or {}
        props = [{"code": c, "name": n, **extra.get(c, {})}
                 for c, n in zip(self._unit_codes, self._unit_names, strict=True)]
        return feature_collection(list(self._unit_geoms), props)

    def grouped_geojson(self, groups: dict[str, str], properties: dict[str, dict]) -> str:
        """Unit polygons dissolved by `groups` (unit code -> group code, e.g. its area), one
        feature per group with `properties[group]`; units in no group are left out."""
        members: dict[str, list] = {}
        for code, geom in zip(self._unit_codes, self._unit_geoms, strict=True):
            if code in groups:
                members.setdefault(groups[code], []).append(geom)
        codes = sorted(members)
        geoms = [shapely.coverage_union_all(members[c]) for c in codes]
        return feature_collection(geoms, [{"code": c, **properties.get(c, {})} for c in codes])

    def province_geojson(self) -> str:
        """The 2025 province outline as GeoJSON text."""
        return feature_collection([self.province], [{"code": "19", "name": PROVINCE_NAME,
                                                     "full_name": f"Tỉnh {PROVINCE_NAME}"}])

    def extent(self) -> tuple[float, float, float, float]:
        """(west, south, east, north) of the province: what a map should show at first."""
        return self._extent  # type: ignore[return-value]

    # -- internals ---------------------------------------------------------------------------

    def _former_commune_one(self, x: float, y: float, unit: int, district: int) -> int:
        """`_former_commune` for one point, on the few candidate communes directly."""
        members = self._unit_communes[unit]
        here = members[self._commune_district[members] == district]
        members = here if len(here) else members
        if not len(members):
            members = np.flatnonzero(self._commune_district == district)
        px = (x - ORIGIN_LON) * METRES_PER_DEG_LON
        py = (y - ORIGIN_LAT) * METRES_PER_DEG_LAT
        dx, dy = self._cx[members] - px, self._cy[members] - py
        return int(members[int(np.argmin(dx * dx + dy * dy))])

    def _former_commune(self, x: np.ndarray, y: np.ndarray, unit: np.ndarray,
                        district: np.ndarray) -> np.ndarray:
        """Nearest former commune that went to the point's unit, in the polygon's district
        when the unit has such communes (module doc)."""
        px, py = to_local_xy(x, y)
        out = np.full(len(px), -1, dtype=np.intp)
        key = unit.astype(np.int64) * (len(self._district_geoms) + 1) + district
        order = np.argsort(key, kind="stable")
        keys, starts = np.unique(key[order], return_index=True)
        for k, rows in zip(keys, np.split(order, starts[1:]), strict=True):
            u, d = divmod(int(k), len(self._district_geoms) + 1)
            members = self._unit_communes[u]
            here = members[self._commune_district[members] == d]
            members = here if len(here) else members
            if not len(members):  # a unit no former commune went to: none in the data
                members = np.flatnonzero(self._commune_district == d)
            nearest = nearest_index(px[rows], py[rows], self._cx[members], self._cy[members])
            out[rows] = members[nearest]
        return out


def _first_covering(geoms: np.ndarray, boxes: list[tuple[float, float, float, float]],
                    x: float, y: float) -> int:
    """`_containing` for one point, without arrays (about 20 µs instead of 1 ms)."""
    for i, (x0, y0, x1, y1) in enumerate(boxes):
        if x0 <= x <= x1 and y0 <= y <= y1 and shapely.intersects_xy(geoms[i], x, y):
            return i
    return -1


def _containing(geoms: np.ndarray, bounds: np.ndarray, x: np.ndarray,
                y: np.ndarray) -> np.ndarray:
    """Index of the (lowest-index) polygon covering each point, -1 where none does.

    A bounding-box filter then GEOS's prepared `intersects_xy` on the few candidates, polygon by
    polygon: about 4× faster here than `STRtree.query(..., predicate="intersects")`, which
    needs a Point object per query (docs/benchmarks.md, "Point lookup in the 92 units"). The
    tree stays for `query_nearest`."""
    out = np.full(len(x), -1, dtype=np.intp)
    for i, geom in enumerate(geoms):
        x0, y0, x1, y1 = bounds[i]
        rows = np.flatnonzero((out < 0) & (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1))
        if len(rows):
            out[rows[shapely.intersects_xy(geom, x[rows], y[rows])]] = i
    return out


def _nearest(tree: shapely.STRtree, points: np.ndarray) -> np.ndarray:
    """Index of the nearest tree polygon for each point (ties: lowest index)."""
    point_idx, geom_idx = tree.query_nearest(points, all_matches=True)
    out = np.full(len(points), -1, dtype=np.intp)
    order = np.lexsort((geom_idx, point_idx))
    point_idx, geom_idx = point_idx[order], geom_idx[order]
    first = np.ones(len(point_idx), dtype=bool)
    first[1:] = point_idx[1:] != point_idx[:-1]
    out[point_idx[first]] = geom_idx[first]
    return out


def _take(values: np.ndarray, index: np.ndarray) -> pd.Series:
    """values[index] as an object Series with None where index is -1 (pandas 3 would
    otherwise infer its `str` dtype and turn None into NaN)."""
    table = np.empty(len(values) + 1, dtype=object)
    table[: len(values)] = values
    table[-1] = None
    return pd.Series(table[index], dtype=object)

"""Point -> administrative units of Thái Nguyên (legacy district/commune and 2025 unit).

Rules (from the issue):
* inside: in the province outline (2025 if available, else pre-merger) or in a district polygon;
* district: the legacy district polygon the point falls in (None in the old Bắc Kạn area);
* commune: the nearest legacy commune point *whose CSV district is that district*, so the five
  communes drawn in a stale pre-2015 polygon (README limitation 1) cannot leak across; if a
  district has no commune point at all, the overall nearest one is used;
* unit_2025: always the nearest 2025 unit point.

Without polygons (no folder, or only the CSVs) it still answers, more coarsely: "inside" means
inside the bounding box of all unit points padded by `FALLBACK_PAD_DEG` (or, with no data at all,
`FALLBACK_BBOX`, the 2025 province's extent); the district comes from the nearest legacy commune
point, unless a 2025 unit from the old Bắc Kạn area (one no legacy commune maps to) is nearer,
in which case district and commune are None.

Loading takes a while (docs/benchmarks.md); callers should keep one instance (e.g. behind `functools.lru_cache`).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import pandas as pd
import shapely

from geo.boundaries import BoundaryData, feature_collection, read_boundaries, short_district_name
from geo.nearest import (
    METRES_PER_DEG_LAT,
    METRES_PER_DEG_LON,
    ORIGIN_LAT,
    ORIGIN_LON,
    nearest_index,
    to_local_xy,
)

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

PROVINCE_NAME = "Thái Nguyên"
FALLBACK_PAD_DEG = 0.05  # ~5 km around the outermost unit points
FALLBACK_BBOX = (105.43, 21.32, 106.25, 22.75)  # 2025 province extent (boundary README)
_WARMUP_PROBE = (105.85, 21.7)
_EMPTY_FC = '{"type": "FeatureCollection", "features": []}'


class OutsideProvince(ValueError):
    """The coordinates are valid but not in the province; the message is shown to users."""

    def __init__(self, lon: float, lat: float) -> None:
        self.lon = lon
        self.lat = lat
        super().__init__(f"Vị trí ({lat:.5f}, {lon:.5f}) nằm ngoài địa giới tỉnh {PROVINCE_NAME}.")


@dataclass(frozen=True)
class Location:
    """Where a report is: legacy district/commune (history, analytics) and the 2025 unit."""

    lon: float
    lat: float
    district_code: str | None
    district_name: str | None  # full name, e.g. "Thành phố Thái Nguyên"
    commune_code: str | None
    commune_name: str | None
    unit_2025_code: str | None
    unit_2025_name: str | None


class Hits(NamedTuple):
    """Row positions found for each query point; -1 means none.

    `district` indexes `Gazetteer.districts`, `commune` `Gazetteer.legacy_units`,
    `unit` `Gazetteer.units_2025`.
    """

    inside: np.ndarray
    district: np.ndarray
    commune: np.ndarray
    unit: np.ndarray


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
    """Immutable lookup tables built once from the boundary folder."""

    def __init__(self, data: BoundaryData) -> None:
        self.has_polygons = data.districts is not None
        self.legacy_units = data.legacy_units if data.legacy_units is not None else _empty_units()
        self.units_2025 = data.units_2025 if data.units_2025 is not None else _empty_units()
        self.districts = _district_table(data)
        self._codes = self.districts["code"].to_numpy(dtype=object)

        legacy, units = self.legacy_units, self.units_2025
        self._lx, self._ly = to_local_xy(legacy["lon"].to_numpy(), legacy["lat"].to_numpy())
        self._ux, self._uy = to_local_xy(units["lon"].to_numpy(), units["lat"].to_numpy())
        position = {code: i for i, code in enumerate(self._codes)}
        self._legacy_district = np.array(
            [position.get(c, -1) for c in legacy["district_code"]], dtype=np.intp
        )
        everyone = np.arange(len(legacy), dtype=np.intp)
        self._district_communes = tuple(
            np.flatnonzero(self._legacy_district == i)
            if (self._legacy_district == i).any()
            else everyone
            for i in range(len(self._codes))
        )
        successors = {s for cell in legacy["successors"] for s in str(cell).split("|") if s}
        self._outside_legacy_units = np.flatnonzero(~units["name"].isin(successors).to_numpy())

        if self.has_polygons:
            self._district_geoms = data.districts.geometry.to_numpy()
            self._district_json = feature_collection(
                list(self._district_geoms),
                self.districts[["code", "name", "full_name"]].to_dict("records"),
            )
        else:
            self._district_geoms = np.empty(0, dtype=object)
            self._district_json = _EMPTY_FC
        self._district_bounds = shapely.bounds(self._district_geoms).reshape(-1, 4)
        # Plain Python copies for the scalar path (`_locate_one`).
        self._district_box_list = [tuple(map(float, b)) for b in self._district_bounds]
        self._district_commune_xy = tuple(
            (self._lx[m], self._ly[m]) for m in self._district_communes
        )
        others = self._outside_legacy_units
        self._coarse_xy = (
            np.concatenate([self._lx, self._ux[others]]),
            np.concatenate([self._ly, self._uy[others]]),
        )
        self._full_names = self.districts["full_name"].tolist()
        self._legacy_codes = self.legacy_units["code"].tolist()
        self._legacy_names = self.legacy_units["name"].tolist()
        self._unit_codes = self.units_2025["code"].tolist()
        self._unit_names = self.units_2025["name"].tolist()
        self._province_json = _province_json(data)
        outline = data.province
        self._province: BaseGeometry | None = outline
        self._province_bounds = shapely.bounds(outline) if outline is not None else None
        self._bbox = _fallback_bbox(legacy, units)
        _prepare(self._district_geoms, outline)

    @classmethod
    def load(cls, geo_dir: Path | None) -> Gazetteer:
        """Read the boundary folder (`backend.config.geo_dir()` in the product; missing files
        degrade, see module doc)."""
        return cls(read_boundaries(geo_dir))

    # -- lookups ---------------------------------------------------------------------------

    def locate(self, lon: float, lat: float) -> Location:
        """Units for one point; raises ValueError for bad input, OutsideProvince outside.

        Scalar path (a citizen's submission locates one point): the same rules as
        `locate_indices`, without building one-element arrays (faster per point: docs/benchmarks.md).
        """
        lon_f, lat_f = validate_coordinates(lon, lat)
        d, c, u = self._locate_one(lon_f, lat_f)
        return Location(
            lon=lon_f,
            lat=lat_f,
            district_code=self._codes[d] if d >= 0 else None,
            district_name=self._full_names[d] if d >= 0 else None,
            commune_code=self._legacy_codes[c] if c >= 0 else None,
            commune_name=self._legacy_names[c] if c >= 0 else None,
            unit_2025_code=self._unit_codes[u] if u >= 0 else None,
            unit_2025_name=self._unit_names[u] if u >= 0 else None,
        )

    def locate_many(self, lons: np.ndarray, lats: np.ndarray) -> pd.DataFrame:
        """Vectorised `locate`: columns inside, district_code, commune_code, unit_2025_code.

        Rows that are outside, or not valid coordinates (NaN, out of range), get inside=False
        and None codes instead of an exception, so one bad row cannot sink a bulk import.
        """
        hits = self.locate_indices(lons, lats)
        codes = self.codes_frame(hits.district, hits.commune, hits.unit)
        codes.insert(0, "inside", hits.inside)
        return codes

    def codes_frame(
        self, district: np.ndarray, commune: np.ndarray, unit: np.ndarray
    ) -> pd.DataFrame:
        """Turn `Hits` row positions into code columns (object dtype, None for -1)."""
        return pd.DataFrame(
            {
                "district_code": _take(self._codes, district),
                "commune_code": _take(self.legacy_units["code"].to_numpy(), commune),
                "unit_2025_code": _take(self.units_2025["code"].to_numpy(), unit),
            }
        )

    def locate_indices(self, lons: np.ndarray, lats: np.ndarray) -> Hits:
        """Row positions instead of codes: the shared core of `locate`, `locate_many`, sampling."""
        x = np.atleast_1d(np.asarray(lons, dtype=np.float64))
        y = np.atleast_1d(np.asarray(lats, dtype=np.float64))
        if x.ndim != 1 or x.shape != y.shape:
            raise ValueError("Kinh độ và vĩ độ phải là hai mảng một chiều cùng độ dài.")
        n = len(x)
        with np.errstate(invalid="ignore"):
            valid = np.isfinite(x) & np.isfinite(y) & (np.abs(y) <= 90) & (np.abs(x) <= 180)
        inside = np.zeros(n, dtype=bool)
        district = np.full(n, -1, dtype=np.intp)
        commune = np.full(n, -1, dtype=np.intp)
        unit = np.full(n, -1, dtype=np.intp)
        candidates = np.flatnonzero(valid)
        if self.has_polygons:
            district[candidates] = self._district_of(x[candidates], y[candidates])
            inside[candidates] = district[candidates] >= 0
            rest = candidates[district[candidates] < 0]
            inside[rest] = self._in_province(x[rest], y[rest])
        else:
            inside[candidates] = self._in_province(x[candidates], y[candidates])
        rows = np.flatnonzero(inside)
        px, py = to_local_xy(x[rows], y[rows])
        if len(self._ux):
            unit[rows] = nearest_index(px, py, self._ux, self._uy)
        if len(self._lx):
            if self.has_polygons:
                commune[rows] = self._commune_in_district(px, py, district[rows])
            else:
                commune[rows], district[rows] = self._commune_by_nearest(px, py)
        return Hits(inside, district, commune, unit)

    # -- map layers --------------------------------------------------------------------------

    def district_geojson(self) -> dict:
        """Legacy district polygons (properties code, name, full_name) for a map layer."""
        return json.loads(self._district_json)

    def extent(self) -> tuple[float, float, float, float]:
        """(west, south, east, north) of the province: its outline, else every unit point's
        padded box, else the 2025 province's known extent; what a map should show at first."""
        if self._province_bounds is not None:
            return tuple(float(v) for v in self._province_bounds)
        if len(self._district_bounds):
            b = self._district_bounds
            return (float(b[:, 0].min()), float(b[:, 1].min()), float(b[:, 2].max()),
                    float(b[:, 3].max()))
        return tuple(float(v) for v in self._bbox)

    def province_geojson(self) -> dict:
        """Province outline (2025 if available); empty FeatureCollection without polygons."""
        return json.loads(self._province_json)

    # -- internals ---------------------------------------------------------------------------

    def _locate_one(self, x: float, y: float) -> tuple[int, int, int]:
        """(district, commune, unit) row positions of one valid point, as `locate_indices`."""
        district = -1
        if self.has_polygons:
            for i, (x0, y0, x1, y1) in enumerate(self._district_box_list):
                if (
                    x0 <= x <= x1
                    and y0 <= y <= y1
                    and shapely.intersects_xy(self._district_geoms[i], x, y)
                ):
                    district = i
                    break
        if district < 0 and not self._in_province_one(x, y):
            raise OutsideProvince(x, y)
        px = (x - ORIGIN_LON) * METRES_PER_DEG_LON
        py = (y - ORIGIN_LAT) * METRES_PER_DEG_LAT
        unit = _nearest_one(px, py, self._ux, self._uy)
        commune = -1
        if len(self._lx):
            if self.has_polygons:
                if district >= 0:
                    members = self._district_communes[district]
                    cx, cy = self._district_commune_xy[district]
                    commune = int(members[_nearest_one(px, py, cx, cy)])
            else:
                cx, cy = self._coarse_xy
                nearest = _nearest_one(px, py, cx, cy)
                if nearest < len(self._lx):
                    commune, district = nearest, int(self._legacy_district[nearest])
        return district, commune, unit

    def _in_province_one(self, x: float, y: float) -> bool:
        if self._province is None:
            if self.has_polygons:
                return False
            x0, y0, x1, y1 = self._bbox
            return bool(x0 <= x <= x1 and y0 <= y <= y1)
        x0, y0, x1, y1 = self._province_bounds
        return bool(x0 <= x <= x1 and y0 <= y <= y1 and shapely.intersects_xy(self._province, x, y))

    def _district_of(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """First district polygon (code order) containing each point, boundary included."""
        out = np.full(len(x), -1, dtype=np.intp)
        for i, geom in enumerate(self._district_geoms):
            x0, y0, x1, y1 = self._district_bounds[i]
            pending = np.flatnonzero((out < 0) & (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1))
            if len(pending):
                hit = shapely.intersects_xy(geom, x[pending], y[pending])
                out[pending[hit]] = i
        return out

    def _in_province(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        if self._province is None:
            if self.has_polygons:
                return np.zeros(len(x), dtype=bool)  # inside == in a district, handled above
            x0, y0, x1, y1 = self._bbox
            return (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)
        x0, y0, x1, y1 = self._province_bounds
        out = (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)
        pending = np.flatnonzero(out)
        out[pending] = shapely.intersects_xy(self._province, x[pending], y[pending])
        return out

    def _commune_in_district(
        self, px: np.ndarray, py: np.ndarray, district: np.ndarray
    ) -> np.ndarray:
        out = np.full(len(px), -1, dtype=np.intp)
        for i, members in enumerate(self._district_communes):
            rows = np.flatnonzero(district == i)
            if len(rows) and len(members):
                nearest = nearest_index(px[rows], py[rows], self._lx[members], self._ly[members])
                out[rows] = members[nearest]
        return out

    def _commune_by_nearest(self, px: np.ndarray, py: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """No polygons: nearest of legacy communes and old-Bắc Kạn 2025 units decides."""
        cx, cy = self._coarse_xy
        nearest = nearest_index(px, py, cx, cy)
        legacy = nearest < len(self._lx)
        commune = np.where(legacy, nearest, -1)
        district = np.where(legacy, self._legacy_district[np.where(legacy, nearest, 0)], -1)
        return commune, district


def _empty_units() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "code": pd.Series(dtype=object),
            "name": pd.Series(dtype=object),
            "ward_type": pd.Series(dtype=object),
            "district_code": pd.Series(dtype=object),
            "lon": pd.Series(dtype=np.float64),
            "lat": pd.Series(dtype=np.float64),
            "successors": pd.Series(dtype=object),
        }
    )


def _district_table(data: BoundaryData) -> pd.DataFrame:
    """code, name, full_name: from the polygons, else from the legacy CSV."""
    if data.districts is not None:
        return pd.DataFrame(data.districts[["code", "name", "full_name"]]).reset_index(drop=True)
    legacy = data.legacy_units
    if legacy is None:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in ("code", "name", "full_name")})
    table = legacy.drop_duplicates("district_code").sort_values("district_code", kind="stable")
    full = table["district_name"].to_numpy(dtype=object)
    return pd.DataFrame(
        {
            "code": table["district_code"].to_numpy(dtype=object),
            "name": np.array([short_district_name(f) for f in full], dtype=object),
            "full_name": full,
        }
    )


def _province_json(data: BoundaryData) -> str:
    outline = data.province
    if outline is None and data.districts is not None:
        outline = shapely.union_all(data.districts.geometry.to_numpy())
    if outline is None:
        return _EMPTY_FC
    props = {
        "code": "19",
        "name": PROVINCE_NAME,
        "full_name": f"Tỉnh {PROVINCE_NAME}",
        "vintage": data.province_vintage or "legacy",
    }
    return feature_collection([outline], [props])


def _fallback_bbox(legacy: pd.DataFrame, units: pd.DataFrame) -> tuple[float, float, float, float]:
    lon = np.concatenate([legacy["lon"].to_numpy(), units["lon"].to_numpy()])
    lat = np.concatenate([legacy["lat"].to_numpy(), units["lat"].to_numpy()])
    if len(lon) == 0:
        return FALLBACK_BBOX
    pad = FALLBACK_PAD_DEG
    return (lon.min() - pad, lat.min() - pad, lon.max() + pad, lat.max() + pad)


def _prepare(districts: np.ndarray, province: BaseGeometry | None) -> None:
    """Prepare polygons and run one query each: GEOS builds its point-in-area index lazily
    and that first build is not thread-safe, so do it here, before any sharing."""
    geoms = [*districts, *([province] if province is not None else [])]
    for geom in geoms:
        shapely.prepare(geom)
        shapely.intersects_xy(geom, _WARMUP_PROBE[0], _WARMUP_PROBE[1])


def _nearest_one(px: float, py: float, cx: np.ndarray, cy: np.ndarray) -> int:
    """`nearest_index` for one point (ties: lowest index); -1 with no candidates."""
    if len(cx) == 0:
        return -1
    dx = cx - px
    dy = cy - py
    return int(np.argmin(dx * dx + dy * dy))


def _take(values: np.ndarray, index: np.ndarray) -> pd.Series:
    """values[index] as an object Series with None where index is -1 (pandas 3 would
    otherwise infer its `str` dtype and turn None into NaN)."""
    table = np.empty(len(values) + 1, dtype=object)
    table[: len(values)] = values
    table[-1] = None
    return pd.Series(table[index], dtype=object)

"""Approximate polygons of the 92 commune-level units of Thái Nguyên from 1/7/2025.

No licensed polygon of the new units exists, so they are built reproducibly from what is shipped
in `data/geo` (SOURCES.md, "Approximate 2025 unit polygons"): inside each of the 17 former
districts, a Voronoi diagram of the former communes' points (labelled with their default
successor) and of the 2025 seats (labelled with their own unit), dissolved by label. The result
is an exact coverage of the districts in which every seat, and every former commune point, lies
in its unit. The shapes are approximate: only the district edges are surveyed lines.

Rebuild the shipped file with
`python -m geo.unit_shapes --geo-dir data/geo --out data/geo/thai_nguyen_units_2025_approx.geojson`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

LAEA = "+proj=laea +lat_0=21.7 +lon_0=105.85 +datum=WGS84"
DISTRICT_FILES = ("thai_nguyen_districts.geojson", "bac_kan_districts.geojson")
LEGACY_FILES = ("thai_nguyen_units_legacy.csv", "bac_kan_units_legacy.csv")
UNITS_FILE = "thai_nguyen_units_2025.csv"
OUTPUT_FILE = "thai_nguyen_units_2025_approx.geojson"
COLUMNS = ("code", "name", "ward_type", "area_km2", "label_lon", "label_lat", "approximate")

PRECISION_DEG = 1e-5  # the grid of every shipped GeoJSON (about 1 m)
DECIMALS = 5
# Tried in this order; the first that keeps every point check as it was before simplifying wins.
SIMPLIFY_TOLERANCES_M = (25.0, 20.0, 15.0, 10.0, 5.0)
# Voronoi edges are clipped to the district grown by this margin, so that they surely cross its
# edge and get noded with it (a clipped end could otherwise stop a hair short and leave a face
# open); the overshoot becomes a dangle, which polygonize drops.
CLIP_MARGIN_M = 1.0
MAX_AREA_DIFF = 1e-4  # 0.01 % of the districts' union
MAX_ORPHAN_MOVES = 50

_TO_LAEA = Transformer.from_crs("EPSG:4326", LAEA, always_xy=True)
_TO_WGS84 = Transformer.from_crs(LAEA, "EPSG:4326", always_xy=True)


@dataclass(frozen=True)
class Inputs:
    """The shipped data, normalised: codes as strings, successors resolved to 2025 codes."""

    districts: pd.DataFrame  # code, geometry (EPSG:4326 shapely)
    # code, name, district_code, lon, lat, successor (2025 code), successor_name, successors_all
    communes: pd.DataFrame
    # code, name, ward_type, lon, lat, area_km2 (the CSV's); keyed by name, as two units share
    # the code 02143 in the CSV (Xã Văn Lang, Xã Văn Lăng)
    units: pd.DataFrame


@dataclass(frozen=True)
class Coincidence:
    """Generators sharing one point but not one label: only `kept` can own that point."""

    lon: float
    lat: float
    kept: str  # name of the 2025 unit whose polygon gets the point
    names: tuple[str, ...]  # every generator there, "Phường X -> Phường Y (seat)"
    losers: tuple[str, ...]  # codes of the former communes whose point check must fail


# -- reading --------------------------------------------------------------------------------------


def read_inputs(geo_dir: Path) -> Inputs:
    """Read the 17 districts, the 280 former communes and the 92 units from `geo_dir`."""
    folder = Path(geo_dir)
    rows = []
    for name in DISTRICT_FILES:
        data = json.loads((folder / name).read_text(encoding="utf-8"))
        rows += [(str(f["properties"]["code"]), shapely.geometry.shape(f["geometry"]))
                 for f in data["features"]]
    districts = pd.DataFrame(rows, columns=["code", "geometry"])
    raw = pd.read_csv(folder / UNITS_FILE, dtype=str)
    units = pd.DataFrame({
        "code": raw["ward_code"], "name": raw["ward_name"], "ward_type": raw["ward_type"],
        "lon": raw["lon"].astype(float), "lat": raw["lat"].astype(float),
        "area_km2": raw["area_km2"].astype(float),
    }).sort_values(["code", "name"], ignore_index=True)
    if not units["name"].is_unique:  # the key: the CSV repeats code 02143 (docs/decisions.md)
        raise ValueError(f"{UNITS_FILE}: unit names must be unique")
    by_name = dict(zip(units["name"], units["code"], strict=True))
    legacy = pd.concat([pd.read_csv(folder / n, dtype=str) for n in LEGACY_FILES],
                       ignore_index=True)
    unknown = sorted(set(legacy["new_unit_2025_default"]) - set(by_name))
    if unknown:
        raise ValueError(f"successors missing from {UNITS_FILE}: {', '.join(unknown)}")
    communes = pd.DataFrame({
        "code": legacy["ward_code"], "name": legacy["ward_name"],
        "district_code": legacy["district_code"],
        "lon": legacy["lon"].astype(float), "lat": legacy["lat"].astype(float),
        "successor": legacy["new_unit_2025_default"].map(by_name),
        "successor_name": legacy["new_unit_2025_default"],
        "successors_all": legacy["new_unit_2025_all"],
    })
    return Inputs(districts=districts, communes=communes, units=units)


def split_communes(inputs: Inputs) -> pd.DataFrame:
    """Former communes shared by several 2025 units; their point only feeds the default one."""
    split = inputs.communes["successors_all"] != inputs.communes["successor_name"]
    return inputs.communes.loc[split, ["code", "name", "successor_name", "successors_all"]]


# -- generators -----------------------------------------------------------------------------------


def _generators(inputs: Inputs) -> tuple[pd.DataFrame, list[Coincidence]]:
    """One labelled point per location (LAEA metres), coincident points resolved.

    Rule for a location carrying several labels: a 2025 seat keeps it (each seat must be in its
    own unit); among communes only, the unit whose seat is nearest keeps it (then the first name).
    """
    seats, communes = inputs.units, inputs.communes
    points = pd.concat([
        pd.DataFrame({"lon": seats["lon"], "lat": seats["lat"], "label": seats["name"],
                      "seat": True, "name": seats["name"], "code": seats["code"]}),
        pd.DataFrame({"lon": communes["lon"], "lat": communes["lat"],
                      "label": communes["successor_name"], "seat": False,
                      "name": communes["name"], "code": communes["code"]}),
    ], ignore_index=True)
    seat_xy = dict(zip(seats["name"], zip(*_TO_LAEA.transform(seats["lon"].to_numpy(),
                                                              seats["lat"].to_numpy()),
                                          strict=True), strict=True))
    kept: list[dict[str, Any]] = []
    coincidences: list[Coincidence] = []
    for (lon, lat), group in points.groupby(["lon", "lat"], sort=True):
        x, y = _TO_LAEA.transform(lon, lat)
        labels = sorted(set(group["label"]))
        if len(labels) > 1:
            seat_labels = sorted(set(group.loc[group["seat"], "label"]))
            pool = seat_labels or labels
            winner = min(pool, key=lambda c: (float(np.hypot(seat_xy[c][0] - x,
                                                              seat_xy[c][1] - y)), c))
            names = tuple(f"{r.name} -> {r.label}{' (seat)' if r.seat else ''}"
                          for r in group.sort_values(["label", "name"]).itertuples())
            losers = tuple(sorted(group.loc[~group["seat"] & (group["label"] != winner), "code"]))
            coincidences.append(Coincidence(float(lon), float(lat), winner, names, losers))
            labels = [winner]
        kept.append({"x": x, "y": y, "label": labels[0]})
    return pd.DataFrame(kept), coincidences


# -- building -------------------------------------------------------------------------------------


def _voronoi_edges(district: BaseGeometry, points: np.ndarray) -> BaseGeometry | None:
    """The Voronoi edges of `points` inside `district` (a little beyond), None for one point."""
    if len(points) < 2:
        return None
    xmin, ymin, xmax, ymax = district.bounds
    frame = shapely.box(xmin, ymin, xmax, ymax).buffer(max(xmax - xmin, ymax - ymin))
    edges = shapely.voronoi_polygons(shapely.multipoints(points), extend_to=frame,
                                     only_edges=True)
    return shapely.intersection(edges, district.buffer(CLIP_MARGIN_M))


def _coverage_laea(districts: list[BaseGeometry], gens: pd.DataFrame) -> dict[str, BaseGeometry]:
    """Label -> polygon (LAEA): the districts' Voronoi cells, noded together and dissolved.

    All boundaries are noded in one pass and polygonised, so neighbouring units share their
    vertices exactly, also across district lines; each face goes to the nearest generator of the
    district it lies in, which is what the cell it lies in would give.
    """
    xy = gens[["x", "y"]].to_numpy()
    points = shapely.points(xy)
    labels = gens["label"].to_numpy(dtype=object)
    members = [np.flatnonzero(shapely.covers(d, points)) for d in districts]
    lines: list[BaseGeometry] = [d.boundary for d in districts]
    lines += [e for d, idx in zip(districts, members, strict=True)
              if (e := _voronoi_edges(d, xy[idx])) is not None]
    noded = shapely.union_all(lines)
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
    inner = shapely.point_on_surface(faces)
    tree = shapely.STRtree(districts)
    pieces: dict[str, list[BaseGeometry]] = {}
    for face, point in zip(faces, inner, strict=True):
        hits = tree.query(point, predicate="within")
        if len(hits) == 0:
            continue  # outside the province: between two overshooting edges
        idx = members[int(min(hits))]
        if len(idx) == 0:
            raise ValueError("a former district holds no point to label its area")
        px, py = shapely.get_coordinates(point)[0]
        nearest = idx[int(np.argmin(np.hypot(xy[idx, 0] - px, xy[idx, 1] - py)))]
        pieces.setdefault(str(labels[nearest]), []).append(face)
    return {label: shapely.union_all(parts) for label, parts in sorted(pieces.items())}


@dataclass(frozen=True)
class Move:
    """A detached piece of a unit holding none of its points, handed to a neighbour."""

    area_km2: float
    source: str  # unit name
    target: str


def _adopt_orphans(units: dict[str, BaseGeometry],
                   gens: pd.DataFrame) -> tuple[dict[str, BaseGeometry], list[Move]]:
    """Give every part without a point of its own unit to the neighbour with the longest edge.

    A convex Voronoi cell clipped to a concave district (Đồng Hỷ wraps around the old city) can
    leave a piece on the far side of a neighbour. No point lies in such a piece, so moving it
    changes no point check; the shared edges are exact, so the coverage stays exact.
    """
    units = dict(units)
    anchors = {label: shapely.multipoints(group[["x", "y"]].to_numpy())
               for label, group in gens.groupby("label", sort=True)}
    moves: list[Move] = []
    for _ in range(MAX_ORPHAN_MOVES):
        orphan = next(((label, i, part) for label in sorted(units)
                       for i, part in enumerate(shapely.get_parts(units[label]))
                       if not part.intersects(anchors[label])), None)
        if orphan is None:
            return units, moves
        label, index, part = orphan
        shared = [(shapely.intersection(part.boundary, geom.boundary).length, other)
                  for other, geom in sorted(units.items()) if other != label]
        length, target = max(shared)
        if length <= 0:
            raise ValueError(f"a detached piece of {label} touches no other unit")
        rest = [p for i, p in enumerate(shapely.get_parts(units[label])) if i != index]
        units[label] = shapely.multipolygons(rest) if len(rest) > 1 else rest[0]
        units[target] = shapely.coverage_union(units[target], part)
        moves.append(Move(round(part.area / 1e6, 3), label, target))
    raise ValueError(f"more than {MAX_ORPHAN_MOVES} detached pieces: the inputs look wrong")


def _polygonal(geom: BaseGeometry) -> BaseGeometry:
    """Only the areal part of a geometry (make_valid may return lines next to polygons)."""
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    if not parts:
        raise ValueError("a unit collapsed on the 1e-5° grid")
    merged = shapely.union_all(parts) if len(parts) > 1 else parts[0]
    return shapely.orient_polygons(merged, exterior_cw=False)  # RFC 7946: exterior ring CCW


def _to_wgs84(geoms: list[BaseGeometry]) -> list[BaseGeometry]:
    """LAEA -> EPSG:4326 on the 1e-5° grid, valid, oriented as RFC 7946 wants."""
    out = []
    for geom in geoms:
        lonlat = shapely.transform(geom, lambda c: np.column_stack(_TO_WGS84.transform(
            c[:, 0], c[:, 1])))
        fixed = shapely.make_valid(shapely.set_precision(lonlat, PRECISION_DEG))
        out.append(_polygonal(fixed))
    return out


def _to_laea(geom: BaseGeometry) -> BaseGeometry:
    return shapely.transform(geom, lambda c: np.column_stack(_TO_LAEA.transform(c[:, 0], c[:, 1])))


def _to_wgs84_point(point: BaseGeometry) -> BaseGeometry:
    lon, lat = _TO_WGS84.transform(point.x, point.y)
    return shapely.Point(lon, lat)


def _frame(units: pd.DataFrame, names: list[str], geoms: list[BaseGeometry]) -> gpd.GeoDataFrame:
    """The published table: one row per unit, areas and label points computed in LAEA."""
    info = units.set_index("name").loc[names]
    laea = [_to_laea(g) for g in geoms]
    label = [shapely.get_coordinates(_to_wgs84_point(shapely.point_on_surface(g)))[0]
             for g in laea]
    return gpd.GeoDataFrame({
        "code": info["code"].to_list(),
        "name": names,
        "ward_type": info["ward_type"].to_list(),
        "area_km2": [round(g.area / 1e6, 2) for g in laea],
        "label_lon": [round(float(p[0]), DECIMALS) for p in label],
        "label_lat": [round(float(p[1]), DECIMALS) for p in label],
        "approximate": True,
    }, geometry=geoms, crs="EPSG:4326")


def build_unit_polygons(geo_dir: Path) -> gpd.GeoDataFrame:
    """The 92 units' approximate polygons (EPSG:4326), sorted by code (then name).

    `attrs` records how it was built: `simplify_tolerance_m` (None if no tolerance kept all
    point checks), `coincidences` (list of `Coincidence`), `moves` (detached pieces handed to
    a neighbour, list of `Move`) and `split_communes` (names).
    """
    inputs = read_inputs(geo_dir)
    gens, coincidences = _generators(inputs)
    districts = [_to_laea(g) for g in inputs.districts["geometry"]]
    units, moves = _adopt_orphans(_coverage_laea(districts, gens), gens)
    missing = sorted(set(inputs.units["name"]) - set(units))
    if missing:
        raise ValueError(f"2025 units without any area: {', '.join(missing)}")
    names = inputs.units["name"].to_list()  # in (code, name) order
    shapes = [units[n] for n in names]
    exact = _frame(inputs.units, names, _to_wgs84(shapes))
    baseline = check_against_points(exact, geo_dir, inputs)
    chosen, tolerance = exact, None
    for tol in SIMPLIFY_TOLERANCES_M:
        simple = shapely.coverage_simplify(shapes, tol, simplify_boundary=False)
        candidate = _frame(inputs.units, names, _to_wgs84(list(simple)))
        if check_against_points(candidate, geo_dir, inputs) == baseline:
            chosen, tolerance = candidate, tol
            break
    chosen.attrs = {
        "simplify_tolerance_m": tolerance,
        "coincidences": coincidences,
        "moves": moves,
        "split_communes": split_communes(inputs)["name"].to_list(),
    }
    return chosen


# -- checking -------------------------------------------------------------------------------------


def check_against_points(frame: gpd.GeoDataFrame, geo_dir: Path,
                         inputs: Inputs | None = None) -> list[str]:
    """Problems (empty when all is well): points outside their unit, coverage, total area."""
    inputs = inputs or read_inputs(geo_dir)
    shapes = dict(zip(frame["name"], frame.geometry, strict=True))
    problems: list[str] = []
    for row in inputs.communes.itertuples():
        geom = shapes.get(row.successor_name)
        if geom is None or not geom.covers(shapely.Point(row.lon, row.lat)):
            problems.append(f"former commune {row.code} {row.name} ({row.lon}, {row.lat}) "
                            f"is not in its successor {row.successor} {row.successor_name}")
    for row in inputs.units.itertuples():
        geom = shapes.get(row.name)
        if geom is None or not geom.covers(shapely.Point(row.lon, row.lat)):
            problems.append(f"the seat of {row.code} {row.name} is not in its polygon")
    geoms = list(frame.geometry)
    if any(g.is_empty or not g.is_valid for g in geoms):
        problems.append("an empty or invalid unit polygon")
    elif not shapely.coverage_is_valid(geoms):
        problems.append("the unit polygons are not a valid coverage (overlaps or unmatched edges)")
    target = shapely.union_all([_to_laea(g) for g in inputs.districts["geometry"]]).area
    built = shapely.union_all([_to_laea(g) for g in geoms]).area
    if abs(built - target) > MAX_AREA_DIFF * target:
        problems.append(f"union area {built / 1e6:.3f} km² differs from the districts' "
                        f"{target / 1e6:.3f} km² by more than {MAX_AREA_DIFF:.2%}")
    return problems


def explained_problems(frame: gpd.GeoDataFrame, problems: list[str]) -> list[str]:
    """Those of `problems` that the coincidence rule makes unavoidable (the losers' points)."""
    prefixes = tuple(f"former commune {code} " for c in frame.attrs.get("coincidences", [])
                     for code in c.losers)
    return [p for p in problems if prefixes and p.startswith(prefixes)]


# -- writing --------------------------------------------------------------------------------------


def _rounded(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return [_rounded(v) for v in value]
    return round(float(value), DECIMALS)


def write_unit_polygons(frame: gpd.GeoDataFrame, path: Path) -> None:
    """Write RFC 7946 GeoJSON, one feature per line, keys in a fixed order, 1e-5° coordinates."""
    lines = []
    for row in frame.itertuples(index=False):
        shape = mapping(row.geometry)
        props = {c: getattr(row, c) for c in COLUMNS}
        props["approximate"] = bool(props["approximate"])
        feature = {"type": "Feature", "properties": props,
                   "geometry": {"type": shape["type"],
                                "coordinates": _rounded(shape["coordinates"])}}
        lines.append(json.dumps(feature, ensure_ascii=False, separators=(",", ":")))
    text = '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"
    Path(path).write_text(text, encoding="utf-8")


# -- command line ---------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Rebuild the file and print a summary; exit 1 on any problem the rule does not explain."""
    parser = argparse.ArgumentParser(prog="python -m geo.unit_shapes", description=__doc__)
    parser.add_argument("--geo-dir", type=Path, default=Path("data/geo"))
    parser.add_argument("--out", type=Path, default=None, help=f"default: GEO_DIR/{OUTPUT_FILE}")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    frame = build_unit_polygons(args.geo_dir)
    seconds = time.perf_counter() - started
    out = args.out or args.geo_dir / OUTPUT_FILE
    write_unit_polygons(frame, out)
    areas = frame.set_index("name")["area_km2"]
    print(f"{len(frame)} units -> {out} ({out.stat().st_size / 1024:.0f} KB, built in "
          f"{seconds:.1f} s, coverage_simplify {frame.attrs['simplify_tolerance_m']} m)")
    print(f"total {areas.sum():,.2f} km²; smallest {areas.min():.2f} km² ({areas.idxmin()}), "
          f"largest {areas.max():.2f} km² ({areas.idxmax()})")
    for m in frame.attrs["moves"]:
        print(f"detached piece of {m.source} ({m.area_km2} km², no point in it) -> {m.target}")
    for c in frame.attrs["coincidences"]:
        print(f"coincident at ({c.lon}, {c.lat}): {'; '.join(c.names)}; kept {c.kept}")
    problems = check_against_points(frame, args.geo_dir)
    explained = explained_problems(frame, problems)
    for problem in problems:
        print(("expected (coincident point): " if problem in explained else "PROBLEM: ") + problem)
    unexplained = len(problems) - len(explained)
    print(f"checks: {unexplained} unexplained problem(s); split communes (their point feeds the "
          f"default successor only): {', '.join(frame.attrs['split_communes'])}")
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main())

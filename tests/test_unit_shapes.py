"""geo.unit_shapes: the shipped approximate polygons of the 92 units from 1/7/2025.

The build is deterministic, so the shipped file must be exactly what the code makes from the
shipped inputs; the point checks say the approximation is faithful where we know anything.
"""

from __future__ import annotations

import time
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from geo.unit_shapes import (
    LAEA,
    OUTPUT_FILE,
    build_unit_polygons,
    check_against_points,
    main,
    read_inputs,
    write_unit_polygons,
)

GEO_DIR = Path(__file__).parents[1] / "data" / "geo"
SHIPPED = GEO_DIR / OUTPUT_FILE
# Phường Đức Xuân and Phường Phùng Chí Kiên share one geocoded point but not one successor; the
# point goes to Phường Đức Xuân, whose seat is nearer (SOURCES.md), so this one check must fail.
UNAVOIDABLE = [
    "former commune 01843 Phường Phùng Chí Kiên (105.843708, 22.141308) is not in its "
    "successor 01843 Phường Bắc Kạn"
]


@pytest.fixture(scope="module")
def built() -> tuple[gpd.GeoDataFrame, float]:
    started = time.perf_counter()
    frame = build_unit_polygons(GEO_DIR)
    return frame, time.perf_counter() - started


@pytest.fixture(scope="module")
def frame(built: tuple[gpd.GeoDataFrame, float]) -> gpd.GeoDataFrame:
    return built[0]


@pytest.fixture(scope="module")
def shapes(frame: gpd.GeoDataFrame) -> dict[str, shapely.Geometry]:
    return dict(zip(frame["name"], frame.geometry, strict=True))


def test_rebuilding_gives_the_shipped_file_byte_for_byte(frame: gpd.GeoDataFrame,
                                                         tmp_path: Path) -> None:
    out = tmp_path / OUTPUT_FILE
    write_unit_polygons(frame, out)
    assert out.read_bytes() == SHIPPED.read_bytes(), (
        "data/geo/" + OUTPUT_FILE + " is stale: rebuild it with `python -m geo.unit_shapes "
        "--geo-dir data/geo --out data/geo/" + OUTPUT_FILE + "`")


def test_the_build_is_quick(built: tuple[gpd.GeoDataFrame, float]) -> None:
    assert built[1] < 20, f"build took {built[1]:.1f} s"


def test_the_shipped_file_reads_back_as_the_92_units_of_the_csv(frame: gpd.GeoDataFrame) -> None:
    shipped = gpd.read_file(SHIPPED)
    csv = pd.read_csv(GEO_DIR / "thai_nguyen_units_2025.csv", dtype=str)
    assert len(shipped) == 92
    expected = sorted(zip(csv["ward_code"], csv["ward_name"], strict=True))
    assert list(zip(shipped["code"], shipped["name"], strict=True)) == expected
    assert list(shipped["code"]) == list(frame["code"])
    assert shipped["approximate"].all()
    assert shipped.crs.to_epsg() == 4326
    assert set(shipped.geom_type) <= {"Polygon", "MultiPolygon"}
    assert not shipped.geometry.is_empty.any()
    assert shipped.geometry.is_valid.all()
    areas = shipped.to_crs(LAEA).area / 1e6
    assert (areas - shipped["area_km2"]).abs().max() < 0.01


def test_the_units_form_an_exact_coverage_of_the_17_districts(frame: gpd.GeoDataFrame) -> None:
    assert shapely.coverage_is_valid(frame.geometry.values)
    districts = read_inputs(GEO_DIR).districts["geometry"]
    target = gpd.GeoSeries(districts, crs="EPSG:4326").to_crs(LAEA).union_all()
    built = frame.to_crs(LAEA).union_all()
    assert abs(built.area - target.area) / target.area < 1e-4
    assert built.symmetric_difference(target).area / target.area < 1e-4


def test_every_former_commune_point_is_in_its_default_successor(
        frame: gpd.GeoDataFrame, shapes: dict[str, shapely.Geometry]) -> None:
    communes = read_inputs(GEO_DIR).communes
    assert len(communes) == 280
    missing = [f"{r.code} {r.name} -> {r.successor_name}" for r in communes.itertuples()
               if not shapes[r.successor_name].covers(shapely.Point(r.lon, r.lat))]
    assert missing == ["01843 Phường Phùng Chí Kiên -> Phường Bắc Kạn"]
    assert shapes["Phường Đức Xuân"].covers(shapely.Point(105.843708, 22.141308))


def test_every_seat_is_in_its_own_unit(shapes: dict[str, shapely.Geometry]) -> None:
    units = read_inputs(GEO_DIR).units
    assert [r.name for r in units.itertuples()
            if not shapes[r.name].covers(shapely.Point(r.lon, r.lat))] == []


def test_the_label_points_lie_in_their_unit(frame: gpd.GeoDataFrame) -> None:
    points = shapely.points(frame["label_lon"], frame["label_lat"])
    assert shapely.covers(frame.geometry.values, points).all()


def test_the_check_reports_only_the_coincident_point(frame: gpd.GeoDataFrame) -> None:
    assert check_against_points(frame, GEO_DIR) == UNAVOIDABLE
    assert [c.kept for c in frame.attrs["coincidences"]] == ["Phường Đức Xuân"]


def test_the_check_finds_a_broken_coverage_and_a_misplaced_seat(frame: gpd.GeoDataFrame) -> None:
    broken = frame.copy()
    first, second = broken.index[:2]
    broken.loc[first, "geometry"] = broken.geometry[first].union(broken.geometry[second])
    problems = check_against_points(broken, GEO_DIR)
    assert "the unit polygons are not a valid coverage (overlaps or unmatched edges)" in problems
    shrunk = frame.copy()
    shrunk.loc[first, "geometry"] = shrunk.geometry[first].buffer(-0.02)
    problems = check_against_points(shrunk, GEO_DIR)
    assert any(p.startswith(f"the seat of {frame['code'][first]} ") for p in problems)
    assert any(p.startswith("union area ") for p in problems)


def test_the_command_line_rebuilds_and_summarises(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "units.geojson"
    assert main(["--geo-dir", str(GEO_DIR), "--out", str(out)]) == 0
    assert out.read_bytes() == SHIPPED.read_bytes()
    printed = capsys.readouterr().out
    assert printed.startswith("92 units -> ")
    assert "expected (coincident point): former commune 01843" in printed
    assert "PROBLEM" not in printed
    assert "checks: 0 unexplained problem(s)" in printed

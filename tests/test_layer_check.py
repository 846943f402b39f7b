"""geo.layer_check: an official unit layer is taken only when valid, and refused with one report.

The valid layer is built here: Voronoi cells of the 92 seat points, clipped to the union of the 17
former districts (the exact province outline). Each test breaks a copy in one way and checks the
problem names the unit (or pair, or place); one test breaks it in several ways at once.
"""

from __future__ import annotations

import re
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely import affinity
from shapely.geometry.base import BaseGeometry

from geo.layer_check import (
    LAEA,
    MIN_PROBLEM_AREA_M2,
    LayerCheck,
    LayerError,
    check_layer,
    format_report,
    read_layer,
)

GEO = Path(__file__).resolve().parents[1] / "data" / "geo"
Check = Callable[..., LayerCheck]


# -- the valid layer ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def units() -> pd.DataFrame:
    raw = pd.read_csv(GEO / "thai_nguyen_units_2025.csv", dtype=str)
    return raw.rename(columns={"ward_code": "code", "ward_name": "name"})[
        ["code", "name", "lon", "lat"]]


@pytest.fixture(scope="module")
def outline() -> BaseGeometry:
    """The union of the 17 districts: the outline the synthetic layer matches exactly."""
    districts = pd.concat([gpd.read_file(GEO / "thai_nguyen_districts.geojson"),
                           gpd.read_file(GEO / "bac_kan_districts.geojson")])
    return shapely.union_all(districts.geometry.to_numpy())


@pytest.fixture(scope="module")
def valid_layer(units: pd.DataFrame, outline: BaseGeometry) -> gpd.GeoDataFrame:
    seats = gpd.GeoSeries(gpd.points_from_xy(units["lon"].astype(float), units["lat"].astype(float)),
                          crs=4326).to_crs(LAEA).to_numpy()
    province = to_metres(outline)
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(seats),
                                                       extend_to=province))
    seat_row, cell_row = shapely.STRtree(cells).query(seats, predicate="within")
    assert sorted(seat_row) == list(range(len(units)))
    order = np.empty(len(units), dtype=int)
    order[seat_row] = cell_row
    clipped = [_polygons(g) for g in shapely.intersection(cells[order], province)]
    frame = gpd.GeoDataFrame({"code": units["code"], "name": units["name"]}, geometry=clipped,
                             crs=LAEA).dissolve("code", as_index=False)
    return frame.to_crs(4326)[["code", "name", "geometry"]]


@pytest.fixture
def layer(valid_layer: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return valid_layer.copy()


@pytest.fixture(scope="module")
def check(units: pd.DataFrame, outline: BaseGeometry) -> Check:
    def run(frame: gpd.GeoDataFrame, against: BaseGeometry | None = None) -> LayerCheck:
        return check_layer(frame, units[["code", "name"]], outline if against is None else against)
    return run


def _polygons(geom: BaseGeometry) -> BaseGeometry:
    parts = [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon"]
    return parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)


def to_metres(geom: BaseGeometry) -> BaseGeometry:
    return gpd.GeoSeries([geom], crs=4326).to_crs(LAEA).iloc[0]


def to_degrees(geom: BaseGeometry) -> BaseGeometry:
    return gpd.GeoSeries([geom], crs=LAEA).to_crs(4326).iloc[0]


def unit_metres(frame: gpd.GeoDataFrame, code: str) -> BaseGeometry:
    return to_metres(frame.loc[frame["code"] == code, "geometry"].iloc[0])


def set_geometry(frame: gpd.GeoDataFrame, code: str, geom: BaseGeometry) -> None:
    frame.loc[frame["code"] == code, "geometry"] = gpd.GeoSeries([geom], crs=4326).to_numpy()


def lines_with(result: LayerCheck, *words: str) -> list[str]:
    return [p for p in result.problems if all(w in p for w in words)]


def neighbours_with_longest_border(frame: gpd.GeoDataFrame) -> tuple[str, str, BaseGeometry]:
    metres = frame.to_crs(LAEA).geometry.to_numpy()
    left, right = shapely.STRtree(metres).query(metres, predicate="touches")
    best = max(((a, b) for a, b in zip(left, right, strict=True) if a < b),
               key=lambda ab: shapely.intersection(metres[ab[0]], metres[ab[1]]).length)
    border = shapely.line_merge(shapely.intersection(metres[best[0]], metres[best[1]]))
    longest = max(shapely.get_parts(border), key=lambda g: g.length)
    midpoint = shapely.line_interpolate_point(longest, 0.5, normalized=True)
    return frame["code"].iat[best[0]], frame["code"].iat[best[1]], midpoint


def bowtie_around(geom_metres: BaseGeometry) -> BaseGeometry:
    x0, y0, x1, y1 = geom_metres.bounds
    return to_degrees(shapely.Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1)]))


def easternmost(frame: gpd.GeoDataFrame) -> str:
    return frame["code"].iat[int(np.argmax(frame.geometry.bounds["maxx"].to_numpy()))]


def moved_east(geom_metres: BaseGeometry, extra_m: float) -> BaseGeometry:
    x0, _, x1, _ = geom_metres.bounds
    return to_degrees(affinity.translate(geom_metres, xoff=(x1 - x0) + extra_m))


def latlon_in(text: str) -> tuple[float, float]:
    match = re.search(r"(\d{2}\.\d{5}), (\d{3}\.\d{5})", text)
    assert match, text
    return float(match[1]), float(match[2])


# -- accepted -------------------------------------------------------------------------------------


def test_a_valid_layer_passes_normalised(check: Check, layer: gpd.GeoDataFrame,
                                         units: pd.DataFrame) -> None:
    shuffled = layer.sample(frac=1.0, random_state=3)
    result = check(shuffled)
    assert result.ok and result.problems == ()
    assert result.layer is not None and result.layer.crs.to_epsg() == 4326
    assert list(result.layer.columns) == ["code", "name", "geometry"]
    assert result.layer["code"].tolist() == sorted(units["code"])
    assert result.layer["name"].tolist() == units.set_index("code").loc[sorted(units["code"]),
                                                                         "name"].tolist()
    assert result.union_area_km2 == pytest.approx(8389.13, abs=0.5)
    assert result.largest_overlap_m2 == 0.0
    assert result.largest_gap_m2 is not None and result.largest_gap_m2 < MIN_PROBLEM_AREA_M2
    report = format_report(result, "donvi.geojson")
    assert report.startswith("Lớp ranh giới donvi.geojson hợp lệ: 92 đơn vị, tổng diện tích 8.389,")


def test_border_slivers_against_the_simplified_outline_are_tolerated(
        check: Check, layer: gpd.GeoDataFrame) -> None:
    simplified = gpd.read_file(GEO / "thai_nguyen_province_2025.geojson").geometry.iloc[0]
    result = check(layer, against=simplified)
    assert result.ok, result.problems
    # the slivers were there and measured (SOURCES.md: largest ~25,000 m², up to ~30 m wide)
    assert result.largest_gap_m2 is not None and result.largest_gap_m2 > MIN_PROBLEM_AREA_M2
    assert any("Bỏ qua" in n and "ngoài ranh giới tỉnh" in n for n in result.notes)


def test_a_unit_in_several_features_is_dissolved(check: Check, layer: gpd.GeoDataFrame) -> None:
    code = layer["code"].iat[5]
    whole = unit_metres(layer, code)
    x0, y0, x1, y1 = whole.bounds
    middle = (x0 + x1) / 2
    halves = [to_degrees(whole.intersection(shapely.box(x0 - 1, y0 - 1, middle, y1 + 1))),
              to_degrees(whole.intersection(shapely.box(middle, y0 - 1, x1 + 1, y1 + 1)))]
    name = layer["name"].iat[5]
    split = pd.concat([layer[layer["code"] != code],
                       gpd.GeoDataFrame({"code": [code, code], "name": [name, name]},
                                        geometry=halves, crs=4326)], ignore_index=True)
    result = check(split)
    assert result.ok, result.problems
    assert any(code in n and "gồm 2 đối tượng" in n for n in result.notes)
    assert len(result.layer) == 92
    merged = result.layer.loc[result.layer["code"] == code, "geometry"].iloc[0]
    assert to_metres(merged).area == pytest.approx(whole.area, rel=1e-6)


@pytest.mark.parametrize("crs", ["EPSG:3405", "EPSG:32648"])  # VN-2000 / UTM 48N, WGS 84 / UTM 48N
def test_a_projected_layer_is_reprojected_and_accepted(check: Check, layer: gpd.GeoDataFrame,
                                                       crs: str) -> None:
    result = check(layer.to_crs(crs))
    assert result.ok, result.problems
    assert result.layer.crs.to_epsg() == 4326
    assert any(crs in n and "Đã chuyển" in n for n in result.notes)
    back = result.layer.set_index("code").geometry.to_crs(LAEA)
    original = layer.set_index("code").geometry.to_crs(LAEA).reindex(back.index)
    assert shapely.hausdorff_distance(back.to_numpy(), original.to_numpy()).max() < 0.01  # metres


def test_shapefile_habits_are_tolerated(check: Check, layer: gpd.GeoDataFrame) -> None:
    shapefile_like = layer.rename(columns={"code": "CODE", "name": "Name"})
    shapefile_like["CODE"] = shapefile_like["CODE"].astype(int)  # 01840 -> 1840
    result = check(shapefile_like)
    assert result.ok, result.problems
    assert result.layer["code"].str.fullmatch(r"\d{5}").all()
    assert any("số 0 đứng đầu" in n for n in result.notes)


def test_names_spelled_differently_are_notes_not_problems(check: Check,
                                                          layer: gpd.GeoDataFrame) -> None:
    renamed = layer.copy()
    renamed["name"] = renamed["name"].str.replace(r"^(Xã|Phường) ", "", regex=True)  # no prefix
    renamed.loc[0, "name"] = "Tên khác hẳn"
    result = check(renamed)
    assert result.ok, result.problems
    assert [n for n in result.notes if "tên khác danh sách" in n] == [
        n for n in result.notes if "Tên khác hẳn" in n]
    assert result.layer["name"].iat[0] == layer.sort_values("code")["name"].iat[0]


def test_a_layer_without_crs_in_lon_lat_is_taken_as_wgs84(check: Check,
                                                          layer: gpd.GeoDataFrame) -> None:
    result = check(layer.set_crs(None, allow_override=True))
    assert result.ok, result.problems
    assert any("không khai báo hệ tọa độ" in n for n in result.notes)


# -- refused --------------------------------------------------------------------------------------


def test_an_invalid_bowtie_is_named(check: Check, layer: gpd.GeoDataFrame) -> None:
    code = layer["code"].iat[20]
    set_geometry(layer, code, bowtie_around(unit_metres(layer, code)))
    result = check(layer)
    assert not result.ok and result.layer is None
    (line,) = lines_with(result, code, "không hợp lệ")
    assert "tự cắt" in line
    latlon_in(line)


def test_an_unknown_code_is_named(check: Check, layer: gpd.GeoDataFrame) -> None:
    replaced = layer["code"].iat[7]
    layer.loc[layer.index[7], "code"] = "99999"
    result = check(layer)
    assert lines_with(result, "99999", "không có trong danh sách")
    assert lines_with(result, "Thiếu 1 trong 92 đơn vị", replaced)
    assert not lines_with(result, "Khe hở")  # the ground is still covered, by the unknown unit


def test_a_code_given_to_two_named_units_is_refused(check: Check, layer: gpd.GeoDataFrame) -> None:
    kept, lost = layer["code"].iat[3], layer["code"].iat[4]
    layer.loc[layer.index[4], "code"] = kept
    result = check(layer)
    assert lines_with(result, f"Mã {kept} được gán cho 2 đối tượng mang tên khác nhau")
    assert lines_with(result, "Thiếu 1 trong 92 đơn vị", lost)


def test_three_missing_units_are_listed_with_names(check: Check, layer: gpd.GeoDataFrame) -> None:
    dropped = layer.iloc[[10, 40, 80]]
    result = check(layer.drop(index=dropped.index))
    (line,) = lines_with(result, "Thiếu 3 trong 92 đơn vị")
    for code, name in zip(dropped["code"], dropped["name"], strict=True):
        assert f"{code} {name}" in line
    assert lines_with(result, "Khe hở")


def test_a_unit_moved_20_km_outside_is_named(check: Check, layer: gpd.GeoDataFrame) -> None:
    code = easternmost(layer)
    set_geometry(layer, code, moved_east(unit_metres(layer, code), 20_000))
    result = check(layer)
    (line,) = lines_with(result, code, "nằm ngoài ranh giới tỉnh")
    assert "toàn bộ" in line
    area = re.search(r"có ([\d.,]+ km²)", line)[1]
    assert lines_with(result, f"Khe hở {area} trong tỉnh")  # where it was


def test_two_units_overlapping_by_1_km2_are_named_as_a_pair(check: Check,
                                                            layer: gpd.GeoDataFrame) -> None:
    a, b, point = neighbours_with_longest_border(layer)
    bite = unit_metres(layer, b).intersection(point.buffer(800))  # half a disc: ~1 km²
    set_geometry(layer, a, to_degrees(unit_metres(layer, a).union(bite)))
    result = check(layer)
    (line,) = lines_with(result, "chồng lấn")
    assert a in line and b in line and "km²" in line
    assert result.largest_overlap_m2 == pytest.approx(bite.area, rel=0.01)
    assert 0.8e6 < bite.area < 1.2e6


def test_a_hole_of_1_km2_is_found_with_a_point_inside(check: Check,
                                                      layer: gpd.GeoDataFrame) -> None:
    code = layer["code"].iat[int(np.argmax(layer.to_crs(LAEA).area))]
    unit = unit_metres(layer, code)
    centre = unit.buffer(-700).representative_point()
    hole = centre.buffer(565)  # ~1.00 km²
    set_geometry(layer, code, to_degrees(unit.difference(hole)))
    result = check(layer)
    (line,) = lines_with(result, "Khe hở")
    assert "1,00 km²" in line and code in line
    lat, lon = latlon_in(line)
    found = to_metres(shapely.Point(lon, lat))
    assert hole.contains(found)
    assert result.largest_gap_m2 == pytest.approx(hole.area, rel=0.01)


def test_a_point_geometry_is_named(check: Check, layer: gpd.GeoDataFrame) -> None:
    code = layer["code"].iat[30]
    set_geometry(layer, code, shapely.centroid(layer.geometry.iat[30]))
    result = check(layer)
    assert lines_with(result, code, "Point", "không phải vùng")


def test_missing_and_empty_geometries_are_named(check: Check, layer: gpd.GeoDataFrame) -> None:
    gone, empty = layer["code"].iat[11], layer["code"].iat[12]
    layer.loc[layer.index[11], "geometry"] = None
    set_geometry(layer, empty, shapely.Polygon())
    result = check(layer)
    assert lines_with(result, f"Đơn vị {gone} (đối tượng thứ 12) không có hình học")
    assert lines_with(result, f"Đơn vị {empty} (đối tượng thứ 13) không có hình học")


def test_a_layer_without_code_column_is_refused_once(check: Check,
                                                     layer: gpd.GeoDataFrame) -> None:
    result = check(layer.rename(columns={"code": "ma_xa"}))
    assert result.layer is None
    assert result.problems == (result.problems[0],)
    assert "Thiếu cột “code”" in result.problems[0] and "ma_xa" in result.problems[0]


def test_vn2000_read_without_its_datum_shift_is_refused_with_a_hint(
        check: Check, layer: gpd.GeoDataFrame) -> None:
    """A home-made .prj without TOWGS84 puts the whole layer ~220 m off: beyond tolerance."""
    no_shift = "+proj=utm +zone=48 +ellps=WGS84 +units=m +no_defs"
    result = check(layer.to_crs("EPSG:3405").set_crs(no_shift, allow_override=True))
    assert lines_with(result, "nằm ngoài ranh giới tỉnh") and lines_with(result, "Khe hở")
    assert "TOWGS84" in result.notes[0]


def test_projected_coordinates_without_crs_are_refused(check: Check,
                                                       layer: gpd.GeoDataFrame) -> None:
    result = check(layer.to_crs("EPSG:3405").set_crs(None, allow_override=True))
    assert lines_with(result, "không khai báo hệ tọa độ")
    assert result.layer is None


def test_a_layer_broken_in_many_ways_gets_every_problem_in_one_report(
        check: Check, layer: gpd.GeoDataFrame) -> None:
    bowtie, unknown, point = (layer["code"].iat[i] for i in (20, 7, 30))
    moved = easternmost(layer)
    set_geometry(layer, bowtie, bowtie_around(unit_metres(layer, bowtie)))
    set_geometry(layer, point, shapely.centroid(layer.geometry.iat[30]))
    set_geometry(layer, moved, moved_east(unit_metres(layer, moved), 20_000))
    layer.loc[layer.index[7], "code"] = "99999"
    dropped = layer.iloc[[50, 60, 70]]["code"].tolist()
    layer = layer.drop(index=layer.index[[50, 60, 70]])
    layer["code"] = layer["code"].map(lambda c: int(c) if c != "99999" else c)  # lost zeros too

    result = check(layer)
    assert lines_with(result, bowtie, "không hợp lệ")
    assert lines_with(result, point, "không phải vùng")
    assert lines_with(result, moved, "nằm ngoài ranh giới tỉnh")
    assert lines_with(result, "99999", "không có trong danh sách")
    (missing,) = lines_with(result, "Thiếu 4 trong 92 đơn vị")  # 3 dropped and 99999's
    assert all(code in missing for code in [*dropped, unknown]) and point not in missing
    assert lines_with(result, "Khe hở") and lines_with(result, "chồng lấn")
    assert any("số 0 đứng đầu" in n for n in result.notes)

    report = format_report(result, "ranh_gioi.zip")
    head, *numbered = report.split("\nGhi chú:")[0].splitlines()
    assert head.startswith(f"Lớp ranh giới ranh_gioi.zip bị từ chối: {len(result.problems)} vấn đề")
    assert numbered == [f"{i}. {p}" for i, p in enumerate(result.problems, start=1)]
    assert "Ghi chú:" in report


def test_check_never_raises_on_nonsense(check: Check) -> None:
    empty = gpd.GeoDataFrame({"code": [], "name": []}, geometry=[], crs=4326)
    assert check(empty).problems == ("Lớp không có đối tượng nào.",)
    assert not check(pd.DataFrame({"code": ["01840"]})).ok
    far = gpd.GeoDataFrame({"code": ["01840"], "name": ["x"]},
                           geometry=[shapely.box(0, 0, 1, 1)], crs=4326)
    assert lines_with(check(far), "Không đơn vị nào nằm trong tỉnh")


# -- files ----------------------------------------------------------------------------------------


def test_a_zipped_shapefile_round_trips(check: Check, layer: gpd.GeoDataFrame,
                                        tmp_path: Path) -> None:
    folder = tmp_path / "shp"
    folder.mkdir()
    layer.to_crs("EPSG:3405").to_file(folder / "ranh_gioi_xa.shp", engine="pyogrio")
    (folder / "ranh_gioi_xa.cpg").unlink()  # as often delivered: UTF-8 names, no code page
    archive = tmp_path / "ranh_gioi_xa.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for part in sorted(folder.iterdir()):
            zipped.write(part, f"giao_nop/{part.name}")
    frame = read_layer(archive)
    assert set(frame["name"]) == set(layer["name"])  # re-decoded, not "PhÆ°á»\x9dng"
    result = check(frame)
    assert result.ok, result.problems
    assert any("UTF-8" in n for n in result.notes)
    assert any("EPSG:3405" in n for n in result.notes)


def test_a_geopackage_round_trips_and_several_layers_need_a_name(
        check: Check, layer: gpd.GeoDataFrame, tmp_path: Path) -> None:
    single = tmp_path / "don_vi.gpkg"
    layer.to_file(single, layer="xa_phuong", engine="pyogrio")
    assert check(read_layer(single)).ok

    several = tmp_path / "nhieu_lop.gpkg"
    layer.to_file(several, layer="ban_nhap", engine="pyogrio")
    layer.head(3).to_file(several, layer="cu", engine="pyogrio")
    with pytest.raises(LayerError, match="nhieu_lop.gpkg.*ban_nhap, cu"):
        read_layer(several)
    layer.to_file(several, layer="units", engine="pyogrio")
    frame = read_layer(several)
    assert len(frame) == 92
    assert check(frame).notes[0] == "Tệp có 3 lớp; đã dùng lớp “units”."
    assert len(read_layer(several, layer="cu")) == 3


def test_unreadable_files_are_named(tmp_path: Path) -> None:
    empty = tmp_path / "rong.geojson"
    empty.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    garbage = tmp_path / "hong.geojson"
    garbage.write_bytes(b"\x00\x01 not json")
    no_shp = tmp_path / "thieu.zip"
    with zipfile.ZipFile(no_shp, "w") as zipped:
        zipped.writestr("readme.txt", "no shapefile")
    kml = tmp_path / "ban_do.kml"
    kml.write_text("<kml/>", encoding="utf-8")
    cases = [(tmp_path / "khong_co.geojson", "Không tìm thấy"), (empty, "không có đối tượng"),
             (garbage, "Không đọc được"), (no_shp, "không chứa Shapefile"),
             (kml, "chưa được hỗ trợ")]
    for path, words in cases:
        with pytest.raises(LayerError) as caught:
            read_layer(path)
        assert isinstance(caught.value, ValueError)
        assert path.name in str(caught.value) and words in str(caught.value)


# -- speed ----------------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_real_size_layer_is_checked_in_seconds(check: Check, layer: gpd.GeoDataFrame) -> None:
    """~700,000 vertices (a vertex every 5 m), with micro slivers where segmentize rounds."""
    dense = layer.to_crs(LAEA)
    dense["geometry"] = shapely.segmentize(dense.geometry.to_numpy(), 5.0)
    dense = dense.to_crs(4326)
    assert shapely.get_num_coordinates(dense.geometry.to_numpy()).sum() > 600_000
    started = time.perf_counter()
    result = check(dense)
    elapsed = time.perf_counter() - started
    assert result.ok, result.problems
    assert elapsed < 10.0, f"{elapsed:.1f} s"

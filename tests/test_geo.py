"""geo: point -> 2025 unit and former district/commune on the shipped geography, map layers,
demo sampler (issue 12: the province since 1/7/2025, old Thái Nguyên + old Bắc Kạn).

The facts checked against the data are those data/geo/SOURCES.md states: 17 former districts,
280 former communes, 92 units; a report at a former commune's point carries its successor
(one coincident point excepted); 108/108 Bắc Kạn and 167/172 Thái Nguyên commune points lie
in their own district polygon (limitation 1).
"""

from __future__ import annotations

import json
import math
import shutil
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry

from backend.config import geo_dir
from geo import Gazetteer, Location, OutsideProvince, commune_probabilities
from geo.boundaries import (
    FORMER_COMMUNE_FILES,
    FORMER_DISTRICT_FILES,
    PROVINCE_FILE,
    UNIT_SHAPES_FILE,
    UNITS_FILE,
    GeoDataError,
    unit_shapes_from_frame,
)
from geo.sampling import SAMPLE_COLUMNS, sample_points

REPO_ROOT = Path(__file__).parents[1]
SHIPPED = REPO_ROOT / "data" / "geo"
REQUIRED = (*FORMER_DISTRICT_FILES, *FORMER_COMMUNE_FILES, UNITS_FILE, UNIT_SHAPES_FILE,
            PROVINCE_FILE)
LAEA = "+proj=laea +lat_0=21.7 +lon_0=105.85 +datum=WGS84"
_TO_LAEA = Transformer.from_crs("EPSG:4326", LAEA, always_xy=True)

BAC_KAN_DISTRICTS = ("058", "060", "061", "062", "063", "064", "065", "066")
THAI_NGUYEN_DISTRICTS = ("164", "165", "167", "168", "169", "170", "171", "172", "173")

TP_THAI_NGUYEN = (105.8482, 21.5942)  # (lon, lat)
PHO_YEN = (105.8720, 21.4167)  # Ba Hàng, centre of TP Phổ Yên
BAC_KAN_TOWN = (105.834, 22.147)
HA_NOI = (105.8542, 21.0285)

# Limitation 1: five former communes of TP Thái Nguyên (moved into the city in 2015) have their
# point in the pre-2015 polygon of the district they came from: code -> that polygon's district.
STALE_POLYGON = {"05653": "168", "05659": "169", "05701": "169", "05713": "169", "05914": "173"}
# Coincident points (SOURCES.md): former commune -> the commune sharing its point, listed first.
SHARED_POINT = {"01843": "01840", "05528": "05527"}

# Pairs 1 km apart across the 2025 border, on the normal through the nearest outline point:
# (outside, inside, former district of the inside point).
BORDER_PAIRS = {
    "Hà Nội (Sóc Sơn) / Phổ Yên": ((105.8652, 21.3189), (105.8701, 21.3364), "172"),
    "Lạng Sơn (Bắc Sơn) / Võ Nhai": ((106.1416, 21.9180), (106.1223, 21.9202), "170"),
    "Lạng Sơn (Tràng Định) / Na Rì": ((106.2551, 22.2690), (106.2359, 22.2659), "066"),
    "Tuyên Quang (Sơn Dương) / Đại Từ": ((105.4679, 21.6976), (105.4872, 21.6969), "171"),
    "Tuyên Quang (Na Hang) / Chợ Đồn": ((105.4717, 22.3173), (105.4897, 22.3105), "064"),
}


def to_laea(geom: BaseGeometry) -> BaseGeometry:
    return shapely.transform(geom, lambda c: np.column_stack(_TO_LAEA.transform(c[:, 0],
                                                                                c[:, 1])))


def copy_geo(folder: Path) -> Path:
    for name in REQUIRED:
        shutil.copy(SHIPPED / name, folder / name)
    return folder


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    return Gazetteer.load(SHIPPED)


@pytest.fixture(scope="module")
def weights() -> pd.DataFrame:
    # as backend/demo/seed.py reads it: the codes keep their leading zeros ("058")
    return pd.read_csv(REPO_ROOT / "data" / "demo" / "population.csv",
                       dtype={"district_code": str})


@pytest.fixture(scope="module")
def sample(gaz: Gazetteer, weights: pd.DataFrame) -> pd.DataFrame:
    return sample_points(gaz, 20_000, np.random.default_rng(2025), weights)


@pytest.fixture(scope="module")
def unit_geoms(gaz: Gazetteer) -> dict[str, BaseGeometry]:
    return dict(zip(gaz.unit_shapes.frame["code"], gaz.unit_shapes.frame.geometry, strict=True))


# -- the shipped data -------------------------------------------------------------------------


def test_the_product_ships_its_geography_with_its_licences(monkeypatch: pytest.MonkeyPatch,
                                                           tmp_path: Path) -> None:
    """A clone with nothing beside it has its boundary and unit data (issue 12); IOC_GEO_DIR
    points elsewhere, even to a folder that does not exist (a typo shows as missing files)."""
    monkeypatch.delenv("IOC_GEO_DIR", raising=False)
    assert geo_dir() == SHIPPED
    for name in (*REQUIRED, "NOTICE.md", "SOURCES.md", "COPYING.GPL-3.0",
                 "LICENSE.vietnamadminunits.MIT"):
        assert (SHIPPED / name).is_file(), name
    monkeypatch.setenv("IOC_GEO_DIR", str(tmp_path / "elsewhere"))
    assert geo_dir() == tmp_path / "elsewhere"
    with pytest.raises(GeoDataError, match="elsewhere"):
        Gazetteer.load(geo_dir())
    monkeypatch.setenv("IOC_GEO_DIR", "  ")
    assert geo_dir() == SHIPPED  # an empty setting means "not configured"


def test_the_gazetteer_holds_the_merged_province(gaz: Gazetteer) -> None:
    districts = gaz.former_districts
    assert list(districts["code"]) == sorted([*BAC_KAN_DISTRICTS, *THAI_NGUYEN_DISTRICTS])
    assert districts.groupby("province_code").size().to_dict() == {"06": 8, "19": 9}
    assert districts.set_index("code").loc["164", "full_name"] == "Thành phố Thái Nguyên"
    communes = gaz.former_communes
    assert len(communes) == 280 and communes["code"].is_unique
    province_of = communes["district_code"].isin(BAC_KAN_DISTRICTS)
    assert (province_of.sum(), (~province_of).sum()) == (108, 172)
    assert set(communes["district_code"]) == set(districts["code"])
    units = gaz.units
    assert len(units) == 92 and units["code"].is_unique and list(units["code"]) == sorted(units["code"])
    assert units["ward_type"].value_counts().to_dict() == {"Xã": 77, "Phường": 15}
    # every successor is a unit, every unit succeeds some commune (SOURCES.md)
    assert set(communes["successor"]) == set(units["code"])
    for row in communes.itertuples():
        assert row.successor in row.successors.split("|"), row.code
    split = communes[communes["successors"] != communes["successor"]]
    assert sorted(split["code"]) == ["05461", "05467", "05932"]  # all in old Thái Nguyên
    # no 2025 unit crosses the old province line
    fed_by = communes.groupby("successor")["district_code"].agg(
        lambda d: {c in BAC_KAN_DISTRICTS for c in d})
    assert all(len(s) == 1 for s in fed_by)
    assert sum(s == {True} for s in fed_by) == 37
    assert gaz.unit_shapes.approximate and gaz.unit_shapes.source == UNIT_SHAPES_FILE


# -- issue 12 "Done when": former commune points and seats ---------------------------------------


def test_a_report_at_each_former_commune_point_carries_its_successor(gaz: Gazetteer) -> None:
    """All 280 former communes of both former provinces; the one exception is the coincident
    point of 01843 Phường Phùng Chí Kiên and 01840 Phường Đức Xuân (SOURCES.md)."""
    communes = gaz.former_communes.set_index("code")
    wrong = {}
    for row in communes.itertuples():
        loc = gaz.locate(row.lon, row.lat)
        if loc.unit_code != row.successor:
            wrong[row.Index] = (f"{row.Index} {row.name} ({row.lon}, {row.lat}): got "
                                f"{loc.unit_code} {loc.unit_name}, expected {row.successor}")
    assert sorted(wrong) == ["01843"], "\n".join(wrong.values())
    # ... and it gets the successor of the commune whose point it shares
    twin = communes.loc["01840"]
    assert (twin["lon"], twin["lat"]) == (communes.loc["01843", "lon"], communes.loc["01843", "lat"])
    assert gaz.locate(twin["lon"], twin["lat"]).unit_code == twin["successor"] == "01840"
    assert communes.loc["01843", "successor"] == "01843"  # Phường Bắc Kạn


def test_a_report_at_each_unit_seat_carries_that_unit(gaz: Gazetteer) -> None:
    wrong = []
    for row in gaz.units.itertuples():
        loc = gaz.locate(row.lon, row.lat)
        if (loc.unit_code, loc.unit_name) != (row.code, row.name):
            wrong.append(f"seat of {row.code} {row.name}: got {loc.unit_code} {loc.unit_name}")
    assert not wrong, f"{len(wrong)} of 92 seats:\n" + "\n".join(wrong)


def test_former_district_of_each_former_commune_point(gaz: Gazetteer) -> None:
    """172/172 and 108/108: the former district is the former commune's own, so the five
    communes moved into TP Thái Nguyên in 2015, which the stale polygons still draw in their old
    districts (limitation 1), are in TP Thái Nguyên (164) as they were until 30/6/2025."""
    communes = gaz.former_communes
    got = gaz.locate_many(communes["lon"].to_numpy(), communes["lat"].to_numpy())
    assert got["inside"].all()
    own = got["former_district_code"].to_numpy() == communes["district_code"].to_numpy()
    bac_kan = communes["district_code"].isin(BAC_KAN_DISTRICTS).to_numpy()
    assert (own[bac_kan].sum(), bac_kan.sum()) == (108, 108)
    assert (own[~bac_kan].sum(), (~bac_kan).sum()) == (172, 172)
    stale = communes["code"].isin(list(STALE_POLYGON)).to_numpy()
    assert set(got["former_district_code"][stale]) == {"164"}
    # the polygons alone would have said otherwise (what the lookup corrects)
    polygons = gaz.former_districts.set_index("code").geometry
    for code, district in STALE_POLYGON.items():
        row = communes.set_index("code").loc[code]
        assert polygons[district].covers(shapely.Point(row["lon"], row["lat"])), code


def test_former_commune_of_each_former_commune_point(gaz: Gazetteer) -> None:
    """A point gets itself back as former commune except at the coincident points (the first
    listed wins); the five stale-polygon communes come back too (candidates are the communes
    that went to the point's unit, not only those of the polygon's district)."""
    communes = gaz.former_communes
    got = gaz.locate_many(communes["lon"].to_numpy(), communes["lat"].to_numpy())
    other = got["former_commune_code"].to_numpy() != communes["code"].to_numpy()
    misses = dict(zip(communes["code"][other], got["former_commune_code"][other], strict=True))
    assert misses == SHARED_POINT


def test_the_former_commune_never_leaks_out_of_the_former_district(gaz: Gazetteer) -> None:
    rng = np.random.default_rng(12)
    west, south, east, north = gaz.extent()
    lons, lats = rng.uniform(west, east, 20_000), rng.uniform(south, north, 20_000)
    got = gaz.locate_many(lons, lats)
    inside = got[got["inside"]]
    assert len(inside) > 8_000
    district_of = gaz.former_communes.set_index("code")["district_code"]
    assert (district_of.loc[inside["former_commune_code"]].to_numpy()
            == inside["former_district_code"].to_numpy()).all()


# -- places and the border -------------------------------------------------------------------------


def test_landmarks(gaz: Gazetteer) -> None:
    city = gaz.locate(*TP_THAI_NGUYEN)
    assert isinstance(city, Location)
    assert (city.former_district_code, city.former_district_name) == ("164",
                                                                      "Thành phố Thái Nguyên")
    assert (city.lon, city.lat) == TP_THAI_NGUYEN
    pho_yen = gaz.locate(*PHO_YEN)
    assert (pho_yen.unit_code, pho_yen.unit_name) == ("05860", "Phường Phổ Yên")
    assert (pho_yen.former_commune_code, pho_yen.former_commune_name) == ("05860",
                                                                          "Phường Ba Hàng")
    bac_kan = gaz.locate(*BAC_KAN_TOWN)
    assert bac_kan.former_district_name == "Thành phố Bắc Kạn"
    assert bac_kan.unit_code in {"01840", "01843"}  # Phường Đức Xuân / Phường Bắc Kạn
    units = gaz.units.set_index("code")["name"]
    communes = gaz.former_communes.set_index("code")["name"]
    for loc in (city, pho_yen, bac_kan):
        assert loc.unit_name == units[loc.unit_code]
        assert loc.former_commune_name == communes[loc.former_commune_code]


@pytest.mark.parametrize("side", list(BORDER_PAIRS))
def test_one_km_across_the_border(gaz: Gazetteer, unit_geoms: dict[str, BaseGeometry],
                                  side: str) -> None:
    outside, inside, district = BORDER_PAIRS[side]
    province = to_laea(gaz.province)
    assert 900 < province.distance(to_laea(shapely.Point(outside))) < 1100  # really "just"
    with pytest.raises(OutsideProvince, match="nằm ngoài địa giới tỉnh Thái Nguyên") as err:
        gaz.locate(*outside)
    assert (err.value.lon, err.value.lat) == outside
    loc = gaz.locate(*inside)
    assert loc.former_district_code == district
    assert unit_geoms[loc.unit_code].covers(shapely.Point(inside))


@pytest.mark.parametrize("lon_lat", [HA_NOI, (0.0, 0.0), (-105.85, 21.6), (105.85, -21.6)])
def test_far_outside_the_province(gaz: Gazetteer, lon_lat: tuple[float, float]) -> None:
    with pytest.raises(OutsideProvince):
        gaz.locate(*lon_lat)


def test_a_point_in_a_border_sliver_gets_the_nearest_unit(
        gaz: Gazetteer, unit_geoms: dict[str, BaseGeometry]) -> None:
    """The separately simplified 2025 outline leaves slivers (up to ~30 m wide) outside every
    unit polygon; a report there is in the province and gets the nearest unit and district."""
    slivers = shapely.get_parts(shapely.difference(gaz.province,
                                                   shapely.union_all(list(unit_geoms.values()))))
    areas = [to_laea(s).area for s in slivers]
    assert len(slivers) > 100 and max(areas) > 10_000  # m²; SOURCES.md: ~620, largest 25,355
    point = slivers[int(np.argmax(areas))].representative_point()
    assert gaz.province.covers(point)
    assert not any(g.covers(point) for g in unit_geoms.values())
    here = to_laea(point)
    nearest_unit = min(unit_geoms, key=lambda c: to_laea(unit_geoms[c]).distance(here))
    districts = dict(zip(gaz.former_districts["code"], gaz.former_districts.geometry, strict=True))
    nearest_district = min(districts, key=lambda c: to_laea(districts[c]).distance(here))
    assert to_laea(unit_geoms[nearest_unit]).distance(here) < 50
    loc = gaz.locate(point.x, point.y)
    assert (loc.unit_code, loc.former_district_code) == (nearest_unit, nearest_district)
    assert loc.former_commune_code is not None
    many = gaz.locate_many(np.array([point.x]), np.array([point.y]))
    assert many["inside"].all() and many["unit_code"].iat[0] == nearest_unit


def test_a_point_of_a_unit_outside_the_outline_is_inside(
        gaz: Gazetteer, unit_geoms: dict[str, BaseGeometry]) -> None:
    """The converse slivers: unit polygon beyond the 2025 outline; the polygon decides."""
    beyond = shapely.get_parts(shapely.difference(shapely.union_all(list(unit_geoms.values())),
                                                  gaz.province))
    piece = max(beyond, key=lambda p: to_laea(p).area)
    point = piece.representative_point()
    assert not gaz.province.covers(point)
    owner = [c for c, g in unit_geoms.items() if g.covers(point)]
    assert len(owner) == 1
    assert gaz.locate(point.x, point.y).unit_code == owner[0]


def test_a_point_on_a_shared_edge_goes_to_the_lowest_code(
        gaz: Gazetteer, unit_geoms: dict[str, BaseGeometry]) -> None:
    vertices = shapely.points(shapely.get_coordinates(unit_geoms["05443"].exterior))
    covering = [[c for c, g in unit_geoms.items() if g.covers(v)] for v in vertices]
    shared = [(v, codes) for v, codes in zip(vertices, covering, strict=True) if len(codes) > 1]
    assert len(shared) >= 10
    many = gaz.locate_many(np.array([v.x for v, _ in shared]), np.array([v.y for v, _ in shared]))
    for (vertex, codes), got in zip(shared, many["unit_code"], strict=True):
        assert got == gaz.locate(vertex.x, vertex.y).unit_code == min(codes)


# -- coordinates ---------------------------------------------------------------------------------


def test_swapped_lat_lon_is_refused(gaz: Gazetteer) -> None:
    with pytest.raises(ValueError, match="đảo chỗ"):
        gaz.locate(lon=21.6, lat=105.8)


@pytest.mark.parametrize(
    ("lon", "lat"),
    [(math.nan, 21.6), (105.8, math.nan), (math.inf, 21.6), (105.8, -math.inf), (105.8, 90.5),
     (180.5, 21.6), (None, 21.6), ("abc", 21.6)],
)
def test_invalid_coordinates_raise_value_error(gaz: Gazetteer, lon: object, lat: object) -> None:
    with pytest.raises(ValueError) as err:
        gaz.locate(lon, lat)  # type: ignore[arg-type]
    assert not isinstance(err.value, OutsideProvince)


def test_numeric_strings_are_coordinates(gaz: Gazetteer) -> None:
    assert gaz.locate("105.872", "21.4167") == gaz.locate(*PHO_YEN)  # type: ignore[arg-type]


def test_locate_many_marks_bad_rows_outside(gaz: Gazetteer) -> None:
    got = gaz.locate_many(np.array([np.nan, 105.85, 21.6, HA_NOI[0], PHO_YEN[0]]),
                          np.array([21.6, np.inf, 105.8, HA_NOI[1], PHO_YEN[1]]))
    assert list(got.columns) == ["inside", "unit_code", "former_district_code",
                                 "former_commune_code"]
    assert got["inside"].tolist() == [False, False, False, False, True]
    for column in ("unit_code", "former_district_code", "former_commune_code"):
        assert got[column].dtype == object
        assert got[column][:4].tolist() == [None] * 4
    with pytest.raises(ValueError):
        gaz.locate_many(np.zeros(3), np.zeros(2))
    with pytest.raises(ValueError):
        gaz.locate_indices(np.zeros((2, 2)), np.zeros((2, 2)))


def assert_scalar_matches_vector(gaz: Gazetteer, lons: np.ndarray, lats: np.ndarray) -> None:
    many = gaz.locate_many(lons, lats)
    units = gaz.units.set_index("code")["name"]
    for row, lon, lat in zip(many.itertuples(index=False), lons, lats, strict=True):
        if not row.inside:
            with pytest.raises(ValueError):  # OutsideProvince, or not valid coordinates
                gaz.locate(lon, lat)
            assert row.unit_code is row.former_district_code is row.former_commune_code is None
            continue
        loc = gaz.locate(lon, lat)
        assert (row.unit_code, row.former_district_code, row.former_commune_code) == (
            loc.unit_code, loc.former_district_code, loc.former_commune_code)
        assert loc.unit_name == units[loc.unit_code]


def test_locate_many_matches_locate(gaz: Gazetteer) -> None:
    rng = np.random.default_rng(20251129)
    west, south, east, north = gaz.extent()
    lons = rng.uniform(west - 0.1, east + 0.1, 600)
    lats = rng.uniform(south - 0.1, north + 0.1, 600)
    # and the hard ones: seats, commune points, district corners, border pairs, bad rows
    extra = [*zip(gaz.units["lon"], gaz.units["lat"], strict=True),
             *zip(gaz.former_communes["lon"][::4], gaz.former_communes["lat"][::4], strict=True),
             *[(b[0], b[1]) for b in shapely.bounds(gaz.former_districts.geometry.to_numpy())],
             *[p for pair in BORDER_PAIRS.values() for p in pair[:2]],
             (math.nan, 21.6), (105.8, math.inf)]
    lons = np.concatenate([lons, [p[0] for p in extra]])
    lats = np.concatenate([lats, [p[1] for p in extra]])
    inside = gaz.locate_many(lons, lats)["inside"]
    assert 300 < inside.sum() < len(lons) - 100
    assert_scalar_matches_vector(gaz, lons, lats)


@settings(max_examples=200, deadline=None)
@given(
    lon=st.floats(allow_nan=True, allow_infinity=True),
    lat=st.floats(allow_nan=True, allow_infinity=True),
)
def test_locate_only_ever_raises_value_error(gaz: Gazetteer, lon: float, lat: float) -> None:
    try:
        loc = gaz.locate(lon, lat)
    except ValueError:
        return
    west, south, east, north = gaz.extent()
    assert west - 0.01 < loc.lon < east + 0.01 and south - 0.01 < loc.lat < north + 0.01


@settings(max_examples=300, deadline=None)
@given(lon=st.floats(105.3, 106.4), lat=st.floats(21.2, 22.9))
def test_in_and_around_the_province_scalar_equals_vector(gaz: Gazetteer, lon: float,
                                                         lat: float) -> None:
    assert_scalar_matches_vector(gaz, np.array([lon]), np.array([lat]))
    hits = gaz.locate_indices(np.array([lon]), np.array([lat]))
    point = shapely.Point(lon, lat)
    if hits.inside[0]:  # in its unit polygon, or in the outline (a sliver)
        assert gaz._unit_geoms[hits.unit[0]].covers(point) or gaz.province.covers(point)
    else:
        assert not gaz.province.covers(point)
        assert not any(g.covers(point) for g in gaz._unit_geoms)


def test_locate_many_200k_is_fast(gaz: Gazetteer) -> None:
    rng = np.random.default_rng(7)
    lons, lats = rng.uniform(105.4, 106.3, 200_000), rng.uniform(21.3, 22.75, 200_000)
    start = time.perf_counter()
    got = gaz.locate_many(lons, lats)
    assert time.perf_counter() - start < 10
    assert len(got) == 200_000 and got["inside"].mean() > 0.5


# -- the folder: required files, IOC_GEO_DIR, an imported unit layer -------------------------------


@pytest.mark.parametrize("missing", REQUIRED)
def test_a_missing_file_is_named(tmp_path: Path, missing: str) -> None:
    folder = copy_geo(tmp_path)
    (folder / missing).unlink()
    with pytest.raises(GeoDataError, match=missing.replace(".", r"\.")) as err:
        Gazetteer.load(folder)
    assert str(folder) in str(err.value)


def test_an_unknown_successor_is_refused(tmp_path: Path) -> None:
    folder = copy_geo(tmp_path)
    path = folder / "bac_kan_units_legacy.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("Phường Đức Xuân", "Phường Đức Xuân X"),
                    encoding="utf-8")
    with pytest.raises(GeoDataError, match="Phường Đức Xuân X"):
        Gazetteer.load(folder)


def test_ioc_geo_dir_is_the_folder_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = copy_geo(tmp_path)
    path = folder / "thai_nguyen_districts.geojson"
    data = json.loads(path.read_text(encoding="utf-8"))
    for feature in data["features"]:
        if feature["properties"]["code"] == "164":
            feature["properties"]["full_name"] = "Thành phố Thái Nguyên (bản sao)"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    monkeypatch.setenv("IOC_GEO_DIR", str(folder))
    assert geo_dir() == folder
    copied = Gazetteer.load(geo_dir())
    assert copied.locate(*TP_THAI_NGUYEN).former_district_name == "Thành phố Thái Nguyên (bản sao)"
    # without the approximate layer the copy still loads when a layer is given
    given_layer = copied.unit_shapes
    (folder / UNIT_SHAPES_FILE).unlink()
    assert Gazetteer.load(folder, given_layer).locate(*PHO_YEN).unit_code == "05860"


def test_the_lookup_uses_the_unit_layer_it_is_given(gaz: Gazetteer,
                                                    unit_geoms: dict[str, BaseGeometry]) -> None:
    frame = gpd.read_file(SHIPPED / UNIT_SHAPES_FILE)
    a, b = "05443", "05455"  # Phường Phan Đình Phùng, Phường Quyết Thắng
    frame["code"] = frame["code"].replace({a: b, b: a})
    layer = unit_shapes_from_frame(frame, approximate=False, source="test: swapped")
    swapped = Gazetteer.load(SHIPPED, unit_shapes=layer)
    assert not swapped.unit_shapes.approximate and swapped.unit_shapes.source == "test: swapped"
    seats = gaz.units.set_index("code")
    for code, other in ((a, b), (b, a)):
        seat = seats.loc[code, "lon"], seats.loc[code, "lat"]
        assert gaz.locate(*seat).unit_code == code
        loc = swapped.locate(*seat)
        assert (loc.unit_code, loc.unit_name) == (other, seats.loc[other, "name"])
        # the former commune is one that went to the unit found (here the swapped one)
        went = gaz.former_communes.set_index("code")["successors"]
        assert other in went[loc.former_commune_code].split("|")
    rest = seats.drop(index=[a, b])
    got = swapped.locate_many(rest["lon"].to_numpy(), rest["lat"].to_numpy())
    assert got["unit_code"].tolist() == rest.index.tolist()
    features = {f["properties"]["code"]: shapely.geometry.shape(f["geometry"])
                for f in json.loads(swapped.unit_geojson())["features"]}
    assert features[a].equals(unit_geoms[b]) and features[b].equals(unit_geoms[a])


def test_a_unit_layer_lacking_a_unit_is_refused(gaz: Gazetteer) -> None:
    frame = gaz.unit_shapes.frame
    layer = unit_shapes_from_frame(frame[frame["code"] != "02185"], approximate=False,
                                   source="test: short")
    with pytest.raises(ValueError, match="02185"):
        Gazetteer.load(SHIPPED, unit_shapes=layer)


# -- map layers --------------------------------------------------------------------------------


def test_unit_geojson(gaz: Gazetteer) -> None:
    extra = {"05443": {"count": 3, "name_en": "Phan Dinh Phung"}, "99999": {"count": 1}}
    data = json.loads(gaz.unit_geojson(extra))
    assert data["type"] == "FeatureCollection"
    props = [f["properties"] for f in data["features"]]
    assert [p["code"] for p in props] == list(gaz.units["code"])
    assert [p["name"] for p in props] == list(gaz.units["name"])
    assert props[list(gaz.units["code"]).index("05443")]["count"] == 3
    assert sum("count" in p for p in props) == 1
    seats = gaz.units.set_index("code")
    for feature in data["features"]:
        geom = shapely.geometry.shape(feature["geometry"])
        assert geom.is_valid and geom.geom_type in ("Polygon", "MultiPolygon")
        code = feature["properties"]["code"]
        assert geom.covers(shapely.Point(seats.loc[code, "lon"], seats.loc[code, "lat"])), code
    assert extra == {"05443": {"count": 3, "name_en": "Phan Dinh Phung"}, "99999": {"count": 1}}
    assert "count" not in json.loads(gaz.unit_geojson())["features"][0]["properties"]


def test_grouped_geojson_dissolves_the_units_into_the_17_areas(
        gaz: Gazetteer, unit_geoms: dict[str, BaseGeometry]) -> None:
    unit_areas = pd.read_csv(REPO_ROOT / "data" / "unit_areas.csv", dtype=str)
    areas = pd.read_csv(REPO_ROOT / "data" / "areas.csv", dtype=str)
    assert set(unit_areas["unit_code"]) == set(gaz.units["code"])
    groups = dict(zip(unit_areas["unit_code"], unit_areas["area_code"], strict=True))
    props = {r.code: {"name": r.name} for r in areas.itertuples()}
    data = json.loads(gaz.grouped_geojson(groups, props))
    features = data["features"]
    assert len(features) == 17
    assert [f["properties"]["code"] for f in features] == sorted(areas["code"])
    assert all(f["properties"]["name"] == props[f["properties"]["code"]]["name"]
               for f in features)
    geoms = [shapely.geometry.shape(f["geometry"]) for f in features]
    assert all(g.is_valid for g in geoms) and shapely.coverage_is_valid(geoms)
    province = to_laea(gaz.province).area
    total = sum(to_laea(g).area for g in geoms)
    assert total == pytest.approx(province, rel=1e-4)
    for feature, geom in zip(features, geoms, strict=True):
        members = [unit_geoms[u] for u, g in groups.items() if g == feature["properties"]["code"]]
        assert to_laea(geom).area == pytest.approx(sum(to_laea(m).area for m in members),
                                                   rel=1e-6)
    # units in no group are left out
    partial = json.loads(gaz.grouped_geojson({"05443": "x", "05455": "x"}, {}))
    assert [f["properties"] for f in partial["features"]] == [{"code": "x"}]


def test_province_geojson_and_extent(gaz: Gazetteer) -> None:
    data = json.loads(gaz.province_geojson())
    (feature,) = data["features"]
    assert feature["properties"] == {"code": "19", "name": "Thái Nguyên",
                                     "full_name": "Tỉnh Thái Nguyên"}
    outline = shapely.geometry.shape(feature["geometry"])
    assert to_laea(outline).area / 1e6 == pytest.approx(8389.25, abs=0.1)  # SOURCES.md
    for place in (TP_THAI_NGUYEN, PHO_YEN, BAC_KAN_TOWN):
        assert outline.covers(shapely.Point(place))
    # Maps open on the 2025 province, old Bắc Kạn included (SOURCES.md bboxes).
    assert gaz.extent() == pytest.approx((105.43153, 21.32553, 106.24692, 22.74089), abs=1e-4)
    west, south, east, north = gaz.extent()
    for frame in (gaz.units, gaz.former_communes):
        assert frame["lon"].between(west, east).all() and frame["lat"].between(south, north).all()


# -- sampling -------------------------------------------------------------------------------------


def test_commune_probabilities_follow_population(gaz: Gazetteer, weights: pd.DataFrame) -> None:
    communes = gaz.former_communes
    prob = commune_probabilities(communes, weights)
    assert prob.sum() == pytest.approx(1.0) and (prob > 0).all()
    share = pd.Series(prob).groupby(communes["district_code"].to_numpy()).sum()
    population = weights.set_index("district_code")["population"]
    assert len(population) == 17 and set(population.index) == set(share.index)
    assert share.to_dict() == pytest.approx((population / population.sum()).to_dict())
    # inside a district a Phường/Thị trấn weighs urban_weight times a Xã
    urban = weights.set_index("district_code")["urban_weight"]
    for district in ("164", "058"):
        rows = communes["district_code"] == district
        kinds = communes.loc[rows, "ward_type"].to_numpy()
        p = prob[rows.to_numpy()]
        assert p[kinds == "Phường"].mean() / p[kinds == "Xã"].mean() == pytest.approx(
            urban[district])
    uniform = commune_probabilities(communes, None)
    assert np.allclose(uniform, 1 / 280)


def test_sample_points_deterministic(gaz: Gazetteer, weights: pd.DataFrame) -> None:
    first = sample_points(gaz, 3_000, np.random.default_rng(42), weights)
    again = sample_points(gaz, 3_000, np.random.default_rng(42), weights)
    other = sample_points(gaz, 3_000, np.random.default_rng(43), weights)
    pd.testing.assert_frame_equal(first, again)
    assert not first[["lon", "lat"]].equals(other[["lon", "lat"]])
    assert list(first.columns) == list(SAMPLE_COLUMNS) == [
        "lon", "lat", "unit_code", "former_district_code", "former_commune_code"]
    assert sample_points(gaz, 0, np.random.default_rng(1)).empty
    with pytest.raises(ValueError):
        sample_points(gaz, -1, np.random.default_rng(1))


def test_sampled_points_carry_what_locate_gives(gaz: Gazetteer, sample: pd.DataFrame) -> None:
    assert len(sample) == 20_000
    assert sample[["unit_code", "former_district_code", "former_commune_code"]].notna().all().all()
    check = gaz.locate_many(sample["lon"].to_numpy(), sample["lat"].to_numpy())
    assert check["inside"].all()
    for column in ("unit_code", "former_district_code", "former_commune_code"):
        mismatch = sample.loc[check[column].to_numpy() != sample[column].to_numpy()]
        assert mismatch.empty, f"{column}: {len(mismatch)} points\n{mismatch.head()}"
    for row in sample.iloc[::40].itertuples():  # and the scalar path, on 500 of them
        assert gaz.locate(row.lon, row.lat).unit_code == row.unit_code
    assert sample["unit_code"].nunique() == 92  # every unit gets reports


def test_sampled_bac_kan_share_follows_population(sample: pd.DataFrame,
                                                  weights: pd.DataFrame) -> None:
    population = weights.set_index("district_code")["population"]
    expected = population / population.sum()
    got = sample["former_district_code"].value_counts(normalize=True)
    in_bac_kan = sample["former_district_code"].isin(BAC_KAN_DISTRICTS).mean()
    assert in_bac_kan == pytest.approx(expected[list(BAC_KAN_DISTRICTS)].sum(), abs=0.015)
    for code in BAC_KAN_DISTRICTS:  # no stale polygons there: each district on its own
        assert got[code] == pytest.approx(expected[code], abs=0.0075), code


def test_sampled_reports_are_denser_in_the_city(gaz: Gazetteer, sample: pd.DataFrame) -> None:
    area_km2 = {code: to_laea(geom).area / 1e6 for code, geom in
                zip(gaz.former_districts["code"], gaz.former_districts.geometry, strict=True)}
    counts = sample["former_district_code"].value_counts()
    density = {code: counts[code] / area_km2[code] for code in area_km2}
    assert density["164"] > 5 * density["170"]  # TP Thái Nguyên against Võ Nhai
    assert density["058"] > 3 * density["060"]  # TP Bắc Kạn against Pác Nặm (4.8x in people)

"""geo: point -> district/commune/2025 unit on the real boundary files, fallbacks, sampler."""

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

from backend.config import geo_dir
from geo import Gazetteer, Location, OutsideProvince, commune_probabilities
from geo.boundaries import (
    DISTRICTS_FILE,
    LEGACY_UNITS_FILE,
    PROVINCE_2025_FILE,
    PROVINCE_LEGACY_FILE,
    UNITS_2025_FILE,
)
from geo.sampling import sample_points

REPO_ROOT = Path(__file__).parents[1]
GEO_DIR = geo_dir()
REQUIRED = (DISTRICTS_FILE, PROVINCE_2025_FILE, LEGACY_UNITS_FILE, UNITS_2025_FILE)
LAEA = "+proj=laea +lat_0=21.7 +lon_0=105.85 +datum=WGS84"

TP_THAI_NGUYEN = (105.8482, 21.5942)  # (lon, lat)
PHO_YEN = (105.8720, 21.4167)  # Ba Hàng, centre of TP Phổ Yên
HA_NOI = (105.8542, 21.0285)
BAC_KAN_TOWN = (105.834, 22.147)


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    return Gazetteer.load(GEO_DIR)


@pytest.fixture(scope="module")
def weights() -> pd.DataFrame:
    return pd.read_csv(REPO_ROOT / "data" / "districts.csv")


def commune_district(gaz: Gazetteer, commune_code: str) -> str:
    units = gaz.legacy_units
    return units.loc[units["code"] == commune_code, "district_code"].iat[0]


# -- the shipped data -------------------------------------------------------------------------


def test_the_product_ships_its_geography_with_its_licences(monkeypatch: pytest.MonkeyPatch,
                                                           tmp_path: Path) -> None:
    """A clone with nothing beside it has its boundary and unit data (issue 12); IOC_GEO_DIR
    points elsewhere, even to a folder that does not exist (a typo shows as missing files)."""
    monkeypatch.delenv("IOC_GEO_DIR", raising=False)
    shipped = REPO_ROOT / "data" / "geo"
    assert geo_dir() == shipped
    for name in (*REQUIRED, "NOTICE.md", "SOURCES.md", "COPYING.GPL-3.0"):
        assert (shipped / name).is_file(), name
    monkeypatch.setenv("IOC_GEO_DIR", str(tmp_path / "elsewhere"))
    assert geo_dir() == tmp_path / "elsewhere"
    monkeypatch.setenv("IOC_GEO_DIR", "  ")
    assert geo_dir() == shipped  # an empty setting means "not configured"


# -- locate on the real polygons --------------------------------------------------------------


def test_central_thai_nguyen_city(gaz: Gazetteer) -> None:
    loc = gaz.locate(*TP_THAI_NGUYEN)
    assert isinstance(loc, Location)
    assert loc.district_code == "164"
    assert loc.district_name == "Thành phố Thái Nguyên"
    assert commune_district(gaz, loc.commune_code) == "164"
    assert loc.commune_name and loc.unit_2025_code and loc.unit_2025_name


def test_pho_yen_centre(gaz: Gazetteer) -> None:
    loc = gaz.locate(*PHO_YEN)
    assert loc.district_code == "172"
    assert commune_district(gaz, loc.commune_code) == "172"


@pytest.mark.parametrize("lon_lat", [HA_NOI, (0.0, 0.0)])
def test_outside_the_province(gaz: Gazetteer, lon_lat: tuple[float, float]) -> None:
    with pytest.raises(OutsideProvince, match="nằm ngoài địa giới tỉnh Thái Nguyên"):
        gaz.locate(*lon_lat)


def test_swapped_lat_lon_is_refused(gaz: Gazetteer) -> None:
    with pytest.raises(ValueError, match="đảo chỗ"):
        gaz.locate(lon=21.6, lat=105.8)


@pytest.mark.parametrize(
    ("lon", "lat"),
    [(math.nan, 21.6), (105.8, math.nan), (math.inf, 21.6), (105.8, -math.inf), (105.8, 90.5)],
)
def test_invalid_coordinates_raise_value_error(gaz: Gazetteer, lon: float, lat: float) -> None:
    with pytest.raises(ValueError):
        gaz.locate(lon, lat)


def test_old_bac_kan_is_inside_without_a_legacy_district(gaz: Gazetteer) -> None:
    loc = gaz.locate(*BAC_KAN_TOWN)
    assert loc.district_code is None and loc.commune_code is None
    assert loc.unit_2025_code is not None and loc.unit_2025_name is not None


def test_commune_always_belongs_to_the_polygon_district(gaz: Gazetteer) -> None:
    """README limitation 1: five commune points lie in a stale polygon; they must not leak."""
    units = gaz.legacy_units
    got = gaz.locate_many(units["lon"].to_numpy(), units["lat"].to_numpy())
    assert got["inside"].all()
    chosen = units.set_index("code").loc[got["commune_code"], "district_code"].to_numpy()
    assert (chosen == got["district_code"].to_numpy()).all()
    assert (got["district_code"] != units["district_code"]).sum() == 5


def test_locate_many_matches_locate(gaz: Gazetteer) -> None:
    assert_scalar_matches_vector(gaz, min_inside=50)


def test_scalar_locate_matches_vector_without_polygons(tmp_path: Path) -> None:
    """`locate` has its own scalar path; the coarse and empty fallbacks must agree too."""
    for name in (LEGACY_UNITS_FILE, UNITS_2025_FILE):
        shutil.copy(GEO_DIR / name, tmp_path / name)
    assert_scalar_matches_vector(Gazetteer.load(tmp_path), min_inside=50)
    assert_scalar_matches_vector(Gazetteer.load(None), min_inside=50)


def assert_scalar_matches_vector(gaz: Gazetteer, min_inside: int) -> None:
    rng = np.random.default_rng(20251129)
    lons = rng.uniform(105.35, 106.35, 400)
    lats = rng.uniform(21.25, 22.80, 400)
    # Points exactly on district corners and on the unit points themselves (ties, edges).
    corners = (
        [(b[0], b[1]) for b in shapely.bounds(gaz._district_geoms)] if gaz.has_polygons else []
    )
    exact = list(zip(gaz.units_2025["lon"][:50], gaz.units_2025["lat"][:50], strict=True))
    extra = np.array(corners + exact, dtype=float).reshape(-1, 2)
    lons, lats = np.concatenate([lons, extra[:, 0]]), np.concatenate([lats, extra[:, 1]])
    many = gaz.locate_many(lons, lats)
    assert list(many.columns) == ["inside", "district_code", "commune_code", "unit_2025_code"]
    assert min_inside < many["inside"].sum() < len(lons)
    for row, lon, lat in zip(many.itertuples(index=False), lons, lats, strict=True):
        if not row.inside:
            with pytest.raises(OutsideProvince):
                gaz.locate(lon, lat)
            assert row.district_code is row.commune_code is row.unit_2025_code is None
            continue
        loc = gaz.locate(lon, lat)
        assert (row.district_code, row.commune_code, row.unit_2025_code) == (
            loc.district_code,
            loc.commune_code,
            loc.unit_2025_code,
        )


def test_locate_many_marks_bad_rows_outside(gaz: Gazetteer) -> None:
    got = gaz.locate_many(np.array([np.nan, 105.85, 21.6]), np.array([21.6, np.inf, 105.8]))
    assert not got["inside"].any()
    assert got["district_code"].isna().all()
    with pytest.raises(ValueError):
        gaz.locate_many(np.zeros(3), np.zeros(2))


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
    assert 105.3 < loc.lon < 106.3 and 21.3 < loc.lat < 22.8


def test_locate_many_200k_is_fast(gaz: Gazetteer) -> None:
    rng = np.random.default_rng(7)
    lons, lats = rng.uniform(105.4, 106.3, 200_000), rng.uniform(21.3, 22.75, 200_000)
    start = time.perf_counter()
    got = gaz.locate_many(lons, lats)
    assert time.perf_counter() - start < 10
    assert len(got) == 200_000


# -- map layers --------------------------------------------------------------------------------


def test_geojson_layers(gaz: Gazetteer) -> None:
    districts = gaz.district_geojson()
    assert districts["type"] == "FeatureCollection" and len(districts["features"]) == 9
    assert {f["properties"]["code"] for f in districts["features"]} == set(gaz.districts["code"])
    assert all(f["properties"]["name"] for f in districts["features"])
    province = gaz.province_geojson()
    assert (
        len(province["features"]) == 1
        and province["features"][0]["properties"]["vintage"] == "2025"
    )
    json.dumps(districts)
    districts["features"].clear()  # callers get their own copy
    assert len(gaz.district_geojson()["features"]) == 9
    assert gaz.has_polygons
    assert list(gaz.districts.columns[:3]) == ["code", "name", "full_name"]


# -- fallbacks -----------------------------------------------------------------------------------


def test_fallback_without_polygons_uses_nearest_commune(tmp_path: Path, gaz: Gazetteer) -> None:
    for name in (LEGACY_UNITS_FILE, UNITS_2025_FILE):
        shutil.copy(GEO_DIR / name, tmp_path / name)
    coarse = Gazetteer.load(tmp_path)
    assert not coarse.has_polygons
    assert len(coarse.districts) == 9
    assert coarse.district_geojson() == {"type": "FeatureCollection", "features": []}
    assert coarse.locate(*TP_THAI_NGUYEN).district_code == "164"
    assert coarse.locate(*PHO_YEN).district_code == "172"
    bac_kan = coarse.locate(*BAC_KAN_TOWN)
    assert bac_kan.district_code is None and bac_kan.unit_2025_code is not None
    with pytest.raises(OutsideProvince):
        coarse.locate(*HA_NOI)
    # Points well inside the old province mostly agree with the polygon answer.
    sample = sample_points(gaz, 2_000, np.random.default_rng(3))
    got = coarse.locate_many(sample["lon"].to_numpy(), sample["lat"].to_numpy())
    assert (got["district_code"] == sample["district_code"]).mean() > 0.85


def test_pre_merger_outline_when_2025_missing(tmp_path: Path) -> None:
    for name in (DISTRICTS_FILE, PROVINCE_LEGACY_FILE, LEGACY_UNITS_FILE, UNITS_2025_FILE):
        shutil.copy(GEO_DIR / name, tmp_path / name)
    old = Gazetteer.load(tmp_path)
    assert old.locate(*TP_THAI_NGUYEN).district_code == "164"
    with pytest.raises(OutsideProvince):
        old.locate(*BAC_KAN_TOWN)
    assert old.province_geojson()["features"][0]["properties"]["vintage"] == "legacy"


def test_no_folder_still_answers_coarsely() -> None:
    empty = Gazetteer.load(None)
    assert not empty.has_polygons and empty.districts.empty
    loc = empty.locate(*TP_THAI_NGUYEN)
    assert loc.district_code is None and loc.unit_2025_code is None
    with pytest.raises(OutsideProvince):
        empty.locate(*HA_NOI)
    assert empty.province_geojson()["features"] == []
    with pytest.raises(ValueError):
        sample_points(empty, 10, np.random.default_rng(0))


# -- sampling -------------------------------------------------------------------------------------


def test_commune_probabilities_follow_population(gaz: Gazetteer, weights: pd.DataFrame) -> None:
    prob = commune_probabilities(gaz.legacy_units, weights)
    assert prob.sum() == pytest.approx(1.0)
    share = pd.Series(prob).groupby(gaz.legacy_units["district_code"].to_numpy()).sum()
    expected = weights.set_index(weights["district_code"].astype(str))["population"]
    assert share.to_dict() == pytest.approx((expected / expected.sum()).to_dict())


def test_sample_points_deterministic(gaz: Gazetteer, weights: pd.DataFrame) -> None:
    first = sample_points(gaz, 5_000, np.random.default_rng(42), weights)
    again = sample_points(gaz, 5_000, np.random.default_rng(42), weights)
    other = sample_points(gaz, 5_000, np.random.default_rng(43), weights)
    pd.testing.assert_frame_equal(first, again)
    assert not first[["lon", "lat"]].equals(other[["lon", "lat"]])
    assert list(first.columns) == ["lon", "lat", "district_code", "commune_code", "unit_2025_code"]
    assert sample_points(gaz, 0, np.random.default_rng(1)).empty


def test_sample_points_inside_their_district_and_denser_in_the_city(
    gaz: Gazetteer, weights: pd.DataFrame
) -> None:
    sample = sample_points(gaz, 50_000, np.random.default_rng(2025), weights)
    assert sample["district_code"].notna().all()
    check = gaz.locate_many(sample["lon"].to_numpy(), sample["lat"].to_numpy())
    assert check["inside"].all()
    for column in ("district_code", "commune_code", "unit_2025_code"):
        assert (check[column] == sample[column]).all()

    polygons = gpd.GeoDataFrame.from_features(gaz.district_geojson()["features"], crs=4326)
    area_km2 = polygons.set_index("code").to_crs(LAEA).area / 1e6
    counts = sample["district_code"].value_counts()
    density_city = counts["164"] / area_km2["164"]
    density_vo_nhai = counts["170"] / area_km2["170"]
    assert density_city > 5 * density_vo_nhai


def test_extent_is_the_whole_province_as_it_is_now(gaz: Gazetteer, tmp_path: Path) -> None:
    """Maps open on the 2025 province (old Bắc Kạn included: reports come from there too)."""
    west, south, east, north = gaz.extent()
    assert west < BAC_KAN_TOWN[0] < east and south < BAC_KAN_TOWN[1] < north
    assert west < TP_THAI_NGUYEN[0] < east and south < PHO_YEN[1] < north
    for name in (LEGACY_UNITS_FILE, UNITS_2025_FILE):
        shutil.copy(GEO_DIR / name, tmp_path / name)
    coarse = Gazetteer.load(tmp_path).extent()  # no outline: the unit points' padded box
    assert coarse[0] < BAC_KAN_TOWN[0] < coarse[2] and coarse[1] < BAC_KAN_TOWN[1] < coarse[3]
    assert Gazetteer.load(None).extent() == pytest.approx((105.43, 21.32, 106.25, 22.75))

"""Read the province's geography from its folder (`data/geo/`, or `IOC_GEO_DIR`).

What is read, and why each part is needed (sources and licences: the folder's SOURCES.md):

* the 17 former districts (9 of old Thái Nguyên + 8 of old Bắc Kạn, both until 30/6/2025): the
  former district of a report dated before 1/7/2025, and the frame the demo's points fall in;
* the 280 former communes (172 + 108) with their successors: a pre-2025 report's former
  commune, and the approximate unit shapes' generators;
* the 92 units of 1/7/2025 (code, name, type, seat) and their polygons: the place of a report.
  The polygons are the shipped approximate layer unless the caller passes the province's
  official layer (`ioc geo import`);
* the province outline of 2025 (a point in it but in a sliver outside every unit is still in).

Every file is required: a missing one raises `GeoDataError` naming it (the product ships them).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

FORMER_DISTRICT_FILES = ("thai_nguyen_districts.geojson", "bac_kan_districts.geojson")
FORMER_COMMUNE_FILES = ("thai_nguyen_units_legacy.csv", "bac_kan_units_legacy.csv")
UNITS_FILE = "thai_nguyen_units_2025.csv"
UNIT_SHAPES_FILE = "thai_nguyen_units_2025_approx.geojson"
PROVINCE_FILE = "thai_nguyen_province_2025.geojson"

_COMMUNE_COLUMNS = ("district_code", "ward_code", "ward_name", "ward_type", "lat", "lon",
                    "new_unit_2025_default")
_UNIT_COLUMNS = ("ward_code", "ward_name", "ward_type", "lat", "lon")


class GeoDataError(ValueError):
    """The geography folder lacks a file or holds one that cannot be used; says which."""


@dataclass(frozen=True)
class UnitShapes:
    """Polygons of the 92 units: `frame` has code and geometry (EPSG:4326), sorted by code.

    `approximate` is True for the shipped layer built from points (geo/unit_shapes.py), which
    every map labels as such; `source` names where the polygons came from.
    """

    frame: gpd.GeoDataFrame
    approximate: bool
    source: str


@dataclass(frozen=True)
class BoundaryData:
    """Everything read, normalised: codes are strings with their leading zeros, lon/lat floats."""

    former_districts: gpd.GeoDataFrame  # code, name, full_name, province_code, geometry
    # code, name, ward_type, district_code, lon, lat, successor (default unit code),
    # successors (every unit code it went to, "|"-separated: split communes have several)
    former_communes: pd.DataFrame
    units: pd.DataFrame  # code, name, ward_type, lon, lat
    unit_shapes: UnitShapes
    province: BaseGeometry  # the 2025 outline


@dataclass(frozen=True)
class Places:
    """The lists without the polygons: what naming and reference loading need."""

    former_districts: pd.DataFrame  # code, name, full_name, province_code
    former_communes: pd.DataFrame
    units: pd.DataFrame


def read_places(geo_dir: Path) -> Places:
    """The units of 1/7/2025 and the former districts and communes, by code and name."""
    folder = Path(geo_dir)
    units = _read_units(_required(folder, UNITS_FILE))
    districts = _read_districts([_required(folder, n) for n in FORMER_DISTRICT_FILES])
    return Places(
        former_districts=pd.DataFrame(districts.drop(columns="geometry")),
        former_communes=_read_communes([_required(folder, n) for n in FORMER_COMMUNE_FILES],
                                       units),
        units=units,
    )


def read_boundaries(geo_dir: Path, unit_shapes: UnitShapes | None = None) -> BoundaryData:
    """Read the folder; `unit_shapes` replaces the shipped approximate polygons when given."""
    folder = Path(geo_dir)
    units = _read_units(_required(folder, UNITS_FILE))
    shapes = unit_shapes or read_unit_shapes(_required(folder, UNIT_SHAPES_FILE),
                                             approximate=True, source=UNIT_SHAPES_FILE)
    return BoundaryData(
        former_districts=_read_districts([_required(folder, n) for n in FORMER_DISTRICT_FILES]),
        former_communes=_read_communes([_required(folder, n) for n in FORMER_COMMUNE_FILES],
                                       units),
        units=units,
        unit_shapes=shapes,
        province=_read_outline(_required(folder, PROVINCE_FILE)),
    )


def read_unit_shapes(path: Path, *, approximate: bool, source: str) -> UnitShapes:
    """A unit layer (GeoJSON with properties `code`) as `UnitShapes`."""
    frame = _to_wgs84(gpd.read_file(path))
    return unit_shapes_from_frame(frame, approximate=approximate, source=source)


def unit_shapes_from_frame(frame: gpd.GeoDataFrame, *, approximate: bool,
                           source: str) -> UnitShapes:
    """Normalise a layer already checked (geo/layer_check.py) or shipped."""
    out = gpd.GeoDataFrame(
        {"code": frame["code"].astype(str).to_numpy(dtype=object)},
        geometry=shapely.make_valid(frame.geometry.to_numpy()),
        crs="EPSG:4326",
    )
    return UnitShapes(out.sort_values("code", kind="stable").reset_index(drop=True),
                      approximate, source)


def feature_collection(geometries: list[BaseGeometry], properties: list[dict]) -> str:
    """GeoJSON FeatureCollection text; kept as text so each caller gets a fresh dict."""
    features = [
        {"type": "Feature", "properties": props, "geometry": json.loads(shapely.to_geojson(geom))}
        for geom, props in zip(geometries, properties, strict=True)
    ]
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)


def _required(folder: Path, name: str) -> Path:
    path = folder / name
    if not path.is_file():
        raise GeoDataError(
            f"Thiếu tệp dữ liệu địa lý {name} trong {folder}. Sản phẩm mang sẵn các tệp này "
            "trong data/geo/; nếu đặt IOC_GEO_DIR, thư mục đó phải có đủ các tệp (data/geo/SOURCES.md).")
    return path


def _to_wgs84(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if frame.crs is not None and not frame.crs.equals("EPSG:4326"):
        frame = frame.to_crs("EPSG:4326")
    return frame


def _read_districts(paths: list[Path]) -> gpd.GeoDataFrame:
    frames = []
    for path in paths:
        frame = _to_wgs84(gpd.read_file(path))
        frame = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
        if frame.empty:
            raise GeoDataError(f"Tệp {path.name} không có vùng nào.")
        frames.append(gpd.GeoDataFrame(
            {
                "code": frame["code"].astype(str).to_numpy(dtype=object),
                "name": frame["name"].astype(str).to_numpy(dtype=object),
                "full_name": frame.get("full_name", frame["name"]).astype(str)
                .to_numpy(dtype=object),
                "province_code": frame.get("province_code", pd.Series("", index=frame.index))
                .astype(str).to_numpy(dtype=object),
            },
            geometry=shapely.make_valid(frame.geometry.to_numpy()),
            crs="EPSG:4326",
        ))
    out = pd.concat(frames, ignore_index=True)
    return gpd.GeoDataFrame(out, geometry="geometry", crs="EPSG:4326").sort_values(
        "code", kind="stable").reset_index(drop=True)


def _read_csv(path: Path, required: tuple[str, ...]) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise GeoDataError(f"Tệp {path.name} thiếu cột: {', '.join(missing)}.")
    frame["lon"] = pd.to_numeric(frame["lon"], errors="coerce")
    frame["lat"] = pd.to_numeric(frame["lat"], errors="coerce")
    bad = frame[~(np.isfinite(frame["lon"]) & np.isfinite(frame["lat"]))]
    if len(bad):
        raise GeoDataError(f"Tệp {path.name}: dòng không có tọa độ: "
                           f"{', '.join(bad['ward_code'].astype(str).head(5))}.")
    return frame


def _read_units(path: Path) -> pd.DataFrame:
    raw = _read_csv(path, _UNIT_COLUMNS)
    return pd.DataFrame({
        "code": raw["ward_code"].to_numpy(dtype=object),
        "name": raw["ward_name"].to_numpy(dtype=object),
        "ward_type": raw["ward_type"].to_numpy(dtype=object),
        "lon": raw["lon"].to_numpy(dtype=np.float64),
        "lat": raw["lat"].to_numpy(dtype=np.float64),
    }).sort_values("code", kind="stable").reset_index(drop=True)


def _read_communes(paths: list[Path], units: pd.DataFrame) -> pd.DataFrame:
    """Former communes with their default successor as a unit code (names resolved here once)."""
    raw = pd.concat([_read_csv(p, _COMMUNE_COLUMNS) for p in paths], ignore_index=True)
    by_name = dict(zip(units["name"], units["code"], strict=True))
    successor = raw["new_unit_2025_default"].map(by_name)
    every = raw.get("new_unit_2025_all", raw["new_unit_2025_default"])
    names = [n for cell in every for n in str(cell).split("|") if n]
    unknown = sorted({n for n in [*raw["new_unit_2025_default"], *names] if n not in by_name})
    if unknown:
        raise GeoDataError("Xã/phường kế thừa không có trong danh sách 2025: "
                           + ", ".join(unknown[:5]))
    successors = ["|".join(by_name[n] for n in str(cell).split("|") if n) or by_name[d]
                  for cell, d in zip(every, raw["new_unit_2025_default"], strict=True)]
    return pd.DataFrame({
        "code": raw["ward_code"].to_numpy(dtype=object),
        "name": raw["ward_name"].to_numpy(dtype=object),
        "ward_type": raw["ward_type"].to_numpy(dtype=object),
        "district_code": raw["district_code"].to_numpy(dtype=object),
        "lon": raw["lon"].to_numpy(dtype=np.float64),
        "lat": raw["lat"].to_numpy(dtype=np.float64),
        "successor": successor.to_numpy(dtype=object),
        "successors": np.array(successors, dtype=object),
    })


def _read_outline(path: Path) -> BaseGeometry:
    frame = _to_wgs84(gpd.read_file(path))
    geoms = frame.geometry.dropna().to_numpy()
    if len(geoms) == 0:
        raise GeoDataError(f"Tệp {path.name} không có ranh giới tỉnh.")
    return shapely.make_valid(shapely.union_all(geoms))

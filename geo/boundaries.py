"""Find and read the boundary folder (polygons + unit points) described in its README.

The files are GPL/MIT data that must not live in the repository, so they are read from a
configurable folder. Every file is optional: whatever is missing is `None` and the
gazetteer degrades (see `geo.lookup.Gazetteer`).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

log = logging.getLogger(__name__)

DISTRICTS_FILE = "thai_nguyen_districts.geojson"
PROVINCE_2025_FILE = "thai_nguyen_province_2025.geojson"
PROVINCE_LEGACY_FILE = "thai_nguyen_province.geojson"
LEGACY_UNITS_FILE = "thai_nguyen_units_legacy.csv"
UNITS_2025_FILE = "thai_nguyen_units_2025.csv"

_DISTRICT_PREFIXES = ("Thành phố ", "Thị xã ", "Huyện ", "Quận ")
_LEGACY_COLUMNS = ("district_code", "ward_code", "ward_name", "ward_type", "lat", "lon")
_UNITS_2025_COLUMNS = ("ward_code", "ward_name", "ward_type", "lat", "lon")


@dataclass(frozen=True)
class BoundaryData:
    """What was found in the folder. Frames are normalised: codes are strings, lon/lat floats."""

    districts: gpd.GeoDataFrame | None  # code, name, full_name, geometry (EPSG:4326)
    province: BaseGeometry | None  # the 2025 outline, else the pre-merger one
    province_vintage: str | None  # "2025" or "legacy"
    # code, name, ward_type, district_code, district_name, lon, lat, successors ("a|b")
    legacy_units: pd.DataFrame | None
    units_2025: pd.DataFrame | None  # code, name, ward_type, lon, lat


def read_boundaries(geo_dir: Path | None) -> BoundaryData:
    """Read whatever boundary files exist in `geo_dir`; log a warning for each missing one."""
    folder = Path(geo_dir) if geo_dir is not None else None
    if folder is None:
        log.warning("Không có thư mục ranh giới (IOC_GEO_DIR): dùng khung bao thô của tỉnh.")
    districts = _read_districts(_existing(folder, DISTRICTS_FILE))
    province, vintage = None, None
    for name, tag in ((PROVINCE_2025_FILE, "2025"), (PROVINCE_LEGACY_FILE, "legacy")):
        path = _existing(folder, name)
        if path is not None:
            province, vintage = _read_single_geometry(path), tag
            break
    return BoundaryData(
        districts=districts,
        province=province,
        province_vintage=vintage,
        legacy_units=_read_legacy_units(_existing(folder, LEGACY_UNITS_FILE)),
        units_2025=_read_units_2025(_existing(folder, UNITS_2025_FILE)),
    )


def feature_collection(geometries: list[BaseGeometry], properties: list[dict]) -> str:
    """GeoJSON FeatureCollection text; stored as text so each caller gets a fresh dict."""
    features = [
        {"type": "Feature", "properties": props, "geometry": json.loads(shapely.to_geojson(geom))}
        for geom, props in zip(geometries, properties, strict=True)
    ]
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)


def short_district_name(full_name: str) -> str:
    """'Thành phố Phổ Yên' -> 'Phổ Yên' (the CSV only has full names)."""
    for prefix in _DISTRICT_PREFIXES:
        if full_name.startswith(prefix):
            return full_name[len(prefix) :]
    return full_name


def _existing(folder: Path | None, name: str) -> Path | None:
    if folder is None:
        return None
    path = folder / name
    if path.is_file():
        return path
    log.warning("Thiếu tệp ranh giới %s trong %s.", name, folder)
    return None


def _to_wgs84(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if frame.crs is not None and not frame.crs.equals("EPSG:4326"):
        frame = frame.to_crs("EPSG:4326")
    return frame


def _read_districts(path: Path | None) -> gpd.GeoDataFrame | None:
    if path is None:
        return None
    frame = _to_wgs84(gpd.read_file(path))
    frame = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
    if frame.empty:
        return None
    out = gpd.GeoDataFrame(
        {
            "code": frame["code"].astype(str).to_numpy(dtype=object),
            "name": frame["name"].astype(str).to_numpy(dtype=object),
            "full_name": frame.get("full_name", frame["name"]).astype(str).to_numpy(dtype=object),
        },
        geometry=shapely.make_valid(frame.geometry.to_numpy()),
        crs="EPSG:4326",
    )
    return out.sort_values("code", kind="stable").reset_index(drop=True)


def _read_single_geometry(path: Path) -> BaseGeometry | None:
    frame = _to_wgs84(gpd.read_file(path))
    geoms = frame.geometry.dropna().to_numpy()
    if len(geoms) == 0:
        return None
    return shapely.make_valid(shapely.union_all(geoms))


def _read_csv(path: Path, required: tuple[str, ...]) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise ValueError(f"Tệp {path.name} thiếu cột: {', '.join(missing)}.")
    frame["lon"] = pd.to_numeric(frame["lon"], errors="coerce")
    frame["lat"] = pd.to_numeric(frame["lat"], errors="coerce")
    return frame[np.isfinite(frame["lon"]) & np.isfinite(frame["lat"])].reset_index(drop=True)


def _read_legacy_units(path: Path | None) -> pd.DataFrame | None:
    if path is None:
        return None
    raw = _read_csv(path, _LEGACY_COLUMNS)
    if raw.empty:
        return None
    district_name = raw["district_name"] if "district_name" in raw else raw["district_code"]
    successors = raw.get("new_unit_2025_all", raw.get("new_unit_2025_default", ""))
    return pd.DataFrame(
        {
            "code": raw["ward_code"].to_numpy(dtype=object),
            "name": raw["ward_name"].to_numpy(dtype=object),
            "ward_type": raw["ward_type"].to_numpy(dtype=object),
            "district_code": raw["district_code"].to_numpy(dtype=object),
            "district_name": district_name.to_numpy(dtype=object),
            "lon": raw["lon"].to_numpy(dtype=np.float64),
            "lat": raw["lat"].to_numpy(dtype=np.float64),
            "successors": pd.Series(successors, index=raw.index).to_numpy(dtype=object),
        }
    )


def _read_units_2025(path: Path | None) -> pd.DataFrame | None:
    if path is None:
        return None
    raw = _read_csv(path, _UNITS_2025_COLUMNS)
    if raw.empty:
        return None
    return pd.DataFrame(
        {
            "code": raw["ward_code"].to_numpy(dtype=object),
            "name": raw["ward_name"].to_numpy(dtype=object),
            "ward_type": raw["ward_type"].to_numpy(dtype=object),
            "lon": raw["lon"].to_numpy(dtype=np.float64),
            "lat": raw["lat"].to_numpy(dtype=np.float64),
        }
    )

"""Check an official layer of the 92 units (from 1/7/2025) before it replaces the approximate one.

`ioc geo import FILE` reads the file with `read_layer`, checks it with `check_layer` and prints
`format_report`. A refused layer must change nothing and get ONE report naming EVERY problem, so
`check_layer` never raises on a bad layer: it collects everything it finds, keeps going with a
repaired copy where it can (an invalid polygon is still used, made valid, for the overlap and gap
checks) and only hands back a normalised layer when nothing blocks it.

Decisions:
* Several features with one code are dissolved into one unit (a note): a unit made of several
  pieces is ordinary in shapefiles. If they carry different names, it is a problem instead,
  since that is what a mislabelled feature looks like.
* The normalised layer takes its names from the unit list (the product's one spelling); a name
  spelled differently in the file is a note, never a problem: the code is the key.
* A GeoPackage or zip with several layers is read only when one is named `units` (or the caller
  names one): guessing would risk importing the wrong layer without anyone noticing.
* Areas and widths are measured in the province's LAEA projection (data/geo/SOURCES.md).
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer
from shapely.errors import GEOSException
from shapely.geometry.base import BaseGeometry

LAEA = "+proj=laea +lat_0=21.7 +lon_0=105.85 +datum=WGS84"
WGS84 = "EPSG:4326"
CODE_DIGITS = 5

# Tolerances. The province outline was simplified separately at 30 m: against the 17 districts
# it already differs by 1,233 slivers up to ~30 m wide (largest 25,355 m², SOURCES.md), and lines
# from other surveys differ from the gov-GIS ones by tens of metres (SOURCES.md, limitation 4).
# So a piece (outside the outline, a gap, an overlap) is tolerated when it is a SLIVER, narrower
# than SLIVER_WIDTH_M everywhere however long it is (tested by eroding it by half that width), or
# SMALL, under MIN_PROBLEM_AREA_M2. What is left is a real error: a unit moved or missing, a hole,
# an overlap the size of a hamlet, a wrong datum (VN-2000 read without its shift to WGS 84 is
# ~220 m off, a wrong central meridian kilometres). 100 m is 3x the simplification; 1 ha
# (100 m x 100 m) is about the smallest patch a phone's GPS fix (10-30 m) places reliably.
SLIVER_WIDTH_M = 100.0
MIN_PROBLEM_AREA_M2 = 10_000.0
MAX_LISTED = 10  # gaps, overlaps, outside units, names listed one by one; the rest summarised
MAX_LISTED_MISSING = 30
_SHIFT_HINT = 5  # this many units outside AND gaps: the whole layer is probably shifted
# Without a CRS, coordinates inside this box (the province's, ±0.5°) are taken as lon/lat.
LONLAT_BOX = (104.9, 20.8, 106.8, 23.3)

_POLYGONAL = ("Polygon", "MultiPolygon")
_UNIT_PREFIXES = ("xã ", "phường ", "thị trấn ", "đặc khu ")
_LAYER_NAME = "units"
_READABLE = (".geojson", ".json", ".gpkg", ".shp", ".zip")
_REASONS = {  # GEOS is_valid_reason -> what an official reads
    "Self-intersection": "tự cắt",
    "Ring Self-intersection": "đường biên tự cắt",
    "Too few points": "quá ít điểm",
    "Interior is disconnected": "phần trong bị chia cắt",
    "Hole lies outside shell": "lỗ nằm ngoài đường biên ngoài",
    "Nested holes": "các lỗ lồng nhau",
    "Nested shells": "các vùng lồng nhau",
    "Duplicate Rings": "vòng trùng lặp",
    "Invalid Coordinate": "tọa độ không hợp lệ",
    "Ring is not closed": "vòng không khép kín",
}
_REASON_AT = re.compile(r"^(?P<what>[^\[]+)\[(?P<x>\S+) (?P<y>\S+)\]\s*$")
_CP1258_TONES = set("ÌìÒÞò")  # cp1258 combining tone bytes read as Latin-1; never in real names


class LayerError(ValueError):
    """The file cannot be read as a layer; the message (Vietnamese) names the file."""


@dataclass(frozen=True, eq=False)
class LayerCheck:
    """Everything found in one layer; `layer` is the normalised layer, only when nothing blocks."""

    problems: tuple[str, ...]
    notes: tuple[str, ...]
    layer: gpd.GeoDataFrame | None = None  # code (5 digits), name, geometry (EPSG:4326), by code
    union_area_km2: float | None = None
    # largest overlap piece, tolerated ones included (when all overlaps together are under
    # MIN_PROBLEM_AREA_M2 they are not measured one by one: their total, an upper bound)
    largest_overlap_m2: float | None = None
    largest_gap_m2: float | None = None  # largest piece of the outline not covered by any unit

    @property
    def ok(self) -> bool:
        return not self.problems


# -- reading --------------------------------------------------------------------------------------


def read_layer(path: Path, layer: str | None = None) -> gpd.GeoDataFrame:
    """Read GeoJSON, GeoPackage, a shapefile or a zip holding one; LayerError when unreadable.

    Notes about the reading (layer chosen, text encoding repaired) travel in
    `frame.attrs["read_notes"]`, which `check_layer` adds to its notes.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if not path.is_file():
        raise LayerError(f"Không tìm thấy tệp {path}.")
    if suffix not in _READABLE:
        raise LayerError(f"Tệp {path}: định dạng {suffix or '(không có đuôi)'} chưa được hỗ trợ; "
                         "hãy dùng GeoJSON, Shapefile (.shp hoặc .zip) hoặc GeoPackage (.gpkg).")
    notes: list[str] = []
    source = str(path)
    try:
        if suffix == ".zip":
            inner = _shapefile_in_zip(path, layer)
            source = f"/vsizip/{path.resolve()}/{inner}"
            layer = None
        if suffix == ".gpkg" and layer is None:
            layer = _pick_layer(path, source, notes)
        frame = gpd.read_file(source, layer=layer, engine="pyogrio")
    except LayerError:
        raise
    except (RuntimeError, OSError, ValueError, zipfile.BadZipFile) as exc:
        raise LayerError(f"Không đọc được tệp {path}: {exc}") from exc
    if not isinstance(frame, gpd.GeoDataFrame) or len(frame) == 0:
        raise LayerError(f"Tệp {path} không có đối tượng nào.")
    if suffix in (".shp", ".zip"):
        frame = _repair_text(frame, notes)
    frame.attrs["read_notes"] = tuple(notes)
    return frame


def _shapefile_in_zip(path: Path, wanted: str | None) -> str:
    with zipfile.ZipFile(path) as archive:
        names = [n for n in archive.namelist()
                 if n.lower().endswith(".shp") and not n.startswith("__MACOSX/")]
    if not names:
        raise LayerError(f"Tệp nén {path} không chứa Shapefile (.shp).")
    if len(names) == 1:
        return names[0]
    wanted = (wanted or _LAYER_NAME).casefold()
    chosen = [n for n in names if Path(n).stem.casefold() == wanted]
    if len(chosen) == 1:
        return chosen[0]
    raise LayerError(f"Tệp nén {path} chứa {len(names)} Shapefile ({', '.join(names)}); "
                     f"hãy chỉ để một, hoặc đặt tên lớp các đơn vị là “{_LAYER_NAME}”.")


def _pick_layer(path: Path, source: str, notes: list[str]) -> str | None:
    listed = gpd.list_layers(source)
    spatial = [str(n) for n, kind in zip(listed["name"], listed["geometry_type"], strict=True)
               if kind is not None]
    if len(spatial) <= 1:
        return spatial[0] if spatial else None
    named = [n for n in spatial if n.casefold() == _LAYER_NAME]
    if len(named) == 1:
        notes.append(f"Tệp có {len(spatial)} lớp; đã dùng lớp “{named[0]}”.")
        return named[0]
    raise LayerError(f"Tệp {path} có {len(spatial)} lớp bản đồ ({', '.join(spatial)}); không biết "
                     f"lớp nào là ranh giới đơn vị: hãy đặt tên lớp đó là “{_LAYER_NAME}”.")


def _repair_text(frame: gpd.GeoDataFrame, notes: list[str]) -> gpd.GeoDataFrame:
    """A .dbf without its .cpg is read as Latin-1; Vietnamese UTF-8 or cp1258 text then shows as
    “PhÆ°á»ng”. Re-decode a text column when every value round-trips, so names stay readable."""
    for column in frame.columns:
        series = frame[column]
        if column == frame.geometry.name or not (pd.api.types.is_object_dtype(series)
                                                 or pd.api.types.is_string_dtype(series)):
            continue
        values = [v for v in frame[column] if isinstance(v, str)]
        try:
            raw = [v.encode("latin-1") for v in values]
        except UnicodeEncodeError:
            continue  # already real Unicode text
        if not any(max(r, default=0) > 0x7F for r in raw):
            continue
        try:
            fixed, encoding = [r.decode("utf-8") for r in raw], "UTF-8"
        except UnicodeDecodeError:
            if not any(_CP1258_TONES & set(v) for v in values):
                continue
            fixed, encoding = [r.decode("cp1258") for r in raw], "Windows-1258"
        mapping = {v: unicodedata.normalize("NFC", f) for v, f in zip(values, fixed, strict=True)}
        frame[column] = frame[column].map(lambda v, m=mapping: m.get(v, v) if isinstance(v, str)
                                          else v)
        notes.append(f"Cột {column} được đọc lại theo bảng mã {encoding} (tệp thiếu .cpg).")
    return frame


# -- checking -------------------------------------------------------------------------------------


class _Findings:
    """Problems and notes collected so far, and the unit list (code -> name) they refer to."""

    def __init__(self, known: dict[str, str]) -> None:
        self.known = known
        self.problems: list[str] = []
        self.notes: list[str] = []


@dataclass
class _Features:
    """The layer's features after the attribute checks, in EPSG:4326, one row per feature."""

    codes: list[str | None]
    names: list[str | None]
    geoms: np.ndarray  # polygonal or None (unusable), already made valid
    has_codes: bool = True  # False: no code column (one problem says so, not one per feature)


def check_layer(frame: gpd.GeoDataFrame, units: pd.DataFrame, outline: BaseGeometry
                ) -> LayerCheck:
    """Check `frame` against the unit list (code, name) and the province `outline` (EPSG:4326).

    Never raises on a bad layer: every problem is collected, all at once.
    """
    known = {str(c).strip().zfill(CODE_DIGITS): str(n) for c, n in
             zip(units["code"], units["name"], strict=True)}
    found = _Findings(known)
    found.notes.extend(getattr(frame, "attrs", {}).get("read_notes", ()))
    geo = _usable_frame(frame, found)
    if geo is None:
        return LayerCheck(tuple(found.problems), tuple(found.notes))
    features = _read_attributes(geo, found)
    georeferenced = _to_wgs84(geo, found)
    # without a usable CRS the shapes are still checked, in the file's own coordinates
    features.geoms = _check_geometries(georeferenced if georeferenced is not None else geo,
                                       features, found)
    units_by_code = _check_codes(features, known, found)
    labels, geoms = _dissolve(features, units_by_code, known)
    figures: dict[str, float | None] = {}
    if georeferenced is not None and len(geoms):
        try:
            figures = _check_space(labels, geoms, outline, found)
        except GEOSException as exc:
            found.problems.append(f"Không kiểm tra được chồng lấn và khe hở do lỗi hình học: {exc}.")
    layer = None
    if not found.problems:
        layer = _normalised(labels, geoms, known)
    return LayerCheck(tuple(found.problems), tuple(found.notes), layer,
                      figures.get("union_km2"), figures.get("overlap_m2"), figures.get("gap_m2"))


def _usable_frame(frame: Any, found: _Findings) -> gpd.GeoDataFrame | None:
    if not isinstance(frame, gpd.GeoDataFrame):
        found.problems.append("Dữ liệu không phải một lớp bản đồ (không có cột hình học).")
        return None
    try:
        frame.geometry  # noqa: B018 - raises when no geometry column is active
    except AttributeError:
        found.problems.append("Lớp không có cột hình học (geometry).")
        return None
    if len(frame) == 0:
        found.problems.append("Lớp không có đối tượng nào.")
        return None
    return frame


def _find_column(frame: gpd.GeoDataFrame, wanted: str) -> str | None:
    columns = [str(c) for c in frame.columns if c != frame.geometry.name]
    if wanted in columns:
        return wanted
    matches = [c for c in columns if c.strip().casefold() == wanted]
    return matches[0] if len(matches) == 1 else None


def _read_attributes(frame: gpd.GeoDataFrame, found: _Findings) -> _Features:
    code_col, name_col = _find_column(frame, "code"), _find_column(frame, "name")
    present = ", ".join(str(c) for c in frame.columns if c != frame.geometry.name) or "không có"
    for wanted, column, what in (("code", code_col, "mã đơn vị (5 chữ số)"),
                                 ("name", name_col, "tên đơn vị")):
        if column is None:
            found.problems.append(f"Thiếu cột “{wanted}” ({what}); các cột trong tệp: {present}.")
    names: list[str | None] = [None] * len(frame)
    if name_col is not None:
        names = [_text(v) for v in frame[name_col]]
    empty = np.empty(0, dtype=object)
    if code_col is None:
        return _Features([None] * len(frame), names, empty, has_codes=False)
    codes, zero_filled = _normalise_codes(frame[code_col])
    if zero_filled:
        found.notes.append("Mã đơn vị ghi dạng số đã mất số 0 đứng đầu; đã bổ sung cho đủ "
                           f"{CODE_DIGITS} chữ số (ví dụ 1840 → 01840).")
    return _Features(codes, names, empty)


def _text(value: object) -> str | None:
    if value is None or (not isinstance(value, str) and bool(pd.isna(value))):
        return None
    text = " ".join(unicodedata.normalize("NFC", str(value)).split())
    return text or None


def _normalise_codes(values: pd.Series) -> tuple[list[str | None], bool]:
    codes: list[str | None] = []
    zero_filled = False
    for value in values:
        if isinstance(value, float | np.floating) and float(value).is_integer():
            value = int(value)
        text = _text(value)
        if text is not None and re.fullmatch(r"\d+\.0+", text):
            text = text.split(".")[0]
        if text is not None and re.fullmatch(r"[0-9]+", text) and len(text) < CODE_DIGITS:
            text, zero_filled = text.zfill(CODE_DIGITS), True
        codes.append(text)
    return codes, zero_filled


def _to_wgs84(frame: gpd.GeoDataFrame, found: _Findings) -> gpd.GeoDataFrame | None:
    crs = frame.crs
    if crs is None:
        if _looks_lonlat(frame.geometry.to_numpy()):
            found.notes.append("Lớp không khai báo hệ tọa độ; tọa độ là kinh độ/vĩ độ trong tỉnh "
                               "nên được coi là WGS 84 (EPSG:4326).")
            return frame.set_crs(WGS84)
        found.problems.append("Lớp không khai báo hệ tọa độ và tọa độ không phải kinh độ/vĩ độ "
                              "trong tỉnh; hãy xuất lại kèm hệ tọa độ (với Shapefile là tệp .prj).")
        return None
    if CRS.from_user_input(crs).equals(CRS.from_epsg(4326), ignore_axis_order=True):
        return frame
    try:
        moved = frame.to_crs(WGS84)
    except Exception as exc:  # pyproj raises several kinds; all mean "cannot reproject"
        found.problems.append(f"Không chuyển được hệ tọa độ {_crs_label(crs)} sang WGS 84: {exc}.")
        return None
    bounds = shapely.bounds(moved.geometry.to_numpy())
    if not np.isfinite(bounds[~np.isnan(bounds).all(axis=1)]).all():
        found.problems.append(f"Chuyển hệ tọa độ {_crs_label(crs)} sang WGS 84 cho tọa độ vô "
                              "nghĩa; hệ tọa độ khai báo có lẽ không đúng với dữ liệu.")
        return None
    found.notes.append(f"Đã chuyển từ hệ tọa độ {_crs_label(crs)} sang WGS 84 (EPSG:4326).")
    return moved


def _crs_label(crs: CRS) -> str:
    """"VN-2000 / UTM zone 48N (EPSG:3405)"; a home-made .prj shows its PROJ string instead."""
    if crs.name and crs.name != "unknown":
        epsg = crs.to_epsg(min_confidence=90)
        return f"{crs.name} (EPSG:{epsg})" if epsg else crs.name
    return f"tự khai báo “{crs.to_string()}”"


def _looks_lonlat(geoms: np.ndarray) -> bool:
    bounds = shapely.bounds(geoms)
    bounds = bounds[~np.isnan(bounds).any(axis=1)]
    if not len(bounds):
        return False
    west, south, east, north = LONLAT_BOX
    return bool(bounds[:, 0].min() >= west and bounds[:, 1].min() >= south
                and bounds[:, 2].max() <= east and bounds[:, 3].max() <= north)


def _label(features: _Features, row: int, first: bool = False) -> str:
    code = features.codes[row]
    text = f"đơn vị {code} (đối tượng thứ {row + 1})" if code else f"đối tượng thứ {row + 1}"
    return text[0].upper() + text[1:] if first else text


def _check_geometries(frame: gpd.GeoDataFrame, features: _Features, found: _Findings
                      ) -> np.ndarray:
    """Polygonal geometry per feature (None when unusable), made valid after the problem is noted."""
    geoms = np.asarray(frame.geometry.to_numpy(), dtype=object).copy()
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    for row in np.flatnonzero(~present):
        found.problems.append(f"{_label(features, row, first=True)} không có hình học.")
        geoms[row] = None
    geoms[present] = shapely.force_2d(geoms[present])
    kinds = shapely.get_type_id(geoms)
    for row in np.flatnonzero(present & (kinds != 3) & (kinds != 6)):
        kind = geoms[row].geom_type
        if kinds[row] == 7:  # say what the collection holds
            kind += f" ({', '.join(sorted({p.geom_type for p in shapely.get_parts(geoms[row])}))})"
        found.problems.append(f"{_label(features, row, first=True)} có hình học kiểu {kind}, "
                              "không phải vùng (Polygon/MultiPolygon).")
        geoms[row] = None
    usable = ~shapely.is_missing(geoms)
    invalid = np.flatnonzero(usable & ~shapely.is_valid(geoms))
    for row in invalid:
        reason = _reason(shapely.is_valid_reason(geoms[row]))
        found.problems.append(f"Hình học của {_label(features, row)} không hợp lệ: {reason}; "
                              "sửa được bằng công cụ Fix Geometries của QGIS.")
        geoms[row] = _polygonal(shapely.make_valid(geoms[row]))
    return geoms


def _reason(text: str) -> str:
    match = _REASON_AT.match(text)
    if match is None:
        return _REASONS.get(text.strip(), text)
    what = match["what"].strip()
    try:
        x, y = float(match["x"]), float(match["y"])
    except ValueError:
        return _REASONS.get(what, what)
    if abs(x) <= 180 and abs(y) <= 90:
        where = f" tại {y:.5f}, {x:.5f} (vĩ độ, kinh độ)"
    else:  # no usable CRS: the file's own coordinates
        where = f" tại x = {x:.2f}, y = {y:.2f} (tọa độ trong tệp)"
    return _REASONS.get(what, what) + where


def _polygonal(geom: BaseGeometry | None) -> BaseGeometry | None:
    if geom is None or geom.geom_type in _POLYGONAL:
        return geom
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in _POLYGONAL]
    if not parts:
        return None
    return shapely.make_valid(shapely.union_all(parts))


def _check_codes(features: _Features, known: dict[str, str], found: _Findings
                 ) -> dict[str, list[int]]:
    """Rows per known code; unknown, conflicting and missing codes go into the problems."""
    if not features.has_codes:
        return {}
    rows_by_code: dict[str, list[int]] = defaultdict(list)
    unknown: dict[str, list[int]] = defaultdict(list)
    for row, code in enumerate(features.codes):
        if code is None:
            found.problems.append(f"Đối tượng thứ {row + 1} không có mã đơn vị.")
        elif code in known:
            rows_by_code[code].append(row)
        else:
            unknown[code].append(row)
    for code, rows in unknown.items():
        shown = [n for n in dict.fromkeys(features.names[r] for r in rows) if n]
        named = f" (tên trong tệp: {', '.join(shown)})" if shown else ""
        found.problems.append(f"Mã {code}{named} không có trong danh sách {len(known)} đơn vị "
                              "hành chính của tỉnh.")
    renamed: list[str] = []
    for code, rows in sorted(rows_by_code.items()):
        names = [n for n in dict.fromkeys(features.names[r] for r in rows) if n]
        if len(names) > 1:
            quoted = ", ".join(f"“{n}”" for n in names)
            found.problems.append(f"Mã {code} được gán cho {len(rows)} đối tượng mang tên khác "
                                  f"nhau: {quoted}.")
        elif len(rows) > 1:
            found.notes.append(f"Đơn vị {code} {known[code]} gồm {len(rows)} đối tượng; đã gộp "
                               "thành một vùng.")
        if len(names) == 1 and not _same_name(names[0], known[code]):
            renamed.append(f"{code} “{names[0]}” (danh sách: “{known[code]}”)")
    missing = [c for c in sorted(known) if c not in rows_by_code]
    if missing:
        listed = [f"{c} {known[c]}" for c in missing[:MAX_LISTED_MISSING]]
        more = len(missing) - len(listed)
        found.problems.append(f"Thiếu {len(missing)} trong {len(known)} đơn vị: {', '.join(listed)}"
                              + (f" và {more} đơn vị khác." if more else "."))
    if renamed:
        more = len(renamed) - MAX_LISTED
        found.notes.append(f"{len(renamed)} tên khác danh sách, dùng tên theo danh sách: "
                           + "; ".join(renamed[:MAX_LISTED]) + (f"; và {more} tên khác." if more > 0
                                                                else "."))
    return rows_by_code


def _same_name(given: str, listed: str) -> bool:
    """Equal apart from case, spacing and the type prefix ("Phường Đức Xuân" = "Đức Xuân")."""
    def key(name: str) -> str:
        text = " ".join(unicodedata.normalize("NFC", name).casefold().split())
        for prefix in _UNIT_PREFIXES:
            if text.startswith(prefix):
                return text[len(prefix):]
        return text
    return key(given) == key(listed)


def _dissolve(features: _Features, rows_by_code: dict[str, list[int]], known: dict[str, str]
              ) -> tuple[list[str], np.ndarray]:
    """One geometry per unit (EPSG:4326); unknown or code-less features are kept under a label so
    the overlap and gap checks still see the ground they cover."""
    labels: list[str] = []
    geoms: list[BaseGeometry] = []
    for code, rows in sorted(rows_by_code.items()):
        parts = [features.geoms[r] for r in rows if features.geoms[r] is not None]
        if parts:
            labels.append(code)
            geoms.append(parts[0] if len(parts) == 1 else _polygonal(shapely.union_all(parts)))
    for row, code in enumerate(features.codes):
        if (code is None or code not in known) and features.geoms[row] is not None:
            labels.append(f"?{row}")
            geoms.append(features.geoms[row])
    return labels, np.array(geoms, dtype=object)


def _describe(label: str, known: dict[str, str]) -> str:
    if label.startswith("?"):
        return f"đối tượng thứ {int(label[1:]) + 1}"
    return f"{label} {known.get(label, '')}".strip()


# -- space: outside, overlaps, gaps ---------------------------------------------------------------


@cache
def _transformers() -> tuple[Transformer, Transformer]:
    return (Transformer.from_crs(WGS84, LAEA, always_xy=True),
            Transformer.from_crs(LAEA, WGS84, always_xy=True))


def _to_metres(geoms: Any) -> Any:
    forward = _transformers()[0]
    return shapely.transform(geoms, lambda x, y: forward.transform(x, y), interleaved=False)


def _where(piece: BaseGeometry) -> str:
    """A point inside `piece` (LAEA) as "lat, lon", ready to paste into a map search box."""
    point = piece.representative_point()
    lon, lat = _transformers()[1].transform(point.x, point.y)
    return f"{lat:.5f}, {lon:.5f}"


def _significant(pieces: np.ndarray) -> np.ndarray:
    """Pieces (LAEA) that are neither slivers nor small: see the tolerances at the top."""
    areas = shapely.area(pieces)
    keep = areas >= MIN_PROBLEM_AREA_M2
    if keep.any():
        core = shapely.buffer(pieces[keep], -SLIVER_WIDTH_M / 2, quad_segs=2)
        keep[keep] = ~shapely.is_empty(core)
    return keep


def _area(m2: float) -> str:
    if m2 == 0:
        return "0 m²"
    if m2 < 1:
        return "dưới 1 m²"
    if m2 >= 100_000:
        return f"{_number(m2 / 1e6, 2)} km²"
    return f"{_number(m2, 0)} m²"


def _number(value: float, decimals: int) -> str:
    """Vietnamese style: 8.389,13."""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def _check_space(labels: list[str], geoms: np.ndarray, outline: BaseGeometry, found: _Findings
                 ) -> dict[str, float | None]:
    """Outside the outline, overlaps and gaps, in LAEA; returns the figures."""
    metres = _to_metres(geoms)
    province = _to_metres(shapely.make_valid(outline))
    # An exact coverage (edges shared vertex for vertex, as a topology-checked official layer is)
    # has no overlap and unions ~7x faster; anything else takes the general path.
    coverage = bool(shapely.coverage_is_valid(metres))
    union = None
    if coverage:
        try:
            union = shapely.coverage_union_all(metres)
        except GEOSException:
            coverage = False
    if union is None:
        union = shapely.union_all(metres)
    figures: dict[str, float | None] = {"union_km2": union.area / 1e6}
    if not union.intersects(province):
        distance = _number(union.distance(province) / 1000, 1)
        found.problems.append(f"Không đơn vị nào nằm trong tỉnh (lớp cách ranh giới tỉnh {distance}"
                              " km): hệ tọa độ khai báo có lẽ không đúng với dữ liệu.")
        return figures
    tree = shapely.STRtree(metres)
    outside = _outside(labels, metres, tree, union, province, found)
    # All overlaps together are the sum of the areas minus the union's. Under the area tolerance
    # no single piece can matter, so the costly pairwise search is skipped and the total stands
    # in for the largest piece (an upper bound).
    overlap_total = max(float(shapely.area(metres).sum()) - union.area, 0.0)
    if coverage or overlap_total < MIN_PROBLEM_AREA_M2:
        figures["overlap_m2"] = 0.0 if coverage else overlap_total
    else:
        figures["overlap_m2"] = _overlaps(labels, metres, tree, found)
    figures["gap_m2"], gaps = _gaps(labels, tree, union, province, found)
    if min(outside, gaps) >= _SHIFT_HINT:
        found.notes.insert(0, "Nhiều đơn vị vừa lấn ra ngoài vừa để hở dọc ranh giới tỉnh: cả lớp "
                              "có lẽ bị lệch do hệ tọa độ. Với VN-2000, kiểm tra tệp .prj có tham số "
                              "chuyển sang WGS 84 (TOWGS84) và đúng kinh tuyến trục.")
    return figures


def _tolerated(kind: str, pieces: np.ndarray, keep: np.ndarray, found: _Findings) -> None:
    if (~keep).any():
        total = float(shapely.area(pieces[~keep]).sum())
        found.notes.append(f"Bỏ qua {(~keep).sum()} {kind} (tổng {_area(total)}): hẹp dưới "
                           f"{SLIVER_WIDTH_M:.0f} m hoặc nhỏ dưới {MIN_PROBLEM_AREA_M2 / 1e4:.0f} "
                           "ha, trong dung sai.")


def _outside(labels: list[str], metres: np.ndarray, tree: shapely.STRtree, union: BaseGeometry,
             province: BaseGeometry, found: _Findings) -> int:
    """Units reaching out of the province beyond tolerance; returns how many."""
    pieces = shapely.get_parts(shapely.difference(union, province))
    if not len(pieces):
        return 0
    keep = _significant(pieces)
    _tolerated("mảnh nằm ngoài ranh giới tỉnh", pieces, keep, found)
    by_unit: dict[int, list[BaseGeometry]] = defaultdict(list)
    for piece in pieces[keep]:
        for unit in tree.query(piece, predicate="intersects"):
            inside = shapely.intersection(metres[unit], piece)
            if inside.area > 0:
                by_unit[int(unit)].append(inside)
    lines = []
    for unit, parts in by_unit.items():
        area = sum(p.area for p in parts)
        share = area / max(metres[unit].area, 1e-9)
        how = "toàn bộ" if share > 0.999 else f"{_number(100 * share, 0)} % diện tích"
        biggest = max(parts, key=lambda p: p.area)
        lines.append((area, f"Đơn vị {_describe(labels[unit], found.known)} có {_area(area)} ({how}) "
                            f"nằm ngoài ranh giới tỉnh, quanh {_where(biggest)}."))
    _add_capped(found, lines, "đơn vị khác nằm một phần ngoài ranh giới tỉnh")
    return len(lines)


def _overlaps(labels: list[str], metres: np.ndarray, tree: shapely.STRtree, found: _Findings
              ) -> float:
    left, right = tree.query(metres, predicate="intersects")
    pairs = left < right
    left, right = left[pairs], right[pairs]
    inner = shapely.relate_pattern(metres[left], metres[right], "2********")
    left, right = left[inner], right[inner]
    if not len(left):
        return 0.0
    shared = shapely.intersection(metres[left], metres[right])
    all_pieces, all_keep, lines = [], [], []
    for a, b, common in zip(left, right, shared, strict=True):
        pieces = np.array([p for p in shapely.get_parts(common) if p.geom_type == "Polygon"],
                          dtype=object)
        if not len(pieces):
            continue
        keep = _significant(pieces)
        all_pieces.append(pieces)
        all_keep.append(keep)
        if keep.any():
            area = float(shapely.area(pieces[keep]).sum())
            biggest = pieces[keep][np.argmax(shapely.area(pieces[keep]))]
            lines.append((area, f"Đơn vị {_describe(labels[a], found.known)} và "
                                f"{_describe(labels[b], found.known)} chồng lấn nhau {_area(area)}, "
                                f"quanh {_where(biggest)}."))
    if not all_pieces:
        return 0.0
    pieces, keep = np.concatenate(all_pieces), np.concatenate(all_keep)
    _tolerated("mảnh chồng lấn giữa các đơn vị", pieces, keep, found)
    _add_capped(found, lines, "cặp đơn vị khác chồng lấn nhau")
    return float(shapely.area(pieces).max())


def _gaps(labels: list[str], tree: shapely.STRtree, union: BaseGeometry, province: BaseGeometry,
          found: _Findings) -> tuple[float, int]:
    """Ground of the province no unit covers; returns the largest piece and how many matter."""
    pieces = shapely.get_parts(shapely.difference(province, union))
    if not len(pieces):
        return 0.0, 0
    keep = _significant(pieces)
    _tolerated("khe hở giữa lớp và ranh giới tỉnh hoặc giữa các đơn vị", pieces, keep, found)
    lines = []
    for piece in pieces[keep]:
        near = tree.query(piece, predicate="dwithin", distance=SLIVER_WIDTH_M)
        names = sorted(_describe(labels[i], found.known) for i in near)
        beside = f" (giáp {', '.join(names[:4])}{'…' if len(names) > 4 else ''})" if names else ""
        lines.append((piece.area, f"Khe hở {_area(piece.area)} trong tỉnh không thuộc đơn vị nào, "
                                  f"quanh {_where(piece)}{beside}."))
    _add_capped(found, lines, "khe hở khác")
    return float(shapely.area(pieces).max()), len(lines)


def _add_capped(found: _Findings, lines: list[tuple[float, str]], rest: str) -> None:
    """Largest first; past MAX_LISTED, one line says how many more and how much area."""
    lines.sort(key=lambda item: -item[0])
    found.problems.extend(text for _, text in lines[:MAX_LISTED])
    if len(lines) > MAX_LISTED:
        more = lines[MAX_LISTED:]
        found.problems.append(f"… và {len(more)} {rest}, tổng {_area(sum(a for a, _ in more))}.")


def _normalised(labels: list[str], geoms: np.ndarray, known: dict[str, str]) -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame({"code": labels, "name": [known[c] for c in labels]},
                             geometry=list(geoms), crs=WGS84)
    return frame.sort_values("code", kind="stable").reset_index(drop=True)


# -- the report -----------------------------------------------------------------------------------


def format_report(check: LayerCheck, source_name: str) -> str:
    """The one report an official reads: every problem numbered, then the notes."""
    if check.problems:
        lines = [f"Lớp ranh giới {source_name} bị từ chối: {len(check.problems)} vấn đề. "
                 "Chưa thay đổi gì; hãy sửa rồi nhập lại."]
        lines += [f"{i}. {text}" for i, text in enumerate(check.problems, start=1)]
    else:
        count = len(check.layer) if check.layer is not None else 0
        figures = []
        if check.union_area_km2 is not None:
            figures.append(f"tổng diện tích {_number(check.union_area_km2, 2)} km²")
        if check.largest_overlap_m2 is not None:
            figures.append(f"chồng lấn lớn nhất {_area(check.largest_overlap_m2)}")
        if check.largest_gap_m2 is not None:
            figures.append(f"khe hở lớn nhất {_area(check.largest_gap_m2)}")
        lines = [f"Lớp ranh giới {source_name} hợp lệ: {count} đơn vị"
                 + (f", {', '.join(figures)}" if figures else "") + "."]
        lines.append(f"Dung sai: bỏ qua dải hẹp dưới {SLIVER_WIDTH_M:.0f} m và mảnh nhỏ dưới "
                     f"{MIN_PROBLEM_AREA_M2 / 1e4:.0f} ha.")
    if check.notes:
        lines.append("Ghi chú:")
        lines += [f"- {text}" for text in check.notes]
    return "\n".join(lines)

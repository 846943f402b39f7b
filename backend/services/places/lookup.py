"""Locating a point: the gazetteer over the geography folder and the unit layer in use.

The layer in use is the newest `ioc geo import` (table unit_layers) or, with none, the shipped
approximate polygons. Each process checks which one every `LAYER_CHECK_SECONDS`, so a layer
taken on one host is used by every host within that time, and by the importing one at once.
"""

from __future__ import annotations

import math
import threading
import time
from datetime import UTC, datetime
from functools import lru_cache

from backend.config import database_url, geo_dir
from backend.services.errors import ValidationError
from backend.services.places import layers
from geo import Gazetteer, Location, OutsideProvince

LAYER_CHECK_SECONDS = 10.0
# NQ 1683/NQ-UBTVQH15: the units of 1/7/2025 (00:00 Asia/Ho_Chi_Minh) replace the districts
UNITS_2025_FROM = datetime(2025, 6, 30, 17, 0, tzinfo=UTC)

_checked: dict[str, tuple[float, int | None]] = {}  # database URL -> (when, layer in use)
_lock = threading.Lock()


@lru_cache(maxsize=4)
def _gazetteer_for(layer_id: int | None, url: str | None) -> Gazetteer:
    shapes = layers.layer_shapes(layer_id, url) if layer_id is not None else None
    return Gazetteer.load(geo_dir(), shapes)


def gazetteer(url: str | None = None) -> Gazetteer:
    """The gazetteer of `backend.config.geo_dir()` with the unit layer in use in the database
    (`url`, default the configured one)."""
    key = url or database_url()
    now = time.monotonic()
    seen = _checked.get(key)
    if seen is None or now - seen[0] >= LAYER_CHECK_SECONDS:
        seen = (now, layers.current_layer_id(key))
        with _lock:
            _checked[key] = seen
    return _gazetteer_for(seen[1], key if seen[1] is not None else None)


def layer_changed() -> None:
    """Look at the layer in use again on the next lookup (after an import)."""
    with _lock:
        _checked.clear()


def locate(lon: float, lat: float) -> Location:
    """Locate a point, turning bad or outside coordinates into a clear validation error."""
    for name, value in (("lat", lat), ("lon", lon)):
        if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
            raise ValidationError(name, f"Tọa độ '{name}' không hợp lệ.")
    try:
        return gazetteer().locate(float(lon), float(lat))
    except OutsideProvince as exc:
        raise ValidationError("lat", str(exc), code="outside_province") from exc
    except ValueError as exc:
        raise ValidationError("lat", str(exc)) from exc


def map_bounds() -> list[list[float]]:
    """[[south, west], [north, east]] of the province (Leaflet's order) for a map's first view:
    from the boundary data, so the whole province as it is now is in sight."""
    west, south, east, north = gazetteer().extent()
    return [[round(south, 3), round(west, 3)], [round(north, 3), round(east, 3)]]


def place_columns(place: Location, at: datetime) -> dict[str, str | None]:
    """A report's place columns: its unit, and the former district and commune only when it is
    dated before 1/7/2025 (afterwards they no longer exist)."""
    former = at < UNITS_2025_FROM
    return {
        "unit_code": place.unit_code,
        "former_district_code": place.former_district_code if former else None,
        "former_commune_code": place.former_commune_code if former else None,
    }

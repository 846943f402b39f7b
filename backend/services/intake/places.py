"""Where a report is: its district and commune from the boundary data (geo/), loaded once."""

from __future__ import annotations

import math
from functools import lru_cache

from backend.config import geo_dir
from backend.services.errors import ValidationError
from geo import Gazetteer, Location, OutsideProvince


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    """The boundaries and unit points of `backend.config.geo_dir()` (`IOC_GEO_DIR` or `data/geo/`)."""
    return Gazetteer.load(geo_dir())


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

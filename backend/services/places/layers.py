"""The unit boundary layer: which one is in use, and taking the province's official one
(`ioc geo import FILE`) after geo/layer_check.py finds nothing wrong with it."""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass

import geopandas as gpd
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError, ProgrammingError

from backend.storage.db import session_factory
from backend.storage.models import UnitLayer
from geo.boundaries import UnitShapes, unit_shapes_from_frame

log = logging.getLogger(__name__)


def current_layer_id(url: str | None = None) -> int | None:
    """The newest imported layer's id, None when the shipped approximate one is in use (or the
    database has no schema yet)."""
    try:
        with session_factory(url)() as session:
            return session.scalar(select(func.max(UnitLayer.id)))
    except (OperationalError, ProgrammingError):
        return None


def layer_shapes(layer_id: int, url: str | None = None) -> UnitShapes:
    """The polygons of an imported layer."""
    with session_factory(url)() as session:
        layer = session.get(UnitLayer, layer_id)
        if layer is None:
            raise LookupError(f"không có lớp ranh giới số {layer_id}")
        frame = gpd.read_file(io.StringIO(layer.geojson))
        return unit_shapes_from_frame(frame, approximate=False, source=layer.source_name)


@dataclass(frozen=True)
class ImportOutcome:
    """What `import_layer` did: taken or not, and the one report to show."""

    taken: bool
    report: str
    layer_id: int | None = None

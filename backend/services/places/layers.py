"""The unit boundary layer: which one is in use, and taking the province's official one
(`ioc geo import FILE`) after geo/layer_check.py finds nothing wrong with it."""

from __future__ import annotations

import hashlib
import io
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from backend.config import geo_dir
from backend.services.audit import append_system_event
from backend.storage.db import session_factory
from backend.storage.models import Report, UnitLayer
from geo import Gazetteer
from geo.boundaries import UnitShapes, read_boundaries, unit_shapes_from_frame
from geo.layer_check import LayerCheck, LayerError, check_layer, format_report, read_layer

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


def check_file(path: Path, layer: str | None = None
               ) -> tuple[LayerCheck, gpd.GeoDataFrame | None]:
    """Read and check a layer against the 92 units and the 17 former districts' union (the
    outline the shipped polygons follow exactly). Never raises for a bad layer."""
    places = read_boundaries(geo_dir())
    units = places.units[["code", "name"]]
    outline = shapely.union_all(places.former_districts.geometry.to_numpy())
    try:
        frame = read_layer(Path(path), layer)
    except LayerError as exc:
        return LayerCheck(problems=(str(exc),), notes=(), layer=None), None
    check = check_layer(frame, units, outline)
    return check, check.layer


def import_layer(path: Path, actor: str, *, layer: str | None = None, url: str | None = None,
                 now: datetime | None = None) -> ImportOutcome:
    """`ioc geo import FILE`: take the province's official unit layer after validation, or
    change nothing and explain every problem at once. A taken layer is stored whole (every
    host reads it from the database), logged in the system history, and used by lookups,
    maps and aggregates at once in this process (within lookup.LAYER_CHECK_SECONDS in others)."""
    source = Path(path).name
    check, frame = check_file(path, layer)
    report = format_report(check, source)
    if not check.ok or frame is None:
        return ImportOutcome(False, report)
    text = frame.to_json(ensure_ascii=False, drop_id=True)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    now = now or datetime.now(UTC)
    gazetteer = Gazetteer.load(geo_dir(), unit_shapes_from_frame(frame, approximate=False,
                                                                 source=source))
    with session_factory(url)() as session, session.begin():
        taken = UnitLayer(source_name=source[:255], sha256=digest, geojson=text,
                          imported_at=now, imported_by=actor)
        session.add(taken)
        session.flush()
        moved = _place_again(session, gazetteer)
        append_system_event(session, at=now, actor=actor, role="admin", action="geo.import",
                            note=f"Nhận lớp ranh giới xã/phường {source}; {moved} phản ánh "
                                 "được xếp lại xã/phường theo lớp mới",
                            data={"layer": taken.id, "source": source, "sha256": digest,
                                  "units": len(frame), "reports_moved": moved,
                                  "area_km2": round(check.union_area_km2 or 0.0, 3)})
        layer_id = taken.id
    log.info("unit layer %s taken from %s (%s), %s reports moved", layer_id, source,
             digest[:12], moved)
    return ImportOutcome(True, report + f"\nĐã xếp lại xã/phường cho {moved} phản ánh.",
                         layer_id)


def _place_again(session: Session, gazetteer: Gazetteer, batch: int = 50_000) -> int:
    """Put every report in the unit the new layer gives its point (the former units stay: they
    are history); returns how many changed unit. Reads in id order, writes only the changes."""
    moved, last = 0, 0
    while True:
        rows = session.execute(select(Report.id, Report.lon, Report.lat, Report.unit_code)
                               .where(Report.id > last).order_by(Report.id).limit(batch)).all()
        if not rows:
            return moved
        last = rows[-1].id
        found = gazetteer.locate_many(np.array([r.lon for r in rows], dtype=float),
                                      np.array([r.lat for r in rows], dtype=float))
        changes = [{"rid": r.id, "unit": unit}
                   for r, unit in zip(rows, found["unit_code"], strict=True)
                   if unit is not None and unit != r.unit_code]
        if changes:
            session.execute(update(Report.__table__).where(Report.__table__.c.id == bindparam("rid"))
                            .values(unit_code=bindparam("unit")), changes)
            moved += len(changes)


def layer_in_use(url: str | None = None) -> dict[str, Any]:
    """Which unit layer is in use, for `ioc geo status` and the admin page."""
    layer_id = current_layer_id(url)
    if layer_id is None:
        return {"approximate": True, "source": "thai_nguyen_units_2025_approx.geojson",
                "imported_at": None, "imported_by": None, "sha256": None}
    with session_factory(url)() as session:
        taken = session.get(UnitLayer, layer_id)
        return {"approximate": False, "source": taken.source_name,
                "imported_at": taken.imported_at, "imported_by": taken.imported_by,
                "sha256": taken.sha256}

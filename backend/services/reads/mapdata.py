"""Report points for maps: open and recent (24 h) reports with their SLA colour, no personal data.

Screens fetch the points only when the data version changes (DASH.md: re-sending points every tick
blocks the browser), so the version is cheap (two indexed maxima) and the points are computed once
per version and minute: the SLA colour moves with the clock even when no report changes.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select

from backend.domain.workflow import OPEN_STATES
from backend.services.places.catalogue import place_index
from backend.storage.db import session_factory
from backend.storage.models import Report

RECENT = timedelta(days=1)  # open reports and those that moved in the last 24 hours
_OPEN = tuple(s.value for s in OPEN_STATES)


def data_version(url: str | None = None) -> str:
    """Changes whenever a report is added or moves (newest id, latest update)."""
    with session_factory(url)() as session:
        newest, updated = session.execute(
            select(func.max(Report.id), func.max(Report.updated_at))).one()
    stamp = int(updated.timestamp()) if updated else 0
    return f"{newest or 0}-{stamp}"


def sla_colour(stage_due: datetime | None, risk_at: datetime | None,
               notified: datetime | None, now: datetime) -> str:
    """on_time / at_risk / overdue / overdue_notified, or `none` when no desk is on the clock."""
    if stage_due is None:
        return "none"
    if stage_due < now:
        return "overdue_notified" if notified is not None else "overdue"
    if risk_at is not None and risk_at <= now:
        return "at_risk"
    return "on_time"


def points(now: datetime, url: str | None = None) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of open reports and those that moved in the last day."""
    with session_factory(url)() as session:
        rows = session.execute(
            select(Report.code, Report.lon, Report.lat, Report.state, Report.field_code,
                   Report.unit_code, Report.emergency, Report.stage, Report.stage_due,
                   Report.stage_risk_at, Report.progress_notice_at)
            .where(or_(Report.state.in_(_OPEN), Report.updated_at >= now - RECENT),
                   Report.state_secret.is_(False))
        ).all()
    area_of = place_index(url).unit_to_area()
    features = [
        {"type": "Feature",
         "geometry": {"type": "Point", "coordinates": [round(lon, 5), round(lat, 5)]},
         "properties": {"code": code, "state": state, "field": field, "unit": unit,
                        "area": area_of.get(unit),
                        "emergency": bool(emergency), "stage": stage,
                        "sla": sla_colour(due, risk, notice, now)}}
        for code, lon, lat, state, field, unit, emergency, stage, due, risk, notice in rows
    ]
    return {"type": "FeatureCollection", "features": features}

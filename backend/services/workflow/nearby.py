"""Possible duplicates for triage (D6-D7): open reports of the same field near a given one.

Two citizens often report the same broken road or pile of rubbish; the IOC handler sees the open
reports of the same field within a short distance before forwarding a second copy. The database
narrows the search with a bounding box (plain comparisons on lat/lon, any backend, helped by the
state index since open reports are few); the exact great-circle distance is computed here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from backend.domain.workflow import OPEN_STATES, STATE_LABELS_VI, State
from backend.services.errors import NotFound
from backend.storage.db import session_factory
from backend.storage.models import Report
from geo.nearest import EARTH_RADIUS_M

DEFAULT_RADIUS_M = 250.0
_OPEN = tuple(s.value for s in OPEN_STATES)


@dataclass(frozen=True)
class Nearby:
    """One open report near the one being triaged (no personal data)."""

    code: str
    distance_m: float
    state: str
    state_label: str
    submitted_at: datetime
    description: str
    emergency: bool


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two WGS84 points."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def bounding_box(lat: float, lon: float, radius_m: float) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lon, max_lon) that contains every point within `radius_m`."""
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    cos_lat = max(math.cos(math.radians(lat)), 1e-6)
    dlon = math.degrees(radius_m / (EARTH_RADIUS_M * cos_lat))
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon


def nearby_open(code: str, radius_m: float = DEFAULT_RADIUS_M, limit: int = 20,
                as_field: str | None = None, url: str | None = None) -> list[Nearby]:
    """Open reports of the same field as `code` within `radius_m` metres, nearest first.

    A report not yet classified is compared as `as_field` when given (the field its text
    suggests), else with the open reports that have no field either. The report itself is
    never in the list.
    """
    with session_factory(url)() as session:
        origin = session.execute(select(Report.id, Report.lat, Report.lon, Report.field_code)
                                 .where(Report.code == code)).one_or_none()
        if origin is None:
            raise NotFound()
        report_id, lat, lon, field = origin
        field = field or as_field
        min_lat, max_lat, min_lon, max_lon = bounding_box(lat, lon, radius_m)
        same_field = (Report.field_code.is_(None) if field is None
                      else Report.field_code == field)
        rows = session.execute(
            select(Report.code, Report.lat, Report.lon, Report.state, Report.submitted_at,
                   Report.description, Report.emergency)
            .where(Report.state.in_(_OPEN), same_field, Report.id != report_id,
                   Report.state_secret.is_(False),
                   Report.lat.between(min_lat, max_lat), Report.lon.between(min_lon, max_lon))
        ).all()
    found = []
    for other, olat, olon, state, submitted, description, emergency in rows:
        distance = haversine_m(lat, lon, olat, olon)
        if distance <= radius_m:
            found.append(Nearby(other, round(distance, 1), state, STATE_LABELS_VI[State(state)],
                                submitted, description[:200], bool(emergency)))
    found.sort(key=lambda n: (n.distance_m, n.code))
    return found[:limit]

"""What the IOC wall screen shows, in one read-only snapshot without any personal data.

The wall (D2.2d) is polled by many screens; the dashboard caches one snapshot per data version
and minute, so this runs once for all of them. Every figure here is an aggregate over indexed
columns (state, submitted_at, stage_due, the stored stage and its due and at-risk instants), so no
per-row calendar work is needed: the deadlines were computed when each report moved.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, case, func, select

from backend import vietnamese as vn
from backend.config import LOCAL_TZ
from backend.domain.workflow import (
    AT_AGENCY_STATES,
    OPEN_STATES,
    STATE_LABELS_VI,
    WITH_IOC_STATES,
    State,
)
from backend.services import kpis
from backend.services.places.catalogue import PlaceIndex, place_index
from backend.storage.db import session_factory
from backend.storage.models import Agency, Field, Report

_OPEN = tuple(s.value for s in OPEN_STATES)
_AT_IOC = tuple(s.value for s in WITH_IOC_STATES)
_AT_AGENCY = tuple(s.value for s in AT_AGENCY_STATES)
_DONE = ("published", "answered_privately", "closed")
TICKER_SIZE = 12
ON_TIME_KEY, SATISFIED_KEY = "rate.on_time.e2e", "rate.satisfied"


@dataclass(frozen=True)
class WallKpis:
    received_today: int
    waiting_at_ioc: int
    at_agencies: int
    overdue_now: int
    at_risk_now: int
    emergencies_open: int
    on_time_rate: float | None  # KPI rate.on_time.e2e of this month's reports (docs/kpis.md)
    satisfaction_rate: float | None  # KPI rate.satisfied of this month's reports


def local_midnight(now: datetime) -> datetime:
    """The start of today in Vietnam, as an aware instant."""
    return datetime.combine(now.astimezone(LOCAL_TZ).date(), time(), LOCAL_TZ)


def month_start(now: datetime) -> datetime:
    local = now.astimezone(LOCAL_TZ)
    return datetime(local.year, local.month, 1, tzinfo=LOCAL_TZ)


def live_counts(session, now: datetime) -> dict[str, int]:
    """Figures that move with every report: received today, waiting, overdue now."""
    today = local_midnight(now)
    received = session.scalar(select(func.count()).select_from(Report)
                              .where(Report.submitted_at >= today)) or 0
    open_rows = dict(session.execute(
        select(Report.state, func.count()).where(Report.state.in_(_OPEN)).group_by(Report.state)
    ).all())
    overdue, at_risk, emergencies = session.execute(
        select(func.count(case((Report.stage_due < now, 1))),
               func.count(case((and_(Report.stage_due >= now, Report.stage_risk_at <= now), 1))),
               func.count(case((Report.emergency.is_(True), 1))))
        .where(Report.state.in_(_OPEN))
    ).one()
    return {"received_today": received,
            "waiting_at_ioc": sum(n for s, n in open_rows.items() if s in _AT_IOC),
            "at_agencies": sum(n for s, n in open_rows.items() if s in _AT_AGENCY),
            "overdue_now": overdue, "at_risk_now": at_risk, "emergencies_open": emergencies}


def month_rates(now: datetime, url: str | None = None) -> dict[str, float | None]:
    """This month's on-time rate (end to end) and satisfaction, as the KPIs define them
    (backend/services/kpis/), so the wall shows the leaders' and the packs' numbers."""

    local = now.astimezone(LOCAL_TZ)
    figures = kpis.snapshot(kpis.Period.month(local.year, local.month), now=now,
                           url=url).figures(hours=False)
    return {"on_time_rate": figures.get(ON_TIME_KEY), "satisfaction_rate": figures.get(SATISFIED_KEY)}


def ticker(session, now: datetime, limit: int = TICKER_SIZE) -> list[dict[str, Any]]:
    """The newest reports: code, time, field, unit, state and where (no more precise than the
    map's points); state-secret ones left out."""
    rows = session.execute(
        select(Report.code, Report.submitted_at, Report.state, Report.emergency,
               Field.name, Report.unit_code, Report.lon, Report.lat)
        .outerjoin(Field, Field.code == Report.field_code)
        .where(Report.state_secret.is_(False))
        .order_by(Report.id.desc()).limit(limit)
    ).all()
    return [{"code": code, "at": vn.time_day(at),
             "state": STATE_LABELS_VI[State(state)], "emergency": bool(emg),
             "field": field or "Chưa phân loại", "unit": unit,
             "lon": round(lon, 5), "lat": round(lat, 5)}
            for code, at, state, emg, field, unit, lon, lat in rows]


def open_by_unit(session, now: datetime) -> dict[str, dict[str, int]]:
    """Per unit: open reports and how many of them are overdue."""
    rows = session.execute(
        select(Report.unit_code, func.count(), func.count(case((Report.stage_due < now, 1))))
        .where(Report.state.in_(_OPEN)).group_by(Report.unit_code)
    ).all()
    return {code: {"open": n_open, "overdue": n_over} for code, n_open, n_over in rows if code}


def received_by_unit(session, now: datetime, days: int = 30) -> dict[str, int]:
    """Per unit: reports received in the last `days` days (the choropleth's volume)."""
    rows = session.execute(
        select(Report.unit_code, func.count())
        .where(Report.submitted_at >= now - timedelta(days=days))
        .group_by(Report.unit_code)
    ).all()
    return {code: n for code, n in rows if code}


def agency_unit(session, now: datetime) -> list[dict[str, Any]]:
    """Open reports at agencies per (agency, unit) with how many are overdue: the SLA heatmap's
    cells before they are summed by area."""
    rows = session.execute(
        select(Report.agency_code, Agency.short_name, Agency.name, Report.unit_code,
               func.count(), func.count(case((Report.stage_due < now, 1))))
        .join(Agency, Agency.code == Report.agency_code)
        .where(Report.state.in_(_OPEN), Report.agency_code.is_not(None))
        .group_by(Report.agency_code, Agency.short_name, Agency.name, Report.unit_code)
    ).all()
    return [{"agency": code, "agency_name": short or name, "unit": unit,
             "open": n, "overdue": over}
            for code, short, name, unit, n, over in rows if unit]


def snapshot(now: datetime, url: str | None = None) -> dict[str, Any]:
    """What moves with every report, as plain JSON-able data (cached per data version)."""
    with session_factory(url)() as session:
        return {
            "at": vn.clock(now),
            "live": live_counts(session, now),
            "ticker": ticker(session, now),
            "open_by_unit": open_by_unit(session, now),
            "unit_matrix": agency_unit(session, now),
        }


def slow_snapshot(now: datetime, url: str | None = None) -> dict[str, Any]:
    """Month-long figures that a few minutes do not change (cached for minutes, not versions)."""
    with session_factory(url)() as session:
        received = received_by_unit(session, now)
    return {"month": month_rates(now, url), "received_30d": received}


def combine(fast: dict[str, Any], slow: dict[str, Any], places: PlaceIndex) -> dict[str, Any]:
    """The two snapshots as the wall shows them: tiles with rates; units and areas with open,
    overdue and received figures; the heatmap's cells by (agency, area)."""
    tiles = WallKpis(**fast["live"], **slow["month"])
    units: dict[str, dict[str, int]] = {}
    for code in set(fast["open_by_unit"]) | set(slow["received_30d"]):
        open_ = fast["open_by_unit"].get(code, {"open": 0, "overdue": 0})
        units[code] = {**open_, "received_30d": slow["received_30d"].get(code, 0)}
    area_of = places.unit_to_area()
    areas: dict[str, dict[str, int]] = {}
    for code, figures in units.items():
        area = areas.setdefault(area_of.get(code, "-"), {"open": 0, "overdue": 0,
                                                          "received_30d": 0})
        for key, value in figures.items():
            area[key] += value
    cells: dict[tuple[str, str], dict[str, Any]] = {}
    for cell in fast["unit_matrix"]:
        key = (cell["agency"], area_of.get(cell["unit"], "-"))
        out = cells.setdefault(key, {"agency": cell["agency"], "agency_name": cell["agency_name"],
                                     "area": key[1], "open": 0, "overdue": 0})
        out["open"] += cell["open"]
        out["overdue"] += cell["overdue"]
    return {**fast, "kpis": asdict(tiles), "units": units, "areas": areas,
            "matrix": list(cells.values())}


def full_snapshot(now: datetime, url: str | None = None) -> dict[str, Any]:
    """Both snapshots combined, uncached (tests, exports, one-off reads)."""
    return combine(snapshot(now, url), slow_snapshot(now, url), place_index(url))

"""The working calendar in force: the data file's seasons plus the database's override days.

Administrators edit override days in the database (CALENDAR.md: the holidays library is not
always current); the engine is rebuilt only when that list changes.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from backend.domain.sla import SlaPolicy, load_sla_policy
from backend.domain.worktime import WorkCalendar, load_calendar_spec
from backend.storage.db import session_factory
from backend.storage.models import CalendarOverride


@lru_cache(maxsize=16)
def _calendar_for(overrides: tuple[tuple[date, bool], ...] | None) -> WorkCalendar:
    return WorkCalendar(load_calendar_spec(overrides=overrides))


def override_days(session: Session) -> tuple[tuple[date, bool], ...]:
    """The override list as stored, in a hashable, ordered form."""
    rows = session.execute(select(CalendarOverride.day, CalendarOverride.working)
                           .order_by(CalendarOverride.day))
    return tuple((day, bool(working)) for day, working in rows)


def calendar_from_session(session: Session) -> WorkCalendar:
    """The calendar with this database's overrides (falls back to the file when the table is empty)."""
    overrides = override_days(session)
    return _calendar_for(overrides or None)


def current_calendar(url: str | None = None) -> WorkCalendar:
    """The calendar for the configured database; the file's defaults if it is not reachable yet."""
    try:
        with session_factory(url)() as session:
            return calendar_from_session(session)
    except SQLAlchemyError:
        return _calendar_for(None)


@lru_cache(maxsize=1)
def sla_policy() -> SlaPolicy:
    """Stage budgets from `data/sla.toml` (read once per process)."""
    return load_sla_policy()

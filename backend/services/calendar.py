"""The working calendar in force: the data file's seasons plus the database's override days.

Administrators edit override days in the database (CALENDAR.md: the holidays library is not
always current). Every transaction that computes a deadline reads the override list as it is in
that transaction (several worker processes serve the app: none may trust what it saw before),
and each process keeps the engines it built keyed by that list, so a calendar is built only when
the list changes. On PostgreSQL the list comes as one text value (`overrides_text`), which the
submission reads in the same round trip as its new id.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from sqlalchemy import ScalarSelect, Text, cast, func, literal_column, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from backend.domain.sla import SlaPolicy
from backend.domain.worktime import Season, WorkCalendar
from backend.services import admin_settings
from backend.services.admin_settings import Settings
from backend.storage.db import session_factory
from backend.storage.models import CalendarOverride


def _calendar_for(overrides: tuple[tuple[date, bool], ...] | None,
                  seasons: tuple[Season, ...] | None = None) -> WorkCalendar:
    return admin_settings.calendar_with(overrides, seasons)  # cached there


def override_days(session: Session) -> tuple[tuple[date, bool], ...]:
    """The override list as stored, in a hashable, ordered form."""
    rows = session.execute(select(CalendarOverride.day, CalendarOverride.working)
                           .order_by(CalendarOverride.day))
    return tuple((day, bool(working)) for day, working in rows)


@lru_cache(maxsize=1)
def overrides_text() -> ScalarSelect[str | None]:
    """PostgreSQL: the override list as one value, `2026-04-25:true,2026-05-01:false,...` by day
    (NULL when empty): a scalar subquery that another statement can carry."""
    entry = (func.to_char(CalendarOverride.day, "YYYY-MM-DD") + ":"
             + cast(CalendarOverride.working, Text))
    return select(func.string_agg(entry, aggregate_order_by(literal_column("','"),
                                                            CalendarOverride.day))
                  ).scalar_subquery()


@lru_cache(maxsize=16)
def calendar_from_text(text: str | None,
                       seasons: tuple[Season, ...] | None = None) -> WorkCalendar:
    """The calendar for an `overrides_text` value (one engine per distinct list and process)."""
    if not text:
        return _calendar_for(None, seasons)
    days = []
    for item in text.split(","):
        day, working = item.split(":")
        days.append((date.fromisoformat(day), working == "true"))
    return _calendar_for(tuple(days), seasons)


def calendar_from_session(session: Session, settings: Settings | None = None) -> WorkCalendar:
    """The calendar with this database's overrides and working seasons (the file's when the
    tables are empty); `settings` when the caller has already read them in this transaction."""
    if session.get_bind().dialect.name == "postgresql":
        if settings is not None:
            return calendar_from_text(session.execute(select(overrides_text())).scalar(),
                                      settings.seasons)
        text, stored = session.execute(select(overrides_text(),  # one round trip for both
                                              admin_settings.settings_text())).one()
        return calendar_from_text(text, admin_settings.settings_from_text(stored).seasons)
    seasons = (settings or admin_settings.stored_settings(session)).seasons
    overrides = override_days(session)
    return _calendar_for(overrides or None, seasons)


def current_calendar(url: str | None = None) -> WorkCalendar:
    """The calendar for the configured database; the file's defaults if it is not reachable yet."""
    try:
        with session_factory(url)() as session:
            return calendar_from_session(session)
    except SQLAlchemyError:
        return _calendar_for(None)


def sla_policy(settings: Settings | None = None) -> SlaPolicy:
    """Stage budgets: `data/sla.toml` with the administrator's (`stage_budgets`) when given
    the settings this transaction read (`admin_settings.stored_settings`)."""
    return admin_settings.policy_with(settings.budgets if settings else ())

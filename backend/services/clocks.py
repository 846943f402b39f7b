"""The clocks in force: the working calendar and the stage budgets a deadline is computed with.

`data/calendar.toml` and `data/sla.toml` are the starting point; an administrator's changes live
in the database (`calendar_overrides`, `stage_budgets`, `work_seasons`), so every worker process
and host sees the same rules (CALENDAR.md: the holidays library is not always current). Every
transaction that computes a deadline reads them as they are in that transaction (several workers
serve the app: none may trust what it saw before), and each process keeps what it built keyed by
the values read, so a calendar or a policy is built only when the stored rules change: a change is
a new key, never a stale rule. On PostgreSQL the override list and the settings come as text
values (`overrides_text`, `settings_text`), scalar subqueries that ride in the same round trip as
other columns (the submission reads them with its new id). This module only reads; the writes
are in `backend.services.admin.calendar`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

import numpy as np
from sqlalchemy import Executable, ScalarSelect, String, Text, cast, func, literal_column, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from backend.domain.sla import SlaPolicy
from backend.domain.stages import current_stage
from backend.domain.worktime import Season, Shift, WorkCalendar, from_epoch_seconds
from backend.reference.rules import load_calendar_spec, load_sla_policy
from backend.storage.db import session_factory
from backend.storage.models import CalendarOverride, Report, StageBudgetSetting, WorkSeasonSetting

# (stage, minutes, emergency_minutes), ordered by stage: hashable, so it can key a cache
BudgetRows = tuple[tuple[str, int, int], ...]
# (name, "dd/mm" start, "dd/mm" end, shifts JSON), ordered by name
SeasonRows = tuple[tuple[str, str, str, str], ...]


@dataclass(frozen=True)
class Settings:
    """What the administrator changed over the data files (empty: the files apply as shipped)."""

    budgets: BudgetRows = ()
    seasons: tuple[Season, ...] | None = None


@lru_cache(maxsize=1)
def file_policy() -> SlaPolicy:
    """The budgets of `data/sla.toml` (the regulation's limits), read once per process."""
    return load_sla_policy()


@lru_cache(maxsize=1)
def settings_text() -> ScalarSelect[str]:
    """Both tables as one text value, `verify:120:30;...#winter=15/10=14/4=[[...]];...`: a
    scalar subquery another statement can carry (one round trip, SQLite and PostgreSQL)."""
    budgets = select(func.aggregate_strings(
        StageBudgetSetting.stage + ":" + cast(StageBudgetSetting.minutes, String) + ":"
        + cast(StageBudgetSetting.emergency_minutes, String), ";")).scalar_subquery()
    seasons = select(func.aggregate_strings(
        WorkSeasonSetting.name + "=" + WorkSeasonSetting.start + "=" + WorkSeasonSetting.end
        + "=" + WorkSeasonSetting.shifts, ";")).scalar_subquery()
    return select(func.coalesce(budgets, "") + "#" + func.coalesce(seasons, "")).scalar_subquery()


@lru_cache(maxsize=64)
def settings_from_text(text: str | None) -> Settings:
    """The `settings_text()` value as `Settings` (entries sorted: the order rows come in from
    the aggregate does not matter)."""
    if not text or text == "#":
        return Settings()
    budget_part, _, season_part = text.partition("#")
    budgets = tuple(sorted((stage, int(minutes), int(emergency))
                           for stage, minutes, emergency in
                           (item.split(":") for item in budget_part.split(";") if item)))
    rows = tuple(sorted(tuple(item.split("=", 3)) for item in season_part.split(";") if item))
    return Settings(budgets=budgets, seasons=seasons_from_rows(rows))  # type: ignore[arg-type]


def stored_settings(session: Session) -> Settings:
    """The administrator's settings as this transaction sees them (one query)."""
    return settings_from_text(session.execute(select(settings_text())).scalar())


def stored_budgets(session: Session) -> BudgetRows:
    """The administrator's stage budgets as stored (empty when none was changed)."""
    return stored_settings(session).budgets


def stored_seasons(session: Session) -> tuple[Season, ...] | None:
    """The administrator's seasons, or None while the file's apply."""
    return stored_settings(session).seasons


@lru_cache(maxsize=32)
def policy_with(rows: BudgetRows) -> SlaPolicy:
    """`data/sla.toml` with the stored budgets laid over it (stages not stored keep the file's)."""
    base = file_policy()
    if not rows:
        return base
    budgets = dict(base.budgets)
    for stage, minutes, emergency in rows:
        if stage in budgets:
            budgets[stage] = replace(budgets[stage], minutes=minutes, emergency_minutes=emergency)
    return SlaPolicy(budgets=budgets, at_risk=base.at_risk)


def effective_policy(session: Session) -> SlaPolicy:
    """The stage budgets in force for this database."""
    return policy_with(stored_budgets(session))


def parse_day_month(value: str) -> tuple[int, int]:
    """'15/10' (day/month, as the regulation writes it) -> (10, 15)."""
    day, month = (int(part) for part in value.split("/"))
    return month, day


def season_from_row(name: str, start: str, end: str, shifts: str) -> Season:
    """One stored row as the engine's `Season`."""
    return Season(name=name, start=parse_day_month(start), end=parse_day_month(end),
                  shifts=tuple(Shift(time.fromisoformat(a), time.fromisoformat(b))
                               for a, b in json.loads(shifts)))


@lru_cache(maxsize=32)
def seasons_from_rows(rows: SeasonRows) -> tuple[Season, ...] | None:
    """The seasons the stored rows describe; None when there are none (the file's apply)."""
    if not rows:
        return None
    return tuple(season_from_row(*row) for row in rows)


@lru_cache(maxsize=32)
def calendar_with(overrides: tuple[tuple[date, bool], ...] | None,
                  seasons: tuple[Season, ...] | None) -> WorkCalendar:
    """A calendar from the file with the override list and (when given) the seasons replaced."""
    spec = load_calendar_spec(overrides=overrides)
    if seasons:
        spec = replace(spec, seasons=seasons)
    return WorkCalendar(spec)


def effective_calendar(session: Session) -> WorkCalendar:
    """The working calendar in force for this database: override days and seasons included."""
    return calendar_with(override_days(session) or None, stored_seasons(session))


def _calendar_for(overrides: tuple[tuple[date, bool], ...] | None,
                  seasons: tuple[Season, ...] | None = None) -> WorkCalendar:
    return calendar_with(overrides, seasons)  # cached there


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
                                              settings_text())).one()
        return calendar_from_text(text, settings_from_text(stored).seasons)
    seasons = (settings or stored_settings(session)).seasons
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
    the settings this transaction read (`stored_settings`)."""
    return policy_with(settings.budgets if settings else ())


@dataclass(frozen=True)
class Clocks:
    """The calendar and budgets in force for one transaction."""

    calendar: WorkCalendar
    policy: SlaPolicy

    def due(self, stage: str, start: datetime, emergency: bool, minutes: int | None = None) -> datetime:
        """Deadline of a stage started at `start`; emergencies run on clock time (D6.2 … D10.1)."""
        budget = self.policy.budgets[stage]
        if emergency:
            return start + timedelta(minutes=budget.emergency_minutes)
        working = budget.minutes if minutes is None else min(minutes, budget.minutes)
        return self.calendar.deadline_one(start, working)

    def intake(self, start: datetime, emergency: bool) -> tuple[datetime, datetime, datetime]:
        """A report arriving at `start`: (verify due, forward due, instant verify is at risk).

        The same instants as `due` ×2 and `risk_at` on the verify stage, in one pass over the
        calendar: `elapsed(a, deadline(a, m)) == m` exactly (`WorkCalendar.elapsed`), so the
        verify stage's at-risk point is `deadline(a, int(m · at_risk))`.
        """
        if emergency:
            verify = self.due("verify", start, True)
            return verify, self.due("forward", start, True), self.risk_at(start, verify, True)
        verify_minutes = self.policy.budgets["verify"].minutes
        dues = self.calendar.deadline(start, np.array([
            verify_minutes, self.policy.budgets["forward"].minutes,
            int(float(verify_minutes) * self.policy.at_risk)]))
        verify, forward, risk = (from_epoch_seconds(int(value)) for value in dues.view(np.int64))
        return verify, forward, risk

    def risk_at(self, start: datetime, due: datetime, emergency: bool) -> datetime:
        """The instant `at_risk` of the stage's time is used (same rule as sla.stage_status)."""
        if emergency:
            return start + (due - start) * self.policy.at_risk
        total = self.calendar.elapsed_one(start, due)
        return self.calendar.deadline_one(start, int(total * self.policy.at_risk))


def clocks_in(session: Session) -> Clocks:
    """The calendar and stage budgets with the administrator's settings (D13.4), read in this
    transaction so every worker sees a change at once (one round trip on PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        overrides, text = session.execute(_overrides_and_settings()).one()
        settings = settings_from_text(text)
        return Clocks(calendar_from_text(overrides, settings.seasons), sla_policy(settings))
    settings = stored_settings(session)
    return Clocks(calendar_from_session(session, settings), sla_policy(settings))


@lru_cache(maxsize=1)
def _overrides_and_settings() -> Executable:
    return select(overrides_text(), settings_text())


def clocks_from_texts(overrides: str | None, settings: str | None) -> Clocks:
    """The clocks for an `overrides_text` and a `settings_text` value read by another statement."""
    stored = settings_from_text(settings)
    return Clocks(calendar_from_text(overrides, stored.seasons), sla_policy(stored))


def now_utc() -> datetime:
    return datetime.now(UTC)


def track_current_stage(report: Report, clocks: Clocks) -> None:
    """Keep `stage`, `stage_due` and `stage_risk_at` in step with the state (queues and maps)."""
    stage = current_stage(report.state)
    start = getattr(report, f"{stage}_start") if stage else None
    due = getattr(report, f"{stage}_due") if stage else None
    if stage is None or start is None or due is None:
        report.stage = report.stage_due = report.stage_risk_at = None
        return
    report.stage, report.stage_due = stage, due
    report.stage_risk_at = clocks.risk_at(start, due, report.emergency)


def start_intake_clocks(report: Report, start: datetime, clocks: Clocks) -> None:
    """Verify (D6.2) and forward (D7.1) both count from the report's arrival."""
    report.verify_start = report.forward_start = start
    report.verify_due = clocks.due("verify", start, report.emergency)
    report.forward_due = clocks.due("forward", start, report.emergency)
    report.verify_done = report.forward_done = None


def policy_in_force(url: str | None = None) -> SlaPolicy:
    """The stage budgets in force now: the file's with the administrator's changes (D13.4)."""
    with session_factory(url)() as session:
        return clocks_in(session).policy

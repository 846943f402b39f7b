"""The administrator's stage budgets and working seasons as the deadline engine must see them.

`data/sla.toml` and `data/calendar.toml` are the starting point; an administrator's changes live
in the database (`stage_budgets`, `work_seasons`, beside the override days of
`calendar_overrides`), so every worker process and host sees the same rules. This module only
reads. Like the override list (`backend.services.calendar`), the settings are read in the
transaction that computes a deadline, as one text value (`settings_text()`, a scalar subquery
that can ride in the same round trip as other columns), and each process keeps what it built
keyed by that value: a change is a new key, never a stale rule. The writes are in
`backend.services.admin_calendar`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import date, time
from functools import lru_cache

from sqlalchemy import ScalarSelect, String, cast, func, select
from sqlalchemy.orm import Session

from backend.domain.sla import SlaPolicy, load_sla_policy
from backend.domain.worktime import Season, Shift, WorkCalendar, load_calendar_spec
from backend.storage.models import StageBudgetSetting, WorkSeasonSetting

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
    from backend.services.calendar import override_days  # noqa: PLC0415 (no import cycle later)

    return calendar_with(override_days(session) or None, stored_seasons(session))

"""Deadline engine vs pandas ``CustomBusinessHour`` on the same random cases (CALENDAR.md).

pandas is the oracle only inside its limits: whole-hour shifts, one season all year, Monday to
Friday plus a holiday list (it cannot add working Saturdays), whole hours to add. So the oracle
calendar keeps the real holiday list and the override days off, uses 08:00-12:00 and
13:00-17:00 all year, and drops every make-up working day; both sides run in the "opening"
convention, which is pandas' behaviour. The tests reuse these helpers for the ≥ 100k-case check.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import holidays as holidays_lib
import numpy as np
import pandas as pd
from pandas.tseries.offsets import CustomBusinessHour

from backend.domain.worktime import CalendarSpec, Season, Shift, WorkCalendar
from backend.reference.rules import load_calendar_spec

ORACLE_SHIFTS = (("08:00", "12:00"), ("13:00", "17:00"))
MAX_HOURS = 80  # ten working days: enough to cross Tết and its weekends


@dataclass(frozen=True)
class SlaBenchResult:
    """Timings per deadline (nanoseconds) and how many cases disagreed."""

    n: int
    ours_ns: float
    pandas_ns: float
    diffs: int
    build_ms: float

    @property
    def ratio(self) -> float:
        """How many times faster ours is."""
        return self.pandas_ns / self.ours_ns if self.ours_ns > 0 else float("inf")

    def line(self) -> str:
        """The one summary line the bench ends with."""
        return (
            f"sla-bench n={self.n} ours_ns={self.ours_ns:.1f} pandas_ns={self.pandas_ns:.0f} "
            f"ratio={self.ratio:.0f} diffs={self.diffs}"
        )


def oracle_spec(spec: CalendarSpec) -> CalendarSpec:
    """``spec`` reduced to what pandas can model (see the module docstring)."""
    table = holidays_lib.country_holidays(
        spec.country, years=range(spec.first_year, spec.last_year + 1), categories=spec.categories
    )
    makeup = frozenset(getattr(table, "weekend_workdays", set()))
    shifts = tuple(
        Shift(dt.time.fromisoformat(a), dt.time.fromisoformat(b)) for a, b in ORACLE_SHIFTS
    )
    return CalendarSpec(
        seasons=(Season("all-year", (1, 1), (12, 31), shifts),),
        extra_days_off=spec.extra_days_off | makeup,
        extra_working_days=frozenset(),
        country=spec.country,
        categories=spec.categories,
        timezone=spec.timezone,
        first_year=spec.first_year,
        last_year=spec.last_year,
    )


def pandas_offsets(spec: CalendarSpec, hours: np.ndarray) -> dict[int, CustomBusinessHour]:
    """One ``CustomBusinessHour`` per distinct hour count, holidays taken straight from the library."""
    table = holidays_lib.country_holidays(
        spec.country, years=range(spec.first_year, spec.last_year + 1), categories=spec.categories
    )
    days_off = sorted(set(table) | spec.extra_days_off)
    start = [a for a, _ in ORACLE_SHIFTS]
    end = [b for _, b in ORACLE_SHIFTS]
    return {
        int(n): CustomBusinessHour(
            n=int(n), start=start, end=end, weekmask="Mon Tue Wed Thu Fri", holidays=days_off
        )
        for n in np.unique(hours)
    }


def random_cases(
    n: int, seed: int, first_year: int = 2024, last_year: int = 2027
) -> tuple[np.ndarray, np.ndarray]:
    """(UTC starts ``datetime64[s]``, whole hours to add) for ``n`` cases.

    Half the starts are any second, a quarter whole minutes, a quarter whole hours (with a
    whole-hour UTC offset these hit the shift boundaries, 12:00 and 17:00 included).
    """
    rng = np.random.default_rng(seed)
    low = np.datetime64(f"{first_year}-01-01T00:00:00", "s").astype(np.int64)
    high = np.datetime64(f"{last_year}-12-01T00:00:00", "s").astype(np.int64)
    starts = rng.integers(low, high, n)
    kind = rng.integers(0, 4, n)
    starts = np.where(kind == 2, starts - starts % 60, starts)
    starts = np.where(kind == 3, starts - starts % 3600, starts)
    hours = rng.integers(0, MAX_HOURS + 1, n)
    return starts.view("datetime64[s]"), hours


def pandas_deadlines(
    spec: CalendarSpec, starts: np.ndarray, hours: np.ndarray
) -> tuple[np.ndarray, float]:
    """pandas' answers (UTC ``datetime64[s]``) and the seconds its per-case loop took."""
    offsets = pandas_offsets(spec, hours)
    utc_offset = int(ZoneInfo(spec.timezone).utcoffset(dt.datetime(2026, 1, 1)).total_seconds())
    local = [
        pd.Timestamp(value)
        for value in (starts.astype(np.int64) + utc_offset).view("datetime64[s]")
    ]
    steps = [offsets[int(h)] for h in hours]
    clock = time.perf_counter()
    results = [moment + step for moment, step in zip(local, steps, strict=True)]
    seconds = time.perf_counter() - clock
    answers = pd.DatetimeIndex(results).as_unit("s").asi8 - utc_offset
    return answers.view("datetime64[s]"), seconds


def run_sla_bench(n: int = 100_000, seed: int = 0, repeats: int = 5) -> SlaBenchResult:
    """Time ours (one vectorised call, best of ``repeats``) and pandas (one loop) on ``n`` cases."""
    spec = oracle_spec(load_calendar_spec())
    clock = time.perf_counter()
    calendar = WorkCalendar(spec)
    build_ms = (time.perf_counter() - clock) * 1000
    starts, hours = random_cases(n, seed)
    minutes = hours * 60
    best = float("inf")
    for _ in range(max(1, repeats)):
        clock = time.perf_counter()
        ours = calendar.deadline(starts, minutes, "opening")
        best = min(best, time.perf_counter() - clock)
    theirs, pandas_seconds = pandas_deadlines(spec, starts, hours)
    diffs = int(np.count_nonzero(ours != theirs))
    return SlaBenchResult(
        n=n,
        ours_ns=best / n * 1e9,
        pandas_ns=pandas_seconds / n * 1e9,
        diffs=diffs,
        build_ms=build_ms,
    )

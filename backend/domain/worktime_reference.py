"""A slow, obviously-correct working-time reference: walk day by day, shift by shift.

It shares nothing with :mod:`backend.domain.worktime` except the specification dataclasses, so
the fast engine can be tested against it on everything pandas cannot model (split seasons,
minutes that are not whole hours, make-up Saturdays, overrides). See CALENDAR.md, "A reference to
test against". Naive datetimes mean UTC, as in the engine.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import holidays as holidays_lib

from backend.domain.worktime import CalendarSpec

_UTC = dt.UTC


def _utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        return value.replace(tzinfo=_UTC)
    return value.astimezone(_UTC)


class ReferenceCalendar:
    """Day-walking deadline and elapsed time for one :class:`CalendarSpec`."""

    def __init__(self, spec: CalendarSpec) -> None:
        self.spec = spec
        self.tz = ZoneInfo(spec.timezone)
        table = holidays_lib.country_holidays(
            spec.country,
            years=range(spec.first_year, spec.last_year + 1),
            categories=spec.categories,
        )
        self._days_off = set(table)
        self._makeup = set(getattr(table, "weekend_workdays", set()))
        self._weekend = set(getattr(table, "weekend", {5, 6}))

    def is_working_day(self, d: dt.date) -> bool:
        """Overrides first, then make-up days, holidays and the weekend."""
        if d in self.spec.extra_working_days:
            return True
        if d in self.spec.extra_days_off:
            return False
        if d in self._makeup:
            return True
        return d.weekday() not in self._weekend and d not in self._days_off

    def _check(self, moment: dt.datetime) -> None:
        year = moment.astimezone(self.tz).year
        if not self.spec.first_year <= year <= self.spec.last_year:
            raise ValueError(f"{moment.isoformat()} is outside the calendar")

    def _shifts_from(self, day: dt.date) -> Iterator[tuple[dt.datetime, dt.datetime]]:
        """Working shifts (UTC start, UTC end) from local day ``day`` on, in order."""
        while day.year <= self.spec.last_year:
            if self.is_working_day(day):
                for shift in self.spec.season_for(day).shifts:
                    start = dt.datetime.combine(day, shift.start, tzinfo=self.tz).astimezone(_UTC)
                    end = dt.datetime.combine(day, shift.end, tzinfo=self.tz).astimezone(_UTC)
                    yield start, end
            day += dt.timedelta(days=1)

    def deadline(
        self, start: dt.datetime, minutes: int, convention: str = "closing"
    ) -> dt.datetime:
        """Walk forward spending ``minutes`` of working time; aware UTC result."""
        current = _utc(start)
        self._check(current)
        remaining = dt.timedelta(minutes=minutes)
        for shift_start, shift_end in self._shifts_from(current.astimezone(self.tz).date()):
            if current >= shift_end:
                continue
            current = max(current, shift_start)
            available = shift_end - current
            if not remaining:
                return current
            if remaining < available:
                return current + remaining
            if remaining == available and convention == "closing":
                return shift_end
            remaining -= available
            current = shift_end
        raise ValueError("deadline beyond the calendar")

    def elapsed(self, start: dt.datetime, end: dt.datetime) -> float:
        """Working minutes between two instants, negative if ``end`` is earlier."""
        a, b = _utc(start), _utc(end)
        self._check(a)
        self._check(b)
        if b < a:
            return -self.elapsed(b, a)
        total = dt.timedelta()
        for shift_start, shift_end in self._shifts_from(a.astimezone(self.tz).date()):
            if shift_start >= b:
                break
            overlap = min(shift_end, b) - max(shift_start, a)
            if overlap > dt.timedelta():
                total += overlap
        return total.total_seconds() / 60.0

"""Working-time calendar: deadlines and elapsed time in state agencies' working minutes.

Deadlines in the regulation (DOMAIN.md "Deadlines", clauses D6.2, D7.1, D8, D9.2, D10.1) run in
working time: Monday to Friday, a morning and an afternoon shift that change with the season,
minus public holidays, plus the Government's make-up working Saturdays, plus an administrator's
override list (CALENDAR.md). This module turns that calendar into numbers once, then answers
deadline and elapsed-time questions for whole arrays at a time.

The calendar is a sorted array of working intervals (one per shift, UTC epoch seconds) over
``first_year..last_year`` and the cumulative working seconds before each one. That defines
``W(t)``: working seconds from the start of the range to instant ``t`` (continuous,
non-decreasing, flat outside working time). Then

* ``elapsed(a, b) = W(b) - W(a)`` and
* ``deadline(a, m) = W⁻¹(W(a) + 60·m)``, where the inverse is the left one (smallest instant with
  that much work done: a deadline that lands on a closing time *is* that closing time, the
  "closing" convention shown to people) or the right one (largest such instant: the next opening,
  pandas ``CustomBusinessHour`` behaviour, the "opening" convention).

Both are exact inverses of each other, and a clock started outside working time starts at the
next working minute for free, because ``W`` is flat there. Lookups use small bucket tables built
with ``numpy.searchsorted`` (direct indexing instead of a binary search per query, which is what
makes a deadline cost tens of nanoseconds). Resolution is one second.

Instants are UTC: numpy ``datetime64`` values and naive ``datetime`` objects are read as UTC,
aware ones are converted. Results are ``datetime64[s]`` UTC (arrays) or aware UTC datetimes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_lib
import numpy as np

CONVENTIONS = ("closing", "opening")
NAT_INT = np.iinfo(np.int64).min  # datetime64 NaT viewed as int64
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_SECOND = dt.timedelta(seconds=1)
_DAY = 86_400
_INT64_MAX = np.iinfo(np.int64).max


# --------------------------------------------------------------------------- specification


@dataclass(frozen=True)
class Shift:
    """One working session of a day, in local wall-clock time (no shift crosses midnight)."""

    start: dt.time
    end: dt.time

    def __post_init__(self) -> None:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("Giờ ca làm việc phải là giờ địa phương, không kèm múi giờ")
        if self.start >= self.end:
            raise ValueError(
                f"Ca làm việc {self.start}-{self.end}: giờ bắt đầu phải trước giờ kết thúc"
            )

    @property
    def start_second(self) -> int:
        """Seconds from local midnight to the start."""
        return _time_seconds(self.start)

    @property
    def end_second(self) -> int:
        """Seconds from local midnight to the end."""
        return _time_seconds(self.end)

    @property
    def seconds(self) -> int:
        """Length of the shift in seconds."""
        return self.end_second - self.start_second


@dataclass(frozen=True)
class Season:
    """A range of the year, (month, day) to (month, day) inclusive, with its shifts.

    The range may wrap the year end (winter: 15/10 to 14/4).
    """

    name: str
    start: tuple[int, int]
    end: tuple[int, int]
    shifts: tuple[Shift, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", tuple(self.start))
        object.__setattr__(self, "end", tuple(self.end))
        object.__setattr__(self, "shifts", tuple(self.shifts))
        for month, day in (self.start, self.end):
            try:
                dt.date(2000, month, day)  # a leap year, so 29/2 is a valid bound
            except (TypeError, ValueError) as exc:
                raise ValueError(f"Mùa '{self.name}': ngày {day}/{month} không hợp lệ") from exc
        if not self.shifts:
            raise ValueError(f"Mùa '{self.name}' không có ca làm việc nào")
        for before, after in zip(self.shifts, self.shifts[1:], strict=False):
            if after.start < before.end:
                raise ValueError(
                    f"Mùa '{self.name}': các ca phải theo thứ tự và không chồng lên nhau"
                )

    def contains(self, d: dt.date) -> bool:
        """Whether the calendar day ``d`` falls in this season."""
        key = (d.month, d.day)
        if self.start <= self.end:
            return self.start <= key <= self.end
        return key >= self.start or key <= self.end

    @property
    def working_seconds(self) -> int:
        """Working seconds in one working day of this season."""
        return sum(shift.seconds for shift in self.shifts)


@dataclass(frozen=True)
class CalendarSpec:
    """Everything that defines the working calendar; hashable, so a built calendar can be cached."""

    seasons: tuple[Season, ...]
    extra_days_off: frozenset[dt.date] = frozenset()
    extra_working_days: frozenset[dt.date] = frozenset()
    country: str = "VN"
    categories: tuple[str, ...] = ("public",)
    timezone: str = "Asia/Ho_Chi_Minh"
    first_year: int = 2015
    last_year: int = 2040

    def __post_init__(self) -> None:
        object.__setattr__(self, "seasons", tuple(self.seasons))
        object.__setattr__(self, "extra_days_off", frozenset(self.extra_days_off))
        object.__setattr__(self, "extra_working_days", frozenset(self.extra_working_days))
        object.__setattr__(self, "categories", tuple(self.categories))
        if not self.seasons:
            raise ValueError("Lịch làm việc cần ít nhất một mùa")
        if self.first_year > self.last_year:
            raise ValueError("Năm đầu của lịch phải không sau năm cuối")
        both = self.extra_days_off & self.extra_working_days
        if both:
            raise ValueError(
                f"Ngày {min(both).isoformat()} vừa là ngày nghỉ vừa là ngày làm việc bổ sung"
            )
        day = dt.date(2000, 1, 1)
        while day.year == 2000:  # every (month, day), 29/2 included, in exactly one season
            count = sum(season.contains(day) for season in self.seasons)
            if count != 1:
                problem = "không thuộc mùa nào" if count == 0 else "thuộc nhiều mùa"
                raise ValueError(f"Ngày {day.day}/{day.month} {problem}")
            day += dt.timedelta(days=1)

    def season_for(self, d: dt.date) -> Season:
        """The season of calendar day ``d``."""
        return next(season for season in self.seasons if season.contains(d))


@dataclass(frozen=True)
class CalendarOverride:
    """One administrator override: a day off or a working day on top of the holidays library."""

    day: dt.date
    working: bool
    note: str = ""


# --------------------------------------------------------------------------- loading


def _time_seconds(value: dt.time) -> int:
    return value.hour * 3600 + value.minute * 60 + value.second


def _parse_time(value: Any, where: str) -> dt.time:
    if isinstance(value, dt.time):
        return value
    try:
        return dt.time.fromisoformat(str(value))
    except ValueError as exc:
        raise ValueError(f"{where}: giờ '{value}' không hợp lệ (dạng HH:MM)") from exc


def _parse_day_month(value: Any, where: str) -> tuple[int, int]:
    """'15/10' (day/month, as the regulation writes it) -> (10, 15)."""
    try:
        day, month = (int(part) for part in str(value).split("/"))
    except ValueError as exc:
        raise ValueError(
            f"{where}: ngày '{value}' không hợp lệ (dạng ngày/tháng, ví dụ 15/10)"
        ) from exc
    return month, day


def _parse_date(value: Any, where: str) -> dt.date:
    if isinstance(value, dt.datetime):
        raise ValueError(f"{where}: cần một ngày, không phải thời điểm")
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise ValueError(f"{where}: ngày '{value}' không hợp lệ (dạng YYYY-MM-DD)") from exc


def calendar_overrides_from(raw: Mapping[str, Any],
                            source: str = "calendar.toml") -> tuple[CalendarOverride, ...]:
    """The override days as `data/calendar.toml` writes them, with their notes (they seed the
    administrator's table); errors name `source`."""
    result = []
    for number, item in enumerate(raw.get("overrides", []), start=1):
        where = f"{source} overrides[{number}]"
        if "day" not in item or "working" not in item:
            raise ValueError(f"{where}: cần 'day' và 'working'")
        result.append(
            CalendarOverride(
                day=_parse_date(item["day"], where),
                working=bool(item["working"]),
                note=str(item.get("note", "")),
            )
        )
    return tuple(result)


def calendar_spec_from(
    raw: Mapping[str, Any], source: str = "calendar.toml",
    overrides: Iterable[tuple[dt.date, bool]] | None = None,
) -> CalendarSpec:
    """The calendar as `data/calendar.toml` writes it (read by `backend.reference.rules`).

    ``overrides`` (day, is_working) replaces the file's override list when given: the database
    holds the list an administrator edits, the file only its starting point.
    """
    seasons = []
    for number, item in enumerate(raw.get("seasons", []), start=1):
        where = f"{source} seasons[{number}]"
        try:
            shifts = tuple(
                Shift(_parse_time(start, where), _parse_time(end, where))
                for start, end in item["shifts"]
            )
            seasons.append(
                Season(
                    name=str(item["name"]),
                    start=_parse_day_month(item["start"], where),
                    end=_parse_day_month(item["end"], where),
                    shifts=shifts,
                )
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(
                f"{where}: cần name, start, end và shifts = [[bắt đầu, kết thúc], ...]"
            ) from exc
    if overrides is None:
        overrides = [(item.day, item.working) for item in calendar_overrides_from(raw, source)]
    by_day: dict[dt.date, bool] = {}
    for day, working in overrides:
        by_day[_parse_date(day, "override")] = bool(working)
    library = raw.get("holidays", {})
    defaults = CalendarSpec.__dataclass_fields__
    return CalendarSpec(
        seasons=tuple(seasons),
        extra_days_off=frozenset(day for day, working in by_day.items() if not working),
        extra_working_days=frozenset(day for day, working in by_day.items() if working),
        country=str(library.get("country", defaults["country"].default)),
        categories=tuple(library.get("categories", defaults["categories"].default)),
        timezone=str(raw.get("timezone", defaults["timezone"].default)),
        first_year=int(raw.get("first_year", defaults["first_year"].default)),
        last_year=int(raw.get("last_year", defaults["last_year"].default)),
    )


@lru_cache(maxsize=16)
def _holiday_table(
    country: str, categories: tuple[str, ...], first_year: int, last_year: int
) -> tuple[tuple[dt.date, ...], tuple[dt.date, ...], tuple[int, ...]]:
    """(days off, make-up working days, weekend weekdays) from the holidays library.

    Cached: the library is slow over 26 years (docs/benchmarks.md) and the answer never changes within a process.
    """
    try:
        table = holidays_lib.country_holidays(
            country, years=range(first_year, last_year + 1), categories=categories
        )
    except NotImplementedError as exc:
        raise ValueError(f"Thư viện holidays không hỗ trợ quốc gia '{country}'") from exc
    workdays = getattr(table, "weekend_workdays", set())
    weekend = getattr(table, "weekend", {5, 6})
    return tuple(sorted(table)), tuple(sorted(workdays)), tuple(sorted(weekend))


# --------------------------------------------------------------------------- instants


def epoch_seconds(value: dt.datetime) -> int:
    """UTC epoch seconds (floored) of a datetime; naive means UTC."""
    if value.tzinfo is None or value.utcoffset() is None:
        value = value.replace(tzinfo=dt.UTC)
    return (value - _EPOCH) // _SECOND


def from_epoch_seconds(seconds: int) -> dt.datetime:
    """Aware UTC datetime of epoch seconds."""
    return _EPOCH + dt.timedelta(seconds=int(seconds))


def _scalar_seconds(value: Any) -> int:
    if value is None or value != value:  # None, NaN, NaT
        return NAT_INT
    if isinstance(value, dt.datetime):
        return epoch_seconds(value)
    if isinstance(value, np.datetime64):
        return int(value.astype("datetime64[s]").astype(np.int64))
    raise TypeError(f"Không đọc được thời điểm {value!r} (cần datetime hoặc numpy datetime64)")


def to_epoch_seconds(values: Any) -> np.ndarray:
    """int64 UTC epoch seconds of instants; ``NAT_INT`` marks a missing one.

    Accepts numpy ``datetime64`` arrays (naive = UTC), datetimes (naive = UTC, aware converted),
    sequences of either, pandas objects. A scalar gives a one-element array.
    """
    if isinstance(values, np.ndarray) and values.dtype.kind == "M":
        array = values
    elif isinstance(values, dt.datetime | np.datetime64) or values is None:
        return np.array([_scalar_seconds(values)], dtype=np.int64)
    else:
        array = np.asarray(values)
    if array.dtype.kind == "M":
        if array.dtype != np.dtype("datetime64[s]"):
            array = array.astype("datetime64[s]")
        return array.view(np.int64)
    if array.dtype.kind == "O" or array.size == 0:
        flat = [_scalar_seconds(item) for item in array.ravel()]
        return np.array(flat, dtype=np.int64).reshape(array.shape)
    raise TypeError(f"Không đọc được thời điểm kiểu {array.dtype} (cần datetime64 hoặc datetime)")


def _utc_offsets(
    tz: ZoneInfo, days: np.ndarray, first_year: int, last_year: int
) -> int | np.ndarray:
    """UTC offset in seconds: one number if fixed over the range (Asia/Ho_Chi_Minh), else per day."""
    samples = {
        tz.utcoffset(dt.datetime(year, month, 1, 12))
        for year in range(first_year, last_year + 1)
        for month in (1, 4, 7, 10)
    }
    if len(samples) == 1:
        return int(samples.pop().total_seconds())
    offsets = [
        int(tz.utcoffset(dt.datetime.combine(day, dt.time(12))).total_seconds())
        for day in days.astype(dt.date)
    ]
    return np.array(offsets, dtype=np.int64)


def _bucket_shift(spacing: np.ndarray) -> int:
    """log2 of a bucket width no wider than the smallest positive gap (clamped to 2^8..2^20)."""
    positive = spacing[spacing > 0]
    smallest = int(positive.min()) if positive.size else 1 << 20
    return max(8, min(20, smallest.bit_length() - 1))


# --------------------------------------------------------------------------- the engine


class WorkCalendar:
    """Working-time arithmetic for one :class:`CalendarSpec`, vectorised over numpy arrays."""

    def __init__(self, spec: CalendarSpec) -> None:
        self.spec = spec
        try:
            tz = ZoneInfo(spec.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"Múi giờ '{spec.timezone}' không tồn tại") from exc
        self.tzinfo = tz
        first_day = dt.date(spec.first_year, 1, 1)
        days = np.arange(
            np.datetime64(first_day, "D"),
            np.datetime64(dt.date(spec.last_year + 1, 1, 1), "D"),
        )
        day_numbers = days.astype(np.int64)
        self._first_ordinal = first_day.toordinal()

        days_off, makeup_days, weekend = _holiday_table(
            spec.country, spec.categories, spec.first_year, spec.last_year
        )
        working = ~np.isin((day_numbers + 3) % 7, np.array(weekend, dtype=np.int64))  # Mon = 0

        def positions(dates: Iterable[dt.date]) -> np.ndarray:
            index = np.array(sorted(dates), dtype="datetime64[D]").astype(np.int64) - day_numbers[0]
            return index[(index >= 0) & (index < days.size)]

        working[positions(days_off)] = False
        working[positions(makeup_days)] = True
        working[positions(spec.extra_days_off)] = False
        working[positions(spec.extra_working_days)] = True
        working.flags.writeable = False
        self._working = working

        months = days.astype("datetime64[M]")
        month_day = (months.astype(np.int64) % 12 + 1) * 100 + (
            (days - months.astype("datetime64[D]")).astype(np.int64) + 1
        )
        season_index = np.full(days.size, -1, dtype=np.int64)
        for number, season in enumerate(spec.seasons):
            low = season.start[0] * 100 + season.start[1]
            high = season.end[0] * 100 + season.end[1]
            if low <= high:
                inside = (month_day >= low) & (month_day <= high)
            else:
                inside = (month_day >= low) | (month_day <= high)
            season_index[inside] = number

        offsets = _utc_offsets(tz, days, spec.first_year, spec.last_year)
        midnight = day_numbers * _DAY - offsets  # UTC instant of each local midnight
        starts, ends = [], []
        for number, season in enumerate(spec.seasons):
            chosen = working & (season_index == number)
            base = midnight[chosen]
            for shift in season.shifts:
                starts.append(base + shift.start_second)
                ends.append(base + shift.end_second)
        s = np.concatenate(starts)
        e = np.concatenate(ends)
        order = np.argsort(s, kind="stable")
        s, e = s[order], e[order]
        if s.size == 0:
            raise ValueError("Lịch không có giờ làm việc nào")
        if np.any(s[1:] < e[:-1]):
            raise ValueError("Các ca làm việc chồng lên nhau")

        self._lo = int(midnight[0])
        self._hi = int(day_numbers[-1] + 1) * _DAY - int(np.atleast_1d(offsets)[-1])
        length = e - s
        ce = np.cumsum(length)
        cs = ce - length
        self._total = int(ce[-1])

        # Forward map W(t), with sentinels so every valid t finds an interval starting at or
        # before it: W = min(t - A[i], Ce[i]) with A = S - Cs.
        self._s = np.concatenate(([self._lo], s, [self._hi]))
        self._a = np.concatenate(([self._lo], s - cs, [self._hi - self._total]))
        self._ce = np.concatenate(([0], ce, [self._total]))
        shift = _bucket_shift(np.diff(self._s))
        edges = self._lo + (
            np.arange(((self._hi - 1 - self._lo) >> shift) + 2, dtype=np.int64) << shift
        )
        self._fwd_shift = shift
        self._fwd_table = np.searchsorted(self._s, edges[:-1], side="right") - 1
        inside = np.searchsorted(self._s, edges[1:], side="left") - np.searchsorted(
            self._s, edges[:-1], side="right"
        )
        self._fwd_passes = max(0, int(inside.max()))

        # Inverse map: first interval j with Ce[j] > key, then t = target + (S - Cs)[j].
        self._inv_ce = np.concatenate((ce, [_INT64_MAX]))
        self._inv_a = np.concatenate((s - cs, [self._hi]))
        shift = _bucket_shift(length)
        edges = np.arange(((self._total - 1) >> shift) + 2, dtype=np.int64) << shift
        self._inv_shift = shift
        self._inv_table = np.searchsorted(self._inv_ce, edges[:-1], side="right")
        inside = np.searchsorted(self._inv_ce, edges[1:], side="left") - np.searchsorted(
            self._inv_ce, edges[:-1], side="right"
        )
        self._inv_passes = max(0, int(inside.max()))
        for array in (
            self._s,
            self._a,
            self._ce,
            self._inv_ce,
            self._inv_a,
            self._fwd_table,
            self._inv_table,
        ):
            array.flags.writeable = False

    # ------------------------------------------------------------------ range and days

    @property
    def range_start(self) -> dt.datetime:
        """First instant the calendar covers (local midnight of 1/1 of ``first_year``), UTC."""
        return from_epoch_seconds(self._lo)

    @property
    def range_end(self) -> dt.datetime:
        """First instant after the calendar (local midnight after 31/12 of ``last_year``), UTC."""
        return from_epoch_seconds(self._hi)

    def _day_index(self, d: dt.date) -> int:
        if isinstance(d, dt.datetime):
            d = d.date()
        index = d.toordinal() - self._first_ordinal
        if not 0 <= index < self._working.size:
            raise ValueError(
                f"Ngày {d.isoformat()} nằm ngoài phạm vi lịch làm việc "
                f"({self.spec.first_year}-{self.spec.last_year})"
            )
        return index

    def is_working_day(self, d: dt.date) -> bool:
        """Holidays library (days off and make-up Saturdays), then the override list."""
        return bool(self._working[self._day_index(d)])

    def working_minutes_on(self, d: dt.date) -> int:
        """Working minutes of calendar day ``d`` (0 on a day off)."""
        if not self.is_working_day(d):
            return 0
        return self.spec.season_for(d).working_seconds // 60

    # ------------------------------------------------------------------ core arithmetic

    def _checked(self, seconds: np.ndarray) -> np.ndarray | None:
        """Raise on instants outside the range; return the NaT mask, or None if there is none."""
        if seconds.size == 0:
            return None
        low, high = int(seconds.min()), int(seconds.max())
        if low >= self._lo and high < self._hi:
            return None
        missing = seconds == NAT_INT
        valid = seconds[~missing]
        if valid.size:
            bad = valid[(valid < self._lo) | (valid >= self._hi)]
            if bad.size:
                moment = from_epoch_seconds(int(bad[0])).astimezone(self.tzinfo).isoformat()
                raise ValueError(
                    f"Thời điểm {moment} nằm ngoài phạm vi lịch làm việc "
                    f"({self.spec.first_year}-{self.spec.last_year})"
                )
        return missing

    def _worked(self, t: np.ndarray) -> np.ndarray:
        """W(t): working seconds from the range start to each (valid) instant."""
        i = self._fwd_table[(t - self._lo) >> self._fwd_shift]
        for _ in range(self._fwd_passes):
            i += t >= self._s[i + 1]
        return np.minimum(t - self._a[i], self._ce[i])

    def _instant(self, key: np.ndarray, target: np.ndarray) -> np.ndarray:
        """Instant of the first interval whose end total exceeds ``key``, at total ``target``."""
        j = self._inv_table[key >> self._inv_shift]
        for _ in range(self._inv_passes):
            j += key >= self._inv_ce[j]
        return target + self._inv_a[j]

    def deadline(self, starts: Any, minutes: Any, convention: str = "closing") -> np.ndarray:
        """Instant after ``minutes`` working minutes counted from each start, ``datetime64[s]`` UTC.

        "closing": a deadline landing on a shift end is that end (07:30 + 240 = 11:30);
        "opening": it is the next shift start (pandas ``CustomBusinessHour``). Zero minutes give
        the next working minute in both. A missing start (NaT) gives NaT.
        """
        if convention not in CONVENTIONS:
            raise ValueError(f"Quy ước '{convention}' không hợp lệ (closing hoặc opening)")
        t = to_epoch_seconds(starts)
        scalar = isinstance(minutes, int | np.integer)
        if scalar:
            if minutes < 0:
                raise ValueError("Số phút làm việc phải không âm")
            step = int(minutes) * 60
            nudge = 1 if convention == "closing" and minutes > 0 else 0
        else:
            m = np.asarray(minutes)
            if m.dtype.kind not in "iu":
                raise TypeError("Số phút làm việc phải là số nguyên")
            m = m.astype(np.int64, copy=False)
            if m.size and int(m.min()) < 0:
                raise ValueError("Số phút làm việc phải không âm")
            if m.shape != t.shape:
                t, m = np.broadcast_arrays(t, m)
            step = m * 60
            nudge = (m > 0).view(np.int8) if convention == "closing" else 0
        missing = self._checked(t)
        if missing is not None:
            t = np.where(missing, self._lo, t)
        target = self._worked(t)
        target += step
        key = target if isinstance(nudge, int) and nudge == 0 else target - nudge
        if key.size and int(key.max()) >= self._total:
            raise ValueError(
                f"Thời hạn vượt quá phạm vi lịch làm việc (hết năm {self.spec.last_year})"
            )
        result = self._instant(key, target)
        if missing is not None:
            result[missing] = NAT_INT
        return result.view("datetime64[s]")

    def elapsed(self, starts: Any, ends: Any) -> np.ndarray:
        """Working minutes (float64) from each start to each end; negative if the end is earlier.

        The exact inverse of :meth:`deadline`: ``elapsed(a, deadline(a, m)) == m``. NaT gives NaN.
        """
        a = to_epoch_seconds(starts)
        b = to_epoch_seconds(ends)
        if a.shape != b.shape:
            a, b = np.broadcast_arrays(a, b)
        missing_a = self._checked(a)
        missing_b = self._checked(b)
        missing = None
        if missing_a is not None or missing_b is not None:
            missing = np.zeros(a.shape, dtype=bool)
            for mask in (missing_a, missing_b):
                if mask is not None:
                    missing |= mask
            a = np.where(missing, self._lo, a)
            b = np.where(missing, self._lo, b)
        minutes = (self._worked(b) - self._worked(a)) / 60.0
        if missing is not None:
            minutes[missing] = np.nan
        return minutes

    def deadline_one(
        self, start: dt.datetime, minutes: int, convention: str = "closing"
    ) -> dt.datetime:
        """:meth:`deadline` for one start; aware UTC datetime."""
        value = self.deadline(start, int(minutes), convention)[0]
        return from_epoch_seconds(int(value.astype(np.int64)))

    def elapsed_one(self, start: dt.datetime, end: dt.datetime) -> float:
        """:meth:`elapsed` for one pair of instants."""
        return float(self.elapsed(start, end)[0])

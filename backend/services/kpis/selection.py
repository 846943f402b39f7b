"""What a figure is taken over: a reporting period (a month, a quarter, a year or a range of local days,
Asia/Ho_Chi_Minh) and the filters by channel, field, area, unit and agency (docs/kpi.md).
"""

from __future__ import annotations

import calendar as _calendar
import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import (
    ColumnElement,
)

from backend import vietnamese as vn
from backend.config import LOCAL_TZ
from backend.services.places.catalogue import units_of_area
from backend.storage.models import Report

UTC = dt.UTC


R = Report


NONE = "-"  # the group of reports with no agency / unit / field (a filter value too)


# What the figures break down by; `area` is not a column but the area of the report's unit
# (admin_units.area_code), so an administrator's regrouping applies to every period at once.
DIMENSIONS = ("channel", "field", "area", "unit", "agency")
SQL_DIMENSIONS = ("channel", "field", "unit", "agency")


DIMENSION_COLUMNS = {"channel": R.channel, "field": R.field_code, "unit": R.unit_code,
                     "agency": R.agency_code}



class PeriodError(ValueError):
    """A period that cannot be read; the message is one Vietnamese sentence for people."""


_QUARTER_NUMERALS = ("I", "II", "III", "IV")


_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


_MONTH_VN = re.compile(r"^(\d{1,2})/(\d{4})$")


_QUARTER = re.compile(r"^(\d{4})-[Qq](\d)$")


_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\s*(?:\.\.|/)\s*(\d{4}-\d{2}-\d{2})$")


MIN_YEAR, MAX_YEAR = 2000, 2100


_FORMATS = ("dùng dạng YYYY-MM cho tháng (ví dụ 2026-10), YYYY-Qn cho quý (ví dụ 2026-Q3) "
            "hoặc YYYY-MM-DD..YYYY-MM-DD cho một khoảng ngày")


def _check_year(year: int, text: str) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise PeriodError(f"Kỳ báo cáo '{text}' không hợp lệ: năm phải từ {MIN_YEAR} đến {MAX_YEAR}.")


@dataclass(frozen=True, order=True)
class Period:
    """A reporting period: whole local days from ``start`` to ``end`` (exclusive).

    Build one with :meth:`parse` ("2026-10", "2026-Q3", "2026-10-01..2026-10-15"),
    :meth:`month`, :meth:`quarter` or :meth:`between`. Days are Vietnam's (Asia/Ho_Chi_Minh);
    :attr:`start_utc` and :attr:`end_utc` are the instants the database is queried with.
    """

    start: dt.date
    end: dt.date
    kind: Literal["month", "quarter", "range"] = "range"

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise PeriodError(
                f"Kỳ báo cáo không hợp lệ: ngày cuối ({vn.date(self.end - dt.timedelta(days=1))}) "
                f"trước ngày đầu ({vn.date(self.start)})."
            )

    # ----------------------------------------------------------------- constructors

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        """The calendar month ``month``/``year``."""
        _check_year(year, f"{year}-{month}")
        if not 1 <= month <= 12:
            raise PeriodError(f"Tháng '{year}-{month:02d}' không hợp lệ: tháng phải từ 1 đến 12.")
        last = _calendar.monthrange(year, month)[1]
        return cls(dt.date(year, month, 1), dt.date(year, month, last) + dt.timedelta(days=1),
                   "month")

    @classmethod
    def quarter(cls, year: int, quarter: int) -> Period:
        """Quarter ``quarter`` (1-4) of ``year``."""
        _check_year(year, f"{year}-Q{quarter}")
        if not 1 <= quarter <= 4:
            raise PeriodError(f"Quý '{year}-Q{quarter}' không hợp lệ: quý phải từ 1 đến 4.")
        first = dt.date(year, 3 * quarter - 2, 1)
        end = dt.date(year + 1, 1, 1) if quarter == 4 else dt.date(year, 3 * quarter + 1, 1)
        return cls(first, end, "quarter")

    @classmethod
    def between(cls, first: dt.date, last: dt.date) -> Period:
        """The days ``first`` to ``last``, both included."""
        if last < first:
            raise PeriodError(
                f"Khoảng ngày không hợp lệ: ngày cuối ({vn.date(last)}) trước ngày đầu ({vn.date(first)})."
            )
        _check_year(first.year, first.isoformat())
        _check_year(last.year, last.isoformat())
        return cls(first, last + dt.timedelta(days=1), "range")

    @classmethod
    def parse(cls, text: str) -> Period:
        """Read "2026-10" or "10/2026" (month), "2026-Q3" (quarter), "2026-10-01..2026-10-15".

        Anything else raises :class:`PeriodError` with one clear Vietnamese sentence.
        """
        raw = (text or "").strip()
        if match := _MONTH.match(raw):
            return cls.month(int(match[1]), int(match[2]))
        if match := _MONTH_VN.match(raw):
            return cls.month(int(match[2]), int(match[1]))
        if match := _QUARTER.match(raw):
            return cls.quarter(int(match[1]), int(match[2]))
        if match := _RANGE.match(raw):
            try:
                first, last = dt.date.fromisoformat(match[1]), dt.date.fromisoformat(match[2])
            except ValueError:
                raise PeriodError(f"Khoảng ngày '{raw}' có ngày không tồn tại.") from None
            return cls.between(first, last)
        raise PeriodError(f"Kỳ báo cáo '{raw}' không hợp lệ: {_FORMATS}.")

    @classmethod
    def parse_month(cls, text: str) -> Period:
        """:meth:`parse`, refusing anything but a month (``ioc export monthly --month``)."""
        period = cls._parse_kind(text, "month", "Tháng", "YYYY-MM, ví dụ 2026-10")
        return period

    @classmethod
    def parse_quarter(cls, text: str) -> Period:
        """:meth:`parse`, refusing anything but a quarter (``ioc export quarterly --quarter``)."""
        return cls._parse_kind(text, "quarter", "Quý", "YYYY-Qn, ví dụ 2026-Q3")

    @classmethod
    def _parse_kind(cls, text: str, kind: str, what: str, form: str) -> Period:
        raw = (text or "").strip()
        try:
            period = cls.parse(raw)
        except PeriodError as exc:
            if (kind == "month" and (_MONTH.match(raw) or _MONTH_VN.match(raw))) or (
                    kind == "quarter" and _QUARTER.match(raw)):
                raise
            raise PeriodError(f"{what} '{raw}' không hợp lệ: cần dạng {form}.") from exc
        if period.kind != kind:
            raise PeriodError(f"{what} '{raw}' không hợp lệ: cần dạng {form}.")
        return period

    # ----------------------------------------------------------------- properties

    @property
    def last_day(self) -> dt.date:
        """The period's last day (included)."""
        return self.end - dt.timedelta(days=1)

    @property
    def start_utc(self) -> dt.datetime:
        """Local midnight starting the first day, as an aware UTC instant."""
        return dt.datetime.combine(self.start, dt.time(), LOCAL_TZ).astimezone(UTC)

    @property
    def end_utc(self) -> dt.datetime:
        """Local midnight after the last day, as an aware UTC instant (exclusive)."""
        return dt.datetime.combine(self.end, dt.time(), LOCAL_TZ).astimezone(UTC)

    @property
    def code(self) -> str:
        """"2026-10", "2026-Q3" or "2026-10-01_2026-10-15" (file names, cache keys)."""
        if self.kind == "month":
            return f"{self.start.year}-{self.start.month:02d}"
        if self.kind == "quarter":
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        return f"{self.start.isoformat()}_{self.last_day.isoformat()}"

    @property
    def label_vi(self) -> str:
        """Mid-sentence name: "tháng 10/2026", "quý III/2026", "từ 01/10/2026 đến 15/10/2026"."""
        if self.kind == "month":
            return f"tháng {self.start.month:02d}/{self.start.year}"
        if self.kind == "quarter":
            numeral = _QUARTER_NUMERALS[(self.start.month - 1) // 3]
            return f"quý {numeral}/{self.start.year}"
        return f"từ {vn.date(self.start)} đến {vn.date(self.last_day)}"

    @property
    def title_vi(self) -> str:
        """:attr:`label_vi` capitalised, for titles and column headers."""
        label = self.label_vi
        return label[:1].upper() + label[1:]

    @property
    def span_vi(self) -> str:
        """"01/10/2026 - 31/10/2026"."""
        return f"{vn.date(self.start)} - {vn.date(self.last_day)}"

    # ----------------------------------------------------------------- arithmetic

    def previous(self) -> Period:
        """The period before: the previous month, quarter, or a range of the same length."""
        if self.kind == "month":
            prior = self.start - dt.timedelta(days=1)
            return Period.month(prior.year, prior.month)
        if self.kind == "quarter":
            prior = self.start - dt.timedelta(days=1)
            return Period.quarter(prior.year, (prior.month - 1) // 3 + 1)
        length = self.end - self.start
        return Period(self.start - length, self.start, "range")

    def months(self) -> list[Period]:
        """The calendar months the period touches, each as a month period."""
        out, cursor = [], dt.date(self.start.year, self.start.month, 1)
        while cursor < self.end:
            out.append(Period.month(cursor.year, cursor.month))
            cursor = out[-1].end
        return out

    def months_back(self, count: int) -> list[Period]:
        """``count`` months ending with the period's last month (oldest first), for trends."""
        last = Period.month(self.last_day.year, self.last_day.month)
        out = [last]
        while len(out) < count:
            out.insert(0, out[0].previous())
        return out


def parse_period(text: str) -> Period:
    """Shorthand for :meth:`Period.parse`."""
    return Period.parse(text)


@dataclass(frozen=True)
class Filters:
    """Optional restrictions, by code; ``NONE`` ("-") selects reports with no value.

    ``field`` (fields.code), ``area`` (areas.code, e.g. "tp_thai_nguyen"), ``unit`` (the
    5-digit code of a unit of 1/7/2025), ``agency`` (agencies.code, the agency holding the
    report now), ``channel`` (app, portal, ...).
    """

    field: str | None = None
    area: str | None = None
    unit: str | None = None
    agency: str | None = None
    channel: str | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        """SQL conditions on ``reports`` for these filters."""
        out = []
        for name in DIMENSIONS:
            value = getattr(self, name)
            if value is None or value == "":
                continue
            if name == "area":
                out.append(R.unit_code.is_(None) if value == NONE
                           else R.unit_code.in_(units_of_area(value)))
                continue
            column = DIMENSION_COLUMNS[name]
            out.append(column.is_(None) if value == NONE else column == value)
        return out

    def with_(self, **values: str | None) -> Filters:
        """A copy with some filters replaced (click-through from a table row)."""
        data = {name: getattr(self, name) for name in DIMENSIONS}
        data.update(values)
        return Filters(**data)

    @property
    def empty(self) -> bool:
        """No restriction at all."""
        return all(getattr(self, name) in (None, "") for name in DIMENSIONS)


def given_filters(filters: Filters | None) -> Filters:
    return filters if filters is not None else Filters()

"""KPI definitions, written once: the report packs (D13.5, D14.4) and the leadership dashboard.

Every figure has a key (``received``, ``process.late``, ``rate.on_time.e2e``,
``hours.median.process`` ...; the full list and their meaning are in ``docs/kpi.md``). Counting
figures are boolean conditions (:func:`flag_conditions`) on one row per report of
:func:`facts`, where each stage's status (:func:`stage_conditions`) is worked out once: the
same condition is summed in one SQL ``GROUP BY`` for the tables and selected for the
click-through list of codes (:func:`report_codes`), so a number and the list behind it can
never disagree. Ratios are computed from the counts by one function (:func:`rates`);
working-hour figures come from the stage columns through the vectorised working-time engine
(the only per-report read, :attr:`Snapshot.rows`).

What is counted (the *cohort*): the reports **submitted** in the period (local days, Asia/Ho_Chi_Minh),
as they stand at ``now`` (the moment the figures are taken, by default the present). Stage
figures use the per-stage start/due/done columns of :class:`~backend.storage.models.Report`: a
stage is *on time* when it finished by its due instant, *late* when it finished after it or is
still running past it at ``now`` (*overdue*). A report waiting for the citizen's supplement
(D7.2b) has no running clock.

Typical use (one period, several figures: take one snapshot and read it)::

    period = Period.parse("2026-10")
    snap = snapshot(period, Filters(district="164"))
    snap.figures()["rate.on_time.process"]      # one number
    snap.by("agency")                           # a table per agency
    report_codes("process.overdue", period, Filters(district="164"))   # the codes behind it

No function here returns a reporter's name, phone or e-mail, or a report's free text.
"""

from __future__ import annotations

import calendar as _calendar
import contextvars
import datetime as dt
import io
import re
import tomllib
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, TypeVar

import numpy as np
import pandas as pd
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    and_,
    case,
    cast,
    exists,
    extract,
    false,
    func,
    literal_column,
    not_,
    or_,
    select,
    text,
    true,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from backend.config import LOCAL_TZ, data_dir
from backend.domain.sla import STAGES
from backend.domain.workflow import OPEN_STATES, RATINGS, STATE_LABELS_VI, State
from backend.domain.worktime import NAT_INT, WorkCalendar
from backend.services.calendar import calendar_from_session, sla_policy
from backend.storage.db import session_factory
from backend.storage.models import AdminUnit, Agency, Event, Field, Report

UTC = dt.UTC
R = Report
T = TypeVar("T")
NONE = "-"  # the group of reports with no agency / district / field (a filter value too)
DIMENSIONS = ("channel", "field", "district", "agency")
_DIM_COLUMNS = {"channel": R.channel, "field": R.field_code, "district": R.district_code,
                "agency": R.agency_code}
E2E = "e2e"
STAGE_KEYS = (*STAGES, E2E)
# who answers for a late stage (D6-D10; D14.4): the IOC, or the agency that holds the report
STAGE_OWNER: dict[str, Literal["ioc", "agency"]] = {
    "verify": "ioc", "forward": "ioc", "process": "agency", "approve": "agency", "publish": "ioc",
}
AGENCY_STAGES = ("process", "approve")
IOC = "ioc"
# a stage's clock runs in these states (a report waiting for the citizen has none, D7.2b)
RUNNING_STATES = tuple(sorted(s.value for s in OPEN_STATES - {State.NEEDS_SUPPLEMENT}))
RATING_KEYS = tuple(f"rating.{code}" for code in RATINGS)
STAGE_COUNTS = ("on_time", "late", "late_done", "overdue", "pending", "late_notice",
                "late_no_notice")
SUM_KEYS = {"returned_times": "return_count", "rework_times": "rework_count",
            "escalation_times": "escalation_count"}  # figure -> column summed


# =========================================================================== periods


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


def _day(value: dt.date) -> str:
    return value.strftime("%d/%m/%Y")


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
                f"Kỳ báo cáo không hợp lệ: ngày cuối ({_day(self.end - dt.timedelta(days=1))}) "
                f"trước ngày đầu ({_day(self.start)})."
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
                f"Khoảng ngày không hợp lệ: ngày cuối ({_day(last)}) trước ngày đầu ({_day(first)})."
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
        return f"từ {_day(self.start)} đến {_day(self.last_day)}"

    @property
    def title_vi(self) -> str:
        """:attr:`label_vi` capitalised, for titles and column headers."""
        label = self.label_vi
        return label[:1].upper() + label[1:]

    @property
    def span_vi(self) -> str:
        """"01/10/2026 - 31/10/2026"."""
        return f"{_day(self.start)} - {_day(self.last_day)}"

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


# =========================================================================== filters


@dataclass(frozen=True)
class Filters:
    """Optional restrictions, by code; ``NONE`` ("-") selects reports with no value.

    ``field`` (fields.code), ``district`` (legacy district code, e.g. "164"), ``agency``
    (agencies.code, the agency holding the report now), ``channel`` (app, portal, ...).
    """

    field: str | None = None
    district: str | None = None
    agency: str | None = None
    channel: str | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        """SQL conditions on ``reports`` for these filters."""
        out = []
        for name in DIMENSIONS:
            value = getattr(self, name)
            if value is None or value == "":
                continue
            column = _DIM_COLUMNS[name]
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


def _filters(filters: Filters | None) -> Filters:
    return filters if filters is not None else Filters()


# =========================================================================== texts and targets


@lru_cache(maxsize=4)
def _kpi_texts(path: str) -> dict[str, Any]:
    with open(path, "rb") as handle:
        return tomllib.load(handle)


def kpi_texts() -> dict[str, Any]:
    """``data/kpi.toml``: figure labels, names of channels and of the "no value" groups."""
    return _kpi_texts(str(data_dir() / "kpi.toml"))


def stage_name(stage: str) -> str:
    """Vietnamese name of a stage (``data/sla.toml``) or of the whole process (``e2e``)."""
    if stage == E2E:
        return kpi_texts()["names"]["e2e"]
    return sla_policy().budget(stage).name_vi


def label(key: str) -> str:
    """Vietnamese label of a figure key (``data/kpi.toml``); a clear error for an unknown key."""
    texts = kpi_texts()
    if key in texts["labels"]:
        return texts["labels"][key]
    for prefix in ("rate.on_time", "hours.avg", "hours.median", "hours.count"):
        if key.startswith(prefix + "."):
            stage = key[len(prefix) + 1:]
            if stage in STAGE_KEYS:
                return texts["stage_labels"][prefix].format(stage=stage_name(stage))
    stage, _, what = key.partition(".")
    if stage in STAGE_KEYS and what in texts["stage_labels"]:
        return texts["stage_labels"][what].format(stage=stage_name(stage))
    raise KeyError(f"Chỉ tiêu '{key}' không tồn tại")


def channel_name(code: str) -> str:
    """Vietnamese name of an intake channel."""
    return kpi_texts()["channels"].get(code, code)


@dataclass(frozen=True)
class HeadlineSpec:
    """One headline figure of ``data/kpi_targets.toml``."""

    key: str
    target: float | None
    better: Literal["higher", "lower"]


@dataclass(frozen=True)
class KpiTargets:
    """Targets and the smallest sample an agency needs to be ranked."""

    headline: tuple[HeadlineSpec, ...]
    stage_targets: dict[str, float]
    min_sample: int


def load_targets(path: Path | None = None) -> KpiTargets:
    """Read and check ``data/kpi_targets.toml``."""
    path = Path(path) if path is not None else data_dir() / "kpi_targets.toml"
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise FileNotFoundError(f"Không tìm thấy tệp cấu hình {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path.name}: {exc}") from exc
    specs = []
    for number, item in enumerate(raw.get("headline", []), start=1):
        key = str(item.get("key", ""))
        if key not in FIGURE_KEYS:
            raise ValueError(f"{path.name} headline[{number}]: chỉ tiêu '{key}' không tồn tại")
        better = str(item.get("better", "higher"))
        if better not in ("higher", "lower"):
            raise ValueError(f"{path.name} headline[{number}]: better phải là higher hoặc lower")
        target = item.get("target")
        specs.append(HeadlineSpec(key, None if target is None else float(target), better))  # type: ignore[arg-type]
    stage_targets = {str(k): float(v) for k, v in raw.get("stage_targets", {}).items()}
    unknown = set(stage_targets) - set(STAGE_KEYS)
    if unknown:
        raise ValueError(f"{path.name}: bước không xác định {sorted(unknown)}")
    min_sample = int(raw.get("min_sample", 30))
    if min_sample < 1:
        raise ValueError(f"{path.name}: min_sample phải từ 1 trở lên")
    return KpiTargets(tuple(specs), stage_targets, min_sample)


# =========================================================================== the definitions


def _stage(stage: str):
    return (getattr(R, f"{stage}_start"), getattr(R, f"{stage}_due"), getattr(R, f"{stage}_done"))


def stage_conditions(stage: str, now: dt.datetime) -> dict[str, ColumnElement[bool]]:
    """Where one stage of a report stands at ``now`` (never NULL, so NOT is safe).

    on_time: finished by its due instant; late_done: finished after it; overdue: running past
    it; pending: running, still in time; late = late_done or overdue; late_notice: late with a
    progress notice (D8 bước 3) sent before it finished (or by now).
    """
    start, due, done = _stage(stage)
    finished = and_(done.is_not(None), due.is_not(None))
    running = and_(start.is_not(None), done.is_(None), due.is_not(None),
                   R.state.in_(RUNNING_STATES))
    on_time = and_(finished, done <= due)
    late_done = and_(finished, done > due)
    overdue = and_(running, due < now)
    pending = and_(running, due >= now)
    late = or_(late_done, overdue)
    notice = and_(R.progress_notice_at.is_not(None),
                  R.progress_notice_at <= func.coalesce(done, now))
    return {
        "on_time": on_time, "late_done": late_done, "overdue": overdue, "pending": pending,
        "late": late, "late_notice": and_(late, notice), "late_no_notice": and_(late, not_(notice)),
    }


def _rejected() -> ColumnElement[bool]:
    """Rejected (D7.2a), and still so once closed: a closed report with no answer."""
    return or_(R.state == State.REJECTED.value,
               and_(R.state == State.CLOSED.value, R.published_at.is_(None)))


def _supplement_requested() -> ColumnElement[bool]:
    """The IOC asked the citizen to supplement (D7.2b) at least once.

    Waiting for it, or supplemented (only a supplement restarts the verify clock after the
    submission), says so for certain; a rejected report whose verification ended before the
    rejection may have been asked first, and only for those is the event log looked up (CASE
    keeps the order, so the index is probed for a few rows, not for every report).
    """
    maybe = and_(_rejected(), R.verify_done.is_not(None), R.forward_done.is_not(None),
                 R.verify_done < R.forward_done)
    # `at >= submitted_at` is always true; it keeps PostgreSQL probing ix_events_report_id for
    # these few rows instead of hashing every request_supplement event of the log first
    asked = exists().where(Event.report_id == R.id, Event.action == "request_supplement",
                           Event.at >= R.submitted_at)
    return or_(R.state == State.NEEDS_SUPPLEMENT.value, R.verify_start > R.submitted_at,
               case((maybe, asked), else_=false()))


# stage status codes (from stage_conditions), computed once per report in SQL
ST_NONE, ST_ON_TIME, ST_LATE_DONE, ST_OVERDUE, ST_PENDING = 0, 1, 2, 3, 4
STATUS_KEYS = {ST_NONE: "not_started", ST_ON_TIME: "on_time", ST_LATE_DONE: "late_done",
               ST_OVERDUE: "overdue", ST_PENDING: "pending"}


def stage_status_case(stage: str, now: dt.datetime) -> ColumnElement[int]:
    """A stage's status at ``now`` as a small integer (``ST_*``), from :func:`stage_conditions`."""
    conditions = stage_conditions(stage, now)
    return case((conditions["on_time"], ST_ON_TIME), (conditions["late_done"], ST_LATE_DONE),
                (conditions["overdue"], ST_OVERDUE), (conditions["pending"], ST_PENDING),
                else_=ST_NONE)


def _one(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return case((condition, 1), else_=0)


def facts(now: dt.datetime, conditions: Iterable[ColumnElement[bool]] = ()):
    """The cohort as a subquery: one row per report with the facts every figure reads, each
    computed once (stage statuses, answered, private, ...), so that ~70 figures cost ~70
    integer comparisons a row. ``OFFSET 0`` keeps PostgreSQL from inlining it (which would
    evaluate the stage conditions again for every figure)."""
    private = or_(R.confidential.is_(True), R.state_secret.is_(True))
    answered = R.published_at.is_not(None)
    columns = [
        R.id, R.code, R.submitted_at, R.channel, R.field_code.label("field"),
        R.district_code.label("district"), R.agency_code.label("agency"), R.state,
        R.return_count, R.rework_count, R.reopen_count, R.escalation_count, R.rating,
        _one(R.emergency.is_(True)).label("emergency"),
        _one(private).label("private"),
        _one(answered).label("answered"),
        _one(_rejected()).label("rejected"),
        _one(_supplement_requested()).label("supplement_requested"),
        _one(R.approve_done.is_not(None)).label("processed"),
        _one(or_(R.process_done.is_not(None), R.rework_count > 0, R.reopen_count > 0,
                 answered)).label("result_submitted"),
        _one(R.progress_notice_at.is_not(None)).label("has_notice"),
    ]
    for stage in STAGES:
        _, _, done = _stage(stage)
        columns.append(stage_status_case(stage, now).label(f"st_{stage}"))
        columns.append(_one(and_(R.progress_notice_at.is_not(None),
                                 R.progress_notice_at <= func.coalesce(done, now)))
                       .label(f"nt_{stage}"))
    return select(*columns).where(*conditions).offset(0).subquery("facts")


def flag_conditions(f) -> dict[str, ColumnElement[bool]]:
    """Every counting figure as a SQL condition on a row of :func:`facts` ``f``, by key.

    The figure is the number of rows of the cohort for which the condition holds; the same
    conditions give the codes behind a figure (:func:`report_codes`).
    """
    c = f.c
    answered, private = c.answered == 1, c.private == 1
    is_open = c.state.in_(sorted(s.value for s in OPEN_STATES))
    flags: dict[str, ColumnElement[bool]] = {
        "received": true(),
        "rejected": c.rejected == 1,
        "supplement_requested": c.supplement_requested == 1,
        "waiting_supplement": c.state == State.NEEDS_SUPPLEMENT.value,
        "forwarded": or_(c.agency.is_not(None), c.return_count > 0),
        "returned": c.return_count > 0,
        "escalated": c.escalation_count > 0,
        "escalation_waiting": c.state == State.ESCALATED.value,
        "result_submitted": c.result_submitted == 1,
        "processed": c.processed == 1,
        "answered": answered,
        "published": and_(answered, c.private == 0),
        "answered_privately": and_(answered, private),
        "rework": c.rework_count > 0,
        "reopened": c.reopen_count > 0,
        "progress_notice": c.has_notice == 1,
        "open": is_open,
        "private": private,
        "emergency": c.emergency == 1,
        "rated": c.rating.is_not(None),
    }
    for code in RATINGS:
        flags[f"rating.{code}"] = and_(c.rating.is_not(None), c.rating == code)
    lates, overdues = [], []
    for stage in STAGES:
        status, notice = c[f"st_{stage}"], c[f"nt_{stage}"]
        late = status.between(ST_LATE_DONE, ST_OVERDUE)
        flags[f"{stage}.on_time"] = status == ST_ON_TIME
        flags[f"{stage}.late"] = late
        flags[f"{stage}.late_done"] = status == ST_LATE_DONE
        flags[f"{stage}.overdue"] = status == ST_OVERDUE
        flags[f"{stage}.pending"] = status == ST_PENDING
        flags[f"{stage}.late_notice"] = and_(late, notice == 1)
        flags[f"{stage}.late_no_notice"] = and_(late, notice == 0)
        lates.append(late)
        overdues.append(status == ST_OVERDUE)
    any_late, any_overdue = or_(*lates), or_(*overdues)
    in_scope = or_(answered, is_open)  # rejected reports never reach an answer
    flags["e2e.on_time"] = and_(answered, not_(any_late))
    flags["e2e.late"] = and_(in_scope, any_late)
    flags["e2e.late_done"] = and_(answered, any_late)
    flags["e2e.overdue"] = and_(is_open, any_overdue)
    flags["e2e.pending"] = and_(is_open, not_(any_late))
    flags["e2e.late_notice"] = and_(in_scope, any_late, c.has_notice == 1)
    flags["e2e.late_no_notice"] = and_(in_scope, any_late, c.has_notice == 0)
    flags["agency_late"] = or_(*(lates[STAGES.index(s)] for s in AGENCY_STAGES))
    flags["agency_overdue"] = or_(*(overdues[STAGES.index(s)] for s in AGENCY_STAGES))
    return flags


_EPOCH_NOW = dt.datetime(2000, 1, 1, tzinfo=UTC)
FLAG_KEYS: tuple[str, ...] = tuple(flag_conditions(facts(_EPOCH_NOW)))
COUNT_KEYS: tuple[str, ...] = (*FLAG_KEYS, *SUM_KEYS)


def ratio(numerator: Any, denominator: Any) -> Any:
    """numerator / denominator; None (scalars) or NaN (Series) when the denominator is 0."""
    if isinstance(denominator, pd.Series):
        return numerator / denominator.where(denominator != 0)
    return float(numerator) / float(denominator) if denominator else None


def rates(counts: Mapping[str, Any]) -> dict[str, Any]:
    """Every ratio figure from counts (a dict of totals, or the columns of a table); a ratio
    whose counts are not given is left out.

    rate.on_time.<stage> = on_time / (on_time + late): stages still in time are not decided yet.
    """
    c = counts
    formulas = {
        "rate.answered": lambda: ratio(c["answered"], c["received"] - c["rejected"]),
        "rate.misrouting": lambda: ratio(c["returned"], c["forwarded"]),
        "rate.rework": lambda: ratio(c["rework"], c["result_submitted"]),
        "rate.rated": lambda: ratio(c["rated"], c["answered"]),
        "rate.satisfied": lambda: ratio(c["rating.hai_long"] + c["rating.chap_nhan_duoc"],
                                        c["rated"]),
        "rate.late_notice": lambda: ratio(c["process.late_notice"], c["process.late"]),
    }
    for stage in STAGE_KEYS:
        formulas[f"rate.on_time.{stage}"] = lambda s=stage: ratio(
            c[f"{s}.on_time"], c[f"{s}.on_time"] + c[f"{s}.late"])
    out = {}
    for key, formula in formulas.items():
        try:
            out[key] = formula()
        except KeyError:
            continue
    return out


RATE_KEYS: tuple[str, ...] = tuple(rates({k: 0 for k in COUNT_KEYS}))
HOUR_KEYS: tuple[str, ...] = tuple(
    f"hours.{what}.{stage}" for stage in STAGE_KEYS for what in ("avg", "median", "count"))
FIGURE_KEYS: frozenset[str] = frozenset((*COUNT_KEYS, *RATE_KEYS, *HOUR_KEYS))


def unit_of(key: str) -> Literal["count", "rate", "hours"]:
    """How a figure is shown: a count, a share (0-1) or working hours."""
    if key.startswith("rate."):
        return "rate"
    if key.startswith("hours.") and not key.startswith("hours.count."):
        return "hours"
    return "count"


# =========================================================================== reading the database


def as_of(now: dt.datetime | None) -> dt.datetime:
    if now is None:
        return dt.datetime.now(UTC).replace(microsecond=0)
    if now.tzinfo is None:
        raise ValueError("now phải là thời điểm có múi giờ (aware datetime)")
    return now.astimezone(UTC)


class _EpochSeconds(FunctionElement):
    """Whole UTC epoch seconds of a timestamp, rounded down on both databases."""

    type = BigInteger()
    inherit_cache = True
    name = "epoch_seconds"


@compiles(_EpochSeconds)
def _epoch_default(element, compiler, **kw):  # SQLite: strftime('%s') truncates
    return compiler.process(cast(extract("epoch", list(element.clauses)[0]), BigInteger), **kw)


@compiles(_EpochSeconds, "postgresql")
def _epoch_postgresql(element, compiler, **kw):  # extract() keeps microseconds: floor them
    return f"CAST(floor(EXTRACT(EPOCH FROM {compiler.process(list(element.clauses)[0], **kw)})) AS BIGINT)"


def epoch_column(column) -> ColumnElement[int]:
    """The column as whole epoch seconds (floored, as the dates shown are truncated)."""
    return _EpochSeconds(column)


def cohort_conditions(period: Period | None, filters: Filters) -> list[ColumnElement[bool]]:
    out = list(filters.conditions())
    if period is not None:
        out += [R.submitted_at >= period.start_utc, R.submitted_at < period.end_utc]
    return out


@dataclass(frozen=True)
class Names:
    """Vietnamese names of the codes that appear in the tables."""

    fields: dict[str, str]
    agencies: dict[str, str]
    agency_short: dict[str, str]
    districts: dict[str, str]

    def of(self, dimension: str, code: str | None) -> str:
        """Name of a code of a dimension (``NONE``/None gives the "no value" name)."""
        names = kpi_texts()["names"]
        if dimension == "channel":
            return channel_name(code or "")
        if code is None or code == NONE:
            return names[{"field": "no_field", "district": "no_district",
                          "agency": "no_agency"}.get(dimension, "unknown")]
        if dimension == "responsible" and code == IOC:
            return names["ioc"]
        table = {"field": self.fields, "district": self.districts, "agency": self.agencies,
                 "responsible": self.agencies}[dimension]
        return table.get(code, code)


def load_names(session: Session) -> Names:
    """Names from the database (administrators edit them there)."""
    agencies = session.execute(select(Agency.code, Agency.name, Agency.short_name)).all()
    return Names(
        fields=dict(session.execute(select(Field.code, Field.name)).all()),
        agencies={code: name for code, name, _ in agencies},
        agency_short={code: short for code, _, short in agencies},
        districts=dict(session.execute(
            select(AdminUnit.code, AdminUnit.name).where(AdminUnit.level == "district")).all()),
    )


def _count_columns(f, keys: Iterable[str] | None = None) -> list:
    """count(*) FILTER (flag) for each key over the facts subquery ``f`` (sums for *_times)."""
    flags = flag_conditions(f)
    wanted = list(keys) if keys is not None else list(COUNT_KEYS)
    columns = []
    for index, key in enumerate(wanted):
        if key in SUM_KEYS:
            columns.append(func.coalesce(func.sum(f.c[SUM_KEYS[key]]), 0).label(f"m{index}"))
        elif key == "received":
            columns.append(func.count().label(f"m{index}"))
        else:
            columns.append(func.count().filter(flags[key]).label(f"m{index}"))
    return columns


def _group_counts(session: Session, period: Period | None, filters: Filters,
                  now: dt.datetime, keys: Iterable[str] | None = None,
                  dimensions: Iterable[str] = DIMENSIONS) -> pd.DataFrame:
    """One row per (month, channel, field, district, agency) of the cohort, one column per
    count (``keys``, default all); ``month`` is the month code ("2026-10") of the submission
    (local time), "" without a period."""
    keys = list(keys) if keys is not None else list(COUNT_KEYS)
    dimensions = list(dimensions)
    f = facts(now, cohort_conditions(period, filters))
    dims = [f.c[d] for d in dimensions]
    months = period.months() if period is not None else []
    bucket = case(*[(f.c.submitted_at < m.end_utc, i) for i, m in enumerate(months)],
                  else_=len(months)) if months else literal_column("0")
    query = (select(bucket.label("month"), *dims, *_count_columns(f, keys))
             .group_by(bucket, *dims))
    rows = session.execute(query).all()
    frame = pd.DataFrame(rows, columns=["month", *dimensions, *keys])
    codes = [m.code for m in months] + [""]
    frame["month"] = [codes[int(i)] if months else "" for i in frame["month"]]
    for d in dimensions:
        frame[d] = frame[d].where(frame[d].notna(), NONE).astype(str)
    for key in keys:
        frame[key] = frame[key].astype(np.int64)
    return frame


def _trend_table(groups: pd.DataFrame, months: list[Period], keys: list[str]) -> pd.DataFrame:
    table = groups.groupby("month")[keys].sum()
    table = table.reindex([m.code for m in months], fill_value=0)
    table = _with_rates(table)
    table.insert(0, "start", [m.start for m in months])
    table.insert(0, "label", [f"{m.start.month:02d}/{m.start.year}" for m in months])
    table.index.name = "month"
    return table.reset_index()


def working_hours(calendar: WorkCalendar, start: np.ndarray, end: np.ndarray,
                  emergency: np.ndarray | None = None) -> np.ndarray:
    """Hours from start to end (epoch seconds, ``NAT_INT`` missing): working time, vectorised;
    clock time where ``emergency`` (their deadlines run on the clock). NaN where missing."""
    start = np.asarray(start, dtype=np.int64)
    end = np.asarray(end, dtype=np.int64)
    hours = np.full(start.shape, np.nan)
    ok = (start != NAT_INT) & (end != NAT_INT)
    if not ok.any():
        return hours
    urgent = np.zeros(start.shape, dtype=bool) if emergency is None else np.asarray(
        emergency, dtype=bool)
    work = ok & ~urgent
    if work.any():
        hours[work] = calendar.elapsed(start[work].view("datetime64[s]"),
                                       end[work].view("datetime64[s]")) / 60.0
    clock = ok & urgent
    hours[clock] = (end[clock] - start[clock]) / 3600.0
    return hours


_SHARED: ContextVar[tuple[str | None, Session] | None] = ContextVar("kpi_shared_session",
                                                                    default=None)


@contextmanager
def consistent_reads(url: str | None = None) -> Iterator[Session]:
    """Every figure read inside this block shares one transaction, so they all see the same
    data even while reports keep moving (REPEATABLE READ on PostgreSQL; SQLite's read
    transaction is a snapshot too). A pack is computed inside one."""
    with session_factory(url)() as session:
        if session.get_bind().dialect.name == "postgresql":
            session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            session.execute(text("SET TRANSACTION READ ONLY"))
            session.execute(text("SET LOCAL jit = off"))
        else:  # pysqlite begins only before writes: a read transaction must be asked for
            session.connection().exec_driver_sql("BEGIN")
        token = _SHARED.set((url, session))
        try:
            yield session
        finally:
            _SHARED.reset(token)
            session.rollback()


def _same_snapshot(url: str | None, snapshot_id: str, job: Callable[[], T]) -> T:
    """Run ``job`` in this thread on a new PostgreSQL session that sees ``snapshot_id``."""
    with session_factory(url)() as session:
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        session.execute(text(f"SET TRANSACTION SNAPSHOT '{snapshot_id}'"))
        session.execute(text("SET TRANSACTION READ ONLY"))
        session.execute(text("SET LOCAL jit = off"))
        token = _SHARED.set((url, session))
        try:
            return job()
        finally:
            _SHARED.reset(token)
            session.rollback()


def _export_snapshot(url: str | None) -> str | None:
    """The id of the :func:`consistent_reads` snapshot, on PostgreSQL; None elsewhere."""
    shared = _SHARED.get()
    if shared is None or shared[0] != url or shared[1].get_bind().dialect.name != "postgresql":
        return None
    snapshot_id = shared[1].execute(text("SELECT pg_export_snapshot()")).scalar_one()
    if not re.fullmatch(r"[0-9A-Fa-f-]+", snapshot_id):
        raise RuntimeError(f"unexpected snapshot id {snapshot_id!r}")
    return snapshot_id


def read_in_background(pool: Executor, url: str | None, job: Callable[[], T]) -> Future[T] | None:
    """Start ``job`` in ``pool`` on another connection that sees the same data as the
    :func:`consistent_reads` block (PostgreSQL); None where that is not possible (SQLite, or
    outside such a block): then run the job yourself."""
    snapshot_id = _export_snapshot(url)
    if snapshot_id is None:
        return None
    return pool.submit(contextvars.copy_context().run, _same_snapshot, url, snapshot_id, job)


def parallel_reads(url: str | None, *jobs: Callable[[], T]) -> list[T]:
    """Run independent read jobs at once, their results in order.

    Inside :func:`consistent_reads` on PostgreSQL, each extra job gets its own connection
    importing the block's snapshot (``pg_export_snapshot``), so all of them still see the same
    data; the first job runs in the caller's thread on the block's session. Anywhere else the
    jobs simply run one after the other.
    """
    if len(jobs) < 2:
        return [job() for job in jobs]
    with ThreadPoolExecutor(max_workers=len(jobs) - 1, thread_name_prefix="kpi") as pool:
        futures = [read_in_background(pool, url, job) for job in jobs[1:]]
        if any(future is None for future in futures):
            return [job() for job in jobs]
        first = jobs[0]()
        return [first, *[future.result() for future in futures]]


@contextmanager
def reading_session(url: str | None) -> Iterator[Session]:
    """A read-only session for figures (the shared one inside :func:`consistent_reads`). On
    PostgreSQL JIT is off: compiling the ~70 aggregate expressions costs more than it saves
    on these one-pass scans."""
    shared = _SHARED.get()
    if shared is not None and shared[0] == url:
        yield shared[1]
        return
    with session_factory(url)() as session:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SET LOCAL jit = off"))
        yield session


def read_frame(session: Session, query, columns: list[str],
           numeric: Iterable[str] = ()) -> pd.DataFrame:
    """Rows of ``query`` as a DataFrame with ``columns`` (``numeric`` ones as float64, NaN for
    NULL; the rest as objects). PostgreSQL streams them with COPY, several times faster than
    fetching a quarter's hundreds of thousands of rows one by one."""
    numeric = set(numeric)
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        compiled = query.compile(dialect=connection.dialect,
                                 compile_kwargs={"render_postcompile": True})
        raw = connection.connection.dbapi_connection
        buffer = io.BytesIO()  # bytes straight to the C parser, no decoding in between
        with raw.cursor() as cursor:
            sql = cursor.mogrify(str(compiled), compiled.params).decode()
            cursor.copy_expert(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", buffer)
        empty = buffer.tell() == 0
        buffer.seek(0)
        dtypes = {c: (np.float64 if c in numeric else object) for c in columns}
        if empty:
            return pd.DataFrame({c: pd.Series(dtype=t) for c, t in dtypes.items()})
        return pd.read_csv(buffer, header=None, names=columns, dtype=dtypes, encoding="utf-8",
                           keep_default_na=False, na_values=[""])
    frame = pd.DataFrame(session.execute(query).all(), columns=columns, dtype=object)
    for column in numeric:
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(np.float64)
    return frame


def bool_values(values: pd.Series) -> np.ndarray:
    """Booleans from PostgreSQL CSV ('t'/'f'), SQLite (1/0) or Python values."""
    return values.isin([True, 1, "t", "true", "1"]).to_numpy()


def _texts(values: pd.Series) -> np.ndarray:
    return values.where(values.notna(), NONE).astype(str).to_numpy()


def epoch_values(values: Any) -> np.ndarray:
    """Epoch seconds from a float column (NaN missing); ``NAT_INT`` where missing."""
    array = np.asarray(values, dtype=np.float64)
    out = np.full(array.shape, NAT_INT, dtype=np.int64)
    ok = ~np.isnan(array)
    out[ok] = np.floor(array[ok]).astype(np.int64)
    return out


ROW_COLUMNS = ("code", *DIMENSIONS, "state", "emergency", "private", "submitted", "notice",
               *[f"{s}_{e}" for s in STAGES for e in ("start", "due", "done")],
               "e2e_start", "e2e_done", *[f"status.{s}" for s in STAGES])


def _rows(session: Session, period: Period | None, filters: Filters, now: dt.datetime,
          extra: Iterable[ColumnElement[bool]] = ()) -> pd.DataFrame:
    """One row per report of the cohort: the only per-row read (the working-time engine needs
    the instants). No free text and no identity.

    Columns: code, channel, field, district, agency, state, emergency, private (bool),
    submitted, notice (progress notice), <stage>_start/_due/_done, e2e_start (the verify
    clock's start: submission or last supplement), e2e_done (answer) as epoch seconds
    (``NAT_INT`` missing), status.<stage> (``ST_*`` codes, from :func:`stage_conditions`),
    hours.<stage> and hours.e2e (working hours of finished stages; clock hours for emergencies).
    """
    instants = [epoch_column(getattr(R, f"{s}_{e}")) for s in STAGES for e in ("start", "due", "done")]
    query = (select(R.code, *[_DIM_COLUMNS[d] for d in DIMENSIONS], R.state, R.emergency,
                    or_(R.confidential.is_(True), R.state_secret.is_(True)),
                    epoch_column(R.submitted_at), epoch_column(R.progress_notice_at), *instants,
                    epoch_column(R.verify_start), epoch_column(R.published_at),
                    *[stage_status_case(s, now) for s in STAGES])
             .where(*cohort_conditions(period, filters), *extra).order_by(R.submitted_at, R.id))
    numeric = [c for c in ROW_COLUMNS if c not in ("code", *DIMENSIONS, "state", "emergency",
                                                    "private")]
    raw = read_frame(session, query, list(ROW_COLUMNS), numeric)
    out = pd.DataFrame({"code": raw["code"].astype(str)})
    for d in DIMENSIONS:
        out[d] = _texts(raw[d])
    out["state"] = raw["state"].astype(str)
    out["emergency"] = bool_values(raw["emergency"])
    out["private"] = bool_values(raw["private"])
    for name in ROW_COLUMNS:
        if name in ("submitted", "notice", "e2e_start", "e2e_done") or name.endswith(
                ("_start", "_due", "_done")):
            out[name] = epoch_values(raw[name])
    for stage in STAGES:
        out[f"status.{stage}"] = raw[f"status.{stage}"].to_numpy().astype(np.int8)
    calendar = calendar_from_session(session)
    urgent = out["emergency"].to_numpy()
    for stage in STAGE_KEYS:
        out[f"hours.{stage}"] = working_hours(
            calendar, out[f"{stage}_start"].to_numpy(), out[f"{stage}_done"].to_numpy(), urgent)
    return out


# =========================================================================== the snapshot


def _hour_figures(durations: pd.DataFrame,
                  stages: Iterable[str] = STAGE_KEYS) -> dict[str, float | int | None]:
    out: dict[str, float | int | None] = {}
    for stage in stages:
        values = durations[f"hours.{stage}"].dropna()
        out[f"hours.avg.{stage}"] = float(values.mean()) if len(values) else None
        out[f"hours.median.{stage}"] = float(values.median()) if len(values) else None
        out[f"hours.count.{stage}"] = int(len(values))
    return out


def _stage_hours(session: Session, period: Period | None, filters: Filters,
                 stages: Iterable[str]) -> pd.DataFrame:
    """Working hours of some stages only (a slimmer read than ``_rows``)."""
    stages = list(stages)
    bounds = {stage: (("verify_start", "published_at") if stage == E2E else
                      (f"{stage}_start", f"{stage}_done")) for stage in stages}
    names = ["emergency", *[f"{s}.{e}" for s in stages for e in ("start", "done")]]
    query = select(R.emergency, *[epoch_column(getattr(R, column)) for s in stages
                                  for column in bounds[s]]).where(
        *cohort_conditions(period, filters))
    raw = read_frame(session, query, names, names[1:])
    calendar = calendar_from_session(session)
    urgent = bool_values(raw["emergency"])
    return pd.DataFrame({f"hours.{s}": working_hours(
        calendar, epoch_values(raw[f"{s}.start"]), epoch_values(raw[f"{s}.done"]), urgent)
        for s in stages})


@dataclass
class Snapshot:
    """All figures of one period (and filters) as they stand at ``now``.

    ``groups`` holds one row per (channel, field, district, agency) with every count; every
    table is a sum over it, so totals and breakdowns always add up. Working hours are read on
    first use (:attr:`rows`).
    """

    period: Period
    filters: Filters
    now: dt.datetime
    groups: pd.DataFrame
    names: Names
    calendar: WorkCalendar
    url: str | None = None
    _rows: pd.DataFrame | None = field(default=None, repr=False)
    _figures: tuple[pd.DataFrame, dict[str, Any]] | None = field(default=None, repr=False)

    # ----------------------------------------------------------------- per-row data

    @property
    def rows(self) -> pd.DataFrame:
        """One row per report of the period (codes, dimensions, stage instants, statuses and
        working hours; see ``ROW_COLUMNS`` and ``_rows``), read once on first use."""
        if self._rows is None:
            with reading_session(self.url) as session:
                self._rows = _rows(session, self.period, self.filters, self.now)
        return self._rows

    # ----------------------------------------------------------------- scalars

    def totals(self) -> dict[str, int]:
        """Every count of the period (keys of :data:`COUNT_KEYS`)."""
        return {key: int(self.groups[key].sum()) for key in COUNT_KEYS}

    def figures(self, hours: bool | Iterable[str] = True) -> dict[str, float | int | None]:
        """Every figure by key: counts, ratios (0-1, None when undefined) and working hours.

        ``hours`` False leaves the hour figures out; a list of stages (e.g. ``("process",
        "e2e")``) computes only theirs, from a slimmer read, when :attr:`rows` is not loaded.
        """
        if hours is True and self._figures is not None and self._figures[0] is self.groups:
            return dict(self._figures[1])
        totals = self.totals()
        out: dict[str, float | int | None] = {**totals, **rates(totals)}
        if hours is True or (hours and self._rows is not None):
            out.update(_hour_figures(self.rows))
            if hours is True:  # kept while the counts are the same object
                self._figures = (self.groups, dict(out))
        elif hours:
            with reading_session(self.url) as session:
                durations = _stage_hours(session, self.period, self.filters, hours)
            out.update(_hour_figures(durations, hours))
        return out

    # ----------------------------------------------------------------- tables

    def by(self, dimension: str) -> pd.DataFrame:
        """One row per code of ``channel``, ``field``, ``district`` or ``agency``.

        Index: the code (``NONE`` for no value); columns: ``name``, every count, every ratio,
        and ``hours.avg.<stage>`` / ``hours.median.<stage>``. Sorted by received, largest first.
        """
        if dimension not in DIMENSIONS:
            raise ValueError(f"Chiều thống kê '{dimension}' không tồn tại ({', '.join(DIMENSIONS)})")
        table = self.groups.groupby(dimension)[list(COUNT_KEYS)].sum()
        table = _with_rates(table)
        columns = [f"hours.{s}" for s in STAGE_KEYS]
        grouped = self.rows.groupby(dimension)[columns]
        means, medians = grouped.mean(), grouped.median()
        for stage in STAGE_KEYS:
            table[f"hours.avg.{stage}"] = means[f"hours.{stage}"]
            table[f"hours.median.{stage}"] = medians[f"hours.{stage}"]
        table.insert(0, "name", [self.names.of(dimension, code) for code in table.index])
        table.index.name = dimension
        return table.sort_values(["received", "name"], ascending=[False, True])

    def stage_table(self, targets: KpiTargets | None = None) -> pd.DataFrame:
        """On time and late per stage and end to end (index: verify ... publish, e2e).

        Columns: name, on_time, late, late_done, overdue, pending, late_notice, late_no_notice,
        on_time_rate, target, hours_avg, hours_median, hours_count.
        """
        targets = targets or load_targets()
        figures = self.figures()
        rows = []
        for stage in STAGE_KEYS:
            row = {"stage": stage, "name": stage_name(stage)}
            row.update({name: figures[f"{stage}.{name}"] for name in STAGE_COUNTS})
            row["on_time_rate"] = figures[f"rate.on_time.{stage}"]
            row["target"] = targets.stage_targets.get(stage)
            row["hours_avg"] = figures[f"hours.avg.{stage}"]
            row["hours_median"] = figures[f"hours.median.{stage}"]
            row["hours_count"] = figures[f"hours.count.{stage}"]
            rows.append(row)
        return pd.DataFrame(rows).set_index("stage")

    def satisfaction(self, dimension: str | None = None) -> pd.DataFrame:
        """Ratings (D11.2): answered, rated, each rating, rate.rated, rate.satisfied.

        One row per code of ``dimension`` (default: one row, ``total``).
        """
        columns = ["answered", "rated", *RATING_KEYS]
        if dimension is None:
            table = pd.DataFrame([self.groups[columns].sum()], index=pd.Index(["total"]))
        else:
            table = self.groups.groupby(dimension)[columns].sum()
            table.insert(0, "name", [self.names.of(dimension, c) for c in table.index])
        table["rate.rated"] = ratio(table["rated"], table["answered"])
        table["rate.satisfied"] = ratio(
            table["rating.hai_long"] + table["rating.chap_nhan_duoc"], table["rated"])
        return table

    def matrix(self) -> pd.DataFrame:
        """Agency × district, long form, for SLA heatmaps.

        One row per (agency, district) with reports: agency, agency_name, district,
        district_name, received, late (the agency's stages, process and approve, finished late
        or overdue), overdue (those running past due now), on_time (process stage),
        on_time_rate (process: on_time / (on_time + late)).
        """
        table = self.groups.groupby(["agency", "district"])[
            ["received", "agency_late", "agency_overdue", "process.on_time", "process.late"]].sum()
        table = table.reset_index()
        out = pd.DataFrame({
            "agency": table["agency"],
            "agency_name": [self.names.of("agency", c) for c in table["agency"]],
            "district": table["district"],
            "district_name": [self.names.of("district", c) for c in table["district"]],
            "received": table["received"],
            "late": table["agency_late"],
            "overdue": table["agency_overdue"],
            "on_time": table["process.on_time"],
            "on_time_rate": ratio(table["process.on_time"],
                                   table["process.on_time"] + table["process.late"]),
        })
        return out.sort_values(["agency", "district"]).reset_index(drop=True)

    def trend(self) -> pd.DataFrame:
        """One row per calendar month of the period (oldest first), months without reports
        included: month ("2026-10"), label ("10/2026"), start (date), every count and ratio."""
        return _trend_table(self.groups, self.period.months(), list(COUNT_KEYS))

    def overdue(self, include_done: bool = True) -> pd.DataFrame:
        """The period's late stages (see :func:`overdue_cases`), from :attr:`rows`."""
        return late_stages(self.rows, self.names, self.calendar, self.now, include_done)

    def ranking(self, min_sample: int | None = None) -> pd.DataFrame:
        """Agencies ranked by on-time processing (D14.4), tiny samples set apart.

        Index: agency code (the "no agency" group left out). Columns: name, received, decided
        (process stages on time + late), on_time, late, on_time_rate, hours_median (process),
        rate.satisfied, eligible (decided ≥ min_sample, default from data/kpi_targets.toml),
        rank (1 = best; None when not eligible). Eligible first, best first.
        """
        if min_sample is None:
            min_sample = load_targets().min_sample
        table = self.by("agency")
        table = table[table.index != NONE]
        out = pd.DataFrame({
            "name": table["name"],
            "received": table["received"],
            "decided": table["process.on_time"] + table["process.late"],
            "on_time": table["process.on_time"],
            "late": table["process.late"],
            "on_time_rate": table["rate.on_time.process"],
            "hours_median": table["hours.median.process"],
            "rate.satisfied": table["rate.satisfied"],
        })
        out["eligible"] = out["decided"] >= min_sample
        out = out.sort_values(["eligible", "on_time_rate", "hours_median", "name"],
                              ascending=[False, False, True, True], na_position="last")
        ranks = np.where(out["eligible"], np.cumsum(out["eligible"]), 0)
        out["rank"] = pd.array([int(r) if r else None for r in ranks], dtype="Int64")
        out.index.name = "agency"
        return out


def _with_rates(table: pd.DataFrame) -> pd.DataFrame:
    table = table.copy()
    for key, value in rates(table).items():
        table[key] = value
    return table


def snapshot(period: Period, filters: Filters | None = None, *, now: dt.datetime | None = None,
             url: str | None = None) -> Snapshot:
    """Count everything for ``period`` in one SQL ``GROUP BY`` (hours are read on first use)."""
    filters, now = _filters(filters), as_of(now)
    with reading_session(url) as session:
        groups = _group_counts(session, period, filters, now)
        names = load_names(session)
        calendar = calendar_from_session(session)
    return Snapshot(period=period, filters=filters, now=now, groups=groups, names=names,
                    calendar=calendar, url=url)


# =========================================================================== headline


@dataclass(frozen=True)
class Headline:
    """One headline figure with the previous period and its target."""

    key: str
    label: str
    value: float | int | None
    previous: float | int | None
    change: float | None  # value - previous
    unit: Literal["count", "rate", "hours"]
    target: float | None
    better: Literal["higher", "lower"]
    met: bool | None  # None when there is no target or no value


def headlines(current: Snapshot, previous: Snapshot | None = None,
              targets: KpiTargets | None = None, *,
              previous_figures: Mapping[str, Any] | None = None) -> list[Headline]:
    """The headline figures of ``data/kpi_targets.toml``, compared with ``previous``
    (``previous_figures``: that period's figures when already computed)."""
    targets = targets or load_targets()
    now_figures = current.figures()
    if previous_figures is not None:
        prev_figures = dict(previous_figures)
    else:
        prev_figures = previous.figures() if previous is not None else {}
    out = []
    for spec in targets.headline:
        value = now_figures.get(spec.key)
        before = prev_figures.get(spec.key)
        change = None if value is None or before is None else float(value) - float(before)
        met = None
        if spec.target is not None and value is not None:
            met = value >= spec.target if spec.better == "higher" else value <= spec.target
        out.append(Headline(spec.key, label(spec.key), value, before, change, unit_of(spec.key),
                            spec.target, spec.better, met))
    return out


def headline_kpis(period: Period, filters: Filters | None = None, *,
                  now: dt.datetime | None = None, url: str | None = None,
                  targets: KpiTargets | None = None) -> list[Headline]:
    """Headline figures of ``period`` with the previous period and the targets."""
    now = as_of(now)
    return headlines(snapshot(period, filters, now=now, url=url),
                     snapshot(period.previous(), filters, now=now, url=url), targets)


def stage_on_time(period: Period, filters: Filters | None = None, *,
                  now: dt.datetime | None = None, url: str | None = None) -> pd.DataFrame:
    """On-time rate per stage and end to end (see :meth:`Snapshot.stage_table`)."""
    return snapshot(period, filters, now=now, url=url).stage_table()


def agency_district_matrix(period: Period, filters: Filters | None = None, *,
                           now: dt.datetime | None = None, url: str | None = None) -> pd.DataFrame:
    """Agency × district counts for heatmaps (see :meth:`Snapshot.matrix`)."""
    return snapshot(period, filters, now=now, url=url).matrix()


def agency_ranking(period: Period, filters: Filters | None = None, *,
                   now: dt.datetime | None = None, url: str | None = None,
                   min_sample: int | None = None) -> pd.DataFrame:
    """Agencies ranked by on-time processing (see :meth:`Snapshot.ranking`)."""
    return snapshot(period, filters, now=now, url=url).ranking(min_sample)


# =========================================================================== trend


TREND_KEYS = ("received", "rejected", "answered", "e2e.on_time", "e2e.late", "e2e.overdue",
              "process.on_time", "process.late", "rated", "rating.hai_long",
              "rating.chap_nhan_duoc", "rating.khong_hai_long")


def monthly_trend(period: Period, filters: Filters | None = None, *, months: int = 12,
                  now: dt.datetime | None = None, url: str | None = None,
                  keys: Iterable[str] | None = TREND_KEYS) -> pd.DataFrame:
    """Month by month, ``months`` months ending with the period's last month (oldest first).

    One SQL query over the whole span. Columns: month ("2026-10"), label ("10/2026"), start
    (date), the counts of ``keys`` (default :data:`TREND_KEYS`; None: every count) and the
    ratios they allow (rate.on_time.e2e, rate.on_time.process, rate.satisfied by default).
    """
    if months < 1:
        raise ValueError("Số tháng phải từ 1 trở lên")
    filters, now = _filters(filters), as_of(now)
    buckets = period.months_back(months)
    span = Period(buckets[0].start, buckets[-1].end)
    keys = list(keys) if keys is not None else list(COUNT_KEYS)
    with reading_session(url) as session:
        groups = _group_counts(session, span, filters, now, keys, dimensions=())
    return _trend_table(groups, buckets, keys)


# =========================================================================== case lists


OVERDUE_COLUMNS = (
    "code", "stage", "stage_name", "status", "responsible", "responsible_name", "agency",
    "field", "field_name", "district", "district_name", "submitted_at", "due_at", "done_at",
    "hours_late", "progress_notice", "emergency", "private", "state", "state_name",
)


def _utc_times(seconds: np.ndarray) -> pd.Series:
    values = pd.Series(seconds, dtype="int64")
    return pd.to_datetime(values.where(values != NAT_INT), unit="s", utc=True)


def late_stages(rows: pd.DataFrame, names: Names, calendar: WorkCalendar, now: dt.datetime,
                include_done: bool = True) -> pd.DataFrame:
    """The late stages of per-report rows (``Snapshot.rows``), one row per (report, stage).

    Columns: :data:`OVERDUE_COLUMNS` (see :func:`overdue_cases`). Most late first.
    """
    now_s = int(now.timestamp())
    parts = []
    for stage in STAGES:
        status = rows[f"status.{stage}"].to_numpy()
        mine = (status == ST_OVERDUE) | ((status == ST_LATE_DONE) if include_done else False)
        if not mine.any():
            continue
        part = rows.loc[mine]
        due = part[f"{stage}_due"].to_numpy()
        done = part[f"{stage}_done"].to_numpy()
        end = np.where(done == NAT_INT, now_s, done)
        notice = part["notice"].to_numpy()
        agency = part["agency"].to_numpy()
        parts.append(pd.DataFrame({
            "code": part["code"].to_numpy(),
            "stage": stage,
            "status": np.where(status[mine] == ST_OVERDUE, "overdue", "late_done"),
            "responsible": np.full(len(part), IOC, dtype=object) if STAGE_OWNER[stage] == IOC
            else agency,
            "agency": agency,
            "field": part["field"].to_numpy(),
            "district": part["district"].to_numpy(),
            "submitted_at": part["submitted"].to_numpy(),
            "due_at": due,
            "done_at": done,
            "hours_late": np.round(working_hours(calendar, due, end,
                                                 part["emergency"].to_numpy()), 2),
            "progress_notice": (notice != NAT_INT) & (notice <= end),
            "emergency": part["emergency"].to_numpy(),
            "private": part["private"].to_numpy(),
            "state": part["state"].to_numpy(),
        }))
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in OVERDUE_COLUMNS})
    out = pd.concat(parts, ignore_index=True)
    for column in ("submitted_at", "due_at", "done_at"):
        out[column] = _utc_times(out[column].to_numpy())
    texts = kpi_texts()["names"]
    stage_names = {stage: stage_name(stage) for stage in STAGES}
    out["stage_name"] = out["stage"].map(stage_names)
    responsible = {**names.agencies, IOC: texts["ioc"], NONE: texts["no_agency"]}
    out["responsible_name"] = out["responsible"].map(responsible).fillna(out["responsible"])
    out["field_name"] = out["field"].map({**names.fields, NONE: texts["no_field"]}).fillna(
        out["field"])
    out["district_name"] = out["district"].map(
        {**names.districts, NONE: texts["no_district"]}).fillna(out["district"])
    out["state_name"] = out["state"].map({s.value: STATE_LABELS_VI[s] for s in State})
    out = out.sort_values(["hours_late", "code", "stage"], ascending=[False, True, True],
                          kind="stable").reset_index(drop=True)
    return out[list(OVERDUE_COLUMNS)]


def overdue_cases(period: Period | None, filters: Filters | None = None, *,
                  now: dt.datetime | None = None, url: str | None = None,
                  include_done: bool = True) -> pd.DataFrame:
    """Every late stage, with who answers for it (D14.4) and how late in working hours.

    ``period`` given: the cohort's stages finished late or still overdue (``include_done``
    False: only those still overdue). ``period`` None: every stage overdue right now, whenever
    the report came in (the dashboard's live list). One row per (report, late stage): a report
    late in two stages has two rows. Columns: :data:`OVERDUE_COLUMNS`; ``status`` is
    ``late_done`` or ``overdue``; ``responsible`` is ``ioc`` or the agency's code; times are
    aware UTC Timestamps (``done_at`` NaT while running); ``hours_late`` is working hours
    (clock hours for emergencies) from the due instant to the finish, or to ``now``.
    Most late first.
    """
    filters, now = _filters(filters), as_of(now)
    extra = [] if period is not None else [R.state.in_(RUNNING_STATES)]
    with reading_session(url) as session:
        rows = _rows(session, period, filters, now, extra)
        names = load_names(session)
        calendar = calendar_from_session(session)
    return late_stages(rows, names, calendar, now, include_done and period is not None)


def overdue_by_responsible(cases: pd.DataFrame) -> pd.DataFrame:
    """Late stages per responsible unit (IOC or agency), from :func:`overdue_cases`.

    Index: responsible code. Columns: name, late (rows), overdue (still running), late_done,
    with_notice, hours_total, hours_max. Most late first.
    """
    if cases.empty:
        return pd.DataFrame(columns=["name", "late", "overdue", "late_done", "with_notice",
                                     "hours_total", "hours_max"])
    grouped = cases.groupby("responsible")
    out = pd.DataFrame({
        "name": grouped["responsible_name"].first(),
        "late": grouped.size(),
        "overdue": grouped["status"].apply(lambda s: int((s == "overdue").sum())),
        "late_done": grouped["status"].apply(lambda s: int((s == "late_done").sum())),
        "with_notice": grouped["progress_notice"].sum().astype(int),
        "hours_total": grouped["hours_late"].sum(),
        "hours_max": grouped["hours_late"].max(),
    })
    out.index.name = "responsible"
    return out.sort_values(["late", "hours_total"], ascending=[False, False])


ESCALATION_COLUMNS = ("code", "field", "field_name", "district", "district_name",
                      "submitted_at", "escalated_at", "waiting_hours", "forward_due", "overdue",
                      "private")


def escalations_waiting(filters: Filters | None = None, *, period: Period | None = None,
                        now: dt.datetime | None = None, url: str | None = None) -> pd.DataFrame:
    """Reports escalated to the provincial People's Committee still waiting for direction (D7.2c).

    Columns: :data:`ESCALATION_COLUMNS`; ``waiting_hours`` = working hours since the latest
    escalation; ``overdue`` = the forward stage's due instant has passed. Longest waiting first.
    """
    filters, now = _filters(filters), as_of(now)
    escalated_at = (select(func.max(Event.at)).where(Event.report_id == R.id,
                                                      Event.action == "escalate")
                    .scalar_subquery())
    query = (select(R.code, R.field_code, R.district_code, epoch_column(R.submitted_at),
                    epoch_column(escalated_at), epoch_column(R.forward_due),
                    or_(R.confidential.is_(True), R.state_secret.is_(True)))
             .where(*cohort_conditions(period, filters), R.state == State.ESCALATED.value))
    with reading_session(url) as session:
        raw = read_frame(session, query, ["code", "field", "district", "submitted", "escalated",
                                      "due", "private"], ["submitted", "escalated", "due"])
        names = load_names(session)
        calendar = calendar_from_session(session)
    if raw.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in ESCALATION_COLUMNS})
    escalated = epoch_values(raw["escalated"])
    due = epoch_values(raw["due"])
    now_s = int(now.timestamp())
    out = pd.DataFrame({
        "code": raw["code"],
        "field": raw["field"].fillna(NONE).astype(str),
        "district": raw["district"].fillna(NONE).astype(str),
        "submitted_at": _utc_times(epoch_values(raw["submitted"])),
        "escalated_at": _utc_times(escalated),
        "waiting_hours": np.round(working_hours(
            calendar, escalated, np.full(len(raw), now_s, dtype=np.int64)), 2),
        "forward_due": _utc_times(due),
        "overdue": (due != NAT_INT) & (due < now_s),
        "private": bool_values(raw["private"]),
    })
    out["field_name"] = [names.of("field", c) for c in out["field"]]
    out["district_name"] = [names.of("district", c) for c in out["district"]]
    out = out.sort_values(["waiting_hours", "code"], ascending=[False, True])
    return out[list(ESCALATION_COLUMNS)].reset_index(drop=True)


# =========================================================================== click-through


def report_codes(metric: str, period: Period | None, filters: Filters | None = None, *,
                 now: dt.datetime | None = None, url: str | None = None,
                 limit: int | None = None) -> list[str]:
    """The tracking codes behind a counting figure (click-through), oldest first.

    ``metric`` is a key of :data:`FLAG_KEYS` (``returned_times`` & co. give the reports behind
    them); ratios are clicked through via their parts. ``filters`` narrow it to a table row
    (e.g. ``Filters(agency="so_xd")``); ``period`` None means every report. The count of codes
    equals the figure for the same period, filters and ``now``.
    """
    aliases = {"returned_times": "returned", "rework_times": "rework",
               "escalation_times": "escalated"}
    key = aliases.get(metric, metric)
    now = as_of(now)
    if key not in FLAG_KEYS:
        raise ValueError(
            f"Chỉ tiêu '{metric}' không phải là một số đếm; hãy chọn một trong: "
            f"{', '.join(FLAG_KEYS)}"
        )
    f = facts(now, cohort_conditions(period, _filters(filters)))
    query = (select(f.c.code).where(flag_conditions(f)[key])
             .order_by(f.c.submitted_at, f.c.id))
    if limit is not None:
        query = query.limit(limit)
    with reading_session(url) as session:
        return list(session.scalars(query))


def count_reports(period: Period, filters: Filters | None = None, *,
                  url: str | None = None) -> int:
    """Reports submitted in ``period`` (a plain COUNT, to check the tables against)."""
    with reading_session(url) as session:
        return int(session.scalar(
            select(func.count()).select_from(R).where(*cohort_conditions(period, _filters(filters)))) or 0)

"""KPI definitions, written once: each figure's key, Vietnamese name and unit, and the condition on
a report that counts it (docs/kpi.md, D13.5, D14.4).

Counting figures are boolean conditions (`flag_conditions`) on one row per report of `facts`,
where each stage's status (`stage_conditions`) is worked out once: the same condition is summed
in one SQL GROUP BY for the tables and selected for the click-through list of codes
(`lists.report_codes`), so a number and the list behind it can never disagree. Ratios come from
the counts through one function (`rates`).

What is counted (the cohort): the reports submitted in the period, as they stand at `now`. A
stage is on time when it finished by its due instant, late when it finished after it or is still
running past it at `now` (overdue). A report waiting for the citizen's supplement (D7.2b) has no
running clock. No function here returns a reporter's name, phone or e-mail, or free text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    exists,
    false,
    func,
    not_,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session

from backend.config import data_dir
from backend.domain.sla import STAGES
from backend.domain.stages import AGENCY_STAGES
from backend.domain.workflow import OPEN_STATES, RATINGS, State
from backend.reference.rules import read_toml
from backend.services.clocks import sla_policy
from backend.services.kpis.selection import NONE, UTC, Filters, Period, R
from backend.storage.models import AdminUnit, Agency, Area, Event, Field

E2E = "e2e"


STAGE_KEYS = (*STAGES, E2E)


# who answers for a late stage (D6-D10; D14.4): the IOC, or the agency that holds the report
STAGE_OWNER: dict[str, Literal["ioc", "agency"]] = {
    "verify": "ioc", "forward": "ioc", "process": "agency", "approve": "agency", "publish": "ioc",
}




IOC = "ioc"


# a stage's clock runs in these states (a report waiting for the citizen has none, D7.2b)
RUNNING_STATES = tuple(sorted(s.value for s in OPEN_STATES - {State.NEEDS_SUPPLEMENT}))


RATING_KEYS = tuple(f"rating.{code}" for code in RATINGS)


STAGE_COUNTS = ("on_time", "late", "late_done", "overdue", "pending", "late_notice",
                "late_no_notice")


SUM_KEYS = {"returned_times": "return_count", "rework_times": "rework_count",
            "escalation_times": "escalation_count"}  # figure -> column summed


@lru_cache(maxsize=4)
def _kpi_texts(path: str) -> dict[str, Any]:
    return read_toml(Path(path))


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
    raw = read_toml(path)
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
        R.unit_code.label("unit"), R.agency_code.label("agency"), R.state,
        R.delegate_code.label("delegate"),
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
        "delegated": c.delegate.is_not(None),
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


def as_of(now: dt.datetime | None) -> dt.datetime:
    if now is None:
        return dt.datetime.now(UTC).replace(microsecond=0)
    if now.tzinfo is None:
        raise ValueError("now phải là thời điểm có múi giờ (aware datetime)")
    return now.astimezone(UTC)


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
    areas: dict[str, str]  # code -> short name, in display order
    units: dict[str, str]
    unit_area: dict[str, str]  # unit code -> area code

    def of(self, dimension: str, code: str | None) -> str:
        """Name of a code of a dimension (``NONE``/None gives the "no value" name)."""
        names = kpi_texts()["names"]
        if dimension == "channel":
            return channel_name(code or "")
        if code is None or code == NONE:
            return names[{"field": "no_field", "area": "no_area", "unit": "no_unit",
                          "agency": "no_agency"}.get(dimension, "unknown")]
        if dimension == "responsible" and code == IOC:
            return names["ioc"]
        table = {"field": self.fields, "area": self.areas, "unit": self.units,
                 "agency": self.agencies, "responsible": self.agencies}[dimension]
        return table.get(code, code)

    def area_column(self, units: pd.Series | np.ndarray) -> np.ndarray:
        """The area of each unit code (``NONE`` where there is no unit or no area)."""
        return pd.Series(units).map(self.unit_area).fillna(NONE).astype(str).to_numpy()


def load_names(session: Session) -> Names:
    """Names from the database (administrators edit them there)."""
    agencies = session.execute(select(Agency.code, Agency.name, Agency.short_name)).all()
    return Names(
        fields=dict(session.execute(select(Field.code, Field.name)).all()),
        agencies={code: name for code, name, _ in agencies},
        agency_short={code: short for code, _, short in agencies},
        areas=dict(session.execute(select(Area.code, Area.name)
                                   .order_by(Area.sort_order, Area.code)).all()),
        units=dict(session.execute(select(AdminUnit.code, AdminUnit.name)
                                   .where(AdminUnit.level == "unit")).all()),
        unit_area=unit_areas(session),
    )


def unit_areas(session: Session) -> dict[str, str]:
    """Unit code -> area code, as stored now (the grouping every figure folds units by)."""
    return {code: area for code, area in session.execute(
        select(AdminUnit.code, AdminUnit.area_code).where(AdminUnit.level == "unit")) if area}


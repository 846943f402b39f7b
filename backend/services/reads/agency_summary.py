"""The unit leader's own summary (D2.2c, D14.4): the agency's work done on time and late.

A leader answers for the agency's delays; this is what they watch: per stage the agency owns
(processing, D8 step 3; approval, D9.2), how many steps finished on time and late this month and
last month, and how many open ones are overdue right now. Months are calendar months in Vietnam's
time; a step counts in the month it was finished.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, func, select

from backend.config import LOCAL_TZ
from backend.domain.stages import AGENCY_STAGES
from backend.domain.workflow import AT_AGENCY_STATES
from backend.services.clocks import sla_policy
from backend.storage.db import session_factory
from backend.storage.models import Report

_AT_AGENCY = tuple(s.value for s in AT_AGENCY_STATES)


@dataclass(frozen=True)
class StageCounts:
    """Finished on time / late within a month, for one stage."""

    on_time: int
    late: int

    @property
    def rate(self) -> float | None:
        total = self.on_time + self.late
        return self.on_time / total if total else None


@dataclass(frozen=True)
class MonthSummary:
    label: str  # "Tháng 7/2026"
    start: datetime
    end: datetime
    stages: dict[str, StageCounts]


@dataclass(frozen=True)
class AgencySummary:
    agency: str
    stage_names: dict[str, str]
    months: tuple[MonthSummary, MonthSummary]  # this month, last month
    open_on_time: dict[str, int]
    open_overdue: dict[str, int]


def month_bounds(now: datetime) -> tuple[tuple[datetime, datetime], tuple[datetime, datetime]]:
    """((this month start, next month start), (last month start, this month start)), local time."""
    local = now.astimezone(LOCAL_TZ)
    this = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    following = (this.replace(year=this.year + 1, month=1) if this.month == 12
                 else this.replace(month=this.month + 1))
    last = (this.replace(year=this.year - 1, month=12) if this.month == 1
            else this.replace(month=this.month - 1))
    return (this, following), (last, this)


def agency_summary(agency_code: str, now: datetime, url: str | None = None) -> AgencySummary:
    """Counts for `agency_code` at `now`: one query per month and one for the open steps."""
    policy = sla_policy()
    months = []
    with session_factory(url)() as session:
        for start, end in month_bounds(now):
            columns = []
            for stage in AGENCY_STAGES:
                done, due = getattr(Report, f"{stage}_done"), getattr(Report, f"{stage}_due")
                finished = and_(done >= start, done < end)
                columns += [func.coalesce(func.sum(case((and_(finished, done <= due), 1),
                                                        else_=0)), 0),
                            func.coalesce(func.sum(case((and_(finished, done > due), 1),
                                                        else_=0)), 0)]
            row = session.execute(select(*columns).where(Report.agency_code == agency_code)).one()
            stages = {stage: StageCounts(int(row[2 * i]), int(row[2 * i + 1]))
                      for i, stage in enumerate(AGENCY_STAGES)}
            months.append(MonthSummary(f"Tháng {start.month}/{start.year}", start, end, stages))
        open_rows = session.execute(
            select(Report.stage, func.count(),
                   func.coalesce(func.sum(case((Report.stage_due < now, 1), else_=0)), 0))
            .where(Report.agency_code == agency_code, Report.state.in_(_AT_AGENCY),
                   Report.stage.in_(AGENCY_STAGES))
            .group_by(Report.stage)).all()
    on_time = dict.fromkeys(AGENCY_STAGES, 0)
    overdue = dict.fromkeys(AGENCY_STAGES, 0)
    for stage, count, late in open_rows:
        on_time[stage], overdue[stage] = int(count) - int(late), int(late)
    return AgencySummary(agency_code, {s: policy.budgets[s].name_vi for s in AGENCY_STAGES},
                         (months[0], months[1]), on_time, overdue)

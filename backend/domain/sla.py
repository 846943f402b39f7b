"""Stage budgets (SLA) of a field report and the status of each stage against its deadline.

The regulation gives each step a limit in working time (DOMAIN.md "Deadlines": D6.2 verify,
D7.1 classify and forward, D8 step 3 processing, D9.2 approval, D10.1 publication) and says an
emergency report is handled "at once": a short clock-time limit instead. The numbers live in
``data/sla.toml``; the working-time arithmetic in :mod:`backend.domain.worktime` (closing-time
convention, CALENDAR.md). Statuses tell "at risk" (most of the budget used) and overdue with or
without a progress notice apart, as the dashboard and the monthly report (D13.5) need.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np

from backend.domain.worktime import (
    NAT_INT,
    WorkCalendar,
    epoch_seconds,
    from_epoch_seconds,
    to_epoch_seconds,
)

STAGES = ("verify", "forward", "process", "approve", "publish")
ANCHORS = ("submitted", "forwarded", "result_submitted", "approved")


@dataclass(frozen=True)
class StageBudget:
    """Deadline rule of one stage: working minutes normally, clock minutes for emergencies."""

    stage: str
    name_vi: str
    clause: str
    minutes: int
    emergency_minutes: int
    anchor: str


@dataclass(frozen=True)
class SlaPolicy:
    """All stage budgets and the share of a budget after which a stage is "at risk"."""

    budgets: dict[str, StageBudget]
    at_risk: float
    # Đ11.1-2 give the reporter a reply and a rating but no time limit: how long after the
    # answer the IOC keeps the report open for them is the province's choice (data/sla.toml)
    reply_window_minutes: int = 2400

    def budget(self, stage: str) -> StageBudget:
        """The budget of ``stage``; a clear error for an unknown stage."""
        try:
            return self.budgets[stage]
        except KeyError:
            raise ValueError(
                f"Bước '{stage}' không tồn tại (các bước: {', '.join(STAGES)})"
            ) from None


def sla_policy_from(raw: Mapping[str, Any], source: str = "sla.toml") -> SlaPolicy:
    """The stage budgets as `data/sla.toml` writes them (read by `backend.reference.rules`),
    checked: every stage with a sane budget; errors name `source`."""
    at_risk = float(raw.get("at_risk", 0.75))
    if not 0.0 < at_risk <= 1.0:
        raise ValueError(f"{source}: at_risk phải trong khoảng (0, 1]")
    window = raw.get("follow_up", {}).get("reply_window_minutes", 2400)
    if not isinstance(window, int) or window < 0:
        raise ValueError(f"{source}: follow_up.reply_window_minutes phải là số phút không âm")
    stages = raw.get("stages", {})
    budgets: dict[str, StageBudget] = {}
    for stage in STAGES:
        item = stages.get(stage)
        if item is None:
            raise ValueError(f"{source}: thiếu bước '{stage}'")
        try:
            budget = StageBudget(
                stage=stage,
                name_vi=str(item["name_vi"]),
                clause=str(item["clause"]),
                minutes=int(item["minutes"]),
                emergency_minutes=int(item["emergency_minutes"]),
                anchor=str(item["anchor"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(
                f"{source}: bước '{stage}' cần name_vi, clause, minutes, emergency_minutes, anchor"
            ) from exc
        if budget.minutes < 0 or budget.emergency_minutes < 0:
            raise ValueError(f"{source}: thời hạn của bước '{stage}' phải không âm")
        if budget.anchor not in ANCHORS:
            raise ValueError(f"{source}: mốc '{budget.anchor}' của bước '{stage}' không hợp lệ")
        budgets[stage] = budget
    unknown = set(stages) - set(STAGES)
    if unknown:
        raise ValueError(f"{source}: bước không xác định {sorted(unknown)}")
    return SlaPolicy(budgets=budgets, at_risk=at_risk, reply_window_minutes=window)


# --------------------------------------------------------------------------- deadlines


def stage_deadline(
    policy: SlaPolicy,
    calendar: WorkCalendar,
    stage: str,
    start: dt.datetime,
    emergency: bool = False,
) -> dt.datetime:
    """Due instant (aware UTC) of a stage started at ``start``.

    Working time, closing-time convention; an emergency report runs on the clock instead.
    """
    budget = policy.budget(stage)
    if emergency:
        return from_epoch_seconds(epoch_seconds(start) + budget.emergency_minutes * 60)
    return calendar.deadline_one(start, budget.minutes, "closing")


def stage_deadlines(
    policy: SlaPolicy, calendar: WorkCalendar, stage: str, starts: Any, emergency: Any = None
) -> np.ndarray:
    """:func:`stage_deadline` for arrays (bulk demo seeding); ``datetime64[s]`` UTC, NaT kept."""
    budget = policy.budget(stage)
    seconds = to_epoch_seconds(starts)
    if emergency is None:
        return calendar.deadline(seconds.view("datetime64[s]"), budget.minutes, "closing")
    urgent = np.broadcast_to(np.asarray(emergency, dtype=bool), seconds.shape)
    result = np.full(seconds.shape, NAT_INT, dtype=np.int64)
    normal = ~urgent
    if normal.any():
        result[normal] = calendar.deadline(
            seconds[normal].view("datetime64[s]"), budget.minutes, "closing"
        ).view(np.int64)
    present = urgent & (seconds != NAT_INT)
    result[present] = seconds[present] + budget.emergency_minutes * 60
    return result.view("datetime64[s]")


# --------------------------------------------------------------------------- statuses


class StageStatus(StrEnum):
    """Where a stage stands against its deadline."""

    PENDING = "pending"  # not started
    ON_TIME = "on_time"
    AT_RISK = "at_risk"
    OVERDUE = "overdue"
    OVERDUE_NOTIFIED = "overdue_notified"  # overdue, but a progress notice was sent
    DONE_ON_TIME = "done_on_time"
    DONE_LATE = "done_late"


STATUS_LABELS_VI: dict[StageStatus, str] = {
    StageStatus.PENDING: "Chưa bắt đầu",
    StageStatus.ON_TIME: "Trong hạn",  # open, not yet near its deadline (done: "đúng hạn")
    StageStatus.AT_RISK: "Sắp đến hạn",
    StageStatus.OVERDUE: "Quá hạn",
    StageStatus.OVERDUE_NOTIFIED: "Quá hạn (đã thông báo tiến độ)",
    StageStatus.DONE_ON_TIME: "Hoàn thành đúng hạn",
    StageStatus.DONE_LATE: "Hoàn thành quá hạn",
}


def stage_status(
    policy: SlaPolicy,
    calendar: WorkCalendar,
    stage: str,
    start: dt.datetime | None,
    due: dt.datetime | None,
    done: dt.datetime | None,
    now: dt.datetime,
    emergency: bool = False,
    progress_notice_at: dt.datetime | None = None,
) -> StageStatus:
    """Status of one stage at ``now``.

    ``due`` None means the policy's deadline from ``start``. Finishing exactly at the deadline
    is on time. "At risk" once the used share of the budget (working minutes, or clock minutes
    for an emergency, from start to now over start to due) reaches ``policy.at_risk``. Overdue
    with a progress notice sent by ``now`` is told apart from overdue without one.
    """
    if start is None:
        return StageStatus.PENDING
    if due is None:
        due = stage_deadline(policy, calendar, stage, start, emergency)
    else:
        policy.budget(stage)  # an unknown stage is an error even when the due date is given
    due_s = epoch_seconds(due)
    if done is not None:
        return StageStatus.DONE_ON_TIME if epoch_seconds(done) <= due_s else StageStatus.DONE_LATE
    now_s = epoch_seconds(now)
    if now_s > due_s:
        if progress_notice_at is not None and epoch_seconds(progress_notice_at) <= now_s:
            return StageStatus.OVERDUE_NOTIFIED
        return StageStatus.OVERDUE
    if emergency:
        start_s = epoch_seconds(start)
        used = (now_s - start_s) / 60.0
        budget = (due_s - start_s) / 60.0
    else:
        used = calendar.elapsed_one(start, now)
        budget = calendar.elapsed_one(start, due)
    return StageStatus.AT_RISK if used >= policy.at_risk * budget else StageStatus.ON_TIME


def _instants(values: Any, shape: tuple[int, ...]) -> np.ndarray:
    if values is None:
        return np.full(shape, NAT_INT, dtype=np.int64)
    return np.broadcast_to(to_epoch_seconds(values), shape)


def stage_status_many(
    policy: SlaPolicy,
    calendar: WorkCalendar,
    stage: str,
    starts: Any,
    dues: Any,
    dones: Any,
    now: Any,
    emergency: Any = None,
    progress_notice_at: Any = None,
) -> np.ndarray:
    """:func:`stage_status` over arrays (NaT or None = missing); an array of status strings.

    Arguments broadcast against ``starts`` (``now`` is usually one instant). Same rules as the
    scalar function, for the dashboard and the reports that classify thousands of stages.
    """
    policy.budget(stage)
    start = to_epoch_seconds(starts)
    shape = start.shape
    due = np.array(_instants(dues, shape))
    done = _instants(dones, shape)
    now_s = _instants(now, shape)
    notice = _instants(progress_notice_at, shape)
    urgent = (
        np.zeros(shape, dtype=bool)
        if emergency is None
        else np.broadcast_to(np.asarray(emergency, dtype=bool), shape)
    )
    result = np.full(shape, StageStatus.PENDING.value, dtype="<U16")
    started = start != NAT_INT

    fill = started & (due == NAT_INT)
    if fill.any():
        due[fill] = stage_deadlines(
            policy, calendar, stage, start[fill].view("datetime64[s]"), urgent[fill]
        ).view(np.int64)

    finished = started & (done != NAT_INT)
    result[finished & (done <= due)] = StageStatus.DONE_ON_TIME.value
    result[finished & (done > due)] = StageStatus.DONE_LATE.value

    running = started & ~finished
    overdue = running & (now_s > due)
    notified = overdue & (notice != NAT_INT) & (notice <= now_s)
    result[overdue & ~notified] = StageStatus.OVERDUE.value
    result[notified] = StageStatus.OVERDUE_NOTIFIED.value

    live = running & ~overdue
    used = np.zeros(shape, dtype=np.float64)
    budget = np.zeros(shape, dtype=np.float64)
    clock = live & urgent
    used[clock] = (now_s[clock] - start[clock]) / 60.0
    budget[clock] = (due[clock] - start[clock]) / 60.0
    working = live & ~urgent
    if working.any():
        begin = start[working].view("datetime64[s]")
        used[working] = calendar.elapsed(
            begin, np.ascontiguousarray(now_s[working]).view("datetime64[s]")
        )
        budget[working] = calendar.elapsed(begin, due[working].view("datetime64[s]"))
    risky = used >= policy.at_risk * budget
    result[live & risky] = StageStatus.AT_RISK.value
    result[live & ~risky] = StageStatus.ON_TIME.value
    return result

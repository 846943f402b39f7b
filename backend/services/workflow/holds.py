"""Taking a report at the IOC (D13.2: the IOC assigns its staff to follow each report).

A handler takes a report before working on it, so two handlers never work the same one
unknowingly: the queue shows who holds what, and a step by another IOC handler on a report held
by someone else is refused (409) until the hold is released, lapses or is taken over openly.
A hold is a marker on the report, not a workflow step: it changes neither state nor version, so
an API client's `version` stays valid. It lapses after `HOLD_TTL` (a handler who left for the day
does not block the queue) and ends when the report leaves the IOC's desk.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update

from backend.domain.roles import IOC_ROLES, Role
from backend.domain.workflow import (
    WITH_IOC_STATES,
    Actor,
    Forbidden,
    WorkflowError,
)
from backend.services.errors import NotFound
from backend.storage.db import session_factory
from backend.storage.models import Report

HOLD_TTL = timedelta(hours=4)
_AT_IOC = tuple(s.value for s in WITH_IOC_STATES)


class HeldByOther(WorkflowError):
    """Another handler holds the report (HTTP 409)."""

    http_status = 409

    def __init__(self, holder: str) -> None:
        super().__init__("held_by_other",
                         f"Phản ánh đang do '{holder}' xử lý; hãy phối hợp hoặc nhận lại có ghi nhận.")
        self.holder = holder


class NotWithIoc(WorkflowError):
    """The report has left the IOC's desk (forwarded, published...): nothing to take (HTTP 409)."""

    http_status = 409

    def __init__(self) -> None:
        super().__init__("not_with_ioc", "Phản ánh không còn ở IOC (đã chuyển bước khác); "
                                         "không cần nhận xử lý.")


@dataclass(frozen=True)
class Hold:
    code: str
    held_by: str | None
    held_at: datetime | None


def active_holder(held_by: str | None, held_at: datetime | None, now: datetime) -> str | None:
    """Who holds a report at `now` (None when nobody, or the hold has lapsed)."""
    if held_by is None or held_at is None or held_at + HOLD_TTL <= now:
        return None
    return held_by


def check_not_held_by_other(report: Report, actor: Actor, now: datetime) -> None:
    """Refuse an IOC step on a report another IOC handler holds (called by perform_action)."""
    holder = active_holder(report.held_by, report.held_at, now)
    if holder is not None and holder != actor.username and actor.role in IOC_ROLES:
        raise HeldByOther(holder)


def release_if_left_ioc(report: Report) -> None:
    """A hold ends when the report leaves the IOC's desk (forwarded, rejected, published…)."""
    if report.state not in _AT_IOC:
        report.held_by = None
        report.held_at = None


def take(code: str, actor: Actor, now: datetime, *, take_over: bool = False,
         url: str | None = None) -> Hold:
    """Hold `code` for `actor`. Atomic: of two handlers taking at once exactly one wins; the
    other gets HeldByOther unless `take_over` (a deliberate, visible takeover)."""
    if actor.role not in IOC_ROLES:
        raise Forbidden("forbidden_role", "Chỉ người xử lý tại IOC nhận phản ánh để xử lý.")
    with session_factory(url)() as session, session.begin():
        report = session.execute(select(Report.id).where(Report.code == code)).one_or_none()
        if report is None:
            raise NotFound()
        free = or_(Report.held_by.is_(None), Report.held_by == actor.username,
                   Report.held_at <= now - HOLD_TTL)
        # only while the report is with the IOC, checked in the UPDATE itself (no race)
        statement = update(Report).where(Report.id == report.id, Report.state.in_(_AT_IOC))
        if not take_over:
            statement = statement.where(free)
        done = session.execute(statement.values(held_by=actor.username, held_at=now)
                               .execution_options(synchronize_session=False))
        if done.rowcount != 1:
            holder, state = session.execute(select(Report.held_by, Report.state)
                                            .where(Report.id == report.id)).one()
            if state not in _AT_IOC:
                raise NotWithIoc()
            raise HeldByOther(holder or "?")
    return Hold(code, actor.username, now)


def release(code: str, actor: Actor, url: str | None = None) -> None:
    """Give a report back to the queue (only its holder, or an administrator, may)."""
    with session_factory(url)() as session, session.begin():
        statement = update(Report).where(Report.code == code)
        if actor.role != Role.ADMIN:
            statement = statement.where(Report.held_by == actor.username)
        session.execute(statement.values(held_by=None, held_at=None)
                        .execution_options(synchronize_session=False))

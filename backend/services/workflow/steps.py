"""Taking one workflow step on one report, in one transaction (Phụ lục I, D6-D11).

Who may do what is decided in `backend.domain.workflow`; this module applies a decided step to
the stored report: the state, the per-stage clocks (D6.2, D7.1, D8, D9.2, D10.1), the counters
the KPIs read, and one event in the report's hash chain.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from backend import vietnamese as vn
from backend.domain.workflow import ACTIONS, Actor, ReportFacts, StaleVersion, State, decide
from backend.services import audit
from backend.services.clocks import (
    Clocks,
    clocks_in,
    now_utc,
    start_intake_clocks,
    track_current_stage,
)
from backend.services.errors import NotFound, ValidationError
from backend.services.intake.validation import MAX_DESCRIPTION
from backend.services.notifications import outbox
from backend.services.workflow import holds
from backend.services.workflow.templates import fill_reply
from backend.storage.db import session_factory
from backend.storage.models import Agency, Consultation, Feedback, Field, Report


def get_report(code: str, *, url: str | None = None) -> Report:
    """The report with this tracking code, or NotFound."""
    with session_factory(url)() as session:
        report = session.scalar(select(Report).where(Report.code == code))
        if report is None:
            raise NotFound()
        return report


def perform_action(
    code: str,
    action: str,
    actor: Actor,
    params: Mapping[str, Any] | None = None,
    *,
    version: int | None = None,
    now: datetime | None = None,
    url: str | None = None,
) -> Report:
    """Take one workflow step; a refused or stale step changes nothing and raises."""
    params = dict(params or {})
    now = now or now_utc()
    try:
        with session_factory(url)() as session, session.begin():
            report = session.scalar(select(Report).where(Report.code == code))
            if report is None:
                raise NotFound()
            if version is not None and version != report.version:
                raise StaleVersion(
                    "stale_version",
                    "Phản ánh đã được người khác cập nhật; hãy tải lại rồi thao tác lại.",
                )
            holds.check_not_held_by_other(report, actor, now)  # D13.2
            consulted = frozenset(session.scalars(
                select(Consultation.agency_code).where(Consultation.report_id == report.id,
                                                       Consultation.answer.is_(None))
            ))
            facts = ReportFacts(
                state=State(report.state), agency_code=report.agency_code,
                confidential=report.confidential, state_secret=report.state_secret,
                result_submitted_by=report.result_by, consulted_agencies=consulted,
                delegate_code=report.delegate_code,
            )
            target = decide(facts, action, actor, params)
            source = report.state
            clocks = clocks_in(session)
            _APPLY[action](session, report, actor, params, now, clocks)
            report.state = target.value
            holds.release_if_left_ioc(report)
            track_current_stage(report, clocks)
            report.updated_at = now
            report.version = report.version + 1
            audit.append_report_event(
                session, report, at=now, actor=actor.username, role=actor.role.value,
                action=action, from_state=source, to_state=target.value,
                note=_event_note(action, params), data=_event_data(action, params),
            )
            outbox.enqueue_for_step(session, report, action, target.value, now,
                                    params=params, actor=actor)
            session.flush()
    except (StaleDataError, IntegrityError) as exc:
        raise StaleVersion(
            "stale_version", "Phản ánh vừa được người khác cập nhật; thao tác không được thực hiện."
        ) from exc
    return report


_NOTE_PARAMS = ("reason", "missing", "note", "direction", "text", "reply", "answer")


def _event_note(action: str, params: Mapping[str, Any]) -> str | None:
    for name in _NOTE_PARAMS:
        value = vn.clean(params.get(name)) if isinstance(params.get(name), str) else None
        if value:
            return value
    return None


def _event_data(action: str, params: Mapping[str, Any]) -> dict[str, Any] | None:
    keep = ("field", "agency", "agencies", "subordinate", "rating", "emergency", "result")
    data = {k: params[k] for k in keep if params.get(k) not in (None, "", [])}
    return data or None


def _require(session: Session, model, code: str | None, field: str, label: str):
    if not code:
        raise ValidationError(field, f"Cần chọn {label}.")
    row = session.get(model, code)
    if row is None or not row.active:
        raise ValidationError(field, f"{label.capitalize()} '{code}' không tồn tại.")
    return row


def _accept(session, report, actor, params, now, clocks: Clocks) -> None:
    report.verify_done = now
    if "emergency" in params and bool(params["emergency"]) != report.emergency:
        report.emergency = bool(params["emergency"])
        report.forward_due = clocks.due("forward", report.forward_start, report.emergency)
    if params.get("field"):
        report.field_code = _require(session, Field, params["field"], "field", "lĩnh vực").code


def _reject(session, report, actor, params, now, clocks) -> None:
    report.verify_done = report.verify_done or now
    report.forward_done = report.forward_done or now


def _request_supplement(session, report, actor, params, now, clocks) -> None:
    report.verify_done = report.verify_done or now


def _supplement(session, report, actor, params, now, clocks) -> None:
    """D7.2b: the supplemented report is verified afresh, its clocks restarted."""
    addition = vn.clean(params.get("text"))
    day = vn.date(now)
    report.description = f"{report.description}\n\n[Bổ sung {day}] {addition}"[:MAX_DESCRIPTION * 2]
    start_intake_clocks(report, now, clocks)


def _send_to_agency(session, report, params, now, clocks: Clocks) -> None:
    agency = _require(session, Agency, params.get("agency"), "agency", "cơ quan xử lý")
    if params.get("field"):
        report.field_code = _require(session, Field, params["field"], "field", "lĩnh vực").code
    if report.field_code is None:
        raise ValidationError("field", "Cần phân loại lĩnh vực trước khi chuyển xử lý.")
    report.agency_code = agency.code
    report.delegate_code = None  # a new agency decides for itself whom to give it to (D14.3)
    report.forward_done = now
    report.process_start = now  # D8 bước 3: counted from the IOC's forwarding
    report.process_due = clocks.due("process", now, report.emergency, agency.process_minutes)
    report.process_done = report.received_at = report.progress_notice_at = None
    _clear_stages(report, "approve", "publish")


def _clear_stages(report: Report, *stages: str) -> None:
    for stage in stages:
        for suffix in ("start", "due", "done"):
            setattr(report, f"{stage}_{suffix}", None)


def _forward(session, report, actor, params, now, clocks) -> None:
    _send_to_agency(session, report, params, now, clocks)


def _direct(session, report, actor, params, now, clocks) -> None:
    _send_to_agency(session, report, params, now, clocks)


def _escalate(session, report, actor, params, now, clocks) -> None:
    report.escalation_count += 1


def _consult(session, report, actor, params, now, clocks) -> None:
    answer = vn.clean(params.get("answer"))
    if answer is not None:
        consultation = session.scalar(select(Consultation).where(
            Consultation.report_id == report.id, Consultation.agency_code == actor.agency_code,
            Consultation.answer.is_(None)))
        consultation.answer, consultation.answered_by, consultation.answered_at = (
            answer, actor.username, now)
        return
    asked = list(dict.fromkeys(params.get("agencies") or []))
    for code in asked:
        agency = _require(session, Agency, code, "agencies", "cơ quan được lấy ý kiến")
        if agency.code == actor.agency_code:
            raise ValidationError("agencies", "Không thể tự lấy ý kiến của chính cơ quan mình.")
        session.add(Consultation(report_id=report.id, agency_code=agency.code,
                                 asked_by=actor.username, asked_at=now,
                                 question=vn.clean(params.get("note"))))


def _receive(session, report, actor, params, now, clocks) -> None:
    report.received_at = now


def _return_to_ioc(session, report, actor, params, now, clocks) -> None:
    """D8 bước 2: not ours; the IOC reclassifies, its forward clock restarts now."""
    report.return_count += 1
    report.agency_code = None  # no longer theirs; the event log keeps who returned it
    report.delegate_code = None
    report.forward_start, report.forward_done = now, None
    report.forward_due = clocks.due("forward", now, report.emergency)
    _clear_stages(report, "process", "approve", "publish")
    report.received_at = None


def _delegate(session, report, actor, params, now, clocks) -> None:
    """D14.3: a department gives the report to one of its subordinate units; its deadline,
    its approval and its answer stay the department's (nothing else changes)."""
    unit = _require(session, Agency, params.get("subordinate"), "subordinate",
                    "đơn vị trực thuộc")
    if unit.parent_code != report.agency_code:
        raise ValidationError("subordinate", f"{unit.name} không phải đơn vị trực thuộc của cơ "
                                             "quan đang xử lý phản ánh này.")
    if unit.code == report.delegate_code:
        raise ValidationError("subordinate", f"Phản ánh đã được giao {unit.name}.")
    report.delegate_code = unit.code


def _progress_notice(session, report, actor, params, now, clocks) -> None:
    report.progress_notice_at = now


def _submit_result(session, report, actor, params, now, clocks) -> None:
    report.result_text = vn.clean(params.get("result"))
    report.result_by = actor.username
    report.process_done = now
    report.approve_start = now
    report.approve_due = clocks.due("approve", now, report.emergency)
    report.approve_done = None


def _approve(session, report, actor, params, now, clocks) -> None:
    report.approve_done = now
    report.publish_start = now
    report.publish_due = clocks.due("publish", now, report.emergency)
    report.publish_done = None


def _edit_and_approve(session, report, actor, params, now, clocks) -> None:
    report.result_text = vn.clean(params.get("result"))
    _approve(session, report, actor, params, now, clocks)


def _return_for_rework(session, report, actor, params, now, clocks) -> None:
    """D9.1: back to the handler; the processing deadline stays where the law put it."""
    report.rework_count += 1
    report.process_done = None
    _clear_stages(report, "approve")


def _publish(session, report, actor, params, now, clocks) -> None:
    """D10: fill the Phụ lục II template; confidential or secret answers go to the reporter only."""
    edited = vn.clean(params.get("result"))
    if edited:
        report.result_text = edited
    agency = session.get(Agency, report.agency_code)
    report.answer_text = fill_reply(agency.name if agency else "", report.result_text or "")
    report.publish_done = report.published_at = now


def _feedback(session, report, actor, params, now, clocks) -> None:
    rating = params.get("rating")
    session.add(Feedback(report_id=report.id, at=now, rating=rating,
                         reply=vn.clean(params.get("reply"))))
    if rating:
        report.rating = rating


def _reopen(session, report, actor, params, now, clocks) -> None:
    """D11.3: back to the same agency for clarification, with a fresh processing clock."""
    report.reopen_count += 1
    agency = session.get(Agency, report.agency_code)
    report.process_start = now
    report.process_due = clocks.due("process", now, report.emergency,
                                    agency.process_minutes if agency else None)
    report.process_done = None
    _clear_stages(report, "approve", "publish")


def _close(session, report, actor, params, now, clocks) -> None:
    report.closed_at = now


_APPLY = {
    "accept": _accept, "reject": _reject, "request_supplement": _request_supplement,
    "supplement": _supplement, "forward": _forward, "consult": _consult,
    "escalate": _escalate, "direct": _direct, "receive": _receive,
    "return_to_ioc": _return_to_ioc, "delegate": _delegate, "progress_notice": _progress_notice,
    "submit_result": _submit_result, "approve": _approve, "return_for_rework": _return_for_rework,
    "edit_and_approve": _edit_and_approve, "publish": _publish, "feedback": _feedback,
    "reopen": _reopen, "close": _close,
}


assert set(_APPLY) == set(ACTIONS), "every workflow action needs its effect"

"""Reading reports for staff: queues with filters, one report in full, within each one's scope.

Scope (TESTPLAN 19): an agency sees the reports forwarded to it (and those it was asked about);
anything else does not exist for it. Identity (D13.3, TESTPLAN 21): the IOC sees who reported;
an agency only when the IOC granted it and never for a confidential report; each view is logged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session

from backend.config import LOCAL_TZ as LOCAL
from backend.domain.sla import STATUS_LABELS_VI, stage_status
from backend.domain.workflow import (
    OPEN_STATES,
    RATINGS,
    STATE_LABELS_VI,
    Actor,
    ReportFacts,
    Role,
    State,
    allowed_actions,
)
from backend.services.auth import StaffUser
from backend.services.calendar import calendar_from_session, sla_policy
from backend.services.errors import NotFound, ValidationError
from backend.services.holds import active_holder
from backend.storage.db import session_factory
from backend.storage.models import (
    AccessLog,
    Agency,
    Attachment,
    Consultation,
    Event,
    Feedback,
    Field,
    IdentityGrant,
    Report,
)
from backend.storage.textsearch import MAX_QUERY, contains_text

IOC_ROLES = ("ioc_handler", "admin")
PROVINCE_ROLES = ("ioc_handler", "admin", "provincial_leader", "wall_display")
MAX_PER_PAGE = 200
MAX_PAGE = 1_000_000  # far beyond any queue; keeps the SQL offset a 64-bit integer
STAGES = ("verify", "forward", "process", "approve", "publish")


def iso(at: datetime | None) -> str | None:
    """ISO 8601 in Vietnam's time, with its offset."""
    return at.astimezone(LOCAL).isoformat() if at else None


def _scope(viewer: StaffUser):
    """SQL condition for the reports this viewer may see at all."""
    if viewer.role in PROVINCE_ROLES:
        return None
    asked = exists().where(Consultation.report_id == Report.id,
                           Consultation.agency_code == viewer.agency_code)
    return or_(Report.agency_code == viewer.agency_code, asked)



@dataclass(frozen=True)
class Filters:
    """Queue filters (all optional)."""

    states: tuple[str, ...] = ()
    field: str | None = None
    agency: str | None = None
    district: str | None = None
    overdue: bool | None = None
    at_risk: bool | None = None
    emergency: bool | None = None
    text: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def list_reports(viewer: StaffUser, filters: Filters, page: int = 1, per_page: int = 50,
                 now: datetime | None = None, url: str | None = None) -> dict[str, Any]:
    """A page of the viewer's queue, oldest deadline first; no personal data in list rows."""
    if not 1 <= page <= MAX_PAGE:
        raise ValidationError("page", f"Trang bắt đầu từ 1 (tối đa {MAX_PAGE}).")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise ValidationError("per_page", f"Mỗi trang 1-{MAX_PER_PAGE} dòng.")
    for name, value in (("field", filters.field), ("agency", filters.agency),
                        ("district", filters.district), ("q", filters.text)):
        if value and "\x00" in value:  # PostgreSQL text cannot hold U+0000
            raise ValidationError(name, f"'{name}' chứa ký tự không hợp lệ.")
    if filters.text and len(filters.text.strip()) > MAX_QUERY:
        raise ValidationError("q", f"Nội dung tìm kiếm tối đa {MAX_QUERY} ký tự.")
    for state in filters.states:
        if state not in State.__members__.values():
            raise ValidationError("state", f"Trạng thái '{state}' không tồn tại.")
    now = now or datetime.now(LOCAL)
    conditions = [c for c in (_scope(viewer),) if c is not None]
    if filters.states:
        conditions.append(Report.state.in_(filters.states))
    for column, value in ((Report.field_code, filters.field), (Report.agency_code, filters.agency),
                          (Report.district_code, filters.district)):
        if value:
            conditions.append(column == value)
    if filters.emergency is not None:
        conditions.append(Report.emergency.is_(filters.emergency))
    if filters.overdue is True:
        conditions.append(Report.stage_due < now)
    elif filters.overdue is False:
        conditions.append(or_(Report.stage_due.is_(None), Report.stage_due >= now))
    if filters.at_risk is True:
        conditions.append(and_(Report.stage_risk_at <= now, Report.stage_due >= now))
    if filters.text and filters.text.strip():
        conditions.append(contains_text(filters.text, Report.search_text, Report.description,
                                        Report.code, Report.address))
    if filters.since:
        conditions.append(Report.submitted_at >= filters.since)
    if filters.until:
        conditions.append(Report.submitted_at < filters.until)
    with session_factory(url)() as session:
        total = session.scalar(select(func.count()).select_from(Report).where(*conditions))
        rows = session.execute(
            select(Report, Field.name, Agency.name)
            .outerjoin(Field, Field.code == Report.field_code)
            .outerjoin(Agency, Agency.code == Report.agency_code)
            .where(*conditions)
            .order_by(Report.stage_due.is_(None), Report.stage_due, Report.id)
            .offset((page - 1) * per_page).limit(per_page)
        ).all()
    return {
        "page": page, "per_page": per_page, "total": total,
        "items": [_summary(r, field, agency, now) for r, field, agency in rows],
    }


def _sla_label(report: Report, now: datetime) -> str | None:
    if report.stage_due is None:
        return None
    if report.stage_due < now:
        return "overdue_notified" if report.progress_notice_at else "overdue"
    if report.stage_risk_at is not None and report.stage_risk_at <= now:
        return "at_risk"
    return "on_time"


def _summary(report: Report, field_name: str | None, agency_name: str | None,
             now: datetime) -> dict[str, Any]:
    sla = _sla_label(report, now)
    return {
        "code": report.code, "state": report.state,
        "state_label": STATE_LABELS_VI[State(report.state)],
        "submitted_at": iso(report.submitted_at), "description": report.description[:300],
        "field": report.field_code, "field_name": field_name,
        "agency": report.agency_code, "agency_name": agency_name,
        "district": report.district_code, "commune": report.commune_code,
        "lat": report.lat, "lon": report.lon, "emergency": report.emergency,
        "confidential": report.confidential, "version": report.version,
        "stage": report.stage, "stage_due": iso(report.stage_due), "sla": sla,
        "sla_label": STATUS_LABELS_VI.get(sla) if sla else None,
        "held_by": active_holder(report.held_by, report.held_at, now),
    }


def _load_visible(session: Session, code: str, viewer: StaffUser,
                  client: str | None = None) -> Report:
    if "\x00" in code:  # no code has one, and PostgreSQL refuses it in a query
        raise NotFound()
    condition = _scope(viewer)
    query = select(Report).where(Report.code == code)
    if condition is not None:
        query = query.where(condition)
    report = session.scalar(query)
    if report is None:
        if condition is not None:
            _log_denied(session, code, viewer, client)
        raise NotFound()
    return report


def _log_denied(session: Session, code: str, viewer: StaffUser, client: str | None) -> None:
    """TESTPLAN 19: a report that exists but lies outside the viewer's scope is answered 404
    like a missing one, and the refused access is written to the access log (in its own
    transaction, so the caller's rollback on NotFound does not take it away)."""
    report_id = session.scalar(select(Report.id).where(Report.code == code))
    if report_id is None:
        return
    with Session(bind=session.get_bind()) as log, log.begin():
        log.add(AccessLog(at=datetime.now(UTC), username=viewer.username, role=viewer.role,
                          report_id=report_id, what="denied", detail=code, client=client))


def may_see_identity(session: Session, report: Report, viewer: StaffUser) -> bool:
    """IOC roles always; an agency only by the IOC's grant and never for a confidential report."""
    if viewer.role in IOC_ROLES:
        return True
    if viewer.role not in ("agency_handler", "agency_leader") or report.confidential:
        return False
    return session.get(IdentityGrant, (report.id, viewer.agency_code)) is not None


def report_detail(code: str, viewer: StaffUser, now: datetime | None = None,
                  client: str | None = None, url: str | None = None) -> dict[str, Any]:
    """One report with its deadlines, stage statuses, history, and what the viewer may do."""
    now = now or datetime.now(LOCAL)
    with session_factory(url)() as session, session.begin():
        report = _load_visible(session, code, viewer, client)
        detail = _summary(report, *_names(session, report), now)
        detail.update({
            "description": report.description, "address": report.address,
            "incident_at": iso(report.incident_at), "state_secret": report.state_secret,
            "result": report.result_text, "answer": report.answer_text,
            "published_at": iso(report.published_at), "rating": report.rating,
            "rating_label": RATINGS.get(report.rating) if report.rating else None,
            "counts": {"returns": report.return_count, "rework": report.rework_count,
                       "reopened": report.reopen_count, "escalations": report.escalation_count},
            "deadlines": _deadlines(session, report, now),
            "history": _history(session, report),
            "attachments": _attachments(session, report, viewer),
            "consultations": _consultations(session, report),
            "feedback": [{"at": iso(f.at), "rating": f.rating, "reply": f.reply}
                         for f in session.scalars(select(Feedback).where(
                             Feedback.report_id == report.id).order_by(Feedback.id))],
            "allowed_actions": _allowed(session, report, viewer),
            "reporter": None,
        })
        if may_see_identity(session, report, viewer):
            detail["reporter"] = {"name": report.reporter_name, "phone": report.reporter_phone,
                                  "email": report.reporter_email}
            session.add(AccessLog(at=now, username=viewer.username, role=viewer.role,
                                  report_id=report.id, what="view_identity", client=client))
    return detail


def _names(session: Session, report: Report) -> tuple[str | None, str | None]:
    field = session.get(Field, report.field_code) if report.field_code else None
    agency = session.get(Agency, report.agency_code) if report.agency_code else None
    return (field.name if field else None, agency.name if agency else None)


def _deadlines(session: Session, report: Report, now: datetime) -> dict[str, Any]:
    calendar, policy = calendar_from_session(session), sla_policy()
    out = {}
    for stage in STAGES:
        start, due, done = (getattr(report, f"{stage}_{s}") for s in ("start", "due", "done"))
        status = stage_status(policy, calendar, stage, start, due, done, now,
                              emergency=report.emergency,
                              progress_notice_at=report.progress_notice_at)
        out[stage] = {"name": policy.budgets[stage].name_vi, "clause": policy.budgets[stage].clause,
                      "start": iso(start), "due": iso(due), "done": iso(done),
                      "status": str(status), "status_label": STATUS_LABELS_VI[status]}
    return out


def _history(session: Session, report: Report) -> list[dict[str, Any]]:
    events = session.scalars(select(Event).where(Event.stream == report.code).order_by(Event.seq))
    return [{"seq": e.seq, "at": iso(e.at), "actor": e.actor, "role": e.role, "action": e.action,
             "from": e.from_state, "to": e.to_state, "note": e.note} for e in events]


def _attachments(session: Session, report: Report, viewer: StaffUser) -> list[dict[str, Any]]:
    rows = session.scalars(select(Attachment).where(Attachment.report_id == report.id))
    return [{"id": a.id, "kind": a.kind, "content_type": a.content_type, "size": a.size,
             "url": f"/api/v1/media/{a.id}",
             "public_url": f"/api/v1/media/{a.id}/public" if a.public_name else None}
            for a in rows]


def _consultations(session: Session, report: Report) -> list[dict[str, Any]]:
    rows = session.scalars(select(Consultation).where(Consultation.report_id == report.id)
                           .order_by(Consultation.id))
    return [{"agency": c.agency_code, "asked_by": c.asked_by, "asked_at": iso(c.asked_at),
             "question": c.question, "answer": c.answer, "answered_at": iso(c.answered_at)}
            for c in rows]


def _allowed(session: Session, report: Report, viewer: StaffUser) -> list[str]:
    try:
        role = Role(viewer.role)
    except ValueError:
        return []
    consulted = frozenset(session.scalars(select(Consultation.agency_code).where(
        Consultation.report_id == report.id, Consultation.answer.is_(None))))
    facts = ReportFacts(state=State(report.state), agency_code=report.agency_code,
                        confidential=report.confidential, state_secret=report.state_secret,
                        result_submitted_by=report.result_by, consulted_agencies=consulted)
    return allowed_actions(facts, Actor(viewer.username, role, viewer.agency_code))


def check_visible(code: str, viewer: StaffUser, url: str | None = None,
                  client: str | None = None) -> None:
    """NotFound unless the viewer may see this report (before acting on it, TESTPLAN 19)."""
    with session_factory(url)() as session:
        _load_visible(session, code, viewer, client)


def is_open(state: str) -> bool:
    return State(state) in OPEN_STATES


def grant_identity(code: str, agency_code: str, viewer: StaffUser, now: datetime | None = None,
                   url: str | None = None) -> None:
    """D13.3: the IOC lets the handling agency see who reported, to contact them.

    Never for a confidential report (D5.4, D10.3); recorded in the access log.
    """
    if viewer.role not in IOC_ROLES:
        raise ValidationError("role", "Chỉ IOC được cung cấp thông tin người phản ánh.")
    now = now or datetime.now(LOCAL)
    with session_factory(url)() as session, session.begin():
        report = _load_visible(session, code, viewer)
        if report.confidential:
            raise ValidationError("confidential", "Người phản ánh đã yêu cầu giữ bí mật danh tính "
                                                  "(Điều 5 khoản 4); không thể cung cấp.",
                                  code="confidential")
        if "\x00" in agency_code or session.get(Agency, agency_code) is None:
            raise ValidationError("agency", f"Cơ quan '{agency_code}' không tồn tại.")
        if session.get(IdentityGrant, (report.id, agency_code)) is None:
            session.add(IdentityGrant(report_id=report.id, agency_code=agency_code,
                                      granted_by=viewer.username, granted_at=now))
        session.add(AccessLog(at=now, username=viewer.username, role=viewer.role,
                              report_id=report.id, what="grant_identity", detail=agency_code))

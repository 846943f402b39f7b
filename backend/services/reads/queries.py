"""Reading reports for staff: queues with filters, one report in full, within each one's scope.

Scope (TESTPLAN 19): an agency sees the reports forwarded to it (and those it was asked about);
anything else does not exist for it. Identity (D13.3, TESTPLAN 21): the IOC sees who reported;
an agency only when the IOC granted it and never for a confidential report; each view is logged.
A viewer who may not see who reported reads every free text of the report (description with its
supplements, address, notes, consultations, result, answer, feedback replies) with the reporter's
name, phone and e-mail, and any phone number or e-mail address, blanked out as on the public
portal (`public_results.redact`), and cannot find a report by searching for what is blanked out.
The wall display reads no report at all: it shows counts and a map (D5.4).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session

from backend.config import LOCAL_TZ as LOCAL
from backend.domain.roles import AGENCY_ROLES, IOC_ROLES, PROVINCE_ROLES, Role
from backend.domain.sla import STAGES, STATUS_LABELS_VI, stage_status
from backend.domain.workflow import (
    OPEN_STATES,
    RATINGS,
    STATE_LABELS_VI,
    Actor,
    Forbidden,
    ReportFacts,
    State,
    allowed_actions,
)
from backend.services.access.auth import StaffUser
from backend.services.clocks import calendar_from_session, sla_policy
from backend.services.errors import NotFound, ValidationError
from backend.services.places.catalogue import (
    PlaceIndex,
    place_condition,
    place_fields,
    place_index,
)
from backend.services.reads.public_results import TEXT_CANDIDATES, redact, shown_text_matcher
from backend.services.workflow.holds import active_holder
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

# who may read reports at all: not the wall display (nor any role added later without thought)
READ_ROLES = (*PROVINCE_ROLES, *AGENCY_ROLES)
MAX_PER_PAGE = 200
MAX_PAGE = 1_000_000  # far beyond any queue; keeps the SQL offset a 64-bit integer


def iso(at: datetime | None) -> str | None:
    """ISO 8601 in Vietnam's time, with its offset."""
    return at.astimezone(LOCAL).isoformat() if at else None


def _check_reader(viewer: StaffUser) -> None:
    """Forbidden (403) for a role that reads no report: the wall screen shows counts and a map,
    never a report's text, place, history or photos."""
    if viewer.role not in READ_ROLES:
        raise Forbidden("forbidden_role", "Vai trò của bạn không được xem nội dung phản ánh.")


def _scope(viewer: StaffUser):
    """SQL condition for the reports this viewer may see at all (Forbidden for a role that may
    see none)."""
    _check_reader(viewer)
    if viewer.role in PROVINCE_ROLES:
        return None
    asked = exists().where(Consultation.report_id == Report.id,
                           Consultation.agency_code == viewer.agency_code)
    # D14.3: a subordinate unit sees what its department gave it
    return or_(Report.agency_code == viewer.agency_code, Report.delegate_code == viewer.agency_code,
               asked)



@dataclass(frozen=True)
class Filters:
    """Queue filters (all optional)."""

    states: tuple[str, ...] = ()
    field: str | None = None
    agency: str | None = None
    area: str | None = None
    unit: str | None = None
    overdue: bool | None = None
    at_risk: bool | None = None
    emergency: bool | None = None
    text: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def list_reports(viewer: StaffUser, filters: Filters, page: int = 1, per_page: int = 50,
                 now: datetime | None = None, url: str | None = None) -> dict[str, Any]:
    """A page of the viewer's queue, oldest deadline first; no personal data in list rows.

    A text search by a viewer who may not see who reported looks at what that viewer is shown
    (the identity blanked out), in the first TEXT_CANDIDATES matches of the stored text in queue
    order, as the public portal does: a reporter's name or phone finds none of their reports."""
    _check_reader(viewer)
    if not 1 <= page <= MAX_PAGE:
        raise ValidationError("page", f"Trang bắt đầu từ 1 (tối đa {MAX_PAGE}).")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise ValidationError("per_page", f"Mỗi trang 1-{MAX_PER_PAGE} dòng.")
    for name, value in (("field", filters.field), ("agency", filters.agency),
                        ("area", filters.area), ("unit", filters.unit), ("q", filters.text)):
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
    for column, value in ((Report.field_code, filters.field), (Report.agency_code, filters.agency)):
        if value:
            conditions.append(column == value)
    conditions += place_condition(Report.unit_code, filters.area, filters.unit)
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
    order = (Report.stage_due.is_(None), Report.stage_due, Report.id)
    with session_factory(url)() as session:
        offset = (page - 1) * per_page
        if filters.text and filters.text.strip() and viewer.role not in IOC_ROLES:
            hits = _shown_text_hits(session, viewer, conditions, order, filters.text)
            total, conditions, offset = len(hits), [Report.id.in_(hits[offset:offset + per_page])], 0
        else:
            total = session.scalar(select(func.count()).select_from(Report).where(*conditions))
        rows = session.execute(
            select(Report, Field.name, Agency.name)
            .outerjoin(Field, Field.code == Report.field_code)
            .outerjoin(Agency, Agency.code == Report.agency_code)
            .where(*conditions)
            .order_by(*order)
            .offset(offset).limit(per_page)
        ).all()
        shown = _identity_shown(session, viewer, [(r.id, r.confidential) for r, _, _ in rows])
        places = place_index(url)
        items = [_summary(r, field, agency, now, _blanker(r, r.id in shown), places)
                 for r, field, agency in rows]
    return {"page": page, "per_page": per_page, "total": total, "items": items}


def _shown_text_hits(session: Session, viewer: StaffUser, conditions: list, order: tuple,
                     text: str) -> list[int]:
    """Ids (queue order) of the reports whose text *as this viewer is shown it* holds `text`:
    SQL finds candidates in the stored text, then the text with the identity blanked out is
    checked where the viewer may not see who reported (the public portal's `_text_hits`)."""
    rows = session.execute(
        select(Report.id, Report.confidential, Report.code, Report.description, Report.address,
               Report.answer_text, Report.reporter_name, Report.reporter_email,
               Report.reporter_phone)
        .where(*conditions).order_by(*order).limit(TEXT_CANDIDATES)).all()
    shown = _identity_shown(session, viewer, [(row.id, row.confidential) for row in rows])
    as_shown = shown_text_matcher(text)
    return [row.id for row in rows if row.id in shown or as_shown(
        row.code, (row.description, row.address, row.answer_text),
        (row.reporter_name, row.reporter_email, row.reporter_phone))]


def _sla_label(report: Report, now: datetime) -> str | None:
    if report.stage_due is None:
        return None
    if report.stage_due < now:
        return "overdue_notified" if report.progress_notice_at else "overdue"
    if report.stage_risk_at is not None and report.stage_risk_at <= now:
        return "at_risk"
    return "on_time"


Blank = Callable[[str | None], str | None]


def _blanker(report: Report, identity_shown: bool) -> Blank:
    """What a free text of `report` becomes for a viewer: as stored when the viewer may see who
    reported; otherwise with the reporter's name, phone and e-mail (and any phone number or
    e-mail address) replaced by [đã ẩn], as on the public portal. Nothing stored changes."""
    if identity_shown:
        return lambda text: text
    who = (report.reporter_name, report.reporter_email, report.reporter_phone)
    return lambda text: text if text is None else redact(text, who)


def _summary(report: Report, field_name: str | None, agency_name: str | None,
             now: datetime, blank: Blank, places: PlaceIndex) -> dict[str, Any]:
    sla = _sla_label(report, now)
    return {
        "code": report.code, "state": report.state,
        "state_label": STATE_LABELS_VI[State(report.state)],
        "submitted_at": iso(report.submitted_at),
        "description": (blank(report.description) or "")[:300],
        "field": report.field_code, "field_name": field_name,
        "agency": report.agency_code, "agency_name": agency_name,
        "delegate": report.delegate_code,
        **place_fields(places, report.unit_code, report.former_district_code,
                       report.former_commune_code),
        "lat": report.lat, "lon": report.lon, "emergency": report.emergency,
        "confidential": report.confidential, "version": report.version,
        "stage": report.stage, "stage_due": iso(report.stage_due), "sla": sla,
        "sla_label": STATUS_LABELS_VI.get(sla) if sla else None,
        "held_by": active_holder(report.held_by, report.held_at, now),
    }


def _load_visible(session: Session, code: str, viewer: StaffUser,
                  client: str | None = None) -> Report:
    condition = _scope(viewer)  # first: a role that reads no report learns nothing, not even 404
    if "\x00" in code:  # no code has one, and PostgreSQL refuses it in a query
        raise NotFound()
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
    return report.id in _identity_shown(session, viewer, [(report.id, report.confidential)])


def _identity_shown(session: Session, viewer: StaffUser,
                    reports: Iterable[tuple[int, bool]]) -> set[int]:
    """Of (id, confidential) pairs, the ids whose reporter this viewer may see (D13.3): all for
    the IOC; for an agency those the IOC granted it, never a confidential one; else none."""
    reports = list(reports)
    if viewer.role in IOC_ROLES:
        return {report_id for report_id, _ in reports}
    candidates = [report_id for report_id, confidential in reports if not confidential]
    if viewer.role not in AGENCY_ROLES or not candidates:
        return set()
    return set(session.scalars(select(IdentityGrant.report_id).where(
        IdentityGrant.agency_code == viewer.agency_code,
        IdentityGrant.report_id.in_(candidates))))


def report_detail(code: str, viewer: StaffUser, now: datetime | None = None,
                  client: str | None = None, url: str | None = None) -> dict[str, Any]:
    """One report with its deadlines, stage statuses, history, and what the viewer may do."""
    now = now or datetime.now(LOCAL)
    with session_factory(url)() as session, session.begin():
        report = _load_visible(session, code, viewer, client)
        identity_shown = may_see_identity(session, report, viewer)
        blank = _blanker(report, identity_shown)
        detail = _summary(report, *_names(session, report), now, blank, place_index(url))
        detail.update({
            "description": blank(report.description), "address": blank(report.address),
            "incident_at": iso(report.incident_at), "state_secret": report.state_secret,
            "result": blank(report.result_text), "answer": blank(report.answer_text),
            "published_at": iso(report.published_at), "rating": report.rating,
            "rating_label": RATINGS.get(report.rating) if report.rating else None,
            "counts": {"returns": report.return_count, "rework": report.rework_count,
                       "reopened": report.reopen_count, "escalations": report.escalation_count},
            "deadlines": _deadlines(session, report, now),
            "history": _history(session, report, blank),
            "attachments": _attachments(session, report, viewer),
            "consultations": _consultations(session, report, blank),
            "feedback": [{"at": iso(f.at), "rating": f.rating, "reply": blank(f.reply)}
                         for f in session.scalars(select(Feedback).where(
                             Feedback.report_id == report.id).order_by(Feedback.id))],
            "allowed_actions": _allowed(session, report, viewer),
            "reporter": None,
            **_delegation(session, report),
        })
        if identity_shown:
            detail["reporter"] = {"name": report.reporter_name, "phone": report.reporter_phone,
                                  "email": report.reporter_email}
            session.add(AccessLog(at=now, username=viewer.username, role=viewer.role,
                                  report_id=report.id, what="view_identity", client=client))
    return detail


def _delegation(session: Session, report: Report) -> dict[str, Any]:
    """D14.3: the subordinate unit handling the report (name) and those it could be given to."""
    delegate = session.get(Agency, report.delegate_code) if report.delegate_code else None
    units = session.execute(select(Agency.code, Agency.name).where(
        Agency.parent_code == report.agency_code, Agency.active.is_(True))
        .order_by(Agency.name)).all() if report.agency_code else []
    return {"delegate_name": delegate.name if delegate else None,
            "subordinates": [{"code": code, "name": name} for code, name in units]}


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


def _history(session: Session, report: Report, blank: Blank) -> list[dict[str, Any]]:
    """Every step; its note blanked like the rest (a supplement or a feedback reply is the
    citizen's own words, and staff notes may quote them)."""
    events = session.scalars(select(Event).where(Event.stream == report.code).order_by(Event.seq))
    return [{"seq": e.seq, "at": iso(e.at), "actor": e.actor, "role": e.role, "action": e.action,
             "from": e.from_state, "to": e.to_state, "note": blank(e.note)} for e in events]


def _attachments(session: Session, report: Report, viewer: StaffUser) -> list[dict[str, Any]]:
    rows = session.scalars(select(Attachment).where(Attachment.report_id == report.id))
    return [{"id": a.id, "kind": a.kind, "content_type": a.content_type, "size": a.size,
             "url": f"/api/v1/media/{a.id}",
             "public_url": f"/api/v1/media/{a.id}/public" if a.public_name else None}
            for a in rows]


def _consultations(session: Session, report: Report, blank: Blank) -> list[dict[str, Any]]:
    rows = session.scalars(select(Consultation).where(Consultation.report_id == report.id)
                           .order_by(Consultation.id))
    return [{"agency": c.agency_code, "asked_by": c.asked_by, "asked_at": iso(c.asked_at),
             "question": blank(c.question), "answer": blank(c.answer),
             "answered_at": iso(c.answered_at)}
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
                        result_submitted_by=report.result_by, consulted_agencies=consulted,
                        delegate_code=report.delegate_code)
    allowed = allowed_actions(facts, Actor(viewer.username, role, viewer.agency_code))
    if "delegate" in allowed and not session.scalar(select(Agency.code).where(
            Agency.parent_code == report.agency_code, Agency.active.is_(True)).limit(1)):
        allowed.remove("delegate")  # D14.3 needs a subordinate unit to give it to
    return allowed


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

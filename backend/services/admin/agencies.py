"""Agencies and their focal points (D14.1): the processing time an agency promises, its mailbox and
phone, and the leader and handler who answer for its reports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.domain.roles import FOCAL_KINDS, ROLE_LABELS_VI
from backend.domain.workflow import Actor
from backend.reference.files import MAX_PROCESS_MINUTES
from backend.services.admin.common import (
    EMAIL,
    PHONE,
    changes,
    checked_text,
    in_transaction,
    now_or_present,
    record,
    require_admin,
    whole_number,
)
from backend.services.admin.users import UserRow, user_row
from backend.services.errors import ValidationError
from backend.storage.db import session_factory
from backend.storage.models import (
    Agency,
    AgencyField,
    AgencyFocalPoint,
    User,
)


@dataclass(frozen=True)
class FocalPerson:
    """A focal point: the account chosen and the title printed with it."""

    username: str
    full_name: str | None
    active: bool


@dataclass(frozen=True)
class AgencyRow:
    """An agency with its processing limit, contacts and its two focal points (D14.1)."""

    code: str
    name: str
    short_name: str
    kind: str
    unit_code: str | None
    parent_code: str | None
    process_minutes: int
    email: str | None
    phone: str | None
    active: bool
    leader_name: str | None
    leader_title: str | None
    handler_name: str | None
    handler_title: str | None
    leader: FocalPerson | None
    handler: FocalPerson | None
    fields: list[str] = field(default_factory=list)
    users: int = 0


def list_agencies(url: str | None = None) -> list[AgencyRow]:
    """Every agency with its focal points and how many accounts it has."""
    with session_factory(url)() as session:
        points: dict[tuple[str, str], FocalPerson] = {}
        for code, kind, username, full_name, active in session.execute(
                select(AgencyFocalPoint.agency_code, AgencyFocalPoint.kind, User.username,
                       User.full_name, User.active)
                .join(User, User.id == AgencyFocalPoint.user_id)):
            points[(code, kind)] = FocalPerson(username, full_name, bool(active))
        fields: dict[str, list[str]] = {}
        for code, field_code in session.execute(select(AgencyField.agency_code,
                                                       AgencyField.field_code)):
            fields.setdefault(code, []).append(field_code)
        users = dict(session.execute(select(User.agency_code, func.count())
                                     .where(User.agency_code.is_not(None), User.active)
                                     .group_by(User.agency_code)).all())
        return [_agency_row(a, points, fields, users)
                for a in session.scalars(select(Agency).order_by(Agency.code))]


def _agency_row(a: Agency, points: dict, fields: dict, users: dict) -> AgencyRow:
    return AgencyRow(
        code=a.code, name=a.name, short_name=a.short_name, kind=a.kind,
        unit_code=a.unit_code, parent_code=a.parent_code, process_minutes=a.process_minutes, email=a.email,
        phone=a.phone, active=bool(a.active), leader_name=a.leader_name,
        leader_title=a.leader_title, handler_name=a.handler_name,
        handler_title=a.handler_title, leader=points.get((a.code, "leader")),
        handler=points.get((a.code, "handler")), fields=sorted(fields.get(a.code, [])),
        users=users.get(a.code, 0),
    )


def _one_agency(session: Session, code: str) -> AgencyRow:
    agency = session.get(Agency, code)
    points = {}
    for kind, username, full_name, active in session.execute(
            select(AgencyFocalPoint.kind, User.username, User.full_name, User.active)
            .join(User, User.id == AgencyFocalPoint.user_id)
            .where(AgencyFocalPoint.agency_code == code)):
        points[(code, kind)] = FocalPerson(username, full_name, bool(active))
    fields = {code: list(session.scalars(select(AgencyField.field_code)
                                         .where(AgencyField.agency_code == code)))}
    users = {code: session.scalar(select(func.count()).select_from(User)
                                  .where(User.agency_code == code, User.active))}
    return _agency_row(agency, points, fields, users)


def focal_candidates(agency_code: str, url: str | None = None) -> dict[str, list[UserRow]]:
    """The active accounts of the agency that may be its focal leader / handler (D14.1)."""
    with session_factory(url)() as session:
        result: dict[str, list[UserRow]] = {}
        for kind, (role, _label) in FOCAL_KINDS.items():
            users = session.scalars(select(User).where(User.agency_code == agency_code,
                                                       User.role == role, User.active)
                                    .order_by(User.username)).all()
            result[kind] = [user_row(session, u) for u in users]
        return result


def get_agency(session: Session, code: Any) -> Agency:
    agency = session.get(Agency, code) if code else None
    if agency is None:
        raise ValidationError("agency", f"Cơ quan '{code}' không có trong danh mục.",
                              code="not_found")
    return agency


def update_agency(actor: Actor, code: str, *, process_minutes: Any, email: str | None,
                  phone: str | None, now: datetime | None = None,
                  url: str | None = None) -> AgencyRow:
    """Change an agency's own processing limit (D8 bước 3: it may set less than 3 working days)
    and the contacts its notifications go to."""
    require_admin(actor)
    now = now_or_present(now)
    minutes = whole_number(process_minutes, "process_minutes", "Thời hạn xử lý của cơ quan", 60,
                           MAX_PROCESS_MINUTES, "phút làm việc (tối đa 3 ngày, Đ8 bước 3)")
    mail = checked_text(email, "email", "Thư điện tử", max_len=254, required=False)
    if mail and not EMAIL.match(mail):
        raise ValidationError("email", f"Thư điện tử '{mail}' không hợp lệ.")
    tel = checked_text(phone, "phone", "Số điện thoại", max_len=32, required=False)
    if tel and not PHONE.match(tel):
        raise ValidationError("phone", "Số điện thoại chỉ gồm chữ số, dấu cách, dấu chấm hoặc "
                                       "gạch ngang (8-20 ký tự).")

    def work(session: Session) -> AgencyRow:
        agency = get_agency(session, code)
        before = {"process_minutes": agency.process_minutes, "email": agency.email,
                  "phone": agency.phone}
        after = {"process_minutes": minutes, "email": mail, "phone": tel}
        old, new = changes(before, after)
        if not new:
            raise ValidationError("process_minutes", "Không có thay đổi nào để lưu.",
                                  code="unchanged")
        agency.process_minutes, agency.email, agency.phone = minutes, mail, tel
        record(session, actor, "agency.update", f"Sửa thông tin {agency.short_name}", now,
               agency=agency.code, before=old, after=new)
        return _one_agency(session, agency.code)

    return in_transaction(url, work)


def set_focal_points(actor: Actor, code: str, *, leader: str | None, leader_title: str | None,
                     handler: str | None, handler_title: str | None,
                     now: datetime | None = None, url: str | None = None) -> AgencyRow:
    """Name the agency's focal leader and focal handler (D14.1: one of each), chosen among the
    agency's own active accounts with the matching role; None leaves the duty unassigned."""
    require_admin(actor)
    now = now_or_present(now)
    wanted = {"leader": ((leader or "").strip().lower() or None, leader_title),
              "handler": ((handler or "").strip().lower() or None, handler_title)}

    def work(session: Session) -> AgencyRow:
        agency = get_agency(session, code)
        before: dict[str, Any] = {}
        after: dict[str, Any] = {}
        for kind, (username, title) in wanted.items():
            role, label = FOCAL_KINDS[kind]
            title = checked_text(title, f"{kind}_title", f"Chức vụ của {label[0].lower()}{label[1:]}",
                          max_len=100, required=username is not None)
            point = session.get(AgencyFocalPoint, (agency.code, kind))
            current = session.get(User, point.user_id).username if point else None
            old_title = getattr(agency, f"{kind}_title")
            if username is None:
                if point is not None:
                    session.delete(point)
                    before[kind], after[kind] = current, None
                continue
            user = session.scalar(select(User).where(User.username == username))
            if user is None:
                raise ValidationError(kind, f"Không có tài khoản '{username}'.")
            if user.agency_code != agency.code:
                raise ValidationError(kind, f"{user.username} không thuộc {agency.short_name}; "
                                            f"{label[0].lower()}{label[1:]} phải là người của "
                                            "chính cơ quan.")
            if user.role != role:
                raise ValidationError(kind, f"{label} phải có vai trò {ROLE_LABELS_VI[role]} "
                                            f"({user.username} là {ROLE_LABELS_VI[user.role]}).")
            if not user.active:
                raise ValidationError(kind, f"Tài khoản {user.username} đang bị khóa.")
            if current != user.username:
                before[kind], after[kind] = current, user.username
                if point is None:
                    session.add(AgencyFocalPoint(agency_code=agency.code, kind=kind,
                                                 user_id=user.id, assigned_at=now,
                                                 assigned_by=actor.username))
                else:
                    point.user_id, point.assigned_at = user.id, now
                    point.assigned_by = actor.username
            setattr(agency, f"{kind}_name", user.full_name or user.username)
            if title != old_title:
                before[f"{kind}_title"], after[f"{kind}_title"] = old_title, title
                setattr(agency, f"{kind}_title", title)
        if not after and not before:
            raise ValidationError("leader", "Không có thay đổi nào để lưu.", code="unchanged")
        record(session, actor, "agency.focal", f"Đổi đầu mối của {agency.short_name}", now,
               agency=agency.code, before=before, after=after)
        session.flush()
        return _one_agency(session, agency.code)

    return in_transaction(url, work)

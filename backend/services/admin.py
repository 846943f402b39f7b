"""Administration (D13.4, D14.1, D15): accounts and roles, agencies and their focal points, the
fields catalogue and routing rules, and the log of every such change.

One function per use case, one transaction each. Every change is recorded in the same
transaction in the event log's `system` stream (D3.8: who, when, what, before and after), so a
change and its record stand or fall together. Only an administrator may call the writers; every
refusal is a `ValidationError` naming the form field, in Vietnamese. Stage budgets, working
seasons and override days are in `backend.services.admin_calendar`.
"""

from __future__ import annotations

import json
import re
import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.domain.workflow import OPEN_STATES, Actor, Forbidden, Role
from backend.refdata import MAX_PROCESS_MINUTES
from backend.services import auth
from backend.services.audit import SYSTEM_STREAM, append_system_event
from backend.services.errors import ValidationError
from backend.storage.db import session_factory
from backend.storage.models import (
    AdminUnit,
    Agency,
    AgencyField,
    AgencyFocalPoint,
    Event,
    Field,
    Report,
    RoutingRule,
    StaffSession,
    User,
)

T = TypeVar("T")

ROLE_LABELS: dict[str, str] = {
    "ioc_handler": "Người xử lý IOC",
    "agency_handler": "Người xử lý cơ quan",
    "agency_leader": "Lãnh đạo đơn vị",
    "provincial_leader": "Lãnh đạo UBND tỉnh",
    "admin": "Quản trị hệ thống",
    "wall_display": "Màn hình tường",
}
FOCAL_KINDS: dict[str, tuple[str, str]] = {  # kind -> (role the person must have, label)
    "leader": ("agency_leader", "Lãnh đạo đầu mối"),
    "handler": ("agency_handler", "Người xử lý đầu mối"),
}
ACTION_LABELS: dict[str, str] = {
    "user.create": "Tạo tài khoản",
    "user.update": "Sửa tài khoản",
    "user.disable": "Khóa tài khoản",
    "user.enable": "Mở khóa tài khoản",
    "user.password": "Đặt lại mật khẩu",
    "agency.update": "Sửa cơ quan xử lý",
    "agency.focal": "Đổi đầu mối cơ quan",
    "field.create": "Thêm lĩnh vực",
    "field.update": "Sửa lĩnh vực",
    "field.deactivate": "Ngừng lĩnh vực",
    "field.activate": "Mở lại lĩnh vực",
    "routing.create": "Thêm quy tắc phân phối",
    "routing.delete": "Xóa quy tắc phân phối",
    "sla.budget": "Đổi thời hạn",
    "sla.budget_reset": "Khôi phục thời hạn",
    "calendar.seasons": "Đổi giờ làm việc",
    "calendar.seasons_reset": "Khôi phục giờ làm việc",
    "calendar.override_add": "Thêm ngày điều chỉnh",
    "calendar.override_remove": "Xóa ngày điều chỉnh",
}
MIN_PASSWORD = auth.MIN_PASSWORD
MAX_PRIORITY = 999
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._]{2,63}$", re.ASCII)
_FIELD_CODE = re.compile(r"^[a-z][a-z0-9_]{1,31}$", re.ASCII)
_EMAIL = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$", re.ASCII)
_PHONE = re.compile(r"^\+?[0-9][0-9 .\-]{6,18}[0-9]$", re.ASCII)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2060\ufeff]")


# --------------------------------------------------------------------------- shared plumbing


def require_admin(actor: Actor) -> None:
    """Only the administrator changes users, catalogues and the calendar (D13.4, D15)."""
    if actor.role != Role.ADMIN:
        raise Forbidden("forbidden_role", "Chỉ quản trị hệ thống được thay đổi cấu hình.")


def in_transaction(url: str | None, work: Callable[[Session], T]) -> T:
    """Run `work` in one transaction. Two administrators saving at the same instant race for the
    next number of the `system` chain (UNIQUE(stream, seq)); the loser is simply run again."""
    for attempt in range(3):
        try:
            with session_factory(url)() as session, session.begin():
                return work(session)
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def record(session: Session, actor: Actor, action: str, note: str, now: datetime,
           **data: Any) -> Event:
    """Append the change to the `system` stream in the caller's transaction."""
    return append_system_event(session, at=now, actor=actor.username, role=str(actor.role),
                               action=action, note=note, data=data or None)


def clean(value: Any, field_name: str, label: str, *, max_len: int, required: bool = True,
          multiline: bool = False) -> str | None:
    """NFC text without control or invisible characters, trimmed, within `max_len`."""
    text = value if isinstance(value, str) else ("" if value is None else str(value))
    text = unicodedata.normalize("NFC", text)
    if _CONTROL.search(text.replace("\n", "").replace("\r", "").replace("\t", " ")):
        raise ValidationError(field_name, f"{label} chứa ký tự điều khiển không hợp lệ.")
    text = text.replace("\r\n", "\n").strip() if multiline else " ".join(text.split())
    if not text:
        if required:
            raise ValidationError(field_name, f"Nhập {label[0].lower()}{label[1:]}.",
                                  code="required")
        return None
    if len(text) > max_len:
        raise ValidationError(field_name, f"{label} dài {len(text)} ký tự, tối đa {max_len}.",
                              code="too_long")
    return text


def whole_number(value: Any, field_name: str, label: str, low: int, high: int,
                 unit: str = "") -> int:
    """An integer in [low, high]; text from a form is accepted ("240")."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValidationError(field_name, f"Nhập {label[0].lower()}{label[1:]}.", code="required")
    try:
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # a number field sends 500.0 as readily as 500
        number = value if isinstance(value, int) else int(str(value).strip())
    except (TypeError, ValueError):
        raise ValidationError(field_name, f"{label} phải là số nguyên.") from None
    if isinstance(value, bool) or not low <= number <= high:
        suffix = f" {unit}" if unit else ""
        raise ValidationError(field_name, f"{label} phải từ {_thousands(low)} đến "
                                          f"{_thousands(high)}{suffix}.")
    return number


def _thousands(number: int) -> str:
    """1440 -> 1.440 (Vietnamese thousands separator)."""
    return f"{number:,}".replace(",", ".")


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def _changes(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict, dict]:
    """Only the keys whose value changed, as (before, after)."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


# --------------------------------------------------------------------------- users and roles


@dataclass(frozen=True)
class UserRow:
    """An account as the users table shows it."""

    id: int
    username: str
    full_name: str | None
    role: str
    role_label: str
    agency_code: str | None
    agency_name: str | None
    active: bool
    can_sign_in: bool  # has a password (demo staff named in the history have none)
    created_at: datetime
    focal: str | None  # "Lãnh đạo đầu mối" / "Người xử lý đầu mối" of their agency


def _user_row(session: Session, user: User) -> UserRow:
    agency = session.get(Agency, user.agency_code) if user.agency_code else None
    kinds = session.scalars(select(AgencyFocalPoint.kind)
                            .where(AgencyFocalPoint.user_id == user.id)).all()
    return UserRow(
        id=user.id, username=user.username, full_name=user.full_name, role=user.role,
        role_label=ROLE_LABELS.get(user.role, user.role), agency_code=user.agency_code,
        agency_name=agency.short_name if agency else None, active=bool(user.active),
        can_sign_in=user.password_hash is not None, created_at=user.created_at,
        focal=", ".join(FOCAL_KINDS[k][1] for k in sorted(kinds)) or None,
    )


def list_users(url: str | None = None) -> list[UserRow]:
    """Every staff account, active first, then by role and name: the administrator's roster."""
    with session_factory(url)() as session:
        agencies = dict(session.execute(select(Agency.code, Agency.short_name)).all())
        focal: dict[int, list[str]] = {}
        for user_id, kind in session.execute(select(AgencyFocalPoint.user_id,
                                                    AgencyFocalPoint.kind)):
            focal.setdefault(user_id, []).append(FOCAL_KINDS[kind][1])
        users = session.scalars(select(User)).all()
        order = list(ROLE_LABELS)
        users = sorted(users, key=lambda u: (not u.active, order.index(u.role)
                                             if u.role in order else 99, u.username))
        return [UserRow(
            id=u.id, username=u.username, full_name=u.full_name, role=u.role,
            role_label=ROLE_LABELS.get(u.role, u.role), agency_code=u.agency_code,
            agency_name=agencies.get(u.agency_code) if u.agency_code else None,
            active=bool(u.active), can_sign_in=u.password_hash is not None,
            created_at=u.created_at, focal=", ".join(sorted(focal.get(u.id, []))) or None,
        ) for u in users]


def _check_role_agency(session: Session, role: Any, agency_code: Any) -> tuple[str, str | None]:
    if not role:
        raise ValidationError("role", "Chọn vai trò.", code="required")
    if role not in ROLE_LABELS:
        raise ValidationError("role", f"Vai trò '{role}' không có trong hệ thống.")
    agency_code = (agency_code or "").strip() or None
    if role in auth.AGENCY_ROLES:
        if agency_code is None:
            raise ValidationError("agency", f"Vai trò {ROLE_LABELS[role]} cần chọn cơ quan xử lý.",
                                  code="required")
        agency = session.get(Agency, agency_code)
        if agency is None:
            raise ValidationError("agency", f"Cơ quan '{agency_code}' không có trong danh mục.")
        if not agency.active:
            raise ValidationError("agency", f"{agency.name} đã ngừng hoạt động.")
    elif agency_code is not None:
        raise ValidationError("agency", f"Vai trò {ROLE_LABELS[role]} không gắn với cơ quan xử "
                                        "lý; bỏ chọn cơ quan.")
    return role, agency_code


def _check_password(password: Any, username: str) -> str:
    if not isinstance(password, str) or not password:
        raise ValidationError("password", "Nhập mật khẩu.", code="required")
    if len(password) < MIN_PASSWORD:
        raise ValidationError("password", f"Mật khẩu cần ít nhất {MIN_PASSWORD} ký tự "
                                          f"(đang có {len(password)}).")
    if len(password) > 200:
        raise ValidationError("password", "Mật khẩu dài quá 200 ký tự.")
    if password.strip().lower() == username:
        raise ValidationError("password", "Mật khẩu không được trùng tên đăng nhập.")
    return password


def _user(session: Session, username: Any) -> User:
    name = (username or "").strip().lower() if isinstance(username, str) else ""
    user = session.scalar(select(User).where(User.username == name)) if name else None
    if user is None:
        raise ValidationError("username", f"Không có tài khoản '{username}'.", code="not_found")
    return user


def _end_sessions(session: Session, user: User, now: datetime) -> int:
    """Sign the user out everywhere (disabling or a new password must take effect at once)."""
    done = session.execute(update(StaffSession).where(StaffSession.user_id == user.id,
                                                      StaffSession.revoked_at.is_(None))
                           .values(revoked_at=now).execution_options(synchronize_session=False))
    return done.rowcount or 0


def _drop_focal(session: Session, user: User, keep_agency: str | None = None,
                keep_role: str | None = None) -> list[dict[str, str]]:
    """Remove the user's focal-point roles that no longer fit (other agency, role or disabled)."""
    dropped = []
    for point in session.scalars(select(AgencyFocalPoint)
                                 .where(AgencyFocalPoint.user_id == user.id)).all():
        if point.agency_code == keep_agency and FOCAL_KINDS[point.kind][0] == keep_role:
            continue
        dropped.append({"agency": point.agency_code, "kind": point.kind})
        session.delete(point)
    return dropped


def create_user(actor: Actor, *, username: str, full_name: str, role: str,
                agency_code: str | None, password: str, now: datetime | None = None,
                url: str | None = None) -> UserRow:
    """Open an account for a staff member (D13.2, D14.1): the role decides what they may do and
    an agency role ties them to their agency. The password is stored as an argon2 hash only."""
    require_admin(actor)
    now = _now(now)
    name = (username or "").strip().lower()
    if not name:
        raise ValidationError("username", "Nhập tên đăng nhập.", code="required")
    if not _USERNAME.match(name):
        raise ValidationError("username", "Tên đăng nhập dài 3-64 ký tự, chỉ gồm chữ thường "
                                          "không dấu, số, dấu chấm và gạch dưới (ví dụ: xl_ubnd_164).")
    person = clean(full_name, "full_name", "Họ và tên", max_len=200)
    password = _check_password(password, name)

    def work(session: Session) -> UserRow:
        checked_role, agency = _check_role_agency(session, role, agency_code)
        if session.scalar(select(User.id).where(User.username == name)) is not None:
            raise ValidationError("username", f"Tên đăng nhập '{name}' đã có người dùng.",
                                  code="exists")
        user = User(username=name, full_name=person, role=checked_role, agency_code=agency,
                    password_hash=auth.hash_password(password), active=True, created_at=now)
        session.add(user)
        session.flush()
        where = f", {session.get(Agency, agency).short_name}" if agency else ""
        record(session, actor, "user.create",
               f"Tạo tài khoản {name} ({ROLE_LABELS[checked_role]}{where})", now,
               username=name, after={"full_name": person, "role": checked_role,
                                     "agency": agency})
        return _user_row(session, user)

    return in_transaction(url, work)


def update_user(actor: Actor, username: str, *, full_name: str, role: str,
                agency_code: str | None, now: datetime | None = None,
                url: str | None = None) -> UserRow:
    """Change a person's name, role or agency (someone moves to another post). A focal-point
    duty that no longer fits the new role or agency is removed with the change."""
    require_admin(actor)
    now = _now(now)
    person = clean(full_name, "full_name", "Họ và tên", max_len=200)

    def work(session: Session) -> UserRow:
        user = _user(session, username)
        checked_role, agency = _check_role_agency(session, role, agency_code)
        if user.username == actor.username and checked_role != user.role:
            raise ValidationError("role", "Không thể tự đổi vai trò của chính mình; hãy nhờ một "
                                          "quản trị viên khác.")
        before = {"full_name": user.full_name, "role": user.role, "agency": user.agency_code}
        after = {"full_name": person, "role": checked_role, "agency": agency}
        old, new = _changes(before, after)
        if not new:
            raise ValidationError("full_name", "Không có thay đổi nào để lưu.", code="unchanged")
        user.full_name, user.role, user.agency_code = person, checked_role, agency
        dropped = _drop_focal(session, user, agency, checked_role)
        _mirror_focal_names(session, user)
        parts = [f"{_KEYS[k]}: {_show(k, old[k])} → {_show(k, new[k])}" for k in new]
        record(session, actor, "user.update", f"Sửa tài khoản {user.username} ("
               + "; ".join(parts) + ")", now, username=user.username, before=old, after=new,
               **({"focal_removed": dropped} if dropped else {}))
        return _user_row(session, user)

    return in_transaction(url, work)


_KEYS = {"full_name": "họ tên", "role": "vai trò", "agency": "cơ quan"}


def _show(key: str, value: Any) -> str:
    if value is None:
        return "(trống)"
    if key == "role":
        return ROLE_LABELS.get(value, value)
    return str(value)


def disable_user(actor: Actor, username: str, *, now: datetime | None = None,
                 url: str | None = None) -> UserRow:
    """Lock an account (someone left): every session ends at once and any focal-point duty is
    removed. An administrator cannot lock themselves out."""
    require_admin(actor)
    now = _now(now)

    def work(session: Session) -> UserRow:
        user = _user(session, username)
        if user.username == actor.username:
            raise ValidationError("username", "Không thể tự khóa tài khoản của chính mình.",
                                  code="self")
        if not user.active:
            raise ValidationError("username", f"Tài khoản {user.username} đã bị khóa từ trước.",
                                  code="unchanged")
        user.active = False
        ended = _end_sessions(session, user, now)
        dropped = _drop_focal(session, user)
        record(session, actor, "user.disable", f"Khóa tài khoản {user.username}", now,
               username=user.username, before={"active": True}, after={"active": False},
               sessions_ended=ended, **({"focal_removed": dropped} if dropped else {}))
        return _user_row(session, user)

    return in_transaction(url, work)


def enable_user(actor: Actor, username: str, *, now: datetime | None = None,
                url: str | None = None) -> UserRow:
    """Unlock an account that was locked by mistake or whose holder came back."""
    require_admin(actor)
    now = _now(now)

    def work(session: Session) -> UserRow:
        user = _user(session, username)
        if user.active:
            raise ValidationError("username", f"Tài khoản {user.username} đang hoạt động.",
                                  code="unchanged")
        if user.agency_code:
            agency = session.get(Agency, user.agency_code)
            if agency is not None and not agency.active:
                raise ValidationError("username", f"{agency.name} đã ngừng hoạt động; đổi cơ quan "
                                                  "trước khi mở khóa.")
        user.active = True
        record(session, actor, "user.enable", f"Mở khóa tài khoản {user.username}", now,
               username=user.username, before={"active": False}, after={"active": True})
        return _user_row(session, user)

    return in_transaction(url, work)


def generate_password() -> str:
    """A temporary password to hand over in person (14 characters, no look-alikes)."""
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(14))


def reset_password(actor: Actor, username: str, password: str, *, now: datetime | None = None,
                   url: str | None = None) -> None:
    """Give a person a new password (forgotten, or a first one for an account without): the old
    one stops working and every open session of theirs ends. The log never holds the password."""
    require_admin(actor)
    now = _now(now)

    def work(session: Session) -> None:
        user = _user(session, username)
        _check_password(password, user.username)
        first = user.password_hash is None
        user.password_hash = auth.hash_password(password)
        ended = _end_sessions(session, user, now)
        record(session, actor, "user.password",
               f"{'Cấp' if first else 'Đặt lại'} mật khẩu cho {user.username}", now,
               username=user.username, sessions_ended=ended)

    in_transaction(url, work)


# --------------------------------------------------------------------------- agencies (D14.1)


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
    district_code: str | None
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
        district_code=a.district_code, process_minutes=a.process_minutes, email=a.email,
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
            result[kind] = [_user_row(session, u) for u in users]
        return result


def _agency(session: Session, code: Any) -> Agency:
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
    now = _now(now)
    minutes = whole_number(process_minutes, "process_minutes", "Thời hạn xử lý của cơ quan", 60,
                           MAX_PROCESS_MINUTES, "phút làm việc (tối đa 3 ngày, D8 bước 3)")
    mail = clean(email, "email", "Thư điện tử", max_len=254, required=False)
    if mail and not _EMAIL.match(mail):
        raise ValidationError("email", f"Thư điện tử '{mail}' không hợp lệ.")
    tel = clean(phone, "phone", "Số điện thoại", max_len=32, required=False)
    if tel and not _PHONE.match(tel):
        raise ValidationError("phone", "Số điện thoại chỉ gồm chữ số, dấu cách, dấu chấm hoặc "
                                       "gạch ngang (8-20 ký tự).")

    def work(session: Session) -> AgencyRow:
        agency = _agency(session, code)
        before = {"process_minutes": agency.process_minutes, "email": agency.email,
                  "phone": agency.phone}
        after = {"process_minutes": minutes, "email": mail, "phone": tel}
        old, new = _changes(before, after)
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
    now = _now(now)
    wanted = {"leader": ((leader or "").strip().lower() or None, leader_title),
              "handler": ((handler or "").strip().lower() or None, handler_title)}

    def work(session: Session) -> AgencyRow:
        agency = _agency(session, code)
        before: dict[str, Any] = {}
        after: dict[str, Any] = {}
        for kind, (username, title) in wanted.items():
            role, label = FOCAL_KINDS[kind]
            title = clean(title, f"{kind}_title", f"Chức vụ của {label[0].lower()}{label[1:]}",
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
                raise ValidationError(kind, f"{label} phải có vai trò {ROLE_LABELS[role]} "
                                            f"({user.username} là {ROLE_LABELS[user.role]}).")
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


def _mirror_focal_names(session: Session, user: User) -> None:
    """An agency prints its focal people's names: keep them in step with the account."""
    for point in session.scalars(select(AgencyFocalPoint)
                                 .where(AgencyFocalPoint.user_id == user.id)).all():
        agency = session.get(Agency, point.agency_code)
        setattr(agency, f"{point.kind}_name", user.full_name or user.username)


# --------------------------------------------------------------------------- fields (D13.4)


@dataclass(frozen=True)
class FieldRow:
    """A field of the catalogue with its routing and open reports."""

    code: str
    name: str
    group_name: str
    default_agency: str
    default_agency_name: str | None
    description: str | None
    keywords: str | None
    active: bool
    rules: int
    open_reports: int


_OPEN = tuple(sorted(state.value for state in OPEN_STATES))


def list_fields(url: str | None = None) -> list[FieldRow]:
    """The fields catalogue (active ones first), with rule and open-report counts."""
    with session_factory(url)() as session:
        return _field_rows(session)


def _field_rows(session: Session, code: str | None = None) -> list[FieldRow]:
    names = dict(session.execute(select(Agency.code, Agency.short_name)).all())
    rules = dict(session.execute(select(RoutingRule.field_code, func.count())
                                 .group_by(RoutingRule.field_code)).all())
    open_query = (select(Report.field_code, func.count())
                  .where(Report.state.in_(_OPEN), Report.field_code.is_not(None))
                  .group_by(Report.field_code))
    query = select(Field)
    if code is not None:
        query = query.where(Field.code == code)
        open_query = open_query.where(Report.field_code == code)
    open_reports = dict(session.execute(open_query).all())
    fields = sorted(session.scalars(query), key=lambda f: (not f.active, f.group_name, f.name))
    return [FieldRow(code=f.code, name=f.name, group_name=f.group_name,
                     default_agency=f.default_agency,
                     default_agency_name=names.get(f.default_agency),
                     description=f.description, keywords=f.keywords, active=bool(f.active),
                     rules=rules.get(f.code, 0), open_reports=open_reports.get(f.code, 0))
            for f in fields]


def _keywords(value: Any) -> str | None:
    text = clean(value, "keywords", "Từ khóa", max_len=2000, required=False, multiline=True)
    if not text:
        return None
    words = [" ".join(w.split()) for w in re.split(r"[;\n,]", text)]
    return ";".join(dict.fromkeys(w for w in words if w)) or None


def _field(session: Session, code: Any) -> Field:
    item = session.get(Field, code) if code else None
    if item is None:
        raise ValidationError("field", f"Lĩnh vực '{code}' không có trong danh mục.",
                              code="not_found")
    return item


def _unique_field_name(session: Session, name: str, code: str | None = None) -> None:
    for other_code, other in session.execute(select(Field.code, Field.name)):
        if other_code != code and other.casefold() == name.casefold():
            raise ValidationError("name", f"Đã có lĩnh vực tên '{other}' (mã {other_code}).",
                                  code="exists")


def create_field(actor: Actor, *, code: str, name: str, group_name: str, default_agency: str,
                 description: str | None = None, keywords: str | None = None,
                 now: datetime | None = None, url: str | None = None) -> FieldRow:
    """Open a new field for reports (D13.4: the fields accepted are adjusted to the province's
    needs). It comes with a province-wide routing rule to its agency, so it can be forwarded
    from the first report on."""
    require_admin(actor)
    now = _now(now)
    key = (code or "").strip().lower()
    if not key:
        raise ValidationError("code", "Nhập mã lĩnh vực.", code="required")
    if not _FIELD_CODE.match(key):
        raise ValidationError("code", "Mã lĩnh vực dài 2-32 ký tự: chữ thường không dấu, số và "
                                      "gạch dưới, bắt đầu bằng chữ (ví dụ: cay_xanh).")
    title = clean(name, "name", "Tên lĩnh vực", max_len=100)
    group = clean(group_name, "group_name", "Nhóm lĩnh vực", max_len=100)
    text = clean(description, "description", "Mô tả", max_len=2000, required=False,
                 multiline=True)
    words = _keywords(keywords)

    def work(session: Session) -> FieldRow:
        if session.get(Field, key) is not None:
            raise ValidationError("code", f"Mã lĩnh vực '{key}' đã có.", code="exists")
        _unique_field_name(session, title)
        if not default_agency:
            raise ValidationError("default_agency", "Chọn cơ quan xử lý mặc định.",
                                  code="required")
        agency = session.get(Agency, default_agency)
        if agency is None:
            raise ValidationError("default_agency",
                                  f"Cơ quan '{default_agency}' không có trong danh mục.")
        if not agency.active:
            raise ValidationError("default_agency", f"{agency.name} đã ngừng hoạt động.")
        session.add(Field(code=key, name=title, group_name=group, default_agency=agency.code,
                          description=text, keywords=words, active=True))
        session.flush()
        session.add(AgencyField(agency_code=agency.code, field_code=key))
        session.add(RoutingRule(field_code=key, district_code=None, agency_code=agency.code,
                                priority=10, note="Quy tắc chung tạo cùng lĩnh vực"))
        record(session, actor, "field.create", f"Thêm lĩnh vực {title} ({key}), chuyển mặc định "
               f"cho {agency.short_name}", now, field=key,
               after={"name": title, "group_name": group, "default_agency": agency.code,
                      "description": text, "keywords": words})
        session.flush()
        return _field_row(session, key)

    return in_transaction(url, work)


def _field_row(session: Session, code: str) -> FieldRow:
    return _field_rows(session, code)[0]


def update_field(actor: Actor, code: str, *, name: str, group_name: str,
                 description: str | None, keywords: str | None, now: datetime | None = None,
                 url: str | None = None) -> FieldRow:
    """Rename a field or change its group, description and keywords (the keywords suggest the
    field to the IOC handler). Reports keep their field code, so history is unaffected."""
    require_admin(actor)
    now = _now(now)
    title = clean(name, "name", "Tên lĩnh vực", max_len=100)
    group = clean(group_name, "group_name", "Nhóm lĩnh vực", max_len=100)
    text = clean(description, "description", "Mô tả", max_len=2000, required=False,
                 multiline=True)
    words = _keywords(keywords)

    def work(session: Session) -> FieldRow:
        item = _field(session, code)
        _unique_field_name(session, title, item.code)
        before = {"name": item.name, "group_name": item.group_name,
                  "description": item.description, "keywords": item.keywords}
        after = {"name": title, "group_name": group, "description": text, "keywords": words}
        old, new = _changes(before, after)
        if not new:
            raise ValidationError("name", "Không có thay đổi nào để lưu.", code="unchanged")
        item.name, item.group_name, item.description, item.keywords = title, group, text, words
        note = (f"Đổi tên lĩnh vực '{old['name']}' thành '{title}'" if "name" in new
                else f"Sửa lĩnh vực {title}")
        record(session, actor, "field.update", note, now, field=item.code, before=old, after=new)
        session.flush()
        return _field_row(session, item.code)

    return in_transaction(url, work)


def set_field_active(actor: Actor, code: str, active: bool, *, now: datetime | None = None,
                     url: str | None = None) -> FieldRow:
    """Stop (or resume) accepting reports in a field (D13.4). Reports already in that field go
    on to the end of their workflow; only new classification stops offering it."""
    require_admin(actor)
    now = _now(now)

    def work(session: Session) -> FieldRow:
        item = _field(session, code)
        if bool(item.active) == active:
            state = "đang nhận phản ánh" if active else "đã ngừng nhận phản ánh"
            raise ValidationError("field", f"Lĩnh vực {item.name} {state}.", code="unchanged")
        open_reports = session.scalar(select(func.count()).select_from(Report).where(
            Report.field_code == item.code, Report.state.in_(_OPEN)))
        if not active:
            others = session.scalar(select(func.count()).select_from(Field).where(
                Field.active, Field.code != item.code))
            if not others:
                raise ValidationError("field", "Phải còn ít nhất một lĩnh vực nhận phản ánh.")
        item.active = active
        verb = "Mở lại" if active else "Ngừng nhận phản ánh"
        record(session, actor, "field.activate" if active else "field.deactivate",
               f"{verb} lĩnh vực {item.name}", now, field=item.code,
               before={"active": not active}, after={"active": active},
               open_reports=open_reports)
        session.flush()
        return _field_row(session, item.code)

    return in_transaction(url, work)


# --------------------------------------------------------------------------- routing (D7.1)


@dataclass(frozen=True)
class RuleRow:
    """A routing rule: field (+ district) → agency suggested to the IOC handler."""

    id: int
    field_code: str
    field_name: str
    district_code: str | None
    district_name: str | None
    agency_code: str
    agency_name: str
    priority: int
    note: str | None


def list_routing_rules(url: str | None = None) -> list[RuleRow]:
    """Every rule, by field, then province-wide rules, then district, then priority."""
    with session_factory(url)() as session:
        return _rule_rows(session)


def _rule_rows(session: Session, rule_id: int | None = None) -> list[RuleRow]:
    fields = dict(session.execute(select(Field.code, Field.name)).all())
    agencies = dict(session.execute(select(Agency.code, Agency.short_name)).all())
    districts = dict(session.execute(select(AdminUnit.code, AdminUnit.name)
                                     .where(AdminUnit.level == "district")).all())
    query = select(RoutingRule)
    if rule_id is not None:
        query = query.where(RoutingRule.id == rule_id)
    rules = sorted(session.scalars(query), key=lambda r: (
        fields.get(r.field_code, r.field_code), r.district_code is not None,
        r.district_code or "", r.priority))
    return [RuleRow(id=r.id, field_code=r.field_code,
                    field_name=fields.get(r.field_code, r.field_code),
                    district_code=r.district_code,
                    district_name=districts.get(r.district_code) if r.district_code else None,
                    agency_code=r.agency_code,
                    agency_name=agencies.get(r.agency_code, r.agency_code), priority=r.priority,
                    note=r.note) for r in rules]


def _where(session: Session, district: str | None) -> str:
    """'mọi địa bàn' or 'địa bàn Thành phố Thái Nguyên'."""
    if district is None:
        return "mọi địa bàn"
    unit = session.get(AdminUnit, (district, "district"))
    return f"địa bàn {unit.name if unit else district}"


def district_choices(url: str | None = None) -> list[tuple[str, str]]:
    """(code, name) of the districts a rule may name."""
    with session_factory(url)() as session:
        return list(session.execute(select(AdminUnit.code, AdminUnit.name)
                                    .where(AdminUnit.level == "district")
                                    .order_by(AdminUnit.code)).all())


def _sync_default_agency(session: Session, field_code: str) -> tuple[str, str] | None:
    """A field's default agency is its best province-wide rule's (as `data/` requires);
    returns (old, new) when that changed."""
    session.flush()
    best = session.scalar(select(RoutingRule.agency_code).where(
        RoutingRule.field_code == field_code, RoutingRule.district_code.is_(None))
        .order_by(RoutingRule.priority, RoutingRule.id).limit(1))
    item = session.get(Field, field_code)
    if best is None or item is None or item.default_agency == best:
        return None
    old, item.default_agency = item.default_agency, best
    return old, best


def add_routing_rule(actor: Actor, *, field_code: str, district_code: str | None,
                     agency_code: str, priority: Any, note: str | None = None,
                     now: datetime | None = None, url: str | None = None) -> RuleRow:
    """Route a field (in one district, or anywhere) to an agency (D7.1): the IOC handler is
    offered the most specific rule first, then the lowest priority number."""
    require_admin(actor)
    now = _now(now)
    rank = whole_number(priority, "priority", "Thứ tự ưu tiên", 1, MAX_PRIORITY,
                        "(số nhỏ được gợi ý trước)")
    text = clean(note, "note", "Ghi chú", max_len=500, required=False)
    district = (district_code or "").strip() or None

    def work(session: Session) -> RuleRow:
        if not field_code:
            raise ValidationError("field", "Chọn lĩnh vực.", code="required")
        item = _field(session, field_code)
        if district is not None and session.get(AdminUnit, (district, "district")) is None:
            raise ValidationError("district", f"Địa bàn '{district}' không có trong danh mục "
                                              "huyện.")
        if not agency_code:
            raise ValidationError("agency", "Chọn cơ quan xử lý.", code="required")
        agency = _agency(session, agency_code)
        if not agency.active:
            raise ValidationError("agency", f"{agency.name} đã ngừng hoạt động.")
        same_place = session.scalars(select(RoutingRule).where(
            RoutingRule.field_code == item.code,
            RoutingRule.district_code.is_(None) if district is None
            else RoutingRule.district_code == district)).all()
        where = _where(session, district)
        for rule in same_place:
            if rule.agency_code == agency.code:
                raise ValidationError("agency", f"Đã có quy tắc {item.name}, {where} → "
                                                f"{agency.short_name} (ưu tiên {rule.priority}).",
                                      code="exists")
            if rule.priority == rank:
                other = session.get(Agency, rule.agency_code)
                raise ValidationError("priority", f"Đã có quy tắc {item.name}, {where} với ưu tiên "
                                                  f"{rank} ({other.short_name if other else rule.agency_code}); "
                                                  "chọn số ưu tiên khác.", code="exists")
        rule = RoutingRule(field_code=item.code, district_code=district, agency_code=agency.code,
                           priority=rank, note=text)
        session.add(rule)
        if session.get(AgencyField, (agency.code, item.code)) is None:
            session.add(AgencyField(agency_code=agency.code, field_code=item.code))
        session.flush()
        default = _sync_default_agency(session, item.code)
        extra = {"default_agency": {"before": default[0], "after": default[1]}} if default else {}
        record(session, actor, "routing.create", f"Thêm quy tắc: {item.name}, {where} → "
               f"{agency.short_name} (ưu tiên {rank})", now, rule=rule.id,
               after={"field": item.code, "district": district, "agency": agency.code,
                      "priority": rank, "note": text}, **extra)
        return _rule_rows(session, rule.id)[0]

    return in_transaction(url, work)


def remove_routing_rule(actor: Actor, rule_id: Any, *, now: datetime | None = None,
                        url: str | None = None) -> None:
    """Delete a rule that no longer reflects who is competent. Every field keeps at least one
    province-wide rule, so a report can always be forwarded somewhere."""
    require_admin(actor)
    now = _now(now)
    try:
        number = int(rule_id)
    except (TypeError, ValueError):
        raise ValidationError("rule", "Chọn một quy tắc để xóa.", code="required") from None

    def work(session: Session) -> None:
        rule = session.get(RoutingRule, number)
        if rule is None:
            raise ValidationError("rule", "Quy tắc này không còn (có thể vừa bị xóa).",
                                  code="not_found")
        item = session.get(Field, rule.field_code)
        if rule.district_code is None:
            general = session.scalar(select(func.count()).select_from(RoutingRule).where(
                RoutingRule.field_code == rule.field_code, RoutingRule.district_code.is_(None)))
            if general <= 1:
                raise ValidationError("rule", f"Lĩnh vực {item.name} cần ít nhất một quy tắc cho "
                                              "mọi địa bàn; thêm quy tắc khác trước khi xóa "
                                              "quy tắc này.")
        agency = session.get(Agency, rule.agency_code)
        where = _where(session, rule.district_code)
        before = {"field": rule.field_code, "district": rule.district_code,
                  "agency": rule.agency_code, "priority": rule.priority, "note": rule.note}
        session.delete(rule)
        default = _sync_default_agency(session, before["field"])
        extra = {"default_agency": {"before": default[0], "after": default[1]}} if default else {}
        record(session, actor, "routing.delete", f"Xóa quy tắc: {item.name}, {where} → "
               f"{agency.short_name if agency else before['agency']} (ưu tiên "
               f"{before['priority']})", now, rule=number, before=before, **extra)

    in_transaction(url, work)


# --------------------------------------------------------------------------- the change log


@dataclass(frozen=True)
class ChangeRow:
    """One recorded administrative change (the `system` stream of the event log)."""

    seq: int
    at: datetime
    actor: str
    role: str
    action: str
    action_label: str
    note: str | None
    data: dict[str, Any]


def list_changes(limit: int = 500, url: str | None = None) -> list[ChangeRow]:
    """The administrative changes, newest first (D3.8: every change is recorded)."""
    with session_factory(url)() as session:
        events = session.scalars(select(Event).where(Event.stream == SYSTEM_STREAM)
                                 .order_by(Event.seq.desc()).limit(limit)).all()
        return [ChangeRow(seq=e.seq, at=e.at, actor=e.actor, role=e.role, action=e.action,
                          action_label=ACTION_LABELS.get(e.action, e.action), note=e.note,
                          data=json.loads(e.data) if e.data else {}) for e in events]

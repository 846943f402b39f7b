"""Administration (D13.4, D14.1, D15): accounts and roles, agencies and their focal points, the
the log of every administrative change, and the plumbing the other administration modules share.

One function per use case, one transaction each. Every change is recorded in the same
transaction in the event log's `system` stream (D3.8: who, when, what, before and after), so a
change and its record stand or fall together. Only an administrator may call the writers; every
refusal is a `ValidationError` naming the form field, in Vietnamese. The fields catalogue and
routing rules are in `backend.services.admin.catalogue`; stage budgets, working seasons and
override days in `backend.services.admin.calendar`.
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

from backend.domain.roles import AGENCY_ROLES, ROLE_LABELS_VI, STAFF_ROLES, Role, role_label
from backend.domain.workflow import Actor, Forbidden
from backend.reference.files import MAX_PROCESS_MINUTES
from backend.services.access import auth
from backend.services.audit import SYSTEM_STREAM, append_system_event
from backend.services.errors import ValidationError
from backend.storage.db import session_factory
from backend.storage.models import (
    Agency,
    AgencyField,
    AgencyFocalPoint,
    Event,
    StaffSession,
    User,
)

T = TypeVar("T")

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
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._]{2,63}$", re.ASCII)
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


def person_name(value: Any) -> str:
    """A staff member's full name: at least two letters (it is shown on every step they take,
    in the event log and in the report packs), at most 200 characters."""
    person = clean(value, "full_name", "Họ và tên", max_len=200)
    if sum(c.isalpha() for c in person) < 2:
        raise ValidationError("full_name", "Họ và tên phải có ít nhất hai chữ cái.",
                              code="too_short")
    return person


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


def changes(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict, dict]:
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
        role_label=role_label(user.role), agency_code=user.agency_code,
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
        order = list(STAFF_ROLES)
        users = sorted(users, key=lambda u: (not u.active, order.index(u.role)
                                             if u.role in order else 99, u.username))
        return [UserRow(
            id=u.id, username=u.username, full_name=u.full_name, role=u.role,
            role_label=role_label(u.role), agency_code=u.agency_code,
            agency_name=agencies.get(u.agency_code) if u.agency_code else None,
            active=bool(u.active), can_sign_in=u.password_hash is not None,
            created_at=u.created_at, focal=", ".join(sorted(focal.get(u.id, []))) or None,
        ) for u in users]


def _check_role_agency(session: Session, role: Any, agency_code: Any) -> tuple[str, str | None]:
    if not role:
        raise ValidationError("role", "Chọn vai trò.", code="required")
    if role not in STAFF_ROLES:
        raise ValidationError("role", f"Vai trò '{role}' không có trong hệ thống.")
    agency_code = (agency_code or "").strip() or None
    if role in AGENCY_ROLES:
        if agency_code is None:
            raise ValidationError("agency", f"Vai trò {ROLE_LABELS_VI[role]} cần chọn cơ quan xử lý.",
                                  code="required")
        agency = session.get(Agency, agency_code)
        if agency is None:
            raise ValidationError("agency", f"Cơ quan '{agency_code}' không có trong danh mục.")
        if not agency.active:
            raise ValidationError("agency", f"{agency.name} đã ngừng hoạt động.")
    elif agency_code is not None:
        raise ValidationError("agency", f"Vai trò {ROLE_LABELS_VI[role]} không gắn với cơ quan xử "
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
                                          "không dấu, số, dấu chấm và gạch dưới "
                                          "(ví dụ: xl_ubnd_164).")
    person = person_name(full_name)
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
               f"Tạo tài khoản {name} ({ROLE_LABELS_VI[checked_role]}{where})", now,
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
    person = person_name(full_name)

    def work(session: Session) -> UserRow:
        user = _user(session, username)
        checked_role, agency = _check_role_agency(session, role, agency_code)
        if user.username == actor.username and checked_role != user.role:
            raise ValidationError("role", "Không thể tự đổi vai trò của chính mình; hãy nhờ một "
                                          "quản trị viên khác.")
        before = {"full_name": user.full_name, "role": user.role, "agency": user.agency_code}
        after = {"full_name": person, "role": checked_role, "agency": agency}
        old, new = changes(before, after)
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
        return role_label(value)
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
    now = _now(now)
    minutes = whole_number(process_minutes, "process_minutes", "Thời hạn xử lý của cơ quan", 60,
                           MAX_PROCESS_MINUTES, "phút làm việc (tối đa 3 ngày, Đ8 bước 3)")
    mail = clean(email, "email", "Thư điện tử", max_len=254, required=False)
    if mail and not _EMAIL.match(mail):
        raise ValidationError("email", f"Thư điện tử '{mail}' không hợp lệ.")
    tel = clean(phone, "phone", "Số điện thoại", max_len=32, required=False)
    if tel and not _PHONE.match(tel):
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
    now = _now(now)
    wanted = {"leader": ((leader or "").strip().lower() or None, leader_title),
              "handler": ((handler or "").strip().lower() or None, handler_title)}

    def work(session: Session) -> AgencyRow:
        agency = get_agency(session, code)
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


def _mirror_focal_names(session: Session, user: User) -> None:
    """An agency prints its focal people's names: keep them in step with the account."""
    for point in session.scalars(select(AgencyFocalPoint)
                                 .where(AgencyFocalPoint.user_id == user.id)).all():
        agency = session.get(Agency, point.agency_code)
        setattr(agency, f"{point.kind}_name", user.full_name or user.username)


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

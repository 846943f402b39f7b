"""Staff accounts and their roles (D13.4, D15): list, create, change, disable, enable, reset a
password. Each change ends the account's sessions where it must and is recorded in the event log.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from backend.domain.roles import AGENCY_ROLES, FOCAL_KINDS, ROLE_LABELS_VI, STAFF_ROLES, role_label
from backend.domain.workflow import Actor
from backend.services.access import auth
from backend.services.admin.common import (
    changes,
    in_transaction,
    now_or_present,
    person_name,
    record,
    require_admin,
)
from backend.services.errors import ValidationError
from backend.storage.db import session_factory
from backend.storage.models import (
    Agency,
    AgencyFocalPoint,
    StaffSession,
    User,
)

MIN_PASSWORD = auth.MIN_PASSWORD


_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._]{2,63}$", re.ASCII)


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


def user_row(session: Session, user: User) -> UserRow:
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
    now = now_or_present(now)
    name = (username or "").strip().lower()
    if not name:
        raise ValidationError("username", "Nhập tên đăng nhập.", code="required")
    if not _USERNAME.match(name):
        raise ValidationError("username", "Tên đăng nhập dài 3-64 ký tự, chỉ gồm chữ thường "
                                          "không dấu, số, dấu chấm và gạch dưới "
                                          "(ví dụ: xl_ubnd_05443).")
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
        return user_row(session, user)

    return in_transaction(url, work)


def update_user(actor: Actor, username: str, *, full_name: str, role: str,
                agency_code: str | None, now: datetime | None = None,
                url: str | None = None) -> UserRow:
    """Change a person's name, role or agency (someone moves to another post). A focal-point
    duty that no longer fits the new role or agency is removed with the change."""
    require_admin(actor)
    now = now_or_present(now)
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
        mirror_focal_names(session, user)
        parts = [f"{_KEYS[k]}: {_show(k, old[k])} → {_show(k, new[k])}" for k in new]
        record(session, actor, "user.update", f"Sửa tài khoản {user.username} ("
               + "; ".join(parts) + ")", now, username=user.username, before=old, after=new,
               **({"focal_removed": dropped} if dropped else {}))
        return user_row(session, user)

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
    now = now_or_present(now)

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
        return user_row(session, user)

    return in_transaction(url, work)


def enable_user(actor: Actor, username: str, *, now: datetime | None = None,
                url: str | None = None) -> UserRow:
    """Unlock an account that was locked by mistake or whose holder came back."""
    require_admin(actor)
    now = now_or_present(now)

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
        return user_row(session, user)

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
    now = now_or_present(now)

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


def mirror_focal_names(session: Session, user: User) -> None:
    """An agency prints its focal people's names: keep them in step with the account."""
    for point in session.scalars(select(AgencyFocalPoint)
                                 .where(AgencyFocalPoint.user_id == user.id)).all():
        agency = session.get(Agency, point.agency_code)
        setattr(agency, f"{point.kind}_name", user.full_name or user.username)

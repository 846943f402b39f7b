"""Staff accounts and sessions: argon2 passwords, server-side sessions that logout really ends.

A session is a random token in the signed cookie; the database holds only its SHA-256 with the
user, a CSRF token and the times, so logout, idle timeout and disabling a user take effect at once
on every worker (TESTPLAN 24).
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update

from backend.domain.roles import AGENCY_ROLES, STAFF_ROLES, Role
from backend.domain.workflow import Actor
from backend.services.errors import ValidationError
from backend.storage.db import session_factory
from backend.storage.models import Agency, StaffSession, User

IDLE_TIMEOUT = timedelta(hours=8)
MIN_PASSWORD = 10


def password_hasher() -> PasswordHasher:
    """argon2id with the library's recommended cost, unless `IOC_ARGON2_TIME_COST` and
    `IOC_ARGON2_MEMORY_KIB` set another (a small host; the test suite's thousands of sign-ins).
    A stored hash of another cost still verifies, and is rehashed at the next sign-in."""
    return _hasher_for(os.environ.get("IOC_ARGON2_TIME_COST") or None,
                       os.environ.get("IOC_ARGON2_MEMORY_KIB") or None)


@lru_cache(maxsize=4)
def _hasher_for(time_cost: str | None, memory_kib: str | None) -> PasswordHasher:
    default = PasswordHasher()
    return PasswordHasher(time_cost=int(time_cost or default.time_cost),
                          memory_cost=int(memory_kib or default.memory_cost))


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Verified against for unknown users, so both refusals take the same time (TESTPLAN 22)."""
    return password_hasher().hash(secrets.token_hex(16))


@dataclass(frozen=True)
class StaffUser:
    """What the web layer knows of a signed-in person."""

    id: int
    username: str
    full_name: str | None
    role: str
    agency_code: str | None
    csrf_token: str
    session_token_hash: str

    def actor(self) -> Actor:
        return Actor(self.username, Role(self.role), self.agency_code)


def create_user(username: str, role: str, password: str, agency: str | None = None,
                full_name: str | None = None, url: str | None = None) -> User:
    """`ioc users create`: a staff account; agency roles must name an existing agency."""
    username = username.strip().lower()
    if not username or len(username) > 64 or not username.replace("_", "").replace(".", "").isalnum():
        raise ValidationError("username", "Tên đăng nhập chỉ gồm chữ, số, dấu chấm và gạch dưới.")
    if role not in STAFF_ROLES:
        raise ValidationError("role", f"Vai trò phải là một trong: {', '.join(STAFF_ROLES)}.")
    if len(password) < MIN_PASSWORD:
        raise ValidationError("password", f"Mật khẩu cần ít nhất {MIN_PASSWORD} ký tự.")
    if role in AGENCY_ROLES and not agency:
        raise ValidationError("agency", "Vai trò của cơ quan xử lý cần --agency.")
    if role not in AGENCY_ROLES and agency:
        raise ValidationError("agency", "Chỉ vai trò của cơ quan xử lý mới gắn với cơ quan.")
    now = datetime.now(UTC)
    with session_factory(url)() as session, session.begin():
        if agency and session.get(Agency, agency) is None:
            raise ValidationError("agency", f"Cơ quan '{agency}' không tồn tại.")
        existing = session.scalar(select(User).where(User.username == username))
        if existing is not None and existing.password_hash:
            raise ValidationError("username", f"Tài khoản '{username}' đã tồn tại.")
        user = existing or User(username=username, created_at=now)
        user.role, user.agency_code, user.full_name = role, agency, full_name
        user.password_hash = password_hasher().hash(password)
        user.active = True
        session.add(user)
    return user


def hash_password(password: str) -> str:
    """An argon2id hash with the library's current parameters."""
    return password_hasher().hash(password)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def login(username: str, password: str, url: str | None = None) -> tuple[str, StaffUser] | None:
    """Check the password and open a new session (a new id at every login: no fixation)."""
    with session_factory(url)() as session, session.begin():
        user = session.scalar(select(User).where(User.username == username.strip().lower()))
        stored = user.password_hash if user is not None and user.active else None
        try:
            password_hasher().verify(stored or _dummy_hash(), password)
        except (VerificationError, InvalidHashError):
            return None
        if stored is None:
            return None
        if password_hasher().check_needs_rehash(stored):
            user.password_hash = password_hasher().hash(password)
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = datetime.now(UTC)
        session.add(StaffSession(token_hash=_token_hash(token), user_id=user.id, csrf_token=csrf,
                                 created_at=now, last_seen_at=now))
        return token, _staff(user, csrf, _token_hash(token))


def _staff(user: User, csrf: str, token_hash: str) -> StaffUser:
    return StaffUser(user.id, user.username, user.full_name, user.role, user.agency_code, csrf,
                     token_hash)


def resolve_session(token: str, url: str | None = None) -> StaffUser | None:
    """The signed-in user for a session token, or None if it ended, idled out or was disabled."""
    now = datetime.now(UTC)
    with session_factory(url)() as session, session.begin():
        row = session.execute(
            select(StaffSession, User).join(User, User.id == StaffSession.user_id)
            .where(StaffSession.token_hash == _token_hash(token))
        ).first()
        if row is None:
            return None
        staff_session, user = row
        if (staff_session.revoked_at is not None or not user.active
                or now - staff_session.last_seen_at > IDLE_TIMEOUT):
            return None
        if now - staff_session.last_seen_at > timedelta(minutes=1):  # cheap sliding expiry
            staff_session.last_seen_at = now
        return _staff(user, staff_session.csrf_token, staff_session.token_hash)


def logout(token_hash: str, url: str | None = None) -> None:
    """End one session for good."""
    with session_factory(url)() as session, session.begin():
        session.execute(update(StaffSession).where(StaffSession.token_hash == token_hash)
                        .values(revoked_at=datetime.now(UTC)))


def disable_user(username: str, url: str | None = None) -> None:
    """Disable an account and end all its sessions at once."""
    now = datetime.now(UTC)
    with session_factory(url)() as session, session.begin():
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            raise ValidationError("username", f"Không có tài khoản '{username}'.")
        user.active = False
        session.execute(update(StaffSession).where(StaffSession.user_id == user.id,
                                                   StaffSession.revoked_at.is_(None))
                        .values(revoked_at=now))

"""What every administration use case shares (D13.4, D14.1, D15): only an administrator may write,
one transaction each with its record in the event log's `system` stream (D3.8: who, when, what,
before and after), and the checks of a form's values with refusals in Vietnamese naming the field.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend import vietnamese as vn
from backend.domain.roles import Role
from backend.domain.workflow import Actor, Forbidden
from backend.services.audit import append_system_event
from backend.services.errors import ValidationError
from backend.storage.db import session_factory
from backend.storage.models import (
    Event,
)

T = TypeVar("T")


EMAIL = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$", re.ASCII)


PHONE = re.compile(r"^\+?[0-9][0-9 .\-]{6,18}[0-9]$", re.ASCII)




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


def checked_text(value: Any, field_name: str, label: str, *, max_len: int, required: bool = True,
          multiline: bool = False) -> str | None:
    """A form's text as stored: NFC, refused with control or invisible characters, trimmed,
    within `max_len`; refusals name the field by its `label`."""
    text = value if isinstance(value, str) else ("" if value is None else str(value))
    text = vn.nfc(text)
    if vn.has_control(text) or vn.has_hidden(text):
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
    person = checked_text(value, "full_name", "Họ và tên", max_len=200)
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
        raise ValidationError(field_name, f"{label} phải từ {vn.integer(low)} đến "
                                          f"{vn.integer(high)}{suffix}.")
    return number



def now_or_present(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def changes(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict, dict]:
    """Only the keys whose value changed, as (before, after)."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}

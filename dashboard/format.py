"""Vietnamese display formats shared by every page: dd/mm/yyyy, Asia/Ho_Chi_Minh, 1.234,
regulation clauses as "Đ6.2", and who did a step in words rather than account names."""

from __future__ import annotations

import re
from datetime import datetime

from backend.config import LOCAL_TZ


def parse(value: str | datetime | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)


def date_time(value: str | datetime | None) -> str:
    at = parse(value)
    return at.astimezone(LOCAL_TZ).strftime("%H:%M %d/%m/%Y") if at else ""


def date(value: str | datetime | None) -> str:
    at = parse(value)
    return at.astimezone(LOCAL_TZ).strftime("%d/%m/%Y") if at else ""


def number(value: float | int | None) -> str:
    """1234567 → 1.234.567 (Vietnamese thousands separator)."""
    if value is None:
        return "-"
    return f"{round(value):,}".replace(",", ".")


def percent(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "-"
    return f"{value * 100:.{digits}f}".replace(".", ",") + "%"


def countdown(due: str | datetime | None, now: datetime) -> str:
    """'còn 2 giờ 15 phút' or 'quá hạn 1 ngày 3 giờ' (clock time to the due instant)."""
    at = parse(due)
    if at is None:
        return ""
    seconds = int((at - now).total_seconds())
    late, seconds = seconds < 0, abs(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = ([f"{days} ngày"] if days else []) + ([f"{hours} giờ"] if hours else [])
    if not days:
        parts.append(f"{minutes} phút")
    text = " ".join(parts)
    return f"quá hạn {text}" if late else f"còn {text}"


_CLAUSE_ID = re.compile(r"\bD(?=\d)")


def clause(ref: str | None) -> str:
    """A regulation reference as people read it: the internal ids ("D6.2", "D8 bước 3", kept in
    `data/sla.toml` and `ACTIONS`) shown with the Vietnamese "Điều" abbreviation ("Đ6.2",
    "Đ8 bước 3"); "Phụ lục I" and already Vietnamese text pass unchanged."""
    return _CLAUSE_ID.sub("Đ", ref or "")


# Accounts that are not people with a username: the reporter's own steps are recorded as
# "citizen" (submit, supplement, feedback); "system" is the administrative stream's name.
ACTOR_LABELS_VI = {"citizen": "Người dân", "system": "Hệ thống"}


def actor(name: str | None) -> str:
    """Who did a step: a staff member's account name as is, a built-in actor in Vietnamese."""
    if not name:
        return ACTOR_LABELS_VI["system"]
    return ACTOR_LABELS_VI.get(name, name)

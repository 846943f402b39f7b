"""Vietnamese display formats shared by every page: dd/mm/yyyy, Asia/Ho_Chi_Minh, 1.234."""

from __future__ import annotations

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

"""Demo sign-in accounts, one per role, created by `ioc run` on a demo database only.

Outside the demo no default account exists (`ioc users create` makes real ones). The demo
passwords are printed at start so anyone trying the system can sign in.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from backend.services.access.auth import hash_password
from backend.storage.db import session_factory
from backend.storage.models import User

DEMO_AGENCY = "ubnd_05443"  # UBND phường Phan Đình Phùng (the district UBNDs ended 1/7/2025)
DEMO_ACCOUNTS = (
    ("ioc_xuly1", "ioc_handler", None, "Người xử lý tại IOC"),
    (f"xl_{DEMO_AGENCY}", "agency_handler", DEMO_AGENCY, "Người xử lý, UBND TP Thái Nguyên"),
    (f"ld_{DEMO_AGENCY}", "agency_leader", DEMO_AGENCY, "Lãnh đạo, UBND TP Thái Nguyên"),
    ("lanhdao_tinh", "provincial_leader", None, "Lãnh đạo UBND tỉnh"),
    ("quantri", "admin", None, "Quản trị hệ thống"),
    ("manhinh_ioc", "wall_display", None, "Màn hình tường IOC"),
)


def demo_password(username: str) -> str:
    return f"demo-{username}-2026"


def ensure_demo_accounts(url: str | None = None) -> list[tuple[str, str, str | None, str]]:
    """Create or reset the demo accounts; returns (username, role, agency, password) rows."""
    now = datetime.now(UTC)
    rows = []
    with session_factory(url)() as session, session.begin():
        for username, role, agency, full_name in DEMO_ACCOUNTS:
            user = session.scalar(select(User).where(User.username == username))
            if user is None:
                user = User(username=username, created_at=now)
                session.add(user)
            user.role, user.agency_code, user.full_name, user.active = role, agency, full_name, True
            user.password_hash = hash_password(demo_password(username))
            rows.append((username, role, agency, demo_password(username)))
    return rows

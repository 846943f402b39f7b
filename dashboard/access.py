"""Who may open which page, and who is looking (the signed-in staff member of this request)."""

from __future__ import annotations

from dash.exceptions import PreventUpdate

from backend.api.auth import current_staff
from backend.services.auth import StaffUser

# path -> (Vietnamese menu label, roles allowed)
PAGES: dict[str, tuple[str, tuple[str, ...]]] = {
    "/wall": ("Màn hình tường", ("wall_display", "ioc_handler", "admin", "provincial_leader")),
    "/triage": ("Tiếp nhận, phân loại", ("ioc_handler", "admin")),
    "/publish": ("Công khai kết quả", ("ioc_handler", "admin")),
    "/agency": ("Xử lý tại cơ quan", ("agency_handler", "agency_leader")),
    "/leaders": ("Lãnh đạo tỉnh", ("provincial_leader", "admin", "ioc_handler")),
    "/admin": ("Quản trị", ("admin",)),
}
HOME = {"wall_display": "/wall", "ioc_handler": "/triage", "admin": "/admin",
        "agency_handler": "/agency", "agency_leader": "/agency", "provincial_leader": "/leaders"}


def viewer() -> StaffUser | None:
    return current_staff()


def may_open(staff: StaffUser, path: str) -> bool:
    return path in PAGES and staff.role in PAGES[path][1]


def menu(staff: StaffUser) -> list[tuple[str, str]]:
    """(path, label) of every page this role may open, in menu order."""
    return [(path, label) for path, (label, roles) in PAGES.items() if staff.role in roles]


def require(*roles: str) -> StaffUser:
    """The viewer if signed in with one of `roles`; otherwise the callback does nothing."""
    staff = viewer()
    if staff is None or (roles and staff.role not in roles):
        raise PreventUpdate
    return staff

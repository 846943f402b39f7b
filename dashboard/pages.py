"""The dashboard's pages, one record each, in menu order: the only list of pages.

A page is drawn by `dashboard/layouts/<page>.py` (`layout(staff)`: its components, as the
signed-in viewer first sees them) and wired by `dashboard/callbacks/<page>.py`
(`register(app)`: its callbacks); a page that needs more than a screenful of code has a folder
instead, `layouts/<page>/` and `callbacks/<page>/`. The router (`dashboard/callbacks/router.py`),
the menu (`dashboard/layouts/shell.py`), the access check and the callback registration
(`dashboard/app.py`) all read `PAGES`: adding a page is writing its two modules and one line
here. Who may open a page is one of the role sets of `backend/domain/roles.py`, the same set the
page's callbacks require.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dash import Dash

from backend.domain.roles import (
    ADMIN_ROLES,
    AGENCY_ROLES,
    IOC_ROLES,
    LEADERS_PAGE_ROLES,
    WALL_ROLES,
    Role,
)
from backend.services.access.auth import StaffUser
from dashboard.callbacks import admin as admin_callbacks
from dashboard.callbacks import agency as agency_callbacks
from dashboard.callbacks import leaders as leaders_callbacks
from dashboard.callbacks import publish as publish_callbacks
from dashboard.callbacks import triage as triage_callbacks
from dashboard.callbacks import wall as wall_callbacks
from dashboard.layouts import admin as admin_layout
from dashboard.layouts import agency as agency_layout
from dashboard.layouts import leaders as leaders_layout
from dashboard.layouts import publish as publish_layout
from dashboard.layouts import triage as triage_layout
from dashboard.layouts import wall as wall_layout


@dataclass(frozen=True)
class Page:
    """One page: its path, its menu label, who may open it, how it is drawn and wired."""

    path: str
    label: str  # in the menu
    roles: tuple[str, ...]  # who may open it (the menu shows it to them only)
    layout: Callable[[StaffUser | None], Any]
    register: Callable[[Dash], None]
    home_of: tuple[str, ...] = ()  # the roles that land here after signing in
    full_screen: bool = False  # no margins (the control-room wall)


PAGES: tuple[Page, ...] = (
    Page("/wall", "Màn hình tường", WALL_ROLES, wall_layout.layout, wall_callbacks.register,
         home_of=(Role.WALL_DISPLAY,), full_screen=True),
    Page("/triage", "Tiếp nhận, phân loại", IOC_ROLES, triage_layout.layout,
         triage_callbacks.register, home_of=(Role.IOC_HANDLER,)),
    Page("/publish", "Công khai kết quả", IOC_ROLES, publish_layout.layout,
         publish_callbacks.register),
    Page("/agency", "Xử lý tại cơ quan", AGENCY_ROLES, agency_layout.layout,
         agency_callbacks.register, home_of=AGENCY_ROLES),
    Page("/leaders", "Lãnh đạo tỉnh", LEADERS_PAGE_ROLES, leaders_layout.layout,
         leaders_callbacks.register, home_of=(Role.PROVINCIAL_LEADER,)),
    Page("/admin", "Quản trị", ADMIN_ROLES, admin_layout.layout, admin_callbacks.register,
         home_of=(Role.ADMIN,)),
)


def page(path: str) -> Page | None:
    return next((p for p in PAGES if p.path == path), None)


def may_open(staff: StaffUser, path: str) -> bool:
    found = page(path)
    return found is not None and staff.role in found.roles


def menu(staff: StaffUser) -> list[tuple[str, str]]:
    """(path, label) of every page this role may open, in menu order."""
    return [(p.path, p.label) for p in PAGES if staff.role in p.roles]


def home(role: str) -> str:
    """Where a role lands after signing in (or at `/`)."""
    return next((p.path for p in PAGES if role in p.home_of), "/")

"""Who is looking: the signed-in staff member of this request, and the check every callback
starts with. Which page each role may open is in the page table, `dashboard/pages.py`."""

from __future__ import annotations

from dash.exceptions import PreventUpdate

from backend.services.access.auth import StaffUser
from backend.web.signin import current_staff


def viewer() -> StaffUser | None:
    return current_staff()


def require(*roles: str) -> StaffUser:
    """The viewer if signed in with one of `roles`; otherwise the callback does nothing."""
    staff = viewer()
    if staff is None or (roles and staff.role not in roles):
        raise PreventUpdate
    return staff

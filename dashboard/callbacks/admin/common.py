"""The callbacks' common steps on the administration page: the admin check, a write behind a form
with its error lines, the flash message, the version that reloads every tab, the grids' search;
and how working and clock minutes are written. What the tabs draw with is in
`dashboard/layouts/admin/common.py`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from dash import Dash, Input, Output, Patch, no_update
from dash.exceptions import PreventUpdate

from backend.domain.roles import ADMIN_ROLES
from backend.domain.workflow import WorkflowError
from backend.services.access.auth import StaffUser
from backend.services.admin import agencies as admin_agencies
from dashboard import access
from dashboard.layouts.admin.common import flash
from dashboard.lookups import option

T = TypeVar("T")


def require_admin() -> StaffUser:
    return access.require(*ADMIN_ROLES)


def slots(fields: Sequence[str], error: WorkflowError | None) -> list[str]:
    """One message per field's error line and, last, the form's own line."""
    out = [""] * (len(fields) + 1)
    if error is not None:
        where = (fields.index(error.field)
                 if error.field in fields and error.code != "unchanged" else len(fields))
        out[where] = error.message
    return out


def form_write(form: Sequence[str], write: Callable[[], T], message: Callable[[T], str],
               cleared: int = 0) -> tuple:
    """One service write behind a form: (the form's error lines..., `cleared` inputs emptied,
    `admin-version`, `admin-flash`). A refusal fills the error line of the field it names and
    changes nothing else."""
    try:
        item = write()
    except WorkflowError as error:
        return (*slots(form, error), *[no_update] * (cleared + 2))
    return (*slots(form, None), *[""] * cleared, version(), flash(message(item)))


def first_selected(rows: list[dict[str, Any]] | None, key: str) -> Any:
    """The key of the grid's selected row; nothing happens without one."""
    if not rows:
        raise PreventUpdate
    return rows[0][key]


def version() -> float:
    """A new value for `admin-version`: every tab that shows reloads."""
    return datetime.now(UTC).timestamp()


def minutes_text(minutes: int) -> str:
    """Working time: 480 -> '1 ngày', 240 -> '4 giờ', 90 -> '1 giờ 30 phút' (a working day is
    480 minutes)."""
    if minutes >= 480 and minutes % 480 == 0:
        return f"{minutes // 480} ngày"
    return clock_text(minutes)


def clock_text(minutes: int) -> str:
    """Clock time: 1440 -> '24 giờ', 90 -> '1 giờ 30 phút', 45 -> '45 phút'."""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} phút"
    return f"{hours} giờ" + (f" {rest} phút" if rest else "")


def agency_options(active_only: bool = True) -> list[dict[str, str]]:
    return [option(a.short_name, a.code) for a in admin_agencies.list_agencies()
            if a.active or not active_only]


def selected_row(rows: list[dict] | None, fresh: list[dict] | None, key: str) -> dict | None:
    """The selected row as the grid's latest data has it (after a save, the fresh values)."""
    if not rows:
        return None
    wanted = rows[0].get(key)
    return next((r for r in fresh or [] if r.get(key) == wanted), rows[0])


def quick_filter(text: str | None) -> Patch:
    patch = Patch()
    patch["quickFilterText"] = text or ""
    return patch


def load_tab(tab: str | None, name: str) -> None:
    require_admin()
    if tab != name:
        raise PreventUpdate


def register_search(app: Dash, name: str) -> None:
    """The search box over the tab's grid `admin-<name>-grid` (the grid's quick filter)."""
    @app.callback(Output(f"admin-{name}-grid", "dashGridOptions"),
                  Input(f"admin-{name}-search", "value"), prevent_initial_call=True)
    def apply(text):
        require_admin()
        return quick_filter(text)

"""The "Người dùng" tab (drawn by `dashboard/layouts/admin/users.py`): staff accounts, their role
and agency, passwords, locking (D15)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from dash import Dash, Input, Output, State, ctx, html, no_update
from dash.exceptions import PreventUpdate

from backend import vietnamese as vn
from backend.domain.roles import AGENCY_ROLES
from backend.domain.workflow import WorkflowError
from backend.services.admin import users as admin_users
from dashboard.callbacks.admin.common import (
    agency_options,
    first_selected,
    form_write,
    load_tab,
    register_search,
    require_admin,
    selected_row,
    version,
)
from dashboard.layouts.admin.common import flash
from dashboard.layouts.admin.users import KEY

USER_FORM = ("username", "full_name", "role", "agency", "password")
USER_EDIT = ("full_name", "role", "agency")


def user_rows() -> list[dict[str, Any]]:
    rows = []
    for u in admin_users.list_users():
        row = asdict(u)
        row["created"] = vn.date(u.created_at)
        row["status"] = ("Đã khóa" if not u.active else
                         "Hoạt động" if u.can_sign_in else "Chưa có mật khẩu")
        del row["created_at"]
        rows.append(row)
    return rows


def role_changed(role: str | None, agency: str | None) -> tuple[bool, str | None]:
    """An agency is chosen only for the agency roles; for any other role it is cleared."""
    require_admin()
    needs = role in AGENCY_ROLES
    return not needs, agency if needs else None


def register(app: Dash) -> None:
    register_search(app, KEY)
    register_list(app)
    register_forms(app)


def register_list(app: Dash) -> None:
    """The accounts' grid, the chosen account and its edit form."""

    @app.callback(Output("admin-users-grid", "rowData"),
                  Output("admin-user-new-agency", "options"),
                  Output("admin-user-edit-agency", "options"),
                  Input("admin-tabs", "value"), Input("admin-version", "data"))
    def load_users(tab, _version):
        load_tab(tab, "users")
        options = agency_options()
        return user_rows(), options, options

    for form in ("new", "edit"):
        app.callback(Output(f"admin-user-{form}-agency", "disabled"),
                     Output(f"admin-user-{form}-agency", "value", allow_duplicate=True),
                     Input(f"admin-user-{form}-role", "value"),
                     State(f"admin-user-{form}-agency", "value"),
                     prevent_initial_call=True)(role_changed)

    @app.callback(Output("admin-user-selected", "children"), Output("admin-user-edit", "hidden"),
                  Output("admin-user-edit-full_name", "value"),
                  Output("admin-user-edit-role", "value"),
                  Output("admin-user-edit-agency", "value"),
                  Output("admin-user-disable", "hidden"), Output("admin-user-enable", "hidden"),
                  Output("admin-user-pw-result", "children"),
                  Input("admin-users-grid", "selectedRows"), Input("admin-users-grid", "rowData"))
    def user_selected(rows, fresh):
        require_admin()
        row = selected_row(rows, fresh, "username")
        # a temporary password stays on screen after the save reloads the grid, not once
        # another account is chosen
        secret = no_update if "admin-users-grid.rowData" in ctx.triggered_prop_ids else ""
        if row is None:
            return "Chưa chọn tài khoản nào.", True, None, None, None, True, True, secret
        title = html.Div(className="selected", children=[
            html.Strong(row["username"]), html.Span(f" · {row['role_label']}"),
            html.Span(f" · {row['agency_name']}" if row.get("agency_name") else ""),
            html.Span(row["status"], className="badge " + (
                "bad" if not row["active"] else "good" if row["can_sign_in"] else "")),
        ])
        return (title, False, row["full_name"], row["role"], row["agency_code"],
                not row["active"], bool(row["active"]), secret)


def register_forms(app: Dash) -> None:
    """Create, save, reset a password, unlock (locking asks first: `confirm`)."""

    dup = {"allow_duplicate": True}

    @app.callback(*[Output(f"admin-user-new-{f}-error", "children") for f in USER_FORM],
                  Output("admin-user-new-error", "children"),
                  Output("admin-user-new-username", "value"),
                  Output("admin-user-new-full_name", "value"),
                  Output("admin-user-new-password", "value"),
                  Output("admin-version", "data", **dup), Output("admin-flash", "children", **dup),
                  Input("admin-user-new-submit", "n_clicks"),
                  State("admin-user-new-username", "value"),
                  State("admin-user-new-full_name", "value"),
                  State("admin-user-new-role", "value"), State("admin-user-new-agency", "value"),
                  State("admin-user-new-password", "value"), prevent_initial_call=True)
    def create_user(_n, username, full_name, role, agency, password):
        staff = require_admin()
        return form_write(USER_FORM, lambda: admin_users.create_user(
            staff.actor(), username=username or "", full_name=full_name or "", role=role or "",
            agency_code=agency, password=password or ""),
            lambda user: f"Đã tạo tài khoản {user.username} ({user.role_label}).", cleared=3)

    @app.callback(*[Output(f"admin-user-edit-{f}-error", "children") for f in USER_EDIT],
                  Output("admin-user-edit-error", "children", **dup),
                  Output("admin-version", "data", **dup), Output("admin-flash", "children", **dup),
                  Input("admin-user-edit-save", "n_clicks"),
                  State("admin-users-grid", "selectedRows"),
                  State("admin-user-edit-full_name", "value"),
                  State("admin-user-edit-role", "value"), State("admin-user-edit-agency", "value"),
                  prevent_initial_call=True)
    def update_user(_n, rows, full_name, role, agency):
        staff = require_admin()
        username = first_selected(rows, "username")
        return form_write(USER_EDIT, lambda: admin_users.update_user(
            staff.actor(), username, full_name=full_name or "", role=role or "",
            agency_code=agency), lambda user: f"Đã lưu tài khoản {user.username}.")

    @app.callback(Output("admin-user-pw-error", "children"),
                  Output("admin-user-pw-result", "children", **dup),
                  Output("admin-user-pw", "value"),
                  Output("admin-version", "data", **dup), Output("admin-flash", "children", **dup),
                  Input("admin-user-pw-submit", "n_clicks"),
                  State("admin-users-grid", "selectedRows"), State("admin-user-pw", "value"),
                  prevent_initial_call=True)
    def reset_password(_n, rows, password):
        staff = require_admin()
        if not rows:
            raise PreventUpdate
        username = rows[0]["username"]
        generated = not password
        password = password or admin_users.generate_password()
        try:
            admin_users.reset_password(staff.actor(), username, password)
        except WorkflowError as error:
            return error.message, "", no_update, no_update, no_update
        shown = (["Mật khẩu tạm cho ", html.Strong(username), ": ", html.Code(password),
                  " (chỉ hiện một lần; hãy trao trực tiếp)"] if generated else "")
        return "", shown, "", version(), flash(f"Đã đặt lại mật khẩu cho {username}.")

    @app.callback(Output("admin-user-edit-error", "children", **dup),
                  Output("admin-version", "data", **dup), Output("admin-flash", "children", **dup),
                  Input("admin-user-enable", "n_clicks"),
                  State("admin-users-grid", "selectedRows"), prevent_initial_call=True)
    def enable_user(_n, rows):
        staff = require_admin()
        username = first_selected(rows, "username")
        return form_write((), lambda: admin_users.enable_user(staff.actor(), username),
                          lambda user: f"Đã mở khóa tài khoản {user.username}.")

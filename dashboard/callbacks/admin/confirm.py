"""The one confirmation dialog of the page: a destructive change (lock an account, stop a
field, delete a rule, remove an override day, reset a budget or the seasons) is asked for
through `admin-confirm` and done only once confirmed."""

from __future__ import annotations

from datetime import date
from typing import Any

from dash import Dash, Input, Output, State, ctx, no_update
from dash.exceptions import PreventUpdate

from backend import vietnamese as vn
from backend.domain.workflow import WorkflowError
from backend.services.access.auth import StaffUser
from backend.services.admin import calendar as admin_calendar
from backend.services.admin import fields as admin_fields
from backend.services.admin import users as admin_users
from dashboard.callbacks.admin.common import require_admin, version
from dashboard.layouts.admin.common import flash

CONFIRM_BUTTONS = ("admin-user-disable", "admin-field-deactivate", "admin-rule-delete",
                   "admin-override-remove", "admin-seasons-reset", "admin-budget-reset")
CONFIRM_SLOTS = ("user.disable", "field.deactivate", "routing.delete", "override.remove",
                 "seasons.reset", "budget.reset")


def confirmation(trigger: str | None, users, fields, rules, overrides,
                 budgets) -> tuple[str, dict[str, Any]] | None:
    """The question to ask before a destructive change, and what to do once confirmed."""
    if trigger == "admin-user-disable" and users:
        name = users[0]["username"]
        return (f"Khóa tài khoản {name}? Mọi phiên đăng nhập của người này kết thúc ngay và "
                "vai trò đầu mối (nếu có) bị gỡ.", {"kind": "user.disable", "target": name})
    if trigger == "admin-field-deactivate" and fields:
        f = fields[0]
        return (f"Ngừng nhận phản ánh lĩnh vực {f['name']}? {f['open_reports']} phản ánh đang mở "
                "vẫn được xử lý tiếp; lĩnh vực không còn được chọn khi phân loại.",
                {"kind": "field.deactivate", "target": f["code"]})
    if trigger == "admin-rule-delete" and rules:
        r = rules[0]
        return (f"Xóa quy tắc {r['field_name']}, {r['place']} → {r['agency_name']} "
                f"(ưu tiên {r['priority']})?", {"kind": "routing.delete", "target": r["id"]})
    if trigger == "admin-override-remove" and overrides:
        o = overrides[0]
        return (f"Xóa điều chỉnh {o['weekday']} {o['day_text']} ({o['kind'].lower()})? Ngày này "
                "trở lại theo lịch nghỉ lễ và ngày trong tuần.",
                {"kind": "override.remove", "target": o["day"]})
    if trigger == "admin-seasons-reset":
        return ("Khôi phục giờ làm việc theo cấu hình mặc định?",
                {"kind": "seasons.reset", "target": None})
    if trigger == "admin-budget-reset" and budgets:
        b = budgets[0]
        return (f"Khôi phục thời hạn bước {b['name_vi']} theo Quy chế ({b['legal']} làm việc)?",
                {"kind": "budget.reset", "target": b["stage"]})
    return None


def perform(staff: StaffUser, pending: dict[str, Any]) -> str:
    """Do a confirmed destructive change; returns the message for the page."""
    actor, kind, target = staff.actor(), pending["kind"], pending.get("target")
    if kind == "user.disable":
        admin_users.disable_user(actor, target)
        return f"Đã khóa tài khoản {target}."
    if kind == "field.deactivate":
        item = admin_fields.set_field_active(actor, target, False)
        return f"Lĩnh vực {item.name} đã ngừng nhận phản ánh."
    if kind == "routing.delete":
        admin_fields.remove_routing_rule(actor, target)
        return "Đã xóa quy tắc phân phối."
    if kind == "override.remove":
        day = date.fromisoformat(target)
        admin_calendar.remove_override(actor, day)
        return f"Đã xóa điều chỉnh ngày {vn.date(day)}."
    if kind == "seasons.reset":
        admin_calendar.reset_seasons(actor)
        return "Đã khôi phục giờ làm việc mặc định."
    if kind == "budget.reset":
        row = admin_calendar.reset_stage_budget(actor, target)
        return f"Đã khôi phục thời hạn bước {row.name_vi} theo Quy chế."
    raise PreventUpdate


def register(app: Dash) -> None:
    dup = {"allow_duplicate": True}

    @app.callback(Output("admin-confirm", "displayed"), Output("admin-confirm", "message"),
                  Output("admin-pending", "data"),
                  *[Input(button, "n_clicks") for button in CONFIRM_BUTTONS],
                  State("admin-users-grid", "selectedRows"),
                  State("admin-fields-grid", "selectedRows"),
                  State("admin-rules-grid", "selectedRows"),
                  State("admin-overrides-grid", "selectedRows"),
                  State("admin-budgets-grid", "selectedRows"), prevent_initial_call=True)
    def ask(*args):
        require_admin()
        users, fields, rules, overrides, budgets = args[6:]
        question = confirmation(ctx.triggered_id, users, fields, rules, overrides, budgets)
        if question is None:
            raise PreventUpdate
        message, pending = question
        return True, message, pending

    @app.callback(Output("admin-user-edit-error", "children", **dup),
                  Output("admin-field-edit-error", "children", **dup),
                  Output("admin-rule-delete-error", "children"),
                  Output("admin-override-remove-error", "children"),
                  Output("admin-seasons-error", "children", **dup),
                  Output("admin-budget-error", "children", **dup),
                  Output("admin-version", "data", **dup), Output("admin-flash", "children", **dup),
                  Input("admin-confirm", "submit_n_clicks"), State("admin-pending", "data"),
                  prevent_initial_call=True)
    def confirmed(_n, pending):
        staff = require_admin()
        if not pending:
            raise PreventUpdate
        slot = CONFIRM_SLOTS.index(pending["kind"])
        errors: list[Any] = [no_update] * len(CONFIRM_SLOTS)
        try:
            done = perform(staff, pending)
        except WorkflowError as error:
            errors[slot] = error.message
            return (*errors, no_update, no_update)
        errors[slot] = ""
        return (*errors, version(), flash(done))

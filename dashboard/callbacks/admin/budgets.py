"""The "Thời hạn" tab (drawn by `dashboard/layouts/admin/budgets.py`): each stage's time budget,
in working minutes and, for emergencies, in clock minutes (Phụ lục I), with an example deadline
while it is typed."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any

from dash import Dash, Input, Output, State, html

from backend import vietnamese as vn
from backend.services.admin import calendar as admin_calendar
from dashboard.callbacks.admin.common import (
    clock_text,
    first_selected,
    form_write,
    load_tab,
    minutes_text,
    require_admin,
    selected_row,
)

BUDGET_FORM = ("minutes", "emergency_minutes")


def budget_rows() -> list[dict[str, Any]]:
    rows = []
    for b in admin_calendar.list_stage_budgets():
        row = asdict(b)
        row.pop("updated_at")
        row["normal"] = minutes_text(b.minutes)
        row["clause"] = vn.clause(b.clause)
        row["legal"] = minutes_text(b.legal_minutes)
        row["emergency"] = clock_text(b.emergency_minutes)
        row["source"] = (f"Điều chỉnh bởi {b.updated_by}, {vn.time_date(b.updated_at)}"
                         if b.changed else "Theo cấu hình mặc định (mức của Quy chế)")
        rows.append(row)
    return rows


def budget_example_text(minutes: Any, emergency: Any, now: datetime | None = None) -> str:
    """'Nếu nhận lúc 09:12 25/11/2026: hết hạn 13:42 25/11/2026 (khẩn cấp: 10:12 25/11/2026)'."""
    now = (now or datetime.now(UTC)).replace(second=0, microsecond=0)
    try:
        normal = int(minutes)
        urgent = int(emergency)
    except (TypeError, ValueError):
        return ""
    if normal <= 0 or urgent <= 0 or normal > 10_000 or urgent > 10_000:
        return ""
    due = admin_calendar.preview_deadline(normal, now)
    return (f"Ví dụ: bước bắt đầu lúc {vn.time_date(now)} sẽ hết hạn lúc {vn.time_date(due)}; "
            f"nếu khẩn cấp: {vn.time_date(now + timedelta(minutes=urgent))}.")


def register(app: Dash) -> None:
    dup = {"allow_duplicate": True}

    @app.callback(Output("admin-budgets-grid", "rowData"),
                  Input("admin-tabs", "value"), Input("admin-version", "data"))
    def load_budgets(tab, _version):
        load_tab(tab, "budgets")
        return budget_rows()

    @app.callback(Output("admin-budget-selected", "children"),
                  Output("admin-budget-edit", "hidden"),
                  Output("admin-budget-minutes", "value"),
                  Output("admin-budget-emergency_minutes", "value"),
                  Input("admin-budgets-grid", "selectedRows"),
                  Input("admin-budgets-grid", "rowData"))
    def budget_selected(rows, fresh):
        require_admin()
        row = selected_row(rows, fresh, "stage")
        if row is None:
            return "Chọn một bước để điều chỉnh.", True, None, None
        title = html.Div(className="selected", children=[
            html.Strong(f"{row['name_vi']} ({row['clause']})"),
            html.Div(f"Quy chế: tối đa {row['legal']} làm việc; khẩn cấp mặc định "
                     f"{clock_text(row['file_emergency_minutes'])} đồng hồ.", className="hint"),
        ])
        return title, False, row["minutes"], row["emergency_minutes"]

    @app.callback(Output("admin-budget-example", "children"),
                  Input("admin-budget-minutes", "value"),
                  Input("admin-budget-emergency_minutes", "value"),
                  prevent_initial_call=True)
    def budget_example(minutes, emergency):
        require_admin()
        return budget_example_text(minutes, emergency)

    @app.callback(*[Output(f"admin-budget-{f}-error", "children") for f in BUDGET_FORM],
                  Output("admin-budget-error", "children", **dup),
                  Output("admin-version", "data", **dup), Output("admin-flash", "children", **dup),
                  Input("admin-budget-save", "n_clicks"),
                  State("admin-budgets-grid", "selectedRows"),
                  State("admin-budget-minutes", "value"),
                  State("admin-budget-emergency_minutes", "value"), prevent_initial_call=True)
    def save_budget(_n, rows, minutes, emergency):
        staff = require_admin()
        stage = first_selected(rows, "stage")
        return form_write(BUDGET_FORM, lambda: admin_calendar.set_stage_budget(
            staff.actor(), stage, minutes="" if minutes is None else minutes,
            emergency_minutes="" if emergency is None else emergency),
            lambda row: f"Đã lưu thời hạn bước {row.name_vi}: {minutes_text(row.minutes)} làm "
                        f"việc, khẩn cấp {clock_text(row.emergency_minutes)}.")

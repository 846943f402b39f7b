"""The "Cơ quan xử lý" tab (drawn by `dashboard/layouts/admin/agencies.py`): the agencies, their
deadline and contacts, and the leader and the handler each one names as its focal points
(D14.1)."""

from __future__ import annotations

from typing import Any

from dash import Dash, Input, Output, State, html

from backend.services.admin import agencies as admin_agencies
from backend.services.places.catalogue import UNIT_LABEL, place_index
from dashboard.callbacks.admin.common import (
    first_selected,
    form_write,
    load_tab,
    minutes_text,
    register_search,
    require_admin,
    selected_row,
)
from dashboard.layouts.admin.agencies import KEY
from dashboard.lookups import option

AGENCY_KINDS = {"so": "Sở/ngành", "ubnd_xa": "UBND xã/phường",
                "ubnd_huyen": "UBND huyện (đã giải thể 1/7/2025)",
                "truc_thuoc": "Đơn vị trực thuộc", "doanh_nghiep": "Doanh nghiệp",
                "cong_an": "Công an"}
PARENT_LABEL = "Cơ quan cấp trên"
AGENCY_FORM = ("process_minutes", "email", "phone")
FOCAL_FORM = ("leader", "leader_title", "handler", "handler_title")


def _person(point: admin_agencies.FocalPerson | None, name: str | None) -> str:
    if point is not None:
        return f"{point.full_name or point.username} ({point.username})"
    return name or "Chưa có"


def agency_rows() -> list[dict[str, Any]]:
    """The agencies' grid: kind in words, the unit of a commune's People's Committee, the
    agency a subordinate unit belongs to (D14.3), focal points."""
    agencies = admin_agencies.list_agencies()
    short = {a.code: a.short_name for a in agencies}
    units = place_index().unit_names()
    rows = []
    for a in agencies:
        missing = [label for label, point in (("lãnh đạo", a.leader), ("người xử lý", a.handler))
                   if point is None]
        status = ("Đủ" if not missing else "Thiếu cả hai" if len(missing) == 2
                  else f"Thiếu {missing[0]}")
        rows.append({
            "code": a.code, "name": a.name, "short_name": a.short_name,
            "kind": a.kind, "kind_label": AGENCY_KINDS.get(a.kind, a.kind),
            "unit_name": units.get(a.unit_code or "", a.unit_code or ""),
            "parent_name": short.get(a.parent_code or "", a.parent_code or ""),
            "active": a.active,
            "process": minutes_text(a.process_minutes), "process_minutes": a.process_minutes,
            "leader_text": _person(a.leader, a.leader_name),
            "handler_text": _person(a.handler, a.handler_name),
            "leader": a.leader.username if a.leader else None,
            "handler": a.handler.username if a.handler else None,
            "leader_title": a.leader_title, "handler_title": a.handler_title,
            "email": a.email, "phone": a.phone, "users": a.users,
            "focal_status": status,
            "focal_hint": ("Đã gắn tài khoản cho cả lãnh đạo và người xử lý đầu mối."
                           if not missing else "Chưa gắn tài khoản cho " + " và ".join(missing)
                           + " đầu mối (tên trong danh mục chưa phải tài khoản)."),
        })
    return rows


def place_text(row: dict[str, Any]) -> str:
    """"Xã/phường: Phường Phan Đình Phùng", "Cơ quan cấp trên: Sở Xây dựng" (or nothing)."""
    parts = [f"{UNIT_LABEL}: {row['unit_name']}" if row.get("unit_name") else "",
             f"{PARENT_LABEL}: {row['parent_name']}" if row.get("parent_name") else ""]
    return " · ".join(p for p in parts if p)


def register(app: Dash) -> None:
    register_search(app, KEY)
    register_list(app)
    register_forms(app)


def register_list(app: Dash) -> None:
    """The agencies' grid and the chosen agency's forms."""

    @app.callback(Output("admin-agencies-grid", "rowData"),
                  Input("admin-tabs", "value"), Input("admin-version", "data"))
    def load_agencies(tab, _version):
        load_tab(tab, "agencies")
        return agency_rows()

    @app.callback(Output("admin-agency-selected", "children"),
                  Output("admin-agency-edit", "hidden"),
                  Output("admin-agency-leader", "options"), Output("admin-agency-leader", "value"),
                  Output("admin-agency-leader_title", "value"),
                  Output("admin-agency-handler", "options"),
                  Output("admin-agency-handler", "value"),
                  Output("admin-agency-handler_title", "value"),
                  Output("admin-agency-process_minutes", "value"),
                  Output("admin-agency-email", "value"), Output("admin-agency-phone", "value"),
                  Input("admin-agencies-grid", "selectedRows"),
                  Input("admin-agencies-grid", "rowData"))
    def agency_selected(rows, fresh):
        require_admin()
        row = selected_row(rows, fresh, "code")
        if row is None:
            return ("Chưa chọn cơ quan nào.", True, [], None, None, [], None, None, None, None,
                    None)
        candidates = admin_agencies.focal_candidates(row["code"])
        options = {kind: [option(f"{u.full_name or u.username} ({u.username})", u.username)
                          for u in users]
                   for kind, users in candidates.items()}
        title = html.Div(className="selected", children=[
            html.Strong(row["name"]),
            html.Span(f" · {place_text(row)}", className="muted") if place_text(row) else None,
            html.Span(row["focal_status"], className="badge " + (
                "good" if row["focal_status"] == "Đủ" else "warn")),
            html.Div(f"{row['focal_hint']} Cơ quan có {row['users']} tài khoản đang hoạt động; "
                     "danh sách chọn chỉ gồm tài khoản đúng vai trò của cơ quan này.",
                     className="hint"),
        ])
        return (title, False, options["leader"], row["leader"], row["leader_title"],
                options["handler"], row["handler"], row["handler_title"],
                row["process_minutes"], row["email"], row["phone"])


def register_forms(app: Dash) -> None:
    """Save the focal points; save the deadline and contacts."""

    dup = {"allow_duplicate": True}

    @app.callback(*[Output(f"admin-agency-{f}-error", "children") for f in FOCAL_FORM],
                  Output("admin-agency-focal-error", "children"),
                  Output("admin-version", "data", **dup), Output("admin-flash", "children", **dup),
                  Input("admin-agency-focal-save", "n_clicks"),
                  State("admin-agencies-grid", "selectedRows"),
                  State("admin-agency-leader", "value"),
                  State("admin-agency-leader_title", "value"),
                  State("admin-agency-handler", "value"),
                  State("admin-agency-handler_title", "value"), prevent_initial_call=True)
    def save_focal(_n, rows, leader, leader_title, handler, handler_title):
        staff = require_admin()
        code = first_selected(rows, "code")
        return form_write(FOCAL_FORM, lambda: admin_agencies.set_focal_points(
            staff.actor(), code, leader=leader, leader_title=leader_title, handler=handler,
            handler_title=handler_title), lambda agency: f"Đã lưu đầu mối của {agency.short_name}.")

    @app.callback(*[Output(f"admin-agency-{f}-error", "children") for f in AGENCY_FORM],
                  Output("admin-agency-error", "children"),
                  Output("admin-version", "data", **dup), Output("admin-flash", "children", **dup),
                  Input("admin-agency-save", "n_clicks"),
                  State("admin-agencies-grid", "selectedRows"),
                  State("admin-agency-process_minutes", "value"),
                  State("admin-agency-email", "value"), State("admin-agency-phone", "value"),
                  prevent_initial_call=True)
    def save_agency(_n, rows, minutes, email, phone):
        staff = require_admin()
        code = first_selected(rows, "code")
        return form_write(AGENCY_FORM, lambda: admin_agencies.update_agency(
            staff.actor(), code, process_minutes=minutes if minutes is not None else "",
            email=email, phone=phone), lambda agency: f"Đã lưu thông tin {agency.short_name}.")

"""The "Lĩnh vực và định tuyến" tab (drawn by `dashboard/layouts/admin/fields.py`): the
catalogue of fields (D13.4) and the routing rules that suggest an agency for a field in a place
(D7.1): a unit ("Xã/phường"), an area ("Khu vực") or the whole province."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from dash import Dash, Input, Output, State, html

from backend import vietnamese as vn
from backend.services.admin import fields as admin_fields
from dashboard.callbacks.admin.common import (
    agency_options,
    first_selected,
    form_write,
    load_tab,
    register_search,
    require_admin,
    selected_row,
)
from dashboard.layouts.admin.fields import KEY
from dashboard.lookups import option

FIELD_FORM = ("code", "name", "group_name", "default_agency", "keywords")
FIELD_EDIT = ("name", "group_name", "keywords", "description")
RULE_FORM = ("field", "place", "agency", "priority", "note")
WHOLE_PROVINCE = "Toàn tỉnh"


def field_rows() -> list[dict[str, Any]]:
    rows = []
    for f in admin_fields.list_fields():
        row = asdict(f)
        row["status"] = "Đang nhận" if f.active else "Ngừng nhận"
        row["keywords"] = "; ".join((f.keywords or "").split(";")) if f.keywords else ""
        rows.append(row)
    return rows


def rule_rows(field_code: str | None = None) -> list[dict[str, Any]]:
    rows = []
    for r in admin_fields.list_routing_rules():
        if field_code and r.field_code != field_code:
            continue
        row = asdict(r)
        row["id"] = str(r.id)  # the grid wants a string row id (ag-grid warning #25)
        row["place"] = r.place_name or WHOLE_PROVINCE
        rows.append(row)
    return rows


def register(app: Dash) -> None:
    register_search(app, KEY)
    register_fields(app)
    register_rules(app)


def register_fields(app: Dash) -> None:
    """The fields' grid, the chosen field, add, save, reopen (stopping asks first)."""

    dup = {"allow_duplicate": True}

    @app.callback(Output("admin-fields-grid", "rowData"),
                  Output("admin-field-new-default_agency", "options"),
                  Output("admin-rules-filter", "options"),
                  Output("admin-rule-new-field", "options"),
                  Output("admin-rule-new-place", "options"),
                  Output("admin-rule-new-agency", "options"),
                  Input("admin-tabs", "value"), Input("admin-version", "data"))
    def load_fields(tab, _version):
        load_tab(tab, "fields")
        fields = field_rows()
        field_options = [option(f["name"] + ("" if f["active"] else " (ngừng)"), f["code"])
                         for f in sorted(fields, key=lambda f: f["name"])]
        agencies = agency_options()
        places = [option(name, code) for code, name in admin_fields.place_choices()]
        return fields, agencies, field_options, field_options, places, agencies

    @app.callback(Output("admin-field-selected", "children"), Output("admin-field-edit", "hidden"),
                  *[Output(f"admin-field-edit-{f}", "value") for f in FIELD_EDIT],
                  Output("admin-field-deactivate", "hidden"),
                  Output("admin-field-activate", "hidden"),
                  Input("admin-fields-grid", "selectedRows"), Input("admin-fields-grid", "rowData"))
    def field_selected(rows, fresh):
        require_admin()
        row = selected_row(rows, fresh, "code")
        if row is None:
            return ("Chọn một lĩnh vực để đổi tên, sửa hoặc ngừng nhận.", True,
                    None, None, None, None, True, True)
        title = html.Div(className="selected", children=[
            html.Strong(row["name"]), html.Span(f" · mã {row['code']}"),
            html.Span(row["status"], className="badge " + ("good" if row["active"] else "bad")),
            html.Div(f"{vn.integer(row['open_reports'])} phản ánh đang mở; {row['rules']} quy tắc "
                     "phân phối.", className="hint"),
        ])
        return (title, False, row["name"], row["group_name"], row["keywords"],
                row["description"], not row["active"], bool(row["active"]))

    @app.callback(*[Output(f"admin-field-new-{f}-error", "children") for f in FIELD_FORM],
                  Output("admin-field-new-error", "children"),
                  *[Output(f"admin-field-new-{f}", "value") for f in
                    ("code", "name", "group_name", "keywords")],
                  Output("admin-version", "data", **dup), Output("admin-flash", "children", **dup),
                  Input("admin-field-new-submit", "n_clicks"),
                  *[State(f"admin-field-new-{f}", "value") for f in FIELD_FORM],
                  prevent_initial_call=True)
    def create_field(_n, code, name, group_name, default_agency, keywords):
        staff = require_admin()
        return form_write(FIELD_FORM, lambda: admin_fields.create_field(
            staff.actor(), code=code or "", name=name or "", group_name=group_name or "",
            default_agency=default_agency or "", keywords=keywords),
            lambda item: f"Đã thêm lĩnh vực {item.name}; quy tắc chung chuyển cho "
                         f"{item.default_agency_name}.", cleared=4)

    @app.callback(*[Output(f"admin-field-edit-{f}-error", "children") for f in FIELD_EDIT],
                  Output("admin-field-edit-error", "children", **dup),
                  Output("admin-version", "data", **dup), Output("admin-flash", "children", **dup),
                  Input("admin-field-edit-save", "n_clicks"),
                  State("admin-fields-grid", "selectedRows"),
                  *[State(f"admin-field-edit-{f}", "value") for f in FIELD_EDIT],
                  prevent_initial_call=True)
    def update_field(_n, rows, name, group_name, keywords, description):
        staff = require_admin()
        code = first_selected(rows, "code")
        return form_write(FIELD_EDIT, lambda: admin_fields.update_field(
            staff.actor(), code, name=name or "", group_name=group_name or "",
            description=description, keywords=keywords),
            lambda item: f"Đã lưu lĩnh vực {item.name}.")

    @app.callback(Output("admin-field-edit-error", "children", **dup),
                  Output("admin-version", "data", **dup), Output("admin-flash", "children", **dup),
                  Input("admin-field-activate", "n_clicks"),
                  State("admin-fields-grid", "selectedRows"), prevent_initial_call=True)
    def activate_field(_n, rows):
        staff = require_admin()
        code = first_selected(rows, "code")
        return form_write((), lambda: admin_fields.set_field_active(staff.actor(), code, True),
                          lambda item: f"Lĩnh vực {item.name} nhận phản ánh trở lại.")


def register_rules(app: Dash) -> None:
    """The routing rules' grid and the new rule's form (deleting asks first)."""

    dup = {"allow_duplicate": True}

    @app.callback(Output("admin-rules-grid", "rowData"),
                  Input("admin-tabs", "value"), Input("admin-version", "data"),
                  Input("admin-rules-filter", "value"))
    def load_rules(tab, _version, field_code):
        load_tab(tab, "fields")
        return rule_rows(field_code)

    @app.callback(Output("admin-rule-delete", "disabled"),
                  Input("admin-rules-grid", "selectedRows"))
    def rule_selected(rows):
        require_admin()
        return not rows

    @app.callback(*[Output(f"admin-rule-new-{f}-error", "children") for f in RULE_FORM],
                  Output("admin-rule-new-error", "children"),
                  Output("admin-rule-new-note", "value"),
                  Output("admin-version", "data", **dup), Output("admin-flash", "children", **dup),
                  Input("admin-rule-new-submit", "n_clicks"),
                  *[State(f"admin-rule-new-{f}", "value") for f in RULE_FORM],
                  prevent_initial_call=True)
    def add_rule(_n, field_code, place, agency, priority, note):
        staff = require_admin()
        return form_write(RULE_FORM, lambda: admin_fields.add_routing_rule(
            staff.actor(), field_code=field_code or "", place_code=place,
            agency_code=agency or "", priority="" if priority is None else priority, note=note),
            lambda rule: f"Đã thêm quy tắc {rule.field_name}, "
                         f"{rule.place_name or WHOLE_PROVINCE.lower()} → {rule.agency_name}.",
            cleared=1)

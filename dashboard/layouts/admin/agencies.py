"""The "Cơ quan xử lý" tab: the agencies, their deadline and contacts, and the leader and the
handler each one names as its focal points (D14.1). What it shows; what it does is in
`dashboard/callbacks/admin/agencies.py`."""

from __future__ import annotations

from dash import html

from backend.domain.roles import FOCAL_KINDS
from backend.services.places.catalogue import UNIT_LABEL
from dashboard.layouts.admin.common import (
    dropdown,
    field,
    form_error,
    grid,
    panel,
    search,
    text_input,
)

KEY, LABEL = "agencies", "Cơ quan xử lý"


def layout() -> list:
    columns = [
        {"field": "short_name", "headerName": "Cơ quan", "minWidth": 160, "flex": 1.5,
         "tooltipField": "name"},
        {"field": "kind_label", "headerName": "Loại", "minWidth": 140, "maxWidth": 200,
         "tooltipField": "kind_label",
         "cellClassRules": {"cell-muted": "params.data.active === false"}},
        {"field": "unit_name", "headerName": UNIT_LABEL, "minWidth": 130, "maxWidth": 190,
         "tooltipField": "unit_name"},
        {"field": "parent_name", "headerName": "Cơ quan cấp trên", "minWidth": 120,
         "maxWidth": 170, "tooltipField": "parent_name",
         "headerTooltip": "Cơ quan mà đơn vị trực thuộc (Đ14.3)"},
        {"field": "process", "headerName": "Thời hạn xử lý", "minWidth": 100, "maxWidth": 115,
         "headerTooltip": "Tính theo thời gian làm việc; 1 ngày = 480 phút"},
        {"field": "leader_text", "headerName": FOCAL_KINDS["leader"][1], "minWidth": 150,
         "flex": 1.4, "tooltipField": "leader_text"},
        {"field": "handler_text", "headerName": FOCAL_KINDS["handler"][1], "minWidth": 150,
         "flex": 1.4, "tooltipField": "handler_text"},
        {"field": "users", "headerName": "Tài khoản", "minWidth": 90, "maxWidth": 100,
         "type": "rightAligned"},
        {"field": "focal_status", "headerName": "Đầu mối", "minWidth": 125, "maxWidth": 145,
         "tooltipField": "focal_hint",
         "cellClassRules": {"cell-warn": "params.value !== 'Đủ'",
                            "cell-good": "params.value === 'Đủ'"}},
    ]
    return [html.Div(className="admin-split", children=[
        html.Section(className="card admin-panel", children=[
            html.Div(className="panel-bar", children=[
                html.H2("Cơ quan xử lý", className="panel-title"),
                search("admin-agencies-search", "Tìm cơ quan…"),
            ]),
            grid("admin-agencies-grid", columns, "code", height=560),
            html.P("Mỗi cơ quan cử 01 lãnh đạo và 01 công chức làm đầu mối tiếp nhận, xử lý "
                   "phản ánh (Điều 14 khoản 1). Chọn một cơ quan để cập nhật.", className="hint"),
        ]),
        html.Div(className="stack", children=[
            panel("Đầu mối của cơ quan",
                  html.Div(id="admin-agency-selected", className="muted",
                           children="Chưa chọn cơ quan nào."),
                  html.Div(id="admin-agency-edit", className="admin-edit", hidden=True, children=[
                      html.Div(className="form-grid", children=[
                          field("Lãnh đạo đầu mối", dropdown("admin-agency-leader",
                                                             placeholder="Chọn lãnh đạo…"),
                                "admin-agency-leader-error",
                                hint="Tài khoản Lãnh đạo đơn vị của chính cơ quan."),
                          field("Chức vụ", text_input("admin-agency-leader_title",
                                                      "vd: Phó Giám đốc"),
                                "admin-agency-leader_title-error"),
                          field("Người xử lý đầu mối", dropdown("admin-agency-handler",
                                                                placeholder="Chọn người xử lý…"),
                                "admin-agency-handler-error",
                                hint="Tài khoản Người xử lý của cơ quan, của chính cơ quan đó."),
                          field("Chức vụ", text_input("admin-agency-handler_title",
                                                      "vd: Chuyên viên"),
                                "admin-agency-handler_title-error"),
                      ]),
                      form_error("admin-agency-focal-error"),
                      html.Button("Lưu đầu mối", id="admin-agency-focal-save",
                                  className="btn btn-primary", n_clicks=0),
                      html.Hr(),
                      html.H3("Thời hạn và liên hệ"),
                      html.Div(className="form-grid", children=[
                          field("Thời hạn xử lý (phút làm việc)",
                                text_input("admin-agency-process_minutes", type="number"),
                                "admin-agency-process_minutes-error",
                                hint="Tối đa 1.440 phút = 3 ngày làm việc (Đ8 bước 3)."),
                          field("Điện thoại", text_input("admin-agency-phone"),
                                "admin-agency-phone-error"),
                          field("Thư điện tử nhận thông báo", text_input("admin-agency-email"),
                                "admin-agency-email-error", wide=True),
                      ]),
                      form_error("admin-agency-error"),
                      html.Button("Lưu thông tin", id="admin-agency-save",
                                  className="btn btn-primary", n_clicks=0),
                  ])),
        ]),
    ])]

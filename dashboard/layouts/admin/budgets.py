"""The "Thời hạn" tab: each stage's time budget, in working minutes and, for emergencies, in
clock minutes (Phụ lục I), with an example deadline while it is typed. What it shows; what it
does is in `dashboard/callbacks/admin/budgets.py`."""

from __future__ import annotations

from dash import html

from dashboard.layouts.admin.common import field, form_error, grid, panel, text_input

KEY, LABEL = "budgets", "Thời hạn"


def layout() -> list:
    columns = [
        {"field": "name_vi", "headerName": "Bước", "minWidth": 190},
        {"field": "clause", "headerName": "Điều khoản", "maxWidth": 120},
        {"field": "normal", "headerName": "Thời hạn (thời gian làm việc)", "minWidth": 130},
        {"field": "legal", "headerName": "Tối đa theo Quy chế", "minWidth": 120},
        {"field": "emergency", "headerName": "Khẩn cấp (giờ đồng hồ)", "minWidth": 120},
        {"field": "source", "headerName": "Nguồn", "minWidth": 230, "flex": 1.6,
         "tooltipField": "source",
         "cellClassRules": {"cell-warn": "params.data.changed === true"}},
    ]
    return [html.Div(className="admin-split", children=[
        html.Section(className="card admin-panel", children=[
            html.H2("Thời hạn từng bước", className="panel-title"),
            grid("admin-budgets-grid", columns, "stage", height=None, domLayout="autoHeight"),
            html.P("Thời hạn tính bằng phút làm việc theo lịch làm việc (1 ngày = 480 phút); "
                   "phản ánh khẩn cấp tính theo giờ đồng hồ. Thay đổi áp dụng cho các thời hạn "
                   "được tính từ lúc lưu; thời hạn đã ghi trên phản ánh giữ nguyên.",
                   className="hint"),
        ]),
        html.Div(className="stack", children=[
            panel("Điều chỉnh thời hạn",
                  html.Div(id="admin-budget-selected", className="muted",
                           children="Chọn một bước để điều chỉnh."),
                  html.Div(id="admin-budget-edit", className="admin-edit", hidden=True, children=[
                      html.Div(className="form-grid", children=[
                          field("Phút làm việc", text_input("admin-budget-minutes",
                                                            type="number"),
                                "admin-budget-minutes-error"),
                          field("Phút khẩn cấp", text_input("admin-budget-emergency_minutes",
                                                            type="number"),
                                "admin-budget-emergency_minutes-error"),
                      ]),
                      html.Div(id="admin-budget-example", className="example"),
                      form_error("admin-budget-error"),
                      html.Div(className="row", children=[
                          html.Button("Lưu thời hạn", id="admin-budget-save",
                                      className="btn btn-primary", n_clicks=0),
                          html.Span(className="spacer"),
                          html.Button("Khôi phục theo Quy chế", id="admin-budget-reset",
                                      className="btn", n_clicks=0),
                      ]),
                  ])),
        ]),
    ])]

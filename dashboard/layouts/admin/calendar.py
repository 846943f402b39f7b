"""The "Lịch làm việc" tab: working hours per season, the holiday library, and the days the
province turns into working days or days off (they move every working-time deadline). What it
shows; what it does is in `dashboard/callbacks/admin/calendar.py`."""

from __future__ import annotations

from dash import dcc, html

from dashboard.layouts.admin.common import dropdown, field, form_error, grid, panel, text_input

KEY, LABEL = "calendar", "Lịch làm việc"
SEASONS = (("summer", "Mùa hè"), ("winter", "Mùa đông"))


def season_form(name: str, label: str) -> html.Div:
    def shift(n: int, title: str) -> html.Div:
        return html.Div(className="shift", children=[
            html.Span(title, className="shift-label"),
            text_input(f"admin-season-{name}-s{n}-from", "07:30", className="input time"),
            html.Span("đến", className="muted"),
            text_input(f"admin-season-{name}-s{n}-to", "11:30", className="input time"),
        ])

    return html.Fieldset(className="season", children=[
        html.Legend(label),
        html.Div(className="shift", children=[
            html.Span("Từ ngày", className="shift-label"),
            text_input(f"admin-season-{name}-start", "15/4", className="input time"),
            html.Span("đến ngày", className="muted"),
            text_input(f"admin-season-{name}-end", "14/10", className="input time"),
        ]),
        shift(1, "Buổi sáng"),
        shift(2, "Buổi chiều"),
        html.Div(id=f"admin-season-{name}-total", className="hint"),
    ])


def layout() -> list:
    override_columns = [
        {"field": "day_text", "headerName": "Ngày", "minWidth": 112, "maxWidth": 118,
         "sortable": False},
        {"field": "weekday", "headerName": "Thứ", "minWidth": 85, "maxWidth": 95},
        {"field": "kind", "headerName": "Thành", "minWidth": 125, "maxWidth": 135,
         "cellClassRules": {"cell-good": "params.data.working === true",
                            "cell-bad": "params.data.working === false"}},
        {"field": "note", "headerName": "Lý do, văn bản căn cứ", "minWidth": 200, "flex": 2,
         "tooltipField": "note"},
    ]
    library_columns = [
        {"field": "day_text", "headerName": "Ngày", "minWidth": 105, "maxWidth": 120,
         "sortable": False},
        {"field": "weekday", "headerName": "Thứ", "minWidth": 90, "maxWidth": 110},
        {"field": "name", "headerName": "Theo thư viện ngày lễ", "minWidth": 220, "flex": 2},
    ]
    return [html.Div(className="admin-split", children=[
        html.Div(className="stack", children=[
            panel("Giờ làm việc theo mùa",
                  html.P(["Mùa do tỉnh quy định (QĐ 1096/QĐ-UB); mỗi ngày làm việc đủ 8 giờ. ",
                          html.Span(id="admin-seasons-source", className="badge")],
                         className="hint"),
                  html.Div(className="seasons",
                           children=[season_form(name, label) for name, label in SEASONS]),
                  form_error("admin-seasons-error"),
                  html.Div(className="row", children=[
                      html.Button("Lưu giờ làm việc", id="admin-seasons-save",
                                  className="btn btn-primary", n_clicks=0),
                      html.Span(className="spacer"),
                      html.Button("Khôi phục mặc định", id="admin-seasons-reset", className="btn",
                                  n_clicks=0),
                  ])),
            panel("Ngày nghỉ lễ và làm bù theo thư viện",
                  html.Div(className="panel-bar", children=[
                      html.Span("Năm", className="muted"),
                      dropdown("admin-library-year", clearable=False,
                               className="dropdown admin-year"),
                  ]),
                  grid("admin-library-grid", library_columns, "day", height=300)),
        ]),
        html.Div(className="stack", children=[
            panel("Ngày điều chỉnh",
                  html.P("Thêm ngày nghỉ hoặc ngày làm việc bù mà thư viện ngày lễ chưa có "
                         "(ví dụ theo công văn của Văn phòng Chính phủ).", className="hint"),
                  grid("admin-overrides-grid", override_columns, "day", height=260),
                  html.Div(className="row", children=[
                      html.Button("Xóa ngày đã chọn", id="admin-override-remove",
                                  className="btn btn-danger", n_clicks=0, disabled=True)]),
                  form_error("admin-override-remove-error"),
                  html.Hr(),
                  html.H3("Thêm ngày điều chỉnh"),
                  html.Div(className="form-grid", children=[
                      field("Ngày", text_input("admin-override-day", "dd/mm/yyyy"),
                            "admin-override-day-error", hint="Ví dụ: 10/01/2026"),
                      field("Điều chỉnh thành", dcc.RadioItems(
                          id="admin-override-kind", value="working", className="radio",
                          options=[{"label": "Ngày làm việc (làm bù)", "value": "working"},
                                   {"label": "Ngày nghỉ", "value": "off"}]),
                          "admin-override-kind-error"),
                      field("Lý do, văn bản căn cứ", text_input(
                          "admin-override-note", "vd: Công văn số 12729/VPCP-KGVX ngày 25/12/2025"),
                          "admin-override-note-error", wide=True),
                  ]),
                  form_error("admin-override-error"),
                  html.Button("Thêm ngày", id="admin-override-submit",
                              className="btn btn-primary", n_clicks=0)),
        ]),
    ])]

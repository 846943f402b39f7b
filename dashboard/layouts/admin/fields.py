"""The "Lĩnh vực và định tuyến" tab: the catalogue of fields (D13.4) and the routing rules
that suggest an agency for a field in a unit, an area or the whole province (D7.1). What it shows; what it does is in
`dashboard/callbacks/admin/fields.py`."""

from __future__ import annotations

from dash import dcc, html

from dashboard.layouts.admin.common import (
    dropdown,
    field,
    form_error,
    grid,
    panel,
    search,
    text_input,
)

KEY, LABEL = "fields", "Lĩnh vực và định tuyến"
FIELD_COLUMNS = [
    {"field": "name", "headerName": "Lĩnh vực", "minWidth": 170, "tooltipField": "description"},
    {"field": "code", "headerName": "Mã", "minWidth": 120},
    {"field": "group_name", "headerName": "Nhóm", "maxWidth": 140},
    {"field": "default_agency_name", "headerName": "Cơ quan mặc định", "minWidth": 150},
    {"field": "rules", "headerName": "Quy tắc", "maxWidth": 95, "type": "rightAligned"},
    {"field": "open_reports", "headerName": "Đang mở", "maxWidth": 100,
     "type": "rightAligned"},
    {"field": "status", "headerName": "Trạng thái", "maxWidth": 150,
     "cellClassRules": {"cell-bad": "params.data.active === false"}},
]
RULE_COLUMNS = [
    {"field": "field_name", "headerName": "Lĩnh vực", "minWidth": 150},
    {"field": "place", "headerName": "Địa bàn", "minWidth": 170, "tooltipField": "place",
     "headerTooltip": "Xã/phường, khu vực hoặc toàn tỉnh"},
    {"field": "agency_name", "headerName": "Cơ quan được gợi ý", "minWidth": 170},
    {"field": "priority", "headerName": "Ưu tiên", "maxWidth": 95, "type": "rightAligned"},
    {"field": "note", "headerName": "Ghi chú", "minWidth": 220, "tooltipField": "note"},
]


def layout() -> list:
    return [field_panels(), rule_panels()]


def field_panels() -> html.Div:
    return html.Div(className="admin-split", children=[
        html.Section(className="card admin-panel", children=[
            html.Div(className="panel-bar", children=[
                html.H2("Danh mục lĩnh vực (Đ13.4)", className="panel-title"),
                search("admin-fields-search", "Tìm lĩnh vực…"),
            ]),
            grid("admin-fields-grid", FIELD_COLUMNS, "code", height=400),
        ]),
        html.Div(className="stack", children=[
            panel("Lĩnh vực đã chọn",
                  html.Div(id="admin-field-selected", className="muted",
                           children="Chọn một lĩnh vực để đổi tên, sửa hoặc ngừng nhận."),
                  html.Div(id="admin-field-edit", className="admin-edit", hidden=True,
                           children=[
                               html.Div(className="form-grid", children=[
                                   field("Tên lĩnh vực", text_input("admin-field-edit-name"),
                                         "admin-field-edit-name-error"),
                                   field("Nhóm", text_input("admin-field-edit-group_name"),
                                         "admin-field-edit-group_name-error"),
                                   field("Từ khóa gợi ý (cách nhau bởi ;)",
                                         dcc.Textarea(id="admin-field-edit-keywords",
                                                      className="textarea small"),
                                         "admin-field-edit-keywords-error", wide=True),
                                   field("Mô tả", dcc.Textarea(
                                       id="admin-field-edit-description",
                                       className="textarea small"),
                                         "admin-field-edit-description-error", wide=True),
                               ]),
                               form_error("admin-field-edit-error"),
                               html.Div(className="row", children=[
                                   html.Button("Lưu thay đổi", id="admin-field-edit-save",
                                               className="btn btn-primary", n_clicks=0),
                                   html.Span(className="spacer"),
                                   html.Button("Ngừng nhận phản ánh",
                                               id="admin-field-deactivate",
                                               className="btn btn-danger", n_clicks=0),
                                   html.Button("Mở lại lĩnh vực", id="admin-field-activate",
                                               className="btn btn-good", n_clicks=0),
                               ]),
                           ])),
            panel("Thêm lĩnh vực", html.Div(className="form-grid", children=[
                field("Mã", text_input("admin-field-new-code", "vd: cay_xanh"),
                      "admin-field-new-code-error"),
                field("Tên lĩnh vực", text_input("admin-field-new-name", "vd: Cây xanh"),
                      "admin-field-new-name-error"),
                field("Nhóm", text_input("admin-field-new-group_name", "vd: Hạ tầng"),
                      "admin-field-new-group_name-error"),
                field("Cơ quan xử lý mặc định", dropdown("admin-field-new-default_agency"),
                      "admin-field-new-default_agency-error"),
                field("Từ khóa gợi ý (cách nhau bởi ;)",
                      text_input("admin-field-new-keywords", "vd: cây đổ; cành khô"),
                      "admin-field-new-keywords-error", wide=True),
            ]), form_error("admin-field-new-error"),
                html.Button("Thêm lĩnh vực", id="admin-field-new-submit",
                            className="btn btn-primary", n_clicks=0)),
        ]),
    ])


def rule_panels() -> html.Div:
    return html.Div(className="admin-split", children=[
        html.Section(className="card admin-panel", children=[
            html.Div(className="panel-bar", children=[
                html.H2("Quy tắc phân phối (Đ7.1)", className="panel-title"),
                dropdown("admin-rules-filter", placeholder="Mọi lĩnh vực",
                         className="dropdown admin-filter"),
            ]),
            grid("admin-rules-grid", RULE_COLUMNS, "id", height=400),
            html.P("IOC được gợi ý quy tắc của đúng xã/phường trước, rồi của khu vực chứa "
                   "xã/phường đó, rồi quy tắc toàn tỉnh; cùng mức thì số ưu tiên nhỏ trước.",
                   className="hint"),
        ]),
        html.Div(className="stack", children=[
            panel("Thêm quy tắc", html.Div(className="form-grid", children=[
                field("Lĩnh vực", dropdown("admin-rule-new-field"),
                      "admin-rule-new-field-error"),
                field("Địa bàn", dropdown("admin-rule-new-place", placeholder="Toàn tỉnh"),
                      "admin-rule-new-place-error",
                      hint="Một khu vực, một xã/phường, hoặc để trống: toàn tỉnh."),
                field("Cơ quan xử lý", dropdown("admin-rule-new-agency"),
                      "admin-rule-new-agency-error"),
                field("Ưu tiên", text_input("admin-rule-new-priority", type="number",
                                            value=10),
                      "admin-rule-new-priority-error"),
                field("Ghi chú", text_input("admin-rule-new-note"),
                      "admin-rule-new-note-error", wide=True),
            ]), form_error("admin-rule-new-error"),
                html.Div(className="row", children=[
                    html.Button("Thêm quy tắc", id="admin-rule-new-submit",
                                className="btn btn-primary", n_clicks=0),
                    html.Span(className="spacer"),
                    html.Button("Xóa quy tắc đã chọn", id="admin-rule-delete",
                                className="btn btn-danger", n_clicks=0, disabled=True),
                ]),
                form_error("admin-rule-delete-error")),
        ]),
    ])

"""Administration `/admin` (D13.4, D14.1, D15): users and roles, agencies and their focal points,
the fields catalogue and routing rules, stage budgets, working seasons and override days, and the
log of every change.

Pure builders: no data is read here (the validation layout builds this page at start-up); each
tab's grids and choices are filled by `dashboard.callbacks.admin` when the tab is shown and after
every change. Destructive changes go through one confirmation dialog.
"""

from __future__ import annotations

from typing import Any

import dash_ag_grid as dag
from dash import dcc, html

from backend.services.auth import StaffUser

TABS = (
    ("users", "Người dùng"),
    ("agencies", "Cơ quan xử lý"),
    ("fields", "Lĩnh vực và định tuyến"),
    ("budgets", "Thời hạn"),
    ("calendar", "Lịch làm việc"),
    ("log", "Nhật ký thay đổi"),
)
ROLE_OPTIONS = [
    {"label": "Người xử lý IOC", "value": "ioc_handler"},
    {"label": "Người xử lý cơ quan", "value": "agency_handler"},
    {"label": "Lãnh đạo đơn vị", "value": "agency_leader"},
    {"label": "Lãnh đạo UBND tỉnh", "value": "provincial_leader"},
    {"label": "Quản trị hệ thống", "value": "admin"},
    {"label": "Màn hình tường", "value": "wall_display"},
]
SEASONS = (("summer", "Mùa hè"), ("winter", "Mùa đông"))
DROPDOWN_LABELS = {"search": "Tìm…", "clear_search": "Xóa tìm kiếm",
                   "clear_selection": "Bỏ chọn", "no_options_found": "Không có lựa chọn phù hợp",
                   "select_all": "Chọn tất cả", "deselect_all": "Bỏ chọn tất cả",
                   "selected_count": "Đã chọn {num_selected}"}
GRID_TEXT = {
    "noRowsToShow": "Chưa có dữ liệu", "loadingOoo": "Đang tải…", "page": "Trang", "of": "trên",
    "to": "đến", "more": "thêm", "firstPage": "Trang đầu", "lastPage": "Trang cuối",
    "nextPage": "Trang sau", "previousPage": "Trang trước", "pageSizeSelectorLabel": "Số dòng:",
    "filterOoo": "Lọc…", "equals": "Bằng", "notEqual": "Khác", "contains": "Chứa",
    "notContains": "Không chứa", "startsWith": "Bắt đầu bằng", "endsWith": "Kết thúc bằng",
    "blank": "Trống", "notBlank": "Không trống", "andCondition": "VÀ", "orCondition": "HOẶC",
    "searchOoo": "Tìm…", "selectAll": "(Chọn tất cả)", "blanks": "(Trống)",
    "ariaRowSelect": "Chọn dòng", "sortAscending": "Sắp xếp tăng dần",
    "sortDescending": "Sắp xếp giảm dần", "sortUnSort": "Bỏ sắp xếp",
    "columnFilter": "Bộ lọc cột", "ariaFilterInput": "Ô lọc",
}
GRID_THEME = {"function": "themeQuartz.withParams({fontFamily: 'inherit', fontSize: 14, "
                          "headerFontWeight: 600, accentColor: '#1d4ed8', "
                          "headerBackgroundColor: '#f8fafc', rowHoverColor: '#eff6ff', "
                          "selectedRowBackgroundColor: '#dbeafe', borderRadius: 8, "
                          "wrapperBorderRadius: 10, spacing: 6})"}


def layout(_staff: StaffUser | None = None) -> html.Div:
    return html.Div(className="admin", children=[
        html.Div(className="admin-head", children=[
            html.Div([
                html.H1("Quản trị hệ thống"),
                html.P("Tài khoản, cơ quan xử lý và đầu mối, lĩnh vực, thời hạn và lịch làm việc. "
                       "Mọi thay đổi được ghi vào nhật ký không sửa được (Đ3.8).",
                       className="muted admin-sub"),
            ]),
            html.Div(id="admin-flash", className="admin-flash", role="status",
                     **{"aria-live": "polite"}),
        ]),
        dcc.Tabs(id="admin-tabs", value="users", className="admin-tabs",
                 content_className="admin-tab-content", children=[
                     dcc.Tab(label=label, value=key, className="admin-tab",
                             selected_className="admin-tab--selected",
                             children=BUILDERS[key]()) for key, label in TABS]),
        dcc.Store(id="admin-version", data=0),
        dcc.Store(id="admin-pending"),
        dcc.ConfirmDialog(id="admin-confirm", message=""),
    ])


# --------------------------------------------------------------------------- small builders


def grid(grid_id: str, columns: list[dict[str, Any]], row_id: str, height: int | None = 460,
         **options: Any) -> dag.AgGrid:
    """A read-only, single-selection grid in Vietnamese."""
    return dag.AgGrid(
        id=grid_id, columnDefs=columns, rowData=[], className="admin-grid",
        defaultColDef={"flex": 1, "minWidth": 90, "sortable": True, "resizable": True,
                       "filter": False,
                       "suppressHeaderMenuButton": True, "wrapHeaderText": True,
                       "autoHeaderHeight": True},
        getRowId=f"params.data.{row_id}",
        style={"height": f"{height}px" if height else None, "width": "100%"},
        dashGridOptions={"theme": GRID_THEME, "localeText": GRID_TEXT,
                         "rowSelection": {"mode": "singleRow", "checkboxes": False,
                                          "enableClickSelection": True},
                         "animateRows": False, "tooltipShowDelay": 300, **options},
    )


def field(label: str, control: Any, error_id: str, hint: str | None = None,
          wide: bool = False) -> html.Div:
    """A labelled form control with its own error line under it."""
    control_id = getattr(control, "id", None)
    return html.Div(className="form-field" + (" wide" if wide else ""), children=[
        html.Label(label, htmlFor=control_id) if isinstance(control_id, str) else
        html.Label(label),
        control,
        html.Div(hint, className="hint") if hint else None,
        html.Div(id=error_id, className="field-error", role="alert"),
    ])


def text_input(input_id: str, placeholder: str = "", **kw: Any) -> dcc.Input:
    return dcc.Input(id=input_id, type=kw.pop("type", "text"), placeholder=placeholder,
                     className=kw.pop("className", "input"), debounce=False, autoComplete="off",
                     **kw)


def dropdown(dropdown_id: str, options: list | None = None, placeholder: str = "Chọn…",
             **kw: Any) -> dcc.Dropdown:
    return dcc.Dropdown(id=dropdown_id, options=options or [], placeholder=placeholder,
                        labels=DROPDOWN_LABELS, className=kw.pop("className", "dropdown"), **kw)


def panel(title: str, *children: Any, panel_id: str | None = None,
          extra: str = "") -> html.Section:
    kw = {"id": panel_id} if panel_id else {}
    return html.Section(className=f"card admin-panel {extra}".strip(), **kw, children=[
        html.H2(title, className="panel-title"), *children])


def search(search_id: str, placeholder: str) -> dcc.Input:
    return dcc.Input(id=search_id, type="search", placeholder=placeholder,
                     className="input admin-search", debounce=False)


def form_error(error_id: str) -> html.Div:
    return html.Div(id=error_id, className="form-error", role="alert")


# --------------------------------------------------------------------------- tabs


def users_tab() -> list:
    columns = [
        {"field": "username", "headerName": "Tên đăng nhập", "minWidth": 125, "flex": 1.1},
        {"field": "full_name", "headerName": "Họ và tên", "minWidth": 150, "flex": 1.4},
        {"field": "role_label", "headerName": "Vai trò", "minWidth": 140, "flex": 1.2},
        {"field": "agency_name", "headerName": "Cơ quan", "minWidth": 135, "flex": 1.2},
        {"field": "focal", "headerName": "Đầu mối", "minWidth": 110, "flex": 1,
         "tooltipField": "focal",
         "headerTooltip": "Đầu mối của cơ quan (Điều 14 khoản 1)"},
        {"field": "status", "headerName": "Trạng thái", "minWidth": 140, "flex": 1,
         "cellClassRules": {"cell-bad": "params.data.active === false",
                            "cell-muted": "params.data.can_sign_in === false"}},
        {"field": "created", "headerName": "Ngày tạo", "minWidth": 100, "maxWidth": 110,
         "sortable": False},
    ]
    return [html.Div(className="admin-split", children=[
        html.Section(className="card admin-panel", children=[
            html.Div(className="panel-bar", children=[
                html.H2("Tài khoản", className="panel-title"),
                search("admin-users-search", "Tìm theo tên, vai trò, cơ quan…"),
            ]),
            grid("admin-users-grid", columns, "username", height=560),
            html.P("Chọn một dòng để sửa vai trò, cơ quan, đặt lại mật khẩu hoặc khóa tài khoản.",
                   className="hint"),
        ]),
        html.Div(className="stack", children=[
            panel("Tài khoản đã chọn", html.Div(id="admin-user-selected", className="muted",
                                                children="Chưa chọn tài khoản nào."),
                  html.Div(id="admin-user-edit", className="admin-edit", hidden=True, children=[
                      html.Div(className="form-grid", children=[
                          field("Họ và tên", text_input("admin-user-edit-full_name"),
                                "admin-user-edit-full_name-error", wide=True),
                          field("Vai trò", dropdown("admin-user-edit-role", ROLE_OPTIONS,
                                                    clearable=False),
                                "admin-user-edit-role-error"),
                          field("Cơ quan xử lý", dropdown("admin-user-edit-agency"),
                                "admin-user-edit-agency-error",
                                hint="Chỉ cho vai trò của cơ quan xử lý."),
                      ]),
                      form_error("admin-user-edit-error"),
                      html.Div(className="row", children=[
                          html.Button("Lưu thay đổi", id="admin-user-edit-save",
                                      className="btn btn-primary", n_clicks=0)]),
                      html.Hr(),
                      html.H3("Mật khẩu"),
                      html.Div(className="form-grid", children=[
                          field("Mật khẩu mới", text_input("admin-user-pw", type="password",
                                                           placeholder="Để trống: tạo ngẫu nhiên"),
                                "admin-user-pw-error",
                                hint="Ít nhất 10 ký tự. Mọi phiên đăng nhập của người này "
                                     "sẽ kết thúc.",
                                wide=True),
                      ]),
                      html.Div(id="admin-user-pw-result", className="secret", role="status"),
                      html.Div(className="row", children=[
                          html.Button("Đặt lại mật khẩu", id="admin-user-pw-submit",
                                      className="btn", n_clicks=0),
                          html.Span(className="spacer"),
                          html.Button("Khóa tài khoản", id="admin-user-disable",
                                      className="btn btn-danger", n_clicks=0),
                          html.Button("Mở khóa", id="admin-user-enable", className="btn btn-good",
                                      n_clicks=0),
                      ]),
                  ])),
            panel("Tạo tài khoản", html.Div(className="form-grid", children=[
                field("Tên đăng nhập", text_input("admin-user-new-username", "vd: xl_ubnd_164"),
                      "admin-user-new-username-error"),
                field("Họ và tên", text_input("admin-user-new-full_name", "vd: Nguyễn Thị Lan"),
                      "admin-user-new-full_name-error"),
                field("Vai trò", dropdown("admin-user-new-role", ROLE_OPTIONS),
                      "admin-user-new-role-error"),
                field("Cơ quan xử lý", dropdown("admin-user-new-agency",
                                                placeholder="Chọn cơ quan…"),
                      "admin-user-new-agency-error"),
                field("Mật khẩu", text_input("admin-user-new-password", type="password",
                                             placeholder="Ít nhất 10 ký tự"),
                      "admin-user-new-password-error", wide=True),
            ]), form_error("admin-user-new-error"),
                html.Button("Tạo tài khoản", id="admin-user-new-submit",
                            className="btn btn-primary", n_clicks=0)),
        ]),
    ])]


def agencies_tab() -> list:
    columns = [
        {"field": "short_name", "headerName": "Cơ quan", "minWidth": 160, "flex": 1.5,
         "tooltipField": "name"},
        {"field": "kind_label", "headerName": "Loại", "minWidth": 128, "maxWidth": 140},
        {"field": "process", "headerName": "Thời hạn xử lý", "minWidth": 100, "maxWidth": 115,
         "headerTooltip": "Tính theo thời gian làm việc; 1 ngày = 480 phút"},
        {"field": "leader_text", "headerName": "Lãnh đạo đầu mối", "minWidth": 150,
         "flex": 1.4, "tooltipField": "leader_text"},
        {"field": "handler_text", "headerName": "Người xử lý đầu mối", "minWidth": 150,
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
                                hint="Tài khoản Người xử lý cơ quan của chính cơ quan."),
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


def fields_tab() -> list:
    field_columns = [
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
    rule_columns = [
        {"field": "field_name", "headerName": "Lĩnh vực", "minWidth": 150},
        {"field": "district", "headerName": "Địa bàn", "minWidth": 150},
        {"field": "agency_name", "headerName": "Cơ quan được gợi ý", "minWidth": 170},
        {"field": "priority", "headerName": "Ưu tiên", "maxWidth": 95, "type": "rightAligned"},
        {"field": "note", "headerName": "Ghi chú", "minWidth": 220, "tooltipField": "note"},
    ]
    return [
        html.Div(className="admin-split", children=[
            html.Section(className="card admin-panel", children=[
                html.Div(className="panel-bar", children=[
                    html.H2("Danh mục lĩnh vực (Đ13.4)", className="panel-title"),
                    search("admin-fields-search", "Tìm lĩnh vực…"),
                ]),
                grid("admin-fields-grid", field_columns, "code", height=400),
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
        ]),
        html.Div(className="admin-split", children=[
            html.Section(className="card admin-panel", children=[
                html.Div(className="panel-bar", children=[
                    html.H2("Quy tắc phân phối (Đ7.1)", className="panel-title"),
                    dropdown("admin-rules-filter", placeholder="Mọi lĩnh vực",
                             className="dropdown admin-filter"),
                ]),
                grid("admin-rules-grid", rule_columns, "id", height=400),
                html.P("IOC được gợi ý quy tắc của đúng địa bàn trước, rồi quy tắc cho mọi "
                       "địa bàn; cùng mức thì số ưu tiên nhỏ trước.", className="hint"),
            ]),
            html.Div(className="stack", children=[
                panel("Thêm quy tắc", html.Div(className="form-grid", children=[
                    field("Lĩnh vực", dropdown("admin-rule-new-field"),
                          "admin-rule-new-field-error"),
                    field("Địa bàn", dropdown("admin-rule-new-district",
                                              placeholder="Mọi địa bàn"),
                          "admin-rule-new-district-error"),
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
        ]),
    ]


def budgets_tab() -> list:
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


def calendar_tab() -> list:
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


def log_tab() -> list:
    columns = [
        {"field": "at_text", "headerName": "Thời gian", "maxWidth": 150, "sortable": False},
        {"field": "actor", "headerName": "Người thực hiện", "maxWidth": 150},
        {"field": "action_label", "headerName": "Thao tác", "maxWidth": 190},
        {"field": "note", "headerName": "Nội dung", "minWidth": 300, "wrapText": True,
         "autoHeight": True},
        {"field": "details", "headerName": "Trước → sau", "minWidth": 300, "wrapText": True,
         "autoHeight": True},
    ]
    return [html.Section(className="card admin-panel", children=[
        html.Div(className="panel-bar", children=[
            html.H2("Nhật ký thay đổi (mới nhất trước)", className="panel-title"),
            search("admin-log-search", "Tìm trong nhật ký…"),
        ]),
        grid("admin-log-grid", columns, "seq", height=640, pagination=True,
             paginationPageSize=50, paginationPageSizeSelector=False),
        html.P("Các thay đổi quản trị nằm trong chuỗi sự kiện 'system' của nhật ký, được băm "
               "nối tiếp và không thể sửa hay xóa ('ioc audit verify' kiểm tra).",
               className="hint"),
    ])]


BUILDERS = {"users": users_tab, "agencies": agencies_tab, "fields": fields_tab,
            "budgets": budgets_tab, "calendar": calendar_tab, "log": log_tab}

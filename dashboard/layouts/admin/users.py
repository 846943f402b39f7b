"""The "Người dùng" tab: staff accounts, their role and agency, passwords, locking (D15). What it
shows; what it does is in `dashboard/callbacks/admin/users.py`."""

from __future__ import annotations

from dash import html

from backend.domain.roles import STAFF_ROLES, role_label
from dashboard.layouts.admin.common import (
    dropdown,
    field,
    form_error,
    grid,
    panel,
    search,
    text_input,
)

KEY, LABEL = "users", "Người dùng"
ROLE_OPTIONS = [{"label": role_label(role), "value": str(role)} for role in STAFF_ROLES]


def layout() -> list:
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
                field("Tên đăng nhập", text_input("admin-user-new-username", "vd: xl_ubnd_05443"),
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

"""Administration `/admin` (D13.4, D14.1, D15): users and roles, agencies and their focal points,
the fields catalogue and routing rules, stage budgets, working seasons and override days, and the
log of every change.

The page as first drawn: one module per tab (`users`, `agencies`, `fields`, `budgets`,
`calendar`, `log`), each with the tab's `layout()`, and `common` what they draw with; the one
confirmation dialog every destructive change goes through (`admin-confirm`) is drawn here. The
layouts read no data (the validation layout builds this page at start-up): each tab's grids and
choices are filled by its callbacks (`dashboard/callbacks/admin/`, one module per tab) when the
tab is shown and after every change (`admin-version`).
"""

from __future__ import annotations

from dash import dcc, html

from backend.services.access.auth import StaffUser
from dashboard.layouts.admin import agencies, budgets, calendar, fields, log, users

TAB_MODULES = (users, agencies, fields, budgets, calendar, log)
TABS = tuple((tab.KEY, tab.LABEL) for tab in TAB_MODULES)


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
                     dcc.Tab(label=tab.LABEL, value=tab.KEY, className="admin-tab",
                             selected_className="admin-tab--selected",
                             children=tab.layout()) for tab in TAB_MODULES]),
        dcc.Store(id="admin-version", data=0),
        dcc.Store(id="admin-pending"),
        dcc.ConfirmDialog(id="admin-confirm", message=""),
    ])


"""The "Nhật ký thay đổi" tab: every administrative change, newest first, in words, from the
hash-chained 'system' stream of the audit log (D3.8). What it shows; the rows (codes shown by
name) are in `dashboard/callbacks/admin/log.py`."""

from __future__ import annotations

from dash import html

from dashboard.layouts.admin.common import grid, search

KEY, LABEL = "log", "Nhật ký thay đổi"


def layout() -> list:
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

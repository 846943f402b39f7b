"""404 and 403 pages."""

from __future__ import annotations

from dash import dcc, html


def layout(path: str = "") -> html.Div:
    return html.Div(className="card narrow center", children=[
        html.H1("404 - Không tìm thấy trang"),
        html.P(f"Không có trang nào ở địa chỉ {path}." if path else "Không có trang này."),
        dcc.Link("Về trang chính", href="/", className="btn btn-primary"),
    ])


def forbidden() -> html.Div:
    return html.Div(className="card narrow center", children=[
        html.H1("Không có quyền truy cập"),
        html.P("Vai trò của bạn không được mở trang này."),
        dcc.Link("Về trang của bạn", href="/", className="btn btn-primary"),
    ])

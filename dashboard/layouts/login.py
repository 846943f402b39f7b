"""The staff sign-in form (citizens use the portal and need no account); what it does is in
`dashboard/callbacks/login.py`."""

from __future__ import annotations

from dash import dcc, html


def layout(next_path: str = "/") -> html.Div:
    return html.Div(className="login-wrap", children=[
        html.Div(className="card login-card", children=[
            html.H1("Đăng nhập"),
            html.P("Hệ thống tiếp nhận và xử lý phản ánh hiện trường - IOC tỉnh Thái Nguyên",
                   className="muted"),
            html.Label("Tên đăng nhập", htmlFor="login-username"),
            dcc.Input(id="login-username", type="text", autoComplete="username", autoFocus=True,
                      className="input", debounce=False, n_submit=0),
            html.Label("Mật khẩu", htmlFor="login-password"),
            dcc.Input(id="login-password", type="password", autoComplete="current-password",
                      className="input", n_submit=0),
            html.Div(id="login-error", className="error", role="alert"),
            html.Button("Đăng nhập", id="login-submit", className="btn btn-primary wide",
                        n_clicks=0),
            dcc.Store(id="login-next", data=next_path),
        ]),
    ])

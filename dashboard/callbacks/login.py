"""Sign-in for staff (the form: `dashboard/layouts/login.py`), with the same service and session
as `POST /api/v1/auth/login`."""

from __future__ import annotations

from dash import Dash, Input, Output, State, ctx, no_update
from flask import session

from backend.services.access import auth as auth_service
from backend.web.signin import login_allowed, set_csrf_cookie
from dashboard import pages

REFUSED = "Tên đăng nhập hoặc mật khẩu không đúng."


def sign_in(username: str | None, password: str | None, next_path: str | None) -> tuple[str, str]:
    """(redirect target or no_update, error text). One answer for unknown user and wrong password."""
    username, password = (username or "").strip(), password or ""
    if not username or not password:
        return no_update, "Nhập tên đăng nhập và mật khẩu."
    if not login_allowed(username):
        return no_update, "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau ít phút."
    result = None if "\x00" in username else auth_service.login(username, password)
    if result is None:
        return no_update, REFUSED
    token, staff = result
    session.clear()
    session["t"] = token
    if ctx.response is not None:
        set_csrf_cookie(ctx.response, staff.csrf_token)
    target = next_path if next_path and next_path.startswith("/") and next_path != "/login" else "/"
    return target if target != "/" else pages.home(staff.role), ""


def register(app: Dash) -> None:
    @app.callback(Output("redirect", "href"), Output("login-error", "children"),
                  Input("login-submit", "n_clicks"), Input("login-username", "n_submit"),
                  Input("login-password", "n_submit"),
                  State("login-username", "value"), State("login-password", "value"),
                  State("login-next", "data"), prevent_initial_call=True)
    def submit(clicks, user_submits, password_submits, username, password, next_path):
        if not (clicks or user_submits or password_submits):
            # the form was just drawn (the router inserts it): nobody has asked yet
            return no_update, no_update
        return sign_in(username, password, next_path)

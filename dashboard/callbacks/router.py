"""Show the page for the URL and the viewer's role (the page table, `dashboard/pages.py`, in the
frame of `dashboard/layouts/shell.py`); sign out."""

from __future__ import annotations

from dash import Dash, Input, Output, State, ctx, no_update
from flask import session

from backend.services.access import auth as auth_service
from dashboard import access, pages
from dashboard.layouts import login, not_found, shell


def render(path: str | None) -> tuple[object, list, str]:
    """(page content, menu, shell class) for `path` as the signed-in viewer sees it."""
    path = (path or "/").rstrip("/") or "/"
    staff = access.viewer()
    if staff is None:
        return login.layout(next_path=path if path != "/login" else "/"), shell.nav(None, path), "shell"
    if path in ("/", "/login"):
        path = pages.home(staff.role)
    page = pages.page(path)
    if page is None:
        return not_found.layout(path), shell.nav(staff, path), "shell"
    if not pages.may_open(staff, path):
        return not_found.forbidden(), shell.nav(staff, path), "shell"
    css = "shell full-screen" if page.full_screen else "shell"
    return page.layout(staff), shell.nav(staff, path), css


def sign_out() -> str:
    staff = access.viewer()
    if staff is not None:
        auth_service.logout(staff.session_token_hash)
    session.clear()
    if ctx.response is not None:  # Dash's response adapter has set_cookie only: expire it
        ctx.response.set_cookie("_csrf_token", "", expires=0, max_age=0, samesite="Strict")
    return "/login"


def register(app: Dash) -> None:
    @app.callback(Output("page", "children"), Output("shell-nav", "children"),
                  Output("shell", "className"), Input("url", "pathname"))
    def route(path):
        return render(path)

    @app.callback(Output("redirect", "href", allow_duplicate=True),
                  Input("nav-logout", "n_clicks"), State("url", "pathname"),
                  prevent_initial_call=True)
    def logout(n_clicks, _path):
        return sign_out() if n_clicks else no_update

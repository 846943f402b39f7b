"""The frame around every page: the URL, the role's menu, the page area."""

from __future__ import annotations

from dash import dcc, html

from backend.domain.roles import Role, role_label
from backend.services.access.auth import StaffUser
from dashboard import pages
from dashboard.layouts import login, not_found


def layout() -> html.Div:
    return html.Div(id="shell", className="shell", children=[
        dcc.Location(id="url", refresh="callback-nav"),
        dcc.Location(id="redirect", refresh=True),
        html.Header(id="shell-nav", className="nav"),
        html.Main(id="page", className="page"),
    ])


def nav(staff: StaffUser | None, path: str) -> list:
    """Brand, the pages this role may open, who is signed in and the sign-out button."""
    brand = html.A([html.Span("IOC", className="brand-mark"),
                    html.Span("Thái Nguyên · Phản ánh hiện trường", className="brand-text")],
                   href="/", className="brand")
    if staff is None:
        return [brand]
    links = [dcc.Link(label, href=href, className="nav-link" + (" active" if href == path else ""))
             for href, label in pages.menu(staff)]
    role = role_label(staff.role)
    name = staff.full_name or staff.username
    who = html.Div(className="nav-user", children=[
        html.Span(name, className="nav-name"),
        *([html.Span(role, className="nav-role")] if role.lower() != name.lower() else []),
        html.Button("Đăng xuất", id="nav-logout", className="btn btn-ghost", n_clicks=0),
    ])
    return [brand, html.Nav(links, className="nav-links"), who]


def validation_layout() -> html.Div:
    """Every component id of every page, so callbacks are checked without suppressing errors."""
    sample = StaffUser(0, "kiem_tra", None, Role.ADMIN, None, "", "")
    return html.Div([layout(), *nav(sample, "/"), login.layout(), not_found.layout(),
                     *[page.layout(sample) for page in pages.PAGES]])

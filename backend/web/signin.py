"""Staff sign-in for the whole web app: the session cookie, the CSRF guard and token, the sign-in
limits and the role check. The API, the portal and the dashboard all take them from here."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from functools import wraps

from flask import Flask, current_app, g, request, session
from flask_login import LoginManager, UserMixin, current_user
from limits import parse

from backend.services.access import auth as auth_service
from backend.web.errors import api_error
from backend.web.extensions import client_address, limiter

STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class WebUser(UserMixin):
    """flask-login's view of a signed-in staff member."""

    def __init__(self, staff: auth_service.StaffUser) -> None:
        self.staff = staff

    def get_id(self) -> str:
        return self.staff.session_token_hash


def init_login(app: Flask) -> None:
    """Resolve the session token on each request; refuse cross-site writes without the token."""
    manager = LoginManager()
    manager.init_app(app)

    @manager.request_loader
    def load_from_cookie(_request):
        token = session.get("t")
        if not token:
            return None
        staff = auth_service.resolve_session(token)
        return WebUser(staff) if staff else None

    @app.before_request
    def csrf_guard():
        if request.method not in STATE_CHANGING or request.endpoint == "auth.login":
            return None
        if request.blueprint == "portal":
            return None  # the citizens' portal never reads the staff session: nothing to ride on
        if not session.get("t") or not current_user.is_authenticated:
            return None  # no cookie session: nothing a forged cross-site request could ride on
        # the API sends X-CSRF-Token; Dash's renderer sends the `_csrf_token` cookie back as
        # X-CSRFToken (double submit, checked against the token bound to the session)
        sent = request.headers.get("X-CSRF-Token") or request.headers.get("X-CSRFToken") or ""
        if not hmac.compare_digest(sent, current_user.staff.csrf_token):
            return api_error(403, "csrf", "Thiếu hoặc sai mã chống giả mạo (X-CSRF-Token).")
        return None


    @app.after_request
    def csrf_cookie(response):
        if not session.get("t"):
            return response  # no staff session (citizens, API keys, assets): nothing to load
        staff = current_staff()
        if staff is not None and request.cookies.get(CSRF_COOKIE) != staff.csrf_token:
            set_csrf_cookie(response, staff.csrf_token)
        return response


CSRF_COOKIE = "_csrf_token"


def set_csrf_cookie(response, token: str) -> None:
    """The session's CSRF token, readable by the page's script (not HttpOnly) so it can send it
    back in a header; SameSite=Strict so no other site's request carries it."""
    response.set_cookie(CSRF_COOKIE, token, samesite="Strict", httponly=False,
                        secure=current_app.config.get("SESSION_COOKIE_SECURE", False))


def login_allowed(username: str) -> bool:
    """The same per-address and per-name limits as the login route, for other sign-in forms."""
    engine = limiter.limiter
    if engine is None:
        return True
    return (engine.hit(parse("10/minute"), "dash-login-ip", client_address())
            and engine.hit(parse("5/minute"), "login", username[:64].lower()))


def current_staff() -> auth_service.StaffUser | None:
    """The signed-in staff member of this request, if any."""
    return current_user.staff if current_user.is_authenticated else None


def staff_required(*roles: str) -> Callable:
    """401 without a session, 403 for a role not listed (no roles listed: any staff role)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            staff = current_staff()
            if staff is None:
                return api_error(401)
            if roles and staff.role not in roles:
                return api_error(403, "forbidden_role", "Vai trò của bạn không được dùng chức năng này.")
            g.staff = staff
            return view(*args, **kwargs)

        return wrapper

    return decorator

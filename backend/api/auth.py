"""Staff sign-in over HTTP: session cookie + CSRF token, rate-limited, roles checked per route."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from functools import wraps

from flask import Blueprint, Flask, g, jsonify, request, session
from flask_login import LoginManager, UserMixin, current_user

from backend.api.errors import api_error
from backend.services import auth as auth_service
from backend.web.extensions import client_address, limiter

bp = Blueprint("auth", __name__, url_prefix="/api/v1/auth")
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
    from flask import current_app

    response.set_cookie(CSRF_COOKIE, token, samesite="Strict", httponly=False,
                        secure=current_app.config.get("SESSION_COOKIE_SECURE", False))


def login_allowed(username: str) -> bool:
    """The same per-address and per-name limits as the login route, for other sign-in forms."""
    from limits import parse

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


def _login_key() -> str:
    body = request.get_json(silent=True) or {}
    username = body.get("username") if isinstance(body, dict) else None
    return f"login:{str(username or '')[:64].lower()}"


@bp.post("/login")
@limiter.limit("10 per minute", key_func=client_address)
@limiter.limit("5 per minute", key_func=_login_key)
def login():
    """JSON {username, password} → session cookie and a CSRF token for later writes."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return api_error(400, "invalid_json", "Cần gửi JSON {username, password}.")
    username, password = body.get("username"), body.get("password")
    for name, value in (("username", username), ("password", password)):
        if not isinstance(value, str) or not value:
            return api_error(422, "missing_param", f"Thiếu '{name}'.", name)
    # no account name holds U+0000 (and PostgreSQL refuses it in a query): a wrong name
    result = None if "\x00" in username else auth_service.login(username, password)
    if result is None:  # the same answer for an unknown user and a wrong password
        return api_error(401, "bad_credentials", "Tên đăng nhập hoặc mật khẩu không đúng.")
    token, staff = result
    session.clear()
    session["t"] = token
    return jsonify(_me(staff))


@bp.post("/logout")
def logout():
    staff = current_staff()
    if staff is not None:
        auth_service.logout(staff.session_token_hash)
    session.clear()
    return jsonify(ok=True)


@bp.get("/me")
@staff_required()
def me():
    return jsonify(_me(g.staff))


def _me(staff: auth_service.StaffUser) -> dict:
    return {"username": staff.username, "full_name": staff.full_name, "role": staff.role,
            "agency": staff.agency_code, "csrf_token": staff.csrf_token}

"""Staff sign-in routes of the API (`/api/v1/auth`): log in, log out, who am I. The session, CSRF
and role checks they rely on are app-wide, in `backend.web.signin`."""

from __future__ import annotations

from flask import Blueprint, g, jsonify, request, session

from backend.services.access import auth as auth_service
from backend.web.errors import api_error
from backend.web.extensions import client_address, limiter
from backend.web.signin import current_staff, staff_required

bp = Blueprint("auth", __name__, url_prefix="/api/v1/auth")


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

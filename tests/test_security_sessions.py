"""Staff sign-in and sessions (TESTPLAN.md "The cases"): 22 (brute force), 24 (sessions),
25 (CSRF).

Each test names its TESTPLAN row. Every test gets a fresh `create_server()`, so the in-memory
rate limits of one test never reach another. Runs on SQLite and on PostgreSQL
(TEST_DATABASE_URL). Shared helpers: `security_helpers.py`; fixtures: `api_helpers.py`.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from api_helpers import PASSWORD, login, submit
from security_helpers import assert_error
from sqlalchemy import func, select, update

from backend.services.access import auth as auth_service
from backend.storage.db import session_factory
from backend.storage.models import StaffSession

# --- row 22: brute force -------------------------------------------------------------------------------------

def _try_login(client, username: str, password: str, **headers):
    return client.post("/api/v1/auth/login", json={"username": username, "password": password},
                       headers=headers)


def test_row22_unknown_user_and_wrong_password_get_the_same_answer(client, staff_accounts) -> None:
    """TESTPLAN 22: no user enumeration: the same status and body for both failures; a disabled
    account answers the same too."""
    wrong = _try_login(client, "ioc_lan", "sai-mat-khau-roi")
    unknown = _try_login(client, "khong_ton_tai", "sai-mat-khau-roi")
    auth_service.disable_user("man_hinh")
    disabled = _try_login(client, "man_hinh", PASSWORD)
    for response in (wrong, unknown, disabled):
        assert_error(response, 401, "bad_credentials")
        assert response.get_json() == wrong.get_json()
        assert "Set-Cookie" not in response.headers


def test_row22_wrong_passwords_for_one_account_hit_429(app, staff_accounts) -> None:
    """TESTPLAN 22: repeated wrong passwords → 429 with Retry-After after the limit, and then
    even the right password is refused for now (bounded loop, ≤ 30 attempts)."""
    client = app.test_client()
    for attempt in range(1, 31):
        response = _try_login(client, "ioc_lan", f"doan-mo-{attempt:04d}")
        if response.status_code == 429:
            break
        assert_error(response, 401, "bad_credentials")
    assert_error(response, 429, "too_many_requests")
    assert attempt <= 11 and response.headers["Retry-After"]
    assert _try_login(client, "ioc_lan", PASSWORD).status_code == 429


def test_row22_spraying_accounts_from_one_ip_hits_429_despite_spoofed_xff(
        app, staff_accounts) -> None:
    """TESTPLAN 22: one password across many accounts from one IP → 429; a spoofed
    X-Forwarded-For does not give a fresh budget (it is not trusted without a proxy)."""
    client = app.test_client()
    for attempt in range(1, 31):
        response = _try_login(client, f"nguoi_dung_{attempt}", "MatKhau@123",
                              **{"X-Forwarded-For": f"203.0.113.{attempt}"})
        if response.status_code == 429:
            break
        assert response.status_code == 401
    assert response.status_code == 429 and attempt <= 11
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    assert login(other, "ioc_lan")  # another address is not blocked


# --- row 24: sessions ------------------------------------------------------------------------------------------

COOKIE = "ioc_session"


def test_row24_login_issues_a_new_session_with_safe_cookie_flags(app, staff_accounts,
                                                                  ready_db) -> None:
    """TESTPLAN 24: each login creates a new server-side session and a new cookie value (no
    fixation); the cookie is HttpOnly and SameSite; a planted cookie is ignored."""
    client = app.test_client()
    client.set_cookie(COOKIE, "planted-by-attacker")
    assert client.get("/api/v1/auth/me").status_code == 401
    response = client.post("/api/v1/auth/login", json={"username": "ioc_lan",
                                                       "password": PASSWORD})
    assert response.status_code == 200
    cookies = response.headers.getlist("Set-Cookie")
    set_cookie = next(c for c in cookies if c.startswith(f"{COOKIE}="))
    assert "HttpOnly" in set_cookie
    assert re.search(r"SameSite=(Lax|Strict)", set_cookie)
    # the CSRF token for the dashboard's script: readable, but never sent by another site
    csrf_cookie = next(c for c in cookies if c.startswith("_csrf_token="))
    assert "SameSite=Strict" in csrf_cookie
    first = client.get_cookie(COOKIE).value
    assert first != "planted-by-attacker"
    login(client, "ioc_lan")
    second = client.get_cookie(COOKIE).value
    assert second != first
    with session_factory(ready_db)() as session:
        assert session.scalar(select(func.count()).select_from(StaffSession)) == 2


def test_row24_old_cookie_is_rejected_after_logout(app, staff_accounts) -> None:
    """TESTPLAN 24: logout ends the session on the server: replaying the old cookie → 401."""
    client = app.test_client()
    csrf = login(client, "ioc_lan")
    old = client.get_cookie(COOKIE).value
    assert client.get("/api/v1/auth/me").status_code == 200
    assert client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 200
    replay = app.test_client()
    replay.set_cookie(COOKIE, old)
    assert_error(replay.get("/api/v1/auth/me"), 401)
    assert replay.get("/api/v1/reports").status_code == 401


def test_row24_disabled_user_session_dies_at_once(client, sign_in) -> None:
    """TESTPLAN 24: disabling an account ends its open sessions on the very next request."""
    code = submit(client)
    ioc = sign_in("ioc_lan")
    assert ioc.get("/api/v1/auth/me").status_code == 200
    auth_service.disable_user("ioc_lan")
    assert ioc.get("/api/v1/auth/me").status_code == 401
    assert ioc.act(code, "accept").status_code == 401
    assert sign_in("ioc_minh").detail(code)["state"] == "submitted"


def test_row24_idle_session_expires(sign_in, ready_db) -> None:
    """TESTPLAN 24: a session idle for longer than 8 hours is no longer accepted."""
    ioc = sign_in("ioc_lan")
    with session_factory(ready_db)() as session, session.begin():
        session.execute(update(StaffSession).values(
            last_seen_at=datetime.now(UTC) - timedelta(hours=9)))
    assert ioc.get("/api/v1/auth/me").status_code == 401


# --- row 25: CSRF -------------------------------------------------------------------------------------------------

def test_row25_state_change_with_session_needs_the_csrf_token(client, sign_in) -> None:
    """TESTPLAN 25: with a session cookie, a write without X-CSRF-Token, with a wrong one or with
    another session's token → 403; a cross-site form post → 403; text/plain with the right token
    → 415. Nothing changes."""
    code = submit(client)
    ioc, other = sign_in("ioc_lan"), sign_in("ioc_minh")
    url = f"/api/v1/reports/{code}/actions/accept"
    for headers in ({}, {"X-CSRF-Token": ""}, {"X-CSRF-Token": "sai"},
                    {"X-CSRF-Token": other.csrf}):
        assert_error(ioc.client.post(url, json={}, headers=headers), 403, "csrf")
    form = ioc.client.post(url, data={"version": "1"},
                           headers={"Origin": "https://evil.example", "Referer": "https://evil.example/"})
    assert_error(form, 403, "csrf")
    plain = ioc.client.post(url, data='{"version": 1}',
                            headers={"Content-Type": "text/plain", "X-CSRF-Token": ioc.csrf})
    assert_error(plain, 415, "unsupported_media_type")
    assert_error(ioc.client.post("/api/v1/auth/logout"), 403, "csrf")
    assert ioc.get("/api/v1/auth/me").status_code == 200  # the forged logout did nothing
    assert ioc.detail(code)["state"] == "submitted" and ioc.detail(code)["version"] == 1
    assert ioc.act(code, "accept").status_code == 200  # with the token it works

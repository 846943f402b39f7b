"""The wall screen in real headless Chromium: signs in as `wall_display`, shows live figures and
the map, picks up a report submitted through the API within 5 seconds, and no payload the screen
receives carries a reporter's name, phone or e-mail."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from api_helpers import PASSWORD, make_report, post_report, report_body, serve
from browser_helpers import assert_no_console_errors

from backend.services.access.auth import create_user
from dashboard.wsgi import create_app

SECRET_NAME, SECRET_PHONE, SECRET_EMAIL = "Lê Văn Bí Mật", "0987654321", "bimat@example.vn"


@pytest.fixture
def wall_server(ready_db: str, media_root) -> Iterator[tuple[str, object]]:
    app = create_app({"IOC_SUBMIT_RATE": "1000 per minute"})
    create_user("manhinh", "wall_display", PASSWORD, full_name="Màn hình IOC")
    for hours in (1, 30, 100):
        make_report(ready_db, steps=hours % 3)
    with serve(app) as url:
        yield url, app


def sign_in(page, base: str, username: str, password: str = PASSWORD) -> None:
    page.goto(base + "/login")
    page.fill("#login-username", username)
    page.fill("#login-password", password)
    page.click("#login-submit")
    page.wait_for_url(lambda url: not url.endswith("/login"))


def test_wall_is_live_and_shows_no_personal_data(wall_server, page) -> None:
    base, app = wall_server
    bodies: list[str] = []
    page.on("response", lambda r: bodies.append(_text(r)))
    sign_in(page, base, "manhinh")
    assert page.url.endswith("/wall")  # the display role lands on its screen
    page.wait_for_selector("#wall-kpi-received_today .kpi-value:text-matches('^[0-9.]+$')")
    page.wait_for_selector(".cluster-icon, .sla-marker")
    assert page.locator(".nav").is_hidden()  # full screen: no menu
    assert page.locator(".ticker-item").count() == 3

    client = app.test_client()
    response = post_report(client, report_body(name=SECRET_NAME, phone=SECRET_PHONE,
                                               email=SECRET_EMAIL))
    assert response.status_code == 201
    code = response.get_json()["code"]
    started = time.monotonic()
    page.wait_for_selector(f".ticker-item:has-text('{code}')", timeout=5000)
    assert time.monotonic() - started <= 5.0
    page.wait_for_selector(f".leaflet-marker-icon[title='{code} (mới)']", timeout=1000)
    seen = "\n".join(bodies)
    assert code in seen
    for private in (SECRET_NAME, SECRET_PHONE, SECRET_EMAIL):
        assert private not in seen
    assert_no_console_errors(page)


def _text(response) -> str:
    try:
        return response.text()
    except Exception:  # redirects and aborted requests have no body
        return ""

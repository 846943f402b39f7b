"""The dashboard's frame: sign-in, the page each role may open, 404, sign-out, CSRF on callbacks."""

from __future__ import annotations

import pytest
from api_helpers import PASSWORD, STAFF
from browser_helpers import assert_no_console_errors

from backend.services.access.auth import StaffUser
from dashboard import access, pages
from dashboard.callbacks import router
from dashboard.wsgi import create_app


def _as(role: str, agency: str | None = None) -> StaffUser:
    return StaffUser(1, f"user_{role}", None, role, agency, "csrf", "hash")


def _ids(component) -> set[str]:
    """Every component id in a layout tree."""
    found = set()
    stack = [component]
    while stack:
        node = stack.pop()
        if isinstance(node, list | tuple):
            stack.extend(node)
            continue
        if getattr(node, "id", None):
            found.add(node.id)
        children = getattr(node, "children", None)
        if children is not None and not isinstance(children, str):
            stack.append(children)
    return found


@pytest.mark.parametrize(("role", "home"), [
    ("wall_display", "/wall"), ("ioc_handler", "/triage"), ("agency_handler", "/agency"),
    ("agency_leader", "/agency"), ("provincial_leader", "/leaders"), ("admin", "/admin")])
def test_each_role_lands_on_its_page_and_sees_only_its_menu(role, home, monkeypatch) -> None:
    monkeypatch.setattr(access, "viewer", lambda: _as(role, "ubnd_05443"))
    assert pages.home(role) == home
    menu = [path for path, _label in pages.menu(_as(role))]
    assert home in menu
    assert all(role in pages.page(path).roles for path in menu)
    if role != "admin":
        assert "/admin" not in menu


def test_router_without_a_session_shows_the_login_form(monkeypatch) -> None:
    monkeypatch.setattr(access, "viewer", lambda: None)
    page, nav, css = router.render("/triage")
    assert "login-username" in _ids(page)
    assert "nav-logout" not in _ids(nav)


def test_router_refuses_a_page_of_another_role_and_answers_404(monkeypatch) -> None:
    monkeypatch.setattr(access, "viewer", lambda: _as("wall_display"))
    forbidden, _, _ = router.render("/admin")
    assert "Không có quyền" in str(forbidden)
    missing, _, _ = router.render("/khong-co-trang-nay")
    assert "404" in str(missing) and "/khong-co-trang-nay" in str(missing)
    wall, _, css = router.render("/")
    assert "wall-tick" in _ids(wall) and "full-screen" in css


@pytest.fixture
def app_client(ready_db: str, media_root, staff_accounts):
    return create_app({"TESTING": True}).test_client()


def _login_callback(client, username: str, password: str, headers=None):
    body = {
        "output": "..redirect.href...login-error.children..",
        "outputs": [{"id": "redirect", "property": "href"},
                    {"id": "login-error", "property": "children"}],
        "inputs": [{"id": "login-submit", "property": "n_clicks", "value": 1},
                   {"id": "login-username", "property": "n_submit", "value": 0},
                   {"id": "login-password", "property": "n_submit", "value": 0}],
        "changedPropIds": ["login-submit.n_clicks"],
        "state": [{"id": "login-username", "property": "value", "value": username},
                  {"id": "login-password", "property": "value", "value": password},
                  {"id": "login-next", "property": "data", "value": "/"}],
    }
    return client.post("/_dash-update-component", json=body, headers=headers or {})


def test_login_callback_signs_in_and_sets_the_csrf_cookie(app_client) -> None:
    wrong = _login_callback(app_client, "ioc_lan", "sai-mat-khau-roi")
    assert wrong.status_code == 200
    assert "không đúng" in wrong.get_json()["response"]["login-error"]["children"]
    right = _login_callback(app_client, "ioc_lan", PASSWORD)
    assert right.get_json()["response"]["redirect"]["href"] == "/triage"
    cookies = {c.key: c for c in app_client._cookies.values()}
    assert "ioc_session" in cookies and "_csrf_token" in cookies
    assert not cookies["_csrf_token"].http_only  # the page's script sends it back as a header


def test_callbacks_with_a_session_need_the_csrf_header(app_client) -> None:
    assert _login_callback(app_client, "ioc_lan", PASSWORD).status_code == 200
    token = next(c.value for c in app_client._cookies.values() if c.key == "_csrf_token")
    forged = _login_callback(app_client, "ioc_lan", PASSWORD)  # no X-CSRFToken header
    assert forged.status_code == 403
    sent = _login_callback(app_client, "ioc_lan", PASSWORD, headers={"X-CSRFToken": token})
    assert sent.status_code == 200


def test_unknown_api_paths_stay_json_404(app_client) -> None:
    answer = app_client.get("/api/v1/khong-co")
    assert answer.status_code == 404 and answer.get_json()["error"] == "not_found"


def test_sign_in_navigate_404_and_sign_out_in_the_browser(dash_live, page) -> None:
    page.goto(dash_live + "/leaders")
    page.wait_for_selector("#login-username")
    page.wait_for_timeout(500)  # the router has drawn the form; nothing was typed yet
    assert page.inner_text("#login-error") == ""  # no error before anyone asked
    page.fill("#login-username", "lanh_dao_tinh")
    page.fill("#login-password", "khong-dung-mat-khau")
    page.click("#login-submit")
    page.wait_for_selector("#login-error:has-text('không đúng')")
    page.fill("#login-password", PASSWORD)
    page.press("#login-username", "Enter")  # the keyboard works as well as the button
    page.wait_for_url(dash_live + "/leaders")
    page.wait_for_selector(".nav-user:has-text('Lãnh đạo UBND tỉnh')")
    assert page.locator(".nav-link").all_inner_texts() == [
        page.label for page in pages.PAGES if STAFF["lanh_dao_tinh"][0] in page.roles]
    page.goto(dash_live + "/khong-co-trang-nay")
    page.wait_for_selector("h1:has-text('404')")
    page.click("#nav-logout")
    page.wait_for_url(dash_live + "/login")
    page.wait_for_selector("#login-username")
    page.goto(dash_live + "/leaders")
    page.wait_for_selector("#login-username")  # signed out for real: the form again
    assert_no_console_errors(page)

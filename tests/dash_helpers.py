"""Shared fixtures for dashboard tests: the whole app (API server + Dash), served live.

A fixture plugin, declared once in `conftest.py`. `dash_app` is
`dashboard.wsgi.create_app` on the test database (`ready_db`, both backends) with the STAFF
accounts of api_helpers; `dash_live` serves it with werkzeug on a free port; `sign_in_browser`
signs a Playwright tab in through the login page; `dash_id` writes a pattern-matching id the way
Dash puts it in the page (JSON, keys sorted), for selectors.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from api_helpers import serve
from flask import Flask

from backend.services.access.auth import StaffUser

PASSWORD = "mat-khau-thu-nghiem-2026"  # the same as api_helpers.PASSWORD


@pytest.fixture
def dash_app(ready_db: str, media_root, staff_accounts) -> Flask:
    """The full web application (API and dashboard) on the test database, STAFF signed up."""
    # imported here: this plugin is loaded for every test (conftest), Dash only for these
    from dashboard.wsgi import create_app

    return create_app({"IOC_SUBMIT_RATE": "1000 per minute"})


@pytest.fixture
def dash_live(dash_app: Flask) -> Iterator[str]:
    """`dash_app` served live on a free port; yields the base URL."""
    with serve(dash_app) as url:
        yield url


def sign_in_browser(tab, base: str, username: str, path: str, password: str = PASSWORD) -> None:
    """Sign `tab` in through the login page and wait until `path` is shown."""
    tab.goto(f"{base}/login")
    tab.wait_for_selector("#login-username")
    tab.fill("#login-username", username)
    tab.fill("#login-password", password)
    tab.click("#login-submit")
    tab.wait_for_selector(".nav-user")
    if not tab.url.endswith(path):
        tab.goto(base + path)
    tab.wait_for_selector(".nav-user")


def dash_id(**parts: Any) -> str:
    """A CSS selector for the element with this pattern-matching id."""
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "[id='" + text.replace("'", "\\'") + "']"


def action_button(page_name: str, action: str) -> str:
    """Selector of a workflow action's button on a page (the shared action form)."""
    return dash_id(action=action, page=page_name, type="wf-act")


def wait_done(tab, page_name: str, text: str) -> None:
    """Wait for the page's success line containing `text`."""
    tab.wait_for_selector(f"#{page_name}-feedback .feedback.ok:has-text('{text}')")


def open_row(tab, page_name: str, code: str) -> None:
    """Click a report's row in a page's queue and wait for its panel."""
    tab.click(f"#{page_name}-grid .ag-pinned-left-cols-container [row-id='{code}']")
    tab.wait_for_selector(f"#{page_name}-panel .rp-code:has-text('{code}')")


def staff(username: str) -> StaffUser:
    """A signed-in staff member of the test cast (api_helpers.STAFF), as callbacks see them."""
    from api_helpers import STAFF

    role, agency_code = STAFF[username]
    return StaffUser(1, username, username, role, agency_code, "csrf", "hash")


def texts(component) -> str:
    """All the text of a component tree, to look for what a person would read."""
    found, stack = [], [component]
    while stack:
        node = stack.pop()
        if node is None:
            continue
        if isinstance(node, str | int | float):
            found.append(str(node))
            continue
        if isinstance(node, list | tuple):
            stack.extend(reversed(node))
            continue
        for prop in ("value", "label"):
            value = getattr(node, prop, None)
            if isinstance(value, str):
                found.append(value)
        stack.append(getattr(node, "children", None))
    return " ".join(found)

"""Browser tests in real headless Chromium (Debian's /usr/bin/chromium, driven by Playwright).

A fixture plugin, declared once in `conftest.py`. `page` is a fresh tab whose
console errors and uncaught page errors are collected; `assert_no_console_errors(page)` checks
them (DASH.md: a browser test asserts no browser errors). Skips with a reason when Chromium is
not installed (`make test` installs it; CI always has it).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

CHROMIUM = os.environ.get("IOC_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage"]
DESKTOP = {"width": 1600, "height": 1000}
PHONE = {"width": 360, "height": 740}


@pytest.fixture(scope="session")
def browser() -> Iterator:
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM}: install Debian's chromium (make test does)")
    from playwright.sync_api import sync_playwright

    # Playwright gives every launch a fresh temporary profile (what --user-data-dir would do)
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=FLAGS)
        try:
            yield instance
        finally:
            instance.close()


def _collecting_page(browser, viewport: dict) -> tuple:
    context = browser.new_context(viewport=viewport, locale="vi-VN",
                                  timezone_id="Asia/Ho_Chi_Minh")
    page = context.new_page()
    page.console_errors = []  # type: ignore[attr-defined]
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    page.on("pageerror", lambda e: page.console_errors.append(str(e)))
    page.set_default_timeout(15_000)
    return context, page


@pytest.fixture
def page(browser) -> Iterator:
    """A desktop-sized tab (1600×1000) in its own browser context (own cookies)."""
    context, tab = _collecting_page(browser, DESKTOP)
    yield tab
    context.close()


@pytest.fixture
def new_page(browser) -> Iterator:
    """`new_page(viewport=PHONE)`: more tabs, each with its own cookies (two people at once)."""
    contexts = []

    def _new(viewport: dict = DESKTOP):
        context, tab = _collecting_page(browser, viewport)
        contexts.append(context)
        return tab

    yield _new
    for context in contexts:
        context.close()


def assert_no_console_errors(tab) -> None:
    assert tab.console_errors == [], tab.console_errors

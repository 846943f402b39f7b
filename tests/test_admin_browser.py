"""Administration `/admin` in headless Chromium: the administrator signs in through the login page,
opens every tab, creates an account (after an inline refusal), adds an override day and removes
it through the confirmation dialog, and finds both in the change log; no browser console error."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from api_helpers import serve
from browser_helpers import assert_no_console_errors

from backend.domain.roles import role_label
from backend.services.access.auth import create_user
from dashboard.layouts.admin import TABS
from dashboard.wsgi import create_app

PASSWORD = "mat-khau-quan-tri-2026"


@pytest.fixture
def admin_live(ready_db: str, media_root) -> Iterator[str]:
    """The whole application on the test database with one administrator, served by werkzeug."""
    create_user("quantri", "admin", PASSWORD, full_name="Quản trị hệ thống")
    with serve(create_app({"TESTING": True})) as url:
        yield url


def choose(tab, dropdown_id: str, value: str, search: str = "") -> None:
    """Pick `value` in a Dash dropdown (typing `search` first in a long list)."""
    tab.click(f"#{dropdown_id}")
    if search:
        tab.fill(".dash-dropdown-search", search)
    tab.click(f".dash-dropdown-option:has(input[value='{value}'])")


def open_tab(tab, label: str) -> None:
    tab.locator("#admin-tabs").get_by_text(label, exact=True).click()


def test_admin_page_users_calendar_and_log(admin_live: str, page) -> None:
    page.goto(f"{admin_live}/login")
    page.fill("#login-username", "quantri")
    page.fill("#login-password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url("**/admin")
    page.wait_for_selector("#admin-users-grid [row-id='quantri']")

    # every tab opens and fills its grid
    expected = {"agencies": "#admin-agencies-grid [row-id='dien_luc']",
                "fields": "#admin-rules-grid [col-id='place']:has-text('Phường')",
                "budgets": "#admin-budgets-grid [row-id='verify']",
                "calendar": "#admin-overrides-grid [row-id='2026-01-10']",
                "log": "#admin-log-grid :text('Chưa có dữ liệu')",  # nothing changed yet
                "users": "#admin-users-grid [row-id='quantri']"}
    for key, label in [*TABS[1:], TABS[0]]:
        open_tab(page, label)
        page.wait_for_selector(expected[key])

    # a refusal is shown under its field; the account is then created
    page.fill("#admin-user-new-username", "xl_moi")
    page.fill("#admin-user-new-full_name", "Nguyễn Văn Mới")
    choose(page, "admin-user-new-role", "agency_handler")
    choose(page, "admin-user-new-agency", "ubnd_05443", "phan dinh phung")
    page.fill("#admin-user-new-password", "ngan")
    page.click("#admin-user-new-submit")
    page.wait_for_selector("#admin-user-new-password-error:has-text('ít nhất 10 ký tự')")
    page.fill("#admin-user-new-password", "mat-khau-moi-du-dai")
    page.click("#admin-user-new-submit")
    page.wait_for_selector("#admin-flash:has-text('Đã tạo tài khoản xl_moi')")
    page.wait_for_selector("#admin-users-grid [row-id='xl_moi']")
    assert page.inner_text("#admin-user-new-password-error") == ""
    page.click("#admin-users-grid [row-id='xl_moi'] [col-id='username']")
    page.wait_for_selector(f"#admin-user-selected:has-text('{role_label('agency_handler')}')")

    # the agencies name their kind in words; a commune's committee, its unit
    open_tab(page, "Cơ quan xử lý")
    page.fill("#admin-agencies-search", "Phan Đình Phùng")
    row = "#admin-agencies-grid [row-id='ubnd_05443']"
    page.wait_for_selector(f"{row} [col-id='kind_label']:has-text('UBND xã/phường')")
    page.wait_for_selector(f"{row} [col-id='unit_name']:has-text('Phường Phan Đình Phùng')")
    # a routing rule's place: an area or a unit from the add form's choices
    open_tab(page, "Lĩnh vực và định tuyến")
    page.click("#admin-rule-new-place")
    page.fill(".dash-dropdown-search", "khu vuc ba be")
    page.wait_for_selector(".dash-dropdown-option:has(input[value='ba_be'])")
    page.keyboard.press("Escape")

    # an extra working Saturday, then removed after confirming
    open_tab(page, "Lịch làm việc")
    page.wait_for_selector("#admin-season-winter-s1-from[value='07:30']")
    page.fill("#admin-override-day", "05/12/2026")
    page.fill("#admin-override-note", "Làm bù theo văn bản thử nghiệm số 01")
    page.click("#admin-override-submit")
    page.wait_for_selector("#admin-flash:has-text('Thứ Bảy 05/12/2026')")
    page.wait_for_selector("#admin-overrides-grid [row-id='2026-12-05']")
    questions = []
    page.on("dialog", lambda dialog: (questions.append(dialog.message), dialog.accept()))
    page.click("#admin-overrides-grid [row-id='2026-12-05'] [col-id='note']")
    page.click("#admin-override-remove:not([disabled])")
    page.wait_for_selector("#admin-flash:has-text('Đã xóa điều chỉnh ngày 05/12/2026')")
    assert questions and "Xóa điều chỉnh Thứ Bảy 05/12/2026" in questions[0]
    page.wait_for_selector("#admin-overrides-grid [row-id='2026-12-05']", state="detached")

    # every change is in the log, newest first
    open_tab(page, "Nhật ký thay đổi")
    page.wait_for_selector("#admin-log-grid :text('Xóa ngày điều chỉnh')")
    first = page.locator("#admin-log-grid .ag-center-cols-container .ag-row[row-index='0']")
    assert "Xóa ngày điều chỉnh" in first.inner_text()
    for text in ("Thêm ngày điều chỉnh", "Tạo tài khoản xl_moi"):
        page.wait_for_selector(f"#admin-log-grid :text('{text}')")
    assert_no_console_errors(page)

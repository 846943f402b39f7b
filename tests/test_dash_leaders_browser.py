"""The leadership page in real headless Chromium: a provincial leader signs in through /login,
lands on /leaders, sees the figures with no console error, changes the period and a filter,
clicks a figure to see the reports behind it and opens one, and downloads the month's pack made
by the background callback (a zip of the Word report, the workbook and the CSV); and directs an
escalated report to an agency from its detail (D7.2c)."""

from __future__ import annotations

import io
import zipfile

import pytest
from api_helpers import ACTORS, AGENCY, OTHER_AGENCY, make_report
from browser_helpers import assert_no_console_errors
from dash_helpers import dash_id, sign_in_browser

from backend.services import kpis
from backend.services.access.auth import StaffUser
from backend.services.kpis import leaders as service
from backend.services.workflow.steps import perform_action

LEADER = StaffUser(7, "lanh_dao_tinh", "Lãnh đạo tỉnh", "provincial_leader", None, "c", "h")


@pytest.fixture
def reports(ready_db: str) -> list[str]:
    """Reports of this month in Phường Phan Đình Phùng (TP Thái Nguyên): two published
    (through the ward's People's Committee), two new."""
    return [make_report(ready_db, steps=steps) for steps in (6, 6, 0, 2)]


def choose(tab, dropdown_id: str, value: str) -> None:
    """Pick `value` in a Dash dropdown."""
    tab.click(f"#{dropdown_id}")
    tab.click(f".dash-dropdown-option:has(input[value='{value}'])")


def test_leader_reads_the_page_clicks_through_and_downloads_a_pack(dash_live, reports, page,
                                                                    tmp_path) -> None:
    sign_in_browser(page, dash_live, "lanh_dao_tinh", "/leaders")
    assert page.url.endswith("/leaders")  # a provincial leader lands here
    page.wait_for_selector("#leaders-tile-received .ld-tile-value:text-is('4')")
    month = service.current_period("month")
    assert month.title_vi in page.inner_text("#leaders-subtitle")
    page.wait_for_selector("#leaders-trend .barlayer .point", state="attached")  # 12 months
    assert page.locator("#leaders-trend .barlayer .point").count() == 12
    page.wait_for_selector("#leaders-heatmap .heatmaplayer", state="attached")
    assert "Toàn quy trình" in page.inner_text("#leaders-stages")

    # the quarter, then one agency
    page.click("#leaders-kind label:has-text('Quý')")
    quarter = service.current_period("quarter")
    page.wait_for_selector(f"#leaders-subtitle:has-text('{quarter.title_vi}')")
    assert page.inner_text("#leaders-pack-quarter") == f"Tải báo cáo {quarter.label_vi}"
    # typed without diacritics, the agency is still found
    page.click("#leaders-agency")
    page.keyboard.type("phan dinh phung")
    page.click(f".dash-dropdown-option:has(input[value='{AGENCY}'])")
    page.wait_for_selector("#leaders-subtitle .ld-filter-chip:has-text('UBND phường Phan Đình "
                           "Phùng')")
    page.wait_for_selector("#leaders-tile-received .ld-tile-value:text-is('3')")  # forwarded ones

    # a figure opens the reports behind it; a code opens the report
    page.click("#leaders-tile-received .ld-tile-value")
    page.wait_for_selector("#leaders-drawer.open .chip-code")
    listed = page.locator("#leaders-drawer .chip-code").all_inner_texts()
    expected = kpis.report_codes("received", quarter, kpis.Filters(agency=AGENCY))
    assert sorted(listed) == sorted(expected) and len(listed) == 3
    page.click(f"#leaders-drawer .chip-code:text-is('{reports[0]}')")
    page.wait_for_selector(f"#leaders-drawer.detail .rp-code:text-is('{reports[0]}')")
    assert "lịch sử xử lý" in page.inner_text("#leaders-drawer-detail").lower()
    assert "0912345678" not in page.inner_text("#leaders-drawer-detail")  # no reporter here
    page.click("#leaders-drawer-back")
    page.wait_for_selector("#leaders-drawer.open:not(.detail) .chip-code")
    page.click("#leaders-drawer-close")
    page.wait_for_selector("#leaders-drawer:not(.open)", state="attached")

    # the pack of this month, for this agency, made in the background
    with page.expect_download(timeout=120_000) as download:
        page.click("#leaders-pack-month")
        page.wait_for_selector(".pack-box.running", timeout=10_000)
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name == f"bao-cao-phan-anh-{month.code}.zip"
    assert "/api/v1/packs/" in download.value.url  # streamed by the server, not from a callback
    names = zipfile.ZipFile(io.BytesIO(saved.read_bytes())).namelist()
    assert sorted(n.rsplit(".", 1)[1] for n in names) == ["csv", "docx", "xlsx"]
    page.wait_for_selector(f"#leaders-pack-status:has-text('{saved.name}')")
    assert page.is_enabled("#leaders-pack-month")
    with page.expect_download() as again:  # the status line's link fetches it again
        page.click("#leaders-pack-status a.pack-again")
    assert again.value.suggested_filename == saved.name
    assert_no_console_errors(page)


def test_leader_directs_an_escalated_report_from_its_detail(dash_live, ready_db: str,
                                                             page) -> None:
    code = make_report(ready_db, steps=1)  # accepted by the IOC, then escalated
    perform_action(code, "escalate", ACTORS["ioc_lan"],
                   {"reason": "Hai cơ quan không thống nhất thẩm quyền"}, url=ready_db)
    sign_in_browser(page, dash_live, "lanh_dao_tinh", "/leaders")
    button = f"#leaders-escalations button:text-is('{code}')"
    page.wait_for_selector(button)
    page.click(button)

    form = "#leaders-drawer.detail .ld-direct"
    page.wait_for_selector(f"{form} :text('Gợi ý theo quy tắc phân phối')")
    agency = dash_id(code=code, name="agency", type="leaders-direct")
    page.click(agency)  # another agency than the routing rule's, found by typing: the list
    page.fill(".dash-dropdown-search", "dien luc")  # holds every commune's committee too
    page.click(f".dash-dropdown-option:has(input[value='{OTHER_AGENCY}'])")
    page.fill(dash_id(code=code, name="direction", type="leaders-direct"),
              "Giao Điện lực chủ trì, phối hợp UBND thành phố xử lý dứt điểm.")
    page.click(f"{form} .ld-direct-send")

    page.wait_for_selector(f"#leaders-drawer-detail .feedback.ok:has-text('Đã gửi chỉ đạo: phản "
                           f"ánh {code}')")
    assert page.locator(form).count() == 0  # forwarded now: read only
    page.wait_for_selector("#leaders-escalations :text('Không có phản ánh nào đang chờ UBND "
                           "tỉnh chỉ đạo.')")
    detail = service.report_brief(code, LEADER)
    assert detail["state"] == "forwarded" and detail["agency"] == OTHER_AGENCY
    assert_no_console_errors(page)


def test_leader_filters_by_area_and_unit_and_drills_down(dash_live, reports, page) -> None:
    """Every report is in Phường Phan Đình Phùng (TP Thái Nguyên): another area shows none; the
    unit's choices follow the area; the heatmap and the places table drill from the areas to
    one area's units; the map shows the units with its toggle."""
    sign_in_browser(page, dash_live, "lanh_dao_tinh", "/leaders")
    page.wait_for_selector("#leaders-tile-received .ld-tile-value:text-is('4')")
    page.wait_for_selector("#leaders-heatmap .xtick text:has-text('TP Thái')", state="attached")

    # the places table: an area's name opens its units, in the table and the heatmap
    page.click("#leaders-place-table .ld-area-open:has-text('TP Thái Nguyên')")
    page.wait_for_selector("#leaders-place-table :text('Xã/phường của khu vực TP Thái Nguyên')")
    page.wait_for_selector("#leaders-place-table td:text-is('Phường Phan Đình Phùng')")
    page.wait_for_selector("#leaders-heatmap .xtick text:has-text('Phan Đình')", state="attached")
    page.click("#leaders-place-table .ld-back-areas")
    page.wait_for_selector("#leaders-place-table .ld-area-open")

    # the map: the units with the toggle, and the note on their boundaries
    assert page.locator("#leaders-map .approx-note").count() == 0
    page.click("#leaders-map-level label:has-text('Xã/phường')")
    page.wait_for_selector("#leaders-map .approx-note:has-text('Ranh giới xã/phường gần đúng')")
    page.wait_for_selector("#leaders-map-legend :text('theo xã/phường')")

    # filters: another area has none; the unit's choices follow the area
    choose(page, "leaders-area", "ba_be")
    page.wait_for_selector("#leaders-tile-received .ld-tile-value:text-is('0')")
    page.wait_for_selector("#leaders-subtitle .ld-filter-chip:has-text('Khu vực: Ba Bể')")
    page.click("#leaders-unit")
    page.fill(".dash-dropdown-search", "phan dinh phung")
    assert page.locator(".dash-dropdown-option:has(input[value='05443'])").count() == 0
    page.keyboard.press("Escape")
    choose(page, "leaders-area", "tp_thai_nguyen")
    page.wait_for_selector("#leaders-tile-received .ld-tile-value:text-is('4')")
    page.click("#leaders-unit")
    page.fill(".dash-dropdown-search", "phan dinh phung")
    page.click(".dash-dropdown-option:has(input[value='05443'])")
    page.wait_for_selector("#leaders-subtitle .ld-filter-chip:has-text('Xã/phường: Phường Phan "
                           "Đình Phùng')")
    page.wait_for_selector("#leaders-tile-received .ld-tile-value:text-is('4')")
    # filtered by an area, the heatmap shows that area's units
    page.wait_for_selector("#leaders-heatmap .xtick text:has-text('Phan Đình')", state="attached")
    assert_no_console_errors(page)

"""The workflow pages in headless Chromium: a report triaged from the map and the keyboard,
received and answered by the agency, approved by its leader, published by the IOC. Every page
loads and works with no browser console error."""

from __future__ import annotations

import io

from api_helpers import (
    AGENCY,
    LAT,
    LON,
    RESULT,
    STAFF,
    jpeg_bytes,
    make_report,
    post_report,
    report_body,
)
from browser_helpers import assert_no_console_errors
from dash_helpers import (
    action_button,
    dash_id,
    open_row,
    sign_in_browser,
    wait_done,
)

from backend.services.access.auth import StaffUser
from backend.services.reads.queries import report_detail


def _state(code: str) -> dict:
    role, agency = STAFF["ioc_lan"]
    return report_detail(code, StaffUser(1, "ioc_lan", None, role, agency, "", ""))


def _with_photo(app) -> str:
    """A report sent through the API with one photo (the panel shows its thumbnail)."""
    form = {k: str(v).lower() if isinstance(v, bool) else str(v)
            for k, v in report_body(lat=LAT + 0.15, lon=LON - 0.1).items()}
    form["photos"] = (io.BytesIO(jpeg_bytes((320, 240))), "o-ga.jpg")
    answer = post_report(app.test_client(), data=form, content_type="multipart/form-data")
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["code"]


def test_triage_from_the_map_and_the_keyboard_take_accept_forward(dash_live, dash_app, ready_db,
                                                                   page) -> None:
    code = make_report(ready_db)                        # submitted, no field yet
    other = _with_photo(dash_app)
    sign_in_browser(page, dash_live, "ioc_lan", "/triage")
    page.wait_for_selector(f"#triage-grid [row-id='{other}']")
    page.wait_for_selector("#triage-count:has-text('2 phản ánh')")

    # a point on the map opens its report
    page.wait_for_load_state("networkidle")
    page.click(f"#triage-map .leaflet-marker-icon[title='{code}']")
    page.wait_for_selector(f"#triage-panel .rp-code:has-text('{code}')")
    page.wait_for_selector("#triage-panel :text('Trần Thị Bình')")  # the IOC sees the reporter
    assert page.locator(action_button("triage", "accept")).is_disabled()      # not taken yet

    # the keyboard: search with "/", back to the queue with Esc, J/K to move, Enter to open
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "triage-f-text"
    page.fill("#triage-f-text", other)  # typed at once (zero-delay typing races React)
    page.keyboard.press("Enter")
    page.wait_for_selector("#triage-count:has-text('1 phản ánh')")
    page.keyboard.press("Escape")
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#triage-panel .rp-code:has-text('{other}')")
    page.wait_for_function("(() => { const i = document.querySelector('#triage-panel img.thumb');"
                           " return i && i.complete && i.naturalWidth === 320; })()")
    page.fill("#triage-f-text", "")
    page.press("#triage-f-text", "Enter")
    page.wait_for_selector("#triage-count:has-text('2 phản ánh')")
    page.keyboard.press("Escape")  # back in the queue, a row focused
    at = page.evaluate("dash_ag_grid.getApi('triage-grid').getFocusedCell().rowIndex")
    page.keyboard.press("j" if at == 0 else "k")
    target = page.get_attribute(
        f"#triage-grid .ag-pinned-left-cols-container .ag-row[row-index='{1 - at}']", "row-id")
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#triage-panel .rp-code:has-text('{target}')")
    if target != code:
        open_row(page, "triage", code)  # and a click on a row

    # N takes the report; then accept, then classify and forward to the suggested agency
    page.keyboard.press("n")
    wait_done(page, "triage", "Bạn đã nhận xử lý")
    page.wait_for_selector(f"#triage-grid [row-id='{code}'] .cell-held-me")
    page.click(action_button("triage", "accept"))
    wait_done(page, "triage", "Trạng thái mới: Đã tiếp nhận, chờ phân loại")
    page.click("#triage-panel .af-forward > summary")
    page.wait_for_selector("#triage-panel .af-forward :text('Gợi ý theo quy tắc phân phối')")
    page.click(action_button("triage", "forward"))
    wait_done(page, "triage", "Trạng thái mới: Đã chuyển cơ quan xử lý")
    detail = _state(code)
    assert detail["state"] == "forwarded" and detail["agency"] == AGENCY
    assert detail["field"] == "do_thi_xay_dung"  # suggested from the description's keywords
    page.wait_for_selector(f"#triage-grid [row-id='{code}']", state="detached")
    assert_no_console_errors(page)


def test_agency_receives_and_answers_then_the_leader_approves(dash_live, ready_db, page,
                                                              new_page) -> None:
    code = make_report(ready_db, steps=2)  # forwarded to UBND phường Phan Đình Phùng
    sign_in_browser(page, dash_live, "xl_164", "/agency")
    page.wait_for_selector("#agency-summary :text('Đang mở tại đơn vị')")
    page.wait_for_selector("#agency-title:has-text('UBND phường Phan Đình Phùng')")
    open_row(page, "agency", code)
    assert page.locator("#agency-panel :text('Trần Thị Bình')").count() == 0  # no identity
    page.click(action_button("agency", "receive"))
    wait_done(page, "agency", "Trạng thái mới: Đang xử lý")
    page.click("#agency-panel .af-submit_result > summary")
    page.fill(dash_id(action="submit_result", name="result", page="agency", type="wf-param"),
              RESULT)
    page.click(action_button("agency", "submit_result"))
    wait_done(page, "agency", "Trạng thái mới: Chờ lãnh đạo phê duyệt")
    assert_no_console_errors(page)

    leader = new_page()
    sign_in_browser(leader, dash_live, "ld_164", "/agency")
    leader.wait_for_selector("h1:has-text('Phê duyệt kết quả xử lý')")
    open_row(leader, "agency", code)
    leader.wait_for_selector(f"#agency-panel .rp-text.result:has-text('{RESULT[:30]}')")
    leader.click(action_button("agency", "approve"))
    wait_done(leader, "agency", "Trạng thái mới: Đã phê duyệt, chờ công khai")
    assert _state(code)["state"] == "approved"
    assert_no_console_errors(leader)


def test_publish_with_the_live_preview(dash_live, ready_db, page) -> None:
    code = make_report(ready_db, steps=5)  # approved by the agency's leader
    edited = "Ngày 12/3/2026 đã dọn toàn bộ vật liệu, trả lại vỉa hè cho người đi bộ."
    sign_in_browser(page, dash_live, "ioc_lan", "/publish")
    open_row(page, "publish", code)
    page.wait_for_selector("#publish-preview .letter:has-text('UBND phường Phan Đình Phùng')")
    editor = dash_id(action="publish", name="result", page="publish", type="wf-param")
    assert page.input_value(editor) == RESULT
    page.click("#publish-panel .js-take")
    wait_done(page, "publish", "Bạn đã nhận xử lý")
    page.wait_for_selector("#publish-panel .hold-row.mine")  # the panel shown anew, held
    page.fill(editor, edited)
    page.wait_for_selector(f"#publish-preview .letter:has-text('{edited}')")
    page.click(action_button("publish", "publish"))
    wait_done(page, "publish", "Trạng thái mới: Đã công khai kết quả")
    detail = _state(code)
    assert detail["state"] == "published" and edited in detail["answer"]
    assert detail["answer"].startswith("UBND phường Phan Đình Phùng")
    assert_no_console_errors(page)

"""One report through the whole workflow in the browser (issue 4's end-to-end walk): submitted
through the API, taken, accepted and forwarded from the map by the IOC, received and answered by
the agency, approved by its leader, published by the IOC, and then shown as published on the
wall screen. Each person signs in in their own browser context, as they would at their desk."""

from __future__ import annotations

from api_helpers import AGENCY, PASSWORD, RESULT, post_report, report_body
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


def test_one_report_from_the_citizen_to_the_wall(dash_live, dash_app, new_page) -> None:
    answer = post_report(dash_app.test_client(), report_body())  # building material on a pavement
    assert answer.status_code == 201, answer.get_json()
    code = answer.get_json()["code"]

    # IOC handler: finds it on the map, takes it, accepts, classifies and forwards (D6-D7)
    ioc = new_page()
    sign_in_browser(ioc, dash_live, "ioc_lan", "/triage")
    ioc.wait_for_load_state("networkidle")
    ioc.click(f"#triage-map .leaflet-marker-icon[title='{code}']")
    ioc.wait_for_selector(f"#triage-panel .rp-code:has-text('{code}')")
    ioc.click("#triage-panel .js-take")
    wait_done(ioc, "triage", "Bạn đã nhận xử lý")
    ioc.click(action_button("triage", "accept"))
    wait_done(ioc, "triage", "Đã tiếp nhận, chờ phân loại")
    ioc.click("#triage-panel .af-forward > summary")  # field and agency suggested by the rules
    ioc.wait_for_selector("#triage-panel .af-forward :text('Gợi ý theo quy tắc phân phối')")
    ioc.click(action_button("triage", "forward"))
    wait_done(ioc, "triage", "Đã chuyển cơ quan xử lý")
    viewer = StaffUser(1, "ioc_lan", None, "ioc_handler", None, "", "")
    assert report_detail(code, viewer)["agency"] == AGENCY  # UBND phường Phan Đình Phùng
    assert_no_console_errors(ioc)

    # the agency's handler receives and answers (D8)
    handler = new_page()
    sign_in_browser(handler, dash_live, "xl_164", "/agency")
    open_row(handler, "agency", code)
    handler.click(action_button("agency", "receive"))
    wait_done(handler, "agency", "Đang xử lý")
    handler.click("#agency-panel .af-submit_result > summary")
    handler.fill(dash_id(action="submit_result", name="result", page="agency", type="wf-param"),
                 RESULT)
    handler.click(action_button("agency", "submit_result"))
    wait_done(handler, "agency", "Chờ lãnh đạo phê duyệt")
    assert_no_console_errors(handler)

    # its leader approves (D9)
    leader = new_page()
    sign_in_browser(leader, dash_live, "ld_164", "/agency")
    open_row(leader, "agency", code)
    leader.click(action_button("agency", "approve"))
    wait_done(leader, "agency", "Đã phê duyệt, chờ công khai")
    assert_no_console_errors(leader)

    # the IOC publishes the answer in the Phụ lục II template (D10)
    ioc.goto(dash_live + "/publish")
    open_row(ioc, "publish", code)
    ioc.wait_for_selector("#publish-preview .letter:has-text('UBND phường Phan Đình Phùng')")
    ioc.click("#publish-panel .js-take")
    wait_done(ioc, "publish", "Bạn đã nhận xử lý")
    ioc.click(action_button("publish", "publish"))
    wait_done(ioc, "publish", "Đã công khai kết quả")
    assert_no_console_errors(ioc)

    # and the wall shows it as published, without any personal data on screen
    wall = new_page({"width": 1920, "height": 1080})
    wall.goto(dash_live + "/login")
    wall.fill("#login-username", "man_hinh")
    wall.fill("#login-password", PASSWORD)
    wall.click("#login-submit")
    wall.wait_for_url(dash_live + "/wall")  # a display's home; full screen, no menu
    wall.wait_for_selector(f".ticker-item:has-text('{code}'):has-text('Đã công khai kết quả')")
    assert "Phường Phan Đình Phùng" in wall.inner_text(f".ticker-item:has-text('{code}') .t-unit")
    assert "Nguyễn Văn An" not in wall.content()  # report_body's reporter
    assert_no_console_errors(wall)

"""The citizens' portal in real headless Chromium, on a 360×740 phone and a desktop window.

A citizen sends a report with a photo (a JPEG made with Pillow), picks the place on the map (or
from the phone's location), sees the tracking code; the staff take it through the workflow
(accept, forward, receive, submit_result, approve, publish: the services, as the API tests do);
the citizen finds the answer in tracking and under the public results (map and list, cleaned
photo) and rates it. No browser console errors. Also: errors next to the fields, a lost answer
retried with the same Idempotency-Key, the form without JavaScript and without the map script.

Screenshots: set IOC_SCREENSHOT_DIR (e.g. docs/screenshots) to save each page as portal_*.png.
"""

from __future__ import annotations

import os
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from api_helpers import ACTORS, LAT, LON, PHONE, TO_PUBLISHED, count_reports
from browser_helpers import DESKTOP, assert_no_console_errors
from browser_helpers import PHONE as PHONE_SIZE
from PIL import Image, ImageDraw

from backend.domain.roles import Role
from backend.domain.workflow import Actor
from backend.services.intake.submit import NewReport, submit_report
from backend.services.workflow.steps import perform_action

SIZES = {"phone": PHONE_SIZE, "desktop": DESKTOP}
SHOTS = os.environ.get("IOC_SCREENSHOT_DIR")
CODE = re.compile(r"^PA-\d{4}-\d{6}$")
DESCRIPTION = ("Ổ gà lớn giữa đường Lương Ngọc Quyến, đoạn trước cổng chợ, sâu khoảng 20 cm; "
               "buổi tối xe máy đi qua dễ bị ngã.")

# other answers already published, so the results page looks like the real one
NEIGHBOURS = (
    ("giao_thong", "so_xd", 21.6365, 105.6395,
     "Mặt đường tỉnh lộ 261 đoạn qua thị trấn Hùng Sơn có nhiều ổ gà sâu, trời mưa đọng nước, "
     "xe máy đi qua rất nguy hiểm.",
     "Sở Xây dựng đã chỉ đạo đơn vị quản lý đường bộ vá toàn bộ ổ gà trên đoạn đường phản ánh; "
     "mặt đường đã được thảm lại, giao thông an toàn."),
    ("rac_thai", "so_nnmt", 21.4905, 105.8345,
     "Rác thải sinh hoạt tập kết ở đầu ngõ 12 đường Cách Mạng Tháng Tám ba ngày chưa được thu "
     "gom, bốc mùi hôi.",
     "Đã yêu cầu đơn vị thu gom bố trí xe chở rác hằng ngày tại điểm tập kết; điểm rác đã được "
     "dọn sạch và phun khử mùi."),
    ("moi_truong", "so_nnmt", 21.4890, 105.9710,
     "Cơ sở chăn nuôi lợn ở xóm Đồng Tâm xả nước thải chưa xử lý ra suối, cá chết nổi trắng.",
     "Đoàn kiểm tra liên ngành đã lập biên bản, xử phạt cơ sở chăn nuôi và buộc khắc phục hệ "
     "thống xử lý nước thải trong 30 ngày."),
)


def shot(page, name: str) -> None:
    """Save a full-page screenshot to IOC_SCREENSHOT_DIR (if set) as portal_<name>.png."""
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.evaluate("window.scrollTo(0, 0)")
        page.wait_for_timeout(300)  # let the map settle (tooltips, canvas) before the picture
        page.screenshot(path=str(Path(SHOTS) / f"portal_{name}.png"), full_page=True)


def road_photo(path: Path) -> Path:
    """A small JPEG of a road with a pothole, made with Pillow."""
    image = Image.new("RGB", (640, 480), (120, 170, 215))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 200, 640, 480), fill=(96, 96, 100))
    draw.polygon([(300, 200), (340, 200), (420, 480), (220, 480)], fill=(120, 120, 124))
    for x in range(0, 640, 80):
        draw.rectangle((x, 330, x + 40, 338), fill=(235, 235, 235))
    draw.ellipse((250, 360, 420, 430), fill=(45, 40, 38))
    image.save(path, "JPEG", quality=85)
    return path


def publish_neighbours(url: str) -> None:
    start = datetime.now(UTC) - timedelta(days=4)
    for n, (field, agency, lat, lon, text, result) in enumerate(NEIGHBOURS):
        at = start + timedelta(hours=5 * n)
        code = submit_report(NewReport(
            description=text, lat=lat, lon=lon, reporter_name="Đỗ Văn Hàng Xóm",
            reporter_phone="0977000111", consent_version="2026-01", channel="portal"),
            now=at, url=url).code
        handler = Actor(f"xl_{agency}", Role.AGENCY_HANDLER, agency)
        leader = Actor(f"ld_{agency}", Role.AGENCY_LEADER, agency)
        steps = (("accept", ACTORS["ioc_lan"], {"field": field}),
                 ("forward", ACTORS["ioc_lan"], {"field": field, "agency": agency}),
                 ("receive", handler, {}), ("submit_result", handler, {"result": result}),
                 ("approve", leader, {}), ("publish", ACTORS["ioc_lan"], {}))
        for m, (action, actor, params) in enumerate(steps, start=1):
            perform_action(code, action, actor, params, now=at + timedelta(minutes=30 * m),
                           url=url)


def until(check, timeout: float = 15.0) -> None:
    """Poll `check()` from Python (the portal's CSP forbids the eval that wait_for_function uses)."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def wait_for_map(page, selector: str = "#map") -> None:
    page.wait_for_selector(f"{selector} path", state="attached")  # the boundaries are drawn


def fill_reporter(page) -> None:
    page.fill("#name", "Nguyễn Thị Hoa")
    page.fill("#phone", "0912 345 678")
    page.fill("#email", "hoa.nguyen@example.vn")


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_report_with_photo_to_published_answer(size, live_server, new_page, ready_db,
                                                tmp_path) -> None:
    publish_neighbours(ready_db)
    page = new_page(viewport=SIZES[size])
    page.goto(f"{live_server}/portal")
    wait_for_map(page)
    page.fill("#description", DESCRIPTION)
    page.set_input_files("#photos", str(road_photo(tmp_path / "o-ga.jpg")))
    page.wait_for_selector("#photo-previews img")
    assert page.text_content("#photos-status") == "Đã chọn 1 ảnh"
    if size == "phone":  # the phone's location
        page.context.grant_permissions(["geolocation"])
        page.context.set_geolocation({"latitude": LAT, "longitude": LON, "accuracy": 10})
        page.click("#locate-me")
    else:  # a tap on the map, where the report's place is
        page.locator("#map").scroll_into_view_if_needed()
        box = page.locator("#map").bounding_box()
        x, y = page.evaluate("([la, lo]) => { const p = document.getElementById('map').iocMap"
                             ".latLngToContainerPoint([la, lo]); return [p.x, p.y]; }", [LAT, LON])
        page.mouse.click(box["x"] + x, box["y"] + y)
    page.wait_for_selector("#place-label:not(:empty)")
    assert page.text_content("#place-label").startswith("Vị trí đã chọn:")
    assert page.input_value("#address").endswith("tỉnh Thái Nguyên")  # suggested from the point
    if size == "phone":
        assert abs(float(page.input_value("#lat")) - LAT) < 1e-5
        page.fill("#address", "Trước cổng chợ, đường Lương Ngọc Quyến, " + page.input_value("#address"))
    fill_reporter(page)
    assert not page.is_checked("#consent")  # consent is never ticked for the citizen
    page.check("#consent")
    shot(page, f"submit_{size}")

    page.click("#send")
    page.wait_for_selector("#sent:not([hidden])")
    code = page.text_content("#sent-code").strip()
    assert CODE.match(code)
    assert re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d", page.text_content("#sent-at"))
    assert not page.is_visible("#report-form")
    shot(page, f"sent_{size}")

    for action, who, params in TO_PUBLISHED:  # the staff's steps
        perform_action(code, action, ACTORS[who], params, url=ready_db)

    page.click("#sent-track")
    assert page.input_value("#code") == code
    page.fill("#phone", "0912345678")
    page.click("button[type=submit]")
    page.wait_for_selector("#state-title")
    assert page.text_content("#state-title") == "Đã có kết quả xử lý"
    assert "Kính chào: Ông/Bà" in page.text_content(".answer .letter")
    page.click("text=Hài lòng")
    page.fill("#reply", "Đường đã được vá, cảm ơn các cơ quan.")
    shot(page, f"track_{size}")
    page.click("text=Gửi đánh giá")
    page.wait_for_selector(".ok-note")
    assert "Cảm ơn bạn đã phản hồi" in page.text_content(".ok-note")
    assert page.text_content(".facts").count("Hài lòng") == 1

    page.goto(f"{live_server}/portal/results")
    page.wait_for_selector("#results-map[data-points-loaded='4']", state="attached")
    card = page.locator(f"li[id='{code}']")
    assert DESCRIPTION in card.text_content()
    assert "Người phản ánh đánh giá: Hài lòng" in card.text_content()
    photo = card.locator("img")
    photo.scroll_into_view_if_needed()
    until(lambda: photo.evaluate("img => img.complete && img.naturalWidth > 0"))
    assert re.fullmatch(r"/api/v1/media/\d+/public", photo.get_attribute("src"))
    body = page.content()
    for private in ("Nguyễn Thị Hoa", "0912", "hoa.nguyen", "Hàng Xóm", "0977000111"):
        assert private not in body
    shot(page, f"results_{size}")

    page.select_option("#field", "rac_thai")
    page.click("text=Tìm kiếm")
    page.wait_for_selector("#results-map[data-points-loaded='1']", state="attached")
    assert page.locator("li.result").count() == 1
    page.goto(f"{live_server}/portal/results/{code}")
    assert page.text_content("h2") == "Đô thị và xây dựng"
    shot(page, f"result_{size}")
    assert_no_console_errors(page)


def test_errors_are_shown_next_to_the_fields(live_server, new_page, ready_db) -> None:
    page = new_page(viewport=PHONE_SIZE)
    page.goto(f"{live_server}/portal")
    wait_for_map(page)
    page.fill("#description", "ngắn")
    page.fill("#phone", "12345")
    page.fill("#incident_date", "31/02/2026")
    page.click("#send")
    expected = {
        "#err-description": "Nội dung quá ngắn (cần ít nhất 10 ký tự).",
        "#err-place": "Vui lòng chọn vị trí trên bản đồ.",
        "#err-name": "Vui lòng nhập họ và tên người phản ánh (Điều 5 khoản 3).",
        "#err-phone": "Số điện thoại không đúng định dạng số điện thoại Việt Nam.",
        "#err-incident_time": "Ngày giờ xảy ra phải theo dạng ngày/tháng/năm và giờ:phút, "
                              "ví dụ 29/11/2026 và 08:15.",
    }
    for selector, message in expected.items():
        assert page.is_visible(selector) and page.text_content(selector) == message
    assert "91/2025/QH15" in page.text_content("#err-consent")
    assert page.get_attribute("#description", "aria-invalid") == "true"
    assert page.evaluate("document.activeElement.id") == "description"  # the first problem
    shot(page, "errors_phone")

    # what only the server knows (the point is outside the province) comes back from the API
    page.fill("#description", DESCRIPTION)
    page.fill("#incident_date", "")
    page.fill("#incident_clock", "")
    page.fill("#lat", "10.7769")
    page.fill("#lon", "106.7009")
    fill_reporter(page)
    page.check("#consent")
    page.click("#send")
    page.wait_for_selector("#err-place:not([hidden])")
    assert "ngoài" in page.text_content("#err-place")
    assert page.is_hidden("#err-name") and page.is_visible("#report-form")
    assert count_reports(ready_db) == 0
    # the API's 422 is logged by Chromium itself as a failed resource; nothing else may be
    assert page.console_errors == [
        "Failed to load resource: the server responded with a status of 422 (UNPROCESSABLE ENTITY)"]


def test_a_lost_answer_is_retried_with_the_same_key(live_server, new_page, ready_db) -> None:
    page = new_page(viewport=PHONE_SIZE)
    keys: list[str] = []

    def lose_first_answer(route):
        keys.append(route.request.headers["idempotency-key"])
        if len(keys) == 1:
            route.fetch()  # the server stores the report ...
            route.abort("connectionreset")  # ... and the answer never reaches the phone
        else:
            route.continue_()

    page.route("**/api/v1/reports", lose_first_answer)
    page.goto(f"{live_server}/portal")
    page.fill("#description", DESCRIPTION)
    page.fill("#lat", str(LAT))
    page.fill("#lon", str(LON))
    fill_reporter(page)
    page.check("#consent")
    page.click("#send")
    page.wait_for_selector("#err-form:not([hidden])")
    assert "không bị gửi trùng" in page.text_content("#err-form")
    assert count_reports(ready_db) == 1
    page.click("#send")
    page.wait_for_selector("#sent:not([hidden])")
    assert len(keys) == 2 and keys[0] == keys[1]
    assert count_reports(ready_db) == 1
    assert CODE.match(page.text_content("#sent-code").strip())


def test_the_form_works_without_javascript(live_server, browser, ready_db) -> None:
    context = browser.new_context(viewport=PHONE_SIZE, java_script_enabled=False, locale="vi-VN")
    try:
        page = context.new_page()
        page.goto(f"{live_server}/portal")
        assert page.is_hidden("#map") and page.is_visible("#lat")
        page.fill("#description", DESCRIPTION)
        page.fill("#lat", str(LAT))
        page.fill("#lon", str(LON))
        page.fill("#phone", PHONE)
        page.check("#consent")
        page.click("#send")
        assert page.text_content("#err-name").startswith("Vui lòng nhập họ và tên")
        assert page.input_value("#description") == DESCRIPTION  # what was typed stays
        assert page.is_checked("#consent")  # the citizen's own tick is kept, never made for them
        page.fill("#name", "Trần Văn Bình")
        page.click("#send")
        code = page.text_content("#sent-code").strip()
        assert CODE.match(code) and count_reports(ready_db) == 1
    finally:
        context.close()


def test_the_form_works_when_the_map_fails_to_load(live_server, new_page, ready_db) -> None:
    page = new_page(viewport=PHONE_SIZE)
    page.route("**/vendor/leaflet/leaflet.js*", lambda route: route.abort())
    page.goto(f"{live_server}/portal")
    page.wait_for_load_state("load")
    assert page.is_hidden("#map") and page.is_visible("#lat")
    page.fill("#description", DESCRIPTION)
    page.fill("#lat", "21,5942")  # a comma, as Vietnamese write decimals
    page.fill("#lon", "105,8482")
    page.dispatch_event("#lon", "change")
    until(lambda: page.input_value("#address") != "")
    fill_reporter(page)
    page.check("#consent")
    page.click("#send")
    page.wait_for_selector("#sent:not([hidden])")
    assert CODE.match(page.text_content("#sent-code").strip())
    assert count_reports(ready_db) == 1

"""The wall screen's map and panels in headless Chromium: the choropleth colours the 17 areas
("Khu vực"); zoomed in, it shows the units ("Xã/phường") with their own figures and the note that
their boundaries are approximate; the SLA heatmap's columns are areas and the ticker names the
unit. No browser console error."""

from __future__ import annotations

from api_helpers import PASSWORD, make_report
from browser_helpers import assert_no_console_errors

WALL = {"width": 1920, "height": 1080}
NOTE = "Ranh giới xã/phường gần đúng"


def tooltip_at(tab, x: float, y: float, expected: str, tries: int = 20) -> str:
    """The place layer's tooltip where the mouse rests, once it starts with `expected` (the
    values come with the wall's next tick); the last one shown otherwise."""
    text = ""
    for _ in range(tries):
        tab.mouse.move(x - 40, y - 40)
        tab.mouse.move(x, y, steps=4)
        tip = tab.locator("#wall-map .leaflet-tooltip")
        tip.first.wait_for()
        text = tip.first.inner_text()
        if text.startswith(expected):
            break
        tab.wait_for_timeout(500)
    return text


def test_wall_map_shows_areas_then_units_when_zoomed_in(dash_live, ready_db: str,
                                                       new_page) -> None:
    code = make_report(ready_db, steps=2)  # Phường Phan Đình Phùng, at its People's Committee
    wall = new_page(WALL)
    wall.goto(dash_live + "/login")
    wall.fill("#login-username", "man_hinh")
    wall.fill("#login-password", PASSWORD)
    wall.click("#login-submit")
    wall.wait_for_url(dash_live + "/wall")  # a display's home: full screen, no menu
    wall.wait_for_selector(f".ticker-item:has-text('{code}') .t-unit:has-text('Phường Phan Đình "
                           "Phùng')")
    wall.wait_for_selector(".heat-table thead th:has-text('TP Thái Nguyên')")
    assert wall.locator(".heat-table tbody td:not(.empty)").all_inner_texts() == ["0/1"]

    # the areas, coloured: next to the report's point, its area's figures
    marker = wall.locator(f"#wall-map .leaflet-marker-icon[title='{code}']")
    marker.wait_for()
    wall.wait_for_load_state("networkidle")
    box = marker.bounding_box()
    x, y = box["x"] + box["width"] / 2 + 14, box["y"] + box["height"] / 2 + 14
    area = "Khu vực TP Thái Nguyên: 1 phản ánh 30 ngày · 1 đang mở"
    assert tooltip_at(wall, x, y, area).startswith(area)
    assert wall.locator("#wall-map .approx-note").count() == 0

    # zoomed in near that point: the units, with their own figures and the note
    for _ in range(3):
        wall.mouse.dblclick(x, y)
        wall.wait_for_timeout(700)
    wall.wait_for_selector(f"#wall-map .approx-note:has-text('{NOTE}')")
    box = marker.bounding_box()  # the point has moved away from the mouse: go back next to it
    x, y = box["x"] + box["width"] / 2 + 14, box["y"] + box["height"] / 2 + 14
    unit = "Phường Phan Đình Phùng: 1 phản ánh 30 ngày · 1 đang mở"
    assert tooltip_at(wall, x, y, unit).startswith(unit)

    # and back out: the areas again, no note
    for _ in range(3):
        wall.click("#wall-map .leaflet-control-zoom-out")
        wall.wait_for_timeout(500)
    wall.wait_for_selector("#wall-map .approx-note", state="detached")
    assert_no_console_errors(wall)

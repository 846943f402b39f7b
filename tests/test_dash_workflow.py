"""Workflow pages (triage, agency, publishing) as plain functions, and their read services:
possible duplicates, the suggested agency, the unit's summary. Both database backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from api_helpers import ACTORS, AGENCY, FIELD, LAT, LON, RESULT, make_report
from dash import no_update
from dash.exceptions import PreventUpdate
from dash_helpers import staff, texts

from backend.config import LOCAL_TZ
from backend.services.reads.agency_summary import (
    AgencySummary,
    MonthSummary,
    StageCounts,
    agency_summary,
    month_bounds,
)
from backend.services.reads.queries import report_detail
from backend.services.workflow import holds
from backend.services.workflow.nearby import bounding_box, haversine_m, nearby_open
from backend.services.workflow.routing import ranked_agencies, suggest_agency, suggest_field
from backend.services.workflow.steps import perform_action
from backend.services.workflow.templates import fill_reply
from dashboard.callbacks import agency, publish, triage, workflow
from dashboard.layouts import agency as agency_layout
from dashboard.layouts import triage as triage_layout
from dashboard.layouts.triage import DEFAULT_STATES
from dashboard.widgets import action_form, queue

METRES_PER_DEG_LAT = 111_195.0


def find(component, **id_parts):
    """The components whose dict id contains `id_parts`."""
    out, stack = [], [component]
    while stack:
        node = stack.pop()
        if isinstance(node, list | tuple):
            stack.extend(node)
            continue
        if node is None or isinstance(node, str | int | float):
            continue
        ident = getattr(node, "id", None)
        if isinstance(ident, dict) and all(ident.get(k) == v for k, v in id_parts.items()):
            out.append(node)
        stack.append(getattr(node, "children", None))
    return out


# --- read services ------------------------------------------------------------------------------

def test_haversine_and_bounding_box() -> None:
    assert haversine_m(21.0, 105.0, 22.0, 105.0) == pytest.approx(METRES_PER_DEG_LAT, rel=1e-3)
    assert haversine_m(LAT, LON, LAT, LON) == 0
    min_lat, max_lat, min_lon, max_lon = bounding_box(LAT, LON, 250)
    # a point 250 m due east and due north lies inside, one 300 m away does not
    east = LON + 250 / (METRES_PER_DEG_LAT * 0.9304)  # cos(21.59°)
    assert min_lon < east < max_lon and max_lat - LAT == pytest.approx(250 / METRES_PER_DEG_LAT,
                                                                       rel=1e-3)
    assert not (min_lat < LAT + 300 / METRES_PER_DEG_LAT < max_lat)


def test_nearby_lists_open_reports_of_the_same_field_within_250_m(ready_db: str) -> None:
    north = lambda metres: LAT + metres / METRES_PER_DEG_LAT  # noqa: E731
    origin = make_report(ready_db, steps=1)                       # accepted, field FIELD
    close = make_report(ready_db, steps=1, lat=north(120))
    closer = make_report(ready_db, steps=1, lat=north(40), emergency=True)
    make_report(ready_db, steps=1, lat=north(320))                # too far
    make_report(ready_db, steps=6, lat=north(60))                 # published: not open
    other_field = make_report(ready_db, steps=0, lat=north(50))   # no field yet
    found = nearby_open(origin, url=ready_db)
    assert [n.code for n in found] == [closer, close]
    assert found[0].distance_m == pytest.approx(40, abs=1) and found[0].emergency
    assert found[1].state_label == "Đã tiếp nhận, chờ phân loại"
    # a report without a field is compared with the others without one, or as a given field
    assert [n.code for n in nearby_open(other_field, url=ready_db)] == []
    as_field = nearby_open(other_field, as_field=FIELD, url=ready_db)
    assert [n.code for n in as_field] == [closer, origin, close]
    assert nearby_open(origin, radius_m=500, url=ready_db)[-1].distance_m == pytest.approx(320,
                                                                                          abs=1)


def test_routing_suggestion_follows_the_stored_rules(ready_db: str) -> None:
    # by the report's unit: the unit's rules, then its area's, then the province's
    assert suggest_agency("moi_truong", "05443", url=ready_db) == "ubnd_05443"
    ranked = ranked_agencies("moi_truong", "05443", url=ready_db)
    assert ranked[0] == "ubnd_05443" and len(ranked) >= 2  # the province-wide rule comes after
    ranked = ranked_agencies("rac_thai", "05443", url=ready_db)
    assert ranked[:3] == ["ubnd_05443", "moi_truong_do_thi", "so_nnmt"]  # unit, area, province
    assert suggest_agency("rac_thai", None, url=ready_db) == "so_nnmt"
    assert suggest_agency(None, "05443", url=ready_db) is None
    assert suggest_agency("khong_co", "05443", url=ready_db) is None
    assert suggest_field("Ổ gà lớn trên mặt đường quốc lộ 3", url=ready_db) == "giao_thong"
    assert suggest_field("xin chào", url=ready_db) is None


def test_month_bounds_wrap_the_year() -> None:
    (this, following), (last, start) = month_bounds(datetime(2026, 1, 10, 3, tzinfo=UTC))
    assert (this.month, following.month, last.year, last.month) == (1, 2, 2025, 12)
    assert start == this and this.tzinfo == LOCAL_TZ
    (this, following), _ = month_bounds(datetime(2026, 12, 31, 18, tzinfo=UTC))  # 01:00 local
    assert (this.year, this.month, following.year, following.month) == (2027, 1, 2027, 2)


def test_agency_summary_counts_on_time_late_and_overdue(ready_db: str) -> None:
    t0 = datetime(2026, 3, 2, 8, 0, tzinfo=LOCAL_TZ)  # a Monday morning
    make_report(ready_db, steps=5, now=t0)             # result in minutes, approved at once
    late = make_report(ready_db, steps=3, now=t0)      # received, result ten days later
    perform_action(late, "submit_result", ACTORS["xl_164"], {"result": RESULT},
                   now=t0 + timedelta(days=10), url=ready_db)
    make_report(ready_db, steps=2, now=t0)             # forwarded, never received
    other = make_report(ready_db, steps=1, now=t0)
    perform_action(other, "forward", ACTORS["ioc_lan"], {"field": "dien", "agency": "dien_luc"},
                   now=t0, url=ready_db)
    s = agency_summary(AGENCY, t0 + timedelta(days=18), url=ready_db)
    this, last = s.months
    assert this.label == "Tháng 3/2026" and last.label == "Tháng 2/2026"
    assert this.stages["process"] == StageCounts(1, 1)
    assert this.stages["approve"] == StageCounts(1, 0)
    assert last.stages["process"] == StageCounts(0, 0) and last.stages["process"].rate is None
    assert s.open_overdue == {"process": 1, "approve": 1}  # the never-received one, the late one
    assert s.open_on_time == {"process": 0, "approve": 0}
    assert s.stage_names == {"process": "Xử lý", "approve": "Phê duyệt"}


# --- the action form and its callbacks -------------------------------------------------------------

def _detail(**over) -> dict:
    base = {"code": "PA-2026-000001", "state": "submitted", "held_by": None, "field": None,
            "agency": None, "unit": "05443", "result": None, "confidential": False,
            "allowed_actions": ["accept", "reject", "request_supplement"]}
    return {**base, **over}


def test_ioc_action_buttons_stay_disabled_until_the_handler_holds_the_report() -> None:
    ioc = staff("ioc_lan")
    free = action_form.action_bar("triage", _detail(), ioc, triage.TRIAGE_ACTIONS)
    assert find(free, type="wf-hold", op="take")
    assert all(b.disabled for b in find(free, type="wf-act"))
    assert "Nhấn “Nhận xử lý” (phím N)" in texts(free)
    mine = action_form.action_bar("triage", _detail(held_by="ioc_lan"), ioc,
                                  triage.TRIAGE_ACTIONS)
    assert not any(b.disabled for b in find(mine, type="wf-act"))
    assert find(mine, type="wf-hold", op="release")
    other = action_form.action_bar("triage", _detail(held_by="ioc_minh"), ioc,
                                   triage.TRIAGE_ACTIONS)
    assert find(other, type="wf-hold", op="take_over") and "ioc_minh" in texts(other)
    assert all(b.disabled for b in find(other, type="wf-act"))


def test_agency_forms_follow_allowed_actions_and_the_consulted_role() -> None:
    handler = staff("xl_164")
    detail = _detail(state="in_progress", agency=AGENCY,
                     allowed_actions=["consult", "return_to_ioc", "progress_notice",
                                      "submit_result"])
    bar = action_form.action_bar("agency", detail, handler, agency.AGENCY_ACTIONS)
    assert not find(bar, type="wf-hold")  # agencies do not take reports
    assert {c.id["action"] for c in find(bar, type="wf-act")} == {
        "consult", "return_to_ioc", "progress_notice", "submit_result"}
    assert sorted(c.id["name"] for c in find(bar, type="wf-param", action="consult")) == [
        "agencies", "note"]
    asked = action_form.action_bar("agency", _detail(state="in_progress", agency="so_xd",
                                                     allowed_actions=["consult"]),
                                   handler, agency.AGENCY_ACTIONS)
    assert [c.id["name"] for c in find(asked, type="wf-param")] == ["answer"]
    assert "Trả lời ý kiến được hỏi" in texts(asked)
    none = action_form.action_bar("agency", _detail(state="approved", allowed_actions=[]),
                                  handler, agency.AGENCY_ACTIONS)
    assert "Không có thao tác nào" in texts(none)


def test_clean_params_keeps_the_clicked_actions_filled_fields() -> None:
    entries = [
        {"id": {"action": "reject", "name": "reason"}, "value": "  Không đúng phạm vi  "},
        {"id": {"action": "forward", "name": "field"}, "value": FIELD},
        {"id": {"action": "forward", "name": "agency"}, "value": None},
        {"id": {"action": "consult", "name": "agencies"}, "value": []},
    ]
    assert workflow.clean_params("reject", entries) == {"reason": "Không đúng phạm vi"}
    assert workflow.clean_params("forward", entries) == {"field": FIELD}
    assert workflow.clean_params("consult", entries) == {}


def test_run_action_and_holds_give_precise_vietnamese_answers(ready_db: str) -> None:
    code = make_report(ready_db)
    lan, minh = staff("ioc_lan"), staff("ioc_minh")
    holds.take(code, minh.actor(), datetime.now(UTC))
    refused = workflow.run_action(lan, code, "accept", {}, 1)
    assert not refused.ok and refused.status == 409 and "ioc_minh" in refused.message
    assert not workflow.run_hold(lan, code, "take").ok
    assert workflow.run_hold(lan, code, "take_over").message.startswith("Bạn đã tiếp quản")
    stale = workflow.run_action(lan, code, "accept", {}, 99)
    assert stale.stale and stale.status == 409 and "tải lại" in stale.message
    missing = workflow.run_action(lan, code, "reject", {}, 1)
    assert missing.status == 422 and missing.message.startswith("Vui lòng nhập lý do")
    assert "reason" not in missing.message  # the field as the form names it, not the parameter
    done = workflow.run_action(lan, code, "accept", {}, 1)
    assert done.ok and "Đã tiếp nhận, chờ phân loại" in done.message
    forwarded = workflow.run_action(lan, code, "forward", {"field": FIELD, "agency": AGENCY}, 2)
    assert forwarded.ok and "Đã chuyển cơ quan xử lý" in forwarded.message
    assert report_detail(code, lan)["held_by"] is None  # the hold ends when it leaves the IOC
    outside = workflow.run_action(staff("xl_dl"), code, "receive", {}, None)
    assert outside.status == 404 and outside.message == "Không tìm thấy phản ánh."
    assert workflow.run_hold(lan, code, "release").ok
    # a report that has left the IOC cannot be taken (D13.2): seen racing the live simulator
    late = workflow.run_hold(minh, code, "take")
    assert not late.ok and "không còn ở IOC" in late.message
    with pytest.raises(holds.NotWithIoc):
        holds.take(code, minh.actor(), datetime.now(UTC), take_over=True)
    assert report_detail(code, lan)["held_by"] is None


def test_handle_click_takes_acts_reloads_and_bumps_the_refresh(ready_db: str) -> None:
    code = make_report(ready_db)
    lan = staff("ioc_lan")
    shown = {"code": code, "version": 1}
    with pytest.raises(PreventUpdate):
        workflow.handle_click("triage", lan, {"type": "wf-act", "action": "accept"}, [], None, 0)
    message, bump = workflow.handle_click("triage", lan, {"type": "wf-hold", "op": "take"}, [],
                                         shown, 3)
    assert bump == 4 and "Bạn đã nhận xử lý" in texts(message)
    message, _ = workflow.handle_click(
        "triage", lan, {"type": "wf-act", "action": "reject"},
        [{"id": {"action": "reject", "name": "reason"}, "value": "Trùng phản ánh PA-2026-000009"}],
        shown, 4)
    assert message.className == "feedback ok" and "Không xử lý (từ chối)" in texts(message)
    stale, kept = workflow.handle_click("triage", lan, {"type": "wf-act", "action": "accept"},
                                       [], shown, 5)
    assert stale.className == "feedback error" and find(stale, type="wf-reload", code=code)
    assert kept is no_update  # a refusal does not reload the form the handler is typing in
    reloaded, bump = workflow.handle_click("triage", lan, {"type": "wf-reload", "code": code}, [],
                                          shown, 6)
    assert bump == 7 and "Đã tải lại" in texts(reloaded)


def test_chosen_code_from_row_map_and_nearby_link() -> None:
    rows = {"rowId": "PA-2026-000002", "colId": "code", "rowIndex": 0}
    assert workflow.chosen_code("triage-grid", rows, None, None) == "PA-2026-000002"
    point = {"properties": {"code": "PA-2026-000003", "cluster": False}}
    assert workflow.chosen_code("triage-points", None, point, "x") == "PA-2026-000003"
    link = {"type": "wf-open", "page": "triage", "code": "PA-2026-000004"}
    assert workflow.chosen_code(link, None, None, None) == "PA-2026-000004"
    for trigger, rows_, click, current in (
            ("triage-grid", None, None, None),
            ("triage-points", None, {"properties": {"cluster": True, "point_count": 4}}, None),
            ("triage-grid", rows, None, "PA-2026-000002")):
        with pytest.raises(PreventUpdate):
            workflow.chosen_code(trigger, rows_, click, current)


def test_build_filters_from_the_filter_bar() -> None:
    f = workflow.build_filters({"state": [], "sla": "overdue", "emergency": ["yes"],
                               "text": "  vỉa hè "}, tuple(DEFAULT_STATES))
    assert f.states == tuple(DEFAULT_STATES) and f.overdue is True and f.emergency is True
    assert f.text == "vỉa hè" and f.at_risk is None
    f = workflow.build_filters({"state": ["approved"], "sla": "in_time",
                                "area": "tp_thai_nguyen", "unit": "05443"})
    assert f.states == ("approved",) and f.overdue is False
    assert (f.area, f.unit) == ("tp_thai_nguyen", "05443")
    assert workflow.build_filters({"sla": "at_risk"}).at_risk is True
    assert queue.FILTERS == ("state", "field", "area", "unit", "sla", "emergency", "text")


def test_forward_form_suggests_by_the_reports_unit(dash_app) -> None:
    with dash_app.app_context():
        detail = _detail(state="accepted", held_by="ioc_lan", field="rac_thai",
                         allowed_actions=["forward"], description="Rác thải ùn ứ")
        choices = triage.choices_for(detail)
        assert choices.suggested_agency == "ubnd_05443"  # the unit's own rule (D7.1)
        bar = action_form.action_bar("triage", detail, staff("ioc_lan"), triage.TRIAGE_ACTIONS,
                                     choices)
        ctx = find(bar, type="wf-ctx", action="forward", name="unit")
        assert ctx[0].data == "05443"
        agency_pick = find(bar, type="wf-param", action="forward", name="agency")
        assert agency_pick[0].value == "ubnd_05443"
        # another field chosen in the form: the same unit's rules
        assert triage.suggested("dien", "05443")[0] == "dien_luc"
        assert triage.suggested("rac_thai", "05455")[0] == "ubnd_05455"
        with pytest.raises(PreventUpdate):
            triage.suggested(None, "05443")


def test_unit_filter_follows_the_area(dash_app) -> None:
    with dash_app.app_context():
        options, value = workflow.unit_choices("ba_be", None)
        names = {o["label"] for o in options}
        assert 0 < len(options) < 92 and value is no_update
        assert "Phường Phan Đình Phùng" not in names
        assert workflow.unit_choices("ba_be", "05443") == (options, None)  # another area's unit
        every, kept = workflow.unit_choices(None, "05443")
        assert len(every) == 92 and kept is no_update


# --- pages with the database --------------------------------------------------------------------

def test_triage_queue_and_panel(dash_app, ready_db: str) -> None:
    lan = staff("ioc_lan")
    first = make_report(ready_db, emergency=True)
    second = make_report(ready_db, steps=1, lat=LAT + 0.0005)
    make_report(ready_db, steps=2)  # at the agency: not in the triage queue by default
    with dash_app.app_context():
        now = datetime.now(UTC)
        rows, count, seen = workflow.queue_update(lan, triage.to_filters(lan, {}), None, now)
        assert {r["code"] for r in rows} == {first, second} and count == "2 phản ánh"
        row = next(r for r in rows if r["code"] == first)
        assert row["emergency_label"] == "KHẨN" and row["unit_name"] == "Phường Phan Đình Phùng"
        assert row["area_name"] == "TP Thái Nguyên"
        assert row["place_hint"] == "Phường Phan Đình Phùng · Khu vực TP Thái Nguyên"
        assert row["countdown"].startswith(("còn", "quá hạn")) and row["sla"] in (
            "on_time", "at_risk", "overdue")
        # the same instant: a countdown shown to the minute may tick over within any second
        again, _, same = workflow.queue_update(lan, triage.to_filters(lan, {}), seen, now)
        assert again is no_update and same == seen
        only, _, _ = workflow.queue_update(lan, triage.to_filters(lan, {"emergency": ["yes"]}),
                                          None)
        assert [r["code"] for r in only] == [first]
        # the place filters: by area, and by unit within the area
        here, _, _ = workflow.queue_update(lan, triage.to_filters(
            lan, {"area": "tp_thai_nguyen", "unit": "05443"}), None)
        assert {r["code"] for r in here} == {first, second}
        for values in ({"area": "ba_be"}, {"unit": "05455"},
                       {"area": "ba_be", "unit": "05443"}):
            none, count, _ = workflow.queue_update(lan, triage.to_filters(lan, values), None)
            assert none == [] and count == "0 phản ánh", values

        panel, shown = workflow.load_panel(second, lan, triage.build_panel, triage_layout.EMPTY)
        text = texts(panel)
        assert shown["code"] == second and shown["version"] == 2
        assert "Trần Thị Bình" in text and "0912345678" in text  # the IOC sees the reporter
        assert "Xã/phường" in text and "Phường Phan Đình Phùng" in text  # the unit by name
        assert "Khu vực" in text and "TP Thái Nguyên" in text            # and its area
        assert "Trước 1/7/2025" not in text and "Huyện" not in text
        assert "bán kính 250 m" in text and first not in text     # other field: not a duplicate
        forward = find(panel, type="wf-param", action="forward", name="agency")
        assert forward[0].value == AGENCY                         # routing rule pre-selected
        assert "Gợi ý theo quy tắc phân phối: UBND phường Phan Đình Phùng" in text
        assert triage.suggested("dien", "05443")[0] == "dien_luc"
        hideout, viewport, center, circle = triage.focus(shown)
        assert hideout == {"selected": second} and viewport["zoom"] == triage.SELECTED_ZOOM
        assert center == [shown["lat"], shown["lon"]] and circle["opacity"] > 0
        assert triage.focus(None)[3]["opacity"] == 0
        unchanged, version = triage.points_url(None)
        assert unchanged is no_update and triage.points_url(version) == (no_update, version)
        assert triage.points_url("0-0")[0] == f"/api/v1/map/points.geojson?v={version}"

        empty, none = workflow.load_panel(None, lan, triage.build_panel, triage_layout.EMPTY)
        assert none is None and "Chọn một phản ánh" in texts(empty)


def test_agency_sees_only_its_reports_without_the_reporter(dash_app, ready_db: str) -> None:
    handler, outsider = staff("xl_164"), staff("xl_dl")
    code = make_report(ready_db, steps=2)
    make_report(ready_db)  # still at the IOC
    with dash_app.app_context():
        rows, count, _ = workflow.queue_update(handler, agency.to_filters(handler, {}), None)
        assert [r["code"] for r in rows] == [code] and count == "1 phản ánh"
        rows, _, _ = workflow.queue_update(outsider, agency.to_filters(outsider, {}), None)
        assert rows == []
        panel, shown = workflow.load_panel(code, handler, agency.build_panel, "")
        assert shown is not None and "Trần Thị Bình" not in texts(panel)
        assert {b.id["action"] for b in find(panel, type="wf-act")} >= {"receive",
                                                                         "return_to_ioc"}
        refused, none = workflow.load_panel(code, outsider, agency.build_panel, "")
        assert none is None and "không thuộc phạm vi" in texts(refused)
        title, view = agency.summary(handler)
        assert title == "UBND phường Phan Đình Phùng" and "Đang mở tại đơn vị" in texts(view)


def test_summary_view_shows_rates_and_late_counts() -> None:
    start = datetime(2026, 3, 1, tzinfo=LOCAL_TZ)
    month = MonthSummary("Tháng 3/2026", start, start, {"process": StageCounts(9, 1),
                                                        "approve": StageCounts(4, 0)})
    old = MonthSummary("Tháng 2/2026", start, start, {"process": StageCounts(0, 0),
                                                       "approve": StageCounts(0, 0)})
    view = agency_layout.summary_view(AgencySummary(AGENCY, {"process": "Xử lý", "approve": "Phê duyệt"},
                                             (month, old), {"process": 3, "approve": 0},
                                             {"process": 2, "approve": 0}))
    text = texts(view)
    assert "90,0%" in text and "92,9%" in text and "Quá hạn hiện tại" in text and "-" in text


def test_publish_preview_is_what_publish_stores(dash_app, ready_db: str) -> None:
    lan = staff("ioc_lan")
    code = make_report(ready_db, steps=5)
    edited = "Đã dọn toàn bộ vật liệu, vỉa hè thông thoáng từ ngày 12/3/2026."
    with dash_app.app_context():
        rows, _, _ = workflow.queue_update(lan, publish.to_filters(lan, {}), None)
        assert [r["code"] for r in rows] == [code] and rows[0]["private_label"] == "Công khai"
        panel, shown = workflow.load_panel(code, lan, publish.build_panel, "")
        editor = find(panel, type="wf-param", action="publish", name="result")
        assert editor[0].value == RESULT
        letter = publish.preview([edited], shown)
        assert "Sẽ công khai" in texts(letter)
        holds.take(code, lan.actor(), datetime.now(UTC))
        done = workflow.run_action(lan, code, "publish", {"result": edited}, shown["version"])
        assert done.ok and "Đã công khai kết quả" in done.message
        answer = report_detail(code, lan)["answer"]
        assert answer == letter[1].children == fill_reply("UBND phường Phan Đình Phùng", edited)
        assert "Phản ánh này không ở bước" in texts(publish.preview([], shown))


def test_confidential_report_is_answered_privately(dash_app, ready_db: str) -> None:
    lan = staff("ioc_lan")
    code = make_report(ready_db, steps=5, confidential=True)
    with dash_app.app_context():
        panel, shown = workflow.load_panel(code, lan, publish.build_panel, "")
        assert shown["private"] and "Trả lời riêng người phản ánh" in texts(panel)
        assert "Chỉ gửi riêng người phản ánh" in texts(publish.preview(["Đã xử lý."], shown))
        holds.take(code, lan.actor(), datetime.now(UTC))
        done = workflow.run_action(lan, code, "publish", {}, shown["version"])
        assert done.ok and "Đã trả lời riêng người phản ánh" in done.message


def test_queue_rows_label_and_cap() -> None:
    now = datetime(2026, 3, 2, 9, 0, tzinfo=LOCAL_TZ)
    item = {"code": "PA-2026-000001", "state": "submitted", "state_label": "Chờ xác minh",
            "submitted_at": "2026-03-02T08:00:00+07:00", "field": None, "field_name": None,
            "unit": "05443", "unit_name": "Phường Phan Đình Phùng", "area": "tp_thai_nguyen",
            "area_name": "TP Thái Nguyên", "former_district": "164",
            "former_district_name": "Thành phố Thái Nguyên", "former_commune": "05437",
            "former_commune_name": "Phường Túc Duyên", "agency_name": None, "stage": "verify",
            "stage_due": "2026-03-02T08:30:00+07:00", "sla": "overdue", "sla_label": "Quá hạn",
            "emergency": False, "confidential": True, "held_by": "ioc_lan"}
    row = queue.queue_rows([item], now, "ioc_lan")[0]
    assert (row["unit_name"], row["area_name"]) == ("Phường Phan Đình Phùng", "TP Thái Nguyên")
    assert row["place_hint"] == ("Phường Phan Đình Phùng · Khu vực TP Thái Nguyên · "
                                 "Trước 1/7/2025: Phường Túc Duyên, Thành phố Thái Nguyên")
    assert queue.COLUMNS["unit"]["headerName"] == "Xã/phường"
    assert row["countdown"] == "quá hạn 30 phút" and row["due_in"] == -30
    assert row["received"] == "08:00 02/03/2026" and row["field_name"] == "Chưa phân loại"
    assert row["held_by_me"] and row["private_label"] == "Riêng người PA"
    assert row["stage_name"] == "Xác minh" and queue.MAX_ROWS == 200


def test_panel_media_thumbnails_link_to_the_originals() -> None:
    from dashboard.widgets.report_panel import media

    section = media([
        {"id": 7, "kind": "photo", "url": "/api/v1/media/7", "public_url": "/api/v1/media/7/public"},
        {"id": 8, "kind": "photo", "url": "/api/v1/media/8", "public_url": None},
        {"id": 9, "kind": "video", "url": "/api/v1/media/9", "public_url": None}])
    links = section.children[1].children
    assert [a.href for a in links[:2]] == ["/api/v1/media/7", "/api/v1/media/8"]
    assert [a.children.src for a in links[:2]] == ["/api/v1/media/7/public", "/api/v1/media/8"]
    assert links[2].src == "/api/v1/media/9" and "Ảnh, video (3)" in texts(section)


def test_report_panel_labels_the_unit_the_area_and_the_former_place(dash_app,
                                                                     ready_db: str) -> None:
    """Xã/phường and Khu vực for every report; "Trước 1/7/2025: <xã cũ>, <huyện cũ>" for one
    dated before the units changed; no district anywhere."""
    from dashboard.widgets import report_panel

    lan = staff("ioc_lan")
    before = make_report(ready_db, now=datetime(2025, 3, 25, 2, tzinfo=UTC))
    after = make_report(ready_db)
    with dash_app.app_context():
        old, _ = workflow.load_panel(before, lan, triage.build_panel, triage_layout.EMPTY)
        new, _ = workflow.load_panel(after, lan, triage.build_panel, triage_layout.EMPTY)
    old_text, new_text = texts(old), texts(new)
    for text in (old_text, new_text):
        assert "Xã/phường" in text and "Phường Phan Đình Phùng" in text
        assert "Khu vực" in text and "TP Thái Nguyên" in text
        assert "Huyện, thành phố" not in text and "Xã, phường" not in text
    assert "Trước 1/7/2025: Phường Túc Duyên, Thành phố Thái Nguyên" in old_text
    assert "Trước 1/7/2025" not in new_text
    rows = report_panel.place_rows({"unit_name": None, "area_name": None})
    assert rows == [("Xã/phường", "-"), ("Khu vực", "-")]
    only = report_panel.former_line({"former_district_name": "Huyện Ba Bể"})
    assert only.children == "Trước 1/7/2025: Huyện Ba Bể"


@pytest.mark.clause("D14.3")
def test_an_agency_leader_gives_a_report_to_a_subordinate_unit(dash_app, ready_db: str) -> None:
    """The agency page offers its leader the delegation form (its subordinate units only); once
    given, the unit's own queue lists the report and its panel names who handles it."""
    from backend.domain.roles import Role
    from backend.domain.workflow import Actor
    from backend.services.access.auth import StaffUser

    def person(username: str, role: str, agency_code: str) -> StaffUser:
        return StaffUser(1, username, username, role, agency_code, "csrf", "hash")

    leader = person("ld_snnmt", "agency_leader", "so_nnmt")
    unit_handler = person("xl_ccbvmt", "agency_handler", "cc_bvmt")
    code = make_report(ready_db)
    now = datetime.now(UTC)
    for n, (action, actor, params) in enumerate((
            ("accept", ACTORS["ioc_lan"], {}),
            ("forward", ACTORS["ioc_lan"], {"field": "moi_truong", "agency": "so_nnmt"}),
            ("receive", Actor("xl_snnmt", Role.AGENCY_HANDLER, "so_nnmt"), {})), start=1):
        perform_action(code, action, actor, params, now=now + timedelta(minutes=n), url=ready_db)
    with dash_app.app_context():
        panel, _ = workflow.load_panel(code, leader, agency.build_panel, "")
        form = find(panel, type="wf-param", action="delegate", name="subordinate")
        assert [o["value"] for o in form[0].options] == ["cc_bvmt"]  # not Sở Y tế's Chi cục
        rows, _, _ = workflow.queue_update(unit_handler, agency.to_filters(unit_handler, {}), None)
        assert rows == []
    perform_action(code, "delegate", Actor("ld_snnmt", Role.AGENCY_LEADER, "so_nnmt"),
                   {"subordinate": "cc_bvmt", "reason": "Kiểm tra hiện trường"},
                   now=now + timedelta(minutes=9), url=ready_db)
    with dash_app.app_context():
        rows, _, _ = workflow.queue_update(unit_handler, agency.to_filters(unit_handler, {}), None)
        assert [r["code"] for r in rows] == [code]
        panel, _ = workflow.load_panel(code, unit_handler, agency.build_panel, "")
        assert "Chi cục Bảo vệ môi trường" in texts(panel)
        assert {b.id["action"] for b in find(panel, type="wf-act")} >= {"submit_result"}
        assert not {b.id["action"] for b in find(panel, type="wf-act")} & {"approve",
                                                                          "return_to_ioc"}

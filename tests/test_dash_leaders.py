"""The leadership page `/leaders` (D2.2d, D13.5, D14.4) as plain functions, on both databases:
its figures are kpi's figures for the same period and filters, the click-through lists are the
reports behind each number, month counts are shared through the cache, the read-only detail
never shows or logs a reporter, and the report pack comes back as one zip.

The scenario (November 2026, figures taken Wednesday 25/11/2026 10:00, Vietnam time), reports
walked through the workflow by the real services:

- on_time: published on 03/11 within minutes of arriving, rated "Hài lòng";
- processing: forwarded to UBND TP Thái Nguyên on 10/11 and received, no result: the
  processing step is overdue (the agency answers for it);
- waiting: submitted 12/11, never verified: the verify step is overdue (the IOC answers);
- misrouted: forwarded to the power company, returned to the IOC, forwarded again;
- escalated: accepted on 18/11 and escalated to the provincial People's Committee;
- october: published in October (the previous period).
"""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
from api_helpers import ACTORS, AGENCY, FIELD, OTHER_AGENCY, make_report
from dash import no_update
from dash.exceptions import PreventUpdate
from itsdangerous.timed import TimestampSigner
from plotly.utils import PlotlyJSONEncoder
from sqlalchemy import func, select

from backend.config import LOCAL_TZ
from backend.services import kpis as kpi
from backend.services.access.auth import StaffUser, create_user
from backend.services.errors import NotFound
from backend.services.kpis import leaders as service
from backend.services.kpis import pack_files
from backend.services.workflow.steps import perform_action
from backend.storage.db import session_factory
from backend.storage.models import AccessLog
from backend.web import leaders_data
from dashboard import access, lookups
from dashboard.callbacks import maps
from dashboard.callbacks.leaders import drilldown, packs
from dashboard.callbacks.leaders import page as cb
from dashboard.layouts.leaders import charts, kpis, tables
from dashboard.layouts.leaders import drilldown as drilldown_layout
from dashboard.layouts.leaders.page import PREFIX
from dashboard.wsgi import create_app

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=LOCAL_TZ).astimezone(UTC)
NOVEMBER, Q4 = kpi.Period.month(2026, 11), kpi.Period.quarter(2026, 4)
PRIVATE = ("Trần Thị Bình", "0912345678", "binh@example.vn")  # make_report's reporter
LEADER = StaffUser(7, "lanh_dao_tinh", "Lãnh đạo tỉnh", "provincial_leader", None, "c", "h")
IOC_VIEWER = StaffUser(8, "ioc_lan", "Người xử lý IOC", "ioc_handler", None, "c", "h")


def at(day: int, hour: int, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=LOCAL_TZ).astimezone(UTC)


def step(code: str, action: str, who: str, when: datetime, url: str, **params) -> None:
    perform_action(code, action, ACTORS[who], params, now=when, url=url)


@pytest.fixture
def cast(ready_db: str) -> dict[str, str]:
    url = ready_db
    out = {"on_time": make_report(url, steps=6, now=at(3, 9)),
           "processing": make_report(url, steps=3, now=at(10, 9)),
           "waiting": make_report(url, now=at(12, 9)),
           "october": make_report(url, steps=6, now=at(15, 9, month=10))}
    step(out["on_time"], "feedback", "citizen", at(3, 15), url, rating="hai_long")
    misrouted = make_report(url, steps=1, now=at(5, 9))
    step(misrouted, "forward", "ioc_lan", at(5, 10), url, field=FIELD, agency=OTHER_AGENCY)
    step(misrouted, "return_to_ioc", "xl_dl", at(5, 11), url, reason="Không thuộc phạm vi")
    step(misrouted, "forward", "ioc_lan", at(5, 14), url, field=FIELD, agency=AGENCY)
    out["misrouted"] = misrouted
    escalated = make_report(url, steps=1, now=at(18, 9))
    step(escalated, "escalate", "ioc_lan", at(18, 10), url, reason="Hai cơ quan không thống nhất")
    out["escalated"] = escalated
    return out


@pytest.fixture
def app(ready_db: str, monkeypatch):
    """The whole web app; the viewer is a provincial leader (as the router would have checked)."""
    monkeypatch.setattr(access, "viewer", lambda: LEADER)
    server = create_app({"TESTING": True})
    with server.test_request_context():
        yield server


def dump(value) -> str:
    """Components (and anything else) as the JSON the browser gets."""
    return json.dumps(value, cls=PlotlyJSONEncoder, ensure_ascii=False)


def component_ids(node) -> list[str]:
    """Every id in a tree of components (pattern ids as sorted JSON)."""
    if isinstance(node, (list, tuple)):
        return [i for child in node for i in component_ids(child)]
    if not hasattr(node, "to_plotly_json"):
        return []
    own = getattr(node, "id", None)
    found = [json.dumps(own, sort_keys=True)] if own is not None else []
    return found + component_ids(getattr(node, "children", None))


def plain(figures: dict) -> dict:
    return {key: service.plain(value) for key, value in figures.items()}


@pytest.fixture(autouse=True)
def _actors_include_citizen(monkeypatch) -> None:
    from backend.domain.roles import Role
    from backend.domain.workflow import Actor

    monkeypatch.setitem(ACTORS, "citizen", Actor("citizen", Role.CITIZEN))


# =========================================================================== figures


@pytest.mark.parametrize("period", [NOVEMBER, Q4], ids=["month", "quarter"])
def test_page_figures_are_kpi_figures(app, cast, ready_db: str, period: kpi.Period) -> None:
    out = cb.refresh(period.code, None, None, None, None, now=NOW)
    view = leaders_data.page_data(period, kpi.Filters(), NOW)
    expected = kpi.snapshot(period, now=NOW, url=ready_db)
    assert view["figures"] == plain(expected.figures())
    received = 5 if period == NOVEMBER else 6  # Q4 holds the October report too
    assert view["figures"]["received"] == kpi.count_reports(period, url=ready_db) == received
    heads = kpi.headline_kpis(period, now=NOW, url=ready_db)
    assert [(h["key"], h["value"], h["previous"], h["met"]) for h in view["headline"]] == [
        (h.key, service.plain(h.value), service.plain(h.previous), h.met) for h in heads]
    assert [s["on_time_rate"] for s in view["stages"]] == [
        service.plain(v) for v in expected.stage_table()["on_time_rate"]]
    # what the page draws says the same, in Vietnamese formats
    tiles = dump(out[1])
    assert f'"children": "{received}"' in tiles and "PHẢN ÁNH TIẾP NHẬN".lower() in tiles.lower()
    store = out[10]
    assert store["period"] == period.code and store["now"] == NOW.isoformat()
    assert out[11] == "Tải báo cáo tháng 11/2026" and out[12] == "Tải báo cáo quý IV/2026"


def test_the_numbers_of_the_scenario(app, cast) -> None:
    view = leaders_data.page_data(NOVEMBER, kpi.Filters(), NOW)
    f = view["figures"]
    assert (f["returned"], f["escalation_waiting"], f["answered"], f["rated"]) == (1, 1, 1, 1)
    assert f["process.overdue"] == 2 and f["verify.overdue"] == 1  # processing, misrouted
    overdue = view["overdue"]["rows_overdue"]
    by_code = {r["code"]: r for r in overdue}
    assert by_code[cast["processing"]]["responsible"] == AGENCY
    assert by_code[cast["waiting"]]["responsible"] == "ioc"
    assert all(r["hours_late"] > 0 for r in overdue)
    assert [e["code"] for e in view["escalations"]] == [cast["escalated"]]
    assert view["escalations"][0]["waiting_hours"] > 0
    previous = {h["key"]: h["previous"] for h in view["headline"]}
    assert previous["received"] == 1  # October
    # nothing personal anywhere in the page's data
    text = json.dumps(view, ensure_ascii=False)
    for private in PRIVATE:
        assert private not in text


def test_filters_give_kpi_figures_of_the_same_filters(app, cast, ready_db: str) -> None:
    for field, area, unit, agency in ((None, None, None, AGENCY), (FIELD, None, None, None),
                                      (None, "tp_thai_nguyen", None, None),
                                      (None, "tp_thai_nguyen", "05443", None),
                                      (None, "ba_be", None, None),
                                      ("giao_duc", None, None, None)):
        filters = kpi.Filters(field=field, area=area, unit=unit, agency=agency)
        out = cb.refresh(NOVEMBER.code, field, area, unit, agency, now=NOW)
        assert out[10]["filters"] == service.filters_dict(filters)
        view = leaders_data.page_data(NOVEMBER, filters, NOW)
        assert view["figures"] == plain(kpi.snapshot(NOVEMBER, filters, now=NOW,
                                                     url=ready_db).figures()), filters
    agency_view = leaders_data.page_data(NOVEMBER, kpi.Filters(agency=AGENCY), NOW)
    assert agency_view["figures"]["received"] == 3  # on_time, processing, misrouted
    assert leaders_data.page_data(NOVEMBER, kpi.Filters(field="giao_duc"), NOW)["figures"]["received"] == 0


def test_month_counts_are_taken_once_for_every_filter_and_period(app, cast, monkeypatch) -> None:
    taken: list[list[str]] = []
    original = service.month_counts
    monkeypatch.setattr(service, "month_counts", lambda months, **kw: taken.append(
        [m.code for m in months]) or original(months, **kw))
    leaders_data.page_data(NOVEMBER, kpi.Filters(), NOW)
    assert taken == [["2026-10", "2026-11"]]  # one query for the month and the one before
    leaders_data.page_data(NOVEMBER, kpi.Filters(agency=AGENCY), NOW)
    leaders_data.page_data(NOVEMBER, kpi.Filters(field=FIELD), NOW)
    assert len(taken) == 1  # a filter is a sum over the same counts
    cb.trend(cb.refresh(NOVEMBER.code, None, None, None, None, now=NOW)[10], now=NOW)
    assert taken[1] == [m.code for m in NOVEMBER.months_back(12) if m.code not in
                        ("2026-10", "2026-11")]
    leaders_data.page_data(Q4, kpi.Filters(), NOW)  # Q4 and Q3: known, but for December (still empty)
    assert taken[2:] == [["2026-12"]]
    calls = []
    monkeypatch.setattr(kpi, "snapshot", lambda *a, **k: calls.append(a))
    leaders_data.page_data(NOVEMBER, kpi.Filters(agency=AGENCY), NOW)  # flipping back: all cached
    assert calls == []


def test_trend_is_kpis_monthly_trend(app, cast, ready_db: str) -> None:
    store = cb.refresh(NOVEMBER.code, None, None, None, None, now=NOW)[10]
    figure = cb.trend(store, now=NOW)
    expected = kpi.monthly_trend(NOVEMBER, now=NOW, url=ready_db)
    bars = figure["data"][0]
    assert bars["x"] == list(expected["label"]) and bars["y"] == list(expected["received"])
    assert bars["customdata"][-1] == "2026-11"
    assert figure["layout"]["separators"] == ",."  # 1.234 and 12,5%
    with pytest.raises(PreventUpdate):
        cb.trend(None)


def test_trend_of_the_running_quarter_stops_at_this_month(app) -> None:
    assert leaders_data.trend_end(Q4, NOW) == NOVEMBER
    assert leaders_data.trend_end(kpi.Period.quarter(2026, 3), NOW).code == "2026-09"


# =========================================================================== click-through


def test_click_through_lists_the_reports_behind_each_number(app, cast, ready_db: str) -> None:
    store = cb.refresh(NOVEMBER.code, None, None, None, None, now=NOW)[10]
    view = leaders_data.page_data(NOVEMBER, kpi.Filters(), NOW)
    title, body = drilldown.open_drill(kpis.drill_key("process.overdue", 1), store)
    text = dump([title, body])
    assert "Xử lý: đang quá hạn" in text and "1 phản ánh" in text and cast["processing"] in text
    for metric in ("received", "e2e.late", "returned", "rated", "escalation_waiting",
                   "verify.overdue"):
        codes = kpi.report_codes(metric, NOVEMBER, now=NOW, url=ready_db)
        assert len(codes) == view["figures"][metric], metric
        _, body = drilldown.open_drill(kpis.drill_key(metric, len(codes)), store)
        shown = [b.children for b in body[1].children] if codes else []
        assert shown == codes, metric
    # a cell of the heatmap (an area's, a unit's), a month of the trend, an area, a unit
    for place, level in (("tp_thai_nguyen", "area"), ("05443", "unit")):
        cell = [AGENCY, place, 1, 2, 1, "", level, "x"]
        opened = drilldown.drawer(f"{PREFIX}-heatmap", {"points": [{}]}, store, "late", None,
                                  {"points": [{"z": 0.0, "customdata": cell}]}, None)
        assert opened[0] == "ld-drawer open" and cast["processing"] in dump(opened[2]), level
    cell = [AGENCY, "ba_be", 1, 2, 1, "", "area", "Ba Bể"]
    opened = drilldown.drawer(f"{PREFIX}-heatmap", {"points": [{}]}, store, "late", None,
                              {"points": [{"z": 0.0, "customdata": cell}]}, None)
    assert cast["processing"] not in dump(opened[2]) and "Khu vực: Ba Bể" in dump(opened[1])
    opened = drilldown.drawer(f"{PREFIX}-trend", {"points": [{}]}, store, "late",
                       {"points": [{"customdata": "2026-10"}]}, None, None)
    assert cast["october"] in dump(opened[2])
    for kind, code in (("area", "tp_thai_nguyen"), ("unit", "05443")):
        opened = drilldown.drawer(f"{PREFIX}-places", {"properties": {}}, store, "overdue",
                                  None, None, {"properties": {"kind": kind, "code": code}})
        listed = dump(opened[2])
        assert cast["processing"] in listed and cast["waiting"] in listed, kind
    with pytest.raises(PreventUpdate):  # the province outline opens nothing
        drilldown.drawer(f"{PREFIX}-places", {"properties": {}}, store, "overdue", None, None,
                         {"properties": {"kind": "province", "code": "19"}})
    # numbers drawn anew (value None) open nothing; the close button closes
    with pytest.raises(PreventUpdate):
        drilldown.drawer({"type": f"{PREFIX}-drill", "key": "received||||||5", "at": "tile-received"}, None, store, "late",
                   None, None, None)
    assert drilldown.drawer(f"{PREFIX}-drawer-close", 1, store, "late", None, None, None)[0] == \
        "ld-drawer"
    # another period or filter on the page: the list was for the one before
    assert drilldown.drawer(f"{PREFIX}-view", store, store, "late", None, None, None)[0] == \
        "ld-drawer"


def test_a_bad_click_through_says_why(app, cast) -> None:
    store = cb.refresh(NOVEMBER.code, None, None, None, None, now=NOW)[10]
    title, body = drilldown.open_drill("rate.rework||||||1", store)  # a ratio, not a count
    assert "Không mở được danh sách" in dump(title)
    assert "không phải là một số đếm" in dump(body)


def test_report_detail_is_read_only_and_never_reads_the_reporter(app, cast, ready_db: str,
                                                                  monkeypatch) -> None:
    store = cb.refresh(NOVEMBER.code, None, None, None, None, now=NOW)[10]
    monkeypatch.setattr(access, "viewer", lambda: IOC_VIEWER)  # the IOC may see who reported
    opened = drilldown.drawer({"type": f"{PREFIX}-code", "code": cast["on_time"], "at": "drawer"}, 1, store, "late",
                       None, None, None)
    assert opened[0] == "ld-drawer open detail"
    text = dump(opened[3])
    assert cast["on_time"] in text and "Lịch sử xử lý" in text and "Hài lòng" in text
    for private in PRIVATE:
        assert private not in text
    with session_factory(ready_db)() as session:  # nor is a view of the identity logged
        assert session.scalar(select(func.count()).select_from(AccessLog).where(
            AccessLog.what == "view_identity")) == 0
    missing = drilldown.open_report("PA-2026-999999", IOC_VIEWER)
    assert "Không tìm thấy" in dump(missing)


def test_only_the_pages_roles_get_anything(app, cast, monkeypatch) -> None:
    for role in ("agency_handler", "agency_leader", "wall_display"):
        monkeypatch.setattr(access, "viewer", lambda role=role: StaffUser(
            9, "x", None, role, AGENCY, "c", "h"))
        with pytest.raises(PreventUpdate):
            cb.refresh(NOVEMBER.code, None, None, None, None, now=NOW)
        with pytest.raises(PreventUpdate):
            packs.pack_request("month", NOVEMBER.code, None, None, None, None)
    with pytest.raises(NotFound):
        service.report_brief(cast["on_time"], StaffUser(9, "x", None, "agency_handler", AGENCY,
                                                        "c", "h"))


# =========================================================================== the page's parts


def test_sections_render_in_vietnamese(app, cast) -> None:
    out = cb.refresh(NOVEMBER.code, None, None, None, None, now=NOW)
    text = dump(out)
    for words in ("Tháng 11/2026", "01/11/2026 - 30/11/2026", "Số liệu tính đến 10:00 25/11/2026",
                  "Đúng hạn toàn quy trình", "Mục tiêu ≥ 90,0%", "so với tháng 10/2026",
                  "Chưa đủ mẫu để xếp hạng", "Trả lại IOC do không đúng thẩm quyền",
                  "Hài lòng", "Không hài lòng", "làm việc", "IOC tỉnh"):
        assert words in text, words
    ids = component_ids(list(out))  # a figure shown twice still has two ids (Dash needs it)
    assert len(ids) == len(set(ids)) and any('"at": "tile-received"' in i for i in ids)
    values = out[3]
    assert set(values) == {"late", "overdue"}
    cell = values["overdue"]["values"]["tp_thai_nguyen"]
    assert 0 <= cell["v"] <= 1 and "đang mở" in cell["label"]
    assert cell["label"].startswith("Khu vực TP Thái Nguyên: ")
    unit = values["overdue"]["units"]["05443"]
    assert unit["label"].startswith("Phường Phan Đình Phùng: ")
    heatmap, table = cb.places(out[10], None, now=NOW)
    assert heatmap["data"][0]["type"] == "heatmap"
    assert "Khu vực" in dump(table) and "TP Thái Nguyên" in dump(table)
    for words in ("Huyện", "huyện", "Địa bàn", "địa bàn"):
        assert words not in text + dump([heatmap, table]), words


def test_area_and_unit_filters_narrow_the_figures(app, cast) -> None:
    """Every cast report is in Phường Phan Đình Phùng (TP Thái Nguyên): filtering by that area
    or unit keeps them all, another area has none; the unit filter follows the area."""
    whole = leaders_data.page_data(NOVEMBER, kpi.Filters(), NOW)["figures"]["received"]
    for area, unit, received in (("tp_thai_nguyen", None, whole), ("tp_thai_nguyen", "05443",
                                                                   whole),
                                 ("ba_be", None, 0), ("tp_thai_nguyen", "05455", 0)):
        out = cb.refresh(NOVEMBER.code, None, area, unit, None, now=NOW)
        view = leaders_data.page_data(NOVEMBER, kpi.Filters(area=area, unit=unit), NOW)
        assert view["figures"]["received"] == received, (area, unit)
        assert f'"children": "{received}"' in dump(out[1])  # the tile says so
        label = out[10]["filters_label"]
        assert label.startswith("Khu vực: ") and ("Xã/phường: " in label) == bool(unit)
    assert whole == 5
    ba_be = leaders_data.page_data(NOVEMBER, kpi.Filters(area="ba_be"), NOW)
    assert ba_be["matrix"] == [] and ba_be["units"] == []
    options, value = cb.unit_options("ba_be", "05443")  # a unit of another area: cleared
    assert value is None and "Phường Phan Đình Phùng" not in {o["label"] for o in options}
    options, value = cb.unit_options("tp_thai_nguyen", "05443")
    assert value is no_update and "Phường Phan Đình Phùng" in {o["label"] for o in options}
    fields, areas, drill_areas, agencies = cb.filter_options()
    assert len(areas) == 17 and areas == drill_areas and areas[0]["label"] == "TP Thái Nguyên"


def test_heatmap_columns_are_areas_and_drill_down_to_units(app, cast) -> None:
    store = cb.refresh(NOVEMBER.code, None, None, None, None, now=NOW)[10]
    heatmap, table = cb.places(store, None, now=NOW)
    trace = heatmap["data"][0]
    assert trace["x"] == ["TP Thái<br>Nguyên"]  # the one area with forwarded reports
    assert {c[6] for row in trace["customdata"] for c in row} == {"area"}
    assert {c[7] for row in trace["customdata"] for c in row} == {"TP Thái Nguyên"}
    buttons = [i for i in component_ids(table) if '"leaders-area-open"' in i]
    assert buttons == [json.dumps({"area": "tp_thai_nguyen", "type": "leaders-area-open"},
                                  sort_keys=True)]
    # one area, by its units
    heatmap, table = cb.places(store, "tp_thai_nguyen", now=NOW)
    trace = heatmap["data"][0]
    assert trace["x"] == ["Phan Đình<br>Phùng"]
    assert {(c[1], c[6], c[7]) for row in trace["customdata"] for c in row} == {
        ("05443", "unit", "Phường Phan Đình Phùng")}
    text = dump(table)
    assert "Xã/phường của khu vực TP Thái Nguyên" in text and "Phường Phan Đình Phùng" in text
    assert "← Mọi khu vực" in text
    # the page filtered by an area shows its units without a drill
    filtered = cb.refresh(NOVEMBER.code, None, "tp_thai_nguyen", None, None, now=NOW)[10]
    assert cb.places(filtered, None, now=NOW)[0]["data"][0]["x"] == ["Phan Đình<br>Phùng"]
    empty, _ = cb.places(store, "ba_be", now=NOW)
    assert empty["data"] == [] and "khu vực này" in dump(empty)
    # the areas' display order, whatever order the cells come in
    view = leaders_data.page_data(NOVEMBER, kpi.Filters(), NOW)
    cell = view["matrix"][0]
    view = {**view, "matrix": [{**cell, "place": "ba_be", "place_name": "Ba Bể"},
                               {**cell, "place": "-", "place_name": "Chưa rõ"}, cell]}
    order = list(lookups.area_names())
    assert charts.heat_cells(view, None, order)[1] == ["tp_thai_nguyen", "ba_be", "-"]
    assert charts.column_label("Xã Ba Bể") == "Ba Bể" and charts.column_label("Ba Bể") == "Ba Bể"
    with pytest.raises(PreventUpdate):
        cb.places(None, None)


def test_places_table_and_map_drill_from_areas_to_units(app, cast) -> None:
    opened = {"type": charts.AREA_OPEN, "area": "tp_thai_nguyen"}
    assert cb.drill_area(opened, 1) == "tp_thai_nguyen"
    assert cb.drill_area({"type": charts.AREA_OPEN, "area": ""}, 1) is None  # back
    assert cb.drill_area(f"{PREFIX}-area", None) is None  # the page's area filter changed
    with pytest.raises(PreventUpdate):
        cb.drill_area(opened, 0)  # the table drawn anew
    view = leaders_data.page_data(NOVEMBER, kpi.Filters(), NOW)
    values = charts.map_values(view)["late"]
    assert set(values["values"]) == {"tp_thai_nguyen"} and set(values["units"]) == {"05443"}
    areas = dump(charts.map_legend(charts.map_values(view), "late", "area"))
    units = dump(charts.map_legend(charts.map_values(view), "late", "unit"))
    assert "theo khu vực" in areas and "theo xã/phường" in units
    assert maps.level_of(9.5, "area") == "area" and maps.level_of(9.5, "unit") == "unit"
    assert maps.level_of(maps.UNIT_ZOOM, "area") == "unit"  # zoomed in: the units
    table = charts.place_table(view, "tp_thai_nguyen")
    keys = [i for i in component_ids(table) if "leaders-drill" in i]
    assert keys and all("|05443|" in k for k in keys)  # the units' counts open the unit's


def test_drilldown_detail_names_the_unit_and_the_area(app, cast) -> None:
    detail = drilldown.open_report(cast["processing"], LEADER)
    text = dump(detail)
    assert "Xã/phường" in text and "Phường Phan Đình Phùng" in text
    assert "Khu vực" in text and "TP Thái Nguyên" in text
    assert "Huyện, thành phố" not in text and "Trước 1/7/2025" not in text


def test_ranking_sets_small_samples_apart(app, cast) -> None:
    view = leaders_data.page_data(NOVEMBER, kpi.Filters(), NOW)
    assert view["ranking"] and not any(r["eligible"] for r in view["ranking"])
    table = dump(tables.ranking_table(view))
    assert "Chưa đủ mẫu để xếp hạng" in table and "dưới 30 bước xử lý" in table
    small = view["ranking"][0]
    view["ranking"] = [{**small, "agency": "so_xd", "eligible": True, "rank": 1}, small]
    table = dump(tables.ranking_table(view))
    assert table.index("small-sample") > table.index("Chưa đủ mẫu để xếp hạng")


def test_period_picker_and_formats(app) -> None:
    options, value = cb.period_kind("quarter", "2026-10")
    assert value == "2026-Q4" and options[0]["label"].startswith("Quý ")
    options, value = cb.period_kind("month", "2026-Q3")
    assert value == "2026-09" and options[0]["label"].startswith("Tháng ")
    assert packs.pack_periods(kpi.Period.quarter(2026, 3), NOW)[0].code == "2026-09"
    assert packs.pack_periods(Q4, NOW)[0] == NOVEMBER  # the running quarter: this month
    assert kpis.fmt(1234567, "count") == "1.234.567" and kpis.fmt(0.125, "rate") == "12,5%"
    assert kpis.fmt(12.55, "hours") == "12,6 giờ" and kpis.fmt_change(-0.016, "rate") == "1,6 điểm %"
    # hours are grouped like every other figure (before the move: "1234,5 giờ", ungrouped)
    assert kpis.fmt(1234.5, "hours") == "1.234,5 giờ" and kpis.fmt_change(1500, "hours") == "1.500,0 giờ"
    assert tables.waiting(19.5) == "2 ngày 3,5 giờ làm việc" and tables.waiting(4) == "4,0 giờ làm việc"
    assert kpis.place_text({"unit_name": "Phường Phan Đình Phùng",
                            "area_name": "TP Thái Nguyên"}) == (
        "Phường Phan Đình Phùng · TP Thái Nguyên")
    assert kpis.place_text({"unit_name": None, "area_name": None}) == "-"
    assert kpis.drill_key("received", 3, area="ba_be", unit="05443") == "received|||ba_be|05443||3"
    assert cb.refresh("2026-13", None, None, None, None, now=NOW)[-1].startswith("Tháng '2026-13'")


# =========================================================================== report packs


def test_pack_is_made_for_a_signed_request_only(app, cast, ready_db: str) -> None:
    create_user(LEADER.username, LEADER.role, "mat-khau-lanh-dao-2026")
    token = packs.pack_request("quarter", NOVEMBER.code, None, None, None, AGENCY)
    steps: list[tuple[str, str]] = []
    file, status = packs.pack_job(steps.append, token)
    assert file["name"].endswith("2026-Q4.zip") and file["href"].startswith("/api/v1/packs/")
    assert "quý IV/2026" in dump(status) and file["href"] in dump(status)  # "Tải lại" link
    pack_id = file["href"].rsplit("/", 1)[1]
    stored, name = pack_files.open_pack(pack_id, LEADER.username)  # the requester's only
    assert name == file["name"]
    with pytest.raises(NotFound):
        pack_files.open_pack(pack_id, "quan_tri")
    with stored, zipfile.ZipFile(stored) as archive:
        names = sorted(archive.namelist())
        csv = archive.read(next(n for n in names if n.endswith(".csv"))).decode("utf-8-sig")
    assert [n.rsplit(".", 1)[1] for n in names] == ["csv", "docx", "xlsx"]
    assert steps and steps[-1][0] == "100" and all(1 <= int(p) <= 100 for p, _ in steps)
    for private in PRIVATE:
        assert private not in csv
    assert cast["processing"] in csv and cast["waiting"] not in csv  # the agency filter
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    assert packs.pack_job(steps.append, forged)[1].startswith("Yêu cầu tải báo cáo không hợp lệ")
    yesterday = int((datetime.now(UTC) - timedelta(days=1)).timestamp())
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(TimestampSigner, "get_timestamp", lambda self: yesterday)
        stale = packs._serializer().dumps({"p": "2026-11", "f": {}, "u": "lanh_dao_tinh"})
    assert "hết hạn" in packs.pack_job(steps.append, stale)[1]


def test_a_refused_pack_says_why(app, ready_db: str, monkeypatch) -> None:
    """The job's refusal (no longer allowed, disk nearly full) is shown, not a failed poll."""
    token = packs.pack_request("month", NOVEMBER.code, None, None, None, None)  # no account
    file, status = packs.pack_job(lambda _step: None, token)
    assert file is no_update and "không được tạo tệp báo cáo" in dump(status)
    create_user(LEADER.username, LEADER.role, "mat-khau-lanh-dao-2026")
    monkeypatch.setattr(pack_files, "MIN_FREE", 10**18)
    file, status = packs.pack_job(lambda _step: None, token)
    assert file is no_update and "pack-error" in dump(status)


# =========================================================================== direction (D7.2c)

ADMIN_VIEWER = StaffUser(9, "quan_tri", "Quản trị", "admin", None, "c", "h")
DIRECTION = "Giao Điện lực chủ trì kiểm tra, xử lý dứt điểm và báo cáo kết quả trước 30/11."


@pytest.fixture
def escalated(ready_db: str) -> str:
    """A report the IOC accepted, then escalated to the provincial People's Committee."""
    code = make_report(ready_db, steps=1)  # accepted by ioc_lan
    perform_action(code, "escalate", ACTORS["ioc_lan"], {"reason": "Hai cơ quan không thống nhất"},
                   url=ready_db)
    return code


def direct_ids(code: str) -> dict[str, dict]:
    return {"send": {"type": drilldown_layout.DIRECT_SEND, "code": code},
            "agency": {"type": drilldown_layout.DIRECT_PARAM, "code": code, "name": "agency"},
            "direction": {"type": drilldown_layout.DIRECT_PARAM, "code": code, "name": "direction"},
            "version": {"type": drilldown_layout.DIRECT_VERSION, "code": code},
            "feedback": {"type": drilldown_layout.DIRECT_FEEDBACK, "code": code},
            "reload": {"type": drilldown_layout.DIRECT_RELOAD, "code": code}}


def find(node, wanted: dict):
    """The component of id `wanted` in a tree of components (None when absent)."""
    if isinstance(node, (list, tuple)):
        return next((f for child in node if (f := find(child, wanted)) is not None), None)
    if not hasattr(node, "to_plotly_json"):
        return None
    if getattr(node, "id", None) == wanted:
        return node
    return find(getattr(node, "children", None), wanted)


def click_direct(code: str, agency: str | None, direction: str | None, version: int | None,
                 view: dict | None = None, trigger: str = "send") -> tuple:
    """What the browser sends when the leader clicks "Gửi chỉ đạo" (or "Tải lại phản ánh")."""
    ids = direct_ids(code)
    view = view or {"period": NOVEMBER.code, "filters": service.filters_dict(kpi.Filters())}
    return drilldown.direction_click(ids[trigger], [{"id": ids["agency"], "value": agency},
                                             {"id": ids["direction"], "value": direction}],
                              [{"id": ids["version"], "value": version}],
                              [{"id": ids["feedback"]}], view)


def test_leader_directs_an_escalated_report_to_an_agency(app, escalated: str,
                                                          ready_db: str) -> None:
    from backend.services.workflow.routing import suggest_agency

    view = {"period": NOVEMBER.code, "filters": service.filters_dict(kpi.Filters())}
    assert "Không có phản ánh" not in dump(drilldown.fresh_escalations(view))  # it waits
    opened = drilldown.drawer({"type": f"{PREFIX}-code", "code": escalated, "at": "esc-0"}, 1, view,
                       "late", None, None, None)
    assert opened[0] == "ld-drawer open detail"
    ids = component_ids(opened[3])
    for name in ("send", "agency", "direction", "version", "feedback"):
        assert json.dumps(direct_ids(escalated)[name], sort_keys=True) in ids, name
    text = dump(opened[3])
    assert "Chỉ đạo xử lý (Đ7.2c)" in text and "Gửi chỉ đạo" in text
    brief = service.report_brief(escalated, LEADER)
    assert brief["state"] == "escalated" and brief["allowed_actions"] == ["direct"]
    suggested = suggest_agency(brief["field"], brief["unit"], ready_db)
    assert suggested is not None and "Gợi ý theo quy tắc phân phối" in text
    agency_box = find(opened[3], direct_ids(escalated)["agency"])
    assert agency_box.value == suggested  # the routing rule's agency, chosen beforehand
    assert {o["value"] for o in agency_box.options} >= {AGENCY, OTHER_AGENCY}

    feedback, detail, waiting = click_direct(escalated, OTHER_AGENCY, DIRECTION,
                                             brief["version"], view)
    assert feedback == [no_update]
    shown = dump(detail)
    assert f"Đã gửi chỉ đạo: phản ánh {escalated} được chuyển đến" in shown
    assert json.dumps(direct_ids(escalated)["send"], sort_keys=True) not in component_ids(detail)
    assert "Không có phản ánh nào đang chờ UBND tỉnh chỉ đạo." in dump(waiting)  # read again
    after = service.report_brief(escalated, LEADER)
    assert after["state"] == "forwarded" and after["agency"] == OTHER_AGENCY
    assert after["version"] == brief["version"] + 1 and after["allowed_actions"] == []
    last = after["history"][-1]
    assert DIRECTION in json.dumps(last, ensure_ascii=False)


def test_ioc_and_admin_viewers_read_an_escalation_without_the_form(app, escalated: str,
                                                                    monkeypatch) -> None:
    version = service.report_brief(escalated, LEADER)["version"]
    for viewer in (IOC_VIEWER, ADMIN_VIEWER):
        monkeypatch.setattr(access, "viewer", lambda viewer=viewer: viewer)
        assert service.report_brief(escalated, viewer)["allowed_actions"] == []
        detail = drilldown.open_report(escalated, viewer)
        text = dump(detail)
        assert escalated in text and "Lịch sử xử lý" in text
        assert "Gửi chỉ đạo" not in text
        assert not [i for i in component_ids(detail) if drilldown_layout.DIRECT_PARAM in i]
        with pytest.raises(PreventUpdate):  # the callback checks the role again
            click_direct(escalated, OTHER_AGENCY, DIRECTION, version)
    assert service.report_brief(escalated, LEADER)["state"] == "escalated"


def test_a_stale_or_incomplete_direction_says_why_in_vietnamese(app, escalated: str) -> None:
    version = service.report_brief(escalated, LEADER)["version"]
    feedback, detail, waiting = click_direct(escalated, OTHER_AGENCY, DIRECTION, version - 1)
    assert detail is no_update and waiting is no_update  # what the leader typed stays
    answer = dump(feedback)
    assert "Phản ánh đã được người khác cập nhật; hãy tải lại rồi thao tác lại." in answer
    assert json.dumps(direct_ids(escalated)["reload"], sort_keys=True) in component_ids(feedback)
    assert "feedback error" in answer
    for agency, text, message in ((None, DIRECTION, "Hãy chọn cơ quan chủ trì xử lý."),
                                  (OTHER_AGENCY, "   ", "Hãy nhập nội dung chỉ đạo."),
                                  ("khong_co", DIRECTION, "không tồn tại")):
        feedback, detail, _ = click_direct(escalated, agency, text, version)
        assert message in dump(feedback) and detail is no_update
    assert service.report_brief(escalated, LEADER)["state"] == "escalated"  # nothing changed

    _, reloaded, _ = click_direct(escalated, None, None, None, trigger="reload")
    assert "Đã tải lại dữ liệu mới nhất của phản ánh." in dump(reloaded)
    assert "Gửi chỉ đạo" in dump(reloaded)  # still waiting: the form again, current version

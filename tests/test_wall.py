"""The wall screen (D2.2d): its snapshot's figures against direct counts, no personal data, and
the tick callback as a plain function (cache shared, nothing re-sent when nothing changed)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from api_helpers import make_report
from dash import no_update
from sqlalchemy import func, select, update

from backend.services.access.auth import StaffUser
from backend.services.reads import wall
from backend.storage.db import session_factory
from backend.storage.models import Report
from dashboard import access
from dashboard.callbacks import wall as wall_tick
from dashboard.layouts import wall as wall_screen
from dashboard.wsgi import create_app

NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)  # Wednesday 10:00 in Thái Nguyên
PRIVATE = ("Trần Thị Bình", "0912345678", "binh@example.vn")  # make_report's reporter


@pytest.fixture
def cast(ready_db: str) -> dict[str, str]:
    """One report in each situation the wall counts."""
    return {
        "new": make_report(ready_db, now=NOW - timedelta(hours=1)),
        "emergency": make_report(ready_db, now=NOW - timedelta(minutes=30), emergency=True),
        "stale": make_report(ready_db, now=NOW - timedelta(days=5)),  # verify due long ago
        "published": make_report(ready_db, now=NOW - timedelta(hours=2), steps=6),
        "forwarded": make_report(ready_db, now=NOW - timedelta(hours=3), steps=2),
    }


def test_snapshot_tiles_match_the_situation(ready_db: str, cast: dict[str, str]) -> None:
    data = wall.full_snapshot(NOW, url=ready_db)
    k = data["kpis"]
    assert k["received_today"] == 4  # all but the five-day-old one
    assert k["waiting_at_ioc"] == 3 and k["at_agencies"] == 1
    assert k["overdue_now"] == 1 and k["emergencies_open"] == 1
    from backend.services.kpis import (
        figures as kpi,  # the month's rates are the KPIs' own (docs/kpi.md)
    )

    figures = kpi.snapshot(kpi.Period.month(2026, 11), now=NOW, url=ready_db).figures(hours=False)
    assert k["on_time_rate"] == figures["rate.on_time.e2e"] is not None
    assert k["satisfaction_rate"] == figures["rate.satisfied"]
    with session_factory(ready_db)() as session:  # the same figures by a direct count
        open_overdue = session.scalar(select(func.count()).select_from(Report).where(
            Report.stage_due < NOW, Report.state.not_in(("published", "rejected", "closed"))))
    assert k["overdue_now"] == open_overdue
    # all cast reports are in Phường Phan Đình Phùng (05443), in the area TP Thái Nguyên
    assert data["units"]["05443"] == data["areas"]["tp_thai_nguyen"] == {
        "open": 4, "overdue": 1, "received_30d": 5}
    assert [r["code"] for r in data["ticker"]][0] == cast["forwarded"]  # newest id first
    assert sum(c["open"] for c in data["matrix"]) == 1
    assert {c["area"] for c in data["matrix"]} == {"tp_thai_nguyen"}


def test_snapshot_has_no_personal_data_and_no_state_secret(ready_db: str, cast) -> None:
    with session_factory(ready_db)() as session, session.begin():
        session.execute(update(Report).where(Report.code == cast["new"]).values(state_secret=True))
    data = wall.full_snapshot(NOW, url=ready_db)
    text = json.dumps(data, ensure_ascii=False)
    for private in PRIVATE:
        assert private not in text
    assert cast["new"] not in text  # D10.4: a state-secret report is not even named


@pytest.fixture
def wall_app(ready_db: str, monkeypatch):
    """The full app; the viewer is a wall display (as the router would have checked)."""
    screen = StaffUser(1, "manhinh", None, "wall_display", None, "csrf", "hash")
    monkeypatch.setattr(access, "viewer", lambda: screen)
    return create_app({"TESTING": True})


def test_tick_sends_everything_once_then_only_the_clock(wall_app, cast, monkeypatch) -> None:
    calls = []
    original = wall.snapshot
    monkeypatch.setattr(wall, "snapshot", lambda now, url=None: calls.append(now) or original(now))
    slow = wall.slow_snapshot
    monkeypatch.setattr(wall, "slow_snapshot", lambda now, url=None: calls.append(now) or slow(now))
    with wall_app.test_request_context("/_dash-update-component"):
        first = wall_tick.tick(0, None, now=NOW)
        clock, tiles, ticker, heatmap, hideout, points_url, seen, mode, new = first
        assert "29/11" not in clock and clock.endswith("25/11/2026")
        assert len(tiles) == 6 and len(ticker) == 5
        assert points_url == "/api/v1/map/points.geojson?v=202611250300"  # the minute's points
        assert [f["properties"]["code"] for f in new["features"]] == [
            r.children[1].children for r in ticker]  # the newest, drawn over them
        assert hideout["mode"] == "volume" and set(hideout["values"]) == {"tp_thai_nguyen"}
        assert set(hideout["units"]) == {"05443"}
        assert hideout["values"]["tp_thai_nguyen"]["label"].startswith(
            "Khu vực TP Thái Nguyên: 5 phản ánh 30 ngày · 4 đang mở")
        assert hideout["units"]["05443"]["label"].startswith("Phường Phan Đình Phùng: 5")
        assert heatmap.className == "heat-table"
        assert "Phường Phan Đình Phùng" in str(ticker[0])  # the unit, by name
        again = wall_tick.tick(1, seen, now=NOW + timedelta(seconds=2))
        assert again[1] is no_update and again[2] is no_update and again[5] is no_update
        assert again[8] is no_update
        assert again[4]["values"] == hideout["values"]  # re-sent: it may arrive before geometry
        later = wall_tick.tick(wall_tick.MODE_TICKS, seen, now=NOW + timedelta(seconds=4))
        assert later[4]["mode"] == "overdue"
    assert len(calls) == 2  # one snapshot (fast and slow parts) served three ticks


def test_tick_refuses_anyone_but_the_wall_roles(wall_app, monkeypatch) -> None:
    from dash.exceptions import PreventUpdate

    handler = StaffUser(2, "xl", None, "agency_handler", "ubnd_164", "c", "h")
    monkeypatch.setattr(access, "viewer", lambda: handler)
    with wall_app.test_request_context("/_dash-update-component"), pytest.raises(PreventUpdate):
        wall_tick.tick(0, None, now=NOW)


def test_heatmap_puts_the_worst_agency_first() -> None:
    # the areas' display order, not the alphabet, nor the order the cells come in
    data = {"area_names": {"tp_thai_nguyen": "TP Thái Nguyên", "tp_song_cong": "TP Sông Công",
                           "ba_be": "Ba Bể"}, "matrix": [
        {"agency": "b", "agency_name": "Sở B", "area": "tp_song_cong", "open": 4, "overdue": 3},
        {"agency": "a", "agency_name": "Sở A", "area": "tp_thai_nguyen", "open": 10,
         "overdue": 1},
        {"agency": "a", "agency_name": "Sở A", "area": "ba_be", "open": 2, "overdue": 0},
    ]}
    areas, agencies, rows = wall_screen.heatmap_cells(data)
    assert areas == ["TP Thái Nguyên", "TP Sông Công", "Ba Bể"] and agencies == ["Sở B", "Sở A"]
    assert rows[0][0] is None and rows[0][1]["rate"] == 0.75 and rows[1][0]["rate"] == 0.1
    table = wall_screen.heatmap(data)
    text = str(table)
    assert "3/4" in text and "1/10" in text and "0/2" in text
    assert "Khu vực TP Sông Công" in text  # a column's full name in its title
    assert table.className == "heat-table"  # three columns: names written across
    assert wall_screen.heat_colour(0.0) != wall_screen.heat_colour(1.0)


def test_heatmap_columns_are_the_areas_with_open_reports(ready_db: str) -> None:
    from backend.services.places.catalogue import place_index

    order = place_index(ready_db).area_names()
    codes = list(order)
    cells = [{"agency": "a", "agency_name": "Sở A", "area": code, "open": 2, "overdue": 1}
             for code in reversed(codes)] + [
        {"agency": "a", "agency_name": "Sở A", "area": "-", "open": 1, "overdue": 0}]
    areas, _, rows = wall_screen.heatmap_cells({"area_names": order, "matrix": cells})
    assert areas == [*order.values(), wall_screen.NO_AREA]  # 17 areas in order, then none
    assert len(areas) == 18 and all(cell["rate"] == 0.5 for cell in rows[0][:17])
    assert "many" in wall_screen.heatmap({"area_names": order, "matrix": cells}).className


def test_wall_figures_by_area_and_unit(ready_db: str) -> None:
    """A report placed in a known unit counts in that unit and in its area; the areas'
    figures are the sums of their units'."""
    from backend.services.places.catalogue import forget_places, place_index

    forget_places()
    places = place_index(ready_db)
    unit = next(code for code, u in places.units.items() if u.area_code == "ba_be")
    seat = places.units[unit]
    make_report(ready_db, now=NOW - timedelta(hours=2), lat=seat.lat, lon=seat.lon)
    make_report(ready_db, now=NOW - timedelta(hours=1))  # Phường Phan Đình Phùng
    data = wall.full_snapshot(NOW, url=ready_db)
    with session_factory(ready_db)() as session:
        placed = session.scalar(select(Report.unit_code).order_by(Report.id).limit(1))
    assert placed == unit, "the report at the unit's seat is placed in that unit"
    assert data["units"][unit] == {"open": 1, "overdue": 0, "received_30d": 1}
    assert data["areas"]["ba_be"] == {"open": 1, "overdue": 0, "received_30d": 1}
    assert data["areas"]["tp_thai_nguyen"]["received_30d"] == 1
    for area, figures in data["areas"].items():
        members = [f for code, f in data["units"].items() if places.area_of(code) == area]
        assert figures["open"] == sum(f["open"] for f in members)
    shown = wall_tick.choropleth({**data, "area_names": places.area_names(),
                                  "unit_names": places.unit_names()}, "volume")
    assert shown["values"]["ba_be"]["label"].startswith("Khu vực Ba Bể: 1 phản ánh 30 ngày")
    assert shown["units"][unit]["label"].startswith(f"{seat.name}: 1 phản ánh 30 ngày")
    assert shown["units"][unit]["v"] == shown["values"]["ba_be"]["v"] == 1.0


def test_a_new_version_is_computed_once_while_others_get_the_latest(wall_app) -> None:
    from dashboard import cache

    computed = []
    with wall_app.test_request_context("/"):
        assert cache.remember_latest("t", "v1", 60, lambda: computed.append(1) or "one") == (
            "v1", "one")
        shared = wall_app.extensions["ioc_cache"]
        shared.add("t:lock:v2", 1)  # another request is computing v2 right now
        assert cache.remember_latest("t", "v2", 60, lambda: computed.append(2) or "two") == (
            "v1", "one")
        shared.delete("t:lock:v2")
        assert cache.remember_latest("t", "v2", 60, lambda: computed.append(2) or "two") == (
            "v2", "two")
    assert computed == [1, 2]

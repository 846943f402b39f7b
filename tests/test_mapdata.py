"""The map points route: open and recent reports, SLA colour, no personal data, gzip + ETag."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from backend.services.access.auth import create_user
from backend.services.intake.submit import NewReport, submit_report
from backend.services.reads import mapdata
from backend.storage.db import session_factory
from backend.storage.models import Report
from backend.web.server import create_server

NAME, PHONE, EMAIL = "Hoàng Thị Mai", "0912345678", "mai@example.vn"


def _report(url: str, now: datetime, **kw) -> Report:
    values = dict(description="Nắp cống bị vỡ trên đường Phan Đình Phùng", lat=21.5942,
                  lon=105.8482, reporter_name=NAME, reporter_phone=PHONE, reporter_email=EMAIL)
    values.update(kw)
    return submit_report(NewReport(**values), now=now, url=url)


def test_sla_colour_follows_the_clock() -> None:
    now = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)
    due, risk = now + timedelta(hours=2), now - timedelta(minutes=1)
    assert mapdata.sla_colour(None, None, None, now) == "none"
    assert mapdata.sla_colour(due, now + timedelta(hours=1), None, now) == "on_time"
    assert mapdata.sla_colour(due, risk, None, now) == "at_risk"
    assert mapdata.sla_colour(now - timedelta(seconds=1), risk, None, now) == "overdue"
    assert mapdata.sla_colour(now - timedelta(seconds=1), risk, now, now) == "overdue_notified"


def test_points_route_is_staff_only_gzipped_cacheable_and_anonymous(ready_db: str) -> None:
    now = datetime.now(UTC)
    fresh = _report(ready_db, now)
    late = _report(ready_db, now - timedelta(days=5))  # verify due long ago: overdue
    secret = _report(ready_db, now)
    with session_factory(ready_db)() as session, session.begin():
        session.execute(update(Report).where(Report.id == secret.id).values(state_secret=True))
    create_user("wall1", "wall_display", "mat-khau-man-hinh")
    client = create_server({"TESTING": True}).test_client()
    assert client.get("/api/v1/map/points.geojson").status_code == 401
    assert client.post("/api/v1/auth/login", json={"username": "wall1",
                                                    "password": "mat-khau-man-hinh"}).status_code == 200
    answer = client.get("/api/v1/map/points.geojson", headers={"Accept-Encoding": "gzip"})
    assert answer.status_code == 200 and answer.headers["Content-Encoding"] == "gzip"
    raw = gzip.decompress(answer.data).decode("utf-8")
    for private in (NAME, PHONE, EMAIL):
        assert private not in raw
    colours = {f["properties"]["code"]: f["properties"]["sla"]
               for f in json.loads(raw)["features"]}
    assert colours[fresh.code] == "on_time" and colours[late.code] == "overdue"
    assert secret.code not in colours  # D10.4: never shown
    etag = answer.headers["ETag"]
    assert client.get("/api/v1/map/points.geojson", headers={"If-None-Match": etag}).status_code in (304, 200)
    version = client.get("/api/v1/map/version").get_json()["version"]
    _report(ready_db, datetime.now(UTC))
    assert client.get("/api/v1/map/version").get_json()["version"] != version

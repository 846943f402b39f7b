"""Open311 GeoReport v2 (/open311/v2) against a real server, read with the PyPI client `georeport`.

The server is `create_server()` under werkzeug in a thread; reads go through `georeport` in JSON
and XML, submissions through raw HTTP (georeport is read-only). Checked: spec field order,
content types, `+07:00` datetimes, the state mapping, expected_datetime from the stored stage
deadline, Open311's error lists, no reporter identity anywhere, state secrets invisible (D10.4),
and `ioc apikeys create`.
"""

from __future__ import annotations

import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests
from click.testing import CliRunner
from georeport import GeoReport
from sqlalchemy import select, update
from werkzeug.serving import make_server

from backend.domain.roles import Role
from backend.domain.workflow import Actor
from backend.services.access.apikeys import check_api_key, create_api_key
from backend.services.intake.submit import NewReport, submit_report
from backend.services.workflow.steps import perform_action
from backend.storage.db import session_factory
from backend.storage.models import Report
from backend.web.server import create_server

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
LAT, LON = 21.5942, 105.8482  # TP Thái Nguyên
HANOI = (21.0285, 105.8542)
FIELD, OTHER_FIELD = "do_thi_xay_dung", "giao_thong"
AGENCY, AGENCY_NAME = "ubnd_05443", "UBND phường Phan Đình Phùng"
RESULT = "Đã dọn vật liệu xây dựng lấn chiếm vỉa hè đường Hoàng Văn Thụ"
REASON = "Nội dung không thuộc phạm vi phản ánh hiện trường"

IOC = Actor("ioc_lan", Role.IOC_HANDLER)
HANDLER = Actor("xl_164", Role.AGENCY_HANDLER, AGENCY)
LEADER = Actor("ld_164", Role.AGENCY_LEADER, AGENCY)
TO_IN_PROGRESS = (("accept", IOC, {"field": FIELD}),
                  ("forward", IOC, {"field": FIELD, "agency": AGENCY}),
                  ("receive", HANDLER, None))
TO_PUBLISHED = (*TO_IN_PROGRESS, ("submit_result", HANDLER, {"result": RESULT}),
                ("approve", LEADER, None), ("publish", IOC, None))

IDENTITY = {  # every reporter's identity; none of it may ever leave through Open311
    "plain": ("Nguyễn Văn Công Khai", "0912345678", "congkhai@example.vn"),
    "secret": ("Trần Thị Bí Mật", "0987654321", "bimat@example.vn"),
    "posted": ("Lê Văn", "Gửi Thử", "0911222333", "gui@example.vn"),
}
SPEC_ORDER = [
    "service_request_id", "status", "status_notes", "service_name", "service_code",
    "description", "agency_responsible", "service_notice", "requested_datetime",
    "updated_datetime", "expected_datetime", "address", "address_id", "zipcode", "lat", "long",
    "media_url",
]
DATETIMES = ("requested_datetime", "updated_datetime", "expected_datetime")


# --- a real server -------------------------------------------------------------------------

@pytest.fixture
def base(ready_db: str) -> Iterator[str]:
    """The Open311 root of `create_server()` served by werkzeug on a free port."""
    server = make_server("127.0.0.1", 0, create_server({"TESTING": True}), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/open311/v2"
    finally:
        server.shutdown()
        thread.join(timeout=10)


def client(base: str, fmt: str) -> GeoReport:
    return GeoReport(base, output_format=fmt)


def as_list(value: Any) -> list[dict]:
    """xmltodict gives a dict for one child; make it a list either way."""
    return value if isinstance(value, list) else [value]


# --- data ------------------------------------------------------------------------------------

@dataclass
class World:
    """Codes of the reports every read test looks at."""

    published: str
    in_progress: str
    confidential: str
    rejected: str
    state_secret: str
    old: str
    now: datetime


def _submit(url: str, at: datetime, who: str = "plain", **kw: Any) -> str:
    name, phone, email = IDENTITY[who]
    report = submit_report(NewReport(
        description="Vật liệu xây dựng đổ tràn vỉa hè, người đi bộ phải xuống lòng đường",
        lat=LAT, lon=LON, address="Số 12 đường Hoàng Văn Thụ", reporter_name=name,
        reporter_phone=phone, reporter_email=email, **kw), now=at, url=url)
    return report.code


def _steps(url: str, code: str, at: datetime, path) -> None:
    for n, (action, actor, params) in enumerate(path, start=1):
        perform_action(code, action, actor, params, now=at + timedelta(minutes=20 * n), url=url)


def populate(url: str) -> World:
    """Six reports: published, in progress, confidential answered privately, rejected,
    a state secret, and one from 200 days ago."""
    now = datetime.now(UTC).replace(microsecond=0)
    t = now - timedelta(days=2)
    published = _submit(url, t)
    _steps(url, published, t, TO_PUBLISHED)
    in_progress = _submit(url, t + timedelta(hours=1))
    _steps(url, in_progress, t + timedelta(hours=1), TO_IN_PROGRESS)
    confidential = _submit(url, t + timedelta(hours=2), who="secret", confidential=True)
    _steps(url, confidential, t + timedelta(hours=2), TO_PUBLISHED)
    rejected = _submit(url, t + timedelta(hours=3))
    _steps(url, rejected, t + timedelta(hours=3), [("reject", IOC, {"reason": REASON})])
    state_secret = _submit(url, t + timedelta(hours=4))
    _steps(url, state_secret, t + timedelta(hours=4), TO_IN_PROGRESS)
    with session_factory(url)() as session, session.begin():
        session.execute(update(Report).where(Report.code == state_secret)
                        .values(state_secret=True))
    old = _submit(url, now - timedelta(days=200))
    return World(published, in_progress, confidential, rejected, state_secret, old, now)


def stored(url: str, code: str) -> Report:
    with session_factory(url)() as session:
        return session.scalar(select(Report).where(Report.code == code))


def w3c(at: datetime | None) -> str | None:
    return None if at is None else at.astimezone(LOCAL).isoformat(timespec="seconds")


def assert_no_identity(*bodies: str) -> None:
    for body in bodies:
        for who in IDENTITY.values():
            for value in who:
                assert value not in body, value


def xml_root(response: requests.Response) -> ET.Element:
    """Well-formed XML with the spec's declaration and content type."""
    assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(response.content)


# --- discovery and services -----------------------------------------------------------------

def test_discovery_services_and_definitions(base: str) -> None:
    """Discovery in both formats; fields as services (georeport, JSON and XML); definitions."""
    response = requests.get(f"{base}/discovery.json", timeout=10)
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    endpoint = response.json()["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == base
    assert endpoint["formats"] == ["text/xml", "application/json"]
    root = xml_root(requests.get(f"{base}/discovery.xml", timeout=10))
    assert root.tag == "discovery"
    assert [f.text for f in root.iter("format")] == ["text/xml", "application/json"]

    services_json = client(base, "json").get_service_list()
    services_xml = client(base, "xml").get_service_list()
    assert isinstance(services_json, list) and len(services_json) >= 10
    by_code = {s["service_code"]: s for s in services_json}
    roads = by_code[OTHER_FIELD]
    assert roads["service_name"] == "Giao thông"
    assert roads["group"] == "Hạ tầng"
    assert (roads["type"], roads["metadata"]) == ("realtime", True)
    assert "ổ gà" in roads["keywords"].split(",")
    assert roads["description"]
    assert [s["service_code"] for s in services_xml] == list(by_code)
    xml_roads = next(s for s in services_xml if s["service_code"] == OTHER_FIELD)
    assert xml_roads == {k: str(v).lower() if isinstance(v, bool) else v
                         for k, v in roads.items()}

    definition = client(base, "json").get_service_definition(FIELD)
    assert definition["service_code"] == FIELD
    codes = [a["code"] for a in definition["attributes"]]
    assert codes == ["giu_bi_mat", "thoi_diem_su_viec"]
    assert all(a["required"] is False for a in definition["attributes"])
    xml_definition = client(base, "xml").get_service_definition(FIELD)
    assert xml_definition["service_code"] == FIELD
    assert [a["code"] for a in xml_definition["attributes"]["attribute"]] == codes
    # The `open311` client's singular path is an alias.
    assert requests.get(f"{base}/service/{FIELD}.json", timeout=10).json() == definition

    with pytest.raises(requests.HTTPError) as caught:
        client(base, "json").get_service_definition("khong_co")
    assert caught.value.response.status_code == 404
    assert caught.value.response.json()[0]["code"] == 404


# --- reading requests -------------------------------------------------------------------------

def test_requests_with_georeport_json(base: str, ready_db: str) -> None:
    """Default window, the state mapping, notes, identity kept out, state secrets hidden."""
    world = populate(ready_db)
    geo = client(base, "json")
    listed = geo.get_service_requests()
    codes = [r["service_request_id"] for r in listed]
    assert all(isinstance(c, str) for c in codes)
    assert set(codes) == {world.published, world.in_progress, world.rejected}
    # newest 90 days; no state secret (D10.4) and no report whose sender asked for secrecy (D5.4,
    # D10.3): Open311 reads are public, like the portal; not the old one
    assert codes == sorted(codes, reverse=True)  # newest first
    for item in listed:
        assert list(item) == SPEC_ORDER
        assert item["requested_datetime"].endswith("+07:00")
        assert item["updated_datetime"].endswith("+07:00")
        assert (item["address_id"], item["zipcode"], item["media_url"]) == (None, None, None)
        assert isinstance(item["lat"], float) and isinstance(item["long"], float)
    by_code = {r["service_request_id"]: r for r in listed}

    published = by_code[world.published]
    assert (published["status"], published["service_code"]) == ("closed", FIELD)
    assert published["service_name"] == "Đô thị và xây dựng"
    assert published["agency_responsible"] == AGENCY_NAME
    assert RESULT in published["status_notes"]  # the published answer (D10.2)
    assert published["expected_datetime"] is None
    row = stored(ready_db, world.published)
    assert published["updated_datetime"] == w3c(row.published_at)
    assert published["requested_datetime"] == w3c(row.submitted_at)
    assert published["address"] == "Số 12 đường Hoàng Văn Thụ"

    progress = by_code[world.in_progress]
    assert progress["status"] == "open"
    assert progress["status_notes"] == "Đang xử lý"
    row = stored(ready_db, world.in_progress)
    assert row.process_due is not None
    assert progress["expected_datetime"] == w3c(row.process_due)  # the current stage's due
    assert progress["expected_datetime"].endswith("+07:00")
    assert datetime.fromisoformat(progress["expected_datetime"]) == row.process_due

    assert world.confidential not in by_code

    rejected = by_code[world.rejected]
    assert rejected["status"] == "closed"
    assert REASON in rejected["status_notes"]
    assert rejected["agency_responsible"]  # the IOC while no agency holds it

    one = geo.get_service_request(world.in_progress)
    assert one == progress
    with pytest.raises(requests.HTTPError) as caught:
        geo.get_service_request(world.state_secret)
    assert caught.value.response.status_code == 404

    bodies = [requests.get(f"{base}/requests.{fmt}", timeout=10).text for fmt in ("json", "xml")]
    bodies += [requests.get(f"{base}/requests/{code}.{fmt}", timeout=10).text
               for code in by_code for fmt in ("json", "xml")]
    assert_no_identity(*bodies)
    assert all(world.state_secret not in body for body in bodies)


def test_requests_filters_json_and_xml(base: str, ready_db: str) -> None:
    """service_code, status, dates and ids (overriding the rest), through georeport both ways."""
    world = populate(ready_db)
    start = (world.now - timedelta(days=3)).isoformat()
    for fmt in ("json", "xml"):
        geo = client(base, fmt)

        def codes(geo: GeoReport = geo, **kw: Any) -> set[str]:
            return {r["service_request_id"] for r in as_list(geo.get_service_requests(**kw))}

        assert codes(status="open") == {world.in_progress}
        assert codes(status="closed") == {world.published, world.rejected}
        assert codes(status="open,closed") == codes()
        assert codes(service_code=FIELD) == {world.published, world.in_progress}
        assert codes(service_code=f"{FIELD},{OTHER_FIELD}", status="open") == {world.in_progress}
        assert codes(start_date=start, end_date=world.now.isoformat()) == codes()
        old_from = (world.now - timedelta(days=201)).isoformat().replace("+00:00", "Z")
        old_to = (world.now - timedelta(days=199)).isoformat()
        assert codes(start_date=old_from, end_date=old_to) == {world.old}
        assert codes(start_date=old_from) == {world.old}  # 90 days from the start
        # extension: the province's places (issue 12), an area or a unit of 1/7/2025
        everything = codes()

        def placed(**kw: str) -> set[str]:
            response = requests.get(f"{base}/requests.json", params=kw, timeout=10)
            assert response.status_code == 200, response.text
            return {r["service_request_id"] for r in response.json()}

        assert placed(area="tp_thai_nguyen") == everything == placed(unit="05443")
        assert placed(area="na_ri") == set() == placed(unit="02143")
        ids = f"{world.old},{world.published},{world.state_secret},PA-0000-000000"
        assert codes(service_request_id=ids, status="open",
                     start_date=start) == {world.old, world.published}

    xml = requests.get(f"{base}/requests.xml", params={"status": "open,closed"}, timeout=10)
    root = xml_root(xml)
    assert root.tag == "service_requests"
    for request_el in root.findall("request"):
        assert [child.tag for child in request_el] == SPEC_ORDER
        assert request_el.find("address_id").text is None  # an empty element
    one = xml_root(requests.get(f"{base}/requests/{world.in_progress}.xml", timeout=10))
    assert [el.tag for el in one] == ["request"]
    expected = one.find("request/expected_datetime").text
    assert expected == w3c(stored(ready_db, world.in_progress).process_due)
    item = client(base, "xml").get_service_request(world.in_progress)
    assert item["service_request_id"] == world.in_progress
    assert item["lat"] == str(LAT)

    # Empty optional parameters count as absent; jurisdiction_id is ignored.
    plain = requests.get(f"{base}/requests.json", timeout=10).json()
    empty = requests.get(f"{base}/requests.json", timeout=10, params={
        "jurisdiction_id": "", "status": "", "service_code": "", "start_date": "",
        "service_request_id": ""}).json()
    assert plain == empty
    jurisdiction = requests.get(f"{base}/requests.json", params={"jurisdiction_id": "tn"},
                                timeout=10).json()
    assert jurisdiction == plain


# --- submitting ---------------------------------------------------------------------------------

def test_post_requests_key_in_body_or_query(base: str, ready_db: str) -> None:
    """Form-encoded POST with the key in the body (spec) or the query (open311 client)."""
    key = create_api_key("Phần mềm một cửa huyện", url=ready_db)
    first, last, phone, email = IDENTITY["posted"]
    form = {"service_code": OTHER_FIELD, "lat": str(LAT), "long": str(LON),
            "address_string": "Ngã tư Đồng Quang", "description": "Ổ gà sâu giữa ngã tư\x07",
            "first_name": first, "last_name": last, "phone": phone, "email": email,
            "media_url": "https://example.vn/anh/o-ga.jpg", "jurisdiction_id": ""}

    in_body = requests.post(f"{base}/requests.json", data={**form, "api_key": key}, timeout=30)
    assert in_body.status_code == 200, in_body.text
    assert in_body.headers["Content-Type"] == "application/json; charset=utf-8"
    [answer] = in_body.json()
    assert list(answer) == ["service_request_id", "service_notice", "account_id"]
    assert answer["account_id"] is None
    code = answer["service_request_id"]
    assert isinstance(code, str) and code in answer["service_notice"]

    in_query = requests.post(f"{base}/requests.xml", params={"api_key": key, "jurisdiction_id": ""},
                             data={**form, "attribute[giu_bi_mat]": "true",
                                   "attribute[thoi_diem_su_viec]": "2026-11-28T07:15:00+07:00"},
                             timeout=30)
    assert in_query.status_code == 200, in_query.text
    root = xml_root(in_query)
    assert [el.tag for el in root.find("request")] == [
        "service_request_id", "service_notice", "account_id"]
    secret_code = root.find("request/service_request_id").text

    row = stored(ready_db, code)
    assert (row.channel, row.field_code, row.consent_version) == ("open311", OTHER_FIELD, "open311")
    assert row.consent_at == row.submitted_at
    assert (row.reporter_name, row.reporter_phone, row.reporter_email) == (
        f"{first} {last}", phone, email)
    assert row.address == "Ngã tư Đồng Quang"
    assert row.description.endswith("https://example.vn/anh/o-ga.jpg")
    assert row.confidential is False
    secret = stored(ready_db, secret_code)
    assert secret.confidential is True
    assert secret.incident_at == datetime(2026, 11, 28, 0, 15, tzinfo=UTC)

    geo = client(base, "json")
    item = geo.get_service_request(code)
    assert (item["service_code"], item["service_name"]) == (OTHER_FIELD, "Giao thông")
    assert (item["status"], item["status_notes"]) == ("open", "Chờ xác minh")
    assert item["expected_datetime"] == w3c(row.verify_due)
    assert item["address"] == "Ngã tư Đồng Quang"
    listed = geo.get_service_requests(service_code=OTHER_FIELD)
    assert {r["service_request_id"] for r in listed} == {code}  # the secret one is not public
    as_xml = requests.get(f"{base}/requests.xml", timeout=10)
    assert len(xml_root(as_xml).findall("request")) == 1  # well-formed despite the \x07
    assert_no_identity(in_body.text, in_query.text, as_xml.text,
                       requests.get(f"{base}/requests.json", timeout=10).text)


def post(base: str, fmt: str = "json", **form: str) -> requests.Response:
    return requests.post(f"{base}/requests.{fmt}", data=form, timeout=30)


def error_of(response: requests.Response, status: int) -> str:
    """The one error of an Open311 error list (JSON or XML), checked against the status."""
    assert response.status_code == status, response.text
    if response.headers["Content-Type"].startswith("application/json"):
        [error] = response.json()
        assert error["code"] == status
        return error["description"]
    root = xml_root(response)
    assert root.tag == "errors"
    [error] = root.findall("error")
    assert error.find("code").text == str(status)
    return error.find("description").text


def test_errors_are_open311_lists(base: str, ready_db: str) -> None:
    """403 key, 404 unknown things, 400 everything else; each a list in the asked format."""
    key = create_api_key("Kiểm thử", url=ready_db)
    good = {"service_code": FIELD, "lat": str(LAT), "long": str(LON),
            "description": "Cây đổ chắn đường"}

    assert "api_key" in error_of(post(base, **good), 403)
    assert "api_key" in error_of(post(base, "xml", **good), 403)
    assert error_of(post(base, **good, api_key="ioc_" + "x" * 32), 403)
    assert error_of(post(base, **good, api_key="sai"), 403)
    assert "khong_co" in error_of(post(base, **{**good, "service_code": "khong_co"},
                                       api_key=key), 404)
    assert "service_code" in error_of(post(base, **{**good, "service_code": ""}, api_key=key), 400)
    no_place = {k: v for k, v in good.items() if k not in ("lat", "long")}
    assert "lat" in error_of(post(base, **no_place, api_key=key), 400)
    assert "address_string" in error_of(
        post(base, "xml", **no_place, address_string="Phường Hoàng Văn Thụ", api_key=key), 400)
    assert error_of(post(base, **{**good, "long": ""}, api_key=key), 400)
    assert error_of(post(base, **{**good, "lat": "abc"}, api_key=key), 400)
    hanoi = {**good, "lat": str(HANOI[0]), "long": str(HANOI[1])}
    assert "ngoài địa giới" in error_of(post(base, **hanoi, api_key=key), 400)
    assert "description" in error_of(post(base, **{**good, "description": " "}, api_key=key), 400)
    assert error_of(post(base, **good, api_key=key, **{"attribute[giu_bi_mat]": "maybe"}), 400)
    assert error_of(post(base, **good, api_key=key, media_url="javascript:alert(1)"), 400)
    assert error_of(post(base, **good, api_key=key, email="khong-phai-email"), 400)

    def get(path: str, **params: str) -> requests.Response:
        return requests.get(f"{base}/{path}", params=params, timeout=10)

    now = datetime.now(UTC)
    too_long = {"start_date": (now - timedelta(days=91)).isoformat(), "end_date": now.isoformat()}
    assert "90" in error_of(get("requests.json", **too_long), 400)
    assert "90" in error_of(get("requests.xml", **too_long), 400)
    assert error_of(get("requests.json", start_date="hôm qua"), 400)
    assert error_of(get("requests.json", start_date=now.isoformat(),
                        end_date=(now - timedelta(days=1)).isoformat()), 400)
    assert error_of(get("requests.json", status="pending"), 400)
    assert error_of(get("requests.json", service_code="khong_co"), 404)
    assert "PA-2026-999999" in error_of(get("requests/PA-2026-999999.json"), 404)
    assert error_of(get("requests/PA-2026-999999.xml"), 404)
    for path in ("requests.txt", "services.txt", "requests/PA-2026-000001.txt", "services",
                 "discovery.html", "khong-co.json", "", "tokens/abc.json"):
        assert error_of(get(path), 404)
    assert error_of(requests.delete(f"{base}/requests.json", timeout=10), 405)
    with pytest.raises(requests.HTTPError) as caught:
        client(base, "xml").get_service_request("PA-2026-999999")
    assert caught.value.response.status_code == 404


def test_state_secret_never_served(base: str, ready_db: str) -> None:
    """D10.4: a state-secret report is in no list, no filter, and 404 by id, in both formats."""
    world = populate(ready_db)
    for fmt in ("json", "xml"):
        for params in ({}, {"status": "open"}, {"service_code": FIELD},
                       {"service_request_id": world.state_secret}):
            body = requests.get(f"{base}/requests.{fmt}", params=params, timeout=10).text
            assert world.state_secret not in body
        assert error_of(requests.get(f"{base}/requests/{world.state_secret}.{fmt}", timeout=10),
                        404)


# --- keys ---------------------------------------------------------------------------------------

def test_apikeys_create_command_key_works(base: str, ready_db: str) -> None:
    """`ioc apikeys create NAME` prints the key last; it works once, only its hash is stored."""
    from backend.cli import main
    from backend.commands.apikeys import apikeys

    command, args = ((main, ["apikeys"]) if "apikeys" in main.commands else (apikeys, []))
    result = CliRunner().invoke(command, [*args, "create", "Cổng dịch vụ công"])
    assert result.exit_code == 0, result.output
    key = result.output.strip().splitlines()[-1]
    assert key.startswith("ioc_") and len(key) == 36
    stored_key = check_api_key(key, url=ready_db)
    assert stored_key is not None and stored_key.name == "Cổng dịch vụ công"
    assert stored_key.key_hash != key and key not in stored_key.prefix + stored_key.key_hash
    assert key.startswith(stored_key.prefix)

    response = post(base, service_code=FIELD, lat=str(LAT), long=str(LON),
                    description="Đèn đường hỏng cả dãy phố", api_key=key)
    assert response.status_code == 200, response.text

    listing = CliRunner().invoke(command, [*args, "list"])
    assert stored_key.prefix in listing.output and key not in listing.output
    revoked = CliRunner().invoke(command, [*args, "revoke", stored_key.prefix])
    assert revoked.exit_code == 0, revoked.output
    assert check_api_key(key, url=ready_db) is None
    assert error_of(post(base, service_code=FIELD, lat=str(LAT), long=str(LON),
                         description="Đèn đường hỏng", api_key=key), 403)
    empty = CliRunner().invoke(command, [*args, "create", " "])
    assert empty.exit_code != 0

"""The OpenAPI 3 document of /api/v1 (backend/api/openapi.json) against the real server.

Three kinds of check:
* the document is valid OpenAPI 3.1, served at /api/v1/openapi.json, and names every route,
  state, action, role, stage and rating the code has (so the two cannot drift apart);
* every answer of a scripted walk through the API (submit JSON and multipart, track, login,
  queue with every filter, detail, each workflow step, media, identity grants; happy and error
  paths, 413, 429, 500 and 503 included) has a documented status, content type, headers and
  body, checked by schemathesis against the operation of its path and method;
* schemathesis fuzzes the public operations of a live server: no 5xx, nothing undocumented.

Every test with a database runs on SQLite and on PostgreSQL (TEST_DATABASE_URL).
"""

from __future__ import annotations

import io
import json
import re
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
import requests
import schemathesis
from api_helpers import serve
from flask import Flask
from hypothesis import HealthCheck, settings
from PIL import Image
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from backend.domain.roles import STAFF_ROLES, Role
from backend.domain.sla import StageStatus
from backend.domain.workflow import ACTIONS, RATINGS, Actor, State
from backend.services.access.auth import create_user
from backend.services.intake.submit import NewReport, submit_report
from backend.services.kpis import pack_files
from backend.services.reads import queries
from backend.services.workflow.steps import perform_action
from backend.web.extensions import limiter
from backend.web.server import create_server

DOCUMENT = Path(__file__).resolve().parents[1] / "backend" / "api" / "openapi.json"
RAW = json.loads(DOCUMENT.read_text(encoding="utf-8"))
SCHEMA = schemathesis.openapi.from_path(DOCUMENT)
PUBLIC_OPERATIONS = ["submitReport", "trackReport", "citizenStep", "login", "getOpenApi"]
PUBLIC = SCHEMA.include(operation_id=PUBLIC_OPERATIONS)
STAFF_READS = SCHEMA.include(operation_id=["listReports", "getReport", "me"])
NO_LIMITS = {"IOC_SUBMIT_RATE": "100000 per minute", "RATELIMIT_ENABLED": False}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, response_headers_conformance]
IDEMPOTENCY_KEY = re.compile(r"[!-~]{1,255}")
CODE = re.compile(RAW["components"]["schemas"]["ReportCode"]["pattern"])
PHONE_PATTERN = re.compile(RAW["components"]["schemas"]["Phone"]["pattern"])
PASSWORD = "mat-khau-openapi-2026"
PHONE = "0912345678"
FIELD, AGENCY, OTHER_AGENCY = "do_thi_xay_dung", "ubnd_05443", "so_xd"
REPORT = {
    "description": "Vật liệu xây dựng đổ tràn vỉa hè đường Hoàng Văn Thụ, người đi bộ phải "
                   "xuống lòng đường",
    "lat": 21.5942, "lon": 105.8482, "address": "Số 12 đường Hoàng Văn Thụ",
    "name": "Nguyễn Văn An", "phone": PHONE, "email": "an@example.vn", "consent": True,
}
IOC = Actor("ioc_lan", Role.IOC_HANDLER)
HANDLER = Actor("xl_164", Role.AGENCY_HANDLER, AGENCY)
LEADER = Actor("ld_164", Role.AGENCY_LEADER, AGENCY)
TO_PUBLISHED = [("accept", IOC, {"field": FIELD}),
                ("forward", IOC, {"field": FIELD, "agency": AGENCY}),
                ("receive", HANDLER, {}), ("submit_result", HANDLER, {"result": "Đã dọn vật liệu"}),
                ("approve", LEADER, {}), ("publish", IOC, {})]
STAFF = {  # username -> (role, agency)
    "ioc_lan": ("ioc_handler", None),
    "xl_164": ("agency_handler", AGENCY),
    "ld_164": ("agency_leader", AGENCY),
    "xl_sxd": ("agency_handler", OTHER_AGENCY),
    "lanh_dao_tinh": ("provincial_leader", None),
    "man_hinh": ("wall_display", None),
}


# --- fixtures --------------------------------------------------------------------------------

@pytest.fixture
def app_env(media_root: Path) -> Iterator[None]:
    """Media and secret key of the test (`media_root`); the shared limiter switched back on
    afterwards."""
    yield
    limiter.enabled = True  # init_app keeps the last server's switch for the next one


@pytest.fixture
def app(ready_db: str, app_env: None) -> Flask:
    return create_server(NO_LIMITS)


@dataclass(frozen=True)
class Live:
    """A running server and two real reports of `PHONE`: one published, one asked to supplement."""

    base: str
    codes: tuple[str, str]


@pytest.fixture
def live(ready_db: str, app_env: None) -> Iterator[Live]:
    """`create_server()` without rate limits under werkzeug on a free port."""
    codes = (_seed(TO_PUBLISHED), _seed([("request_supplement", IOC, {"missing": "Thêm ảnh"})]))
    with serve(create_server(NO_LIMITS)) as base:
        yield Live(base, codes)


def _seed(steps) -> str:
    report = submit_report(NewReport(description=REPORT["description"], lat=REPORT["lat"],
                                     lon=REPORT["lon"], reporter_name=REPORT["name"],
                                     reporter_phone=PHONE, channel="api"))
    for action, actor, params in steps:
        perform_action(report.code, action, actor, params)
    return report.code


@pytest.fixture
def staff(ready_db: str) -> None:
    """Every role of the walk (argon2 makes each account cost a few dozen milliseconds)."""
    for username, (role, agency) in STAFF.items():
        create_user(username, role, PASSWORD, agency=agency, full_name=username.upper())


@pytest.fixture
def ioc(app: Flask, ready_db: str) -> Api:
    """A signed-in IOC handler, for the checks that need one staff member only."""
    create_user("ioc_lan", "ioc_handler", PASSWORD)
    api = Api(app, set())
    api.login("ioc_lan")
    return api


def _one_file_zip(path) -> str:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("bao-cao.csv", "Mã,Trạng thái\n")
    return "bao-cao-phan-anh-2026-11.zip"


class Api:
    """One browser (its own cookies) on the real app; every answer checked against the document."""

    def __init__(self, app: Flask, seen: set[tuple[str, str, int]]) -> None:
        self.client = app.test_client()
        self.seen = seen
        self.csrf: str | None = None

    def call(self, method: str, path: str, status: int, *, csrf: bool = True, **kwargs: Any):
        headers = dict(kwargs.pop("headers", {}))
        if self.csrf and csrf and method != "GET":
            headers["X-CSRF-Token"] = self.csrf
        response = self.client.open(path, method=method, headers=headers, **kwargs)
        assert response.status_code == status, (method, path, response.get_data(as_text=True))
        check(method, path, response)
        operation = SCHEMA.find_operation_by_path(method, path.split("?")[0])
        self.seen.add((method, operation.path, status))
        return response

    def login(self, username: str) -> dict:
        me = self.call("POST", "/api/v1/auth/login", 200,
                       json={"username": username, "password": PASSWORD}).get_json()
        self.csrf = me["csrf_token"]
        return me

    def submit(self, status: int = 201, key: str | None = None, **kwargs: Any):
        headers = {"Idempotency-Key": key or str(uuid.uuid4()), **kwargs.pop("headers", {})}
        if "json" not in kwargs and "data" not in kwargs:
            kwargs["json"] = REPORT
        return self.call("POST", "/api/v1/reports", status, headers=headers, **kwargs)

    def act(self, code: str, action: str, status: int = 200, **body: Any) -> dict:
        return self.call("POST", f"/api/v1/reports/{code}/actions/{action}", status,
                         json=body).get_json()

    def track(self, code: str, status: int = 200, phone: str = PHONE) -> dict:
        return self.call("GET", f"/api/v1/track/{code}", status,
                         query_string={"phone": phone}).get_json()


def check(method: str, path: str, response) -> None:
    """Status, content type, headers and body against the operation documented for the path
    (a 5xx asked for by the test is checked like any other answer)."""
    path = path.split("?")[0]
    operation = SCHEMA.find_operation_by_path(method, path)
    assert operation is not None, f"{method} {path} is not in the document"
    pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(operation.path))
    parameters = re.fullmatch(pattern, path, re.DOTALL).groupdict()
    checks = CHECKS if response.status_code < 500 else CHECKS[1:]
    operation.Case(path_parameters=parameters).validate_response(response, checks=checks)


def jpeg(size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


def form(**extra: Any) -> dict[str, Any]:
    fields = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in REPORT.items()}
    return {**fields, **extra}


# --- the document ----------------------------------------------------------------------------

def test_document_is_valid_openapi() -> None:
    """The OpenAPI 3.1 meta-schema accepts it; every schema compiles; every $ref resolves."""
    SCHEMA.validate()
    assert RAW["openapi"].startswith("3.1")
    components = RAW["components"]["schemas"]
    for name in components:
        jsonschema_rs.Draft202012Validator({"$ref": f"#/components/schemas/{name}", **RAW})
    refs = re.findall(r'"\$ref":\s*"#/([^"]+)"', DOCUMENT.read_text(encoding="utf-8"))
    for ref in refs:
        node: Any = RAW
        for part in ref.split("/"):
            node = node[part]
    operations = [op.ok() for op in SCHEMA.get_all_operations()]
    assert len({op.definition.raw["operationId"] for op in operations}) == len(operations)


def test_document_names_every_route(app_env: None) -> None:
    """Each /api/v1 route of the server (method and path) is documented, and nothing else is."""
    server = create_server(NO_LIMITS)
    routes = set()
    for rule in server.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
            routes |= {(method, path) for method in rule.methods - {"HEAD", "OPTIONS"}}
    documented = {(op.ok().method.upper(), op.ok().path) for op in SCHEMA.get_all_operations()}
    assert documented == routes


def test_document_enums_match_the_code() -> None:
    schemas = RAW["components"]["schemas"]
    assert schemas["State"]["enum"] == [s.value for s in State]
    assert schemas["Action"]["enum"] == list(ACTIONS)
    assert schemas["Role"]["enum"] == list(STAFF_ROLES)
    assert schemas["Stage"]["enum"] == list(queries.STAGES)
    assert schemas["StageStatus"]["enum"] == [s.value for s in StageStatus]
    assert schemas["Rating"]["enum"] == list(RATINGS)
    deadlines = schemas["ReportDetail"]["properties"]["deadlines"]
    assert deadlines["required"] == list(queries.STAGES)


def test_every_error_answer_has_the_error_shape() -> None:
    """Every 4xx/5xx of every operation is the project's `{error, message, field?}`."""
    responses = RAW["components"]["responses"]
    for op in SCHEMA.get_all_operations():
        for status, answer in op.ok().definition.raw["responses"].items():
            if not status.startswith(("4", "5")):
                continue
            if "$ref" in answer:
                answer = responses[answer["$ref"].rsplit("/", 1)[1]]
            schema = answer["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/Error"}, (op.ok().label, status)


def test_document_is_served(app_env: None) -> None:
    """GET /api/v1/openapi.json: the file as JSON, cacheable, 304 for a matching ETag."""
    client = create_server(NO_LIMITS).test_client()
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.get_json() == RAW
    assert "public" in response.headers["Cache-Control"]
    assert response.headers["ETag"]
    check("GET", "/api/v1/openapi.json", response)
    again = client.get("/api/v1/openapi.json",
                       headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and not again.get_data()
    check("GET", "/api/v1/openapi.json", again)


# --- real answers against the document --------------------------------------------------------

def test_real_answers_conform(app: Flask, staff: None) -> None:
    """A report's whole life over HTTP plus the refusals on the way, each answer validated."""
    seen: set[tuple[str, str, int]] = set()
    citizen, ioc = Api(app, seen), Api(app, seen)
    handler, leader, other, province, wall = (Api(app, seen) for _ in range(5))

    citizen.call("GET", "/api/v1/openapi.json", 200)
    # submit: JSON, replay, refusals
    key = str(uuid.uuid4())
    receipt = citizen.submit(key=key).get_json()
    code = receipt["code"]
    assert citizen.submit(key=key).get_json() == receipt  # the same answer for a retry
    citizen.submit(422, key=key, json={**REPORT, "description": "Một nội dung khác hẳn lần đầu"})
    citizen.call("POST", "/api/v1/reports", 400, json=REPORT)  # no Idempotency-Key
    citizen.submit(400, key="khoa co dau cach")
    citizen.submit(415, data="mô tả", content_type="text/plain")
    citizen.submit(400, data="{not json", content_type="application/json")
    citizen.submit(422, json={**REPORT, "description": "ngắn"})
    citizen.submit(422, json={**REPORT, "lat": 21.0285, "lon": 105.8542})  # Hà Nội
    citizen.submit(422, json={**REPORT, "consent": False})
    # multipart with a photo; a fake one; too many
    photo_code = citizen.submit(data=form(photos=(io.BytesIO(jpeg()), "via-he.jpg")),
                                content_type="multipart/form-data").get_json()["code"]
    citizen.submit(415, data=form(photos=(io.BytesIO(b"<svg onload=alert(1)>"), "x.svg")),
                   content_type="multipart/form-data")
    citizen.submit(422, data=form(photos=[(io.BytesIO(jpeg()), f"{n}.jpg") for n in range(6)]),
                   content_type="multipart/form-data")
    rejected_code = citizen.submit(json={**REPORT, "confidential": True}).get_json()["code"]

    # track
    tracked = citizen.track(code)
    assert tracked["state"] == "submitted" and tracked["steps"]
    citizen.track(code, 404, phone="0987654321")
    citizen.track("PA-2026-999999", 404)
    citizen.call("GET", f"/api/v1/track/{code}", 404)  # no phone
    step = f"/api/v1/track/{code}"
    citizen.call("POST", step, 409, json={"action": "feedback", "phone": PHONE,
                                          "rating": "hai_long"})
    citizen.call("POST", step, 422, json={"action": "delete", "phone": PHONE})
    citizen.call("POST", step, 404, json={"action": "feedback", "phone": "0987654321"})
    citizen.call("POST", step, 415, data="x", content_type="text/plain")
    citizen.call("POST", step, 400, data="[1, 2", content_type="application/json")

    # anonymous staff calls
    citizen.call("POST", "/api/v1/auth/logout", 200)
    citizen.call("GET", "/api/v1/auth/me", 401)
    citizen.call("GET", "/api/v1/reports", 401)
    citizen.call("GET", f"/api/v1/reports/{code}", 401)
    citizen.call("POST", f"/api/v1/reports/{code}/actions/accept", 401, json={})
    citizen.call("POST", f"/api/v1/reports/{code}/identity-grants", 401, json={"agency": AGENCY})
    citizen.call("GET", "/api/v1/media/1", 404)

    # login
    citizen.call("POST", "/api/v1/auth/login", 401,
                 json={"username": "ioc_lan", "password": "sai-mat-khau-roi"})
    citizen.call("POST", "/api/v1/auth/login", 422, json={"username": "ioc_lan"})
    citizen.call("POST", "/api/v1/auth/login", 400, data="ioc_lan", content_type="text/plain")
    me = ioc.login("ioc_lan")
    assert me["role"] == "ioc_handler"
    ioc.call("GET", "/api/v1/auth/me", 200)
    for api, name in ((handler, "xl_164"), (leader, "ld_164"), (other, "xl_sxd"),
                      (province, "lanh_dao_tinh"), (wall, "man_hinh")):
        api.login(name)

    # queue: plain, every filter, refusals
    page = ioc.call("GET", "/api/v1/reports", 200).get_json()
    assert page["total"] == 3 and len(page["items"]) == 3
    every_filter = {"state": "submitted,accepted", "field": FIELD, "agency": AGENCY,
                    "area": "tp_thai_nguyen", "unit": "05443", "overdue": "false", "at_risk": "true",
                    "emergency": "false", "q": "vỉa hè", "from": "2020-01-01T00:00:00+07:00",
                    "to": "2099-01-01T00:00:00Z", "page": "1", "per_page": "10"}
    ioc.call("GET", "/api/v1/reports", 200, query_string=every_filter)
    searched = ioc.call("GET", "/api/v1/reports", 200,
                        query_string={"q": "vỉa hè", "per_page": 2, "page": 2}).get_json()
    assert (searched["page"], searched["per_page"], len(searched["items"])) == (2, 2, 1)
    for bad in ({"per_page": "0"}, {"per_page": "201"}, {"page": "0"}, {"page": "một"},
                {"state": "bogus"}, {"overdue": "maybe"}, {"from": "hôm qua"}):
        ioc.call("GET", "/api/v1/reports", 422, query_string=bad)
    wall.call("GET", "/api/v1/reports", 403)  # the wall screen reads no report
    wall.call("GET", f"/api/v1/reports/{code}", 403)

    # detail
    detail = ioc.call("GET", f"/api/v1/reports/{photo_code}", 200).get_json()
    assert detail["reporter"]["phone"] == PHONE
    assert set(detail["deadlines"]) == set(queries.STAGES)
    [attachment] = detail["attachments"]
    ioc.call("GET", "/api/v1/reports/PA-2026-999999", 404)

    # workflow refusals
    ioc.call("POST", f"/api/v1/reports/{code}/actions/accept", 403, csrf=False, json={})
    ioc.act(code, "launch", 404)
    ioc.act(code, "accept", 409, version=99)
    ioc.act(code, "accept", 422, version="1")
    ioc.act(code, "feedback", 403, rating="hai_long")
    wall.act(code, "accept", 403)
    handler.act(code, "receive", 404)  # not forwarded to them: it does not exist for them
    ioc.act(code, "forward", 409, field=FIELD, agency=AGENCY)  # not accepted yet
    ioc.call("POST", f"/api/v1/reports/{code}/actions/accept", 415, data="x",
             content_type="text/plain")
    ioc.call("POST", f"/api/v1/reports/{code}/actions/accept", 400, data="{",
             content_type="application/json")

    # report 1: accept, forward, receive, progress, result, approve, publish, feedback, close
    version = ioc.act(code, "accept", version=1, field=FIELD)["version"]
    ioc.act(code, "accept", 409)
    ioc.act(code, "forward", 422, field=FIELD)  # agency missing
    ioc.act(code, "forward", version=version, field=FIELD, agency=AGENCY)
    ioc.call("POST", f"/api/v1/reports/{code}/identity-grants", 200, json={"agency": AGENCY})
    ioc.call("POST", f"/api/v1/reports/{code}/identity-grants", 422, json={"agency": ""})
    handler.call("POST", f"/api/v1/reports/{code}/identity-grants", 403,
                 json={"agency": AGENCY})
    handler.act(code, "receive")
    handler.act(code, "progress_notice", note="Đang phối hợp với phường Phan Đình Phùng")
    handler.act(code, "submit_result", result="Đã dọn vật liệu, xử phạt chủ công trình")
    handler.act(code, "approve", 403)
    leader.act(code, "approve")
    other.call("GET", f"/api/v1/reports/{code}", 404)
    assert ioc.act(code, "publish")["state"] == "published"
    assert citizen.track(code)["answer"]
    citizen.call("POST", step, 200, json={"action": "feedback", "phone": PHONE,
                                          "rating": "hai_long", "reply": "Cảm ơn"})
    handler.call("GET", f"/api/v1/reports/{code}", 200)  # granted: the agency sees the reporter
    full = ioc.call("GET", f"/api/v1/reports/{code}", 200).get_json()
    assert full["feedback"] and full["history"] and full["answer"]
    ioc.act(code, "close")

    # report 2 (with a photo): supplement → accept → consult and answer → escalate → direct
    ioc.act(photo_code, "request_supplement", missing="Ảnh chụp rõ biển số công trình")
    assert citizen.track(photo_code)["asked_to_supplement"]
    citizen.call("POST", f"/api/v1/track/{photo_code}", 200,
                 json={"action": "supplement", "phone": PHONE, "text": "Công trình số 12"})
    ioc.act(photo_code, "accept", field=FIELD)
    ioc.act(photo_code, "consult", agencies=[OTHER_AGENCY], note="Có giấy phép xây dựng không?")
    other.call("GET", f"/api/v1/reports/{photo_code}", 200)
    other.act(photo_code, "consult", answer="Công trình có giấy phép số 12/GPXD")
    ioc.act(photo_code, "escalate", reason="Liên quan nhiều sở, cần UBND tỉnh chỉ đạo")
    province.act(photo_code, "direct", agency=AGENCY, direction="Giao UBND thành phố xử lý")
    consulted = ioc.call("GET", f"/api/v1/reports/{photo_code}", 200).get_json()
    assert consulted["consultations"][0]["answer"]
    ioc.call("GET", f"/api/v1/media/{attachment['id']}", 200)
    ioc.call("GET", f"/api/v1/media/{attachment['id']}/public", 200)
    citizen.call("GET", f"/api/v1/media/{attachment['id']}/public", 404)  # not public yet
    ioc.call("GET", "/api/v1/media/999999", 404)
    ioc.call("GET", f"/api/v1/media/{10**30}", 404)
    citizen.call("GET", f"/api/v1/media/{10**30}/public", 404)
    # a finished report pack: its requester only
    pack = pack_files.store("lanh_dao_tinh", _one_file_zip)
    province.call("GET", f"/api/v1/packs/{pack.pack_id}", 200)
    ioc.call("GET", f"/api/v1/packs/{pack.pack_id}", 404)
    citizen.call("GET", f"/api/v1/packs/{pack.pack_id}", 404)

    # report 3 (confidential): reject → close; no identity for any agency
    ioc.call("POST", f"/api/v1/reports/{rejected_code}/identity-grants", 422,
             json={"agency": AGENCY})
    ioc.act(rejected_code, "reject", 422)
    ioc.act(rejected_code, "reject", reason="Không thuộc phạm vi phản ánh hiện trường")
    ioc.act(rejected_code, "close")
    assert citizen.track(rejected_code)["state"] == "closed"

    # map data for screens: staff only
    ioc.call("GET", "/api/v1/map/version", 200)
    ioc.call("GET", "/api/v1/map/points.geojson", 200)
    ioc.call("GET", "/api/v1/map/boundaries.geojson", 200)
    citizen.call("GET", "/api/v1/map/boundaries.geojson", 401)
    citizen.call("GET", "/api/v1/map/points.geojson", 401)
    citizen.call("GET", "/api/v1/map/version", 401)

    # logout
    ioc.call("POST", "/api/v1/auth/logout", 403, csrf=False)
    ioc.call("POST", "/api/v1/auth/logout", 200)
    ioc.call("GET", "/api/v1/auth/me", 401)

    documented = {(op.ok().method.upper(), op.ok().path) for op in SCHEMA.get_all_operations()}
    assert {(method, path) for method, path, _ in seen} == documented
    assert {status for *_, status in seen} == {200, 201, 400, 401, 403, 404, 409, 415, 422}


def test_limits_and_failures_conform(ready_db: str, app_env: None, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """413 too large, 429 with Retry-After, 500 without details, 503 when the database is down."""
    seen: set[tuple[str, str, int]] = set()
    small = Api(create_server({**NO_LIMITS, "MAX_CONTENT_LENGTH": 1024}), seen)
    small.submit(413, json={**REPORT, "description": "Rất dài " * 300})
    small.call("POST", "/api/v1/auth/login", 413, json={"username": "x" * 2000, "password": "y"})

    limited = Api(create_server({"IOC_SUBMIT_RATE": "1 per minute", "RATELIMIT_ENABLED": True}),
                  seen)
    limited.submit(201)
    assert limited.submit(429).headers["Retry-After"]
    for _ in range(5):  # five tries a minute per user name
        limited.call("POST", "/api/v1/auth/login", 401,
                     json={"username": "khong_co", "password": "sai-mat-khau"})
    limited.call("POST", "/api/v1/auth/login", 429,
                 json={"username": "khong_co", "password": "sai-mat-khau"})

    plain = Api(create_server(NO_LIMITS), seen)

    def boom(*_: Any, **__: Any) -> None:
        raise RuntimeError("secret internals /srv/ioc SELECT *")

    with monkeypatch.context() as patched:
        patched.setattr("backend.services.intake.tracking.track", boom)
        failed = plain.track("PA-2026-000001", 500)
    assert "SELECT" not in failed["message"] and "/srv" not in failed["message"]

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'missing' / 'ioc.db'}")
    down = Api(create_server(NO_LIMITS), seen)
    assert down.track("PA-2026-000001", 503)["error"] == "unavailable"
    down.submit(503)
    assert {status for *_, status in seen} == {201, 401, 413, 429, 500, 503}


# --- bugs found while checking the document ---------------------------------------------------

NUL = "\x00"


@pytest.mark.parametrize("method, path, body", [
    ("POST", "/api/v1/reports", {**REPORT, "email": f"an{NUL}@example.vn"}),
    ("GET", f"/api/v1/track/PA-2026-00{NUL}01?phone={PHONE}", None),
    ("POST", f"/api/v1/track/PA-2026{NUL}", {"action": "feedback", "phone": PHONE,
                                             "rating": "hai_long"}),
    ("POST", "/api/v1/auth/login", {"username": f"ioc{NUL}", "password": "mat-khau-dai"}),
])
def test_nul_characters_are_refused_not_a_crash(app: Flask, method: str, path: str,
                                                body: Any) -> None:
    """PostgreSQL cannot hold U+0000 in text: it must be a 4xx, never a 500 (public side)."""
    headers = {"Idempotency-Key": str(uuid.uuid4())} if path == "/api/v1/reports" else {}
    response = app.test_client().open(path, method=method, json=body, headers=headers)
    assert 400 <= response.status_code < 500, response.get_json()
    check(method, path, response)


def test_multipart_email_with_nul_is_refused(app: Flask) -> None:
    response = app.test_client().post(
        "/api/v1/reports", data=form(email=f"an{NUL}@example.vn"),
        content_type="multipart/form-data", headers={"Idempotency-Key": str(uuid.uuid4())})
    assert response.status_code == 422 and response.get_json()["field"] == "email"
    check("POST", "/api/v1/reports", response)


@pytest.mark.parametrize("query", [
    {"q": f"vỉa{NUL}"}, {"field": f"x{NUL}"}, {"agency": f"x{NUL}"}, {"area": f"1{NUL}"}, {"unit": f"1{NUL}"},
    {"page": str(10**20)}, {"from": "0001-01-01T00:00:00"},
    {"to": "9999-12-31T23:59:59-23:59"},
])
def test_queue_filters_out_of_range_are_422(ioc: Api, query: dict) -> None:
    """Text with U+0000, a page past a 64-bit offset, instants outside datetime's range."""
    answer = ioc.call("GET", "/api/v1/reports", 422, query_string=query).get_json()
    assert answer["field"] == next(iter(query))


def test_report_code_with_nul_is_404(ioc: Api) -> None:
    ioc.call("GET", f"/api/v1/reports/PA-2026{NUL}", 404)
    ioc.call("POST", f"/api/v1/reports/PA-2026{NUL}/actions/accept", 404, json={})
    ioc.call("POST", f"/api/v1/reports/PA-2026{NUL}/identity-grants", 404, json={"agency": AGENCY})


@pytest.mark.parametrize("body", [
    {"field": {"code": FIELD}}, {"field": 5}, {"field": f"x{NUL}"}, {"emergency": "có lẽ"},
    {"note": ["a"]},
])
def test_accept_with_parameters_of_the_wrong_type_is_422(ioc: Api, body: dict) -> None:
    code = ioc.submit().get_json()["code"]
    answer = ioc.act(code, "accept", 422, **body)
    assert answer["field"] in body
    assert ioc.call("GET", f"/api/v1/reports/{code}", 200).get_json()["state"] == "submitted"


def test_accept_reads_emergency_as_a_boolean(ioc: Api) -> None:
    """"false" (a form's string) must not turn a report into an emergency."""
    code = ioc.submit().get_json()["code"]
    ioc.act(code, "accept", emergency="false", field=FIELD)
    assert ioc.call("GET", f"/api/v1/reports/{code}", 200).get_json()["emergency"] is False


@pytest.mark.parametrize("action, body", [
    ("reject", {"reason": f"Không thuộc phạm vi{NUL}"}),
    ("consult", {"agencies": [f"so_xd{NUL}"]}),
    ("consult", {"agencies": [OTHER_AGENCY], "note": {"hỏi": "gì"}}),
    ("forward", {"field": FIELD, "agency": f"ubnd_05443{NUL}"}),
    ("publish", {"result": 12}),
])
def test_step_parameters_with_nul_or_wrong_type_are_422(ioc: Api, action: str,
                                                        body: dict) -> None:
    code = ioc.submit().get_json()["code"]
    ioc.act(code, "accept", field=FIELD)
    assert ioc.act(code, action, 422, **body)["field"] in body
    grant = ioc.call("POST", f"/api/v1/reports/{code}/identity-grants", 422,
                     json={"agency": f"ubnd_05443{NUL}"})
    assert grant.get_json()["field"] == "agency"
    assert ioc.call("GET", f"/api/v1/reports/{code}", 200).get_json()["version"] == 2


def test_incident_time_out_of_range_is_422(app: Flask) -> None:
    response = Api(app, set()).submit(422, json={**REPORT, "incident_time": "0001-01-01T00:00:00"})
    assert response.get_json()["field"] == "incident_time"


def test_phone_with_non_ascii_digits_is_refused(app: Flask) -> None:
    """'٨' is a digit to Python's \\d but not to a Vietnamese phone network."""
    response = Api(app, set()).submit(422, json={**REPORT, "phone": "091234567\u0668"})
    assert response.get_json()["field"] == "phone"


# --- schemathesis over the public operations -------------------------------------------------

@PUBLIC.parametrize()
@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much, HealthCheck.data_too_large])
def test_public_operations_fuzzed(case, live: Live) -> None:
    """No 5xx, no undocumented status, header, content type or body, whatever is sent.

    Well-formed values are steered onto real data, so the fuzzing gets past the first refusal:
    a fresh Idempotency-Key per submission, and for tracking a real code with its phone (the
    generated ones would never find a report).
    """
    key = case.headers.get("Idempotency-Key") if case.headers else None
    if key is not None and IDEMPOTENCY_KEY.fullmatch(key):
        case.headers["Idempotency-Key"] = str(uuid.uuid4())
    code = (case.path_parameters or {}).get("code")
    if isinstance(code, str) and CODE.fullmatch(code):
        case.path_parameters["code"] = live.codes[int(code[-1]) % 2]
        if isinstance(case.query, dict) and PHONE_PATTERN.fullmatch(str(case.query.get("phone"))):
            case.query["phone"] = PHONE
        if isinstance(case.body, dict) and PHONE_PATTERN.fullmatch(str(case.body.get("phone"))):
            case.body["phone"] = PHONE
    with requests.Session() as session:
        case.call_and_validate(base_url=live.base, session=session, checks=CHECKS, timeout=30)


@pytest.fixture
def signed_in(live: Live) -> Iterator[requests.Session]:
    """A requests session of an IOC handler signed in to the live server."""
    create_user("ioc_lan", "ioc_handler", PASSWORD)
    with requests.Session() as session:
        answer = session.post(f"{live.base}/api/v1/auth/login", timeout=30,
                              json={"username": "ioc_lan", "password": PASSWORD})
        assert answer.status_code == 200
        yield session


@STAFF_READS.parametrize()
@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much, HealthCheck.data_too_large])
def test_staff_reads_fuzzed(case, live: Live, signed_in: requests.Session) -> None:
    """The queue under any filters, a report, the signed-in user: no 5xx, nothing undocumented."""
    code = (case.path_parameters or {}).get("code")
    if isinstance(code, str) and CODE.fullmatch(code):
        case.path_parameters["code"] = live.codes[int(code[-1]) % 2]
    case.call_and_validate(base_url=live.base, session=signed_in, checks=CHECKS, timeout=30)

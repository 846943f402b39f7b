"""Shared fixtures and helpers for the HTTP API tests (`test_api_v1.py`, `test_security_*.py`).

A fixture plugin, declared once in `conftest.py` (`pytest_plugins`); test modules import only
its helper functions and constants. Every test gets a fresh
`create_server()` (so the in-memory rate limits never leak between tests) on `ready_db`
(SQLite, and PostgreSQL when TEST_DATABASE_URL is set), its own media folder, and a fixed
secret key. Photos are made in memory with Pillow; no binary file is committed.
"""

from __future__ import annotations

import contextlib
import io
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import func, select
from werkzeug.serving import make_server

from backend.domain.roles import Role
from backend.domain.workflow import Actor
from backend.services.access.auth import create_user
from backend.services.intake.submit import NewReport, submit_report
from backend.services.workflow.steps import perform_action
from backend.storage.db import session_factory
from backend.storage.models import Report
from backend.web.server import create_server

LAT, LON = 21.5942, 105.8482  # TP Thái Nguyên
PHONE = "0912345678"
PASSWORD = "mat-khau-thu-nghiem-2026"
FIELD = "do_thi_xay_dung"
AGENCY, OTHER_AGENCY = "ubnd_05443", "dien_luc"
DESCRIPTION = "Vật liệu xây dựng lấn chiếm vỉa hè đường Hoàng Văn Thụ, người đi bộ phải xuống lòng đường"
RESULT = "Đã yêu cầu chủ công trình dọn vật liệu và xử phạt theo quy định"
# fixed for the whole run, so two calls of report_body() are the same request (idempotency)
INCIDENT_TIME = (datetime.now(UTC) - timedelta(hours=2)).replace(microsecond=0).isoformat()

# username -> (role, agency): the cast of every API test
STAFF: dict[str, tuple[str, str | None]] = {
    "ioc_lan": ("ioc_handler", None),
    "ioc_minh": ("ioc_handler", None),
    "xl_164": ("agency_handler", AGENCY),
    "ld_164": ("agency_leader", AGENCY),
    "xl_dl": ("agency_handler", OTHER_AGENCY),
    "ld_dl": ("agency_leader", OTHER_AGENCY),
    "lanh_dao_tinh": ("provincial_leader", None),
    "quan_tri": ("admin", None),
    "man_hinh": ("wall_display", None),
}
ACTORS = {name: Actor(name, Role(role), agency) for name, (role, agency) in STAFF.items()
          if role != "wall_display"}
TO_PUBLISHED = (
    ("accept", "ioc_lan", {"field": FIELD}),
    ("forward", "ioc_lan", {"field": FIELD, "agency": AGENCY}),
    ("receive", "xl_164", {}),
    ("submit_result", "xl_164", {"result": RESULT}),
    ("approve", "ld_164", {}),
    ("publish", "ioc_lan", {}),
)


def report_body(**overrides: Any) -> dict[str, Any]:
    """A valid citizen submission (D5) with `overrides` applied (None removes a field)."""
    body: dict[str, Any] = {
        "description": DESCRIPTION, "lat": LAT, "lon": LON,
        "address": "Số 12 đường Hoàng Văn Thụ, phường Phan Đình Phùng",
        "incident_time": INCIDENT_TIME,
        "name": "Nguyễn Văn An", "phone": PHONE, "email": "an.nguyen@example.vn",
        "confidential": False, "consent": True,
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def new_key() -> str:
    return str(uuid.uuid4())


def post_report(client: FlaskClient, body: Any = None, *, key: str | None = "auto", **kw: Any):
    """POST /api/v1/reports with JSON `body` (default: a valid one) and an Idempotency-Key."""
    headers = dict(kw.pop("headers", {}))
    if key == "auto":
        key = new_key()
    if key is not None:
        headers["Idempotency-Key"] = key
    if "data" in kw:
        return client.post("/api/v1/reports", headers=headers, **kw)
    return client.post("/api/v1/reports", json=report_body() if body is None else body,
                       headers=headers, **kw)


def submit(client: FlaskClient, **overrides: Any) -> str:
    """Submit a valid report through the API (fields overridden) and return its tracking code."""
    response = post_report(client, report_body(**overrides))
    assert response.status_code == 201, response.get_json()
    return response.get_json()["code"]


def login(client: FlaskClient, username: str, password: str = PASSWORD) -> str:
    """Sign `client` in; returns the CSRF token to send as X-CSRF-Token on writes."""
    response = client.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["csrf_token"]


@dataclass
class Staff:
    """A signed-in staff member: a test client with its own cookie jar, and the CSRF token."""

    client: FlaskClient
    csrf: str
    username: str

    def get(self, path: str, **kw: Any):
        return self.client.get(path, **kw)

    def post(self, path: str, json: Any = None, **kw: Any):
        headers = {"X-CSRF-Token": self.csrf, **kw.pop("headers", {})}
        return self.client.post(path, json=json, headers=headers, **kw)

    def act(self, code: str, action: str, **body: Any):
        return self.post(f"/api/v1/reports/{code}/actions/{action}", json=body)

    def detail(self, code: str) -> dict[str, Any]:
        response = self.get(f"/api/v1/reports/{code}")
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def list(self, **params: Any) -> dict[str, Any]:
        response = self.get("/api/v1/reports", query_string=params)
        assert response.status_code == 200, response.get_json()
        return response.get_json()


def jpeg_bytes(size: tuple[int, int] = (64, 48), color: tuple[int, int, int] = (200, 30, 30),
               **save: Any) -> bytes:
    """A small real JPEG made with Pillow."""
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG", **save)
    return out.getvalue()


def count_reports(url: str) -> int:
    with session_factory(url)() as session:
        return session.scalar(select(func.count()).select_from(Report))


def make_report(url: str, *, steps: int = 0, now: datetime | None = None,
                **fields: Any) -> str:
    """A report created by the services (at `now`, e.g. days ago) taken `steps` steps along
    TO_PUBLISHED; returns its code."""
    now = now or datetime.now(UTC)
    new = NewReport(**{"description": DESCRIPTION, "lat": LAT, "lon": LON,
                       "reporter_name": "Trần Thị Bình", "reporter_phone": PHONE,
                       "reporter_email": "binh@example.vn", "consent_version": "2026-01",
                       **fields})
    code = submit_report(new, now=now, url=url).code
    for n, (action, who, params) in enumerate(TO_PUBLISHED[:steps], start=1):
        perform_action(code, action, ACTORS[who], params, now=now + timedelta(minutes=n), url=url)
    return code


# --- fixtures ---------------------------------------------------------------------------------



@pytest.fixture
def fast_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 with cheap parameters (`IOC_ARGON2_*`), so that the many sign-ins and accounts of
    the tests stay fast (the algorithm and code path are the production ones)."""
    monkeypatch.setenv("IOC_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("IOC_ARGON2_MEMORY_KIB", "1024")


@pytest.fixture
def media_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fast_argon2: None) -> Path:
    """Own media folder (`IOC_MEDIA_DIR`) and secret key (`IOC_SECRET_KEY`); cheap argon2."""
    root = tmp_path / "media"
    monkeypatch.setenv("IOC_MEDIA_DIR", str(root))
    monkeypatch.setenv("IOC_SECRET_KEY", "api-tests-secret-" + "x" * 32)
    return root


@pytest.fixture
def app(ready_db: str, media_root: Path) -> Flask:
    """A fresh server (fresh in-memory rate limits) on the test database."""
    return create_server({"IOC_SUBMIT_RATE": "1000 per minute"})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """An anonymous client: a citizen."""
    return app.test_client()


@pytest.fixture
def staff_accounts(ready_db: str, media_root: Path) -> dict[str, tuple[str, str | None]]:
    """Every account of STAFF, created with `create_user`."""
    for username, (role, agency) in STAFF.items():
        create_user(username, role, PASSWORD, agency=agency, full_name=username)
    return STAFF


@pytest.fixture
def sign_in(app: Flask, staff_accounts):
    """`sign_in(username) -> Staff`: a new client signed in as that account."""

    addresses = iter(range(1, 250))

    def _sign_in(username: str) -> Staff:
        new_client = app.test_client()
        # each signed-in client its own address, so the per-IP login limit (10/min) is not
        # what a test with many staff members runs into
        new_client.environ_base["REMOTE_ADDR"] = f"10.0.0.{next(addresses)}"
        return Staff(new_client, login(new_client, username), username)

    return _sign_in


@contextlib.contextmanager
def serve(app: Flask) -> Iterator[str]:
    """`app` served by werkzeug (threaded) on a free port; yields the base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The same app served live; yields the base URL."""
    with serve(app) as url:
        yield url

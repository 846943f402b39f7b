"""Bad input, abuse and faults against the /api/v1 HTTP API (TESTPLAN.md "The cases").

Rows covered here, as far as they concern this API: 1 (malformed JSON), 3 (field checks),
4 (coordinates), 5 (413 before the body is read), 6 (fake and polyglot photos), 9 (file names),
10 (stored XSS stays data), 12 (SQL/LIKE injection), 13 (Idempotency-Key), 14 (concurrent
forwards), 15 (illegal workflow steps), 19 (IDOR), 20-21 (confidential identity),
22 (brute force), 24 (sessions), 25 (CSRF), 26 (forced exceptions), 27 (audit).
Each test names its row. Every test gets a fresh `create_server()`, so the in-memory rate
limits of one test never reach another; concurrency and the 413 timing use a real werkzeug
server. Runs on SQLite and on PostgreSQL (TEST_DATABASE_URL).
"""

from __future__ import annotations

import io
import json
import re
import socket
import threading
import time
import unicodedata
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

pytest.register_assert_rewrite("api_helpers")
import requests  # noqa: E402
from api_helpers import (  # noqa: E402
    ACTORS,
    AGENCY,
    DESCRIPTION,
    FIELD,
    OTHER_AGENCY,
    PASSWORD,
    PHONE,
    RESULT,
    TO_PUBLISHED,
    jpeg_bytes,
    login,
    make_report,
    new_key,
    post_report,
    report_body,
    submit,
)
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from sqlalchemy import func, select, text, update  # noqa: E402
from sqlalchemy.exc import DBAPIError, OperationalError  # noqa: E402

from backend.domain.workflow import ACTIONS  # noqa: E402
from backend.services import auth as auth_service  # noqa: E402
from backend.services import idempotency, queries, submissions  # noqa: E402
from backend.services.places import locate  # noqa: E402
from backend.services.reports import perform_action  # noqa: E402
from backend.services.validation import parse_submission  # noqa: E402
from backend.storage.db import engine_for, session_factory  # noqa: E402
from backend.storage.models import (  # noqa: E402
    AccessLog,
    Attachment,
    Event,
    IdempotencyKey,
    IdentityGrant,
    Report,
    StaffSession,
    User,
)

pytest_plugins = ("api_helpers",)

VIETNAMESE = re.compile("[ăâđêôơưạảãàáẹẻẽèéịỉĩìíọỏõòóụủũùúỵỷỹỳý]", re.IGNORECASE)
SERVER_NAME = re.compile(r"[0-9a-f]{32}\.(jpg|png|webp|mp4|mov|3gp|webm)")
HTML_PAYLOAD = b"<html><script>alert(document.cookie)</script></html>"
IDENTITY = ("Nguyễn Văn An", PHONE, "an.nguyen@example.vn")  # report_body()'s reporter
STAFF_ROLE = {"xl_dl": "agency_handler", "ld_dl": "agency_leader"}


def assert_error(response, status: int, error: str | None = None,
                 field: str | None = None) -> dict:
    """The project's error shape: JSON {error, message, field?}; nothing else."""
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) <= {"error", "message", "field"} and body["error"] and body["message"]
    if error is not None:
        assert body["error"] == error, body
    if field is not None:
        assert body.get("field") == field, body
    return body


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def count_rows(url: str, model) -> int:
    with session_factory(url)() as session:
        return session.scalar(select(func.count()).select_from(model))


def stored(url: str, code: str) -> Report:
    with session_factory(url)() as session:
        return session.scalar(select(Report).where(Report.code == code))


def form_fields(**overrides) -> dict[str, str]:
    """report_body() as multipart form fields (booleans as "true"/"false")."""
    return {k: str(v).lower() if isinstance(v, bool) else str(v)
            for k, v in report_body(**overrides).items()}


def post_multipart(client, files: dict[str, list[tuple[bytes, str]]], key: str | None = None,
                   **overrides):
    data: dict = form_fields(**overrides)
    for name, items in files.items():
        data[name] = [(io.BytesIO(content), filename) for content, filename in items]
    return client.post("/api/v1/reports", data=data, content_type="multipart/form-data",
                       headers={"Idempotency-Key": key or new_key()})


def advance(url: str, code: str, steps: int) -> None:
    """Take `code` (just submitted) through the first `steps` steps of TO_PUBLISHED."""
    for action, who, params in TO_PUBLISHED[:steps]:
        perform_action(code, action, ACTORS[who], params, url=url)


def report_with_photo(client, url: str, steps: int = 0, **overrides) -> tuple[str, int]:
    """A report submitted over HTTP with one real photo, taken `steps` steps; (code, media id)."""
    response = post_multipart(client, {"photos": [(jpeg_bytes(), "anh.jpg")]}, **overrides)
    assert response.status_code == 201, response.get_json()
    code = response.get_json()["code"]
    advance(url, code, steps)
    with session_factory(url)() as session:
        report_id = session.scalar(select(Report.id).where(Report.code == code))
        return code, session.scalar(select(Attachment.id).where(Attachment.report_id == report_id))


# --- row 1: malformed JSON ------------------------------------------------------------------------

VALID = json.dumps(report_body()).encode()
MALFORMED = {
    "truncated": (VALID[: len(VALID) // 2], "application/json", 400, "invalid_json"),
    "invalid_utf8": (b'{"description": "\xff\xfe\xfd h\xe1ng \xc3"}', "application/json", 400,
                     "invalid_encoding"),
    "utf16_body": (json.dumps(report_body()).encode("utf-16"), "application/json",
                             400, "invalid_encoding"),
    "deep_nesting_10k": (b'{"description": ' + b"[" * 10_000 + b"]" * 10_000 + b"}",
                         "application/json", 400, "invalid_json"),
    "deep_objects_10k": (b'{"a":' * 10_000 + b"1" + b"}" * 10_000, "application/json", 400,
                         "invalid_json"),
    "duplicate_keys": (VALID[:-1] + b', "phone": "0987654321"}', "application/json", 400,
                       "invalid_json"),
    "not_an_object": (b'["description", 21.59, 105.84]', "application/json", 400, "invalid_json"),
    "lone_surrogate": (json.dumps(report_body(description="Đèn hỏng \ud800 lâu ngày")).encode(),
                       "application/json", 400, "invalid_encoding"),
    "empty_body": (b"", "application/json", 400, "invalid_json"),
    "text_plain": (VALID, "text/plain", 415, "unsupported_media_type"),
    "form_urlencoded": (b"description=abc&lat=21.59", "application/x-www-form-urlencoded", 415,
                        "unsupported_media_type"),
    "no_content_type": (VALID, None, 415, "unsupported_media_type"),
    "xml": (b"<report><description>x</description></report>", "application/xml", 415,
            "unsupported_media_type"),
}


@pytest.mark.parametrize("case", MALFORMED)
def test_row1_malformed_json_gets_clear_4xx_and_nothing_is_stored(client, ready_db, case) -> None:
    """TESTPLAN 1: truncated, invalid UTF-8, 10k-deep nesting, duplicate keys → 400; wrong
    Content-Type → 415; a Vietnamese message, JSON body, no report, no idempotency claim."""
    body, content_type, status, error = MALFORMED[case]
    headers = {"Idempotency-Key": new_key()}
    if content_type:
        headers["Content-Type"] = content_type
    response = client.post("/api/v1/reports", data=body, headers=headers)
    payload = assert_error(response, status, error)
    assert VIETNAMESE.search(payload["message"]), payload
    assert count_rows(ready_db, Report) == 0
    assert count_rows(ready_db, IdempotencyKey) == 0


@pytest.mark.parametrize("case", ["truncated", "duplicate_keys", "deep_nesting_10k", "text_plain"])
def test_row1_malformed_json_on_citizen_and_staff_steps(client, sign_in, case) -> None:
    """TESTPLAN 1: the same parser guards POST /track/{code} and the staff actions."""
    code = submit(client)
    body, content_type, status, error = MALFORMED[case]
    assert_error(client.post(f"/api/v1/track/{code}", data=body,
                             headers={"Content-Type": content_type}), status, error)
    ioc = sign_in("ioc_lan")
    response = ioc.client.post(f"/api/v1/reports/{code}/actions/accept", data=body,
                               headers={"Content-Type": content_type, "X-CSRF-Token": ioc.csrf})
    assert_error(response, status, error)
    assert ioc.detail(code)["state"] == "submitted" and ioc.detail(code)["version"] == 1


# --- row 3: fields ------------------------------------------------------------------------------

BAD_FIELDS = [
    ({"description": ""}, "description", "required"),
    ({"description": "   \n\t "}, "description", "required"),
    ({"description": None}, "description", "required"),
    ({"description": "Hỏng"}, "description", "too_short"),
    ({"description": "Đường hỏng nặng. " * 6_000}, "description", "too_long"),  # ~100k chars
    ({"description": 12345678901}, "description", "invalid"),
    ({"description": "Chuông\x07 báo động kêu suốt đêm"}, "description", "invalid"),
    ({"name": None}, "name", "required"),
    ({"name": "A" * 201}, "name", "too_long"),
    ({"address": "x" * 501}, "address", "too_long"),
    ({"phone": None}, "phone", "required"),
    ({"phone": "12345"}, "phone", "invalid"),
    ({"phone": "09123456789"}, "phone", "invalid"),
    ({"phone": "+1 555 0100"}, "phone", "invalid"),
    ({"phone": "0112345678"}, "phone", "invalid"),
    ({"phone": "không có"}, "phone", "invalid"),
    ({"email": "an@"}, "email", "invalid"),
    ({"email": "an@@example.vn"}, "email", "invalid"),
    ({"email": "<script>@example.vn"}, "email", "invalid"),
    ({"email": "an nguyen@example.vn"}, "email", "invalid"),
    ({"email": "a" * 250 + "@example.vn"}, "email", "invalid"),
    ({"incident_time": "hôm qua"}, "incident_time", "invalid"),
    ({"incident_time": "2099-01-01T08:00:00+07:00"}, "incident_time", "invalid"),
    ({"confidential": "maybe"}, "confidential", "invalid"),
    ({"consent": False}, "consent", "consent_required"),
    ({"consent": None}, "consent", "consent_required"),
    ({"channel": "fax"}, "channel", "invalid"),
]


def test_row3_bad_field_is_422_naming_the_field(client, ready_db) -> None:
    """TESTPLAN 3: empty or 100k-char description, bad phone/e-mail, … → 422 naming the field,
    with a Vietnamese message; nothing stored. (One database for all cases, to stay fast.)"""
    for overrides, field, error in BAD_FIELDS:
        response = post_report(client, report_body(**overrides))
        assert response.status_code == 422, (overrides, response.get_json())
        payload = assert_error(response, 422, error, field)
        assert VIETNAMESE.search(payload["message"]), overrides
    assert count_rows(ready_db, Report) == 0


def test_row3_nfd_text_is_stored_nfc_and_invisible_characters_removed(
        client, sign_in, ready_db) -> None:
    """TESTPLAN 3: NFD Vietnamese is stored NFC; zero-width, BOM, soft hyphen and RTL override
    characters are removed from what an official will read."""
    nfc = "Ống nước bị vỡ ở đường Lương Ngọc Quyến, nước tràn ra đường"
    nfd = unicodedata.normalize("NFD", nfc)
    assert nfd != nfc
    code = submit(client, description=nfd, name=unicodedata.normalize("NFD", "Đặng Thị Hồng"))
    sneaky = "Đèn\u200b đường\u200d hỏng\u202e gần\ufeff trường\u00ad học\u2066 Tân\u200f Lập"
    other = submit(client, description=sneaky, address="Tổ 5\u200b phường\u202e Tân Lập")
    assert stored(ready_db, code).description == nfc
    assert stored(ready_db, code).reporter_name == "Đặng Thị Hồng"
    assert stored(ready_db, other).description == "Đèn đường hỏng gần trường học Tân Lập"
    assert stored(ready_db, other).address == "Tổ 5 phường Tân Lập"
    detail = sign_in("ioc_lan").detail(code)
    assert detail["description"] == nfc and unicodedata.is_normalized("NFC", detail["description"])


@pytest.mark.parametrize(("given_phone", "kept"), [
    ("+84 912 345 678", "0912345678"), ("0912.345.678", "0912345678"),
    ("84912345678", "0912345678"), ("(0208) 385 5123", "02083855123")])
def test_row3_phone_is_normalised(client, ready_db, given_phone, kept) -> None:
    """TESTPLAN 3: Vietnamese numbers in their usual spellings are kept in national form."""
    code = submit(client, phone=given_phone)
    assert stored(ready_db, code).reporter_phone == kept


INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad\u202a\u202b\u202c\u202d\u202e\u2066\u2069"
VIET_WORDS = ["đường", "hỏng", "nước", "rác", "Thái", "Nguyên", "phường", "ổ", "gà", "cột",
              "điện", "đổ", "ngập", "lụt", "cây", "xanh"]


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(words=st.lists(st.sampled_from(VIET_WORDS), min_size=4, max_size=12),
       junk=st.lists(st.sampled_from(INVISIBLE), min_size=1, max_size=6),
       form=st.sampled_from(["NFC", "NFD"]))
def test_row3_property_stored_text_is_nfc_without_invisibles(client, ready_db, words, junk,
                                                             form) -> None:
    """TESTPLAN 3 (hypothesis): whatever invisible characters are mixed into NFC or NFD text,
    what is stored is the NFC text without them."""
    clean = " ".join(words)
    sent = ""
    for n, word in enumerate(words):
        sent += word + (junk[n % len(junk)] if n % 2 else "") + " "
    code = submit(client, description=unicodedata.normalize(form, sent))
    assert stored(ready_db, code).description == unicodedata.normalize("NFC", clean)


# --- row 4: coordinates ---------------------------------------------------------------------------

NAN, INF = float("nan"), float("inf")


BAD_POINTS = [
    (NAN, 105.8482, "lat", "invalid"),
    (21.5942, NAN, "lon", "invalid"),
    (INF, 105.8482, "lat", "invalid"),
    (21.5942, -INF, "lon", "invalid"),
    ("NaN", 105.8482, "lat", "invalid"),
    ("Infinity", 105.8482, "lat", "invalid"),
    (90.0001, 105.8482, "lat", "invalid"),
    (-91, 105.8482, "lat", "invalid"),
    (21.5942, 180.5, "lon", "invalid"),
    (105.8482, 21.5942, "lat", "invalid"),  # swapped
    (0, 0, "lat", "outside_province"),
    (21.0285, 105.8542, "lat", "outside_province"),  # Hà Nội
    (True, 105.8482, "lat", "invalid"),
    ("21,5942", 105.8482, "lat", "invalid"),
    ([21.5942], 105.8482, "lat", "invalid"),
    (10**400, 105.8482, "lat", "invalid"),  # an integer no float can hold
]


def test_row4_bad_coordinates_are_422(client, ready_db, media_root) -> None:
    """TESTPLAN 4: NaN, ±Inf (JSON literals and strings), lat > 90, swapped lat/lon, (0,0),
    Hà Nội → 422 naming the coordinate, as JSON and as multipart with a photo; nothing stored,
    no photo kept. (One database for all cases, to stay fast.)"""
    for lat, lon, field, error in BAD_POINTS:
        data = json.dumps(report_body(lat=lat, lon=lon))  # allow_nan: NaN/Infinity literals
        response = post_report(client, data=data, content_type="application/json")
        assert response.status_code == 422, (lat, lon, response.get_json())
        payload = assert_error(response, 422, error, field)
        assert VIETNAMESE.search(payload["message"])
        multipart = post_multipart(client, {"photos": [(jpeg_bytes(), "a.jpg")]}, lat=lat,
                                   lon=lon)
        assert multipart.status_code == 422, (lat, lon, multipart.get_json())
        assert_error(multipart, 422, error, field)
    assert count_rows(ready_db, Report) == 0 and files_under(media_root) == []


def test_row4_old_bac_kan_is_inside_and_units_match_the_point(client, sign_in, ready_db) -> None:
    """TESTPLAN 4: old Bắc Kạn (22.147, 105.834) is inside the merged province since 1/7/2025;
    the stored administrative units are those of the point."""
    code = submit(client, lat=22.147, lon=105.834)
    report = stored(ready_db, code)
    place = locate(105.834, 22.147)
    assert (report.district_code, report.commune_code, report.unit_2025_code) == (
        place.district_code, place.commune_code, place.unit_2025_code)
    assert report.unit_2025_code
    city = stored(ready_db, submit(client))
    assert (city.district_code, city.commune_code) == ("164", locate(105.8482, 21.5942).commune_code)
    assert sign_in("ioc_lan").detail(code)["lat"] == 22.147


# --- row 5: oversize bodies -----------------------------------------------------------------------

def _raw_http(base: str, head: bytes, body_chunks=(), timeout: float = 30.0):
    """Send a raw request (headers, then `body_chunks` as long as the server lets us) while a
    reader thread collects the response. Returns (status, headers text, body bytes, seconds
    from the end of the headers to the full response, bytes of body sent)."""
    host, port = base.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=timeout)
    received = bytearray()
    done = threading.Event()
    finished_at: list[float] = []

    def reader() -> None:
        try:
            while not done.is_set():
                chunk = sock.recv(65536)
                if not chunk:
                    break
                received.extend(chunk)
                head_end = received.find(b"\r\n\r\n")
                if head_end >= 0:
                    match = re.search(rb"(?i)content-length:\s*(\d+)", received[:head_end])
                    if match and len(received) >= head_end + 4 + int(match.group(1)):
                        break
        except OSError:
            pass
        finished_at.append(time.monotonic())
        done.set()

    sent = 0
    try:
        sock.sendall(head)
        started = time.monotonic()
        thread = threading.Thread(target=reader, daemon=True)
        thread.start()
        try:
            for chunk in body_chunks:
                if done.is_set():
                    break
                sock.sendall(chunk)
                sent += len(chunk)
        except OSError:
            pass  # the server stopped reading: expected once it has answered 413
        done.wait(timeout)
    finally:
        sock.close()
    head_text, _, body = bytes(received).partition(b"\r\n\r\n")
    status = int(head_text.split(b" ")[1]) if head_text else 0
    return status, head_text.decode("latin-1"), body, finished_at[0] - started, sent


@pytest.mark.parametrize("content_type", ["application/json",
                                          "multipart/form-data; boundary=XyZ"])
def test_row5_70mb_content_length_is_413_before_the_body_is_read(
        live_server, ready_db, media_root, content_type) -> None:
    """TESTPLAN 5: a 70 MB Content-Length is refused with 413 at once, from the headers alone:
    the server answers although not one byte of the body has been sent."""
    head = (f"POST /api/v1/reports HTTP/1.1\r\nHost: localhost\r\nContent-Type: {content_type}\r\n"
            f"Idempotency-Key: {new_key()}\r\nContent-Length: {70 * 1024 * 1024}\r\n\r\n")
    status, _, body, seconds, sent = _raw_http(live_server, head.encode(), timeout=10)
    assert (status, sent) == (413, 0)
    assert seconds < 2.0, seconds
    assert json.loads(body)["error"] == "too_large"
    assert VIETNAMESE.search(json.loads(body)["message"])
    assert count_rows(ready_db, Report) == 0 and files_under(media_root) == []


def _chunked(first: bytes, size_mb: int):
    yield b"%x\r\n%s\r\n" % (len(first), first)
    block = b"A" * (1024 * 1024)
    for _ in range(size_mb):
        yield b"%x\r\n%s\r\n" % (len(block), block)
    yield b"0\r\n\r\n"


@pytest.mark.parametrize(("content_type", "first"), [
    ("application/json", b'{"description": "'),
    ("multipart/form-data; boundary=XyZ",
     b'--XyZ\r\nContent-Disposition: form-data; name="photos"; filename="big.jpg"\r\n'
     b"Content-Type: image/jpeg\r\n\r\n\xff\xd8\xff\xe0"),
], ids=["json", "multipart"])
def test_row5_chunked_body_without_length_over_the_limit_is_413(
        live_server, ready_db, media_root, content_type, first) -> None:
    """TESTPLAN 5: a chunked body with no Content-Length is cut off at MAX_CONTENT_LENGTH
    (60 MB) and answered 413, for JSON as for multipart; no half-created report or file."""
    head = (f"POST /api/v1/reports HTTP/1.1\r\nHost: localhost\r\nContent-Type: {content_type}\r\n"
            f"Idempotency-Key: {new_key()}\r\nTransfer-Encoding: chunked\r\n\r\n")
    status, _, body, _, _ = _raw_http(live_server, head.encode(), _chunked(first, 70), timeout=60)
    assert status == 413, body[:300]
    assert json.loads(body)["error"] == "too_large"
    assert count_rows(ready_db, Report) == 0 and count_rows(ready_db, IdempotencyKey) == 0
    assert files_under(media_root) == []


@pytest.mark.parametrize(("bad", "status", "error"), [
    (b"\xff\xd8\xff\xe0" + b"\0" * (11 * 1024 * 1024), 413, "photo_too_large"),
    (b"\xff\xd8\xff\xe0" + HTML_PAYLOAD, 422, "corrupt_image"),
    (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', 415,
     "svg_not_allowed"),
], ids=["over_10mb", "fake_jpeg", "svg"])
def test_row5_bad_later_photo_leaves_no_file_of_the_earlier_ones(
        client, ready_db, media_root, bad, status, error) -> None:
    """TESTPLAN 5/6/17: a photo over the per-file limit (10 MB), a fake or an SVG after two
    good photos → 413/422/415 naming photos; the good photos already written are removed
    again: no report and no orphan file."""
    good = [(jpeg_bytes(), "1.jpg"), (jpeg_bytes(color=(0, 90, 0)), "2.jpg")]
    response = post_multipart(client, {"photos": [*good, (bad, "3.jpg")]})
    assert_error(response, status, error, "photos")
    assert count_rows(ready_db, Report) == 0
    assert files_under(media_root) == []


def test_row5_too_many_photos_is_422_and_nothing_kept(client, ready_db, media_root) -> None:
    """TESTPLAN 5: more than 5 photos → 422 naming photos; nothing stored."""
    response = post_multipart(client, {"photos": [(jpeg_bytes(), f"{n}.jpg") for n in range(6)]})
    assert_error(response, 422, field="photos")
    assert count_rows(ready_db, Report) == 0 and files_under(media_root) == []


# --- rows 6 and 9: photos and file names -----------------------------------------------------------

def test_row6_fake_jpeg_and_svg_are_refused(client, ready_db, media_root) -> None:
    """TESTPLAN 6: JPEG magic bytes + HTML → 422 (Pillow cannot decode it); SVG with a script →
    415; other bytes → 415. Nothing stored."""
    fake = b"\xff\xd8\xff\xe0" + HTML_PAYLOAD
    svg = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg">' \
          b"<script>alert(1)</script></svg>"
    assert_error(post_multipart(client, {"photos": [(fake, "a.jpg")]}), 422, "corrupt_image",
                 "photos")
    assert_error(post_multipart(client, {"photos": [(svg, "a.svg")]}), 415, "svg_not_allowed",
                 "photos")
    assert_error(post_multipart(client, {"photos": [(svg, "a.jpg")]}), 415, "svg_not_allowed",
                 "photos")
    assert_error(post_multipart(client, {"photos": [(HTML_PAYLOAD, "a.png")]}), 415,
                 "unsupported_type", "photos")
    assert_error(post_multipart(client, {"videos": [(jpeg_bytes(), "a.mp4")]}), 415,
                 "unsupported_type", "videos")
    assert count_rows(ready_db, Report) == 0 and files_under(media_root) == []


def _media(client, attachment_id: int, public: bool = False):
    return client.get(f"/api/v1/media/{attachment_id}" + ("/public" if public else ""))


@pytest.mark.parametrize("polyglot", ["trailing_html", "html_in_com_segment"])
def test_row6_polyglot_accepted_only_as_clean_jpeg_served_nosniff(
        client, sign_in, ready_db, polyglot) -> None:
    """TESTPLAN 6: a JPEG + trailing HTML, or HTML in a COM segment, is accepted; what is
    served is `image/jpeg` with `nosniff`, a sandbox CSP and a Content-Disposition, and the public
    derivative no longer carries the payload."""
    data = (jpeg_bytes() + HTML_PAYLOAD if polyglot == "trailing_html"
            else jpeg_bytes(comment=HTML_PAYLOAD))
    response = post_multipart(client, {"photos": [(data, "anh.jpg")]})
    assert response.status_code == 201, response.get_json()
    code = response.get_json()["code"]
    advance(ready_db, code, 6)
    with session_factory(ready_db)() as session:
        attachment = session.scalar(select(Attachment))
    original = _media(sign_in("ioc_lan").client, attachment.id)
    public = _media(client, attachment.id, public=True)
    for served in (original, public):
        assert served.status_code == 200
        assert served.headers["Content-Type"] == "image/jpeg"
        assert served.headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in served.headers["Content-Security-Policy"]
        assert "filename=" in served.headers["Content-Disposition"]
    assert original.get_data() == data  # the staff-only original is kept as received
    assert b"<script" not in public.get_data() and public.get_data().startswith(b"\xff\xd8")


def test_row6_php_double_extension_is_served_as_jpeg_name(client, sign_in, ready_db) -> None:
    """TESTPLAN 6: `x.jpg.php` gets a server-made storage name from its content and is
    offered for download as `….jpg`, never as `.php`."""
    response = post_multipart(client, {"photos": [(jpeg_bytes(), "shell.jpg.php")]})
    assert response.status_code == 201
    with session_factory(ready_db)() as session:
        row = session.scalar(select(Attachment))
    assert SERVER_NAME.fullmatch(row.stored_name) and row.stored_name.endswith(".jpg")
    served = _media(sign_in("ioc_lan").client, row.id)
    disposition = served.headers["Content-Disposition"]
    assert "shell.jpg.php.jpg" in disposition and not disposition.rstrip('"').endswith(".php")


@pytest.mark.parametrize(("filename", "label"), [
    ("../../x.jpg", "x.jpg"),
    ("..\\..\\windows\\x.jpg", None),  # RFC quoted-string: the parser drops the backslashes
    ("/etc/passwd.jpg", "passwd.jpg"),
    ("ả" * 300 + ".jpg", None),
])
def test_row9_client_file_name_never_becomes_a_path(client, sign_in, ready_db, media_root,
                                                    tmp_path, filename, label) -> None:
    """TESTPLAN 9: `../../x.jpg` and friends → a server-made storage name inside the media
    folder; the client's name is only a sanitised label (≤ 255 chars, suffix kept) used in
    Content-Disposition."""
    response = post_multipart(client, {"photos": [(jpeg_bytes(), filename)]})
    assert response.status_code == 201, response.get_json()
    with session_factory(ready_db)() as session:
        row = session.scalar(select(Attachment))
    assert SERVER_NAME.fullmatch(row.stored_name)
    assert "/" not in row.original_name and "\\" not in row.original_name
    assert len(row.original_name) <= 255 and row.original_name.endswith(".jpg")
    if label:
        assert row.original_name == label
    assert all(media_root in p.parents for p in files_under(tmp_path) if p.suffix == ".jpg")
    assert not (tmp_path / "x.jpg").exists() and not (tmp_path.parent / "x.jpg").exists()
    served = _media(sign_in("ioc_lan").client, row.id)
    assert served.status_code == 200
    disposition = served.headers["Content-Disposition"]
    assert "/" not in disposition and "\\" not in disposition


# --- row 10: stored XSS -----------------------------------------------------------------------------

XSS = ('<img src=x onerror="alert(document.cookie)"> <script>alert(1)</script> '
       '[bấm vào](javascript:alert(1)) **đậm** </textarea><svg onload=alert(1)>')


def test_row10_stored_xss_is_returned_verbatim_as_a_json_string(client, sign_in, ready_db) -> None:
    """TESTPLAN 10: HTML/Markdown/`javascript:` in the description and address is data: the API
    returns it verbatim as a JSON string with Content-Type application/json, never as HTML."""
    code = submit(client, description=XSS, address="<b>Số 1</b> <a href=javascript:x>đây</a>")
    advance(ready_db, code, 2)
    ioc, handler = sign_in("ioc_lan"), sign_in("xl_164")
    for staff in (ioc, handler):
        response = staff.get(f"/api/v1/reports/{code}")
        assert response.status_code == 200
        assert response.mimetype == "application/json"
        assert response.get_json()["description"] == XSS
        assert response.get_json()["address"] == "<b>Số 1</b> <a href=javascript:x>đây</a>"
        listed = staff.get("/api/v1/reports").get_json()["items"][0]
        assert listed["description"] == XSS
    result = "<script>alert('kết quả')</script>"
    assert handler.act(code, "receive").status_code == 200
    assert handler.act(code, "submit_result", result=result).status_code == 200
    assert sign_in("ld_164").act(code, "approve").status_code == 200
    assert ioc.act(code, "publish").status_code == 200
    tracked = client.get(f"/api/v1/track/{code}?phone={PHONE}")
    assert tracked.mimetype == "application/json" and result in tracked.get_json()["answer"]
    assert client.get("/status").status_code == 200  # the HTML status page renders no user text
    assert b"<script>alert" not in client.get("/status").get_data()


# --- row 12: SQL and LIKE injection ------------------------------------------------------------------

def test_row12_search_treats_quotes_and_wildcards_literally(client, sign_in, ready_db) -> None:
    """TESTPLAN 12: q=`' OR 1=1--`, `%`, `_` match only reports containing those characters;
    injection attempts in the other filters match nothing and never fail."""
    texts = {
        "quote": "Ai đó viết ' OR 1=1-- lên tường trạm biến áp",
        "percent": "Áp lực nước chỉ còn 50% từ sáng đến giờ",
        "underscore": "Biển báo ghi sai tên đường_Lương Ngọc Quyến",
        "plain": "Đèn đường hỏng ba ngày liền ở tổ 7",
    }
    codes = {name: submit(client, description=t) for name, t in texts.items()}
    ioc = sign_in("ioc_lan")

    def found(**params) -> set[str]:
        response = ioc.get("/api/v1/reports", query_string=params)
        assert response.status_code == 200, response.get_json()
        return {item["code"] for item in response.get_json()["items"]}

    assert found(q="' OR 1=1--") == {codes["quote"]}
    assert found(q="%") == {codes["percent"]}
    assert found(q="50%") == {codes["percent"]}
    assert found(q="_") == {codes["underscore"]}
    assert found(q="5_%") == set()
    assert found(q="\\") == set()
    assert found(q="'; DROP TABLE reports; --") == set()
    assert found(agency="x' OR '1'='1") == set()
    assert found(field="' OR 1=1--") == set()
    assert found(district="%") == set()
    assert_error(ioc.get("/api/v1/reports", query_string={"state": "submitted' OR '1'='1"}),
                 422, field="state")
    assert count_rows(ready_db, Report) == 4  # stored verbatim, nothing dropped
    assert stored(ready_db, codes["quote"]).description == texts["quote"]


# --- row 13: Idempotency-Key --------------------------------------------------------------------------

def test_row13_retry_with_same_key_replays_the_201_and_creates_nothing(
        client, ready_db, media_root) -> None:
    """TESTPLAN 13: the client timed out after the commit and retries with the same key and
    body (also with a photo, and with the text re-sent in NFD): same 201 body, still one report,
    no extra media file."""
    key = new_key()
    first = post_multipart(client, {"photos": [(jpeg_bytes(), "a.jpg")]}, key=key)
    assert first.status_code == 201
    files = files_under(media_root)
    again = post_multipart(client, {"photos": [(jpeg_bytes(), "a.jpg")]}, key=key)
    nfd = post_multipart(client, {"photos": [(jpeg_bytes(), "a.jpg")]}, key=key,
                         description=unicodedata.normalize("NFD", DESCRIPTION))
    quoted = client.post("/api/v1/reports", data={
        **form_fields(), "photos": [(io.BytesIO(jpeg_bytes()), "a.jpg")]},
        content_type="multipart/form-data", headers={"Idempotency-Key": f'"{key}"'})
    for retry in (again, nfd, quoted):
        assert retry.status_code == 201
        assert retry.get_json() == first.get_json()
    assert count_rows(ready_db, Report) == 1 and count_rows(ready_db, Attachment) == 1
    assert files_under(media_root) == files


def test_row13_same_key_other_body_is_422(client, ready_db) -> None:
    """TESTPLAN 13: a key reused with another payload (or other media) → 422; nothing new."""
    key = new_key()
    assert post_report(client, report_body(), key=key).status_code == 201
    other = post_report(client, report_body(description=DESCRIPTION + " (lần 2)"), key=key)
    assert_error(other, 422, "idempotency_key_reused", "Idempotency-Key")
    with_photo = post_multipart(client, {"photos": [(jpeg_bytes(), "a.jpg")]}, key=key)
    assert_error(with_photo, 422, "idempotency_key_reused")
    assert count_rows(ready_db, Report) == 1


@pytest.mark.parametrize(("header", "error"), [
    (None, "idempotency_key_required"), ("", "idempotency_key_required"),
    ("   ", "idempotency_key_required"), ("k" * 256, "idempotency_key_invalid"),
    ("khóa-tiếng-việt", "idempotency_key_invalid"), ("a b", "idempotency_key_invalid")])
def test_row13_missing_or_invalid_key_is_400(client, ready_db, header, error) -> None:
    """TESTPLAN 13: POST without a key (or an unusable one) → 400; nothing stored."""
    headers = {} if header is None else {"Idempotency-Key": header}
    response = client.post("/api/v1/reports", json=report_body(), headers=headers)
    assert_error(response, 400, error, "Idempotency-Key")
    assert count_rows(ready_db, Report) == 0


def test_row13_refused_request_leaves_the_key_usable(client, ready_db) -> None:
    """TESTPLAN 13: a request refused for bad input does not burn its key; the corrected retry
    with the same key creates the report."""
    key = new_key()
    assert post_report(client, report_body(phone="123"), key=key).status_code == 422
    assert post_report(client, report_body(), key=key).status_code == 201
    assert count_rows(ready_db, Report) == 1


@pytest.fixture
def slow_submit(monkeypatch, ready_db):
    """The first request blocks, holding its key, until released: caught in flight.

    PostgreSQL holds the key in the report's transaction (uncommitted, after its INSERT);
    SQLite holds a committed `processing` claim while the report is written.
    """
    entered, release = threading.Event(), threading.Event()
    if idempotency.in_transaction(engine_for(ready_db).dialect.name):
        real_record = idempotency.record

        def blocked_record(*args, **kwargs):
            real_record(*args, **kwargs)
            if not entered.is_set():  # only the first request waits
                entered.set()
                release.wait(20)

        monkeypatch.setattr(idempotency, "record", blocked_record)
        return entered, release
    real = submissions.submit_report

    def blocked(*args, **kwargs):
        entered.set()
        release.wait(20)
        return real(*args, **kwargs)

    monkeypatch.setattr(submissions, "submit_report", blocked)
    return entered, release


def test_row13_retry_while_first_is_in_flight_is_409(live_server, ready_db, slow_submit) -> None:
    """TESTPLAN 13: a retry arriving while the first request is still processing → 409; once
    the first has committed the retry replays its 201."""
    entered, release = slow_submit
    key, body = new_key(), report_body()
    first: list[requests.Response] = []
    thread = threading.Thread(target=lambda: first.append(requests.post(
        f"{live_server}/api/v1/reports", json=body, headers={"Idempotency-Key": key},
        timeout=30)))
    thread.start()
    assert entered.wait(10)
    during = requests.post(f"{live_server}/api/v1/reports", json=body,
                           headers={"Idempotency-Key": key}, timeout=30)
    release.set()
    thread.join(30)
    assert during.status_code == 409 and during.json()["error"] == "idempotency_key_in_flight"
    assert first[0].status_code == 201
    after = requests.post(f"{live_server}/api/v1/reports", json=body,
                          headers={"Idempotency-Key": key}, timeout=30)
    assert (after.status_code, after.json()) == (201, first[0].json())
    assert count_rows(ready_db, Report) == 1


def test_row13_five_concurrent_posts_with_one_key_make_one_report(live_server, ready_db) -> None:
    """TESTPLAN 13: 5 concurrent posts with the same key → exactly 1 report; every other answer
    is the replayed 201 body or 409 in flight."""
    key, body = new_key(), report_body()
    barrier = threading.Barrier(5)
    answers: list[requests.Response] = []

    def post() -> None:
        barrier.wait()
        answers.append(requests.post(f"{live_server}/api/v1/reports", json=body,
                                     headers={"Idempotency-Key": key}, timeout=30))

    threads = [threading.Thread(target=post) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    statuses = Counter(a.status_code for a in answers)
    assert set(statuses) <= {201, 409} and statuses[201] >= 1 and sum(statuses.values()) == 5
    assert len({json.dumps(a.json(), sort_keys=True) for a in answers if a.status_code == 201}) == 1
    assert count_rows(ready_db, Report) == 1
    with session_factory(ready_db)() as session:
        row = session.get(IdempotencyKey, key)
        assert row.state == "done" and row.report_id is not None
    assert all(a.json()["error"] == "idempotency_key_in_flight"
               for a in answers if a.status_code == 409)


def _on_postgresql(url: str) -> bool:
    return idempotency.in_transaction(engine_for(url).dialect.name)


def test_row13_failure_after_the_key_is_written_leaves_neither_key_nor_report(
        client, ready_db, monkeypatch) -> None:
    """TESTPLAN 13/26: the transaction fails after the key was written in it (PostgreSQL) or
    completed in it (SQLite): 500, no report, no key left answered; the retry creates one."""
    name = "record" if _on_postgresql(ready_db) else "complete"
    real = getattr(idempotency, name)

    def then_crash(*args, **kwargs):
        real(*args, **kwargs)
        raise RuntimeError("power cut before the commit")

    key = new_key()
    with monkeypatch.context() as patched:
        patched.setattr(idempotency, name, then_crash)
        assert_error(post_report(client, report_body(), key=key), 500, "internal_error")
    assert count_rows(ready_db, Report) == 0 and count_rows(ready_db, IdempotencyKey) == 0
    retry = post_report(client, report_body(), key=key)
    assert retry.status_code == 201 and count_rows(ready_db, Report) == 1
    assert post_report(client, report_body(), key=key).get_json() == retry.get_json()


def test_row13_abandoned_claim_is_taken_over_a_fresh_one_is_in_flight(client, ready_db) -> None:
    """TESTPLAN 13: a `processing` claim older than STALE_AFTER (its request died) is taken
    over by the retry (201, one report); a fresh one answers 409 and creates nothing."""
    now = datetime.now(UTC)
    body = report_body()
    print_ = idempotency.fingerprint(
        parse_submission(body, now, "api").canonical(), [])
    stale, fresh = new_key(), new_key()
    with session_factory(ready_db)() as session, session.begin():
        for key, at in ((stale, now - idempotency.STALE_AFTER - timedelta(seconds=5)),
                        (fresh, now)):
            session.add(IdempotencyKey(key=key, fingerprint=print_, state="processing",
                                       created_at=at, updated_at=at))
    taken = post_report(client, body, key=stale)
    assert taken.status_code == 201, taken.get_json()
    assert_error(post_report(client, body, key=fresh), 409, "idempotency_key_in_flight")
    assert count_rows(ready_db, Report) == 1
    with session_factory(ready_db)() as session:
        row = session.get(IdempotencyKey, stale)
        assert row.state == "done" and json.loads(row.response_body) == taken.get_json()
        assert session.get(IdempotencyKey, fresh).state == "processing"
    assert post_report(client, body, key=stale).get_json() == taken.get_json()


def test_row13_duplicate_during_the_first_commit_gets_its_answer(live_server, ready_db,
                                                                 monkeypatch) -> None:
    """PostgreSQL keeps the key in the report's transaction: a duplicate that reaches the key
    while the first has written it but not yet committed waits (up to IN_FLIGHT_WAIT) and then
    replays the first's 201 instead of answering 409; one report."""
    if not _on_postgresql(ready_db):
        pytest.skip("SQLite claims the key in its own transaction first: a duplicate gets 409")
    written, release = threading.Event(), threading.Event()
    real = idempotency.record

    def slow_commit(*args, **kwargs):
        real(*args, **kwargs)
        if not written.is_set():
            written.set()
            release.wait(20)

    monkeypatch.setattr(idempotency, "record", slow_commit)
    key, body = new_key(), report_body()
    first: list[requests.Response] = []
    thread = threading.Thread(target=lambda: first.append(requests.post(
        f"{live_server}/api/v1/reports", json=body, headers={"Idempotency-Key": key},
        timeout=30)))
    thread.start()
    assert written.wait(10)
    threading.Timer(idempotency.IN_FLIGHT_WAIT.total_seconds() / 5, release.set).start()
    second = requests.post(f"{live_server}/api/v1/reports", json=body,
                           headers={"Idempotency-Key": key}, timeout=30)
    thread.join(30)
    assert first[0].status_code == 201
    assert (second.status_code, second.json()) == (201, first[0].json())
    assert count_rows(ready_db, Report) == 1


# --- row 14: concurrent forwards ------------------------------------------------------------------------

def test_row14_eight_concurrent_forwards_one_wins(live_server, ready_db, staff_accounts) -> None:
    """TESTPLAN 14: 8 handlers forward the same report with the same version at once →
    exactly one 200 and seven 409; one forward event."""
    code = make_report(ready_db, steps=1)
    session = requests.Session()
    csrf = session.post(f"{live_server}/api/v1/auth/login",
                        json={"username": "ioc_lan", "password": PASSWORD}, timeout=10
                        ).json()["csrf_token"]
    cookies = session.cookies.get_dict()
    barrier = threading.Barrier(8)
    answers: list[requests.Response] = []

    def forward() -> None:
        barrier.wait()
        answers.append(requests.post(
            f"{live_server}/api/v1/reports/{code}/actions/forward", cookies=cookies,
            headers={"X-CSRF-Token": csrf}, timeout=30,
            json={"version": 2, "field": FIELD, "agency": AGENCY}))

    threads = [threading.Thread(target=forward) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(a.status_code for a in answers) == [200] + [409] * 7
    assert {a.json()["error"] for a in answers if a.status_code == 409} == {"stale_version"}
    with session_factory(ready_db)() as db:
        actions = db.scalars(select(Event.action).where(Event.stream == code)).all()
        assert actions.count("forward") == 1
        assert db.scalar(select(Report.version).where(Report.code == code)) == 3


# --- row 15: illegal workflow steps ---------------------------------------------------------------------

def test_row15_illegal_steps_are_refused_and_change_nothing(ready_db, sign_in) -> None:
    """TESTPLAN 15: publish before approval → 409; skip verify (forward a submitted report) →
    409; approve own work → 403; replaying an old approval → 409; state unchanged each time."""
    ioc, handler, leader = sign_in("ioc_lan"), sign_in("xl_164"), sign_in("ld_164")
    fresh = make_report(ready_db)
    assert_error(ioc.act(fresh, "forward", field=FIELD, agency=AGENCY), 409, "illegal_transition")
    assert_error(ioc.act(fresh, "publish"), 409, "illegal_transition")
    assert ioc.detail(fresh)["state"] == "submitted"

    awaiting = make_report(ready_db, steps=4)
    assert_error(ioc.act(awaiting, "publish"), 409, "illegal_transition")
    assert_error(handler.act(awaiting, "approve"), 403, "forbidden_role")
    assert_error(ioc.act(awaiting, "approve"), 403, "forbidden_role")
    before = ioc.detail(awaiting)
    response = leader.act(awaiting, "approve", version=before["version"])
    assert response.status_code == 200
    replay = leader.act(awaiting, "approve", version=before["version"])
    assert_error(replay, 409, "stale_version")
    assert_error(leader.act(awaiting, "approve"), 409, "illegal_transition")
    after = ioc.detail(awaiting)
    assert (after["state"], after["version"]) == ("approved", before["version"] + 1)
    assert [h["action"] for h in after["history"]].count("approve") == 1


def test_row15_approving_own_result_is_403(ready_db, sign_in) -> None:
    """TESTPLAN 15 / D9: a handler promoted to leader may not approve the result they entered."""
    code = make_report(ready_db, steps=4)  # result entered by xl_164
    with session_factory(ready_db)() as session, session.begin():
        session.execute(update(User).where(User.username == "xl_164").values(role="agency_leader"))
    promoted = sign_in("xl_164")
    assert "approve" not in promoted.detail(code)["allowed_actions"]
    assert_error(promoted.act(code, "approve"), 403, "own_work")
    assert_error(promoted.act(code, "edit_and_approve", result="Sửa lại"), 403, "own_work")
    assert sign_in("ioc_lan").detail(code)["state"] == "awaiting_approval"


STEP_PARAMS = {"reject": {"reason": "Không rõ"}, "request_supplement": {"missing": "Ảnh"},
               "forward": {"field": FIELD, "agency": AGENCY},
               "escalate": {"reason": "Chưa thống nhất"},
               "direct": {"agency": AGENCY, "direction": "Giao UBND TP"},
               "return_to_ioc": {"reason": "Không thuộc thẩm quyền"},
               "progress_notice": {"note": "Đang phối hợp"}, "submit_result": {"result": RESULT},
               "return_for_rework": {"reason": "Chưa đạt"}, "edit_and_approve": {"result": RESULT},
               "reopen": {"reason": "Cần làm rõ"}, "consult": {"agencies": [OTHER_AGENCY]}}
STAFF_STEPS = [(who, action) for action in ACTIONS if action not in ("supplement", "feedback")
               for who in ("ioc_lan", "xl_164", "ld_164", "xl_dl", "lanh_dao_tinh")]


@pytest.fixture
def crew(sign_in) -> dict:
    """The staff of the random walks, signed in once for all hypothesis examples."""
    return {u: sign_in(u) for u in ("ioc_lan", "xl_164", "ld_164", "xl_dl", "lanh_dao_tinh")}


@settings(max_examples=12, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=st.lists(st.sampled_from(STAFF_STEPS), min_size=3, max_size=10))
def test_row15_property_random_step_sequences_keep_the_invariants(ready_db, crew, steps) -> None:
    """TESTPLAN 15 (hypothesis, state-machine style): any sequence of staff steps over HTTP.
    Each answer is 200/403/404/409/422; a refusal changes neither state nor version nor history;
    a success bumps the version by one and adds exactly one event; a report is only ever
    published after an approval by someone other than the author of the result."""
    staff = crew
    code = make_report(ready_db)
    ioc = staff["ioc_lan"]
    for who, action in steps:
        before = ioc.detail(code)
        response = staff[who].act(code, action, **STEP_PARAMS.get(action, {}))
        after = ioc.detail(code)
        assert response.status_code in (200, 403, 404, 409, 422), response.get_json()
        if response.status_code == 200:
            assert after["version"] == before["version"] + 1
            assert len(after["history"]) == len(before["history"]) + 1
            assert after["history"][-1]["action"] == action
            assert response.get_json()["state"] == after["state"]
        else:
            assert (after["state"], after["version"], after["history"]) == (
                before["state"], before["version"], before["history"])
        if after["state"] == "published":
            history = after["history"]
            approvals = [h for h in history if h["action"] in ("approve", "edit_and_approve")]
            results = [h for h in history if h["action"] == "submit_result"]
            assert approvals and approvals[-1]["actor"] != results[-1]["actor"]


# --- row 19: IDOR ---------------------------------------------------------------------------------------

def _denials(url: str, username: str) -> list[AccessLog]:
    with session_factory(url)() as session:
        return list(session.scalars(select(AccessLog).where(AccessLog.username == username,
                                                            AccessLog.what == "denied")))


@pytest.mark.parametrize(("steps", "state"), [(2, "forwarded"), (3, "in_progress"),
                                              (4, "awaiting_approval"), (5, "approved")])
@pytest.mark.parametrize("outsider", ["xl_dl", "ld_dl"])
def test_row19_other_agency_gets_404_everywhere_and_it_is_logged(
        client, sign_in, ready_db, steps, state, outsider) -> None:
    """TESTPLAN 19 (matrix role × state × endpoint): a handler or leader of another agency gets
    404 on the detail, on an action, on the original photo and on the public photo of an
    unpublished report, exactly like for a code that does not exist; the list filtered on the
    owner agency is empty. Each refusal is written to access_log as `denied`."""
    code, attachment_id = report_with_photo(client, ready_db, steps=steps)
    assert stored(ready_db, code).state == state
    other = sign_in(outsider)
    action = "receive" if outsider == "xl_dl" else "approve"
    missing = other.get("/api/v1/reports/PA-2026-999999").get_json()
    answers = {
        "detail": other.get(f"/api/v1/reports/{code}"),
        "action": other.act(code, action),
        "original": _media(other.client, attachment_id),
        "public": _media(other.client, attachment_id, public=True),
    }
    for endpoint, response in answers.items():
        assert response.status_code == 404, endpoint
        assert response.get_json()["error"] == "not_found", endpoint
    assert answers["detail"].get_json() == missing
    for huge in ("/api/v1/media/9223372036854775808", "/api/v1/media/99999999999999999999/public"):
        assert other.get(huge).status_code == 404, huge  # an id beyond any integer column
    assert other.list(agency=AGENCY)["items"] == []
    assert other.list(q=code)["items"] == []
    assert stored(ready_db, code).version == steps + 1  # nothing changed
    assert _media(client, attachment_id, public=True).status_code == 404  # anonymous too
    insider = sign_in("xl_164" if outsider == "xl_dl" else "ld_164")
    assert insider.get(f"/api/v1/reports/{code}").status_code == 200  # positive control
    assert _media(insider.client, attachment_id).status_code == 200
    denials = _denials(ready_db, outsider)
    assert len(denials) >= 4, "a refused access must be logged as a failed authorization"
    assert {d.report_id for d in denials} == {stored(ready_db, code).id}
    assert all(d.client and d.role == STAFF_ROLE[outsider] for d in denials)


def test_row19_published_photo_is_public_but_original_stays_staff_only(
        client, sign_in, ready_db) -> None:
    """TESTPLAN 19/8: after publication the cleaned photo is public; the original is not, and
    another agency still cannot see the report."""
    code, attachment_id = report_with_photo(client, ready_db, steps=6)
    assert _media(client, attachment_id, public=True).status_code == 200
    assert _media(client, attachment_id).status_code == 404
    assert sign_in("xl_dl").get(f"/api/v1/reports/{code}").status_code == 404


# --- rows 20 and 21: identity ------------------------------------------------------------------------------

def _has_identity(payload) -> bool:
    blob = json.dumps(payload, ensure_ascii=False)
    return any(value in blob for value in IDENTITY)


def test_row20_confidential_report_is_hidden_from_everyone_but_its_reporter(
        client, sign_in, ready_db) -> None:
    """TESTPLAN 20: a confidential report: wrong phone → 404 like an unknown code; no public
    photo; the reporter's name/phone/e-mail appear in no citizen or list payload."""
    response = post_multipart(client, {"photos": [(jpeg_bytes(), "a.jpg")]}, confidential=True)
    assert response.status_code == 201 and not _has_identity(response.get_json())
    code = response.get_json()["code"]
    advance(ready_db, code, 6)
    assert stored(ready_db, code).state == "answered_privately"
    with session_factory(ready_db)() as session:
        attachment_id = session.scalar(select(Attachment.id))
    unknown = client.get(f"/api/v1/track/PA-2026-999999?phone={PHONE}")
    for phone in ("0987654321", "", "abc", PHONE[:-1]):
        wrong = client.get(f"/api/v1/track/{code}", query_string={"phone": phone})
        assert wrong.status_code == 404 and wrong.get_json() == unknown.get_json()
    assert client.get(f"/api/v1/track/{code}").status_code == 404
    own = client.get(f"/api/v1/track/{code}?phone={PHONE}")
    assert own.status_code == 200 and not _has_identity(own.get_json())
    assert _media(client, attachment_id, public=True).status_code == 404
    assert client.get(f"/api/v1/reports/{code}").status_code == 401
    for who in ("ioc_lan", "xl_164", "lanh_dao_tinh"):
        assert not _has_identity(sign_in(who).list()), who
    assert sign_in("man_hinh").get("/api/v1/reports").status_code == 403  # reads no report
    assert sign_in("xl_164").list(q="Nguyễn Văn An")["items"] == []


def test_row21_agency_sees_content_not_identity_until_granted(client, sign_in, ready_db) -> None:
    """TESTPLAN 21 / D13.3: the agency sees the content but not who reported; only the IOC may
    grant it the identity (POST /reports/{code}/identity-grants), never for a confidential
    report; after a grant the agency sees it and each view is logged `view_identity` (who,
    report, client). The IOC's own views are logged too."""
    plain = submit(client)
    secret = submit(client, confidential=True)
    advance(ready_db, plain, 2)
    advance(ready_db, secret, 2)
    handler, ioc = sign_in("xl_164"), sign_in("ioc_lan")
    for code in (plain, secret):
        detail = handler.detail(code)
        assert detail["description"] == DESCRIPTION and detail["reporter"] is None
        assert not _has_identity(detail)
    grants = {code: f"/api/v1/reports/{code}/identity-grants" for code in (plain, secret)}
    assert_error(handler.post(grants[plain], json={"agency": AGENCY}), 403)
    assert_error(ioc.post(grants[secret], json={"agency": AGENCY}), 422, field="confidential")
    with session_factory(ready_db)() as session, session.begin():  # even forced into the table
        session.add(IdentityGrant(report_id=stored(ready_db, secret).id, agency_code=AGENCY,
                                  granted_by="ioc_lan", granted_at=datetime.now(UTC)))
    assert handler.detail(plain)["reporter"] is None
    assert ioc.post(grants[plain], json={"agency": AGENCY}).status_code == 200
    assert handler.detail(plain)["reporter"] == dict(zip(("name", "phone", "email"), IDENTITY,
                                                         strict=True))
    assert handler.detail(secret)["reporter"] is None
    assert sign_in("xl_dl").get(f"/api/v1/reports/{plain}").status_code == 404
    ioc.detail(secret)
    with session_factory(ready_db)() as session:
        views = session.execute(select(AccessLog.username, AccessLog.report_id, AccessLog.client)
                                .where(AccessLog.what == "view_identity")).all()
        granted = session.scalars(select(AccessLog.report_id)
                                  .where(AccessLog.what == "grant_identity")).all()
    ids = {name: stored(ready_db, code).id for name, code in (("plain", plain), ("secret", secret))}
    assert sorted((u, r) for u, r, _ in views) == sorted(
        [("xl_164", ids["plain"]), ("ioc_lan", ids["secret"])])
    assert all(c for _, _, c in views)  # where from
    assert granted == [ids["plain"]]


# --- row 22: brute force -------------------------------------------------------------------------------------

def _try_login(client, username: str, password: str, **headers):
    return client.post("/api/v1/auth/login", json={"username": username, "password": password},
                       headers=headers)


def test_row22_unknown_user_and_wrong_password_get_the_same_answer(client, staff_accounts) -> None:
    """TESTPLAN 22: no user enumeration: the same status and body for both failures; a disabled
    account answers the same too."""
    wrong = _try_login(client, "ioc_lan", "sai-mat-khau-roi")
    unknown = _try_login(client, "khong_ton_tai", "sai-mat-khau-roi")
    auth_service.disable_user("man_hinh")
    disabled = _try_login(client, "man_hinh", PASSWORD)
    for response in (wrong, unknown, disabled):
        assert_error(response, 401, "bad_credentials")
        assert response.get_json() == wrong.get_json()
        assert "Set-Cookie" not in response.headers


def test_row22_wrong_passwords_for_one_account_hit_429(app, staff_accounts) -> None:
    """TESTPLAN 22: repeated wrong passwords → 429 with Retry-After after the limit, and then
    even the right password is refused for now (bounded loop, ≤ 30 attempts)."""
    client = app.test_client()
    for attempt in range(1, 31):
        response = _try_login(client, "ioc_lan", f"doan-mo-{attempt:04d}")
        if response.status_code == 429:
            break
        assert_error(response, 401, "bad_credentials")
    assert_error(response, 429, "too_many_requests")
    assert attempt <= 11 and response.headers["Retry-After"]
    assert _try_login(client, "ioc_lan", PASSWORD).status_code == 429


def test_row22_spraying_accounts_from_one_ip_hits_429_despite_spoofed_xff(
        app, staff_accounts) -> None:
    """TESTPLAN 22: one password across many accounts from one IP → 429; a spoofed
    X-Forwarded-For does not give a fresh budget (it is not trusted without a proxy)."""
    client = app.test_client()
    for attempt in range(1, 31):
        response = _try_login(client, f"nguoi_dung_{attempt}", "MatKhau@123",
                              **{"X-Forwarded-For": f"203.0.113.{attempt}"})
        if response.status_code == 429:
            break
        assert response.status_code == 401
    assert response.status_code == 429 and attempt <= 11
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    assert login(other, "ioc_lan")  # another address is not blocked


# --- row 24: sessions ------------------------------------------------------------------------------------------

COOKIE = "ioc_session"


def test_row24_login_issues_a_new_session_with_safe_cookie_flags(app, staff_accounts,
                                                                  ready_db) -> None:
    """TESTPLAN 24: each login creates a new server-side session and a new cookie value (no
    fixation); the cookie is HttpOnly and SameSite; a planted cookie is ignored."""
    client = app.test_client()
    client.set_cookie(COOKIE, "planted-by-attacker")
    assert client.get("/api/v1/auth/me").status_code == 401
    response = client.post("/api/v1/auth/login", json={"username": "ioc_lan",
                                                       "password": PASSWORD})
    assert response.status_code == 200
    cookies = response.headers.getlist("Set-Cookie")
    set_cookie = next(c for c in cookies if c.startswith(f"{COOKIE}="))
    assert "HttpOnly" in set_cookie
    assert re.search(r"SameSite=(Lax|Strict)", set_cookie)
    # the CSRF token for the dashboard's script: readable, but never sent by another site
    csrf_cookie = next(c for c in cookies if c.startswith("_csrf_token="))
    assert "SameSite=Strict" in csrf_cookie
    first = client.get_cookie(COOKIE).value
    assert first != "planted-by-attacker"
    login(client, "ioc_lan")
    second = client.get_cookie(COOKIE).value
    assert second != first
    with session_factory(ready_db)() as session:
        assert session.scalar(select(func.count()).select_from(StaffSession)) == 2


def test_row24_old_cookie_is_rejected_after_logout(app, staff_accounts) -> None:
    """TESTPLAN 24: logout ends the session on the server: replaying the old cookie → 401."""
    client = app.test_client()
    csrf = login(client, "ioc_lan")
    old = client.get_cookie(COOKIE).value
    assert client.get("/api/v1/auth/me").status_code == 200
    assert client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 200
    replay = app.test_client()
    replay.set_cookie(COOKIE, old)
    assert_error(replay.get("/api/v1/auth/me"), 401)
    assert replay.get("/api/v1/reports").status_code == 401


def test_row24_disabled_user_session_dies_at_once(client, sign_in) -> None:
    """TESTPLAN 24: disabling an account ends its open sessions on the very next request."""
    code = submit(client)
    ioc = sign_in("ioc_lan")
    assert ioc.get("/api/v1/auth/me").status_code == 200
    auth_service.disable_user("ioc_lan")
    assert ioc.get("/api/v1/auth/me").status_code == 401
    assert ioc.act(code, "accept").status_code == 401
    assert sign_in("ioc_minh").detail(code)["state"] == "submitted"


def test_row24_idle_session_expires(sign_in, ready_db) -> None:
    """TESTPLAN 24: a session idle for longer than 8 hours is no longer accepted."""
    ioc = sign_in("ioc_lan")
    with session_factory(ready_db)() as session, session.begin():
        session.execute(update(StaffSession).values(
            last_seen_at=datetime.now(UTC) - timedelta(hours=9)))
    assert ioc.get("/api/v1/auth/me").status_code == 401


# --- row 25: CSRF -------------------------------------------------------------------------------------------------

def test_row25_state_change_with_session_needs_the_csrf_token(client, sign_in) -> None:
    """TESTPLAN 25: with a session cookie, a write without X-CSRF-Token, with a wrong one or with
    another session's token → 403; a cross-site form post → 403; text/plain with the right token
    → 415. Nothing changes."""
    code = submit(client)
    ioc, other = sign_in("ioc_lan"), sign_in("ioc_minh")
    url = f"/api/v1/reports/{code}/actions/accept"
    for headers in ({}, {"X-CSRF-Token": ""}, {"X-CSRF-Token": "sai"},
                    {"X-CSRF-Token": other.csrf}):
        assert_error(ioc.client.post(url, json={}, headers=headers), 403, "csrf")
    form = ioc.client.post(url, data={"version": "1"},
                           headers={"Origin": "https://evil.example", "Referer": "https://evil.example/"})
    assert_error(form, 403, "csrf")
    plain = ioc.client.post(url, data='{"version": 1}',
                            headers={"Content-Type": "text/plain", "X-CSRF-Token": ioc.csrf})
    assert_error(plain, 415, "unsupported_media_type")
    assert_error(ioc.client.post("/api/v1/auth/logout"), 403, "csrf")
    assert ioc.get("/api/v1/auth/me").status_code == 200  # the forged logout did nothing
    assert ioc.detail(code)["state"] == "submitted" and ioc.detail(code)["version"] == 1
    assert ioc.act(code, "accept").status_code == 200  # with the token it works


# --- row 26: forced exceptions ------------------------------------------------------------------------------------

LEAKS = ("Traceback", "SELECT", "users", "/work", ".py", "RuntimeError", "OperationalError",
         "psycopg2", "sqlite3", "password")


def test_row26_unexpected_error_is_500_json_with_correlation_id(
        client, sign_in, monkeypatch, caplog) -> None:
    """TESTPLAN 26: a bug inside a view → 500 JSON with a generic Vietnamese message and a
    correlation id; no SQL, path, exception name or traceback in the body; the id is logged."""
    code = submit(client)
    ioc = sign_in("ioc_lan")

    def broken(*args, **kwargs):
        raise RuntimeError("SELECT password_hash FROM users -- /work/main/backend/x.py")

    monkeypatch.setattr(queries, "report_detail", broken)
    with caplog.at_level("ERROR", logger="ioc.api"):
        response = ioc.get(f"/api/v1/reports/{code}")
    body = assert_error(response, 500, "internal_error")
    raw = response.get_data(as_text=True)
    assert not [leak for leak in LEAKS if leak in raw]
    correlation = re.search(r"\b([0-9a-f]{12})\b", body["message"]).group(1)
    assert any(correlation in r.getMessage() and r.exc_info for r in caplog.records)


def test_row26_database_error_is_503_with_retry_after(client, sign_in, monkeypatch) -> None:
    """TESTPLAN 26/16: a database failure surfaces as 503 + Retry-After, without the SQL."""
    code = submit(client)
    ioc = sign_in("ioc_lan")

    def down(*args, **kwargs):
        raise OperationalError("SELECT * FROM reports WHERE code = ?", {}, Exception("gone"))

    monkeypatch.setattr(queries, "report_detail", down)
    response = ioc.get(f"/api/v1/reports/{code}")
    assert_error(response, 503, "unavailable")
    assert response.headers["Retry-After"]
    assert not [leak for leak in LEAKS if leak in response.get_data(as_text=True)]


def test_row26_failed_submission_leaves_nothing_and_the_key_can_be_retried(
        client, ready_db, media_root, monkeypatch) -> None:
    """TESTPLAN 26/17: an exception during the submission transaction → 500 JSON; no report,
    no orphan photo; the same Idempotency-Key then works."""
    def crash(*args, **kwargs):
        raise RuntimeError("disk on fire")

    key = new_key()
    with monkeypatch.context() as patched:
        patched.setattr(submissions, "submit_report", crash)
        response = post_multipart(client, {"photos": [(jpeg_bytes(), "a.jpg")]}, key=key)
    assert_error(response, 500, "internal_error")
    assert "disk on fire" not in response.get_data(as_text=True)
    assert count_rows(ready_db, Report) == 0 and files_under(media_root) == []
    retry = post_multipart(client, {"photos": [(jpeg_bytes(), "a.jpg")]}, key=key)
    assert retry.status_code == 201 and count_rows(ready_db, Report) == 1


# --- row 27: audit --------------------------------------------------------------------------------------------------

def test_row27_every_state_change_is_one_event_and_refusals_none(client, sign_in,
                                                                 ready_db) -> None:
    """TESTPLAN 27 / D3.8: each accepted step writes one event with who, role, what and when
    (UTC); a refused step writes none."""
    code = submit(client)
    ioc = sign_in("ioc_lan")
    assert ioc.act(code, "publish").status_code == 409
    assert sign_in("xl_164").act(code, "accept").status_code in (403, 404)
    assert ioc.act(code, "accept").status_code == 200
    assert ioc.act(code, "forward", field=FIELD, agency=AGENCY).status_code == 200
    with session_factory(ready_db)() as session:
        events = session.scalars(select(Event).where(Event.stream == code)
                                 .order_by(Event.seq)).all()
    assert [(e.seq, e.actor, e.role, e.action, e.from_state, e.to_state) for e in events] == [
        (1, "citizen", "citizen", "submit", None, "submitted"),
        (2, "ioc_lan", "ioc_handler", "accept", "submitted", "accepted"),
        (3, "ioc_lan", "ioc_handler", "forward", "accepted", "forwarded")]
    assert all(e.at.utcoffset() == timedelta(0) for e in events)
    assert stored(ready_db, code).event_seq == 3


def test_row27_access_log_refuses_update_and_delete(client, sign_in, ready_db) -> None:
    """TESTPLAN 27: the access log is append-only in the database itself."""
    code = submit(client)
    sign_in("ioc_lan").detail(code)  # writes a view_identity row
    assert count_rows(ready_db, AccessLog) == 1
    for statement in ("UPDATE access_log SET username = 'ai_do'", "DELETE FROM access_log"):
        with pytest.raises(DBAPIError), engine_for(ready_db).begin() as connection:
            connection.execute(text(statement))
    with session_factory(ready_db)() as session:
        assert session.scalar(select(AccessLog.username)) == "ioc_lan"
    assert count_rows(ready_db, AccessLog) == 1


def test_row27_crlf_in_description_stays_inside_one_json_string(client, sign_in,
                                                                 ready_db) -> None:
    """TESTPLAN 27: CR/LF in the description cannot forge a line: it is kept as text (line
    breaks normalised to \\n) and the JSON answer escapes it inside one string."""
    forged = "Đèn đường hỏng\r\n2026-11-30 08:00:00 INFO admin đăng nhập thành công\rHết"
    code = submit(client, description=forged)
    expected = "Đèn đường hỏng\n2026-11-30 08:00:00 INFO admin đăng nhập thành công\nHết"
    assert stored(ready_db, code).description == expected
    response = sign_in("ioc_lan").get(f"/api/v1/reports/{code}")
    raw = response.get_data(as_text=True)
    assert response.get_json()["description"] == expected
    assert "\r" not in raw and "\n" not in raw.rstrip("\n")
    assert "hỏng\\n2026-11-30" in raw

"""Bad input against the /api/v1 HTTP API (TESTPLAN.md "The cases"): 1 (malformed JSON),
3 (field checks), 4 (coordinates), 10 (stored XSS stays data), 12 (SQL/LIKE injection).

Each test names its TESTPLAN row. Every test gets a fresh `create_server()`, so the in-memory
rate limits of one test never reach another. Runs on SQLite and on PostgreSQL
(TEST_DATABASE_URL). Shared helpers: `security_helpers.py`; fixtures: `api_helpers.py`.
"""

from __future__ import annotations

import json
import unicodedata

import pytest
from api_helpers import PHONE, jpeg_bytes, new_key, post_report, report_body, submit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from security_helpers import (
    VIETNAMESE,
    advance,
    assert_error,
    count_rows,
    files_under,
    post_multipart,
    stored,
)

from backend.services.places.lookup import locate
from backend.storage.models import IdempotencyKey, Report

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
    the stored unit is that of the point; a report of today keeps no former units (issue 12)."""
    code = submit(client, lat=22.147, lon=105.834)
    report = stored(ready_db, code)
    place = locate(105.834, 22.147)
    assert report.unit_code == place.unit_code == "01840"  # Phường Đức Xuân
    assert (report.former_district_code, report.former_commune_code) == (None, None)
    city = stored(ready_db, submit(client))
    assert city.unit_code == locate(105.8482, 21.5942).unit_code == "05443"  # Phan Đình Phùng
    assert sign_in("ioc_lan").detail(code)["lat"] == 22.147


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
    assert found(area="%") == set()
    assert found(unit="' OR 1=1--") == set()
    assert_error(ioc.get("/api/v1/reports", query_string={"state": "submitted' OR '1'='1"}),
                 422, field="state")
    assert count_rows(ready_db, Report) == 4  # stored verbatim, nothing dropped
    assert stored(ready_db, codes["quote"]).description == texts["quote"]

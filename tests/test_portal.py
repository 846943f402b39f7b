"""The citizens' portal (issue 6): pages, forms and the public results, through Flask's client.

Privacy first: reports are seeded with distinctive reporter identities (also typed into the
content, as citizens do), and every public page and payload is searched for them; confidential
(D10.3), state-secret (D10.4) and unanswered reports must appear nowhere public. Then the forms:
errors next to the fields in Vietnamese, the tracking code at the end, idempotent resubmission,
tracking with supplement and rating, and the headers (CSP, caching, gzip). SQLite and PostgreSQL.
"""

from __future__ import annotations

import gzip
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from api_helpers import (
    ACTORS,
    FIELD,
    LAT,
    LON,
    PHONE,
    TO_PUBLISHED,
    count_reports,
    jpeg_bytes,
    make_report,
    new_key,
)
from sqlalchemy import select, update

from backend.config import LOCAL_TZ
from backend.services.errors import NotFound
from backend.services.reads import public_results
from backend.services.workflow.steps import perform_action
from backend.storage.db import session_factory
from backend.storage.models import Attachment, Feedback, Report
from backend.web.server import create_server

# identities nobody else has, so a hit anywhere public is a leak
NAME = "Lường Thị Bímật"
SECRET_PHONE = "0987654321"
EMAIL = "luong.bimat@example.vn"
PHONE_FORMS = ("0987654321", "0987 654 321", "987654321", "+84987654321", "84987654321")
CONFIDENTIAL = "Ống nước CONF-ZQX vỡ sau nhà văn hóa"
SECRET = "Kho vật tư SECRET-QWV bị đột nhập"
SECRET_LATE = "Trạm biến áp LATE-JKP phát nổ"
OPEN = "Cây đổ OPEN-MNB chắn ngang đường"
PUBLIC = "Rác thải PUBLIC-RTA tồn đọng ở chợ Túc Duyên nhiều ngày, bốc mùi"


def _who(**extra):
    return {"reporter_name": NAME, "reporter_phone": SECRET_PHONE, "reporter_email": EMAIL,
            **extra}


@pytest.fixture
def seeded(ready_db):
    """One public answer (identity also typed into its content and the agency's result), one
    confidential, one state secret flagged before and one after publication, one unanswered."""
    start = datetime.now(UTC) - timedelta(days=2)
    public = make_report(
        ready_db, now=start,
        description=f"{PUBLIC}. Tôi là {NAME}, gọi 0987 654 321 hoặc {EMAIL} nếu cần.", **_who())
    code = public
    for n, (action, who, params) in enumerate(TO_PUBLISHED, start=1):
        if action == "submit_result":
            params = {"result": f"Đã thu gom rác; đã liên hệ bà {NAME} qua số {SECRET_PHONE}."}
        perform_action(code, action, ACTORS[who], params, now=start + timedelta(minutes=n),
                       url=ready_db)
    confidential = make_report(ready_db, steps=6, now=start, description=CONFIDENTIAL,
                               confidential=True, **_who())
    secret = make_report(ready_db, steps=5, now=start, description=SECRET, **_who())
    with session_factory(ready_db)() as session, session.begin():
        session.execute(update(Report).where(Report.code == secret).values(state_secret=True))
    perform_action(secret, "publish", ACTORS["ioc_lan"], {}, now=start + timedelta(hours=1),
                   url=ready_db)
    late = make_report(ready_db, steps=6, now=start, description=SECRET_LATE, **_who())
    with session_factory(ready_db)() as session, session.begin():  # found to be secret later
        session.execute(update(Report).where(Report.code == late).values(state_secret=True))
    unanswered = make_report(ready_db, steps=3, now=start, description=OPEN, **_who())
    return {"public": public, "confidential": confidential, "secret": secret, "late": late,
            "open": unanswered}


def _text(response) -> str:
    data = response.data
    if response.headers.get("Content-Encoding") == "gzip":
        data = gzip.decompress(data)
    return data.decode("utf-8")


def _assert_nothing_private(body: str, where: str) -> None:
    for needle in (NAME, EMAIL, "Bímật", "luong.bimat", *PHONE_FORMS):
        assert needle.lower() not in body.lower(), f"{needle!r} leaked in {where}"
    for marker in ("CONF-ZQX", "SECRET-QWV", "LATE-JKP", "OPEN-MNB"):
        assert marker not in body, f"non-public report {marker} shown in {where}"


# --- the service -----------------------------------------------------------------------------

def test_redact_blanks_phones_emails_and_the_reporters_name() -> None:
    text = ("Liên hệ Nguyễn Văn An (nguyễn văn  an), 0912.345.678, +84 912 345 678, "
            "an@example.vn; ngày 29/11/2026, mã PA-2026-000123, 1.500.000 đồng, Ấp An Bình")
    out = public_results.redact(text, ["Nguyễn Văn An", None, ""])
    assert "Nguyễn Văn An" not in out and "nguyễn văn  an" not in out
    assert "0912" not in out and "912 345" not in out and "@" not in out
    for kept in ("29/11/2026", "PA-2026-000123", "1.500.000 đồng", "Ấp An Bình"):
        assert kept in out
    assert out.count(public_results.HIDDEN) == 5


def test_only_published_public_answers_are_found(seeded, ready_db) -> None:
    page = public_results.search(public_results.ResultQuery(), url=ready_db)
    assert [item.code for item in page.items] == [seeded["public"]]
    item = page.items[0]
    assert item.answer.startswith("UBND phường Phan Đình Phùng\nKính chào: Ông/Bà")
    assert "Kính chào: Ông/Bà" in item.answer and "Trân trọng." in item.answer  # Phụ lục II
    assert item.agency_name and item.field_name
    assert (item.unit_name, item.area_name) == ("Phường Phan Đình Phùng", "TP Thái Nguyên")
    _assert_nothing_private(repr(page), "search()")
    for key in ("confidential", "secret", "late", "open"):
        with pytest.raises(NotFound):
            public_results.find(seeded[key], url=ready_db)
    points = public_results.map_points(public_results.ResultQuery(), url=ready_db)
    assert [f["properties"]["c"] for f in points["features"]] == [seeded["public"]]
    assert points["total"] == 1
    _assert_nothing_private(repr(points), "map_points()")


def test_filters_text_and_pagination(ready_db) -> None:
    start = datetime.now(UTC) - timedelta(days=3)
    codes = [make_report(ready_db, steps=6, now=start + timedelta(minutes=10 * i),
                         description=f"Đèn đường số {i} bị hỏng, khu phố tối om") for i in range(12)]
    search = public_results.search
    first = search(public_results.ResultQuery(), url=ready_db)
    assert (first.total, first.pages, len(first.items)) == (12, 2, 10)
    assert first.items[0].code == codes[-1]  # newest answer first
    second = search(public_results.ResultQuery(page=2), url=ready_db)
    assert [i.code for i in second.items] == codes[1::-1]
    assert search(public_results.ResultQuery(field=FIELD), url=ready_db).total == 12
    assert search(public_results.ResultQuery(field="y_te"), url=ready_db).total == 0
    assert search(public_results.ResultQuery(area="tp_thai_nguyen"), url=ready_db).total == 12
    assert search(public_results.ResultQuery(area="vo_nhai"), url=ready_db).total == 0
    assert search(public_results.ResultQuery(unit="05443"), url=ready_db).total == 12
    assert search(public_results.ResultQuery(unit="05455"), url=ready_db).total == 0
    assert search(public_results.ResultQuery(text="số 7 bị"), url=ready_db).total == 1
    assert search(public_results.ResultQuery(text="50%_"), url=ready_db).total == 0
    assert search(public_results.ResultQuery(text="vật liệu"), url=ready_db).total == 12  # answer
    # what is blanked out on display cannot be searched for
    assert search(public_results.ResultQuery(text=PHONE), url=ready_db).total == 0
    with pytest.raises(Exception, match="tối đa"):
        search(public_results.ResultQuery(text="x" * 300), url=ready_db)


# --- every public page and payload -----------------------------------------------------------

def test_no_public_page_or_payload_carries_identity_or_private_reports(seeded, client) -> None:
    public = seeded["public"]
    paths = ["/portal", "/portal/track", "/portal/results", f"/portal/results/{public}",
             "/portal/results?q=r%C3%A1c", "/portal/results?place=tp_thai_nguyen",
             "/portal/results?place=05443",
             f"/portal/results?field={FIELD}", "/portal/results.geojson",
             "/portal/results.geojson?q=PUBLIC", "/portal/boundaries.geojson",
             f"/portal/results?q={public}"]
    for key in ("confidential", "secret", "late", "open"):
        paths.append(f"/portal/results/{seeded[key]}")
    for path in paths:
        response = client.get(path, headers={"Accept-Encoding": "gzip"})
        assert response.status_code in (200, 404), (path, response.status_code)
        _assert_nothing_private(_text(response), path)
    # searching for what is private finds nothing (the query itself is echoed in the search box)
    searches = [seeded[k] for k in ("confidential", "secret", "late", "open")]
    searches += ["CONF-ZQX", "SECRET-QWV", "LATE-JKP", "OPEN-MNB", NAME, EMAIL, SECRET_PHONE]
    for query in searches:
        page = _text(client.get("/portal/results", query_string={"q": query}))
        assert "Chưa có kết quả nào phù hợp" in page, query
        points = client.get("/portal/results.geojson", query_string={"q": query}).get_json()
        assert points["features"] == [] and points["total"] == 0, query
    detail = _text(client.get(f"/portal/results/{public}"))
    assert "PUBLIC-RTA" in detail and "[đã ẩn]" in detail and "Kính chào: Ông/Bà" in detail
    assert "Kết quả xử lý của UBND phường Phan Đình Phùng" in detail
    for key in ("confidential", "secret", "late", "open"):
        assert client.get(f"/portal/results/{seeded[key]}").status_code == 404


def test_public_photos_are_the_cleaned_derivative_only(client, ready_db) -> None:
    fields = {"description": PUBLIC, "lat": str(LAT), "lon": str(LON), "name": NAME,
              "phone": SECRET_PHONE, "email": EMAIL, "consent": "true"}
    exif = b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00"
    response = client.post(
        "/api/v1/reports", content_type="multipart/form-data",
        data={**fields, "photos": (io.BytesIO(jpeg_bytes(exif=exif)), f"{NAME}.jpg")},
        headers={"Idempotency-Key": new_key()})
    assert response.status_code == 201
    code = response.get_json()["code"]
    with session_factory(ready_db)() as session:
        photo = session.scalar(select(Attachment))
    page = _text(client.get("/portal/results"))
    assert f"/api/v1/media/{photo.id}/public" not in page  # not yet answered: nothing public
    for action, who, params in TO_PUBLISHED:
        perform_action(code, action, ACTORS[who], params, url=ready_db)
    detail = _text(client.get(f"/portal/results/{code}"))
    assert f'src="/api/v1/media/{photo.id}/public"' in detail
    assert f"/api/v1/media/{photo.id}\"" not in detail  # never the original
    image = client.get(f"/api/v1/media/{photo.id}/public")
    assert image.status_code == 200 and image.mimetype == "image/jpeg"
    assert b"Exif" not in image.data
    assert client.get(f"/api/v1/media/{photo.id}").status_code == 404  # original: staff only
    _assert_nothing_private(detail, "detail with photo")


def test_results_page_lists_filters_and_pages(ready_db, client) -> None:
    start = datetime.now(UTC) - timedelta(days=3)
    for i in range(12):
        make_report(ready_db, steps=6, now=start + timedelta(minutes=i),
                    description=f"Vỉa hè số {i} bị lấn chiếm bởi vật liệu xây dựng")
    first = _text(client.get("/portal/results"))
    assert "Tìm thấy <strong>12</strong> kết quả" in first and "trang 1/2" in first
    assert first.count('class="card result"') == 10
    assert 'rel="next" href="/portal/results?page=2"' in first
    second = _text(client.get("/portal/results?page=2"))
    assert second.count('class="card result"') == 2
    beyond = _text(client.get("/portal/results?page=99"))
    assert beyond.count('class="card result"') == 2  # past the end: the last page
    assert "Chưa có kết quả" in _text(client.get("/portal/results?place=vo_nhai"))
    assert "Chưa có kết quả" in _text(client.get("/portal/results?place=05455"))
    filtered = _text(client.get("/portal/results?q=s%E1%BB%91+3+b%E1%BB%8B&place=tp_thai_nguyen"))
    assert "Tìm thấy <strong>1</strong> kết quả" in filtered
    assert ('data-points="/portal/results.geojson?place=tp_thai_nguyen&amp;'
            'q=s%E1%BB%91+3+b%E1%BB%8B"') in filtered
    # the one place picker: areas as groups, each with its units (drill down without JS)
    assert '<optgroup label="Ba Bể">' in first and "Cả khu vực Ba Bể" in first
    assert '<option value="05443">Phường Phan Đình Phùng</option>' in first
    unit_page = _text(client.get("/portal/results?place=05443"))
    assert '<option value="05443" selected>' in unit_page
    assert "Tìm thấy <strong>12</strong> kết quả" in unit_page
    bad = client.get("/portal/results?q=" + "x" * 300)
    assert bad.status_code == 422 and "tối đa 200 ký tự" in _text(bad)
    # dates dd/mm/yyyy in Vietnam's time
    assert re.search(r"Trả lời \d\d/\d\d/\d{4}", first)


def test_geojson_is_gzipped_cacheable_and_revalidated(seeded, client) -> None:
    response = client.get("/portal/results.geojson", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200 and response.headers["Content-Encoding"] == "gzip"
    assert response.mimetype == "application/geo+json"
    assert response.headers["Cache-Control"] == "public, max-age=60"
    etag = response.headers["ETag"]
    again = client.get("/portal/results.geojson", headers={"If-None-Match": etag})
    assert again.status_code == 304 and not again.data
    other = client.get("/portal/results.geojson?place=vo_nhai", headers={"If-None-Match": etag})
    assert other.status_code == 200 and other.get_json()["features"] == []
    boundaries = client.get("/portal/boundaries.geojson")
    data = boundaries.get_json()
    assert len(data["areas"]["features"]) == 17 and len(data["province"]["features"]) == 1
    assert {f["properties"]["name"] for f in data["areas"]["features"]} >= {
        "TP Thái Nguyên", "TP Bắc Kạn", "Ba Bể", "Na Rì"}
    assert boundaries.headers["Cache-Control"] == "public, max-age=86400"


# --- Gửi phản ánh ----------------------------------------------------------------------------

def _form(**overrides):
    data = {"description": "Ổ gà lớn giữa đường Lương Ngọc Quyến, xe máy dễ ngã",
            "incident_date": "", "incident_clock": "", "lat": str(LAT), "lon": str(LON),
            "address": "Đường Lương Ngọc Quyến", "name": "Phạm Văn Cường", "phone": PHONE,
            "email": "", "consent": "on", "idempotency_key": new_key()}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _error(page: str, slot: str) -> str | None:
    found = re.search(rf'<p class="err[^"]*" id="err-{slot}"( role="alert")?( hidden)?>([^<]*)</p>',
                      page)
    assert found, slot
    return None if found.group(2) else found.group(3)


def test_form_explains_d5_and_consent_is_an_unticked_box(client) -> None:
    page = _text(client.get("/portal"))
    for clause in ("Điều 5 khoản 1", "Điều 5 khoản 2", "Điều 5 khoản 3", "Điều 5 khoản 4"):
        assert clause in page
    assert "Luật Bảo vệ dữ liệu cá nhân số 91/2025/QH15" in page  # from data/templates/consent.txt
    consent = re.search(r"<input id=\"consent\"[^>]*>", page).group(0)
    assert "checked" not in consent and 'type="checkbox"' in consent
    assert re.search(r'name="idempotency_key" value="[0-9a-f-]{36}"', page)
    assert re.search(r'id="incident_date"[^>]*value="\d\d/\d\d/\d{4}"', page, re.S)
    assert "<script>" not in page and "style=" not in page  # CSP: no inline script or style


def test_form_errors_are_shown_next_to_each_field(client) -> None:
    response = client.post("/portal", data=_form(description="ngắn", lat="", name="",
                                                  phone="12345", email="khong-hop-le",
                                                  consent=None, incident_date="31/02/2026"))
    assert response.status_code == 422
    page = _text(response)
    assert _error(page, "description") == "Nội dung quá ngắn (cần ít nhất 10 ký tự)."
    assert _error(page, "place") == "Vui lòng chọn vị trí trên bản đồ."
    assert _error(page, "name").startswith("Vui lòng nhập họ và tên")
    assert _error(page, "phone") == "Số điện thoại không đúng định dạng số điện thoại Việt Nam."
    assert _error(page, "email") == "Địa chỉ thư điện tử không hợp lệ."
    assert "91/2025/QH15" in _error(page, "consent")
    assert "ngày/tháng/năm" in _error(page, "incident_time")
    assert _error(page, "address") is None
    assert 'id="name" name="name" maxlength="200" autocomplete="name" value=""' in page
    assert 'aria-invalid="true"' in page
    assert "ngắn</textarea>" in page  # what was typed stays


def test_outside_the_province_is_an_error_at_the_place(client, ready_db) -> None:
    page = _text(client.post("/portal", data=_form(lat="10.77", lon="106.70")))
    assert "ngoài" in (_error(page, "place") or "")
    assert count_reports(ready_db) == 0


def test_submit_without_javascript_shows_the_code_once(client, ready_db) -> None:
    form = _form(incident_date="29/11/2026", incident_clock="08:15", confidential="on")
    form["incident_date"] = (datetime.now(UTC) - timedelta(days=1)).strftime("%d/%m/%Y")
    photo = (io.BytesIO(jpeg_bytes()), "o-ga.jpg")
    response = client.post("/portal", data={**form, "photos": photo},
                           content_type="multipart/form-data")
    assert response.status_code == 201
    page = _text(response)
    code = re.search(r'id="sent-code">(PA-\d{4}-\d{6})<', page).group(1)
    assert f'href="/portal/track?code={code}"' in page
    # the same form sent again (double tap, reload): the same key, the same report
    again = client.post("/portal", data={**form, "photos": (io.BytesIO(jpeg_bytes()), "o-ga.jpg")},
                        content_type="multipart/form-data")
    assert again.status_code == 201 and code in _text(again)
    assert count_reports(ready_db) == 1
    with session_factory(ready_db)() as session:
        report = session.scalar(select(Report))
        assert report.channel == "portal" and report.confidential is True
        assert report.incident_at.astimezone(LOCAL_TZ).strftime("%H:%M") == "08:15"
        assert session.scalar(select(Attachment)).report_id == report.id


def test_submission_rate_limit_answers_in_vietnamese(ready_db, media_root) -> None:
    client = create_server({"IOC_SUBMIT_RATE": "2 per minute"}).test_client()
    for _ in range(2):
        assert client.post("/portal", data=_form(name="")).status_code == 422
    limited = client.post("/portal", data=_form())
    assert limited.status_code == 429
    assert "Bạn thao tác quá nhanh" in _text(limited) and limited.headers["Retry-After"]


# --- Tra cứu ---------------------------------------------------------------------------------

def test_tracking_needs_the_right_phone(client, ready_db) -> None:
    code = make_report(ready_db)
    empty = client.post("/portal/track", data={"code": "", "phone": ""})
    assert empty.status_code == 422
    assert _error(_text(empty), "code").startswith("Vui lòng nhập mã")
    wrong = client.post("/portal/track", data={"code": code, "phone": "0911111111"})
    assert wrong.status_code == 404
    assert _error(_text(wrong), "code") == "Không tìm thấy phản ánh với mã và số điện thoại này."
    right = client.post("/portal/track", data={"code": code.lower(), "phone": "+84 912 345 678"})
    page = _text(right)
    assert right.status_code == 200 and "Đã nhận, đang kiểm tra" in page
    assert right.headers["Cache-Control"] == "no-store"
    assert re.search(r"\d\d/\d\d/\d{4} \d\d:\d\d</time><span class=\"what\">Đã gửi phản ánh", page)
    prefilled = _text(client.get(f"/portal/track?code={code}"))
    assert f'value="{code}"' in prefilled


def test_supplement_then_answer_then_rating(client, ready_db) -> None:
    code = make_report(ready_db)
    perform_action(code, "request_supplement", ACTORS["ioc_lan"],
                   {"missing": "Vui lòng cho biết số nhà gần nhất."}, url=ready_db)
    page = _text(client.post("/portal/track", data={"code": code, "phone": PHONE}))
    assert "Cần bạn bổ sung thông tin" in page and "Vui lòng cho biết số nhà gần nhất." in page
    step = {"code": code, "phone": PHONE, "action": "supplement"}
    empty = client.post("/portal/track/step", data={**step, "text": " "})
    assert empty.status_code == 422 and _error(_text(empty), "text")
    done = _text(client.post("/portal/track/step", data={**step, "text": "Trước số nhà 25."}))
    assert "Đã gửi thông tin bổ sung" in done and "Đã nhận, đang kiểm tra" in done
    for action, who, params in TO_PUBLISHED:
        perform_action(code, action, ACTORS[who], params, url=ready_db)
    page = _text(client.post("/portal/track", data={"code": code, "phone": PHONE}))
    assert "Đã có kết quả xử lý" in page and "Kính chào: Ông/Bà" in page
    for label in ("Hài lòng", "Chấp nhận được", "Không hài lòng"):
        assert label in page
    feedback = {"code": code, "phone": PHONE, "action": "feedback"}
    refused = client.post("/portal/track/step", data={**feedback, "rating": "tuyet_voi"})
    assert refused.status_code == 422 and "Hài lòng" in _error(_text(refused), "rating")
    rated = _text(client.post("/portal/track/step",
                              data={**feedback, "rating": "hai_long", "reply": "Cảm ơn."}))
    assert "Cảm ơn bạn đã phản hồi" in rated and "Bạn đã đánh giá</dt><dd>Hài lòng" in rated
    with session_factory(ready_db)() as session:
        assert session.scalar(select(Feedback.rating)) == "hai_long"


def test_confidential_answer_is_for_the_reporter_only(client, ready_db) -> None:
    code = make_report(ready_db, steps=6, confidential=True)
    page = _text(client.post("/portal/track", data={"code": code, "phone": PHONE}))
    assert "gửi riêng cho bạn" in page and "Kính chào" in page  # the reporter sees it
    assert client.get(f"/portal/results/{code}").status_code == 404  # nobody else


# --- headers and assets ----------------------------------------------------------------------

def test_security_headers_and_caching(client) -> None:
    page = client.get("/portal")
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Cache-Control"] == "no-store"
    assert client.get("/portal/results").headers["Cache-Control"] == "public, max-age=60"
    assert client.get("/portal/nope").status_code == 404


def test_assets_are_versioned_gzipped_and_confined(client) -> None:
    page = _text(client.get("/portal"))
    url = re.search(r'src="(/portal/assets/vendor/leaflet/leaflet\.js\?v=[0-9a-f]{12})"',
                    page).group(1)
    response = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200 and response.headers["Content-Encoding"] == "gzip"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert b"Leaflet" in gzip.decompress(response.data)
    assert client.get("/portal/assets/vendor/leaflet/LICENSE").status_code == 200
    assert client.get("/portal/assets/vendor/leaflet/images/marker-icon.png").mimetype == "image/png"
    for path in ("/portal/assets/../portal/__init__.py", "/portal/assets/portal/../../server.py",
                 "/portal/assets/%2e%2e/server.py", "/portal/assets/templates/portal/base.html"):
        assert client.get(path).status_code == 404, path


def test_place_lookup_names_the_unit(client) -> None:
    inside = client.get(f"/portal/place?lat={LAT}&lon={LON}").get_json()
    assert inside["inside"] is True and inside["label"].endswith("tỉnh Thái Nguyên")
    outside = client.get("/portal/place?lat=10.77&lon=106.7").get_json()
    assert outside["inside"] is False and "ngoài" in outside["message"]
    assert client.get("/portal/place?lat=abc&lon=1").status_code == 422


def test_tile_server_is_optional_and_allowed_by_the_csp(client, monkeypatch) -> None:
    page = _text(client.get("/portal"))
    assert 'data-tiles=""' in page  # default: no tiles, the boundaries are drawn instead
    monkeypatch.setenv("IOC_TILE_URL", "http://127.0.0.1:8999/tiles/{z}/{x}/{y}.png")
    monkeypatch.setenv("IOC_TILE_ATTRIBUTION", "Bản đồ nền của tỉnh")
    response = client.get("/portal/results")
    assert 'data-tiles="http://127.0.0.1:8999/tiles/{z}/{x}/{y}.png"' in _text(response)
    assert 'data-attribution="Bản đồ nền của tỉnh"' in _text(response)
    assert "img-src 'self' data: blob: http://127.0.0.1:8999;" in \
        response.headers["Content-Security-Policy"]


def test_portal_forms_work_in_a_browser_where_staff_are_signed_in(sign_in, ready_db) -> None:
    """The portal never reads the staff session, so the CSRF guard (which protects the staff
    session) does not stand between a citizen's form and the service on a shared computer."""
    staff = sign_in("ioc_lan")
    answer = staff.client.post("/portal", data=_form())  # no X-CSRF-Token: a plain HTML form
    assert answer.status_code == 201 and "PA-" in _text(answer)
    tracked = staff.client.post("/portal/track", data={"code": "PA-2026-999999", "phone": PHONE})
    assert tracked.status_code != 403


def test_a_mistyped_portal_address_gets_the_portals_own_404(client) -> None:
    """Not the staff sign-in page (the dashboard answers every other unknown path)."""
    for path in ("/portal/abc", "/portal/tra-cuu/xyz", "/portal/results/1/2"):
        answer = client.get(path)
        assert answer.status_code == 404, path
        page = _text(answer)
        assert "Không tìm thấy" in page and "Đăng nhập" not in page
    assert client.get("/portal").status_code == 200  # the real pages are untouched
    assert client.get("/portal/track").status_code == 200

"""The citizens' portal (D2.2a, D4-D5, D10-D11): send a report, follow it, read public answers.

Plain server-rendered pages, Vietnamese, for a 360 px phone first. Every form works without
JavaScript; `static/portal/portal.js` improves the report form (map picker, phone location,
sending through `POST /api/v1/reports` without a page reload, files kept on an error). Both paths
call the same service (`submissions.submit_citizen_report`), under the same rate limit, with an
Idempotency-Key made per attempt and reused when the same attempt is sent again.

Nothing personal is ever written into a public page or payload: tracking pages (the reporter's
own, found by code and phone) are `no-store`; public results come from `public_results`, which
never returns a name, phone or e-mail. Pages carry a strict Content-Security-Policy (scripts only
from this server, no inline script), and Jinja autoescaping is never bypassed.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import mimetypes
import os
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, render_template, request, url_for
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.security import safe_join

from backend.config import LOCAL_TZ, data_dir
from backend.domain.workflow import RATINGS, State, WorkflowError
from backend.services import public_results, submissions, tracking
from backend.services.errors import NotFound, ValidationError
from backend.services.media import LIMITS, MediaError
from backend.services.places import locate
from backend.services.validation import (
    CONSENT_VERSION,
    MAX_ADDRESS,
    MAX_DESCRIPTION,
    MAX_NAME,
    MIN_DESCRIPTION,
    clean_text,
    normalise_email,
    normalise_phone,
    parse_coordinate,
    parse_instant,
)
from backend.web.extensions import client_address, limiter

log = logging.getLogger("ioc.portal")
bp = Blueprint("portal", __name__, url_prefix="/portal", template_folder="templates")

STATIC_DIR = Path(__file__).resolve().parent / "static"
ASSET_ROOTS = ("portal/", "vendor/leaflet/")
COMPRESSIBLE = (".js", ".css", ".json", ".svg", ".txt")
FORM_FIELDS = ("description", "incident_date", "incident_clock", "lat", "lon", "address", "name",
               "phone", "email")
# dd/mm/yyyy (also with . or -, or 8 digits: a phone's number pad has no "/") and HH:MM (or 4 digits)
_DATE = re.compile(r"^(?:(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})|(\d{2})(\d{2})(\d{4}))$")
_CLOCK = re.compile(r"^(?:(\d{1,2})[:hg.](\d{2})|(\d{2})(\d{2}))$", re.IGNORECASE)

# D5, one line each, as the form explains them
REQUIREMENTS = (
    ("Điều 5 khoản 1", "Viết phản ánh bằng tiếng Việt."),
    ("Điều 5 khoản 2", "Nội dung, ảnh hoặc video, thời gian và địa điểm phải rõ ràng, chính xác."),
    ("Điều 5 khoản 3", "Ghi đủ họ tên, số điện thoại và thư điện tử (nếu có) của người phản ánh."),
    ("Điều 5 khoản 4", "Bạn được giữ bí mật thông tin khi có yêu cầu, và chịu trách nhiệm về "
                       "tính trung thực của phản ánh."),
)

# which form block shows an error the API names by `field`
ERROR_SLOTS = {"lat": "place", "lon": "place", "media": "photos", "body": "form",
               "channel": "form", "Idempotency-Key": "form", "confidential": "confidential"}


@dataclass(frozen=True)
class CitizenState:
    """A state as a citizen reads it: a title, what it means, and the progress step (1-4)."""

    title: str
    meaning: str
    step: int
    tone: str = "info"  # info / action / done / stop


def citizen_state(state: str, agency: str | None) -> CitizenState:
    """The report's state in plain words (no internal jargon)."""
    who = agency or "Cơ quan có thẩm quyền"
    words = {
        State.SUBMITTED: CitizenState(
            "Đã nhận, đang kiểm tra", "IOC Thái Nguyên đang kiểm tra nội dung phản ánh "
            "(trong ½ ngày làm việc).", 1),
        State.NEEDS_SUPPLEMENT: CitizenState(
            "Cần bạn bổ sung thông tin", "Phản ánh chưa đủ rõ để xử lý. Vui lòng bổ sung theo "
            "đề nghị bên dưới.", 1, "action"),
        State.REJECTED: CitizenState(
            "Phản ánh không được xử lý", "Phản ánh không đáp ứng yêu cầu hoặc không thuộc phạm vi "
            "tiếp nhận; lý do ghi ở các bước bên dưới.", 1, "stop"),
        State.ACCEPTED: CitizenState(
            "Đã tiếp nhận", "IOC đã tiếp nhận và đang chuyển đến cơ quan có thẩm quyền "
            "(trong 1 ngày làm việc).", 2),
        State.ESCALATED: CitizenState(
            "Đang chờ UBND tỉnh chỉ đạo", "Phản ánh liên quan nhiều cơ quan; UBND tỉnh sẽ chỉ đạo "
            "cơ quan xử lý.", 2),
        State.RETURNED_TO_IOC: CitizenState(
            "Đang chuyển đúng cơ quan xử lý", "IOC đang chuyển phản ánh đến đúng cơ quan có "
            "thẩm quyền.", 2),
        State.FORWARDED: CitizenState(
            "Đã chuyển cơ quan xử lý", f"{who} đã nhận phản ánh để xử lý (tối đa 3 ngày làm việc).",
            3),
        State.IN_PROGRESS: CitizenState(
            "Đang xử lý", f"{who} đang kiểm tra, xử lý tại hiện trường.", 3),
        State.AWAITING_APPROVAL: CitizenState(
            "Đã có kết quả, đang chờ duyệt", f"{who} đã xử lý xong; lãnh đạo đơn vị đang duyệt "
            "kết quả.", 3),
        State.APPROVED: CitizenState(
            "Kết quả đã được duyệt", "IOC đang biên tập để gửi kết quả cho bạn "
            "(trong 4 giờ làm việc).", 3),
        State.PUBLISHED: CitizenState(
            "Đã có kết quả xử lý", "Kết quả đã được công khai. Bạn có thể phản hồi và đánh giá.",
            4, "done"),
        State.ANSWERED_PRIVATELY: CitizenState(
            "Đã có kết quả (gửi riêng cho bạn)", "Kết quả chỉ gửi riêng cho bạn, không công "
            "khai. Bạn có thể phản hồi và đánh giá.", 4, "done"),
        State.CLOSED: CitizenState("Đã kết thúc", "Phản ánh đã được xử lý xong.", 4, "done"),
    }
    return words[State(state)]


PROGRESS = ("Đã gửi", "Đã tiếp nhận", "Đang xử lý", "Có kết quả")


# --- formatting and assets -------------------------------------------------------------------

def _local(at: datetime | str | None, pattern: str) -> str:
    if at is None or at == "":
        return ""
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    return at.astimezone(LOCAL_TZ).strftime(pattern)


@bp.app_template_filter("vn_date")
def vn_date(at: datetime | str | None) -> str:
    """dd/mm/yyyy in Vietnam's time."""
    return _local(at, "%d/%m/%Y")


@bp.app_template_filter("vn_datetime")
def vn_datetime(at: datetime | str | None) -> str:
    """dd/mm/yyyy HH:MM in Vietnam's time."""
    return _local(at, "%d/%m/%Y %H:%M")


@lru_cache(maxsize=64)
def _asset(path: str, mtime: float) -> tuple[str, bytes, bytes | None]:
    """(version hash, bytes, gzipped bytes or None) of one static file, cached per mtime."""
    data = Path(path).read_bytes()
    packed = gzip.compress(data, 9, mtime=0) if path.endswith(COMPRESSIBLE) else None
    return hashlib.sha256(data).hexdigest()[:12], data, packed


def _asset_file(name: str) -> Path | None:
    if not name.startswith(ASSET_ROOTS):
        return None
    joined = safe_join(str(STATIC_DIR), name)
    return Path(joined) if joined and os.path.isfile(joined) else None


def asset_url(name: str) -> str:
    """URL of a static file with its content hash, so browsers may keep it for a year."""
    path = _asset_file(name)
    if path is None:
        raise FileNotFoundError(name)
    version, _, _ = _asset(str(path), path.stat().st_mtime)
    return url_for("portal.asset", name=name, v=version)


@bp.get("/assets/<path:name>")
def asset(name: str):
    """The portal's CSS/JS and the vendored Leaflet: gzipped when accepted, cached by hash."""
    path = _asset_file(name)
    if path is None:
        return _page_error(404)
    version, raw, packed = _asset(str(path), path.stat().st_mtime)
    response = Response(mimetype=mimetypes.guess_type(path.name)[0] or "application/octet-stream")
    if packed is not None and "gzip" in request.headers.get("Accept-Encoding", ""):
        response.set_data(packed)
        response.headers["Content-Encoding"] = "gzip"
    else:
        response.set_data(raw)
    response.headers["Vary"] = "Accept-Encoding"
    response.set_etag(version)
    forever = request.args.get("v") == version
    response.headers["Cache-Control"] = ("public, max-age=31536000, immutable" if forever
                                         else "public, max-age=300")
    return response.make_conditional(request)


def tile_settings() -> dict[str, str | None]:
    """`IOC_TILE_URL` (a {z}/{x}/{y} template; unset: no tiles, boundaries only) and its credit."""
    url = os.environ.get("IOC_TILE_URL", "").strip() or None
    return {"url": url, "attribution": os.environ.get("IOC_TILE_ATTRIBUTION", "").strip() or None}


def _tile_origin() -> str:
    url = tile_settings()["url"]
    if not url:
        return ""
    parts = urlsplit(url.replace("{s}", "a"))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    host = parts.netloc.replace("a.", "*.", 1) if "{s}" in url else parts.netloc
    return f" {parts.scheme}://{host}"


@bp.app_context_processor
def _portal_globals() -> dict[str, Any]:
    return {"asset_url": asset_url}


@bp.after_request
def _headers(response: Response) -> Response:
    """Strict CSP on every portal answer; personal pages are never stored by caches."""
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; "
        f"img-src 'self' data: blob:{_tile_origin()}; connect-src 'self'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Cache-Control", "no-store")
    return response


# --- errors ---------------------------------------------------------------------------------

_ERROR_TEXT = {
    404: ("Không tìm thấy", "Trang hoặc kết quả bạn tìm không có hoặc chưa được công khai."),
    405: ("Thao tác không hợp lệ", "Vui lòng quay lại trang trước."),
    413: ("Tệp quá lớn", "Dữ liệu gửi lên vượt quá dung lượng cho phép."),
    429: ("Bạn thao tác quá nhanh", "Vui lòng chờ khoảng một phút rồi thử lại."),
    503: ("Hệ thống tạm thời gián đoạn", "Vui lòng thử lại sau ít phút."),
}


def _wants_json() -> bool:
    return request.path.endswith((".geojson", ".json")) or request.path.endswith("/place")


def _page_error(status: int, message: str | None = None) -> tuple[Any, int, dict[str, str]]:
    title, text = _ERROR_TEXT.get(status, ("Đã có lỗi", "Vui lòng thử lại sau."))
    headers = {"Retry-After": "60"} if status == 429 else {}
    if _wants_json():
        return {"error": title, "message": message or text}, status, headers
    return render_template("portal/error.html", title=title, message=message or text,
                           status=status), status, headers


@bp.route("/<path:_rest>", methods=["GET", "POST"])
def unknown_page(_rest: str):
    """A mistyped portal address gets the portal's own page, not the staff sign-in."""
    return _page_error(404)


@bp.errorhandler(Exception)
def _portal_error(error: Exception):
    """Portal pages answer in HTML and Vietnamese, also for 404, 413 and 429."""
    if isinstance(error, HTTPException):
        return _page_error(error.code or 500)
    if isinstance(error, NotFound):
        return _page_error(404)
    from sqlalchemy.exc import DBAPIError, OperationalError

    if isinstance(error, OperationalError) or (isinstance(error, DBAPIError)
                                               and error.connection_invalidated):
        return _page_error(503)
    correlation = uuid.uuid4().hex[:12]
    log.exception("portal error %s on %s %s", correlation, request.method, request.path)
    return _page_error(500, f"Đã có lỗi hệ thống (mã tra cứu {correlation}). Vui lòng thử lại.")


# --- Gửi phản ánh ---------------------------------------------------------------------------

@lru_cache(maxsize=4)
def _consent_text(path: str) -> tuple[str, tuple[str, ...]]:
    """(title, paragraphs) of the consent text, a data file (data/templates/consent.txt)."""
    lines = Path(path).read_text(encoding="utf-8").strip().split("\n\n")
    return lines[0].strip(), tuple(" ".join(p.split()) for p in lines[1:])


def consent_text() -> tuple[str, tuple[str, ...]]:
    return _consent_text(str(data_dir() / "templates" / "consent.txt"))


def _form_context(values: dict[str, Any] | None = None, errors: dict[str, str] | None = None,
                  key: str | None = None) -> dict[str, Any]:
    title, paragraphs = consent_text()
    now = datetime.now(LOCAL_TZ)
    return {
        "values": {"incident_date": now.strftime("%d/%m/%Y"),
                   "incident_clock": now.strftime("%H:%M"), **(values or {})},
        "errors": errors or {}, "key": key or str(uuid.uuid4()),
        "requirements": REQUIREMENTS, "consent_title": title, "consent": paragraphs,
        "consent_version": CONSENT_VERSION,
        "min_description": MIN_DESCRIPTION, "max_description": MAX_DESCRIPTION,
        "max_photos": LIMITS.photos_per_report,
        "photo_mb": LIMITS.photo_max_bytes // (1024 * 1024),
        "video_mb": LIMITS.video_max_bytes // (1024 * 1024),
        "tiles": tile_settings(),
    }


@bp.route("", methods=["GET"], strict_slashes=False)
def report_form():
    """Gửi phản ánh: the form (D5), map picker, consent (Law 91/2025)."""
    return render_template("portal/submit.html", **_form_context())


def incident_iso(day: str | None, clock: str | None) -> str | None:
    """dd/mm/yyyy and HH:MM (Vietnam's time, as the form shows them) to the API's ISO 8601 form
    without offset (read as Vietnam's time); None when both are empty."""
    day, clock = (day or "").strip(), (clock or "").strip()
    if not day and not clock:
        return None
    date_match, clock_match = _DATE.match(day or "x"), _CLOCK.match(clock or "00:00")
    try:
        if not date_match or not clock_match:
            raise ValueError
        d, m, y = (int(g) for g in date_match.groups() if g is not None)
        hh, mm = (int(g) for g in clock_match.groups() if g is not None)
        return datetime(y, m, d, hh, mm).isoformat(timespec="minutes")
    except ValueError:
        raise ValidationError("incident_time", "Ngày giờ xảy ra phải theo dạng ngày/tháng/năm và "
                                               "giờ:phút, ví dụ 29/11/2026 và 08:15.") from None


def field_errors(data: dict[str, Any]) -> dict[str, str]:
    """Every field's problem at once (the service stops at the first), with the same checks and
    the same Vietnamese messages as `validation.parse_submission`, keyed by the form's slots."""
    now = datetime.now(LOCAL_TZ)
    checks = (
        ("description", lambda: clean_text(data.get("description"), "description",
                                           max_len=MAX_DESCRIPTION, min_len=MIN_DESCRIPTION,
                                           multiline=True)),
        ("place", lambda: parse_coordinate(data.get("lat"), "lat", -90, 90)),
        ("place", lambda: parse_coordinate(data.get("lon"), "lon", -180, 180)),
        ("address", lambda: clean_text(data.get("address"), "address", max_len=MAX_ADDRESS,
                                       required=False)),
        ("incident_time", lambda: parse_instant(data.get("incident_time"), "incident_time", now)),
        ("name", lambda: clean_text(data.get("name"), "name", max_len=MAX_NAME)),
        ("phone", lambda: normalise_phone(data.get("phone"))),
        ("email", lambda: normalise_email(data.get("email"))),
    )
    errors: dict[str, str] = {}
    for slot, check in checks:
        try:
            check()
        except ValidationError as error:
            errors.setdefault(slot, error.message)
    if not data.get("consent"):
        errors["consent"] = ("Cần đồng ý cho phép xử lý dữ liệu cá nhân để gửi phản ánh "
                             "(Luật Bảo vệ dữ liệu cá nhân 91/2025/QH15).")
    return errors


def _submit_rate() -> str:
    return current_app.config.get("IOC_SUBMIT_RATE", "30 per minute")


@bp.route("", methods=["POST"], strict_slashes=False)
@limiter.limit(_submit_rate, key_func=client_address)
def report_send():
    """The same submission without JavaScript: a plain multipart form post."""
    try:
        form = request.form
        files = request.files
    except RequestEntityTooLarge:
        limit_mb = (request.max_content_length or 0) // (1024 * 1024)
        return render_template("portal/submit.html", **_form_context(errors={
            "photos": f"Tổng dung lượng tệp gửi kèm vượt quá {limit_mb} MB; hãy gửi ít ảnh "
                      "hơn hoặc video ngắn hơn."})), 413
    values = {name: form.get(name, "") for name in FORM_FIELDS}
    values["confidential"] = form.get("confidential") == "on"
    values["consent"] = form.get("consent") == "on"  # the citizen's own tick, kept on a re-show
    key = form.get("idempotency_key") or str(uuid.uuid4())
    data: dict[str, Any] = {name: values[name] for name in FORM_FIELDS
                            if not name.startswith("incident_")}
    data.update(confidential=values["confidential"], consent=values["consent"], channel="portal")
    errors: dict[str, str] = {}
    try:
        data["incident_time"] = incident_iso(values["incident_date"], values["incident_clock"])
    except ValidationError as error:
        errors["incident_time"] = error.message
    errors = {**field_errors(data), **errors}
    if errors:
        return render_template("portal/submit.html", **_form_context(values, errors, key)), 422
    uploads = [submissions.Upload(kind, item.read(), item.filename)
               for kind, name in (("photo", "photos"), ("video", "videos"))
               for item in files.getlist(name) if item.filename]
    try:
        status, receipt = submissions.submit_citizen_report(data, uploads, key,
                                                            default_channel="portal")
    except (WorkflowError, MediaError) as error:
        field = error.field or "form"
        slot = ERROR_SLOTS.get(field, field)
        if getattr(error, "code", "") == "idempotency_key_reused":
            key, message = None, ("Phản ánh này có thể đã được gửi trước đó; vui lòng kiểm tra "
                                  "tại trang Tra cứu hoặc bấm Gửi lại.")
        elif getattr(error, "code", "") == "idempotency_key_in_flight":
            message = "Phản ánh đang được gửi; vui lòng chờ giây lát rồi bấm Gửi lại."
        else:
            message = error.message
        status = getattr(error, "status", None) or 422
        return render_template("portal/submit.html", **_form_context(
            values, {slot: message}, key)), status if 400 <= status < 500 else 422
    return render_template("portal/sent.html", receipt=receipt), status


@bp.get("/place")
@limiter.limit("60 per minute", key_func=client_address)
def place():
    """Which unit a picked point falls in, to show and to suggest the address (no storage)."""
    try:
        lat = float(request.args.get("lat", ""))
        lon = float(request.args.get("lon", ""))
        found = locate(lon, lat)
    except (TypeError, ValueError):
        return {"inside": False, "message": "Tọa độ không hợp lệ."}, 422
    except ValidationError as error:
        return {"inside": False, "message": error.message}, 200
    unit = found.unit_2025_name or found.commune_name
    label = f"{unit}, tỉnh Thái Nguyên" if unit else "Tỉnh Thái Nguyên"
    response = {"inside": True, "unit": unit, "district": found.district_name, "label": label}
    return response, 200, {"Cache-Control": "public, max-age=3600"}


# --- Tra cứu --------------------------------------------------------------------------------

def _track_page(found: dict[str, Any] | None, *, code: str = "", phone: str = "",
                errors: dict[str, str] | None = None, notice: str | None = None,
                values: dict[str, str] | None = None, status: int = 200):
    state = citizen_state(found["state"], found.get("agency")) if found else None
    return render_template(
        "portal/track.html", found=found, state=state, progress=PROGRESS, code=code,
        phone=phone, errors=errors or {}, notice=notice, values=values or {},
        ratings=RATINGS), status


@bp.get("/track")
def track_form():
    """Tra cứu: the code and phone form (the code may come from the receipt's link)."""
    code = (request.args.get("code") or "").strip().upper()[:20]
    return _track_page(None, code=code)


@bp.post("/track")
@limiter.limit("60 per minute", key_func=client_address)
def track_lookup():
    """Find one's own report by code and phone (POST: the phone never goes into a URL)."""
    code = (request.form.get("code") or "").strip().upper()[:40]
    phone = (request.form.get("phone") or "").strip()[:40]
    errors = {}
    if not code:
        errors["code"] = "Vui lòng nhập mã phản ánh (ví dụ PA-2026-000123)."
    if not phone:
        errors["phone"] = "Vui lòng nhập số điện thoại đã dùng khi gửi phản ánh."
    if errors:
        return _track_page(None, code=code, phone=phone, errors=errors, status=422)
    try:
        found = tracking.track(code, phone)
    except NotFound as error:
        return _track_page(None, code=code, phone=phone, errors={"code": error.message},
                           status=404)
    return _track_page(found, code=found["code"], phone=phone)


@bp.post("/track/step")
@limiter.limit("20 per minute", key_func=client_address)
def track_step():
    """Supplement (D7.2b) or reply and rate (D11) by the reporter, proven by their phone."""
    code = (request.form.get("code") or "").strip().upper()[:40]
    phone = (request.form.get("phone") or "").strip()[:40]
    action = request.form.get("action")
    values = {name: request.form.get(name, "") for name in ("text", "rating", "reply")}
    body: dict[str, Any] = {"action": action, "phone": phone}
    if action == "supplement":
        body["text"] = values["text"]
    else:
        body["rating"] = values["rating"] or None
        body["reply"] = values["reply"]
    try:
        found = tracking.citizen_step(code, body)
    except NotFound as error:
        return _track_page(None, code=code, phone=phone, errors={"code": error.message},
                           status=404)
    except WorkflowError as error:
        try:
            current = tracking.track(code, phone)
        except NotFound:
            current = None
        slot = error.field if error.field in ("text", "rating", "reply") else "step"
        return _track_page(current, code=code, phone=phone, errors={slot: error.message},
                           values=values, status=409 if slot == "step" else 422)
    notice = ("Đã gửi thông tin bổ sung. IOC sẽ kiểm tra lại phản ánh." if action == "supplement"
              else "Cảm ơn bạn đã phản hồi, đánh giá kết quả xử lý.")
    return _track_page(found, code=found["code"], phone=phone, notice=notice)


# --- Kết quả công khai ----------------------------------------------------------------------

def _result_query(page: int = 1) -> public_results.ResultQuery:
    return public_results.ResultQuery(
        field=(request.args.get("field") or "").strip()[:40] or None,
        district=(request.args.get("district") or "").strip()[:16] or None,
        text=(request.args.get("q") or "").strip() or None, page=page)


def _page_number() -> int:
    try:
        return max(1, min(int(request.args.get("page", "1")), public_results.MAX_PAGE))
    except ValueError:
        return 1


def _public_cache(response: Response, seconds: int = 60) -> Response:
    response.headers["Cache-Control"] = f"public, max-age={seconds}"
    return response


@bp.get("/results")
def results():
    """Kết quả công khai: filters, a map and a page of published answers (D10.2)."""
    query = _result_query(_page_number())
    errors: dict[str, str] = {}
    try:
        found = public_results.search(query)
    except ValidationError as error:
        errors[error.field or "q"] = error.message
        query = public_results.ResultQuery(query.field, query.district, None, 1)
        found = public_results.search(query)
    if found.items == () and found.total and query.page > found.pages:  # past the last page
        query = public_results.ResultQuery(query.field, query.district, query.text, found.pages)
        found = public_results.search(query)
    filters = {k: v for k, v in (("field", query.field), ("district", query.district),
                                 ("q", query.text)) if v}
    page = render_template(
        "portal/results.html", found=found, query=query, filters=filters, errors=errors,
        choices=public_results.choices(), tiles=tile_settings(),
        map_url=url_for("portal.results_geojson", **filters), map_limit=public_results.MAP_LIMIT,
        text_limit=public_results.TEXT_CANDIDATES)
    return _public_cache(Response(page, status=422 if errors else 200))


@bp.get("/results/<code>")
def result_detail(code: str):
    """One published answer: the report's content, the cleaned photos, the answer."""
    try:
        item = public_results.find(code)
    except NotFound:
        return _page_error(404)
    page = render_template("portal/result.html", item=item)
    return _public_cache(Response(page))


def _gzipped_json(payload: Any, etag: str, seconds: int) -> Response:
    response = Response(mimetype="application/geo+json")
    response.set_etag(etag)
    response.headers["Cache-Control"] = f"public, max-age={seconds}"
    response.headers["Vary"] = "Accept-Encoding"
    if request.if_none_match and etag in request.if_none_match:
        response.status_code = 304
        return response
    data = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    if "gzip" in request.headers.get("Accept-Encoding", ""):
        data = gzip.compress(data, 6, mtime=0)
        response.headers["Content-Encoding"] = "gzip"
    response.set_data(data)
    return response


@bp.get("/results.geojson")
@limiter.limit("60 per minute", key_func=client_address)
def results_geojson():
    """The public map's points (newest first, at most MAP_LIMIT), gzipped, ETag by data version."""
    query = _result_query()
    filters = json.dumps([query.field, query.district, query.text], ensure_ascii=False)
    etag = hashlib.sha256(f"{public_results.data_version()}|{filters}".encode()).hexdigest()[:24]
    try:
        if request.if_none_match and etag in request.if_none_match:
            return _gzipped_json(None, etag, 60)
        return _gzipped_json(public_results.map_points(query), etag, 60)
    except ValidationError as error:
        return {"error": "invalid", "message": error.message, "field": error.field}, 422


@bp.get("/boundaries.geojson")
def boundaries_geojson():
    """Province and district outlines from the configured geo folder (drawn instead of tiles)."""
    payload = public_results.boundaries()
    etag = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:24]
    return _gzipped_json(payload, etag, 86400)

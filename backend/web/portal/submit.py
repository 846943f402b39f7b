"""Gửi phản ánh: the report form (D5, consent), its checks, the no-JavaScript post, place lookup."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import current_app, render_template, request
from werkzeug.exceptions import RequestEntityTooLarge

from backend.config import LOCAL_TZ, data_dir
from backend.domain.workflow import WorkflowError
from backend.services.errors import ValidationError
from backend.services.intake import submissions
from backend.services.intake.media import LIMITS, MediaError
from backend.services.intake.validation import (
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
from backend.services.places.catalogue import place_index
from backend.services.places.lookup import locate
from backend.web.extensions import client_address, limiter
from backend.web.portal.assets import tile_settings
from backend.web.portal.blueprint import bp

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
    label = f"{found.unit_name}, tỉnh Thái Nguyên"
    response = {"inside": True, "unit": found.unit_name, "unit_code": found.unit_code,
                "area": place_index().area_name(place_index().area_of(found.unit_code)),
                "label": label}
    return response, 200, {"Cache-Control": "public, max-age=3600"}

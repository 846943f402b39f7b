"""Citizen input, checked field by field with Vietnamese messages (D5, TESTPLAN rows 1-4, 28).

Every refusal names the field; text is NFC-normalised with invisible characters removed, so
what is stored is what an official will read.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from backend import vietnamese as vn
from backend.config import TIMEZONE
from backend.domain.workflow import param_label_title, please_enter
from backend.services.errors import ValidationError

MAX_DESCRIPTION = 4000
MIN_DESCRIPTION = 10
MAX_NAME = 200
MAX_ADDRESS = 500
CLIENT_CHANNELS = ("app", "portal", "api")  # the channels a client of the native API may state
CONSENT_VERSION = "2026-01"
_MOBILE = re.compile(r"^0(3[2-9]|5[2689]|7[06-9]|8[1-9]|9\d)\d{7}$", re.ASCII)  # not '٨'
_LANDLINE = re.compile(r"^02\d{9}$", re.ASCII)
_EMAIL = re.compile(r"^[^@\s<>\"'\x00-\x1f\x7f]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")


def clean_text(value: Any, field: str, *, max_len: int, min_len: int = 0,
               required: bool = True, multiline: bool = False) -> str | None:
    """NFC, no invisible or control characters, trimmed, within length."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValidationError(field, _REQUIRED.get(field, f"{please_enter(field)}."),
                                  code="required")
        return None
    if not isinstance(value, str):
        raise ValidationError(field, f"{param_label_title(field)} phải là văn bản.")
    text = vn.without_hidden(vn.nfc(value))
    if not multiline:
        text = " ".join(text.split())
    else:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if vn.has_control(text):
        raise ValidationError(field, f"{param_label_title(field)} chứa ký tự điều khiển không "
                                     "hợp lệ.")
    text = text.strip()
    if len(text) > max_len:
        raise ValidationError(field, f"{param_label_title(field)} dài quá {max_len} ký tự.",
                              code="too_long")
    if len(text) < min_len:
        raise ValidationError(field, f"Nội dung quá ngắn (cần ít nhất {min_len} ký tự).",
                              code="too_short")
    return text


_REQUIRED = {
    "description": "Vui lòng nhập nội dung phản ánh.",
    "name": "Vui lòng nhập họ và tên người phản ánh (Điều 5 khoản 3).",
    "phone": "Vui lòng nhập số điện thoại (Điều 5 khoản 3).",
    "lat": "Vui lòng chọn vị trí trên bản đồ.",
    "lon": "Vui lòng chọn vị trí trên bản đồ.",
}


def normalise_phone(value: Any) -> str:
    """A Vietnamese mobile or landline number in national form (0xxxxxxxxx)."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError("phone", _REQUIRED["phone"], code="required")
    digits = re.sub(r"[\s.\-()]", "", value.strip())
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    if not (_MOBILE.match(digits) or _LANDLINE.match(digits)):
        raise ValidationError("phone", "Số điện thoại không đúng định dạng số điện thoại Việt Nam.")
    return digits


def normalise_email(value: Any) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str) or len(value) > 254 or not _EMAIL.match(value.strip()):
        raise ValidationError("email", "Địa chỉ thư điện tử không hợp lệ.")
    return value.strip()


def parse_bool(value: Any, field: str, default: bool | None = None) -> bool:
    """JSON booleans, and the strings a form sends ("true", "1", "on")."""
    if value is None or value == "":
        if default is None:
            raise ValidationError(field, f"{please_enter(field)}.", code="required")
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "1", "on", "yes"):
        return True
    if isinstance(value, str) and value.lower() in ("false", "0", "off", "no"):
        return False
    raise ValidationError(field, f"{param_label_title(field)} chỉ nhận giá trị true hoặc false.")


def parse_coordinate(value: Any, field: str, low: float, high: float) -> float:
    if value is None or value == "":
        raise ValidationError(field, _REQUIRED[field], code="required")
    if isinstance(value, bool):
        raise ValidationError(field, f"{param_label_title(field)} phải là số.")
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: an int like 10**400
        raise ValidationError(field, f"{param_label_title(field)} phải là số.") from None
    if not math.isfinite(number) or not low <= number <= high:
        raise ValidationError(field, f"{param_label_title(field)} nằm ngoài khoảng hợp lệ.")
    return number


def parse_instant(value: Any, field: str, now: datetime) -> datetime | None:
    """ISO 8601; without an offset it is Vietnam's time. Not in the future, not over a year old."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValidationError(field, "Thời gian phải theo định dạng ISO 8601.")
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError(field, "Thời gian phải theo định dạng ISO 8601, "
                                     "ví dụ 2026-11-30T08:15:00+07:00.") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(TIMEZONE))
    try:
        parsed = parsed.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00+07:00 is before the first UTC instant
        raise ValidationError(field, "Thời gian nằm ngoài khoảng cho phép.") from None
    if parsed > now + timedelta(minutes=10):
        raise ValidationError(field, "Thời gian xảy ra sự việc không thể ở tương lai.")
    if parsed < now - timedelta(days=366):
        raise ValidationError(field, "Thời gian xảy ra sự việc đã quá một năm.")
    return parsed


@dataclass(frozen=True)
class Submission:
    """A citizen's report after validation, ready for the services."""

    description: str
    lat: float
    lon: float
    address: str | None
    incident_at: datetime | None
    name: str
    phone: str
    email: str | None
    confidential: bool
    emergency: bool
    channel: str

    def canonical(self) -> dict[str, Any]:
        """The fields that define "the same request" for idempotency."""
        return {
            "description": self.description, "lat": self.lat, "lon": self.lon,
            "address": self.address,
            "incident_at": self.incident_at.isoformat() if self.incident_at else None,
            "name": self.name, "phone": self.phone, "email": self.email,
            "confidential": self.confidential, "emergency": self.emergency,
            "channel": self.channel,
        }


def parse_submission(data: Mapping[str, Any], now: datetime, default_channel: str = "api") -> Submission:
    """Check every field of D5 and the consent of Law 91/2025; the first problem is raised."""
    if not isinstance(data, Mapping):
        raise ValidationError("body", "Dữ liệu gửi lên phải là một đối tượng JSON.")
    description = clean_text(data.get("description"), "description", max_len=MAX_DESCRIPTION,
                             min_len=MIN_DESCRIPTION, multiline=True)
    lat = parse_coordinate(data.get("lat"), "lat", -90, 90)
    lon = parse_coordinate(data.get("lon"), "lon", -180, 180)
    address = clean_text(data.get("address"), "address", max_len=MAX_ADDRESS, required=False)
    incident_at = parse_instant(data.get("incident_time"), "incident_time", now)
    name = clean_text(data.get("name"), "name", max_len=MAX_NAME)
    phone = normalise_phone(data.get("phone"))
    email = normalise_email(data.get("email"))
    confidential = parse_bool(data.get("confidential"), "confidential", default=False)
    emergency = parse_bool(data.get("emergency"), "emergency", default=False)
    if parse_bool(data.get("consent"), "consent", default=False) is not True:
        raise ValidationError("consent", "Cần đồng ý cho phép xử lý dữ liệu cá nhân để gửi phản "
                                         "ánh (Luật Bảo vệ dữ liệu cá nhân 91/2025/QH15).",
                              code="consent_required")
    channel = data.get("channel") or default_channel
    if channel not in CLIENT_CHANNELS:
        raise ValidationError("channel", f"Kênh gửi phải là một trong: {', '.join(CLIENT_CHANNELS)}.")
    return Submission(description, lat, lon, address, incident_at, name, phone, email,
                      confidential, emergency, channel)

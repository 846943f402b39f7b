"""Open311 GeoReport v2 behind /open311/v2: the queries, the checks and the serialisation.

Fields (lĩnh vực) are the services. Reports are the service requests, shown by tracking code,
never with the reporter's name, phone or e-mail, and never at all when they hold state secrets
(D10.4). The blueprint (`backend.api.open311`) only picks the format and the HTTP status.

Decisions (../shared/spec/OPEN311.md):
- status: `closed` = published, answered_privately, rejected, closed; `open` = every other state.
- status_notes: the published answer (Phụ lục II) for published reports, the stated reason for
  rejected ones (D7.2a), a neutral notice when the answer went to the reporter alone (D10.3),
  and the Vietnamese state label while the report is open.
- expected_datetime: the stored `*_due` of the stage the report is in (submitted → verify;
  accepted, returned to IOC, escalated → forward; forwarded, in progress → process; awaiting
  approval → approve; approved → publish); null while waiting for the reporter's supplement
  and once closed.
- POST needs coordinates (`lat` + `long`) to place the report in a commune; `address_string`
  or `address_id` alone is refused with 400, and `address_string` is kept as the address text.
- `media_url` is appended to the description as a line of text; GET returns `media_url` null.
- The submitting software is responsible for the reporter's consent: consent_version "open311".
"""

from __future__ import annotations

import json
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select

from backend import vietnamese as vn
from backend.config import LOCAL_TZ as LOCAL
from backend.domain.stages import current_stage
from backend.domain.workflow import OPEN_STATES, STATE_LABELS_VI, State
from backend.services.access.apikeys import check_api_key
from backend.services.errors import ValidationError
from backend.services.intake.submit import NewReport, submit_report
from backend.services.intake.validation import MAX_DESCRIPTION
from backend.services.places.catalogue import place_condition
from backend.storage.db import session_factory
from backend.storage.models import Agency, Event, Field, Report

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-11-30T00:00:00+07:00"  # last change of what this endpoint serves
FORMATS = ("text/xml", "application/json")
MAX_SPAN = timedelta(days=90)
MAX_RESULTS = 1000
CONSENT_VERSION = "open311"
IOC_NAME = "Trung tâm Điều hành thông minh tỉnh Thái Nguyên (IOC)"
ATTR_CONFIDENTIAL = "giu_bi_mat"
ATTR_INCIDENT_AT = "thoi_diem_su_viec"
OPEN = frozenset(state.value for state in OPEN_STATES)
CLOSED = frozenset(state.value for state in State) - OPEN
_MAY_BE_REJECTED = frozenset({State.REJECTED.value, State.CLOSED.value})

PRIVATE_NOTICE = ("Kết quả xử lý đã được gửi riêng cho người phản ánh theo đề nghị giữ bí mật "
                  "(Điều 10 khoản 3).")
PRIVATE_REJECTION = "Phản ánh không được xử lý; lý do đã được thông báo riêng cho người phản ánh."
REJECTED_NOTICE = "Phản ánh không được xử lý."
EMERGENCY_NOTICE = "Phản ánh khẩn cấp: các bước được xử lý ngay."

# XML element of one item inside each list element (JSON has bare arrays instead).
ITEM_TAGS = MappingProxyType({
    "services": "service", "service_requests": "request", "errors": "error",
    "endpoints": "endpoint", "formats": "format", "attributes": "attribute", "values": "value",
})

_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SPACED_OFFSET = re.compile(r"^(.*\d) (\d{2}:?\d{2})$")  # a '+' that arrived unencoded
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9 .()-]{6,20}$")
_TRUE = frozenset({"true", "1", "co", "có", "yes"})
_FALSE = frozenset({"false", "0", "khong", "không", "no"})


class Open311Error(Exception):
    """An answer refused with an HTTP status (404, 403 or 400) and a Vietnamese description."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


# --- serialisation ------------------------------------------------------------------------

def w3c(at: datetime | None) -> str | None:
    """An instant as ISO 8601 in Vietnam's time zone (`…+07:00`), or None."""
    return None if at is None else at.astimezone(LOCAL).isoformat(timespec="seconds")


def to_json(payload: Any) -> str:
    """JSON with fields in spec order (no key sorting) and Vietnamese left readable."""
    return json.dumps(payload, ensure_ascii=False)


def to_xml(root: str, payload: Any) -> str:
    """XML without namespace: dicts become child elements, lists repeat `ITEM_TAGS[parent]`,
    None an empty element, booleans `true`/`false`."""
    element = ET.Element(root)
    _fill(element, payload)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(element, encoding="unicode")


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, list | tuple):
        tag = ITEM_TAGS[element.tag]
        for item in value:
            _fill(ET.SubElement(element, tag), item)
    elif isinstance(value, dict):
        for key, item in value.items():
            _fill(ET.SubElement(element, key), item)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = _XML_ILLEGAL.sub("", str(value))


def error_list(status: int, description: str) -> list[dict[str, Any]]:
    """The Open311 error body: a list with one error."""
    return [{"code": status, "description": description}]


# --- discovery and services ---------------------------------------------------------------

def discovery(endpoint_url: str, endpoint_type: str = "production",
              contact: str = IOC_NAME) -> dict[str, Any]:
    """Service discovery: one endpoint, both formats."""
    return {
        "changeset": CHANGESET,
        "contact": contact,
        "key_service": ("Khóa API (api_key) để gửi phản ánh do đơn vị vận hành IOC cấp cho "
                        "phần mềm của cơ quan, tổ chức (Điều 12 khoản 2)."),
        "endpoints": [{
            "specification": SPECIFICATION,
            "url": endpoint_url,
            "changeset": CHANGESET,
            "type": endpoint_type,
            "formats": list(FORMATS),
        }],
    }


def list_services(url: str | None = None) -> list[dict[str, Any]]:
    """Every active field as an Open311 service, ordered by code."""
    with session_factory(url)() as session:
        fields = session.scalars(select(Field).where(Field.active.is_(True)).order_by(Field.code))
        return [_service(field) for field in fields]


def _service(field: Field) -> dict[str, Any]:
    keywords = [k.strip() for k in re.split(r"[;,]", field.keywords or "") if k.strip()]
    return {
        "service_code": field.code,
        "service_name": field.name,
        "description": field.description or "",
        "metadata": True,  # the optional attributes of `service_definition`
        "type": "realtime",
        "keywords": ",".join(keywords),
        "group": field.group_name,
    }


def _attributes() -> list[dict[str, Any]]:
    """The two optional attributes every service accepts (D5.2 time, D5.4 secrecy)."""
    return [
        {
            "variable": True, "code": ATTR_CONFIDENTIAL, "datatype": "singlevaluelist",
            "required": False,
            "datatype_description": ("Chọn true nếu người phản ánh đề nghị giữ bí mật thông tin "
                                     "cá nhân (Điều 5 khoản 4)."),
            "order": 1, "description": "Giữ bí mật thông tin người phản ánh",
            "values": [{"key": "true", "name": "Có"}, {"key": "false", "name": "Không"}],
        },
        {
            "variable": True, "code": ATTR_INCIDENT_AT, "datatype": "datetime",
            "required": False,
            "datatype_description": ("Thời điểm xảy ra sự việc, dạng W3C có múi giờ, ví dụ "
                                     "2026-11-30T08:00:00+07:00 (Điều 5 khoản 2)."),
            "order": 2, "description": "Thời điểm xảy ra sự việc",
            "values": [],
        },
    ]


def service_definition(code: str, url: str | None = None) -> dict[str, Any]:
    """The definition of an active service; 404 for any other code."""
    with session_factory(url)() as session:
        field = session.get(Field, code)
    if field is None or not field.active:
        raise Open311Error(404, f"Không có lĩnh vực (service_code) '{code}'.")
    return {"service_code": field.code, "attributes": _attributes()}


# --- reading requests ---------------------------------------------------------------------

@dataclass(frozen=True)
class RequestQuery:
    """A checked `GET requests` query: either ids, or a window with optional filters."""

    ids: tuple[str, ...] = ()
    service_codes: tuple[str, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    statuses: frozenset[str] = frozenset()
    # extension (not in GeoReport v2; clients that do not know it send neither): the province's
    # places, an area (khu vực, e.g. tp_thai_nguyen) or a unit of 1/7/2025 (5-digit code)
    area: str | None = None
    unit: str | None = None


def _value(params: Mapping[str, str], name: str) -> str | None:
    """A parameter, stripped; empty counts as absent (the spec's "optional")."""
    value = params.get(name)
    if value is None:
        return None
    value = value.strip()
    return value or None


def _comma_list(value: str | None) -> tuple[str, ...]:
    return tuple(dict.fromkeys(p.strip() for p in (value or "").split(",") if p.strip()))


def parse_w3c(name: str, text: str) -> datetime:
    """A W3C datetime (`2026-11-30T00:00:00Z`, `…+07:00`); without offset it is Vietnam time."""
    spaced = _SPACED_OFFSET.match(text)
    if spaced and "T" in text:
        text = f"{spaced.group(1)}+{spaced.group(2)}"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise Open311Error(400, f"Tham số {name} không đúng định dạng W3C, ví dụ "
                                "2026-11-30T00:00:00+07:00.") from None
    return moment.replace(tzinfo=LOCAL) if moment.tzinfo is None else moment


def parse_query(params: Mapping[str, str], now: datetime | None = None) -> RequestQuery:
    """Check the `GET requests` parameters; `service_request_id` overrides all the others."""
    ids = _comma_list(_value(params, "service_request_id"))
    if ids:
        if len(ids) > MAX_RESULTS:
            raise Open311Error(400, f"Tối đa {MAX_RESULTS} mã phản ánh mỗi lần.")
        return RequestQuery(ids=ids)
    start_text, end_text = _value(params, "start_date"), _value(params, "end_date")
    start = parse_w3c("start_date", start_text) if start_text else None
    end = parse_w3c("end_date", end_text) if end_text else None
    if start is None and end is None:
        end = now or datetime.now(UTC)
    try:
        start = end - MAX_SPAN if start is None else start
        end = start + MAX_SPAN if end is None else end
    except OverflowError:
        raise Open311Error(400, "start_date hoặc end_date nằm ngoài phạm vi cho phép.") from None
    if end < start:
        raise Open311Error(400, "end_date phải sau start_date.")
    if end - start > MAX_SPAN:
        raise Open311Error(400, "Khoảng thời gian từ start_date đến end_date không được quá 90 ngày.")
    statuses = frozenset(s.lower() for s in _comma_list(_value(params, "status")))
    if statuses - {"open", "closed"}:
        raise Open311Error(400, "Tham số status chỉ nhận open, closed (phân cách bằng dấu phẩy).")
    area, unit = _value(params, "area"), _value(params, "unit")
    for name, value in (("area", area), ("unit", unit)):
        if value is not None and not re.fullmatch(r"[a-z0-9_]{1,32}", value):
            raise Open311Error(400, f"Tham số {name} không hợp lệ: '{value[:40]}'.")
    return RequestQuery(service_codes=_comma_list(_value(params, "service_code")),
                        start=start, end=end, statuses=statuses, area=area, unit=unit)


def find_requests(query: RequestQuery, url: str | None = None) -> list[dict[str, Any]]:
    """The requests matching `query`, newest first, at most 1000; state secrets never."""
    stmt = _base_select()
    if query.ids:
        stmt = stmt.where(Report.code.in_(query.ids))
    else:
        stmt = stmt.where(Report.submitted_at >= query.start, Report.submitted_at <= query.end)
        if query.service_codes:
            stmt = stmt.where(Report.field_code.in_(query.service_codes))
        if query.statuses == {"open"}:
            stmt = stmt.where(Report.state.in_(sorted(OPEN)))
        elif query.statuses == {"closed"}:
            stmt = stmt.where(Report.state.in_(sorted(CLOSED)))
        stmt = stmt.where(*place_condition(Report.unit_code, query.area, query.unit))
    stmt = stmt.order_by(Report.submitted_at.desc(), Report.id.desc()).limit(MAX_RESULTS)
    with session_factory(url)() as session:
        if query.service_codes:
            known = set(session.scalars(select(Field.code).where(
                Field.code.in_(query.service_codes))))
            unknown = [code for code in query.service_codes if code not in known]
            if unknown:
                raise Open311Error(404, f"Không có lĩnh vực (service_code) '{unknown[0]}'.")
        rows = session.execute(stmt).all()
        reasons = _rejection_reasons(session, [r.Report for r in rows
                                               if r.Report.state in _MAY_BE_REJECTED])
    return [_request(row.Report, row.field_name, row.agency_name, reasons.get(row.Report.id))
            for row in rows]


def get_request(code: str, url: str | None = None) -> list[dict[str, Any]]:
    """One request, still as a list; 404 when unknown or a state secret."""
    found = find_requests(RequestQuery(ids=(code,)), url)
    if not found:
        raise Open311Error(404, f"Không tìm thấy phản ánh '{code}'.")
    return found


def _base_select():
    return (
        select(Report, Field.name.label("field_name"), Agency.name.label("agency_name"))
        .outerjoin(Field, Field.code == Report.field_code)
        .outerjoin(Agency, Agency.code == Report.agency_code)
        # Open311 reads are public: a report whose sender asked for secrecy (D5.4, D10.3) is not
        # shown to the public at all, like state secrets (D10.4) and like the citizens' portal
        .where(Report.state_secret.is_(False), Report.confidential.is_(False))
    )


def _rejection_reasons(session, reports: list[Report]) -> dict[int, str | None]:
    """The latest stated reason (D7.2a) of each rejected report, from its event history."""
    ids = [r.id for r in reports if not r.confidential]
    if not ids:
        return {}
    rows = session.execute(
        select(Event.report_id, Event.note)
        .where(Event.report_id.in_(ids), Event.action == "reject")
        .order_by(Event.report_id, Event.seq)
    )
    return {report_id: note for report_id, note in rows}


def expected_due(report: Report) -> datetime | None:
    """The stored deadline of the stage the report is in; None when closed or with the reporter."""
    stage = current_stage(State(report.state))
    return getattr(report, f"{stage}_due") if stage else None


def _updated(report: Report) -> datetime:
    """Last change; for closed requests the close time (the spec's rule)."""
    if report.state == State.CLOSED and report.closed_at:
        return report.closed_at
    if report.state in (State.PUBLISHED, State.ANSWERED_PRIVATELY) and report.published_at:
        return report.published_at
    return report.updated_at


def _status_notes(report: Report, reason: str | None) -> str | None:
    """Open: the state's label; closed: the public answer, the rejection reason or a notice."""
    if report.state in OPEN:
        return STATE_LABELS_VI[State(report.state)]
    answered = report.published_at is not None or report.answer_text is not None
    if report.confidential or report.state == State.ANSWERED_PRIVATELY:
        return PRIVATE_NOTICE if answered else PRIVATE_REJECTION
    if answered and report.answer_text:
        return report.answer_text
    return f"{REJECTED_NOTICE} Lý do: {reason}" if reason else REJECTED_NOTICE


def _request(report: Report, field_name: str | None, agency_name: str | None,
             reason: str | None) -> dict[str, Any]:
    """One service request in spec order; no reporter identity, whatever the report holds."""
    is_open = report.state in OPEN
    return {
        "service_request_id": report.code,
        "status": "open" if is_open else "closed",
        "status_notes": _status_notes(report, reason),
        "service_name": field_name,
        "service_code": report.field_code,
        "description": report.description,
        "agency_responsible": agency_name or IOC_NAME,
        "service_notice": EMERGENCY_NOTICE if report.emergency and is_open else None,
        "requested_datetime": w3c(report.submitted_at),
        "updated_datetime": w3c(_updated(report)),
        "expected_datetime": w3c(expected_due(report)) if is_open else None,
        "address": report.address,
        "address_id": None,
        "zipcode": None,
        "lat": report.lat,
        "long": report.lon,
        "media_url": None,
    }


# --- creating a request -------------------------------------------------------------------

def submit_request(params: Mapping[str, str], api_key: str | None, *,
                   now: datetime | None = None, url: str | None = None) -> list[dict[str, Any]]:
    """`POST requests`: check the key and the form, store the report, answer with its code."""
    if not api_key:
        raise Open311Error(403, "Thiếu api_key: cần khóa API để gửi phản ánh.")
    if check_api_key(api_key, url) is None:
        raise Open311Error(403, "api_key không hợp lệ hoặc đã bị thu hồi.")
    code = _value(params, "service_code")
    if code is None:
        raise Open311Error(400, "Thiếu service_code (mã lĩnh vực).")
    with session_factory(url)() as session:
        field = session.get(Field, code)
    if field is None or not field.active:
        raise Open311Error(404, f"Không có lĩnh vực (service_code) '{code}'.")
    lat, lon = _coordinates(params)
    new = NewReport(
        description=_description(params), lat=lat, lon=lon,
        address=_limited(params, "address_string", 500),
        incident_at=_incident_at(params, now or datetime.now(UTC)),
        reporter_name=_reporter_name(params),
        reporter_phone=_checked(params, "phone", _PHONE, "Số điện thoại (phone) không hợp lệ."),
        reporter_email=_checked(params, "email", _EMAIL, "Địa chỉ email không hợp lệ."),
        confidential=_confidential(params),
        channel="open311",
        consent_version=CONSENT_VERSION,
    )

    def classify(_session, created: Report) -> None:
        created.field_code = field.code  # the service the software chose, in the same commit

    try:
        report = submit_report(new, now=now, url=url, within=classify)
    except ValidationError as exc:
        raise Open311Error(400, exc.message) from None
    notice = (f"Đã tiếp nhận phản ánh {report.code}. IOC xác minh trước "
              f"{vn.time_date(report.verify_due)} (Điều 6 khoản 2); tra cứu kết quả bằng mã phản ánh.")
    return [{"service_request_id": report.code, "service_notice": notice, "account_id": None}]



def _coordinates(params: Mapping[str, str]) -> tuple[float, float]:
    lat_text, lon_text = _value(params, "lat"), _value(params, "long")
    if lat_text is None and lon_text is None:
        if _value(params, "address_string") or _value(params, "address_id"):
            raise Open311Error(400, "Cần tọa độ lat và long (WGS84) để xác định vị trí phản ánh; "
                                    "hệ thống không tra cứu được vị trí từ address_string hoặc "
                                    "address_id.")
        raise Open311Error(400, "Thiếu vị trí: cần tọa độ lat và long (WGS84).")
    if lat_text is None or lon_text is None:
        raise Open311Error(400, "Cần cả lat và long (WGS84).")
    try:
        lat, lon = float(lat_text), float(lon_text)
    except ValueError:
        raise Open311Error(400, "Tọa độ lat, long phải là số thập phân (WGS84).") from None
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        raise Open311Error(400, "Tọa độ lat, long nằm ngoài phạm vi hợp lệ (WGS84).")
    return lat, lon


def _description(params: Mapping[str, str]) -> str:
    """The content (required by D5.2), with `media_url` appended as a line of text."""
    text = _value(params, "description")
    if text is None:
        raise Open311Error(400, "Thiếu description: nội dung phản ánh là bắt buộc (Điều 5).")
    if len(text) > MAX_DESCRIPTION:
        raise Open311Error(400, f"description dài quá {MAX_DESCRIPTION} ký tự.")
    media = _value(params, "media_url")
    if media is None:
        return text
    parts = urlsplit(media)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(media) > 1000:
        raise Open311Error(400, "media_url phải là một địa chỉ http hoặc https.")
    text = f"{text}\n\nẢnh/video đính kèm: {media}"
    if len(text) > MAX_DESCRIPTION:
        raise Open311Error(400, f"description cùng media_url dài quá {MAX_DESCRIPTION} ký tự.")
    return text


def _limited(params: Mapping[str, str], name: str, limit: int) -> str | None:
    value = _value(params, name)
    if value is not None and len(value) > limit:
        raise Open311Error(400, f"{name} dài quá {limit} ký tự.")
    return value


def _checked(params: Mapping[str, str], name: str, pattern: re.Pattern[str],
             message: str) -> str | None:
    value = _limited(params, name, 254)
    if value is not None and not pattern.match(value):
        raise Open311Error(400, message)
    return value


def _reporter_name(params: Mapping[str, str]) -> str | None:
    parts = [_limited(params, name, 100) for name in ("first_name", "last_name")]
    return " ".join(p for p in parts if p) or None


def _attribute(params: Mapping[str, str], code: str) -> str | None:
    return _value(params, f"attribute[{code}]")


def _confidential(params: Mapping[str, str]) -> bool:
    value = _attribute(params, ATTR_CONFIDENTIAL)
    if value is None or value.lower() in _FALSE:
        return False
    if value.lower() in _TRUE:
        return True
    raise Open311Error(400, f"attribute[{ATTR_CONFIDENTIAL}] chỉ nhận true hoặc false.")


def _incident_at(params: Mapping[str, str], now: datetime) -> datetime | None:
    text = _attribute(params, ATTR_INCIDENT_AT)
    if text is None:
        return None
    moment = parse_w3c(f"attribute[{ATTR_INCIDENT_AT}]", text)
    if moment > now + timedelta(minutes=5):
        raise Open311Error(400, "Thời điểm xảy ra sự việc không được ở tương lai.")
    return moment.astimezone(UTC)

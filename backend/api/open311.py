"""Open311 GeoReport v2 under /open311/v2 (../shared/spec/OPEN311.md).

Thin HTTP layer over `backend.services.intake.open311`: the suffix picks the format (`.xml` or
`.json`; anything else is 404), errors are Open311's own list shape in that format, and every
path under the prefix answers in that shape, unknown ones included. `jurisdiction_id` is
ignored (one jurisdiction). `GET /service/<code>` (singular, used by the `open311` client) is an
alias of `/services/<code>`. `tokens/<token>` is always 404: services are `realtime`.
"""

from __future__ import annotations

import logging
import uuid
from types import MappingProxyType
from typing import Any

from flask import Blueprint, Response, current_app, request
from werkzeug.exceptions import HTTPException

from backend.services.intake import open311

log = logging.getLogger("ioc.open311")

bp = Blueprint("open311", __name__, url_prefix="/open311/v2")

FMT = "<any(xml, json):fmt>"
CONTENT_TYPES = MappingProxyType({"xml": "text/xml; charset=utf-8",
                                 "json": "application/json; charset=utf-8"})
HTTP_DESCRIPTIONS = MappingProxyType({
    400: "Yêu cầu không hợp lệ.",
    404: "Không tìm thấy tài nguyên.",
    405: "Phương thức không được hỗ trợ.",
    413: "Dữ liệu gửi lên vượt quá dung lượng cho phép.",
    429: "Gửi quá nhiều yêu cầu; vui lòng thử lại sau.",
})


def respond(fmt: str, root: str, payload: Any, status: int = 200) -> Response:
    """The payload as XML under `root`, or as bare JSON."""
    body = open311.to_json(payload) if fmt == "json" else open311.to_xml(root, payload)
    return Response(body, status=status, content_type=CONTENT_TYPES[fmt])


def error(status: int, description: str) -> Response:
    """An Open311 error list, JSON for `.json` paths and XML (the required format) otherwise."""
    fmt = "json" if request.path.endswith(".json") else "xml"
    return respond(fmt, "errors", open311.error_list(status, description), status)


def _params(*sources) -> dict[str, str]:
    """First value of each parameter; earlier sources win."""
    merged: dict[str, str] = {}
    for source in reversed(sources):
        merged.update(source.to_dict())
    return merged


@bp.errorhandler(open311.Open311Error)
def refused(exc: open311.Open311Error) -> Response:
    return error(exc.status, exc.description)


@bp.errorhandler(HTTPException)
def http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    return error(status, HTTP_DESCRIPTIONS.get(status, "Đã có lỗi."))


@bp.errorhandler(Exception)
def unexpected(exc: Exception) -> Response:
    from sqlalchemy.exc import OperationalError

    correlation = uuid.uuid4().hex[:12]
    log.exception("unexpected error %s on %s %s", correlation, request.method, request.path)
    if isinstance(exc, OperationalError):
        return error(503, "Hệ thống tạm thời gián đoạn; vui lòng thử lại sau.")
    return error(500, f"Đã có lỗi hệ thống (mã tra cứu {correlation}).")


@bp.get(f"/discovery.{FMT}")
def discovery(fmt: str) -> Response:
    endpoint = request.host_url.rstrip("/") + bp.url_prefix
    config = current_app.config
    payload = open311.discovery(endpoint, config.get("OPEN311_ENDPOINT_TYPE", "production"),
                                config.get("OPEN311_CONTACT", open311.IOC_NAME))
    return respond(fmt, "discovery", payload)


@bp.get(f"/services.{FMT}")
def services(fmt: str) -> Response:
    return respond(fmt, "services", open311.list_services())


@bp.get(f"/services/<code>.{FMT}")
@bp.get(f"/service/<code>.{FMT}")
def service_definition(code: str, fmt: str) -> Response:
    return respond(fmt, "service_definition", open311.service_definition(code))


@bp.post(f"/requests.{FMT}")
def create_request(fmt: str) -> Response:
    params = _params(request.form, request.args)
    payload = open311.submit_request(params, params.get("api_key"))
    return respond(fmt, "service_requests", payload)


@bp.get(f"/requests.{FMT}")
def list_requests(fmt: str) -> Response:
    query = open311.parse_query(request.args.to_dict())
    return respond(fmt, "service_requests", open311.find_requests(query))


@bp.get(f"/requests/<request_id>.{FMT}")
def one_request(request_id: str, fmt: str) -> Response:
    return respond(fmt, "service_requests", open311.get_request(request_id))


@bp.get(f"/tokens/<token>.{FMT}")
def token(token: str, fmt: str) -> Response:
    return error(404, "Không dùng token: dịch vụ loại realtime trả mã phản ánh ngay khi gửi.")


@bp.route("", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
@bp.route("/", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
@bp.route("/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def not_found(rest: str = "") -> Response:
    """Anything else under the prefix: 405 for a known path with another method, else 404."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    for method in ("GET", "POST"):
        if method == request.method:
            continue
        try:
            endpoint, _ = adapter.match(method=method)
        except HTTPException:
            continue
        if endpoint != request.endpoint:
            return error(405, HTTP_DESCRIPTIONS[405])
    return error(404, "Không có tài nguyên này (định dạng hỗ trợ: .xml, .json).")

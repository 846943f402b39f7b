"""One error shape everywhere: `{"error": code, "message": text, "field": name?}`.

Citizens read `message` in Vietnamese; machines read the stable `error` code. Nothing else leaks:
no SQL, no path, no stack trace, only a correlation id for the operators' log (TESTPLAN 26).
"""

from __future__ import annotations

import logging
import uuid

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from backend.domain.workflow import (
    Forbidden,
    IllegalTransition,
    InvalidParams,
    StaleVersion,
    WorkflowError,
)
from backend.services.errors import NotFound, ValidationError
from backend.services.intake.media import MediaError

log = logging.getLogger("ioc.api")

_HTTP_MESSAGES = {
    400: ("bad_request", "Yêu cầu không hợp lệ."),
    401: ("unauthenticated", "Cần đăng nhập."),
    403: ("forbidden", "Không có quyền thực hiện."),
    404: ("not_found", "Không tìm thấy."),
    405: ("method_not_allowed", "Phương thức không được hỗ trợ."),
    409: ("conflict", "Xung đột dữ liệu."),
    413: ("too_large", "Dữ liệu gửi lên vượt quá dung lượng cho phép."),
    415: ("unsupported_media_type", "Định dạng dữ liệu không được hỗ trợ."),
    422: ("invalid", "Dữ liệu không hợp lệ."),
    429: ("too_many_requests", "Gửi quá nhiều yêu cầu; vui lòng thử lại sau."),
    503: ("unavailable", "Hệ thống tạm thời gián đoạn; vui lòng thử lại sau."),
}


def api_error(status: int, code: str | None = None, message: str | None = None,
              field: str | None = None, headers: dict | None = None):
    """A JSON error response with the project's shape."""
    default_code, default_message = _HTTP_MESSAGES.get(status, ("error", "Đã có lỗi."))
    body = {"error": code or default_code, "message": message or default_message}
    if field:
        body["field"] = field
    response = jsonify(body)
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def status_of(error: WorkflowError) -> int:
    """HTTP status of a refused step: 404 scope, 403 role, 409 state or version, 422 input."""
    explicit = getattr(error, "http_status", None)
    if explicit:
        return explicit
    if isinstance(error, NotFound):
        return 404
    if isinstance(error, Forbidden):
        return 403
    if isinstance(error, IllegalTransition | StaleVersion):
        return 409
    if isinstance(error, InvalidParams | ValidationError):
        return 422
    return 400


def register_error_handlers(app: Flask, prefixes: tuple[str, ...] = ("/api/",)) -> None:
    """JSON errors for API paths; other paths keep Flask's own pages (the dashboard has its own)."""

    def is_api() -> bool:
        return request.path.startswith(prefixes)

    @app.errorhandler(WorkflowError)
    def workflow_error(error: WorkflowError):
        return api_error(status_of(error), error.code, error.message, error.field)

    @app.errorhandler(MediaError)
    def media_error(error: MediaError):
        return api_error(error.status, error.code, error.message, error.field)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if not is_api():
            return error
        headers = {}
        if error.code == 429:
            headers["Retry-After"] = "60"
        return api_error(error.code or 500, headers=headers)

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        correlation = uuid.uuid4().hex[:12]
        log.exception("unexpected error %s on %s %s", correlation, request.method, request.path)
        if _is_database_down(error):
            return api_error(503, "unavailable", headers={"Retry-After": "5"})
        response = api_error(500, "internal_error",
                             f"Đã có lỗi hệ thống (mã tra cứu {correlation}).")
        return response


def _is_database_down(error: Exception) -> bool:
    from sqlalchemy.exc import DBAPIError, OperationalError

    return isinstance(error, OperationalError) or (
        isinstance(error, DBAPIError) and error.connection_invalidated)

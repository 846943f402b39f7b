"""The portal's own error pages: HTML and Vietnamese (JSON for the map's data), never a trace."""

from __future__ import annotations

import uuid
from typing import Any

from flask import render_template, request
from werkzeug.exceptions import HTTPException

from backend.services.errors import NotFound
from backend.web.portal.blueprint import bp, log

_ERROR_TEXT = {
    404: ("Không tìm thấy", "Trang hoặc kết quả bạn tìm không có hoặc chưa được công khai."),
    405: ("Thao tác không hợp lệ", "Vui lòng quay lại trang trước."),
    413: ("Tệp quá lớn", "Dữ liệu gửi lên vượt quá dung lượng cho phép."),
    429: ("Bạn thao tác quá nhanh", "Vui lòng chờ khoảng một phút rồi thử lại."),
    503: ("Hệ thống tạm thời gián đoạn", "Vui lòng thử lại sau ít phút."),
}


def _wants_json() -> bool:
    return request.path.endswith((".geojson", ".json")) or request.path.endswith("/place")


def page_error(status: int, message: str | None = None) -> tuple[Any, int, dict[str, str]]:
    """The error page (or JSON body) for `status`, with Retry-After on 429."""
    title, text = _ERROR_TEXT.get(status, ("Đã có lỗi", "Vui lòng thử lại sau."))
    headers = {"Retry-After": "60"} if status == 429 else {}
    if _wants_json():
        return {"error": title, "message": message or text}, status, headers
    return render_template("portal/error.html", title=title, message=message or text,
                           status=status), status, headers


@bp.route("/<path:_rest>", methods=["GET", "POST"])
def unknown_page(_rest: str):
    """A mistyped portal address gets the portal's own page, not the staff sign-in."""
    return page_error(404)


@bp.errorhandler(Exception)
def _portal_error(error: Exception):
    """Portal pages answer in HTML and Vietnamese, also for 404, 413 and 429."""
    if isinstance(error, HTTPException):
        return page_error(error.code or 500)
    if isinstance(error, NotFound):
        return page_error(404)
    from sqlalchemy.exc import DBAPIError, OperationalError

    if isinstance(error, OperationalError) or (isinstance(error, DBAPIError)
                                               and error.connection_invalidated):
        return page_error(503)
    correlation = uuid.uuid4().hex[:12]
    log.exception("portal error %s on %s %s", correlation, request.method, request.path)
    return page_error(500, f"Đã có lỗi hệ thống (mã tra cứu {correlation}). Vui lòng thử lại.")

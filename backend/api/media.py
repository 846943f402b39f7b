"""Photos and videos of reports: public derivatives for everyone, originals for staff only.

Served with the right Content-Type, `nosniff` and a safe download name (TESTPLAN 6, 9); a file
outside the caller's scope is 404 like everything else (TESTPLAN 19-20).
"""

from __future__ import annotations

from flask import Blueprint, send_file

from backend.services.errors import NotFound
from backend.services.intake import media
from backend.services.reads import queries
from backend.storage.db import session_factory
from backend.storage.models import Attachment, Report
from backend.web.errors import api_error
from backend.web.extensions import client_address
from backend.web.signin import current_staff

bp = Blueprint("media", __name__, url_prefix="/api/v1/media")
PUBLIC_STATES = ("published", "closed")


def _load(attachment_id: int) -> tuple[Attachment, Report]:
    if not 0 < attachment_id < 2**31:  # beyond the integer column: no such file, not a 500
        raise NotFound("Không tìm thấy tệp.")
    with session_factory()() as session:
        row = session.get(Attachment, attachment_id)
        if row is None:
            raise NotFound("Không tìm thấy tệp.")
        return row, session.get(Report, row.report_id)


def _serve(path, content_type: str, download_name: str, inline: bool):
    response = send_file(path, mimetype=content_type, as_attachment=not inline,
                         download_name=download_name, max_age=300)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


@bp.get("/<int:attachment_id>")
def original(attachment_id: int):
    """The original as received: staff in scope only (it may show faces and plates)."""
    staff = current_staff()
    if staff is None:
        return api_error(404, "not_found", "Không tìm thấy tệp.")
    attachment, report = _load(attachment_id)
    queries.check_visible(report.code, staff, client=client_address())
    name = media.safe_download_name(attachment.original_name, attachment.stored_name)
    return _serve(media.open_original(attachment.stored_name), attachment.content_type, name,
                  inline=attachment.kind == "photo")


@bp.get("/<int:attachment_id>/public")
def public(attachment_id: int):
    """The cleaned photo: public once the answer is public (never confidential or secret)."""
    attachment, report = _load(attachment_id)
    is_public = (report.state in PUBLIC_STATES and report.published_at is not None
                 and not report.confidential and not report.state_secret)
    if not is_public:
        staff = current_staff()
        if staff is None:
            return api_error(404, "not_found", "Không tìm thấy tệp.")
        queries.check_visible(report.code, staff, client=client_address())
    if not attachment.public_name:
        return api_error(404, "not_found", "Không tìm thấy tệp.")
    name = media.safe_download_name(attachment.original_name, attachment.public_name)
    return _serve(media.open_public(attachment.public_name), "image/jpeg", name, inline=True)

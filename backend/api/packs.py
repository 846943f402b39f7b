"""Download of a finished report pack (`services/pack_files.py`): its owner's session only.

Streamed from disk by the web server with a download name, `nosniff` and no caching; a pack
that is not the caller's, has expired or never existed is the same 404.
"""

from __future__ import annotations

from flask import Blueprint, send_file

from backend.api.auth import current_staff
from backend.api.errors import api_error
from backend.services import pack_files

bp = Blueprint("packs", __name__, url_prefix="/api/v1/packs")


@bp.get("/<pack_id>")
def download(pack_id: str):
    staff = current_staff()
    if staff is None:
        return api_error(404, "not_found", "Không tìm thấy tệp báo cáo.")
    path, name = pack_files.open_pack(pack_id, staff.username)
    response = send_file(path, mimetype="application/zip", as_attachment=True,
                         download_name=name, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response

"""Download of a finished report pack (`services/kpis/pack_files.py`): its owner's session only.

Streamed from disk by the web server with a download name, `nosniff` and no caching; a pack
that is not the caller's, has expired or never existed, or whose owner's role may no longer
make packs, is the same 404.
"""

from __future__ import annotations

import os

from flask import Blueprint, send_file

from backend.services.kpis import pack_files
from backend.web.errors import api_error
from backend.web.signin import current_staff

bp = Blueprint("packs", __name__, url_prefix="/api/v1/packs")


@bp.get("/<pack_id>")
def download(pack_id: str):
    staff = current_staff()
    if staff is None:
        return api_error(404, "not_found", "Không tìm thấy tệp báo cáo.")
    # an open file, not a path: a sweep between the check and the read cannot turn into a 500;
    # the response closes it when sent
    file, name = pack_files.open_pack(pack_id, staff.username)
    try:
        response = send_file(file, mimetype="application/zip", as_attachment=True,
                             download_name=name, max_age=0, conditional=False)
    except BaseException:
        file.close()
        raise
    response.content_length = os.fstat(file.fileno()).st_size
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response

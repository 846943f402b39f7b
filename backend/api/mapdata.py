"""GET /api/v1/map/version and /api/v1/map/points.geojson: the cacheable, gzipped points route.

Staff only (the wall display included); no reporter identity and no state-secret reports. The
body is gzipped when the client accepts it and carries an ETag of (data version, minute), so a
screen that asks again with If-None-Match gets 304 and nothing else.
"""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime

from flask import Blueprint, Response, jsonify, request

from backend.api.auth import staff_required
from backend.services import mapdata

bp = Blueprint("mapdata", __name__, url_prefix="/api/v1/map")


@bp.get("/version")
@staff_required()
def version():
    return jsonify(version=mapdata.data_version())


@bp.get("/points.geojson")
@staff_required()
def points():
    now = datetime.now(UTC)
    etag = f'"{mapdata.data_version()}-{now:%Y%m%d%H%M}"'
    if request.headers.get("If-None-Match") == etag:
        response = Response(status=304)
    else:
        body = json.dumps(mapdata.points(now), ensure_ascii=False, separators=(",", ":"))
        data = body.encode("utf-8")
        response = Response(mimetype="application/geo+json")
        if "gzip" in request.headers.get("Accept-Encoding", ""):
            data = gzip.compress(data, compresslevel=6)
            response.headers["Content-Encoding"] = "gzip"
        response.set_data(data)
    response.headers["ETag"] = etag
    response.headers["Cache-Control"] = "private, max-age=30"
    response.headers["Vary"] = "Accept-Encoding, Cookie"
    return response

"""GET /api/v1/map/version and /api/v1/map/points.geojson: the cacheable, gzipped points route.

Staff only (the wall display included); no reporter identity and no state-secret reports. The
body is computed once a minute for all workers (shared cache), gzipped when the client accepts
it, and carries an ETag of that minute, so a screen that asks again gets 304 and nothing else.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from datetime import UTC, datetime

from flask import Blueprint, Response, jsonify, request

from backend.services.places import maps
from backend.services.reads import mapdata
from backend.web.cache import remember_latest
from backend.web.signin import staff_required

bp = Blueprint("mapdata", __name__, url_prefix="/api/v1/map")


@bp.get("/version")
@staff_required()
def version():
    return jsonify(version=mapdata.data_version())


@bp.get("/boundaries.geojson")
@staff_required()
def boundaries():
    """The province outline, the areas and the units (for the choropleths); they change only
    with the unit layer or the areas' grouping, and the ETag follows both."""
    body = maps.boundary_collection()
    etag = f'"b-{hashlib.sha1(body).hexdigest()[:16]}"'
    if request.headers.get("If-None-Match") == etag:
        response = Response(status=304)
    else:
        response = _gzipped(body, "application/geo+json")
    response.headers["ETag"] = etag
    response.headers["Cache-Control"] = "private, max-age=86400"
    response.headers["Vary"] = "Accept-Encoding, Cookie"
    return response


def _gzipped(data: bytes, mimetype: str) -> Response:
    response = Response(mimetype=mimetype)
    if "gzip" in request.headers.get("Accept-Encoding", ""):
        data = gzip.compress(data, compresslevel=6)
        response.headers["Content-Encoding"] = "gzip"
    response.set_data(data)
    return response


@bp.get("/points.geojson")
@staff_required()
def points():
    """Computed once a minute for every worker and screen (the shared cache; the SLA colours move
    with the clock); the wall adds the newest reports from its own tick in between."""
    now = datetime.now(UTC)
    key, body = remember_latest("map:points", f"{now:%Y%m%d%H%M}", 300,
                                lambda: _points_body(now))
    etag = f'"p-{key}"'
    if request.headers.get("If-None-Match") == etag:
        response = Response(status=304)
    else:
        response = Response(mimetype="application/geo+json")
        if "gzip" in request.headers.get("Accept-Encoding", ""):
            response.headers["Content-Encoding"] = "gzip"
            response.set_data(body)
        else:
            response.set_data(gzip.decompress(body))
    response.headers["ETag"] = etag
    response.headers["Cache-Control"] = "private, max-age=30"
    response.headers["Vary"] = "Accept-Encoding, Cookie"
    return response


def _points_body(now: datetime) -> bytes:
    body = json.dumps(mapdata.points(now), ensure_ascii=False, separators=(",", ":"))
    return gzip.compress(body.encode("utf-8"), compresslevel=6)

"""Kết quả công khai (D10.2): the published answers, one answer, their map and the boundaries."""

from __future__ import annotations

import gzip
import hashlib
import json
from typing import Any

from flask import Response, render_template, request, url_for

from backend.services.errors import NotFound, ValidationError
from backend.services.reads import public_results
from backend.web.extensions import client_address, limiter
from backend.web.portal.assets import tile_settings
from backend.web.portal.blueprint import bp
from backend.web.portal.errors import page_error


def _result_query(page: int = 1) -> public_results.ResultQuery:
    """The filters as asked: `place` is an area's or a unit's code (the one picker of the
    page); `area` and `unit` are also read, for links made by hand."""
    place = (request.args.get("place") or "").strip()[:40] or None
    area, unit = public_results.place_of(place)
    return public_results.ResultQuery(
        field=(request.args.get("field") or "").strip()[:40] or None,
        area=area or (request.args.get("area") or "").strip()[:40] or None,
        unit=unit or (request.args.get("unit") or "").strip()[:16] or None,
        text=(request.args.get("q") or "").strip() or None, page=page)


def _again(query: public_results.ResultQuery, **changes: Any) -> public_results.ResultQuery:
    return public_results.ResultQuery(**{**query.__dict__, **changes})


def _page_number() -> int:
    try:
        return max(1, min(int(request.args.get("page", "1")), public_results.MAX_PAGE))
    except ValueError:
        return 1


def _public_cache(response: Response, seconds: int = 60) -> Response:
    response.headers["Cache-Control"] = f"public, max-age={seconds}"
    return response


@bp.get("/results")
def results():
    """Kết quả công khai: filters, a map and a page of published answers (D10.2)."""
    query = _result_query(_page_number())
    errors: dict[str, str] = {}
    try:
        found = public_results.search(query)
    except ValidationError as error:
        errors[error.field or "q"] = error.message
        query = _again(query, text=None, page=1)
        found = public_results.search(query)
    if found.items == () and found.total and query.page > found.pages:  # past the last page
        query = _again(query, page=found.pages)
        found = public_results.search(query)
    filters = {k: v for k, v in (("field", query.field), ("place", query.unit or query.area),
                                 ("q", query.text)) if v}
    page = render_template(
        "portal/results.html", found=found, query=query, filters=filters, errors=errors,
        choices=public_results.choices(), tiles=tile_settings(),
        map_url=url_for("portal.results_geojson", **filters), map_limit=public_results.MAP_LIMIT,
        text_limit=public_results.TEXT_CANDIDATES)
    return _public_cache(Response(page, status=422 if errors else 200))


@bp.get("/results/<code>")
def result_detail(code: str):
    """One published answer: the report's content, the cleaned photos, the answer."""
    try:
        item = public_results.find(code)
    except NotFound:
        return page_error(404)
    page = render_template("portal/result.html", item=item)
    return _public_cache(Response(page))


def _gzipped_json(payload: Any, etag: str, seconds: int) -> Response:
    response = Response(mimetype="application/geo+json")
    response.set_etag(etag)
    response.headers["Cache-Control"] = f"public, max-age={seconds}"
    response.headers["Vary"] = "Accept-Encoding"
    if request.if_none_match and etag in request.if_none_match:
        response.status_code = 304
        return response
    data = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    if "gzip" in request.headers.get("Accept-Encoding", ""):
        data = gzip.compress(data, 6, mtime=0)
        response.headers["Content-Encoding"] = "gzip"
    response.set_data(data)
    return response


@bp.get("/results.geojson")
@limiter.limit("60 per minute", key_func=client_address)
def results_geojson():
    """The public map's points (newest first, at most MAP_LIMIT), gzipped, ETag by data version."""
    query = _result_query()
    filters = json.dumps([query.field, query.area, query.unit, query.text], ensure_ascii=False)
    etag = hashlib.sha256(f"{public_results.data_version()}|{filters}".encode()).hexdigest()[:24]
    try:
        if request.if_none_match and etag in request.if_none_match:
            return _gzipped_json(None, etag, 60)
        return _gzipped_json(public_results.map_points(query), etag, 60)
    except ValidationError as error:
        return {"error": "invalid", "message": error.message, "field": error.field}, 422


@bp.get("/boundaries.geojson")
def boundaries_geojson():
    """Province and area outlines (drawn instead of tiles)."""
    payload = public_results.boundaries()
    etag = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:24]
    return _gzipped_json(payload, etag, 86400)

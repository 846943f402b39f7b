"""Static assets (portal CSS/JS, vendored Leaflet), versioned by hash and gzipped; tile settings."""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import os
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from flask import Response, request, url_for
from werkzeug.security import safe_join

from backend.web.portal.blueprint import bp
from backend.web.portal.errors import page_error

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"  # backend/web/static/
ASSET_ROOTS = ("portal/", "vendor/leaflet/")
COMPRESSIBLE = (".js", ".css", ".json", ".svg", ".txt")


@lru_cache(maxsize=64)
def _asset(path: str, mtime: float) -> tuple[str, bytes, bytes | None]:
    """(version hash, bytes, gzipped bytes or None) of one static file, cached per mtime."""
    data = Path(path).read_bytes()
    packed = gzip.compress(data, 9, mtime=0) if path.endswith(COMPRESSIBLE) else None
    return hashlib.sha256(data).hexdigest()[:12], data, packed


def _asset_file(name: str) -> Path | None:
    if not name.startswith(ASSET_ROOTS):
        return None
    joined = safe_join(str(STATIC_DIR), name)
    return Path(joined) if joined and os.path.isfile(joined) else None


def asset_url(name: str) -> str:
    """URL of a static file with its content hash, so browsers may keep it for a year."""
    path = _asset_file(name)
    if path is None:
        raise FileNotFoundError(name)
    version, _, _ = _asset(str(path), path.stat().st_mtime)
    return url_for("portal.asset", name=name, v=version)


@bp.get("/assets/<path:name>")
def asset(name: str):
    """The portal's CSS/JS and the vendored Leaflet: gzipped when accepted, cached by hash."""
    path = _asset_file(name)
    if path is None:
        return page_error(404)
    version, raw, packed = _asset(str(path), path.stat().st_mtime)
    response = Response(mimetype=mimetypes.guess_type(path.name)[0] or "application/octet-stream")
    if packed is not None and "gzip" in request.headers.get("Accept-Encoding", ""):
        response.set_data(packed)
        response.headers["Content-Encoding"] = "gzip"
    else:
        response.set_data(raw)
    response.headers["Vary"] = "Accept-Encoding"
    response.set_etag(version)
    forever = request.args.get("v") == version
    response.headers["Cache-Control"] = ("public, max-age=31536000, immutable" if forever
                                         else "public, max-age=300")
    return response.make_conditional(request)


def tile_settings() -> dict[str, str | None]:
    """`IOC_TILE_URL` (a {z}/{x}/{y} template; unset: no tiles, boundaries only) and its credit."""
    url = os.environ.get("IOC_TILE_URL", "").strip() or None
    return {"url": url, "attribution": os.environ.get("IOC_TILE_ATTRIBUTION", "").strip() or None}


def tile_origin() -> str:
    """The tile server as a CSP source (" https://*.host"), or "" when there is none."""
    url = tile_settings()["url"]
    if not url:
        return ""
    parts = urlsplit(url.replace("{s}", "a"))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    host = parts.netloc.replace("a.", "*.", 1) if "{s}" in url else parts.netloc
    return f" {parts.scheme}://{host}"

"""The OpenAPI 3 document of /api/v1, written by hand next to this module and served as is.

Read once per process; answered with an ETag and a public max-age so clients and proxies can
cache it, and 304 to a matching `If-None-Match`.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from flask import Blueprint, Response, request

bp = Blueprint("openapi", __name__, url_prefix="/api/v1")
DOCUMENT = Path(__file__).with_name("openapi.json")
MAX_AGE = 3600


@lru_cache(maxsize=1)
def document() -> tuple[bytes, str]:
    """The document as compact UTF-8 JSON, and its ETag (checked to be JSON at first use)."""
    body = json.dumps(json.loads(DOCUMENT.read_text(encoding="utf-8")), ensure_ascii=False,
                      separators=(",", ":")).encode("utf-8")
    return body, hashlib.sha256(body).hexdigest()[:32]


@bp.get("/openapi.json")
def openapi_json() -> Response:
    body, etag = document()
    response = Response(body, mimetype="application/json")
    response.set_etag(etag)
    response.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
    return response.make_conditional(request)

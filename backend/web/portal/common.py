"""What every portal page shares: security headers and CSP, date filters, the Jinja globals."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Response

from backend import vietnamese as vn
from backend.web.portal.assets import asset_url, tile_origin
from backend.web.portal.blueprint import bp
from backend.web.portal.wording import intake_promise


@bp.app_template_filter("vn_date")
def vn_date(at: datetime | str | None) -> str:
    """dd/mm/yyyy in Vietnam's time."""
    return vn.date(at or None)


@bp.app_template_filter("vn_integer")
def vn_integer(value: int | None) -> str:
    """1234 -> 1.234."""
    return vn.integer(value)


@bp.app_template_filter("vn_datetime")
def vn_datetime(at: datetime | str | None) -> str:
    """dd/mm/yyyy HH:MM in Vietnam's time."""
    return vn.date_time(at or None)


@bp.app_context_processor
def _portal_globals() -> dict[str, Any]:
    return {"asset_url": asset_url, "intake_promise": intake_promise}


@bp.after_request
def _headers(response: Response) -> Response:
    """Strict CSP on every portal answer; personal pages are never stored by caches."""
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; "
        f"img-src 'self' data: blob:{tile_origin()}; connect-src 'self'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Cache-Control", "no-store")
    return response

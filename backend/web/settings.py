"""Flask settings from the environment: secret key, cookies, upload limits, Redis."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from backend.config import var_dir

MAX_UPLOAD_BYTES = 60 * 1024 * 1024  # whole request: a few photos and one short video


def secret_key() -> str:
    """`IOC_SECRET_KEY`, or a random key kept in var/ so every worker on the machine shares it."""
    configured = os.environ.get("IOC_SECRET_KEY")
    if configured:
        return configured
    path = Path(var_dir()) / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def redis_url() -> str | None:
    return os.environ.get("REDIS_URL") or None


def flask_config() -> dict:
    """Cookie flags per TESTPLAN 24-25: HttpOnly, SameSite, Secure behind HTTPS.

    `IOC_SUBMIT_RATE` (a flask-limiter string such as "30 per minute", per client address)
    overrides the citizens' submission limit; unset, the API's default applies.
    """
    config = {
        "SECRET_KEY": secret_key(),
        "SESSION_COOKIE_NAME": "ioc_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": os.environ.get("IOC_COOKIE_SECURE", "0") == "1",
        "MAX_CONTENT_LENGTH": int(os.environ.get("IOC_MAX_UPLOAD_BYTES", MAX_UPLOAD_BYTES)),
        "RATELIMIT_STORAGE_URI": redis_url() or "ioc-memory://",  # extensions.SweptMemoryStorage
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_STORAGE_OPTIONS": {"socket_timeout": 0.2, "socket_connect_timeout": 0.2},
        "RATELIMIT_HEADERS_ENABLED": True,
    }
    submit_rate = os.environ.get("IOC_SUBMIT_RATE", "").strip()
    if submit_rate:
        config["IOC_SUBMIT_RATE"] = submit_rate
    return config

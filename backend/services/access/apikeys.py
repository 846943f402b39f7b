"""API keys for software that submits reports through Open311 (D12.2).

A key is shown once, at creation; the database keeps only its SHA-256 and a short prefix that
lets operators tell keys apart (and revoke one) without ever seeing a key again.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime

from sqlalchemy import select

from backend.services.errors import ValidationError
from backend.storage.db import session_factory
from backend.storage.models import ApiKey

KEY_PREFIX = "ioc_"
KEY_LENGTH = len(KEY_PREFIX) + 32  # token_urlsafe(24) is exactly 32 url-safe characters
SHOWN_PREFIX = 12  # `ioc_` + 8 characters: enough to recognise a key, useless to guess it
MAX_NAME = 100


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def create_api_key(name: str, url: str | None = None) -> str:
    """Store a new active key for `name` and return the key itself (it is never shown again)."""
    name = (name or "").strip()
    if not name:
        raise ValidationError("name", "Tên khóa API không được để trống.")
    if len(name) > MAX_NAME:
        raise ValidationError("name", f"Tên khóa API dài quá {MAX_NAME} ký tự.")
    raw = KEY_PREFIX + secrets.token_urlsafe(24)
    with session_factory(url)() as session, session.begin():
        session.add(ApiKey(name=name, key_hash=_digest(raw), prefix=raw[:SHOWN_PREFIX],
                           active=True, created_at=datetime.now(UTC)))
    return raw


def check_api_key(raw: str | None, url: str | None = None) -> ApiKey | None:
    """The active key matching `raw`, or None (missing, malformed, unknown or revoked)."""
    if not raw or len(raw) != KEY_LENGTH or not raw.startswith(KEY_PREFIX):
        return None
    digest = _digest(raw)
    with session_factory(url)() as session:
        key = session.scalar(select(ApiKey).where(ApiKey.key_hash == digest))
    if key is None or not key.active or not hmac.compare_digest(key.key_hash, digest):
        return None
    return key


def list_api_keys(url: str | None = None) -> list[ApiKey]:
    """Every key (active or revoked), oldest first; hashes stay in the database."""
    with session_factory(url)() as session:
        return list(session.scalars(select(ApiKey).order_by(ApiKey.id)))


def revoke_api_key(prefix: str, url: str | None = None) -> ApiKey:
    """Deactivate the one key whose shown prefix is `prefix`."""
    prefix = (prefix or "").strip()
    with session_factory(url)() as session, session.begin():
        keys = list(session.scalars(select(ApiKey).where(ApiKey.prefix == prefix)))
        if len(keys) != 1:
            raise ValidationError(
                "prefix", f"Không tìm thấy đúng một khóa API có tiền tố '{prefix}'.")
        keys[0].active = False
        return keys[0]

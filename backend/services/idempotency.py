"""Idempotency-Key for submissions (IETF draft-ietf-httpapi-idempotency-key-header-07).

A key is claimed in its own short transaction before any work, then completed in the same
transaction as the report it created. So: a retry after a lost answer replays the first answer
(201, same body) and creates nothing; the same key with another body is 422; a retry while the
first is still running is 409. A claim left behind by a crash expires after `STALE_AFTER` and
may then be taken over. Keys are kept for the life of the report (rural phones retry for days).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.domain.workflow import WorkflowError
from backend.storage.db import session_factory
from backend.storage.models import IdempotencyKey

STALE_AFTER = timedelta(seconds=60)
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


class KeyMissing(WorkflowError):
    http_status = 400

    def __init__(self) -> None:
        super().__init__("idempotency_key_required",
                         "Thiếu tiêu đề Idempotency-Key (nên là một UUID tạo khi bắt đầu soạn phản ánh).",
                         "Idempotency-Key")


class KeyInvalid(WorkflowError):
    http_status = 400

    def __init__(self) -> None:
        super().__init__("idempotency_key_invalid",
                         "Idempotency-Key phải gồm 1-255 ký tự ASCII in được.", "Idempotency-Key")


class KeyReused(WorkflowError):
    """422: the key was used before with a different request."""

    http_status = 422

    def __init__(self) -> None:
        super().__init__("idempotency_key_reused",
                         "Idempotency-Key này đã được dùng cho một phản ánh khác.", "Idempotency-Key")


class KeyInFlight(WorkflowError):
    """409: the first request with this key is still being processed."""

    http_status = 409

    def __init__(self) -> None:
        super().__init__("idempotency_key_in_flight",
                         "Phản ánh với Idempotency-Key này đang được xử lý; vui lòng thử lại sau ít giây.",
                         "Idempotency-Key")


@dataclass(frozen=True)
class Replay:
    status: int
    body: dict[str, Any]


def parse_key(header: str | None) -> str:
    """The key as sent (a Structured-Header string may come quoted)."""
    if header is None or not header.strip():
        raise KeyMissing()
    key = header.strip()
    if len(key) >= 2 and key[0] == key[-1] == '"':
        key = key[1:-1]
    if not _KEY.match(key):
        raise KeyInvalid()
    return key


def fingerprint(canonical: dict[str, Any], media_hashes: list[str]) -> str:
    """SHA-256 of the canonical request and its media, to tell a retry from a different request."""
    blob = json.dumps({"fields": canonical, "media": sorted(media_hashes)}, sort_keys=True,
                      ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


def claim(key: str, print_: str, now: datetime, url: str | None = None) -> Replay | None:
    """Claim the key for this request, or say what the earlier request with it decided."""
    factory = session_factory(url)
    try:
        with factory() as session, session.begin():
            session.add(IdempotencyKey(key=key, fingerprint=print_, state="processing",
                                       created_at=now, updated_at=now))
        return None
    except IntegrityError:
        pass
    with factory() as session, session.begin():
        row = session.get(IdempotencyKey, key)
        if row is None:  # released meanwhile: try once more
            session.add(IdempotencyKey(key=key, fingerprint=print_, state="processing",
                                       created_at=now, updated_at=now))
            return None
        if row.fingerprint != print_:
            raise KeyReused()
        if row.state == "done":
            return Replay(row.response_status or 201, json.loads(row.response_body or "{}"))
        if now - row.updated_at < STALE_AFTER:
            raise KeyInFlight()
        taken = session.execute(  # a crashed first attempt: take the claim over, exactly once
            update(IdempotencyKey).where(IdempotencyKey.key == key,
                                         IdempotencyKey.updated_at == row.updated_at)
            .values(updated_at=now))
        if taken.rowcount != 1:
            raise KeyInFlight()
        return None


def complete(session: Session, key: str, report_id: int, status: int, body: dict[str, Any],
             now: datetime) -> None:
    """Record the answer in the report's own transaction."""
    session.execute(update(IdempotencyKey).where(IdempotencyKey.key == key).values(
        state="done", report_id=report_id, response_status=status,
        response_body=json.dumps(body, ensure_ascii=False), updated_at=now))


def release(key: str, url: str | None = None) -> None:
    """Give the key back after a refusal, so the corrected request can use it."""
    with session_factory(url)() as session, session.begin():
        session.execute(delete(IdempotencyKey).where(IdempotencyKey.key == key,
                                                     IdempotencyKey.state == "processing"))


def find(session: Session, key: str) -> IdempotencyKey | None:
    return session.scalar(select(IdempotencyKey).where(IdempotencyKey.key == key))

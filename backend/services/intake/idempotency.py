"""Idempotency-Key for submissions (IETF draft-ietf-httpapi-idempotency-key-header-07).

The promise, on both databases: a retry after a lost answer replays the first answer (201, same
body) and creates nothing; the same key with another body is 422; a retry while the first is
still running is 409; a 201 is only ever sent after the commit. Keys are kept for the life of the
report (rural phones retry for days).

How it is kept depends on the database (docs/decisions.md, "Idempotency-Key"):

- PostgreSQL (`record`): the key row is written, already answered, as the last write of the
  report's own transaction (`INSERT ... ON CONFLICT DO NOTHING`). A concurrent request with the
  same key waits on the unique index for the first's commit and then finds its answer (replay),
  or, if the first has not committed within `IN_FLIGHT_WAIT`, gets 409 (`lock_timeout`). One
  transaction, one commit per submission; a crash rolls key and report back together.
- SQLite (`claim` + `complete`): a writer waiting on the database lock cannot be told from a
  duplicate, so the key is claimed (`processing`) in its own short transaction first, and
  completed in the report's transaction. A claim left behind by a crash expires after
  `STALE_AFTER` and may then be taken over (`record` takes such a claim over too).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from backend.domain.workflow import WorkflowError
from backend.storage.db import session_factory
from backend.storage.models import IdempotencyKey, UTCDateTime

STALE_AFTER = timedelta(seconds=60)
IN_FLIGHT_WAIT = timedelta(milliseconds=500)  # PostgreSQL: wait this long for the first's commit
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL: lock_timeout expired
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


class Answered(Exception):  # noqa: N818 - not an error: the outcome of an earlier request
    """Raised inside the report's transaction (PostgreSQL) when the key was answered already:
    the transaction rolls back and the caller replays `replay`."""

    def __init__(self, replay: Replay) -> None:
        super().__init__(replay.status)
        self.replay = replay


def kept_with_report(session_or_dialect: Session | str) -> bool:
    """True when the key is kept in the report's own transaction (`record`): PostgreSQL."""
    name = (session_or_dialect if isinstance(session_or_dialect, str)
            else session_or_dialect.get_bind().dialect.name)
    return name == "postgresql"


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
    """SQLite: claim the key for this request in its own transaction, or say what the earlier
    request with it decided."""
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


def record(session: Session, key: str, print_: str, report_id: int, status: int,
           body: dict[str, Any], now: datetime) -> None:
    """PostgreSQL: store the key with its answer as the last write of the report's transaction.

    Raises `Answered` (replay the earlier answer), `KeyReused` (422) or `KeyInFlight` (409);
    each of them rolls the whole transaction back, the report with it.
    """
    connection = session.connection()  # the key refers only to the report, already flushed
    try:
        inserted = connection.exec_driver_sql(_RECORD, {
            "key": key, "fingerprint": print_, "report_id": report_id, "status": status,
            "body": _dump(body), "now": _UTC_BIND(now)})
        if inserted.rowcount == 1:
            return
        table = IdempotencyKey.__table__
        row = connection.execute(select(table.c.fingerprint, table.c.state,
                                        table.c.response_status, table.c.response_body,
                                        table.c.updated_at)
                                 .where(table.c.key == key).with_for_update()).one()
    except OperationalError as exc:
        if getattr(exc.orig, "pgcode", None) == LOCK_NOT_AVAILABLE:
            raise KeyInFlight() from exc
        raise
    if row.fingerprint != print_:
        raise KeyReused()
    if row.state == "done":
        raise Answered(Replay(row.response_status or 201, json.loads(row.response_body or "{}")))
    if now - row.updated_at < STALE_AFTER:
        raise KeyInFlight()
    # a claim (SQLite-style, `processing`) whose request never finished: ours now, answered
    connection.execute(update(table).where(table.c.key == key).values(
        state="done", report_id=report_id, response_status=status, response_body=_dump(body),
        updated_at=now))


# One round trip, sent as it is (psycopg2 parameters): this transaction's lock_timeout (how long
# a duplicate waits for the first request's commit), then the key, unless it exists (rowcount 0).
_RECORD = (
    f"SET LOCAL lock_timeout = {int(IN_FLIGHT_WAIT.total_seconds() * 1000)}; "
    "INSERT INTO idempotency_keys (key, fingerprint, state, report_id, response_status, "
    "response_body, created_at, updated_at) VALUES (%(key)s, %(fingerprint)s, 'done', "
    "%(report_id)s, %(status)s, %(body)s, %(now)s, %(now)s) ON CONFLICT (key) DO NOTHING"
)
_UTC_BIND = UTCDateTime().bind_processor(postgresql.psycopg2.dialect()) or (lambda value: value)


def _dump(body: dict[str, Any]) -> str:
    return json.dumps(body, ensure_ascii=False)


def complete(session: Session, key: str, report_id: int, status: int, body: dict[str, Any],
             now: datetime) -> None:
    """SQLite: record the answer for the key claimed by `claim`, in the report's transaction."""
    table = IdempotencyKey.__table__
    session.execute(update(table).where(table.c.key == key).values(
        state="done", report_id=report_id, response_status=status, response_body=_dump(body),
        updated_at=now))


def release(key: str, url: str | None = None) -> None:
    """Give the key back after a refusal, so the corrected request can use it."""
    with session_factory(url)() as session, session.begin():
        session.execute(delete(IdempotencyKey).where(IdempotencyKey.key == key,
                                                     IdempotencyKey.state == "processing"))


def find(session: Session, key: str) -> IdempotencyKey | None:
    return session.scalar(select(IdempotencyKey).where(IdempotencyKey.key == key))

"""The tamper-evident event log (D3.8): append, hash-chain and verify.

Each stream (a report's code, or `system`) is a chain: event n stores the SHA-256 of its own
canonical content together with the hash of event n-1. A report row keeps the head of its chain
(`last_event_hash`, `event_seq`), the `system` stream's head is a `stream_heads` row, so removing
the newest events is caught too. An event's `report_id` must be the report its stream names.
Chains are per stream rather than global so that concurrent work on different reports never
serialises.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from backend.storage.models import Event, Report, StreamHead

SYSTEM_STREAM = "system"


def canonical_json(data: Mapping[str, Any] | None) -> str | None:
    """Stable JSON for hashing and storage: sorted keys, no spaces, UTF-8 kept."""
    if not data:
        return None
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def format_instant(at: datetime) -> str:
    """The instant as it enters the hash: UTC, microsecond precision, fixed format."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_hash(
    stream: str,
    seq: int,
    at: datetime,
    actor: str,
    role: str,
    action: str,
    from_state: str | None,
    to_state: str | None,
    note: str | None,
    data: str | None,
    prev_hash: str | None,
) -> str:
    """SHA-256 over the event's fields joined by a separator that cannot appear in them."""
    parts = (
        stream, str(seq), format_instant(at), actor, role, action,
        from_state or "", to_state or "", note or "", data or "", prev_hash or "",
    )
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def append_report_event(
    session: Session,
    report: Report,
    *,
    at: datetime,
    actor: str,
    role: str,
    action: str,
    from_state: str | None,
    to_state: str | None,
    note: str | None = None,
    data: Mapping[str, Any] | None = None,
) -> Event:
    """Add the next event of a report's chain; the report's version lock serialises writers."""
    seq = (report.event_seq or 0) + 1
    payload = canonical_json(data)
    digest = event_hash(report.code, seq, at, actor, role, action, from_state, to_state,
                        note, payload, report.last_event_hash)
    event = Event(
        stream=report.code, seq=seq, report_id=report.id, at=at, actor=actor, role=role,
        action=action, from_state=from_state, to_state=to_state, note=note, data=payload,
        prev_hash=report.last_event_hash, hash=digest,
    )
    report.event_seq = seq
    report.last_event_hash = digest
    session.add(event)
    return event


def append_system_event(
    session: Session, *, at: datetime, actor: str, role: str, action: str,
    note: str | None = None, data: Mapping[str, Any] | None = None,
) -> Event:
    """Record an administrative change; a concurrent writer loses on UNIQUE(stream, seq)."""
    last = session.execute(
        select(Event.seq, Event.hash).where(Event.stream == SYSTEM_STREAM)
        .order_by(Event.seq.desc()).limit(1)
    ).first()
    seq, prev = (last.seq + 1, last.hash) if last else (1, None)
    payload = canonical_json(data)
    event = Event(
        stream=SYSTEM_STREAM, seq=seq, report_id=None, at=at, actor=actor, role=role,
        action=action, from_state=None, to_state=None, note=note, data=payload, prev_hash=prev,
        hash=event_hash(SYSTEM_STREAM, seq, at, actor, role, action, None, None, note, payload, prev),
    )
    session.add(event)
    head = session.get(StreamHead, SYSTEM_STREAM)
    if head is None:
        session.add(StreamHead(stream=SYSTEM_STREAM, seq=seq, hash=event.hash))
    else:
        head.seq, head.hash = seq, event.hash
    return event


@dataclass
class ChainReport:
    """What `ioc audit verify` found."""

    events: int = 0
    streams: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _events_in_order(session: Session, batch: int) -> Iterator:
    """Plain rows, not ORM objects: verifying millions of events should cost hashing, not mapping."""
    query = select(
        Event.stream, Event.seq, Event.at, Event.actor, Event.role, Event.action,
        Event.from_state, Event.to_state, Event.note, Event.data, Event.prev_hash, Event.hash,
    ).order_by(Event.stream, Event.seq).execution_options(yield_per=batch)
    yield from session.execute(query)


def verify_chains(session: Session, batch: int = 20_000, max_problems: int = 50) -> ChainReport:
    """Recompute every chain and compare with what is stored; report the first problems found."""
    result = ChainReport()
    heads: dict[str, tuple[int, str]] = {}
    stream, prev_hash, expected_seq = None, None, 1
    for event in _events_in_order(session, batch):
        result.events += 1
        if event.stream != stream:
            if stream is not None:
                heads[stream] = (expected_seq - 1, prev_hash)
            stream, prev_hash, expected_seq = event.stream, None, 1
            result.streams += 1
        problem = None
        if event.seq != expected_seq:
            problem = f"{event.stream}: thiếu sự kiện trước số {event.seq} (mong đợi {expected_seq})"
        elif event.prev_hash != prev_hash:
            problem = f"{event.stream}#{event.seq}: liên kết với sự kiện trước bị sai"
        else:
            digest = event_hash(event.stream, event.seq, event.at, event.actor, event.role,
                                event.action, event.from_state, event.to_state, event.note,
                                event.data, event.prev_hash)
            if digest != event.hash:
                problem = f"{event.stream}#{event.seq}: nội dung đã bị sửa (hash không khớp)"
        if problem and len(result.problems) < max_problems:
            result.problems.append(problem)
        prev_hash, expected_seq = event.hash, event.seq + 1
    if stream is not None:
        heads[stream] = (expected_seq - 1, prev_hash)
    _check_report_heads(session, heads, result, max_problems)
    _check_stream_heads(session, heads, result, max_problems)
    _check_report_links(session, result, max_problems)
    return result


def _check_stream_heads(
    session: Session, heads: dict[str, tuple[int, str]], result: ChainReport, max_problems: int
) -> None:
    """The `system` stream's stored head must be its last event (catches cut-off tails)."""
    stored = {row.stream: (row.seq, row.hash) for row in session.scalars(select(StreamHead))}
    for stream in sorted({SYSTEM_STREAM, *stored}):
        found, kept = heads.get(stream, (0, None)), stored.get(stream, (0, None))
        if found != kept and len(result.problems) < max_problems:
            result.problems.append(
                f"{stream}: đầu chuỗi đã lưu (#{kept[0]}) không khớp sự kiện cuối (#{found[0]})")


def _check_report_links(session: Session, result: ChainReport, max_problems: int) -> None:
    """An event of a report's stream must point at that report (and a system event at none):
    `report_id` is not under the hash, so moving a step to another report is caught here."""
    rows = session.execute(
        select(Event.stream, Event.seq)
        .outerjoin(Report, Report.id == Event.report_id)
        .where(or_(
            and_(Event.stream == SYSTEM_STREAM, Event.report_id.is_not(None)),
            and_(Event.stream != SYSTEM_STREAM,
                 or_(Report.code.is_(None), Report.code != Event.stream))))
        .limit(max_problems)  # no ORDER BY: a merge join, far faster than the ordered
    )                         # nested loop (docs/benchmarks.md, "Figures behind the code")
    for stream, seq in sorted(rows):
        if len(result.problems) < max_problems:
            result.problems.append(f"{stream}#{seq}: sự kiện bị gắn sang phản ánh khác")


def _check_report_heads(
    session: Session, heads: dict[str, tuple[int, str]], result: ChainReport, max_problems: int
) -> None:
    """A report's stored head must be the last event of its chain (catches cut-off tails)."""
    rows = session.execute(
        select(Report.code, Report.event_seq, Report.last_event_hash)
        .execution_options(yield_per=50_000)
    )
    for code, seq, head in rows:
        found = heads.get(code, (0, None))
        if (seq or 0, head) != found and len(result.problems) < max_problems:
            result.problems.append(
                f"{code}: đầu chuỗi lưu trên phản ánh (#{seq}) không khớp sự kiện cuối (#{found[0]})"
            )

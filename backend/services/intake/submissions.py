"""A citizen's submission end to end: validate, keep the media, create once, answer once.

The 201 answer is produced only after the commit, and the same answer is replayed for a retry
with the same Idempotency-Key (TESTPLAN 13, "Durability"); on PostgreSQL the key is written in
the report's own transaction, on SQLite claimed just before it (`idempotency`). Media is written before the
transaction and removed again if the transaction fails, so nothing is orphaned (TESTPLAN 17).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from backend.config import LOCAL_TZ as LOCAL
from backend.domain.workflow import STATE_LABELS_VI, State
from backend.services.clocks import now_utc
from backend.services.errors import ValidationError
from backend.services.intake import idempotency, media
from backend.services.intake.submit import NewReport, submit_report
from backend.services.intake.validation import CONSENT_VERSION, parse_submission
from backend.services.places.lookup import locate
from backend.storage.db import engine_for
from backend.storage.models import Attachment, Report

MAX_PHOTOS = 5
MAX_VIDEOS = 1


@dataclass(frozen=True)
class Upload:
    """One file of a multipart submission."""

    kind: str  # photo / video
    data: bytes
    filename: str | None


def receipt(report: Report) -> dict[str, Any]:
    """The 201 body: what the citizen needs to follow the report, nothing personal."""
    return {
        "code": report.code,
        "state": report.state,
        "state_label": STATE_LABELS_VI[State(report.state)],
        "submitted_at": report.submitted_at.astimezone(LOCAL).isoformat(),
        "track_url": f"/api/v1/track/{report.code}",
        "message": f"Đã nhận phản ánh. Mã tra cứu của bạn là {report.code}.",
    }


def submit_citizen_report(
    data: Mapping[str, Any],
    uploads: Sequence[Upload],
    idempotency_header: str | None,
    *,
    default_channel: str = "api",
    now: datetime | None = None,
    url: str | None = None,
) -> tuple[int, dict[str, Any]]:
    """Returns (HTTP status, body): 201 for a new report or a replayed retry."""
    now = now or now_utc()
    key = idempotency.parse_key(idempotency_header)
    submission = parse_submission(data, now, default_channel)
    place = locate(submission.lon, submission.lat)  # refuse an outside point before any work
    _check_counts(uploads)
    stored: list[media.StoredMedia] = []
    try:  # a later file refused (413/415/422) must not leave the earlier ones behind
        for upload in uploads:
            stored.append(media.store_upload(upload.data, upload.filename, upload.kind))
    except BaseException:
        _discard(stored)
        raise
    with_report = idempotency.kept_with_report(engine_for(url).dialect.name)
    try:
        fingerprint = idempotency.fingerprint(submission.canonical(), [m.sha256 for m in stored])
        replay = None if with_report else idempotency.claim(key, fingerprint, now, url)
    except BaseException:
        _discard(stored)
        raise
    if replay is not None:
        _discard(stored)  # the first request's files are the ones kept
        return replay.status, replay.body
    answer: dict[str, Any] = {}

    def within(session: Session, report: Report) -> None:
        for item in stored:
            session.add(Attachment(
                report_id=report.id, kind=item.kind, content_type=item.content_type,
                original_name=item.original_name, stored_name=item.stored_name,
                public_name=item.public_name, size=item.size, sha256=item.sha256, created_at=now))
        answer.update(receipt(report))
        if with_report:  # PostgreSQL: the key is written here, with the report, or not at all
            idempotency.record(session, key, fingerprint, report.id, 201, answer, now)
        else:
            idempotency.complete(session, key, report.id, 201, answer, now)

    try:
        submit_report(NewReport(
            description=submission.description, lat=submission.lat, lon=submission.lon,
            address=submission.address, incident_at=submission.incident_at,
            reporter_name=submission.name, reporter_phone=submission.phone,
            reporter_email=submission.email, confidential=submission.confidential,
            emergency=submission.emergency, channel=submission.channel,
            consent_version=CONSENT_VERSION,
        ), now=now, url=url, within=within, place=place)
    except idempotency.Answered as earlier:  # rolled back: the key's first request is the one kept
        _discard(stored)
        return earlier.replay.status, earlier.replay.body
    except BaseException:
        _discard(stored)
        if not with_report:
            _release_quietly(key, url)
        raise
    return 201, answer


def _check_counts(uploads: Sequence[Upload]) -> None:
    photos = sum(1 for u in uploads if u.kind == "photo")
    videos = sum(1 for u in uploads if u.kind == "video")
    if photos > MAX_PHOTOS:
        raise ValidationError("photos", f"Tối đa {MAX_PHOTOS} ảnh cho một phản ánh.")
    if videos > MAX_VIDEOS:
        raise ValidationError("videos", f"Tối đa {MAX_VIDEOS} video cho một phản ánh.")


def _discard(stored: list) -> None:
    for item in stored:
        media.discard(item)


def _release_quietly(key: str, url: str | None) -> None:
    # the database may be down; the claim then goes stale and a later retry takes it over
    with contextlib.suppress(Exception):
        idempotency.release(key, url)

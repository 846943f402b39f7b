"""Submitting a report (D5, D6.1): one transaction that stores it with its tracking code, its
intake clocks (D6.2) and the first event of its hash chain, whatever the channel.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from sqlalchemy import Executable, func, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from backend import vietnamese as vn
from backend.domain.roles import Role
from backend.domain.stages import current_stage
from backend.domain.workflow import State
from backend.services import audit
from backend.services.clocks import (
    Clocks,
    clocks_from_texts,
    clocks_in,
    now_utc,
    overrides_text,
    settings_text,
)
from backend.services.errors import ValidationError
from backend.services.intake.validation import MAX_DESCRIPTION
from backend.services.notifications import outbox
from backend.services.places.lookup import locate, place_columns
from backend.storage.db import session_factory
from backend.storage.fast_insert import insert_new_report
from backend.storage.models import Report
from geo import Location

INTAKE_CHANNELS = ("app", "portal", "open311", "api", "hotline")  # every way a report arrives


INTAKE_STAGE = "verify"  # the stage on the clock when a report arrives (`submitted`)


assert current_stage(State.SUBMITTED) == INTAKE_STAGE


def tracking_code(report_id: int, submitted_at: datetime) -> str:
    """`PA-<year>-<id>`: unique without a shared counter, so submissions never queue on one row."""
    return f"PA-{submitted_at.astimezone(UTC).year}-{report_id:06d}"


@dataclass(frozen=True)
class NewReport:
    """What a citizen sends (D5): content, place and time, identity, the secrecy request."""

    description: str
    lat: float
    lon: float
    address: str | None = None
    incident_at: datetime | None = None
    reporter_name: str | None = None
    reporter_phone: str | None = None
    reporter_email: str | None = None
    confidential: bool = False
    emergency: bool = False
    channel: str = "portal"
    consent_version: str | None = None  # the consent text the reporter agreed to (Law 91/2025)


def _intake_start(session: Session) -> tuple[int | None, Clocks]:
    """A new report's id and the clocks, read at the start of its transaction.

    PostgreSQL: the id comes from the table's sequence together with the override list and the
    administrator's budgets and seasons, in one
    round trip, so the report is inserted once with its final code and chain head. SQLite has no
    sequence: (None, clocks), and the id comes from the INSERT.
    """
    if session.get_bind().dialect.name != "postgresql":
        return None, clocks_in(session)
    connection = session.connection()
    statement = _NEXT_ID_AND_OVERRIDES()
    result = (connection.exec_driver_sql(statement) if isinstance(statement, str)
              else connection.execute(statement))
    report_id, overrides, text = result.one()
    return report_id, clocks_from_texts(overrides, text)


@lru_cache(maxsize=1)
def _NEXT_ID_AND_OVERRIDES() -> Executable | str:  # noqa: N802 - a constant, built on first use
    """Compiled once with its literals inline when that is plain SQL (sent as it is): the same
    statement, without compiling and binding it again on every submission (its cost: docs/benchmarks.md)."""
    statement = select(func.nextval(func.pg_get_serial_sequence("reports", "id")),
                       overrides_text(), settings_text())
    sql = str(statement.compile(dialect=postgresql.dialect(),
                                compile_kwargs={"literal_binds": True}))
    return statement if "%" in sql else sql  # no parameters: '%' must not reach the driver


def submit_report(
    new: NewReport,
    *,
    now: datetime | None = None,
    url: str | None = None,
    within: Callable[[Session, Report], None] | None = None,
    place: Location | None = None,
) -> Report:
    """Store a citizen's report and start its verify and forward clocks (D4.2: any time, 24/7).

    `within` runs inside the same transaction once the report has its code (attachments, the
    idempotency record, notifications): all of it commits together or not at all. `place` is
    `locate(new.lon, new.lat)` when the caller has already looked it up (it is not repeated).
    """
    now = now or now_utc()
    description = vn.clean(new.description)
    if not description:
        raise ValidationError("description", "Nội dung phản ánh không được để trống.")
    if len(description) > MAX_DESCRIPTION:
        raise ValidationError("description", f"Nội dung phản ánh dài quá {MAX_DESCRIPTION} ký tự.")
    if new.channel not in INTAKE_CHANNELS:
        raise ValidationError("channel", "Kênh gửi phản ánh không hợp lệ.")
    place = place or locate(new.lon, new.lat)
    with session_factory(url)() as session, session.begin():
        report_id, clocks = _intake_start(session)
        report = Report(
            id=report_id,
            code=(tracking_code(report_id, now) if report_id is not None
                  else f"TMP-{uuid.uuid4().hex[:16]}"),
            channel=new.channel, submitted_at=now,
            incident_at=new.incident_at, description=description,
            address=vn.clean(new.address), lat=new.lat, lon=new.lon,
            **place_columns(place, now),
            reporter_name=vn.clean(new.reporter_name),
            reporter_phone=vn.clean(new.reporter_phone),
            reporter_email=vn.clean(new.reporter_email),
            confidential=new.confidential, state_secret=False, emergency=new.emergency,
            state=State.SUBMITTED.value, updated_at=now, event_seq=0, version=1,
            consent_at=now if new.consent_version else None, consent_version=new.consent_version,
        )
        report.verify_start = report.forward_start = now
        report.verify_due, report.forward_due, verify_risk_at = clocks.intake(now, new.emergency)
        report.verify_done = report.forward_done = None
        report.stage, report.stage_due, report.stage_risk_at = (  # track_current_stage's, at once
            INTAKE_STAGE, report.verify_due, verify_risk_at)
        report.refresh_search_text()  # no insert hook (it would turn off the fast INSERT)
        if report_id is None:  # SQLite: the id (and so the code) comes with the INSERT
            session.add(report)
            session.flush()
            report.code = tracking_code(report.id, now)
        event = audit.append_report_event(
            session, report, at=now, actor="citizen", role=Role.CITIZEN.value, action="submit",
            from_state=None, to_state=State.SUBMITTED.value,
            data={"channel": new.channel, "confidential": new.confidential,
                  "emergency": new.emergency},
        )
        if report_id is not None:  # one INSERT with code and chain head; no UPDATE after it
            session.expunge(event)  # no relationship orders the two rows: the report goes first
            insert_new_report(session, report, event)
        outbox.enqueue_for_submission(session, report, now)
        if within is not None:
            within(session, report)
    return report



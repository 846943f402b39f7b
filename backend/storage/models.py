"""SQLAlchemy 2 models: the durable shape of reports, their history and the reference data.

Times are stored in UTC (`UTCDateTime`) and shown in Asia/Ho_Chi_Minh at the edges. The schema
itself is created only by Alembic migrations (`backend/storage/migrations`), never `create_all`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from backend.storage.textsearch import search_document

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out, on SQLite and PostgreSQL alike.

    A naive datetime is refused: every instant in this system must say which clock it is on.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):  # noqa: D102
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: store aware UTC instants")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):  # noqa: D102
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)




class Report(Base):
    """One phản ánh hiện trường, with its current state and per-stage clock (D5, D6-D10)."""

    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    channel: Mapped[str] = mapped_column(String(16))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    incident_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    description: Mapped[str] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(String(500))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    # the place: the commune-level unit of 1/7/2025 the point is in (its area comes from
    # admin_units.area_code, so an administrator's regrouping applies to every report at once)
    unit_code: Mapped[str | None] = mapped_column(String(8))
    # reports dated before 1/7/2025 also keep the former district and commune (else None)
    former_district_code: Mapped[str | None] = mapped_column(String(8))
    former_commune_code: Mapped[str | None] = mapped_column(String(8))
    reporter_name: Mapped[str | None] = mapped_column(String(200))
    reporter_phone: Mapped[str | None] = mapped_column(String(32))
    reporter_email: Mapped[str | None] = mapped_column(String(254))
    confidential: Mapped[bool] = mapped_column(Boolean, default=False)  # D5.4, D10.3
    state_secret: Mapped[bool] = mapped_column(Boolean, default=False)  # D10.4
    emergency: Mapped[bool] = mapped_column(Boolean, default=False)
    field_code: Mapped[str | None] = mapped_column(ForeignKey("fields.code"))
    agency_code: Mapped[str | None] = mapped_column(ForeignKey("agencies.code"))
    # D14.3: the subordinate unit the agency gave the report to; the agency keeps the deadline
    delegate_code: Mapped[str | None] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(24))
    version: Mapped[int] = mapped_column(Integer, default=1)

    verify_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    verify_due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    verify_done: Mapped[datetime | None] = mapped_column(UTCDateTime)
    forward_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    forward_due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    forward_done: Mapped[datetime | None] = mapped_column(UTCDateTime)
    process_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    process_due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    process_done: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approve_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approve_due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approve_done: Mapped[datetime | None] = mapped_column(UTCDateTime)
    publish_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    publish_due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    publish_done: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # the stage whose clock runs now, with its due and "at risk" instants (for queues and maps)
    stage: Mapped[str | None] = mapped_column(String(12))
    stage_due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    stage_risk_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    progress_notice_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    result_text: Mapped[str | None] = mapped_column(Text)
    result_by: Mapped[str | None] = mapped_column(String(64))
    answer_text: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rating: Mapped[str | None] = mapped_column(String(20))
    return_count: Mapped[int] = mapped_column(Integer, default=0)
    rework_count: Mapped[int] = mapped_column(Integer, default=0)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    escalation_count: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # Law 91/2025: explicit consent
    consent_version: Mapped[str | None] = mapped_column(String(16))
    # D13.2: the IOC handler who has taken the report (two never work one unknowingly)
    held_by: Mapped[str | None] = mapped_column(String(64))
    held_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    event_seq: Mapped[int] = mapped_column(Integer, default=0)
    last_event_hash: Mapped[str | None] = mapped_column(String(64))
    # code, description, address and answer folded for search (storage/textsearch.py)
    search_text: Mapped[str | None] = mapped_column(Text)

    attachments: Mapped[list[Attachment]] = relationship(back_populates="report")

    def refresh_search_text(self) -> None:
        """Fold the searchable fields again: an UPDATE does it (see below); whoever creates a
        report calls it (a `before_insert` hook would turn off the submission's fast INSERT,
        storage/fast_insert.py `insert_plan`)."""
        self.search_text = search_document(self.code, self.description, self.address,
                                           self.answer_text)

    # The service bumps `version` once per workflow step; the ORM adds WHERE version = old.
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}
    __table_args__ = (
        Index("ix_reports_state", "state"),
        Index("ix_reports_submitted_at", "submitted_at"),
        Index("ix_reports_agency_state", "agency_code", "state"),
        Index("ix_reports_unit", "unit_code"),
        Index("ix_reports_updated_at", "updated_at"),
        Index("ix_reports_stage_due", "stage_due"),
    )


class Event(Base):
    """Append-only history (D3.8): every step, who took it and why, hash-chained per stream.

    A stream is a report's code, or `system` for administrative changes. Each event carries the
    hash of the one before it in its stream; the database refuses UPDATE and DELETE (triggers).
    """

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    stream: Mapped[str] = mapped_column(String(32))
    seq: Mapped[int] = mapped_column(Integer)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(24))
    action: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str | None] = mapped_column(String(24))
    to_state: Mapped[str | None] = mapped_column(String(24))
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[str | None] = mapped_column(Text)  # canonical JSON of the step's parameters
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (
        UniqueConstraint("stream", "seq", name="uq_events_stream_seq"),
        Index("ix_events_report_id", "report_id"),
        Index("ix_events_at", "at"),
    )


class StreamHead(Base):
    """The last event of a stream that has no report row to keep its head (the `system`
    stream): `ioc audit verify` compares it with the chain, so cutting off the newest
    administrative changes is caught as it is for a report's steps."""

    __tablename__ = "stream_heads"

    stream: Mapped[str] = mapped_column(String(32), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


class Attachment(Base):
    """A photo or video's metadata; the bytes live on disk under the media folder."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # photo / video
    content_type: Mapped[str] = mapped_column(String(64))
    original_name: Mapped[str | None] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(128))
    public_name: Mapped[str | None] = mapped_column(String(128))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    report: Mapped[Report] = relationship(back_populates="attachments")


class Agency(Base):
    """A cơ quan xử lý with its two focal points (D14.1) and its own processing limit (D8)."""

    __tablename__ = "agencies"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    short_name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    unit_code: Mapped[str | None] = mapped_column(String(8))  # the unit a UBND xã/phường governs
    parent_code: Mapped[str | None] = mapped_column(String(32))  # D14.3: the department above
    process_minutes: Mapped[int] = mapped_column(Integer)
    leader_name: Mapped[str | None] = mapped_column(String(100))
    leader_title: Mapped[str | None] = mapped_column(String(100))
    handler_name: Mapped[str | None] = mapped_column(String(100))
    handler_title: Mapped[str | None] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class AgencyField(Base):
    """Which fields an agency answers for."""

    __tablename__ = "agency_fields"

    agency_code: Mapped[str] = mapped_column(ForeignKey("agencies.code"), primary_key=True)
    field_code: Mapped[str] = mapped_column(ForeignKey("fields.code"), primary_key=True)


class Field(Base):
    """A lĩnh vực the IOC accepts reports for (D13.4)."""

    __tablename__ = "fields"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    group_name: Mapped[str] = mapped_column(String(100))
    default_agency: Mapped[str] = mapped_column(String(32))
    description: Mapped[str | None] = mapped_column(Text)
    keywords: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class RoutingRule(Base):
    """Field (anywhere, in an area, or in one unit) → the agency suggested to the IOC handler."""

    __tablename__ = "routing_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    field_code: Mapped[str] = mapped_column(ForeignKey("fields.code"))
    area_code: Mapped[str | None] = mapped_column(String(32))
    unit_code: Mapped[str | None] = mapped_column(String(8))
    agency_code: Mapped[str] = mapped_column(ForeignKey("agencies.code"))
    priority: Mapped[int] = mapped_column(Integer, default=100)
    note: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (UniqueConstraint("field_code", "area_code", "unit_code", "agency_code",
                                       name="uq_routing_rules_field_place_agency"),)


class Area(Base):
    """A group of units for the wall, heatmaps and KPIs (by default a former district:
    data/areas.csv); which unit is in which is `AdminUnit.area_code`."""

    __tablename__ = "areas"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    full_name: Mapped[str] = mapped_column(String(200))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)


class UnitLayer(Base):
    """An official unit boundary layer taken by `ioc geo import` (the newest is in use; none
    means the shipped approximate polygons). Kept whole so every host reads the same."""

    __tablename__ = "unit_layers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source_name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    geojson: Mapped[str] = mapped_column(Text)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime)
    imported_by: Mapped[str] = mapped_column(String(64))


class AdminUnit(Base):
    """A unit of 1/7/2025 (level `unit`, with its area), or a former district or commune
    (levels `former_district`, `former_commune`, until 30/6/2025), with a label point."""

    __tablename__ = "admin_units"

    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    level: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    parent_code: Mapped[str | None] = mapped_column(String(8))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    population: Mapped[int | None] = mapped_column(Integer)
    area_code: Mapped[str | None] = mapped_column(String(32))


class User(Base):
    """A staff account; agency roles are tied to one agency."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(24))
    agency_code: Mapped[str | None] = mapped_column(ForeignKey("agencies.code"))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CalendarOverride(Base):
    """A day the Government declared off or working, on top of the holidays library."""

    __tablename__ = "calendar_overrides"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    working: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str | None] = mapped_column(Text)


class Feedback(Base):
    """A citizen's reply to the answer and/or rating (D11)."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    rating: Mapped[str | None] = mapped_column(String(20))
    reply: Mapped[str | None] = mapped_column(Text)


class Consultation(Base):
    """An agency asked for its opinion (D7.2c, D8 bước 3), and its answer once given."""

    __tablename__ = "consultations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), index=True)
    agency_code: Mapped[str] = mapped_column(ForeignKey("agencies.code"))
    asked_by: Mapped[str] = mapped_column(String(64))
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    question: Mapped[str | None] = mapped_column(Text)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[str | None] = mapped_column(String(64))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class IdempotencyKey(Base):
    """An Idempotency-Key seen on a submission (IETF draft-07): its body's fingerprint and answer.

    A key is `processing` from the moment it is claimed until the report and the answer are
    committed together; a retry then replays the same answer, whatever happened in between.
    """

    __tablename__ = "idempotency_keys"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(12))  # processing / done
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"))
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ApiKey(Base):
    """A key for software that submits through Open311 (D12.2); only its hash is stored."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OutboxMessage(Base):
    """A notification written with the state change that causes it, delivered afterwards."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"))
    kind: Mapped[str] = mapped_column(String(40))  # e.g. citizen.rejected, agency.forwarded
    channel: Mapped[str] = mapped_column(String(12))  # email / webhook
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str | None] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    payload: Mapped[str | None] = mapped_column(Text)  # JSON for webhooks
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending / sent / dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_outbox_status_next", "status", "next_attempt_at"),)


class IdentityGrant(Base):
    """The IOC let an agency see who reported (D13.3); never for a confidential report."""

    __tablename__ = "identity_grants"

    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), primary_key=True)
    agency_code: Mapped[str] = mapped_column(ForeignKey("agencies.code"), primary_key=True)
    granted_by: Mapped[str] = mapped_column(String(64))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AccessLog(Base):
    """Who read protected data (a reporter's identity) or was refused (TESTPLAN 19, 21, 27)."""

    __tablename__ = "access_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    username: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(24))
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"))
    what: Mapped[str] = mapped_column(String(40))  # view_identity / denied / ...
    detail: Mapped[str | None] = mapped_column(Text)
    client: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (Index("ix_access_log_at", "at"),)


class StaffSession(Base):
    """A signed-in staff session, held server-side so logout and disabling really end it."""

    __tablename__ = "staff_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AgencyFocalPoint(Base):
    """An agency's focal leader or handler (D14.1), chosen among the agency's own accounts.

    One row per agency and kind (`leader` / `handler`); the agency's `leader_name` and
    `handler_name` mirror the chosen person for the texts that print them.
    """

    __tablename__ = "agency_focal_points"

    agency_code: Mapped[str] = mapped_column(ForeignKey("agencies.code"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)  # leader / handler
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime)
    assigned_by: Mapped[str] = mapped_column(String(64))


class StageBudgetSetting(Base):
    """An administrator's stage budget, overriding that stage's numbers in `data/sla.toml`."""

    __tablename__ = "stage_budgets"

    stage: Mapped[str] = mapped_column(String(12), primary_key=True)
    minutes: Mapped[int] = mapped_column(Integer)  # working minutes
    emergency_minutes: Mapped[int] = mapped_column(Integer)  # clock minutes
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(64))


class WorkSeasonSetting(Base):
    """A working season (CALENDAR.md) as the administrator set it; while any row exists the
    rows replace the seasons of `data/calendar.toml`."""

    __tablename__ = "work_seasons"

    name: Mapped[str] = mapped_column(String(16), primary_key=True)  # summer / winter
    start: Mapped[str] = mapped_column(String(5))  # "15/4": day/month, inclusive
    end: Mapped[str] = mapped_column(String(5))
    shifts: Mapped[str] = mapped_column(String(200))  # JSON [["07:00","11:30"],["13:30","17:00"]]
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(64))


@event.listens_for(Report, "before_update")
def _fold_for_search(_mapper, _connection, report: Report) -> None:
    """Every change of a report keeps its search text in step with the fields it folds."""
    report.refresh_search_text()

"""Use cases on reports: submit one, and take one workflow step on one. One transaction each.

The rules of who may do what live in `backend.domain.workflow`; this module applies a decided
step to the stored report: the state, the per-stage clocks (D6.2, D7.1, D8, D9.2, D10.1), the
counters that the KPIs read, and one event in the report's hash chain.
"""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import numpy as np
from sqlalchemy import Dialect, Executable, Table, func, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.exc import StaleDataError

from backend.config import LOCAL_TZ as LOCAL
from backend.domain.sla import SlaPolicy
from backend.domain.stages import current_stage
from backend.domain.workflow import (
    ACTIONS,
    Actor,
    ReportFacts,
    Role,
    StaleVersion,
    State,
    decide,
)
from backend.domain.worktime import WorkCalendar, from_epoch_seconds
from backend.services import audit, holds, outbox
from backend.services.admin_settings import settings_from_text, settings_text, stored_settings
from backend.services.calendar import (
    calendar_from_session,
    calendar_from_text,
    overrides_text,
    sla_policy,
)
from backend.services.errors import NotFound, ValidationError
from backend.services.places import locate
from backend.services.templates import fill_reply
from backend.services.validation import MAX_DESCRIPTION
from backend.storage.db import session_factory
from backend.storage.models import Agency, Consultation, Feedback, Field, Report
from geo import Location

CHANNELS = ("app", "portal", "open311", "api", "hotline")
INTAKE_STAGE = "verify"  # the stage on the clock when a report arrives (`submitted`)
assert current_stage(State.SUBMITTED) == INTAKE_STAGE


def now_utc() -> datetime:
    return datetime.now(UTC)


def normalise_text(value: str | None) -> str | None:
    """NFC (D5.1: Vietnamese text), trimmed; empty becomes None."""
    if value is None:
        return None
    value = unicodedata.normalize("NFC", value).strip()
    return value or None


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


@dataclass(frozen=True)
class Clocks:
    """The calendar and budgets in force for one transaction."""

    calendar: WorkCalendar
    policy: SlaPolicy

    def due(self, stage: str, start: datetime, emergency: bool, minutes: int | None = None) -> datetime:
        """Deadline of a stage started at `start`; emergencies run on clock time (D6.2 … D10.1)."""
        budget = self.policy.budgets[stage]
        if emergency:
            return start + timedelta(minutes=budget.emergency_minutes)
        working = budget.minutes if minutes is None else min(minutes, budget.minutes)
        return self.calendar.deadline_one(start, working)

    def intake(self, start: datetime, emergency: bool) -> tuple[datetime, datetime, datetime]:
        """A report arriving at `start`: (verify due, forward due, instant verify is at risk).

        The same instants as `due` ×2 and `risk_at` on the verify stage, in one pass over the
        calendar: `elapsed(a, deadline(a, m)) == m` exactly (`WorkCalendar.elapsed`), so the
        verify stage's at-risk point is `deadline(a, int(m · at_risk))`.
        """
        if emergency:
            verify = self.due("verify", start, True)
            return verify, self.due("forward", start, True), self.risk_at(start, verify, True)
        verify_minutes = self.policy.budgets["verify"].minutes
        dues = self.calendar.deadline(start, np.array([
            verify_minutes, self.policy.budgets["forward"].minutes,
            int(float(verify_minutes) * self.policy.at_risk)]))
        verify, forward, risk = (from_epoch_seconds(int(value)) for value in dues.view(np.int64))
        return verify, forward, risk

    def risk_at(self, start: datetime, due: datetime, emergency: bool) -> datetime:
        """The instant `at_risk` of the stage's time is used (same rule as sla.stage_status)."""
        if emergency:
            return start + (due - start) * self.policy.at_risk
        total = self.calendar.elapsed_one(start, due)
        return self.calendar.deadline_one(start, int(total * self.policy.at_risk))


def track_current_stage(report: Report, clocks: Clocks) -> None:
    """Keep `stage`, `stage_due` and `stage_risk_at` in step with the state (queues and maps)."""
    stage = current_stage(report.state)
    start = getattr(report, f"{stage}_start") if stage else None
    due = getattr(report, f"{stage}_due") if stage else None
    if stage is None or start is None or due is None:
        report.stage = report.stage_due = report.stage_risk_at = None
        return
    report.stage, report.stage_due = stage, due
    report.stage_risk_at = clocks.risk_at(start, due, report.emergency)


def _clocks(session: Session) -> Clocks:
    """The calendar and stage budgets with the administrator's settings (D13.4), read in this
    transaction so every worker sees a change at once (one round trip on PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        overrides, text = session.execute(_OVERRIDES_AND_SETTINGS()).one()
        settings = settings_from_text(text)
        return Clocks(calendar_from_text(overrides, settings.seasons), sla_policy(settings))
    settings = stored_settings(session)
    return Clocks(calendar_from_session(session, settings), sla_policy(settings))


@lru_cache(maxsize=1)
def _OVERRIDES_AND_SETTINGS() -> Executable:  # noqa: N802 - a constant, built on first use
    return select(overrides_text(), settings_text())


def _intake_start(session: Session) -> tuple[int | None, Clocks]:
    """A new report's id and the clocks, read at the start of its transaction.

    PostgreSQL: the id comes from the table's sequence together with the override list and the
    administrator's budgets and seasons, in one
    round trip, so the report is inserted once with its final code and chain head. SQLite has no
    sequence: (None, clocks), and the id comes from the INSERT.
    """
    if session.get_bind().dialect.name != "postgresql":
        return None, _clocks(session)
    connection = session.connection()
    statement = _NEXT_ID_AND_OVERRIDES()
    result = (connection.exec_driver_sql(statement) if isinstance(statement, str)
              else connection.execute(statement))
    report_id, overrides, text = result.one()
    settings = settings_from_text(text)
    return report_id, Clocks(calendar_from_text(overrides, settings.seasons), sla_policy(settings))


@lru_cache(maxsize=1)
def _NEXT_ID_AND_OVERRIDES() -> Executable | str:  # noqa: N802 - a constant, built on first use
    """Compiled once with its literals inline when that is plain SQL (sent as it is): the same
    statement, without compiling and binding it again on every submission (~60 µs each)."""
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
    description = normalise_text(new.description)
    if not description:
        raise ValidationError("description", "Nội dung phản ánh không được để trống.")
    if len(description) > MAX_DESCRIPTION:
        raise ValidationError("description", f"Nội dung phản ánh dài quá {MAX_DESCRIPTION} ký tự.")
    if new.channel not in CHANNELS:
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
            address=normalise_text(new.address), lat=new.lat, lon=new.lon,
            district_code=place.district_code, commune_code=place.commune_code,
            unit_2025_code=place.unit_2025_code,
            reporter_name=normalise_text(new.reporter_name),
            reporter_phone=normalise_text(new.reporter_phone),
            reporter_email=normalise_text(new.reporter_email),
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
            _insert_new_report(session, report, event)
        outbox.enqueue_for_submission(session, report, now)
        if within is not None:
            within(session, report)
    return report


@dataclass(frozen=True)
class _InsertPlan:
    """How to INSERT a model's new row exactly as a flush would, without the unit of work."""

    table: Table
    key: str | None  # the autoincrement key's attribute (left to the database when not set)
    columns: tuple[tuple[str, Any, Callable[[Any], Any] | None], ...]  # attribute, default, bind


@lru_cache(maxsize=8)
def _insert_plan(model: type, dialect: Dialect) -> _InsertPlan | None:
    """None when a flush could do something a plain INSERT would not (server defaults, callable
    defaults, mapper events): then the ORM does it."""
    mapper = sa_inspect(model)
    if mapper.dispatch.before_insert or mapper.dispatch.after_insert:
        return None
    table = mapper.local_table
    key, columns = None, []
    for column in table.columns:
        default = column.default
        if column.server_default is not None or (default is not None and not default.is_scalar):
            return None
        attribute = mapper.get_property_by_column(column).key
        if column is table.autoincrement_column and default is None:
            key = attribute
            continue
        columns.append((attribute, default.arg if default is not None else None,
                        column.type.bind_processor(dialect)))
    return _InsertPlan(table, key, tuple(columns))


@lru_cache(maxsize=8)
def _insert_sql(models: tuple[type, ...], with_keys: tuple[bool, ...], dialect: Dialect) -> str:
    """`INSERT ...; INSERT ...` for the models (with or without their key), parameters p<i>_<n>."""
    quote = dialect.identifier_preparer.quote
    statements = []
    for i, (model, with_key) in enumerate(zip(models, with_keys, strict=True)):
        plan = _insert_plan(model, dialect)
        assert plan is not None
        names = [plan.table.c[attribute].name for attribute, _, _ in plan.columns]
        params = [f"%(p{i}_{n})s" for n in range(len(names))]
        if with_key:
            names.append(plan.table.c[plan.key].name)
            params.append(f"%(p{i}_key)s")
        statements.append(f"INSERT INTO {quote(plan.table.name)} "
                          f"({', '.join(quote(name) for name in names)}) "
                          f"VALUES ({', '.join(params)})")
    return "; ".join(statements)


def _insert_new_report(session: Session, report: Report, event: Any) -> None:
    """INSERT the new report and its first event now, in one round trip, without the unit of
    work (which cost a third of a submission's CPU); the report then joins the session.

    The values are what a flush would send: the attributes set, the column's scalar default for
    the others (also set on the object), through the columns' bind processors. The report joins
    the session as a loaded, persistent row: later changes to it (`within`) are UPDATEs, as
    after a flush. Only PostgreSQL comes here (the report's id is already known).
    """
    dialect = session.get_bind().dialect
    plans = (_insert_plan(Report, dialect), _insert_plan(type(event), dialect))
    if plans[0] is None or plans[1] is None:
        session.add(report)
        session.flush()
        session.add(event)
        return
    params: dict[str, Any] = {}
    with_keys = []
    for i, (row, plan) in enumerate(zip((report, event), plans, strict=True)):
        state = row.__dict__
        for n, (attribute, default, bind) in enumerate(plan.columns):
            if attribute in state:
                value = state[attribute]
            else:
                value = default
                setattr(row, attribute, default)
            params[f"p{i}_{n}"] = bind(value) if bind is not None else value
        with_key = plan.key is not None and state.get(plan.key) is not None
        if with_key:
            params[f"p{i}_key"] = state[plan.key]
        with_keys.append(with_key)
    sql = _insert_sql((Report, type(event)), tuple(with_keys), dialect)
    session.connection().exec_driver_sql(sql, params)
    make_transient_to_detached(report)
    session.add(report)


def _start_intake_clocks(report: Report, start: datetime, clocks: Clocks) -> None:
    """Verify (D6.2) and forward (D7.1) both count from the report's arrival."""
    report.verify_start = report.forward_start = start
    report.verify_due = clocks.due("verify", start, report.emergency)
    report.forward_due = clocks.due("forward", start, report.emergency)
    report.verify_done = report.forward_done = None


def get_report(code: str, *, url: str | None = None) -> Report:
    """The report with this tracking code, or NotFound."""
    with session_factory(url)() as session:
        report = session.scalar(select(Report).where(Report.code == code))
        if report is None:
            raise NotFound()
        return report


def perform_action(
    code: str,
    action: str,
    actor: Actor,
    params: Mapping[str, Any] | None = None,
    *,
    version: int | None = None,
    now: datetime | None = None,
    url: str | None = None,
) -> Report:
    """Take one workflow step; a refused or stale step changes nothing and raises."""
    params = dict(params or {})
    now = now or now_utc()
    try:
        with session_factory(url)() as session, session.begin():
            report = session.scalar(select(Report).where(Report.code == code))
            if report is None:
                raise NotFound()
            if version is not None and version != report.version:
                raise StaleVersion(
                    "stale_version",
                    "Phản ánh đã được người khác cập nhật; hãy tải lại rồi thao tác lại.",
                )
            holds.check_not_held_by_other(report, actor, now)  # D13.2
            consulted = frozenset(session.scalars(
                select(Consultation.agency_code).where(Consultation.report_id == report.id,
                                                       Consultation.answer.is_(None))
            ))
            facts = ReportFacts(
                state=State(report.state), agency_code=report.agency_code,
                confidential=report.confidential, state_secret=report.state_secret,
                result_submitted_by=report.result_by, consulted_agencies=consulted,
            )
            target = decide(facts, action, actor, params)
            source = report.state
            clocks = _clocks(session)
            _APPLY[action](session, report, actor, params, now, clocks)
            report.state = target.value
            holds.release_if_left_ioc(report)
            track_current_stage(report, clocks)
            report.updated_at = now
            report.version = report.version + 1
            audit.append_report_event(
                session, report, at=now, actor=actor.username, role=actor.role.value,
                action=action, from_state=source, to_state=target.value,
                note=_event_note(action, params), data=_event_data(action, params),
            )
            outbox.enqueue_for_step(session, report, action, target.value, now,
                                    params=params, actor=actor)
            session.flush()
    except (StaleDataError, IntegrityError) as exc:
        raise StaleVersion(
            "stale_version", "Phản ánh vừa được người khác cập nhật; thao tác không được thực hiện."
        ) from exc
    return report


_NOTE_PARAMS = ("reason", "missing", "note", "direction", "text", "reply", "answer")


def _event_note(action: str, params: Mapping[str, Any]) -> str | None:
    for name in _NOTE_PARAMS:
        value = normalise_text(params.get(name)) if isinstance(params.get(name), str) else None
        if value:
            return value
    return None


def _event_data(action: str, params: Mapping[str, Any]) -> dict[str, Any] | None:
    keep = ("field", "agency", "agencies", "rating", "emergency", "result")
    data = {k: params[k] for k in keep if params.get(k) not in (None, "", [])}
    return data or None


# --- the effect of each step on the stored report ------------------------------------------

def _require(session: Session, model, code: str | None, field: str, label: str):
    if not code:
        raise ValidationError(field, f"Cần chọn {label}.")
    row = session.get(model, code)
    if row is None or not row.active:
        raise ValidationError(field, f"{label.capitalize()} '{code}' không tồn tại.")
    return row


def _accept(session, report, actor, params, now, clocks: Clocks) -> None:
    report.verify_done = now
    if "emergency" in params and bool(params["emergency"]) != report.emergency:
        report.emergency = bool(params["emergency"])
        report.forward_due = clocks.due("forward", report.forward_start, report.emergency)
    if params.get("field"):
        report.field_code = _require(session, Field, params["field"], "field", "lĩnh vực").code


def _reject(session, report, actor, params, now, clocks) -> None:
    report.verify_done = report.verify_done or now
    report.forward_done = report.forward_done or now


def _request_supplement(session, report, actor, params, now, clocks) -> None:
    report.verify_done = report.verify_done or now


def _supplement(session, report, actor, params, now, clocks) -> None:
    """D7.2b: the supplemented report is verified afresh, its clocks restarted."""
    addition = normalise_text(params.get("text"))
    day = now.astimezone(LOCAL).strftime("%d/%m/%Y")
    report.description = f"{report.description}\n\n[Bổ sung {day}] {addition}"[:MAX_DESCRIPTION * 2]
    _start_intake_clocks(report, now, clocks)


def _send_to_agency(session, report, params, now, clocks: Clocks) -> None:
    agency = _require(session, Agency, params.get("agency"), "agency", "cơ quan xử lý")
    if params.get("field"):
        report.field_code = _require(session, Field, params["field"], "field", "lĩnh vực").code
    if report.field_code is None:
        raise ValidationError("field", "Cần phân loại lĩnh vực trước khi chuyển xử lý.")
    report.agency_code = agency.code
    report.forward_done = now
    report.process_start = now  # D8 bước 3: counted from the IOC's forwarding
    report.process_due = clocks.due("process", now, report.emergency, agency.process_minutes)
    report.process_done = report.received_at = report.progress_notice_at = None
    _clear_stages(report, "approve", "publish")


def _clear_stages(report: Report, *stages: str) -> None:
    for stage in stages:
        for suffix in ("start", "due", "done"):
            setattr(report, f"{stage}_{suffix}", None)


def _forward(session, report, actor, params, now, clocks) -> None:
    _send_to_agency(session, report, params, now, clocks)


def _direct(session, report, actor, params, now, clocks) -> None:
    _send_to_agency(session, report, params, now, clocks)


def _escalate(session, report, actor, params, now, clocks) -> None:
    report.escalation_count += 1


def _consult(session, report, actor, params, now, clocks) -> None:
    answer = normalise_text(params.get("answer"))
    if answer is not None:
        consultation = session.scalar(select(Consultation).where(
            Consultation.report_id == report.id, Consultation.agency_code == actor.agency_code,
            Consultation.answer.is_(None)))
        consultation.answer, consultation.answered_by, consultation.answered_at = (
            answer, actor.username, now)
        return
    asked = list(dict.fromkeys(params.get("agencies") or []))
    for code in asked:
        agency = _require(session, Agency, code, "agencies", "cơ quan được lấy ý kiến")
        if agency.code == actor.agency_code:
            raise ValidationError("agencies", "Không thể tự lấy ý kiến của chính cơ quan mình.")
        session.add(Consultation(report_id=report.id, agency_code=agency.code,
                                 asked_by=actor.username, asked_at=now,
                                 question=normalise_text(params.get("note"))))


def _receive(session, report, actor, params, now, clocks) -> None:
    report.received_at = now


def _return_to_ioc(session, report, actor, params, now, clocks) -> None:
    """D8 bước 2: not ours; the IOC reclassifies, its forward clock restarts now."""
    report.return_count += 1
    report.agency_code = None  # no longer theirs; the event log keeps who returned it
    report.forward_start, report.forward_done = now, None
    report.forward_due = clocks.due("forward", now, report.emergency)
    _clear_stages(report, "process", "approve", "publish")
    report.received_at = None


def _progress_notice(session, report, actor, params, now, clocks) -> None:
    report.progress_notice_at = now


def _submit_result(session, report, actor, params, now, clocks) -> None:
    report.result_text = normalise_text(params.get("result"))
    report.result_by = actor.username
    report.process_done = now
    report.approve_start = now
    report.approve_due = clocks.due("approve", now, report.emergency)
    report.approve_done = None


def _approve(session, report, actor, params, now, clocks) -> None:
    report.approve_done = now
    report.publish_start = now
    report.publish_due = clocks.due("publish", now, report.emergency)
    report.publish_done = None


def _edit_and_approve(session, report, actor, params, now, clocks) -> None:
    report.result_text = normalise_text(params.get("result"))
    _approve(session, report, actor, params, now, clocks)


def _return_for_rework(session, report, actor, params, now, clocks) -> None:
    """D9.1: back to the handler; the processing deadline stays where the law put it."""
    report.rework_count += 1
    report.process_done = None
    _clear_stages(report, "approve")


def _publish(session, report, actor, params, now, clocks) -> None:
    """D10: fill the Phụ lục II template; confidential or secret answers go to the reporter only."""
    edited = normalise_text(params.get("result"))
    if edited:
        report.result_text = edited
    agency = session.get(Agency, report.agency_code)
    report.answer_text = fill_reply(agency.name if agency else "", report.result_text or "")
    report.publish_done = report.published_at = now


def _feedback(session, report, actor, params, now, clocks) -> None:
    rating = params.get("rating")
    session.add(Feedback(report_id=report.id, at=now, rating=rating,
                         reply=normalise_text(params.get("reply"))))
    if rating:
        report.rating = rating


def _reopen(session, report, actor, params, now, clocks) -> None:
    """D11.3: back to the same agency for clarification, with a fresh processing clock."""
    report.reopen_count += 1
    agency = session.get(Agency, report.agency_code)
    report.process_start = now
    report.process_due = clocks.due("process", now, report.emergency,
                                    agency.process_minutes if agency else None)
    report.process_done = None
    _clear_stages(report, "approve", "publish")


def _close(session, report, actor, params, now, clocks) -> None:
    report.closed_at = now


_APPLY = {
    "accept": _accept, "reject": _reject, "request_supplement": _request_supplement,
    "supplement": _supplement, "forward": _forward, "consult": _consult,
    "escalate": _escalate, "direct": _direct, "receive": _receive,
    "return_to_ioc": _return_to_ioc, "progress_notice": _progress_notice,
    "submit_result": _submit_result, "approve": _approve, "return_for_rework": _return_for_rework,
    "edit_and_approve": _edit_and_approve, "publish": _publish, "feedback": _feedback,
    "reopen": _reopen, "close": _close,
}
assert set(_APPLY) == set(ACTIONS), "every workflow action needs its effect"

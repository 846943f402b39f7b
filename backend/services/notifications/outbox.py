"""Notifications through a transactional outbox: written with the step, delivered afterwards.

A step that must reach someone (D7.2a reject, D7.2b supplement request, D8 bước 3 progress
notice, D10 publication, D7.1 forward, D7.2c escalation and direction, D8 bước 2 return, D8
bước 4 result, D11.3 reopen) adds `OutboxMessage` rows in the *same* transaction as the state
change, so a rolled-back step leaves no message and a committed one always has its message.
`deliver_due` sends them later (e-mail over SMTP, a webhook for the C-ThaiNguyen app) with
retries and exponential backoff; a message that keeps failing ends `dead` but stays in the table:
a delivery failure never loses a notification.

Privacy: messages to agencies, leaders and the IOC carry only the report's code, field, place and
content, never the reporter's name, phone or e-mail (D13.3); the app webhook never carries them
either; a confidential (D10.3) or state-secret (D10.4) answer goes to the reporter alone.

Environment (read at each call): `SMTP_HOST`, `SMTP_PORT` (25), `SMTP_USER`, `SMTP_PASSWORD`,
`SMTP_STARTTLS`, `SMTP_FROM`; `IOC_WEBHOOK_URL`, `IOC_WEBHOOK_SECRET` (HMAC-SHA256 signature);
`IOC_NOTIFY_EMAIL` (the IOC's mailbox, comma-separated for several).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import random
import smtplib
import ssl
import string
import threading
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.header import Header
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import format_datetime, parseaddr
from functools import lru_cache
from types import MappingProxyType
from typing import Any

import requests
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from backend import vietnamese as vn
from backend.config import LOCAL_TZ as LOCAL
from backend.config import data_dir
from backend.domain.workflow import STATE_LABELS_VI, Actor, State
from backend.reference.rules import read_toml
from backend.storage.db import session_factory
from backend.storage.models import AdminUnit, Agency, Event, Field, OutboxMessage, Report

log = logging.getLogger(__name__)

TEMPLATES_FILE = "templates/notifications.toml"
PLACEHOLDERS = frozenset({
    "code", "state", "reason", "missing", "note", "answer", "result", "agency", "agency_short",
    "field", "place", "content", "deadline", "urgent",
})
KINDS = (
    "citizen.submitted", "citizen.rejected", "citizen.supplement_requested",
    "citizen.progress_notice", "citizen.published", "citizen.answered_privately",
    "agency.forwarded", "agency.directed", "agency.reopened", "leader.result_submitted",
    "ioc.returned", "ioc.escalated", "ioc.progress_notice",
)

EMAIL, WEBHOOK = "email", "webhook"
PENDING, SENT, DEAD = "pending", "sent", "dead"
STATUSES = (PENDING, SENT, DEAD)
DEFAULT_FROM = "IOC Thái Nguyên <no-reply@thainguyen.gov.vn>"
SMTP_TIMEOUT = 10.0
WEBHOOK_TIMEOUT = 5.0
MAX_ATTEMPTS = 12
BASE_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(hours=1)
LEASE = timedelta(minutes=5)  # a claimed message is invisible this long (> any send timeout)

# Which notices each step causes (kinds above); `publish` is decided by the outcome (D10.3).
_STEP_KINDS: dict[str, tuple[str, ...]] = {
    "reject": ("citizen.rejected",),                                  # D7.2a
    "request_supplement": ("citizen.supplement_requested",),          # D7.2b
    "progress_notice": ("citizen.progress_notice", "ioc.progress_notice"),  # D8 bước 3
    "forward": ("agency.forwarded",),                                 # D7.1, D8 bước 1
    "direct": ("agency.directed",),                                   # D7.2c
    "reopen": ("agency.reopened",),                                   # D11.3
    "submit_result": ("leader.result_submitted",),                    # D8 bước 4, D9
    "return_to_ioc": ("ioc.returned",),                               # D8 bước 2
    "escalate": ("ioc.escalated",),                                   # D7.2c
}
_NOTE_PARAMS = {"reason": "reason", "missing": "missing", "note": "note", "direction": "note"}


# --- texts ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Template:
    """The Vietnamese texts of one kind: e-mail subject and body, and the app's short text."""

    subject: str
    body: str
    app: str | None = None


@lru_cache(maxsize=1)
def templates() -> Mapping[str, Template]:
    """`data/templates/notifications.toml`, read once per process and checked for every kind."""
    raw = read_toml(data_dir() / TEMPLATES_FILE)
    found: dict[str, Template] = {}
    for audience, kinds in raw.items():
        for name, texts in kinds.items():
            found[f"{audience}.{name}"] = Template(texts["subject"], texts["body"], texts.get("app"))
    missing = [kind for kind in KINDS if kind not in found]
    if missing:
        raise ValueError(f"{TEMPLATES_FILE}: thiếu mẫu thông báo {', '.join(missing)}")
    for kind, template in found.items():
        for text in (template.subject, template.body, template.app or ""):
            unknown = {name for _, name, _, _ in string.Formatter().parse(text) if name} - PLACEHOLDERS
            if unknown:
                raise ValueError(f"{TEMPLATES_FILE} [{kind}]: tham số lạ {sorted(unknown)}")
    return MappingProxyType(found)


def _place(session: Session, report: Report) -> str:
    """Address and the unit of the report's point (with the former commune and district of a
    report dated before 1/7/2025): where, never who (D13.3)."""
    parts = [report.address] if report.address else []
    for code, level in ((report.unit_code, "unit"),
                        (report.former_commune_code, "former_commune"),
                        (report.former_district_code, "former_district")):
        unit = session.get(AdminUnit, (code, level)) if code else None
        if unit is not None:
            parts.append(unit.name if level == "unit" else f"{unit.name} (trước 1/7/2025)")
    parts.append(f"({report.lat:.5f}, {report.lon:.5f})")
    return ", ".join(parts)


def _values(session: Session, report: Report, to_state: str, agency: Agency | None,
            notes: Mapping[str, str]) -> dict[str, str]:
    """The placeholders' values. Built from the report's facts only: no reporter identity."""
    field = session.get(Field, report.field_code) if report.field_code else None
    state = State(to_state)
    deadline = {
        "forwarded": report.process_due, "in_progress": report.process_due,
        "awaiting_approval": report.approve_due, "returned_to_ioc": report.forward_due,
    }.get(state.value)
    return {
        "code": report.code,
        "state": STATE_LABELS_VI[state],
        "state_code": state.value,  # not a text placeholder: the webhook's machine-readable state
        "reason": notes.get("reason") or "—",
        "missing": notes.get("missing") or "—",
        "note": notes.get("note") or "—",
        "answer": report.answer_text or report.result_text or "",
        "result": report.result_text or "",
        "agency": agency.name if agency else "Cơ quan xử lý",
        "agency_short": agency.short_name if agency else "cơ quan xử lý",
        "field": field.name if field else "—",
        "place": _place(session, report),
        "content": report.description,
        "deadline": vn.time_date(deadline) or "—",
        "urgent": "[KHẨN] " if report.emergency else "",
    }


# --- enqueue (inside the step's transaction) -------------------------------------------------

def _ioc_addresses() -> list[str]:
    return [a.strip() for a in os.environ.get("IOC_NOTIFY_EMAIL", "").split(",") if a.strip()]


def webhook_url() -> str | None:
    """`IOC_WEBHOOK_URL`: where the app's notifications are posted; None when not configured."""
    return os.environ.get("IOC_WEBHOOK_URL", "").strip() or None


def _email(report: Report, kind: str, recipient: str, values: Mapping[str, str],
           now: datetime) -> OutboxMessage:
    template = templates()[kind]
    return OutboxMessage(
        created_at=now, report_id=report.id, kind=kind, channel=EMAIL, recipient=recipient[:320],
        subject=template.subject.format(**values)[:300], body=template.body.format(**values),
        payload=None, status=PENDING, attempts=0, next_attempt_at=now,
    )


def _app_webhook(report: Report, kind: str, values: Mapping[str, str],
                 now: datetime) -> OutboxMessage:
    """The C-ThaiNguyen app's push: code, kind, state and a Vietnamese text, nothing personal."""
    template = templates()[kind]
    text = (template.app or template.subject).format(**values)
    payload = {
        "code": report.code, "kind": kind, "state": values["state_code"],
        "state_label": values["state"], "text": text, "at": now.astimezone(UTC).isoformat(),
    }
    return OutboxMessage(
        created_at=now, report_id=report.id, kind=kind, channel=WEBHOOK,
        recipient=f"app:{report.code}", subject=template.subject.format(**values)[:300],
        body=text, payload=json.dumps(payload, ensure_ascii=False, sort_keys=True),
        status=PENDING, attempts=0, next_attempt_at=now,
    )


def _to_citizen(report: Report, kind: str, values: Mapping[str, str],
                now: datetime) -> list[OutboxMessage]:
    messages = []
    if report.reporter_email:
        messages.append(_email(report, kind, report.reporter_email, values, now))
    if report.channel == "app" and webhook_url() and templates()[kind].app is not None:
        messages.append(_app_webhook(report, kind, values, now))
    return messages


def _step_notes(session: Session, report: Report, action: str,
                params: Mapping[str, Any] | None) -> dict[str, str]:
    """reason / missing / note of the step: from `params`, else from the step's own event."""
    if params is not None:
        return {target: unicodedata.normalize("NFC", params[name]).strip()
                for name, target in _NOTE_PARAMS.items()
                if isinstance(params.get(name), str) and params[name].strip()}
    note = next((obj.note for obj in session.new if isinstance(obj, Event)
                 and obj.stream == report.code and obj.seq == report.event_seq
                 and obj.action == action), None)
    if note is None:
        note = session.scalar(select(Event.note).where(
            Event.stream == report.code, Event.seq == report.event_seq, Event.action == action))
    if not note:
        return {}
    return {"reason": note, "missing": note, "note": note}


def _returning_agency(session: Session, report: Report, actor: Actor | None) -> str | None:
    """D8 bước 2 clears the report's agency; the returning one is the actor's, or the last sent to."""
    if actor is not None and actor.agency_code:
        return actor.agency_code
    data = session.scalar(
        select(Event.data).where(Event.report_id == report.id,
                                 Event.action.in_(("forward", "direct")))
        .order_by(Event.seq.desc()).limit(1))
    return json.loads(data).get("agency") if data else None


def enqueue_for_step(
    session: Session,
    report: Report,
    action: str,
    to_state: str,
    now: datetime,
    *,
    params: Mapping[str, Any] | None = None,
    actor: Actor | None = None,
) -> list[OutboxMessage]:
    """Add the notices a step causes, in the caller's open transaction (after the state change).

    Citizen: reject (D7.2a), supplement request (D7.2b), progress notice (D8 bước 3) and the
    answer (D10; privately for D10.3/D10.4). Agency: forward (D7.1), direction (D7.2c), reopen
    (D11.3). Leader: submitted result (D8 bước 4, D9). IOC: return (D8 bước 2), escalation
    (D7.2c), progress notice. `params` are the step's parameters (reason, missing, note,
    direction); without them the texts come from the step's audit event if already appended.
    """
    if action == "publish":
        private = to_state == State.ANSWERED_PRIVATELY or report.confidential or report.state_secret
        kinds: tuple[str, ...] = ("citizen.answered_privately" if private else "citizen.published",)
    else:
        kinds = _STEP_KINDS.get(action, ())
    if not kinds:
        return []
    agency_code = (_returning_agency(session, report, actor) if action == "return_to_ioc"
                   else report.agency_code)
    agency = session.get(Agency, agency_code) if agency_code else None
    values = _values(session, report, to_state, agency, _step_notes(session, report, action, params))
    messages: list[OutboxMessage] = []
    for kind in kinds:
        audience = kind.split(".", 1)[0]
        if audience == "citizen":
            messages += _to_citizen(report, kind, values, now)
        elif audience in ("agency", "leader"):
            if agency is not None and agency.email:
                messages.append(_email(report, kind, agency.email, values, now))
            else:
                log.warning("no e-mail for agency %s: %s of %s not sent", agency_code, kind,
                            report.code)
        else:
            messages += [_email(report, kind, address, values, now) for address in _ioc_addresses()]
    session.add_all(messages)
    return messages


def enqueue_for_submission(session: Session, report: Report, now: datetime) -> list[OutboxMessage]:
    """Acknowledge a submission (D4.2) with its tracking code, by e-mail if the reporter gave one.

    Call after the tracking code is assigned, inside the submission's transaction.
    """
    if not report.reporter_email:
        return []
    values = _values(session, report, report.state, None, {})
    message = _email(report, "citizen.submitted", report.reporter_email, values, now)
    session.add(message)
    return [message]


# --- delivery ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class SmtpSettings:
    """Where and how e-mail leaves; from `SMTP_*` variables."""

    host: str
    port: int
    user: str | None
    password: str | None
    starttls: bool
    sender: str


def smtp_settings() -> SmtpSettings | None:
    """The SMTP relay from the environment, or None when `SMTP_HOST` is not set."""
    host = os.environ.get("SMTP_HOST", "").strip()
    if not host:
        return None
    return SmtpSettings(
        host=host,
        port=int(os.environ.get("SMTP_PORT") or 25),
        user=os.environ.get("SMTP_USER") or None,
        password=os.environ.get("SMTP_PASSWORD") or None,
        starttls=os.environ.get("SMTP_STARTTLS", "").strip().lower() in ("1", "true", "yes", "on"),
        sender=os.environ.get("SMTP_FROM") or DEFAULT_FROM,
    )


@dataclass(frozen=True)
class DeliveryStats:
    """One `deliver_due` pass: claimed, sent, retried later, dead, and left waiting unconfigured."""

    claimed: int = 0
    sent: int = 0
    retried: int = 0
    dead: int = 0
    waiting: int = 0

    def line(self) -> str:
        """One Vietnamese line for the CLI and the worker's log."""
        return (f"đã gửi {self.sent}, thử lại sau {self.retried}, hỏng hẳn {self.dead}, "
                f"chờ cấu hình kênh {self.waiting}")


@dataclass(frozen=True)
class _Claimed:
    id: int
    created_at: datetime
    kind: str
    channel: str
    recipient: str
    subject: str | None
    body: str
    payload: str | None
    attempts: int


@lru_cache(maxsize=8)
def _warn_unconfigured(channel: str) -> None:
    """Log once per process that a channel's messages wait for configuration."""
    variable = "SMTP_HOST" if channel == EMAIL else "IOC_WEBHOOK_URL"
    log.warning("outbox: %s not set, %s messages stay pending until it is", variable, channel)


def _claim(session: Session, channels: Iterable[str], now: datetime) -> _Claimed | None:
    """Take the oldest due message: hide it for `LEASE` and count the attempt, atomically.

    On PostgreSQL the inner SELECT locks with SKIP LOCKED so concurrent workers take different
    rows; on SQLite the single UPDATE statement is serialised by the database. Either way the
    `status = pending AND next_attempt_at <= now` condition is re-checked on the row itself.
    """
    due = (OutboxMessage.status == PENDING, OutboxMessage.next_attempt_at <= now,
           OutboxMessage.channel.in_(list(channels)))
    oldest = (select(OutboxMessage.id).where(*due)
              .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(1)
              .with_for_update(skip_locked=True).scalar_subquery())
    row = session.execute(
        update(OutboxMessage).where(OutboxMessage.id == oldest, *due)
        .values(next_attempt_at=now + LEASE, attempts=OutboxMessage.attempts + 1)
        .returning(OutboxMessage.id, OutboxMessage.created_at, OutboxMessage.kind,
                   OutboxMessage.channel, OutboxMessage.recipient, OutboxMessage.subject,
                   OutboxMessage.body, OutboxMessage.payload, OutboxMessage.attempts)
        .execution_options(synchronize_session=False)
    ).first()
    return _Claimed(*row) if row else None


def backoff(attempts: int) -> timedelta:
    """Delay before the next try after `attempts` failed ones: 30 s × 2^(n-1), ≤ 1 h, +0-10 %."""
    delay = min(BASE_DELAY * 2 ** max(attempts - 1, 0), MAX_DELAY)
    return delay * (1 + random.uniform(0, 0.1))  # noqa: S311 - jitter, not cryptography


def _message_id(message: _Claimed, sender: str) -> str:
    """Stable per outbox row, so a receiver can drop a duplicate after a lost acknowledgement."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "thainguyen.gov.vn"
    return f"<outbox-{message.id}-{message.created_at.strftime('%Y%m%d%H%M%S')}@{domain}>"


class _MailPolicy(EmailPolicy):
    """The default e-mail policy, but a non-ASCII Subject is folded by `email.header.Header`.

    Python 3.11's folder drops the space between two folded RFC 2047 encoded words, so a long
    Vietnamese subject arrived with words run together; `Header` keeps spaces inside the words.
    """

    def _subject(self, name: str, value: Any) -> str | None:
        text = str(value)
        if name.lower() != "subject" or text.isascii():
            return None
        encoded = Header(text, "utf-8", header_name=name).encode(linesep=self.linesep)
        return f"{name}: {encoded}{self.linesep}"

    def fold(self, name: str, value: Any) -> str:  # noqa: D102 - the Policy API
        return self._subject(name, value) or super().fold(name, value)

    def fold_binary(self, name: str, value: Any) -> bytes:  # noqa: D102 - the Policy API
        folded = self._subject(name, value)
        return folded.encode("ascii") if folded else super().fold_binary(name, value)


def _send_email(message: _Claimed, settings: SmtpSettings, now: datetime) -> None:
    mail = EmailMessage(policy=_MailPolicy())
    mail["From"] = settings.sender
    mail["To"] = message.recipient
    mail["Subject"] = message.subject or ""
    mail["Date"] = format_datetime(now.astimezone(LOCAL))
    mail["Message-ID"] = _message_id(message, settings.sender)
    mail["X-IOC-Outbox-Id"] = str(message.id)
    mail["X-IOC-Kind"] = message.kind
    mail.set_content(message.body, charset="utf-8", cte="quoted-printable")
    with smtplib.SMTP(settings.host, settings.port, timeout=SMTP_TIMEOUT) as smtp:
        if settings.starttls:
            smtp.starttls(context=ssl.create_default_context())
        if settings.user and settings.password:
            smtp.login(settings.user, settings.password)
        smtp.send_message(mail)


def _send_webhook(message: _Claimed, url: str) -> None:
    """POST the JSON payload; only a 2xx answer counts as delivered."""
    payload = json.loads(message.payload or "{}")
    payload["message_id"] = message.id
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode("utf-8")
    headers = {"Content-Type": "application/json; charset=utf-8",
               "Idempotency-Key": f"outbox-{message.id}"}
    secret = os.environ.get("IOC_WEBHOOK_SECRET")
    if secret:
        digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
        headers["X-IOC-Signature"] = f"sha256={digest}"
    response = requests.post(url, data=body, headers=headers, timeout=WEBHOOK_TIMEOUT)
    if not 200 <= response.status_code < 300:
        raise RuntimeError(f"HTTP {response.status_code}")


def _error_line(exc: BaseException, secrets: Iterable[str | None]) -> str:
    """One line, at most 300 characters, with passwords and the webhook URL taken out."""
    if isinstance(exc, smtplib.SMTPResponseException):
        detail = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) \
            else str(exc.smtp_error)
        text = f"{type(exc).__name__}: {exc.smtp_code} {detail}"
    elif isinstance(exc, requests.RequestException):
        text = type(exc).__name__
    else:
        text = f"{type(exc).__name__}: {exc}"
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return " ".join(text.split())[:300]


def _finish(session: Session, message: _Claimed, now: datetime, error: str | None) -> str:
    """Record the outcome of a claimed try; the attempts check ignores a stale claim."""
    if error is None:
        values: dict[str, Any] = {"status": SENT, "sent_at": now, "last_error": None}
        outcome = SENT
    elif message.attempts >= MAX_ATTEMPTS:
        values = {"status": DEAD, "last_error": error}
        outcome = DEAD
    else:
        values = {"last_error": error, "next_attempt_at": now + backoff(message.attempts)}
        outcome = PENDING
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message.id, OutboxMessage.status == PENDING,
               OutboxMessage.attempts == message.attempts)
        .values(**values).execution_options(synchronize_session=False))
    return outcome


def deliver_due(url: str | None = None, now: datetime | None = None,
                limit: int = 100) -> DeliveryStats:
    """Send up to `limit` due messages, one claim at a time, and record each outcome.

    Success marks `sent`; a failure schedules a retry with exponential backoff and after
    `MAX_ATTEMPTS` tries marks `dead` (kept, never deleted). Messages of a channel that is not
    configured (no `SMTP_HOST` / `IOC_WEBHOOK_URL`) are left pending untouched.
    """
    now = now or datetime.now(UTC)
    settings = smtp_settings()
    hook = webhook_url()
    configured = [channel for channel, ready in ((EMAIL, settings), (WEBHOOK, hook)) if ready]
    sessions = session_factory(url)
    with sessions() as session:
        waiting = session.scalar(
            select(func.count()).select_from(OutboxMessage).where(
                OutboxMessage.status == PENDING, OutboxMessage.next_attempt_at <= now,
                OutboxMessage.channel.not_in(configured))) or 0
        if waiting:
            for channel in session.scalars(select(OutboxMessage.channel).distinct().where(
                    OutboxMessage.status == PENDING, OutboxMessage.channel.not_in(configured))):
                _warn_unconfigured(channel)
    counts = {SENT: 0, PENDING: 0, DEAD: 0}
    claimed = 0
    secrets = (settings.password if settings else None, hook, os.environ.get("IOC_WEBHOOK_SECRET"))
    while configured and claimed < limit:
        with sessions() as session, session.begin():
            message = _claim(session, configured, now)
        if message is None:
            break
        claimed += 1
        error = None
        try:
            if message.channel == EMAIL and settings is not None:
                _send_email(message, settings, now)
            elif message.channel == WEBHOOK and hook is not None:
                _send_webhook(message, hook)
        except Exception as exc:  # noqa: BLE001 - every failure is recorded and retried
            error = _error_line(exc, secrets)
            log.warning("outbox %s (%s) try %s failed: %s", message.id, message.kind,
                        message.attempts, error)
        with sessions() as session, session.begin():
            counts[_finish(session, message, now, error)] += 1
    return DeliveryStats(claimed=claimed, sent=counts[SENT], retried=counts[PENDING],
                         dead=counts[DEAD], waiting=waiting)


def run_delivery_loop(interval: float = 5.0, url: str | None = None,
                      stop: threading.Event | None = None) -> None:
    """A worker: deliver, then sleep `interval` seconds when idle, until `stop` is set.

    A failing pass (e.g. the database is briefly away) is logged and retried on the next tick.
    """
    stop = stop or threading.Event()
    limit = 100
    while not stop.is_set():
        try:
            stats = deliver_due(url, limit=limit)
        except Exception:  # noqa: BLE001 - the worker outlives a bad pass
            log.exception("outbox delivery pass failed")
            stats = None
        if stats is not None and (stats.sent or stats.retried or stats.dead):
            log.info("outbox: %s", stats.line())
        if stats is None or stats.claimed < limit:
            stop.wait(interval)


def status_counts(url: str | None = None) -> dict[str, int]:
    """How many messages are pending, sent and dead (every status, zeros included)."""
    with session_factory(url)() as session:
        rows = session.execute(select(OutboxMessage.status, func.count())
                               .group_by(OutboxMessage.status)).all()
    counts = dict.fromkeys(STATUSES, 0)
    counts.update({status: count for status, count in rows})
    return counts

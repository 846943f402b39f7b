"""Notifications through the transactional outbox (backend.services.notifications.outbox), on real servers.

Each step that must reach someone writes its messages in the step's own transaction and they are
delivered afterwards, with retries: the citizen on reject (D7.2a), supplement request (D7.2b),
progress notice (D8 bước 3) and the answer (D10; privately for D10.3); the agency on forward
(D7.1); the leader on a submitted result (D8 bước 4, D9); the IOC on return (D8 bước 2) and
escalation (D7.2c). E-mail goes to a real local SMTP server (aiosmtpd), the app webhook to a real
local HTTP server. Agencies never see the reporter's identity (D13.3); a delivery failure never
loses a message.
"""

from __future__ import annotations

import email
import email.policy
import http.server
import json
import socket
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner
from sqlalchemy import delete, select

from backend.commands.outbox import outbox as outbox_cli
from backend.domain.roles import Role
from backend.domain.workflow import Actor, StaleVersion
from backend.services.intake.submit import NewReport, submit_report
from backend.services.notifications import outbox
from backend.services.workflow.steps import get_report, perform_action
from backend.storage.db import session_factory
from backend.storage.models import OutboxMessage, Report

MONDAY = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)  # 08:00 in Thái Nguyên, a working Monday
LATER = MONDAY + timedelta(days=1)
LAT, LON = 21.5942, 105.8482  # TP Thái Nguyên

NAME, PHONE, MAIL = "Nguyễn Văn A", "0912345678", "nguyen.van.a@example.vn"
IDENTITY = (NAME, PHONE, MAIL)
IOC_MAIL = "ioc@thainguyen.gov.vn"
AGENCY, AGENCY_MAIL, AGENCY_SHORT = "ubnd_05443", "phananh.ubnd05443@thainguyen.gov.vn", "UBND P. Phan Đình Phùng"
FIELD = "do_thi_xay_dung"
RESULT = "Đã san lấp ổ gà trước số nhà 12 đường Hoàng Văn Thụ"
REASON = "Nội dung không phải phản ánh hiện trường"

CITIZEN = Actor("citizen", Role.CITIZEN)
IOC = Actor("ioc_lan", Role.IOC_HANDLER)
HANDLER = Actor("xl_164", Role.AGENCY_HANDLER, AGENCY)
LEADER = Actor("ld_164", Role.AGENCY_LEADER, AGENCY)
PROVINCE = Actor("ubnd_tinh", Role.PROVINCIAL_LEADER)

FORWARD = {"field": FIELD, "agency": AGENCY}
TO_IN_PROGRESS = (("accept", IOC, None), ("forward", IOC, FORWARD), ("receive", HANDLER, None))
TO_AWAITING = (*TO_IN_PROGRESS, ("submit_result", HANDLER, {"result": RESULT}))
TO_APPROVED = (*TO_AWAITING, ("approve", LEADER, None))

WIRING_MISSING = (
    "outbox wiring missing: backend.services.workflow.steps.perform_action must call "
    "backend.services.notifications.outbox.enqueue_for_step(session, report, action, target.value, now, "
    "params=params, actor=actor) inside its transaction, after audit.append_report_event "
    "(and submit_report must call enqueue_for_submission(session, report, now) once the code "
    "is set)."
)


# --- real servers ---------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    """An aiosmtpd handler keeping every message it accepts."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], bytes]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd API
        with self.lock:
            self.received.append((list(envelope.rcpt_tos), envelope.original_content))
        return "250 Message accepted for delivery"

    @property
    def messages(self) -> list[EmailMessage]:
        with self.lock:
            raws = [raw for _, raw in self.received]
        return [email.message_from_bytes(raw, policy=email.policy.default) for raw in raws]

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


@dataclass
class SmtpServer:
    port: int
    inbox: Inbox = field(default_factory=Inbox)
    controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture(autouse=True)
def clean_env(monkeypatch) -> None:
    """No channel configured unless a test says so; the IOC's mailbox is set."""
    for name in ("SMTP_HOST", "SMTP_PORT", "SMTP_USER", "SMTP_PASSWORD", "SMTP_STARTTLS",
                 "SMTP_FROM", "IOC_WEBHOOK_URL", "IOC_WEBHOOK_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("IOC_NOTIFY_EMAIL", IOC_MAIL)


@pytest.fixture
def smtp(monkeypatch) -> Iterator[SmtpServer]:
    """A running local SMTP server, configured as the relay."""
    server = SmtpServer(free_port())
    server.start()
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_PORT", str(server.port))
    yield server
    server.stop()


@pytest.fixture
def smtp_down(monkeypatch) -> Iterator[SmtpServer]:
    """A configured relay whose port has no server yet (`start()` brings it up)."""
    server = SmtpServer(free_port())
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_PORT", str(server.port))
    yield server
    server.stop()


@dataclass
class Hook:
    url: str
    requests: list[tuple[dict[str, str], dict[str, Any]]]
    statuses: deque[int]  # answers to give, in order; 200 once empty


@pytest.fixture
def webhook(monkeypatch) -> Iterator[Hook]:
    """A real local HTTP server standing in for the mobile app's notification endpoint."""
    received: list[tuple[dict[str, str], dict[str, Any]]] = []
    statuses: deque[int] = deque()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server API
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((dict(self.headers), json.loads(body)))
            status = statuses.popleft() if statuses else 200
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    hook = Hook(f"http://127.0.0.1:{server.server_address[1]}/notify", received, statuses)
    monkeypatch.setenv("IOC_WEBHOOK_URL", hook.url)
    yield hook
    server.shutdown()
    server.server_close()


# --- helpers --------------------------------------------------------------------------------

def submit(url: str, **kw: Any) -> Report:
    values: dict[str, Any] = dict(description="Ổ gà lớn giữa đường Hoàng Văn Thụ", lat=LAT,
                                  lon=LON, reporter_name=NAME, reporter_phone=PHONE,
                                  reporter_email=MAIL, channel="app")
    values.update(kw)
    return submit_report(NewReport(**values), now=MONDAY, url=url)


class Steps:
    """Workflow steps on one report, 20 minutes apart."""

    def __init__(self, url: str, report: Report) -> None:
        self.url, self.code, self.now = url, report.code, report.submitted_at

    def __call__(self, action: str, actor: Actor, params: dict[str, Any] | None = None) -> Report:
        self.now += timedelta(minutes=20)
        return perform_action(self.code, action, actor, params, now=self.now, url=self.url)

    def path(self, *steps: tuple[str, Actor, dict[str, Any] | None]) -> None:
        for action, actor, params in steps:
            self(action, actor, params)


def rows(url: str, report: Report | None = None, kind: str | None = None) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if report is not None:
        query = query.where(OutboxMessage.report_id == report.id)
    if kind is not None:
        query = query.where(OutboxMessage.kind == kind)
    with session_factory(url)() as session:
        return list(session.scalars(query))


def written(url: str, report: Report, kind: str) -> list[OutboxMessage]:
    """The rows of one kind that a step wrote; no row at all means the wiring is missing."""
    found = rows(url, report, kind)
    if not found and not rows(url):
        pytest.fail(WIRING_MISSING)
    return found


def by_channel(messages: list[OutboxMessage]) -> dict[str, list[OutboxMessage]]:
    grouped: dict[str, list[OutboxMessage]] = {}
    for message in messages:
        grouped.setdefault(message.channel, []).append(message)
    return grouped


def assert_no_identity(text: str) -> None:
    for value in IDENTITY:
        assert value not in text, f"reporter identity {value!r} leaked (D13.3)"


def queue_direct(url: str, n: int = 1, at: datetime = MONDAY, **kw: Any) -> list[int]:
    """Rejection notices written at `at` by calling the outbox directly (no wiring needed)."""
    report = submit(url, **kw)
    with session_factory(url)() as session, session.begin():
        session.execute(delete(OutboxMessage))  # the acknowledgement, once submit is wired
        stored = session.get(Report, report.id)
        messages = []
        for _ in range(n):
            messages += outbox.enqueue_for_step(session, stored, "reject", "rejected", at,
                                                params={"reason": REASON})
        session.flush()
        return [m.id for m in messages]


def stored(url: str, message_id: int) -> OutboxMessage:
    with session_factory(url)() as session:
        return session.get(OutboxMessage, message_id)


# --- texts ----------------------------------------------------------------------------------

def test_templates_cover_every_kind_with_known_placeholders() -> None:
    texts = outbox.templates()
    assert set(outbox.KINDS) <= set(texts)
    for kind in outbox.KINDS:
        assert texts[kind].subject and texts[kind].body
        assert (texts[kind].app is not None) == (kind.startswith("citizen.")
                                                 and kind != "citizen.submitted"), kind
        for text in (texts[kind].subject, texts[kind].body, texts[kind].app or ""):
            assert "http" not in text  # link-free: nothing to phish with


# --- who gets what --------------------------------------------------------------------------

def test_submission_acknowledged_with_tracking_code(ready_db: str, smtp: SmtpServer) -> None:
    report = submit(ready_db)
    [ack] = written(ready_db, report, "citizen.submitted")
    assert (ack.channel, ack.recipient) == ("email", MAIL)
    assert outbox.deliver_due(ready_db, now=LATER).sent == 1
    [mail] = smtp.inbox.to(MAIL)
    assert mail["Subject"] == f"Đã nhận phản ánh {report.code}"
    assert report.code in mail.get_content()


def test_reject_reaches_citizen_with_reason_and_utf8_subject(
    ready_db: str, smtp: SmtpServer, webhook: Hook,
) -> None:
    """D7.2a: the rejection and its reason reach the reporter, by e-mail and in the app."""
    report = submit(ready_db)
    Steps(ready_db, report)("reject", IOC, {"reason": REASON})
    channels = by_channel(written(ready_db, report, "citizen.rejected"))
    assert [m.recipient for m in channels["email"]] == [MAIL]
    assert len(channels["webhook"]) == 1

    stats = outbox.deliver_due(ready_db, now=LATER)
    assert stats.dead == stats.retried == 0
    [mail] = [m for m in smtp.inbox.to(MAIL) if m["X-IOC-Kind"] == "citizen.rejected"]
    expected = f"Phản ánh {report.code} không được tiếp nhận xử lý"
    assert mail["Subject"] == expected
    raw = next(raw for rcpts, raw in smtp.inbox.received if b"X-IOC-Kind: citizen.rejected" in raw)
    assert b"=?utf-8?" in raw.split(b"\n\n", 1)[0].lower()  # RFC 2047 encoded, 7-bit headers
    assert mail.get_content_charset() == "utf-8"
    body = mail.get_content()
    assert REASON in body and report.code in body and "http" not in body
    assert [p["code"] for _, p in webhook.requests if p["kind"] == "citizen.rejected"] == [report.code]
    assert {m.status for m in rows(ready_db, report)} == {"sent"}


@pytest.mark.parametrize(("path", "action", "actor", "params", "kind", "text"), [
    ((), "request_supplement", IOC, {"missing": "Ảnh chụp hiện trường"},
     "citizen.supplement_requested", "Ảnh chụp hiện trường"),
    (TO_IN_PROGRESS, "progress_notice", HANDLER, {"note": "Đang chờ ý kiến Sở Xây dựng"},
     "citizen.progress_notice", "Đang chờ ý kiến Sở Xây dựng"),
    (TO_APPROVED, "publish", IOC, None, "citizen.published", RESULT),
], ids=["request_supplement", "progress_notice", "publish"])
def test_citizen_notices(
    ready_db: str, smtp: SmtpServer, webhook: Hook, path: tuple, action: str, actor: Actor,
    params: dict[str, Any] | None, kind: str, text: str,
) -> None:
    """D7.2b, D8 bước 3, D10.2: the reporter hears of each by e-mail and in the app."""
    report = submit(ready_db)
    steps = Steps(ready_db, report)
    steps.path(*path)
    steps(action, actor, params)
    channels = by_channel(written(ready_db, report, kind))
    assert [m.recipient for m in channels["email"]] == [MAIL]
    assert len(channels["webhook"]) == 1

    outbox.deliver_due(ready_db, now=LATER)
    [mail] = [m for m in smtp.inbox.to(MAIL) if m["X-IOC-Kind"] == kind]
    assert report.code in mail["Subject"]
    assert text in mail.get_content()
    assert "http" not in mail.get_content()
    [(_, payload)] = [(h, p) for h, p in webhook.requests if p["kind"] == kind]
    assert payload["code"] == report.code
    if action == "progress_notice":  # D8 bước 3: the IOC hears of it too
        [ioc_mail] = smtp.inbox.to(IOC_MAIL)
        assert ioc_mail["X-IOC-Kind"] == "ioc.progress_notice"
    if action == "publish":
        assert payload["state"] == "published"


def test_confidential_answer_goes_to_the_reporter_alone(
    ready_db: str, smtp: SmtpServer, webhook: Hook,
) -> None:
    """D10.3: the full answer by private e-mail; the app is told without the answer's text."""
    report = submit(ready_db, confidential=True)
    steps = Steps(ready_db, report)
    steps.path(*TO_APPROVED)
    steps("publish", IOC, None)
    assert get_report(report.code, url=ready_db).state == "answered_privately"
    assert not rows(ready_db, report, "citizen.published")
    channels = by_channel(written(ready_db, report, "citizen.answered_privately"))
    assert [m.recipient for m in channels["email"]] == [MAIL]

    outbox.deliver_due(ready_db, now=LATER)
    [mail] = [m for m in smtp.inbox.to(MAIL) if m["X-IOC-Kind"] == "citizen.answered_privately"]
    body = mail.get_content()
    assert RESULT in body and "không công khai" in body
    [(_, payload)] = [(h, p) for h, p in webhook.requests
                      if p["kind"] == "citizen.answered_privately"]
    assert RESULT not in json.dumps(payload, ensure_ascii=False)
    assert payload["state"] == "answered_privately"
    for mail in smtp.inbox.messages:  # agencies and leaders still never see who reported
        if mail["To"] != MAIL:
            assert_no_identity(mail.as_string() + mail.get_content())


def test_forward_reaches_agency_without_reporter_identity(ready_db: str, smtp: SmtpServer) -> None:
    """D7.1, D8 bước 1, D13.3: code, field, place and content; never name, phone or e-mail."""
    report = submit(ready_db)
    Steps(ready_db, report).path(("accept", IOC, None), ("forward", IOC, FORWARD))
    [row] = written(ready_db, report, "agency.forwarded")
    assert (row.channel, row.recipient) == ("email", AGENCY_MAIL)
    assert_no_identity(f"{row.subject}\n{row.body}")

    outbox.deliver_due(ready_db, now=LATER)
    [mail] = smtp.inbox.to(AGENCY_MAIL)
    body = mail.get_content()
    assert_no_identity(mail.as_string() + body)
    assert report.code in mail["Subject"] and AGENCY_SHORT in mail["Subject"]
    for fact in (report.code, "Đô thị", "Ổ gà lớn giữa đường Hoàng Văn Thụ", "Hạn xử lý"):
        assert fact.lower() in body.lower(), fact


def test_direct_after_escalation_reaches_agency(ready_db: str, smtp: SmtpServer) -> None:
    """D7.2c: escalation tells the IOC; the province's direction reaches the agency."""
    report = submit(ready_db)
    steps = Steps(ready_db, report)
    steps.path(("accept", IOC, None))
    steps("escalate", IOC, {"reason": "Hai cơ quan chưa thống nhất thẩm quyền"})
    [ioc_row] = written(ready_db, report, "ioc.escalated")
    assert ioc_row.recipient == IOC_MAIL
    steps("direct", PROVINCE, {"agency": AGENCY, "field": FIELD, "direction": "Giao UBND TP xử lý"})
    [row] = rows(ready_db, report, "agency.directed")
    assert row.recipient == AGENCY_MAIL and "Giao UBND TP xử lý" in row.body
    outbox.deliver_due(ready_db, now=LATER)
    [mail] = smtp.inbox.to(IOC_MAIL)
    assert "Hai cơ quan chưa thống nhất thẩm quyền" in mail.get_content()
    assert_no_identity(mail.as_string() + mail.get_content())
    assert len(smtp.inbox.to(AGENCY_MAIL)) == 1


def test_submit_result_reaches_the_leader(ready_db: str, smtp: SmtpServer) -> None:
    """D8 bước 4, D9: the unit leader is asked to approve, without the reporter's identity."""
    report = submit(ready_db)
    Steps(ready_db, report).path(*TO_AWAITING)
    [row] = written(ready_db, report, "leader.result_submitted")
    assert row.recipient == AGENCY_MAIL
    outbox.deliver_due(ready_db, now=LATER)
    [mail] = [m for m in smtp.inbox.to(AGENCY_MAIL) if m["X-IOC-Kind"] == "leader.result_submitted"]
    assert mail["Subject"].startswith(f"Lãnh đạo {AGENCY_SHORT}")
    assert RESULT in mail.get_content()
    assert_no_identity(mail.as_string() + mail.get_content())


def test_return_to_ioc_reaches_the_ioc_naming_the_agency(ready_db: str, smtp: SmtpServer) -> None:
    """D8 bước 2: the IOC learns which agency returned the report and why."""
    report = submit(ready_db)
    steps = Steps(ready_db, report)
    steps.path(*TO_IN_PROGRESS)
    steps("return_to_ioc", HANDLER, {"reason": "Thuộc thẩm quyền Điện lực"})
    [row] = written(ready_db, report, "ioc.returned")
    assert row.recipient == IOC_MAIL
    outbox.deliver_due(ready_db, now=LATER)
    [mail] = smtp.inbox.to(IOC_MAIL)
    assert AGENCY_SHORT in mail["Subject"]
    assert "Thuộc thẩm quyền Điện lực" in mail.get_content()


def test_reopen_reaches_the_agency(ready_db: str, smtp: SmtpServer) -> None:
    """D11.3: the agency is asked to clarify its published result."""
    report = submit(ready_db)
    steps = Steps(ready_db, report)
    steps.path(*TO_APPROVED, ("publish", IOC, None))
    steps("reopen", IOC, {"reason": "Người dân phản hồi ổ gà vẫn còn"})
    [row] = written(ready_db, report, "agency.reopened")
    assert row.recipient == AGENCY_MAIL and "ổ gà vẫn còn" in row.body
    assert_no_identity(row.body)


def test_texts_fall_back_to_the_steps_event(ready_db: str) -> None:
    """Called without params/actor, the reason comes from the step's audit event and the
    returning agency from the last forward (D8 bước 2 has already cleared `agency_code`)."""
    from backend.services import audit

    report = submit(ready_db)
    Steps(ready_db, report).path(*TO_IN_PROGRESS)
    reason = "Thuộc thẩm quyền Điện lực"
    with session_factory(ready_db)() as session, session.begin():
        current = session.get(Report, report.id)
        current.state, current.agency_code = "returned_to_ioc", None
        audit.append_report_event(session, current, at=LATER, actor=HANDLER.username,
                                  role=HANDLER.role.value, action="return_to_ioc",
                                  from_state="in_progress", to_state="returned_to_ioc",
                                  note=reason)
        [message] = outbox.enqueue_for_step(session, current, "return_to_ioc",
                                            "returned_to_ioc", LATER)
        assert message.recipient == IOC_MAIL
        assert AGENCY_SHORT in message.subject and reason in message.body
        session.rollback()


def test_ioc_notices_skipped_without_ioc_mailbox(ready_db: str, monkeypatch) -> None:
    monkeypatch.delenv("IOC_NOTIFY_EMAIL")
    report = submit(ready_db)
    steps = Steps(ready_db, report)
    steps.path(("accept", IOC, None))
    steps("escalate", IOC, {"reason": "Chưa thống nhất"})
    written(ready_db, report, "citizen.submitted")  # the wiring is there...
    assert rows(ready_db, report, "ioc.escalated") == []  # ...but nobody to tell


def test_no_email_no_app_no_citizen_message(ready_db: str) -> None:
    report = submit(ready_db, reporter_email=None, channel="portal")
    Steps(ready_db, report)("reject", IOC, {"reason": REASON})
    assert rows(ready_db, report) == []


def test_webhook_payload_carries_no_personal_data(
    ready_db: str, smtp: SmtpServer, webhook: Hook, monkeypatch,
) -> None:
    """The app's payload: code, kind, state, Vietnamese text; signed when a secret is set."""
    monkeypatch.setenv("IOC_WEBHOOK_SECRET", "s3cret")
    [email_id, hook_id] = queue_direct(ready_db)
    assert stored(ready_db, hook_id).channel == "webhook"
    outbox.deliver_due(ready_db, now=LATER)
    [(headers, payload)] = webhook.requests
    assert set(payload) == {"code", "kind", "state", "state_label", "text", "at", "message_id"}
    assert payload["kind"] == "citizen.rejected" and payload["state"] == "rejected"
    assert REASON in payload["text"]
    assert_no_identity(json.dumps(payload, ensure_ascii=False))
    assert headers["Idempotency-Key"] == f"outbox-{hook_id}"
    assert headers["X-IOC-Signature"].startswith("sha256=")
    assert stored(ready_db, hook_id).status == stored(ready_db, email_id).status == "sent"


# --- delivery: retries, dead letters, concurrency, atomicity ---------------------------------

def test_smtp_down_then_up_delivers_exactly_once(ready_db: str, smtp_down: SmtpServer) -> None:
    """Nothing listens: the message stays, retried later; once up, delivered exactly once."""
    [message_id] = queue_direct(ready_db)
    stats = outbox.deliver_due(ready_db, now=MONDAY)
    assert (stats.claimed, stats.sent, stats.retried) == (1, 0, 1)
    row = stored(ready_db, message_id)
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.next_attempt_at > MONDAY + timedelta(seconds=29)
    assert row.last_error and "\n" not in row.last_error

    smtp_down.start()
    assert outbox.deliver_due(ready_db, now=MONDAY + timedelta(seconds=1)).claimed == 0  # not due
    assert smtp_down.inbox.received == []
    assert outbox.deliver_due(ready_db, now=MONDAY + timedelta(hours=1)).sent == 1
    assert outbox.deliver_due(ready_db, now=MONDAY + timedelta(hours=2)).claimed == 0
    assert len(smtp_down.inbox.received) == 1
    row = stored(ready_db, message_id)
    assert (row.status, row.attempts, row.sent_at) == ("sent", 2, MONDAY + timedelta(hours=1))


def test_webhook_500_is_retried(ready_db: str, webhook: Hook) -> None:
    webhook.statuses.extend([500, 503])
    [hook_id] = queue_direct(ready_db, reporter_email=None)
    now = MONDAY
    for expected in ("pending", "pending", "sent"):
        outbox.deliver_due(ready_db, now=now)
        assert stored(ready_db, hook_id).status == expected
        now += timedelta(hours=2)
    row = stored(ready_db, hook_id)
    assert row.attempts == 3 and len(webhook.requests) == 3
    assert {h["Idempotency-Key"] for h, _ in webhook.requests} == {f"outbox-{hook_id}"}


def test_backoff_grows_and_is_capped() -> None:
    assert timedelta(seconds=30) <= outbox.backoff(1) <= timedelta(seconds=33)
    assert timedelta(seconds=60) <= outbox.backoff(2) <= timedelta(seconds=66)
    assert timedelta(hours=1) <= outbox.backoff(30) <= timedelta(hours=1.1)


def test_after_max_attempts_dead_but_kept(ready_db: str, smtp_down: SmtpServer) -> None:
    """A delivery failure never loses the notification: it ends `dead`, still in the table."""
    [message_id] = queue_direct(ready_db)
    now = MONDAY
    for _ in range(outbox.MAX_ATTEMPTS):
        outbox.deliver_due(ready_db, now=now)
        now += timedelta(hours=2)
    row = stored(ready_db, message_id)
    assert (row.status, row.attempts) == ("dead", outbox.MAX_ATTEMPTS)
    assert row.last_error and row.body
    smtp_down.start()
    assert outbox.deliver_due(ready_db, now=now + timedelta(days=1)).claimed == 0
    assert smtp_down.inbox.received == []
    assert outbox.status_counts(ready_db)["dead"] == 1


def test_unconfigured_channel_keeps_message_pending(ready_db: str) -> None:
    """No SMTP_HOST: nothing is tried, nothing is dropped, attempts stay 0."""
    [message_id] = queue_direct(ready_db)
    stats = outbox.deliver_due(ready_db, now=LATER)
    assert (stats.claimed, stats.waiting) == (0, 1)
    row = stored(ready_db, message_id)
    assert (row.status, row.attempts, row.last_error) == ("pending", 0, None)


def test_concurrent_workers_never_send_a_message_twice(ready_db: str, smtp: SmtpServer) -> None:
    """Four workers at once (PostgreSQL: FOR UPDATE SKIP LOCKED): each message sent once."""
    ids = queue_direct(ready_db, n=24)
    barrier = threading.Barrier(4)
    results: list[outbox.DeliveryStats] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            results.append(outbox.deliver_due(ready_db, now=LATER))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    sent_ids = [int(m["X-IOC-Outbox-Id"]) for m in smtp.inbox.messages]
    assert sorted(sent_ids) == sorted(ids)  # every one, none twice
    assert sum(r.sent for r in results) == len(ids)
    assert {(m.status, m.attempts) for m in rows(ready_db)} == {("sent", 1)}


def test_rolled_back_step_leaves_no_message(ready_db: str) -> None:
    """Written in the step's transaction: if the step fails, its notice never existed."""
    report = submit(ready_db)
    with session_factory(ready_db)() as session:
        session.execute(delete(OutboxMessage))
        session.commit()
    with pytest.raises(RuntimeError), session_factory(ready_db)() as session, session.begin():
        stored_report = session.get(Report, report.id)
        stored_report.state = "rejected"
        written_now = outbox.enqueue_for_step(session, stored_report, "reject", "rejected",
                                              MONDAY, params={"reason": REASON})
        session.flush()
        assert written_now and all(m.id for m in written_now)
        raise RuntimeError("the step fails after its notice was written")
    assert rows(ready_db) == []
    assert get_report(report.code, url=ready_db).state == "submitted"
    # and a refused or stale step through the service writes nothing either
    with pytest.raises(StaleVersion):
        perform_action(report.code, "reject", IOC, {"reason": REASON}, version=99,
                       now=LATER, url=ready_db)
    assert rows(ready_db) == []


# --- worker and command line ----------------------------------------------------------------

def test_delivery_loop_sends_and_stops(ready_db: str, smtp: SmtpServer) -> None:
    queue_direct(ready_db, n=2, at=datetime.now(UTC))
    stop = threading.Event()
    thread = threading.Thread(target=outbox.run_delivery_loop,
                              kwargs={"interval": 0.05, "url": ready_db, "stop": stop})
    thread.start()
    try:
        for _ in range(200):
            if len(smtp.inbox.received) == 2:
                break
            threading.Event().wait(0.05)
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()
    assert len(smtp.inbox.received) == 2


def test_cli_status_and_deliver_once(ready_db: str, smtp: SmtpServer) -> None:
    queue_direct(ready_db, n=3, at=datetime.now(UTC))
    runner = CliRunner()
    result = runner.invoke(outbox_cli, ["status"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["pending\t3", "sent\t0", "dead\t0"]
    result = runner.invoke(outbox_cli, ["deliver", "--once"])
    assert result.exit_code == 0, result.output
    assert "đã gửi 3" in result.output
    assert len(smtp.inbox.received) == 3
    assert runner.invoke(outbox_cli, ["status"]).output.splitlines()[1] == "sent\t3"

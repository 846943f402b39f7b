"""Workflow steps through the services (`backend.services.workflow.steps`) on a real database.

Phụ lục I end to end, the per-stage clocks (D6.2, D7.1, D8 bước 3, D9.2, D10.1), refused steps
that change nothing, optimistic locking under 8 concurrent forwards (TESTPLAN 14) and a
hypothesis state machine comparing the stored reports with a model (TESTPLAN 15).
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, inspect, select

from backend.domain.roles import Role
from backend.domain.workflow import (
    Actor,
    Forbidden,
    IllegalTransition,
    InvalidParams,
    ReportFacts,
    StaleVersion,
    State,
    WorkflowError,
    decide,
)
from backend.services.audit import verify_chains
from backend.services.clocks import current_calendar
from backend.services.errors import NotFound, ValidationError
from backend.services.intake.submit import NewReport, submit_report
from backend.services.workflow.steps import get_report, perform_action
from backend.storage.db import session_factory
from backend.storage.models import Agency, Consultation, Event, Feedback, Report

MONDAY = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)  # 08:00 in Thái Nguyên, a working Monday
LAT, LON = 21.5942, 105.8482  # TP Thái Nguyên

AGENCY, AGENCY_NAME = "ubnd_05443", "UBND phường Phan Đình Phùng"
OTHER = "dien_luc"
CONSULTED = "so_xd"
FIELD = "do_thi_xay_dung"

CITIZEN = Actor("citizen", Role.CITIZEN)
IOC = Actor("ioc_lan", Role.IOC_HANDLER)
HANDLER = Actor("xl_164", Role.AGENCY_HANDLER, AGENCY)
LEADER = Actor("ld_164", Role.AGENCY_LEADER, AGENCY)
OTHER_HANDLER = Actor("xl_dl", Role.AGENCY_HANDLER, OTHER)
OTHER_LEADER = Actor("ld_dl", Role.AGENCY_LEADER, OTHER)
CONSULTED_HANDLER = Actor("xl_sxd", Role.AGENCY_HANDLER, CONSULTED)
PROVINCE = Actor("ubnd_tinh", Role.PROVINCIAL_LEADER)

FORWARD = {"field": FIELD, "agency": AGENCY}
RESULT = "Đã san lấp ổ gà trước số nhà 12 đường Hoàng Văn Thụ"

WORKING = {"verify": 240, "forward": 480, "approve": 240, "publish": 240}  # data/sla.toml
EMERGENCY_MINUTES = 60


def minutes(n: int) -> timedelta:
    return timedelta(minutes=n)


def submit(url: str, now: datetime = MONDAY, **kw: Any) -> Report:
    return submit_report(NewReport(description="Ổ gà lớn giữa đường Hoàng Văn Thụ",
                                   lat=LAT, lon=LON, reporter_name="Nguyễn Văn A",
                                   reporter_phone="0912345678", **kw), now=now, url=url)


class Steps:
    """Steps on one report with a clock that moves 20 minutes per step."""

    def __init__(self, url: str, report: Report, now: datetime = MONDAY) -> None:
        self.url, self.code, self.now = url, report.code, now

    def __call__(self, action: str, actor: Actor, params: dict[str, Any] | None = None,
                 **kw: Any) -> Report:
        self.now += minutes(20)
        return perform_action(self.code, action, actor, params, now=self.now, url=self.url, **kw)

    def to(self, *path: tuple[str, Actor, dict[str, Any] | None]) -> Report:
        report = get_report(self.code, url=self.url)
        for action, actor, params in path:
            report = self(action, actor, params)
        return report


TO_IN_PROGRESS = (("accept", IOC, None), ("forward", IOC, FORWARD), ("receive", HANDLER, None))
TO_AWAITING = (*TO_IN_PROGRESS, ("submit_result", HANDLER, {"result": RESULT}))
TO_PUBLISHED = (*TO_AWAITING, ("approve", LEADER, None), ("publish", IOC, None))


def events_of(url: str, code: str) -> list[Event]:
    with session_factory(url)() as session:
        return list(session.scalars(select(Event).where(Event.stream == code)
                                    .order_by(Event.seq)))


def row_snapshot(url: str, code: str) -> dict[str, Any]:
    """Every column of the report, plus how many events, feedback and consultations it has."""
    with session_factory(url)() as session:
        report = session.scalar(select(Report).where(Report.code == code))
        snap = {c.key: getattr(report, c.key) for c in inspect(Report).column_attrs}
        for model in (Event, Feedback, Consultation):
            snap[model.__tablename__] = session.scalar(
                select(func.count()).select_from(model).where(model.report_id == report.id))
        return snap


def chains_ok(url: str) -> None:
    with session_factory(url)() as session:
        result = verify_chains(session)
    assert result.ok, result.problems


def process_minutes(url: str, agency: str) -> int:
    with session_factory(url)() as session:
        return min(session.get(Agency, agency).process_minutes, 1440)


# --- the happy path ------------------------------------------------------------------------

def test_happy_path_clocks_versions_answer_and_history(ready_db: str) -> None:
    """Phụ lục I: submit → accept → forward → receive → submit_result → approve → publish →
    feedback → close, one version and one chained event per step, each stage timed."""
    cal = current_calendar(ready_db)
    report = submit(ready_db)
    code, t0 = report.code, report.submitted_at
    assert code.startswith("PA-2026-")
    assert (report.state, report.version) == ("submitted", 1)
    assert t0 == MONDAY
    assert report.verify_start == report.forward_start == t0
    assert report.verify_due == cal.deadline_one(t0, WORKING["verify"])  # D6.2: ½ working day
    assert report.forward_due == cal.deadline_one(t0, WORKING["forward"])  # D7.1: 1 working day
    assert report.verify_due == datetime(2026, 11, 30, 6, 30, tzinfo=UTC)  # 13:30 local
    assert report.verify_done is None and report.process_start is None

    step = Steps(ready_db, report)
    plan = [
        ("accept", IOC, None, "submitted", "accepted"),
        ("forward", IOC, FORWARD, "accepted", "forwarded"),
        ("receive", HANDLER, None, "forwarded", "in_progress"),
        ("submit_result", HANDLER, {"result": RESULT}, "in_progress", "awaiting_approval"),
        ("approve", LEADER, None, "awaiting_approval", "approved"),
        ("publish", IOC, None, "approved", "published"),
        ("feedback", CITIZEN, {"rating": "hai_long", "reply": "Cảm ơn"}, "published", "published"),
        ("close", IOC, None, "published", "closed"),
    ]
    at: dict[str, datetime] = {}
    for n, (action, actor, params, source, target) in enumerate(plan, start=2):
        assert report.state == source
        report = step(action, actor, params, version=report.version)
        at[action] = step.now
        assert (report.state, report.version) == (target, n), action
        stored = get_report(code, url=ready_db)
        assert (stored.state, stored.version, stored.event_seq) == (target, n, n), action
        assert stored.updated_at == step.now

        if action == "accept":
            assert stored.verify_done == at["accept"]
            assert stored.forward_done is None
        elif action == "forward":
            assert (stored.agency_code, stored.field_code) == (AGENCY, FIELD)
            assert stored.forward_done == stored.process_start == at["forward"]
            assert stored.process_due == cal.deadline_one(  # D8 bước 3: the agency's own limit
                at["forward"], process_minutes(ready_db, AGENCY))
        elif action == "receive":
            assert stored.received_at == at["receive"]
            assert stored.process_done is None
        elif action == "submit_result":
            assert stored.process_done == stored.approve_start == at["submit_result"]
            assert stored.approve_due == cal.deadline_one(at["submit_result"], WORKING["approve"])
            assert (stored.result_text, stored.result_by) == (RESULT, HANDLER.username)
        elif action == "approve":
            assert stored.approve_done == stored.publish_start == at["approve"]
            assert stored.publish_due == cal.deadline_one(at["approve"], WORKING["publish"])
        elif action == "publish":
            assert stored.publish_done == stored.published_at == at["publish"]
            # Phụ lục II: the agency's name and the approved result in the official frame.
            assert stored.answer_text.startswith(AGENCY_NAME)
            assert RESULT in stored.answer_text
            assert f"{AGENCY_NAME} đã tiến hành kiểm tra, xử lý" in stored.answer_text
            assert stored.answer_text.rstrip().endswith("Trân trọng.")
        elif action == "feedback":
            assert stored.rating == "hai_long"
        elif action == "close":
            assert stored.closed_at == at["close"]

    # Each stage finished before its deadline; earlier stamps survive the later steps.
    final = get_report(code, url=ready_db)
    assert final.verify_done == at["accept"] and final.forward_done == at["forward"]
    for stage in ("verify", "forward", "process", "approve", "publish"):
        assert getattr(final, f"{stage}_start") <= getattr(final, f"{stage}_done") <= getattr(
            final, f"{stage}_due"), stage
    assert (final.return_count, final.rework_count, final.reopen_count,
            final.escalation_count) == (0, 0, 0, 0)

    history = events_of(ready_db, code)
    assert [e.action for e in history] == ["submit"] + [p[0] for p in plan]
    assert [e.seq for e in history] == list(range(1, len(plan) + 2))
    assert [(e.from_state, e.to_state) for e in history] == (
        [(None, "submitted")] + [(p[3], p[4]) for p in plan])
    assert [(e.actor, e.role) for e in history] == (
        [("citizen", "citizen")] + [(p[1].username, p[1].role.value) for p in plan])
    assert [e.at for e in history[1:]] == [at[p[0]] for p in plan]
    assert all(e.report_id == final.id for e in history)
    assert history[0].prev_hash is None
    assert all(b.prev_hash == a.hash for a, b in zip(history, history[1:], strict=False))
    assert final.last_event_hash == history[-1].hash
    assert RESULT in history[4].data  # the submitted result is kept in the history
    chains_ok(ready_db)


def test_emergency_runs_on_clock_time(ready_db: str) -> None:
    """D6.2, D7.1, D8, D9.2, D10.1: an emergency report's stages run on clock time ("ngay")."""
    saturday_night = datetime(2026, 12, 5, 15, 0, tzinfo=UTC)  # Saturday 22:00 local
    report = submit(ready_db, now=saturday_night, emergency=True)
    assert report.emergency is True
    assert report.verify_due == saturday_night + minutes(EMERGENCY_MINUTES)
    assert report.forward_due == saturday_night + minutes(EMERGENCY_MINUTES)
    step = Steps(ready_db, report, now=saturday_night)
    report = step.to(("accept", IOC, None), ("forward", IOC, FORWARD))
    assert report.process_due == step.now + minutes(1440)  # 24 clock hours, not 3 working days
    report = step.to(("receive", HANDLER, None), ("submit_result", HANDLER, {"result": RESULT}))
    assert report.approve_due == step.now + minutes(EMERGENCY_MINUTES)
    report = step("approve", LEADER)
    assert report.publish_due == step.now + minutes(EMERGENCY_MINUTES)


def test_accept_can_flag_an_emergency(ready_db: str) -> None:
    """D7.1: the IOC marks a report as an emergency while verifying it: forwarding is now urgent."""
    report = submit(ready_db)
    step = Steps(ready_db, report)
    report = step("accept", IOC, {"emergency": True, "field": FIELD})
    assert report.emergency is True and report.field_code == FIELD
    assert report.forward_due == MONDAY + minutes(EMERGENCY_MINUTES)


def test_confidential_report_is_answered_privately(ready_db: str) -> None:
    """D10.3: the reporter asked for secrecy: the answer goes to them alone."""
    report = submit(ready_db, confidential=True)
    step = Steps(ready_db, report)
    report = step.to(*TO_AWAITING, ("approve", LEADER, None))
    report = step("publish", IOC)
    assert report.state == "answered_privately"
    assert RESULT in report.answer_text
    assert events_of(ready_db, report.code)[-1].to_state == "answered_privately"
    report = step("feedback", CITIZEN, {"rating": "chap_nhan_duoc"})
    assert (report.state, report.rating) == ("answered_privately", "chap_nhan_duoc")


# --- refused steps change nothing ------------------------------------------------------------

@pytest.mark.parametrize(
    ("setup", "action", "actor", "params", "error", "stale"),
    [
        pytest.param((), "publish", IOC, None, IllegalTransition, False, id="publish-submitted"),
        pytest.param((), "forward", IOC, FORWARD, IllegalTransition, False, id="skip-verify"),
        pytest.param((), "accept", CITIZEN, None, Forbidden, False, id="citizen-accepts"),
        pytest.param((), "reject", IOC, {"reason": " "}, InvalidParams, False, id="no-reason"),
        pytest.param((), "accept", IOC, None, StaleVersion, True, id="stale-accept"),
        pytest.param((("accept", IOC, None),), "forward", IOC, {"field": FIELD,
                     "agency": "khong_ton_tai"}, ValidationError, False, id="unknown-agency"),
        pytest.param((("accept", IOC, None),), "forward", IOC, FORWARD, StaleVersion, True,
                     id="stale-forward"),
        pytest.param(TO_IN_PROGRESS[:2], "receive", OTHER_HANDLER, None, Forbidden, False,
                     id="wrong-agency-receives"),
        pytest.param(TO_IN_PROGRESS[:2], "receive", LEADER, None, Forbidden, False,
                     id="leader-receives"),
        pytest.param(TO_IN_PROGRESS, "approve", LEADER, None, IllegalTransition, False,
                     id="approve-before-result"),
        pytest.param(TO_AWAITING, "publish", IOC, None, IllegalTransition, False,
                     id="publish-before-approval"),
        pytest.param(TO_AWAITING, "approve", OTHER_LEADER, None, Forbidden, False,
                     id="other-agency-approves"),
        pytest.param(TO_AWAITING, "approve", Actor(HANDLER.username, Role.AGENCY_LEADER, AGENCY),
                     None, Forbidden, False, id="approve-own-work"),
        pytest.param((*TO_AWAITING, ("approve", LEADER, None)), "approve", LEADER, None,
                     IllegalTransition, False, id="replay-approval"),
        pytest.param(TO_PUBLISHED, "feedback", CITIZEN, {"rating": "tuyet_voi"}, InvalidParams,
                     False, id="bad-rating"),
        pytest.param(TO_PUBLISHED, "feedback", CITIZEN, {"rating": ["hai_long"]}, InvalidParams,
                     False, id="rating-not-a-string"),
    ],
)
def test_refused_step_changes_nothing(ready_db: str, setup, action, actor, params, error,
                                      stale) -> None:
    """TESTPLAN 15: illegal transition, wrong role, wrong agency, own work, stale version: the
    step is refused with its reason and the stored report, its history and its counters stay."""
    report = submit(ready_db)
    step = Steps(ready_db, report)
    report = step.to(*setup)
    before = row_snapshot(ready_db, report.code)
    version = report.version - 1 if stale else report.version
    with pytest.raises(error):
        step(action, actor, params, version=version)
    assert row_snapshot(ready_db, report.code) == before
    chains_ok(ready_db)


def test_replaying_an_old_approval_is_stale(ready_db: str) -> None:
    """TESTPLAN 15 "replay an old approval": the version read before the approval is spent."""
    report = submit(ready_db)
    step = Steps(ready_db, report)
    report = step.to(*TO_AWAITING)
    read = report.version
    step("approve", LEADER, version=read)
    step("publish", IOC)
    before = row_snapshot(ready_db, report.code)
    with pytest.raises(StaleVersion):
        step("approve", LEADER, version=read)
    assert row_snapshot(ready_db, report.code) == before


def test_unknown_report_is_not_found(ready_db: str) -> None:
    with pytest.raises(NotFound):
        perform_action("PA-2026-999999", "accept", IOC, now=MONDAY, url=ready_db)
    with pytest.raises(NotFound):
        get_report("PA-2026-999999", url=ready_db)


# --- clocks and counters after the detours ---------------------------------------------------

def test_return_to_ioc_restarts_forward_clock_and_clears_process(ready_db: str) -> None:
    """D8 bước 2: not ours: back to the IOC, whose forward clock restarts now (D7.1)."""
    cal = current_calendar(ready_db)
    report = submit(ready_db)
    step = Steps(ready_db, report)
    report = step.to(*TO_IN_PROGRESS, ("progress_notice", HANDLER, {"note": "Đang kiểm tra"}))
    assert report.progress_notice_at is not None and report.received_at is not None
    report = step("return_to_ioc", HANDLER, {"reason": "Thuộc Sở Xây dựng"})
    returned = step.now
    assert report.state == "returned_to_ioc"
    assert (report.forward_start, report.forward_done) == (returned, None)
    assert report.forward_due == cal.deadline_one(returned, WORKING["forward"])
    assert (report.process_start, report.process_due, report.process_done) == (None, None, None)
    assert report.received_at is None
    assert report.agency_code is None  # no longer the returning agency's report
    assert report.return_count == 1
    assert report.verify_done is not None  # verification is not undone

    report = step("forward", IOC, {"field": "giao_thong", "agency": "so_xd"})
    assert (report.state, report.agency_code, report.field_code) == ("forwarded", "so_xd",
                                                                     "giao_thong")
    assert report.forward_done == report.process_start == step.now
    assert report.process_due == cal.deadline_one(step.now, process_minutes(ready_db, "so_xd"))
    assert report.progress_notice_at is None
    # The agency that sent it back no longer acts on it.
    with pytest.raises(Forbidden):
        step("receive", HANDLER)
    report = step("receive", Actor("xl_sxd", Role.AGENCY_HANDLER, "so_xd"))
    assert report.state == "in_progress"


def test_return_for_rework_keeps_process_due(ready_db: str) -> None:
    """D9.1: rework goes back to the handler; the processing deadline stays where it was."""
    report = submit(ready_db)
    step = Steps(ready_db, report)
    report = step.to(*TO_AWAITING)
    process_start, process_due = report.process_start, report.process_due
    report = step("return_for_rework", LEADER, {"reason": "Thiếu ảnh sau xử lý"})
    assert report.state == "in_progress"
    assert (report.process_start, report.process_due) == (process_start, process_due)
    assert report.process_done is None
    assert (report.approve_start, report.approve_due, report.approve_done) == (None, None, None)
    assert report.rework_count == 1
    report = step("submit_result", HANDLER, {"result": "Đã xử lý, có ảnh"})
    assert report.process_done == report.approve_start == step.now
    report = step("edit_and_approve", LEADER, {"result": "Đã xử lý xong, kèm ảnh"})
    assert (report.state, report.result_text) == ("approved", "Đã xử lý xong, kèm ảnh")
    assert report.approve_done == step.now
    assert report.rework_count == 1


def test_supplement_restarts_verify_and_forward_clocks(ready_db: str) -> None:
    """D7.2b: the supplemented report is verified afresh: both intake clocks start again."""
    cal = current_calendar(ready_db)
    report = submit(ready_db)
    step = Steps(ready_db, report)
    report = step("request_supplement", IOC, {"missing": "Địa chỉ cụ thể"})
    assert (report.state, report.verify_done) == ("needs_supplement", step.now)
    report = step("supplement", CITIZEN, {"text": "Trước số nhà 12"})
    again = step.now
    assert report.state == "submitted"
    assert report.verify_start == report.forward_start == again
    assert report.verify_due == cal.deadline_one(again, WORKING["verify"])
    assert report.forward_due == cal.deadline_one(again, WORKING["forward"])
    assert (report.verify_done, report.forward_done) == (None, None)
    assert "Trước số nhà 12" in report.description
    assert report.description.startswith("Ổ gà lớn")


def test_reopen_gives_a_fresh_process_clock(ready_db: str) -> None:
    """D11.3: more clarification needed: back to the same agency with a new processing clock."""
    cal = current_calendar(ready_db)
    report = submit(ready_db)
    step = Steps(ready_db, report)
    report = step.to(*TO_PUBLISHED, ("feedback", CITIZEN, {"rating": "khong_hai_long"}))
    first_due = report.process_due
    step.now = MONDAY + timedelta(days=2)  # two days later
    report = step("reopen", IOC, {"reason": "Người dân báo ổ gà vẫn còn"})
    reopened = step.now
    assert (report.state, report.agency_code) == ("in_progress", AGENCY)
    assert report.process_start == reopened
    assert report.process_due == cal.deadline_one(reopened, process_minutes(ready_db, AGENCY))
    assert report.process_due > first_due
    assert report.process_done is None
    for stage in ("approve", "publish"):
        assert [getattr(report, f"{stage}_{s}") for s in ("start", "due", "done")] == [None] * 3
    assert report.reopen_count == 1
    report = step.to(("submit_result", HANDLER, {"result": "Đã làm lại"}),
                     ("approve", LEADER, None), ("publish", IOC, None))
    assert report.state == "published" and "Đã làm lại" in report.answer_text
    assert report.reopen_count == 1


def test_escalate_and_direct_count_escalations(ready_db: str) -> None:
    """D7.2c: disputed routing goes to the provincial People's Committee, who directs it."""
    report = submit(ready_db)
    step = Steps(ready_db, report)
    report = step.to(("accept", IOC, {"field": FIELD}),
                     ("consult", IOC, {"agencies": [AGENCY, CONSULTED], "note": "Thuộc ai?"}),
                     ("consult", CONSULTED_HANDLER, {"answer": "Không thuộc Sở Xây dựng"}),
                     ("escalate", IOC, {"reason": "Hai cơ quan không thống nhất"}))
    assert (report.state, report.escalation_count) == ("escalated", 1)
    with pytest.raises(Forbidden):
        step("direct", IOC, {"agency": AGENCY, "direction": "x"})
    report = step("direct", PROVINCE, {"agency": AGENCY, "direction": "Giao UBND TP xử lý"})
    assert (report.state, report.agency_code) == ("forwarded", AGENCY)
    assert report.process_start == step.now
    # The agency asked earlier (and not answered yet) may still answer after forwarding.
    report = step("consult", HANDLER, {"answer": "Thuộc UBND thành phố"})
    assert report.state == "forwarded"
    with session_factory(ready_db)() as session:
        rows = session.scalars(select(Consultation).where(Consultation.report_id == report.id)
                               .order_by(Consultation.agency_code)).all()
    assert [(c.agency_code, c.answered_by) for c in rows] == [(CONSULTED, "xl_sxd"),
                                                              (AGENCY, "xl_164")]
    # Having answered, the consulted agency has nothing more to say about it.
    with pytest.raises(Forbidden):
        step("consult", CONSULTED_HANDLER, {"answer": "Lần nữa"})


# --- TESTPLAN 14: concurrent forwards --------------------------------------------------------

def test_eight_handlers_forward_at_once_one_wins(ready_db: str) -> None:
    """TESTPLAN 14: 8 threads forward the same report with the same version: 1 succeeds,
    7 get StaleVersion (HTTP 409), and the history has exactly one forward."""
    report = submit(ready_db)
    report = Steps(ready_db, report)("accept", IOC)
    version = report.version
    barrier = threading.Barrier(8)
    outcomes: list[str] = []
    lock = threading.Lock()

    def forward(i: int) -> None:
        actor = Actor(f"ioc_{i}", Role.IOC_HANDLER)
        agency = (AGENCY, OTHER)[i % 2]
        barrier.wait()
        try:
            perform_action(report.code, "forward", actor, {"field": FIELD, "agency": agency},
                           version=version, now=MONDAY + minutes(30), url=ready_db)
            outcome = "ok"
        except StaleVersion:
            outcome = "stale"
        except Exception as exc:  # noqa: BLE001 - any other outcome is reported, not hidden
            outcome = f"{type(exc).__name__}: {exc}"
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=forward, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["ok"] + ["stale"] * 7, outcomes
    stored = get_report(report.code, url=ready_db)
    assert (stored.state, stored.version) == ("forwarded", version + 1)
    history = events_of(ready_db, report.code)
    assert [e.action for e in history] == ["submit", "accept", "forward"]
    assert history[-1].actor in {f"ioc_{i}" for i in range(8)}
    assert stored.agency_code == (AGENCY, OTHER)[int(history[-1].actor[-1]) % 2]
    chains_ok(ready_db)


# --- a state machine over the services (TESTPLAN 15) -----------------------------------------

ALL_ACTORS = (CITIZEN, IOC, HANDLER, LEADER, Actor("xl_164", Role.AGENCY_LEADER, AGENCY),
              OTHER_HANDLER, OTHER_LEADER, CONSULTED_HANDLER, PROVINCE,
              Actor("quan_tri", Role.ADMIN))
MISSING_AGENCY = "khong_co"
SERVICE_PARAMS: dict[str, tuple[dict[str, Any], ...]] = {
    "accept": ({}, {"field": FIELD}),
    "reject": ({"reason": "Không đủ thông tin"}, {}),
    "request_supplement": ({"missing": "Ảnh"},),
    "supplement": ({"text": "Ảnh bổ sung"},),
    "forward": ({"field": FIELD, "agency": AGENCY}, {"field": "dien", "agency": OTHER},
                {"field": FIELD, "agency": MISSING_AGENCY}, {"agency": AGENCY}),
    "consult": ({"agencies": [CONSULTED]}, {"agencies": [OTHER, CONSULTED]},
                {"agencies": [AGENCY]}, {"answer": "Ý kiến"}, {"agencies": [MISSING_AGENCY]}),
    "escalate": ({"reason": "Không thống nhất"},),
    "direct": ({"agency": AGENCY, "direction": "Giao xử lý"},
               {"agency": OTHER, "direction": "Giao", "field": "dien"}),
    "receive": ({},),
    "return_to_ioc": ({"reason": "Không thuộc phạm vi"},),
    "progress_notice": ({"note": "Đang xử lý"},),
    "submit_result": ({"result": "Đã xử lý"}, {}),
    "approve": ({},),
    "return_for_rework": ({"reason": "Làm lại"},),
    "edit_and_approve": ({"result": "Đã xử lý (sửa)"},),
    "publish": ({},),
    "feedback": ({"rating": "hai_long"}, {"rating": "khong_hai_long", "reply": "Chưa ổn"},
                 {"rating": "xuat_sac"}),
    "reopen": ({"reason": "Chưa rõ"},),
    "close": ({},),
}
STEPS = [(a, p) for a, ps in SERVICE_PARAMS.items() for p in ps]
DETOURS = frozenset({"reject", "request_supplement", "escalate", "return_to_ioc",
                     "return_for_rework", "reopen", "close", "consult", "progress_notice"})


@dataclass
class Model:
    """What the test expects of one stored report."""

    code: str
    confidential: bool
    state: State = State.SUBMITTED
    version: int = 1
    events: int = 1
    agency: str | None = None
    field_code: str | None = None
    result_by: str | None = None
    consulted: Counter[str] = field(default_factory=Counter)  # open questions per agency

    def facts(self) -> ReportFacts:
        return ReportFacts(state=self.state, agency_code=self.agency,
                           confidential=self.confidential, result_submitted_by=self.result_by,
                           consulted_agencies=frozenset(+self.consulted))

    def rejects_input(self, action: str, actor: Actor, params: dict[str, Any]) -> bool:
        """Steps the rules allow but the stored reference data refuses (ValidationError)."""
        if action in ("forward", "direct"):
            return params["agency"] == MISSING_AGENCY or (self.field_code is None
                                                          and "field" not in params)
        if action == "consult" and "answer" not in params:
            return MISSING_AGENCY in params["agencies"] or actor.agency_code in params["agencies"]
        return False

    def apply(self, action: str, actor: Actor, params: dict[str, Any], target: State) -> None:
        self.state, self.version, self.events = target, self.version + 1, self.events + 1
        if action in ("accept", "forward", "direct") and params.get("field"):
            self.field_code = params["field"]
        if action in ("forward", "direct"):
            self.agency = params["agency"]
        elif action == "return_to_ioc":
            self.agency = None  # D8 bước 2: back at the IOC, no agency holds it
        elif action == "submit_result":
            self.result_by = actor.username
        elif action == "consult" and "answer" in params:
            self.consulted[actor.agency_code] -= 1  # one open question answered
        elif action == "consult":
            self.consulted.update(dict.fromkeys(params["agencies"], 1))


class ServiceMachine(RuleBasedStateMachine):
    """Random steps on a few stored reports; the database must always match the model."""

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url
        self.now = MONDAY
        self.models: list[Model] = []

    def _tick(self) -> datetime:
        self.now += minutes(13)
        return self.now

    @initialize(confidential=st.lists(st.booleans(), min_size=2, max_size=3))
    def submit_some(self, confidential: list[bool]) -> None:
        for secret in confidential:
            report = submit(self.url, now=self._tick(), confidential=secret)
            self.models.append(Model(report.code, secret))

    def _take(self, model: Model, action: str, actor: Actor, params: dict[str, Any],
              version: int | None) -> None:
        before = row_snapshot(self.url, model.code)
        try:
            expected = decide(model.facts(), action, actor, params)
        except WorkflowError as exc:
            expected, error = None, type(exc)
        else:
            error = ValidationError if model.rejects_input(action, actor, params) else None
        if version is not None and version != model.version:
            expected, error = None, StaleVersion
        if expected is not None and error is None:
            report = perform_action(model.code, action, actor, params, version=version,
                                    now=self._tick(), url=self.url)
            model.apply(action, actor, params, expected)
            event(f"stored {expected}")
            assert report.state == expected.value
        else:
            with pytest.raises(error):
                perform_action(model.code, action, actor, params, version=version,
                               now=self._tick(), url=self.url)
            assert row_snapshot(self.url, model.code) == before
            event(f"refused {error.__name__}")

    @rule(which=st.integers(0, 2), actor=st.sampled_from(ALL_ACTORS),
          step=st.sampled_from(STEPS), read=st.sampled_from(["none", "current", "old"]))
    def random_step(self, which: int, actor: Actor,
                    step: tuple[str, dict[str, Any]], read: str) -> None:
        """Anyone tries anything, with no version, the current one or an old read (TESTPLAN 15
        "replay"): mostly refused, and then nothing may change."""
        model = self.models[which % len(self.models)]
        version = {"none": None, "current": model.version, "old": model.version - 1}[read]
        self._take(model, step[0], actor, dict(step[1]), version)

    @rule(data=st.data(), which=st.integers(0, 2), onward=st.integers(0, 3))
    def legal_step(self, data: st.DataObject, which: int, onward: int) -> None:
        """A step the rules allow, so that the reports travel the whole workflow (`onward`:
        mostly avoid the dead ends, or few reports would get past verification)."""
        model = self.models[which % len(self.models)]
        legal = []
        for actor in ALL_ACTORS:
            for action, params in STEPS:
                if onward and action in DETOURS:
                    continue
                try:
                    decide(model.facts(), action, actor, params)
                except WorkflowError:
                    continue
                if not model.rejects_input(action, actor, params):
                    legal.append((actor, action, params))
        if legal:
            actor, action, params = data.draw(st.sampled_from(legal))
            self._take(model, action, actor, dict(params), model.version)

    @invariant()
    def stored_equals_model(self) -> None:
        for model in self.models:
            stored = get_report(model.code, url=self.url)
            assert (stored.state, stored.version, stored.event_seq) == (
                model.state.value, model.version, model.events)
            assert stored.agency_code == model.agency
            if model.confidential:
                assert stored.state != State.PUBLISHED.value  # D10.3

    def teardown(self) -> None:
        if self.models:
            chains_ok(self.url)


@pytest.fixture
def sqlite_db(tmp_path: Path) -> str:
    """One migrated SQLite database shared by all the state machine's examples."""
    from backend.services.admin.reference_data import prepare_database

    url = f"sqlite:///{tmp_path / 'machine.db'}"
    prepare_database(url)
    return url


def test_service_state_machine(sqlite_db: str) -> None:
    """TESTPLAN 15 at the service level: the stored reports always equal the model, refused
    steps change nothing, and every hash chain verifies at the end."""
    run_state_machine_as_test(
        lambda: ServiceMachine(sqlite_db),
        settings=settings(max_examples=20, stateful_step_count=40, deadline=None,
                          suppress_health_check=list(HealthCheck)),
    )


# --- D14.3: a department gives a report to its subordinate unit --------------------------------

@pytest.mark.clause("D14.3")
def test_delegation_to_a_subordinate_unit_keeps_the_department_answerable(ready_db: str) -> None:
    """Sở NN&MT gives a report to its Chi cục Bảo vệ môi trường with a reason: the Chi cục sees
    it and submits the result; the deadline, the approval and the KPIs stay the Sở's; the
    history names both. A unit of another department cannot be given it."""
    from backend.services import kpis
    from backend.services.access.auth import StaffUser
    from backend.services.reads import queries

    dept, unit = "so_nnmt", "cc_bvmt"
    dept_handler = Actor("xl_snnmt", Role.AGENCY_HANDLER, dept)
    dept_leader = Actor("ld_snnmt", Role.AGENCY_LEADER, dept)
    unit_handler = Actor("xl_ccbvmt", Role.AGENCY_HANDLER, unit)
    report = submit(ready_db)
    step = Steps(ready_db, report)
    report = step.to(("accept", IOC, None),
                     ("forward", IOC, {"field": "moi_truong", "agency": dept}),
                     ("receive", dept_handler, None))
    due = report.process_due
    with pytest.raises(ValidationError) as refused:
        step("delegate", dept_leader, {"subordinate": "cc_atvstp", "reason": "x"})  # Sở Y tế's
    assert refused.value.field == "subordinate"
    with pytest.raises(Forbidden):
        step("submit_result", unit_handler, {"result": "Đã kiểm tra"})
    report = step("delegate", dept_leader, {"subordinate": unit,
                                            "reason": "Giao Chi cục kiểm tra hiện trường"})
    assert (report.state, report.agency_code, report.delegate_code) == ("in_progress", dept, unit)
    assert report.process_due == due  # the Sở still answers for the deadline (D14.4)

    viewer = StaffUser(0, "xl_ccbvmt", None, "agency_handler", unit, "", "")
    assert [i["code"] for i in queries.list_reports(viewer, queries.Filters(),
                                                    url=ready_db)["items"]] == [report.code]
    detail = queries.report_detail(report.code, viewer, url=ready_db)
    assert detail["delegate_name"] == "Chi cục Bảo vệ môi trường"
    assert "submit_result" in detail["allowed_actions"]
    assert "approve" not in detail["allowed_actions"]

    report = step("submit_result", unit_handler, {"result": "Đã kiểm tra, yêu cầu cơ sở khắc phục"})
    assert report.state == "awaiting_approval" and report.result_by == "xl_ccbvmt"
    report = step("approve", dept_leader, None)
    assert report.state == "approved"
    actions = [(e.action, e.actor) for e in events_of(ready_db, report.code)]
    assert ("delegate", "ld_snnmt") in actions and ("submit_result", "xl_ccbvmt") in actions
    delegated = next(e for e in events_of(ready_db, report.code) if e.action == "delegate")
    assert delegated.note == "Giao Chi cục kiểm tra hiện trường" and unit in delegated.data
    period = kpis.Period.month(2026, 11)
    by_agency = kpis.snapshot(period, now=step.now, url=ready_db).by("agency")
    assert by_agency.loc[dept, "delegated"] == 1 and unit not in by_agency.index
    chains_ok(ready_db)

"""The regulated life of a report as a pure state machine (Phụ lục I, D6-D11; TESTPLAN 15).

No database here: `decide()` and `allowed_actions()` from `backend.domain.workflow`, checked
clause by clause, and by a hypothesis `RuleBasedStateMachine` that takes random steps by random
actors with random parameters against its own model of the report.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from backend.domain.roles import Role
from backend.domain.workflow import (
    ACTIONS,
    RATINGS,
    Actor,
    Forbidden,
    IllegalTransition,
    InvalidParams,
    ReportFacts,
    State,
    WorkflowError,
    allowed_actions,
    decide,
)

AGENCY = "ubnd_05443"  # the agency the report is forwarded to
OTHER = "dien_luc"  # an agency the report has nothing to do with
CONSULTED = "so_xd"  # an agency asked for its opinion (D7.2c)

CITIZEN = Actor("nguoi_dan", Role.CITIZEN)
IOC = Actor("ioc_lan", Role.IOC_HANDLER)
IOC_2 = Actor("ioc_minh", Role.IOC_HANDLER)
HANDLER = Actor("xl_164", Role.AGENCY_HANDLER, AGENCY)
LEADER = Actor("ld_164", Role.AGENCY_LEADER, AGENCY)
# The same person as HANDLER acting as leader: the case D9 "approve own work" is about.
SAME_PERSON_LEADER = Actor("xl_164", Role.AGENCY_LEADER, AGENCY)
OTHER_HANDLER = Actor("xl_dl", Role.AGENCY_HANDLER, OTHER)
OTHER_LEADER = Actor("ld_dl", Role.AGENCY_LEADER, OTHER)
CONSULTED_HANDLER = Actor("xl_sxd", Role.AGENCY_HANDLER, CONSULTED)
CONSULTED_LEADER = Actor("ld_sxd", Role.AGENCY_LEADER, CONSULTED)
NO_AGENCY_HANDLER = Actor("xl_moi", Role.AGENCY_HANDLER, None)
PROVINCE = Actor("ubnd_tinh", Role.PROVINCIAL_LEADER)
ADMIN = Actor("quan_tri", Role.ADMIN)

ACTORS = (CITIZEN, IOC, IOC_2, HANDLER, LEADER, SAME_PERSON_LEADER, OTHER_HANDLER, OTHER_LEADER,
          CONSULTED_HANDLER, CONSULTED_LEADER, NO_AGENCY_HANDLER, PROVINCE, ADMIN)

# One set of valid parameters per action (consult has two: asking and answering).
VALID: dict[str, tuple[dict[str, Any], ...]] = {
    "accept": ({},),
    "reject": ({"reason": "Không đúng phạm vi tiếp nhận (D5)"},),
    "request_supplement": ({"missing": "Ảnh chụp hiện trường"},),
    "supplement": ({"text": "Bổ sung ảnh và địa chỉ"},),
    "forward": ({"field": "do_thi_xay_dung", "agency": AGENCY},),
    "consult": ({"agencies": [CONSULTED], "note": "Xin ý kiến"}, {"answer": "Thuộc UBND TP"}),
    "escalate": ({"reason": "Các cơ quan không thống nhất"},),
    "direct": ({"agency": AGENCY, "direction": "Giao UBND TP xử lý"},),
    "receive": ({},),
    "return_to_ioc": ({"reason": "Không thuộc phạm vi"},),
    "delegate": ({"subordinate": "cc_bvmt", "reason": "Giao Chi cục kiểm tra hiện trường"},),
    "progress_notice": ({"note": "Đang phối hợp, cần thêm 2 ngày"},),
    "submit_result": ({"result": "Đã vá ổ gà"},),
    "approve": ({},),
    "return_for_rework": ({"reason": "Thiếu ảnh sau xử lý"},),
    "edit_and_approve": ({"result": "Đã vá ổ gà, ảnh kèm theo"},),
    "publish": ({},),
    "feedback": ({"rating": "hai_long"}, {"reply": "Cảm ơn"}),
    "reopen": ({"reason": "Người dân báo chưa xử lý xong"},),
    "close": ({},),
}


def facts(state: State, **kw: Any) -> ReportFacts:
    return ReportFacts(state=state, **kw)


def at_agency(state: State, **kw: Any) -> ReportFacts:
    return ReportFacts(state=state, agency_code=AGENCY, **kw)


def refused(exc_type: type[WorkflowError], report: ReportFacts, action: str, actor: Actor,
            params: dict[str, Any] | None = None) -> WorkflowError:
    with pytest.raises(exc_type) as info:
        decide(report, action, actor, params or {})
    return info.value


# --- one test per clause ---------------------------------------------------------------------

def test_d6_accept_only_from_submitted_by_ioc() -> None:
    """D6: only the IOC handler accepts, and only a submitted report (no skipping verify)."""
    assert decide(facts(State.SUBMITTED), "accept", IOC, {}) is State.ACCEPTED
    for actor in ACTORS:
        if actor.role is not Role.IOC_HANDLER:
            refused(WorkflowError, facts(State.SUBMITTED), "accept", actor)
    refused(Forbidden, facts(State.SUBMITTED), "accept", HANDLER)
    for state in set(State) - {State.SUBMITTED}:
        refused(IllegalTransition, facts(state, agency_code=AGENCY), "accept", IOC)
    # TESTPLAN 15 "skip verify": a submitted report cannot be forwarded before it is accepted.
    refused(IllegalTransition, facts(State.SUBMITTED), "forward", IOC, VALID["forward"][0])


def test_d7_2a_reject_needs_reason() -> None:
    """D7.2a: a rejection states its reason; blank or non-text reasons are refused."""
    for params in ({}, {"reason": ""}, {"reason": "   "}, {"reason": None}):
        error = refused(InvalidParams, facts(State.SUBMITTED), "reject", IOC, params)
        assert error.field == "reason"
    error = refused(InvalidParams, facts(State.SUBMITTED), "reject", IOC, {"reason": 42})
    assert error.code == "invalid_param"
    for state in (State.SUBMITTED, State.NEEDS_SUPPLEMENT, State.ACCEPTED, State.RETURNED_TO_IOC):
        assert decide(facts(state), "reject", IOC, {"reason": "Sai"}) is State.REJECTED
    refused(IllegalTransition, at_agency(State.IN_PROGRESS), "reject", IOC, {"reason": "Sai"})
    refused(Forbidden, facts(State.SUBMITTED), "reject", CITIZEN, {"reason": "Sai"})


def test_d7_2b_request_supplement_needs_missing_and_supplement_returns_to_submitted() -> None:
    """D7.2b: the IOC says what is missing; the citizen's supplement sends it back to verify."""
    refused(InvalidParams, facts(State.SUBMITTED), "request_supplement", IOC)
    refused(InvalidParams, facts(State.SUBMITTED), "request_supplement", IOC, {"missing": " "})
    for state in (State.SUBMITTED, State.ACCEPTED):
        assert decide(facts(state), "request_supplement", IOC,
                      {"missing": "Địa chỉ"}) is State.NEEDS_SUPPLEMENT
    needs = facts(State.NEEDS_SUPPLEMENT)
    assert decide(needs, "supplement", CITIZEN, {"text": "Số 5 Hoàng Văn Thụ"}) is State.SUBMITTED
    refused(InvalidParams, needs, "supplement", CITIZEN, {})
    refused(Forbidden, needs, "supplement", IOC, {"text": "x"})
    refused(IllegalTransition, facts(State.SUBMITTED), "supplement", CITIZEN, {"text": "x"})


def test_d7_1_forward_needs_field_and_agency() -> None:
    """D7.1: forwarding names the field and the competent agency."""
    for state in (State.ACCEPTED, State.RETURNED_TO_IOC):
        assert decide(facts(state), "forward", IOC, VALID["forward"][0]) is State.FORWARDED
    for missing in ("field", "agency"):
        params = dict(VALID["forward"][0])
        del params[missing]
        error = refused(InvalidParams, facts(State.ACCEPTED), "forward", IOC, params)
        assert error.field == missing
    refused(Forbidden, facts(State.ACCEPTED), "forward", HANDLER, VALID["forward"][0])
    refused(IllegalTransition, at_agency(State.FORWARDED), "forward", IOC, VALID["forward"][0])


def test_d7_2c_consult_ioc_asks_before_forwarding() -> None:
    """D7.2c: the IOC consults while classifying; once forwarded, it is the agency's to consult."""
    ask = VALID["consult"][0]
    for state in (State.ACCEPTED, State.RETURNED_TO_IOC, State.ESCALATED):
        assert decide(facts(state), "consult", IOC, ask) is state  # a recorded step
    for state in (State.FORWARDED, State.IN_PROGRESS):
        refused(IllegalTransition, at_agency(state), "consult", IOC, ask)
    # D8 bước 3: the processing agency consults others while it processes.
    assert decide(at_agency(State.IN_PROGRESS), "consult", HANDLER, ask) is State.IN_PROGRESS
    refused(IllegalTransition, at_agency(State.FORWARDED), "consult", HANDLER, ask)
    refused(Forbidden, at_agency(State.IN_PROGRESS), "consult", OTHER_HANDLER, ask)
    refused(InvalidParams, facts(State.ACCEPTED), "consult", IOC, {})
    refused(InvalidParams, facts(State.ACCEPTED), "consult", IOC, {"agencies": CONSULTED})


def test_d7_2c_consulted_agency_answers_others_cannot() -> None:
    """D7.2c: an agency that was asked answers (at once); nobody else may answer."""
    answer = VALID["consult"][1]
    for state in (State.ACCEPTED, State.FORWARDED, State.IN_PROGRESS):
        report = facts(state, agency_code=AGENCY if state is not State.ACCEPTED else None,
                       consulted_agencies=frozenset({CONSULTED}))
        assert decide(report, "consult", CONSULTED_HANDLER, answer) is state
        refused(Forbidden, report, "consult", OTHER_HANDLER, answer)
        refused(Forbidden, report, "consult", CONSULTED_LEADER, answer)  # handler's task only
        refused(Forbidden, report, "consult", IOC, answer)
        # A consulted agency may only answer: it cannot ask others, nor act on the report.
        refused(Forbidden, report, "consult", CONSULTED_HANDLER, {"agencies": [OTHER]})
    not_asked = at_agency(State.IN_PROGRESS)
    refused(Forbidden, not_asked, "consult", CONSULTED_HANDLER, answer)
    refused(Forbidden, not_asked, "consult", HANDLER, answer)  # its own agency was not asked
    asked = at_agency(State.IN_PROGRESS, consulted_agencies=frozenset({CONSULTED}))
    refused(Forbidden, asked, "submit_result", CONSULTED_HANDLER, {"result": "x"})


def test_d7_2c_escalate_and_direct_only_provincial_leader() -> None:
    """D7.2c: the IOC escalates a disputed case; only the provincial leaders direct it."""
    for state in (State.ACCEPTED, State.RETURNED_TO_IOC):
        assert decide(facts(state), "escalate", IOC, {"reason": "Tranh chấp"}) is State.ESCALATED
    refused(InvalidParams, facts(State.ACCEPTED), "escalate", IOC, {})
    refused(Forbidden, facts(State.ACCEPTED), "escalate", PROVINCE, {"reason": "x"})
    escalated = facts(State.ESCALATED)
    direct = VALID["direct"][0]
    assert decide(escalated, "direct", PROVINCE, direct) is State.FORWARDED
    for actor in ACTORS:
        if actor.role is not Role.PROVINCIAL_LEADER:
            refused(Forbidden, escalated, "direct", actor, direct)
    refused(InvalidParams, escalated, "direct", PROVINCE, {"agency": AGENCY})
    refused(InvalidParams, escalated, "direct", PROVINCE, {"direction": "Giao"})
    refused(IllegalTransition, facts(State.ACCEPTED), "direct", PROVINCE, direct)


def test_d8_step1_receive_only_by_the_agency_handler() -> None:
    """D8 bước 1: only the handler of the agency it was forwarded to receives it."""
    forwarded = at_agency(State.FORWARDED)
    assert decide(forwarded, "receive", HANDLER, {}) is State.IN_PROGRESS
    refused(Forbidden, forwarded, "receive", OTHER_HANDLER)
    refused(Forbidden, forwarded, "receive", NO_AGENCY_HANDLER)
    refused(Forbidden, forwarded, "receive", LEADER)
    refused(Forbidden, forwarded, "receive", IOC)
    refused(Forbidden, facts(State.FORWARDED, consulted_agencies=frozenset({CONSULTED}),
                             agency_code=AGENCY), "receive", CONSULTED_HANDLER)
    refused(IllegalTransition, at_agency(State.IN_PROGRESS), "receive", HANDLER)


def test_d8_step2_return_to_ioc_needs_reason() -> None:
    """D8 bước 2: a report outside the agency's scope goes back to the IOC, with a reason."""
    for state in (State.FORWARDED, State.IN_PROGRESS):
        report = at_agency(state)
        assert decide(report, "return_to_ioc", HANDLER,
                      {"reason": "Không thuộc phạm vi"}) is State.RETURNED_TO_IOC
        refused(InvalidParams, report, "return_to_ioc", HANDLER, {})
        refused(InvalidParams, report, "return_to_ioc", HANDLER, {"reason": "\t"})
        refused(Forbidden, report, "return_to_ioc", OTHER_HANDLER, {"reason": "x"})
    refused(IllegalTransition, at_agency(State.AWAITING_APPROVAL), "return_to_ioc", HANDLER,
            {"reason": "x"})


def test_d8_step3_progress_notice_keeps_state() -> None:
    """D8 bước 3: a progress notice is recorded; the report stays in progress."""
    report = at_agency(State.IN_PROGRESS)
    assert decide(report, "progress_notice", HANDLER, {"note": "Cần thêm 2 ngày"}) is (
        State.IN_PROGRESS)
    refused(InvalidParams, report, "progress_notice", HANDLER, {})
    refused(Forbidden, report, "progress_notice", OTHER_HANDLER, {"note": "x"})
    refused(IllegalTransition, at_agency(State.FORWARDED), "progress_notice", HANDLER,
            {"note": "x"})


@pytest.mark.clause("D14.3")
def test_d14_3_a_department_gives_a_report_to_its_subordinate_unit() -> None:
    """D14.3: the agency's leader gives a report in progress to a subordinate unit, with a
    reason; the unit may then handle it (progress notice, result) but not approve, return it
    to the IOC or give it on; the agency itself keeps every step."""
    sub_handler = Actor("xl_cc_bvmt", Role.AGENCY_HANDLER, "cc_bvmt")
    sub_leader = Actor("ld_cc_bvmt", Role.AGENCY_LEADER, "cc_bvmt")
    report = at_agency(State.IN_PROGRESS)
    params = {"subordinate": "cc_bvmt", "reason": "Kiểm tra hiện trường"}
    assert decide(report, "delegate", LEADER, params) is State.IN_PROGRESS
    refused(InvalidParams, report, "delegate", LEADER, {"subordinate": "cc_bvmt"})
    refused(Forbidden, report, "delegate", HANDLER, params)  # the leader directs (D14.3)
    refused(Forbidden, report, "delegate", OTHER_LEADER, params)
    refused(IllegalTransition, at_agency(State.FORWARDED), "delegate", LEADER, params)
    # before: the subordinate unit is a stranger to the report
    refused(Forbidden, report, "submit_result", sub_handler, {"result": "Đã xử lý"})
    given = at_agency(State.IN_PROGRESS, delegate_code="cc_bvmt")
    assert decide(given, "progress_notice", sub_handler, {"note": "Đang kiểm tra"}) is (
        State.IN_PROGRESS)
    assert decide(given, "submit_result", sub_handler, {"result": "Đã xử lý"}) is (
        State.AWAITING_APPROVAL)
    refused(Forbidden, given, "return_to_ioc", sub_handler, {"reason": "x"})
    refused(Forbidden, given, "delegate", sub_leader, params)
    refused(Forbidden, at_agency(State.AWAITING_APPROVAL, delegate_code="cc_bvmt"), "approve",
            sub_leader, {})
    assert decide(given, "submit_result", HANDLER, {"result": "Đã xử lý"}) is (
        State.AWAITING_APPROVAL)


def test_d8_step4_submit_result_goes_to_awaiting_approval() -> None:
    """D8 bước 4: the handler's result waits for the unit leader."""
    report = at_agency(State.IN_PROGRESS)
    assert decide(report, "submit_result", HANDLER, {"result": "Đã xử lý"}) is (
        State.AWAITING_APPROVAL)
    refused(InvalidParams, report, "submit_result", HANDLER, {})
    refused(Forbidden, report, "submit_result", LEADER, {"result": "x"})
    refused(Forbidden, report, "submit_result", OTHER_HANDLER, {"result": "x"})
    refused(IllegalTransition, at_agency(State.FORWARDED), "submit_result", HANDLER,
            {"result": "x"})


def test_d9_1_leader_actions_by_the_agency_leader_only() -> None:
    """D9.1: approve, return for rework, edit and approve belong to the agency's leader."""
    report = at_agency(State.AWAITING_APPROVAL, result_submitted_by=HANDLER.username)
    assert decide(report, "approve", LEADER, {}) is State.APPROVED
    assert decide(report, "edit_and_approve", LEADER, {"result": "Sửa"}) is State.APPROVED
    assert decide(report, "return_for_rework", LEADER, {"reason": "Thiếu"}) is State.IN_PROGRESS
    refused(InvalidParams, report, "return_for_rework", LEADER, {})
    refused(InvalidParams, report, "edit_and_approve", LEADER, {})
    for action in ("approve", "return_for_rework", "edit_and_approve"):
        params = VALID[action][0]
        for actor in (HANDLER, IOC, OTHER_LEADER, CONSULTED_LEADER, PROVINCE, ADMIN, CITIZEN):
            refused(Forbidden, report, action, actor, params)
        refused(IllegalTransition, at_agency(State.IN_PROGRESS), action, LEADER, params)


def test_d9_1_never_approve_own_work() -> None:
    """D9.1 / TESTPLAN 15 "approve own work": whoever entered the result may not approve it."""
    report = at_agency(State.AWAITING_APPROVAL, result_submitted_by=SAME_PERSON_LEADER.username)
    for action in ("approve", "edit_and_approve"):
        error = refused(Forbidden, report, action, SAME_PERSON_LEADER, VALID[action][0])
        assert error.code == "own_work"
    # Sending it back is not approving: allowed.
    assert decide(report, "return_for_rework", SAME_PERSON_LEADER, {"reason": "x"}) is (
        State.IN_PROGRESS)


def test_d10_publish_only_after_approval() -> None:
    """D10 / TESTPLAN 15 "publish before leader approval": only an approved result is published."""
    assert decide(at_agency(State.APPROVED), "publish", IOC, {}) is State.PUBLISHED
    for state in set(State) - {State.APPROVED}:
        refused(IllegalTransition, at_agency(state), "publish", IOC)
    refused(Forbidden, at_agency(State.APPROVED), "publish", LEADER)
    refused(Forbidden, at_agency(State.APPROVED), "publish", HANDLER)


def test_d10_3_confidential_result_is_answered_privately() -> None:
    """D10.3: the reporter asked for secrecy: the result goes to them alone, never public."""
    report = at_agency(State.APPROVED, confidential=True)
    assert decide(report, "publish", IOC, {}) is State.ANSWERED_PRIVATELY


def test_d10_4_state_secret_is_answered_privately() -> None:
    """D10.4: state secrets are answered per the law on state secrets, never published."""
    report = at_agency(State.APPROVED, state_secret=True)
    assert decide(report, "publish", IOC, {}) is State.ANSWERED_PRIVATELY
    both = at_agency(State.APPROVED, state_secret=True, confidential=True)
    assert decide(both, "publish", IOC, {}) is State.ANSWERED_PRIVATELY


@pytest.mark.parametrize("rating", sorted(RATINGS))
def test_d11_feedback_accepts_each_of_the_three_ratings(rating: str) -> None:
    """D11.2: Hài lòng, Chấp nhận được, Không hài lòng; the state does not change."""
    for state in (State.PUBLISHED, State.ANSWERED_PRIVATELY):
        assert decide(at_agency(state), "feedback", CITIZEN, {"rating": rating}) is state


@pytest.mark.parametrize("rating", ["", "rat_hai_long", "Hài lòng", 5, ["hai_long"], {"a": 1}])
def test_d11_feedback_rating_must_be_one_of_the_three(rating: Any) -> None:
    """D11.2: any other rating is refused as invalid (never a crash: a JSON list is not a str)."""
    error = refused(InvalidParams, at_agency(State.PUBLISHED), "feedback", CITIZEN,
                    {"rating": rating})
    assert error.field == "rating"


def test_d11_feedback_needs_a_reply_or_a_rating() -> None:
    """D11.1: a reply without a rating is fine; an empty feedback is not."""
    published = at_agency(State.PUBLISHED)
    assert decide(published, "feedback", CITIZEN, {"reply": "Chưa rõ"}) is State.PUBLISHED
    refused(InvalidParams, published, "feedback", CITIZEN, {})
    refused(InvalidParams, published, "feedback", CITIZEN, {"reply": "  "})
    refused(Forbidden, published, "feedback", IOC, {"rating": "hai_long"})
    refused(IllegalTransition, at_agency(State.APPROVED), "feedback", CITIZEN,
            {"rating": "hai_long"})


def test_d11_3_reopen_goes_back_to_in_progress() -> None:
    """D11.3: the IOC sends an answered report back to the agency for clarification."""
    for state in (State.PUBLISHED, State.ANSWERED_PRIVATELY):
        assert decide(at_agency(state), "reopen", IOC, {"reason": "Chưa rõ"}) is State.IN_PROGRESS
        refused(InvalidParams, at_agency(state), "reopen", IOC, {})
        refused(Forbidden, at_agency(state), "reopen", CITIZEN, {"reason": "x"})
    refused(IllegalTransition, at_agency(State.CLOSED), "reopen", IOC, {"reason": "x"})


def test_close_and_closed_is_terminal() -> None:
    """Phụ lục I: an answered or rejected report is closed by the IOC; closed is final."""
    for state in (State.PUBLISHED, State.ANSWERED_PRIVATELY, State.REJECTED):
        assert decide(at_agency(state), "close", IOC, {}) is State.CLOSED
        refused(Forbidden, at_agency(state), "close", CITIZEN)
    refused(IllegalTransition, at_agency(State.APPROVED), "close", IOC)
    closed = at_agency(State.CLOSED, consulted_agencies=frozenset({CONSULTED}))
    for actor in ACTORS:
        assert allowed_actions(closed, actor) == []
        for name, variants in VALID.items():
            for params in variants:
                refused(WorkflowError, closed, name, actor, params)


def test_unknown_action_and_actor_without_agency_are_refused() -> None:
    """An action outside Phụ lục I does not exist; an agency account needs its agency."""
    error = refused(IllegalTransition, facts(State.SUBMITTED), "delete", IOC)
    assert error.code == "unknown_action"
    error = refused(Forbidden, at_agency(State.FORWARDED), "receive", NO_AGENCY_HANDLER)
    assert error.code == "no_agency"


def test_allowed_actions_hides_consult_the_ioc_can_no_longer_take() -> None:
    """D7.2c: once forwarded, the IOC may not consult, so no "consult" button for it."""
    for state in (State.FORWARDED, State.IN_PROGRESS):
        report = at_agency(state)
        for params in VALID["consult"]:
            refused(WorkflowError, report, "consult", IOC, params)
        assert "consult" not in allowed_actions(report, IOC)


def test_allowed_actions_hides_approving_own_work() -> None:
    """D9.1: the leader who entered the result is not offered "approve" of it."""
    report = at_agency(State.AWAITING_APPROVAL, result_submitted_by=SAME_PERSON_LEADER.username)
    allowed = allowed_actions(report, SAME_PERSON_LEADER)
    assert "return_for_rework" in allowed
    assert "approve" not in allowed
    assert "edit_and_approve" not in allowed


# --- the state machine -----------------------------------------------------------------------

TEXTS = st.sampled_from(["Nội dung", "", "   ", None, 7, ["x"]])
AGENCY_VALUES = st.sampled_from([AGENCY, OTHER, CONSULTED, "", None])
PARAM_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "reason": TEXTS, "missing": TEXTS, "text": TEXTS, "note": TEXTS, "direction": TEXTS,
    "result": TEXTS, "reply": TEXTS, "answer": TEXTS,
    "field": st.sampled_from(["do_thi_xay_dung", "dien", None]),
    "agency": AGENCY_VALUES,
    "agencies": st.one_of(st.lists(st.sampled_from([AGENCY, OTHER, CONSULTED]), max_size=2),
                          st.sampled_from([None, CONSULTED, 3])),
    "rating": st.sampled_from([*RATINGS, "", "tot", None, 1, ["hai_long"]]),
}


@st.composite
def random_params(draw: st.DrawFn) -> dict[str, Any]:
    """Sometimes exactly valid parameters, sometimes a random mix of good and bad values."""
    if draw(st.booleans()):
        return dict(draw(st.sampled_from([p for ps in VALID.values() for p in ps])))
    keys = draw(st.lists(st.sampled_from(sorted(PARAM_VALUES)), max_size=4, unique=True))
    return {key: draw(PARAM_VALUES[key]) for key in keys}


def apply_effects(report: ReportFacts, action: str, actor: Actor, params: dict[str, Any],
                  target: State) -> ReportFacts:
    """What the storage layer remembers of an accepted step, as far as the rules care."""
    changes: dict[str, Any] = {"state": target}
    if action in ("forward", "direct"):
        changes["agency_code"] = params["agency"]
    elif action == "submit_result":
        changes["result_submitted_by"] = actor.username
    elif action == "consult":
        answer = params.get("answer")
        if isinstance(answer, str) and answer.strip():
            changes["consulted_agencies"] = report.consulted_agencies - {actor.agency_code}
        else:
            changes["consulted_agencies"] = report.consulted_agencies | set(params["agencies"])
    return replace(report, **changes)


def documented_targets(action: str, report: ReportFacts) -> set[State]:
    target = ACTIONS[action].target
    targets = {report.state if target is None else target}
    if action == "publish" and (report.confidential or report.state_secret):
        targets = {State.ANSWERED_PRIVATELY}  # D10.3, D10.4
    return targets


# Reports already checked: decide() is pure, so one check per distinct `ReportFacts` suffices.
AGREEING: set[ReportFacts] = set()
DEAD_ENDS = frozenset({"reject", "close", "request_supplement", "escalate", "return_to_ioc"})


class WorkflowMachine(RuleBasedStateMachine):
    """Random steps by random actors; the model is the report's `ReportFacts`."""

    report: ReportFacts

    @initialize(confidential=st.booleans(), state_secret=st.booleans())
    def submitted(self, confidential: bool, state_secret: bool) -> None:
        self.report = ReportFacts(State.SUBMITTED, confidential=confidential,
                                  state_secret=state_secret)
        self.visited: set[State] = {State.SUBMITTED}

    def _step(self, action: str, actor: Actor, params: dict[str, Any]) -> None:
        before = self.report
        try:
            target = decide(before, action, actor, params)
        except WorkflowError as exc:
            # Refused with one of the rule errors, a machine code and a message for people;
            # the report (immutable facts) stays as it was.
            assert type(exc) in (IllegalTransition, Forbidden, InvalidParams), exc
            assert exc.code and exc.message
            assert self.report is before
            return
        # Anything else escaping decide() (TypeError, KeyError ...) fails the test right here.
        assert target in documented_targets(action, before), (action, before.state, target)
        assert action in allowed_actions(before, actor), (action, actor, before)
        self.report = apply_effects(before, action, actor, params, target)
        self.visited.add(target)
        event(f"reached {target}")

    @rule(action=st.sampled_from(sorted(ACTIONS)), actor=st.sampled_from(ACTORS),
          params=random_params())
    def random_step(self, action: str, actor: Actor, params: dict[str, Any]) -> None:
        self._step(action, actor, params)

    @rule(data=st.data(), onward=st.booleans())
    def allowed_step(self, data: st.DataObject, onward: bool) -> None:
        """Take one of the offered actions with valid parameters: the walk gets somewhere
        (`onward`: not the dead ends, so the later stages are reached often enough)."""
        offers = [(actor, name) for actor in ACTORS for name in allowed_actions(self.report, actor)
                  if not (onward and name in DEAD_ENDS)]
        if not offers:
            return
        actor, name = data.draw(st.sampled_from(offers))
        self._step(name, actor, dict(data.draw(st.sampled_from(VALID[name]))))

    @invariant()
    def own_work_is_never_approved(self) -> None:
        """TESTPLAN 15 "approve own work": the person who entered the result cannot approve it."""
        if (self.report.state is State.AWAITING_APPROVAL
                and self.report.result_submitted_by == SAME_PERSON_LEADER.username):
            for name in ("approve", "edit_and_approve"):
                with pytest.raises(Forbidden):
                    decide(self.report, name, SAME_PERSON_LEADER, VALID[name][0])

    @invariant()
    def allowed_actions_agree_with_decide(self) -> None:
        if self.report in AGREEING:
            return
        for actor in ACTORS:
            allowed = set(allowed_actions(self.report, actor))
            for name, variants in VALID.items():
                outcomes = []
                for params in variants:
                    try:
                        decide(self.report, name, actor, params)
                        outcomes.append(True)
                    except WorkflowError:
                        outcomes.append(False)
                assert any(outcomes) == (name in allowed), (
                    f"{actor.username}/{actor.role} {name} in {self.report}: "
                    f"allowed={name in allowed}, succeeds={outcomes}")
        AGREEING.add(self.report)

    @invariant()
    def closed_is_terminal(self) -> None:
        if self.report.state is State.CLOSED:
            assert all(allowed_actions(self.report, actor) == [] for actor in ACTORS)

    @invariant()
    def secrets_are_never_published(self) -> None:
        if self.report.confidential or self.report.state_secret:
            assert State.PUBLISHED not in self.visited


WorkflowMachine.TestCase.settings = settings(
    max_examples=150, stateful_step_count=40, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestWorkflowMachine = WorkflowMachine.TestCase

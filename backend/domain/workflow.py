"""The regulated life of a field report (Phụ lục I, D6-D11) as a pure state machine.

Every action is allowed only to its roles and only from its states; anything else is refused
with a `WorkflowError` before a single field changes. The storage layer applies the effects
(`backend.services.workflow.steps`); this module only decides what is legal and where it leads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from backend.domain.roles import AGENCY_ROLES, ROLE_LABELS_VI, Role


class State(StrEnum):
    SUBMITTED = "submitted"
    NEEDS_SUPPLEMENT = "needs_supplement"
    REJECTED = "rejected"
    ACCEPTED = "accepted"
    ESCALATED = "escalated"
    FORWARDED = "forwarded"
    IN_PROGRESS = "in_progress"
    RETURNED_TO_IOC = "returned_to_ioc"
    AWAITING_APPROVAL = "awaiting_approval"
    APPROVED = "approved"
    PUBLISHED = "published"
    ANSWERED_PRIVATELY = "answered_privately"
    CLOSED = "closed"


STATE_LABELS_VI: dict[State, str] = {
    State.SUBMITTED: "Chờ xác minh",
    State.NEEDS_SUPPLEMENT: "Chờ bổ sung thông tin",
    State.REJECTED: "Không xử lý (từ chối)",
    State.ACCEPTED: "Đã tiếp nhận, chờ phân loại",
    State.ESCALATED: "Báo cáo UBND tỉnh chỉ đạo",
    State.FORWARDED: "Đã chuyển cơ quan xử lý",
    State.IN_PROGRESS: "Đang xử lý",
    State.RETURNED_TO_IOC: "Trả lại IOC (không đúng thẩm quyền)",
    State.AWAITING_APPROVAL: "Chờ lãnh đạo phê duyệt",
    State.APPROVED: "Đã phê duyệt, chờ công khai",
    State.PUBLISHED: "Đã công khai kết quả",
    State.ANSWERED_PRIVATELY: "Đã trả lời riêng người phản ánh",
    State.CLOSED: "Đã kết thúc",
}

RATINGS: dict[str, str] = {
    "hai_long": "Hài lòng",
    "chap_nhan_duoc": "Chấp nhận được",
    "khong_hai_long": "Không hài lòng",
}

# The one mapping of a parameter's (or a citizen form field's) machine name to the words a person
# sees on the form: messages name a field by its label, never by its name, which stays for
# machines in `WorkflowError.field`. Covers every required parameter of `ACTIONS`, every field
# `backend.services.intake.validation` checks, and the API's query flags (tests/test_wording.py).
PARAM_LABELS_VI: dict[str, str] = {
    # steps of the workflow
    "reason": "lý do",
    "missing": "nội dung cần bổ sung",
    "text": "nội dung bổ sung",
    "result": "kết quả xử lý",
    "field": "lĩnh vực",
    "agency": "cơ quan xử lý",
    "agencies": "cơ quan được lấy ý kiến",
    "subordinate": "đơn vị trực thuộc",
    "direction": "nội dung chỉ đạo",
    "note": "nội dung thông báo",  # progress_notice (its only required use); consult: the question
    "answer": "nội dung trả lời",
    "rating": "đánh giá",
    "reply": "ý kiến phản hồi",
    "emergency": "mức khẩn cấp",
    # a citizen's submission (D5)
    "description": "nội dung phản ánh",
    "lat": "vĩ độ",
    "lon": "kinh độ",
    "address": "địa chỉ",
    "incident_time": "thời gian xảy ra sự việc",
    "name": "họ và tên",
    "phone": "số điện thoại",
    "email": "thư điện tử",
    "confidential": "yêu cầu giữ bí mật danh tính",
    "consent": "đồng ý xử lý dữ liệu cá nhân",
    "channel": "kênh gửi",
    # the staff API's list filters
    "overdue": "bộ lọc quá hạn",
    "at_risk": "bộ lọc sắp đến hạn",
}
# Parameters picked from a list rather than typed ("Vui lòng chọn ..." rather than "nhập").
_CHOSEN_PARAMS = frozenset({"field", "agency", "agencies", "subordinate", "rating", "emergency", "confidential",
                            "consent", "channel", "overdue", "at_risk"})


def param_label(name: str) -> str:
    """'lý do' for `reason`: the field as the person filling the form knows it."""
    return PARAM_LABELS_VI.get(name, "thông tin")


def param_label_title(name: str) -> str:
    """The label at the start of a sentence: 'Lý do'."""
    label = param_label(name)
    return label[:1].upper() + label[1:]


def please_enter(name: str) -> str:
    """'Vui lòng nhập lý do' / 'Vui lòng chọn cơ quan xử lý'."""
    return f"Vui lòng {'chọn' if name in _CHOSEN_PARAMS else 'nhập'} {param_label(name)}"


OPEN_STATES = frozenset(State) - {State.REJECTED, State.PUBLISHED, State.ANSWERED_PRIVATELY, State.CLOSED}
AT_IOC_STATES = frozenset({State.SUBMITTED, State.ACCEPTED, State.RETURNED_TO_IOC, State.APPROVED})
# The report waits on the IOC, whoever acts next (the IOC's own queue, the wall's "at the IOC").
WITH_IOC_STATES = AT_IOC_STATES | {State.NEEDS_SUPPLEMENT, State.ESCALATED}
AT_AGENCY_STATES = frozenset({State.FORWARDED, State.IN_PROGRESS, State.AWAITING_APPROVAL})


class WorkflowError(Exception):
    """A refused step. `code` is stable for machines; the message is Vietnamese for people."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


class IllegalTransition(WorkflowError):
    """The action does not exist, or is not allowed from the report's current state."""


class Forbidden(WorkflowError):
    """The role (or this particular person) may not take the action."""


class InvalidParams(WorkflowError):
    """A required parameter is missing or malformed."""


class StaleVersion(WorkflowError):
    """Someone changed the report since the caller read it (optimistic locking)."""


@dataclass(frozen=True)
class Action:
    """One step of Phụ lục I: who may take it, from where, to where, with what."""

    name: str
    label_vi: str
    clause: str
    roles: frozenset[Role]
    sources: frozenset[State]
    target: State | None  # None: the state does not change (a recorded step)
    required: tuple[str, ...] = ()


def _a(name, label, clause, roles, sources, target, required=()) -> Action:
    return Action(name, label, clause, frozenset(roles), frozenset(sources), target, tuple(required))


_IOC = {Role.IOC_HANDLER}
_AH = {Role.AGENCY_HANDLER}
_AL = {Role.AGENCY_LEADER}
S = State

ACTIONS: dict[str, Action] = {
    a.name: a
    for a in (
        _a("accept", "Tiếp nhận", "D6", _IOC, {S.SUBMITTED}, S.ACCEPTED),
        _a("reject", "Từ chối (nêu rõ lý do)", "D7.2a", _IOC,
           {S.SUBMITTED, S.NEEDS_SUPPLEMENT, S.ACCEPTED, S.RETURNED_TO_IOC}, S.REJECTED, ("reason",)),
        _a("request_supplement", "Đề nghị bổ sung, làm rõ", "D7.2b", _IOC,
           {S.SUBMITTED, S.ACCEPTED}, S.NEEDS_SUPPLEMENT, ("missing",)),
        _a("supplement", "Bổ sung thông tin", "D7.2b", {Role.CITIZEN},
           {S.NEEDS_SUPPLEMENT}, S.SUBMITTED, ("text",)),
        _a("forward", "Phân loại và chuyển xử lý", "D7.1", _IOC,
           {S.ACCEPTED, S.RETURNED_TO_IOC}, S.FORWARDED, ("field", "agency")),
        _a("consult", "Lấy ý kiến cơ quan liên quan", "D7.2c", _IOC | _AH,
           {S.ACCEPTED, S.RETURNED_TO_IOC, S.ESCALATED, S.FORWARDED, S.IN_PROGRESS}, None),
        _a("escalate", "Báo cáo UBND tỉnh xem xét, chỉ đạo", "D7.2c", _IOC,
           {S.ACCEPTED, S.RETURNED_TO_IOC}, S.ESCALATED, ("reason",)),
        _a("direct", "Chỉ đạo xử lý", "D7.2c", {Role.PROVINCIAL_LEADER},
           {S.ESCALATED}, S.FORWARDED, ("agency", "direction")),
        _a("receive", "Tiếp nhận xử lý", "D8.1", _AH, {S.FORWARDED}, S.IN_PROGRESS),
        _a("return_to_ioc", "Trả lại IOC (không thuộc phạm vi)", "D8.2", _AH,
           {S.FORWARDED, S.IN_PROGRESS}, S.RETURNED_TO_IOC, ("reason",)),
        _a("delegate", "Giao đơn vị trực thuộc xử lý", "D14.3", _AL,
           {S.IN_PROGRESS}, None, ("subordinate", "reason")),
        _a("progress_notice", "Thông báo tình trạng đang giải quyết", "D8.3", _AH,
           {S.IN_PROGRESS}, None, ("note",)),
        _a("submit_result", "Nhập kết quả xử lý", "D8.4", _AH,
           {S.IN_PROGRESS}, S.AWAITING_APPROVAL, ("result",)),
        _a("approve", "Phê duyệt kết quả", "D9.1", _AL, {S.AWAITING_APPROVAL}, S.APPROVED),
        _a("return_for_rework", "Trả lại để xử lý lại", "D9.1", _AL,
           {S.AWAITING_APPROVAL}, S.IN_PROGRESS, ("reason",)),
        _a("edit_and_approve", "Sửa nội dung và phê duyệt", "D9.1", _AL,
           {S.AWAITING_APPROVAL}, S.APPROVED, ("result",)),
        _a("publish", "Biên tập và công khai kết quả", "D10", _IOC,
           {S.APPROVED}, S.PUBLISHED),
        _a("feedback", "Phản hồi, đánh giá kết quả", "D11.1-2", {Role.CITIZEN},
           {S.PUBLISHED, S.ANSWERED_PRIVATELY}, None),
        _a("reopen", "Chuyển lại cơ quan xử lý làm rõ", "D11.3", _IOC,
           {S.PUBLISHED, S.ANSWERED_PRIVATELY}, S.IN_PROGRESS, ("reason",)),
        _a("close", "Kết thúc", "Phụ lục I", _IOC,
           {S.PUBLISHED, S.ANSWERED_PRIVATELY, S.REJECTED}, S.CLOSED),
    )
}


@dataclass(frozen=True)
class ReportFacts:
    """What the rules need to know about a report, independent of storage."""

    state: State
    agency_code: str | None = None
    confidential: bool = False
    state_secret: bool = False
    result_submitted_by: str | None = None
    consulted_agencies: frozenset[str] = frozenset()
    delegate_code: str | None = None  # D14.3: the subordinate unit handling it for the agency


@dataclass(frozen=True)
class Actor:
    """Who acts. Agency roles carry their agency; a citizen carries nothing."""

    username: str
    role: Role
    agency_code: str | None = None


def _text(params: Mapping[str, Any], name: str) -> str | None:
    value = params.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidParams("invalid_param", f"{param_label_title(name)} phải là văn bản.", name)
    value = value.strip()
    return value or None


def check_params(action: Action, params: Mapping[str, Any]) -> None:
    """Refuse a step whose required text is missing (D7.2a: a rejection states its reason)."""
    for name in action.required:
        if _text(params, name) is None:
            raise InvalidParams(
                "missing_param",
                f"{please_enter(name)} trước khi xác nhận '{action.label_vi}'.", name,
            )
    if action.name == "feedback":
        rating = params.get("rating")
        reply = _text(params, "reply")
        if rating is None and reply is None:
            raise InvalidParams(
                "missing_param", "Phản hồi cần có nội dung hoặc đánh giá.", "rating"
            )
        if rating is not None and (not isinstance(rating, str) or rating not in RATINGS):
            raise InvalidParams(
                "invalid_param",
                "Đánh giá phải là một trong: Hài lòng, Chấp nhận được, Không hài lòng.",
                "rating",
            )
    if action.name == "consult":
        agencies = params.get("agencies")
        answer = _text(params, "answer")
        if answer is None and not agencies:
            raise InvalidParams(
                "missing_param", "Cần chọn cơ quan được lấy ý kiến hoặc nhập ý kiến trả lời.",
                "agencies",
            )
        if agencies is not None and (
            not isinstance(agencies, list | tuple) or not all(isinstance(a, str) for a in agencies)
        ):
            raise InvalidParams("invalid_param", "Danh sách cơ quan không hợp lệ.", "agencies")


def decide(report: ReportFacts, action_name: str, actor: Actor, params: Mapping[str, Any]) -> State:
    """Return the state the report moves to, or raise why the step is refused.

    The checks run in a fixed order so the caller gets the most useful refusal: unknown action,
    wrong role, wrong agency, wrong state, then missing parameters.
    """
    action = ACTIONS.get(action_name)
    if action is None:
        raise IllegalTransition("unknown_action", f"Không có thao tác '{action_name}'.")
    if actor.role not in action.roles:
        raise Forbidden(
            "forbidden_role",
            f"Vai trò '{ROLE_LABELS_VI.get(actor.role, actor.role)}' không được thực hiện "
            f"thao tác '{action.label_vi}'.",
        )
    _check_agency_scope(report, action, actor, params)
    if report.state not in action.sources:
        raise IllegalTransition(
            "illegal_transition",
            f"Không thể '{action.label_vi}' khi phản ánh đang ở trạng thái "
            f"'{STATE_LABELS_VI[report.state]}'.",
        )
    check_params(action, params)
    if action.name == "consult":
        _check_consult(report, actor, params)
    if action.name in ("approve", "edit_and_approve") and (
        report.result_submitted_by is not None and report.result_submitted_by == actor.username
    ):
        raise Forbidden("own_work", "Không được tự phê duyệt kết quả do chính mình nhập (Đ9).")
    if action.name == "publish" and (report.confidential or report.state_secret):
        # D10.3: the reporter asked for secrecy; D10.4: state secrets are never public.
        return State.ANSWERED_PRIVATELY
    return action.target if action.target is not None else report.state


def _check_agency_scope(
    report: ReportFacts, action: Action, actor: Actor, params: Mapping[str, Any]
) -> None:
    """An agency acts only on reports forwarded to it; a consulted agency may only answer."""
    if actor.role not in AGENCY_ROLES:
        return
    if actor.agency_code is None:
        raise Forbidden("no_agency", "Tài khoản chưa được gắn với cơ quan xử lý.")
    if actor.agency_code == report.agency_code:
        return
    if actor.agency_code == report.delegate_code and action.name in DELEGATE_ACTIONS:
        return  # D14.3: the subordinate unit handles; the agency above approves and answers
    is_consulted_answer = (
        action.name == "consult"
        and actor.role == Role.AGENCY_HANDLER
        and actor.agency_code in report.consulted_agencies
        and _text(params, "answer") is not None
    )
    if not is_consulted_answer:
        raise Forbidden(
            "out_of_scope", "Phản ánh không thuộc cơ quan của bạn.",
        )


# D14.3: what a subordinate unit given a report by its department may do with it: handle it and
# say how it stands; receiving, returning, approving and delegating stay with the department.
DELEGATE_ACTIONS = frozenset({"progress_notice", "submit_result"})

_CONSULT_ASK_STATES = {
    Role.IOC_HANDLER: frozenset({State.ACCEPTED, State.RETURNED_TO_IOC, State.ESCALATED}),  # D7.2c
    Role.AGENCY_HANDLER: frozenset({State.IN_PROGRESS}),  # D8 bước 3: the agency consults others
}


def _check_consult(report: ReportFacts, actor: Actor, params: Mapping[str, Any]) -> None:
    """Asking is for the IOC before forwarding or the processing agency; answering is for those asked."""
    if _text(params, "answer") is not None:
        if actor.role != Role.AGENCY_HANDLER or actor.agency_code not in report.consulted_agencies:
            raise Forbidden("not_consulted", "Cơ quan của bạn không được lấy ý kiến về phản ánh này.")
        return
    if report.state not in _CONSULT_ASK_STATES.get(actor.role, frozenset()):
        raise IllegalTransition(
            "illegal_transition",
            f"Không thể lấy ý kiến khi phản ánh đang ở trạng thái '{STATE_LABELS_VI[report.state]}'.",
        )
    if actor.role == Role.AGENCY_HANDLER and actor.agency_code != report.agency_code:
        raise Forbidden("out_of_scope", "Phản ánh không thuộc cơ quan của bạn.")


def _sample_params(action: Action) -> list[dict[str, Any]]:
    """Representative parameters for asking `decide` whether an action is open at all."""
    base: dict[str, Any] = {name: "x" for name in action.required}
    if action.name == "feedback":
        base["rating"] = "hai_long"
    if action.name == "consult":
        return [{"answer": "x"}, {"agencies": ["x"]}]
    return [base]


def allowed_actions(report: ReportFacts, actor: Actor) -> list[str]:
    """Names of the actions this actor could take now (for buttons and the API).

    Asks `decide` itself, so the list can never offer a step the rules would refuse.
    """
    names = []
    for action in ACTIONS.values():
        if actor.role not in action.roles or report.state not in action.sources:
            continue
        for params in _sample_params(action):
            try:
                decide(report, action.name, actor, params)
            except WorkflowError:
                continue
            names.append(action.name)
            break
    return names

"""The workflow actions of one report, as buttons and small forms, for every workflow page.

Only the actions the rules allow the viewer now (`allowed_actions` of `report_detail`) and that
the page deals with are shown. At the IOC a handler first takes the report (D13.2): until then
the action buttons are disabled, so two handlers never work the same report unknowingly.

Component ids (pattern-matching, wired by `dashboard.callbacks.workflow`):
- `{"type": "wf-act", "page", "action"}`: the button that takes the step;
- `{"type": "wf-param", "page", "action", "name"}`: its parameters (`value`);
- `{"type": "wf-hold", "page", "op"}`: take, take over, release (IOC);
- `{"type": "wf-ctx", "page", "action", "name": "unit"}` and `{"type": "wf-hint", ...}`:
  what the forward form needs to suggest an agency for the chosen field in the report's unit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dash import dcc, html

from backend import vietnamese as vn
from backend.domain.roles import IOC_ROLES
from backend.domain.workflow import ACTIONS, AT_IOC_STATES, State
from backend.services.access.auth import StaffUser
from dashboard.widgets.queue import DROPDOWN_VI

HELD_STATES = {s.value for s in AT_IOC_STATES | {State.NEEDS_SUPPLEMENT, State.ESCALATED}}
DIRECT = {"accept": "btn-good", "receive": "btn-good", "approve": "btn-good"}
# action -> [(param, label, placeholder)] for the text a step must carry
TEXTS: dict[str, list[tuple[str, str, str]]] = {
    "reject": [("reason", "Lý do không xử lý (gửi người phản ánh, Đ7.2a)",
                "Ví dụ: nội dung không thuộc phạm vi phản ánh hiện trường theo Điều 5…")],
    "request_supplement": [("missing", "Nội dung cần bổ sung, làm rõ (Đ7.2b)",
                            "Ví dụ: đề nghị bổ sung ảnh chụp toàn cảnh và số nhà cụ thể…")],
    "escalate": [("reason", "Lý do báo cáo UBND tỉnh (Đ7.2c)",
                  "Ví dụ: các cơ quan chưa thống nhất thẩm quyền xử lý…")],
    "return_to_ioc": [("reason", "Lý do trả lại IOC (Đ8 bước 2)",
                       "Ví dụ: vụ việc thuộc thẩm quyền của Điện lực…")],
    "progress_notice": [("note", "Tình trạng đang giải quyết (gửi người phản ánh và IOC, Đ8)",
                         "Ví dụ: đang chờ ý kiến của Sở Xây dựng, dự kiến trả lời trước…")],
    "submit_result": [("result", "Kết quả xử lý (Đ8 bước 4)",
                       "Đã kiểm tra hiện trường, yêu cầu… Kết quả: …")],
    "return_for_rework": [("reason", "Yêu cầu xử lý lại (Đ9)", "Nêu rõ nội dung cần làm lại…")],
    "edit_and_approve": [("result", "Kết quả sau khi lãnh đạo sửa (Đ9)", "")],
}
BUTTON_CLASS = {"reject": "btn-danger", "return_to_ioc": "btn-warn",
                "return_for_rework": "btn-warn", "escalate": "btn-warn", "forward": "btn-primary",
                "submit_result": "btn-primary", "edit_and_approve": "btn-primary"}


@dataclass(frozen=True)
class Choices:
    """Lists the forms pick from, and what the routing rules suggest (D7.1)."""

    fields: list[dict[str, str]] = field(default_factory=list)
    agencies: list[dict[str, str]] = field(default_factory=list)
    suggested_field: str | None = None
    suggested_agency: str | None = None
    agency_names: dict[str, str] = field(default_factory=dict)


def holding(detail: dict[str, Any], staff: StaffUser) -> bool:
    """True when the viewer may act: agencies always; the IOC once it holds the report."""
    if staff.role not in IOC_ROLES or detail["state"] not in HELD_STATES:
        return True
    return detail.get("held_by") == staff.username


def action_label(action: str, detail: dict[str, Any]) -> str:
    if action == "publish" and (detail.get("confidential") or detail.get("state_secret")):
        return "Trả lời riêng người phản ánh (Đ10.3-10.4)"
    if action == "consult" and _answering(detail):
        return "Trả lời ý kiến được hỏi (Đ7.2c)"
    return ACTIONS[action].label_vi


def _answering(detail: dict[str, Any]) -> bool:
    return bool(detail.get("_viewer_agency")) and detail.get("agency") != detail["_viewer_agency"]


def action_bar(page: str, detail: dict[str, Any], staff: StaffUser, only: tuple[str, ...],
               choices: Choices | None = None) -> html.Div:
    """Hold controls (IOC) and the allowed actions of `only`, in that order."""
    choices = choices or Choices()
    allowed = [a for a in only if a in detail.get("allowed_actions", [])]
    enabled = holding(detail, staff)
    children: list = []
    if staff.role in IOC_ROLES and detail["state"] in HELD_STATES:
        children.append(hold_row(page, detail, staff))
    if not allowed:
        children.append(html.P("Không có thao tác nào của bạn ở trạng thái này.",
                               className="muted no-actions"))
        return html.Div(children, className="action-bar")
    if not enabled:
        children.append(html.P("Nhấn “Nhận xử lý” (phím N) trước khi thao tác.",
                               className="hint locked"))
    detail = {**detail, "_viewer_agency": staff.agency_code}
    buttons = [act_button(page, a, action_label(a, detail), DIRECT[a], not enabled)
               for a in allowed if a in DIRECT]
    forms = [form(page, a, detail, choices, not enabled) for a in allowed if a not in DIRECT]
    if buttons:
        children.append(html.Div(buttons, className="row action-buttons"))
    children += forms
    return html.Div(children, className="action-bar")


def hold_row(page: str, detail: dict[str, Any], staff: StaffUser) -> html.Div:
    holder = detail.get("held_by")
    if holder == staff.username:
        return html.Div(className="hold-row mine", children=[
            html.Span("Bạn đang nhận xử lý phản ánh này.", className="hold-text"),
            html.Button("Trả lại hàng chờ", id={"type": "wf-hold", "page": page, "op": "release"},
                        className="btn btn-small", n_clicks=0)])
    if holder:
        return html.Div(className="hold-row other", children=[
            html.Span(f"Đang do {holder} nhận xử lý. Hãy phối hợp trước khi tiếp quản.",
                      className="hold-text"),
            html.Button("Tiếp quản (có ghi nhận)",
                        id={"type": "wf-hold", "page": page, "op": "take_over"},
                        className="btn btn-warn btn-small js-take-over", n_clicks=0)])
    return html.Div(className="hold-row free", children=[
        html.Span("Chưa có ai nhận xử lý.", className="hold-text"),
        html.Button(["Nhận xử lý ", html.Kbd("N")],
                    id={"type": "wf-hold", "page": page, "op": "take"},
                    className="btn btn-primary btn-small js-take", n_clicks=0)])


def act_button(page: str, action: str, label: str, css: str, disabled: bool) -> html.Button:
    return html.Button(label, id={"type": "wf-act", "page": page, "action": action},
                       className=f"btn {css}", disabled=disabled, n_clicks=0,
                       title=f"{ACTIONS[action].label_vi} ({vn.clause(ACTIONS[action].clause)})")


def _param_id(page: str, action: str, name: str) -> dict[str, str]:
    return {"type": "wf-param", "page": page, "action": action, "name": name}


def _textarea(page: str, action: str, name: str, label: str, placeholder: str,
              value: str = "", rows: int = 3) -> list:
    pid = _param_id(page, action, name)
    return [html.Label(label),
            dcc.Textarea(id=pid, value=value, placeholder=placeholder, className="textarea",
                         rows=rows)]


def form(page: str, action: str, detail: dict[str, Any], choices: Choices,
         disabled: bool) -> html.Details:
    """A step that needs input: a disclosure with its fields and a confirm button."""
    label = action_label(action, detail)
    if action == "forward":
        body = forward_fields(page, detail, choices)
    elif action == "consult":
        body = consult_fields(page, detail, choices)
    elif action == "delegate":
        body = delegate_fields(page, detail)
    elif action == "publish":
        body = _textarea(page, action, "result", "Nội dung trả lời (biên tập trước khi công khai)",
                         "", detail.get("result") or "", rows=7)
    else:
        value = (detail.get("result") or "") if action == "edit_and_approve" else ""
        body = [part for name, text, hint in TEXTS[action]
                for part in _textarea(page, action, name, text, hint, value)]
    css = BUTTON_CLASS.get(action, "btn-primary")
    return html.Details(className=f"action-form af-{action}", open=action == "publish", children=[
        html.Summary(label, className="af-summary"),
        html.Div(className="af-body", children=[
            *body,
            html.Div(act_button(page, action, f"Xác nhận: {label}", css, disabled),
                     className="row af-confirm"),
        ]),
    ])


def forward_fields(page: str, detail: dict[str, Any], choices: Choices) -> list:
    chosen_field = detail.get("field") or choices.suggested_field
    hint = suggestion_text(choices.suggested_agency, choices.agency_names)
    return [
        html.Label("Lĩnh vực"),
        dcc.Dropdown(id=_param_id(page, "forward", "field"), options=choices.fields,
                     value=chosen_field, clearable=False, placeholder="Chọn lĩnh vực", labels=DROPDOWN_VI),
        html.Label("Cơ quan xử lý"),
        dcc.Dropdown(id=_param_id(page, "forward", "agency"), options=choices.agencies,
                     value=choices.suggested_agency, clearable=False,
                     placeholder="Chọn cơ quan xử lý", labels=DROPDOWN_VI),
        html.Div(hint, id={"type": "wf-hint", "page": page, "action": "forward",
                           "name": "agency"}, className="hint"),
        dcc.Store(id={"type": "wf-ctx", "page": page, "action": "forward", "name": "unit"},
                  data=detail.get("unit")),
    ]


def suggestion_text(agency: str | None, names: dict[str, str]) -> str:
    if agency is None:
        return "Chưa có quy tắc phân phối cho lĩnh vực này: hãy chọn cơ quan."
    return f"Gợi ý theo quy tắc phân phối: {names.get(agency, agency)}."


def delegate_fields(page: str, detail: dict[str, Any]) -> list:
    """D14.3: the agency's leader gives the report to one of its subordinate units; the agency
    keeps the deadline and approves the result."""
    units = [{"label": u["name"], "value": u["code"]} for u in detail.get("subordinates", [])
             if u["code"] != detail.get("delegate")]
    now = detail.get("delegate_name")
    return [
        html.P(f"Đang giao: {now}. Giao đơn vị khác:" if now else
               "Cơ quan vẫn chịu trách nhiệm về thời hạn và phê duyệt kết quả (Đ14.3, Đ14.4).",
               className="hint"),
        html.Label("Đơn vị trực thuộc"),
        dcc.Dropdown(id=_param_id(page, "delegate", "subordinate"), options=units,
                     placeholder="Chọn đơn vị trực thuộc", labels=DROPDOWN_VI),
        *_textarea(page, "delegate", "reason", "Nội dung giao, chỉ đạo (Đ14.3)",
                   "Ví dụ: giao Chi cục kiểm tra hiện trường, báo cáo kết quả trước…"),
    ]


def consult_fields(page: str, detail: dict[str, Any], choices: Choices) -> list:
    if _answering(detail):
        return _textarea(page, "consult", "answer", "Ý kiến của cơ quan", "Nội dung trả lời…")
    own = detail.get("_viewer_agency")
    return [
        html.Label("Cơ quan được lấy ý kiến"),
        dcc.Dropdown(id=_param_id(page, "consult", "agencies"), multi=True,
                     options=[o for o in choices.agencies if o["value"] != own],
                     placeholder="Chọn một hoặc nhiều cơ quan", labels=DROPDOWN_VI),
        *_textarea(page, "consult", "note", "Nội dung cần lấy ý kiến",
                   "Ví dụ: đề nghị cho ý kiến về thẩm quyền xử lý…"),
    ]

"""The side panel's contents: the reports behind a clicked number (their codes), then one of
them, read only and never with its reporter, with the provincial leader's direction form for an
escalated one (D7.2c) and the answer to it. Pure: data in, components out; what a click does is
in `dashboard/callbacks/leaders/drilldown.py`.
"""

from __future__ import annotations

from dash import dcc, html

from backend import vietnamese as vn
from dashboard.layouts.leaders.kpis import code_button
from dashboard.layouts.leaders.page import PREFIX
from dashboard.widgets import report_panel
from dashboard.widgets.queue import DROPDOWN_VI

# Pattern ids, so the form may come and go inside the side panel (wired by
# `dashboard/callbacks/leaders/drilldown.py`):
# {"type": DIRECT_PARAM, "code", "name": "agency" | "direction"}, {"type": DIRECT_SEND, "code"},
# {"type": DIRECT_VERSION, "code"} (the version shown, for optimistic locking),
# {"type": DIRECT_FEEDBACK, "code"} and {"type": DIRECT_RELOAD, "code"}.
DIRECT_PARAM, DIRECT_SEND = f"{PREFIX}-direct", f"{PREFIX}-direct-send"
DIRECT_VERSION, DIRECT_FEEDBACK = f"{PREFIX}-direct-version", f"{PREFIX}-direct-feedback"
DIRECT_RELOAD = f"{PREFIX}-direct-reload"


def codes_list(title: str, context: str, codes: list[str], total: int | None,
               limit: int) -> tuple[list, list]:
    """(drawer title, drawer list) for the codes behind a number."""
    full = len(codes) < limit
    if total is not None:
        count = f"{vn.integer(total)} phản ánh"
    else:
        count = f"{vn.integer(len(codes))} phản ánh" if full else f"Từ {vn.integer(limit)} phản ánh trở lên"
    shown = "gửi sớm nhất trước" if full else (
        f"hiển thị {vn.integer(len(codes))} mã đầu tiên, gửi sớm nhất trước")
    head = [html.Div(title, className="dr-title"), html.Div(context, className="dr-context")]
    body = [html.P([html.Strong(count), f" · {shown}. Bấm một mã để xem chi tiết."],
                   className="dr-count")]
    if not codes:
        body.append(html.P("Không có phản ánh nào.", className="muted"))
    else:
        body.append(html.Div([code_button(c, "drawer", "chip-code") for c in codes], className="dr-codes"))
    return head, body


def report_detail(detail: dict, choices: dict | None = None,
                  notice: html.Div | None = None) -> list:
    """One report, never its reporter; read only, except that a provincial leader directs an
    escalated one (`choices`: service.direction_choices, given when the leader may direct it).
    `notice`: the answer to the last step or reload, shown above the report."""
    title = detail.get("field_name") or "Chưa phân loại lĩnh vực"
    form = (direction_form(detail, choices)
            if choices is not None and "direct" in detail.get("allowed_actions", []) else None)
    return [notice, html.Article(className="report-panel ld-report", children=[
        html.Header(className="rp-head", children=[
            html.Div([html.H2(detail["code"], className="rp-code"),
                      html.Span(title, className="rp-field")]),
            html.Div(report_panel.badges(detail), className="rp-badges"),
        ]),
        form,
        report_panel.section("Nội dung phản ánh", [
            html.P(detail.get("description") or "", className="rp-text"),
            report_panel.kv([
                ("Gửi lúc", vn.time_date(detail.get("submitted_at"))),
                ("Cơ quan xử lý", detail.get("agency_name") or "Chưa chuyển"),
                ("Địa chỉ", detail.get("address") or "Không nêu"),
                *report_panel.place_rows(detail),
                ("Đánh giá", detail.get("rating_label") or "Chưa đánh giá"),
            ]),
            report_panel.former_line(detail),
        ]),
        report_panel.result(detail),
        report_panel.deadlines(detail.get("deadlines") or {}),
        report_panel.history(detail.get("history") or []),
    ])]


def direction_form(detail: dict, choices: dict) -> html.Section:
    """The provincial leader's direction of an escalated report: the agency to handle it (the
    routing rule's suggestion chosen beforehand) and the direction's text."""
    code = detail["code"]
    agencies = choices.get("agencies") or []
    suggested = choices.get("suggested")
    names = {a["value"]: a["label"] for a in agencies}
    hint = (f"Gợi ý theo quy tắc phân phối: {names[suggested]}." if suggested in names
            else "Chưa có quy tắc phân phối cho lĩnh vực này tại xã/phường, khu vực của phản ánh: "
                 "hãy chọn cơ quan.")
    agency_id = {"type": DIRECT_PARAM, "code": code, "name": "agency"}
    text_id = {"type": DIRECT_PARAM, "code": code, "name": "direction"}
    return html.Section(className="ld-direct", **{"aria-label": "Chỉ đạo xử lý"}, children=[
        html.H3("Chỉ đạo xử lý (Đ7.2c)", className="ld-direct-title"),
        html.P("IOC đã báo cáo xin ý kiến chỉ đạo; phản ánh sẽ được chuyển đến cơ quan được "
               "giao kèm nội dung chỉ đạo.", className="hint"),
        html.Label("Cơ quan chủ trì xử lý"),
        dcc.Dropdown(id=agency_id, options=agencies, value=suggested, clearable=False,
                     placeholder="Chọn cơ quan xử lý", labels=DROPDOWN_VI,
                     className="ld-direct-agency"),
        html.Div(hint, className="hint"),
        html.Label("Nội dung chỉ đạo"),
        dcc.Textarea(id=text_id, value="", rows=4, className="textarea ld-direct-text",
                     placeholder="Ví dụ: giao UBND thành phố chủ trì, phối hợp Sở Xây dựng "
                                 "kiểm tra, xử lý dứt điểm và báo cáo kết quả…"),
        dcc.Store(id={"type": DIRECT_VERSION, "code": code}, data=detail.get("version")),
        html.Div(className="row ld-direct-confirm", children=[
            html.Button("Gửi chỉ đạo", id={"type": DIRECT_SEND, "code": code}, n_clicks=0,
                        className="btn btn-primary ld-direct-send"),
        ]),
        html.Div(id={"type": DIRECT_FEEDBACK, "code": code}, className="ld-direct-feedback"),
    ])


def direct_feedback(message: str, ok: bool, code: str | None = None,
                    stale: bool = False) -> html.Div:
    """The answer to a direction: the success line, or the refusal (a stale report offers to
    load it again)."""
    children: list = [html.Span(message)]
    if stale and code:
        children.append(html.Button("Tải lại phản ánh", id={"type": DIRECT_RELOAD, "code": code},
                                    n_clicks=0, className="btn btn-small"))
    return html.Div(children, className="feedback " + ("ok" if ok else "error"),
                    role="status" if ok else "alert")

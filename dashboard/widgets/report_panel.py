"""One report in full, as every workflow page shows it (triage, agency, publishing).

Built from `queries.report_detail` (which already decides what the viewer may see: the reporter
only for the IOC or a granted agency, and logs that view). Pure: data in, components out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dash import dcc, html

from backend import vietnamese as vn
from backend.domain.roles import ROLE_LABELS_VI, Role, actor_label
from backend.domain.workflow import ACTIONS
from backend.services.places.catalogue import AREA_LABEL, FORMER_LABEL, UNIT_LABEL
from backend.services.workflow.nearby import Nearby
from dashboard.widgets.queue import former_place

EVENT_LABELS = {"submit": "Gửi phản ánh", **{name: a.label_vi for name, a in ACTIONS.items()}}


def empty(text: str, hint: Sequence[Any] = ()) -> html.Div:
    """What the panel shows before a report is chosen."""
    return html.Div(className="panel-empty", children=[
        html.Div("☰", className="panel-empty-mark", **{"aria-hidden": "true"}),
        html.P(text), *hint])


def badges(detail: dict[str, Any]) -> list:
    out = [html.Span(detail["state_label"], className="badge state")]
    if detail.get("sla"):
        out.append(html.Span(detail.get("sla_label") or "", className=f"badge {detail['sla']}"))
    if detail.get("emergency"):
        out.append(html.Span("KHẨN CẤP", className="badge emergency"))
    if detail.get("confidential"):
        out.append(html.Span("Giữ bí mật danh tính (Đ5.4)", className="badge secret"))
    if detail.get("state_secret"):
        out.append(html.Span("Bí mật nhà nước (Đ10.4)", className="badge secret"))
    if detail.get("held_by"):
        out.append(html.Span(f"Đang do {detail['held_by']} xử lý", className="badge held"))
    return out


def panel(detail: dict[str, Any], *, actions: Any, nearby: list[Nearby] | None = None,
          prefix: str = "") -> html.Article:
    """Header, actions, then content, photos, place, reporter, result, deadlines, history."""
    title = detail.get("field_name") or "Chưa phân loại lĩnh vực"
    return html.Article(className="report-panel", children=[
        html.Header(className="rp-head", children=[
            html.Div([html.H2(detail["code"], className="rp-code"),
                      html.Span(title, className="rp-field")]),
            html.Div(badges(detail), className="rp-badges"),
        ]),
        actions,
        section("Nội dung phản ánh", [
            html.P(detail.get("description") or "", className="rp-text"),
            kv([("Gửi lúc", vn.time_date(detail.get("submitted_at"))),
                ("Thời điểm sự việc", vn.time_date(detail.get("incident_at")) or "Không nêu"),
                ("Cơ quan xử lý", detail.get("agency_name") or "Chưa chuyển"),
                *([("Giao đơn vị trực thuộc (Đ14.3)", detail["delegate_name"])]
                  if detail.get("delegate_name") else [])]),
        ]),
        media(detail.get("attachments") or []),
        section("Địa điểm", [kv([
            ("Địa chỉ", detail.get("address") or "Không nêu"),
            *place_rows(detail),
            ("Tọa độ", f"{detail['lat']:.5f}, {detail['lon']:.5f}"),
        ]), former_line(detail)]),
        reporter(detail),
        result(detail),
        nearby_section(nearby, prefix) if nearby is not None else None,
        consultations(detail.get("consultations") or []),
        deadlines(detail.get("deadlines") or {}),
        history(detail.get("history") or []),
    ])


def place_rows(detail: dict[str, Any]) -> list[tuple[str, str]]:
    """The report's unit ("Xã/phường") and its area ("Khu vực"), by name."""
    return [(UNIT_LABEL, detail.get("unit_name") or "-"),
            (AREA_LABEL, detail.get("area_name") or "-")]


def former_line(detail: dict[str, Any]) -> html.P | None:
    """"Trước 1/7/2025: Phường Trưng Vương, Thành phố Thái Nguyên" for a report dated before
    the units changed; nothing for a later one."""
    former = former_place(detail)
    if not former:
        return None
    return html.P(f"{FORMER_LABEL}: {former}", className="rp-former muted")


def section(title: str, children: list, class_name: str = "") -> html.Section:
    return html.Section(className=f"rp-section {class_name}".strip(),
                        children=[html.H3(title), *children])


def kv(pairs: list[tuple[str, Any]]) -> html.Dl:
    items: list = []
    for key, value in pairs:
        items += [html.Dt(key), html.Dd(value)]
    return html.Dl(items, className="kv")


def media(attachments: list[dict[str, Any]]) -> html.Section:
    if not attachments:
        return section("Ảnh, video", [html.P("Không có ảnh, video đính kèm.", className="muted")])
    items = []
    for n, a in enumerate(attachments, start=1):
        if a["kind"] == "video":
            items.append(html.Video(src=a["url"], controls=True, className="thumb video",
                                    preload="metadata"))
        else:
            items.append(html.A(html.Img(src=a.get("public_url") or a["url"], className="thumb",
                                         alt=f"Ảnh hiện trường {n}"),
                                href=a["url"], target="_blank", rel="noopener",
                                title="Mở ảnh gốc"))
    return section(f"Ảnh, video ({len(attachments)})", [html.Div(items, className="thumbs")])


def reporter(detail: dict[str, Any]) -> html.Section:
    who = detail.get("reporter")
    if who is None:
        note = ("Người phản ánh yêu cầu giữ bí mật danh tính (Điều 5 khoản 4)."
                if detail.get("confidential") else
                "Thông tin người phản ánh chỉ IOC xem được, hoặc cơ quan được IOC cung cấp.")
        return section("Người phản ánh", [html.P(note, className="muted")])
    rows = [("Họ tên", who.get("name") or "Không nêu"), ("Điện thoại", who.get("phone") or "-"),
            ("Thư điện tử", who.get("email") or "-")]
    children: list = [kv(rows)]
    if detail.get("confidential"):
        children.insert(0, html.P("Yêu cầu giữ bí mật danh tính: không cung cấp cho cơ quan khác, "
                                  "kết quả chỉ gửi riêng người phản ánh (Đ5.4, Đ10.3).",
                                  className="warn-note"))
    return section("Người phản ánh", children)


def result(detail: dict[str, Any]) -> html.Section | None:
    if not detail.get("result") and not detail.get("answer"):
        return None
    children: list = []
    if detail.get("result"):
        children.append(html.P(detail["result"], className="rp-text result"))
    if detail.get("answer"):
        children += [html.H4("Văn bản trả lời đã công khai" if detail.get("published_at")
                             else "Văn bản trả lời"),
                     html.Pre(detail["answer"], className="reply-text")]
    return section("Kết quả xử lý", children)


def nearby_section(found: list[Nearby], prefix: str) -> html.Section:
    title = "Phản ánh đang mở cùng lĩnh vực trong bán kính 250 m (có thể trùng)"
    if not found:
        return section(title, [html.P("Không có phản ánh nào.", className="muted")])
    rows = [html.Li(className="nearby-item", children=[
        html.Button(n.code, id={"type": "wf-open", "page": prefix, "code": n.code},
                    className="link-btn", n_clicks=0, title="Mở phản ánh này"),
        html.Span(f"{round(n.distance_m)} m", className="nearby-dist"),
        html.Span(n.state_label, className="badge state"),
        html.Span("KHẨN", className="badge emergency") if n.emergency else None,
        html.Span(vn.time_date(n.submitted_at), className="muted"),
        html.Div(n.description, className="nearby-text"),
    ]) for n in found]
    return section(title, [html.Ul(rows, className="nearby")], "rp-nearby")


def consultations(items: list[dict[str, Any]]) -> html.Section | None:
    if not items:
        return None
    rows = [html.Li([html.Strong(c["agency"]), f" · hỏi lúc {vn.time_date(c['asked_at'])}: ",
                     c.get("question") or "", html.Br(),
                     html.Span(f"Trả lời: {c['answer']}" if c.get("answer") else "Chưa trả lời",
                               className="muted" if not c.get("answer") else "")])
            for c in items]
    return section("Lấy ý kiến cơ quan liên quan (Đ7.2c)", [html.Ul(rows, className="plain")])


def deadlines(stages: dict[str, dict[str, Any]]) -> html.Section:
    head = html.Tr([html.Th(t) for t in ("Bước", "Bắt đầu", "Hạn", "Hoàn thành", "Tình trạng")])
    rows = [html.Tr([html.Td([s["name"], html.Span(f" {vn.clause(s['clause'])}", className="muted")]),
                     html.Td(vn.time_date(s["start"]), className="when"),
                     html.Td(vn.time_date(s["due"]), className="when"),
                     html.Td(vn.time_date(s["done"]), className="when"),
                     html.Td(html.Span(s["status_label"], className=f"badge {s['status']}"))])
            for s in stages.values() if s.get("start")]
    return section("Thời hạn từng bước", [html.Table([html.Thead(head), html.Tbody(rows)],
                                                     className="simple compact")])


def history(events: list[dict[str, Any]]) -> html.Section:
    items = []
    for e in reversed(events):
        try:
            role = ROLE_LABELS_VI[Role(e["role"])]
        except ValueError:
            role = e["role"]
        items.append(html.Li(className="tl-item", children=[
            html.Span(vn.time_date(e["at"]), className="tl-time"),
            html.Span(EVENT_LABELS.get(e["action"], e["action"]), className="tl-action"),
            html.Span(f"{actor_label(e['actor'])} · {role}", className="tl-who"),
            html.Div(e["note"], className="tl-note") if e.get("note") else None,
        ]))
    return section("Lịch sử xử lý", [html.Ol(items, className="timeline")])


def panel_section(prefix: str, empty_text: str) -> html.Section:
    """The page's report pane: `<prefix>-feedback` (answers to clicks) over `<prefix>-panel`."""
    return html.Section(className="ws-panel", **{"aria-label": "Phản ánh đang mở"}, children=[
        html.Div(id=f"{prefix}-feedback", className="feedback-slot"),
        html.Div(empty(empty_text), id=f"{prefix}-panel", className="panel-scroll"),
    ])


def workflow_stores(prefix: str, tick_ms: int) -> list:
    """What `dashboard.callbacks.workflow` keeps per page: the queue's tick and fingerprint, the
    chosen code, the shown report (code and version), the refresh counter."""
    return [dcc.Interval(id=f"{prefix}-tick", interval=tick_ms, n_intervals=0),
            dcc.Store(id=f"{prefix}-init", data=1),
            dcc.Store(id=f"{prefix}-selected"), dcc.Store(id=f"{prefix}-detail"),
            dcc.Store(id=f"{prefix}-refresh", data=0), dcc.Store(id=f"{prefix}-seen")]

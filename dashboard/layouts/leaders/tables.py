"""The page's tables: the agency ranking (small samples set apart), satisfaction, misrouting
and rework, the late and overdue steps with the unit responsible, and the escalations waiting
for direction. Pure: the page's data in, components out."""

from __future__ import annotations

from dash import html

from backend import vietnamese as vn
from dashboard.layouts.leaders.kpis import code_button, drill, fmt, place_text, rate_bar

RATINGS = (("rating.hai_long", "Hài lòng", "sat-good"),
           ("rating.chap_nhan_duoc", "Chấp nhận được", "sat-ok"),
           ("rating.khong_hai_long", "Không hài lòng", "sat-bad"))


def ranking_table(view: dict) -> html.Div:
    rows = view["ranking"]
    eligible = [r for r in rows if r["eligible"]]
    small = [r for r in rows if not r["eligible"]]
    head = html.Tr([html.Th("#", className="num"), html.Th("Cơ quan xử lý"),
                    html.Th("Đúng hạn", className="bar-col"),
                    html.Th("Trễ / đã xác định", className="num"),
                    html.Th("Trung vị", className="num", title="Giờ làm việc, bước xử lý"),
                    html.Th("Hài lòng", className="num")])
    body = [_rank_row(r, view["min_sample"]) for r in eligible]
    if small:
        body.append(html.Tr(className="rank-split", children=[html.Td(colSpan=6, children=[
            html.Strong("Chưa đủ mẫu để xếp hạng"),
            f" (dưới {vn.integer(view['min_sample'])} bước xử lý đã xác định đúng hạn hoặc trễ hạn "
            "trong kỳ): số liệu chỉ để tham khảo."])]))
        body += [_rank_row(r, view["min_sample"], small=True) for r in small]
    if not rows:
        return html.P("Chưa có cơ quan nào nhận phản ánh trong kỳ này.", className="muted")
    return html.Div(className="ld-scroll", children=html.Table(
        [html.Thead(head), html.Tbody(body)], className="ld-table ranking"))


def _rank_row(r: dict, min_sample: int, small: bool = False) -> html.Tr:
    rate = r["on_time_rate"]
    return html.Tr(className="small-sample" if small else "", children=[
        html.Td(str(r["rank"]) if r["rank"] else "–", className="num rank"),
        html.Td(r["short"] or r["name"], title=r["name"]),
        html.Td(rate_bar(rate, None, "rank", slim=True), className="bar-col"),
        html.Td([drill(vn.integer(r["late"]), "process.late", r["late"], at="rank", class_name="bad",
                       agency=r["agency"]), html.Span(f" / {vn.integer(r['decided'])}",
                                                      className="muted")], className="num"),
        html.Td(fmt(r["hours_median"], "hours"), className="num muted"),
        html.Td(vn.percent(r["rate.satisfied"]), className="num"),
    ])


def satisfaction_block(view: dict) -> html.Div:
    s = view["satisfaction"]
    rated = s["rated"] or 0
    segments, legend = [], []
    for key, name, css in RATINGS:
        count = s[key] or 0
        share = count / rated if rated else 0
        segments.append(html.Div(className=f"sat-seg {css}", style={"flexGrow": str(count)},
                                 title=f"{name}: {vn.integer(count)} ({vn.percent(share)})",
                                 children=vn.percent(share, 0) if share >= 0.08 else ""))
        legend.append(html.Div(className="sat-item", children=[
            html.I(className=f"sat-dot {css}"), html.Span(name, className="sat-name"),
            drill(vn.integer(count), key, count, at="sat"), html.Span(vn.percent(share), className="muted")]))
    return html.Div(className="sat", children=[
        html.Div(className="sat-bar", children=segments if rated else [
            html.Div("Chưa có đánh giá", className="sat-seg sat-none")]),
        html.Div(legend, className="sat-legend"),
        html.Div(className="sat-foot", children=[
            html.Span("Được đánh giá: "), html.Strong(vn.percent(s["rate.rated"])),
            html.Span(" ("), drill(vn.integer(rated), "rated", rated, at="sat"),
            html.Span(f" trên {vn.integer(s['answered'])} phản ánh đã trả lời) · Hài lòng và chấp "
                      "nhận được: "), html.Strong(vn.percent(s["rate.satisfied"]))]),
    ])


def flow_block(view: dict) -> html.Div:
    f = view["flow"]

    def count(key: str) -> html.Button | html.Span:
        return drill(vn.integer(f[key]), key, f[key], at="flow")

    items = [
        ("Trả lại IOC do không đúng thẩm quyền", count("returned"),
         f"{vn.percent(f['rate.misrouting'])} số đã chuyển · {vn.integer(f['returned_times'])} lượt"),
        ("Phải xử lý lại theo yêu cầu lãnh đạo đơn vị", count("rework"),
         f"{vn.percent(f['rate.rework'])} số có kết quả · {vn.integer(f['rework_times'])} lượt"),
        ("Báo cáo UBND tỉnh xin chỉ đạo", count("escalated"),
         ["đang chờ chỉ đạo: ", count("escalation_waiting")]),
        ("Từ chối (không đủ điều kiện)", count("rejected"),
         ["đề nghị bổ sung: ", count("supplement_requested")]),
    ]
    return html.Div(className="flow", children=[
        html.Div(className="flow-item", children=[
            html.Div(value, className="flow-value"),
            html.Div([html.Div(title, className="flow-title"),
                      html.Div(note, className="flow-note")])])
        for title, value, note in items])


def _late_table(rows: list[dict], empty: str, short: dict[str, str], pane: str
                ) -> html.Div | html.P:
    if not rows:
        return html.P(empty, className="muted ld-empty")
    head = html.Tr([html.Th("Mã, bước trễ"), html.Th("Đơn vị chịu trách nhiệm"),
                    html.Th("Lĩnh vực, xã/phường"), html.Th("Hạn của bước"),
                    html.Th("Trễ", className="num", title="Giờ làm việc"), html.Th("")])
    body = [html.Tr(className="emergency" if r["emergency"] else "", children=[
        html.Td([code_button(r["code"], f"{pane}-{n}"), html.Div(r["stage_name"], className="sub")],
                className="nowrap"),
        html.Td(short.get(r["responsible"]) or r["responsible_name"], className="resp",
                title=r["responsible_name"]),
        html.Td([html.Div(r["field_name"]),
                 html.Div(place_text(r), className="sub")]),
        html.Td(vn.time_date(r["due_at"]), className="nowrap"),
        html.Td(fmt(r["hours_late"], "hours"), className="num late-hours"),
        html.Td([html.Span("Khẩn", className="badge emergency") if r["emergency"] else None,
                 html.Span("Đã báo tiến độ", className="badge notice")
                 if r["progress_notice"] else None,
                 html.Span("Bảo mật", className="badge secret") if r["private"] else None,
                 html.Span("Xong, trễ", className="badge done_late")
                 if r["status"] == "late_done" else None], className="flags"),
    ]) for n, r in enumerate(rows)]
    return html.Div(className="ld-scroll tall", children=html.Table(
        [html.Thead(head), html.Tbody(body)], className="ld-table late"))


def overdue_tables(view: dict) -> list:
    o = view["overdue"]
    short = view.get("short_names") or {}
    shown_over, shown_late = len(o["rows_overdue"]), len(o["rows_late"])
    return [
        html.Div(className="late-pane pane-overdue", children=[
            html.P(className="ld-count", children=[
                drill(vn.integer(o["overdue"]), "e2e.overdue", view["figures"].get("e2e.overdue"),
                      at="late"),
                f" bước đang quá hạn · hiển thị {vn.integer(shown_over)} bước trễ lâu nhất"]),
            _late_table(o["rows_overdue"], "Không có bước nào đang quá hạn.", short,
                        "overdue"),
        ]),
        html.Div(className="late-pane pane-late", children=[
            html.P(className="ld-count", children=[
                drill(vn.integer(o["late"]), "e2e.late", view["figures"].get("e2e.late"), at="late"),
                f" bước trễ hạn trong kỳ ({vn.integer(o['reports_late'])} phản ánh) · hiển thị "
                f"{vn.integer(shown_late)} bước trễ lâu nhất; danh sách đầy đủ trong bộ báo cáo "
                "Excel (trang Quá hạn)"]),
            _late_table(o["rows_late"], "Không có bước nào trễ hạn trong kỳ.", short,
                        "late"),
        ]),
    ]


def responsible_table(view: dict) -> html.Div | html.P:
    rows = view["overdue"]["by_responsible"]
    if not rows:
        return html.P("Không có đơn vị nào trễ hạn trong kỳ.", className="muted ld-empty")
    top = max(r["late"] for r in rows) or 1
    short = view.get("short_names") or {}
    body = []
    for r in rows[:8]:
        agency = None if r["responsible"] in ("ioc", "-") else r["responsible"]
        body.append(html.Tr([
            html.Td(short.get(r["responsible"]) or r["name"], className="resp",
                    title=r["name"]),
            html.Td(html.Div(className="mini-bar", children=html.Div(
                style={"width": f"{r['late'] / top * 100:.0f}%"})), className="bar-col"),
            html.Td(drill(vn.integer(r["late"]), "agency_late" if agency else None, r["late"], at="resp",
                          class_name="bad", agency=agency), className="num"),
            html.Td(vn.integer(r["overdue"]), className="num", title="Đang quá hạn"),
            html.Td(fmt(r["hours_max"], "hours"), className="num muted",
                    title="Trễ lâu nhất (giờ làm việc)"),
        ]))
    head = html.Tr([html.Th("Đơn vị"), html.Th(""), html.Th("Bước trễ", className="num"),
                    html.Th("Đang quá hạn", className="num"),
                    html.Th("Trễ lâu nhất", className="num")])
    return html.Table([html.Thead(head), html.Tbody(body)], className="ld-table resp-table")


def escalations_table(view: dict) -> html.Div | html.P:
    rows = view["escalations"]
    if not rows:
        return html.P("Không có phản ánh nào đang chờ UBND tỉnh chỉ đạo.",
                      className="muted ld-empty")
    body = [html.Tr(className="overdue" if r["overdue"] else "", children=[
        html.Td(code_button(r["code"], f"esc-{n}")),
        html.Td([html.Div(r["field_name"]), html.Div(place_text(r), className="muted")]),
        html.Td([html.Div(waiting(r["waiting_hours"]), className="wait"),
                 html.Div(f"từ {vn.time_date(r['escalated_at'])}", className="muted")],
                className="num"),
    ]) for n, r in enumerate(rows[:12])]
    more = (html.P(f"và {vn.integer(len(rows) - 12)} phản ánh khác.", className="muted")
            if len(rows) > 12 else None)
    return html.Div([html.Table(html.Tbody(body), className="ld-table esc"), more])


def waiting(hours: float | None) -> str:
    """Working hours as days of 8 hours: "2 ngày 3,5 giờ làm việc"."""
    if hours is None:
        return "-"
    days, rest = divmod(hours, 8)
    parts = ([f"{int(days)} ngày"] if days else []) + (
        [f"{vn.decimal(rest)} giờ"] if rest >= 0.05 or not days else [])
    return " ".join(parts) + " làm việc"

"""The page's numbers: how a figure is written, the click-through every number carries (a
drill key, opened in the side panel by `dashboard/callbacks/leaders/drilldown.py`), the
subtitle, the KPI tiles and the on-time table per stage. Pure: the page's data
(`backend.services.kpis.leaders.overview`) in, components out."""

from __future__ import annotations

from dash import html

from backend import vietnamese as vn
from dashboard.layouts.leaders.page import PREFIX

TILE_TITLES = {
    "received": "Phản ánh tiếp nhận", "rate.answered": "Đã trả lời người dân",
    "rate.on_time.e2e": "Đúng hạn toàn quy trình", "rate.on_time.process": "Đúng hạn bước xử lý",
    "e2e.overdue": "Đang quá hạn", "hours.median.process": "Thời gian xử lý (trung vị)",
    "rate.misrouting": "Chuyển sai thẩm quyền", "rate.rework": "Phải xử lý lại",
    "rate.rated": "Người dân đánh giá", "rate.satisfied": "Hài lòng, chấp nhận được",
}


DRILL_PARTS = ("metric", "period", "field", "area", "unit", "agency", "count")


def place_text(row: dict) -> str:
    """A row's unit and area: "Phường Phan Đình Phùng · TP Thái Nguyên" (what is known)."""
    names = dict.fromkeys(n for n in (row.get("unit_name"), row.get("area_name")) if n)
    return " · ".join(names) or "-"


def fmt(value: float | int | None, unit: str) -> str:
    """A figure as people read it: 1.234 · 12,5% · 12,6 giờ."""
    if value is None:
        return "-"
    text = vn.figure(value, unit)
    return f"{text} giờ" if unit == "hours" else text


def fmt_change(change: float | None, unit: str) -> str:
    """The size of a change, without its sign (the arrow gives the direction)."""
    if change is None:
        return ""
    size = abs(change)
    if unit == "rate":
        return f"{vn.decimal(size * 100)} điểm %"
    if unit == "hours":
        return f"{vn.decimal(size)} giờ"
    return vn.integer(size)


def drill_key(metric: str, n: int | None = None, *, period: str | None = None,
              field: str | None = None, area: str | None = None, unit: str | None = None,
              agency: str | None = None) -> str:
    """The click-through of one number: metric|period|field|area|unit|agency|count (empty
    parts: the page's own period and filters; DRILL_PARTS)."""
    return "|".join([metric, period or "", field or "", area or "", unit or "", agency or "",
                     "" if n is None else str(int(n))])


def drill(text: str, metric: str | None, n: int | float | None = None, *, at: str,
          class_name: str = "", **where: str | None):
    """A number that opens the reports behind it; a plain span when there is nothing behind.

    ``at`` names the place on the page (a section), so that the same figure shown twice still
    has two distinct ids."""
    if metric is None or not n:
        return html.Span(text, className=f"num-plain {class_name}".strip())
    return html.Button(text, id={"type": f"{PREFIX}-drill", "key": drill_key(metric, n, **where),
                                 "at": at},
                       className=f"drill {class_name}".strip(), n_clicks=0,
                       title="Xem các phản ánh của con số này")


def code_button(code: str, at: str, class_name: str = "") -> html.Button:
    """A report's code that opens its detail (``at``: the place, ids stay distinct)."""
    return html.Button(code, id={"type": f"{PREFIX}-code", "code": code, "at": at}, n_clicks=0,
                       className=f"code-btn {class_name}".strip(), title="Xem chi tiết phản ánh")


def subtitle(view: dict) -> list:
    period = view["period"]
    return [html.Span(period["title"], className="ld-period"),
            html.Span(period["span"], className="ld-span"),
            html.Span(f"Số liệu tính đến {vn.time_date(view['now'])}", className="ld-asof"),
            *([html.Span(view["filters_label"], className="ld-filter-chip")]
              if view.get("filters_label") else [])]


def tiles(view: dict) -> list:
    previous = view["period"]["previous"]
    return [tile(h, previous) for h in view["headline"]]


def tile(h: dict, previous_label: str) -> html.Div:
    unit, met = h["unit"], h["met"]
    tone = "none" if met is None else "met" if met else "missed"
    sign = "≥" if h["better"] == "higher" else "≤"
    target = (f"Mục tiêu {sign} {fmt(h['target'], unit)}" if h["target"] is not None
              else "Chỉ tiêu theo dõi")
    status = {"met": "Đạt", "missed": "Chưa đạt"}.get(tone)
    change, trend_class = h["change"], ""
    if change is not None and abs(change) > 1e-12:
        good = (change > 0) == (h["better"] == "higher")
        arrow = "▲" if change > 0 else "▼"
        trend_class = "up-good" if good else "up-bad"
        change_text = f"{arrow} {fmt_change(change, unit)}"
    elif change is not None:
        change_text = "Không đổi"
    else:
        change_text = ""
    value = fmt(h["value"], unit)
    return html.Div(className=f"ld-tile {tone}", id=f"{PREFIX}-tile-{h['key']}", children=[
        html.Div(TILE_TITLES.get(h["key"], h["label"]), className="ld-tile-label",
                 title=h["label"]),
        drill(value, h.get("drill"), _drill_count(h), at=f"tile-{h['key']}",
              class_name="ld-tile-value"),
        html.Div(className="ld-tile-target", children=[
            html.Span(target), html.Span(status, className=f"chip {tone}") if status else None]),
        html.Div(className=f"ld-tile-change {trend_class}", children=[
            html.Span(change_text, className="delta"),
            html.Span(f"so với {previous_label}: {fmt(h['previous'], unit)}", className="prev")
            if h["previous"] is not None else html.Span(f"{previous_label}: chưa có số liệu",
                                                        className="prev"),
        ]),
    ])


def _drill_count(h: dict) -> int | None:
    """How many reports a tile opens: the count itself, or 1 (unknown until opened) for rates."""
    if h.get("drill") is None or h["value"] is None:
        return None
    return int(h["value"]) if h["unit"] == "count" else -1


def stages_table(view: dict) -> html.Table:
    head = html.Tr([html.Th("Bước"), html.Th("Đúng hạn / mục tiêu", className="bar-col"),
                    html.Th("Trễ hạn", className="num"), html.Th("Quá hạn", className="num",
                                                                 title="Đang quá hạn"),
                    html.Th("Trung vị", className="num",
                            title="Thời gian trung vị, giờ làm việc")])
    rows = []
    for s in view["stages"]:
        stage, rate, target = s["stage"], s["on_time_rate"], s["target"]
        tone = "none" if s["met"] is None else "met" if s["met"] else "missed"
        bar = rate_bar(rate, target, tone)
        rows.append(html.Tr(className="e2e" if stage == "e2e" else "", children=[
            html.Th([s["name"], html.Span(
                [drill(vn.integer(s["on_time"]), f"{stage}.on_time", s["on_time"], at="stage"), " đúng hạn"],
                className="stage-sub")], scope="row"),
            html.Td([bar, html.Span(f"mục tiêu {vn.percent(target, 0)}" if target is not None
                                    else "", className="rate-goal")], className="bar-col"),
            html.Td(drill(vn.integer(s["late"]), f"{stage}.late", s["late"], at="stage", class_name="bad"),
                    className="num"),
            html.Td(drill(vn.integer(s["overdue"]), f"{stage}.overdue", s["overdue"], at="stage",
                          class_name="bad"), className="num"),
            html.Td(fmt(s["hours_median"], "hours"), className="num muted"),
        ]))
    return html.Table([html.Thead(head), html.Tbody(rows)], className="ld-table stages")


def rate_bar(rate: float | None, target: float | None, tone: str, slim: bool = False
             ) -> html.Div:
    """A horizontal bar of a rate (0-1) with the target as a tick, and the rate in words."""
    return html.Div(className=f"rate-bar {tone}" + (" slim" if slim else ""), children=[
        html.Div(className="rate-track", children=[
            html.Div(className="rate-fill", style={"width": f"{(rate or 0) * 100:.1f}%"}),
            html.Div(className="rate-target", style={"left": f"{target * 100:.1f}%"},
                     title=f"Mục tiêu {vn.percent(target)}") if target is not None else None,
        ]),
        html.Span(vn.percent(rate), className="rate-text"),
    ])

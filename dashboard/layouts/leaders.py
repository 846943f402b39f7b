"""Leadership `/leaders` (provincial leaders, D2.2d, D13.5, D14.4): how the regulation is carried
out, for a month or a quarter, against the targets.

KPI tiles (value, target, change on the previous period), twelve months of trends, on-time rates
per stage, SLA heatmaps per agency and district (matrix and map), the agency ranking (small
samples set apart), satisfaction, misrouting and rework, escalations waiting for direction and
the overdue list with the unit responsible. Every number opens the reports behind it in a side
panel, where a report is read only, except that a provincial leader directs an escalated one to
an agency (D7.2c); the monthly and quarterly packs are made in the background and downloaded.
"""

from __future__ import annotations

import dash_leaflet as dl
from dash import dcc, html

from backend.services import leaders as service
from backend.services.auth import StaffUser
from backend.services.places import map_bounds
from dashboard.format import date_time, number, percent
from dashboard.layouts import report_panel
from dashboard.layouts.map import BOUNDARIES_URL, CENTER, tile_layer
from dashboard.layouts.queue import DROPDOWN_VI

PREFIX = "leaders"
GRAPH_CONFIG = {"displayModeBar": False, "responsive": True, "displaylogo": False}
KINDS = [{"label": "Tháng", "value": "month"}, {"label": "Quý", "value": "quarter"}]
MAP_MODES = [{"label": "Trễ hạn", "value": "late"}, {"label": "Đang quá hạn", "value": "overdue"}]
OVERDUE_MODES = [{"label": "Đang quá hạn", "value": "overdue"},
                 {"label": "Mọi bước trễ hạn trong kỳ", "value": "late"}]
LOADING = {"delay_show": 300, "type": "dot", "color": "#1d4ed8",
           "overlay_style": {"visibility": "visible", "opacity": 0.45}}


def period_options(kind: str) -> list[dict[str, str]]:
    """The periods a leader may pick (newest first), labelled "Tháng 11/2026", "Quý IV/2026"."""
    return [{"label": p.title_vi, "value": p.code} for p in service.period_choices(kind)]


def layout(_staff: StaffUser | None = None) -> html.Div:
    current = service.current_period("month")
    return html.Div(className="leaders", children=[
        html.Header(className="ld-head", children=[
            html.Div(className="ld-titles", children=[
                html.Div("UBND TỈNH THÁI NGUYÊN · TRUNG TÂM ĐIỀU HÀNH THÔNG MINH",
                         className="ld-org"),
                html.H1("Tình hình tiếp nhận, xử lý phản ánh hiện trường"),
                html.Div(id=f"{PREFIX}-subtitle", className="ld-sub", role="status"),
            ]),
            packs(),
        ]),
        filter_bar(current.code),
        html.Div(id=f"{PREFIX}-error", className="ld-error", role="alert"),
        dcc.Loading(**LOADING, children=html.Section(
            id=f"{PREFIX}-tiles", className="ld-tiles",
            **{"aria-label": "Chỉ tiêu chính so với mục tiêu"})),
        html.Div(className="ld-grid ld-row-trend", children=[
            card("Diễn biến 12 tháng", "Số phản ánh tiếp nhận và tỷ lệ đúng hạn, hài lòng theo tháng; "
                 "bấm một cột để xem các phản ánh của tháng đó.", [
                     dcc.Loading(**LOADING, children=dcc.Graph(
                         id=f"{PREFIX}-trend", config=GRAPH_CONFIG, className="ld-graph trend",
                         figure=empty_figure()))], "trend"),
            card("Tỷ lệ đúng hạn theo bước", "So với mục tiêu của từng bước (Phụ lục I); bấm số "
                 "trễ hạn để xem phản ánh.", [
                     dcc.Loading(**LOADING, children=html.Div(id=f"{PREFIX}-stages"))], "stages"),
        ]),
        html.Div(className="ld-grid ld-row-sla", children=[
            card("Bản đồ nhiệt SLA: cơ quan × địa bàn", "Tỷ lệ đúng hạn bước xử lý của từng cơ "
                 "quan trên từng địa bàn; ô trống: không có phản ánh. Bấm một ô để xem các phản "
                 "ánh trễ hạn.", [
                     dcc.Loading(**LOADING, children=dcc.Graph(
                         id=f"{PREFIX}-heatmap", config=GRAPH_CONFIG, className="ld-graph heat",
                         figure=empty_figure()))], "heat"),
            card("Bản đồ địa bàn", "Tô màu theo tỷ lệ của từng huyện, thành phố; bấm một địa bàn "
                 "để xem phản ánh.", [
                     dcc.RadioItems(id=f"{PREFIX}-map-mode", options=MAP_MODES, value="late",
                                    className="seg seg-small", inline=True),
                     district_map(),
                     html.Div(id=f"{PREFIX}-map-legend", className="ld-map-legend"),
                     dcc.Loading(**LOADING, children=html.Div(id=f"{PREFIX}-district-table")),
                 ], "mapcard"),
        ]),
        html.Div(className="ld-grid ld-row-rank", children=[
            card("Xếp hạng cơ quan xử lý", "Theo tỷ lệ đúng hạn bước xử lý (Đ14.4); đơn vị có quá "
                 "ít bước đã xác định được xếp riêng.", [
                     dcc.Loading(**LOADING, children=html.Div(id=f"{PREFIX}-ranking"))], "rank"),
            html.Div(className="ld-stack", children=[
                card("Mức độ hài lòng của người dân", "Đánh giá của người phản ánh sau khi nhận "
                     "kết quả (Đ11.2).", [
                         dcc.Loading(**LOADING, children=html.Div(
                             id=f"{PREFIX}-satisfaction"))], "sat"),
                card("Chuyển sai thẩm quyền, xử lý lại, xin chỉ đạo", "", [
                    dcc.Loading(**LOADING, children=html.Div(id=f"{PREFIX}-flow"))], "flow"),
            ]),
        ]),
        html.Div(className="ld-grid ld-row-late", children=[
            card("Phản ánh trễ hạn và đơn vị chịu trách nhiệm", "Số giờ trễ tính theo giờ làm "
                 "việc (Đ14.4); khẩn cấp tính theo giờ thực.", [
                     dcc.RadioItems(id=f"{PREFIX}-overdue-mode", options=OVERDUE_MODES,
                                    value="overdue", className="seg seg-small", inline=True),
                     dcc.Loading(**LOADING, children=html.Div(id=f"{PREFIX}-overdue",
                                                               className="show-overdue")),
                 ], "late"),
            html.Div(className="ld-stack", children=[
                card("Đơn vị có nhiều bước trễ hạn nhất", "", [
                    dcc.Loading(**LOADING, children=html.Div(id=f"{PREFIX}-responsible"))],
                     "resp"),
                card("Đang chờ UBND tỉnh chỉ đạo", "Phản ánh IOC đã báo cáo xin ý kiến chỉ đạo "
                     "(Đ7.2c), chờ lâu nhất trước.", [
                         dcc.Loading(**LOADING, children=html.Div(
                             id=f"{PREFIX}-escalations"))], "esc"),
            ]),
        ]),
        drawer(),
        dcc.Store(id=f"{PREFIX}-init", data=1),
        dcc.Store(id=f"{PREFIX}-view"),
        dcc.Store(id=f"{PREFIX}-map-values"),
        dcc.Interval(id=f"{PREFIX}-map-resend", interval=1200, max_intervals=3),
    ])


def filter_bar(period: str) -> html.Div:
    return html.Div(className="filters ld-filters", role="search", children=[
        dcc.RadioItems(id=f"{PREFIX}-kind", options=KINDS, value="month", className="seg",
                       inline=True),
        dcc.Dropdown(id=f"{PREFIX}-period", options=period_options("month"), value=period,
                     clearable=False, searchable=False, className="f-period", labels=DROPDOWN_VI),
        dcc.Dropdown(id=f"{PREFIX}-field", options=[], placeholder="Mọi lĩnh vực",
                     className="f-field", labels=DROPDOWN_VI),
        dcc.Dropdown(id=f"{PREFIX}-district", options=[], placeholder="Mọi địa bàn",
                     className="f-district", labels=DROPDOWN_VI),
        dcc.Dropdown(id=f"{PREFIX}-agency", options=[], placeholder="Mọi cơ quan xử lý",
                     className="f-agency", labels=DROPDOWN_VI),
        html.Button("Bỏ lọc", id=f"{PREFIX}-reset", className="btn btn-small", n_clicks=0),
    ])


def packs() -> html.Div:
    """The pack downloads: made in the background, with a progress bar and a cancel button."""
    return html.Div(id=f"{PREFIX}-pack-box", className="pack-box", children=[
        html.Div(className="pack-buttons", children=[
            html.Button("Tải báo cáo tháng", id=f"{PREFIX}-pack-month", n_clicks=0,
                        className="btn btn-primary pack-btn"),
            html.Button("Tải báo cáo quý", id=f"{PREFIX}-pack-quarter", n_clicks=0,
                        className="btn btn-primary pack-btn"),
        ]),
        html.Div(className="pack-progress", children=[
            html.Progress(id=f"{PREFIX}-pack-progress", value="0", max="100"),
            html.Span(id=f"{PREFIX}-pack-text", className="pack-text"),
            html.Button("Hủy", id=f"{PREFIX}-pack-cancel", n_clicks=0,
                        className="btn btn-small pack-cancel"),
        ]),
        html.Div(id=f"{PREFIX}-pack-status", className="pack-status", role="status"),
        html.Div("Word, Excel và CSV trong một tệp .zip", id=f"{PREFIX}-pack-note",
                 className="pack-note"),
        dcc.Store(id=f"{PREFIX}-pack-request"),
        dcc.Store(id=f"{PREFIX}-pack-file"),
        dcc.Store(id=f"{PREFIX}-pack-fetched"),
    ])


def pack_done(name: str, href: str, size: int, period_label: str) -> list:
    """The status line once a pack is made: what it is, and a link to fetch it again."""
    megabytes = f"{size / 1_048_576:.1f}".replace(".", ",")
    return [f"Đã tạo {name} ({megabytes} MB): báo cáo {period_label}. ",
            html.A("Tải lại", href=href, download=name, className="pack-again")]


def card(title: str, hint: str, children: list, name: str) -> html.Section:
    return html.Section(className=f"ld-card ld-{name}", children=[
        html.Header(className="ld-card-head", children=[
            html.H2(title), html.P(hint, className="ld-hint") if hint else None]),
        *children,
    ])


def district_map() -> dl.Map:
    """Districts coloured by the chosen rate (values through `hideout`, geometry from the
    cacheable boundaries route; no tile server needed)."""
    return dl.Map(
        id=f"{PREFIX}-map", center=CENTER, zoom=9, zoomSnap=0.25, viewport={"bounds": map_bounds()},
        scrollWheelZoom=False, className="report-map ld-map", children=[
            *tile_layer(),
            dl.GeoJSON(id=f"{PREFIX}-districts", url=BOUNDARIES_URL,
                       style={"variable": "iocMap.districtStyle"},
                       onEachFeature={"variable": "iocMap.districtTooltip"},
                       hideout={"mode": "none", "values": {}, "dark": False}),
            dl.ScaleControl(position="bottomleft", imperial=False),
        ])


def drawer() -> html.Aside:
    """The side panel: the reports behind a number, then one report read-only."""
    return html.Aside(id=f"{PREFIX}-drawer", className="ld-drawer", role="dialog",
                      **{"aria-label": "Các phản ánh của con số đã chọn"}, children=[
        html.Header(className="ld-drawer-head", children=[
            html.Button("← Danh sách", id=f"{PREFIX}-drawer-back", n_clicks=0,
                        className="btn btn-small ld-back"),
            html.Div(id=f"{PREFIX}-drawer-title", className="ld-drawer-title"),
            html.Button("✕", id=f"{PREFIX}-drawer-close", n_clicks=0, className="ld-close",
                        title="Đóng", **{"aria-label": "Đóng"}),
        ]),
        dcc.Loading(**LOADING, children=html.Div(id=f"{PREFIX}-drawer-list",
                                                  className="ld-drawer-list")),
        dcc.Loading(**LOADING, children=html.Div(id=f"{PREFIX}-drawer-detail",
                                                  className="ld-drawer-detail")),
    ])


def empty_figure() -> dict:
    return {"data": [], "layout": {"xaxis": {"visible": False}, "yaxis": {"visible": False},
                                   "paper_bgcolor": "rgba(0,0,0,0)",
                                   "plot_bgcolor": "rgba(0,0,0,0)",
                                   "margin": {"l": 0, "r": 0, "t": 0, "b": 0}}}


# =========================================================================== builders
# Pure functions: the page's data (backend.services.leaders.overview & co.) in, components out.

TILE_TITLES = {
    "received": "Phản ánh tiếp nhận", "rate.answered": "Đã trả lời người dân",
    "rate.on_time.e2e": "Đúng hạn toàn quy trình", "rate.on_time.process": "Đúng hạn bước xử lý",
    "e2e.overdue": "Đang quá hạn", "hours.median.process": "Thời gian xử lý (trung vị)",
    "rate.misrouting": "Chuyển sai thẩm quyền", "rate.rework": "Phải xử lý lại",
    "rate.rated": "Người dân đánh giá", "rate.satisfied": "Hài lòng, chấp nhận được",
}
RATINGS = (("rating.hai_long", "Hài lòng", "sat-good"),
           ("rating.chap_nhan_duoc", "Chấp nhận được", "sat-ok"),
           ("rating.khong_hai_long", "Không hài lòng", "sat-bad"))
PLOT_FONT = {"family": "Be Vietnam Pro, system-ui, sans-serif", "size": 12, "color": "#334155"}
COLOURS = {"bar": "#cbd5e1", "bar_on": "#1e40af", "e2e": "#1d4ed8", "process": "#0d9488",
           "satisfied": "#a21caf", "target": "#dc2626"}


def short_district(name: str | None) -> str:
    """"Thành phố Thái Nguyên" → "TP Thái Nguyên", "Huyện Đại Từ" → "Đại Từ"."""
    name = name or ""
    for long, short in (("Thành phố ", "TP "), ("Thị xã ", "TX "), ("Huyện ", "")):
        if name.startswith(long):
            return short + name[len(long):]
    return name


def fmt(value: float | int | None, unit: str) -> str:
    """A figure as people read it: 1.234 · 12,5% · 12,6 giờ."""
    if value is None:
        return "-"
    if unit == "rate":
        return percent(value)
    if unit == "hours":
        return f"{value:.1f}".replace(".", ",") + " giờ"
    return number(value)


def fmt_change(change: float | None, unit: str) -> str:
    """The size of a change, without its sign (the arrow gives the direction)."""
    if change is None:
        return ""
    size = abs(change)
    if unit == "rate":
        return f"{size * 100:.1f}".replace(".", ",") + " điểm %"
    if unit == "hours":
        return f"{size:.1f}".replace(".", ",") + " giờ"
    return number(size)


def drill_key(metric: str, n: int | None = None, *, period: str | None = None,
              field: str | None = None, district: str | None = None,
              agency: str | None = None) -> str:
    """The click-through of one number: metric|period|field|district|agency|count (empty parts:
    the page's own period and filters)."""
    return "|".join([metric, period or "", field or "", district or "", agency or "",
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
            html.Span(f"Số liệu tính đến {date_time(view['now'])}", className="ld-asof"),
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
                [drill(number(s["on_time"]), f"{stage}.on_time", s["on_time"], at="stage"), " đúng hạn"],
                className="stage-sub")], scope="row"),
            html.Td([bar, html.Span(f"mục tiêu {percent(target, 0)}" if target is not None
                                    else "", className="rate-goal")], className="bar-col"),
            html.Td(drill(number(s["late"]), f"{stage}.late", s["late"], at="stage", class_name="bad"),
                    className="num"),
            html.Td(drill(number(s["overdue"]), f"{stage}.overdue", s["overdue"], at="stage",
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
                     title=f"Mục tiêu {percent(target)}") if target is not None else None,
        ]),
        html.Span(percent(rate), className="rate-text"),
    ])


def _plot_layout(**extra) -> dict:
    layout = {"font": PLOT_FONT, "separators": ",.", "paper_bgcolor": "rgba(0,0,0,0)",
              "plot_bgcolor": "rgba(0,0,0,0)", "hoverlabel": {"font": PLOT_FONT, "bgcolor": "#fff"},
              "margin": {"l": 8, "r": 8, "t": 8, "b": 8}}
    layout.update(extra)
    return layout


def trend_figure(months: list[dict], selected: set[str], targets: dict[str, float | None]) -> dict:
    """Bars: reports received each month (the chosen period's months dark); lines: on-time
    rates end to end and of the processing step, and satisfaction, against the target."""
    labels = [m["label"] for m in months]
    codes = [m["month"] for m in months]
    received = [m["received"] for m in months]
    data = [
        {"type": "bar", "x": labels, "y": received, "name": "Tiếp nhận", "customdata": codes,
         "marker": {"color": [COLOURS["bar_on"] if c in selected else COLOURS["bar"]
                              for c in codes]},
         "hovertemplate": "Tháng %{x}<br>Tiếp nhận: %{y:,.0f} phản ánh<extra></extra>"},
    ]
    for key, name, colour in (("rate.on_time.e2e", "Đúng hạn toàn quy trình", COLOURS["e2e"]),
                              ("rate.on_time.process", "Đúng hạn bước xử lý",
                               COLOURS["process"]),
                              ("rate.satisfied", "Hài lòng, chấp nhận được",
                               COLOURS["satisfied"])):
        data.append({"type": "scatter", "mode": "lines+markers", "x": labels,
                     "y": [m[key] for m in months], "name": name, "yaxis": "y2",
                     "customdata": codes, "line": {"color": colour, "width": 2.5},
                     "marker": {"size": 6}, "connectgaps": False,
                     "hovertemplate": f"Tháng %{{x}}<br>{name}: %{{y:.1%}}<extra></extra>"})
    target = targets.get("e2e")
    shapes = []
    if target is not None:
        shapes.append({"type": "line", "xref": "paper", "x0": 0, "x1": 1, "yref": "y2",
                       "y0": target, "y1": target,
                       "line": {"color": COLOURS["target"], "width": 1.5, "dash": "dot"}})
    layout = _plot_layout(
        height=300, bargap=0.35, hovermode="x unified", shapes=shapes,
        margin={"l": 52, "r": 52, "t": 34, "b": 34},
        legend={"orientation": "h", "x": 0, "y": 1.16, "font": {"size": 12}},
        xaxis={"type": "category", "showgrid": False, "tickfont": {"size": 11}},
        yaxis={"title": {"text": "Phản ánh", "font": {"size": 11}}, "gridcolor": "#eef2f7",
               "tickformat": ",.0f", "rangemode": "tozero", "fixedrange": True},
        yaxis2={"overlaying": "y", "side": "right", "range": [0, 1.04], "tickformat": ".0%",
                "tickmode": "array", "tickvals": [0, 0.2, 0.4, 0.6, 0.8, 1.0],
                "showgrid": False, "fixedrange": True,
                "title": {"text": "Tỷ lệ", "font": {"size": 11}}},
        annotations=[{"xref": "paper", "x": 0, "yref": "y2", "y": target, "yanchor": "bottom",
                      "xanchor": "left", "showarrow": False,
                      "text": f"Mục tiêu đúng hạn {percent(target, 0)}",
                      "font": {"size": 10, "color": COLOURS["target"]}}] if target else [],
    )
    return {"data": data, "layout": layout}


HEAT_SCALE = [[0.0, "#b91c1c"], [0.35, "#f97316"], [0.6, "#fbbf24"], [0.8, "#a3e635"],
              [1.0, "#15803d"]]


def heatmap_figure(view: dict) -> dict:
    """Agencies (worst first) × districts: the processing step's on-time rate."""
    cells = view["matrix"]
    if not cells:
        return _empty_plot("Chưa có phản ánh nào được chuyển cơ quan xử lý trong kỳ này.")
    districts = sorted({c["district"] for c in cells})
    district_names = {c["district"]: short_district(c["district_name"]) for c in cells}
    names = {c["agency"]: c["agency_short"] or c["agency_name"] for c in cells}
    overall = {r["agency"]: r["on_time_rate"] for r in view["ranking"]}
    agencies = sorted(names, key=lambda a: (2 if overall.get(a) is None else overall[a], names[a]))
    index = {(c["agency"], c["district"]): c for c in cells}
    z, text, custom = [], [], []
    for agency in agencies:
        zr, tr, cr = [], [], []
        for district in districts:
            c = index.get((agency, district))
            rate = c["on_time_rate"] if c else None
            zr.append(rate)
            tr.append(percent(rate, 0) if rate is not None else "")
            cr.append([agency, district, c["late"] if c else 0, c["received"] if c else 0,
                       c["overdue"] if c else 0, c["agency_name"] if c else ""])
        z.append(zr)
        text.append(tr)
        custom.append(cr)
    height = max(260, 28 * len(agencies) + 70)
    columns = [district_names[d].replace("TP ", "TP<br>").replace("TX ", "TX<br>")
               if len(district_names[d]) > 10 else district_names[d] for d in districts]
    data = [{"type": "heatmap", "z": z, "x": columns,
             "y": [names[a] for a in agencies], "text": text, "texttemplate": "%{text}",
             "textfont": {"size": 11}, "customdata": custom, "zmin": 0.5, "zmax": 1,
             "colorscale": HEAT_SCALE, "xgap": 2, "ygap": 2, "hoverongaps": False,
             "colorbar": {"tickformat": ".0%", "thickness": 10, "len": 0.9,
                          "title": {"text": "Đúng hạn", "side": "right", "font": {"size": 11}}},
             "hovertemplate": "<b>%{customdata[5]}</b><br>%{x}<br>Đúng hạn bước xử lý: %{z:.1%}"
                              "<br>Trễ hạn: %{customdata[2]:,.0f} · đang quá hạn: "
                              "%{customdata[4]:,.0f}<br>Tiếp nhận: %{customdata[3]:,.0f} phản ánh"
                              "<extra></extra>"}]
    layout = _plot_layout(height=height, margin={"l": 10, "r": 10, "t": 40, "b": 10},
                          xaxis={"side": "top", "tickfont": {"size": 11}, "fixedrange": True,
                                 "tickangle": 0, "automargin": True},
                          yaxis={"autorange": "reversed", "tickfont": {"size": 11},
                                 "fixedrange": True, "automargin": True, "ticksuffix": "  "},
                          plot_bgcolor="#f1f5f9")
    return {"data": data, "layout": layout}


def _empty_plot(text: str) -> dict:
    return {"data": [], "layout": _plot_layout(
        height=220, xaxis={"visible": False}, yaxis={"visible": False},
        annotations=[{"text": text, "showarrow": False, "font": {"size": 14, "color": "#64748b"},
                      "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.5}])}


MAP_TITLES = {"late": ("e2e.late", "Tỷ lệ trễ hạn toàn quy trình"),
              "overdue": ("e2e.overdue", "Tỷ lệ đang quá hạn trên số đang mở")}


def map_values(view: dict) -> dict:
    """Both colourings of the district map: for each mode {code: {v 0-1, label}} and the legend.

    v is the district's rate scaled between the best and the worst district (so the colours
    show the spread); the tooltip and the legend give the real rates.
    """
    out: dict = {}
    for mode in MAP_TITLES:
        rates = {}
        for d in view["districts"]:
            if d["district"] == "-":
                continue
            on_time = d["rate.on_time.e2e"]
            rates[d["district"]] = (None if on_time is None else 1 - on_time) if mode == "late" \
                else d["rate.overdue"]
        known = [r for r in rates.values() if r is not None]
        low, high = (min(known), max(known)) if known else (0.0, 0.0)
        values = {}
        for d in view["districts"]:
            code, rate = d["district"], rates.get(d["district"])
            if rate is None:
                continue
            scaled = (rate - low) / (high - low) if high > low else 0.5
            detail = (f"{number(d['e2e.late'])} trễ hạn / {number(d['e2e.on_time'] + d['e2e.late'])}"
                      " đã xác định" if mode == "late"
                      else f"{number(d['e2e.overdue'])} quá hạn / {number(d['open'])} đang mở")
            values[code] = {"v": round(scaled, 3), "label": f"{short_district(d['name'])}: "
                            f"{percent(rate)} ({detail}) · {number(d['received'])} phản ánh"}
        out[mode] = {"values": values, "low": low, "high": high}
    return out


def district_table(view: dict) -> html.Table | html.P:
    """The districts, most late first: late share end to end, late, overdue now, received."""
    rows = [d for d in view["districts"] if d["district"] != "-"]
    if not rows:
        return html.P("Chưa có phản ánh nào trong kỳ này.", className="muted ld-empty")
    rows.sort(key=lambda d: (d["rate.on_time.e2e"] is None, d["rate.on_time.e2e"] or 0))
    head = html.Tr([html.Th("Địa bàn"), html.Th("Tỷ lệ trễ", className="num"),
                    html.Th("Phản ánh trễ", className="num",
                            title="Phản ánh trễ hạn toàn quy trình"),
                    html.Th("Quá hạn", className="num", title="Đang quá hạn"),
                    html.Th("Tiếp nhận", className="num")])
    body = [html.Tr([
        html.Td(short_district(d["name"])),
        html.Td(percent(None if d["rate.on_time.e2e"] is None else 1 - d["rate.on_time.e2e"]),
                className="num strong"),
        html.Td(drill(number(d["e2e.late"]), "e2e.late", d["e2e.late"], at="district",
                      class_name="bad", district=d["district"]), className="num"),
        html.Td(drill(number(d["e2e.overdue"]), "e2e.overdue", d["e2e.overdue"], at="district",
                      class_name="bad", district=d["district"]), className="num"),
        html.Td(drill(number(d["received"]), "received", d["received"], at="district",
                      district=d["district"]), className="num"),
    ]) for d in rows]
    return html.Table([html.Thead(head), html.Tbody(body)], className="ld-table districts")


def map_legend(values: dict | None, mode: str) -> list:
    if not values or mode not in values:
        return []
    item = values[mode]
    return [html.Span(MAP_TITLES[mode][1], className="lg-title"),
            html.Span(percent(item["low"]), className="lg-low"),
            html.I(className="lg-scale"),
            html.Span(percent(item["high"]), className="lg-high")]


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
            f" (dưới {number(view['min_sample'])} bước xử lý đã xác định đúng hạn hoặc trễ hạn "
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
        html.Td([drill(number(r["late"]), "process.late", r["late"], at="rank", class_name="bad",
                       agency=r["agency"]), html.Span(f" / {number(r['decided'])}",
                                                      className="muted")], className="num"),
        html.Td(fmt(r["hours_median"], "hours"), className="num muted"),
        html.Td(percent(r["rate.satisfied"]), className="num"),
    ])


def satisfaction_block(view: dict) -> html.Div:
    s = view["satisfaction"]
    rated = s["rated"] or 0
    segments, legend = [], []
    for key, name, css in RATINGS:
        count = s[key] or 0
        share = count / rated if rated else 0
        segments.append(html.Div(className=f"sat-seg {css}", style={"flexGrow": str(count)},
                                 title=f"{name}: {number(count)} ({percent(share)})",
                                 children=percent(share, 0) if share >= 0.08 else ""))
        legend.append(html.Div(className="sat-item", children=[
            html.I(className=f"sat-dot {css}"), html.Span(name, className="sat-name"),
            drill(number(count), key, count, at="sat"), html.Span(percent(share), className="muted")]))
    return html.Div(className="sat", children=[
        html.Div(className="sat-bar", children=segments if rated else [
            html.Div("Chưa có đánh giá", className="sat-seg sat-none")]),
        html.Div(legend, className="sat-legend"),
        html.Div(className="sat-foot", children=[
            html.Span("Được đánh giá: "), html.Strong(percent(s["rate.rated"])),
            html.Span(" ("), drill(number(rated), "rated", rated, at="sat"),
            html.Span(f" trên {number(s['answered'])} phản ánh đã trả lời) · Hài lòng và chấp "
                      "nhận được: "), html.Strong(percent(s["rate.satisfied"]))]),
    ])


def flow_block(view: dict) -> html.Div:
    f = view["flow"]

    def count(key: str) -> html.Button | html.Span:
        return drill(number(f[key]), key, f[key], at="flow")

    items = [
        ("Trả lại IOC do không đúng thẩm quyền", count("returned"),
         f"{percent(f['rate.misrouting'])} số đã chuyển · {number(f['returned_times'])} lượt"),
        ("Phải xử lý lại theo yêu cầu lãnh đạo đơn vị", count("rework"),
         f"{percent(f['rate.rework'])} số có kết quả · {number(f['rework_times'])} lượt"),
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
                    html.Th("Lĩnh vực, địa bàn"), html.Th("Hạn của bước"),
                    html.Th("Trễ", className="num", title="Giờ làm việc"), html.Th("")])
    body = [html.Tr(className="emergency" if r["emergency"] else "", children=[
        html.Td([code_button(r["code"], f"{pane}-{n}"), html.Div(r["stage_name"], className="sub")],
                className="nowrap"),
        html.Td(short.get(r["responsible"]) or r["responsible_name"], className="resp",
                title=r["responsible_name"]),
        html.Td([html.Div(r["field_name"]),
                 html.Div(short_district(r["district_name"]), className="sub")]),
        html.Td(date_time(r["due_at"]), className="nowrap"),
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
                drill(number(o["overdue"]), "e2e.overdue", view["figures"].get("e2e.overdue"),
                      at="late"),
                f" bước đang quá hạn · hiển thị {number(shown_over)} bước trễ lâu nhất"]),
            _late_table(o["rows_overdue"], "Không có bước nào đang quá hạn.", short,
                        "overdue"),
        ]),
        html.Div(className="late-pane pane-late", children=[
            html.P(className="ld-count", children=[
                drill(number(o["late"]), "e2e.late", view["figures"].get("e2e.late"), at="late"),
                f" bước trễ hạn trong kỳ ({number(o['reports_late'])} phản ánh) · hiển thị "
                f"{number(shown_late)} bước trễ lâu nhất; danh sách đầy đủ trong bộ báo cáo "
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
            html.Td(drill(number(r["late"]), "agency_late" if agency else None, r["late"], at="resp",
                          class_name="bad", agency=agency), className="num"),
            html.Td(number(r["overdue"]), className="num", title="Đang quá hạn"),
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
        html.Td([html.Div(r["field_name"]), html.Div(short_district(r["district_name"]),
                                                     className="muted")]),
        html.Td([html.Div(waiting(r["waiting_hours"]), className="wait"),
                 html.Div(f"từ {date_time(r['escalated_at'])}", className="muted")],
                className="num"),
    ]) for n, r in enumerate(rows[:12])]
    more = (html.P(f"và {number(len(rows) - 12)} phản ánh khác.", className="muted")
            if len(rows) > 12 else None)
    return html.Div([html.Table(html.Tbody(body), className="ld-table esc"), more])


def waiting(hours: float | None) -> str:
    """Working hours as days of 8 hours: "2 ngày 3,5 giờ làm việc"."""
    if hours is None:
        return "-"
    days, rest = divmod(hours, 8)
    parts = ([f"{int(days)} ngày"] if days else []) + (
        [f"{rest:.1f}".replace(".", ",") + " giờ"] if rest >= 0.05 or not days else [])
    return " ".join(parts) + " làm việc"


def codes_list(title: str, context: str, codes: list[str], total: int | None,
               limit: int) -> tuple[list, list]:
    """(drawer title, drawer list) for the codes behind a number."""
    full = len(codes) < limit
    if total is not None:
        count = f"{number(total)} phản ánh"
    else:
        count = f"{number(len(codes))} phản ánh" if full else f"Từ {number(limit)} phản ánh trở lên"
    shown = "gửi sớm nhất trước" if full else (
        f"hiển thị {number(len(codes))} mã đầu tiên, gửi sớm nhất trước")
    head = [html.Div(title, className="dr-title"), html.Div(context, className="dr-context")]
    body = [html.P([html.Strong(count), f" · {shown}. Bấm một mã để xem chi tiết."],
                   className="dr-count")]
    if not codes:
        body.append(html.P("Không có phản ánh nào.", className="muted"))
    else:
        body.append(html.Div([code_button(c, "drawer", "chip-code") for c in codes], className="dr-codes"))
    return head, body


def report_detail(detail: dict, districts: dict[str, str], communes: dict[str, str],
                  choices: dict | None = None, notice: html.Div | None = None) -> list:
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
                ("Gửi lúc", date_time(detail.get("submitted_at"))),
                ("Cơ quan xử lý", detail.get("agency_name") or "Chưa chuyển"),
                ("Địa chỉ", detail.get("address") or "Không nêu"),
                ("Xã, phường", communes.get(detail.get("commune") or "", "") or "-"),
                ("Huyện, thành phố", districts.get(detail.get("district") or "", "") or "-"),
                ("Đánh giá", detail.get("rating_label") or "Chưa đánh giá"),
            ]),
        ]),
        report_panel.result(detail),
        report_panel.deadlines(detail.get("deadlines") or {}),
        report_panel.history(detail.get("history") or []),
    ])]


# =========================================================================== direction (D7.2c)
# Pattern ids, so the form may come and go inside the side panel (wired in callbacks.leaders):
# {"type": DIRECT_PARAM, "code", "name": "agency" | "direction"}, {"type": DIRECT_SEND, "code"},
# {"type": DIRECT_VERSION, "code"} (the version shown, for optimistic locking),
# {"type": DIRECT_FEEDBACK, "code"} and {"type": DIRECT_RELOAD, "code"}.

DIRECT_PARAM, DIRECT_SEND = f"{PREFIX}-direct", f"{PREFIX}-direct-send"
DIRECT_VERSION, DIRECT_FEEDBACK = f"{PREFIX}-direct-version", f"{PREFIX}-direct-feedback"
DIRECT_RELOAD = f"{PREFIX}-direct-reload"


def direction_form(detail: dict, choices: dict) -> html.Section:
    """The provincial leader's direction of an escalated report: the agency to handle it (the
    routing rule's suggestion chosen beforehand) and the direction's text."""
    code = detail["code"]
    agencies = choices.get("agencies") or []
    suggested = choices.get("suggested")
    names = {a["value"]: a["label"] for a in agencies}
    hint = (f"Gợi ý theo quy tắc phân phối: {names[suggested]}." if suggested in names
            else "Chưa có quy tắc phân phối cho lĩnh vực, địa bàn này: hãy chọn cơ quan.")
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

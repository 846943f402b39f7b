"""Wall screen `/wall` (D2.2d): dark, full-screen, legible from across the room, no interaction.

Live map of open and recent reports coloured by SLA status, a choropleth of the 17 areas ("Khu
vực"; zoomed in, of the 92 units, "Xã/phường") that switches between volume and overdue rate, KPI
tiles, a ticker of the newest reports and an SLA heatmap agency × area. This module draws the
screen and its parts from the wall's data (`backend.services.reads.wall.combine`, with the areas'
and units' names added by the tick); everything updates from one small tick callback
(`dashboard/callbacks/wall.py`).
"""

from __future__ import annotations

from typing import Any

from dash import dcc, html

from backend import vietnamese as vn
from backend.services.access.auth import StaffUser
from backend.services.places.catalogue import AREA_LABEL
from dashboard.widgets.map import legend, report_map

TICK_MS = 2000  # with a 1 s version cache, a new report shows within ~3 s
TILES = (("received_today", "Tiếp nhận hôm nay"), ("waiting_at_ioc", "Đang chờ tại IOC"),
         ("at_agencies", "Đang xử lý tại cơ quan"), ("overdue_now", "Quá hạn hiện tại"),
         ("on_time_rate", "Đúng hạn toàn quy trình, tháng này"),
         ("satisfaction_rate", "Hài lòng, chấp nhận được, tháng này"))
HEATMAP_AGENCIES = 9  # the worst nine: what a room can read at a glance
MANY_COLUMNS = 9  # more areas than this: their names are written upwards (assets/10-app.css)
NO_AREA = "Chưa rõ khu vực"
SCALE = ((0.0, "#166534"), (0.15, "#4d7c0f"), (0.35, "#b45309"), (0.6, "#c2410c"), (1.0, "#b91c1c"))


def layout(_staff: StaffUser | None = None) -> html.Div:
    return html.Div(className="wall", children=[
        html.Header(className="wall-head", children=[
            html.Div([html.Div("TRUNG TÂM ĐIỀU HÀNH THÔNG MINH TỈNH THÁI NGUYÊN",
                               className="wall-org"),
                      html.H1("Phản ánh hiện trường - theo dõi trực tuyến", className="wall-title")]),
            html.Div(id="wall-clock", className="wall-clock"),
        ]),
        html.Section(id="wall-kpis", className="wall-kpis",
                     children=[kpi_tile(key, label, "…") for key, label in TILES]),
        html.Div(className="wall-body", children=[
            html.Section(className="wall-map-panel", children=[
                html.Div(className="panel-head", children=[
                    html.H2("Bản đồ phản ánh đang mở và 24 giờ qua"),
                    html.Span(id="wall-mode", className="wall-mode")]),
                report_map("wall", dark=True, newest=True),
                legend(),
                dcc.Store(id="wall-choropleth"),
            ]),
            html.Section(className="wall-side", children=[
                html.Div(className="panel", children=[
                    html.H2(f"Quá hạn / đang mở: cơ quan × {AREA_LABEL.lower()}"),
                    html.Div(id="wall-heatmap", className="wall-heatmap"),
                    html.Div([html.Span("0%"), html.I(className="heat-scale"), html.Span("100% quá hạn")],
                             className="heat-legend")]),
                html.Div(className="panel ticker-panel", children=[
                    html.H2("Phản ánh mới nhất"),
                    html.Ol(id="wall-ticker", className="ticker")]),
            ]),
        ]),
        dcc.Interval(id="wall-tick", interval=TICK_MS, n_intervals=0),
        dcc.Store(id="wall-seen"),
    ])


def kpi_tile(key: str, label: str, value: str, tone: str = "") -> html.Div:
    return html.Div(className=f"kpi {tone}".strip(), id=f"wall-kpi-{key}", children=[
        html.Div(value, className="kpi-value"), html.Div(label, className="kpi-label")])


# ------------------------------------------------------------------ the tick's parts


def tiles(k: dict[str, Any]) -> list:
    values = {
        "received_today": (vn.integer(k["received_today"]), ""),
        "waiting_at_ioc": (vn.integer(k["waiting_at_ioc"]), ""),
        "at_agencies": (vn.integer(k["at_agencies"]), ""),
        "overdue_now": (vn.integer(k["overdue_now"]), "bad" if k["overdue_now"] else "good"),
        "on_time_rate": (vn.percent(k["on_time_rate"]), _tone(k["on_time_rate"], 0.9, 0.75)),
        "satisfaction_rate": (vn.percent(k["satisfaction_rate"]),
                              _tone(k["satisfaction_rate"], 0.8, 0.6)),
    }
    return [kpi_tile(key, label, *values[key]) for key, label in TILES]


def _tone(rate: float | None, good: float, warn: float) -> str:
    if rate is None:
        return ""
    return "good" if rate >= good else "warn" if rate >= warn else "bad"


def ticker(data: dict[str, Any]) -> list:
    """The newest reports: time, code, field, unit ("Xã/phường") and state."""
    names = data.get("unit_names", {})
    return [html.Li(className="ticker-item" + (" emergency" if r["emergency"] else ""), children=[
        html.Span(r["at"], className="t-time"),
        html.Span(r["code"], className="t-code"),
        html.Span([html.B("KHẨN", className="t-flag")] * r["emergency"] + [r["field"]],
                  className="t-field"),
        html.Span(names.get(r.get("unit") or "", ""), className="t-unit"),
        html.Span(r["state"], className="t-state"),
    ]) for r in data["ticker"]]


def heatmap_cells(data: dict[str, Any]) -> tuple[list[str], list[str], list[list[dict | None]]]:
    """(area short names in the areas' display order, agency names worst first, cells {open,
    overdue, rate} or None). The columns are the areas with an open report at an agency shown,
    so the table stays legible; a unit without an area ("-") comes last."""
    cells = data["matrix"]
    names: dict[str, str] = data.get("area_names", {})
    totals: dict[str, list[int]] = {}
    labels: dict[str, str] = {}
    for c in cells:
        t = totals.setdefault(c["agency"], [0, 0])
        t[0] += c["open"]
        t[1] += c["overdue"]
        labels[c["agency"]] = c["agency_name"]
    agencies = sorted(totals, key=lambda a: (-totals[a][1], -totals[a][0]))[:HEATMAP_AGENCIES]
    index = {(c["agency"], c["area"]): c for c in cells}
    present = {c["area"] for c in cells if c["agency"] in agencies and c["open"]}
    order = list(names)
    areas = sorted(present, key=lambda a: (order.index(a) if a in names else len(order), a))
    rows = []
    for agency in agencies:
        row = []
        for area in areas:
            cell = index.get((agency, area))
            row.append({"open": cell["open"], "overdue": cell["overdue"],
                        "rate": cell["overdue"] / cell["open"]} if cell and cell["open"] else None)
        rows.append(row)
    return ([names.get(a, NO_AREA) for a in areas], [labels[a] for a in agencies], rows)


def heat_colour(rate: float) -> str:
    """Green (none overdue) through amber to red (all overdue)."""
    for limit, colour in SCALE:
        if rate <= limit:
            return colour
    return SCALE[-1][1]


def heatmap(data: dict[str, Any]) -> html.Table:
    """The SLA heatmap as a plain table: legible from across the room, and no plotting library
    to download before the wall's first paint."""
    areas, agencies, rows = heatmap_cells(data)
    head = html.Tr([html.Th("")] + [html.Th(name, scope="col", title=f"{AREA_LABEL} {name}")
                                    for name in areas])
    body = [html.Tr([html.Th(agency, scope="row")] + [
        html.Td(f"{c['overdue']}/{c['open']}", style={"background": heat_colour(c["rate"])},
                title=f"{agency} · {AREA_LABEL} {area}: {c['overdue']} quá hạn / "
                      f"{c['open']} đang mở")
        if c else html.Td("", className="empty")
        for area, c in zip(areas, row, strict=True)])
        for agency, row in zip(agencies, rows, strict=True)]
    many = " many" if len(areas) > MANY_COLUMNS else ""
    return html.Table([html.Thead(head), html.Tbody(body)], className="heat-table" + many)

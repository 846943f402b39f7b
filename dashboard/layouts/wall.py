"""Wall screen `/wall` (D2.2d): dark, full-screen, legible from across the room, no interaction.

Live map of open and recent reports coloured by SLA status, a district choropleth that switches
between volume and overdue rate, KPI tiles, a ticker of the newest reports and an SLA heatmap
agency × district. Everything updates from one small tick callback; points come from the
cacheable points route, refetched only when the data version changes.
"""

from __future__ import annotations

from dash import dcc, html

from backend.services.auth import StaffUser
from dashboard.layouts.map import report_map

TICK_MS = 2000  # with a 1 s version cache, a new report shows within ~3 s
LEGEND = (("on_time", "Trong hạn"), ("at_risk", "Sắp đến hạn"), ("overdue", "Quá hạn"),
          ("overdue_notified", "Quá hạn, đã thông báo"), ("emergency", "Khẩn cấp"))
TILES = (("received_today", "Tiếp nhận hôm nay"), ("waiting_at_ioc", "Đang chờ tại IOC"),
         ("at_agencies", "Đang xử lý tại cơ quan"), ("overdue_now", "Quá hạn hiện tại"),
         ("on_time_rate", "Đúng hạn toàn quy trình, tháng này"),
         ("satisfaction_rate", "Hài lòng, chấp nhận được, tháng này"))


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
            ]),
            html.Section(className="wall-side", children=[
                html.Div(className="panel", children=[
                    html.H2("Quá hạn / đang mở: cơ quan × địa bàn"),
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


def legend() -> html.Div:
    return html.Div(className="legend", children=[
        html.Span([html.I(className=f"dot sla-{key}"), text], className="legend-item")
        for key, text in LEGEND])

"""The leaders' page as it is first drawn: the filter bar (field, area "Khu vực", unit
"Xã/phường" of the area, agency), the pack downloads, one card per section with its empty slot
(filled by `dashboard/callbacks/leaders/`), the map of areas and units and the side panel."""

from __future__ import annotations

import dash_leaflet as dl
from dash import dcc, html

from backend.services.access.auth import StaffUser
from backend.services.kpis import leaders as service
from backend.services.places.lookup import map_bounds
from dashboard.widgets.map import CENTER, place_layer, tile_layer
from dashboard.widgets.queue import DROPDOWN_VI

PREFIX = "leaders"
GRAPH_CONFIG = {"displayModeBar": False, "responsive": True, "displaylogo": False}
KINDS = [{"label": "Tháng", "value": "month"}, {"label": "Quý", "value": "quarter"}]
MAP_MODES = [{"label": "Trễ hạn", "value": "late"}, {"label": "Đang quá hạn", "value": "overdue"}]
MAP_LEVELS = [{"label": "Khu vực", "value": "area"}, {"label": "Xã/phường", "value": "unit"}]
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
            card("Bản đồ nhiệt SLA: cơ quan × khu vực", "Tỷ lệ đúng hạn bước xử lý của từng cơ "
                 "quan trên từng khu vực (chọn một khu vực: trên từng xã/phường của khu vực đó); "
                 "ô trống: không có phản ánh. Bấm một ô để xem các phản ánh trễ hạn.", [
                     dcc.Dropdown(id=f"{PREFIX}-drill-area", options=[],
                                  placeholder="Xem theo xã/phường của khu vực…",
                                  className="ld-drill-area", labels=DROPDOWN_VI),
                     dcc.Loading(**LOADING, children=dcc.Graph(
                         id=f"{PREFIX}-heatmap", config=GRAPH_CONFIG, className="ld-graph heat",
                         figure=empty_figure()))], "heat"),
            card("Bản đồ khu vực, xã/phường", "Tô màu theo tỷ lệ của từng khu vực; phóng to hoặc "
                 "chọn “Xã/phường” để xem từng xã/phường. Bấm một nơi để xem phản ánh, bấm tên "
                 "khu vực trong bảng để xem các xã/phường của khu vực.", [
                     html.Div(className="row", children=[
                         dcc.RadioItems(id=f"{PREFIX}-map-mode", options=MAP_MODES, value="late",
                                        className="seg seg-small", inline=True),
                         dcc.RadioItems(id=f"{PREFIX}-map-level", options=MAP_LEVELS,
                                        value="area", className="seg seg-small", inline=True),
                     ]),
                     place_map(),
                     html.Div(id=f"{PREFIX}-map-legend", className="ld-map-legend"),
                     dcc.Loading(**LOADING, children=html.Div(id=f"{PREFIX}-place-table")),
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
        dcc.Dropdown(id=f"{PREFIX}-area", options=[], placeholder="Mọi khu vực",
                     className="f-area", labels=DROPDOWN_VI),
        dcc.Dropdown(id=f"{PREFIX}-unit", options=[], placeholder="Mọi xã/phường",
                     className="f-unit", labels=DROPDOWN_VI),
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


def card(title: str, hint: str, children: list, name: str) -> html.Section:
    return html.Section(className=f"ld-card ld-{name}", children=[
        html.Header(className="ld-card-head", children=[
            html.H2(title), html.P(hint, className="ld-hint") if hint else None]),
        *children,
    ])


def place_map() -> dl.Map:
    """Areas (zoomed in or with the "Xã/phường" toggle: units) coloured by the chosen rate
    (values through `hideout`, geometry from the cacheable boundaries route; no tile server
    needed)."""
    return dl.Map(
        id=f"{PREFIX}-map", center=CENTER, zoom=9, zoomSnap=0.25, viewport={"bounds": map_bounds()},
        scrollWheelZoom=False, className="report-map ld-map", children=[
            *tile_layer(),
            place_layer(PREFIX, dark=False),
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

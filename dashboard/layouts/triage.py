"""Triage `/triage` (IOC handler, D6-D7): the map and the queue side by side, the chosen report
in a panel with its possible duplicates and the steps the IOC takes (accept, reject, ask for a
supplement, classify and forward, consult, escalate) once the handler has taken it (D13.2). The
page as first drawn; what it does is in `dashboard/callbacks/triage.py`."""

from __future__ import annotations

import dash_leaflet as dl
from dash import dcc, html

from backend.domain.workflow import STATE_LABELS_VI
from backend.domain.workflow import State as ReportState
from backend.services.access.auth import StaffUser
from dashboard.widgets import report_panel
from dashboard.widgets.map import legend, report_map
from dashboard.widgets.queue import filters_bar, queue_grid, shortcuts

PREFIX = "triage"
TICK_MS = 10_000
DEFAULT_STATES = [ReportState.SUBMITTED.value, ReportState.ACCEPTED.value,
                  ReportState.RETURNED_TO_IOC.value]
STATES = [ReportState.SUBMITTED, ReportState.NEEDS_SUPPLEMENT, ReportState.ACCEPTED,
          ReportState.RETURNED_TO_IOC, ReportState.ESCALATED, ReportState.FORWARDED,
          ReportState.IN_PROGRESS, ReportState.AWAITING_APPROVAL, ReportState.APPROVED]
COLUMNS = ("code", "countdown", "sla", "state", "field", "unit", "held", "emergency",
           "received")
DUPLICATE_RADIUS_M = 250
HIDDEN_CIRCLE = {"opacity": 0, "fillOpacity": 0}
EMPTY = "Chọn một phản ánh trên bản đồ hoặc trong hàng chờ (phím J/K rồi Enter)."


def triage_map() -> dl.Map:
    """The shared report map, plus the 250 m circle within which possible duplicates lie."""
    base = report_map(PREFIX, dark=False)
    radius = dl.Circle(id=f"{PREFIX}-radius", center=[21.59, 105.85], radius=DUPLICATE_RADIUS_M,
                       interactive=False, pathOptions=HIDDEN_CIRCLE)
    base.children = [*base.children, radius]
    return base


def layout(_staff: StaffUser | None = None) -> html.Div:
    return html.Div(className="workspace triage", children=[
        html.Div(className="ws-head", children=[
            html.H1("Tiếp nhận, phân loại phản ánh"),
            html.Span(id=f"{PREFIX}-count", className="ws-count", role="status"),
            shortcuts((("N", "Nhận xử lý phản ánh đang mở"),)),
        ]),
        filters_bar(PREFIX, [{"label": STATE_LABELS_VI[s], "value": s.value} for s in STATES],
                    DEFAULT_STATES),
        html.Div(className="triage-body", children=[
            html.Section(className="ws-map", **{"aria-label": "Bản đồ phản ánh"}, children=[
                triage_map(), legend()]),
            html.Section(queue_grid(PREFIX, COLUMNS), className="ws-queue",
                         **{"aria-label": "Hàng chờ"}),
            report_panel.panel_section(PREFIX, EMPTY),
        ]),
        *report_panel.workflow_stores(PREFIX, TICK_MS),
        dcc.Store(id=f"{PREFIX}-version"),
    ])

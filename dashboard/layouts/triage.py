"""Triage `/triage` (IOC handler, D6-D7): the map and the queue side by side, the chosen report
in a panel with its possible duplicates and the steps the IOC takes (accept, reject, ask for a
supplement, classify and forward, consult, escalate) once the handler has taken it (D13.2)."""

from __future__ import annotations

import dash_leaflet as dl
from dash import dcc, html

from backend.domain.workflow import STATE_LABELS_VI, State
from backend.services.auth import StaffUser
from dashboard.layouts import report_panel
from dashboard.layouts.map import report_map
from dashboard.layouts.queue import filters_bar, queue_grid, shortcuts
from dashboard.layouts.wall import legend

PREFIX = "triage"
TICK_MS = 10_000
DEFAULT_STATES = [State.SUBMITTED.value, State.ACCEPTED.value, State.RETURNED_TO_IOC.value]
STATES = [State.SUBMITTED, State.NEEDS_SUPPLEMENT, State.ACCEPTED, State.RETURNED_TO_IOC,
          State.ESCALATED, State.FORWARDED, State.IN_PROGRESS, State.AWAITING_APPROVAL,
          State.APPROVED]
COLUMNS = ("code", "countdown", "sla", "state", "field", "district", "held", "emergency",
           "received")
DUPLICATE_RADIUS_M = 250
HIDDEN_CIRCLE = {"opacity": 0, "fillOpacity": 0}
SHOWN_CIRCLE = {"color": "#b45309", "weight": 2, "dashArray": "6 6", "opacity": 0.9,
                "fillColor": "#f59e0b", "fillOpacity": 0.08}
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

"""Agency workspace `/agency` (agency handler and leader, D8-D9, D2.2b-c): the agency's queue with
its deadlines, the chosen report with the agency's steps, and the unit's own summary of work done
on time and late (what the leader answers for, D14.4)."""

from __future__ import annotations

from dash import html

from backend.domain.workflow import STATE_LABELS_VI, State
from backend.services.auth import StaffUser
from dashboard.layouts import report_panel
from dashboard.layouts.queue import filters_bar, queue_grid, shortcuts

PREFIX = "agency"
TICK_MS = 10_000
STATES = [State.FORWARDED, State.IN_PROGRESS, State.AWAITING_APPROVAL, State.APPROVED,
          State.PUBLISHED, State.ANSWERED_PRIVATELY, State.CLOSED]
HANDLER_STATES = [State.FORWARDED.value, State.IN_PROGRESS.value, State.AWAITING_APPROVAL.value]
LEADER_STATES = [State.AWAITING_APPROVAL.value, State.IN_PROGRESS.value, State.FORWARDED.value]
COLUMNS = ("code", "countdown", "sla", "state", "stage", "due", "field", "district", "received",
           "emergency")
EMPTY = "Chọn một phản ánh trong hàng chờ của đơn vị (phím J/K rồi Enter)."


def default_states(staff: StaffUser | None) -> list[str]:
    return LEADER_STATES if staff is not None and staff.role == "agency_leader" else HANDLER_STATES


def layout(staff: StaffUser | None = None) -> html.Div:
    leader = staff is not None and staff.role == "agency_leader"
    return html.Div(className="workspace agency", children=[
        html.Div(className="ws-head", children=[
            html.Div([html.H1("Phê duyệt kết quả xử lý" if leader else
                              "Xử lý phản ánh tại cơ quan"),
                      html.Span(id=f"{PREFIX}-title", className="ws-sub")]),
            html.Span(id=f"{PREFIX}-count", className="ws-count", role="status"),
            shortcuts(),
        ]),
        html.Section(id=f"{PREFIX}-summary", className="unit-summary",
                     **{"aria-label": "Tổng hợp của đơn vị"}),
        filters_bar(PREFIX, [{"label": STATE_LABELS_VI[s], "value": s.value} for s in STATES],
                    default_states(staff)),
        html.Div(className="agency-body", children=[
            html.Section(queue_grid(PREFIX, COLUMNS), className="ws-queue",
                         **{"aria-label": "Hàng chờ của đơn vị"}),
            report_panel.panel_section(PREFIX, EMPTY),
        ]),
        *report_panel.workflow_stores(PREFIX, TICK_MS),
    ])

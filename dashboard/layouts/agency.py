"""Agency workspace `/agency` (agency handler and leader, D8-D9, D2.2b-c): the agency's queue with
its deadlines, the chosen report with the agency's steps, and the unit's own summary of work done
on time and late (what the leader answers for, D14.4). The page as first drawn and the summary's
rendering; what it does is in `dashboard/callbacks/agency.py`."""

from __future__ import annotations

from dash import html

from backend import vietnamese as vn
from backend.domain.roles import Role
from backend.domain.workflow import STATE_LABELS_VI, State
from backend.services.access.auth import StaffUser
from backend.services.reads.agency_summary import AgencySummary
from dashboard.widgets import report_panel
from dashboard.widgets.queue import filters_bar, queue_grid, shortcuts

PREFIX = "agency"
TICK_MS = 10_000
STATES = [State.FORWARDED, State.IN_PROGRESS, State.AWAITING_APPROVAL, State.APPROVED,
          State.PUBLISHED, State.ANSWERED_PRIVATELY, State.CLOSED]
HANDLER_STATES = [State.FORWARDED.value, State.IN_PROGRESS.value, State.AWAITING_APPROVAL.value]
LEADER_STATES = [State.AWAITING_APPROVAL.value, State.IN_PROGRESS.value, State.FORWARDED.value]
COLUMNS = ("code", "countdown", "sla", "state", "stage", "due", "field", "unit", "received",
           "emergency")
EMPTY = "Chọn một phản ánh trong hàng chờ của đơn vị (phím J/K rồi Enter)."


def default_states(staff: StaffUser | None) -> list[str]:
    return LEADER_STATES if staff is not None and staff.role == Role.AGENCY_LEADER else HANDLER_STATES


def layout(staff: StaffUser | None = None) -> html.Div:
    leader = staff is not None and staff.role == Role.AGENCY_LEADER
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


def summary_view(s: AgencySummary) -> list:
    """Tiles (open now, overdue now, on-time rate this month) and the per-stage table."""
    this, last = s.months
    done_this = [this.stages[k] for k in this.stages]
    on_time = sum(c.on_time for c in done_this)
    total = on_time + sum(c.late for c in done_this)
    rate = on_time / total if total else None
    overdue = sum(s.open_overdue.values())
    tiles = [
        _tile(vn.integer(sum(s.open_on_time.values()) + overdue), "Đang mở tại đơn vị"),
        _tile(vn.integer(overdue), "Quá hạn hiện tại", "bad" if overdue else "good"),
        _tile(vn.percent(rate), f"Đúng hạn {this.label.lower()}",
              "" if rate is None else "good" if rate >= 0.9 else "warn" if rate >= 0.75 else "bad"),
    ]
    head = html.Thead([
        html.Tr([html.Th("Bước", rowSpan=2), html.Th(this.label, colSpan=3),
                 html.Th(last.label, colSpan=3), html.Th("Đang mở", colSpan=2)]),
        html.Tr([html.Th(t, className="num") for t in
                 ("Đúng hạn", "Trễ hạn", "Tỷ lệ", "Đúng hạn", "Trễ hạn", "Tỷ lệ",
                  "Trong hạn", "Quá hạn")]),
    ])
    rows = []
    for stage, name in s.stage_names.items():
        cells = [html.Td(name)]
        for month in (this, last):
            c = month.stages[stage]
            cells += [html.Td(vn.integer(c.on_time), className="num"),
                      html.Td(vn.integer(c.late), className="num late" if c.late else "num"),
                      html.Td(vn.percent(c.rate), className="num")]
        cells += [html.Td(vn.integer(s.open_on_time[stage]), className="num"),
                  html.Td(vn.integer(s.open_overdue[stage]),
                          className="num late" if s.open_overdue[stage] else "num")]
        rows.append(html.Tr(cells))
    return [html.Div(tiles, className="unit-tiles"),
            html.Table([head, html.Tbody(rows)], className="simple compact unit-table")]


def _tile(value: str, label: str, tone: str = "") -> html.Div:
    return html.Div([html.Div(value, className="tile-value"), html.Div(label,
                                                                      className="tile-label")],
                    className=f"tile {tone}".strip())

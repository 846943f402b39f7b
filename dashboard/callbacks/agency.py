"""Agency workspace `/agency`: the agency's queue (scoped by `list_reports`), its steps on the
chosen report, and the unit's summary of work done on time and late this month and last."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from dash import Dash, Input, Output, html

from backend.services.agency_summary import AgencySummary, agency_summary
from backend.services.auth import StaffUser
from backend.services.queries import Filters
from dashboard import access, cache, lookups
from dashboard.callbacks import actions
from dashboard.format import number, percent
from dashboard.layouts import report_panel
from dashboard.layouts.action_form import Choices, action_bar
from dashboard.layouts.agency import EMPTY, PREFIX, default_states
from dashboard.layouts.queue import FILTERS

ROLES = access.PAGES["/agency"][1]
AGENCY_ACTIONS = ("receive", "submit_result", "progress_notice", "consult", "return_to_ioc",
                  "approve", "edit_and_approve", "return_for_rework")


def to_filters(staff: StaffUser, values: dict[str, Any]) -> Filters:
    return actions.build_filters(values, tuple(default_states(staff)))


def build_panel(detail: dict[str, Any], staff: StaffUser):
    names = lookups.agency_names()
    choices = Choices(agencies=lookups.options(names), agency_names=names)
    bar = action_bar(PREFIX, detail, staff, AGENCY_ACTIONS, choices)
    return report_panel.panel(detail, actions=bar, districts=lookups.district_names(),
                              communes=lookups.commune_names(), prefix=PREFIX)


def summary_for(agency: str, now: datetime) -> AgencySummary:
    """Cached per agency and minute (several people of one unit look at the same numbers)."""
    return cache.remember(f"wf:agency-summary:{agency}:{now:%Y%m%d%H%M}", 90,
                          lambda: agency_summary(agency, now))


def summary_view(s: AgencySummary) -> list:
    """Tiles (open now, overdue now, on-time rate this month) and the per-stage table."""
    this, last = s.months
    done_this = [this.stages[k] for k in this.stages]
    on_time = sum(c.on_time for c in done_this)
    total = on_time + sum(c.late for c in done_this)
    rate = on_time / total if total else None
    overdue = sum(s.open_overdue.values())
    tiles = [
        _tile(number(sum(s.open_on_time.values()) + overdue), "Đang mở tại đơn vị"),
        _tile(number(overdue), "Quá hạn hiện tại", "bad" if overdue else "good"),
        _tile(percent(rate), f"Đúng hạn {this.label.lower()}",
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
            cells += [html.Td(number(c.on_time), className="num"),
                      html.Td(number(c.late), className="num late" if c.late else "num"),
                      html.Td(percent(c.rate), className="num")]
        cells += [html.Td(number(s.open_on_time[stage]), className="num"),
                  html.Td(number(s.open_overdue[stage]),
                          className="num late" if s.open_overdue[stage] else "num")]
        rows.append(html.Tr(cells))
    return [html.Div(tiles, className="unit-tiles"),
            html.Table([head, html.Tbody(rows)], className="simple compact unit-table")]


def _tile(value: str, label: str, tone: str = "") -> html.Div:
    return html.Div([html.Div(value, className="tile-value"), html.Div(label,
                                                                      className="tile-label")],
                    className=f"tile {tone}".strip())


def summary(staff: StaffUser, now: datetime | None = None) -> tuple[str, list]:
    if not staff.agency_code:
        return "", [html.P("Tài khoản chưa được gắn với cơ quan xử lý.", className="error")]
    now = now or datetime.now(UTC)
    name = lookups.agency_names().get(staff.agency_code, staff.agency_code)
    return name, summary_view(summary_for(staff.agency_code, now))


def register(app: Dash) -> None:
    actions.register_queue(app, PREFIX, ROLES, FILTERS, to_filters)
    actions.register_selection(app, PREFIX, ROLES, with_map=False)
    actions.register_panel(app, PREFIX, ROLES, build_panel, EMPTY)

    @app.callback(Output(f"{PREFIX}-title", "children"), Output(f"{PREFIX}-summary", "children"),
                  Input(f"{PREFIX}-init", "data"), Input(f"{PREFIX}-refresh", "data"))
    def on_summary(_init, _refresh):
        return summary(access.require(*ROLES))

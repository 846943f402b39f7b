"""Agency workspace `/agency` (agency handler and leader, D8-D9, D2.2b-c; drawn by
`dashboard/layouts/agency.py`): the agency's queue, the chosen report with the agency's steps,
and the unit's own summary, cached per agency and minute."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from dash import Dash, Input, Output, html

from backend.domain.roles import AGENCY_ROLES
from backend.services.access.auth import StaffUser
from backend.services.reads.agency_summary import AgencySummary, agency_summary
from backend.services.reads.queries import Filters
from dashboard import access, cache, lookups
from dashboard.callbacks import workflow
from dashboard.layouts.agency import EMPTY, PREFIX, default_states, summary_view
from dashboard.widgets import report_panel
from dashboard.widgets.action_form import Choices, action_bar
from dashboard.widgets.queue import FILTERS

AGENCY_ACTIONS = ("receive", "submit_result", "progress_notice", "consult", "delegate",
                  "return_to_ioc", "approve", "edit_and_approve", "return_for_rework")


def to_filters(staff: StaffUser, values: dict[str, Any]) -> Filters:
    return workflow.build_filters(values, tuple(default_states(staff)))


def build_panel(detail: dict[str, Any], staff: StaffUser):
    names = lookups.agency_names()
    choices = Choices(agencies=lookups.options(names), agency_names=names)
    bar = action_bar(PREFIX, detail, staff, AGENCY_ACTIONS, choices)
    return report_panel.panel(detail, actions=bar, prefix=PREFIX)


def summary_for(agency: str, now: datetime) -> AgencySummary:
    """Cached per agency and minute (several people of one unit look at the same numbers)."""
    return cache.remember(f"wf:agency-summary:{agency}:{now:%Y%m%d%H%M}", 90,
                          lambda: agency_summary(agency, now))


def summary(staff: StaffUser, now: datetime | None = None) -> tuple[str, list]:
    if not staff.agency_code:
        return "", [html.P("Tài khoản chưa được gắn với cơ quan xử lý.", className="error")]
    now = now or datetime.now(UTC)
    name = lookups.agency_names().get(staff.agency_code, staff.agency_code)
    return name, summary_view(summary_for(staff.agency_code, now))


def register(app: Dash) -> None:
    workflow.register_queue(app, PREFIX, AGENCY_ROLES, FILTERS, to_filters)
    workflow.register_selection(app, PREFIX, AGENCY_ROLES, with_map=False)
    workflow.register_panel(app, PREFIX, AGENCY_ROLES, build_panel, EMPTY)

    @app.callback(Output(f"{PREFIX}-title", "children"), Output(f"{PREFIX}-summary", "children"),
                  Input(f"{PREFIX}-init", "data"), Input(f"{PREFIX}-refresh", "data"))
    def on_summary(_init, _refresh):
        return summary(access.require(*AGENCY_ROLES))

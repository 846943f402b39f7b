"""Triage `/triage` (IOC handler, D6-D7; drawn by `dashboard/layouts/triage.py`): the queue, the
chosen report's panel with its possible duplicates and the IOC's steps, the map's points and the
shown report on the map."""

from __future__ import annotations

from typing import Any

from dash import MATCH, Dash, Input, Output, State, no_update
from dash.exceptions import PreventUpdate

from backend.domain.roles import IOC_ROLES
from backend.services.access.auth import StaffUser
from backend.services.reads import mapdata
from backend.services.reads.queries import Filters
from backend.services.workflow.nearby import nearby_open
from backend.services.workflow.routing import suggest_agency, suggest_field
from dashboard import access, cache, lookups
from dashboard.callbacks import workflow
from dashboard.callbacks.maps import register_places
from dashboard.layouts.triage import DEFAULT_STATES, EMPTY, HIDDEN_CIRCLE, PREFIX
from dashboard.widgets import report_panel
from dashboard.widgets.action_form import Choices, action_bar, suggestion_text
from dashboard.widgets.map import POINTS_URL
from dashboard.widgets.queue import FILTERS

SHOWN_CIRCLE = {"color": "#b45309", "weight": 2, "dashArray": "6 6", "opacity": 0.9,
                "fillColor": "#f59e0b", "fillOpacity": 0.08}
TRIAGE_ACTIONS = ("accept", "request_supplement", "reject", "forward", "consult", "escalate")
SELECTED_ZOOM = 16


def to_filters(_staff: StaffUser, values: dict[str, Any]) -> Filters:
    return workflow.build_filters(values, tuple(DEFAULT_STATES))


def choices_for(detail: dict[str, Any]) -> Choices:
    """Fields and agencies to pick from, with the suggested field (its keywords in the text)
    and the routing rule's agency for that field in the report's unit (D7.1: the unit's
    rules first, then its area's, then the province's)."""
    names = lookups.agency_names()
    field = detail.get("field") or suggest_field(detail.get("description") or "")
    if not {"forward", "consult"} & set(detail.get("allowed_actions", [])):
        return Choices(suggested_field=field, agency_names=names)
    return Choices(fields=lookups.options(lookups.field_names()),
                   agencies=lookups.options(names), suggested_field=field,
                   suggested_agency=suggest_agency(field, detail.get("unit")),
                   agency_names=names)


def build_panel(detail: dict[str, Any], staff: StaffUser):
    choices = choices_for(detail)
    # duplicates of a report not classified yet: those of the field its text suggests
    field = detail.get("field") or choices.suggested_field
    bar = action_bar(PREFIX, detail, staff, TRIAGE_ACTIONS, choices)
    return report_panel.panel(detail, actions=bar,
                              nearby=nearby_open(detail["code"], as_field=field), prefix=PREFIX)


def suggested(field: str | None, unit: str | None) -> tuple[Any, str]:
    """(agency to pre-select, hint) when the handler picks another field in the forward form
    (the report's unit stays: the rules of its unit, its area, then the province)."""
    if not field:
        raise PreventUpdate
    agency = suggest_agency(field, unit)
    return (agency if agency else no_update), suggestion_text(agency, lookups.agency_names())


def points_url(seen: str | None) -> tuple[Any, str]:
    """(points route at the current data version, version) when the data changed since the
    version `seen`; the first call only notes the version (the map has just loaded the points)."""
    version = cache.remember("wf:version", 2, mapdata.data_version)
    if seen is None or version == seen:
        return no_update, version
    return f"{POINTS_URL}?v={version}", version


def focus(shown: dict[str, Any] | None) -> tuple[dict[str, Any], Any, Any, dict[str, Any]]:
    """Highlight the shown report on the map, fly to it, draw the duplicates' 250 m circle."""
    if not shown:
        return {"selected": None}, no_update, no_update, HIDDEN_CIRCLE
    at = [shown["lat"], shown["lon"]]
    return ({"selected": shown["code"]},
            {"center": at, "zoom": SELECTED_ZOOM, "transition": "flyTo"}, at, SHOWN_CIRCLE)


def register(app: Dash) -> None:
    workflow.register_queue(app, PREFIX, IOC_ROLES, FILTERS, to_filters)
    workflow.register_selection(app, PREFIX, IOC_ROLES, with_map=True)
    workflow.register_panel(app, PREFIX, IOC_ROLES, build_panel, EMPTY)
    register_places(app, PREFIX, dark=False)

    @app.callback(
        Output({"type": "wf-param", "page": MATCH, "action": MATCH, "name": "agency"}, "value"),
        Output({"type": "wf-hint", "page": MATCH, "action": MATCH, "name": "agency"},
               "children"),
        Input({"type": "wf-param", "page": MATCH, "action": MATCH, "name": "field"}, "value"),
        State({"type": "wf-ctx", "page": MATCH, "action": MATCH, "name": "unit"}, "data"),
        prevent_initial_call=True)
    def on_field(field, unit):
        access.require(*IOC_ROLES)
        return suggested(field, unit)

    @app.callback(Output(f"{PREFIX}-points", "url"), Output(f"{PREFIX}-version", "data"),
                  Input(f"{PREFIX}-tick", "n_intervals"), State(f"{PREFIX}-version", "data"))
    def refresh_points(_n, seen):
        access.require(*IOC_ROLES)
        return points_url(seen)

    @app.callback(Output(f"{PREFIX}-points", "hideout"), Output(f"{PREFIX}-map", "viewport"),
                  Output(f"{PREFIX}-radius", "center"), Output(f"{PREFIX}-radius", "pathOptions"),
                  Input(f"{PREFIX}-detail", "data"), prevent_initial_call=True)
    def on_shown(shown):
        access.require(*IOC_ROLES)
        return focus(shown)

"""The leaders' page's own callbacks: the filters (the unit's options follow the area), every
section for the selection, the trend, the SLA heatmap and the places table with their drill-down
from the areas to one area's units, the map of areas and units; the side panel (`drilldown`) and
the packs (`packs`) register their own. Thin wrappers over the plain functions here, which read
the page's data through `data` and draw it with `dashboard/layouts/leaders/`."""

from __future__ import annotations

from datetime import UTC, datetime

from dash import ALL, Dash, Input, Output, State, ctx, no_update
from dash.exceptions import PreventUpdate

from backend.domain.roles import LEADERS_PAGE_ROLES
from backend.services import kpis
from backend.services.kpis import leaders as service
from backend.web.leaders_data import page_data, trend_data
from dashboard import access, lookups
from dashboard.callbacks.leaders import drilldown, packs
from dashboard.callbacks.leaders.data import filters_label, selection
from dashboard.callbacks.leaders.packs import pack_hint, pack_periods
from dashboard.callbacks.maps import level_of, register_places
from dashboard.layouts.leaders.charts import (
    AREA_OPEN,
    heatmap_figure,
    map_legend,
    map_values,
    place_table,
    trend_figure,
)
from dashboard.layouts.leaders.kpis import stages_table, subtitle, tiles
from dashboard.layouts.leaders.page import PREFIX, period_options
from dashboard.layouts.leaders.tables import (
    escalations_table,
    flow_block,
    overdue_tables,
    ranking_table,
    responsible_table,
    satisfaction_block,
)

P = PREFIX


def refresh(period_code: str | None, field: str | None, area: str | None, unit: str | None,
            agency: str | None, now: datetime | None = None) -> tuple:
    """Every section of the page for the selection (see register for the outputs' order); the
    heatmap and the places table follow from the view store (`places`)."""
    access.require(*LEADERS_PAGE_ROLES)
    now = now or datetime.now(UTC)
    try:
        period, filters = selection(period_code, field, area, unit, agency)
    except kpis.PeriodError as exc:
        return (*[no_update] * 14, str(exc))
    view = page_data(period, filters, now)
    view["filters_label"] = filters_label(filters)
    store = {"period": period.code, "filters": service.filters_dict(filters), "now": view["now"],
             "label": period.title_vi, "filters_label": view["filters_label"]}
    month_pack, quarter_pack = pack_periods(period, now)
    return (subtitle(view), tiles(view), stages_table(view), map_values(view),
            ranking_table(view), satisfaction_block(view), flow_block(view),
            overdue_tables(view), responsible_table(view), escalations_table(view), store,
            f"Tải báo cáo {month_pack.label_vi}", f"Tải báo cáo {quarter_pack.label_vi}",
            pack_hint(filters), "")


def places(view: dict | None, drill_area: str | None, now: datetime | None = None) -> tuple:
    """(the SLA heatmap, the places table) of the page's selection: agency × area and the
    areas; drilled into one area (`drill_area`, or the area the page is filtered by), agency ×
    its units and its units. The figures are the page's own, from the shared cache."""
    access.require(*LEADERS_PAGE_ROLES)
    if not view:
        raise PreventUpdate
    period = kpis.Period.parse(view["period"])
    filters = kpis.Filters(**view["filters"])
    data = page_data(period, filters, now or datetime.now(UTC))
    area = drill_area or filters.area
    order = list(lookups.area_names())
    return heatmap_figure(data, area, order), place_table(data, area)


def drill_area(trigger: object, clicks: int | None) -> str | None:
    """The area drilled into after a click on an area's name in the places table ("" goes
    back to every area), or none after the page's area filter changed (the filter's area is
    then shown by units)."""
    if isinstance(trigger, dict) and trigger.get("type") == AREA_OPEN:
        if not clicks:
            raise PreventUpdate  # the table drawn anew, nothing clicked
        return trigger.get("area") or None
    return None


def trend(view: dict | None, now: datetime | None = None) -> dict:
    """The twelve-month chart for the selection the page shows."""
    access.require(*LEADERS_PAGE_ROLES)
    if not view:
        raise PreventUpdate
    now = now or datetime.now(UTC)
    period = kpis.Period.parse(view["period"])
    filters = kpis.Filters(**view["filters"])
    months = trend_data(period, filters, now)
    return trend_figure(months, {m.code for m in period.months()},
                        kpis.load_targets().stage_targets)


def filter_options() -> tuple[list, list, list, list]:
    """(fields, areas in their display order, the same areas to drill into, agencies); the
    units follow the area chosen (`unit_options`)."""
    access.require(*LEADERS_PAGE_ROLES)
    areas = lookups.area_options()
    return (lookups.options(lookups.field_names()), areas, areas,
            lookups.options(lookups.agency_names()))


def unit_options(area: str | None, unit: str | None) -> tuple[list, object]:
    """The unit filter follows the area: its units (all without one); a unit of another area
    is cleared."""
    access.require(*LEADERS_PAGE_ROLES)
    options = lookups.unit_options(area)
    if unit and unit not in {o["value"] for o in options}:
        return options, None
    return options, no_update


def period_kind(kind: str | None, current: str | None) -> tuple[list, str]:
    """Month or quarter: its choices, and the one holding the period shown so far."""
    access.require(*LEADERS_PAGE_ROLES)
    kind = "quarter" if kind == "quarter" else "month"
    options = period_options(kind)
    try:
        shown = kpis.Period.parse(current or "")
    except kpis.PeriodError:
        return options, options[0]["value"]
    if kind == "quarter":
        value = service.quarter_of(shown).code
    else:
        day = min(shown.last_day, service.local_today())
        value = kpis.Period.month(day.year, day.month).code
    codes = {o["value"] for o in options}
    return options, value if value in codes else options[0]["value"]


def register(app: Dash) -> None:
    register_filters(app)
    register_sections(app)
    register_map(app)
    drilldown.register(app)
    packs.register(app)


def register_filters(app: Dash) -> None:
    @app.callback(Output(f"{P}-field", "options"), Output(f"{P}-area", "options"),
                  Output(f"{P}-drill-area", "options"), Output(f"{P}-agency", "options"),
                  Input(f"{P}-init", "data"))
    def on_init(_init):
        return filter_options()

    @app.callback(Output(f"{P}-unit", "options"), Output(f"{P}-unit", "value"),
                  Input(f"{P}-area", "value"), State(f"{P}-unit", "value"))
    def on_area(area, unit):
        return unit_options(area, unit)

    @app.callback(Output(f"{P}-period", "options"), Output(f"{P}-period", "value"),
                  Input(f"{P}-kind", "value"), State(f"{P}-period", "value"),
                  prevent_initial_call=True)
    def on_kind(kind, current):
        return period_kind(kind, current)

    @app.callback(Output(f"{P}-field", "value"), Output(f"{P}-area", "value"),
                  Output(f"{P}-unit", "value", allow_duplicate=True),
                  Output(f"{P}-agency", "value"), Input(f"{P}-reset", "n_clicks"),
                  prevent_initial_call=True)
    def on_reset(_n):
        access.require(*LEADERS_PAGE_ROLES)
        return None, None, None, None


def register_sections(app: Dash) -> None:
    @app.callback(
        Output(f"{P}-subtitle", "children"), Output(f"{P}-tiles", "children"),
        Output(f"{P}-stages", "children"), Output(f"{P}-map-values", "data"),
        Output(f"{P}-ranking", "children"), Output(f"{P}-satisfaction", "children"),
        Output(f"{P}-flow", "children"), Output(f"{P}-overdue", "children"),
        Output(f"{P}-responsible", "children"), Output(f"{P}-escalations", "children"),
        Output(f"{P}-view", "data"),
        Output(f"{P}-pack-month", "children"), Output(f"{P}-pack-quarter", "children"),
        Output(f"{P}-pack-note", "children"), Output(f"{P}-error", "children"),
        Input(f"{P}-period", "value"), Input(f"{P}-field", "value"),
        Input(f"{P}-area", "value"), Input(f"{P}-unit", "value"),
        Input(f"{P}-agency", "value"))
    def on_selection(period, field, area, unit, agency):
        return refresh(period, field, area, unit, agency)

    @app.callback(Output(f"{P}-trend", "figure"), Input(f"{P}-view", "data"))
    def on_view(view):
        return trend(view)

    @app.callback(Output(f"{P}-heatmap", "figure"), Output(f"{P}-place-table", "children"),
                  Input(f"{P}-view", "data"), Input(f"{P}-drill-area", "value"))
    def on_places(view, area):
        return places(view, area)

    @app.callback(Output(f"{P}-drill-area", "value"),
                  Input({"type": AREA_OPEN, "area": ALL}, "n_clicks"),
                  Input(f"{P}-area", "value"), prevent_initial_call=True)
    def on_drill(_opened, _area):
        access.require(*LEADERS_PAGE_ROLES)
        clicks = ctx.triggered[0]["value"] if ctx.triggered else None
        return drill_area(ctx.triggered_id, clicks)

    app.clientside_callback(
        "function (mode) { return mode === 'late' ? 'show-late' : 'show-overdue'; }",
        Output(f"{P}-overdue", "className"), Input(f"{P}-overdue-mode", "value"))


def register_map(app: Dash) -> None:
    @app.callback(Output(f"{P}-map-legend", "children"), Input(f"{P}-map-values", "data"),
                  Input(f"{P}-map-mode", "value"), Input(f"{P}-map-level", "value"),
                  Input(f"{P}-map", "zoom"))
    def on_map_mode(values, mode, toggle, zoom):
        access.require(*LEADERS_PAGE_ROLES)
        return map_legend(values, mode, level_of(zoom, toggle))

    # the choropleth's values, again after the geometry has loaded (DASH.md: a hideout that
    # arrives before it is lost); areas, or units zoomed in or with the toggle
    register_places(app, P, dark=False, values=Input(f"{P}-map-values", "data"),
                    toggle=Input(f"{P}-map-level", "value"),
                    mode=Input(f"{P}-map-mode", "value"),
                    resend=Input(f"{P}-map-resend", "n_intervals"))

"""The leaders' page's own callbacks: the filters, every section for the selection, the trend,
the district map; the side panel (`drilldown`) and the packs (`packs`) register their own. Thin
wrappers over the plain functions here, which read the page's data through `data` and draw it
with `dashboard/layouts/leaders/`."""

from __future__ import annotations

from datetime import UTC, datetime

from dash import Dash, Input, Output, State, no_update
from dash.exceptions import PreventUpdate

from backend.domain.roles import LEADERS_PAGE_ROLES
from backend.services import kpis
from backend.services.kpis import leaders as service
from backend.web.leaders_data import page_data, trend_data
from dashboard import access, lookups
from dashboard.callbacks.leaders import drilldown, packs
from dashboard.callbacks.leaders.data import filters_label, selection
from dashboard.callbacks.leaders.packs import pack_hint, pack_periods
from dashboard.layouts.leaders.charts import (
    district_table,
    heatmap_figure,
    map_legend,
    map_values,
    trend_figure,
)
from dashboard.layouts.leaders.kpis import short_district, stages_table, subtitle, tiles
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


def refresh(period_code: str | None, field: str | None, district: str | None,
            agency: str | None, now: datetime | None = None) -> tuple:
    """Every section of the page for the selection (see register for the outputs' order)."""
    access.require(*LEADERS_PAGE_ROLES)
    now = now or datetime.now(UTC)
    try:
        period, filters = selection(period_code, field, district, agency)
    except kpis.PeriodError as exc:
        return (*[no_update] * 16, str(exc))
    view = page_data(period, filters, now)
    view["filters_label"] = filters_label(filters)
    store = {"period": period.code, "filters": service.filters_dict(filters), "now": view["now"],
             "label": period.title_vi, "filters_label": view["filters_label"]}
    month_pack, quarter_pack = pack_periods(period, now)
    return (subtitle(view), tiles(view), stages_table(view), heatmap_figure(view),
            map_values(view), ranking_table(view), satisfaction_block(view),
            flow_block(view), overdue_tables(view), responsible_table(view),
            escalations_table(view), district_table(view), store,
            f"Tải báo cáo {month_pack.label_vi}", f"Tải báo cáo {quarter_pack.label_vi}",
            pack_hint(filters), "")


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


def filter_options() -> tuple[list, list, list]:
    access.require(*LEADERS_PAGE_ROLES)
    districts = {code: short_district(name) for code, name in lookups.district_names().items()}
    return (lookups.options(lookups.field_names()), lookups.options(districts),
            lookups.options(lookups.agency_names()))


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
    @app.callback(Output(f"{P}-field", "options"), Output(f"{P}-district", "options"),
                  Output(f"{P}-agency", "options"), Input(f"{P}-init", "data"))
    def on_init(_init):
        return filter_options()

    @app.callback(Output(f"{P}-period", "options"), Output(f"{P}-period", "value"),
                  Input(f"{P}-kind", "value"), State(f"{P}-period", "value"),
                  prevent_initial_call=True)
    def on_kind(kind, current):
        return period_kind(kind, current)

    @app.callback(Output(f"{P}-field", "value"), Output(f"{P}-district", "value"),
                  Output(f"{P}-agency", "value"), Input(f"{P}-reset", "n_clicks"),
                  prevent_initial_call=True)
    def on_reset(_n):
        access.require(*LEADERS_PAGE_ROLES)
        return None, None, None


def register_sections(app: Dash) -> None:
    @app.callback(
        Output(f"{P}-subtitle", "children"), Output(f"{P}-tiles", "children"),
        Output(f"{P}-stages", "children"), Output(f"{P}-heatmap", "figure"),
        Output(f"{P}-map-values", "data"), Output(f"{P}-ranking", "children"),
        Output(f"{P}-satisfaction", "children"), Output(f"{P}-flow", "children"),
        Output(f"{P}-overdue", "children"), Output(f"{P}-responsible", "children"),
        Output(f"{P}-escalations", "children"), Output(f"{P}-district-table", "children"),
        Output(f"{P}-view", "data"),
        Output(f"{P}-pack-month", "children"), Output(f"{P}-pack-quarter", "children"),
        Output(f"{P}-pack-note", "children"), Output(f"{P}-error", "children"),
        Input(f"{P}-period", "value"), Input(f"{P}-field", "value"),
        Input(f"{P}-district", "value"), Input(f"{P}-agency", "value"))
    def on_selection(period, field, district, agency):
        return refresh(period, field, district, agency)

    @app.callback(Output(f"{P}-trend", "figure"), Input(f"{P}-view", "data"))
    def on_view(view):
        return trend(view)

    app.clientside_callback(
        "function (mode) { return mode === 'late' ? 'show-late' : 'show-overdue'; }",
        Output(f"{P}-overdue", "className"), Input(f"{P}-overdue-mode", "value"))


def register_map(app: Dash) -> None:
    @app.callback(Output(f"{P}-map-legend", "children"), Input(f"{P}-map-values", "data"),
                  Input(f"{P}-map-mode", "value"))
    def on_map_mode(values, mode):
        access.require(*LEADERS_PAGE_ROLES)
        return map_legend(values, mode)

    # the choropleth's values, again after the geometry has loaded (DASH.md: a hideout that
    # arrives before it is lost)
    app.clientside_callback(
        """function (values, mode, _n) {
            var item = (values || {})[mode] || {values: {}};
            return {mode: mode, values: item.values, dark: false};
        }""",
        Output(f"{P}-districts", "hideout"), Input(f"{P}-map-values", "data"),
        Input(f"{P}-map-mode", "value"), Input(f"{P}-map-resend", "n_intervals"))

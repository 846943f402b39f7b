"""The side panel: what a click on a number (a tile, a table cell, a bar of the trend, a heatmap
cell, an area or a unit on the map) opens, the reports behind it, then one of them (drawn by
`dashboard/layouts/leaders/drilldown.py`), read only and never with its reporter.

A provincial leader directs an escalated report from its detail here (D7.2c, the workflow step
`direct`, through backend.services.kpis.leaders.direct): the role is checked again in the
callback, the report's version guards against a step taken meanwhile, and the escalations list
is read again (not from the cache) once the step is done.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dash import ALL, Dash, Input, Output, State, ctx, html, no_update
from dash.exceptions import PreventUpdate

from backend.domain.roles import DIRECTING_ROLES, LEADERS_PAGE_ROLES
from backend.domain.workflow import WorkflowError
from backend.services import kpis
from backend.services.access.auth import StaffUser
from backend.services.errors import NotFound
from backend.services.kpis import leaders as service
from dashboard import access, lookups
from dashboard.callbacks.leaders.data import filters_label
from dashboard.callbacks.workflow import Outcome, refusal
from dashboard.layouts.leaders.charts import MAP_TITLES
from dashboard.layouts.leaders.drilldown import (
    DIRECT_FEEDBACK,
    DIRECT_PARAM,
    DIRECT_RELOAD,
    DIRECT_SEND,
    DIRECT_VERSION,
    codes_list,
    direct_feedback,
    report_detail,
)
from dashboard.layouts.leaders.kpis import DRILL_PARTS, drill_key
from dashboard.layouts.leaders.page import PREFIX
from dashboard.layouts.leaders.tables import escalations_table

P = PREFIX
DRILL_LIMIT = service.DRILL_LIMIT


def parse_drill(key: str, view: dict) -> tuple[str, kpis.Period, kpis.Filters, int | None]:
    """(metric, period, filters, count or None) of a drill key (kpis.drill_key: the parts of
    DRILL_PARTS); a place or agency given narrows the page's own filters."""
    given = (key or "").split("|")
    if len(given) != len(DRILL_PARTS):
        raise ValueError("Lựa chọn không hợp lệ.")
    parts = dict(zip(DRILL_PARTS, given, strict=True))
    metric, count = parts["metric"], parts["count"]
    period = kpis.Period.parse(parts["period"] or view["period"])
    filters = kpis.Filters(**view["filters"]).with_(
        **{name: parts[name] for name in ("field", "area", "unit", "agency") if parts[name]})
    n = int(count) if count.lstrip("-").isdigit() else None
    return metric, period, filters, (n if n is not None and n >= 0 else None)


def open_drill(key: str, view: dict) -> tuple[list, list]:
    """(drawer title, drawer list): the codes behind one number, as of the page's figures."""
    try:
        metric, period, filters, count = parse_drill(key, view)
        codes = kpis.report_codes(metric, period, filters,
                                 now=datetime.fromisoformat(view["now"]), limit=DRILL_LIMIT)
        title = kpis.label(metric)
    except (ValueError, KeyError, kpis.PeriodError) as exc:
        return [html.Div("Không mở được danh sách", className="dr-title")], [
            html.P(str(exc).strip("'\""), className="error")]
    context = " · ".join(part for part in (period.title_vi, filters_label(filters)) if part)
    return codes_list(title, context, codes, count, DRILL_LIMIT)


def open_report(code: str, staff, notice: Any = None) -> list:
    """One report in the side panel; with the direction form when the viewer directs it."""
    try:
        detail = service.report_brief(code, staff)
    except NotFound:
        return [html.P(f"Không tìm thấy phản ánh {code}.", className="error")]
    choices = (service.direction_choices(detail) if "direct" in detail["allowed_actions"]
               else None)
    return report_detail(detail, choices, notice)


def drawer(trigger: Any, value: Any, view: dict | None, map_mode: str | None,
           trend_click: dict | None, heat_click: dict | None, map_click: dict | None) -> tuple:
    """(class, title, list, detail) of the side panel after a click somewhere on the page."""
    staff = access.require(*LEADERS_PAGE_ROLES)
    keep = no_update
    if trigger in (f"{P}-drawer-close", f"{P}-view"):  # closed, or the page shows another
        return "ld-drawer", keep, keep, keep              # selection than the list was for
    if trigger == f"{P}-drawer-back":
        return "ld-drawer open", keep, keep, []
    if not value or not view:
        raise PreventUpdate  # numbers drawn anew, none clicked
    if isinstance(trigger, dict) and trigger.get("type") == f"{P}-code":
        return "ld-drawer open detail", keep, keep, open_report(trigger["code"], staff)
    if isinstance(trigger, dict) and trigger.get("type") == f"{P}-drill":
        key = trigger["key"]
    elif trigger == f"{P}-trend":
        point = (trend_click or {}).get("points", [{}])[0]
        month = point.get("customdata")
        if not month:
            raise PreventUpdate
        key = drill_key("received", None, period=str(month))
    elif trigger == f"{P}-heatmap":
        point = (heat_click or {}).get("points", [{}])[0]
        data = point.get("customdata") or []
        if len(data) < 7 or point.get("z") is None:
            raise PreventUpdate
        level = "unit" if data[6] == "unit" else "area"
        key = drill_key("agency_late", data[2], agency=data[0], **{level: data[1]})
    elif trigger == f"{P}-places":
        props = (map_click or {}).get("properties") or {}
        if props.get("kind") not in ("area", "unit") or not props.get("code"):
            raise PreventUpdate
        metric = MAP_TITLES.get(map_mode or "late", MAP_TITLES["late"])[0]
        key = drill_key(metric, None, **{props["kind"]: str(props["code"])})
    else:
        raise PreventUpdate
    title, body = open_drill(key, view)
    return "ld-drawer open", title, body, []


def direct(staff: StaffUser, code: str, agency: str | None, direction: str | None,
           version: int | None, now: datetime | None = None) -> Outcome:
    """The provincial leader directs an escalated report to `agency` (service.direct); every
    refusal becomes its Vietnamese message, a stale version asks to reload."""
    agency, direction = (agency or "").strip(), (direction or "").strip()
    if not agency:
        return Outcome(False, "Hãy chọn cơ quan chủ trì xử lý.", status=422)
    if not direction:
        return Outcome(False, "Hãy nhập nội dung chỉ đạo.", status=422)
    try:
        service.direct(code, staff, agency, direction, version=version, now=now)
    except WorkflowError as error:
        return refusal(error)
    name = lookups.agency_names().get(agency, agency)
    return Outcome(True, f"Đã gửi chỉ đạo: phản ánh {code} được chuyển đến {name} xử lý.")


def fresh_escalations(view: dict | None, now: datetime | None = None) -> Any:
    """The escalations waiting, read again now (not from the page's cached figures)."""
    filters = kpis.Filters(**view["filters"]) if view else kpis.Filters()
    return escalations_table({"escalations": service.escalations(filters, now=now)})


def direction_click(trigger: Any, params: list[dict], versions: list[dict], slots: list[dict],
                    view: dict | None, now: datetime | None = None) -> tuple[list, Any, Any]:
    """(feedback of each form shown, side panel detail, escalations list) after a click on
    "Gửi chỉ đạo" or "Tải lại phản ánh". `params`, `versions`: the forms' `{"id", "value"}`
    entries; `slots`: the feedback outputs' `{"id"}` entries. Done: the report is shown again
    (forwarded now, no form) with the success line, and the escalations list is read again.
    Refused: only the message, what the leader typed stays."""
    staff = access.require(*DIRECTING_ROLES)  # never IOC or admin, whatever the browser sends
    if not isinstance(trigger, dict) or not trigger.get("code"):
        raise PreventUpdate
    code, keep = trigger["code"], [no_update] * len(slots)
    if trigger.get("type") == DIRECT_RELOAD:
        notice = html.Div("Đã tải lại dữ liệu mới nhất của phản ánh.", className="feedback ok",
                          role="status")
        return keep, open_report(code, staff, notice), no_update
    if trigger.get("type") != DIRECT_SEND:
        raise PreventUpdate
    given = {e["id"]["name"]: e.get("value") for e in params if e["id"].get("code") == code}
    version = next((e.get("value") for e in versions if e["id"].get("code") == code), None)
    outcome = direct(staff, code, given.get("agency"), given.get("direction"), version, now)
    if not outcome.ok:
        answer = direct_feedback(outcome.message, False, code, outcome.stale)
        return ([answer if s["id"].get("code") == code else no_update for s in slots],
                no_update, no_update)
    notice = direct_feedback(outcome.message, True)
    return keep, open_report(code, staff, notice), fresh_escalations(view, now)


def register(app: Dash) -> None:
    @app.callback(
        Output(f"{P}-drawer", "className"), Output(f"{P}-drawer-title", "children"),
        Output(f"{P}-drawer-list", "children"), Output(f"{P}-drawer-detail", "children"),
        Input({"type": f"{P}-drill", "key": ALL, "at": ALL}, "n_clicks"),
        Input({"type": f"{P}-code", "code": ALL, "at": ALL}, "n_clicks"),
        Input(f"{P}-trend", "clickData"), Input(f"{P}-heatmap", "clickData"),
        Input(f"{P}-places", "clickData"),
        Input(f"{P}-drawer-back", "n_clicks"), Input(f"{P}-drawer-close", "n_clicks"),
        Input(f"{P}-view", "data"), State(f"{P}-map-mode", "value"),
        prevent_initial_call=True)
    def on_click(_drills, _codes, trend_click, heat_click, map_click, _back, _close, view,
                 mode):
        value = ctx.triggered[0]["value"] if ctx.triggered else None
        return drawer(ctx.triggered_id, value, view, mode, trend_click, heat_click, map_click)

    @app.callback(
        Output({"type": DIRECT_FEEDBACK, "code": ALL}, "children"),
        Output(f"{P}-drawer-detail", "children", allow_duplicate=True),
        Output(f"{P}-escalations", "children", allow_duplicate=True),
        Input({"type": DIRECT_SEND, "code": ALL}, "n_clicks"),
        Input({"type": DIRECT_RELOAD, "code": ALL}, "n_clicks"),
        State({"type": DIRECT_PARAM, "code": ALL, "name": ALL}, "value"),
        State({"type": DIRECT_VERSION, "code": ALL}, "data"),
        State(f"{P}-view", "data"), prevent_initial_call=True)
    def on_direct(_sends, _reloads, _params, _versions, view):
        if not (ctx.triggered and ctx.triggered[0]["value"]):
            raise PreventUpdate  # a form drawn anew, nothing clicked
        return direction_click(ctx.triggered_id, ctx.states_list[0], ctx.states_list[1],
                               ctx.outputs_list[0], view)

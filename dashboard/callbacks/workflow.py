"""Wiring shared by the workflow pages (triage, agency, publishing): choose a report, show it,
take it (D13.2), take a step on it: the behaviour of the shared widgets (`dashboard/widgets/`:
the queue, the report panel, the action forms). Each page calls these `register_*` functions with
its prefix; the logic is in plain functions (`run_action`, `run_hold`, `load_panel`…) tested
without Dash.

Per page `<p>` the layout holds: `<p>-selected` (the chosen code), `<p>-detail` (code and version
of the report shown, for optimistic locking), `<p>-refresh` (bumped after every change so the
panel and the queue reload), `<p>-panel` and `<p>-feedback`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from dash import ALL, Dash, Input, Output, State, ctx, html, no_update
from dash.exceptions import PreventUpdate

from backend import vietnamese as vn
from backend.domain.workflow import ACTIONS, STATE_LABELS_VI, StaleVersion, WorkflowError
from backend.domain.workflow import State as ReportState
from backend.services.access.auth import StaffUser
from backend.services.errors import NotFound
from backend.services.reads import queries
from backend.services.reads.queries import Filters
from backend.services.workflow import holds
from backend.services.workflow.steps import perform_action
from backend.web.errors import status_of
from dashboard import access, lookups
from dashboard.widgets import report_panel
from dashboard.widgets.queue import MAX_ROWS, queue_rows

PanelBuilder = Callable[[dict[str, Any], StaffUser], Any]
HOLD_DONE = {"take": "Bạn đã nhận xử lý {code}.",
             "take_over": "Bạn đã tiếp quản {code} (việc tiếp quản được ghi nhận).",
             "release": "Đã trả {code} về hàng chờ."}


@dataclass(frozen=True)
class Outcome:
    """What the handler is told after a click: success or the precise refusal."""

    ok: bool
    message: str
    stale: bool = False
    status: int = 200


def clean_params(action: str, entries: list[dict[str, Any]]) -> dict[str, Any]:
    """The parameters of `action` from the form's `{"id": …, "value": …}` entries."""
    params: dict[str, Any] = {}
    for entry in entries:
        pid, value = entry["id"], entry.get("value")
        if pid.get("action") != action:
            continue
        if isinstance(value, str):
            value = value.strip()
        if value in (None, "", []):
            continue
        params[pid["name"]] = value
    return params


def refusal(error: WorkflowError) -> Outcome:
    status = status_of(error)
    if isinstance(error, StaleVersion):
        return Outcome(False, error.message, stale=True, status=status)
    return Outcome(False, error.message, status=status)


def run_action(staff: StaffUser, code: str, action: str, params: dict[str, Any],
               version: int | None, now: datetime | None = None) -> Outcome:
    """Take one workflow step as `staff`; every refusal becomes its Vietnamese message."""
    if action not in ACTIONS:
        return Outcome(False, f"Không có thao tác '{action}'.", status=404)
    try:
        queries.check_visible(code, staff)
        report = perform_action(code, action, staff.actor(), params, version=version, now=now)
    except WorkflowError as error:
        return refusal(error)
    label = ACTIONS[action].label_vi
    state = STATE_LABELS_VI[ReportState(report.state)]
    return Outcome(True, f"{label}: đã thực hiện với {code}. Trạng thái mới: {state}.")


def run_hold(staff: StaffUser, code: str, op: str, now: datetime | None = None) -> Outcome:
    """Take, take over or release a report at the IOC (D13.2)."""
    now = now or datetime.now(UTC)
    try:
        if op == "release":
            holds.release(code, staff.actor())
        elif op in ("take", "take_over"):
            holds.take(code, staff.actor(), now, take_over=op == "take_over")
        else:
            return Outcome(False, "Thao tác không hợp lệ.", status=400)
    except WorkflowError as error:
        return refusal(error)
    return Outcome(True, HOLD_DONE[op].format(code=code))


def feedback(outcome: Outcome, page: str, code: str) -> html.Div:
    children: list = [html.Span(outcome.message)]
    if outcome.stale:
        children.append(html.Button("Tải lại phản ánh", n_clicks=0, className="btn btn-small",
                                    id={"type": "wf-reload", "page": page, "code": code}))
    return html.Div(children, className="feedback " + ("ok" if outcome.ok else "error"),
                    role="status" if outcome.ok else "alert")


def handle_click(page: str, staff: StaffUser, trigger: dict[str, Any] | None,
                 entries: list[dict[str, Any]], shown: dict[str, Any] | None,
                 refresh: int | None) -> tuple[Any, Any]:
    """(feedback, refresh counter) after a click on an action, hold or reload button; the
    counter moves (the panel and queue reload) after a change or an asked-for reload."""
    if not trigger or not shown or not shown.get("code"):
        raise PreventUpdate
    code, bump = shown["code"], (refresh or 0) + 1
    kind = trigger.get("type")
    if kind == "wf-reload":
        return html.Div("Đã tải lại dữ liệu mới nhất của phản ánh.", className="feedback ok",
                        role="status"), bump
    if kind == "wf-hold":
        outcome = run_hold(staff, code, trigger["op"])
    elif kind == "wf-act":
        action = trigger["action"]
        outcome = run_action(staff, code, action, clean_params(action, entries),
                             shown.get("version"))
    else:
        raise PreventUpdate
    # a refused step reloads nothing: what the handler typed in the form stays there
    return feedback(outcome, page, code), bump if outcome.ok else no_update


def load_panel(code: str | None, staff: StaffUser, build: PanelBuilder,
               empty_text: str) -> tuple[Any, dict[str, Any] | None]:
    """(panel, shown-report store) for `code` as `staff` may see it."""
    if not code:
        return report_panel.empty(empty_text), None
    try:
        detail = queries.report_detail(code, staff)
    except NotFound:
        return report_panel.empty("Không tìm thấy phản ánh, hoặc phản ánh không thuộc phạm vi "
                                  "của bạn."), None
    shown = {"code": detail["code"], "version": detail["version"], "state": detail["state"],
             "lat": detail["lat"], "lon": detail["lon"], "agency": detail.get("agency"),
             "private": bool(detail.get("confidential") or detail.get("state_secret"))}
    return build(detail, staff), shown


def chosen_code(trigger: Any, cell: dict[str, Any] | None,
                click: dict[str, Any] | None, current: str | None) -> str:
    """The code to open after a click on a row (or Enter, assets/30-keys.js clicks the focused
    row), on a map point, or on a link to another report. Not the grid's `selectedRows`: the
    grid re-applies a stale selection when its rows refresh, which would open another report."""
    code = None
    if isinstance(trigger, dict) and trigger.get("type") == "wf-open":
        code = trigger.get("code")
    elif isinstance(trigger, str) and trigger.endswith("-grid"):
        code = (cell or {}).get("rowId")
    elif isinstance(trigger, str) and trigger.endswith("-points"):
        props = (click or {}).get("properties") or {}
        code = None if props.get("cluster") else props.get("code")
    if not code or code == current:
        raise PreventUpdate
    return code


def register_selection(app: Dash, page: str, roles: tuple[str, ...], with_map: bool) -> None:
    inputs = [Input(f"{page}-grid", "cellClicked"),
              Input({"type": "wf-open", "page": page, "code": ALL}, "n_clicks")]
    if with_map:
        inputs.append(Input(f"{page}-points", "clickData"))

    @app.callback(Output(f"{page}-selected", "data"), *inputs,
                  State(f"{page}-selected", "data"), prevent_initial_call=True)
    def select(cell, _opens, *rest):
        access.require(*roles)
        click, current = (rest[0], rest[1]) if with_map else (None, rest[0])
        trigger = ctx.triggered_id
        if isinstance(trigger, dict) and not (ctx.triggered and ctx.triggered[0]["value"]):
            raise PreventUpdate  # a link was drawn, not clicked
        return chosen_code(trigger, cell, click, current)


def register_panel(app: Dash, page: str, roles: tuple[str, ...], build: PanelBuilder,
                   empty_text: str) -> None:
    @app.callback(Output(f"{page}-panel", "children"), Output(f"{page}-detail", "data"),
                  Input(f"{page}-selected", "data"), Input(f"{page}-refresh", "data"))
    def show(code, _refresh):
        staff = access.require(*roles)
        return load_panel(code, staff, build, empty_text)

    @app.callback(Output(f"{page}-feedback", "children"), Output(f"{page}-refresh", "data"),
                  Input({"type": "wf-act", "page": page, "action": ALL}, "n_clicks"),
                  Input({"type": "wf-hold", "page": page, "op": ALL}, "n_clicks"),
                  Input({"type": "wf-reload", "page": page, "code": ALL}, "n_clicks"),
                  Input(f"{page}-selected", "data"),
                  State({"type": "wf-param", "page": page, "action": ALL, "name": ALL}, "value"),
                  State(f"{page}-detail", "data"), State(f"{page}-refresh", "data"),
                  prevent_initial_call=True)
    def click(_acts, _holds, _reloads, _selected, _values, shown, refresh):
        # one callback for the message, so a late "clear" can never wipe a newer answer
        staff = access.require(*roles)
        if ctx.triggered_id == f"{page}-selected":
            return None, no_update  # another report: the last message is about the previous one
        if not (ctx.triggered and ctx.triggered[0]["value"]):
            raise PreventUpdate  # buttons drawn anew, none clicked
        return handle_click(page, staff, ctx.triggered_id, ctx.states_list[0], shown, refresh)


def queue_signature(rows: list[dict[str, Any]]) -> str:
    """A short fingerprint of the rows, so an unchanged queue is not sent again each tick."""
    return hashlib.sha1(json.dumps(rows, sort_keys=True, default=str).encode()).hexdigest()[:16]


def build_filters(values: dict[str, Any], default_states: tuple[str, ...] = (),
                  **fixed: Any) -> Filters:
    """`Filters` from the filter bar's values (`state`, `field`, `area`, `unit`, `sla`, …)."""
    sla = values.get("sla") or "all"
    text = (values.get("text") or "").strip()
    return Filters(
        states=tuple(values.get("state") or default_states),
        field=values.get("field") or None, area=values.get("area") or None,
        unit=values.get("unit") or None,
        overdue=True if sla == "overdue" else False if sla == "in_time" else None,
        at_risk=True if sla == "at_risk" else None,
        emergency=True if values.get("emergency") else None,
        text=text[:200] or None, **fixed)


def queue_update(staff: StaffUser, filters: Filters, seen: str | None,
                 now: datetime | None = None) -> tuple[Any, str, str]:
    """(grid rows or no_update, count text, fingerprint) for the viewer's queue."""
    now = now or datetime.now(UTC)
    try:
        page = queries.list_reports(staff, filters, 1, MAX_ROWS, now=now)
    except WorkflowError as error:
        return [], error.message, ""
    rows = queue_rows(page["items"], now, staff.username)
    total = page["total"]
    count = (f"{vn.integer(total)} phản ánh" if total <= MAX_ROWS else
             f"{MAX_ROWS} / {vn.integer(total)} phản ánh gần hạn nhất: lọc để thu hẹp")
    signature = queue_signature(rows)
    return (no_update if signature == seen else rows), count, signature


def register_queue(app: Dash, page: str, roles: tuple[str, ...], names: tuple[str, ...],
                   to_filters: Callable[[StaffUser, dict[str, Any]], Filters]) -> None:
    """The queue refreshes itself every tick, on any filter change and after every step."""

    @app.callback(Output(f"{page}-grid", "rowData"), Output(f"{page}-count", "children"),
                  Output(f"{page}-seen", "data"),
                  *[Input(f"{page}-f-{name}", "value") for name in names],
                  Input(f"{page}-tick", "n_intervals"), Input(f"{page}-refresh", "data"),
                  State(f"{page}-seen", "data"))
    def refresh_queue(*args):
        staff = access.require(*roles)
        values = dict(zip(names, args[:len(names)], strict=True))
        return queue_update(staff, to_filters(staff, values), args[-1])

    dropdowns = [name for name in ("field", "area") if name in names]
    if dropdowns:
        @app.callback(*[Output(f"{page}-f-{name}", "options") for name in dropdowns],
                      Input(f"{page}-init", "data"))
        def fill_filters(_init):
            access.require(*roles)
            found = {"field": lookups.options(lookups.field_names()),
                     "area": lookups.area_options()}
            values = tuple(found[name] for name in dropdowns)
            return values if len(values) > 1 else values[0]

    if "unit" in names:
        @app.callback(Output(f"{page}-f-unit", "options"), Output(f"{page}-f-unit", "value"),
                      Input(f"{page}-f-area", "value") if "area" in names
                      else Input(f"{page}-init", "data"),
                      State(f"{page}-f-unit", "value"))
        def fill_units(area, unit):
            access.require(*roles)
            return unit_choices(area if "area" in names else None, unit)


def unit_choices(area: str | None, unit: str | None) -> tuple[list[dict[str, Any]], Any]:
    """(the unit filter's options: the units of the area chosen, or all; its value: kept when
    the unit is in that area, else cleared)."""
    options = lookups.unit_options(area)
    if unit and unit not in {o["value"] for o in options}:
        return options, None
    return options, no_update

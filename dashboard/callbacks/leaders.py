"""Callbacks of the leadership page `/leaders`: thin wrappers over the plain functions here, which
fetch the page's data (backend/services/leaders.py, on kpi) through the shared cache.

What the shared cache holds (dashboard/cache.py; one Redis for all workers when configured):
- each month's province-wide counts, `leaders:counts:<month>:<stamp>` (zlib-pickled, ~30 KB at
  100,000 reports a month), stamped by how fast they still move (month_stamp): the running
  month with the data version (mapdata.data_version, looked up at most once a minute), the
  month just ended every five minutes, older months every hour. Any filter, the quarter, the
  previous period and the trend are sums over these frames;
- each page, `leaders:view:<period>:<filters>:<stamps>`, each period's figures (the next
  period compares with them) and each trend.
So flipping filters or periods reads only the per-report rows (working hours, overdue list) of
the new selection, once; flipping back costs nothing.

A provincial leader directs an escalated report from its detail in the side panel (D7.2c, the
workflow step `direct`, through backend.services.leaders.direct): the role is checked again in
the callback, the report's version guards against a step taken meanwhile, and the escalations
list is read again (not from the cache) once the step is done.

The report packs are made by a Dash background callback (diskcache or Celery, see
dashboard/app.py) in another process, where there is no signed-in session: the click is checked
here (access.require) and turned into a signed, short-lived request that the job verifies. The
job keeps the zip on disk for the requester (backend/services/pack_files.py) and answers with a
link that the browser follows at once: tens of megabytes never travel inside a callback answer.
"""

from __future__ import annotations

import hashlib
import pickle
import zlib
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from dash import ALL, Dash, Input, Output, State, ctx, html, no_update
from dash.exceptions import PreventUpdate
from itsdangerous import BadSignature, URLSafeTimedSerializer

from backend.domain.workflow import WorkflowError
from backend.services import kpi, mapdata
from backend.services import leaders as service
from backend.services.auth import StaffUser
from backend.services.errors import NotFound
from backend.web.settings import secret_key
from dashboard import access, cache, lookups
from dashboard.callbacks.actions import Outcome, refusal
from dashboard.layouts import leaders as ui

ROLES = access.PAGES["/leaders"][1]
VERSION_TTL = 60  # seconds: the data version is looked up at most this often
RECENT_SLOT = 300  # seconds: the month just ended is taken again this often
RECENT_DAYS = 31  # ... until this many days after it ended
PAST_SLOT = 3600  # seconds: older months are taken again this often
TTL = 1800
DRILL_LIMIT = 500
PACK_MAX_AGE = 900  # seconds a signed pack request stays valid
PACK_SALT = "ioc-leaders-pack"
PACK_URL = "/api/v1/packs"
P = ui.PREFIX


# =========================================================================== selection


def selection(period_code: str | None, field: str | None, district: str | None,
              agency: str | None) -> tuple[kpi.Period, kpi.Filters]:
    """The period (a month or a quarter) and filters picked on the page."""
    period = kpi.Period.parse(period_code or service.current_period("month").code)
    if period.kind not in ("month", "quarter"):
        raise kpi.PeriodError("Chọn một tháng hoặc một quý.")
    return period, kpi.Filters(field=field or None, district=district or None,
                               agency=agency or None)


def filters_key(filters: kpi.Filters) -> str:
    return "|".join(getattr(filters, name) or "" for name in service.FILTERS_ALL)


def filters_label(filters: kpi.Filters) -> str:
    """"Lĩnh vực: Giao thông · Địa bàn: TP Thái Nguyên" (empty without filters)."""
    parts = []
    for name, title, names in (("field", "Lĩnh vực", lookups.field_names),
                               ("district", "Địa bàn", lookups.district_names),
                               ("agency", "Cơ quan", lookups.agency_names)):
        code = getattr(filters, name)
        if code:
            parts.append(f"{title}: {names().get(code, code)}")
    return " · ".join(parts)


# =========================================================================== cached data


def data_version() -> str:
    return cache.remember("leaders:version", VERSION_TTL, mapdata.data_version)


def month_stamp(month: kpi.Period, now: datetime, version: str) -> str:
    """What a month's counts are keyed by, by how fast they still move: the running month by
    the data version; the month just ended (its reports are still being handled) by a
    five-minute slot; older months, nearly all closed, by an hour."""
    today = service.local_today(now)
    if month.end > today:
        return f"v{version}"
    seconds = int(now.timestamp())
    if (today - month.end).days < RECENT_DAYS:
        return f"m{seconds // RECENT_SLOT}"
    return f"h{seconds // PAST_SLOT}"


def stamps_key(months: Iterable[kpi.Period], now: datetime, version: str) -> str:
    text = ",".join(month_stamp(m, now, version) for m in sorted(set(months)))
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def _freeze(value: Any) -> bytes:
    return zlib.compress(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL), 1)


def _thaw(blob: bytes) -> Any:
    return pickle.loads(zlib.decompress(blob))  # noqa: S301 - our own cache entries


class _Missing(Exception):
    """Not in the cache (raised instead of computing, to look before taking)."""


def _missing() -> Any:
    raise _Missing


def _peek(key: str) -> Any:
    """The cached value of `key`, or None (nothing is computed or stored)."""
    try:
        return cache.remember(key, TTL, _missing)
    except _Missing:
        return None


def _counts_key(month: kpi.Period, now: datetime, version: str) -> str:
    return f"leaders:counts:{month.code}:{month_stamp(month, now, version)}"


def cached_counts(months: Iterable[kpi.Period], now: datetime, version: str
                  ) -> tuple[dict[str, service.MonthCounts], list[kpi.Period]]:
    """(the months' counts found in the shared cache, the months missing)."""
    found, missing = {}, []
    for month in sorted(set(months)):
        blob = _peek(_counts_key(month, now, version))
        if blob is None:
            missing.append(month)
        else:
            found[month.code] = _thaw(blob)
    return found, missing


def take_counts(found: dict[str, service.MonthCounts], missing: list[kpi.Period],
                now: datetime, version: str, alongside: Iterable[Callable[[], Any]] = ()
                ) -> tuple[dict[str, service.MonthCounts], list[Any]]:
    """Count the missing months (stored for everyone) while `alongside` reads run at the same
    time; (every month's counts, the results of `alongside`)."""
    jobs = [lambda: service.month_counts(missing, now=now)] if missing else []
    results = service.together(*jobs, *alongside)
    counts = dict(found)
    if missing:
        taken = results.pop(0)
        for month in missing:
            blob = _freeze(taken[month.code])
            counts[month.code] = _thaw(cache.remember(_counts_key(month, now, version), TTL,
                                                      lambda b=blob: b))
    return counts, results


def month_counts(months: Iterable[kpi.Period], now: datetime) -> dict[str, service.MonthCounts]:
    """Each month's counts from the shared cache; the missing ones taken (in parallel runs of
    months, service.month_counts) and stored for everyone."""
    version = data_version()
    found, missing = cached_counts(months, now, version)
    return take_counts(found, missing, now, version)[0]


def _figures_key(period: kpi.Period, filters: kpi.Filters, now: datetime, version: str) -> str:
    return (f"leaders:figures:{period.code}:{filters_key(filters)}:"
            f"{stamps_key(period.months(), now, version)}")


def page_data(period: kpi.Period, filters: kpi.Filters, now: datetime) -> dict[str, Any]:
    """Everything the page shows for this period and these filters (service.overview).

    On a miss, the reads that do not depend on each other run at the same time: the counts of
    the months not cached yet, the period's per-report rows, the previous period's (unless its
    figures are cached) and the escalations waiting.
    """
    version = data_version()
    months = service.page_months(period)
    key = f"leaders:view:{period.code}:{filters_key(filters)}:{stamps_key(months, now, version)}"

    def compute() -> dict[str, Any]:
        found, missing = cached_counts(months, now, version)

        def taken_at(p: kpi.Period) -> datetime:  # what the period's counts will be as of
            return min(found[m.code].now if m.code in found else now for m in p.months())

        current = service.blank_snapshot(period, filters, taken_at(period))
        previous = period.previous()
        before = _peek(_figures_key(previous, filters, now, version))
        earlier = None if before is not None else service.blank_snapshot(
            previous, filters, taken_at(previous))
        jobs = [lambda: current.rows, lambda: service.escalations(filters, now=current.now)]
        if earlier is not None:
            jobs.append(lambda: earlier.rows)
        counts, (_, escalated, *_) = take_counts(found, missing, now, version, jobs)
        service.fill(current, counts)
        if earlier is not None:
            figures = service.figures(service.fill(earlier, counts))
            before = cache.remember(_figures_key(previous, filters, now, version), TTL,
                                    lambda: figures)
        view = service.overview(current, before, escalated=escalated)
        cache.remember(_figures_key(period, filters, now, version), TTL, lambda: view["figures"])
        return view

    return cache.remember(key, TTL, compute)


def trend_end(period: kpi.Period, now: datetime) -> kpi.Period:
    """The trend's last month: the period's, or the current month while the period runs."""
    day = min(period.last_day, service.local_today(now))
    return kpi.Period.month(day.year, day.month)


def trend_data(period: kpi.Period, filters: kpi.Filters, now: datetime) -> list[dict[str, Any]]:
    last = trend_end(period, now)
    months = service.trend_months(last)
    key = (f"leaders:trend:{last.code}:{filters_key(filters)}:"
           f"{stamps_key(months, now, data_version())}")
    return cache.remember(key, TTL, lambda: service.trend(last, filters,
                                                          month_counts(months, now)))


# =========================================================================== the page


def refresh(period_code: str | None, field: str | None, district: str | None,
            agency: str | None, now: datetime | None = None) -> tuple:
    """Every section of the page for the selection (see register for the outputs' order)."""
    access.require(*ROLES)
    now = now or datetime.now(UTC)
    try:
        period, filters = selection(period_code, field, district, agency)
    except kpi.PeriodError as exc:
        return (*[no_update] * 16, str(exc))
    view = page_data(period, filters, now)
    view["filters_label"] = filters_label(filters)
    store = {"period": period.code, "filters": service.filters_dict(filters), "now": view["now"],
             "label": period.title_vi, "filters_label": view["filters_label"]}
    month_pack, quarter_pack = pack_periods(period, now)
    return (ui.subtitle(view), ui.tiles(view), ui.stages_table(view), ui.heatmap_figure(view),
            ui.map_values(view), ui.ranking_table(view), ui.satisfaction_block(view),
            ui.flow_block(view), ui.overdue_tables(view), ui.responsible_table(view),
            ui.escalations_table(view), ui.district_table(view), store,
            f"Tải báo cáo {month_pack.label_vi}", f"Tải báo cáo {quarter_pack.label_vi}",
            pack_hint(filters), "")


def trend(view: dict | None, now: datetime | None = None) -> dict:
    """The twelve-month chart for the selection the page shows."""
    access.require(*ROLES)
    if not view:
        raise PreventUpdate
    now = now or datetime.now(UTC)
    period = kpi.Period.parse(view["period"])
    filters = kpi.Filters(**view["filters"])
    months = trend_data(period, filters, now)
    return ui.trend_figure(months, {m.code for m in period.months()},
                           kpi.load_targets().stage_targets)


def filter_options() -> tuple[list, list, list]:
    access.require(*ROLES)
    districts = {code: ui.short_district(name) for code, name in lookups.district_names().items()}
    return (lookups.options(lookups.field_names()), lookups.options(districts),
            lookups.options(lookups.agency_names()))


def period_kind(kind: str | None, current: str | None) -> tuple[list, str]:
    """Month or quarter: its choices, and the one holding the period shown so far."""
    access.require(*ROLES)
    kind = "quarter" if kind == "quarter" else "month"
    options = ui.period_options(kind)
    try:
        shown = kpi.Period.parse(current or "")
    except kpi.PeriodError:
        return options, options[0]["value"]
    if kind == "quarter":
        value = service.quarter_of(shown).code
    else:
        day = min(shown.last_day, service.local_today())
        value = kpi.Period.month(day.year, day.month).code
    codes = {o["value"] for o in options}
    return options, value if value in codes else options[0]["value"]


# =========================================================================== click-through


def parse_drill(key: str, view: dict) -> tuple[str, kpi.Period, kpi.Filters, int | None]:
    """(metric, period, filters, count or None) of a drill key (layouts.leaders.drill_key)."""
    parts = (key or "").split("|")
    if len(parts) != 6:
        raise ValueError("Lựa chọn không hợp lệ.")
    metric, period_code, field, district, agency, count = parts
    period = kpi.Period.parse(period_code or view["period"])
    filters = kpi.Filters(**view["filters"]).with_(
        **{name: value for name, value in (("field", field), ("district", district),
                                           ("agency", agency)) if value})
    n = int(count) if count.lstrip("-").isdigit() else None
    return metric, period, filters, (n if n is not None and n >= 0 else None)


def open_drill(key: str, view: dict) -> tuple[list, list]:
    """(drawer title, drawer list): the codes behind one number, as of the page's figures."""
    try:
        metric, period, filters, count = parse_drill(key, view)
        codes = kpi.report_codes(metric, period, filters,
                                 now=datetime.fromisoformat(view["now"]), limit=DRILL_LIMIT)
        title = kpi.label(metric)
    except (ValueError, KeyError, kpi.PeriodError) as exc:
        return [html.Div("Không mở được danh sách", className="dr-title")], [
            html.P(str(exc).strip("'\""), className="error")]
    context = " · ".join(part for part in (period.title_vi, filters_label(filters)) if part)
    return ui.codes_list(title, context, codes, count, DRILL_LIMIT)


def open_report(code: str, staff, notice: Any = None) -> list:
    """One report in the side panel; with the direction form when the viewer directs it."""
    try:
        detail = service.report_brief(code, staff)
    except NotFound:
        return [html.P(f"Không tìm thấy phản ánh {code}.", className="error")]
    choices = (service.direction_choices(detail) if "direct" in detail["allowed_actions"]
               else None)
    return ui.report_detail(detail, lookups.district_names(), lookups.commune_names(), choices,
                            notice)


def drawer(trigger: Any, value: Any, view: dict | None, map_mode: str | None,
           trend_click: dict | None, heat_click: dict | None, map_click: dict | None) -> tuple:
    """(class, title, list, detail) of the side panel after a click somewhere on the page."""
    staff = access.require(*ROLES)
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
        key = ui.drill_key("received", None, period=str(month))
    elif trigger == f"{P}-heatmap":
        point = (heat_click or {}).get("points", [{}])[0]
        data = point.get("customdata") or []
        if len(data) < 3 or point.get("z") is None:
            raise PreventUpdate
        key = ui.drill_key("agency_late", data[2], agency=data[0], district=data[1])
    elif trigger == f"{P}-districts":
        props = (map_click or {}).get("properties") or {}
        if props.get("kind") != "district" or not props.get("code"):
            raise PreventUpdate
        metric = ui.MAP_TITLES.get(map_mode or "late", ui.MAP_TITLES["late"])[0]
        key = ui.drill_key(metric, None, district=str(props["code"]))
    else:
        raise PreventUpdate
    title, body = open_drill(key, view)
    return "ld-drawer open", title, body, []


# =========================================================================== direction (D7.2c)


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
    filters = kpi.Filters(**view["filters"]) if view else kpi.Filters()
    return ui.escalations_table({"escalations": service.escalations(filters, now=now)})


def direction_click(trigger: Any, params: list[dict], versions: list[dict], slots: list[dict],
                    view: dict | None, now: datetime | None = None) -> tuple[list, Any, Any]:
    """(feedback of each form shown, side panel detail, escalations list) after a click on
    "Gửi chỉ đạo" or "Tải lại phản ánh". `params`, `versions`: the forms' `{"id", "value"}`
    entries; `slots`: the feedback outputs' `{"id"}` entries. Done: the report is shown again
    (forwarded now, no form) with the success line, and the escalations list is read again.
    Refused: only the message, what the leader typed stays."""
    staff = access.require(*service.DIRECT_ROLES)  # never IOC or admin, whatever the browser sends
    if not isinstance(trigger, dict) or not trigger.get("code"):
        raise PreventUpdate
    code, keep = trigger["code"], [no_update] * len(slots)
    if trigger.get("type") == ui.DIRECT_RELOAD:
        notice = html.Div("Đã tải lại dữ liệu mới nhất của phản ánh.", className="feedback ok",
                          role="status")
        return keep, open_report(code, staff, notice), no_update
    if trigger.get("type") != ui.DIRECT_SEND:
        raise PreventUpdate
    given = {e["id"]["name"]: e.get("value") for e in params if e["id"].get("code") == code}
    version = next((e.get("value") for e in versions if e["id"].get("code") == code), None)
    outcome = direct(staff, code, given.get("agency"), given.get("direction"), version, now)
    if not outcome.ok:
        answer = ui.direct_feedback(outcome.message, False, code, outcome.stale)
        return ([answer if s["id"].get("code") == code else no_update for s in slots],
                no_update, no_update)
    notice = ui.direct_feedback(outcome.message, True)
    return keep, open_report(code, staff, notice), fresh_escalations(view, now)


# =========================================================================== report packs


def pack_periods(period: kpi.Period, now: datetime | None = None) -> tuple[kpi.Period, kpi.Period]:
    """(month, quarter) the two download buttons make: the month shown (or, with a quarter
    shown, its latest month begun) and the quarter holding it."""
    if period.kind == "month":
        month = period
    else:
        day = min(period.last_day, service.local_today(now))
        month = kpi.Period.month(day.year, day.month)
    return month, service.quarter_of(period)


def pack_hint(filters: kpi.Filters) -> str:
    label = filters_label(filters)
    return (f"Word, Excel và CSV trong một tệp .zip · theo bộ lọc: {label}" if label
            else "Word, Excel và CSV trong một tệp .zip · toàn tỉnh")


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key(), salt=PACK_SALT)


def pack_request(which: str, period_code: str | None, field: str | None,
                 district: str | None, agency: str | None) -> str:
    """A signed request for the background job: the signed-in viewer asked for this pack."""
    staff = access.require(*ROLES)
    period, filters = selection(period_code, field, district, agency)
    month, quarter = pack_periods(period)
    target = quarter if which == "quarter" else month
    return _serializer().dumps({"p": target.code, "f": service.filters_dict(filters),
                                "u": staff.username})


def pack_job(set_progress, token: str | None) -> tuple[Any, Any]:
    """The background job: verify the request, build the pack, hand the browser its link
    (the zip is streamed by /api/v1/packs/<id>, to the same signed-in user only)."""
    try:
        request = _serializer().loads(token or "", max_age=PACK_MAX_AGE)
    except BadSignature:
        return no_update, "Yêu cầu tải báo cáo không hợp lệ hoặc đã hết hạn; hãy bấm lại."
    period = kpi.Period.parse(request["p"])
    filters = kpi.Filters(**request["f"])

    def progress(fraction: float, message: str) -> None:
        set_progress((str(max(1, min(100, round(fraction * 100)))), message))

    try:
        pack = service.make_pack(period, filters, owner=request["u"], progress=progress)
    except WorkflowError as error:  # no longer allowed, or the disk is nearly full
        return no_update, html.Span(error.message, className="pack-error")
    href = f"{PACK_URL}/{pack.pack_id}"
    return {"href": href, "name": pack.name}, ui.pack_done(pack.name, href, pack.size,
                                                           period.label_vi)


# =========================================================================== registration


def register(app: Dash) -> None:
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
        access.require(*ROLES)
        return None, None, None

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

    @app.callback(Output(f"{P}-map-legend", "children"), Input(f"{P}-map-values", "data"),
                  Input(f"{P}-map-mode", "value"))
    def on_map_mode(values, mode):
        access.require(*ROLES)
        return ui.map_legend(values, mode)

    # the choropleth's values, again after the geometry has loaded (DASH.md: a hideout that
    # arrives before it is lost)
    app.clientside_callback(
        """function (values, mode, _n) {
            var item = (values || {})[mode] || {values: {}};
            return {mode: mode, values: item.values, dark: false};
        }""",
        Output(f"{P}-districts", "hideout"), Input(f"{P}-map-values", "data"),
        Input(f"{P}-map-mode", "value"), Input(f"{P}-map-resend", "n_intervals"))

    # the finished pack downloads at once, as a plain link would (the server streams it)
    app.clientside_callback(
        """function (file) {
            if (!file || !file.href) { return window.dash_clientside.no_update; }
            var link = document.createElement('a');
            link.href = file.href; link.download = file.name; link.style.display = 'none';
            document.body.appendChild(link); link.click(); link.remove();
            return file.href;
        }""",
        Output(f"{P}-pack-fetched", "data"), Input(f"{P}-pack-file", "data"),
        prevent_initial_call=True)

    app.clientside_callback(
        "function (mode) { return mode === 'late' ? 'show-late' : 'show-overdue'; }",
        Output(f"{P}-overdue", "className"), Input(f"{P}-overdue-mode", "value"))

    @app.callback(
        Output(f"{P}-drawer", "className"), Output(f"{P}-drawer-title", "children"),
        Output(f"{P}-drawer-list", "children"), Output(f"{P}-drawer-detail", "children"),
        Input({"type": f"{P}-drill", "key": ALL, "at": ALL}, "n_clicks"),
        Input({"type": f"{P}-code", "code": ALL, "at": ALL}, "n_clicks"),
        Input(f"{P}-trend", "clickData"), Input(f"{P}-heatmap", "clickData"),
        Input(f"{P}-districts", "clickData"),
        Input(f"{P}-drawer-back", "n_clicks"), Input(f"{P}-drawer-close", "n_clicks"),
        Input(f"{P}-view", "data"), State(f"{P}-map-mode", "value"),
        prevent_initial_call=True)
    def on_click(_drills, _codes, trend_click, heat_click, map_click, _back, _close, view,
                 mode):
        value = ctx.triggered[0]["value"] if ctx.triggered else None
        return drawer(ctx.triggered_id, value, view, mode, trend_click, heat_click, map_click)

    @app.callback(
        Output({"type": ui.DIRECT_FEEDBACK, "code": ALL}, "children"),
        Output(f"{P}-drawer-detail", "children", allow_duplicate=True),
        Output(f"{P}-escalations", "children", allow_duplicate=True),
        Input({"type": ui.DIRECT_SEND, "code": ALL}, "n_clicks"),
        Input({"type": ui.DIRECT_RELOAD, "code": ALL}, "n_clicks"),
        State({"type": ui.DIRECT_PARAM, "code": ALL, "name": ALL}, "value"),
        State({"type": ui.DIRECT_VERSION, "code": ALL}, "data"),
        State(f"{P}-view", "data"), prevent_initial_call=True)
    def on_direct(_sends, _reloads, _params, _versions, view):
        if not (ctx.triggered and ctx.triggered[0]["value"]):
            raise PreventUpdate  # a form drawn anew, nothing clicked
        return direction_click(ctx.triggered_id, ctx.states_list[0], ctx.states_list[1],
                               ctx.outputs_list[0], view)

    @app.callback(Output(f"{P}-pack-request", "data"), Input(f"{P}-pack-month", "n_clicks"),
                  Input(f"{P}-pack-quarter", "n_clicks"), State(f"{P}-period", "value"),
                  State(f"{P}-field", "value"), State(f"{P}-district", "value"),
                  State(f"{P}-agency", "value"), prevent_initial_call=True)
    def on_pack(_month, _quarter, period, field, district, agency):
        if not (ctx.triggered and ctx.triggered[0]["value"]):
            raise PreventUpdate
        which = "quarter" if ctx.triggered_id == f"{P}-pack-quarter" else "month"
        return pack_request(which, period, field, district, agency)

    @app.callback(
        Output(f"{P}-pack-file", "data"), Output(f"{P}-pack-status", "children"),
        Input(f"{P}-pack-request", "data"), background=True, prevent_initial_call=True,
        progress=[Output(f"{P}-pack-progress", "value"), Output(f"{P}-pack-text", "children")],
        progress_default=["0", "Đang chuẩn bị…"],
        running=[(Output(f"{P}-pack-month", "disabled"), True, False),
                 (Output(f"{P}-pack-quarter", "disabled"), True, False),
                 (Output(f"{P}-pack-box", "className"), "pack-box running", "pack-box")],
        cancel=[Input(f"{P}-pack-cancel", "n_clicks")])
    def on_pack_request(set_progress, token):
        return pack_job(set_progress, token)

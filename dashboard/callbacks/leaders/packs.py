"""The monthly and quarterly report packs (D13.5): Word, Excel and CSV in one zip.

The report packs are made by a Dash background callback (diskcache or Celery, see
dashboard/app.py) in another process, where there is no signed-in session: the click is checked
here (access.require) and turned into a signed, short-lived request that the job verifies. The
job keeps the zip on disk for the requester (backend/services/kpis/pack_files.py) and answers with a
link that the browser follows at once: tens of megabytes never travel inside a callback answer.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dash import Dash, Input, Output, State, ctx, html, no_update
from dash.exceptions import PreventUpdate
from itsdangerous import BadSignature, URLSafeTimedSerializer

from backend.domain.roles import LEADERS_PAGE_ROLES
from backend.domain.workflow import WorkflowError
from backend.exports import pack as report_pack
from backend.services import kpis
from backend.services.kpis import leaders as service
from backend.web.settings import secret_key
from dashboard import access
from dashboard.callbacks.leaders.data import filters_label, selection
from dashboard.layouts.leaders.packs import pack_done
from dashboard.layouts.leaders.page import PREFIX

P = PREFIX
PACK_MAX_AGE = 900  # seconds a signed pack request stays valid
PACK_SALT = "ioc-leaders-pack"
PACK_URL = "/api/v1/packs"


def pack_periods(period: kpis.Period, now: datetime | None = None) -> tuple[kpis.Period, kpis.Period]:
    """(month, quarter) the two download buttons make: the month shown (or, with a quarter
    shown, its latest month begun) and the quarter holding it."""
    if period.kind == "month":
        month = period
    else:
        day = min(period.last_day, service.local_today(now))
        month = kpis.Period.month(day.year, day.month)
    return month, service.quarter_of(period)


def pack_hint(filters: kpis.Filters) -> str:
    label = filters_label(filters)
    return (f"Word, Excel và CSV trong một tệp .zip · theo bộ lọc: {label}" if label
            else "Word, Excel và CSV trong một tệp .zip · toàn tỉnh")


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key(), salt=PACK_SALT)


def pack_request(which: str, period_code: str | None, field: str | None, area: str | None,
                 unit: str | None, agency: str | None) -> str:
    """A signed request for the background job: the signed-in viewer asked for this pack
    (the page's filters: field, area, unit, agency)."""
    staff = access.require(*LEADERS_PAGE_ROLES)
    period, filters = selection(period_code, field, area, unit, agency)
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
    period = kpis.Period.parse(request["p"])
    filters = kpis.Filters(**request["f"])

    def progress(fraction: float, message: str) -> None:
        set_progress((str(max(1, min(100, round(fraction * 100)))), message))

    try:
        pack = report_pack.make_pack(period, filters, owner=request["u"], progress=progress)
    except WorkflowError as error:  # no longer allowed, or the disk is nearly full
        return no_update, html.Span(error.message, className="pack-error")
    href = f"{PACK_URL}/{pack.pack_id}"
    return {"href": href, "name": pack.name}, pack_done(pack.name, href, pack.size,
                                                        period.label_vi)


def register(app: Dash) -> None:
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

    @app.callback(Output(f"{P}-pack-request", "data"), Input(f"{P}-pack-month", "n_clicks"),
                  Input(f"{P}-pack-quarter", "n_clicks"), State(f"{P}-period", "value"),
                  State(f"{P}-field", "value"), State(f"{P}-area", "value"),
                  State(f"{P}-unit", "value"), State(f"{P}-agency", "value"),
                  prevent_initial_call=True)
    def on_pack(_month, _quarter, period, field, area, unit, agency):
        if not (ctx.triggered and ctx.triggered[0]["value"]):
            raise PreventUpdate
        which = "quarter" if ctx.triggered_id == f"{P}-pack-quarter" else "month"
        return pack_request(which, period, field, area, unit, agency)

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

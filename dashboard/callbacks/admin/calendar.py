"""The "Lịch làm việc" tab (drawn by `dashboard/layouts/admin/calendar.py`): working hours per
season, the holiday library, and the days the province turns into working days or days off
(they move every working-time deadline)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from dash import Dash, Input, Output, State
from dash.exceptions import PreventUpdate

from backend import vietnamese as vn
from backend.config import LOCAL_TZ
from backend.services.admin import calendar as admin_calendar
from dashboard.callbacks.admin.common import clock_text, form_write, load_tab, require_admin
from dashboard.layouts.admin.calendar import SEASONS

OVERRIDE_FORM = ("day", "note")
SEASON_INPUTS = [f"admin-season-{name}-{part}" for name, _label in SEASONS
                 for part in ("start", "end", "s1-from", "s1-to", "s2-from", "s2-to")]


def override_rows() -> list[dict[str, Any]]:
    return [{"day": o.day.isoformat(), "day_text": vn.date(o.day), "weekday": o.weekday,
             "working": o.working, "kind": "Ngày làm việc" if o.working else "Ngày nghỉ",
             "note": o.note or ""} for o in admin_calendar.list_overrides()]


def library_rows(year: int) -> list[dict[str, Any]]:
    return [{"day": d.day.isoformat(), "day_text": vn.date(d.day),
             "weekday": admin_calendar.WEEKDAYS[d.day.weekday()], "name": d.name}
            for d in admin_calendar.library_days(year)]


def season_inputs_from(values: Sequence[Any]) -> list[admin_calendar.SeasonInput]:
    """The season form's twelve inputs as the service's `SeasonInput`s (empty shifts dropped)."""
    seasons = []
    for n, (name, _label) in enumerate(SEASONS):
        start, end, a1, b1, a2, b2 = (str(v or "").strip() for v in values[n * 6:n * 6 + 6])
        shifts = tuple((a, b) for a, b in ((a1, b1), (a2, b2)) if a or b)
        seasons.append(admin_calendar.SeasonInput(name=name, start=start, end=end, shifts=shifts))
    return seasons


def season_total(values: Sequence[Any]) -> str:
    """'Tổng 8 giờ một ngày' under a season while its shifts are typed."""
    total = 0
    for a, b in ((values[0], values[1]), (values[2], values[3])):
        try:
            start = datetime.strptime(str(a).strip(), "%H:%M")
            end = datetime.strptime(str(b).strip(), "%H:%M")
        except ValueError:
            continue
        total += max(0, int((end - start).total_seconds() // 60))
    if not total:
        return ""
    text = clock_text(total)
    return f"Tổng {text} một ngày" + ("" if total == vn.WORKDAY_MINUTES
                                      else " - cần đủ 8 giờ")


def register(app: Dash) -> None:
    register_seasons(app)
    register_days(app)


def register_seasons(app: Dash) -> None:
    """The tab's data, the seasons' hours and their daily totals."""

    dup = {"allow_duplicate": True}

    @app.callback(*[Output(i, "value") for i in SEASON_INPUTS],
                  Output("admin-seasons-source", "children"),
                  Output("admin-overrides-grid", "rowData"),
                  Output("admin-library-year", "options"), Output("admin-library-year", "value"),
                  Input("admin-tabs", "value"), Input("admin-version", "data"))
    def load_calendar(tab, _version):
        load_tab(tab, "calendar")
        seasons = {s.name: s for s in admin_calendar.list_seasons()}
        values: list[Any] = []
        source = "Theo cấu hình mặc định"
        for name, _label in SEASONS:
            s = seasons.get(name)
            if s is None:
                values += [None] * 6
                continue
            source = "Theo cấu hình mặc định" if s.from_file else "Đã điều chỉnh"
            shifts = list(s.shifts) + [("", "")] * (2 - len(s.shifts))
            values += [s.start, s.end, shifts[0][0], shifts[0][1], shifts[1][0], shifts[1][1]]
        this_year = datetime.now(LOCAL_TZ).year
        years = [{"label": str(y), "value": y} for y in range(this_year - 2, this_year + 3)]
        return (*values, source, override_rows(), years, this_year)

    @app.callback(*[Output(f"admin-season-{name}-total", "children") for name, _ in SEASONS],
                  *[Input(i, "value") for i in SEASON_INPUTS])
    def season_totals(*values):
        require_admin()
        return [season_total(values[n * 6 + 2:n * 6 + 6]) for n in range(len(SEASONS))]

    @app.callback(Output("admin-seasons-error", "children", **dup),
                  Output("admin-version", "data", **dup), Output("admin-flash", "children", **dup),
                  Input("admin-seasons-save", "n_clicks"),
                  *[State(i, "value") for i in SEASON_INPUTS], prevent_initial_call=True)
    def save_seasons(_n, *values):
        staff = require_admin()
        return form_write((), lambda: admin_calendar.set_seasons(staff.actor(),
                                                                 season_inputs_from(values)),
                          lambda _: "Đã lưu giờ làm việc; thời hạn tính từ nay theo giờ mới.")


def register_days(app: Dash) -> None:
    """The holiday library of a year; the override days, added or removed."""

    dup = {"allow_duplicate": True}

    @app.callback(Output("admin-library-grid", "rowData"),
                  Input("admin-library-year", "value"), prevent_initial_call=True)
    def load_library(year):
        require_admin()
        if not year:
            raise PreventUpdate
        return library_rows(int(year))

    @app.callback(Output("admin-override-remove", "disabled"),
                  Input("admin-overrides-grid", "selectedRows"))
    def override_selected(rows):
        require_admin()
        return not rows

    @app.callback(*[Output(f"admin-override-{f}-error", "children") for f in OVERRIDE_FORM],
                  Output("admin-override-error", "children"),
                  Output("admin-override-day", "value"), Output("admin-override-note", "value"),
                  Output("admin-version", "data", **dup), Output("admin-flash", "children", **dup),
                  Input("admin-override-submit", "n_clicks"),
                  State("admin-override-day", "value"), State("admin-override-kind", "value"),
                  State("admin-override-note", "value"), prevent_initial_call=True)
    def add_override(_n, day, kind, note):
        staff = require_admin()
        return form_write(OVERRIDE_FORM, lambda: admin_calendar.add_override(
            staff.actor(), day or "", kind == "working", note or ""),
            lambda row: f"Đã thêm {admin_calendar.day_text(row.day)} là "
                        f"{'ngày làm việc' if row.working else 'ngày nghỉ'}.", cleared=2)

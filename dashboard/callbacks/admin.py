"""Administration `/admin`: thin callbacks over `backend.services.admin` and `admin_calendar`.

Each tab's grid is (re)loaded when the tab is shown and after every change (`admin-version`).
A write calls one service; a refusal (`ValidationError`) is shown under the form field it names,
anything else under the form. Destructive changes (lock an account, stop a field, delete a rule,
remove an override day, reset budgets or seasons) are asked for through `admin-confirm` and done
only when confirmed. Every callback starts with `access.require("admin")`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

from dash import Dash, Input, Output, Patch, State, ctx, html, no_update
from dash.exceptions import PreventUpdate

from backend.config import LOCAL_TZ
from backend.domain.workflow import WorkflowError
from backend.services import admin, admin_calendar, admin_catalogue, catalogue
from backend.services.auth import AGENCY_ROLES, StaffUser
from dashboard import access
from dashboard.format import clause, date_time, number
from dashboard.format import date as format_date
from dashboard.layouts.admin import SEASONS
from dashboard.lookups import option
from geo.boundaries import short_district_name

ROLE = "admin"
T = TypeVar("T")
AGENCY_KINDS = {"so": "Sở, ngành", "ubnd": "UBND huyện", "doanh_nghiep": "Doanh nghiệp",
                "cong_an": "Công an"}
KEY_LABELS = {
    "full_name": "Họ tên", "role": "Vai trò", "agency": "Cơ quan", "active": "Trạng thái",
    "process_minutes": "Thời hạn xử lý (phút)", "email": "Thư điện tử", "phone": "Điện thoại",
    "leader": "Lãnh đạo đầu mối", "handler": "Người xử lý đầu mối",
    "leader_title": "Chức vụ lãnh đạo", "handler_title": "Chức vụ người xử lý",
    "name": "Tên", "group_name": "Nhóm", "description": "Mô tả", "keywords": "Từ khóa",
    "default_agency": "Cơ quan mặc định", "field": "Lĩnh vực", "district": "Địa bàn",
    "priority": "Ưu tiên", "note": "Ghi chú", "minutes": "Phút làm việc",
    "emergency_minutes": "Phút khẩn cấp", "working": "Loại ngày", "summer": "Mùa hè",
    "winter": "Mùa đông",
}
USER_FORM = ("username", "full_name", "role", "agency", "password")
USER_EDIT = ("full_name", "role", "agency")
AGENCY_FORM = ("process_minutes", "email", "phone")
FOCAL_FORM = ("leader", "leader_title", "handler", "handler_title")
FIELD_FORM = ("code", "name", "group_name", "default_agency", "keywords")
FIELD_EDIT = ("name", "group_name", "keywords", "description")
RULE_FORM = ("field", "district", "agency", "priority", "note")
BUDGET_FORM = ("minutes", "emergency_minutes")
OVERRIDE_FORM = ("day", "note")


def _admin() -> StaffUser:
    return access.require(ROLE)


# --------------------------------------------------------------------------- shared helpers


def slots(fields: Sequence[str], error: WorkflowError | None) -> list[str]:
    """One message per field's error line and, last, the form's own line."""
    out = [""] * (len(fields) + 1)
    if error is not None:
        where = (fields.index(error.field)
                 if error.field in fields and error.code != "unchanged" else len(fields))
        out[where] = error.message
    return out


def form_write(form: Sequence[str], write: Callable[[], T], message: Callable[[T], str],
               cleared: int = 0) -> tuple:
    """One service write behind a form: (the form's error lines..., `cleared` inputs emptied,
    `admin-version`, `admin-flash`). A refusal fills the error line of the field it names and
    changes nothing else."""
    try:
        item = write()
    except WorkflowError as error:
        return (*slots(form, error), *[no_update] * (cleared + 2))
    return (*slots(form, None), *[""] * cleared, version(), flash(message(item)))


def first_selected(rows: list[dict[str, Any]] | None, key: str) -> Any:
    """The key of the grid's selected row; nothing happens without one."""
    if not rows:
        raise PreventUpdate
    return rows[0][key]


def flash(text: str, ok: bool = True) -> html.Div:
    return html.Div(className="flash " + ("ok" if ok else "bad"), children=[
        html.Span("✓" if ok else "!", className="flash-icon"), html.Span(text)])


def version() -> float:
    """A new value for `admin-version`: every tab that shows reloads."""
    return datetime.now(UTC).timestamp()


# Keys whose values are stored as codes: the log shows the name (agency short name, field name,
# district) instead of "dien_luc".
CODED_KEYS = ("agency", "default_agency", "field", "district")


def code_names() -> dict[str, dict[str, str]]:
    """Code → name for every coded key, read once per list of changes (inactive ones too: the log
    keeps what was)."""
    agencies = {a.code: a.short_name or a.name
                for a in catalogue.list_agencies(active_only=False)}
    return {"agency": agencies, "default_agency": agencies,
            "field": {f.code: f.name for f in catalogue.list_fields(active_only=False)},
            "district": {code: short_district_name(name)
                         for code, name in catalogue.district_names().items()}}


def _coded(data: dict[str, Any]) -> bool:
    sides = [data.get("before") or {}, data.get("after") or {}]
    return bool(data.get("focal_removed")) or any(
        key in side for side in sides if isinstance(side, dict) for key in CODED_KEYS)


def _show(key: str, value: Any, names: dict[str, dict[str, str]] | None = None) -> str:
    if key == "district" and value is None:
        return "mọi địa bàn"
    if value is None or value == "":
        return "(trống)"
    if names and key in names and isinstance(value, str):
        return names[key].get(value, value)
    if key == "role":
        return admin.ROLE_LABELS.get(value, value)
    if key == "active":
        return "hoạt động" if value else "ngừng"
    if key == "working":
        return "ngày làm việc" if value else "ngày nghỉ"
    if isinstance(value, dict):
        return ", ".join(f"{KEY_LABELS.get(k, k)} {_show(k, v, names)}" for k, v in value.items())
    return str(value)


def describe(data: dict[str, Any], names: dict[str, dict[str, str]] | None = None) -> str:
    """'Vai trò: Người xử lý cơ quan → Lãnh đạo đơn vị; Cơ quan: Điện lực Thái Nguyên' from an
    event's before/after; codes are shown by name (`names`, looked up when not given)."""
    before, after = data.get("before") or {}, data.get("after") or {}
    if names is None and _coded(data):
        names = code_names()
    parts = []
    for key in dict.fromkeys([*before, *after]):
        label = KEY_LABELS.get(key, key)
        if key in before and key in after:
            parts.append(f"{label}: {_show(key, before[key], names)} → "
                         f"{_show(key, after[key], names)}")
        elif key in after:
            parts.append(f"{label}: {_show(key, after[key], names)}")
        else:
            parts.append(f"{label}: {_show(key, before[key], names)} (bỏ)")
    for point in data.get("focal_removed", []):
        parts.append(f"Bỏ vai trò đầu mối tại {_show('agency', point['agency'], names)}")
    if data.get("sessions_ended"):
        parts.append(f"Kết thúc {data['sessions_ended']} phiên đăng nhập")
    return "; ".join(parts)


def _minutes_text(minutes: int) -> str:
    """Working time: 480 -> '1 ngày', 240 -> '4 giờ', 90 -> '1 giờ 30 phút' (a working day is
    480 minutes)."""
    if minutes >= 480 and minutes % 480 == 0:
        return f"{minutes // 480} ngày"
    return _clock_text(minutes)


def _clock_text(minutes: int) -> str:
    """Clock time: 1440 -> '24 giờ', 90 -> '1 giờ 30 phút', 45 -> '45 phút'."""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} phút"
    return f"{hours} giờ" + (f" {rest} phút" if rest else "")


# --------------------------------------------------------------------------- rows for grids


def user_rows() -> list[dict[str, Any]]:
    rows = []
    for u in admin.list_users():
        row = asdict(u)
        row["created"] = format_date(u.created_at)
        row["status"] = ("Đã khóa" if not u.active else
                         "Hoạt động" if u.can_sign_in else "Chưa có mật khẩu")
        del row["created_at"]
        rows.append(row)
    return rows


def agency_options(active_only: bool = True) -> list[dict[str, str]]:
    return [option(a.short_name, a.code) for a in admin.list_agencies()
            if a.active or not active_only]


def _person(point: admin.FocalPerson | None, name: str | None) -> str:
    if point is not None:
        return f"{point.full_name or point.username} ({point.username})"
    return name or "Chưa có"


def agency_rows() -> list[dict[str, Any]]:
    rows = []
    for a in admin.list_agencies():
        missing = [label for label, point in (("lãnh đạo", a.leader), ("người xử lý", a.handler))
                   if point is None]
        status = ("Đủ" if not missing else "Thiếu cả hai" if len(missing) == 2
                  else f"Thiếu {missing[0]}")
        rows.append({
            "code": a.code, "name": a.name, "short_name": a.short_name,
            "kind_label": AGENCY_KINDS.get(a.kind, a.kind),
            "process": _minutes_text(a.process_minutes), "process_minutes": a.process_minutes,
            "leader_text": _person(a.leader, a.leader_name),
            "handler_text": _person(a.handler, a.handler_name),
            "leader": a.leader.username if a.leader else None,
            "handler": a.handler.username if a.handler else None,
            "leader_title": a.leader_title, "handler_title": a.handler_title,
            "email": a.email, "phone": a.phone, "users": a.users,
            "focal_status": status,
            "focal_hint": ("Đã gắn tài khoản cho cả lãnh đạo và người xử lý đầu mối."
                           if not missing else "Chưa gắn tài khoản cho " + " và ".join(missing)
                           + " đầu mối (tên trong danh mục chưa phải tài khoản)."),
        })
    return rows


def field_rows() -> list[dict[str, Any]]:
    rows = []
    for f in admin_catalogue.list_fields():
        row = asdict(f)
        row["status"] = "Đang nhận" if f.active else "Ngừng nhận"
        row["keywords"] = "; ".join((f.keywords or "").split(";")) if f.keywords else ""
        rows.append(row)
    return rows


def rule_rows(field_code: str | None = None) -> list[dict[str, Any]]:
    rows = []
    for r in admin_catalogue.list_routing_rules():
        if field_code and r.field_code != field_code:
            continue
        row = asdict(r)
        row["district"] = r.district_name or "Mọi địa bàn"
        rows.append(row)
    return rows


def budget_rows() -> list[dict[str, Any]]:
    rows = []
    for b in admin_calendar.list_stage_budgets():
        row = asdict(b)
        row.pop("updated_at")
        row["normal"] = _minutes_text(b.minutes)
        row["clause"] = clause(b.clause)
        row["legal"] = _minutes_text(b.legal_minutes)
        row["emergency"] = _clock_text(b.emergency_minutes)
        row["source"] = (f"Điều chỉnh bởi {b.updated_by}, {date_time(b.updated_at)}"
                         if b.changed else "Theo cấu hình mặc định (mức của Quy chế)")
        rows.append(row)
    return rows


def override_rows() -> list[dict[str, Any]]:
    return [{"day": o.day.isoformat(), "day_text": f"{o.day:%d/%m/%Y}", "weekday": o.weekday,
             "working": o.working, "kind": "Ngày làm việc" if o.working else "Ngày nghỉ",
             "note": o.note or ""} for o in admin_calendar.list_overrides()]


def library_rows(year: int) -> list[dict[str, Any]]:
    return [{"day": d.day.isoformat(), "day_text": f"{d.day:%d/%m/%Y}",
             "weekday": admin_calendar.WEEKDAYS[d.day.weekday()], "name": d.name}
            for d in admin_calendar.library_days(year)]


def log_rows() -> list[dict[str, Any]]:
    changes = admin.list_changes()
    names = code_names() if any(_coded(c.data) for c in changes) else None
    return [{"seq": c.seq, "at_text": date_time(c.at), "actor": c.actor,
             "action_label": c.action_label, "note": c.note or "",
             "details": describe(c.data, names or {})}
            for c in changes]


def _selected(rows: list[dict] | None, fresh: list[dict] | None, key: str) -> dict | None:
    """The selected row as the grid's latest data has it (after a save, the fresh values)."""
    if not rows:
        return None
    wanted = rows[0].get(key)
    return next((r for r in fresh or [] if r.get(key) == wanted), rows[0])


def quick_filter(text: str | None) -> Patch:
    patch = Patch()
    patch["quickFilterText"] = text or ""
    return patch


# --------------------------------------------------------------------------- loaders


def load_tab(tab: str | None, name: str) -> None:
    _admin()
    if tab != name:
        raise PreventUpdate


def register(app: Dash) -> None:  # noqa: C901 (one page, many small callbacks)
    dup = {"allow_duplicate": True}

    for grid_id in ("users", "agencies", "fields", "log"):
        app.callback(Output(f"admin-{grid_id}-grid", "dashGridOptions"),
                     Input(f"admin-{grid_id}-search", "value"),
                     prevent_initial_call=True)(_filter_callback())

    # ---------------------------------------------------------------- users

    @app.callback(Output("admin-users-grid", "rowData"),
                  Output("admin-user-new-agency", "options"),
                  Output("admin-user-edit-agency", "options"),
                  Input("admin-tabs", "value"), Input("admin-version", "data"))
    def load_users(tab, _version):
        load_tab(tab, "users")
        options = agency_options()
        return user_rows(), options, options

    for form in ("new", "edit"):
        app.callback(Output(f"admin-user-{form}-agency", "disabled"),
                     Output(f"admin-user-{form}-agency", "value", allow_duplicate=True),
                     Input(f"admin-user-{form}-role", "value"),
                     State(f"admin-user-{form}-agency", "value"),
                     prevent_initial_call=True)(role_changed)

    @app.callback(Output("admin-user-selected", "children"), Output("admin-user-edit", "hidden"),
                  Output("admin-user-edit-full_name", "value"),
                  Output("admin-user-edit-role", "value"),
                  Output("admin-user-edit-agency", "value"),
                  Output("admin-user-disable", "hidden"), Output("admin-user-enable", "hidden"),
                  Output("admin-user-pw-result", "children"),
                  Input("admin-users-grid", "selectedRows"), Input("admin-users-grid", "rowData"))
    def user_selected(rows, fresh):
        _admin()
        row = _selected(rows, fresh, "username")
        # a temporary password stays on screen after the save reloads the grid, not once
        # another account is chosen
        secret = no_update if "admin-users-grid.rowData" in ctx.triggered_prop_ids else ""
        if row is None:
            return "Chưa chọn tài khoản nào.", True, None, None, None, True, True, secret
        title = html.Div(className="selected", children=[
            html.Strong(row["username"]), html.Span(f" · {row['role_label']}"),
            html.Span(f" · {row['agency_name']}" if row.get("agency_name") else ""),
            html.Span(row["status"], className="badge " + (
                "bad" if not row["active"] else "good" if row["can_sign_in"] else "")),
        ])
        return (title, False, row["full_name"], row["role"], row["agency_code"],
                not row["active"], bool(row["active"]), secret)

    @app.callback(*[Output(f"admin-user-new-{f}-error", "children") for f in USER_FORM],
                  Output("admin-user-new-error", "children"),
                  Output("admin-user-new-username", "value"),
                  Output("admin-user-new-full_name", "value"),
                  Output("admin-user-new-password", "value"),
                  Output("admin-version", "data", **dup), Output("admin-flash", "children", **dup),
                  Input("admin-user-new-submit", "n_clicks"),
                  State("admin-user-new-username", "value"),
                  State("admin-user-new-full_name", "value"),
                  State("admin-user-new-role", "value"), State("admin-user-new-agency", "value"),
                  State("admin-user-new-password", "value"), prevent_initial_call=True)
    def create_user(_n, username, full_name, role, agency, password):
        staff = _admin()
        return form_write(USER_FORM, lambda: admin.create_user(
            staff.actor(), username=username or "", full_name=full_name or "", role=role or "",
            agency_code=agency, password=password or ""),
            lambda user: f"Đã tạo tài khoản {user.username} ({user.role_label}).", cleared=3)

    @app.callback(*[Output(f"admin-user-edit-{f}-error", "children") for f in USER_EDIT],
                  Output("admin-user-edit-error", "children", **dup),
                  Output("admin-version", "data", **dup), Output("admin-flash", "children", **dup),
                  Input("admin-user-edit-save", "n_clicks"),
                  State("admin-users-grid", "selectedRows"),
                  State("admin-user-edit-full_name", "value"),
                  State("admin-user-edit-role", "value"), State("admin-user-edit-agency", "value"),
                  prevent_initial_call=True)
    def update_user(_n, rows, full_name, role, agency):
        staff = _admin()
        username = first_selected(rows, "username")
        return form_write(USER_EDIT, lambda: admin.update_user(
            staff.actor(), username, full_name=full_name or "", role=role or "",
            agency_code=agency), lambda user: f"Đã lưu tài khoản {user.username}.")

    @app.callback(Output("admin-user-pw-error", "children"),
                  Output("admin-user-pw-result", "children", **dup),
                  Output("admin-user-pw", "value"),
                  Output("admin-version", "data", **dup), Output("admin-flash", "children", **dup),
                  Input("admin-user-pw-submit", "n_clicks"),
                  State("admin-users-grid", "selectedRows"), State("admin-user-pw", "value"),
                  prevent_initial_call=True)
    def reset_password(_n, rows, password):
        staff = _admin()
        if not rows:
            raise PreventUpdate
        username = rows[0]["username"]
        generated = not password
        password = password or admin.generate_password()
        try:
            admin.reset_password(staff.actor(), username, password)
        except WorkflowError as error:
            return error.message, "", no_update, no_update, no_update
        shown = (["Mật khẩu tạm cho ", html.Strong(username), ": ", html.Code(password),
                  " (chỉ hiện một lần; hãy trao trực tiếp)"] if generated else "")
        return "", shown, "", version(), flash(f"Đã đặt lại mật khẩu cho {username}.")

    @app.callback(Output("admin-user-edit-error", "children", **dup),
                  Output("admin-version", "data", **dup), Output("admin-flash", "children", **dup),
                  Input("admin-user-enable", "n_clicks"),
                  State("admin-users-grid", "selectedRows"), prevent_initial_call=True)
    def enable_user(_n, rows):
        staff = _admin()
        username = first_selected(rows, "username")
        return form_write((), lambda: admin.enable_user(staff.actor(), username),
                          lambda user: f"Đã mở khóa tài khoản {user.username}.")

    # ---------------------------------------------------------------- agencies

    @app.callback(Output("admin-agencies-grid", "rowData"),
                  Input("admin-tabs", "value"), Input("admin-version", "data"))
    def load_agencies(tab, _version):
        load_tab(tab, "agencies")
        return agency_rows()

    @app.callback(Output("admin-agency-selected", "children"),
                  Output("admin-agency-edit", "hidden"),
                  Output("admin-agency-leader", "options"), Output("admin-agency-leader", "value"),
                  Output("admin-agency-leader_title", "value"),
                  Output("admin-agency-handler", "options"),
                  Output("admin-agency-handler", "value"),
                  Output("admin-agency-handler_title", "value"),
                  Output("admin-agency-process_minutes", "value"),
                  Output("admin-agency-email", "value"), Output("admin-agency-phone", "value"),
                  Input("admin-agencies-grid", "selectedRows"),
                  Input("admin-agencies-grid", "rowData"))
    def agency_selected(rows, fresh):
        _admin()
        row = _selected(rows, fresh, "code")
        if row is None:
            return ("Chưa chọn cơ quan nào.", True, [], None, None, [], None, None, None, None,
                    None)
        candidates = admin.focal_candidates(row["code"])
        options = {kind: [option(f"{u.full_name or u.username} ({u.username})", u.username)
                          for u in users]
                   for kind, users in candidates.items()}
        title = html.Div(className="selected", children=[
            html.Strong(row["name"]),
            html.Span(row["focal_status"], className="badge " + (
                "good" if row["focal_status"] == "Đủ" else "warn")),
            html.Div(f"{row['focal_hint']} Cơ quan có {row['users']} tài khoản đang hoạt động; "
                     "danh sách chọn chỉ gồm tài khoản đúng vai trò của cơ quan này.",
                     className="hint"),
        ])
        return (title, False, options["leader"], row["leader"], row["leader_title"],
                options["handler"], row["handler"], row["handler_title"],
                row["process_minutes"], row["email"], row["phone"])

    @app.callback(*[Output(f"admin-agency-{f}-error", "children") for f in FOCAL_FORM],
                  Output("admin-agency-focal-error", "children"),
                  Output("admin-version", "data", **dup), Output("admin-flash", "children", **dup),
                  Input("admin-agency-focal-save", "n_clicks"),
                  State("admin-agencies-grid", "selectedRows"),
                  State("admin-agency-leader", "value"),
                  State("admin-agency-leader_title", "value"),
                  State("admin-agency-handler", "value"),
                  State("admin-agency-handler_title", "value"), prevent_initial_call=True)
    def save_focal(_n, rows, leader, leader_title, handler, handler_title):
        staff = _admin()
        code = first_selected(rows, "code")
        return form_write(FOCAL_FORM, lambda: admin.set_focal_points(
            staff.actor(), code, leader=leader, leader_title=leader_title, handler=handler,
            handler_title=handler_title), lambda agency: f"Đã lưu đầu mối của {agency.short_name}.")

    @app.callback(*[Output(f"admin-agency-{f}-error", "children") for f in AGENCY_FORM],
                  Output("admin-agency-error", "children"),
                  Output("admin-version", "data", **dup), Output("admin-flash", "children", **dup),
                  Input("admin-agency-save", "n_clicks"),
                  State("admin-agencies-grid", "selectedRows"),
                  State("admin-agency-process_minutes", "value"),
                  State("admin-agency-email", "value"), State("admin-agency-phone", "value"),
                  prevent_initial_call=True)
    def save_agency(_n, rows, minutes, email, phone):
        staff = _admin()
        code = first_selected(rows, "code")
        return form_write(AGENCY_FORM, lambda: admin.update_agency(
            staff.actor(), code, process_minutes=minutes if minutes is not None else "",
            email=email, phone=phone), lambda agency: f"Đã lưu thông tin {agency.short_name}.")

    # ---------------------------------------------------------------- fields and routing

    @app.callback(Output("admin-fields-grid", "rowData"),
                  Output("admin-field-new-default_agency", "options"),
                  Output("admin-rules-filter", "options"),
                  Output("admin-rule-new-field", "options"),
                  Output("admin-rule-new-district", "options"),
                  Output("admin-rule-new-agency", "options"),
                  Input("admin-tabs", "value"), Input("admin-version", "data"))
    def load_fields(tab, _version):
        load_tab(tab, "fields")
        fields = field_rows()
        field_options = [option(f["name"] + ("" if f["active"] else " (ngừng)"), f["code"])
                         for f in sorted(fields, key=lambda f: f["name"])]
        agencies = agency_options()
        districts = [option(name, code) for code, name in admin_catalogue.district_choices()]
        return fields, agencies, field_options, field_options, districts, agencies

    @app.callback(Output("admin-rules-grid", "rowData"),
                  Input("admin-tabs", "value"), Input("admin-version", "data"),
                  Input("admin-rules-filter", "value"))
    def load_rules(tab, _version, field_code):
        load_tab(tab, "fields")
        return rule_rows(field_code)

    @app.callback(Output("admin-field-selected", "children"), Output("admin-field-edit", "hidden"),
                  *[Output(f"admin-field-edit-{f}", "value") for f in FIELD_EDIT],
                  Output("admin-field-deactivate", "hidden"),
                  Output("admin-field-activate", "hidden"),
                  Input("admin-fields-grid", "selectedRows"), Input("admin-fields-grid", "rowData"))
    def field_selected(rows, fresh):
        _admin()
        row = _selected(rows, fresh, "code")
        if row is None:
            return ("Chọn một lĩnh vực để đổi tên, sửa hoặc ngừng nhận.", True,
                    None, None, None, None, True, True)
        title = html.Div(className="selected", children=[
            html.Strong(row["name"]), html.Span(f" · mã {row['code']}"),
            html.Span(row["status"], className="badge " + ("good" if row["active"] else "bad")),
            html.Div(f"{number(row['open_reports'])} phản ánh đang mở; {row['rules']} quy tắc "
                     "phân phối.", className="hint"),
        ])
        return (title, False, row["name"], row["group_name"], row["keywords"],
                row["description"], not row["active"], bool(row["active"]))

    @app.callback(*[Output(f"admin-field-new-{f}-error", "children") for f in FIELD_FORM],
                  Output("admin-field-new-error", "children"),
                  *[Output(f"admin-field-new-{f}", "value") for f in
                    ("code", "name", "group_name", "keywords")],
                  Output("admin-version", "data", **dup), Output("admin-flash", "children", **dup),
                  Input("admin-field-new-submit", "n_clicks"),
                  *[State(f"admin-field-new-{f}", "value") for f in FIELD_FORM],
                  prevent_initial_call=True)
    def create_field(_n, code, name, group_name, default_agency, keywords):
        staff = _admin()
        return form_write(FIELD_FORM, lambda: admin_catalogue.create_field(
            staff.actor(), code=code or "", name=name or "", group_name=group_name or "",
            default_agency=default_agency or "", keywords=keywords),
            lambda item: f"Đã thêm lĩnh vực {item.name}; quy tắc chung chuyển cho "
                         f"{item.default_agency_name}.", cleared=4)

    @app.callback(*[Output(f"admin-field-edit-{f}-error", "children") for f in FIELD_EDIT],
                  Output("admin-field-edit-error", "children", **dup),
                  Output("admin-version", "data", **dup), Output("admin-flash", "children", **dup),
                  Input("admin-field-edit-save", "n_clicks"),
                  State("admin-fields-grid", "selectedRows"),
                  *[State(f"admin-field-edit-{f}", "value") for f in FIELD_EDIT],
                  prevent_initial_call=True)
    def update_field(_n, rows, name, group_name, keywords, description):
        staff = _admin()
        code = first_selected(rows, "code")
        return form_write(FIELD_EDIT, lambda: admin_catalogue.update_field(
            staff.actor(), code, name=name or "", group_name=group_name or "",
            description=description, keywords=keywords),
            lambda item: f"Đã lưu lĩnh vực {item.name}.")

    @app.callback(Output("admin-field-edit-error", "children", **dup),
                  Output("admin-version", "data", **dup), Output("admin-flash", "children", **dup),
                  Input("admin-field-activate", "n_clicks"),
                  State("admin-fields-grid", "selectedRows"), prevent_initial_call=True)
    def activate_field(_n, rows):
        staff = _admin()
        code = first_selected(rows, "code")
        return form_write((), lambda: admin_catalogue.set_field_active(staff.actor(), code, True),
                          lambda item: f"Lĩnh vực {item.name} nhận phản ánh trở lại.")

    @app.callback(Output("admin-rule-delete", "disabled"),
                  Input("admin-rules-grid", "selectedRows"))
    def rule_selected(rows):
        _admin()
        return not rows

    @app.callback(*[Output(f"admin-rule-new-{f}-error", "children") for f in RULE_FORM],
                  Output("admin-rule-new-error", "children"),
                  Output("admin-rule-new-note", "value"),
                  Output("admin-version", "data", **dup), Output("admin-flash", "children", **dup),
                  Input("admin-rule-new-submit", "n_clicks"),
                  *[State(f"admin-rule-new-{f}", "value") for f in RULE_FORM],
                  prevent_initial_call=True)
    def add_rule(_n, field_code, district, agency, priority, note):
        staff = _admin()
        return form_write(RULE_FORM, lambda: admin_catalogue.add_routing_rule(
            staff.actor(), field_code=field_code or "", district_code=district,
            agency_code=agency or "", priority="" if priority is None else priority, note=note),
            lambda rule: f"Đã thêm quy tắc {rule.field_name}, "
                         f"{rule.district_name or 'mọi địa bàn'} → {rule.agency_name}.",
            cleared=1)

    # ---------------------------------------------------------------- stage budgets

    @app.callback(Output("admin-budgets-grid", "rowData"),
                  Input("admin-tabs", "value"), Input("admin-version", "data"))
    def load_budgets(tab, _version):
        load_tab(tab, "budgets")
        return budget_rows()

    @app.callback(Output("admin-budget-selected", "children"),
                  Output("admin-budget-edit", "hidden"),
                  Output("admin-budget-minutes", "value"),
                  Output("admin-budget-emergency_minutes", "value"),
                  Input("admin-budgets-grid", "selectedRows"),
                  Input("admin-budgets-grid", "rowData"))
    def budget_selected(rows, fresh):
        _admin()
        row = _selected(rows, fresh, "stage")
        if row is None:
            return "Chọn một bước để điều chỉnh.", True, None, None
        title = html.Div(className="selected", children=[
            html.Strong(f"{row['name_vi']} ({row['clause']})"),
            html.Div(f"Quy chế: tối đa {row['legal']} làm việc; khẩn cấp mặc định "
                     f"{_clock_text(row['file_emergency_minutes'])} đồng hồ.", className="hint"),
        ])
        return title, False, row["minutes"], row["emergency_minutes"]

    @app.callback(Output("admin-budget-example", "children"),
                  Input("admin-budget-minutes", "value"),
                  Input("admin-budget-emergency_minutes", "value"),
                  prevent_initial_call=True)
    def budget_example(minutes, emergency):
        _admin()
        return budget_example_text(minutes, emergency)

    @app.callback(*[Output(f"admin-budget-{f}-error", "children") for f in BUDGET_FORM],
                  Output("admin-budget-error", "children", **dup),
                  Output("admin-version", "data", **dup), Output("admin-flash", "children", **dup),
                  Input("admin-budget-save", "n_clicks"),
                  State("admin-budgets-grid", "selectedRows"),
                  State("admin-budget-minutes", "value"),
                  State("admin-budget-emergency_minutes", "value"), prevent_initial_call=True)
    def save_budget(_n, rows, minutes, emergency):
        staff = _admin()
        stage = first_selected(rows, "stage")
        return form_write(BUDGET_FORM, lambda: admin_calendar.set_stage_budget(
            staff.actor(), stage, minutes="" if minutes is None else minutes,
            emergency_minutes="" if emergency is None else emergency),
            lambda row: f"Đã lưu thời hạn bước {row.name_vi}: {_minutes_text(row.minutes)} làm "
                        f"việc, khẩn cấp {_clock_text(row.emergency_minutes)}.")

    # ---------------------------------------------------------------- calendar

    season_inputs = [f"admin-season-{name}-{part}" for name, _label in SEASONS
                     for part in ("start", "end", "s1-from", "s1-to", "s2-from", "s2-to")]

    @app.callback(*[Output(i, "value") for i in season_inputs],
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
                  *[Input(i, "value") for i in season_inputs])
    def season_totals(*values):
        _admin()
        return [season_total(values[n * 6 + 2:n * 6 + 6]) for n in range(len(SEASONS))]

    @app.callback(Output("admin-library-grid", "rowData"),
                  Input("admin-library-year", "value"), prevent_initial_call=True)
    def load_library(year):
        _admin()
        if not year:
            raise PreventUpdate
        return library_rows(int(year))

    @app.callback(Output("admin-seasons-error", "children", **dup),
                  Output("admin-version", "data", **dup), Output("admin-flash", "children", **dup),
                  Input("admin-seasons-save", "n_clicks"),
                  *[State(i, "value") for i in season_inputs], prevent_initial_call=True)
    def save_seasons(_n, *values):
        staff = _admin()
        return form_write((), lambda: admin_calendar.set_seasons(staff.actor(),
                                                                 season_inputs_from(values)),
                          lambda _: "Đã lưu giờ làm việc; thời hạn tính từ nay theo giờ mới.")

    @app.callback(Output("admin-override-remove", "disabled"),
                  Input("admin-overrides-grid", "selectedRows"))
    def override_selected(rows):
        _admin()
        return not rows

    @app.callback(*[Output(f"admin-override-{f}-error", "children") for f in OVERRIDE_FORM],
                  Output("admin-override-error", "children"),
                  Output("admin-override-day", "value"), Output("admin-override-note", "value"),
                  Output("admin-version", "data", **dup), Output("admin-flash", "children", **dup),
                  Input("admin-override-submit", "n_clicks"),
                  State("admin-override-day", "value"), State("admin-override-kind", "value"),
                  State("admin-override-note", "value"), prevent_initial_call=True)
    def add_override(_n, day, kind, note):
        staff = _admin()
        return form_write(OVERRIDE_FORM, lambda: admin_calendar.add_override(
            staff.actor(), day or "", kind == "working", note or ""),
            lambda row: f"Đã thêm {admin_calendar.day_text(row.day)} là "
                        f"{'ngày làm việc' if row.working else 'ngày nghỉ'}.", cleared=2)

    # ---------------------------------------------------------------- log

    @app.callback(Output("admin-log-grid", "rowData"),
                  Input("admin-tabs", "value"), Input("admin-version", "data"))
    def load_log(tab, _version):
        load_tab(tab, "log")
        return log_rows()

    # ---------------------------------------------------------------- confirmations

    @app.callback(Output("admin-confirm", "displayed"), Output("admin-confirm", "message"),
                  Output("admin-pending", "data"),
                  *[Input(button, "n_clicks") for button in CONFIRM_BUTTONS],
                  State("admin-users-grid", "selectedRows"),
                  State("admin-fields-grid", "selectedRows"),
                  State("admin-rules-grid", "selectedRows"),
                  State("admin-overrides-grid", "selectedRows"),
                  State("admin-budgets-grid", "selectedRows"), prevent_initial_call=True)
    def ask(*args):
        _admin()
        users, fields, rules, overrides, budgets = args[6:]
        question = confirmation(ctx.triggered_id, users, fields, rules, overrides, budgets)
        if question is None:
            raise PreventUpdate
        message, pending = question
        return True, message, pending

    @app.callback(Output("admin-user-edit-error", "children", **dup),
                  Output("admin-field-edit-error", "children", **dup),
                  Output("admin-rule-delete-error", "children"),
                  Output("admin-override-remove-error", "children"),
                  Output("admin-seasons-error", "children", **dup),
                  Output("admin-budget-error", "children", **dup),
                  Output("admin-version", "data", **dup), Output("admin-flash", "children", **dup),
                  Input("admin-confirm", "submit_n_clicks"), State("admin-pending", "data"),
                  prevent_initial_call=True)
    def confirmed(_n, pending):
        staff = _admin()
        if not pending:
            raise PreventUpdate
        slot = CONFIRM_SLOTS.index(pending["kind"])
        errors: list[Any] = [no_update] * len(CONFIRM_SLOTS)
        try:
            done = perform(staff, pending)
        except WorkflowError as error:
            errors[slot] = error.message
            return (*errors, no_update, no_update)
        errors[slot] = ""
        return (*errors, version(), flash(done))


def role_changed(role: str | None, agency: str | None) -> tuple[bool, str | None]:
    """An agency is chosen only for the agency roles; for any other role it is cleared."""
    _admin()
    needs = role in AGENCY_ROLES
    return not needs, agency if needs else None


def _filter_callback():
    def apply(text):
        _admin()
        return quick_filter(text)
    return apply


# --------------------------------------------------------------------------- logic under callbacks

CONFIRM_BUTTONS = ("admin-user-disable", "admin-field-deactivate", "admin-rule-delete",
                   "admin-override-remove", "admin-seasons-reset", "admin-budget-reset")
CONFIRM_SLOTS = ("user.disable", "field.deactivate", "routing.delete", "override.remove",
                 "seasons.reset", "budget.reset")


def confirmation(trigger: str | None, users, fields, rules, overrides,
                 budgets) -> tuple[str, dict[str, Any]] | None:
    """The question to ask before a destructive change, and what to do once confirmed."""
    if trigger == "admin-user-disable" and users:
        name = users[0]["username"]
        return (f"Khóa tài khoản {name}? Mọi phiên đăng nhập của người này kết thúc ngay và "
                "vai trò đầu mối (nếu có) bị gỡ.", {"kind": "user.disable", "target": name})
    if trigger == "admin-field-deactivate" and fields:
        f = fields[0]
        return (f"Ngừng nhận phản ánh lĩnh vực {f['name']}? {f['open_reports']} phản ánh đang mở "
                "vẫn được xử lý tiếp; lĩnh vực không còn được chọn khi phân loại.",
                {"kind": "field.deactivate", "target": f["code"]})
    if trigger == "admin-rule-delete" and rules:
        r = rules[0]
        return (f"Xóa quy tắc {r['field_name']}, {r['district']} → {r['agency_name']} "
                f"(ưu tiên {r['priority']})?", {"kind": "routing.delete", "target": r["id"]})
    if trigger == "admin-override-remove" and overrides:
        o = overrides[0]
        return (f"Xóa điều chỉnh {o['weekday']} {o['day_text']} ({o['kind'].lower()})? Ngày này "
                "trở lại theo lịch nghỉ lễ và ngày trong tuần.",
                {"kind": "override.remove", "target": o["day"]})
    if trigger == "admin-seasons-reset":
        return ("Khôi phục giờ làm việc theo cấu hình mặc định?",
                {"kind": "seasons.reset", "target": None})
    if trigger == "admin-budget-reset" and budgets:
        b = budgets[0]
        return (f"Khôi phục thời hạn bước {b['name_vi']} theo Quy chế ({b['legal']} làm việc)?",
                {"kind": "budget.reset", "target": b["stage"]})
    return None


def perform(staff: StaffUser, pending: dict[str, Any]) -> str:
    """Do a confirmed destructive change; returns the message for the page."""
    actor, kind, target = staff.actor(), pending["kind"], pending.get("target")
    if kind == "user.disable":
        admin.disable_user(actor, target)
        return f"Đã khóa tài khoản {target}."
    if kind == "field.deactivate":
        item = admin_catalogue.set_field_active(actor, target, False)
        return f"Lĩnh vực {item.name} đã ngừng nhận phản ánh."
    if kind == "routing.delete":
        admin_catalogue.remove_routing_rule(actor, target)
        return "Đã xóa quy tắc phân phối."
    if kind == "override.remove":
        day = date.fromisoformat(target)
        admin_calendar.remove_override(actor, day)
        return f"Đã xóa điều chỉnh ngày {day:%d/%m/%Y}."
    if kind == "seasons.reset":
        admin_calendar.reset_seasons(actor)
        return "Đã khôi phục giờ làm việc mặc định."
    if kind == "budget.reset":
        row = admin_calendar.reset_stage_budget(actor, target)
        return f"Đã khôi phục thời hạn bước {row.name_vi} theo Quy chế."
    raise PreventUpdate


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
    text = _clock_text(total)
    return f"Tổng {text} một ngày" + ("" if total == admin_calendar.WORKDAY_MINUTES
                                      else " - cần đủ 8 giờ")


def budget_example_text(minutes: Any, emergency: Any, now: datetime | None = None) -> str:
    """'Nếu nhận lúc 09:12 25/11/2026: hết hạn 13:42 25/11/2026 (khẩn cấp: 10:12 25/11/2026)'."""
    now = (now or datetime.now(UTC)).replace(second=0, microsecond=0)
    try:
        normal = int(minutes)
        urgent = int(emergency)
    except (TypeError, ValueError):
        return ""
    if normal <= 0 or urgent <= 0 or normal > 10_000 or urgent > 10_000:
        return ""
    due = admin_calendar.preview_deadline(normal, now)
    return (f"Ví dụ: bước bắt đầu lúc {date_time(now)} sẽ hết hạn lúc {date_time(due)}; "
            f"nếu khẩn cấp: {date_time(now + timedelta(minutes=urgent))}.")

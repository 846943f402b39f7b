"""The "Nhật ký thay đổi" tab (drawn by `dashboard/layouts/admin/log.py`): every administrative
change, newest first, in words (codes shown by name), from the hash-chained 'system' stream of
the audit log (D3.8)."""

from __future__ import annotations

from typing import Any

from dash import Dash, Input, Output

from backend import vietnamese as vn
from backend.domain.roles import FOCAL_KINDS, role_label
from backend.services.admin import changes as admin_changes
from backend.services.places.catalogue import AREA_LABEL, place_index
from backend.services.reads import catalogue
from dashboard.callbacks.admin.common import load_tab, register_search
from dashboard.layouts.admin.log import KEY

KEY_LABELS = {
    "full_name": "Họ tên", "role": "Vai trò", "agency": "Cơ quan", "active": "Trạng thái",
    "process_minutes": "Thời hạn xử lý (phút)", "email": "Thư điện tử", "phone": "Điện thoại",
    "leader": FOCAL_KINDS["leader"][1], "handler": FOCAL_KINDS["handler"][1],
    "leader_title": "Chức vụ lãnh đạo", "handler_title": "Chức vụ người xử lý",
    "name": "Tên", "group_name": "Nhóm", "description": "Mô tả", "keywords": "Từ khóa",
    "default_agency": "Cơ quan mặc định", "field": "Lĩnh vực", "place": "Địa bàn",
    "district": "Huyện (trước 1/7/2025)",
    "priority": "Ưu tiên", "note": "Ghi chú", "minutes": "Phút làm việc",
    "emergency_minutes": "Phút khẩn cấp", "working": "Loại ngày", "summer": "Mùa hè",
    "winter": "Mùa đông",
}
# Keys whose values are stored as codes: the log shows the name (agency short name, field name,
# a rule's place: an area or a unit; the former district of rules written before 1/7/2025)
# instead of "dien_luc".
CODED_KEYS = ("agency", "default_agency", "field", "place", "district")
PLACE_KEYS = ("place", "district")  # None: the rule is for the whole province
WHOLE_PROVINCE = "toàn tỉnh"


def code_names() -> dict[str, dict[str, str]]:
    """Code → name for every coded key, read once per list of changes (inactive ones too: the log
    keeps what was)."""
    agencies = {a.code: a.short_name or a.name
                for a in catalogue.list_agencies(active_only=False)}
    return {"agency": agencies, "default_agency": agencies,
            "field": {f.code: f.name for f in catalogue.list_fields(active_only=False)},
            **place_names()}


def place_names() -> dict[str, dict[str, str]]:
    """A rule's place by name: "Khu vực TP Thái Nguyên", "Phường Phan Đình Phùng"; a former
    district (log entries written before the units changed) by its name."""
    index = place_index()
    return {"place": {**{a.code: f"{AREA_LABEL} {a.name}" for a in index.areas},
                      **index.unit_names()},
            "district": dict(index.former_districts)}


def _coded(data: dict[str, Any]) -> bool:
    sides = [data.get("before") or {}, data.get("after") or {}]
    return bool(data.get("focal_removed")) or any(
        key in side for side in sides if isinstance(side, dict) for key in CODED_KEYS)


def _show(key: str, value: Any, names: dict[str, dict[str, str]] | None = None) -> str:
    if key in PLACE_KEYS and value is None:
        return WHOLE_PROVINCE
    if value is None or value == "":
        return "(trống)"
    if names and key in names and isinstance(value, str):
        return names[key].get(value, value)
    if key == "role":
        return role_label(value)
    if key == "active":
        return "hoạt động" if value else "ngừng"
    if key == "working":
        return "ngày làm việc" if value else "ngày nghỉ"
    if isinstance(value, dict):
        return ", ".join(f"{KEY_LABELS.get(k, k)} {_show(k, v, names)}" for k, v in value.items())
    return str(value)


def describe(data: dict[str, Any], names: dict[str, dict[str, str]] | None = None) -> str:
    """'Vai trò: Người xử lý của cơ quan → Lãnh đạo đơn vị; Cơ quan: Điện lực Thái Nguyên' from an
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


def log_rows() -> list[dict[str, Any]]:
    changes = admin_changes.list_changes()
    names = code_names() if any(_coded(c.data) for c in changes) else None
    return [{"seq": c.seq, "at_text": vn.time_date(c.at), "actor": c.actor,
             "action_label": c.action_label, "note": c.note or "",
             "details": describe(c.data, names or {})}
            for c in changes]


def register(app: Dash) -> None:
    register_search(app, KEY)

    @app.callback(Output("admin-log-grid", "rowData"),
                  Input("admin-tabs", "value"), Input("admin-version", "data"))
    def load_log(tab, _version):
        load_tab(tab, "log")
        return log_rows()

"""The work queue shared by the triage, agency and publishing pages: a virtualised ag-grid of
at most `MAX_ROWS` reports, most urgent deadline first (the server orders and caps the set), with
rows identified by their code so a refresh keeps the selection and the keyboard focus."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import dash_ag_grid as dag
from dash import dcc, html

from backend import vietnamese as vn
from backend.services.clocks import sla_policy
from backend.services.places.catalogue import AREA_LABEL, FORMER_LABEL, UNIT_LABEL

MAX_ROWS = 200
SLA_CLASSES = {f"sla-pill {k}": f"params.data.sla == '{k}'"
               for k in ("on_time", "at_risk", "overdue", "overdue_notified")}
COLUMNS: dict[str, dict[str, Any]] = {
    "code": {"field": "code", "headerName": "Mã", "width": 150, "pinned": "left",
             "cellClass": "cell-code"},
    "countdown": {"field": "countdown", "headerName": "Còn lại đến hạn", "width": 165,
                  "comparator": {"function": "queueByDue"},
                  "cellClassRules": {"cell-late": "params.data.due_in < 0"}},
    "sla": {"field": "sla_label", "headerName": "SLA", "width": 100,
            "cellClassRules": SLA_CLASSES},
    "state": {"field": "state_label", "headerName": "Trạng thái", "width": 190},
    "stage": {"field": "stage_name", "headerName": "Bước", "width": 120},
    "due": {"field": "due", "headerName": "Hạn bước", "width": 135,
            "comparator": {"function": "queueByDue"}},
    "field": {"field": "field_name", "headerName": "Lĩnh vực", "width": 150},
    "unit": {"field": "unit_name", "headerName": UNIT_LABEL, "width": 125,
             "tooltipField": "place_hint"},
    "area": {"field": "area_name", "headerName": AREA_LABEL, "width": 120},
    "agency": {"field": "agency_name", "headerName": "Cơ quan xử lý", "width": 190},
    "received": {"field": "received", "headerName": "Tiếp nhận", "width": 135,
                 "comparator": {"function": "queueBySubmitted"}},
    "emergency": {"field": "emergency_label", "headerName": "Khẩn", "width": 78,
                  "cellClassRules": {"cell-emergency": "params.data.emergency"}},
    "private": {"field": "private_label", "headerName": "Trả lời", "width": 110},
    "held": {"field": "held_by", "headerName": "Người nhận xử lý", "width": 140,
             "cellClassRules": {"cell-held-me": "params.data.held_by_me",
                                "cell-held-other": "params.data.held_by && !params.data.held_by_me"}},
}
LOCALE = {"noRowsToShow": "Không có phản ánh nào phù hợp bộ lọc", "loadingOoo": "Đang tải…",
          "page": "Trang", "of": "/", "to": "-"}


def queue_grid(prefix: str, columns: tuple[str, ...]) -> dag.AgGrid:
    """`<prefix>-grid`: one row per report; a click, Enter or Space selects (opens) a row."""
    return dag.AgGrid(
        id=f"{prefix}-grid", className="queue-grid", rowData=[],
        columnDefs=[COLUMNS[name] for name in columns],
        defaultColDef={"sortable": True, "resizable": True, "suppressHeaderMenuButton": True},
        getRowId="params.data.code",
        rowClassRules={"row-emergency": "params.data.emergency",
                       "row-overdue": "params.data.due_in < 0"},
        dashGridOptions={
            "rowSelection": {"mode": "singleRow", "checkboxes": False,
                             "enableClickSelection": True},
            "rowHeight": 34, "headerHeight": 36, "animateRows": False,
            "localeText": LOCALE, "suppressCellFocus": False, "enableCellTextSelection": False,
        },
        style={"height": "100%", "width": "100%"},
    )


def queue_rows(items: list[dict[str, Any]], now: datetime,
               viewer: str | None = None) -> list[dict[str, Any]]:
    """Grid rows from `list_reports` items: Vietnamese labels, countdown to the stage deadline,
    the unit and its area by name (the items carry them)."""
    stages = {name: budget.name_vi for name, budget in sla_policy().budgets.items()}
    rows = []
    for item in items:
        due = item.get("stage_due")
        # whole minutes, like the countdown: an unchanged queue fingerprints the same all minute
        due_in = int((datetime.fromisoformat(due) - now).total_seconds() // 60) if due else None
        rows.append({
            "code": item["code"], "state": item["state"], "state_label": item["state_label"],
            "submitted_at": item["submitted_at"], "received": vn.time_date(item["submitted_at"]),
            "field_name": item.get("field_name") or "Chưa phân loại",
            "unit_name": item.get("unit_name") or "-",
            "area_name": item.get("area_name") or "-",
            "place_hint": place_hint(item),
            "agency_name": item.get("agency_name") or "",
            "stage_name": stages.get(item.get("stage") or "", ""),
            "due": vn.time_date(due), "due_in": due_in, "countdown": vn.countdown(due, now),
            "sla": item.get("sla") or "none", "sla_label": item.get("sla_label") or "-",
            "emergency": bool(item.get("emergency")),
            "emergency_label": "KHẨN" if item.get("emergency") else "",
            "private_label": "Riêng người PA" if item.get("confidential") else "Công khai",
            "held_by": item.get("held_by") or "",
            "held_by_me": bool(viewer) and item.get("held_by") == viewer,
        })
    return rows


def place_hint(item: dict[str, Any]) -> str:
    """The unit column's tooltip: "Phường Phan Đình Phùng · Khu vực TP Thái Nguyên" (and, for a
    report dated before 1/7/2025, its former place)."""
    parts = [item.get("unit_name") or "",
             f"{AREA_LABEL} {item['area_name']}" if item.get("area_name") else ""]
    former = former_place(item)
    if former:
        parts.append(f"{FORMER_LABEL}: {former}")
    return " · ".join(p for p in parts if p)


def former_place(item: dict[str, Any]) -> str:
    """"Phường Trưng Vương, Thành phố Thái Nguyên": the former commune and district of a report
    dated before 1/7/2025 (empty for a later one)."""
    return ", ".join(n for n in (item.get("former_commune_name"),
                                 item.get("former_district_name")) if n)


DROPDOWN_VI = {"select_all": "Chọn tất cả", "deselect_all": "Bỏ chọn tất cả",
               "selected_count": "{num_selected} đã chọn", "search": "Tìm",
               "clear_search": "Xóa từ khóa", "clear_selection": "Bỏ chọn",
               "no_options_found": "Không có lựa chọn phù hợp"}
SLA_FILTER = [{"label": "Mọi tình trạng hạn", "value": "all"},
              {"label": "Quá hạn", "value": "overdue"},
              {"label": "Sắp đến hạn", "value": "at_risk"},
              {"label": "Trong hạn", "value": "in_time"}]
FILTERS = ("state", "field", "area", "unit", "sla", "emergency", "text")


def filters_bar(prefix: str, states: list[dict[str, str]], default_states: list[str],
                names: tuple[str, ...] = FILTERS) -> html.Div:
    """Queue filters `<prefix>-f-<name>`; the field and area options are filled on load, the
    unit options follow the area chosen."""
    parts = {
        "state": dcc.Dropdown(id=f"{prefix}-f-state", options=states, value=default_states,
                              multi=True, placeholder="Mọi trạng thái", className="f-state", labels=DROPDOWN_VI),
        "field": dcc.Dropdown(id=f"{prefix}-f-field", options=[], placeholder="Mọi lĩnh vực",
                              className="f-field", labels=DROPDOWN_VI),
        "area": dcc.Dropdown(id=f"{prefix}-f-area", options=[], placeholder="Mọi khu vực",
                             className="f-area", labels=DROPDOWN_VI),
        "unit": dcc.Dropdown(id=f"{prefix}-f-unit", options=[], placeholder="Mọi xã/phường",
                             className="f-unit", labels=DROPDOWN_VI),
        "sla": dcc.Dropdown(id=f"{prefix}-f-sla", options=SLA_FILTER, value="all",
                            clearable=False, searchable=False, className="f-sla", labels=DROPDOWN_VI),
        "emergency": dcc.Checklist(id=f"{prefix}-f-emergency", className="f-emergency",
                                   options=[{"label": " Chỉ khẩn cấp", "value": "yes"}],
                                   value=[], inputClassName="check"),
        "text": dcc.Input(id=f"{prefix}-f-text", type="search", debounce=True,
                          placeholder="Tìm mã, nội dung, địa chỉ (không dấu cũng được), nhấn Enter",
                          className="input f-text", autoComplete="off"),
    }
    return html.Div([parts[name] for name in names], className="filters", role="search")


def shortcuts(extra: tuple[tuple[str, str], ...] = ()) -> html.Details:
    """The keyboard help shown on every queue page (keys handled by assets/30-keys.js)."""
    keys = (("J  ↓", "Phản ánh tiếp theo"), ("K  ↑", "Phản ánh trước"),
            ("Enter", "Mở phản ánh đang chọn"), *extra,
            ("/", "Tìm kiếm"), ("Esc", "Quay lại hàng chờ"))
    return html.Details(className="shortcuts", children=[
        html.Summary("⌨ Phím tắt"),
        html.Dl([part for key, text in keys for part in (html.Dt(html.Kbd(key)), html.Dd(text))]),
    ])

"""What every tab of the administration page draws with: a grid in Vietnamese, a labelled field
with its own error line, inputs, panels, and the flash message over the page. The callbacks'
common steps are in `dashboard/callbacks/admin/common.py`."""

from __future__ import annotations

from typing import Any

import dash_ag_grid as dag
from dash import dcc, html

DROPDOWN_LABELS = {"search": "Tìm…", "clear_search": "Xóa tìm kiếm",
                   "clear_selection": "Bỏ chọn", "no_options_found": "Không có lựa chọn phù hợp",
                   "select_all": "Chọn tất cả", "deselect_all": "Bỏ chọn tất cả",
                   "selected_count": "Đã chọn {num_selected}"}
GRID_TEXT = {
    "noRowsToShow": "Chưa có dữ liệu", "loadingOoo": "Đang tải…", "page": "Trang", "of": "trên",
    "to": "đến", "more": "thêm", "firstPage": "Trang đầu", "lastPage": "Trang cuối",
    "nextPage": "Trang sau", "previousPage": "Trang trước", "pageSizeSelectorLabel": "Số dòng:",
    "filterOoo": "Lọc…", "equals": "Bằng", "notEqual": "Khác", "contains": "Chứa",
    "notContains": "Không chứa", "startsWith": "Bắt đầu bằng", "endsWith": "Kết thúc bằng",
    "blank": "Trống", "notBlank": "Không trống", "andCondition": "VÀ", "orCondition": "HOẶC",
    "searchOoo": "Tìm…", "selectAll": "(Chọn tất cả)", "blanks": "(Trống)",
    "ariaRowSelect": "Chọn dòng", "sortAscending": "Sắp xếp tăng dần",
    "sortDescending": "Sắp xếp giảm dần", "sortUnSort": "Bỏ sắp xếp",
    "columnFilter": "Bộ lọc cột", "ariaFilterInput": "Ô lọc",
}
GRID_THEME = {"function": "themeQuartz.withParams({fontFamily: 'inherit', fontSize: 14, "
                          "headerFontWeight: 600, accentColor: '#1d4ed8', "
                          "headerBackgroundColor: '#f8fafc', rowHoverColor: '#eff6ff', "
                          "selectedRowBackgroundColor: '#dbeafe', borderRadius: 8, "
                          "wrapperBorderRadius: 10, spacing: 6})"}


def grid(grid_id: str, columns: list[dict[str, Any]], row_id: str, height: int | None = 460,
         **options: Any) -> dag.AgGrid:
    """A read-only, single-selection grid in Vietnamese."""
    return dag.AgGrid(
        id=grid_id, columnDefs=columns, rowData=[], className="admin-grid",
        defaultColDef={"flex": 1, "minWidth": 90, "sortable": True, "resizable": True,
                       "filter": False,
                       "suppressHeaderMenuButton": True, "wrapHeaderText": True,
                       "autoHeaderHeight": True},
        getRowId=f"params.data.{row_id}",
        style={"height": f"{height}px" if height else None, "width": "100%"},
        dashGridOptions={"theme": GRID_THEME, "localeText": GRID_TEXT,
                         "rowSelection": {"mode": "singleRow", "checkboxes": False,
                                          "enableClickSelection": True},
                         "animateRows": False, "tooltipShowDelay": 300, **options},
    )


def field(label: str, control: Any, error_id: str, hint: str | None = None,
          wide: bool = False) -> html.Div:
    """A labelled form control with its own error line under it."""
    control_id = getattr(control, "id", None)
    return html.Div(className="form-field" + (" wide" if wide else ""), children=[
        html.Label(label, htmlFor=control_id) if isinstance(control_id, str) else
        html.Label(label),
        control,
        html.Div(hint, className="hint") if hint else None,
        html.Div(id=error_id, className="field-error", role="alert"),
    ])


def text_input(input_id: str, placeholder: str = "", **kw: Any) -> dcc.Input:
    return dcc.Input(id=input_id, type=kw.pop("type", "text"), placeholder=placeholder,
                     className=kw.pop("className", "input"), debounce=False, autoComplete="off",
                     **kw)


def dropdown(dropdown_id: str, options: list | None = None, placeholder: str = "Chọn…",
             **kw: Any) -> dcc.Dropdown:
    return dcc.Dropdown(id=dropdown_id, options=options or [], placeholder=placeholder,
                        labels=DROPDOWN_LABELS, className=kw.pop("className", "dropdown"), **kw)


def panel(title: str, *children: Any, panel_id: str | None = None,
          extra: str = "") -> html.Section:
    kw = {"id": panel_id} if panel_id else {}
    return html.Section(className=f"card admin-panel {extra}".strip(), **kw, children=[
        html.H2(title, className="panel-title"), *children])


def search(search_id: str, placeholder: str) -> dcc.Input:
    return dcc.Input(id=search_id, type="search", placeholder=placeholder,
                     className="input admin-search", debounce=False)


def form_error(error_id: str) -> html.Div:
    return html.Div(id=error_id, className="form-error", role="alert")


def flash(text: str, ok: bool = True) -> html.Div:
    return html.Div(className="flash " + ("ok" if ok else "bad"), children=[
        html.Span("✓" if ok else "!", className="flash-icon"), html.Span(text)])

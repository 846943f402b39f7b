"""Publishing `/publish` (IOC, D10): approved results, each edited in the Phụ lục II reply
template with a live preview, then published, or sent to the reporter alone when the reporter
asked for secrecy or the matter is a state secret (D10.3, D10.4). The page as first drawn; what
it does is in `dashboard/callbacks/publish.py`."""

from __future__ import annotations

from dash import html

from backend.services.access.auth import StaffUser
from dashboard.widgets import report_panel
from dashboard.widgets.queue import filters_bar, queue_grid, shortcuts

PREFIX = "publish"
TICK_MS = 10_000
FILTER_NAMES = ("field", "area", "unit", "sla", "emergency", "text")
COLUMNS = ("code", "countdown", "sla", "agency", "field", "private", "unit", "emergency",
           "held")
EMPTY = "Chọn một kết quả đã được lãnh đạo cơ quan phê duyệt để biên tập và công khai."


def layout(_staff: StaffUser | None = None) -> html.Div:
    return html.Div(className="workspace publish", children=[
        html.Div(className="ws-head", children=[
            html.H1("Biên tập và công khai kết quả xử lý"),
            html.Span(id=f"{PREFIX}-count", className="ws-count", role="status"),
            shortcuts((("N", "Nhận xử lý phản ánh đang mở"),)),
        ]),
        filters_bar(PREFIX, [], [], FILTER_NAMES),
        html.Div(className="publish-body", children=[
            html.Section(queue_grid(PREFIX, COLUMNS), className="ws-queue",
                         **{"aria-label": "Kết quả chờ công khai"}),
            report_panel.panel_section(PREFIX, EMPTY),
            html.Section(className="ws-preview", **{"aria-label": "Xem trước văn bản trả lời"},
                         children=[
                html.H2("Xem trước văn bản trả lời (Phụ lục II)"),
                html.Div(id=f"{PREFIX}-preview", className="letter-wrap"),
            ]),
        ]),
        *report_panel.workflow_stores(PREFIX, TICK_MS),
    ])

"""Publishing `/publish` (IOC, D10; drawn by `dashboard/layouts/publish.py`): the approved
results' queue, the chosen one's panel with the publishing step, and the live preview of the
reply exactly as it will be filled (D10.3, D10.4)."""

from __future__ import annotations

from typing import Any

from dash import ALL, Dash, Input, Output, html

from backend.domain.roles import IOC_ROLES
from backend.services.access.auth import StaffUser
from backend.services.reads.queries import Filters
from backend.services.workflow.templates import fill_reply
from dashboard import access, lookups
from dashboard.callbacks import workflow
from dashboard.layouts.publish import EMPTY, FILTER_NAMES, PREFIX
from dashboard.widgets import report_panel
from dashboard.widgets.action_form import action_bar

PUBLISH_ACTIONS = ("publish",)
STATES = ("approved",)


def to_filters(_staff: StaffUser, values: dict[str, Any]) -> Filters:
    return workflow.build_filters(values, STATES)


def build_panel(detail: dict[str, Any], staff: StaffUser):
    bar = action_bar(PREFIX, detail, staff, PUBLISH_ACTIONS)
    return report_panel.panel(detail, actions=bar, prefix=PREFIX)


def preview(texts: list[str | None], shown: dict[str, Any] | None) -> Any:
    """The reply exactly as `publish` will fill it (same template, same function)."""
    if not shown:
        return html.P("Chưa chọn phản ánh.", className="muted")
    text = next((t for t in texts if t is not None), None)
    if text is None:
        return html.P("Phản ánh này không ở bước biên tập, công khai.", className="muted")
    agency = lookups.agency_names().get(shown.get("agency") or "", "")
    letter = fill_reply(agency, text or "[Tóm tắt nội dung trả lời kết quả xử lý]")
    audience = ("Chỉ gửi riêng người phản ánh, không công khai (Đ10.3, Đ10.4)."
                if shown.get("private") else "Sẽ công khai cùng nội dung phản ánh (Đ10.2).")
    return [html.P(audience, className="warn-note" if shown.get("private") else "hint"),
            html.Pre(letter, className="letter", lang="vi")]


def register(app: Dash) -> None:
    workflow.register_queue(app, PREFIX, IOC_ROLES, FILTER_NAMES, to_filters)
    workflow.register_selection(app, PREFIX, IOC_ROLES, with_map=False)
    workflow.register_panel(app, PREFIX, IOC_ROLES, build_panel, EMPTY)

    @app.callback(Output(f"{PREFIX}-preview", "children"),
                  Input({"type": "wf-param", "page": PREFIX, "action": "publish", "name": ALL},
                        "value"),
                  Input(f"{PREFIX}-detail", "data"))
    def live_preview(texts, shown):
        access.require(*IOC_ROLES)
        return preview(texts, shown)

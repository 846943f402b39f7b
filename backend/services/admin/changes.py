"""The log of every administrative change (D3.8), read from the event log's `system` stream.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from backend.services.audit import SYSTEM_STREAM
from backend.storage.db import session_factory
from backend.storage.models import (
    Event,
)

ACTION_LABELS: dict[str, str] = {
    "user.create": "Tạo tài khoản",
    "user.update": "Sửa tài khoản",
    "user.disable": "Khóa tài khoản",
    "user.enable": "Mở khóa tài khoản",
    "user.password": "Đặt lại mật khẩu",
    "agency.update": "Sửa cơ quan xử lý",
    "agency.focal": "Đổi đầu mối cơ quan",
    "field.create": "Thêm lĩnh vực",
    "field.update": "Sửa lĩnh vực",
    "field.deactivate": "Ngừng lĩnh vực",
    "field.activate": "Mở lại lĩnh vực",
    "routing.create": "Thêm quy tắc phân phối",
    "routing.delete": "Xóa quy tắc phân phối",
    "sla.budget": "Đổi thời hạn",
    "sla.budget_reset": "Khôi phục thời hạn",
    "calendar.seasons": "Đổi giờ làm việc",
    "calendar.seasons_reset": "Khôi phục giờ làm việc",
    "calendar.override_add": "Thêm ngày điều chỉnh",
    "calendar.override_remove": "Xóa ngày điều chỉnh",
}


@dataclass(frozen=True)
class ChangeRow:
    """One recorded administrative change (the `system` stream of the event log)."""

    seq: int
    at: datetime
    actor: str
    role: str
    action: str
    action_label: str
    note: str | None
    data: dict[str, Any]


def list_changes(limit: int = 500, url: str | None = None) -> list[ChangeRow]:
    """The administrative changes, newest first (D3.8: every change is recorded)."""
    with session_factory(url)() as session:
        events = session.scalars(select(Event).where(Event.stream == SYSTEM_STREAM)
                                 .order_by(Event.seq.desc()).limit(limit)).all()
        return [ChangeRow(seq=e.seq, at=e.at, actor=e.actor, role=e.role, action=e.action,
                          action_label=ACTION_LABELS.get(e.action, e.action), note=e.note,
                          data=json.loads(e.data) if e.data else {}) for e in events]

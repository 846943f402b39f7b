"""The line shown once a report pack is made. The pack buttons, progress bar and status are drawn
with the page (`page.packs`); the packs are made by `dashboard/callbacks/leaders/packs.py`."""

from __future__ import annotations

from dash import html

from backend import vietnamese as vn


def pack_done(name: str, href: str, size: int, period_label: str) -> list:
    """The status line once a pack is made: what it is, and a link to fetch it again."""
    megabytes = vn.decimal(size / 1_048_576)
    return [f"Đã tạo {name} ({megabytes} MB): báo cáo {period_label}. ",
            html.A("Tải lại", href=href, download=name, className="pack-again")]

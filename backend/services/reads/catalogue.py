"""Reference data as stored (agencies, fields), for lists and pickers."""

from __future__ import annotations

from sqlalchemy import select

from backend.storage.db import engine_for, session_factory
from backend.storage.migrate import is_migrated
from backend.storage.models import Agency, Field


class NotReady(RuntimeError):
    """The database has no schema yet."""

def _ensure_ready(url: str | None) -> None:
    if not is_migrated(engine_for(url)):
        raise NotReady("cơ sở dữ liệu chưa được khởi tạo; hãy chạy 'ioc db upgrade'.")


def list_agencies(url: str | None = None, active_only: bool = True) -> list[Agency]:
    """Agencies ordered by code."""
    _ensure_ready(url)
    with session_factory(url)() as session:
        query = select(Agency).order_by(Agency.code)
        if active_only:
            query = query.where(Agency.active.is_(True))
        return list(session.scalars(query))


def list_fields(url: str | None = None, active_only: bool = True) -> list[Field]:
    """Fields ordered by code."""
    _ensure_ready(url)
    with session_factory(url)() as session:
        query = select(Field).order_by(Field.code)
        if active_only:
            query = query.where(Field.active.is_(True))
        return list(session.scalars(query))

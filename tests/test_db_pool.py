"""The PostgreSQL pool's liveness check (backend/storage/db.py): a connection that rested in the
pool is pinged before use, one in steady use is not, and a dropped one never reaches a request
that could have had a live one.
"""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.exc import OperationalError

from backend.storage import db


def _kill(url: str, pid: int) -> None:
    """What a server restart or a dropped link does to a pooled connection."""
    admin = create_engine(url)
    with admin.begin() as connection:
        connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    admin.dispose()


def _backend_pid(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(text("SELECT pg_backend_pid()")).scalar_one()


@pytest.fixture
def pg_url(empty_db: str) -> str:
    if not empty_db.startswith("postgresql"):
        pytest.skip("SQLite has no server connection to lose")
    return empty_db


def test_connection_idle_past_the_limit_is_pinged_and_replaced(pg_url, monkeypatch) -> None:
    engine = db.make_engine(pg_url)
    try:
        first = _backend_pid(engine)
        _kill(pg_url, first)
        monkeypatch.setattr(db, "PING_AFTER_IDLE", 0.0)  # it has rested "long enough"
        second = _backend_pid(engine)  # no error: the ping found it dead, a fresh one served
        assert second != first
    finally:
        engine.dispose()


def test_connection_in_steady_use_is_not_pinged(pg_url, monkeypatch) -> None:
    """The trade-off, stated: a connection dropped between two uses close together is found
    out by the statement itself (503 for that request, the pool invalidated), not by a ping."""
    engine = db.make_engine(pg_url)
    statements: list[str] = []
    try:
        first = _backend_pid(engine)
        monkeypatch.setattr(db, "PING_AFTER_IDLE", 3600.0)
        event.listen(engine, "before_cursor_execute",
                     lambda *args: statements.append(args[2]))
        assert _backend_pid(engine) == first and statements == ["SELECT pg_backend_pid()"]
        _kill(pg_url, first)
        with pytest.raises(OperationalError) as caught:
            _backend_pid(engine)
        assert caught.value.connection_invalidated
        assert _backend_pid(engine) != first  # the next request connects afresh
    finally:
        engine.dispose()

"""Engines and sessions: one pooled engine per database URL, durable settings on both databases.

SQLite (the embedded default) runs in WAL mode with `synchronous=FULL`, so an acknowledged
commit survives a power loss (TESTPLAN "Durability"); PostgreSQL keeps `synchronous_commit=on`.

A pooled PostgreSQL connection is checked with a `SELECT 1` before use only when it has been
idle for `PING_AFTER_IDLE` (a server restart or a dropped link happens while it sits in the
pool); a connection in steady use is not pinged on every checkout, which cost a round trip per
transaction. If the server goes away while connections are busy, the first statement to fail
invalidates the whole pool (SQLAlchemy's disconnect handling), that request gets 503, and the
next ones connect afresh.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.orm import Session, sessionmaker

from backend import config
from backend.storage.textsearch import register_sqlite_functions


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    register_sqlite_functions(dbapi_connection)  # Vietnamese text search (textsearch.py)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


PING_AFTER_IDLE = 10.0  # seconds a pooled connection may rest before it is checked again
_IDLE_SINCE = "ioc_idle_since"


def _note_checkin(_dbapi_connection, record) -> None:
    record.info[_IDLE_SINCE] = time.monotonic()


def _ping_if_idle(dbapi_connection, record, _proxy) -> None:
    """Pool checkout: `SELECT 1` on a connection that rested long enough to have been dropped.

    A dead one invalidates the pool (every connection older than now is replaced: after a
    server restart they are all dead), and the pool hands out a fresh connection instead.
    """
    since = record.info.get(_IDLE_SINCE)
    if since is None or time.monotonic() - since < PING_AFTER_IDLE:
        return
    try:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("SELECT 1")
        finally:
            cursor.close()
    except Exception as error:  # noqa: BLE001 - any failure of the ping means "not usable"
        raise exc.InvalidatePoolError() from error


def make_engine(url: str) -> Engine:
    """Create an engine with the durability settings this system promises."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 10, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    engine = create_engine(
        url,
        pool_size=5,
        max_overflow=10,
        connect_args={"options": "-c synchronous_commit=on -c timezone=UTC"},
    )
    event.listen(engine, "checkin", _note_checkin)
    event.listen(engine, "checkout", _ping_if_idle)
    return engine


def engine_for(url: str | None = None) -> Engine:
    """The shared engine (a connection pool) for a URL; default `config.database_url()`.

    The default is resolved on every call, so a changed `DATABASE_URL` is followed.
    """
    return _engine(url or config.database_url())


def session_factory(url: str | None = None) -> sessionmaker[Session]:
    """A session factory bound to `engine_for(url)`; sessions never expire on commit."""
    return _sessions(url or config.database_url())


@lru_cache(maxsize=16)
def _engine(url: str) -> Engine:
    return make_engine(url)


@lru_cache(maxsize=16)
def _sessions(url: str) -> sessionmaker[Session]:
    return sessionmaker(bind=_engine(url), expire_on_commit=False)


@contextmanager
def transaction(url: str | None = None) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with session_factory(url)() as session, session.begin():
        yield session

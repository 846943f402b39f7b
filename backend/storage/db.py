"""Engines and sessions: one pooled engine per database URL, durable settings on both databases.

SQLite (the embedded default) runs in WAL mode with `synchronous=FULL`, so an acknowledged
commit survives a power loss (TESTPLAN "Durability"); PostgreSQL keeps `synchronous_commit=on`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from backend import config


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_engine(url: str) -> Engine:
    """Create an engine with the durability settings this system promises."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 10, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=5,
        max_overflow=10,
        connect_args={"options": "-c synchronous_commit=on -c timezone=UTC"},
    )


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

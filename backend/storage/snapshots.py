"""Consistent reads for figures: several queries that see one database snapshot (PostgreSQL's
exported snapshots, run in parallel threads; one transaction on SQLite), and the fast paths that
turn a query's rows into numpy/pandas columns (COPY on PostgreSQL).
"""

from __future__ import annotations

import contextvars
import io
import re
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

import numpy as np
import pandas as pd
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    cast,
    extract,
    text,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from backend.domain.worktime import NAT_INT
from backend.storage.db import session_factory

T = TypeVar("T")


class _EpochSeconds(FunctionElement):
    """Whole UTC epoch seconds of a timestamp, rounded down on both databases."""

    type = BigInteger()
    inherit_cache = True
    name = "epoch_seconds"


@compiles(_EpochSeconds)
def _epoch_default(element, compiler, **kw):  # SQLite: strftime('%s') truncates
    return compiler.process(cast(extract("epoch", list(element.clauses)[0]), BigInteger), **kw)


@compiles(_EpochSeconds, "postgresql")
def _epoch_postgresql(element, compiler, **kw):  # extract() keeps microseconds: floor them
    return f"CAST(floor(EXTRACT(EPOCH FROM {compiler.process(list(element.clauses)[0], **kw)})) AS BIGINT)"


def epoch_column(column) -> ColumnElement[int]:
    """The column as whole epoch seconds (floored, as the dates shown are truncated)."""
    return _EpochSeconds(column)


_SHARED: ContextVar[tuple[str | None, Session] | None] = ContextVar("kpi_shared_session",
                                                                    default=None)


@contextmanager
def consistent_reads(url: str | None = None) -> Iterator[Session]:
    """Every figure read inside this block shares one transaction, so they all see the same
    data even while reports keep moving (REPEATABLE READ on PostgreSQL; SQLite's read
    transaction is a snapshot too). A pack is computed inside one."""
    with session_factory(url)() as session:
        if session.get_bind().dialect.name == "postgresql":
            session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            session.execute(text("SET TRANSACTION READ ONLY"))
            session.execute(text("SET LOCAL jit = off"))
        else:  # pysqlite begins only before writes: a read transaction must be asked for
            session.connection().exec_driver_sql("BEGIN")
        token = _SHARED.set((url, session))
        try:
            yield session
        finally:
            _SHARED.reset(token)
            session.rollback()


def _same_snapshot(url: str | None, snapshot_id: str, job: Callable[[], T]) -> T:
    """Run ``job`` in this thread on a new PostgreSQL session that sees ``snapshot_id``."""
    with session_factory(url)() as session:
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        session.execute(text(f"SET TRANSACTION SNAPSHOT '{snapshot_id}'"))
        session.execute(text("SET TRANSACTION READ ONLY"))
        session.execute(text("SET LOCAL jit = off"))
        token = _SHARED.set((url, session))
        try:
            return job()
        finally:
            _SHARED.reset(token)
            session.rollback()


def _export_snapshot(url: str | None) -> str | None:
    """The id of the :func:`consistent_reads` snapshot, on PostgreSQL; None elsewhere."""
    shared = _SHARED.get()
    if shared is None or shared[0] != url or shared[1].get_bind().dialect.name != "postgresql":
        return None
    snapshot_id = shared[1].execute(text("SELECT pg_export_snapshot()")).scalar_one()
    if not re.fullmatch(r"[0-9A-Fa-f-]+", snapshot_id):
        raise RuntimeError(f"unexpected snapshot id {snapshot_id!r}")
    return snapshot_id


def read_in_background(pool: Executor, url: str | None, job: Callable[[], T]) -> Future[T] | None:
    """Start ``job`` in ``pool`` on another connection that sees the same data as the
    :func:`consistent_reads` block (PostgreSQL); None where that is not possible (SQLite, or
    outside such a block): then run the job yourself."""
    snapshot_id = _export_snapshot(url)
    if snapshot_id is None:
        return None
    return pool.submit(contextvars.copy_context().run, _same_snapshot, url, snapshot_id, job)


def parallel_reads(url: str | None, *jobs: Callable[[], T]) -> list[T]:
    """Run independent read jobs at once, their results in order.

    Inside :func:`consistent_reads` on PostgreSQL, each extra job gets its own connection
    importing the block's snapshot (``pg_export_snapshot``), so all of them still see the same
    data; the first job runs in the caller's thread on the block's session. Anywhere else the
    jobs simply run one after the other.
    """
    if len(jobs) < 2:
        return [job() for job in jobs]
    with ThreadPoolExecutor(max_workers=len(jobs) - 1, thread_name_prefix="kpi") as pool:
        futures = [read_in_background(pool, url, job) for job in jobs[1:]]
        if any(future is None for future in futures):
            return [job() for job in jobs]
        first = jobs[0]()
        return [first, *[future.result() for future in futures]]


@contextmanager
def reading_session(url: str | None) -> Iterator[Session]:
    """A read-only session for figures (the shared one inside :func:`consistent_reads`). On
    PostgreSQL JIT is off: compiling the ~70 aggregate expressions costs more than it saves
    on these one-pass scans."""
    shared = _SHARED.get()
    if shared is not None and shared[0] == url:
        yield shared[1]
        return
    with session_factory(url)() as session:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SET LOCAL jit = off"))
        yield session


def read_frame(session: Session, query, columns: list[str],
           numeric: Iterable[str] = ()) -> pd.DataFrame:
    """Rows of ``query`` as a DataFrame with ``columns`` (``numeric`` ones as float64, NaN for
    NULL; the rest as objects). PostgreSQL streams them with COPY, several times faster than
    fetching a quarter's hundreds of thousands of rows one by one."""
    numeric = set(numeric)
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        compiled = query.compile(dialect=connection.dialect,
                                 compile_kwargs={"render_postcompile": True})
        raw = connection.connection.dbapi_connection
        buffer = io.BytesIO()  # bytes straight to the C parser, no decoding in between
        with raw.cursor() as cursor:
            sql = cursor.mogrify(str(compiled), compiled.params).decode()
            cursor.copy_expert(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", buffer)
        empty = buffer.tell() == 0
        buffer.seek(0)
        dtypes = {c: (np.float64 if c in numeric else object) for c in columns}
        if empty:
            return pd.DataFrame({c: pd.Series(dtype=t) for c, t in dtypes.items()})
        return pd.read_csv(buffer, header=None, names=columns, dtype=dtypes, encoding="utf-8",
                           keep_default_na=False, na_values=[""])
    frame = pd.DataFrame(session.execute(query).all(), columns=columns, dtype=object)
    for column in numeric:
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(np.float64)
    return frame


def bool_values(values: pd.Series) -> np.ndarray:
    """Booleans from PostgreSQL CSV ('t'/'f'), SQLite (1/0) or Python values."""
    return values.isin([True, 1, "t", "true", "1"]).to_numpy()


def epoch_values(values: Any) -> np.ndarray:
    """Epoch seconds from a float column (NaN missing); ``NAT_INT`` where missing."""
    array = np.asarray(values, dtype=np.float64)
    out = np.full(array.shape, NAT_INT, dtype=np.int64)
    ok = ~np.isnan(array)
    out[ok] = np.floor(array[ok]).astype(np.int64)
    return out

"""Bulk writers for generated rows: COPY on PostgreSQL, executemany on SQLite.

The rows are plain tuples whose timestamps are UTC text (`YYYY-MM-DD HH:MM:SS.ffffff`), which
both databases read as the same instants (PostgreSQL sessions run with `timezone=UTC`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from sqlalchemy import Engine, text


def write_rows(engine: Engine, table: str, columns: Sequence[str], rows: list[tuple]) -> None:
    """Append rows to a table in one transaction, as fast as the database allows."""
    if not rows:
        return
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if engine.dialect.name == "postgresql":
            buffer = io.StringIO()
            csv.writer(buffer, lineterminator="\n").writerows(rows)
            buffer.seek(0)
            cursor.copy_expert(
                f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)", buffer,
                size=1 << 20,
            )
        else:
            # A demo bulk load is not a citizen's acknowledged report: WAL + NORMAL is enough
            # here, and the pooled connection goes back to FULL before anyone else uses it.
            cursor.execute("PRAGMA synchronous=NORMAL")
            placeholders = ", ".join("?" for _ in columns)
            cursor.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})", rows
            )
        raw.commit()
    finally:
        if engine.dialect.name == "sqlite":
            raw.cursor().execute("PRAGMA synchronous=FULL")
        raw.close()


def bump_sequence(engine: Engine, table: str, column: str = "id") -> None:
    """After explicit ids on PostgreSQL, move the id sequence past them."""
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as connection:
        connection.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
            f"COALESCE((SELECT MAX({column}) FROM {table}), 0) + 1, false)"
        ))

"""Searching Vietnamese text the way people type it, on SQLite and PostgreSQL alike.

Handlers and citizens often type without diacritics ("duong hoang van thu" for "đường Hoàng
Văn Thụ": a phone keyboard, a habit, a hurry). So a query written in plain letters matches
with accents and case ignored on both sides; a query that carries diacritics meant them and
matches exactly those letters, case ignored ("Đường" finds "đường", not "dương").

Each report stores its searchable text already folded (`reports.search_text`: code,
description, address and published answer, through `fold`, set whenever one of them is
written), so a search is one plain `LIKE` over one column on either database: folding every row
at query time was many times slower on both databases (docs/benchmarks.md). A query with diacritics is then checked against the columns
themselves in lower case, only on the rows the folded match already found (`lower` on
PostgreSQL, which needs a UTF-8 locale to lower Vietnamese capitals; the Python `lower`
registered as `ioc_lower` on SQLite, whose own `lower` only knows ASCII).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import String, and_, or_
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from backend.vietnamese import fold, lower

MAX_QUERY = 200  # characters of a search text


def search_document(code: str | None, description: str | None, address: str | None,
                    answer: str | None) -> str:
    """What `reports.search_text` holds: the searchable fields, folded, one per line."""
    return fold("\n".join(part or "" for part in (code, description, address, answer)))


class lowered(FunctionElement):  # noqa: N801 - used like a SQL function
    """SQL: the column's text in lower case, every letter (not only ASCII)."""

    type = String()
    inherit_cache = True


@compiles(lowered, "postgresql")
def _lowered_pg(element: lowered, compiler: Any, **kw: Any) -> str:
    return f"lower({compiler.process(element.clauses, **kw)})"


@compiles(lowered)
def _lowered_other(element: lowered, compiler: Any, **kw: Any) -> str:
    return f"ioc_lower({compiler.process(element.clauses, **kw)})"


def register_sqlite_functions(dbapi_connection: Any) -> None:
    """Give a new SQLite connection the functions the SQL here and migration 0007 call."""
    for name, function in (("ioc_lower", lower), ("ioc_fold", fold)):
        dbapi_connection.create_function(name, 1, _null_safe(function), deterministic=True)


def _null_safe(function: Callable[[str], str]) -> Callable[[Any], str | None]:
    return lambda value: None if value is None else function(str(value))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _needle(query: str) -> tuple[bool, str]:
    """(accents ignored?, what to look for) for a query, as the module docstring says."""
    text = query.strip()
    plain = fold(text)
    return (True, plain) if plain == lower(text) else (False, lower(text))


def contains_text(query: str, document: Any, *columns: Any) -> ColumnElement[bool]:
    """The folded `document` column contains the folded query; with diacritics in the query,
    also one of `columns` contains it letter for letter (case ignored)."""
    loose, needle = _needle(query)
    found = document.like(f"%{_escape_like(fold(query.strip()))}%", escape="\\")
    if loose:
        return found
    exact = f"%{_escape_like(needle)}%"
    return and_(found, or_(*(lowered(column).like(exact, escape="\\") for column in columns)))


def text_matcher(query: str) -> Callable[[str | None], bool]:
    """The same comparison in Python, for text that SQL did not see (e.g. after redaction)."""
    loose, needle = _needle(query)
    normal = fold if loose else lower
    return lambda text: needle in normal(text or "")

"""Searching Vietnamese text the way people type it, on SQLite and PostgreSQL alike.

Handlers and citizens often type without diacritics ("duong hoang van thu" for "đường Hoàng
Văn Thụ": a phone keyboard, a habit, a hurry). So a query written in plain letters matches
with accents and case ignored on both sides; a query that carries diacritics meant them and
matches exactly those letters, case ignored ("Đường" finds "đường", not "dương").

In SQL the folding is `unaccent(lower(x))` on PostgreSQL (the contrib extension, created by
migration 0005) and the same Python `fold` registered as `ioc_fold` on each SQLite connection;
SQLite's own `lower` only knows ASCII, so `ioc_lower` stands in for it there.
`tests/test_textsearch.py` checks that both databases fold every Vietnamese letter as `fold` does.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import Any

from sqlalchemy import String, or_
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

_NOT_DECOMPOSED = str.maketrans({"đ": "d", "Đ": "d"})


def fold(text: str) -> str:
    """Lower case without diacritics: "Đường Hoàng Văn Thụ" -> "duong hoang van thu"."""
    stripped = "".join(c for c in unicodedata.normalize("NFD", text)
                       if unicodedata.category(c) != "Mn")
    return unicodedata.normalize("NFC", stripped.translate(_NOT_DECOMPOSED).lower())


def lower(text: str) -> str:
    return unicodedata.normalize("NFC", text).lower()


class folded(FunctionElement):  # noqa: N801 - used like a SQL function
    """SQL: the column's text through `fold`."""

    type = String()
    inherit_cache = True


class lowered(FunctionElement):  # noqa: N801
    """SQL: the column's text in lower case, every letter (not only ASCII)."""

    type = String()
    inherit_cache = True


def _sql(template: str):
    def render(element: FunctionElement, compiler: Any, **kw: Any) -> str:
        return template.format(compiler.process(element.clauses, **kw))

    return render


# (PostgreSQL, SQLite and any other database): what each element compiles to
for _element, (_postgresql, _other) in {
    folded: ("unaccent(lower({}))", "ioc_fold({})"),
    lowered: ("lower({})", "ioc_lower({})"),
}.items():
    compiles(_element, "postgresql")(_sql(_postgresql))
    compiles(_element)(_sql(_other))


def register_sqlite_functions(dbapi_connection: Any) -> None:
    """Give a new SQLite connection the functions the compiled SQL above calls."""
    for name, function in (("ioc_fold", fold), ("ioc_lower", lower)):
        dbapi_connection.create_function(name, 1, _null_safe(function), deterministic=True)


def _null_safe(function):
    return lambda value: None if value is None else function(str(value))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _needle(query: str) -> tuple[bool, str]:
    """(accents ignored?, what to look for) for a query, as the module docstring says."""
    text = query.strip()
    plain = fold(text)
    return (True, plain) if plain == lower(text) else (False, lower(text))


def contains_text(query: str, *columns: Any) -> ColumnElement[bool]:
    """Any of `columns` contains `query`, compared as described in the module docstring."""
    loose, needle = _needle(query)
    wrap = folded if loose else lowered
    pattern = f"%{_escape_like(needle)}%"
    return or_(*(wrap(column).like(pattern, escape="\\") for column in columns))


def text_matcher(query: str) -> Callable[[str | None], bool]:
    """The same comparison in Python, for text that SQL did not see (e.g. after redaction)."""
    loose, needle = _needle(query)
    normal = fold if loose else lower
    return lambda text: needle in normal(text or "")

"""The fast path that stores a new report and its first event: one hand-built INSERT per table
instead of the ORM's unit of work (the submission is the hottest write; figures in
docs/benchmarks.md, `ioc bench ingest`). Same rows as the ORM would write: tests compare them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import Dialect, Table
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session, make_transient_to_detached

from backend.storage.models import Report


@dataclass(frozen=True)
class _InsertPlan:
    """How to INSERT a model's new row exactly as a flush would, without the unit of work."""

    table: Table
    key: str | None  # the autoincrement key's attribute (left to the database when not set)
    columns: tuple[tuple[str, Any, Callable[[Any], Any] | None], ...]  # attribute, default, bind


@lru_cache(maxsize=8)
def insert_plan(model: type, dialect: Dialect) -> _InsertPlan | None:
    """None when a flush could do something a plain INSERT would not (server defaults, callable
    defaults, mapper events): then the ORM does it."""
    mapper = sa_inspect(model)
    if mapper.dispatch.before_insert or mapper.dispatch.after_insert:
        return None
    table = mapper.local_table
    key, columns = None, []
    for column in table.columns:
        default = column.default
        if column.server_default is not None or (default is not None and not default.is_scalar):
            return None
        attribute = mapper.get_property_by_column(column).key
        if column is table.autoincrement_column and default is None:
            key = attribute
            continue
        columns.append((attribute, default.arg if default is not None else None,
                        column.type.bind_processor(dialect)))
    return _InsertPlan(table, key, tuple(columns))


@lru_cache(maxsize=8)
def _insert_sql(models: tuple[type, ...], with_keys: tuple[bool, ...], dialect: Dialect) -> str:
    """`INSERT ...; INSERT ...` for the models (with or without their key), parameters p<i>_<n>."""
    quote = dialect.identifier_preparer.quote
    statements = []
    for i, (model, with_key) in enumerate(zip(models, with_keys, strict=True)):
        plan = insert_plan(model, dialect)
        assert plan is not None
        names = [plan.table.c[attribute].name for attribute, _, _ in plan.columns]
        params = [f"%(p{i}_{n})s" for n in range(len(names))]
        if with_key:
            names.append(plan.table.c[plan.key].name)
            params.append(f"%(p{i}_key)s")
        statements.append(f"INSERT INTO {quote(plan.table.name)} "
                          f"({', '.join(quote(name) for name in names)}) "
                          f"VALUES ({', '.join(params)})")
    return "; ".join(statements)


def insert_new_report(session: Session, report: Report, event: Any) -> None:
    """INSERT the new report and its first event now, in one round trip, without the unit of
    work (which cost a third of a submission's CPU); the report then joins the session.

    The values are what a flush would send: the attributes set, the column's scalar default for
    the others (also set on the object), through the columns' bind processors. The report joins
    the session as a loaded, persistent row: later changes to it (`within`) are UPDATEs, as
    after a flush. Only PostgreSQL comes here (the report's id is already known).
    """
    dialect = session.get_bind().dialect
    plans = (insert_plan(Report, dialect), insert_plan(type(event), dialect))
    if plans[0] is None or plans[1] is None:
        session.add(report)
        session.flush()
        session.add(event)
        return
    params: dict[str, Any] = {}
    with_keys = []
    for i, (row, plan) in enumerate(zip((report, event), plans, strict=True)):
        state = row.__dict__
        for n, (attribute, default, bind) in enumerate(plan.columns):
            if attribute in state:
                value = state[attribute]
            else:
                value = default
                setattr(row, attribute, default)
            params[f"p{i}_{n}"] = bind(value) if bind is not None else value
        with_key = plan.key is not None and state.get(plan.key) is not None
        if with_key:
            params[f"p{i}_key"] = state[plan.key]
        with_keys.append(with_key)
    sql = _insert_sql((Report, type(event)), tuple(with_keys), dialect)
    session.connection().exec_driver_sql(sql, params)
    make_transient_to_detached(report)
    session.add(report)

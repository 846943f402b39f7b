"""The lists behind the figures: late stages and their owners, the overdue list, escalations
waiting for the provincial leaders (D7.2c), and the codes behind any one number.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from sqlalchemy import (
    func,
    or_,
    select,
)

from backend.domain.workflow import State
from backend.domain.worktime import NAT_INT
from backend.services.clocks import calendar_from_session
from backend.services.kpis.definitions import (
    FLAG_KEYS,
    RUNNING_STATES,
    as_of,
    cohort_conditions,
    facts,
    flag_conditions,
    load_names,
)
from backend.services.kpis.figures import late_stages, report_rows, utc_times, working_hours
from backend.services.kpis.selection import NONE, Filters, Period, R, given_filters
from backend.storage.models import Event
from backend.storage.snapshots import (
    bool_values,
    epoch_column,
    epoch_values,
    read_frame,
    reading_session,
)


def overdue_cases(period: Period | None, filters: Filters | None = None, *,
                  now: dt.datetime | None = None, url: str | None = None,
                  include_done: bool = True) -> pd.DataFrame:
    """Every late stage, with who answers for it (D14.4) and how late in working hours.

    ``period`` given: the cohort's stages finished late or still overdue (``include_done``
    False: only those still overdue). ``period`` None: every stage overdue right now, whenever
    the report came in (the dashboard's live list). One row per (report, late stage): a report
    late in two stages has two rows. Columns: :data:`OVERDUE_COLUMNS`; ``status`` is
    ``late_done`` or ``overdue``; ``responsible`` is ``ioc`` or the agency's code; times are
    aware UTC Timestamps (``done_at`` NaT while running); ``hours_late`` is working hours
    (clock hours for emergencies) from the due instant to the finish, or to ``now``.
    Most late first.
    """
    filters, now = given_filters(filters), as_of(now)
    extra = [] if period is not None else [R.state.in_(RUNNING_STATES)]
    with reading_session(url) as session:
        rows = report_rows(session, period, filters, now, extra)
        names = load_names(session)
        calendar = calendar_from_session(session)
    return late_stages(rows, names, calendar, now, include_done and period is not None)


def overdue_by_responsible(cases: pd.DataFrame) -> pd.DataFrame:
    """Late stages per responsible unit (IOC or agency), from :func:`overdue_cases`.

    Index: responsible code. Columns: name, late (rows), overdue (still running), late_done,
    with_notice, hours_total, hours_max. Most late first.
    """
    if cases.empty:
        return pd.DataFrame(columns=["name", "late", "overdue", "late_done", "with_notice",
                                     "hours_total", "hours_max"])
    grouped = cases.groupby("responsible")
    out = pd.DataFrame({
        "name": grouped["responsible_name"].first(),
        "late": grouped.size(),
        "overdue": grouped["status"].apply(lambda s: int((s == "overdue").sum())),
        "late_done": grouped["status"].apply(lambda s: int((s == "late_done").sum())),
        "with_notice": grouped["progress_notice"].sum().astype(int),
        "hours_total": grouped["hours_late"].sum(),
        "hours_max": grouped["hours_late"].max(),
    })
    out.index.name = "responsible"
    return out.sort_values(["late", "hours_total"], ascending=[False, False])


ESCALATION_COLUMNS = ("code", "field", "field_name", "area", "area_name", "unit", "unit_name",
                      "submitted_at", "escalated_at", "waiting_hours", "forward_due", "overdue",
                      "private")


def escalations_waiting(filters: Filters | None = None, *, period: Period | None = None,
                        now: dt.datetime | None = None, url: str | None = None) -> pd.DataFrame:
    """Reports escalated to the provincial People's Committee still waiting for direction (D7.2c).

    Columns: :data:`ESCALATION_COLUMNS`; ``waiting_hours`` = working hours since the latest
    escalation; ``overdue`` = the forward stage's due instant has passed. Longest waiting first.
    """
    filters, now = given_filters(filters), as_of(now)
    escalated_at = (select(func.max(Event.at)).where(Event.report_id == R.id,
                                                      Event.action == "escalate")
                    .scalar_subquery())
    query = (select(R.code, R.field_code, R.unit_code, epoch_column(R.submitted_at),
                    epoch_column(escalated_at), epoch_column(R.forward_due),
                    or_(R.confidential.is_(True), R.state_secret.is_(True)))
             .where(*cohort_conditions(period, filters), R.state == State.ESCALATED.value))
    with reading_session(url) as session:
        raw = read_frame(session, query, ["code", "field", "unit", "submitted", "escalated",
                                      "due", "private"], ["submitted", "escalated", "due"])
        names = load_names(session)
        calendar = calendar_from_session(session)
    if raw.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in ESCALATION_COLUMNS})
    escalated = epoch_values(raw["escalated"])
    due = epoch_values(raw["due"])
    now_s = int(now.timestamp())
    out = pd.DataFrame({
        "code": raw["code"],
        "field": raw["field"].fillna(NONE).astype(str),
        "unit": raw["unit"].fillna(NONE).astype(str),
        "submitted_at": utc_times(epoch_values(raw["submitted"])),
        "escalated_at": utc_times(escalated),
        "waiting_hours": np.round(working_hours(
            calendar, escalated, np.full(len(raw), now_s, dtype=np.int64)), 2),
        "forward_due": utc_times(due),
        "overdue": (due != NAT_INT) & (due < now_s),
        "private": bool_values(raw["private"]),
    })
    out["field_name"] = [names.of("field", c) for c in out["field"]]
    out["area"] = names.area_column(out["unit"])
    out["area_name"] = [names.of("area", c) for c in out["area"]]
    out["unit_name"] = [names.of("unit", c) for c in out["unit"]]
    out = out.sort_values(["waiting_hours", "code"], ascending=[False, True])
    return out[list(ESCALATION_COLUMNS)].reset_index(drop=True)


def report_codes(metric: str, period: Period | None, filters: Filters | None = None, *,
                 now: dt.datetime | None = None, url: str | None = None,
                 limit: int | None = None) -> list[str]:
    """The tracking codes behind a counting figure (click-through), oldest first.

    ``metric`` is a key of :data:`FLAG_KEYS` (``returned_times`` & co. give the reports behind
    them); ratios are clicked through via their parts. ``filters`` narrow it to a table row
    (e.g. ``Filters(agency="so_xd")``); ``period`` None means every report. The count of codes
    equals the figure for the same period, filters and ``now``.
    """
    aliases = {"returned_times": "returned", "rework_times": "rework",
               "escalation_times": "escalated"}
    key = aliases.get(metric, metric)
    now = as_of(now)
    if key not in FLAG_KEYS:
        raise ValueError(
            f"Chỉ tiêu '{metric}' không phải là một số đếm; hãy chọn một trong: "
            f"{', '.join(FLAG_KEYS)}"
        )
    f = facts(now, cohort_conditions(period, given_filters(filters)))
    query = (select(f.c.code).where(flag_conditions(f)[key])
             .order_by(f.c.submitted_at, f.c.id))
    if limit is not None:
        query = query.limit(limit)
    with reading_session(url) as session:
        return list(session.scalars(query))


def count_reports(period: Period, filters: Filters | None = None, *,
                  url: str | None = None) -> int:
    """Reports submitted in ``period`` (a plain COUNT, to check the tables against)."""
    with reading_session(url) as session:
        return int(session.scalar(
            select(func.count()).select_from(R).where(*cohort_conditions(period, given_filters(filters)))) or 0)

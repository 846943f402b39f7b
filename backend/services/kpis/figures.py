"""The figures of a period: one `snapshot` (counts grouped by channel, field, unit and agency,
per-report rows for working hours), read as headline KPIs, per-stage on-time rates, the agency x
area matrix, the ranking and the 12-month trend. Areas are the units' areas, added to every
grouped frame from the stored grouping.

Typical use (one period, several figures: take one snapshot and read it)::

    period = Period.parse("2026-10")
    snap = snapshot(period, Filters(area="tp_thai_nguyen"))
    snap.figures()["rate.on_time.process"]      # one number
    snap.by("agency")                           # a table per agency
    report_codes("process.overdue", period, Filters(area="tp_thai_nguyen"))   # the codes
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from sqlalchemy import (
    ColumnElement,
    case,
    func,
    literal_column,
    or_,
    select,
)
from sqlalchemy.orm import Session

from backend.domain.sla import STAGES
from backend.domain.workflow import STATE_LABELS_VI, State
from backend.domain.worktime import NAT_INT, WorkCalendar
from backend.services.clocks import calendar_from_session
from backend.services.kpis.definitions import (
    COUNT_KEYS,
    E2E,
    IOC,
    RATING_KEYS,
    ST_LATE_DONE,
    ST_OVERDUE,
    STAGE_COUNTS,
    STAGE_KEYS,
    STAGE_OWNER,
    SUM_KEYS,
    KpiTargets,
    Names,
    as_of,
    cohort_conditions,
    facts,
    flag_conditions,
    kpi_texts,
    label,
    load_names,
    load_targets,
    rates,
    ratio,
    stage_name,
    stage_status_case,
    unit_areas,
    unit_of,
)
from backend.services.kpis.selection import (
    DIMENSION_COLUMNS,
    DIMENSIONS,
    NONE,
    SQL_DIMENSIONS,
    Filters,
    Period,
    R,
    given_filters,
)
from backend.storage.snapshots import (
    bool_values,
    epoch_column,
    epoch_values,
    read_frame,
    reading_session,
)


def _count_columns(f, keys: Iterable[str] | None = None) -> list:
    """count(*) FILTER (flag) for each key over the facts subquery ``f`` (sums for *_times)."""
    flags = flag_conditions(f)
    wanted = list(keys) if keys is not None else list(COUNT_KEYS)
    columns = []
    for index, key in enumerate(wanted):
        if key in SUM_KEYS:
            columns.append(func.coalesce(func.sum(f.c[SUM_KEYS[key]]), 0).label(f"m{index}"))
        elif key == "received":
            columns.append(func.count().label(f"m{index}"))
        else:
            columns.append(func.count().filter(flags[key]).label(f"m{index}"))
    return columns


def _group_counts(session: Session, period: Period | None, filters: Filters,
                  now: dt.datetime, keys: Iterable[str] | None = None,
                  dimensions: Iterable[str] = SQL_DIMENSIONS) -> pd.DataFrame:
    """One row per (month, channel, field, unit, agency) of the cohort, one column per
    count (``keys``, default all); ``month`` is the month code ("2026-10") of the submission
    (local time), "" without a period."""
    keys = list(keys) if keys is not None else list(COUNT_KEYS)
    dimensions = list(dimensions)
    f = facts(now, cohort_conditions(period, filters))
    dims = [f.c[d] for d in dimensions]
    months = period.months() if period is not None else []
    bucket = case(*[(f.c.submitted_at < m.end_utc, i) for i, m in enumerate(months)],
                  else_=len(months)) if months else literal_column("0")
    query = (select(bucket.label("month"), *dims, *_count_columns(f, keys))
             .group_by(bucket, *dims))
    rows = session.execute(query).all()
    frame = pd.DataFrame(rows, columns=["month", *dimensions, *keys])
    codes = [m.code for m in months] + [""]
    frame["month"] = [codes[int(i)] if months else "" for i in frame["month"]]
    for d in dimensions:
        frame[d] = frame[d].where(frame[d].notna(), NONE).astype(str)
    for key in keys:
        frame[key] = frame[key].astype(np.int64)
    return frame


def _trend_table(groups: pd.DataFrame, months: list[Period], keys: list[str]) -> pd.DataFrame:
    table = groups.groupby("month")[keys].sum()
    table = table.reindex([m.code for m in months], fill_value=0)
    table = _with_rates(table)
    table.insert(0, "start", [m.start for m in months])
    table.insert(0, "label", [f"{m.start.month:02d}/{m.start.year}" for m in months])
    table.index.name = "month"
    return table.reset_index()


def working_hours(calendar: WorkCalendar, start: np.ndarray, end: np.ndarray,
                  emergency: np.ndarray | None = None) -> np.ndarray:
    """Hours from start to end (epoch seconds, ``NAT_INT`` missing): working time, vectorised;
    clock time where ``emergency`` (their deadlines run on the clock). NaN where missing."""
    start = np.asarray(start, dtype=np.int64)
    end = np.asarray(end, dtype=np.int64)
    hours = np.full(start.shape, np.nan)
    ok = (start != NAT_INT) & (end != NAT_INT)
    if not ok.any():
        return hours
    urgent = np.zeros(start.shape, dtype=bool) if emergency is None else np.asarray(
        emergency, dtype=bool)
    work = ok & ~urgent
    if work.any():
        hours[work] = calendar.elapsed(start[work].view("datetime64[s]"),
                                       end[work].view("datetime64[s]")) / 60.0
    clock = ok & urgent
    hours[clock] = (end[clock] - start[clock]) / 3600.0
    return hours


def _texts(values: pd.Series) -> np.ndarray:
    return values.where(values.notna(), NONE).astype(str).to_numpy()


ROW_COLUMNS = ("code", *SQL_DIMENSIONS, "state", "emergency", "private", "submitted", "notice",
               *[f"{s}_{e}" for s in STAGES for e in ("start", "due", "done")],
               "e2e_start", "e2e_done", *[f"status.{s}" for s in STAGES])


def report_rows(session: Session, period: Period | None, filters: Filters, now: dt.datetime,
          extra: Iterable[ColumnElement[bool]] = ()) -> pd.DataFrame:
    """One row per report of the cohort: the only per-row read (the working-time engine needs
    the instants). No free text and no identity.

    Columns: code, channel, field, unit, agency, state, emergency, private (bool),
    submitted, notice (progress notice), <stage>_start/_due/_done, e2e_start (the verify
    clock's start: submission or last supplement), e2e_done (answer) as epoch seconds
    (``NAT_INT`` missing), status.<stage> (``ST_*`` codes, from :func:`stage_conditions`),
    hours.<stage> and hours.e2e (working hours of finished stages; clock hours for emergencies).
    """
    instants = [epoch_column(getattr(R, f"{s}_{e}")) for s in STAGES for e in ("start", "due", "done")]
    query = (select(R.code, *[DIMENSION_COLUMNS[d] for d in SQL_DIMENSIONS], R.state, R.emergency,
                    or_(R.confidential.is_(True), R.state_secret.is_(True)),
                    epoch_column(R.submitted_at), epoch_column(R.progress_notice_at), *instants,
                    epoch_column(R.verify_start), epoch_column(R.published_at),
                    *[stage_status_case(s, now) for s in STAGES])
             .where(*cohort_conditions(period, filters), *extra).order_by(R.submitted_at, R.id))
    numeric = [c for c in ROW_COLUMNS if c not in ("code", *SQL_DIMENSIONS, "state", "emergency",
                                                    "private")]
    raw = read_frame(session, query, list(ROW_COLUMNS), numeric)
    out = pd.DataFrame({"code": raw["code"].astype(str)})
    for d in SQL_DIMENSIONS:
        out[d] = _texts(raw[d])
    out.insert(3, "area", out["unit"].map(unit_areas(session)).fillna(NONE).astype(str))
    out["state"] = raw["state"].astype(str)
    out["emergency"] = bool_values(raw["emergency"])
    out["private"] = bool_values(raw["private"])
    for name in ROW_COLUMNS:
        if name in ("submitted", "notice", "e2e_start", "e2e_done") or name.endswith(
                ("_start", "_due", "_done")):
            out[name] = epoch_values(raw[name])
    for stage in STAGES:
        out[f"status.{stage}"] = raw[f"status.{stage}"].to_numpy().astype(np.int8)
    calendar = calendar_from_session(session)
    urgent = out["emergency"].to_numpy()
    for stage in STAGE_KEYS:
        out[f"hours.{stage}"] = working_hours(
            calendar, out[f"{stage}_start"].to_numpy(), out[f"{stage}_done"].to_numpy(), urgent)
    return out


def _hour_figures(durations: pd.DataFrame,
                  stages: Iterable[str] = STAGE_KEYS) -> dict[str, float | int | None]:
    out: dict[str, float | int | None] = {}
    for stage in stages:
        values = durations[f"hours.{stage}"].dropna()
        out[f"hours.avg.{stage}"] = float(values.mean()) if len(values) else None
        out[f"hours.median.{stage}"] = float(values.median()) if len(values) else None
        out[f"hours.count.{stage}"] = int(len(values))
    return out


def _stage_hours(session: Session, period: Period | None, filters: Filters,
                 stages: Iterable[str]) -> pd.DataFrame:
    """Working hours of some stages only (a slimmer read than ``report_rows``)."""
    stages = list(stages)
    bounds = {stage: (("verify_start", "published_at") if stage == E2E else
                      (f"{stage}_start", f"{stage}_done")) for stage in stages}
    names = ["emergency", *[f"{s}.{e}" for s in stages for e in ("start", "done")]]
    query = select(R.emergency, *[epoch_column(getattr(R, column)) for s in stages
                                  for column in bounds[s]]).where(
        *cohort_conditions(period, filters))
    raw = read_frame(session, query, names, names[1:])
    calendar = calendar_from_session(session)
    urgent = bool_values(raw["emergency"])
    return pd.DataFrame({f"hours.{s}": working_hours(
        calendar, epoch_values(raw[f"{s}.start"]), epoch_values(raw[f"{s}.done"]), urgent)
        for s in stages})


@dataclass
class Snapshot:
    """All figures of one period (and filters) as they stand at ``now``.

    ``groups`` holds one row per (channel, field, area, unit, agency) with every count; every
    table is a sum over it, so totals and breakdowns always add up. Working hours are read on
    first use (:attr:`rows`).
    """

    period: Period
    filters: Filters
    now: dt.datetime
    groups: pd.DataFrame
    names: Names
    calendar: WorkCalendar
    url: str | None = None
    _rows: pd.DataFrame | None = field(default=None, repr=False)
    _figures: tuple[pd.DataFrame, dict[str, Any]] | None = field(default=None, repr=False)

    # ----------------------------------------------------------------- per-row data

    @property
    def rows(self) -> pd.DataFrame:
        """One row per report of the period (codes, dimensions, stage instants, statuses and
        working hours; see ``ROW_COLUMNS`` and ``report_rows``), read once on first use."""
        if self._rows is None:
            with reading_session(self.url) as session:
                self._rows = report_rows(session, self.period, self.filters, self.now)
        return self._rows

    # ----------------------------------------------------------------- scalars

    def totals(self) -> dict[str, int]:
        """Every count of the period (keys of :data:`COUNT_KEYS`)."""
        return {key: int(self.groups[key].sum()) for key in COUNT_KEYS}

    def figures(self, hours: bool | Iterable[str] = True) -> dict[str, float | int | None]:
        """Every figure by key: counts, ratios (0-1, None when undefined) and working hours.

        ``hours`` False leaves the hour figures out; a list of stages (e.g. ``("process",
        "e2e")``) computes only theirs, from a slimmer read, when :attr:`rows` is not loaded.
        """
        if hours is True and self._figures is not None and self._figures[0] is self.groups:
            return dict(self._figures[1])
        totals = self.totals()
        out: dict[str, float | int | None] = {**totals, **rates(totals)}
        if hours is True or (hours and self._rows is not None):
            out.update(_hour_figures(self.rows))
            if hours is True:  # kept while the counts are the same object
                self._figures = (self.groups, dict(out))
        elif hours:
            with reading_session(self.url) as session:
                durations = _stage_hours(session, self.period, self.filters, hours)
            out.update(_hour_figures(durations, hours))
        return out

    # ----------------------------------------------------------------- tables

    def by(self, dimension: str) -> pd.DataFrame:
        """One row per code of ``channel``, ``field``, ``area``, ``unit`` or ``agency``.

        Index: the code (``NONE`` for no value); columns: ``name``, every count, every ratio,
        and ``hours.avg.<stage>`` / ``hours.median.<stage>``. Sorted by received, largest first.
        """
        if dimension not in DIMENSIONS:
            raise ValueError(f"Chiều thống kê '{dimension}' không tồn tại ({', '.join(DIMENSIONS)})")
        table = self.groups.groupby(dimension)[list(COUNT_KEYS)].sum()
        table = _with_rates(table)
        columns = [f"hours.{s}" for s in STAGE_KEYS]
        grouped = self.rows.groupby(dimension)[columns]
        means, medians = grouped.mean(), grouped.median()
        for stage in STAGE_KEYS:
            table[f"hours.avg.{stage}"] = means[f"hours.{stage}"]
            table[f"hours.median.{stage}"] = medians[f"hours.{stage}"]
        table.insert(0, "name", [self.names.of(dimension, code) for code in table.index])
        table.index.name = dimension
        return table.sort_values(["received", "name"], ascending=[False, True])

    def stage_table(self, targets: KpiTargets | None = None) -> pd.DataFrame:
        """On time and late per stage and end to end (index: verify ... publish, e2e).

        Columns: name, on_time, late, late_done, overdue, pending, late_notice, late_no_notice,
        on_time_rate, target, hours_avg, hours_median, hours_count.
        """
        targets = targets or load_targets()
        figures = self.figures()
        rows = []
        for stage in STAGE_KEYS:
            row = {"stage": stage, "name": stage_name(stage)}
            row.update({name: figures[f"{stage}.{name}"] for name in STAGE_COUNTS})
            row["on_time_rate"] = figures[f"rate.on_time.{stage}"]
            row["target"] = targets.stage_targets.get(stage)
            row["hours_avg"] = figures[f"hours.avg.{stage}"]
            row["hours_median"] = figures[f"hours.median.{stage}"]
            row["hours_count"] = figures[f"hours.count.{stage}"]
            rows.append(row)
        return pd.DataFrame(rows).set_index("stage")

    def satisfaction(self, dimension: str | None = None) -> pd.DataFrame:
        """Ratings (D11.2): answered, rated, each rating, rate.rated, rate.satisfied.

        One row per code of ``dimension`` (default: one row, ``total``).
        """
        columns = ["answered", "rated", *RATING_KEYS]
        if dimension is None:
            table = pd.DataFrame([self.groups[columns].sum()], index=pd.Index(["total"]))
        else:
            table = self.groups.groupby(dimension)[columns].sum()
            table.insert(0, "name", [self.names.of(dimension, c) for c in table.index])
        table["rate.rated"] = ratio(table["rated"], table["answered"])
        table["rate.satisfied"] = ratio(
            table["rating.hai_long"] + table["rating.chap_nhan_duoc"], table["rated"])
        return table

    def matrix(self, by: str = "area") -> pd.DataFrame:
        """Agency × area (or × unit, ``by="unit"``), long form, for SLA heatmaps.

        One row per (agency, place) with reports: agency, agency_name, place, place_name,
        received, late (the agency's stages, process and approve, finished late or overdue),
        overdue (those running past due now), on_time (process stage), on_time_rate (process:
        on_time / (on_time + late)).
        """
        if by not in ("area", "unit"):
            raise ValueError(f"Ma trận theo 'area' hoặc 'unit', không theo '{by}'")
        table = self.groups.groupby(["agency", by])[
            ["received", "agency_late", "agency_overdue", "process.on_time", "process.late"]].sum()
        table = table.reset_index()
        out = pd.DataFrame({
            "agency": table["agency"],
            "agency_name": [self.names.of("agency", c) for c in table["agency"]],
            "place": table[by],
            "place_name": [self.names.of(by, c) for c in table[by]],
            "received": table["received"],
            "late": table["agency_late"],
            "overdue": table["agency_overdue"],
            "on_time": table["process.on_time"],
            "on_time_rate": ratio(table["process.on_time"],
                                   table["process.on_time"] + table["process.late"]),
        })
        return out.sort_values(["agency", "place"]).reset_index(drop=True)

    def trend(self) -> pd.DataFrame:
        """One row per calendar month of the period (oldest first), months without reports
        included: month ("2026-10"), label ("10/2026"), start (date), every count and ratio."""
        return _trend_table(self.groups, self.period.months(), list(COUNT_KEYS))

    def overdue(self, include_done: bool = True) -> pd.DataFrame:
        """The period's late stages (see :func:`overdue_cases`), from :attr:`rows`."""
        return late_stages(self.rows, self.names, self.calendar, self.now, include_done)

    def ranking(self, min_sample: int | None = None) -> pd.DataFrame:
        """Agencies ranked by on-time processing (D14.4), tiny samples set apart.

        Index: agency code (the "no agency" group left out). Columns: name, received, decided
        (process stages on time + late), on_time, late, on_time_rate, hours_median (process),
        rate.satisfied, eligible (decided ≥ min_sample, default from data/kpi_targets.toml),
        rank (1 = best; None when not eligible). Eligible first, best first.
        """
        if min_sample is None:
            min_sample = load_targets().min_sample
        table = self.by("agency")
        table = table[table.index != NONE]
        out = pd.DataFrame({
            "name": table["name"],
            "received": table["received"],
            "decided": table["process.on_time"] + table["process.late"],
            "on_time": table["process.on_time"],
            "late": table["process.late"],
            "on_time_rate": table["rate.on_time.process"],
            "hours_median": table["hours.median.process"],
            "rate.satisfied": table["rate.satisfied"],
        })
        out["eligible"] = out["decided"] >= min_sample
        out = out.sort_values(["eligible", "on_time_rate", "hours_median", "name"],
                              ascending=[False, False, True, True], na_position="last")
        ranks = np.where(out["eligible"], np.cumsum(out["eligible"]), 0)
        out["rank"] = pd.array([int(r) if r else None for r in ranks], dtype="Int64")
        out.index.name = "agency"
        return out


def _with_rates(table: pd.DataFrame) -> pd.DataFrame:
    table = table.copy()
    for key, value in rates(table).items():
        table[key] = value
    return table


def snapshot(period: Period, filters: Filters | None = None, *, now: dt.datetime | None = None,
             url: str | None = None) -> Snapshot:
    """Count everything for ``period`` in one SQL ``GROUP BY`` (hours are read on first use)."""
    filters, now = given_filters(filters), as_of(now)
    with reading_session(url) as session:
        groups = _group_counts(session, period, filters, now)
        names = load_names(session)
        groups.insert(3, "area", names.area_column(groups["unit"]))
        calendar = calendar_from_session(session)
    return Snapshot(period=period, filters=filters, now=now, groups=groups, names=names,
                    calendar=calendar, url=url)


@dataclass(frozen=True)
class Headline:
    """One headline figure with the previous period and its target."""

    key: str
    label: str
    value: float | int | None
    previous: float | int | None
    change: float | None  # value - previous
    unit: Literal["count", "rate", "hours"]
    target: float | None
    better: Literal["higher", "lower"]
    met: bool | None  # None when there is no target or no value


def headlines(current: Snapshot, previous: Snapshot | None = None,
              targets: KpiTargets | None = None, *,
              previous_figures: Mapping[str, Any] | None = None) -> list[Headline]:
    """The headline figures of ``data/kpi_targets.toml``, compared with ``previous``
    (``previous_figures``: that period's figures when already computed)."""
    targets = targets or load_targets()
    now_figures = current.figures()
    if previous_figures is not None:
        prev_figures = dict(previous_figures)
    else:
        prev_figures = previous.figures() if previous is not None else {}
    out = []
    for spec in targets.headline:
        value = now_figures.get(spec.key)
        before = prev_figures.get(spec.key)
        change = None if value is None or before is None else float(value) - float(before)
        met = None
        if spec.target is not None and value is not None:
            met = value >= spec.target if spec.better == "higher" else value <= spec.target
        out.append(Headline(spec.key, label(spec.key), value, before, change, unit_of(spec.key),
                            spec.target, spec.better, met))
    return out


def headline_kpis(period: Period, filters: Filters | None = None, *,
                  now: dt.datetime | None = None, url: str | None = None,
                  targets: KpiTargets | None = None) -> list[Headline]:
    """Headline figures of ``period`` with the previous period and the targets."""
    now = as_of(now)
    return headlines(snapshot(period, filters, now=now, url=url),
                     snapshot(period.previous(), filters, now=now, url=url), targets)


def stage_on_time(period: Period, filters: Filters | None = None, *,
                  now: dt.datetime | None = None, url: str | None = None) -> pd.DataFrame:
    """On-time rate per stage and end to end (see :meth:`Snapshot.stage_table`)."""
    return snapshot(period, filters, now=now, url=url).stage_table()


def agency_area_matrix(period: Period, filters: Filters | None = None, *, by: str = "area",
                       now: dt.datetime | None = None, url: str | None = None) -> pd.DataFrame:
    """Agency × area (or unit) counts for heatmaps (see :meth:`Snapshot.matrix`)."""
    return snapshot(period, filters, now=now, url=url).matrix(by)


def agency_ranking(period: Period, filters: Filters | None = None, *,
                   now: dt.datetime | None = None, url: str | None = None,
                   min_sample: int | None = None) -> pd.DataFrame:
    """Agencies ranked by on-time processing (see :meth:`Snapshot.ranking`)."""
    return snapshot(period, filters, now=now, url=url).ranking(min_sample)


TREND_KEYS = ("received", "rejected", "answered", "e2e.on_time", "e2e.late", "e2e.overdue",
              "process.on_time", "process.late", "rated", "rating.hai_long",
              "rating.chap_nhan_duoc", "rating.khong_hai_long")


def monthly_trend(period: Period, filters: Filters | None = None, *, months: int = 12,
                  now: dt.datetime | None = None, url: str | None = None,
                  keys: Iterable[str] | None = TREND_KEYS) -> pd.DataFrame:
    """Month by month, ``months`` months ending with the period's last month (oldest first).

    One SQL query over the whole span. Columns: month ("2026-10"), label ("10/2026"), start
    (date), the counts of ``keys`` (default :data:`TREND_KEYS`; None: every count) and the
    ratios they allow (rate.on_time.e2e, rate.on_time.process, rate.satisfied by default).
    """
    if months < 1:
        raise ValueError("Số tháng phải từ 1 trở lên")
    filters, now = given_filters(filters), as_of(now)
    buckets = period.months_back(months)
    span = Period(buckets[0].start, buckets[-1].end)
    keys = list(keys) if keys is not None else list(COUNT_KEYS)
    with reading_session(url) as session:
        groups = _group_counts(session, span, filters, now, keys, dimensions=())
    return _trend_table(groups, buckets, keys)


OVERDUE_COLUMNS = (
    "code", "stage", "stage_name", "status", "responsible", "responsible_name", "agency",
    "field", "field_name", "area", "area_name", "unit", "unit_name", "submitted_at", "due_at",
    "done_at",
    "hours_late", "progress_notice", "emergency", "private", "state", "state_name",
)


def utc_times(seconds: np.ndarray) -> pd.Series:
    values = pd.Series(seconds, dtype="int64")
    return pd.to_datetime(values.where(values != NAT_INT), unit="s", utc=True)


def late_stages(rows: pd.DataFrame, names: Names, calendar: WorkCalendar, now: dt.datetime,
                include_done: bool = True) -> pd.DataFrame:
    """The late stages of per-report rows (``Snapshot.rows``), one row per (report, stage).

    Columns: :data:`OVERDUE_COLUMNS` (see :func:`overdue_cases`). Most late first.
    """
    now_s = int(now.timestamp())
    parts = []
    for stage in STAGES:
        status = rows[f"status.{stage}"].to_numpy()
        mine = (status == ST_OVERDUE) | ((status == ST_LATE_DONE) if include_done else False)
        if not mine.any():
            continue
        part = rows.loc[mine]
        due = part[f"{stage}_due"].to_numpy()
        done = part[f"{stage}_done"].to_numpy()
        end = np.where(done == NAT_INT, now_s, done)
        notice = part["notice"].to_numpy()
        agency = part["agency"].to_numpy()
        parts.append(pd.DataFrame({
            "code": part["code"].to_numpy(),
            "stage": stage,
            "status": np.where(status[mine] == ST_OVERDUE, "overdue", "late_done"),
            "responsible": np.full(len(part), IOC, dtype=object) if STAGE_OWNER[stage] == IOC
            else agency,
            "agency": agency,
            "field": part["field"].to_numpy(),
            "area": part["area"].to_numpy(),
            "unit": part["unit"].to_numpy(),
            "submitted_at": part["submitted"].to_numpy(),
            "due_at": due,
            "done_at": done,
            "hours_late": np.round(working_hours(calendar, due, end,
                                                 part["emergency"].to_numpy()), 2),
            "progress_notice": (notice != NAT_INT) & (notice <= end),
            "emergency": part["emergency"].to_numpy(),
            "private": part["private"].to_numpy(),
            "state": part["state"].to_numpy(),
        }))
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in OVERDUE_COLUMNS})
    out = pd.concat(parts, ignore_index=True)
    for column in ("submitted_at", "due_at", "done_at"):
        out[column] = utc_times(out[column].to_numpy())
    texts = kpi_texts()["names"]
    stage_names = {stage: stage_name(stage) for stage in STAGES}
    out["stage_name"] = out["stage"].map(stage_names)
    responsible = {**names.agencies, IOC: texts["ioc"], NONE: texts["no_agency"]}
    out["responsible_name"] = out["responsible"].map(responsible).fillna(out["responsible"])
    out["field_name"] = out["field"].map({**names.fields, NONE: texts["no_field"]}).fillna(
        out["field"])
    out["area_name"] = out["area"].map({**names.areas, NONE: texts["no_area"]}).fillna(
        out["area"])
    out["unit_name"] = out["unit"].map({**names.units, NONE: texts["no_unit"]}).fillna(
        out["unit"])
    out["state_name"] = out["state"].map({s.value: STATE_LABELS_VI[s] for s in State})
    out = out.sort_values(["hours_late", "code", "stage"], ascending=[False, True, True],
                          kind="stable").reset_index(drop=True)
    return out[list(OVERDUE_COLUMNS)]

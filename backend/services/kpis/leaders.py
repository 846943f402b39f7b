"""The leadership page's figures (D2.2d, D13.5, D14.4), arranged on top of :mod:`backend.services.kpis`.

The KPI package defines every figure once; this module only arranges them for the page and makes them cheap
to take again. A month's counts are the KPIs' own per-group counts (``Snapshot.groups``: one row per
month × channel × field × area × unit × agency, every count a column), taken once for the whole
province: any filter, the month itself, the quarter it belongs to, the previous period and the
twelve-month trend are sums over those frames, so the page rebuilds a :class:`kpis.Snapshot`
from them (:func:`snapshot_from`) instead of asking the database again. Only what needs one row
per report (working hours, the overdue list) is read for the page's own period and filters.

Everything returned by :func:`overview`, :func:`trend` and :func:`escalations` is plain data
(dicts, lists, numbers, ISO strings): the dashboard caches it and draws it. No reporter's name,
phone or e-mail is ever read here; :func:`report_brief` gives a report's read-only detail without
the reporter (the page does not need who reported, D13.3). The page's one step: a provincial
leader directs an escalated report to an agency (:func:`direct`, D7.2c).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from backend.config import LOCAL_TZ
from backend.domain.roles import DIRECTING_ROLES, LEADERS_PAGE_ROLES
from backend.services import kpis
from backend.services.access.auth import StaffUser
from backend.services.clocks import current_calendar
from backend.services.errors import NotFound
from backend.services.reads import catalogue, queries
from backend.services.workflow import routing as routing_suggest
from backend.services.workflow.steps import perform_action
from backend.vietnamese import fold

OVERDUE_LIMIT = 60  # rows of the overdue list on the page (the pack's workbook has them all)
DRILL_LIMIT = 500  # codes one drill-down lists (the page and `ioc bench reads`)
FILTER_NAMES = ("field", "area", "unit", "agency")
# the figure a headline tile clicks through to: the reports behind the number, or behind the
# part of it that needs attention (a rate is clicked through via its parts, kpis.report_codes)
HEADLINE_DRILL = {
    "received": "received",
    "rate.answered": "answered",
    "rate.on_time.e2e": "e2e.late",
    "rate.on_time.process": "process.late",
    "e2e.overdue": "e2e.overdue",
    "hours.median.process": "process.late",
    "rate.misrouting": "returned",
    "rate.rework": "rework",
    "rate.rated": "rated",
    "rate.satisfied": "rating.khong_hai_long",
}


# =========================================================================== month counts


@dataclass(frozen=True)
class MonthCounts:
    """the KPIs' group counts of one calendar month for the whole province, as taken at ``now``."""

    code: str
    now: dt.datetime
    groups: pd.DataFrame
    names: kpis.Names


def month_counts(months: Iterable[kpis.Period], *, now: dt.datetime | None = None,
                 url: str | None = None, parallel: int = 2) -> dict[str, MonthCounts]:
    """The counts of each month (month periods), all as of the same ``now``.

    The months are split into at most ``parallel`` runs of consecutive months, each counted by
    one query over its span, the runs at the same time (each query is one database process:
    two of them use two cores). Every month of a span is returned.
    """
    wanted = sorted(set(months))
    if not wanted:
        return {}
    now = now or dt.datetime.now(dt.UTC).replace(microsecond=0)
    size = -(-len(wanted) // max(1, min(parallel, len(wanted))))
    runs = [wanted[i:i + size] for i in range(0, len(wanted), size)]
    out: dict[str, MonthCounts] = {}
    for part in together(*[lambda run=run: _count_run(run, now, url) for run in runs]):
        out.update(part)
    return out


def _count_run(months: list[kpis.Period], now: dt.datetime, url: str | None
               ) -> dict[str, MonthCounts]:
    span = kpis.Period(months[0].start, months[-1].end)
    snap = kpis.snapshot(span, None, now=now, url=url)
    frames = dict(tuple(snap.groups.groupby("month", sort=False)))
    out = {}
    for month in span.months():
        frame = frames.get(month.code)
        if frame is None:
            frame = snap.groups.iloc[0:0]
        out[month.code] = MonthCounts(month.code, snap.now, frame.reset_index(drop=True),
                                      snap.names)
    return out


T = TypeVar("T")


def together(*jobs: Callable[[], T]) -> list[T]:
    """Run independent reads at the same time (threads, each with its own connection), in
    order; one job runs in the caller's thread."""
    if len(jobs) <= 1:
        return [job() for job in jobs]
    with ThreadPoolExecutor(max_workers=len(jobs) - 1) as pool:
        futures = [pool.submit(job) for job in jobs[1:]]
        first = jobs[0]()
        return [first, *[future.result() for future in futures]]


def filter_groups(groups: pd.DataFrame, filters: kpis.Filters) -> pd.DataFrame:
    """The group rows that ``filters`` select (codes; ``kpis.NONE`` selects "no value")."""
    if filters.empty:
        return groups
    mask = np.ones(len(groups), dtype=bool)
    for name in kpis.DIMENSIONS:
        value = getattr(filters, name)
        if value not in (None, ""):
            mask &= (groups[name] == value).to_numpy()
    return groups.loc[mask]


def snapshot_from(period: kpis.Period, filters: kpis.Filters | None,
                  counts: Mapping[str, MonthCounts], *, url: str | None = None) -> kpis.Snapshot:
    """the KPIs' snapshot of ``period`` and ``filters``, rebuilt from month counts.

    ``period`` must be whole months (a month or a quarter). Its figures equal
    ``kpis.snapshot(period, filters, now=...)`` taken at the moment the counts were taken (the
    earliest of its months'); per-report rows are read on first use, as of that moment.
    """
    now = min(counts[m.code].now for m in _months_of(period))
    return fill(blank_snapshot(period, filters, now, url=url), counts)


def blank_snapshot(period: kpis.Period, filters: kpis.Filters | None, now: dt.datetime, *,
                   url: str | None = None) -> kpis.Snapshot:
    """A snapshot whose counts come later (:func:`fill`): its per-report rows (``.rows``) can
    be read meanwhile, while the month counts are taken."""
    return kpis.Snapshot(period=period, filters=filters or kpis.Filters(), now=now,
                        groups=pd.DataFrame(), names=kpis.Names({}, {}, {}, {}, {}, {}),
                        calendar=current_calendar(url), url=url)


def fill(snap: kpis.Snapshot, counts: Mapping[str, MonthCounts]) -> kpis.Snapshot:
    """Put the period's month counts (filtered) into a :func:`blank_snapshot`."""
    parts = [counts[m.code] for m in _months_of(snap.period)]
    snap.groups = pd.concat([filter_groups(p.groups, snap.filters) for p in parts],
                            ignore_index=True)
    snap.names = max(parts, key=lambda p: p.now).names
    return snap


def _months_of(period: kpis.Period) -> list[kpis.Period]:
    months = period.months()
    if period.start != months[0].start or period.end != months[-1].end:
        raise ValueError("Kỳ báo cáo phải gồm trọn các tháng")
    return months


# =========================================================================== plain values


def plain(value: Any) -> Any:
    """A JSON-able Python value: numpy scalars unwrapped, NaN/NaT as None, times as ISO."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return None if math.isnan(value) else float(value)
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime().isoformat()
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return value


def _records(frame: pd.DataFrame, columns: Iterable[str]) -> list[dict[str, Any]]:
    columns = list(columns)
    return [{c: plain(v) for c, v in zip(columns, row, strict=True)}
            for row in frame[columns].itertuples(index=False, name=None)]


def filters_dict(filters: kpis.Filters) -> dict[str, str | None]:
    return {name: getattr(filters, name) for name in FILTERS_ALL}


FILTERS_ALL = ("field", "area", "unit", "agency", "channel")


def counts_by(snap: kpis.Snapshot, dimension: str) -> pd.DataFrame:
    """Counts and ratios per code of ``dimension`` from the group counts alone (no per-report
    rows: what ``Snapshot.by`` gives without its working-hour columns)."""
    table = snap.groups.groupby(dimension)[list(kpis.COUNT_KEYS)].sum()
    for key, value in kpis.rates(table).items():
        table[key] = value
    table.insert(0, "name", [snap.names.of(dimension, code) for code in table.index])
    table.index.name = dimension
    return table.sort_values(["received", "name"], ascending=[False, True])


class _Known:
    """Figures already taken, where kpis.headlines expects a snapshot (it only reads figures)."""

    def __init__(self, figures: Mapping[str, Any]) -> None:
        self._figures = dict(figures)

    def figures(self, hours: bool = True) -> dict[str, Any]:
        return self._figures


def figures(snap: kpis.Snapshot) -> dict[str, Any]:
    """Every figure of a snapshot (counts, ratios, working hours) as plain numbers."""
    return {key: plain(value) for key, value in snap.figures().items()}


# =========================================================================== the page


def overview(current: kpis.Snapshot, previous: Mapping[str, Any] | None, *,
             escalated: list[dict[str, Any]] | None = None,
             targets: kpis.KpiTargets | None = None,
             limit: int = OVERDUE_LIMIT) -> dict[str, Any]:
    """Everything the leadership page shows for one period and filters, as plain data.

    ``previous``: the figures of the previous period (:func:`figures`), for the comparisons.
    Keys: period, filters, now, figures, headline, stages, matrix, unit_matrix, areas, units,
    ranking,
    satisfaction, flow, overdue, escalations (``escalated`` as given, see :func:`escalations`).
    """
    targets = targets or kpis.load_targets()
    now_figures = figures(current)
    headline = kpis.headlines(_Known(now_figures),  # type: ignore[arg-type]
                             _Known(previous) if previous is not None else None,  # type: ignore[arg-type]
                             targets)
    period = current.period
    return {
        "period": {"code": period.code, "kind": period.kind, "label": period.label_vi,
                   "title": period.title_vi, "span": period.span_vi,
                   "previous": period.previous().label_vi, "previous_code": period.previous().code},
        "filters": filters_dict(current.filters),
        "now": current.now.isoformat(),
        "figures": now_figures,
        "headline": [{"key": h.key, "label": h.label, "value": plain(h.value),
                      "previous": plain(h.previous), "change": plain(h.change), "unit": h.unit,
                      "target": plain(h.target), "better": h.better, "met": plain(h.met),
                      "drill": HEADLINE_DRILL.get(h.key)} for h in headline],
        "stages": _stages(current, targets),
        "matrix": _matrix(current, "area"),
        "unit_matrix": _matrix(current, "unit"),
        "areas": _places(current, "area"),
        "units": _places(current, "unit"),
        "ranking": _ranking(current, targets),
        "min_sample": targets.min_sample,
        "short_names": {code: short for code, short in current.names.agency_short.items()
                        if short} | {kpis.IOC: "IOC tỉnh"},
        "satisfaction": _satisfaction(now_figures),
        "flow": {key: now_figures.get(key) for key in (
            "forwarded", "returned", "returned_times", "rate.misrouting", "result_submitted",
            "rework", "rework_times", "rate.rework", "escalated", "escalation_waiting",
            "reopened", "received", "rejected", "supplement_requested", "answered",
            "published", "answered_privately", "open", "emergency", "private")},
        "overdue": _overdue(current, limit),
        "escalations": escalated or [],
    }


def _stages(snap: kpis.Snapshot, targets: kpis.KpiTargets) -> list[dict[str, Any]]:
    table = snap.stage_table(targets)
    out = []
    for stage, row in table.iterrows():
        item = {"stage": stage, **{k: plain(v) for k, v in row.items()}}
        rate, target = item["on_time_rate"], item["target"]
        item["met"] = None if rate is None or target is None else rate >= target
        out.append(item)
    return out


def _matrix(snap: kpis.Snapshot, by: str) -> list[dict[str, Any]]:
    table = snap.matrix(by)
    table = table[table["agency"] != kpis.NONE]
    short = snap.names.agency_short
    table = table.assign(agency_short=[short.get(c) or n for c, n in
                                       zip(table["agency"], table["agency_name"], strict=True)])
    return _records(table, ["agency", "agency_name", "agency_short", "place", "place_name",
                            "received", "late", "overdue", "on_time", "on_time_rate"])


def _places(snap: kpis.Snapshot, dimension: str) -> list[dict[str, Any]]:
    """Per area or unit: counts and rates (a unit row also names its area)."""
    table = counts_by(snap, dimension).reset_index().rename(columns={dimension: "code"})
    table["rate.overdue"] = table["e2e.overdue"] / table["open"].where(table["open"] != 0)
    table["area"] = (table["code"] if dimension == "area"
                     else snap.names.area_column(table["code"]))
    return _records(table, ["code", "name", "area", "received", "open", "e2e.on_time", "e2e.late",
                            "e2e.overdue", "rate.on_time.e2e", "rate.on_time.process",
                            "rate.overdue"])


def _ranking(snap: kpis.Snapshot, targets: kpis.KpiTargets) -> list[dict[str, Any]]:
    table = snap.ranking(targets.min_sample).reset_index()
    table["short"] = [snap.names.agency_short.get(c) or n
                      for c, n in zip(table["agency"], table["name"], strict=True)]
    return _records(table, ["agency", "name", "short", "received", "decided", "on_time", "late",
                            "on_time_rate", "hours_median", "rate.satisfied", "eligible",
                            "rank"])


def _satisfaction(figs: Mapping[str, Any]) -> dict[str, Any]:
    keys = ("answered", "rated", *kpis.RATING_KEYS, "rate.rated", "rate.satisfied")
    return {key: figs.get(key) for key in keys}


OVERDUE_FIELDS = ("code", "stage", "stage_name", "status", "responsible", "responsible_name",
                  "field_name", "area", "area_name", "unit", "unit_name", "due_at", "done_at",
                  "hours_late",
                  "progress_notice", "emergency", "private")


def _overdue(snap: kpis.Snapshot, limit: int) -> dict[str, Any]:
    cases = snap.overdue(include_done=True)
    running = cases[cases["status"] == "overdue"]
    units = kpis.overdue_by_responsible(cases)
    by_unit = [] if units.empty else _records(units.reset_index().head(12), [
        "responsible", "name", "late", "overdue", "late_done", "with_notice", "hours_total",
        "hours_max"])
    return {
        "late": int(len(cases)),
        "overdue": int(len(running)),
        "reports_late": int(cases["code"].nunique()) if len(cases) else 0,
        "rows_overdue": _records(running.head(limit), OVERDUE_FIELDS),
        "rows_late": _records(cases.head(limit), OVERDUE_FIELDS),
        "by_responsible": by_unit,
    }


def escalations(filters: kpis.Filters | None = None, *, now: dt.datetime | None = None,
                url: str | None = None) -> list[dict[str, Any]]:
    """Reports escalated to the provincial People's Committee still waiting for its direction
    (D7.2c), whenever they came in, longest waiting first (kpis.escalations_waiting)."""
    table = kpis.escalations_waiting(filters, now=now, url=url)
    return _records(table, kpis.ESCALATION_COLUMNS)


def trend(last: kpis.Period, filters: kpis.Filters | None, counts: Mapping[str, MonthCounts],
          *, months: int = 12, url: str | None = None) -> list[dict[str, Any]]:
    """Month by month, ``months`` months ending with ``last``'s last month (the KPIs' trend)."""
    buckets = last.months_back(months)
    span = kpis.Period(buckets[0].start, buckets[-1].end)
    table = snapshot_from(span, filters, counts, url=url).trend()
    keys = ("month", "label", "received", "answered", "e2e.on_time", "e2e.late", "e2e.overdue",
            "process.on_time", "process.late", "rated", "rate.on_time.e2e",
            "rate.on_time.process", "rate.satisfied", "rate.rated", "rate.misrouting",
            "rate.rework")
    return _records(table, keys)


def trend_months(last: kpis.Period, months: int = 12) -> list[kpis.Period]:
    """The month periods :func:`trend` needs."""
    return last.months_back(months)


def page_months(period: kpis.Period) -> list[kpis.Period]:
    """The month periods :func:`overview` needs: the period's and the previous period's."""
    return sorted(set(period.months()) | set(period.previous().months()))


# =========================================================================== periods


def local_today(now: dt.datetime | None = None) -> dt.date:
    return (now or dt.datetime.now(dt.UTC)).astimezone(LOCAL_TZ).date()


def current_period(kind: str, now: dt.datetime | None = None) -> kpis.Period:
    """This month or this quarter (Vietnam's calendar)."""
    today = local_today(now)
    if kind == "quarter":
        return kpis.Period.quarter(today.year, (today.month - 1) // 3 + 1)
    return kpis.Period.month(today.year, today.month)


def period_choices(kind: str, now: dt.datetime | None = None, count: int | None = None
                   ) -> list[kpis.Period]:
    """Periods a leader may pick, newest first: 24 months or 8 quarters up to the current one."""
    period = current_period(kind, now)
    out = [period]
    for _ in range((count or (8 if kind == "quarter" else 24)) - 1):
        out.append(out[-1].previous())
    return out


def quarter_of(period: kpis.Period) -> kpis.Period:
    """The quarter holding the period's last day."""
    day = period.last_day
    return kpis.Period.quarter(day.year, (day.month - 1) // 3 + 1)


# =========================================================================== one report


def report_brief(code: str, viewer: StaffUser, *, now: dt.datetime | None = None,
                 url: str | None = None) -> dict[str, Any]:
    """One report, read only, as the leadership page shows it: content, place, agency,
    deadlines, result and history, never the reporter (the page has no need of who reported).

    Read with a provincial leader's scope (the whole province, no identity), whoever of the
    page's roles is looking, so opening it neither reads nor logs a reporter's identity.
    """

    if viewer.role not in LEADERS_PAGE_ROLES:
        raise NotFound()
    reader = replace(viewer, role="provincial_leader", agency_code=None)
    detail = queries.report_detail(code, reader, now=now, url=url)
    detail.pop("reporter", None)
    # the one step of the page: a provincial leader directs an escalated report (D7.2c);
    # IOC and administrators read it only
    directs = viewer.role in DIRECTING_ROLES and "direct" in detail.get("allowed_actions", [])
    detail["allowed_actions"] = ["direct"] if directs else []
    return detail


def direction_choices(detail: Mapping[str, Any], *, url: str | None = None) -> dict[str, Any]:
    """What the direction form offers (D7.2c): the active agencies, and the agency the routing
    rules suggest for the report's field and unit (None when no rule covers it)."""

    agencies = sorted(({"value": a.code, "label": a.name, "search": f"{a.name} {fold(a.name)}"}
                       for a in catalogue.list_agencies(url)), key=lambda a: a["label"])
    suggested = routing_suggest.suggest_agency(detail.get("field"), detail.get("unit"), url)
    if suggested not in {a["value"] for a in agencies}:
        suggested = None
    return {"agencies": agencies, "suggested": suggested}


def direct(code: str, viewer: StaffUser, agency: str, direction: str, *,
           version: int | None, now: dt.datetime | None = None, url: str | None = None):
    """A provincial leader directs an escalated report: the workflow step `direct` (escalated →
    forwarded to `agency`, with the direction's text). A refused or stale step changes nothing
    and raises its WorkflowError (Vietnamese `.message`)."""

    return perform_action(code, "direct", viewer.actor(),
                          {"agency": agency, "direction": direction},
                          version=version, now=now, url=url)

"""The leaders' page's data through the shared cache (backend/web/cache.py), arranged from
`backend.services.kpis.leaders`: used by the page (`dashboard/callbacks/leaders/`) and by `ioc bench reads`.

What the shared cache holds (dashboard/cache.py; one Redis for all workers when configured):
- each month's province-wide counts, `leaders:counts:<month>:<stamp>` (zlib-pickled, ~30 KB at
  100,000 reports a month), stamped by how fast they still move (month_stamp): the running
  month with the data version (mapdata.data_version, looked up at most once a minute), the
  month just ended every five minutes, older months every hour. Any filter, the quarter, the
  previous period and the trend are sums over these frames;
- each page, `leaders:view:<period>:<filters>:<stamps>`, each period's figures (the next
  period compares with them) and each trend.
So flipping filters or periods reads only the per-report rows (working hours, overdue list) of
the new selection, once; flipping back costs nothing.
"""

from __future__ import annotations

import hashlib
import pickle
import zlib
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from backend.services import kpis
from backend.services.kpis import leaders as service
from backend.services.reads import mapdata
from backend.web import cache

VERSION_TTL = 60  # seconds: the data version is looked up at most this often
RECENT_SLOT = 300  # seconds: the month just ended is taken again this often
RECENT_DAYS = 31  # ... until this many days after it ended
PAST_SLOT = 3600  # seconds: older months are taken again this often
TTL = 1800


def filters_key(filters: kpis.Filters) -> str:
    return "|".join(getattr(filters, name) or "" for name in service.FILTERS_ALL)


def data_version() -> str:
    return cache.remember("leaders:version", VERSION_TTL, mapdata.data_version)


def month_stamp(month: kpis.Period, now: datetime, version: str) -> str:
    """What a month's counts are keyed by, by how fast they still move: the running month by
    the data version; the month just ended (its reports are still being handled) by a
    five-minute slot; older months, nearly all closed, by an hour."""
    today = service.local_today(now)
    if month.end > today:
        return f"v{version}"
    seconds = int(now.timestamp())
    if (today - month.end).days < RECENT_DAYS:
        return f"m{seconds // RECENT_SLOT}"
    return f"h{seconds // PAST_SLOT}"


def stamps_key(months: Iterable[kpis.Period], now: datetime, version: str) -> str:
    text = ",".join(month_stamp(m, now, version) for m in sorted(set(months)))
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def _freeze(value: Any) -> bytes:
    return zlib.compress(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL), 1)


def _thaw(blob: bytes) -> Any:
    return pickle.loads(zlib.decompress(blob))  # noqa: S301 - our own cache entries


class _Missing(Exception):
    """Not in the cache (raised instead of computing, to look before taking)."""


def _missing() -> Any:
    raise _Missing


def _peek(key: str) -> Any:
    """The cached value of `key`, or None (nothing is computed or stored)."""
    try:
        return cache.remember(key, TTL, _missing)
    except _Missing:
        return None


def _counts_key(month: kpis.Period, now: datetime, version: str) -> str:
    return f"leaders:counts:{month.code}:{month_stamp(month, now, version)}"


def cached_counts(months: Iterable[kpis.Period], now: datetime, version: str
                  ) -> tuple[dict[str, service.MonthCounts], list[kpis.Period]]:
    """(the months' counts found in the shared cache, the months missing)."""
    found, missing = {}, []
    for month in sorted(set(months)):
        blob = _peek(_counts_key(month, now, version))
        if blob is None:
            missing.append(month)
        else:
            found[month.code] = _thaw(blob)
    return found, missing


def take_counts(found: dict[str, service.MonthCounts], missing: list[kpis.Period],
                now: datetime, version: str, alongside: Iterable[Callable[[], Any]] = ()
                ) -> tuple[dict[str, service.MonthCounts], list[Any]]:
    """Count the missing months (stored for everyone) while `alongside` reads run at the same
    time; (every month's counts, the results of `alongside`)."""
    jobs = [lambda: service.month_counts(missing, now=now)] if missing else []
    results = service.together(*jobs, *alongside)
    counts = dict(found)
    if missing:
        taken = results.pop(0)
        for month in missing:
            blob = _freeze(taken[month.code])
            counts[month.code] = _thaw(cache.remember(_counts_key(month, now, version), TTL,
                                                      lambda b=blob: b))
    return counts, results


def month_counts(months: Iterable[kpis.Period], now: datetime) -> dict[str, service.MonthCounts]:
    """Each month's counts from the shared cache; the missing ones taken (in parallel runs of
    months, service.month_counts) and stored for everyone."""
    version = data_version()
    found, missing = cached_counts(months, now, version)
    return take_counts(found, missing, now, version)[0]


def _figures_key(period: kpis.Period, filters: kpis.Filters, now: datetime, version: str) -> str:
    return (f"leaders:figures:{period.code}:{filters_key(filters)}:"
            f"{stamps_key(period.months(), now, version)}")


def page_data(period: kpis.Period, filters: kpis.Filters, now: datetime) -> dict[str, Any]:
    """Everything the page shows for this period and these filters (service.overview).

    On a miss, the reads that do not depend on each other run at the same time: the counts of
    the months not cached yet, the period's per-report rows, the previous period's (unless its
    figures are cached) and the escalations waiting.
    """
    version = data_version()
    months = service.page_months(period)
    key = f"leaders:view:{period.code}:{filters_key(filters)}:{stamps_key(months, now, version)}"

    def compute() -> dict[str, Any]:
        found, missing = cached_counts(months, now, version)

        def taken_at(p: kpis.Period) -> datetime:  # what the period's counts will be as of
            return min(found[m.code].now if m.code in found else now for m in p.months())

        current = service.blank_snapshot(period, filters, taken_at(period))
        previous = period.previous()
        before = _peek(_figures_key(previous, filters, now, version))
        earlier = None if before is not None else service.blank_snapshot(
            previous, filters, taken_at(previous))
        jobs = [lambda: current.rows, lambda: service.escalations(filters, now=current.now)]
        if earlier is not None:
            jobs.append(lambda: earlier.rows)
        counts, (_, escalated, *_) = take_counts(found, missing, now, version, jobs)
        service.fill(current, counts)
        if earlier is not None:
            figures = service.figures(service.fill(earlier, counts))
            before = cache.remember(_figures_key(previous, filters, now, version), TTL,
                                    lambda: figures)
        view = service.overview(current, before, escalated=escalated)
        cache.remember(_figures_key(period, filters, now, version), TTL, lambda: view["figures"])
        return view

    return cache.remember(key, TTL, compute)


def trend_end(period: kpis.Period, now: datetime) -> kpis.Period:
    """The trend's last month: the period's, or the current month while the period runs."""
    day = min(period.last_day, service.local_today(now))
    return kpis.Period.month(day.year, day.month)


def trend_data(period: kpis.Period, filters: kpis.Filters, now: datetime) -> list[dict[str, Any]]:
    last = trend_end(period, now)
    months = service.trend_months(last)
    key = (f"leaders:trend:{last.code}:{filters_key(filters)}:"
           f"{stamps_key(months, now, data_version())}")
    return cache.remember(key, TTL, lambda: service.trend(last, filters,
                                                          month_counts(months, now)))

"""Key performance figures (D13.5, D14.4; docs/kpi.md): what is counted, over which period and
filters, and the lists behind each number. One package, one public face: callers write
`from backend.services import kpis` and `kpis.snapshot(...)`; the modules say where each part lives:
`selection` (period, filters), `definitions` (keys, names, conditions), `figures` (snapshots and
tables), `lists` (overdue, escalations, codes). Plumbing shared between those modules is imported
from them, not from here. `leaders` and `pack_files` serve the leaders' page."""

from __future__ import annotations

from backend.services.kpis.definitions import (
    COUNT_KEYS,
    E2E,
    FIGURE_KEYS,
    FLAG_KEYS,
    HOUR_KEYS,
    IOC,
    RATE_KEYS,
    RATING_KEYS,
    RUNNING_STATES,
    ST_LATE_DONE,
    ST_NONE,
    ST_ON_TIME,
    ST_OVERDUE,
    ST_PENDING,
    STAGE_COUNTS,
    STAGE_KEYS,
    STAGE_OWNER,
    STATUS_KEYS,
    SUM_KEYS,
    HeadlineSpec,
    KpiTargets,
    Names,
    as_of,
    channel_name,
    cohort_conditions,
    facts,
    flag_conditions,
    kpi_texts,
    label,
    load_names,
    load_targets,
    rates,
    ratio,
    stage_conditions,
    stage_name,
    stage_status_case,
    unit_of,
)
from backend.services.kpis.figures import (
    OVERDUE_COLUMNS,
    TREND_KEYS,
    Headline,
    Snapshot,
    agency_area_matrix,
    agency_ranking,
    headline_kpis,
    headlines,
    late_stages,
    monthly_trend,
    snapshot,
    stage_on_time,
    working_hours,
)
from backend.services.kpis.lists import (
    ESCALATION_COLUMNS,
    count_reports,
    escalations_waiting,
    overdue_by_responsible,
    overdue_cases,
    report_codes,
)
from backend.services.kpis.selection import (
    DIMENSIONS,
    NONE,
    Filters,
    Period,
    PeriodError,
    parse_period,
)

__all__ = ["ST_LATE_DONE", "ST_NONE", "ST_ON_TIME", "ST_OVERDUE", "ST_PENDING", "COUNT_KEYS", "DIMENSIONS", "E2E", "ESCALATION_COLUMNS", "FIGURE_KEYS", "FLAG_KEYS", "Filters", "HOUR_KEYS", "Headline", "HeadlineSpec", "IOC", "KpiTargets", "NONE", "Names", "OVERDUE_COLUMNS", "Period", "PeriodError", "RATE_KEYS", "RATING_KEYS", "RUNNING_STATES", "STAGE_COUNTS", "STAGE_KEYS", "STAGE_OWNER", "STATUS_KEYS", "SUM_KEYS", "Snapshot", "TREND_KEYS", "agency_area_matrix", "agency_ranking", "as_of", "channel_name", "cohort_conditions", "count_reports", "escalations_waiting", "facts", "flag_conditions", "headline_kpis", "headlines", "kpi_texts", "label", "late_stages", "load_names", "load_targets", "monthly_trend", "overdue_by_responsible", "overdue_cases", "parse_period", "rates", "ratio", "report_codes", "snapshot", "stage_conditions", "stage_name", "stage_on_time", "stage_status_case", "unit_of", "working_hours"]

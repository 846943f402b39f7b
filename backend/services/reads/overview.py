"""Read-only summaries for the status page and the CLI (no personal data ever leaves here)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from backend.domain.workflow import STATE_LABELS_VI, State
from backend.storage.db import session_factory
from backend.storage.models import Agency, Field, Report


@dataclass(frozen=True)
class RecentReport:
    code: str
    submitted_at: datetime
    state: str
    state_label: str
    field_name: str | None
    agency_name: str | None
    unit_code: str | None
    emergency: bool


@dataclass(frozen=True)
class Overview:
    total: int
    by_state: list[tuple[str, str, int]]  # (state, Vietnamese label, count)
    recent: list[RecentReport]


def overview(limit: int = 15, url: str | None = None) -> Overview:
    """Counts per state and the newest reports, without reporter identity."""
    with session_factory(url)() as session:
        counts = dict(session.execute(select(Report.state, func.count()).group_by(Report.state)).all())
        rows = session.execute(
            select(Report.code, Report.submitted_at, Report.state, Field.name, Agency.name,
                   Report.unit_code, Report.emergency)
            .outerjoin(Field, Field.code == Report.field_code)
            .outerjoin(Agency, Agency.code == Report.agency_code)
            .order_by(Report.id.desc()).limit(limit)
        ).all()
    by_state = [(s.value, STATE_LABELS_VI[s], counts.get(s.value, 0)) for s in State]
    recent = [
        RecentReport(code, at, state, STATE_LABELS_VI[State(state)], field, agency, unit, emg)
        for code, at, state, field, agency, unit, emg in rows
    ]
    return Overview(total=sum(counts.values()), by_state=by_state, recent=recent)

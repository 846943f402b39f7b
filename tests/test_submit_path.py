"""The submission's storage path (backend/services/intake/submit.py `submit_report`, backend/storage/fast_insert.py).

On PostgreSQL the report and its first event are INSERTed with Core and the report then joins
the session as a loaded row; on SQLite the unit of work does it. Either way the object handed
back must be exactly the stored row, a change made in `within` must be stored, and the event
must start the report's hash chain. Runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import inspect, select

from backend.services.audit import verify_chains
from backend.services.intake.submit import NewReport, submit_report
from backend.storage.db import session_factory
from backend.storage.models import Event, Report

NOW = datetime(2026, 11, 27, 8, 15, tzinfo=UTC)


def _columns(row) -> dict:
    return {attr.key: getattr(row, attr.key) for attr in inspect(type(row)).column_attrs}


def test_returned_report_is_the_stored_row_and_within_changes_are_kept(ready_db) -> None:
    def within(session, report: Report) -> None:
        report.field_code = "giao_thong"  # what Open311's chosen service does

    new = NewReport(description="Ổ gà lớn giữa đường Hoàng Văn Thụ, xe máy dễ ngã.",
                    lat=21.5942, lon=105.8482, reporter_name="Trần Thị Bình",
                    reporter_phone="0987654321", reporter_email="binh@example.vn",
                    emergency=True, channel="open311", consent_version="2026-01")
    returned = submit_report(new, now=NOW, url=ready_db, within=within)
    with session_factory(ready_db)() as session:
        stored = session.scalar(select(Report).where(Report.code == returned.code))
        event = session.scalar(select(Event).where(Event.stream == returned.code))
    assert _columns(returned) == _columns(stored)
    assert stored.field_code == "giao_thong" and stored.emergency and stored.version == 1
    assert stored.code == f"PA-2026-{stored.id:06d}"
    assert (stored.event_seq, stored.last_event_hash) == (1, event.hash)
    assert (event.seq, event.report_id, event.action, event.prev_hash) == (
        1, stored.id, "submit", None)
    assert stored.return_count == stored.rework_count == stored.escalation_count == 0


def test_chain_of_submitted_reports_verifies(ready_db) -> None:
    for n in range(3):
        submit_report(NewReport(description=f"Đèn đường hỏng đoạn số {n} gần chợ.",
                                lat=21.5942, lon=105.8482), now=NOW, url=ready_db)
    with session_factory(ready_db)() as session:
        assert verify_chains(session).ok


def test_intake_clocks_equal_the_stage_by_stage_computation() -> None:
    """`Clocks.intake` (one pass over the calendar) gives exactly what `due` for verify and
    forward and `risk_at` for verify give: any instant, shift edges, nights, weekends, holidays,
    emergencies, and budgets an administrator changed."""
    from backend.services.clocks import Clocks, current_calendar, sla_policy

    rng = random.Random(7)
    local = ZoneInfo("Asia/Ho_Chi_Minh")
    starts = [datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(3 * 365 * 86400))
              for _ in range(1500)]
    for day in (date(2026, 2, 16), date(2026, 4, 30), date(2026, 9, 2), date(2026, 11, 27),
                date(2026, 11, 28), date(2026, 12, 31)):
        for hh, mm in ((0, 0), (7, 29), (7, 30), (11, 30), (12, 0), (13, 0), (16, 59), (17, 0)):
            starts.append(datetime.combine(day, time(hh, mm), local).astimezone(UTC))
    policy = sla_policy()
    odd = dataclasses.replace(policy, at_risk=0.6, budgets={
        **policy.budgets,
        "verify": dataclasses.replace(policy.budgets["verify"], minutes=137, emergency_minutes=45)})
    for clocks in (Clocks(current_calendar(), policy), Clocks(current_calendar(), odd)):
        for start in starts:
            for emergency in (False, True):
                verify = clocks.due("verify", start, emergency)
                expected = (verify, clocks.due("forward", start, emergency),
                            clocks.risk_at(start, verify, emergency))
                assert clocks.intake(start, emergency) == expected, (start, emergency)


def test_the_fast_insert_path_stays_on() -> None:
    """A mapper hook or a server default on reports or events would send every submission back
    through the unit of work (about a third of its CPU; the ingest target depends on it)."""
    from sqlalchemy.dialects import postgresql

    from backend.storage.fast_insert import insert_plan

    for model in (Report, Event):
        assert insert_plan(model, postgresql.dialect()) is not None, model.__name__

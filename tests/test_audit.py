"""The tamper-evident event log (D3.8, TESTPLAN 27): hash chains, append-only triggers, and
`ioc audit verify`, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Connection, select, text
from sqlalchemy.exc import DBAPIError

from backend.cli import main
from backend.domain.roles import Role
from backend.domain.workflow import Actor
from backend.services import audit
from backend.services.admin.reference_data import prepare_database
from backend.services.audit import event_hash, verify_chains
from backend.services.intake.submit import NewReport, submit_report
from backend.services.workflow.steps import perform_action
from backend.storage import db
from backend.storage.db import engine_for, session_factory
from backend.storage.models import Event, StreamHead

MONDAY = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
IOC = Actor("ioc_lan", Role.IOC_HANDLER)
HANDLER = Actor("xl_164", Role.AGENCY_HANDLER, "ubnd_05443")


def new_report(url: str, steps: int = 3, now: datetime = MONDAY) -> str:
    """A report taken through `steps` workflow steps (0 to 3) after its submission."""
    report = submit_report(NewReport("Đèn đường hỏng\r\nINJECTED: log line", 21.5942, 105.8482),
                           now=now, url=url)
    plan = [("accept", IOC, {}), ("forward", IOC, {"field": "do_thi_xay_dung",
                                                   "agency": "ubnd_05443"}),
            ("receive", HANDLER, {})]
    for n, (action, actor, params) in enumerate(plan[:steps], start=1):
        perform_action(report.code, action, actor, params, now=now + timedelta(minutes=n),
                       url=url)
    return report.code


def verify(url: str) -> audit.ChainReport:
    with session_factory(url)() as session:
        return verify_chains(session)


@contextmanager
def without_append_only_triggers(url: str) -> Iterator[Connection]:
    """A connection on which the append-only triggers are off: what an attacker with the
    database owner's rights could do. The triggers are not restored (the database is dropped)."""
    engine = engine_for(url)
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            connection.execute(text("DROP TRIGGER events_no_update"))
            connection.execute(text("DROP TRIGGER events_no_delete"))
        else:
            connection.execute(text("ALTER TABLE events DISABLE TRIGGER USER"))
        yield connection


def count_events(url: str) -> int:
    with engine_for(url).connect() as connection:
        return connection.scalar(text("SELECT count(*) FROM events"))


# --- the chains --------------------------------------------------------------------------------

def test_chains_verify_after_some_steps(ready_db: str) -> None:
    """D3.8: every step is one event chained to the one before; verification recomputes all."""
    codes = [new_report(ready_db, steps) for steps in (3, 0, 2)]
    result = verify(ready_db)
    assert result.ok, result.problems
    assert (result.events, result.streams) == (4 + 1 + 3, 3)
    with engine_for(ready_db).connect() as connection:
        rows = connection.execute(text(
            "SELECT stream, seq, actor, role, action, at FROM events ORDER BY stream, seq")).all()
    assert {row.stream for row in rows} == set(codes)
    assert [r.action for r in rows if r.stream == codes[0]] == [
        "submit", "accept", "forward", "receive"]
    # Who, what, when: every event names its actor, role and action and carries a timestamp.
    assert all(r.actor and r.role and r.action and r.at is not None for r in rows)


def test_system_stream_chains_too(ready_db: str) -> None:
    """Administrative changes form their own chain (the `system` stream)."""
    with session_factory(ready_db)() as session, session.begin():
        for n in range(3):
            audit.append_system_event(session, at=MONDAY + timedelta(minutes=n), actor="admin",
                                      role="admin", action="agency_update",
                                      data={"code": "ubnd_05443", "n": n})
            session.flush()
    result = verify(ready_db)
    assert result.ok, result.problems
    assert (result.events, result.streams) == (3, 1)


def test_crlf_in_description_is_kept_as_data(ready_db: str) -> None:
    """TESTPLAN 27: a CR/LF in citizen input never forges a history line: it stays one field
    of one event (the submit event stores only structured data, never the raw text)."""
    code = new_report(ready_db, steps=0)
    perform_action(code, "reject", IOC, {"reason": "Sai\r\nFAKE: approve by admin"},
                   now=MONDAY + timedelta(minutes=1), url=ready_db)
    with engine_for(ready_db).connect() as connection:
        rows = connection.execute(text(
            "SELECT action, note FROM events WHERE stream = :s ORDER BY seq"), {"s": code}).all()
    assert [r.action for r in rows] == ["submit", "reject"]
    assert rows[1].note == "Sai\r\nFAKE: approve by admin"
    assert verify(ready_db).ok


# --- append-only: the database refuses changes -----------------------------------------------

@pytest.mark.parametrize("statement", [
    "UPDATE events SET note = 'sửa lén' WHERE seq = 2",
    "UPDATE events SET actor = 'someone_else'",
    "DELETE FROM events WHERE seq = 3",
    "DELETE FROM events",
])
def test_database_refuses_update_and_delete_of_events(ready_db: str, statement: str) -> None:
    """D3.8 / TESTPLAN 27: the events table is append-only at the database level (triggers)."""
    new_report(ready_db)
    before = count_events(ready_db)
    with pytest.raises(DBAPIError, match="append-only"), engine_for(ready_db).begin() as conn:
        conn.execute(text(statement))
    assert count_events(ready_db) == before
    assert verify(ready_db).ok


def test_append_only_triggers_are_installed(ready_db: str) -> None:
    """D3.8: the migration installs the triggers; on PostgreSQL TRUNCATE (which bypasses row
    triggers) is refused by a statement trigger of its own."""
    new_report(ready_db)
    with engine_for(ready_db).connect() as connection:
        if connection.dialect.name == "sqlite":
            names = set(connection.scalars(text(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'events'")))
            assert names == {"events_no_update", "events_no_delete"}
        else:
            names = set(connection.scalars(text(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = 'events'::regclass "
                "AND NOT tgisinternal AND tgenabled <> 'D'")))
            assert names == {"events_no_update", "events_no_truncate"}
    if ready_db.startswith("postgresql"):
        with pytest.raises(DBAPIError, match="append-only"), engine_for(ready_db).begin() as conn:
            conn.execute(text("TRUNCATE events"))
    assert count_events(ready_db) == 4


# --- tampering is detected -----------------------------------------------------------------

def test_changed_note_is_detected(ready_db: str) -> None:
    """Someone bypasses the trigger and rewrites a step's note: the hash no longer matches."""
    code = new_report(ready_db)
    other = new_report(ready_db)
    perform_action(code, "return_to_ioc", HANDLER, {"reason": "Không thuộc phạm vi"},
                   now=MONDAY + timedelta(hours=1), url=ready_db)
    with without_append_only_triggers(ready_db) as connection:
        changed = connection.execute(text(
            "UPDATE events SET note = 'Đã xử lý xong' WHERE stream = :s AND seq = 5"),
            {"s": code})
        assert changed.rowcount == 1
    result = verify(ready_db)
    assert not result.ok
    assert result.problems == [f"{code}#5: nội dung đã bị sửa (hash không khớp)"]
    assert other not in " ".join(result.problems)


@pytest.mark.parametrize("column, value", [("actor", "ld_164"), ("action", "approve"),
                                           ("to_state", "published"), ("data", None)])
def test_any_changed_field_is_detected(ready_db: str, column: str, value: str | None) -> None:
    """Who, what and the parameters are all under the hash."""
    code = new_report(ready_db)
    with without_append_only_triggers(ready_db) as connection:
        connection.execute(text(f"UPDATE events SET {column} = :v WHERE stream = :s AND seq = 3"),
                           {"v": value, "s": code})
    assert verify(ready_db).problems == [f"{code}#3: nội dung đã bị sửa (hash không khớp)"]


def test_changed_time_is_detected(ready_db: str) -> None:
    """Back-dating a step (so it looks on time) changes the hashed instant."""
    code = new_report(ready_db)
    with without_append_only_triggers(ready_db):
        pass
    with session_factory(ready_db)() as session, session.begin():
        event = session.scalar(select(Event).where(Event.stream == code, Event.seq == 2))
        event.at = event.at - timedelta(days=1)
    assert verify(ready_db).problems == [f"{code}#2: nội dung đã bị sửa (hash không khớp)"]


def test_rehashed_event_breaks_the_next_link(ready_db: str) -> None:
    """A forger who also recomputes the changed event's hash breaks the link to the next one."""
    code = new_report(ready_db)
    with without_append_only_triggers(ready_db):
        pass
    with session_factory(ready_db)() as session, session.begin():
        event = session.scalar(select(Event).where(Event.stream == code, Event.seq == 2))
        event.actor = "ioc_khac"
        event.hash = event_hash(event.stream, event.seq, event.at, event.actor, event.role,
                                event.action, event.from_state, event.to_state, event.note,
                                event.data, event.prev_hash)
    assert verify(ready_db).problems == [f"{code}#3: liên kết với sự kiện trước bị sai"]


def test_deleted_last_event_is_detected(ready_db: str) -> None:
    """Cutting off the newest step leaves the report's stored chain head pointing past the end."""
    code = new_report(ready_db)
    intact = new_report(ready_db, steps=1)
    with without_append_only_triggers(ready_db) as connection:
        connection.execute(text("DELETE FROM events WHERE stream = :s AND seq = 4"), {"s": code})
    result = verify(ready_db)
    assert result.problems == [
        f"{code}: đầu chuỗi lưu trên phản ánh (#4) không khớp sự kiện cuối (#3)"]
    assert intact not in " ".join(result.problems)


def test_deleted_middle_event_is_detected(ready_db: str) -> None:
    code = new_report(ready_db)
    with without_append_only_triggers(ready_db) as connection:
        connection.execute(text("DELETE FROM events WHERE stream = :s AND seq = 2"), {"s": code})
    problems = verify(ready_db).problems
    assert problems[0] == f"{code}: thiếu sự kiện trước số 3 (mong đợi 2)"


def test_deleted_whole_history_is_detected(ready_db: str) -> None:
    """A report whose every event is gone still has its chain head: the loss is reported."""
    code = new_report(ready_db, steps=1)
    with without_append_only_triggers(ready_db) as connection:
        connection.execute(text("DELETE FROM events WHERE stream = :s"), {"s": code})
    assert verify(ready_db).problems == [
        f"{code}: đầu chuỗi lưu trên phản ánh (#2) không khớp sự kiện cuối (#0)"]


def system_changes(url: str, n: int = 3) -> None:
    with session_factory(url)() as session, session.begin():
        for i in range(n):
            audit.append_system_event(session, at=MONDAY + timedelta(minutes=i), actor="admin",
                                      role="admin", action="agency_update",
                                      data={"code": "ubnd_05443", "n": i})
            session.flush()


def test_deleted_last_system_event_is_detected(ready_db: str) -> None:
    """The `system` stream has no report row: its head is kept in stream_heads (D3.8)."""
    system_changes(ready_db)
    with session_factory(ready_db)() as session:
        head = session.get(StreamHead, "system")
        last = session.scalar(select(Event).where(Event.stream == "system", Event.seq == 3))
        assert (head.seq, head.hash) == (3, last.hash)
    with without_append_only_triggers(ready_db) as connection:
        connection.execute(text("DELETE FROM events WHERE stream = 'system' AND seq = 3"))
    assert verify(ready_db).problems == [
        "system: đầu chuỗi đã lưu (#3) không khớp sự kiện cuối (#2)"]


def test_deleted_whole_system_stream_is_detected(ready_db: str) -> None:
    system_changes(ready_db, 2)
    with without_append_only_triggers(ready_db) as connection:
        connection.execute(text("DELETE FROM events WHERE stream = 'system'"))
    assert verify(ready_db).problems == [
        "system: đầu chuỗi đã lưu (#2) không khớp sự kiện cuối (#0)"]


def test_event_moved_to_another_report_is_detected(ready_db: str) -> None:
    """report_id is not hashed (the stream is): an event pointed at another report is caught."""
    code = new_report(ready_db)
    other = new_report(ready_db, steps=1)
    system_changes(ready_db, 1)
    with without_append_only_triggers(ready_db) as connection:
        connection.execute(text(
            "UPDATE events SET report_id = (SELECT id FROM reports WHERE code = :o) "
            "WHERE stream = :s AND seq = 3"), {"o": other, "s": code})
        connection.execute(text(
            "UPDATE events SET report_id = (SELECT id FROM reports WHERE code = :o) "
            "WHERE stream = 'system'"), {"o": other})
    assert verify(ready_db).problems == [
        f"{code}#3: sự kiện bị gắn sang phản ánh khác",
        "system#1: sự kiện bị gắn sang phản ánh khác"]


# --- `ioc audit verify` --------------------------------------------------------------------

def test_cli_audit_verify_intact(ready_db: str) -> None:
    new_report(ready_db)
    new_report(ready_db, steps=1)
    result = CliRunner().invoke(main, ["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "Nhật ký toàn vẹn: 6 sự kiện, 2 chuỗi.\n"
    assert "toàn vẹn" in result.stdout


def test_cli_audit_verify_tampered(ready_db: str) -> None:
    code = new_report(ready_db)
    with without_append_only_triggers(ready_db) as connection:
        connection.execute(text("UPDATE events SET note = 'x' WHERE stream = :s AND seq = 2"),
                           {"s": code})
    result = CliRunner().invoke(main, ["audit", "verify"])
    assert result.exit_code != 0
    assert result.stdout == ""
    # One line per problem found, then one summary line ("Lỗi: …"/"Error: …" prefix aside).
    problem, summary = result.stderr.splitlines()
    assert problem == f"{code}#2: nội dung đã bị sửa (hash không khớp)"
    assert summary.endswith(": Nhật ký KHÔNG toàn vẹn: 1 lỗi trong 4 sự kiện.")
    assert "Traceback" not in result.output


def test_cli_follows_database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`ioc audit verify` checks the database DATABASE_URL names now (config.py: "read from the
    environment once per call"), not whichever one the process happened to use first
    (regression: `session_factory()` used to cache the first default URL for good)."""
    first, second = (f"sqlite:///{tmp_path / name}" for name in ("first.db", "second.db"))
    for url, steps in ((first, 0), (second, 3)):
        prepare_database(url)
        new_report(url, steps=steps)
    runner = CliRunner()
    outputs = []
    for url in (first, second):
        monkeypatch.setenv("DATABASE_URL", url)
        outputs.append(runner.invoke(main, ["audit", "verify"]).output)
    for url in (first, second):
        db.engine_for(url).dispose()
    assert outputs == ["Nhật ký toàn vẹn: 1 sự kiện, 1 chuỗi.\n",
                       "Nhật ký toàn vẹn: 4 sự kiện, 1 chuỗi.\n"]

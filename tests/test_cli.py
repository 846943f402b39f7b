"""The `ioc` command (backend.cli): db upgrade, agencies/fields lists, demo, audit and run.

Promise of the CLI: lists print one row a line, tab-separated, code first; errors are one clear
Vietnamese line on stderr ("Lỗi: ...") and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import unicodedata
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select, text

from backend.cli import main
from backend.reference import files as refdata
from backend.storage.db import engine_for, session_factory
from backend.storage.models import (
    AdminUnit,
    Agency,
    AgencyField,
    CalendarOverride,
    Event,
    Field,
    Report,
    RoutingRule,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
UNTIL = "2026-11-20T10:00:00+07:00"
REFERENCE_TABLES = (Agency, Field, AgencyField, RoutingRule, AdminUnit, CalendarOverride)


def ioc(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def assert_one_error_line(result: Result) -> str:
    """Non-zero exit, nothing on stdout, one "Lỗi: ..." line on stderr, no traceback."""
    assert result.exit_code != 0, result.output
    assert "Traceback" not in result.output
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Lỗi: "), lines[0]
    return lines[0]


def _counts(url: str) -> dict[str, int]:
    with session_factory(url)() as session:
        return {model.__tablename__: session.scalar(select(func.count()).select_from(model))
                for model in REFERENCE_TABLES}


def _has_diacritics(value: str) -> bool:
    return any(not c.isascii() and c.isalpha() for c in value)


# --- ioc db upgrade -------------------------------------------------------------------------

def test_db_upgrade_migrates_loads_and_is_idempotent(empty_db: str, monkeypatch) -> None:
    monkeypatch.setenv("DATABASE_URL", empty_db)
    first = ioc("db", "upgrade")
    assert first.exit_code == 0, first.output
    assert first.stdout.startswith("Cơ sở dữ liệu đã sẵn sàng:")
    assert "thêm" in first.stdout and first.stdout.count("\n") == 1
    loaded = _counts(empty_db)
    assert loaded["agencies"] == len(refdata.load_agencies())
    assert loaded["fields"] == len(refdata.load_fields())
    assert all(loaded.values()), loaded

    second = ioc("db", "upgrade")
    assert second.exit_code == 0, second.output
    assert "danh mục đã đủ" in second.stdout and "thêm" not in second.stdout
    assert _counts(empty_db) == loaded


def test_db_upgrade_keeps_an_administrators_edits(ready_db: str) -> None:
    """Loading never overwrites: a renamed agency stays renamed after another upgrade."""
    with engine_for(ready_db).begin() as connection:
        connection.execute(text("UPDATE agencies SET name = 'Sở Xây dựng (đã đổi tên)' "
                                "WHERE code = 'so_xd'"))
    assert ioc("db", "upgrade").exit_code == 0
    with session_factory(ready_db)() as session:
        assert session.get(Agency, "so_xd").name == "Sở Xây dựng (đã đổi tên)"


# --- ioc agencies list / ioc fields list ------------------------------------------------------

def _rows(result: Result, columns: int) -> list[list[str]]:
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert result.stdout.endswith("\n")
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    assert rows and all(len(row) == columns for row in rows), result.stdout
    assert all(cell == cell.strip() and cell for row in rows for cell in row)
    return rows


def test_agencies_list_prints_code_tab_name(ready_db: str) -> None:
    rows = _rows(ioc("agencies", "list"), 2)
    codes = [code for code, _ in rows]
    assert codes == sorted(codes) and len(set(codes)) == len(codes)
    expected = {a.code: a.name for a in refdata.load_agencies() if a.active}  # retired: not offered
    assert dict(rows) == expected
    for code, name in rows:
        assert code.isascii() and code == code.lower() and " " not in code
        assert unicodedata.normalize("NFC", name) == name
        assert _has_diacritics(name) or "VNPT" in name, name
    assert ["ubnd_05443", "UBND phường Phan Đình Phùng"] in rows
    assert any(name.startswith("Sở ") for _, name in rows)
    assert any("Ủy ban" in name or name.startswith("UBND ") for _, name in rows)


def test_fields_list_prints_code_name_and_default_agency(ready_db: str) -> None:
    agencies = {code for code, _ in _rows(ioc("agencies", "list"), 2)}
    rows = _rows(ioc("fields", "list"), 3)
    codes = [code for code, _, _ in rows]
    assert codes == sorted(codes) and len(set(codes)) == len(codes)
    assert {agency for _, _, agency in rows} <= agencies
    expected = {f.code: (f.name, f.default_agency) for f in refdata.load_fields() if f.active}
    assert {code: (name, agency) for code, name, agency in rows} == expected
    assert all(_has_diacritics(name) for _, name, _ in rows)
    assert ["giao_thong", "Giao thông", "so_xd"] in rows


def test_default_database_follows_database_url(ready_db: str, tmp_path: Path,
                                              monkeypatch) -> None:
    """One process, two databases: `ioc` must use the DATABASE_URL in force when it runs
    (config.py: read from the environment once per call, no import-time state)."""
    assert ioc("agencies", "list").exit_code == 0  # the migrated database
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'other.db'}")  # un-migrated
    second = ioc("agencies", "list")
    assert second.exit_code != 0, (
        "still listed the first database's agencies: engine_for(None) and session_factory(None) "
        "keep the first DATABASE_URL for the life of the process")
    assert_one_error_line(second)


def test_inactive_rows_are_not_listed(ready_db: str) -> None:
    with engine_for(ready_db).begin() as connection:
        connection.execute(text("UPDATE agencies SET active = :off WHERE code = 'viettel'"),
                           {"off": False})
    codes = [code for code, _ in _rows(ioc("agencies", "list"), 2)]
    assert "viettel" not in codes and "vnpt" in codes


@pytest.mark.parametrize("command", [["agencies", "list"], ["fields", "list"],
                                     ["audit", "verify"]])
def test_unmigrated_database_is_one_clear_error(empty_db: str, monkeypatch, command) -> None:
    monkeypatch.setenv("DATABASE_URL", empty_db)
    line = assert_one_error_line(ioc(*command))
    if command[0] != "audit":
        assert "ioc db upgrade" in line


@pytest.mark.parametrize("url", [
    "postgresql+psycopg2://nobody@127.0.0.1:1/none",  # nothing listens on port 1
    "not-a-database-url",
    "sqlite:////nonexistent-folder/ioc.db",
])
def test_unreachable_database_is_one_clear_error(monkeypatch, url: str) -> None:
    monkeypatch.setenv("DATABASE_URL", url)
    assert_one_error_line(ioc("agencies", "list"))


# --- ioc demo seed / live, ioc audit verify -----------------------------------------------------

def test_demo_seed_prints_a_summary_and_the_log_verifies(ready_db: str) -> None:
    result = ioc("demo", "seed", "--reports", "500", "--months", "2", "--seed", "7",
                 "--until", UNTIL)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Đã tạo 500 phản ánh và "), result.stdout
    assert "sự kiện" in lines[0]
    assert "500/500" in result.stderr  # progress goes to stderr, the summary to stdout
    with session_factory(ready_db)() as session:
        assert session.scalar(select(func.count()).select_from(Report)) == 500
        newest = session.scalar(select(func.max(Report.submitted_at)))
        events = session.scalar(select(func.count()).select_from(Event))
    assert newest.isoformat() < "2026-11-20T03:00:00+00:00"
    assert f"và {events:,} sự kiện".replace(",", ".") in lines[0]  # Vietnamese: 4.088

    verified = ioc("audit", "verify")
    assert verified.exit_code == 0, verified.output
    assert verified.stdout.strip() == f"Nhật ký toàn vẹn: {events} sự kiện, 500 chuỗi."


def test_demo_seed_without_until_ends_now(ready_db: str) -> None:
    before = time.time()
    result = ioc("demo", "seed", "--reports", "200", "--months", "1", "--seed", "3")
    assert result.exit_code == 0, result.output
    with session_factory(ready_db)() as session:
        oldest, newest = session.execute(
            select(func.min(Report.submitted_at), func.max(Report.submitted_at))).one()
    assert before - 32 * 86400 < oldest.timestamp() < newest.timestamp() <= time.time()
    assert newest.timestamp() > before - 3 * 86400


@pytest.mark.parametrize("args", [
    ["--reports", "0"],
    ["--until", "20/11/2026"],  # not one of the accepted formats
    ["--until", "2026-13-20"],  # the accepted date format, but no such month
])
def test_demo_seed_bad_arguments_fail_cleanly(ready_db: str, args: list[str]) -> None:
    """Errors are one clear line and a non-zero exit, never a traceback; nothing is created."""
    result = ioc("demo", "seed", *args)
    assert result.exit_code != 0 and "Traceback" not in result.output
    with session_factory(ready_db)() as session:
        assert session.scalar(select(func.count()).select_from(Report)) == 0
    assert_one_error_line(result)  # not click's "Usage: … Error: …" block in English


def test_demo_seed_bare_date_is_midnight_in_vietnam(ready_db: str) -> None:
    """`--until 2026-11-20` means 00:00 on 20/11/2026 in Asia/Ho_Chi_Minh (17:00 UTC the day before)."""
    result = ioc("demo", "seed", "--reports", "20", "--months", "1", "--until", "2026-11-20")
    assert result.exit_code == 0, result.output
    with session_factory(ready_db)() as session:
        newest = session.scalar(select(func.max(Report.submitted_at)))
    assert newest < datetime(2026, 11, 19, 17, 0, tzinfo=UTC)


def test_audit_verify_reports_a_tampered_log(ready_db: str) -> None:
    assert ioc("demo", "seed", "--reports", "30", "--months", "1", "--until", UNTIL).exit_code == 0
    with engine_for(ready_db).begin() as connection:  # cut the head of one chain
        connection.execute(text("UPDATE reports SET event_seq = event_seq - 1 WHERE id = 7"))
        events = connection.execute(text("SELECT COUNT(*) FROM events")).scalar_one()
    result = ioc("audit", "verify")
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith("PA-") and "không khớp" in lines[0]
    assert len(lines) == 2
    # the verdict is one line; its prefix is click's "Error: " (tests/test_audit.py pins it)
    assert lines[-1].endswith(": Nhật ký KHÔNG toàn vẹn: 1 lỗi trong "
                              f"{events} sự kiện."), lines[-1]


def test_demo_live_moves_the_seeded_province(ready_db: str) -> None:
    assert ioc("demo", "seed", "--reports", "300", "--months", "1", "--until", UNTIL).exit_code == 0
    result = ioc("demo", "live", "--rate", "120", "--seconds", "1", "--seed", "5")
    assert result.exit_code == 0, result.output
    summary = result.stdout.strip()
    assert summary.startswith("Đã gửi ") and "bước xử lý" in summary, summary
    with session_factory(ready_db)() as session:
        assert session.scalar(select(func.count()).select_from(Report)) > 300
    assert ioc("audit", "verify").exit_code == 0


# --- real processes: the console script and `ioc run` ------------------------------------------

def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("TEST_DATABASE_URL", None)
    env.update(extra)
    return env


def test_console_script_lists_agencies(ready_db: str, tmp_path: Path) -> None:
    """`python -m backend.cli` and the installed `ioc` script, outside the repository folder."""
    commands = [[sys.executable, "-m", "backend.cli", "agencies", "list"]]
    script = Path(sys.executable).parent / "ioc"
    if script.exists():
        commands.append([str(script), "agencies", "list"])
    for command in commands:
        done = subprocess.run(command, env=_env(DATABASE_URL=ready_db), cwd=tmp_path,
                              capture_output=True, text=True, encoding="utf-8", timeout=60)
        assert done.returncode == 0, done.stderr
        assert done.stderr == ""
        lines = done.stdout.splitlines()
        assert len(lines) == len([a for a in refdata.load_agencies() if a.active])
        assert all(len(line.split("\t")) == 2 for line in lines)
        assert "ubnd_05443\tUBND phường Phan Đình Phùng" in lines


def test_console_script_error_is_one_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "backend.cli", "fields", "list"],
        env=_env(DATABASE_URL=f"sqlite:///{tmp_path / 'empty.db'}"), cwd=tmp_path,
        capture_output=True, text=True, encoding="utf-8", timeout=60)
    assert done.returncode != 0 and done.stdout == ""
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and done.stderr.startswith("Lỗi: ")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.read().decode("utf-8")


def test_ioc_run_serves_the_dashboard_and_status_page(tmp_path: Path) -> None:
    """`ioc run --no-demo` on a fresh SQLite file: migrates, then answers within 30 s."""
    port = _free_port()
    var = tmp_path / "var"
    env = _env(DATABASE_URL=f"sqlite:///{tmp_path / 'run.db'}", IOC_VAR_DIR=str(var))
    server = subprocess.Popen(
        [sys.executable, "-m", "backend.cli", "run", "--no-demo", "--port", str(port)],
        env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        status = None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                status, body = _get(base + "/healthz")
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.3)
        assert server.poll() is None, server.stdout.read().decode("utf-8", "replace")
        assert status == 200 and '"ok"' in body
        status, page = _get(base + "/status")
        assert status == 200
        assert "Phản ánh hiện trường" in page and "Thái Nguyên" in page
        assert "Chờ xác minh" in page  # the per-state table, in Vietnamese
        status, page = _get(base + "/")  # the dashboard (Dash) is mounted at the root
        assert status == 200 and "IOC Thái Nguyên" in page and "_dash-" in page
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
        server.stdout.close()
    assert (tmp_path / "run.db").exists()


def test_bench_reads_prints_every_figure(ready_db: str) -> None:
    """`ioc bench reads` on a small seeded database: each read path timed, one line each."""
    seeded = CliRunner().invoke(main, ["demo", "seed", "--reports", "300", "--months", "2",
                                       "--seed", "3", "--until", UNTIL])
    assert seeded.exit_code == 0, seeded.output
    result = CliRunner().invoke(main, ["bench", "reads", "--yes"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("reads-bench database=")
    assert any(line.startswith("locate one point: scalar ") for line in lines)
    assert sum(line.startswith("search '") for line in lines) == 5
    assert any(line.startswith("leaders quarter after one new report: ") for line in lines)
    with session_factory(ready_db)() as session:  # --yes: the one report it submits
        assert session.scalar(select(func.count()).select_from(Report)) == 301

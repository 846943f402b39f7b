"""`ioc bench ingest` (backend/bench/ingest_bench.py): a tiny real run, the safety switch, `lost`.

The run goes through the real CLI, gunicorn and HTTP on 127.0.0.1, on a temporary SQLite file
and on a PostgreSQL test database; the client's retry (same key, same body) against a server
that drops the first request.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from backend.bench.ingest_bench import (
    IngestBenchResult,
    _client,
    _ClientLog,
    _marker,
    check_target,
    count_lost,
)
from backend.cli import main
from backend.services.intake.submit import NewReport, submit_report

REPO_ROOT = Path(__file__).resolve().parents[1]
LINE = re.compile(
    r"^ingest-bench clients=(\d+) rps=(\d+\.\d) p95_ms=(\d+\.\d) floor_rps=(\d+\.\d) "
    r"ratio=(\d+\.\d\d) lost=(\d+)$"
)


def test_tiny_run_through_the_cli_ends_with_the_line_and_loses_nothing(tmp_path: Path) -> None:
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp_path / 'ingest_bench.db'}",
               IOC_VAR_DIR=str(tmp_path))
    done = subprocess.run(
        [sys.executable, "-m", "backend.cli", "bench", "ingest", "--clients", "2", "--seconds", "2",
         "--warmup", "0.5", "--workers", "2"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=180,
    )
    assert done.returncode == 0, done.stderr
    last = done.stdout.strip().splitlines()[-1]
    match = LINE.match(last)
    assert match, last
    clients, rps, p95, floor, ratio, lost = match.groups()
    assert clients == "2"
    assert float(rps) > 0 and float(p95) > 0 and float(floor) > 0
    assert abs(float(ratio) - float(rps) / float(floor)) < 0.01
    assert lost == "0", done.stdout


def test_refuses_a_database_not_named_bench_without_yes(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'ioc.db'}")
    result = CliRunner().invoke(main, ["bench", "ingest", "--seconds", "1"])
    assert result.exit_code != 0
    assert result.stderr.startswith("Lỗi: ") and "--yes" in result.stderr
    assert not (tmp_path / "ioc.db").exists()  # refused before touching anything


def test_check_target_rules() -> None:
    check_target("postgresql+psycopg2://u@127.0.0.1/ioc_ingest_bench", yes=False)
    check_target("sqlite:////tmp/x/bench.db", yes=False)
    check_target("postgresql+psycopg2://u@127.0.0.1/ioc", yes=True)
    for url, yes in (("postgresql+psycopg2://u@127.0.0.1/ioc", False),
                     ("sqlite:////tmp/bench/ioc.db", False),  # the file's name counts, not the folder
                     ("sqlite://", True)):  # in memory: gunicorn's workers could not share it
        with pytest.raises(click.ClickException):
            check_target(url, yes=yes)


def test_lost_counts_missing_wrong_and_duplicated_reports(ready_db: str) -> None:
    run_id = uuid.uuid4().hex[:12]

    def stored(key: str) -> str:
        return submit_report(NewReport(
            description=f"{_marker(run_id, key)}Đèn đường hỏng cả đoạn.", lat=21.58, lon=105.83,
            reporter_name="Người dân", reporter_phone="0912345678", channel="api",
        ), url=ready_db).code

    good, twice = stored("k-good"), stored("k-twice")
    stored("k-twice")  # a second report for one key: a duplicate
    other = stored("k-other")
    assert count_lost(ready_db, run_id, [("k-good", good), ("k-twice", twice)]) == (1, 1)
    # acknowledged but never stored, and acknowledged with another key's code
    lost, duplicates = count_lost(ready_db, run_id, [("k-good", good), ("k-none", "PA-2026-999999"),
                                                     ("k-good", other)])
    assert (lost, duplicates) == (3, 1)


def test_ratio_and_line() -> None:
    result = IngestBenchResult(clients=16, seconds=20, acknowledged=5000, rps=250.0, p95_ms=80.04,
                               floor_rps=1000.0, lost=0, workers=5, threads=1)
    assert result.line() == ("ingest-bench clients=16 rps=250.0 p95_ms=80.0 floor_rps=1000.0 "
                             "ratio=0.25 lost=0")


def test_tiny_run_on_postgresql_loses_nothing(empty_db: str, tmp_path: Path) -> None:
    """The same tiny run on PostgreSQL, where the Idempotency-Key is written in the report's
    own transaction (`--yes`: the test database's name has no "bench")."""
    if not empty_db.startswith("postgresql"):
        pytest.skip("the SQLite run is the test above")
    env = dict(os.environ, DATABASE_URL=empty_db, IOC_VAR_DIR=str(tmp_path))
    done = subprocess.run(
        [sys.executable, "-m", "backend.cli", "bench", "ingest", "--clients", "3", "--seconds", "2",
         "--warmup", "0.5", "--workers", "2", "--yes"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=180,
    )
    assert done.returncode == 0, done.stderr
    match = LINE.match(done.stdout.strip().splitlines()[-1])
    assert match and float(match.group(2)) > 0 and match.group(6) == "0", done.stdout


class _DropFirstHandler(BaseHTTPRequestHandler):
    """Drops the first connection without an answer, then acknowledges everything."""

    protocol_version = "HTTP/1.1"
    seen: list[tuple[str, bytes]] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).seen.append((self.headers["Idempotency-Key"], body))
        if len(type(self).seen) == 1:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        answer = json.dumps({"code": f"PA-2026-{len(type(self).seen):06d}"}).encode()
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args) -> None:
        pass


def test_client_retries_a_dropped_request_with_the_same_key_and_body() -> None:
    _DropFirstHandler.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _DropFirstHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        log = _ClientLog()
        now = time.perf_counter()
        _client(f"http://127.0.0.1:{server.server_port}", "run", 1, now, now, now + 0.3, log)
    finally:
        server.shutdown()
        server.server_close()
    (first_key, first_body), (second_key, second_body) = _DropFirstHandler.seen[:2]
    assert (second_key, second_body) == (first_key, first_body)
    assert log.retries >= 1 and sum(log.errors.values()) >= 1
    assert log.acked[0][0] == first_key and log.timed_acks == len(log.acked) >= 2

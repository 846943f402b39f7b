"""`ioc bench ingest` (backend/bench/ingest_bench.py): a tiny real run, the safety switch, `lost`.

The run goes through the real CLI, gunicorn and HTTP on 127.0.0.1, on a temporary SQLite file.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from backend.bench.ingest_bench import IngestBenchResult, _marker, check_target, count_lost
from backend.cli import main
from backend.services.reports import NewReport, submit_report

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

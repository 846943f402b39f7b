"""`ioc bench ingest`: citizens' submissions over HTTP against the raw ORM floor, in one run.

What one run does, all against the configured database (`DATABASE_URL`):

1. migrates it and loads the reference data (`prepare_database`);
2. starts the real app under gunicorn on a free 127.0.0.1 port, with the submission rate limit
   raised (`IOC_SUBMIT_RATE`) so the limiter is still on the path but never refuses;
3. runs N client threads for S seconds (after a short untimed warm-up), each with its own
   keep-alive `http.client` connection, POSTing valid reports to `/api/v1/reports` with a fresh
   Idempotency-Key each; a timeout, a dropped connection, a 409 (first attempt still in flight)
   or a 5xx is retried with the SAME key and body, so a retry can never create a second report;
4. stops gunicorn and checks the database: every acknowledged (201) code must be a stored report
   carrying the key it was acknowledged for, with its submit event, and no key may have created
   two reports; whatever fails either test is `lost`;
5. measures the floor: the same number of threads for the same time, in this process, each
   adding one equivalent report row plus its submit event and committing, one transaction per
   report, straight through the ORM (no HTTP, no validation, no idempotency record);
6. prints `ingest-bench clients=.. rps=.. p95_ms=.. floor_rps=.. ratio=.. lost=..` last.

The bench WRITES to the configured database and leaves its rows there: run it on a throwaway
database. It refuses unless the database's name contains "bench" or `--yes` is given.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import math
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

import click
from sqlalchemy.engine import make_url

from backend.config import REPO_ROOT

# `ioc` imports this module on every start (the bench group): requests, the ORM models, pandas
# (reference data) and the boundaries are imported inside the functions that need them.

# TP Thái Nguyên: every point of this box is inside the province (geo/ accepts it).
BBOX_LAT = (21.55, 21.62)
BBOX_LON = (105.80, 105.87)
SUBMIT_PATH = "/api/v1/reports"
BENCH_SUBMIT_RATE = "1000000 per minute"
REQUEST_TIMEOUT = 30.0  # seconds, for connecting and for each read
RETRY_PAUSE = 0.05  # before retrying a 409/5xx/connection error with the same key
START_TIMEOUT = 60.0  # gunicorn up and /healthz answering
DEFAULT_THREADS = 1  # sync workers: measured best on 2 cores (docs/benchmarks.md)
DESCRIPTIONS = (
    "Đèn đường hỏng cả đoạn, buổi tối rất tối và nguy hiểm cho người đi bộ.",
    "Rác thải tập kết sai nơi quy định, bốc mùi hôi thối ảnh hưởng khu dân cư.",
    "Mặt đường bị sụt lún tạo ổ gà lớn, xe máy đi qua dễ bị ngã.",
    "Cống thoát nước bị tắc, mưa xuống nước tràn lên mặt đường.",
    "Cây xanh bị gãy cành lớn, có nguy cơ rơi xuống người đi đường.",
)


# --- results ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class IngestBenchResult:
    """The figures of one run; `line()` is what the command ends with."""

    clients: int
    seconds: float
    acknowledged: int
    rps: float
    p95_ms: float
    floor_rps: float
    lost: int
    workers: int
    threads: int
    errors: dict[str, int] = field(default_factory=dict)
    unacknowledged: int = 0
    retries: int = 0

    @property
    def ratio(self) -> float:
        """HTTP submissions per second over the floor's (1.0 = HTTP costs nothing)."""
        return self.rps / self.floor_rps if self.floor_rps > 0 else 0.0

    def line(self) -> str:
        """The one summary line."""
        return (
            f"ingest-bench clients={self.clients} rps={self.rps:.1f} p95_ms={self.p95_ms:.1f} "
            f"floor_rps={self.floor_rps:.1f} ratio={self.ratio:.2f} lost={self.lost}"
        )


@dataclass
class _ClientLog:
    """What one client thread saw; merged after the run (no locks on the hot path)."""

    acked: list[tuple[str, str]] = field(default_factory=list)  # (key, code), timed phase + warm-up
    latencies: list[float] = field(default_factory=list)  # seconds, timed phase only
    timed_acks: int = 0
    unacked: int = 0  # keys the run ended on before an answer
    retries: int = 0
    errors: Counter[str] = field(default_factory=Counter)


# --- safety -------------------------------------------------------------------------------------

def database_name(url: str) -> str:
    """The database's name: the database for a server, the file's name for SQLite."""
    parsed = make_url(url)
    name = parsed.database or ""
    return Path(name).name if parsed.get_backend_name() == "sqlite" else name


def absolute_url(url: str) -> str:
    """The URL with a relative SQLite path made absolute.

    gunicorn runs from the repository, this process from anywhere: both must open one file.
    """
    parsed = make_url(url)
    name = parsed.database
    if (parsed.get_backend_name() != "sqlite" or not name or name == ":memory:"
            or Path(name).is_absolute()):
        return url
    return parsed.set(database=str(Path(name).resolve())).render_as_string(hide_password=False)


def check_target(url: str, yes: bool) -> None:
    """Refuse an in-memory database always, and any other not named *bench* without `--yes`."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:"):
        raise click.ClickException("cần một cơ sở dữ liệu dùng chung được (tệp SQLite hoặc PostgreSQL), "
                                   "không dùng SQLite trong bộ nhớ")
    if not yes and "bench" not in database_name(url).lower():
        raise click.ClickException(
            f"bench ingest ghi phản ánh thử vào cơ sở dữ liệu '{database_name(url)}' và không xóa đi; "
            "hãy dùng một cơ sở dữ liệu có tên chứa 'bench' hoặc thêm --yes"
        )


# --- the server ---------------------------------------------------------------------------------

def default_workers() -> int:
    """gunicorn's rule of thumb: 2 × cores + 1."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return 2 * cores + 1


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class _Server:
    process: subprocess.Popen[bytes]
    base_url: str
    log: IO[bytes]

    def log_tail(self, lines: int = 5) -> str:
        self.log.flush()
        self.log.seek(0)
        text = self.log.read().decode("utf-8", "replace").strip().splitlines()
        return " | ".join(text[-lines:])


READY_DIR_ENV = "IOC_BENCH_READY_DIR"
_HOOKS = f"from {__name__} import worker_ready as post_worker_init\n"


def worker_ready(worker: Any) -> None:
    """gunicorn `post_worker_init` hook: this worker has loaded the app (a file per worker)."""
    folder = os.environ.get(READY_DIR_ENV)
    if folder:
        (Path(folder) / str(os.getpid())).touch()


@contextlib.contextmanager
def gunicorn_server(url: str, workers: int, threads: int) -> Iterator[_Server]:
    """The app under gunicorn on 127.0.0.1 with this database; stopped (SIGTERM) on exit.

    Ready means every worker has loaded the app (a `post_worker_init` hook leaves a file per
    worker) and /healthz answers: otherwise the first seconds would measure workers booting.
    """
    import requests

    with tempfile.TemporaryDirectory(prefix="ioc-ingest-bench-") as scratch:
        ready = Path(scratch) / "ready"
        ready.mkdir()
        hooks = Path(scratch) / "gunicorn_hooks.py"
        hooks.write_text(_HOOKS)
        port = _free_port()
        env = dict(os.environ, DATABASE_URL=url, IOC_SUBMIT_RATE=BENCH_SUBMIT_RATE)
        env[READY_DIR_ENV] = str(ready)
        # one key for every worker (otherwise each may race to create var/secret_key)
        env.setdefault("IOC_SECRET_KEY", uuid.uuid4().hex + uuid.uuid4().hex)
        with _gunicorn(url, workers, threads, port, env, hooks) as server:
            deadline = time.monotonic() + START_TIMEOUT
            while True:
                if server.process.poll() is not None:
                    raise click.ClickException(
                        f"gunicorn dừng khi khởi động (mã {server.process.returncode}): "
                        f"{server.log_tail()}")
                if len(list(ready.iterdir())) >= workers:
                    try:
                        if requests.get(f"{server.base_url}/healthz", timeout=2).status_code == 200:
                            break
                    except requests.RequestException:
                        pass
                if time.monotonic() > deadline:
                    raise click.ClickException(
                        f"gunicorn chưa sẵn sàng sau {START_TIMEOUT:.0f} giây: {server.log_tail()}")
                time.sleep(0.1)
            yield server


@contextlib.contextmanager
def _gunicorn(url: str, workers: int, threads: int, port: int, env: dict[str, str],
              hooks: Path) -> Iterator[_Server]:
    command = [
        sys.executable, "-m", "gunicorn",
        "--config", str(hooks),
        "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers),
        "--worker-class", "gthread" if threads > 1 else "sync",
        "--threads", str(threads),
        "--timeout", "60",
        "--graceful-timeout", "10",
        "--log-level", "warning",
        "backend.web.server:create_server()",
    ]
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=log, stderr=log,
                                   stdin=subprocess.DEVNULL)
        try:
            yield _Server(process, f"http://127.0.0.1:{port}", log)
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


# --- the clients --------------------------------------------------------------------------------

def _body(run_id: str, key: str, rng: random.Random) -> dict[str, Any]:
    """A valid citizen report whose description carries the run and the key (for the DB check)."""
    return {
        "description": f"{_marker(run_id, key)}{rng.choice(DESCRIPTIONS)}",
        "lat": round(rng.uniform(*BBOX_LAT), 6),
        "lon": round(rng.uniform(*BBOX_LON), 6),
        "name": "Người dân thử tải",
        "phone": f"09{rng.randrange(10**8):08d}",
        "consent": True,
    }


def _marker(run_id: str, key: str = "") -> str:
    """The start of every description this run sends: `[ingest-bench <run>] <key> `."""
    return f"[ingest-bench {run_id}] {key}{' ' if key else ''}"


def _client(base_url: str, run_id: str, seed: int, start_at: float, timed_from: float,
            stop_at: float, log: _ClientLog) -> None:
    """Submit one report after another until `stop_at`; retry each with its own key until acked.

    A bare keep-alive `http.client` connection (reopened whenever the server closes it): the
    load generator shares the machine's cores with the server it measures, and `requests` cost
    about 0.4 ms more CPU per request on the 2-core machine (docs/benchmarks.md).
    """
    host, port = urlsplit(base_url).hostname, urlsplit(base_url).port
    rng = random.Random(seed)
    connection: http.client.HTTPConnection | None = None
    time.sleep(max(0.0, start_at - time.perf_counter()))
    try:
        while time.perf_counter() < stop_at:
            key = uuid.uuid4().hex
            payload = json.dumps(_body(run_id, key, rng), ensure_ascii=False).encode()
            headers = {"Content-Type": "application/json", "Idempotency-Key": key}
            first = time.perf_counter()
            code = None
            while True:
                status = None
                try:
                    if connection is None:
                        connection = http.client.HTTPConnection(host, port,
                                                                timeout=REQUEST_TIMEOUT)
                    connection.request("POST", SUBMIT_PATH, body=payload, headers=headers)
                    answer = connection.getresponse()
                    data = answer.read()
                    status = answer.status
                    if answer.will_close:
                        connection.close()
                        connection = None
                except (OSError, http.client.HTTPException) as exc:
                    log.errors[type(exc).__name__] += 1
                    if connection is not None:
                        connection.close()
                        connection = None
                else:
                    if status == 201:
                        try:
                            code = json.loads(data)["code"]
                        except (ValueError, KeyError, TypeError):
                            log.errors["bad_201_body"] += 1
                            break
                        break
                    log.errors[f"http_{status}"] += 1
                if status is not None and status not in (409, 429) and status < 500:
                    break  # a refusal of the request itself: retrying cannot help
                if time.perf_counter() >= stop_at:
                    break
                log.retries += 1
                time.sleep(RETRY_PAUSE)
            if code is None:
                log.unacked += 1
                continue
            done = time.perf_counter()
            log.acked.append((key, code))
            if first >= timed_from:
                log.timed_acks += 1
                log.latencies.append(done - first)
    finally:
        if connection is not None:
            connection.close()


def _run_threads(name: str, targets: list[tuple[Callable[..., None], tuple[Any, ...]]]) -> None:
    """Start one thread per target, wait for all; a thread's failure becomes one clean error."""
    failures: list[BaseException] = []

    def guarded(target: Callable[..., None], args: tuple[Any, ...]) -> None:
        try:
            target(*args)
        except Exception as exc:  # noqa: BLE001 - reported after the join, once
            failures.append(exc)

    threads = [threading.Thread(target=guarded, name=f"{name}-{i}", daemon=True, args=item)
               for i, item in enumerate(targets)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        first = failures[0]
        raise click.ClickException(f"{name}: {len(failures)} luồng lỗi, ví dụ "
                                   f"{type(first).__name__}: {first}")


def drive_http(base_url: str, run_id: str, clients: int, warmup: float,
               seconds: float) -> tuple[list[_ClientLog], float]:
    """Warm up, then the timed phase; returns every client's log and the timed phase's length."""
    logs = [_ClientLog() for _ in range(clients)]
    start_at = time.perf_counter() + 0.2  # every thread created before anyone sends
    timed_from = start_at + warmup
    stop_at = timed_from + seconds
    _run_threads("ingest-client", [
        (_client, (base_url, run_id, i, start_at, timed_from, stop_at, logs[i]))
        for i in range(clients)
    ])
    # answers still arriving after stop_at belong to the timed phase: count their time too
    return logs, max(time.perf_counter(), stop_at) - timed_from


# --- checking what was stored -------------------------------------------------------------------

def count_lost(url: str, run_id: str, acked: list[tuple[str, str]]) -> tuple[int, int]:
    """(lost, duplicates): acked codes missing or wrong in the database, and keys stored twice.

    `lost` includes the duplicates, as the issue defines it.
    """
    from sqlalchemy import and_, func, select

    from backend.storage.db import engine_for
    from backend.storage.models import Event, Report

    prefix = _marker(run_id)
    query = (
        select(Report.code, Report.description, func.count(Event.id))
        .outerjoin(Event, and_(Event.report_id == Report.id, Event.action == "submit"))
        .where(Report.description.startswith(prefix, autoescape=True))
        .group_by(Report.id, Report.code, Report.description)
    )
    by_key: dict[str, list[tuple[str, int]]] = {}
    with engine_for(url).connect() as connection:
        for code, description, events in connection.execute(query):
            key = description[len(prefix):].split(" ", 1)[0]
            by_key.setdefault(key, []).append((code, events))
    duplicates = sum(len(rows) - 1 for rows in by_key.values() if len(rows) > 1)
    missing = 0
    for key, code in acked:
        stored = dict(by_key.get(key, ()))
        if stored.get(code, 0) < 1:  # no such report for this key, or without its submit event
            missing += 1
    return missing + duplicates, duplicates


# --- the floor ----------------------------------------------------------------------------------

def _floor_worker(engine: Any, place: tuple[str | None, str | None, str | None], stop_at: float,
                  counts: list[int], slot: int) -> None:
    """Add-and-commit one report and its submit event per transaction until `stop_at`."""
    from sqlalchemy.orm import Session

    from backend.services.audit import canonical_json, event_hash
    from backend.storage.models import Event, Report

    rng = random.Random(10_000 + slot)
    payload = canonical_json({"channel": "api", "confidential": False, "emergency": False})
    done = 0
    while time.perf_counter() < stop_at:
        now = datetime.now(UTC)
        code = f"FL-{uuid.uuid4().hex[:16]}"
        digest = event_hash(code, 1, now, "citizen", "citizen", "submit", None, "submitted",
                            None, payload, None)
        due = now + timedelta(hours=8)
        with Session(engine) as session, session.begin():
            report = Report(
                code=code, channel="api", submitted_at=now, incident_at=None,
                description=rng.choice(DESCRIPTIONS), address=None,
                lat=round(rng.uniform(*BBOX_LAT), 6), lon=round(rng.uniform(*BBOX_LON), 6),
                unit_code=place[0],
                reporter_name="Người dân thử tải", reporter_phone=f"09{rng.randrange(10**8):08d}",
                reporter_email=None, confidential=False, state_secret=False, emergency=False,
                state="submitted", updated_at=now, event_seq=1, last_event_hash=digest, version=1,
                consent_at=now, consent_version="2026-01",
                verify_start=now, verify_due=due, forward_start=now, forward_due=due,
                stage="verify", stage_due=due, stage_risk_at=now + timedelta(hours=6),
            )
            report.refresh_search_text()  # a submission stores it too
            session.add(report)
            session.flush()
            session.add(Event(
                stream=code, seq=1, report_id=report.id, at=now, actor="citizen", role="citizen",
                action="submit", from_state=None, to_state="submitted", note=None, data=payload,
                prev_hash=None, hash=digest,
            ))
        done += 1
    counts[slot] = done


def measure_floor(url: str, clients: int, seconds: float) -> float:
    """Reports per second that bare ORM add-and-commit reaches with `clients` threads."""
    from backend.services.places.lookup import locate
    from backend.storage.db import make_engine

    spot = locate(sum(BBOX_LON) / 2, sum(BBOX_LAT) / 2)  # one real place, looked up once
    place = (spot.unit_code,)
    # the app's durability settings and pool (5 + 10 overflow), but connections of its own
    engine = make_engine(url)
    try:
        counts = [0] * clients
        start = time.perf_counter()
        stop_at = start + seconds
        _run_threads("ingest-floor", [(_floor_worker, (engine, place, stop_at, counts, i))
                                      for i in range(clients)])
        elapsed = max(time.perf_counter(), stop_at) - start
        return sum(counts) / elapsed
    finally:
        engine.dispose()


# --- the whole run ------------------------------------------------------------------------------

def _percentile(values: list[float], fraction: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)  # nearest rank
    return ordered[min(len(ordered), max(1, math.ceil(fraction * len(ordered)))) - 1]


def run_ingest_bench(
    *,
    clients: int,
    seconds: float,
    workers: int | None = None,
    threads: int = DEFAULT_THREADS,
    warmup: float = 2.0,
    url: str | None = None,
    yes: bool = False,
    echo: Callable[[str], None] | None = None,
) -> IngestBenchResult:
    """One full run (see the module docstring); `echo(text)` reports progress when given."""
    from backend import config
    from backend.services.admin.reference_data import prepare_database
    from backend.storage.db import engine_for

    def say(text: str) -> None:
        if echo is not None:
            echo(text)

    url = absolute_url(url or config.database_url())
    check_target(url, yes)
    workers = workers or default_workers()
    say(f"Cơ sở dữ liệu '{database_name(url)}': {prepare_database(url)}")
    engine_for(url).dispose()  # gunicorn's workers must not inherit anything from us
    run_id = uuid.uuid4().hex[:12]
    kind = f"gthread, {threads} luồng" if threads > 1 else "sync"
    say(f"gunicorn: {workers} worker ({kind}); {clients} client, khởi động {warmup:g} s, "
        f"đo {seconds:g} s")
    with gunicorn_server(url, workers, threads) as server:
        logs, elapsed = drive_http(server.base_url, run_id, clients, warmup, seconds)
    acked = [pair for log in logs for pair in log.acked]
    latencies = [value for log in logs for value in log.latencies]
    errors: Counter[str] = Counter()
    for log in logs:
        errors.update(log.errors)
    lost, duplicates = count_lost(url, run_id, acked)
    timed = sum(log.timed_acks for log in logs)
    unacked = sum(log.unacked for log in logs)
    retries = sum(log.retries for log in logs)
    say(f"HTTP: {timed} phản ánh trong {elapsed:.1f} s (cả khởi động: {len(acked)}), "
        f"lặp lại {retries}, chưa được xác nhận khi hết giờ {unacked}, trùng {duplicates}, "
        f"lỗi {dict(errors) or 0}")
    say(f"Mức sàn ORM: {clients} luồng, {seconds:g} s...")
    floor_rps = measure_floor(url, clients, seconds)
    engine_for(url).dispose()
    return IngestBenchResult(
        clients=clients, seconds=seconds, acknowledged=timed,
        rps=timed / elapsed if elapsed > 0 else 0.0, p95_ms=_percentile(latencies, 0.95) * 1000,
        floor_rps=floor_rps, lost=lost, workers=workers, threads=threads, errors=dict(errors),
        unacknowledged=unacked, retries=retries,
    )


@click.command("ingest")
@click.option("--clients", default=16, show_default=True, type=click.IntRange(1, 256),
              help="Số luồng gửi đồng thời (và số luồng của mức sàn).")
@click.option("--seconds", default=20.0, show_default=True, type=click.FloatRange(0.5, 600),
              help="Thời gian đo mỗi phần (HTTP, rồi mức sàn).")
@click.option("--warmup", default=2.0, show_default=True, type=click.FloatRange(0, 60),
              help="Gửi trước khi đo (không tính vào rps, p95; vẫn kiểm tra mất mát).")
@click.option("--workers", default=None, type=click.IntRange(1, 64),
              help="Số worker gunicorn  [mặc định: 2 × số lõi + 1]")
@click.option("--threads", default=DEFAULT_THREADS, show_default=True, type=click.IntRange(1, 64),
              help="Số luồng mỗi worker (1: worker sync; > 1: gthread).")
@click.option("--yes", is_flag=True,
              help="Cho phép ghi vào cơ sở dữ liệu có tên không chứa 'bench'.")
def ingest_command(clients: int, seconds: float, warmup: float, workers: int | None,
                   threads: int, yes: bool) -> None:
    """Gửi phản ánh qua HTTP (gunicorn) và so với mức sàn ORM trên cùng cơ sở dữ liệu.

    Ghi dữ liệu thử vào DATABASE_URL và để lại: chỉ chạy trên cơ sở dữ liệu dùng để đo.
    """
    result = run_ingest_bench(clients=clients, seconds=seconds, workers=workers, threads=threads,
                              warmup=warmup, yes=yes, echo=click.echo)
    click.echo(result.line())

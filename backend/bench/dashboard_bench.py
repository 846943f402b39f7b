"""`ioc bench dashboard`: the wall screen under load, on the database it is given.

1. seeds the database up to `--reports` (default 1,000,000) when it holds fewer;
2. starts the whole web app (API + dashboard) under gunicorn with the configured database and
   Redis (when `REDIS_URL` is set, the shared cache every worker uses);
3. `--screens` wall screens sign in as a display account and send the wall's tick callback
   every 2 s for `--seconds` (the first 6 s, a cold start, are not counted), each keeping its
   own "seen" state like the browser does, while a
   writer submits a report every few seconds (so data versions change as in the control room);
   server time is read from each answer's `Server-Timing` header, bytes as sent on the wire;
4. opens `/wall` in headless Chromium (Debian's, when installed) and times the first paint: from
   navigation to figures in the tiles and report symbols on the map (median of three cold loads).

The last line: `dashboard-bench reports=<n> tick_p95_ms=<x> tick_kb=<y> first_paint_s=<z>`.
Nothing here imports Dash: the app is started by name, like gunicorn is in production.
"""

from __future__ import annotations

import contextlib
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import click

from backend.bench.ingest_bench import _free_port, absolute_url, check_target
from backend.config import REPO_ROOT

APP = "dashboard.wsgi:create_app()"
TICK_SECONDS = 2.0
WARMUP = 6.0  # seconds of each screen's first ticks left out: a wall runs all day, not cold
CHROMIUM = os.environ.get("IOC_CHROMIUM", "/usr/bin/chromium")
TICK_OUTPUTS = (("wall-clock", "children"), ("wall-kpis", "children"), ("wall-ticker", "children"),
                ("wall-heatmap", "children"), ("wall-districts", "hideout"), ("wall-points", "url"),
                ("wall-seen", "data"), ("wall-mode", "children"), ("wall-new", "data"))


@dataclass
class TickStats:
    server_ms: list[float] = field(default_factory=list)
    wire_bytes: list[int] = field(default_factory=list)
    full_bytes: list[int] = field(default_factory=list)  # ticks that carried a new snapshot
    errors: int = 0


def tick_body(n_intervals: int, seen: str | None) -> dict:
    """The request Dash's renderer sends for the wall's tick callback."""
    return {
        "output": ".." + "...".join(f"{i}.{p}" for i, p in TICK_OUTPUTS) + "..",
        "outputs": [{"id": i, "property": p} for i, p in TICK_OUTPUTS],
        "inputs": [{"id": "wall-tick", "property": "n_intervals", "value": n_intervals}],
        "changedPropIds": ["wall-tick.n_intervals"],
        "state": [{"id": "wall-seen", "property": "data", "value": seen}],
    }


def ensure_reports(url: str, reports: int, say) -> int:
    """Seed up to `reports`; the count the bench runs on."""
    from backend.demo.seed import report_count, seed
    from backend.services.admin.reference_data import prepare_database

    prepare_database(url)
    existing = report_count(url)
    if existing < reports:
        say(f"Đang tạo thêm {reports - existing:,} phản ánh minh họa...")
        result = seed(reports - existing, url=url)
        say(f"Đã tạo {result.reports:,} phản ánh trong {result.seconds:.0f} giây.")
    return report_count(url)


def display_account(url: str) -> tuple[str, str]:
    """A wall-display account for this run (display-only: it sees no personal data)."""
    from backend.services.access.auth import create_user

    username, password = f"bench_wall_{secrets.token_hex(3)}", secrets.token_urlsafe(16)
    create_user(username, "wall_display", password, full_name="Màn hình đo tải", url=url)
    return username, password


@contextlib.contextmanager
def app_server(url: str, workers: int, threads: int) -> Iterator[str]:
    """The whole app under gunicorn (dashboard/gunicorn_conf.py: warmed workers); base URL."""
    import requests

    port = _free_port()
    env = dict(os.environ, DATABASE_URL=url, IOC_BIND=f"127.0.0.1:{port}",
               IOC_WORKERS=str(workers), IOC_THREADS=str(threads))
    env.setdefault("IOC_SECRET_KEY", secrets.token_hex(32))
    command = [sys.executable, "-m", "gunicorn", "-c", "dashboard/gunicorn_conf.py",
               "--log-level", "warning", "--access-logfile", "/dev/null", APP]
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=log, stderr=log,
                                   stdin=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 90
            while True:
                if process.poll() is not None:
                    log.seek(0)
                    raise click.ClickException("gunicorn dừng khi khởi động: "
                                               + log.read().decode("utf-8", "replace")[-500:])
                with contextlib.suppress(requests.RequestException):
                    if requests.get(base + "/healthz", timeout=2).status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise click.ClickException("gunicorn chưa sẵn sàng sau 90 giây")
                time.sleep(0.2)
            time.sleep(2)  # every worker through post_worker_init
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def _signed_in(base: str, username: str, password: str):
    import requests

    session = requests.Session()
    answer = session.post(f"{base}/api/v1/auth/login",
                          json={"username": username, "password": password}, timeout=10)
    answer.raise_for_status()
    session.headers["X-CSRFToken"] = answer.json()["csrf_token"]
    return session


def _screen(base: str, session, stop_at: float, offset: float, stats: TickStats,
            lock: threading.Lock) -> None:
    """One wall screen: a tick every 2 s, keeping the `seen` key the answers give it."""
    time.sleep(offset)
    seen, n = None, 0
    measured_from = time.monotonic() + WARMUP
    while time.monotonic() < stop_at:
        started = time.monotonic()
        try:
            answer = session.post(f"{base}/_dash-update-component", json=tick_body(n, seen),
                                  headers={"Accept-Encoding": "gzip"}, timeout=30, stream=True)
            raw = answer.raw.read(decode_content=False)
            ok = answer.status_code == 200
            timing = answer.headers.get("Server-Timing", "")
            server_ms = float(timing.split("dur=")[1]) if "dur=" in timing else None
            payload = answer.json() if ok and answer.headers.get("Content-Encoding") != "gzip" \
                else _json_of(raw, answer) if ok else None
        except Exception:  # noqa: BLE001 - a failed tick is counted, the screen carries on
            ok, payload, server_ms, raw = False, None, None, b""
        if started < measured_from:  # the screens' first ticks after a cold start
            new_seen = (payload or {}).get("response", {}).get("wall-seen", {}).get("data")
            seen = new_seen or seen
            n += 1
            time.sleep(max(0.0, TICK_SECONDS - (time.monotonic() - started)))
            continue
        with lock:
            if not ok or server_ms is None:
                stats.errors += 1
            else:
                stats.server_ms.append(server_ms)
                stats.wire_bytes.append(len(raw))
                new_seen = (payload or {}).get("response", {}).get("wall-seen", {}).get("data")
                if new_seen and new_seen != seen:
                    stats.full_bytes.append(len(raw))
                    seen = new_seen
        n += 1
        time.sleep(max(0.0, TICK_SECONDS - (time.monotonic() - started)))


def _json_of(raw: bytes, answer) -> dict:
    import gzip
    import json

    data = gzip.decompress(raw) if answer.headers.get("Content-Encoding") == "gzip" else raw
    return json.loads(data)


def _writer(url: str, stop_at: float, every: float) -> None:
    """Live intake while the screens watch: a report every `every` seconds."""
    from backend.services.intake.submit import NewReport, submit_report

    rng = random.Random(7)
    while time.monotonic() < stop_at:
        submit_report(NewReport(
            description="Đo tải màn hình tường: đèn chiếu sáng hỏng trên đường Quang Trung",
            lat=21.58 + rng.random() * 0.04, lon=105.82 + rng.random() * 0.05,
            reporter_name="Người đo tải", reporter_phone="0912000111"),
            now=datetime.now(UTC), url=url)
        time.sleep(every)


def drive_screens(base: str, url: str, username: str, password: str, screens: int,
                  seconds: float) -> TickStats:
    import requests

    stats, lock = TickStats(), threading.Lock()
    # one sign-in (the login is rate-limited per address), its cookies on every screen
    signed = _signed_in(base, username, password)
    sessions = []
    for _ in range(screens):
        session = requests.Session()
        session.cookies.update(signed.cookies)
        session.headers.update(signed.headers)
        sessions.append(session)
    stop_at = time.monotonic() + seconds
    threads = [threading.Thread(target=_screen, daemon=True,
                                args=(base, s, stop_at, i * TICK_SECONDS / screens, stats, lock))
               for i, s in enumerate(sessions)]
    threads.append(threading.Thread(target=_writer, args=(url, stop_at, 3.0), daemon=True))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 60)
    return stats


def first_paint(base: str, username: str, password: str, runs: int = 3) -> float | None:
    """Median seconds from navigating to /wall until figures and map symbols are drawn."""
    if not Path(CHROMIUM).exists():
        return None
    from playwright.sync_api import sync_playwright

    times = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"])
        for _ in range(runs):
            context = browser.new_context(viewport={"width": 1920, "height": 1080})
            page = context.new_page()
            page.goto(base + "/login")
            page.fill("#login-username", username)
            page.fill("#login-password", password)
            page.click("#login-submit")
            page.wait_for_url(lambda u: u.endswith("/wall"), timeout=30_000)
            page.goto("about:blank")
            started = time.monotonic()
            page.goto(base + "/wall")
            page.wait_for_selector("#wall-kpi-received_today .kpi-value:text-matches('^[0-9.]+$')",
                                   timeout=60_000)
            page.wait_for_selector(".cluster-icon, .sla-marker", timeout=60_000)
            times.append(time.monotonic() - started)
            context.close()
        browser.close()
    return statistics.median(times)


def run_dashboard_bench(url: str, reports: int, screens: int, seconds: float, workers: int,
                        threads: int, yes: bool, say=click.echo) -> str:
    check_target(url, yes)
    url = absolute_url(url)
    count = ensure_reports(url, reports, say)
    username, password = display_account(url)
    cache = "Redis" if os.environ.get("REDIS_URL") else "bộ nhớ từng worker"
    say(f"gunicorn: {workers} worker × {threads} luồng; bộ đệm: {cache}; {screens} màn hình, "
        f"{seconds:g} s")
    with app_server(url, workers, threads) as base:
        stats = drive_screens(base, url, username, password, screens, seconds)
        paint = first_paint(base, username, password)
    if not stats.server_ms:
        raise click.ClickException(f"không có lượt cập nhật nào thành công ({stats.errors} lỗi)")
    p95 = statistics.quantiles(stats.server_ms, n=100)[94] if len(stats.server_ms) > 1 \
        else stats.server_ms[0]
    full_kb = max(stats.full_bytes or stats.wire_bytes) / 1024
    cuts = statistics.quantiles(stats.server_ms, n=100) if len(stats.server_ms) > 1 else [p95] * 99
    slow = sum(ms > 50 for ms in stats.server_ms) / len(stats.server_ms)
    say(f"lượt cập nhật: {len(stats.server_ms)} (lỗi {stats.errors}); thời gian máy chủ "
        f"p50 {statistics.median(stats.server_ms):.1f} ms, p90 {cuts[89]:.1f} ms, "
        f"p95 {p95:.1f} ms, p99 {cuts[98]:.1f} ms, trên 50 ms {slow:.1%}, "
        f"tối đa {max(stats.server_ms):.1f} ms; gói đầy đủ lớn nhất {full_kb:.1f} KB, "
        f"gói chỉ có đồng hồ trung vị {statistics.median(stats.wire_bytes) / 1024:.2f} KB")
    paint_text = f"{paint:.2f}" if paint is not None else "nan"
    return (f"dashboard-bench reports={count} tick_p95_ms={p95:.1f} tick_kb={full_kb:.1f} "
            f"first_paint_s={paint_text}")


@click.command("dashboard")
@click.option("--reports", type=click.IntRange(1), default=1_000_000, show_default=True,
              help="Số phản ánh tối thiểu trong cơ sở dữ liệu (tạo thêm nếu thiếu).")
@click.option("--screens", type=click.IntRange(1, 200), default=20, show_default=True,
              help="Số màn hình tường cùng cập nhật.")
@click.option("--seconds", type=click.FloatRange(5), default=30.0, show_default=True)
@click.option("--workers", type=click.IntRange(1, 32), default=3, show_default=True)
@click.option("--threads", type=click.IntRange(1, 64), default=4, show_default=True)
@click.option("--yes", is_flag=True, help="Cho phép cơ sở dữ liệu không có 'bench' trong tên.")
def dashboard_command(reports: int, screens: int, seconds: float, workers: int, threads: int,
                      yes: bool) -> None:
    """Đo tải màn hình tường: thời gian cập nhật, dung lượng và thời gian hiển thị lần đầu."""
    from backend.config import database_url

    click.echo(run_dashboard_bench(database_url(), reports, screens, seconds, workers, threads, yes))

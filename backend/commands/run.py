"""`ioc run`: prepare the database, seed the demo once, start the simulator and serve the app."""

from __future__ import annotations

import importlib
import os
import signal
import subprocess
import sys

import click

from backend import vietnamese as vn

DEMO_REPORTS = 30_000
DEMO_MONTHS = 12
DEFAULT_APP = "dashboard.wsgi:create_app"


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=8050, show_default=True)
@click.option("--no-demo", is_flag=True, help="Không tạo dữ liệu minh họa.")
@click.option("--no-live", is_flag=True, help="Không chạy mô phỏng thời gian thực.")
def run(host: str, port: int, no_demo: bool, no_live: bool) -> None:
    """Chạy ứng dụng web (mặc định http://127.0.0.1:8050)."""
    from backend.demo.accounts import ensure_demo_accounts
    from backend.demo.seed import report_count, seed
    from backend.services.admin.reference_data import prepare_database
    from backend.services.notifications.outbox import smtp_settings, webhook_url

    summary = prepare_database()
    click.echo(f"Cơ sở dữ liệu: {summary}")
    if not no_demo and report_count() == 0:
        click.echo(f"Đang tạo dữ liệu minh họa ({vn.integer(DEMO_REPORTS)} phản ánh, {DEMO_MONTHS} tháng)...")
        result = seed(DEMO_REPORTS, DEMO_MONTHS)
        click.echo(f"Đã tạo {vn.integer(result.reports)} phản ánh trong {vn.decimal(result.seconds)} giây.")
    if not no_demo:
        click.echo("Tài khoản minh họa (tên đăng nhập / mật khẩu / vai trò):")
        for username, role, agency, password in ensure_demo_accounts():
            click.echo(f"  {username:<14} {password:<26} {role}" + (f" ({agency})" if agency else ""))
    # SIGTERM (a service manager, `timeout`) unwinds like Ctrl+C, so the simulator is stopped too.
    signal.signal(signal.SIGTERM, _raise_interrupt)
    live = None
    if not no_demo and not no_live:
        live = subprocess.Popen([sys.executable, "-m", "backend.cli", "demo", "live"])
    workers = [live] if live is not None else []
    if os.environ.get("REDIS_URL"):  # the dashboard's background jobs (report packs) on Celery
        workers.append(subprocess.Popen([sys.executable, "-m", "celery", "-A",
                                         "dashboard.celery_worker", "worker", "--concurrency", "1",
                                         "--loglevel", "warning"]))
    if smtp_settings() is not None or webhook_url():
        workers.append(subprocess.Popen([sys.executable, "-m", "backend.cli", "outbox", "deliver"]))
    click.echo(f"Mở http://{host}:{port}/ trong trình duyệt. Nhấn Ctrl+C để dừng.")
    try:
        load_app().run(host=host, port=port, threaded=True)
    finally:
        for worker in workers:
            worker.terminate()
            worker.wait(timeout=10)


def load_app():
    """The web application named by `IOC_APP` (default: the API with the dashboard mounted),
    like gunicorn's "module:factory()": the backend does not import the dashboard."""
    module_name, _, factory = os.environ.get("IOC_APP", DEFAULT_APP).partition(":")
    return getattr(importlib.import_module(module_name), factory)()


def _raise_interrupt(_signum, _frame) -> None:
    raise KeyboardInterrupt

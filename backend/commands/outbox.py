"""`ioc outbox deliver [--once] [--interval S]` and `ioc outbox status`: the notification worker."""

from __future__ import annotations

import logging
import signal
import threading

import click


@click.group()
def outbox() -> None:
    """Thông báo (e-mail, ứng dụng): gửi và theo dõi hàng đợi."""


@outbox.command("deliver")
@click.option("--once", is_flag=True, help="Gửi một lượt các thông báo đến hạn rồi thoát.")
@click.option("--interval", default=5.0, show_default=True, type=click.FloatRange(min=0.1),
              help="Số giây nghỉ giữa hai lượt khi hàng đợi trống.")
def deliver(once: bool, interval: float) -> None:
    """Gửi các thông báo đến hạn, thử lại khi lỗi; không bao giờ xóa thông báo."""
    from backend.services.notifications.outbox import deliver_due, run_delivery_loop  # noqa: PLC0415

    if once:
        click.echo(deliver_due().line())
        return
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    stop = threading.Event()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
    click.echo(f"Đang gửi thông báo, {interval:g} giây một lượt (Ctrl+C để dừng)...")
    try:
        run_delivery_loop(interval=interval, stop=stop)
    except KeyboardInterrupt:
        stop.set()
    click.echo("Đã dừng.")


@outbox.command("status")
def status() -> None:
    """Số thông báo theo trạng thái: mỗi dòng trạng thái<TAB>số lượng."""
    from backend.services.notifications.outbox import status_counts  # noqa: PLC0415

    for name, count in status_counts().items():
        click.echo(f"{name}\t{count}")

"""`ioc demo seed` and `ioc demo live`: a province to look at, and one that moves."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import click

from backend import vietnamese as vn
from backend.config import TIMEZONE


@click.group()
def demo() -> None:
    """Dữ liệu minh họa."""


@demo.command("seed")
@click.option("--reports", "reports", type=click.IntRange(1, 20_000_000), default=30_000,
              show_default=True, help="Số phản ánh cần tạo.")
@click.option("--months", type=click.IntRange(1, 120), default=12, show_default=True,
              help="Số tháng lịch sử (tính lùi từ --until).")
@click.option("--seed", "seed_value", type=int, default=2026, show_default=True,
              help="Hạt giống ngẫu nhiên: cùng tham số cho cùng kết quả.")
@click.option("--until", type=click.DateTime(formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d"]),
              default=None, help="Thời điểm cuối của lịch sử (mặc định: bây giờ).")
def demo_seed(reports: int, months: int, seed_value: int, until: datetime | None) -> None:
    """Tạo lịch sử phản ánh minh họa (nạp hàng loạt, xác định theo --seed)."""
    from backend.demo.seed import seed
    from backend.services.admin.reference_data import prepare_database

    prepare_database()
    if until is not None and until.tzinfo is None:  # a bare date is midnight in Vietnam
        until = until.replace(tzinfo=ZoneInfo(TIMEZONE))

    def progress(done: int, total: int) -> None:
        click.echo(f"  {vn.integer(done)}/{vn.integer(total)} phản ánh", err=True)

    result = seed(reports, months, seed_value, until, progress=progress)
    click.echo(f"Đã tạo {vn.integer(result.reports)} phản ánh và {vn.integer(result.events)} sự kiện "
               f"trong {vn.decimal(result.seconds)} giây.")


@demo.command("live")
@click.option("--rate", type=click.FloatRange(0.1, 600), default=6.0, show_default=True,
              help="Số phản ánh mới mỗi phút.")
@click.option("--seconds", type=click.FloatRange(min=0), default=0,
              help="Dừng sau số giây này (0: chạy đến khi bị dừng).")
@click.option("--seed", "seed_value", type=int, default=None, help="Hạt giống ngẫu nhiên.")
def demo_live(rate: float, seconds: float, seed_value: int | None) -> None:
    """Mô phỏng thời gian thực: phản ánh mới đến và phản ánh đang mở được xử lý tiếp."""
    from backend.demo.live import run_live

    click.echo(f"Mô phỏng trực tiếp: {rate:g} phản ánh/phút. Nhấn Ctrl+C để dừng.", err=True)
    stats = run_live(rate=rate, seconds=seconds or None, seed=seed_value)
    click.echo(f"Đã gửi {stats.submitted} phản ánh, thực hiện {stats.steps} bước xử lý.")

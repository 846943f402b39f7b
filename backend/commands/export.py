"""`ioc export monthly|quarterly` (the report packs, D13.5) and `ioc bench export`.

The packs are written by `backend.exports.pack.build_pack`; this module only reads the options,
turns a bad month or quarter into one "Lỗi:" line, prints the three paths (progress goes to
stderr) and times the packs on a big database.
"""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import click

from backend import vietnamese as vn
from backend.commands.sla import bench

# pandas, openpyxl, python-docx and matplotlib are imported by the commands that need them:
# `ioc` imports this module on every start.


def _period(kind: str, text: str | None):
    from backend.services.kpis import Period, PeriodError  # noqa: PLC0415

    option, example = ("--month", "2026-10") if kind == "month" else ("--quarter", "2026-Q3")
    if not text:
        raise click.ClickException(f"cần {option}, ví dụ: ioc export "
                                   f"{'monthly' if kind == 'month' else 'quarterly'} "
                                   f"{option} {example} --out DIR")
    try:
        return Period.parse_month(text) if kind == "month" else Period.parse_quarter(text)
    except PeriodError as exc:
        raise click.ClickException(str(exc)) from None


def _write(period, out_dir: str) -> None:
    from backend.exports.pack import build_pack  # noqa: PLC0415

    def progress(fraction: float, message: str) -> None:
        click.echo(f"  {fraction:4.0%} {message}", err=True)

    for path in build_pack(period, Path(out_dir), progress=progress):
        click.echo(str(path))


@click.group()
def export() -> None:
    """Xuất bộ báo cáo định kỳ gửi UBND tỉnh (Word, Excel, CSV)."""


@export.command("monthly")
@click.option("--month", "month", help="Tháng báo cáo (bắt buộc), dạng YYYY-MM, ví dụ 2026-10.")
@click.option("--out", "out_dir", default=".", show_default=True,
              help="Thư mục ghi ba tệp (tạo mới nếu chưa có).")
def monthly(month: str | None, out_dir: str) -> None:
    """Bộ báo cáo tháng: in đường dẫn tệp Word, Excel và CSV."""
    _write(_period("month", month), out_dir)


@export.command("quarterly")
@click.option("--quarter", "quarter", help="Quý báo cáo (bắt buộc), dạng YYYY-Qn, ví dụ 2026-Q3.")
@click.option("--out", "out_dir", default=".", show_default=True,
              help="Thư mục ghi ba tệp (tạo mới nếu chưa có).")
def quarterly(quarter: str | None, out_dir: str) -> None:
    """Bộ báo cáo quý: in đường dẫn tệp Word, Excel và CSV."""
    _write(_period("quarter", quarter), out_dir)


# --------------------------------------------------------------------------- the benchmark


def latest_full_periods(last: datetime):
    """The last complete month and quarter before the local day of ``last``."""
    from backend.config import LOCAL_TZ  # noqa: PLC0415
    from backend.services.kpis import Period  # noqa: PLC0415

    day = last.astimezone(LOCAL_TZ).date()
    month = Period.month(day.year, day.month).previous()
    quarter = Period.quarter(day.year, (day.month - 1) // 3 + 1).previous()
    return month, quarter


@bench.command("export")
@click.option("--reports", type=click.IntRange(1, 20_000_000), default=1_000_000,
              show_default=True, help="Số phản ánh tối thiểu; thiếu thì tạo thêm bằng dữ liệu minh họa.")
@click.option("--months", type=click.IntRange(1, 120), default=12, show_default=True,
              help="Số tháng lịch sử khi phải tạo thêm dữ liệu.")
@click.option("--seed", "seed_value", type=int, default=2026, show_default=True,
              help="Hạt giống ngẫu nhiên của dữ liệu minh họa.")
@click.option("--yes", is_flag=True, help="Cho phép ghi vào cơ sở dữ liệu không có 'bench' trong tên.")
def bench_export(reports: int, months: int, seed_value: int, yes: bool) -> None:
    """Đo thời gian tạo bộ báo cáo tháng và quý trên cơ sở dữ liệu đã cấu hình."""
    from sqlalchemy import func, select  # noqa: PLC0415

    from backend.bench.ingest_bench import database_name  # noqa: PLC0415
    from backend.config import database_url  # noqa: PLC0415
    from backend.demo.seed import report_count, seed  # noqa: PLC0415
    from backend.exports.pack import build_pack  # noqa: PLC0415
    from backend.services.admin.reference_data import prepare_database  # noqa: PLC0415
    from backend.storage.db import session_factory  # noqa: PLC0415
    from backend.storage.models import Report  # noqa: PLC0415

    url = database_url()
    name = database_name(url)
    if not yes and "bench" not in name.lower():
        raise click.ClickException(
            f"bench export có thể tạo thêm phản ánh minh họa trong cơ sở dữ liệu '{name}'; "
            "hãy dùng một cơ sở dữ liệu có tên chứa 'bench' hoặc thêm --yes")
    prepare_database(url)
    have = report_count(url)
    if have < reports:
        click.echo(f"Cơ sở dữ liệu có {vn.integer(have)} phản ánh; tạo thêm {vn.integer(reports - have)}...",
                   err=True)

        def progress(done: int, total: int) -> None:
            click.echo(f"  {vn.integer(done)}/{vn.integer(total)} phản ánh", err=True)

        seed(reports - have, months, seed_value, None, url=url, progress=progress)
        have = report_count(url)
    with session_factory(url)() as session:
        last = session.scalar(select(func.max(Report.submitted_at)))
    month, quarter = latest_full_periods(last or datetime.now(UTC))
    seconds = {}
    with tempfile.TemporaryDirectory(prefix="ioc-bench-export-") as folder:
        for label, period in (("monthly", month), ("quarterly", quarter)):
            started = time.perf_counter()
            paths = build_pack(period, Path(folder) / label, url=url)
            seconds[label] = time.perf_counter() - started
            sizes = ", ".join(f"{p.suffix[1:]} {p.stat().st_size / 1e6:.1f} MB" for p in paths)
            click.echo(f"{period.label_vi}: {seconds[label]:.1f} s ({sizes})", err=True)
    click.echo(f"export-bench reports={have} monthly_s={seconds['monthly']:.1f} "
               f"quarterly_s={seconds['quarterly']:.1f}")

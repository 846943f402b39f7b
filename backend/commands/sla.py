"""`ioc sla ...` (deadlines from the command line) and the `ioc bench` group (`ioc bench sla`).

`bench` is a plain group: other modules add their own benchmarks to it (e.g. `bench dashboard`).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import click

from backend.bench.dashboard_bench import dashboard_command
from backend.bench.ingest_bench import ingest_command
from backend.bench.reads_bench import reads_command
from backend.config import TIMEZONE
from backend.domain.sla import STAGES, stage_deadline
from backend.domain.worktime import WorkCalendar
from backend.reference.rules import load_calendar_spec, load_sla_policy


class VietnameseError(click.ClickException):
    """A one-line error in Vietnamese ("Lỗi: ..."), exit code 1, no usage text."""

    def show(self, file=None) -> None:  # noqa: D102 - same contract as click's
        click.echo(f"Lỗi: {self.format_message()}", err=True)


def _calendar() -> WorkCalendar:
    """The calendar with the database's override list when there is one, else data/calendar.toml."""
    try:
        from backend.services.clocks import current_calendar  # noqa: PLC0415
    except ImportError:
        return WorkCalendar(load_calendar_spec())
    return current_calendar()


def _parse_instant(text: str) -> dt.datetime:
    """ISO 8601 with any offset; a naive value is local time (Asia/Ho_Chi_Minh)."""
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise VietnameseError(
            f"thời điểm '{text}' không hợp lệ, cần dạng ISO 8601, ví dụ 2026-11-30T07:30:00+07:00"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(TIMEZONE))
    return moment


@click.group()
def sla() -> None:
    """Thời hạn xử lý các bước (tính theo giờ làm việc)."""


@sla.command("deadline")
@click.option("--stage", "stage", help=f"Bước (bắt buộc): {', '.join(STAGES)}.")
@click.option(
    "--from",
    "start",
    help="Thời điểm bắt đầu (bắt buộc), ISO 8601; không có múi giờ: giờ Việt Nam.",
)
@click.option("--emergency", is_flag=True, help="Phản ánh khẩn cấp: tính theo giờ đồng hồ.")
def deadline(stage: str | None, start: str | None, emergency: bool) -> None:
    """In thời hạn của một bước (quy ước: đến giờ kết thúc ca), giờ Việt Nam."""
    # Checked here rather than with required=/Choice so every error is one Vietnamese line.
    if stage is None or start is None:
        raise VietnameseError(
            "cần cả --stage và --from, ví dụ: ioc sla deadline --stage verify --from 2026-11-30T07:30"
        )
    if stage not in STAGES:
        raise VietnameseError(f"bước '{stage}' không tồn tại, chọn một trong: {', '.join(STAGES)}")
    moment = _parse_instant(start)
    try:
        due = stage_deadline(load_sla_policy(), _calendar(), stage, moment, emergency)
    except ValueError as exc:
        raise VietnameseError(str(exc)) from None
    click.echo(due.astimezone(ZoneInfo(TIMEZONE)).isoformat())


@click.group()
def bench() -> None:
    """Đo hiệu năng."""


bench.add_command(ingest_command)  # `ioc bench ingest` (backend/bench/ingest_bench.py)
bench.add_command(dashboard_command)  # `ioc bench dashboard` (backend/bench/dashboard_bench.py)
bench.add_command(reads_command)  # `ioc bench reads` (backend/bench/reads_bench.py)


@bench.command("sla")
@click.option(
    "--n",
    "n",
    default=100_000,
    show_default=True,
    type=click.IntRange(min=1),
    help="Số trường hợp ngẫu nhiên.",
)
@click.option("--seed", default=0, show_default=True, type=int, help="Hạt giống ngẫu nhiên.")
def bench_sla(n: int, seed: int) -> None:
    """So sánh bộ tính thời hạn với pandas CustomBusinessHour trên cùng các trường hợp."""
    from backend.bench.sla_bench import run_sla_bench  # noqa: PLC0415 - pandas only when benchmarking

    click.echo(f"Đang chạy {n} trường hợp (pandas tính từng trường hợp, có thể mất vài giây)...")
    result = run_sla_bench(n=n, seed=seed)
    click.echo(f"calendar build: {result.build_ms:.1f} ms")
    click.echo(result.line())

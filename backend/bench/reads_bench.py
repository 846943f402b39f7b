"""`ioc bench reads`: the read paths people wait on, timed on the configured database.

One line per figure, so the numbers in docs/benchmarks.md and docs/decisions.md can be measured
again by anyone: the point lookup of a submission (one point, scalar path, against the vector
path on the same points), the search text folded per report, staff-queue and public searches
with and without diacritics, the leaders' page (month cold and cached, quarter, trend, drill-down
codes) and, only on a database whose name contains "bench" (or with --yes, because it submits
one report), the month and quarter again after a new report.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import click
import numpy as np

QUERIES = ("duong", "hoang van thu", "zzzz", "đường", "Hoàng Văn Thụ")
OPEN_STATES = ("submitted", "accepted")


def _timed(run: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = run()
    return time.perf_counter() - start, value


def _point_lookup(say: Callable[[str], None]) -> None:
    from backend.services.places.lookup import gazetteer  # noqa: PLC0415

    gaz = gazetteer()
    rng = np.random.default_rng(1)
    lons, lats = rng.uniform(105.80, 105.87, 2000), rng.uniform(21.55, 21.62, 2000)
    gaz.locate(lons[0], lats[0])
    scalar, _ = _timed(lambda: [gaz.locate(x, y) for x, y in zip(lons, lats, strict=True)])
    vector, _ = _timed(lambda: [gaz.locate_indices(np.array([x]), np.array([y]))
                                for x, y in zip(lons, lats, strict=True)])
    say(f"locate one point: scalar {scalar / 2000 * 1e6:.0f} us, "
        f"vector path {vector / 2000 * 1e6:.0f} us")


def _fold(say: Callable[[str], None]) -> None:
    from backend.storage.textsearch import search_document  # noqa: PLC0415

    text = ("Đèn chiếu sáng công cộng trên đường Lương Ngọc Quyến, phường Phan Đình Phùng không "
            "sáng từ tối qua, gây mất an toàn cho người đi đường.")
    answer = ("UBND thành phố Thái Nguyên trả lời phản ánh của công dân như sau: Đã kiểm tra, "
              "thay bóng đèn hỏng và khôi phục chiếu sáng. Cảm ơn công dân đã phản ánh.")
    n = 20_000
    seconds, _ = _timed(lambda: [search_document(f"PA-2026-{i:06d}", text, "Số 12 đường Hoàng "
                                                 "Văn Thụ", answer if i % 2 else None)
                                 for i in range(n)])
    say(f"search text folded: {seconds / n * 1e6:.1f} us per report")


def _searches(say: Callable[[str], None]) -> None:
    from backend.services.access.auth import StaffUser  # noqa: PLC0415
    from backend.services.reads import public_results, queries  # noqa: PLC0415

    ioc = StaffUser(0, "bench", "bench", "ioc_handler", None, "", "")
    for q in QUERIES:
        public, page = _timed(lambda q=q: public_results.search(public_results.ResultQuery(text=q)))
        every, found = _timed(lambda q=q: queries.list_reports(ioc, queries.Filters(text=q)))
        open_, few = _timed(lambda q=q: queries.list_reports(
            ioc, queries.Filters(text=q, states=OPEN_STATES)))
        say(f"search {q!r}: public {public:.2f} s ({page.total}), queue all states {every:.2f} s "
            f"({found['total']}), queue open {open_:.2f} s ({few['total']})")


def _leaders(say: Callable[[str], None], submit: bool) -> None:
    from backend.services import kpis  # noqa: PLC0415
    from backend.services.intake.submit import NewReport, submit_report  # noqa: PLC0415
    from backend.services.kpis import leaders as service  # noqa: PLC0415
    from backend.web import leaders_data as cb  # noqa: PLC0415
    from backend.web.server import create_server  # noqa: PLC0415

    app = create_server()
    with app.test_request_context():
        cache = app.extensions["ioc_cache"]
        cache.clear()
        month, quarter = service.current_period("month"), service.current_period("quarter")
        everywhere = kpis.Filters()
        now = datetime.now(UTC)
        for label, run in (
                ("month, nothing cached", lambda: cb.page_data(month, everywhere, now)),
                ("month again (cached)", lambda: cb.page_data(month, everywhere, now)),
                ("quarter, its months cached", lambda: cb.page_data(quarter, everywhere, now)),
                ("12-month trend", lambda: cb.trend_data(month, everywhere, now)),
                ("drill-down codes, month", lambda: kpis.report_codes(
                    "received", month, everywhere, limit=service.DRILL_LIMIT)),
                ("drill-down codes, quarter", lambda: kpis.report_codes(
                    "received", quarter, everywhere, limit=service.DRILL_LIMIT))):
            seconds, _ = _timed(run)
            say(f"leaders {label}: {seconds:.2f} s")
        if not submit:
            return
        submit_report(NewReport("Đèn đường hỏng (đo hiệu năng)", 21.59, 105.84,
                                reporter_name="Người đo", reporter_phone="0912345678",
                                consent_version="2026-01"))
        cache.delete("leaders:version")
        later = datetime.now(UTC)
        for label, period in (("month", month), ("quarter", quarter)):
            seconds, _ = _timed(lambda p=period: cb.page_data(p, everywhere, later))
            say(f"leaders {label} after one new report: {seconds:.2f} s")


@click.command("reads")
@click.option("--yes", is_flag=True,
              help="Cho phép gửi một phản ánh đo thử vào cơ sở dữ liệu không có 'bench' trong tên.")
def reads_command(yes: bool) -> None:
    """Đo các thao tác đọc: tra cứu vị trí, tìm kiếm, trang lãnh đạo (trên cơ sở dữ liệu đã cấu hình)."""
    from backend.bench.ingest_bench import database_name  # noqa: PLC0415
    from backend.config import database_url  # noqa: PLC0415

    name = database_name(database_url())
    submit = yes or "bench" in name.lower()
    say = click.echo
    say(f"reads-bench database={name}")
    _point_lookup(say)
    _fold(say)
    _searches(say)
    _leaders(say, submit)
    if not submit:
        say("(leaders after a new report: skipped, the database name lacks 'bench'; --yes to run)")

"""One call writes a month's or a quarter's pack: the Word report, the workbook and the CSV;
`make_pack` keeps it as one zip for the account that asked (the leaders' page's background job).

`build_pack` is what `ioc export monthly|quarterly` and the leadership page's background
download both call; ``progress(fraction, message)`` lets the page show how far it has got.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import os
import tempfile
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from backend.exports import common
from backend.services import kpis
from backend.services.kpis import pack_files
from backend.storage import db, snapshots

Progress = Callable[[float, str], None]


def pack_paths(period: kpis.Period, out_dir: Path) -> tuple[Path, Path, Path]:
    """Where a pack's three files go: (docx, xlsx, csv)."""
    stem = common.pack_texts().get("file_stem", "bao-cao-phan-anh-{code}").format(
        code=period.code)
    folder = Path(out_dir)
    return folder / f"{stem}.docx", folder / f"{stem}.xlsx", folder / f"{stem}.csv"


def _replace(write: Callable[[Path], Path], target: Path) -> None:
    """Write to a temporary file beside ``target``, then rename: a reader never sees half a file."""
    handle, name = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=target.suffix)
    os.close(handle)
    temporary = Path(name)
    try:
        write(temporary)
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(temporary, 0o666 & ~mask)  # mkstemp made it private; a pack is a normal file
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def build_pack(period: kpis.Period, out_dir: Path | str, *, url: str | None = None,
               progress: Progress | None = None, now: dt.datetime | None = None,
               filters: kpis.Filters | None = None) -> list[Path]:
    """Compute the figures of ``period`` once and write the pack into ``out_dir``.

    Returns [docx, xlsx, csv]. ``url`` is the database (default: the configured one); ``now``
    the instant the figures describe (default: now); ``filters`` narrow the pack to a field,
    area, unit or agency. ``progress(fraction, message)`` is called as the work advances
    (0 < fraction ≤ 1, Vietnamese message), last with 1.0.
    """
    from backend.exports.csv import write_csv, write_csv_on_server  # noqa: PLC0415
    from backend.exports.docx import write_docx  # noqa: PLC0415 - heavy modules on demand
    from backend.exports.xlsx import write_xlsx  # noqa: PLC0415

    say = progress or (lambda fraction, message: None)
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    docx_path, xlsx_path, csv_path = pack_paths(period, folder)
    now, filters = kpis.as_of(now), filters or kpis.Filters()
    # one snapshot of the data for all three files; the pool's thread ends before it does
    with snapshots.consistent_reads(url), ThreadPoolExecutor(max_workers=1,
                                                       thread_name_prefix="pack-csv") as pool:
        # PostgreSQL writes the CSV by itself: start it at once, on the same snapshot
        csv_done = snapshots.read_in_background(pool, url, lambda: _replace(
            lambda path: write_csv_on_server(period, filters, now, url, path), csv_path))
        data = common.collect(period, filters, now=now, url=url, progress=say)
        if csv_done is None:  # SQLite: from the rows just read, while Word and Excel are made
            csv_done = pool.submit(contextvars.copy_context().run, _replace,
                                   lambda path: write_csv(data, path), csv_path)
        say(0.5, "Đang tạo tệp Excel…")
        _replace(lambda path: write_xlsx(data, path), xlsx_path)
        say(0.7, "Đang tạo báo cáo Word…")
        _replace(lambda path: write_docx(data, path), docx_path)
        say(0.85, "Đang hoàn tất dữ liệu CSV…")
        csv_done.result()
    say(1.0, "Đã tạo xong bộ báo cáo.")
    return [docx_path, xlsx_path, csv_path]


def make_pack(period: kpis.Period, filters: kpis.Filters | None = None, *, owner: str,
              progress: Progress | None = None, url: str | None = None,
              now: dt.datetime | None = None) -> pack_files.StoredPack:
    """The period's report pack (Word, Excel, CSV; backend.exports.pack) as one zip file kept
    for the account named `owner` to download (services/kpis/pack_files.py, which refuses an account
    that may not make packs, or a disk nearly full). Runs in a background worker, possibly a
    process forked from a web worker: the database connections inherited from the parent are
    left to it."""
    db.engine_for(url).dispose(close=False)

    def write(target: Path) -> str:
        # the files are made beside the zip, in the job's own folder under the exports folder:
        # a killed job's hundreds of megabytes are swept there, never left in /tmp
        paths = build_pack(period, target.parent, url=url, progress=progress, now=now,
                           filters=filters)
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
            for path in paths:
                archive.write(path, Path(path).name)
        return f"{Path(paths[0]).stem}.zip"

    return pack_files.store(owner, write, url=url)

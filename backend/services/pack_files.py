"""Finished report packs on disk, each fetched once or more by the one staff member who asked.

A quarter's pack is tens of megabytes: handing it to the browser inside a Dash callback answer
(base64 in JSON, kept by the background-job store as well) costs several times its size in
memory on the server and in the browser. So the background job writes the zip here and the
page gets a link; the file is then streamed by the web server (`backend/api/packs.py`).

Each pack is `<id>.zip` with `<id>.json` beside it (owner, download name, when made). The id is
128 random bits made by the server, so a name cannot be guessed or steered; only its owner's
session can fetch it, anything else is 404. Packs older than `KEEP` are swept whenever a new
one is stored. The folder (`IOC_EXPORTS_DIR`, default `var/exports/`) must be shared by the web
workers and the job workers (one machine, or a shared volume).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from backend.config import var_dir
from backend.services.errors import NotFound

KEEP = 6 * 3600  # seconds a finished pack stays downloadable
_ID = re.compile(r"[0-9a-f]{32}")
_GONE = "Không tìm thấy tệp báo cáo (đã quá hạn tải hoặc không thuộc tài khoản này)."


@dataclass(frozen=True)
class StoredPack:
    pack_id: str
    name: str  # the download name, e.g. bao-cao-phan-anh-2026-Q4.zip
    size: int  # bytes


def exports_dir() -> Path:
    configured = os.environ.get("IOC_EXPORTS_DIR")
    path = Path(configured) if configured else var_dir() / "exports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def store(owner: str, write: Callable[[Path], str], *, now: float | None = None) -> StoredPack:
    """Run `write(path)` (it fills the zip at `path` and returns the download name), then
    record who may fetch it. A failed or cancelled job leaves no file behind."""
    folder = exports_dir()
    sweep(folder, now=now)
    pack_id = secrets.token_hex(16)
    target = folder / f"{pack_id}.zip"
    partial = folder / f"{pack_id}.part"
    try:
        name = write(partial)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    meta = {"owner": owner, "name": name, "made": now if now is not None else time.time()}
    (folder / f"{pack_id}.json").write_text(json.dumps(meta, ensure_ascii=False))
    return StoredPack(pack_id, name, target.stat().st_size)


def open_pack(pack_id: str, username: str, *, now: float | None = None) -> tuple[Path, str]:
    """(path, download name) of a pack `username` made and may still fetch; else NotFound."""
    if not _ID.fullmatch(pack_id or ""):
        raise NotFound(_GONE)
    folder = exports_dir()
    try:
        meta = json.loads((folder / f"{pack_id}.json").read_text())
    except (OSError, ValueError):
        raise NotFound(_GONE) from None
    path = folder / f"{pack_id}.zip"
    age = (now if now is not None else time.time()) - float(meta.get("made", 0))
    if meta.get("owner") != username or age > KEEP or not path.is_file():
        raise NotFound(_GONE)
    return path, str(meta["name"])


def sweep(folder: Path | None = None, *, now: float | None = None) -> int:
    """Delete packs (and abandoned partial files) older than `KEEP`; returns how many files."""
    folder = folder or exports_dir()
    limit = (now if now is not None else time.time()) - KEEP
    removed = 0
    for path in folder.iterdir():
        if path.suffix not in (".zip", ".json", ".part") or not _ID.fullmatch(path.stem):
            continue
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
                removed += 1
        except FileNotFoundError:  # another worker swept it first
            continue
    return removed

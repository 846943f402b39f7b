"""Finished report packs on disk, each fetched once or more by the one staff member who asked.

A quarter's pack is tens of megabytes: handing it to the browser inside a Dash callback answer
(base64 in JSON, kept by the background-job store as well) costs several times its size in
memory on the server and in the browser. So the background job writes the zip here and the
page gets a link; the file is then streamed by the web server (`backend/api/packs.py`).

Each pack is `<id>.zip` with `<id>.json` beside it (owner's id and username, download name,
when made). The id is 128 random bits made by the server, so a name cannot be guessed or
steered. Only the same account (same id and username: a name given to a new account does not
inherit packs), while its role may still make packs (`LEADERS_PAGE_ROLES`), can fetch it; anything else
is 404. The folder (`IOC_EXPORTS_DIR`, default `var/exports/`) must be shared by the web
workers and the job workers (one machine, or a shared volume).

Disk use is bounded: a pack is built in `<id>.work/` here (not in /tmp, which nothing would
clean after a killed job), each account keeps its `PER_OWNER` newest packs, packs older than
`KEEP` and leftovers of dead jobs older than `STALE` are swept on every store and download, and
no pack is started with less than `MIN_FREE` bytes free.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select

from backend.config import var_dir
from backend.domain.roles import LEADERS_PAGE_ROLES
from backend.domain.workflow import Forbidden, WorkflowError
from backend.services.errors import NotFound
from backend.storage.db import session_factory
from backend.storage.models import User

KEEP = 6 * 3600  # seconds a finished pack stays downloadable
STALE = 2 * 3600  # seconds after which a build folder is a dead job's (a quarter takes ~1 min)
PER_OWNER = 3  # newest packs kept for one account
MIN_FREE = 1 << 30  # bytes free on the exports folder's disk needed to start a pack
_ID = re.compile(r"[0-9a-f]{32}")
_GONE = "Không tìm thấy tệp báo cáo (đã quá hạn tải hoặc không thuộc tài khoản này)."


class NoSpace(WorkflowError):
    """Too little free disk: refused before the work starts rather than failing halfway."""

    def __init__(self) -> None:
        super().__init__("no_space", "Máy chủ không còn đủ dung lượng trống để tạo tệp báo "
                                     "cáo; vui lòng thử lại sau hoặc báo quản trị hệ thống.")


@dataclass(frozen=True)
class StoredPack:
    pack_id: str
    name: str  # the download name, e.g. bao-cao-phan-anh-2026-Q4.zip
    size: int  # bytes


def exports_dir() -> Path:
    """The folder, absolute: a relative path would mean another folder to each worker started
    elsewhere (and to Flask's send_file, which reads relative paths from the app's root)."""
    configured = os.environ.get("IOC_EXPORTS_DIR")
    path = (Path(configured) if configured else var_dir() / "exports").resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def store(owner: str, write: Callable[[Path], str], *, url: str | None = None,
          now: float | None = None) -> StoredPack:
    """Run `write(path)` (it fills the zip at `path` and returns the download name), then
    record who may fetch it. The folder holding `path` is the job's own scratch space,
    `<id>.work/`: removed when `write` returns or raises; a job killed meanwhile (a cancelled
    Dash job gets SIGKILL) leaves it to the sweep. `owner` is a username; its account must be
    active with a role in `LEADERS_PAGE_ROLES`."""
    folder = exports_dir()
    sweep(folder, now=now)
    if shutil.disk_usage(folder).free < MIN_FREE:
        raise NoSpace()
    account = _account(owner, url)
    if account is None:
        raise Forbidden("forbidden_role", "Tài khoản của bạn không được tạo tệp báo cáo.")
    pack_id = secrets.token_hex(16)
    target, work = folder / f"{pack_id}.zip", folder / f"{pack_id}.work"
    work.mkdir()
    try:
        name = write(work / "pack.zip")
        (work / "pack.zip").replace(target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    meta = {"owner_id": account, "owner": owner, "name": name,
            "made": now if now is not None else time.time()}
    (folder / f"{pack_id}.json").write_text(json.dumps(meta, ensure_ascii=False))
    _trim(folder, account)
    return StoredPack(pack_id, name, target.stat().st_size)


def open_pack(pack_id: str, username: str, *, url: str | None = None,
              now: float | None = None) -> tuple[BinaryIO, str]:
    """(open file, download name) of a pack `username`'s account made and may still fetch;
    else NotFound. Opened here, so a sweep after this call cannot take the file away."""
    if not _ID.fullmatch(pack_id or ""):
        raise NotFound(_GONE)
    folder = exports_dir()
    sweep(folder, now=now)
    meta = _meta(folder / f"{pack_id}.json")
    if meta is None or meta.get("owner") != username:
        raise NotFound(_GONE)
    account = _account(username, url)
    age = (now if now is not None else time.time()) - float(meta.get("made", 0))
    if account is None or meta.get("owner_id") != account or age > KEEP:
        raise NotFound(_GONE)
    try:
        return (folder / f"{pack_id}.zip").open("rb"), str(meta["name"])
    except FileNotFoundError:  # swept by another worker just now
        raise NotFound(_GONE) from None


def sweep(folder: Path | None = None, *, now: float | None = None) -> int:
    """Delete packs older than `KEEP` and dead jobs' leftovers (`<id>.work/`, and `<id>.part`
    of earlier versions) older than `STALE`; returns how many. Other files are left alone."""
    folder = folder or exports_dir()
    now = now if now is not None else time.time()
    removed = 0
    for path in folder.iterdir():
        max_age = {".zip": KEEP, ".json": KEEP, ".part": STALE, ".work": STALE}.get(path.suffix)
        if max_age is None or not _ID.fullmatch(path.stem):
            continue
        try:
            info = path.lstat()
            if info.st_mtime >= now - max_age:
                continue
            if stat.S_ISDIR(info.st_mode):
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink()
            removed += 1
        except FileNotFoundError:  # another worker swept it first
            continue
    return removed


def _account(username: str, url: str | None) -> int | None:
    """Id of the active account `username` if its role may make packs, read anew each time:
    sessions outlive a role change, so the role is checked here rather than remembered."""
    with session_factory(url)() as session:
        user = session.execute(select(User.id, User.role, User.active)
                               .where(User.username == username)).first()
    return user.id if user and user.active and user.role in LEADERS_PAGE_ROLES else None


def _meta(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _trim(folder: Path, owner_id: int) -> None:
    """Keep the account's `PER_OWNER` newest packs: what one account can hold on disk."""
    mine = sorted((float(meta.get("made", 0)), path.stem) for path in folder.glob("*.json")
                  if _ID.fullmatch(path.stem) and (meta := _meta(path))
                  and meta.get("owner_id") == owner_id)
    for _, pack_id in mine[:-PER_OWNER]:
        (folder / f"{pack_id}.zip").unlink(missing_ok=True)
        (folder / f"{pack_id}.json").unlink(missing_ok=True)

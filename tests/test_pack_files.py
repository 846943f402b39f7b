"""Finished report packs: kept on disk for the one staff member who asked, streamed by
/api/v1/packs/<id> to that account only while its role may make packs (everything else is the
same 404), built inside the exports folder, swept when old, bounded per account and by free disk."""

from __future__ import annotations

import io
import os
import time
import zipfile
from pathlib import Path

import pytest
from api_helpers import ACTORS, AGENCY, PASSWORD, login
from sqlalchemy import update

from backend.domain.roles import LEADERS_PAGE_ROLES
from backend.domain.workflow import Forbidden, WorkflowError
from backend.exports import pack as report_pack  # noqa: E402
from backend.services import kpis
from backend.services.access.auth import create_user
from backend.services.admin import users as admin_users
from backend.services.errors import NotFound
from backend.services.kpis import pack_files
from backend.storage.db import session_factory
from backend.storage.models import User
from dashboard import pages

LEADER = "lanh_dao_tinh"


def write_zip(content: bytes = b"figures", name: str = "bao-cao-phan-anh-2026-11.zip"):
    def write(path: Path) -> str:
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("bao-cao.csv", content)
        return name

    return write


def read(pack_id: str, username: str = LEADER, **kw) -> bytes:
    file, _name = pack_files.open_pack(pack_id, username, **kw)
    with file, zipfile.ZipFile(file) as archive:
        return archive.read("bao-cao.csv")


def signed_in(app, username: str):
    client = app.test_client()
    login(client, username, PASSWORD)
    return client


def aged(path: Path, seconds: float) -> Path:
    past = time.time() - seconds
    os.utime(path, (past, past))
    return path


def test_pack_roles_are_those_of_the_leaders_page() -> None:
    assert set(LEADERS_PAGE_ROLES) == set(pages.page("/leaders").roles)


def test_a_pack_is_for_its_owner_only(staff_accounts) -> None:
    pack = pack_files.store(LEADER, write_zip())
    assert len(pack.pack_id) == 32 and pack.size > 0
    file, name = pack_files.open_pack(pack.pack_id, LEADER)
    file.close()
    assert name == "bao-cao-phan-anh-2026-11.zip" and read(pack.pack_id) == b"figures"
    for who, pack_id in (("quan_tri", pack.pack_id), (LEADER, "../secret_key"),
                         (LEADER, pack.pack_id.upper()), (LEADER, ""),
                         ("khong_co", pack.pack_id)):
        with pytest.raises(NotFound):
            pack_files.open_pack(pack_id, who)


def test_only_accounts_that_may_make_packs_get_one(staff_accounts) -> None:
    for who in ("xl_164", "man_hinh", "khong_co"):  # agency handler, wall screen, no account
        with pytest.raises(Forbidden) as refused:
            pack_files.store(who, write_zip())
        assert "không được tạo tệp báo cáo" in refused.value.message
    assert os.listdir(pack_files.exports_dir()) == []
    assert pack_files.store("ioc_lan", write_zip()).size > 0  # an IOC handler may


def test_a_pack_is_refused_once_its_owner_lost_the_role(app, staff_accounts) -> None:
    pack = pack_files.store(LEADER, write_zip())
    url = f"/api/v1/packs/{pack.pack_id}"
    client = signed_in(app, LEADER)
    assert client.get(url).status_code == 200
    admin_users.update_user(ACTORS["quan_tri"], LEADER, full_name=LEADER, role="agency_leader",
                      agency_code=AGENCY)  # the session goes on
    assert client.get("/api/v1/auth/me").get_json()["role"] == "agency_leader"
    refused = client.get(url)
    assert refused.status_code == 404 and refused.get_json()["error"] == "not_found"


def test_a_new_account_under_an_old_name_does_not_inherit_packs(staff_accounts) -> None:
    pack = pack_files.store(LEADER, write_zip())
    with session_factory()() as session, session.begin():
        session.execute(update(User).where(User.username == LEADER)
                        .values(username="lanh_dao_cu"))
    create_user(LEADER, "provincial_leader", PASSWORD)
    for who in (LEADER, "lanh_dao_cu"):  # neither the new holder of the name nor the renamed
        with pytest.raises(NotFound):
            pack_files.open_pack(pack.pack_id, who)


def test_old_packs_expire_and_are_swept(staff_accounts) -> None:
    old = pack_files.store(LEADER, write_zip())
    with pytest.raises(NotFound):
        pack_files.open_pack(old.pack_id, LEADER, now=time.time() + pack_files.KEEP + 60)
    folder = pack_files.exports_dir()
    assert not (folder / f"{old.pack_id}.zip").exists()  # swept by that download already
    (folder / "notes.txt").write_text("not ours")  # other files in the folder are left alone
    older = pack_files.store(LEADER, write_zip())
    young = pack_files.store(LEADER, write_zip())
    for suffix in (".zip", ".json"):
        aged(folder / f"{older.pack_id}{suffix}", pack_files.KEEP + 60)
    fresh = pack_files.store("quan_tri", write_zip())  # a new pack sweeps too
    assert not (folder / f"{older.pack_id}.zip").exists()
    assert not (folder / f"{older.pack_id}.json").exists()
    assert (folder / "notes.txt").exists()
    assert read(young.pack_id) == read(fresh.pack_id, "quan_tri") == b"figures"


def test_a_failed_job_leaves_nothing(staff_accounts) -> None:
    def broken(path: Path) -> str:
        path.write_bytes(b"half a zip")
        (path.parent / "bao-cao.csv").write_bytes(b"x" * 1000)
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        pack_files.store(LEADER, broken)
    assert os.listdir(pack_files.exports_dir()) == []


def test_a_killed_jobs_leftovers_are_swept(staff_accounts) -> None:
    """A cancelled Dash job is killed (SIGKILL): no `finally` runs, the sweep cleans up."""
    folder = pack_files.exports_dir()
    old_work, young_work = folder / f"{'a' * 32}.work", folder / f"{'b' * 32}.work"
    for work in (old_work, young_work):
        work.mkdir()
        (work / "bao-cao-phan-anh-2026-Q4.csv").write_bytes(b"x" * 1000)
        (work / "pack.zip").write_bytes(b"half")
    old_part, young_part = folder / f"{'c' * 32}.part", folder / f"{'d' * 32}.part"
    for part in (old_part, young_part):
        part.write_bytes(b"half a zip")
    (folder / "notes.work").mkdir()
    other = aged(folder / "notes.work", 3 * pack_files.STALE)
    aged(old_work, pack_files.STALE + 60)
    aged(old_part, pack_files.STALE + 60)
    assert pack_files.sweep() == 2
    assert not old_work.exists() and not old_part.exists()
    assert young_work.is_dir() and young_part.exists() and other.exists()


def test_make_pack_builds_inside_the_exports_folder(staff_accounts, monkeypatch) -> None:
    seen: list[Path] = []

    def build_pack(period, folder, **kw) -> list[Path]:
        seen.append(Path(folder))
        path = Path(folder) / "bao-cao.csv"
        path.write_bytes(b"figures")
        return [path]

    monkeypatch.setattr("backend.exports.pack.build_pack", build_pack)
    pack = report_pack.make_pack(kpis.Period.month(2026, 11), owner=LEADER)
    folder = pack_files.exports_dir()
    assert seen == [folder / f"{pack.pack_id}.work"]
    assert pack.name == "bao-cao.zip" and read(pack.pack_id) == b"figures"
    assert sorted(os.listdir(folder)) == [f"{pack.pack_id}.json", f"{pack.pack_id}.zip"]


def test_an_account_keeps_its_newest_packs_only(staff_accounts) -> None:
    start = time.time()
    mine = [pack_files.store(LEADER, write_zip(), now=start + i) for i in range(4)]
    theirs = pack_files.store("quan_tri", write_zip(), now=start)
    folder = pack_files.exports_dir()
    assert not (folder / f"{mine[0].pack_id}.zip").exists()
    assert not (folder / f"{mine[0].pack_id}.json").exists()
    for pack in mine[1:]:
        assert read(pack.pack_id, now=start + 4) == b"figures"
    assert read(theirs.pack_id, "quan_tri") == b"figures"
    assert pack_files.PER_OWNER == 3


def test_no_pack_is_started_on_a_nearly_full_disk(staff_accounts, monkeypatch) -> None:
    monkeypatch.setattr(pack_files, "MIN_FREE", 1 << 62)
    started: list[Path] = []
    with pytest.raises(pack_files.NoSpace) as refused:
        pack_files.store(LEADER, lambda path: started.append(path) or "x.zip")
    assert isinstance(refused.value, WorkflowError) and refused.value.code == "no_space"
    assert "không còn đủ dung lượng trống" in refused.value.message
    assert started == [] and os.listdir(pack_files.exports_dir()) == []


def test_a_relative_exports_folder_works(app, staff_accounts, monkeypatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("IOC_EXPORTS_DIR", "exports-here")
    assert pack_files.exports_dir() == (tmp_path / "exports-here").resolve()
    pack = pack_files.store(LEADER, write_zip())
    assert signed_in(app, LEADER).get(f"/api/v1/packs/{pack.pack_id}").status_code == 200
    monkeypatch.delenv("IOC_EXPORTS_DIR")
    monkeypatch.setenv("IOC_VAR_DIR", "var-here")
    assert pack_files.exports_dir() == (tmp_path / "var-here" / "exports").resolve()


def test_a_sweep_racing_a_download(app, staff_accounts, monkeypatch) -> None:
    pack = pack_files.store(LEADER, write_zip(b"x" * 100_000))
    zip_path = pack_files.exports_dir() / f"{pack.pack_id}.zip"
    url = f"/api/v1/packs/{pack.pack_id}"
    opened = []
    real_open = pack_files.open_pack

    def open_then_swept(*args, **kw):
        opened.append(real_open(*args, **kw))
        zip_path.unlink()  # another worker's sweep, just after the check
        return opened[-1]

    monkeypatch.setattr(pack_files, "open_pack", open_then_swept)
    client = signed_in(app, LEADER)
    answer = client.get(url)
    assert answer.status_code == 200 and answer.content_length == len(answer.data)
    assert zipfile.ZipFile(io.BytesIO(answer.data)).read("bao-cao.csv") == b"x" * 100_000
    answer.close()  # what the WSGI server does once the body is sent
    assert opened[0][0].closed
    monkeypatch.setattr(pack_files, "open_pack", real_open)
    gone = client.get(url)  # the zip is gone, its record not yet
    assert gone.status_code == 404 and gone.get_json()["error"] == "not_found"


def test_download_route_streams_to_the_owner_only(app, staff_accounts) -> None:
    pack = pack_files.store(LEADER, write_zip(b"x" * 100_000))
    url = f"/api/v1/packs/{pack.pack_id}"

    anonymous = app.test_client().get(url)
    assert anonymous.status_code == 404 and anonymous.get_json()["error"] == "not_found"

    refused = signed_in(app, "quan_tri").get(url)
    assert refused.status_code == 404 and refused.get_json()["error"] == "not_found"

    owner = signed_in(app, LEADER)
    answer = owner.get(url)
    assert answer.status_code == 200
    assert answer.mimetype == "application/zip"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in answer.headers["Cache-Control"]
    assert 'attachment; filename=bao-cao-phan-anh-2026-11.zip' in answer.headers[
        "Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(answer.data))
    assert archive.read("bao-cao.csv") == b"x" * 100_000
    assert owner.get("/api/v1/packs/..%2Fsecret_key").status_code == 404

"""Finished report packs: kept on disk for the one staff member who asked, streamed by
/api/v1/packs/<id> to that session only (everything else is the same 404), swept when old."""

from __future__ import annotations

import io
import os
import time
import zipfile
from pathlib import Path

import pytest

pytest.register_assert_rewrite("api_helpers")
from api_helpers import PASSWORD, login  # noqa: E402

from backend.services import pack_files  # noqa: E402
from backend.services.errors import NotFound  # noqa: E402

pytest_plugins = ("api_helpers",)


def write_zip(content: bytes = b"figures", name: str = "bao-cao-phan-anh-2026-11.zip"):
    def write(path: Path) -> str:
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("bao-cao.csv", content)
        return name

    return write


def test_a_pack_is_for_its_owner_only() -> None:
    pack = pack_files.store("lanh_dao_tinh", write_zip())
    assert len(pack.pack_id) == 32 and pack.size > 0
    path, name = pack_files.open_pack(pack.pack_id, "lanh_dao_tinh")
    assert name == "bao-cao-phan-anh-2026-11.zip"
    assert zipfile.ZipFile(path).read("bao-cao.csv") == b"figures"
    for who, pack_id in (("quan_tri", pack.pack_id), ("lanh_dao_tinh", "../secret_key"),
                         ("lanh_dao_tinh", pack.pack_id.upper()), ("lanh_dao_tinh", "")):
        with pytest.raises(NotFound):
            pack_files.open_pack(pack_id, who)


def test_old_packs_expire_and_are_swept() -> None:
    old = pack_files.store("lanh_dao_tinh", write_zip())
    later = time.time() + pack_files.KEEP + 60
    with pytest.raises(NotFound):
        pack_files.open_pack(old.pack_id, "lanh_dao_tinh", now=later)
    folder = pack_files.exports_dir()
    (folder / "notes.txt").write_text("not ours")  # other files in the folder are left alone
    fresh = pack_files.store("quan_tri", write_zip(), now=later)
    assert not (folder / f"{old.pack_id}.zip").exists()
    assert not (folder / f"{old.pack_id}.json").exists()
    assert (folder / "notes.txt").exists()
    assert pack_files.open_pack(fresh.pack_id, "quan_tri", now=later)[0].is_file()


def test_a_failed_job_leaves_nothing() -> None:
    def broken(path: Path) -> str:
        path.write_bytes(b"half a zip")
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        pack_files.store("lanh_dao_tinh", broken)
    assert os.listdir(pack_files.exports_dir()) == []


def test_download_route_streams_to_the_owner_only(app, staff_accounts) -> None:
    pack = pack_files.store("lanh_dao_tinh", write_zip(b"x" * 100_000))
    url = f"/api/v1/packs/{pack.pack_id}"

    anonymous = app.test_client().get(url)
    assert anonymous.status_code == 404 and anonymous.get_json()["error"] == "not_found"

    other = app.test_client()
    login(other, "quan_tri", PASSWORD)
    refused = other.get(url)
    assert refused.status_code == 404 and refused.get_json()["error"] == "not_found"

    owner = app.test_client()
    login(owner, "lanh_dao_tinh", PASSWORD)
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

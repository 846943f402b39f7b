"""Uploaded photos and videos (TESTPLAN rows 5-9, 17): refusals, stripped derivatives, safe names.

Every fixture is made here with Pillow or by hand; no binary file is committed.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import random
import re
import struct
import subprocess
import sys
import time
import unicodedata
import warnings
import zlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import ExifTags, Image, ImageCms

from backend.services.intake import media
from backend.services.intake.media import MediaError, StoredMedia

REPO_ROOT = Path(__file__).resolve().parents[1]
SERVER_NAME = re.compile(r"[0-9a-f]{32}\.(jpg|png|webp|mp4|mov|3gp|webm)")
PAYLOAD = b"<script>alert(document.cookie)</script>"


# every test stores into its own media folder (`media_root` of api_helpers: IOC_MEDIA_DIR)
pytestmark = pytest.mark.usefixtures("media_root")


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


# --- fixtures made in the test ------------------------------------------------------------------


def jpeg(size: tuple[int, int] = (64, 48), **save: object) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, "JPEG", **save)
    return out.getvalue()


def jpeg_with_gps(orientation: int | None = None, size: tuple[int, int] = (64, 48)) -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (21.0, 35.0, 30.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (105.0, 50.0, 15.0)
    return jpeg(size, exif=exif)


def png(im: Image.Image | None = None) -> bytes:
    out = io.BytesIO()
    (im or Image.new("RGBA", (40, 30), (0, 128, 255, 128))).save(out, "PNG")
    return out.getvalue()


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_bomb(width: int, height: int) -> bytes:
    """A valid 1-bit PNG of all-zero rows: tiny on disk, huge once decoded (row 7)."""
    row = b"\x00" * (1 + (width + 7) // 8)
    packer = zlib.compressobj(9)
    rows_per_block = 1000
    parts = [packer.compress(row * rows_per_block) for _ in range(height // rows_per_block)]
    parts.append(packer.compress(row * (height % rows_per_block)))
    parts.append(packer.flush())
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", ihdr)
        + _chunk(b"IDAT", b"".join(parts))
        + _chunk(b"IEND", b"")
    )


def mp4(brand: bytes = b"isom") -> bytes:
    ftyp = struct.pack(">I", 24) + b"ftyp" + brand + b"\x00\x00\x02\x00" + b"isomiso2"
    mdat = struct.pack(">I", 8 + 64) + b"mdat" + bytes(64)
    return ftyp + mdat


def webm() -> bytes:
    # EBML header: EBMLVersion 1, ReadVersion 1, MaxIDLength 4, MaxSizeLength 8, DocType "webm".
    body = (
        b"\x42\x86\x81\x01"
        b"\x42\xf7\x81\x01"
        b"\x42\xf2\x81\x04"
        b"\x42\xf3\x81\x08"
        b"\x42\x82\x84webm"
        b"\x42\x87\x81\x04"
        b"\x42\x85\x81\x02"
    )
    return b"\x1a\x45\xdf\xa3" + bytes([0x80 | len(body)]) + body + b"\x18\x53\x80\x67" + bytes(64)


def public_bytes(stored: StoredMedia) -> bytes:
    assert stored.public_name is not None
    return media.open_public(stored.public_name).read_bytes()


def jpeg_markers(data: bytes) -> list[int]:
    """Marker codes of a JPEG up to the start of scan."""
    markers, pos = [], 2
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        markers.append(marker)
        if marker == 0xDA:
            break
        pos += 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")
    return markers


# --- photos: accepted ---------------------------------------------------------------------------


def test_jpeg_with_gps_original_kept_and_public_derivative_has_no_exif(media_root: Path) -> None:
    data = jpeg_with_gps()
    with Image.open(io.BytesIO(data)) as im:  # premise: the fixture really carries GPS
        assert im.getexif().get_ifd(ExifTags.IFD.GPSInfo)

    stored = media.store_photo(data, "IMG_0001.JPG")

    assert stored.kind == "photo" and stored.content_type == "image/jpeg"
    assert SERVER_NAME.fullmatch(stored.stored_name) and stored.stored_name.endswith(".jpg")
    assert stored.public_name and SERVER_NAME.fullmatch(stored.public_name)
    assert stored.public_name[:32] != stored.stored_name[:32]
    assert stored.size == len(data) and stored.sha256 == hashlib.sha256(data).hexdigest()
    original = media.open_original(stored.stored_name)
    assert original.parent == media_root / "original"
    assert original.read_bytes() == data  # byte-identical, staff-only (row 8)
    public = public_bytes(stored)
    assert media.open_public(stored.public_name).parent == media_root / "public"
    with Image.open(io.BytesIO(public)) as im:
        assert im.format == "JPEG"
        assert len(im.getexif()) == 0
        assert "exif" not in im.info
    assert b"Exif\x00\x00" not in public and b"PhoneMaker" not in public
    assert 0xE1 not in jpeg_markers(public)  # no APP1 (EXIF/XMP) segment at all


def test_exif_orientation_is_applied_before_stripping() -> None:
    stored = media.store_photo(jpeg_with_gps(orientation=6, size=(60, 40)), "x.jpg")
    with Image.open(io.BytesIO(public_bytes(stored))) as im:
        assert im.size == (40, 60)


def test_png_accepted_and_published_as_flattened_jpeg() -> None:
    stored = media.store_photo(png(), "sơ đồ.png")
    assert stored.content_type == "image/png" and stored.stored_name.endswith(".png")
    assert stored.original_name == "sơ đồ.png"
    with Image.open(io.BytesIO(public_bytes(stored))) as im:
        assert (im.format, im.mode, im.size) == ("JPEG", "RGB", (40, 30))


def test_webp_and_multi_picture_jpeg_accepted() -> None:
    out = io.BytesIO()
    Image.new("RGB", (30, 20), "green").save(out, "WEBP")
    assert media.store_photo(out.getvalue(), None).content_type == "image/webp"
    out = io.BytesIO()
    frames = [Image.new("RGB", (30, 20), "blue"), Image.new("RGB", (30, 20), "red")]
    frames[0].save(out, "MPO", save_all=True, append_images=frames[1:])
    assert media.store_photo(out.getvalue(), None).content_type == "image/jpeg"


def test_large_photo_is_capped_at_2560_px() -> None:
    stored = media.store_photo(jpeg((3000, 2000), quality=30), "big.jpg")
    with Image.open(io.BytesIO(public_bytes(stored))) as im:
        assert im.size == (2560, 1707)


def test_icc_profile_is_not_carried_into_the_derivative() -> None:
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    stored = media.store_photo(jpeg(icc_profile=icc), "x.jpg")
    with Image.open(io.BytesIO(public_bytes(stored))) as im:
        assert "icc_profile" not in im.info


# --- photos: polyglots and fakes (row 6) ------------------------------------------------------


def test_fake_jpeg_is_refused_422_and_nothing_written(media_root: Path) -> None:
    fake = b"\xff\xd8\xff\xe0" + b"<html><body>" + PAYLOAD + b"</body></html>"
    with pytest.raises(MediaError) as caught:
        media.store_photo(fake, "photo.jpg")
    assert (caught.value.status, caught.value.field) == (422, "photos")
    assert caught.value.code == "corrupt_image"
    assert files_under(media_root) == []


def test_truncated_jpeg_is_refused_422() -> None:
    data = jpeg((200, 200))
    with pytest.raises(MediaError) as caught:
        media.store_photo(data[: len(data) // 2], "half.jpg")
    assert caught.value.status == 422


def test_jpeg_with_trailing_html_is_accepted_only_as_clean_derivative() -> None:
    data = jpeg() + b"<html>" + PAYLOAD + b"</html>"
    stored = media.store_photo(data, "polyglot.jpg")
    assert media.open_original(stored.stored_name).read_bytes() == data  # staff-only evidence
    public = public_bytes(stored)
    assert PAYLOAD not in public and b"<html>" not in public
    assert public.endswith(b"\xff\xd9")


def test_html_in_com_segment_does_not_survive() -> None:
    data = jpeg(comment=PAYLOAD)
    with Image.open(io.BytesIO(data)) as im:  # premise: Pillow reads it back as info["comment"]
        assert im.info.get("comment") == PAYLOAD
    public = public_bytes(media.store_photo(data, "com.jpg"))
    assert PAYLOAD not in public and b"<script" not in public
    assert 0xFE not in jpeg_markers(public)
    with Image.open(io.BytesIO(public)) as im:
        assert "comment" not in im.info


@pytest.mark.parametrize(
    "data",
    [
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        b"\xef\xbb\xbf  <svg onload=alert(1)></svg>",
        b'<!DOCTYPE html><html><svg xmlns="http://www.w3.org/2000/svg"/></html>',
    ],
)
def test_svg_is_refused_415(data: bytes, media_root: Path) -> None:
    with pytest.raises(MediaError) as caught:
        media.store_photo(data, "logo.jpg")
    assert (caught.value.status, caught.value.code) == (415, "svg_not_allowed")
    assert caught.value.message == "Ảnh phải là tệp JPEG, PNG hoặc WebP."
    assert files_under(media_root) == []


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "TIFF"])
def test_other_image_formats_are_refused_415(fmt: str) -> None:
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, fmt)
    with pytest.raises(MediaError) as caught:
        media.store_photo(out.getvalue(), f"x.{fmt.lower()}")
    assert (caught.value.status, caught.value.code) == (415, "unsupported_type")


def test_php_double_extension_gets_server_name_from_content() -> None:
    stored = media.store_photo(jpeg(), "shell.jpg.php")
    assert stored.stored_name.endswith(".jpg") and SERVER_NAME.fullmatch(stored.stored_name)
    assert stored.original_name == "shell.jpg.php"
    assert media.safe_download_name(stored.original_name, stored.stored_name) == "shell.jpg.php.jpg"


# --- photos: size and pixel limits (rows 5, 7) ------------------------------------------------


def test_oversize_photo_is_refused_413_before_decoding(media_root: Path) -> None:
    data = jpeg() + b"\x00" * (11 * 1024 * 1024)
    with pytest.raises(MediaError) as caught:
        media.store_photo(data, "huge.jpg")
    assert (caught.value.status, caught.value.code, caught.value.field) == (
        413,
        "photo_too_large",
        "photos",
    )
    assert files_under(media_root) == []


def test_empty_photo_is_refused_422() -> None:
    with pytest.raises(MediaError) as caught:
        media.store_photo(b"", "x.jpg")
    assert caught.value.status == 422


@pytest.mark.parametrize(
    ("width", "height"),
    [(30_000, 30_000), (8_000, 6_000)],  # beyond Pillow's own limit; beyond ours (40 Mpx) only
)
def test_decompression_bomb_is_refused_422_fast(width: int, height: int, media_root: Path) -> None:
    data = png_bomb(width, height)
    assert len(data) < 200_000
    default_limit = Image.MAX_IMAGE_PIXELS
    started = time.perf_counter()
    with pytest.raises(MediaError) as caught:
        media.store_photo(data, "bomb.png")
    assert time.perf_counter() - started < 1.0
    assert (caught.value.status, caught.value.code) == (422, "image_too_large")
    assert default_limit == Image.MAX_IMAGE_PIXELS  # no global left changed
    assert files_under(media_root) == []


def test_decompression_bomb_keeps_memory_bounded(tmp_path: Path) -> None:
    """In a fresh process, so the peak RSS is this upload's alone (30k x 30k = 900 MB decoded)."""
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(png_bomb(30_000, 30_000))
    script = (
        "import json, sys\n"
        "from backend.services.intake import media\n"
        "try:\n"
        "    media.store_photo(open(sys.argv[1], 'rb').read(), 'bomb.png')\n"
        "    status = 201\n"
        "except media.MediaError as exc:\n"
        "    status = exc.status\n"
        # VmHWM, not ru_maxrss: Linux keeps ru_maxrss across execve, so it would include the
        # forking pytest worker's own size; VmHWM belongs to this process's memory alone
        "peak = next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM'))\n"
        "print(json.dumps([status, peak]))\n"
    )
    env = {**os.environ, "IOC_MEDIA_DIR": str(tmp_path / "media")}
    result = subprocess.run(
        [sys.executable, "-c", script, str(bomb)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    status, peak_kib = json.loads(result.stdout.strip().splitlines()[-1])
    assert status == 422
    assert peak_kib < 200 * 1024  # decoding it would peak near 900 MB


@pytest.mark.parametrize("action", ["ignore", "error"])
def test_bomb_in_pillows_warning_band_is_refused_either_way(action: str) -> None:
    """100 Mpx: Pillow only warns (89-179 Mpx); as a warning or an error it is still a 422."""
    with warnings.catch_warnings():
        warnings.simplefilter(action, Image.DecompressionBombWarning)
        with pytest.raises(MediaError) as caught:
            media.store_photo(png_bomb(10_000, 10_000), "bomb.png")
    assert (caught.value.status, caught.value.code) == (422, "image_too_large")


def test_pixel_limit_is_checked_before_any_bitmap(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_load(self: Image.Image) -> None:
        raise AssertionError("the bitmap must not be decoded")

    monkeypatch.setattr(Image.Image, "load", no_load)
    monkeypatch.setattr("PIL.ImageFile.ImageFile.load", no_load)
    with pytest.raises(MediaError) as caught:
        media.store_photo(png_bomb(8_000, 6_000), "bomb.png")
    assert caught.value.status == 422


# --- names (row 9) ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given_name", "expected"),
    [
        ("../../x.jpg", "x.jpg"),
        ("..\\..\\windows\\x.jpg", "x.jpg"),
        ("C:\\Users\\An\\ảnh.png", "ảnh.png"),
        ("a\x00b.jpg", "ab.jpg"),
        ("evil\r\nSet-Cookie: x.jpg", "evilSet-Cookie: x.jpg"),
        ("\u202egpj.exe", "gpj.exe"),
        ("", None),
        (None, None),
        ("../..", None),
        ("\x00\x01", None),
    ],
)
def test_original_name_is_sanitised(given_name: str | None, expected: str | None) -> None:
    stored = media.store_photo(jpeg(), given_name)
    assert stored.original_name == expected
    assert SERVER_NAME.fullmatch(stored.stored_name)


def test_300_char_unicode_name_is_cut_to_255_keeping_the_suffix() -> None:
    decomposed = unicodedata.normalize("NFD", "Đường ngập ở phường Phan Đình Phùng ")
    name = (decomposed * 20)[:296] + ".jpg"
    stored = media.store_photo(jpeg(), name)
    assert stored.original_name is not None
    assert len(stored.original_name) <= 255
    assert stored.original_name.endswith(".jpg")
    assert unicodedata.is_normalized("NFC", stored.original_name)
    assert SERVER_NAME.fullmatch(stored.stored_name)


@given(st.text(max_size=400))
@settings(max_examples=300, deadline=None)
def test_sanitised_names_are_always_harmless(name: str) -> None:
    clean = media.sanitize_name(name)
    if clean is not None:
        assert 0 < len(clean) <= 255
        assert "/" not in clean and "\\" not in clean
        assert all(unicodedata.category(ch) not in ("Cc", "Cf", "Cs") for ch in clean)
        assert clean not in (".", "..")
    fallback = "0123456789abcdef0123456789abcdef.jpg"
    download = media.safe_download_name(name, fallback)
    assert 0 < len(download) <= 255
    assert download.lower().endswith(".jpg")
    assert not set(download) & set('<>:"/\\|?*\r\n\x00')


@pytest.mark.parametrize(
    ("original", "fallback", "expected"),
    [
        ("x.png", "0123456789abcdef0123456789abcdef.jpg", "x.jpg"),
        ("x.JPEG", "0123456789abcdef0123456789abcdef.jpg", "x.JPEG"),
        ("report", "0123456789abcdef0123456789abcdef.mp4", "report.mp4"),
        ('a"b;c.jpg', "0123456789abcdef0123456789abcdef.jpg", "a_b;c.jpg"),
        (None, "0123456789abcdef0123456789abcdef.jpg", "0123456789abcdef0123456789abcdef.jpg"),
        ("...", "0123456789abcdef0123456789abcdef.jpg", "0123456789abcdef0123456789abcdef.jpg"),
        (".jpg", "0123456789abcdef0123456789abcdef.jpg", "0123456789abcdef0123456789abcdef.jpg"),
    ],
)
def test_safe_download_name(original: str | None, fallback: str, expected: str) -> None:
    assert media.safe_download_name(original, fallback) == expected


def test_download_name_gives_rfc6266_header_through_werkzeug() -> None:
    from flask import Flask, send_file

    app = Flask(__name__)
    name = media.safe_download_name('Đường ngập\r\n"x".png', "0123456789abcdef0123456789abcdef.jpg")
    with app.test_request_context():
        response = send_file(
            io.BytesIO(b"x"), mimetype="image/jpeg", as_attachment=True, download_name=name
        )
    header = response.headers["Content-Disposition"]
    assert header.startswith("attachment;")
    assert "\r" not in header and "\n" not in header
    assert header.isascii()
    assert "filename*=UTF-8''" in header and "filename=" in header


# --- videos -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "content_type", "extension"),
    [
        (mp4(b"isom"), "video/mp4", ".mp4"),
        (mp4(b"mp42"), "video/mp4", ".mp4"),
        (mp4(b"qt  "), "video/quicktime", ".mov"),
        (mp4(b"3gp4"), "video/3gpp", ".3gp"),
        (webm(), "video/webm", ".webm"),
    ],
)
def test_video_signatures_accepted_staff_only(
    data: bytes, content_type: str, extension: str, media_root: Path
) -> None:
    stored = media.store_video(data, "clip.mp4")
    assert (stored.kind, stored.content_type, stored.public_name) == ("video", content_type, None)
    assert stored.stored_name.endswith(extension) and SERVER_NAME.fullmatch(stored.stored_name)
    assert media.open_original(stored.stored_name).read_bytes() == data
    assert files_under(media_root) == [media_root / "original" / stored.stored_name]


@pytest.mark.parametrize(
    "data",
    [
        random.Random(6).randbytes(4096),
        b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic",  # an image, not a video
        b"\x00\x00\x00\x18ftyp",  # truncated box
        b"\x1a\x45\xdf\xa3\x84\x42\x82\x84mkv!" + bytes(32),  # EBML but not WebM
        b"<html>" + PAYLOAD,
    ],
)
def test_other_bytes_named_mp4_are_refused_415(data: bytes, media_root: Path) -> None:
    with pytest.raises(MediaError) as caught:
        media.store_video(data, "clip.mp4")
    assert (caught.value.status, caught.value.field) == (415, "videos")
    assert caught.value.message == "Video phải là tệp MP4, MOV hoặc WebM."
    assert files_under(media_root) == []


def test_oversize_video_is_refused_413() -> None:
    with pytest.raises(MediaError) as caught:
        media.store_video(mp4() + bytes(50 * 1024 * 1024), "long.mp4")
    assert (caught.value.status, caught.value.field) == (413, "videos")


def test_store_upload_dispatches_on_kind() -> None:
    assert media.store_upload(jpeg(), "a.jpg", "photo").kind == "photo"
    assert media.store_upload(mp4(), "a.mp4", "video").kind == "video"
    with pytest.raises(MediaError):
        media.store_upload(mp4(), "a.mp4", "photo")
    with pytest.raises(ValueError):
        media.store_upload(jpeg(), "a.jpg", "audio")


def test_counts_per_report() -> None:
    media.check_counts(5, 1)
    with pytest.raises(MediaError) as caught:
        media.check_counts(6, 0)
    assert (caught.value.status, caught.value.field) == (422, "photos")
    with pytest.raises(MediaError) as caught:
        media.check_counts(0, 2)
    assert (caught.value.status, caught.value.field) == (422, "videos")


# --- lookups, discard, atomic writes (rows 9, 17) ---------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "../secret",
        "../original/0123456789abcdef0123456789abcdef.jpg",
        "/etc/passwd",
        "0123456789ABCDEF0123456789ABCDEF.jpg",
        "0123456789abcdef0123456789abcdef.jpg\x00.png",
        "0123456789abcdef0123456789abcdef.jpg/",
        "0123456789abcdef0123456789abcdef.php",
        "",
    ],
)
def test_open_refuses_names_the_server_did_not_make(name: str, media_root: Path) -> None:
    (media_root / "secret").parent.mkdir(parents=True, exist_ok=True)
    (media_root / "secret").write_text("staff only")
    for opener in (media.open_original, media.open_public):
        with pytest.raises(MediaError) as caught:
            opener(name)
        assert caught.value.status == 404


def test_open_public_refuses_an_original_and_missing_files_are_404() -> None:
    stored = media.store_photo(png(), "x.png")
    with pytest.raises(MediaError):
        media.open_public(stored.stored_name)  # originals are never reachable as public
    with pytest.raises(MediaError) as caught:
        media.open_original("0123456789abcdef0123456789abcdef.jpg")
    assert caught.value.status == 404


def test_discard_removes_both_files_and_is_idempotent(media_root: Path) -> None:
    stored = media.store_photo(jpeg(), "x.jpg")
    assert len(files_under(media_root)) == 2
    media.discard(stored)
    assert files_under(media_root) == []
    media.discard(stored)
    with pytest.raises(MediaError):
        media.open_original(stored.stored_name)


def test_discard_ignores_forged_names(media_root: Path) -> None:
    victim = media_root / "keep.txt"
    victim.parent.mkdir(parents=True, exist_ok=True)
    victim.write_text("x")
    forged = StoredMedia("photo", "image/jpeg", None, "../keep.txt", "../keep.txt", 1, "0" * 64)
    media.discard(forged)
    assert victim.exists()


def test_failed_write_leaves_no_file(media_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_replace = os.replace
    calls: list[str] = []

    def replace_then_crash(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        calls.append(str(dst))
        if len(calls) == 2:  # the public derivative: disk full after the original was written
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace_then_crash)
    with pytest.raises(OSError):
        media.store_photo(jpeg(), "x.jpg")
    assert len(calls) == 2
    assert files_under(media_root) == []  # neither the original nor a temp file stays

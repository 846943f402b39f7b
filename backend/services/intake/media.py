"""Photos and videos sent with reports: check, store, and derive what the public may see.

Why it is built this way (TESTPLAN "Known behaviour of the libraries" and rows 5-9, 17):

* Magic bytes alone are not trusted (row 6): a fake JPEG passes them. Photos are fully decoded by
  Pillow, restricted to the one decoder the leading bytes name, so an upload never reaches
  Pillow's other, less exercised parsers. SVG is refused outright (it can carry script).
* Polyglots (trailing HTML, HTML in a COM segment) pass even `Image.verify()`, and Pillow 13
  writes `info["comment"]` back on re-encode. So the public file is always a re-encoded JPEG made
  from a fresh copy with `info` cleared: no EXIF/GPS, XMP, comment or trailing bytes survive.
* Photos are personal data (Law 91/2025, Decree 356; row 8). The original bytes are kept unchanged
  but staff-only under `original/`; only the stripped derivative under `public/` is published.
* Decompression bombs (row 7): the pixel count declared in the header is checked after
  `Image.open` (which parses the header only) and *before* `load()`, so the bitmap is never
  allocated. The global `Image.MAX_IMAGE_PIXELS` is left alone: changing it per call is not
  thread-safe, and Pillow's own (larger) limit still stops anything beyond it at open time.
* Storage names are made by the server (uuid4 hex); client file names are only sanitised labels
  (row 9). `open_original`/`open_public` accept nothing but that form, so no path traversal.
* Files are written atomically (temp file, fsync, `os.replace`) and `discard` removes them again
  when the report's transaction fails, so a crash or rollback leaves no half or orphan file
  (rows 5, 17). The 413 *before* the body is read belongs to the web layer (`MAX_CONTENT_LENGTH`);
  the per-file limits here are the second line.

Videos cannot be decoded here (no ffmpeg); they are recognised by container signature and kept
staff-only, served only as attachments, until a redaction tool exists (`public_name` is None).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import unicodedata
import uuid
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageCms, ImageOps

from backend.config import var_dir

PHOTO = "photo"
VIDEO = "video"


@dataclass(frozen=True)
class MediaLimits:
    """Upload limits; one immutable instance, `LIMITS`."""

    photo_max_bytes: int = 10 * 1024 * 1024
    video_max_bytes: int = 50 * 1024 * 1024
    photos_per_report: int = 5
    videos_per_report: int = 1
    max_pixels: int = 40_000_000
    public_max_side: int = 2560
    public_quality: int = 85


LIMITS = MediaLimits()

# Sniffed photo type -> (Pillow decoder ids allowed, content type, stored extension).
# Pillow's JPEG factory returns an MPO image for multi-picture JPEGs (many phone cameras).
_PHOTO_TYPES: dict[str, tuple[tuple[str, ...], str, str]] = {
    "JPEG": (("JPEG", "MPO"), "image/jpeg", ".jpg"),
    "PNG": (("PNG",), "image/png", ".png"),
    "WEBP": (("WEBP",), "image/webp", ".webp"),
}

# ISO BMFF major brands -> (content type, stored extension). 3GP is kept because older
# Android phones still record it; it is the same container as MP4.
_BMFF_BRANDS: dict[bytes, tuple[str, str]] = {
    **{
        brand: ("video/mp4", ".mp4")
        for brand in (
            b"isom",
            b"iso2",
            b"iso4",
            b"iso5",
            b"iso6",
            b"mp41",
            b"mp42",
            b"avc1",
            b"M4V ",
            b"MSNV",
            b"dash",
        )
    },
    b"qt  ": ("video/quicktime", ".mov"),
    **{brand: ("video/3gpp", ".3gp") for brand in (b"3gp4", b"3gp5", b"3gp6", b"3g2a")},
}
_EBML_MAGIC = b"\x1a\x45\xdf\xa3"
_WEBM_DOCTYPE = b"\x42\x82\x84webm"  # EBML DocType element, size 4, "webm"

_ORIGINAL_NAME_RE = re.compile(r"[0-9a-f]{32}\.(?:jpg|png|webp|mp4|mov|3gp|webm)")
_PUBLIC_NAME_RE = re.compile(r"[0-9a-f]{32}\.jpg")
_MEDIA_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".webp", ".mp4", ".mov", ".3gp", ".webm"})
_UNSAFE_IN_NAME = re.compile(r'[<>:"/\\|?*]')

MSG_PHOTO_TYPE = "Ảnh phải là tệp JPEG, PNG hoặc WebP."
MSG_VIDEO_TYPE = "Video phải là tệp MP4, MOV hoặc WebM."


class MediaError(Exception):
    """An upload refused with a clear answer: HTTP status, machine code, Vietnamese message."""

    def __init__(self, status: int, code: str, message: str, field: str = "photos") -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field


@dataclass(frozen=True)
class StoredMedia:
    """One stored upload. `stored_name`/`public_name` are server-made; `original_name` is a label."""

    kind: str
    content_type: str
    original_name: str | None
    stored_name: str
    public_name: str | None
    size: int
    sha256: str


# --- folders and names ------------------------------------------------------------------------


def media_dir() -> Path:
    """`IOC_MEDIA_DIR`, else `var/media`; created on demand (no import-time state)."""
    configured = os.environ.get("IOC_MEDIA_DIR")
    path = Path(configured) if configured else var_dir() / "media"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _subdir(name: str) -> Path:
    path = media_dir() / name
    path.mkdir(mode=0o750, exist_ok=True)
    return path


def _checked(directory: str, name: str, pattern: re.Pattern[str]) -> Path:
    """The path of a server-made name; anything else is 'not found' (no traversal, no oracle)."""
    if not isinstance(name, str) or not pattern.fullmatch(name):
        raise MediaError(404, "not_found", "Không tìm thấy tệp.", "media")
    return _subdir(directory) / name


def open_original(stored_name: str) -> Path:
    """Path of a staff-only original. Refuses names the server did not make (row 9)."""
    path = _checked("original", stored_name, _ORIGINAL_NAME_RE)
    if not path.is_file():
        raise MediaError(404, "not_found", "Không tìm thấy tệp.", "media")
    return path


def open_public(public_name: str) -> Path:
    """Path of a public derivative (always a stripped JPEG). Refuses other names (row 9)."""
    path = _checked("public", public_name, _PUBLIC_NAME_RE)
    if not path.is_file():
        raise MediaError(404, "not_found", "Không tìm thấy tệp.", "media")
    return path


def sanitize_name(name: str | None) -> str | None:
    """A client file name reduced to a harmless label (row 9), or None if nothing is left.

    Last path part only (both separators), NFC, no control or format characters (NUL, CR/LF,
    zero-width, RTL override used to fake extensions), at most 255 characters keeping the suffix.
    """
    if not name:
        return None
    name = unicodedata.normalize("NFC", name)
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf", "Cs"))
    name = re.split(r"[/\\]", name)[-1].strip()
    if name in ("", ".", ".."):
        return None
    if len(name) > 255:
        stem, dot, suffix = name.rpartition(".")
        if dot and stem and 0 < len(suffix) <= 16:
            name = stem[: 255 - len(suffix) - 1] + "." + suffix
        else:
            name = name[:255]
    return name


def safe_download_name(original_name: str | None, fallback: str) -> str:
    """A name for `send_file(download_name=...)` (RFC 6266, row 6/9).

    The sanitised original name with Windows-reserved characters replaced and the extension of
    the file actually served (`fallback`'s): `x.jpg.php` -> `x.jpg.php.jpg`, `x.png` served as the
    JPEG derivative -> `x.jpg`. Werkzeug then writes an ASCII `filename=` fallback plus a UTF-8
    `filename*=` for Vietnamese names. Returns `fallback` when nothing usable is left.
    """
    name = sanitize_name(original_name)
    if name is None:
        return fallback
    name = _UNSAFE_IN_NAME.sub("_", name).strip(" ").rstrip(". ")
    target = Path(fallback).suffix.lower()
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    suffix = "." + suffix.lower() if dot else ""
    if not target or suffix == target or {suffix, target} == {".jpg", ".jpeg"}:
        result = name
    elif suffix in _MEDIA_EXTENSIONS:
        result = stem + target
    else:
        result = name + target
    stem = result[: len(result) - len(target)] if target else result
    if not stem.strip(" ._"):
        return fallback
    if len(result) > 255:
        result = stem[: 255 - len(target)] + target
    return result


# --- writing ----------------------------------------------------------------------------------


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):  # not every platform lets a directory be fsynced
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _write_atomic(directory: Path, name: str, data: bytes) -> Path:
    """Write via a temp file in the same folder, fsync, rename: a crash leaves no half file."""
    final = directory / name
    tmp = directory / f".tmp-{uuid.uuid4().hex}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(directory)
    return final


def discard(stored: StoredMedia) -> None:
    """Remove a stored upload's files again, e.g. when the report's transaction failed (row 17)."""
    with contextlib.suppress(MediaError):
        _checked("original", stored.stored_name, _ORIGINAL_NAME_RE).unlink(missing_ok=True)
    if stored.public_name:
        with contextlib.suppress(MediaError):
            _checked("public", stored.public_name, _PUBLIC_NAME_RE).unlink(missing_ok=True)


def check_counts(photos: int, videos: int) -> None:
    """At most 5 photos and 1 video per report (422 naming the field)."""
    if photos > LIMITS.photos_per_report:
        raise MediaError(
            422,
            "too_many_photos",
            f"Mỗi phản ánh gửi tối đa {LIMITS.photos_per_report} ảnh.",
            "photos",
        )
    if videos > LIMITS.videos_per_report:
        raise MediaError(
            422,
            "too_many_videos",
            f"Mỗi phản ánh gửi tối đa {LIMITS.videos_per_report} video.",
            "videos",
        )


# --- photos -----------------------------------------------------------------------------------


def _sniff_photo(data: bytes) -> str:
    """The photo type named by the leading bytes; 415 for anything else, SVG by name (row 6)."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<?xml", b"<svg", b"<!doctype svg")) or b"<svg" in head:
        raise MediaError(415, "svg_not_allowed", MSG_PHOTO_TYPE, "photos")
    raise MediaError(415, "unsupported_type", MSG_PHOTO_TYPE, "photos")


def _corrupt() -> MediaError:
    return MediaError(
        422, "corrupt_image", "Không đọc được ảnh: tệp bị hỏng hoặc không phải ảnh thật.", "photos"
    )


def _too_many_pixels() -> MediaError:
    return MediaError(
        422,
        "image_too_large",
        f"Ảnh có độ phân giải quá lớn (tối đa {LIMITS.max_pixels // 1_000_000} megapixel).",
        "photos",
    )


def _to_srgb(im: Image.Image, icc: bytes | None) -> Image.Image:
    """RGB in sRGB for the public JPEG; a broken or exotic ICC profile is simply dropped."""
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        im = Image.alpha_composite(background, rgba).convert("RGB")
    if icc and im.mode in ("RGB", "CMYK"):
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            converted = ImageCms.profileToProfile(
                im, source, ImageCms.createProfile("sRGB"), outputMode="RGB"
            )
            if converted is not None:
                im = converted
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            pass
    if im.mode in ("I;16", "I;16B", "I;16L", "I"):
        im = im.point(lambda value: value / 256).convert("L")  # 16-bit grey to 8-bit
    return im if im.mode == "RGB" else im.convert("RGB")


def _public_jpeg(data: bytes, kind: str) -> bytes:
    """Decode fully and re-encode as a clean JPEG (rows 6-8). Raises MediaError 422."""
    decoders, _, _ = _PHOTO_TYPES[kind]
    limit = LIMITS.public_max_side
    try:
        with Image.open(io.BytesIO(data), formats=list(decoders)) as im:
            width, height = im.size
            # Header parsed, bitmap not yet allocated: refuse bombs here (row 7).
            if width < 1 or height < 1 or width * height > LIMITS.max_pixels:
                raise _too_many_pixels()
            if im.format == "JPEG" and max(width, height) > limit:
                scale = limit / max(width, height)  # let libjpeg decode at 1/2..1/8 scale
                im.draft(None, (max(1, int(width * scale)), max(1, int(height * scale))))
            icc = im.info.get("icc_profile")
            im.load()  # full decode: a fake or truncated image fails here (row 6)
            try:
                upright = ImageOps.exif_transpose(im)  # orientation applied before EXIF goes
            except Exception:  # malformed EXIF: keep the pixels as they are
                upright = im.copy()
            upright.thumbnail((limit, limit), Image.Resampling.LANCZOS)
            clean = _to_srgb(upright, icc if isinstance(icc, bytes) else None)
            clean = clean.copy()
            clean.info.clear()  # Pillow writes info["comment"] back otherwise (COM polyglot)
            out = io.BytesIO()
            clean.save(out, format="JPEG", quality=LIMITS.public_quality, optimize=True)
            return out.getvalue()
    except MediaError:
        raise
    # Beyond Pillow's own limit, raised at open (the warning too, if warnings are errors).
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _too_many_pixels() from exc
    except MemoryError:
        raise
    except Exception as exc:  # any decoder failure on untrusted bytes is a clean 422, not a 500
        raise _corrupt() from exc


def store_photo(data: bytes, original_name: str | None) -> StoredMedia:
    """Check and store one photo: original staff-only, stripped JPEG derivative public.

    413 above 10 MB (row 5), 415 for non JPEG/PNG/WebP incl. SVG, 422 for fake, corrupt or
    over-40-Mpx images (rows 6-7). Nothing is written unless the photo is accepted.
    """
    if len(data) > LIMITS.photo_max_bytes:
        raise MediaError(
            413,
            "photo_too_large",
            f"Ảnh quá lớn: mỗi ảnh tối đa {LIMITS.photo_max_bytes // (1024 * 1024)} MB.",
            "photos",
        )
    if not data:
        raise MediaError(422, "empty_file", "Tệp ảnh rỗng.", "photos")
    kind = _sniff_photo(data)
    public_bytes = _public_jpeg(data, kind)
    _, content_type, extension = _PHOTO_TYPES[kind]
    stored = StoredMedia(
        kind=PHOTO,
        content_type=content_type,
        original_name=sanitize_name(original_name),
        stored_name=uuid.uuid4().hex + extension,
        public_name=uuid.uuid4().hex + ".jpg",  # unrelated to stored_name: reveals nothing
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )
    _write_pair(stored, data, public_bytes)
    return stored


def _write_pair(stored: StoredMedia, original: bytes, public: bytes | None) -> None:
    """Write the original and its derivative; if either fails, neither stays behind."""
    try:
        _write_atomic(_subdir("original"), stored.stored_name, original)
        if public is not None and stored.public_name:
            _write_atomic(_subdir("public"), stored.public_name, public)
    except BaseException:
        discard(stored)
        raise


# --- videos -----------------------------------------------------------------------------------


def _sniff_video(data: bytes) -> tuple[str, str]:
    """(content type, extension) from the container signature; 415 otherwise."""
    if len(data) >= 16 and data[4:8] == b"ftyp":
        box_size = int.from_bytes(data[0:4], "big")
        brand = data[8:12]
        if brand in _BMFF_BRANDS and (box_size == 1 or 16 <= box_size <= len(data)):
            return _BMFF_BRANDS[brand]
    if data.startswith(_EBML_MAGIC) and _WEBM_DOCTYPE in data[:64]:
        return "video/webm", ".webm"
    raise MediaError(415, "unsupported_type", MSG_VIDEO_TYPE, "videos")


def store_video(data: bytes, original_name: str | None) -> StoredMedia:
    """Check and store one video, staff-only (no public derivative until redaction exists).

    413 above 50 MB (row 5); 415 unless MP4/MOV/3GP (ISO BMFF `ftyp` with a known brand) or
    WebM (EBML magic + DocType webm).
    """
    if len(data) > LIMITS.video_max_bytes:
        raise MediaError(
            413,
            "video_too_large",
            f"Video quá lớn: mỗi video tối đa {LIMITS.video_max_bytes // (1024 * 1024)} MB.",
            "videos",
        )
    if not data:
        raise MediaError(422, "empty_file", "Tệp video rỗng.", "videos")
    content_type, extension = _sniff_video(data)
    stored = StoredMedia(
        kind=VIDEO,
        content_type=content_type,
        original_name=sanitize_name(original_name),
        stored_name=uuid.uuid4().hex + extension,
        public_name=None,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )
    _write_pair(stored, data, None)
    return stored


def store_upload(data: bytes, original_name: str | None, kind: str) -> StoredMedia:
    """Dispatch on `kind` ("photo" or "video"); another kind is a programming error."""
    if kind == PHOTO:
        return store_photo(data, original_name)
    if kind == VIDEO:
        return store_video(data, original_name)
    raise ValueError(f"unknown media kind {kind!r}")

"""Uploads through the /api/v1 HTTP API (TESTPLAN.md "The cases"): 5 (413 before the body is
read, a real werkzeug server for the timing), 6 (fake and polyglot photos), 9 (file names).

Each test names its TESTPLAN row. Every test gets a fresh `create_server()`, so the in-memory
rate limits of one test never reach another. Runs on SQLite and on PostgreSQL
(TEST_DATABASE_URL). Shared helpers: `security_helpers.py`; fixtures: `api_helpers.py`.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time

import pytest
from api_helpers import jpeg_bytes, new_key
from security_helpers import (
    VIETNAMESE,
    advance,
    assert_error,
    count_rows,
    files_under,
    get_media,
    post_multipart,
)
from sqlalchemy import select

from backend.storage.db import session_factory
from backend.storage.models import Attachment, IdempotencyKey, Report

SERVER_NAME = re.compile(r"[0-9a-f]{32}\.(jpg|png|webp|mp4|mov|3gp|webm)")
HTML_PAYLOAD = b"<html><script>alert(document.cookie)</script></html>"


# --- row 5: oversize bodies -----------------------------------------------------------------------

def _raw_http(base: str, head: bytes, body_chunks=(), timeout: float = 30.0):
    """Send a raw request (headers, then `body_chunks` as long as the server lets us) while a
    reader thread collects the response. Returns (status, headers text, body bytes, seconds
    from the end of the headers to the full response, bytes of body sent)."""
    host, port = base.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=timeout)
    received = bytearray()
    done = threading.Event()
    finished_at: list[float] = []

    def reader() -> None:
        try:
            while not done.is_set():
                chunk = sock.recv(65536)
                if not chunk:
                    break
                received.extend(chunk)
                head_end = received.find(b"\r\n\r\n")
                if head_end >= 0:
                    match = re.search(rb"(?i)content-length:\s*(\d+)", received[:head_end])
                    if match and len(received) >= head_end + 4 + int(match.group(1)):
                        break
        except OSError:
            pass
        finished_at.append(time.monotonic())
        done.set()

    sent = 0
    try:
        sock.sendall(head)
        started = time.monotonic()
        thread = threading.Thread(target=reader, daemon=True)
        thread.start()
        try:
            for chunk in body_chunks:
                if done.is_set():
                    break
                sock.sendall(chunk)
                sent += len(chunk)
        except OSError:
            pass  # the server stopped reading: expected once it has answered 413
        done.wait(timeout)
    finally:
        sock.close()
    head_text, _, body = bytes(received).partition(b"\r\n\r\n")
    status = int(head_text.split(b" ")[1]) if head_text else 0
    return status, head_text.decode("latin-1"), body, finished_at[0] - started, sent


@pytest.mark.parametrize("content_type", ["application/json",
                                          "multipart/form-data; boundary=XyZ"])
def test_row5_70mb_content_length_is_413_before_the_body_is_read(
        live_server, ready_db, media_root, content_type) -> None:
    """TESTPLAN 5: a 70 MB Content-Length is refused with 413 at once, from the headers alone:
    the server answers although not one byte of the body has been sent."""
    head = (f"POST /api/v1/reports HTTP/1.1\r\nHost: localhost\r\nContent-Type: {content_type}\r\n"
            f"Idempotency-Key: {new_key()}\r\nContent-Length: {70 * 1024 * 1024}\r\n\r\n")
    status, _, body, seconds, sent = _raw_http(live_server, head.encode(), timeout=10)
    assert (status, sent) == (413, 0)
    assert seconds < 2.0, seconds
    assert json.loads(body)["error"] == "too_large"
    assert VIETNAMESE.search(json.loads(body)["message"])
    assert count_rows(ready_db, Report) == 0 and files_under(media_root) == []


def _chunked(first: bytes, size_mb: int):
    yield b"%x\r\n%s\r\n" % (len(first), first)
    block = b"A" * (1024 * 1024)
    for _ in range(size_mb):
        yield b"%x\r\n%s\r\n" % (len(block), block)
    yield b"0\r\n\r\n"


@pytest.mark.parametrize(("content_type", "first"), [
    ("application/json", b'{"description": "'),
    ("multipart/form-data; boundary=XyZ",
     b'--XyZ\r\nContent-Disposition: form-data; name="photos"; filename="big.jpg"\r\n'
     b"Content-Type: image/jpeg\r\n\r\n\xff\xd8\xff\xe0"),
], ids=["json", "multipart"])
def test_row5_chunked_body_without_length_over_the_limit_is_413(
        live_server, ready_db, media_root, content_type, first) -> None:
    """TESTPLAN 5: a chunked body with no Content-Length is cut off at MAX_CONTENT_LENGTH
    (60 MB) and answered 413, for JSON as for multipart; no half-created report or file."""
    head = (f"POST /api/v1/reports HTTP/1.1\r\nHost: localhost\r\nContent-Type: {content_type}\r\n"
            f"Idempotency-Key: {new_key()}\r\nTransfer-Encoding: chunked\r\n\r\n")
    status, _, body, _, _ = _raw_http(live_server, head.encode(), _chunked(first, 70), timeout=60)
    assert status == 413, body[:300]
    assert json.loads(body)["error"] == "too_large"
    assert count_rows(ready_db, Report) == 0 and count_rows(ready_db, IdempotencyKey) == 0
    assert files_under(media_root) == []


@pytest.mark.parametrize(("bad", "status", "error"), [
    (b"\xff\xd8\xff\xe0" + b"\0" * (11 * 1024 * 1024), 413, "photo_too_large"),
    (b"\xff\xd8\xff\xe0" + HTML_PAYLOAD, 422, "corrupt_image"),
    (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', 415,
     "svg_not_allowed"),
], ids=["over_10mb", "fake_jpeg", "svg"])
def test_row5_bad_later_photo_leaves_no_file_of_the_earlier_ones(
        client, ready_db, media_root, bad, status, error) -> None:
    """TESTPLAN 5/6/17: a photo over the per-file limit (10 MB), a fake or an SVG after two
    good photos → 413/422/415 naming photos; the good photos already written are removed
    again: no report and no orphan file."""
    good = [(jpeg_bytes(), "1.jpg"), (jpeg_bytes(color=(0, 90, 0)), "2.jpg")]
    response = post_multipart(client, {"photos": [*good, (bad, "3.jpg")]})
    assert_error(response, status, error, "photos")
    assert count_rows(ready_db, Report) == 0
    assert files_under(media_root) == []


def test_row5_too_many_photos_is_422_and_nothing_kept(client, ready_db, media_root) -> None:
    """TESTPLAN 5: more than 5 photos → 422 naming photos; nothing stored."""
    response = post_multipart(client, {"photos": [(jpeg_bytes(), f"{n}.jpg") for n in range(6)]})
    assert_error(response, 422, field="photos")
    assert count_rows(ready_db, Report) == 0 and files_under(media_root) == []


# --- rows 6 and 9: photos and file names -----------------------------------------------------------

def test_row6_fake_jpeg_and_svg_are_refused(client, ready_db, media_root) -> None:
    """TESTPLAN 6: JPEG magic bytes + HTML → 422 (Pillow cannot decode it); SVG with a script →
    415; other bytes → 415. Nothing stored."""
    fake = b"\xff\xd8\xff\xe0" + HTML_PAYLOAD
    svg = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg">' \
          b"<script>alert(1)</script></svg>"
    assert_error(post_multipart(client, {"photos": [(fake, "a.jpg")]}), 422, "corrupt_image",
                 "photos")
    assert_error(post_multipart(client, {"photos": [(svg, "a.svg")]}), 415, "svg_not_allowed",
                 "photos")
    assert_error(post_multipart(client, {"photos": [(svg, "a.jpg")]}), 415, "svg_not_allowed",
                 "photos")
    assert_error(post_multipart(client, {"photos": [(HTML_PAYLOAD, "a.png")]}), 415,
                 "unsupported_type", "photos")
    assert_error(post_multipart(client, {"videos": [(jpeg_bytes(), "a.mp4")]}), 415,
                 "unsupported_type", "videos")
    assert count_rows(ready_db, Report) == 0 and files_under(media_root) == []


@pytest.mark.parametrize("polyglot", ["trailing_html", "html_in_com_segment"])
def test_row6_polyglot_accepted_only_as_clean_jpeg_served_nosniff(
        client, sign_in, ready_db, polyglot) -> None:
    """TESTPLAN 6: a JPEG + trailing HTML, or HTML in a COM segment, is accepted; what is
    served is `image/jpeg` with `nosniff`, a sandbox CSP and a Content-Disposition, and the public
    derivative no longer carries the payload."""
    data = (jpeg_bytes() + HTML_PAYLOAD if polyglot == "trailing_html"
            else jpeg_bytes(comment=HTML_PAYLOAD))
    response = post_multipart(client, {"photos": [(data, "anh.jpg")]})
    assert response.status_code == 201, response.get_json()
    code = response.get_json()["code"]
    advance(ready_db, code, 6)
    with session_factory(ready_db)() as session:
        attachment = session.scalar(select(Attachment))
    original = get_media(sign_in("ioc_lan").client, attachment.id)
    public = get_media(client, attachment.id, public=True)
    for served in (original, public):
        assert served.status_code == 200
        assert served.headers["Content-Type"] == "image/jpeg"
        assert served.headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in served.headers["Content-Security-Policy"]
        assert "filename=" in served.headers["Content-Disposition"]
    assert original.get_data() == data  # the staff-only original is kept as received
    assert b"<script" not in public.get_data() and public.get_data().startswith(b"\xff\xd8")


def test_row6_php_double_extension_is_served_as_jpeg_name(client, sign_in, ready_db) -> None:
    """TESTPLAN 6: `x.jpg.php` gets a server-made storage name from its content and is
    offered for download as `….jpg`, never as `.php`."""
    response = post_multipart(client, {"photos": [(jpeg_bytes(), "shell.jpg.php")]})
    assert response.status_code == 201
    with session_factory(ready_db)() as session:
        row = session.scalar(select(Attachment))
    assert SERVER_NAME.fullmatch(row.stored_name) and row.stored_name.endswith(".jpg")
    served = get_media(sign_in("ioc_lan").client, row.id)
    disposition = served.headers["Content-Disposition"]
    assert "shell.jpg.php.jpg" in disposition and not disposition.rstrip('"').endswith(".php")


@pytest.mark.parametrize(("filename", "label"), [
    ("../../x.jpg", "x.jpg"),
    ("..\\..\\windows\\x.jpg", None),  # RFC quoted-string: the parser drops the backslashes
    ("/etc/passwd.jpg", "passwd.jpg"),
    ("ả" * 300 + ".jpg", None),
])
def test_row9_client_file_name_never_becomes_a_path(client, sign_in, ready_db, media_root,
                                                    tmp_path, filename, label) -> None:
    """TESTPLAN 9: `../../x.jpg` and friends → a server-made storage name inside the media
    folder; the client's name is only a sanitised label (≤ 255 chars, suffix kept) used in
    Content-Disposition."""
    response = post_multipart(client, {"photos": [(jpeg_bytes(), filename)]})
    assert response.status_code == 201, response.get_json()
    with session_factory(ready_db)() as session:
        row = session.scalar(select(Attachment))
    assert SERVER_NAME.fullmatch(row.stored_name)
    assert "/" not in row.original_name and "\\" not in row.original_name
    assert len(row.original_name) <= 255 and row.original_name.endswith(".jpg")
    if label:
        assert row.original_name == label
    assert all(media_root in p.parents for p in files_under(tmp_path) if p.suffix == ".jpg")
    assert not (tmp_path / "x.jpg").exists() and not (tmp_path.parent / "x.jpg").exists()
    served = get_media(sign_in("ioc_lan").client, row.id)
    assert served.status_code == 200
    disposition = served.headers["Content-Disposition"]
    assert "/" not in disposition and "\\" not in disposition

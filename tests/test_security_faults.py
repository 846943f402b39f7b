"""Forced faults behind the /api/v1 HTTP API (TESTPLAN.md "The cases", row 26): unexpected
errors, database errors, failed submissions: clean JSON answers, nothing half-stored.

Each test names its TESTPLAN row. Every test gets a fresh `create_server()`, so the in-memory
rate limits of one test never reach another. Runs on SQLite and on PostgreSQL
(TEST_DATABASE_URL). Shared helpers: `security_helpers.py`; fixtures: `api_helpers.py`.
"""

from __future__ import annotations

import re

from api_helpers import jpeg_bytes, new_key, submit
from security_helpers import assert_error, count_rows, files_under, post_multipart
from sqlalchemy.exc import OperationalError

from backend.services.intake import submissions
from backend.services.reads import queries
from backend.storage.models import Report

# --- row 26: forced exceptions ------------------------------------------------------------------------------------

LEAKS = ("Traceback", "SELECT", "users", "/work", ".py", "RuntimeError", "OperationalError",
         "psycopg2", "sqlite3", "password")


def test_row26_unexpected_error_is_500_json_with_correlation_id(
        client, sign_in, monkeypatch, caplog) -> None:
    """TESTPLAN 26: a bug inside a view → 500 JSON with a generic Vietnamese message and a
    correlation id; no SQL, path, exception name or traceback in the body; the id is logged."""
    code = submit(client)
    ioc = sign_in("ioc_lan")

    def broken(*args, **kwargs):
        raise RuntimeError("SELECT password_hash FROM users -- /work/main/backend/x.py")

    monkeypatch.setattr(queries, "report_detail", broken)
    with caplog.at_level("ERROR", logger="ioc.api"):
        response = ioc.get(f"/api/v1/reports/{code}")
    body = assert_error(response, 500, "internal_error")
    raw = response.get_data(as_text=True)
    assert not [leak for leak in LEAKS if leak in raw]
    correlation = re.search(r"\b([0-9a-f]{12})\b", body["message"]).group(1)
    assert any(correlation in r.getMessage() and r.exc_info for r in caplog.records)


def test_row26_database_error_is_503_with_retry_after(client, sign_in, monkeypatch) -> None:
    """TESTPLAN 26/16: a database failure surfaces as 503 + Retry-After, without the SQL."""
    code = submit(client)
    ioc = sign_in("ioc_lan")

    def down(*args, **kwargs):
        raise OperationalError("SELECT * FROM reports WHERE code = ?", {}, Exception("gone"))

    monkeypatch.setattr(queries, "report_detail", down)
    response = ioc.get(f"/api/v1/reports/{code}")
    assert_error(response, 503, "unavailable")
    assert response.headers["Retry-After"]
    assert not [leak for leak in LEAKS if leak in response.get_data(as_text=True)]


def test_row26_failed_submission_leaves_nothing_and_the_key_can_be_retried(
        client, ready_db, media_root, monkeypatch) -> None:
    """TESTPLAN 26/17: an exception during the submission transaction → 500 JSON; no report,
    no orphan photo; the same Idempotency-Key then works."""
    def crash(*args, **kwargs):
        raise RuntimeError("disk on fire")

    key = new_key()
    with monkeypatch.context() as patched:
        patched.setattr(submissions, "submit_report", crash)
        response = post_multipart(client, {"photos": [(jpeg_bytes(), "a.jpg")]}, key=key)
    assert_error(response, 500, "internal_error")
    assert "disk on fire" not in response.get_data(as_text=True)
    assert count_rows(ready_db, Report) == 0 and files_under(media_root) == []
    retry = post_multipart(client, {"photos": [(jpeg_bytes(), "a.jpg")]}, key=key)
    assert retry.status_code == 201 and count_rows(ready_db, Report) == 1

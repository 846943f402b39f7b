"""Idempotency-Key on report submission (TESTPLAN.md "The cases", row 13): replays, conflicts,
in-flight retries and failures, concurrent posts on a real werkzeug server.

Each test names its TESTPLAN row. Every test gets a fresh `create_server()`, so the in-memory
rate limits of one test never reach another. Runs on SQLite and on PostgreSQL
(TEST_DATABASE_URL). Shared helpers: `security_helpers.py`; fixtures: `api_helpers.py`.
"""

from __future__ import annotations

import io
import json
import threading
import unicodedata
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
import requests
from api_helpers import DESCRIPTION, jpeg_bytes, new_key, post_report, report_body
from security_helpers import assert_error, count_rows, files_under, form_fields, post_multipart

from backend.services.intake import idempotency, submissions
from backend.services.intake.validation import parse_submission
from backend.storage.db import engine_for, session_factory
from backend.storage.models import Attachment, IdempotencyKey, Report

# --- row 13: Idempotency-Key --------------------------------------------------------------------------

def test_row13_retry_with_same_key_replays_the_201_and_creates_nothing(
        client, ready_db, media_root) -> None:
    """TESTPLAN 13: the client timed out after the commit and retries with the same key and
    body (also with a photo, and with the text re-sent in NFD): same 201 body, still one report,
    no extra media file."""
    key = new_key()
    first = post_multipart(client, {"photos": [(jpeg_bytes(), "a.jpg")]}, key=key)
    assert first.status_code == 201
    files = files_under(media_root)
    again = post_multipart(client, {"photos": [(jpeg_bytes(), "a.jpg")]}, key=key)
    nfd = post_multipart(client, {"photos": [(jpeg_bytes(), "a.jpg")]}, key=key,
                         description=unicodedata.normalize("NFD", DESCRIPTION))
    quoted = client.post("/api/v1/reports", data={
        **form_fields(), "photos": [(io.BytesIO(jpeg_bytes()), "a.jpg")]},
        content_type="multipart/form-data", headers={"Idempotency-Key": f'"{key}"'})
    for retry in (again, nfd, quoted):
        assert retry.status_code == 201
        assert retry.get_json() == first.get_json()
    assert count_rows(ready_db, Report) == 1 and count_rows(ready_db, Attachment) == 1
    assert files_under(media_root) == files


def test_row13_same_key_other_body_is_422(client, ready_db) -> None:
    """TESTPLAN 13: a key reused with another payload (or other media) → 422; nothing new."""
    key = new_key()
    assert post_report(client, report_body(), key=key).status_code == 201
    other = post_report(client, report_body(description=DESCRIPTION + " (lần 2)"), key=key)
    assert_error(other, 422, "idempotency_key_reused", "Idempotency-Key")
    with_photo = post_multipart(client, {"photos": [(jpeg_bytes(), "a.jpg")]}, key=key)
    assert_error(with_photo, 422, "idempotency_key_reused")
    assert count_rows(ready_db, Report) == 1


@pytest.mark.parametrize(("header", "error"), [
    (None, "idempotency_key_required"), ("", "idempotency_key_required"),
    ("   ", "idempotency_key_required"), ("k" * 256, "idempotency_key_invalid"),
    ("khóa-tiếng-việt", "idempotency_key_invalid"), ("a b", "idempotency_key_invalid")])
def test_row13_missing_or_invalid_key_is_400(client, ready_db, header, error) -> None:
    """TESTPLAN 13: POST without a key (or an unusable one) → 400; nothing stored."""
    headers = {} if header is None else {"Idempotency-Key": header}
    response = client.post("/api/v1/reports", json=report_body(), headers=headers)
    assert_error(response, 400, error, "Idempotency-Key")
    assert count_rows(ready_db, Report) == 0


def test_row13_refused_request_leaves_the_key_usable(client, ready_db) -> None:
    """TESTPLAN 13: a request refused for bad input does not burn its key; the corrected retry
    with the same key creates the report."""
    key = new_key()
    assert post_report(client, report_body(phone="123"), key=key).status_code == 422
    assert post_report(client, report_body(), key=key).status_code == 201
    assert count_rows(ready_db, Report) == 1


@pytest.fixture
def slow_submit(monkeypatch, ready_db):
    """The first request blocks, holding its key, until released: caught in flight.

    PostgreSQL holds the key in the report's transaction (uncommitted, after its INSERT);
    SQLite holds a committed `processing` claim while the report is written.
    """
    entered, release = threading.Event(), threading.Event()
    if idempotency.kept_with_report(engine_for(ready_db).dialect.name):
        real_record = idempotency.record

        def blocked_record(*args, **kwargs):
            real_record(*args, **kwargs)
            if not entered.is_set():  # only the first request waits
                entered.set()
                release.wait(20)

        monkeypatch.setattr(idempotency, "record", blocked_record)
        return entered, release
    real = submissions.submit_report

    def blocked(*args, **kwargs):
        entered.set()
        release.wait(20)
        return real(*args, **kwargs)

    monkeypatch.setattr(submissions, "submit_report", blocked)
    return entered, release


def test_row13_retry_while_first_is_in_flight_is_409(live_server, ready_db, slow_submit) -> None:
    """TESTPLAN 13: a retry arriving while the first request is still processing → 409; once
    the first has committed the retry replays its 201."""
    entered, release = slow_submit
    key, body = new_key(), report_body()
    first: list[requests.Response] = []
    thread = threading.Thread(target=lambda: first.append(requests.post(
        f"{live_server}/api/v1/reports", json=body, headers={"Idempotency-Key": key},
        timeout=30)))
    thread.start()
    assert entered.wait(10)
    during = requests.post(f"{live_server}/api/v1/reports", json=body,
                           headers={"Idempotency-Key": key}, timeout=30)
    release.set()
    thread.join(30)
    assert during.status_code == 409 and during.json()["error"] == "idempotency_key_in_flight"
    assert first[0].status_code == 201
    after = requests.post(f"{live_server}/api/v1/reports", json=body,
                          headers={"Idempotency-Key": key}, timeout=30)
    assert (after.status_code, after.json()) == (201, first[0].json())
    assert count_rows(ready_db, Report) == 1


def test_row13_five_concurrent_posts_with_one_key_make_one_report(live_server, ready_db) -> None:
    """TESTPLAN 13: 5 concurrent posts with the same key → exactly 1 report; every other answer
    is the replayed 201 body or 409 in flight."""
    key, body = new_key(), report_body()
    barrier = threading.Barrier(5)
    answers: list[requests.Response] = []

    def post() -> None:
        barrier.wait()
        answers.append(requests.post(f"{live_server}/api/v1/reports", json=body,
                                     headers={"Idempotency-Key": key}, timeout=30))

    threads = [threading.Thread(target=post) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    statuses = Counter(a.status_code for a in answers)
    assert set(statuses) <= {201, 409} and statuses[201] >= 1 and sum(statuses.values()) == 5
    assert len({json.dumps(a.json(), sort_keys=True) for a in answers if a.status_code == 201}) == 1
    assert count_rows(ready_db, Report) == 1
    with session_factory(ready_db)() as session:
        row = session.get(IdempotencyKey, key)
        assert row.state == "done" and row.report_id is not None
    assert all(a.json()["error"] == "idempotency_key_in_flight"
               for a in answers if a.status_code == 409)


def _on_postgresql(url: str) -> bool:
    return idempotency.kept_with_report(engine_for(url).dialect.name)


def test_row13_failure_after_the_key_is_written_leaves_neither_key_nor_report(
        client, ready_db, monkeypatch) -> None:
    """TESTPLAN 13/26: the transaction fails after the key was written in it (PostgreSQL) or
    completed in it (SQLite): 500, no report, no key left answered; the retry creates one."""
    name = "record" if _on_postgresql(ready_db) else "complete"
    real = getattr(idempotency, name)

    def then_crash(*args, **kwargs):
        real(*args, **kwargs)
        raise RuntimeError("power cut before the commit")

    key = new_key()
    with monkeypatch.context() as patched:
        patched.setattr(idempotency, name, then_crash)
        assert_error(post_report(client, report_body(), key=key), 500, "internal_error")
    assert count_rows(ready_db, Report) == 0 and count_rows(ready_db, IdempotencyKey) == 0
    retry = post_report(client, report_body(), key=key)
    assert retry.status_code == 201 and count_rows(ready_db, Report) == 1
    assert post_report(client, report_body(), key=key).get_json() == retry.get_json()


def test_row13_abandoned_claim_is_taken_over_a_fresh_one_is_in_flight(client, ready_db) -> None:
    """TESTPLAN 13: a `processing` claim older than STALE_AFTER (its request died) is taken
    over by the retry (201, one report); a fresh one answers 409 and creates nothing."""
    now = datetime.now(UTC)
    body = report_body()
    print_ = idempotency.fingerprint(
        parse_submission(body, now, "api").canonical(), [])
    stale, fresh = new_key(), new_key()
    with session_factory(ready_db)() as session, session.begin():
        for key, at in ((stale, now - idempotency.STALE_AFTER - timedelta(seconds=5)),
                        (fresh, now)):
            session.add(IdempotencyKey(key=key, fingerprint=print_, state="processing",
                                       created_at=at, updated_at=at))
    taken = post_report(client, body, key=stale)
    assert taken.status_code == 201, taken.get_json()
    assert_error(post_report(client, body, key=fresh), 409, "idempotency_key_in_flight")
    assert count_rows(ready_db, Report) == 1
    with session_factory(ready_db)() as session:
        row = session.get(IdempotencyKey, stale)
        assert row.state == "done" and json.loads(row.response_body) == taken.get_json()
        assert session.get(IdempotencyKey, fresh).state == "processing"
    assert post_report(client, body, key=stale).get_json() == taken.get_json()


def test_row13_duplicate_during_the_first_commit_gets_its_answer(live_server, ready_db,
                                                                 monkeypatch) -> None:
    """PostgreSQL keeps the key in the report's transaction: a duplicate that reaches the key
    while the first has written it but not yet committed waits (up to IN_FLIGHT_WAIT) and then
    replays the first's 201 instead of answering 409; one report."""
    if not _on_postgresql(ready_db):
        pytest.skip("SQLite claims the key in its own transaction first: a duplicate gets 409")
    written, release = threading.Event(), threading.Event()
    real = idempotency.record

    def slow_commit(*args, **kwargs):
        real(*args, **kwargs)
        if not written.is_set():
            written.set()
            release.wait(20)

    monkeypatch.setattr(idempotency, "record", slow_commit)
    key, body = new_key(), report_body()
    first: list[requests.Response] = []
    thread = threading.Thread(target=lambda: first.append(requests.post(
        f"{live_server}/api/v1/reports", json=body, headers={"Idempotency-Key": key},
        timeout=30)))
    thread.start()
    assert written.wait(10)
    threading.Timer(idempotency.IN_FLIGHT_WAIT.total_seconds() / 5, release.set).start()
    second = requests.post(f"{live_server}/api/v1/reports", json=body,
                           headers={"Idempotency-Key": key}, timeout=30)
    thread.join(30)
    assert first[0].status_code == 201
    assert (second.status_code, second.json()) == (201, first[0].json())
    assert count_rows(ready_db, Report) == 1

"""Who may see what (TESTPLAN.md "The cases"): 19 (IDOR: another agency's reports and
media), 20-21 (a reporter's identity: confidential reports, grants to agencies).

Each test names its TESTPLAN row. Every test gets a fresh `create_server()`, so the in-memory
rate limits of one test never reach another. Runs on SQLite and on PostgreSQL
(TEST_DATABASE_URL). Shared helpers: `security_helpers.py`; fixtures: `api_helpers.py`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from api_helpers import AGENCY, DESCRIPTION, PHONE, jpeg_bytes, submit
from security_helpers import advance, assert_error, get_media, post_multipart, stored
from sqlalchemy import select

from backend.storage.db import session_factory
from backend.storage.models import AccessLog, Attachment, IdentityGrant, Report

IDENTITY = ("Nguyễn Văn An", PHONE, "an.nguyen@example.vn")  # report_body()'s reporter
STAFF_ROLE = {"xl_dl": "agency_handler", "ld_dl": "agency_leader"}


def report_with_photo(client, url: str, steps: int = 0, **overrides) -> tuple[str, int]:
    """A report submitted over HTTP with one real photo, taken `steps` steps; (code, media id)."""
    response = post_multipart(client, {"photos": [(jpeg_bytes(), "anh.jpg")]}, **overrides)
    assert response.status_code == 201, response.get_json()
    code = response.get_json()["code"]
    advance(url, code, steps)
    with session_factory(url)() as session:
        report_id = session.scalar(select(Report.id).where(Report.code == code))
        return code, session.scalar(select(Attachment.id).where(Attachment.report_id == report_id))




# --- row 19: IDOR ---------------------------------------------------------------------------------------

def _denials(url: str, username: str) -> list[AccessLog]:
    with session_factory(url)() as session:
        return list(session.scalars(select(AccessLog).where(AccessLog.username == username,
                                                            AccessLog.what == "denied")))


@pytest.mark.parametrize(("steps", "state"), [(2, "forwarded"), (3, "in_progress"),
                                              (4, "awaiting_approval"), (5, "approved")])
@pytest.mark.parametrize("outsider", ["xl_dl", "ld_dl"])
def test_row19_other_agency_gets_404_everywhere_and_it_is_logged(
        client, sign_in, ready_db, steps, state, outsider) -> None:
    """TESTPLAN 19 (matrix role × state × endpoint): a handler or leader of another agency gets
    404 on the detail, on an action, on the original photo and on the public photo of an
    unpublished report, exactly like for a code that does not exist; the list filtered on the
    owner agency is empty. Each refusal is written to access_log as `denied`."""
    code, attachment_id = report_with_photo(client, ready_db, steps=steps)
    assert stored(ready_db, code).state == state
    other = sign_in(outsider)
    action = "receive" if outsider == "xl_dl" else "approve"
    missing = other.get("/api/v1/reports/PA-2026-999999").get_json()
    answers = {
        "detail": other.get(f"/api/v1/reports/{code}"),
        "action": other.act(code, action),
        "original": get_media(other.client, attachment_id),
        "public": get_media(other.client, attachment_id, public=True),
    }
    for endpoint, response in answers.items():
        assert response.status_code == 404, endpoint
        assert response.get_json()["error"] == "not_found", endpoint
    assert answers["detail"].get_json() == missing
    for huge in ("/api/v1/media/9223372036854775808", "/api/v1/media/99999999999999999999/public"):
        assert other.get(huge).status_code == 404, huge  # an id beyond any integer column
    assert other.list(agency=AGENCY)["items"] == []
    assert other.list(q=code)["items"] == []
    assert stored(ready_db, code).version == steps + 1  # nothing changed
    assert get_media(client, attachment_id, public=True).status_code == 404  # anonymous too
    insider = sign_in("xl_164" if outsider == "xl_dl" else "ld_164")
    assert insider.get(f"/api/v1/reports/{code}").status_code == 200  # positive control
    assert get_media(insider.client, attachment_id).status_code == 200
    denials = _denials(ready_db, outsider)
    assert len(denials) >= 4, "a refused access must be logged as a failed authorization"
    assert {d.report_id for d in denials} == {stored(ready_db, code).id}
    assert all(d.client and d.role == STAFF_ROLE[outsider] for d in denials)


def test_row19_published_photo_is_public_but_original_stays_staff_only(
        client, sign_in, ready_db) -> None:
    """TESTPLAN 19/8: after publication the cleaned photo is public; the original is not, and
    another agency still cannot see the report."""
    code, attachment_id = report_with_photo(client, ready_db, steps=6)
    assert get_media(client, attachment_id, public=True).status_code == 200
    assert get_media(client, attachment_id).status_code == 404
    assert sign_in("xl_dl").get(f"/api/v1/reports/{code}").status_code == 404


# --- rows 20 and 21: identity ------------------------------------------------------------------------------

def _has_identity(payload) -> bool:
    blob = json.dumps(payload, ensure_ascii=False)
    return any(value in blob for value in IDENTITY)


def test_row20_confidential_report_is_hidden_from_everyone_but_its_reporter(
        client, sign_in, ready_db) -> None:
    """TESTPLAN 20: a confidential report: wrong phone → 404 like an unknown code; no public
    photo; the reporter's name/phone/e-mail appear in no citizen or list payload."""
    response = post_multipart(client, {"photos": [(jpeg_bytes(), "a.jpg")]}, confidential=True)
    assert response.status_code == 201 and not _has_identity(response.get_json())
    code = response.get_json()["code"]
    advance(ready_db, code, 6)
    assert stored(ready_db, code).state == "answered_privately"
    with session_factory(ready_db)() as session:
        attachment_id = session.scalar(select(Attachment.id))
    unknown = client.get(f"/api/v1/track/PA-2026-999999?phone={PHONE}")
    for phone in ("0987654321", "", "abc", PHONE[:-1]):
        wrong = client.get(f"/api/v1/track/{code}", query_string={"phone": phone})
        assert wrong.status_code == 404 and wrong.get_json() == unknown.get_json()
    assert client.get(f"/api/v1/track/{code}").status_code == 404
    own = client.get(f"/api/v1/track/{code}?phone={PHONE}")
    assert own.status_code == 200 and not _has_identity(own.get_json())
    assert get_media(client, attachment_id, public=True).status_code == 404
    assert client.get(f"/api/v1/reports/{code}").status_code == 401
    for who in ("ioc_lan", "xl_164", "lanh_dao_tinh"):
        assert not _has_identity(sign_in(who).list()), who
    assert sign_in("man_hinh").get("/api/v1/reports").status_code == 403  # reads no report
    assert sign_in("xl_164").list(q="Nguyễn Văn An")["items"] == []


def test_row21_agency_sees_content_not_identity_until_granted(client, sign_in, ready_db) -> None:
    """TESTPLAN 21 / D13.3: the agency sees the content but not who reported; only the IOC may
    grant it the identity (POST /reports/{code}/identity-grants), never for a confidential
    report; after a grant the agency sees it and each view is logged `view_identity` (who,
    report, client). The IOC's own views are logged too."""
    plain = submit(client)
    secret = submit(client, confidential=True)
    advance(ready_db, plain, 2)
    advance(ready_db, secret, 2)
    handler, ioc = sign_in("xl_164"), sign_in("ioc_lan")
    for code in (plain, secret):
        detail = handler.detail(code)
        assert detail["description"] == DESCRIPTION and detail["reporter"] is None
        assert not _has_identity(detail)
    grants = {code: f"/api/v1/reports/{code}/identity-grants" for code in (plain, secret)}
    assert_error(handler.post(grants[plain], json={"agency": AGENCY}), 403)
    assert_error(ioc.post(grants[secret], json={"agency": AGENCY}), 422, field="confidential")
    with session_factory(ready_db)() as session, session.begin():  # even forced into the table
        session.add(IdentityGrant(report_id=stored(ready_db, secret).id, agency_code=AGENCY,
                                  granted_by="ioc_lan", granted_at=datetime.now(UTC)))
    assert handler.detail(plain)["reporter"] is None
    assert ioc.post(grants[plain], json={"agency": AGENCY}).status_code == 200
    assert handler.detail(plain)["reporter"] == dict(zip(("name", "phone", "email"), IDENTITY,
                                                         strict=True))
    assert handler.detail(secret)["reporter"] is None
    assert sign_in("xl_dl").get(f"/api/v1/reports/{plain}").status_code == 404
    ioc.detail(secret)
    with session_factory(ready_db)() as session:
        views = session.execute(select(AccessLog.username, AccessLog.report_id, AccessLog.client)
                                .where(AccessLog.what == "view_identity")).all()
        granted = session.scalars(select(AccessLog.report_id)
                                  .where(AccessLog.what == "grant_identity")).all()
    ids = {name: stored(ready_db, code).id for name, code in (("plain", plain), ("secret", secret))}
    assert sorted((u, r) for u, r, _ in views) == sorted(
        [("xl_164", ids["plain"]), ("ioc_lan", ids["secret"])])
    assert all(c for _, _, c in views)  # where from
    assert granted == [ids["plain"]]

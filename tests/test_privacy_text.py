"""The reporter's identity typed into a report's free text, and the wall screen's account.

D5.4 and D13.3: an agency sees who reported only when the IOC granted it, never for a
confidential report. Hiding the "Người phản ánh" section is not enough when the reporter wrote
"tôi là ..., gọi 09..." into the description, a supplement or a feedback reply: for a viewer who
may not see the identity, every free text of the detail and of the queue rows has the reporter's
name, phone and e-mail (and any phone number or e-mail address) blanked out, as on the public
portal. The stored text stays as it was. The wall display needs no report at all: the staff
report endpoints answer it 403. Both database backends.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from api_helpers import (
    ACTORS,
    AGENCY,
    FIELD,
    OTHER_AGENCY,
    jpeg_bytes,
    make_report,
    new_key,
    report_body,
)
from dash_helpers import staff, texts
from sqlalchemy import select

from backend.domain.workflow import Forbidden
from backend.services.reads import queries
from backend.services.reads.public_results import HIDDEN
from backend.services.workflow.steps import perform_action
from backend.storage.db import session_factory
from backend.storage.models import AccessLog, Attachment, Event, Feedback, Report

NAME, PHONE, EMAIL = "Trần Thị Bí Mật", "0987111222", "bimat@example.com"
DESCRIPTION = (f"Cống thoát nước trước số 5 đường Lương Ngọc Quyến bị vỡ, nước tràn ra đường; "
               f"tôi là {NAME}, gọi {PHONE} hoặc {EMAIL}")
ADDRESS = "Số 5 đường Lương Ngọc Quyến (nhà bà Trần Thị Bí Mật)"
SUPPLEMENT = "Thêm ảnh chụp ban ngày; cần gì xin gọi 0987 111 222"
CONSULT_NOTE = f"Người dân {NAME} ({PHONE}) cho biết cống thuộc dự án điện ngầm?"
CONSULT_ANSWER = f"Không thuộc dự án; đã nhắn {EMAIL}"
RESULT = f"Đã thay nắp cống; đã gọi lại cho bà {NAME} theo số {PHONE}"
REPLY = f"Cảm ơn, tôi là {NAME}, thư về {EMAIL}"
# what must never reach a viewer who may not see the identity (the name also in parts)
LEAKS = (NAME, "Bí Mật", PHONE, "0987 111 222", EMAIL, "bimat")


def leaks(payload) -> list[str]:
    blob = json.dumps(payload, ensure_ascii=False)
    return [value for value in LEAKS if value in blob]


def submit_with_identity_in_text(client, *, confidential: bool) -> tuple[str, int]:
    """A report over HTTP (one photo) whose reporter typed their identity into the text."""
    fields = report_body(description=DESCRIPTION, address=ADDRESS, name=NAME, phone=PHONE,
                         email=EMAIL, confidential=confidential)
    data: dict = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in fields.items()}
    data["photos"] = [(io.BytesIO(jpeg_bytes()), "cong.jpg")]
    response = client.post("/api/v1/reports", data=data, content_type="multipart/form-data",
                           headers={"Idempotency-Key": new_key()})
    assert response.status_code == 201, response.get_json()
    code = response.get_json()["code"]
    with session_factory()() as session:
        report_id = session.scalar(select(Report.id).where(Report.code == code))
        attachment = session.scalar(select(Attachment.id).where(Attachment.report_id == report_id))
    return code, attachment


def citizen(client, code: str, **body) -> None:
    response = client.post(f"/api/v1/track/{code}", json={"phone": PHONE, **body})
    assert response.status_code == 200, response.get_json()


def act(code: str, action: str, who: str, **params) -> None:
    perform_action(code, action, ACTORS[who], params)


def whole_life(client, *, confidential: bool) -> tuple[str, int]:
    """Submitted, supplemented by the citizen, forwarded, consulted, answered, published and
    rated with a reply: the identity is in the description, address, supplement, consultation,
    result, answer, history notes and the feedback reply."""
    code, attachment = submit_with_identity_in_text(client, confidential=confidential)
    act(code, "request_supplement", "ioc_lan", missing="Ảnh chụp ban ngày")
    citizen(client, code, action="supplement", text=SUPPLEMENT)
    act(code, "accept", "ioc_lan", field=FIELD)
    act(code, "forward", "ioc_lan", field=FIELD, agency=AGENCY)
    act(code, "receive", "xl_164")
    act(code, "consult", "xl_164", agencies=[OTHER_AGENCY], note=CONSULT_NOTE)
    act(code, "consult", "xl_dl", answer=CONSULT_ANSWER)
    act(code, "submit_result", "xl_164", result=RESULT)
    act(code, "approve", "ld_164")
    act(code, "publish", "ioc_lan")
    citizen(client, code, action="feedback", rating="hai_long", reply=REPLY)
    return code, attachment


# --- 1. identity typed into the text -------------------------------------------------------------

def test_confidential_report_text_is_blanked_for_the_agency_but_not_for_the_ioc(
        client, sign_in, ready_db) -> None:
    """The QA case: a confidential report whose description names its reporter, forwarded to
    the agency. The agency's handler and leader, the consulted agency and the provincial leader
    read every text with the identity blanked out ([đã ẩn]); the IOC reads it in full; the
    database keeps what the citizen wrote."""
    code, _ = whole_life(client, confidential=True)
    ioc = sign_in("ioc_lan").detail(code)
    assert ioc["description"].startswith(DESCRIPTION) and SUPPLEMENT in ioc["description"]
    assert ioc["address"] == ADDRESS and RESULT in ioc["answer"] and ioc["result"] == RESULT
    assert ioc["reporter"]["name"] == NAME and ioc["feedback"][0]["reply"] == REPLY
    assert len(leaks(ioc)) == len(LEAKS)

    for who in ("xl_164", "ld_164", "xl_dl", "lanh_dao_tinh"):
        detail = sign_in(who).detail(code)
        assert detail["reporter"] is None, who
        assert leaks(detail) == [], (who, leaks(detail))
        assert detail["description"].startswith("Cống thoát nước trước số 5 đường Lương Ngọc"), who
        assert detail["description"].count(HIDDEN) == 4, detail["description"]  # + supplement
        assert detail["address"] == f"Số 5 đường Lương Ngọc Quyến (nhà bà {HIDDEN})"
        assert detail["result"] == f"Đã thay nắp cống; đã gọi lại cho bà {HIDDEN} theo số {HIDDEN}"
        assert HIDDEN in detail["answer"] and "Đã thay nắp cống" in detail["answer"]
        assert detail["feedback"][0]["reply"] == f"Cảm ơn, tôi là {HIDDEN}, thư về {HIDDEN}"
        notes = {e["action"]: e["note"] for e in detail["history"]}
        assert notes["supplement"] == f"Thêm ảnh chụp ban ngày; cần gì xin gọi {HIDDEN}"
        assert notes["feedback"] == detail["feedback"][0]["reply"]
        [asked] = detail["consultations"]
        assert asked["question"] == f"Người dân {HIDDEN} ({HIDDEN}) cho biết cống thuộc dự án " \
                                    "điện ngầm?"
        assert asked["answer"] == f"Không thuộc dự án; đã nhắn {HIDDEN}"
        rows = sign_in(who).list()["items"]
        [row] = [r for r in rows if r["code"] == code]
        assert leaks(row) == [] and row["description"] == detail["description"][:300], who

    with session_factory(ready_db)() as session:  # nothing stored was changed
        report = session.scalar(select(Report).where(Report.code == code))
        assert report.description.startswith(DESCRIPTION) and report.address == ADDRESS
        assert report.result_text == RESULT and report.reporter_name == NAME
        assert session.scalar(select(Feedback.reply).where(Feedback.report_id == report.id)) \
            == REPLY
        assert session.scalar(select(Event.note).where(Event.stream == code,
                                                       Event.action == "supplement")) \
            == SUPPLEMENT
        views = session.scalars(select(AccessLog.username).where(
            AccessLog.what == "view_identity", AccessLog.report_id == report.id)).all()
    assert views == ["ioc_lan"]  # blanking the text is no identity view


def test_agency_reads_the_text_in_full_once_the_ioc_grants_the_identity(
        client, sign_in, ready_db) -> None:
    """A report that is not confidential: the agency reads the text blanked until the IOC
    grants it the identity (D13.3), then in full, in the detail and in its queue; the consulted
    agency, which has no grant, still reads it blanked."""
    code, _ = whole_life(client, confidential=False)
    handler, ioc, consulted = sign_in("xl_164"), sign_in("ioc_lan"), sign_in("xl_dl")
    before = handler.detail(code)
    assert before["reporter"] is None and leaks(before) == []
    [row] = handler.list()["items"]
    assert leaks(row) == [] and HIDDEN in row["description"]

    granted = ioc.post(f"/api/v1/reports/{code}/identity-grants", json={"agency": AGENCY})
    assert granted.status_code == 200, granted.get_json()
    after = handler.detail(code)
    assert after["reporter"]["email"] == EMAIL
    assert after["description"] == ioc.detail(code)["description"]
    assert after["address"] == ADDRESS and after["result"] == RESULT
    assert after["feedback"][0]["reply"] == REPLY
    assert after["consultations"][0]["question"] == CONSULT_NOTE
    assert [e["note"] for e in after["history"]] == [e["note"] for e in ioc.detail(code)["history"]]
    [row] = handler.list()["items"]
    assert row["description"] == after["description"][:300]
    other = consulted.detail(code)
    assert other["reporter"] is None and leaks(other) == []
    assert leaks(consulted.list()) == []


def test_queue_search_is_no_oracle_for_the_blanked_identity(client, sign_in, ready_db) -> None:
    """A viewer who reads the identity blanked cannot find the report by searching for it
    either (the portal's rule): the name, the phone or the e-mail find nothing in the agency's
    queue, the rest of the text still does; the IOC, and the agency once granted, find it."""
    code, _ = whole_life(client, confidential=False)
    handler, ioc = sign_in("xl_164"), sign_in("ioc_lan")
    for query in (NAME, "bi mat", PHONE, EMAIL, "bimat", "0987"):
        assert handler.list(q=query)["items"] == [], query
        assert handler.list(q=query)["total"] == 0, query
        assert [i["code"] for i in ioc.list(q=query)["items"]] == [code], query
    for query in ("Lương Ngọc Quyến", "luong ngoc", "nap cong", code):
        assert [i["code"] for i in handler.list(q=query)["items"]] == [code], query
    ioc.post(f"/api/v1/reports/{code}/identity-grants", json={"agency": AGENCY})
    assert [i["code"] for i in handler.list(q=NAME)["items"]] == [code]


def test_queue_search_pages_and_counts_what_the_viewer_may_find(ready_db) -> None:
    """The search on the shown text keeps the queue's order, its pages and its total."""
    now = datetime.now(UTC) - timedelta(days=1)
    hidden = make_report(ready_db, steps=2, now=now,
                         description="Đèn đường hỏng, gọi tôi 0987111222 tại tổ 7",
                         reporter_phone=PHONE)
    plain = [make_report(ready_db, steps=2, now=now + timedelta(minutes=10 * (n + 1)),
                         description=f"Đèn đường hỏng số {n} tại tổ 7 phường Quang Trung")
             for n in range(5)]
    viewer = staff("xl_164")
    everything = queries.list_reports(viewer, queries.Filters(text="den duong"), url=ready_db)
    assert [i["code"] for i in everything["items"]] == [hidden, *plain]  # oldest deadline first
    assert everything["total"] == 6
    first = queries.list_reports(viewer, queries.Filters(text="0987"), url=ready_db)
    assert first == {"page": 1, "per_page": 50, "total": 0, "items": []}
    pages = [queries.list_reports(viewer, queries.Filters(text="to 7"), page=p, per_page=4,
                                  url=ready_db) for p in (1, 2)]
    assert [i["code"] for p in pages for i in p["items"]] == [hidden, *plain]
    assert {p["total"] for p in pages} == {6}


def test_agency_panel_on_the_dashboard_shows_the_text_blanked(dash_app, client,
                                                              ready_db) -> None:
    """The Dash agency page is built from the same detail: nothing of the identity in it."""
    from dashboard.callbacks import agency
    from dashboard.callbacks import workflow as actions

    code, _ = whole_life(client, confidential=True)
    handler = staff("xl_164")
    with dash_app.app_context():
        panel, shown = actions.load_panel(code, handler, agency.build_panel, "")
        text = texts(panel)
        assert shown is not None and "Cống thoát nước trước số 5" in text
        assert [value for value in LEAKS if value in text] == []
        rows, _, _ = actions.queue_update(handler, agency.to_filters(handler, {}), None)
        assert [value for value in LEAKS if value in json.dumps(rows, ensure_ascii=False)] == []


# --- 2. the wall display reads no report ------------------------------------------------------------

def _refused(response) -> None:
    assert response.status_code == 403, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) <= {"error", "message", "field"}
    assert body["error"] == "forbidden_role" and "không" in body["message"].lower()


def test_wall_display_gets_403_on_every_staff_report_endpoint(client, sign_in,
                                                              ready_db) -> None:
    """The wall account reads no report through the API: queue (with any filter), detail,
    actions and media originals are 403 in the API's error shape, confidential or not,
    published or not; its own screen's data (the map) still answers."""
    secret, secret_photo = submit_with_identity_in_text(client, confidential=True)
    plain, plain_photo = whole_life(client, confidential=False)
    wall = sign_in("man_hinh")
    _refused(wall.get("/api/v1/reports"))
    _refused(wall.get("/api/v1/reports", query_string={"q": "cống", "page": "0"}))
    for code, photo in ((secret, secret_photo), (plain, plain_photo)):
        _refused(wall.get(f"/api/v1/reports/{code}"))
        _refused(wall.act(code, "accept"))
        _refused(wall.get(f"/api/v1/media/{photo}"))
    _refused(wall.get("/api/v1/reports/PA-2026-999999"))  # no oracle for what exists either
    _refused(wall.get(f"/api/v1/media/{secret_photo}/public"))  # not public: staff only
    _refused(wall.post(f"/api/v1/reports/{secret}/identity-grants", json={"agency": AGENCY}))
    assert wall.get("/api/v1/auth/me").status_code == 200
    assert wall.get("/api/v1/map/points.geojson").status_code == 200
    assert sign_in("ioc_lan").get(f"/api/v1/reports/{secret}").status_code == 200  # control
    with session_factory(ready_db)() as session:  # refused by role, not logged as probing
        assert session.scalars(select(AccessLog).where(AccessLog.username == "man_hinh")).all() \
            == []


def test_wall_display_is_refused_by_the_read_service_itself(client, ready_db) -> None:
    """The refusal lives in `queries` (every caller: API, media, dashboard callbacks), not in
    one route."""
    code, _ = submit_with_identity_in_text(client, confidential=False)
    wall = staff("man_hinh")
    for call in (lambda: queries.list_reports(wall, queries.Filters(), url=ready_db),
                 lambda: queries.report_detail(code, wall, url=ready_db),
                 lambda: queries.check_visible(code, wall, url=ready_db)):
        with pytest.raises(Forbidden) as refused:
            call()
        assert refused.value.code == "forbidden_role"

"""The native REST API /api/v1 end to end (D4-D11 through HTTP): the contract of the issue.

A citizen submits, the IOC accepts and forwards, the agency receives and submits a result, its
leader approves, the IOC publishes, the citizen tracks the answer and rates it. Then the staff
detail body, the queue filters and pagination (overdue / at risk with reports created days
ago), and which actions each role is offered. Runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from api_helpers import (
    AGENCY,
    FIELD,
    OTHER_AGENCY,
    PHONE,
    RESULT,
    jpeg_bytes,
    make_report,
    new_key,
    post_report,
    report_body,
    submit,
)
from sqlalchemy import select

from backend.config import LOCAL_TZ as LOCAL
from backend.storage.db import session_factory
from backend.storage.models import Attachment, Feedback, Report

ISO_WITH_OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+07:00$")
STAGES = ("verify", "forward", "process", "approve", "publish")


# --- the whole life of a report over HTTP -------------------------------------------------------

def test_submit_to_published_to_feedback_end_to_end(client, sign_in, ready_db) -> None:
    """D4-D11 over HTTP: multipart submit with a photo → accept → forward → receive →
    submit_result → approve → publish → the citizen tracks the answer → feedback via track POST."""
    fields = {k: str(v).lower() if isinstance(v, bool) else str(v)
              for k, v in report_body().items()}
    response = client.post(
        "/api/v1/reports", data={**fields, "photos": (io.BytesIO(jpeg_bytes()), "via-he.jpg")},
        content_type="multipart/form-data", headers={"Idempotency-Key": new_key()})
    assert response.status_code == 201, response.get_json()
    receipt = response.get_json()
    code = receipt["code"]
    assert receipt["state"] == "submitted"
    assert re.fullmatch(r"PA-\d{4}-\d{6}", code)
    assert response.headers["Location"] == f"/api/v1/track/{code}"
    assert ISO_WITH_OFFSET.match(receipt["submitted_at"])
    assert not {"name", "phone", "email"} & set(receipt)  # nothing personal in the receipt

    ioc, handler, leader = sign_in("ioc_lan"), sign_in("xl_164"), sign_in("ld_164")
    steps = [
        (ioc, "accept", {"field": FIELD}, "accepted"),
        (ioc, "forward", {"field": FIELD, "agency": AGENCY, "note": "Chuyển UBND TP"}, "forwarded"),
        (handler, "receive", {}, "in_progress"),
        (handler, "submit_result", {"result": RESULT}, "awaiting_approval"),
        (leader, "approve", {"note": "Đồng ý"}, "approved"),
        (ioc, "publish", {}, "published"),
    ]
    version = 1
    for who, action, body, state in steps:
        response = who.act(code, action, version=version, **body)
        assert response.status_code == 200, (action, response.get_json())
        answer = response.get_json()
        assert (answer["code"], answer["state"], answer["version"]) == (code, state, version + 1)
        version = answer["version"]

    tracked = client.get(f"/api/v1/track/{code}", query_string={"phone": PHONE})
    assert tracked.status_code == 200
    seen = tracked.get_json()
    assert seen["state"] == "published" and RESULT in seen["answer"]
    assert "UBND phường Phan Đình Phùng" in seen["answer"]  # Phụ lục II template, agency named
    assert seen["can_give_feedback"] is True
    assert [s["step"] for s in seen["steps"]][:2] == ["Đã gửi phản ánh", "IOC đã tiếp nhận"]

    feedback = client.post(f"/api/v1/track/{code}", json={
        "action": "feedback", "phone": PHONE, "rating": "hai_long", "reply": "Cảm ơn cơ quan"})
    assert feedback.status_code == 200, feedback.get_json()
    assert feedback.get_json()["rating"] == "hai_long"
    assert feedback.get_json()["rating_label"] == "Hài lòng"

    detail = ioc.detail(code)
    assert [h["action"] for h in detail["history"]] == [
        "submit", "accept", "forward", "receive", "submit_result", "approve", "publish",
        "feedback"]
    assert detail["rating"] == "hai_long"
    assert detail["feedback"][0]["reply"] == "Cảm ơn cơ quan"
    assert [a["kind"] for a in detail["attachments"]] == ["photo"]
    with session_factory(ready_db)() as session:
        report = session.scalar(select(Report).where(Report.code == code))
        assert report.published_at is not None and report.rating == "hai_long"
        assert session.scalar(select(Feedback.rating).where(Feedback.report_id == report.id)) \
            == "hai_long"
        assert session.scalar(select(Attachment.original_name)) == "via-he.jpg"


def test_confidential_report_is_answered_privately_and_tracked_by_its_reporter(
        client, sign_in) -> None:
    """D10.3: a confidential report is published to its reporter alone (answered_privately)."""
    code = submit(client, confidential=True)
    ioc, handler, leader = sign_in("ioc_lan"), sign_in("xl_164"), sign_in("ld_164")
    for who, action, body in ((ioc, "accept", {}), (ioc, "forward", {"field": FIELD,
                                                                     "agency": AGENCY}),
                              (handler, "receive", {}),
                              (handler, "submit_result", {"result": RESULT}),
                              (leader, "approve", {}), (ioc, "publish", {})):
        assert who.act(code, action, **body).status_code == 200
    assert ioc.detail(code)["state"] == "answered_privately"
    seen = client.get(f"/api/v1/track/{code}?phone={PHONE}").get_json()
    assert seen["state"] == "answered_privately" and RESULT in seen["answer"]


def test_supplement_via_track_post_returns_report_to_verify(client, sign_in) -> None:
    """D7.2b: IOC asks for more; the citizen supplements through POST /track/{code}."""
    code = submit(client)
    ioc = sign_in("ioc_lan")
    assert ioc.act(code, "request_supplement", missing="Số nhà cụ thể").status_code == 200
    seen = client.get(f"/api/v1/track/{code}?phone={PHONE}").get_json()
    assert seen["can_supplement"] is True and seen["asked_to_supplement"] == "Số nhà cụ thể"
    response = client.post(f"/api/v1/track/{code}", json={
        "action": "supplement", "phone": PHONE, "text": "Trước số nhà 12"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["state"] == "submitted"
    assert "Trước số nhà 12" in ioc.detail(code)["description"]


def test_track_post_refuses_unknown_action_and_wrong_phone(client) -> None:
    """Citizen steps are only supplement/feedback, proven by the phone (422 / 404)."""
    code = submit(client)
    bad = client.post(f"/api/v1/track/{code}", json={"action": "publish", "phone": PHONE})
    assert bad.status_code == 422 and bad.get_json()["field"] == "action"
    wrong = client.post(f"/api/v1/track/{code}", json={
        "action": "supplement", "phone": "0987654321", "text": "Bổ sung thêm thông tin"})
    assert wrong.status_code == 404
    assert client.get(f"/api/v1/track/{code}?phone=0987654321").status_code == 404


# --- the staff detail body --------------------------------------------------------------------

def test_detail_body_has_state_version_deadlines_and_history(client, sign_in) -> None:
    """GET /reports/{code}: code, state, version, field, agency, per-stage deadlines in ISO 8601
    with the +07:00 offset, and the history of steps."""
    code = submit(client, emergency=False)
    ioc = sign_in("ioc_lan")
    assert ioc.act(code, "accept", field=FIELD).status_code == 200
    assert ioc.act(code, "forward", field=FIELD, agency=AGENCY).status_code == 200
    detail = ioc.detail(code)
    assert detail["code"] == code and detail["state"] == "forwarded" and detail["version"] == 3
    assert (detail["field"], detail["agency"]) == (FIELD, AGENCY)
    assert detail["agency_name"] == "UBND phường Phan Đình Phùng"
    assert detail["stage"] == "process" and ISO_WITH_OFFSET.match(detail["stage_due"])
    assert set(detail["deadlines"]) == set(STAGES)
    for stage in ("verify", "forward", "process"):
        for key in ("start", "due"):
            assert ISO_WITH_OFFSET.match(detail["deadlines"][stage][key]), (stage, key)
        assert detail["deadlines"][stage]["clause"]
    assert detail["deadlines"]["verify"]["done"] and detail["deadlines"]["approve"]["due"] is None
    assert [h["action"] for h in detail["history"]] == ["submit", "accept", "forward"]
    assert detail["history"][-1] == {**detail["history"][-1], "from": "accepted",
                                     "to": "forwarded", "actor": "ioc_lan", "role": "ioc_handler"}
    assert all(ISO_WITH_OFFSET.match(h["at"]) for h in detail["history"])
    assert detail["reporter"]["phone"] == PHONE  # the IOC sees who reported


def test_unknown_report_and_unknown_action_are_404(sign_in, client) -> None:
    code = submit(client)
    ioc = sign_in("ioc_lan")
    assert ioc.get("/api/v1/reports/PA-2026-999999").status_code == 404
    assert ioc.act("PA-2026-999999", "accept").status_code == 404
    unknown = ioc.act(code, "teleport")
    assert unknown.status_code == 404 and unknown.get_json()["error"] == "unknown_action"


def test_staff_endpoints_need_a_session(client) -> None:
    """No session: 401 JSON on the staff API."""
    code = submit(client)
    for response in (client.get("/api/v1/reports"), client.get(f"/api/v1/reports/{code}"),
                     client.post(f"/api/v1/reports/{code}/actions/accept", json={})):
        assert response.status_code == 401
        assert response.get_json()["error"] == "unauthenticated"


def test_action_version_must_be_an_integer(client, sign_in) -> None:
    code = submit(client)
    response = sign_in("ioc_lan").act(code, "accept", version="1")
    assert response.status_code == 422 and response.get_json()["field"] == "version"


def test_missing_required_param_is_422_naming_it(client, sign_in) -> None:
    """D7.2a: a rejection states its reason; without it 422 with field=reason, state unchanged."""
    code = submit(client)
    ioc = sign_in("ioc_lan")
    response = ioc.act(code, "reject")
    assert response.status_code == 422 and response.get_json()["field"] == "reason"
    assert ioc.detail(code)["state"] == "submitted"


# --- queue filters and pagination -------------------------------------------------------------

def test_list_filters_state_field_agency_area_unit_emergency_text(ready_db, sign_in) -> None:
    """GET /reports filters: state (comma list), field, agency, area, unit, emergency, q."""
    plain = make_report(ready_db)
    urgent = make_report(ready_db, emergency=True, description="Cây đổ chắn ngang đường Bắc Kạn")
    forwarded = make_report(ready_db, steps=2)
    published = make_report(ready_db, steps=6)
    ioc = sign_in("ioc_lan")

    def codes(**params) -> set[str]:
        return {item["code"] for item in ioc.list(**params)["items"]}

    assert codes() == {plain, urgent, forwarded, published}
    assert codes(state="submitted") == {plain, urgent}
    assert codes(state="forwarded,published") == {forwarded, published}
    assert codes(field=FIELD) == {forwarded, published}
    assert codes(agency=AGENCY) == {forwarded, published}
    assert codes(agency=OTHER_AGENCY) == set()
    detail = ioc.detail(plain)
    assert (detail["unit"], detail["area"]) == ("05443", "tp_thai_nguyen")
    assert (detail["unit_name"], detail["area_name"]) == ("Phường Phan Đình Phùng",
                                                          "TP Thái Nguyên")
    everything = {plain, urgent, forwarded, published}
    assert codes(area="tp_thai_nguyen") == everything == codes(unit="05443")
    assert codes(area="ba_be") == set() == codes(unit="05455")
    assert codes(area="khong_co") == set()
    assert codes(emergency="true") == {urgent}
    assert codes(emergency="false") == {plain, forwarded, published}
    assert codes(q="bắc kạn") == {urgent}
    assert codes(q=plain) == {plain}
    row = ioc.list(state="submitted")["items"][0]
    assert not {"reporter", "name", "phone", "email"} & set(row)  # no identity in list rows


def test_list_period_from_to(ready_db, sign_in) -> None:
    """from/to select by submission time (ISO 8601; a naive time is Vietnam's)."""
    now = datetime.now(UTC)
    old = make_report(ready_db, now=now - timedelta(days=20))
    recent = make_report(ready_db, now=now - timedelta(days=2))
    ioc = sign_in("ioc_lan")
    since = (now - timedelta(days=5)).isoformat()
    assert {i["code"] for i in ioc.list(**{"from": since})["items"]} == {recent}
    assert {i["code"] for i in ioc.list(to=since)["items"]} == {old}
    bad = ioc.get("/api/v1/reports?from=hôm-qua")
    assert bad.status_code == 422 and bad.get_json()["field"] == "from"


def test_list_overdue_and_at_risk(ready_db, sign_in) -> None:
    """overdue / at_risk against the stored stage deadlines: a report submitted 10 days ago is
    overdue; an emergency one 50 min old has used 50 of its 60 clock minutes (≥ 75 %): at risk."""
    now = datetime.now(UTC)
    late = make_report(ready_db, now=now - timedelta(days=10))
    risky = make_report(ready_db, emergency=True, now=now - timedelta(minutes=50))
    fresh = make_report(ready_db, emergency=True, now=now - timedelta(minutes=1))
    ioc = sign_in("ioc_lan")
    assert {i["code"] for i in ioc.list(overdue="true")["items"]} == {late}
    assert {i["code"] for i in ioc.list(overdue="false")["items"]} == {risky, fresh}
    assert {i["code"] for i in ioc.list(at_risk="true")["items"]} == {risky}
    labels = {i["code"]: i["sla"] for i in ioc.list()["items"]}
    assert labels == {late: "overdue", risky: "at_risk", fresh: "on_time"}
    assert ioc.detail(late)["deadlines"]["verify"]["status"].startswith("overdue")
    bad = ioc.get("/api/v1/reports?overdue=perhaps")
    assert bad.status_code == 422 and bad.get_json()["field"] == "overdue"


def test_list_pagination(ready_db, sign_in) -> None:
    """page/per_page/total; pages are disjoint and cover everything; bad sizes are 422."""
    codes = {make_report(ready_db) for _ in range(7)}
    ioc = sign_in("ioc_lan")
    pages = [ioc.list(page=p, per_page=3) for p in (1, 2, 3, 4)]
    assert [len(p["items"]) for p in pages] == [3, 3, 1, 0]
    assert all(p["total"] == 7 and p["per_page"] == 3 for p in pages)
    seen = [i["code"] for p in pages for i in p["items"]]
    assert len(seen) == len(set(seen)) and set(seen) == codes
    for params in ("per_page=0", "per_page=201", "page=0", "page=x", "state=bogus"):
        response = ioc.get(f"/api/v1/reports?{params}")
        assert response.status_code == 422, params
        assert response.get_json()["field"]


def test_agency_queue_holds_only_its_own_reports(ready_db, sign_in) -> None:
    """D14/D8: an agency's list shows the reports forwarded to it, nothing else."""
    make_report(ready_db)
    mine = make_report(ready_db, steps=2)
    assert {i["code"] for i in sign_in("xl_164").list()["items"]} == {mine}
    assert sign_in("xl_dl").list()["items"] == []


# --- allowed actions per role -----------------------------------------------------------------

@pytest.mark.parametrize(("steps", "expected"), [
    (0, {"ioc_lan": ["accept", "reject", "request_supplement"],
         "lanh_dao_tinh": [], "quan_tri": []}),
    (2, {"ioc_lan": [], "xl_164": ["receive", "return_to_ioc"], "ld_164": [],
         "lanh_dao_tinh": []}),
    (3, {"xl_164": ["consult", "return_to_ioc", "progress_notice", "submit_result"],
         "ld_164": [], "ioc_lan": []}),
    (4, {"ld_164": ["approve", "return_for_rework", "edit_and_approve"], "xl_164": [],
         "ioc_lan": []}),
    (5, {"ioc_lan": ["publish"], "ld_164": [], "xl_164": []}),
    (6, {"ioc_lan": ["reopen", "close"], "xl_164": [], "lanh_dao_tinh": []}),
])
def test_allowed_actions_per_role(ready_db, sign_in, steps, expected) -> None:
    """`allowed_actions` in the detail tells each role exactly the steps it may take now."""
    code = make_report(ready_db, steps=steps)
    for username, actions in expected.items():
        assert sign_in(username).detail(code)["allowed_actions"] == actions, username


def test_every_allowed_action_is_accepted_and_others_refused(ready_db, sign_in) -> None:
    """The list never offers a step the server then refuses: each offered action of the IOC on
    a fresh report succeeds (on its own copy); a step not offered is 403 or 409."""
    ioc = sign_in("ioc_lan")
    params = {"reject": {"reason": "Trùng lặp"}, "request_supplement": {"missing": "Ảnh"},
              "accept": {}}
    for action in ioc.detail(make_report(ready_db))["allowed_actions"]:
        code = make_report(ready_db)
        assert ioc.act(code, action, **params[action]).status_code == 200, action
    code = make_report(ready_db)
    assert ioc.act(code, "publish").status_code == 409
    assert sign_in("lanh_dao_tinh").act(code, "accept").status_code == 403
    assert sign_in("man_hinh").act(code, "accept").status_code == 403


def test_receipt_is_json_with_code_and_state(client) -> None:
    """The 201 body: code, state, its Vietnamese label and where to track it."""
    response = post_report(client)
    assert response.status_code == 201
    assert response.content_type.startswith("application/json")
    body = response.get_json()
    assert body["state"] == "submitted" and body["state_label"] == "Chờ xác minh"
    assert body["track_url"] == f"/api/v1/track/{body['code']}"
    assert body["code"] in body["message"]


# --- the calendar in force ------------------------------------------------------------------------

def test_deadlines_follow_override_days_edited_in_the_database(ready_db) -> None:
    """An administrator's override day (CALENDAR.md) counts from the next transaction on, in
    every process: each submission and step reads the list in its own transaction, and the
    engine a process built for an older list is not reused. Friday 27/11/2026 15:00 + 240
    working minutes is Monday 09:30; Monday off: Tuesday 09:30; Saturday worked: Saturday 09:30."""
    from backend.services.clocks import calendar_from_session
    from backend.services.intake.submit import NewReport, submit_report
    from backend.storage.models import CalendarOverride

    friday = datetime(2026, 11, 27, 15, 0, tzinfo=LOCAL)
    new = NewReport(description="Đèn đường hỏng cả đoạn phố, buổi tối rất tối.", lat=21.59,
                    lon=105.84, channel="api")

    def verify_due() -> datetime:
        due = submit_report(new, now=friday, url=ready_db).verify_due.astimezone(LOCAL)
        with session_factory(ready_db)() as session:  # the workflow steps' reading
            assert calendar_from_session(session).deadline_one(friday, 240) == due
        return due

    def set_override(day: datetime, working: bool | None) -> None:
        with session_factory(ready_db)() as session, session.begin():
            row = session.get(CalendarOverride, day.date())
            if working is None:
                session.delete(row)
            elif row is not None:
                row.working = working
            else:
                session.add(CalendarOverride(day=day.date(), working=working, note="thử"))

    monday = datetime(2026, 11, 30, tzinfo=LOCAL)
    assert verify_due() == datetime(2026, 11, 30, 9, 30, tzinfo=LOCAL)
    set_override(monday, False)
    assert verify_due() == datetime(2026, 12, 1, 9, 30, tzinfo=LOCAL)
    set_override(monday - timedelta(days=2), True)
    assert verify_due() == datetime(2026, 11, 28, 9, 30, tzinfo=LOCAL)
    set_override(monday - timedelta(days=2), None)
    set_override(monday, True)  # edited in place: a working day again
    assert verify_due() == datetime(2026, 11, 30, 9, 30, tzinfo=LOCAL)

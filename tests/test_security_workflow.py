"""The workflow under abuse (TESTPLAN.md "The cases"): 14 (concurrent forwards, on a real
werkzeug server), 15 (illegal workflow steps), 27 (audit: events and the access log).

Each test names its TESTPLAN row. Every test gets a fresh `create_server()`, so the in-memory
rate limits of one test never reach another. Runs on SQLite and on PostgreSQL
(TEST_DATABASE_URL). Shared helpers: `security_helpers.py`; fixtures: `api_helpers.py`.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import requests
from api_helpers import AGENCY, FIELD, OTHER_AGENCY, PASSWORD, RESULT, make_report, submit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from security_helpers import assert_error, count_rows, stored
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError

from backend.domain.workflow import ACTIONS
from backend.storage.db import engine_for, session_factory
from backend.storage.models import AccessLog, Event, Report, User

# --- row 14: concurrent forwards ------------------------------------------------------------------------

def test_row14_eight_concurrent_forwards_one_wins(live_server, ready_db, staff_accounts) -> None:
    """TESTPLAN 14: 8 handlers forward the same report with the same version at once →
    exactly one 200 and seven 409; one forward event."""
    code = make_report(ready_db, steps=1)
    session = requests.Session()
    csrf = session.post(f"{live_server}/api/v1/auth/login",
                        json={"username": "ioc_lan", "password": PASSWORD}, timeout=10
                        ).json()["csrf_token"]
    cookies = session.cookies.get_dict()
    barrier = threading.Barrier(8)
    answers: list[requests.Response] = []

    def forward() -> None:
        barrier.wait()
        answers.append(requests.post(
            f"{live_server}/api/v1/reports/{code}/actions/forward", cookies=cookies,
            headers={"X-CSRF-Token": csrf}, timeout=30,
            json={"version": 2, "field": FIELD, "agency": AGENCY}))

    threads = [threading.Thread(target=forward) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(a.status_code for a in answers) == [200] + [409] * 7
    assert {a.json()["error"] for a in answers if a.status_code == 409} == {"stale_version"}
    with session_factory(ready_db)() as db:
        actions = db.scalars(select(Event.action).where(Event.stream == code)).all()
        assert actions.count("forward") == 1
        assert db.scalar(select(Report.version).where(Report.code == code)) == 3


# --- row 15: illegal workflow steps ---------------------------------------------------------------------

def test_row15_illegal_steps_are_refused_and_change_nothing(ready_db, sign_in) -> None:
    """TESTPLAN 15: publish before approval → 409; skip verify (forward a submitted report) →
    409; approve own work → 403; replaying an old approval → 409; state unchanged each time."""
    ioc, handler, leader = sign_in("ioc_lan"), sign_in("xl_164"), sign_in("ld_164")
    fresh = make_report(ready_db)
    assert_error(ioc.act(fresh, "forward", field=FIELD, agency=AGENCY), 409, "illegal_transition")
    assert_error(ioc.act(fresh, "publish"), 409, "illegal_transition")
    assert ioc.detail(fresh)["state"] == "submitted"

    awaiting = make_report(ready_db, steps=4)
    assert_error(ioc.act(awaiting, "publish"), 409, "illegal_transition")
    assert_error(handler.act(awaiting, "approve"), 403, "forbidden_role")
    assert_error(ioc.act(awaiting, "approve"), 403, "forbidden_role")
    before = ioc.detail(awaiting)
    response = leader.act(awaiting, "approve", version=before["version"])
    assert response.status_code == 200
    replay = leader.act(awaiting, "approve", version=before["version"])
    assert_error(replay, 409, "stale_version")
    assert_error(leader.act(awaiting, "approve"), 409, "illegal_transition")
    after = ioc.detail(awaiting)
    assert (after["state"], after["version"]) == ("approved", before["version"] + 1)
    assert [h["action"] for h in after["history"]].count("approve") == 1


def test_row15_approving_own_result_is_403(ready_db, sign_in) -> None:
    """TESTPLAN 15 / D9: a handler promoted to leader may not approve the result they entered."""
    code = make_report(ready_db, steps=4)  # result entered by xl_164
    with session_factory(ready_db)() as session, session.begin():
        session.execute(update(User).where(User.username == "xl_164").values(role="agency_leader"))
    promoted = sign_in("xl_164")
    assert "approve" not in promoted.detail(code)["allowed_actions"]
    assert_error(promoted.act(code, "approve"), 403, "own_work")
    assert_error(promoted.act(code, "edit_and_approve", result="Sửa lại"), 403, "own_work")
    assert sign_in("ioc_lan").detail(code)["state"] == "awaiting_approval"


STEP_PARAMS = {"reject": {"reason": "Không rõ"}, "request_supplement": {"missing": "Ảnh"},
               "forward": {"field": FIELD, "agency": AGENCY},
               "escalate": {"reason": "Chưa thống nhất"},
               "direct": {"agency": AGENCY, "direction": "Giao UBND TP"},
               "return_to_ioc": {"reason": "Không thuộc thẩm quyền"},
               "progress_notice": {"note": "Đang phối hợp"}, "submit_result": {"result": RESULT},
               "return_for_rework": {"reason": "Chưa đạt"}, "edit_and_approve": {"result": RESULT},
               "reopen": {"reason": "Cần làm rõ"}, "consult": {"agencies": [OTHER_AGENCY]}}
STAFF_STEPS = [(who, action) for action in ACTIONS if action not in ("supplement", "feedback")
               for who in ("ioc_lan", "xl_164", "ld_164", "xl_dl", "lanh_dao_tinh")]


@pytest.fixture
def crew(sign_in) -> dict:
    """The staff of the random walks, signed in once for all hypothesis examples."""
    return {u: sign_in(u) for u in ("ioc_lan", "xl_164", "ld_164", "xl_dl", "lanh_dao_tinh")}


@settings(max_examples=12, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=st.lists(st.sampled_from(STAFF_STEPS), min_size=3, max_size=10))
def test_row15_property_random_step_sequences_keep_the_invariants(ready_db, crew, steps) -> None:
    """TESTPLAN 15 (hypothesis, state-machine style): any sequence of staff steps over HTTP.
    Each answer is 200/403/404/409/422; a refusal changes neither state nor version nor history;
    a success bumps the version by one and adds exactly one event; a report is only ever
    published after an approval by someone other than the author of the result."""
    staff = crew
    code = make_report(ready_db)
    ioc = staff["ioc_lan"]
    for who, action in steps:
        before = ioc.detail(code)
        response = staff[who].act(code, action, **STEP_PARAMS.get(action, {}))
        after = ioc.detail(code)
        assert response.status_code in (200, 403, 404, 409, 422), response.get_json()
        if response.status_code == 200:
            assert after["version"] == before["version"] + 1
            assert len(after["history"]) == len(before["history"]) + 1
            assert after["history"][-1]["action"] == action
            assert response.get_json()["state"] == after["state"]
        else:
            assert (after["state"], after["version"], after["history"]) == (
                before["state"], before["version"], before["history"])
        if after["state"] == "published":
            history = after["history"]
            approvals = [h for h in history if h["action"] in ("approve", "edit_and_approve")]
            results = [h for h in history if h["action"] == "submit_result"]
            assert approvals and approvals[-1]["actor"] != results[-1]["actor"]


# --- row 27: audit --------------------------------------------------------------------------------------------------

def test_row27_every_state_change_is_one_event_and_refusals_none(client, sign_in,
                                                                 ready_db) -> None:
    """TESTPLAN 27 / D3.8: each accepted step writes one event with who, role, what and when
    (UTC); a refused step writes none."""
    code = submit(client)
    ioc = sign_in("ioc_lan")
    assert ioc.act(code, "publish").status_code == 409
    assert sign_in("xl_164").act(code, "accept").status_code in (403, 404)
    assert ioc.act(code, "accept").status_code == 200
    assert ioc.act(code, "forward", field=FIELD, agency=AGENCY).status_code == 200
    with session_factory(ready_db)() as session:
        events = session.scalars(select(Event).where(Event.stream == code)
                                 .order_by(Event.seq)).all()
    assert [(e.seq, e.actor, e.role, e.action, e.from_state, e.to_state) for e in events] == [
        (1, "citizen", "citizen", "submit", None, "submitted"),
        (2, "ioc_lan", "ioc_handler", "accept", "submitted", "accepted"),
        (3, "ioc_lan", "ioc_handler", "forward", "accepted", "forwarded")]
    assert all(e.at.utcoffset() == timedelta(0) for e in events)
    assert stored(ready_db, code).event_seq == 3


def test_row27_access_log_refuses_update_and_delete(client, sign_in, ready_db) -> None:
    """TESTPLAN 27: the access log is append-only in the database itself."""
    code = submit(client)
    sign_in("ioc_lan").detail(code)  # writes a view_identity row
    assert count_rows(ready_db, AccessLog) == 1
    for statement in ("UPDATE access_log SET username = 'ai_do'", "DELETE FROM access_log"):
        with pytest.raises(DBAPIError), engine_for(ready_db).begin() as connection:
            connection.execute(text(statement))
    with session_factory(ready_db)() as session:
        assert session.scalar(select(AccessLog.username)) == "ioc_lan"
    assert count_rows(ready_db, AccessLog) == 1


def test_row27_crlf_in_description_stays_inside_one_json_string(client, sign_in,
                                                                 ready_db) -> None:
    """TESTPLAN 27: CR/LF in the description cannot forge a line: it is kept as text (line
    breaks normalised to \\n) and the JSON answer escapes it inside one string."""
    forged = "Đèn đường hỏng\r\n2026-11-30 08:00:00 INFO admin đăng nhập thành công\rHết"
    code = submit(client, description=forged)
    expected = "Đèn đường hỏng\n2026-11-30 08:00:00 INFO admin đăng nhập thành công\nHết"
    assert stored(ready_db, code).description == expected
    response = sign_in("ioc_lan").get(f"/api/v1/reports/{code}")
    raw = response.get_data(as_text=True)
    assert response.get_json()["description"] == expected
    assert "\r" not in raw and "\n" not in raw.rstrip("\n")
    assert "hỏng\\n2026-11-30" in raw

"""What officials and citizens read is Vietnamese, not the program's own names (QA walk):

1. a refused step or form names the field as the form shows it ("Vui lòng nhập lý do"), never a
   parameter name ('reason', 'text'); the machine `field` and `error` code stay as they were;
2. regulation references read "Đ6.2", "Đ8 bước 3" wherever a person sees them, while the ids
   ("D6.2") stay as they are in `data/sla.toml` and `ACTIONS`;
3. the history names the reporter "Người dân", not the built-in account "citizen";
4. the administration log names agencies, not their codes, and no screen shows a file path.
5. the portal promises a citizen the stage durations in force, as the regulation words them.
"""

from __future__ import annotations

import ast
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from api_helpers import ACTORS, PHONE, STAFF, make_report, submit
from plotly.utils import PlotlyJSONEncoder

from backend import vietnamese as fmt
from backend.domain.roles import (
    Role,
    actor_label,
)
from backend.domain.workflow import (
    ACTIONS,
    PARAM_LABELS_VI,
    Actor,
    InvalidParams,
    ReportFacts,
    State,
    check_params,
    decide,
)
from backend.services import clocks
from backend.services.access.auth import StaffUser
from backend.services.admin import calendar as admin_calendar
from backend.services.admin import users as admin_users
from backend.services.clocks import policy_in_force  # noqa: E402
from backend.services.errors import ValidationError
from backend.services.intake import validation
from backend.services.reads import catalogue
from backend.services.reads.queries import report_detail
from backend.services.workflow.steps import perform_action
from backend.web.portal.wording import citizen_state, intake_promise, working_time
from dashboard.callbacks.admin import budgets as admin_budgets
from dashboard.callbacks.admin import log as admin_log
from dashboard.layouts import admin as admin_layout
from dashboard.widgets import action_form, report_panel

ROOT = Path(__file__).resolve().parents[1]
# a program name in quotes: 'reason', "text", ‘missing’ (Vietnamese words carry diacritics or
# spaces, so an ASCII identifier in quotes is a parameter name leaking through)
QUOTED_IDENTIFIER = re.compile(r"""['"‘’“”]([A-Za-z_][A-Za-z0-9_]*)['"‘’“”]""")
CLAUSE_ID = re.compile(r"\bD\d")
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def plain(message: str) -> None:
    """No parameter name shows through a message meant for people."""
    assert not QUOTED_IDENTIFIER.search(message), message
    assert "Trường '" not in message, message


def shown(component: Any) -> str:
    """Everything a Dash component tree puts in the page (texts, titles, grid headers)."""
    return json.dumps(component, cls=PlotlyJSONEncoder, ensure_ascii=False)


# --------------------------------------------------------------------------- 1. field names

def _required_params() -> set[str]:
    return {name for action in ACTIONS.values() for name in action.required}


def _validated_fields() -> set[str]:
    """The field names the citizen-facing checks are called with (validation, tracking, portal)."""
    checks = {"clean_text", "parse_bool", "parse_coordinate", "parse_instant"}
    names: set[str] = set()
    portal = sorted((ROOT / "backend/web/portal").glob("*.py"))
    paths = ["backend/services/intake/validation.py", "backend/services/intake/tracking.py",
             *(str(path.relative_to(ROOT)) for path in portal)]
    for path in paths:
        for node in ast.walk(ast.parse((ROOT / path).read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in checks and len(node.args) >= 2
                    and isinstance(node.args[1], ast.Constant)):
                names.add(node.args[1].value)
    return names


def test_one_label_for_every_required_parameter_and_checked_field() -> None:
    fields = _validated_fields()
    assert {"description", "name", "text", "lat", "lon", "consent"} <= fields  # the scan works
    wanted = _required_params() | fields | {"phone", "email", "rating", "reply", "agencies",
                                             "overdue", "at_risk"}
    assert wanted <= set(PARAM_LABELS_VI), wanted - set(PARAM_LABELS_VI)
    for name, label in PARAM_LABELS_VI.items():
        assert label and label == label.strip() and not QUOTED_IDENTIFIER.search(label), name
        assert label != name, name
    assert PARAM_LABELS_VI["reason"] == "lý do"
    assert PARAM_LABELS_VI["missing"] == "nội dung cần bổ sung"
    assert PARAM_LABELS_VI["result"] == "kết quả xử lý"
    assert PARAM_LABELS_VI["text"] == "nội dung bổ sung"
    assert PARAM_LABELS_VI["agency"] == "cơ quan xử lý"
    assert PARAM_LABELS_VI["direction"] == "nội dung chỉ đạo"


@pytest.mark.parametrize("action, name", sorted(
    (a.name, n) for a in ACTIONS.values() for n in a.required))
def test_missing_parameter_is_named_in_words(action: str, name: str) -> None:
    """Every required parameter of every step: blank or absent, the message says what to fill
    in; `field` and the code are still the machine's."""
    others = {n: "x" for n in ACTIONS[action].required if n != name}
    for value in (None, "", "   "):
        with pytest.raises(InvalidParams) as caught:
            check_params(ACTIONS[action], {**others, name: value})
        error = caught.value
        assert (error.code, error.field) == ("missing_param", name)
        plain(error.message)
        assert PARAM_LABELS_VI[name] in error.message, error.message
        assert error.message.startswith("Vui lòng "), error.message


def test_the_qa_case_reject_without_reason() -> None:
    ioc = Actor("ioc_lan", Role.IOC_HANDLER)
    with pytest.raises(InvalidParams) as caught:
        decide(ReportFacts(State.SUBMITTED), "reject", ioc, {"reason": " "})
    assert caught.value.field == "reason" and caught.value.code == "missing_param"
    assert caught.value.message == (
        "Vui lòng nhập lý do trước khi xác nhận 'Từ chối (nêu rõ lý do)'.")
    with pytest.raises(InvalidParams) as caught:
        decide(ReportFacts(State.ACCEPTED), "forward", ioc, {"agency": "dien_luc"})
    assert caught.value.message.startswith("Vui lòng chọn lĩnh vực"), caught.value.message


def test_other_step_refusals_name_no_parameter() -> None:
    """A wrong type, the feedback and consult rules: still in words."""
    with pytest.raises(InvalidParams) as caught:
        check_params(ACTIONS["reject"], {"reason": 5})
    assert (caught.value.code, caught.value.field) == ("invalid_param", "reason")
    assert caught.value.message == "Lý do phải là văn bản."
    for action, params in (("feedback", {}), ("feedback", {"rating": "tot"}), ("consult", {}),
                           ("consult", {"agencies": "so_xd"})):
        with pytest.raises(InvalidParams) as caught:
            check_params(ACTIONS[action], params)
        plain(caught.value.message)


@pytest.mark.parametrize("field", sorted(_validated_fields()))
def test_required_field_messages_are_in_words(field: str) -> None:
    """Each checked field, left empty where it is required, and given a wrong type."""
    messages = []
    with pytest.raises(ValidationError) as caught:
        validation.clean_text(None, field, max_len=10)
    messages.append(caught.value)
    with pytest.raises(ValidationError) as caught:
        validation.clean_text(12, field, max_len=10)
    messages.append(caught.value)
    with pytest.raises(ValidationError) as caught:
        validation.clean_text("x" * 11, field, max_len=10)
    messages.append(caught.value)
    with pytest.raises(ValidationError) as caught:
        validation.clean_text("a\x01b", field, max_len=10)
    messages.append(caught.value)
    with pytest.raises(ValidationError) as caught:
        validation.parse_bool(None, field)
    messages.append(caught.value)
    with pytest.raises(ValidationError) as caught:
        validation.parse_bool("perhaps", field)
    messages.append(caught.value)
    for error in messages:
        assert error.field == field
        plain(error.message)
    assert messages[0].code == "required"
    assert messages[0].message.startswith("Vui lòng "), messages[0].message


def test_citizen_supplement_and_submission_messages() -> None:
    with pytest.raises(ValidationError) as caught:
        validation.clean_text(" ", "text", max_len=2000, multiline=True)
    assert (caught.value.field, caught.value.code) == ("text", "required")
    assert caught.value.message == "Vui lòng nhập nội dung bổ sung."
    for coordinate in ("lat", "lon"):
        for bad in (True, "bắc", 1000):
            with pytest.raises(ValidationError) as caught:
                validation.parse_coordinate(bad, coordinate, -90, 90)
            assert caught.value.field == coordinate
            plain(caught.value.message)
    body = {"description": "Ổ gà lớn giữa đường Lương Ngọc Quyến", "lat": 21.59, "lon": 105.84,
            "name": "Phạm Văn Cường", "phone": PHONE, "consent": True}
    validation.parse_submission(body, NOW)
    for field in ("description", "lat", "lon", "name", "phone", "consent"):
        with pytest.raises(ValidationError) as caught:
            validation.parse_submission({**body, field: None}, NOW)
        assert caught.value.field == field
        plain(caught.value.message)
    for field, value in (("confidential", "có lẽ"), ("emergency", "có lẽ"), ("name", ["x"])):
        with pytest.raises(ValidationError) as caught:
            validation.parse_submission({**body, field: value}, NOW)
        assert caught.value.field == field
        plain(caught.value.message)


def test_api_refusal_keeps_code_and_field_with_a_vietnamese_message(client, sign_in) -> None:
    code = submit(client)
    response = sign_in("ioc_lan").act(code, "reject", reason="  ")
    body = response.get_json()
    assert response.status_code == 422
    assert (body["error"], body["field"]) == ("missing_param", "reason")
    assert body["message"].startswith("Vui lòng nhập lý do"), body
    plain(body["message"])


def test_portal_supplement_without_text_says_what_to_write(client, ready_db) -> None:
    code = make_report(ready_db)
    perform_action(code, "request_supplement", ACTORS["ioc_lan"],
                   {"missing": "Vui lòng cho biết số nhà gần nhất."}, url=ready_db)
    page = client.post("/portal/track/step", data={"code": code, "phone": PHONE,
                                                   "action": "supplement", "text": " "})
    text = page.get_data(as_text=True)
    assert page.status_code == 422
    assert "Vui lòng nhập nội dung bổ sung." in text
    assert "Trường &#39;text&#39;" not in text and "Trường 'text'" not in text


# --------------------------------------------------------------------------- 2. clauses

def test_clause_helper() -> None:
    assert fmt.clause("D6.2") == "Đ6.2"
    assert fmt.clause("D8 bước 3") == "Đ8 bước 3"
    assert fmt.clause("D11.1-2") == "Đ11.1-2"
    assert fmt.clause("D10.3, D10.4") == "Đ10.3, Đ10.4"
    assert fmt.clause("Phụ lục I") == "Phụ lục I"
    assert fmt.clause("Đ5.4") == "Đ5.4"
    assert fmt.clause(None) == ""


def test_ids_stay_as_they_are() -> None:
    """Only the display changes: `data/sla.toml` and ACTIONS keep "D6.2"."""
    policy = clocks.file_policy()
    assert policy.budget("verify").clause == "D6.2"
    assert ACTIONS["reject"].clause == "D7.2a"


def test_deadline_table_and_action_titles_show_dieu() -> None:
    policy = clocks.file_policy()
    stages = {stage: {"name": b.name_vi, "clause": b.clause, "start": NOW.isoformat(),
                      "due": (NOW + timedelta(hours=4)).isoformat(), "done": None,
                      "status": "on_time", "status_label": "Trong hạn"}
              for stage, b in policy.budgets.items()}
    table = shown(report_panel.deadlines(stages))
    assert not CLAUSE_ID.search(table), table
    for expected in ("Đ6.2", "Đ7.1", "Đ8 bước 3", "Đ9.2", "Đ10.1"):
        assert expected in table
    for name in ACTIONS:
        title = action_form.act_button("triage", name, "x", "btn", False).title
        assert not CLAUSE_ID.search(title), title
    assert action_form.act_button("triage", "reject", "x", "btn", False).title == (
        "Từ chối (nêu rõ lý do) (Đ7.2a)")


def test_admin_page_shows_no_internal_clause_ids_nor_file_paths() -> None:
    page = shown(admin_layout.layout())
    assert not CLAUSE_ID.search(page), CLAUSE_ID.search(page)
    assert "Đ3.8" in page and "Điều khoản" in page


def test_no_dashboard_text_names_a_configuration_file() -> None:
    """A string of the admin page's code that says "data/…toml" would reach a screen."""
    for path in sorted([*(ROOT / "dashboard/layouts/admin").glob("*.py"),
                        *(ROOT / "dashboard/callbacks/admin").glob("*.py")]):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                      if isinstance(node, ast.Module | ast.FunctionDef | ast.ClassDef)
                      and node.body and isinstance(node.body[0], ast.Expr)}
        for node in ast.walk(tree):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                    and id(node) not in docstrings):
                assert ".toml" not in node.value and "data/" not in node.value, (path, node.value)


# --------------------------------------------------------------------------- 3. actors

def test_history_names_the_reporter_in_words() -> None:
    events = [{"seq": 1, "at": NOW.isoformat(), "actor": "citizen", "role": "citizen",
               "action": "submit", "note": None},
              {"seq": 2, "at": NOW.isoformat(), "actor": "ioc_lan", "role": "ioc_handler",
               "action": "accept", "note": None}]
    text = shown(report_panel.history(events))
    assert "Người dân · Cá nhân, tổ chức" in text
    assert "citizen" not in text
    assert "ioc_lan · Người xử lý tại IOC" in text  # staff keep their account name
    assert actor_label("citizen") == "Người dân" and actor_label("system") == "Hệ thống"
    assert actor_label("xl_164") == "xl_164"


def test_report_panel_of_a_real_report(ready_db, staff_accounts) -> None:
    code = make_report(ready_db, steps=3)
    role, agency = STAFF["ioc_lan"]
    viewer = StaffUser(1, "ioc_lan", "ioc_lan", role, agency, "csrf", "hash")
    detail = report_detail(code, viewer)
    assert detail["history"][0]["actor"] == "citizen"  # stored as it was
    text = shown(report_panel.deadlines(detail["deadlines"])) + shown(
        report_panel.history(detail["history"]))
    assert "Người dân" in text and "citizen" not in text
    assert not CLAUSE_ID.search(text) and "Đ6.2" in text


# --------------------------------------------------------------------------- 4. admin log

ADMIN = Actor("quantri", Role.ADMIN)


def test_admin_log_names_agencies_and_defaults_in_words(ready_db, fast_argon2) -> None:
    admin_users.create_user(ADMIN, username="quantri", full_name="Quản trị", role="admin",
                      agency_code=None, password="mat-khau-rat-dai-2026", url=ready_db)
    names = {a.code: a.short_name for a in catalogue.list_agencies(ready_db, active_only=False)}
    admin_users.create_user(ADMIN, username="xl_lan", full_name="Nguyễn Thị Lan",
                      role="agency_handler", agency_code="dien_luc",
                      password="mat-khau-rat-dai-2026", url=ready_db)
    admin_users.update_user(ADMIN, "xl_lan", full_name="Nguyễn Thị Lan", role="agency_handler",
                      agency_code="ubnd_05443", url=ready_db)
    rows = admin_log.log_rows()
    moved, created = rows[0]["details"], rows[1]["details"]
    assert f"Cơ quan: {names['dien_luc']}" in created, created
    assert f"Cơ quan: {names['dien_luc']} → {names['ubnd_05443']}" in moved, moved
    for details in (moved, created):
        assert "dien_luc" not in details and "ubnd_05443" not in details
    # without a names table, describe looks the codes up itself
    assert admin_log.describe({"after": {"agency": "dien_luc"}}) == (
        f"Cơ quan: {names['dien_luc']}")
    assert admin_log.describe({"after": {"role": "admin"}}) == "Vai trò: Quản trị hệ thống"
    field = catalogue.list_fields(ready_db)[0]
    assert admin_log.describe({"after": {"field": field.code, "place": None,
                                               "agency": "dien_luc"}}) == (
        f"Lĩnh vực: {field.name}; Địa bàn: toàn tỉnh; Cơ quan: {names['dien_luc']}")
    assert admin_log.describe({"focal_removed": [{"agency": "dien_luc"}]}) == (
        f"Bỏ vai trò đầu mối tại {names['dien_luc']}")

    budgets = admin_budgets.budget_rows()
    assert [b["clause"] for b in budgets] == ["Đ6.2", "Đ7.1", "Đ8 bước 3", "Đ9.2", "Đ10.1"]
    assert all(b["source"] == "Theo cấu hình mặc định (mức của Quy chế)" for b in budgets)
    assert not any("toml" in b["source"] for b in budgets)


# --------------------------------------------------------------------------- 5. citizen clocks

PROMISES = {  # the portal's sentence for each state on a clock, with today's data/sla.toml
    State.SUBMITTED: "IOC Thái Nguyên đang kiểm tra nội dung phản ánh (trong ½ ngày làm việc).",
    State.ACCEPTED: "IOC đã tiếp nhận và đang chuyển đến cơ quan có thẩm quyền "
                    "(trong 1 ngày làm việc).",
    State.FORWARDED: "Điện lực đã nhận phản ánh để xử lý (tối đa 3 ngày làm việc).",
    State.APPROVED: "IOC đang biên tập để gửi kết quả cho bạn (trong 4 giờ làm việc).",
}


def test_citizen_promises_read_the_file_budgets() -> None:
    """Verify, forward, process in working days (D6.2, D7.1, D8), publish in hours (D10.1)."""
    for state, sentence in PROMISES.items():
        assert citizen_state(state, "Điện lực").meaning == sentence
        assert citizen_state(state, "Điện lực", clocks.file_policy()).meaning == sentence


@pytest.mark.parametrize("minutes, unit, words", [
    (240, "day", "½ ngày làm việc"), (480, "day", "1 ngày làm việc"),
    (720, "day", "1,5 ngày làm việc"), (1440, "day", "3 ngày làm việc"),
    (240, "hour", "4 giờ làm việc"), (480, "hour", "8 giờ làm việc"),
    (120, "day", "2 giờ làm việc"), (600, "day", "10 giờ làm việc"),
    (90, "day", "1,5 giờ làm việc"), (100, "hour", "1 giờ 40 phút làm việc"),
    (45, "day", "45 phút làm việc"),
])
def test_working_time_in_words(minutes: int, unit: str, words: str) -> None:
    assert working_time(minutes, unit) == words


def test_citizen_promises_follow_an_administrators_budget(client, ready_db) -> None:
    """A budget changed by the administrator (D13.4) is what the tracking page promises."""
    code = make_report(ready_db)

    def tracked() -> str:
        page = client.post("/portal/track", data={"code": code, "phone": PHONE})
        assert page.status_code == 200
        return page.get_data(as_text=True)

    assert "(trong ½ ngày làm việc)" in tracked()
    admin_calendar.set_stage_budget(ADMIN, "verify", minutes=120, emergency_minutes=30,
                                    url=ready_db)
    admin_calendar.set_stage_budget(ADMIN, "process", minutes=960, emergency_minutes=600,
                                    url=ready_db)
    admin_calendar.set_stage_budget(ADMIN, "publish", minutes=90, emergency_minutes=60,
                                    url=ready_db)
    page = tracked()
    assert "(trong 2 giờ làm việc)" in page and "½ ngày" not in page
    policy = policy_in_force(ready_db)
    assert citizen_state(State.FORWARDED, "Điện lực", policy).meaning == (
        "Điện lực đã nhận phản ánh để xử lý (tối đa 2 ngày làm việc).")
    assert citizen_state(State.APPROVED, None, policy).meaning == (
        "IOC đang biên tập để gửi kết quả cho bạn (trong 1,5 giờ làm việc).")
    assert citizen_state(State.ACCEPTED, None, policy).meaning == PROMISES[State.ACCEPTED]
    # the receipt at the end of a submission promises the same budgets
    assert intake_promise(policy) == (
        "IOC Thái Nguyên kiểm tra phản ánh trong 2 giờ làm việc, chuyển cơ quan có thẩm quyền "
        "trong 1 ngày làm việc; cơ quan xử lý trong tối đa 2 ngày làm việc.")
    admin_calendar.reset_stage_budget(ADMIN, "verify", url=ready_db)
    assert "(trong ½ ngày làm việc)" in tracked()

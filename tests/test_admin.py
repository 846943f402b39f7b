"""Administration services (D13.4, D14.1): every use case, its refusals in Vietnamese, its record
in the event log's `system` stream, and the deadlines that override days, seasons and budgets
move. Runs on SQLite, and on PostgreSQL when TEST_DATABASE_URL is set (`ready_db`)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from api_helpers import make_report
from sqlalchemy import func, select, update

from backend.config import LOCAL_TZ
from backend.domain.roles import Role
from backend.domain.sla import stage_deadline
from backend.domain.workflow import Actor, Forbidden
from backend.services import clocks
from backend.services.access import auth as auth_service
from backend.services.admin import agencies as admin_agencies
from backend.services.admin import calendar as admin_calendar
from backend.services.admin import changes as admin_changes
from backend.services.admin import fields as admin_fields
from backend.services.admin import users as admin_users
from backend.services.admin.calendar import SeasonInput
from backend.services.audit import verify_chains
from backend.services.clocks import calendar_from_session
from backend.services.errors import ValidationError
from backend.storage.db import engine_for, session_factory
from backend.storage.models import (
    AgencyField,
    AgencyFocalPoint,
    Base,
    Event,
    Field,
    Report,
    RoutingRule,
    StaffSession,
    User,
)
from dashboard.callbacks.admin import agencies as agencies_tab
from dashboard.callbacks.admin import budgets as admin_budgets
from dashboard.callbacks.admin import calendar as admin_calendar_tab
from dashboard.callbacks.admin import common as admin_common
from dashboard.callbacks.admin import confirm as admin_confirm
from dashboard.callbacks.admin import fields as fields_tab
from dashboard.callbacks.admin import log as admin_log
from dashboard.callbacks.admin import users as users_tab

ADMIN = Actor("quantri", Role.ADMIN)
PASSWORD = "mat-khau-rat-dai-2026"
FRIDAY_16H = datetime(2026, 12, 4, 16, 0, tzinfo=LOCAL_TZ)  # winter, before a normal weekend


pytestmark = pytest.mark.usefixtures("fast_argon2")  # cheap argon2 (api_helpers)


@pytest.fixture
def db(ready_db: str) -> str:
    """A ready database with the administrator's own account."""
    admin_users.create_user(ADMIN, username="quantri", full_name="Quản trị", role="admin",
                      agency_code=None, password=PASSWORD, url=ready_db)
    return ready_db


def system_events(url: str) -> list[Event]:
    with session_factory(url)() as session:
        return list(session.scalars(select(Event).where(Event.stream == "system")
                                    .order_by(Event.seq)))


def last_event(url: str) -> tuple[str, str, dict]:
    event = system_events(url)[-1]
    return event.action, event.note, json.loads(event.data or "{}")


def refused(call, field: str, *words: str) -> ValidationError:
    """`call()` raises a ValidationError on `field` whose message holds every word."""
    with pytest.raises(ValidationError) as caught:
        call()
    assert caught.value.field == field, caught.value.message
    for word in words:
        assert word in caught.value.message, caught.value.message
    return caught.value


def new_user(url: str, username: str, role: str = "agency_handler",
             agency: str | None = "ubnd_05443", name: str = "Nguyễn Thị Lan") -> admin_users.UserRow:
    return admin_users.create_user(ADMIN, username=username, full_name=name, role=role,
                             agency_code=agency, password=PASSWORD, url=url)


# --------------------------------------------------------------------------- schema


def test_migration_0004_matches_the_models(ready_db: str) -> None:
    with engine_for(ready_db).connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    mine = {"agency_focal_points", "stage_budgets", "work_seasons"}
    assert [d for d in diff if any(t in repr(d) for t in mine)] == []


# --------------------------------------------------------------------------- users


def test_user_lifecycle_is_recorded_with_before_and_after(db: str) -> None:
    created = new_user(db, "XL_Lan ", name="  Nguyễn   Thị Lan ")
    assert (created.username, created.full_name, created.role_label, created.agency_name) == (
        "xl_lan", "Nguyễn Thị Lan", "Người xử lý của cơ quan", "UBND P. Phan Đình Phùng")
    assert auth_service.login("xl_lan", PASSWORD, url=db) is not None
    action, note, data = last_event(db)
    assert action == "user.create" and "xl_lan" in note and PASSWORD not in json.dumps(data)
    assert data["after"] == {"full_name": "Nguyễn Thị Lan", "role": "agency_handler",
                             "agency": "ubnd_05443"}

    moved = admin_users.update_user(ADMIN, "xl_lan", full_name="Nguyễn Thị Lan", role="agency_leader",
                              agency_code="ubnd_05443", url=db)
    assert moved.role == "agency_leader"
    action, note, data = last_event(db)
    assert action == "user.update" and "Người xử lý của cơ quan → Lãnh đạo đơn vị" in note
    assert data == {"username": "xl_lan", "before": {"role": "agency_handler"},
                    "after": {"role": "agency_leader"}}

    admin_users.reset_password(ADMIN, "xl_lan", "mot-mat-khau-moi-2026", url=db)
    assert auth_service.login("xl_lan", PASSWORD, url=db) is None
    token, _staff = auth_service.login("xl_lan", "mot-mat-khau-moi-2026", url=db)
    action, _note, data = last_event(db)
    assert action == "user.password" and "mot-mat-khau" not in json.dumps(data)

    locked = admin_users.disable_user(ADMIN, "xl_lan", url=db)
    assert not locked.active
    assert auth_service.resolve_session(token, url=db) is None  # signed out at once
    action, _note, data = last_event(db)
    assert action == "user.disable" and data["sessions_ended"] == 1
    assert data["before"] == {"active": True} and data["after"] == {"active": False}

    back = admin_users.enable_user(ADMIN, "xl_lan", url=db)
    assert back.active and last_event(db)[0] == "user.enable"
    assert [u.username for u in admin_users.list_users(url=db)][:2] == ["xl_lan", "quantri"] or \
        {"xl_lan", "quantri"} <= {u.username for u in admin_users.list_users(url=db)}


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"username": ""}, "username", ("Nhập tên đăng nhập",)),
    ({"username": "ab"}, "username", ("3-64 ký tự",)),
    ({"username": "nguyễn"}, "username", ("không dấu",)),
    ({"full_name": "   "}, "full_name", ("Nhập họ và tên",)),
    ({"full_name": "x"}, "full_name", ("ít nhất hai chữ cái",)),
    ({"full_name": "1 2 3"}, "full_name", ("ít nhất hai chữ cái",)),
    ({"role": ""}, "role", ("Chọn vai trò",)),
    ({"role": "superuser"}, "role", ("không có trong hệ thống",)),
    ({"agency": None}, "agency", ("cần chọn cơ quan xử lý",)),
    ({"role": "ioc_handler"}, "agency", ("không gắn với cơ quan",)),
    ({"agency": "khong_co"}, "agency", ("không có trong danh mục",)),
    ({"password": "ngan"}, "password", ("ít nhất 10 ký tự", "đang có 4")),
    ({"username": "xl_trung", "password": "xl_trung"}, "password", ("ít nhất 10",)),
    ({"username": "xl_trung_ten", "password": "XL_TRUNG_TEN"}, "password",
     ("trùng tên đăng nhập",)),
])
def test_create_user_refusals(db: str, change: dict, field: str, words: tuple) -> None:
    form = {"username": "xl_moi", "full_name": "Người Mới", "role": "agency_handler",
            "agency": "ubnd_05443", "password": PASSWORD, **change}
    before = len(system_events(db))
    refused(lambda: admin_users.create_user(ADMIN, username=form["username"],
                                      full_name=form["full_name"], role=form["role"],
                                      agency_code=form["agency"], password=form["password"],
                                      url=db), field, *words)
    assert len(system_events(db)) == before  # a refusal records nothing


def test_user_refusals_that_need_state(db: str) -> None:
    new_user(db, "xl_lan")
    refused(lambda: new_user(db, "xl_lan"), "username", "đã có người dùng")
    refused(lambda: admin_users.disable_user(ADMIN, "quantri", url=db), "username",
            "Không thể tự khóa")
    refused(lambda: admin_users.update_user(ADMIN, "quantri", full_name="Quản trị",
                                      role="ioc_handler", agency_code=None, url=db),
            "role", "tự đổi vai trò")
    refused(lambda: admin_users.update_user(ADMIN, "xl_lan", full_name="Nguyễn Thị Lan",
                                      role="agency_handler", agency_code="ubnd_05443", url=db),
            "full_name", "Không có thay đổi")
    refused(lambda: admin_users.disable_user(ADMIN, "khong_ai", url=db), "username", "Không có tài khoản")
    admin_users.disable_user(ADMIN, "xl_lan", url=db)
    refused(lambda: admin_users.disable_user(ADMIN, "xl_lan", url=db), "username", "đã bị khóa")
    refused(lambda: admin_users.enable_user(ADMIN, "quantri", url=db), "username", "đang hoạt động")
    refused(lambda: admin_users.reset_password(ADMIN, "xl_lan", "short", url=db), "password",
            "ít nhất 10")


def test_only_an_administrator_may_change_anything(db: str) -> None:
    handler = Actor("ioc_lan", Role.IOC_HANDLER)
    for call in (
        lambda: admin_users.create_user(handler, username="x_y_z", full_name="X", role="admin",
                                  agency_code=None, password=PASSWORD, url=db),
        lambda: admin_users.disable_user(handler, "quantri", url=db),
        lambda: admin_fields.set_field_active(handler, "khac", False, url=db),
        lambda: admin_calendar.set_stage_budget(handler, "verify", minutes=120,
                                                emergency_minutes=30, url=db),
        lambda: admin_calendar.add_override(handler, "05/12/2026", True, "Làm bù thử", url=db),
    ):
        with pytest.raises(Forbidden):
            call()
    assert len(system_events(db)) == 1  # only the fixture's own account


# --------------------------------------------------------------------------- agencies (D14.1)


def test_focal_points_are_the_agencys_own_accounts(db: str) -> None:
    new_user(db, "ld_164", role="agency_leader", name="Trần Văn Lãnh")
    new_user(db, "xl_164", role="agency_handler", name="Lê Thị Xử")
    new_user(db, "xl_dl", role="agency_handler", agency="dien_luc")
    candidates = admin_agencies.focal_candidates("ubnd_05443", url=db)
    assert [u.username for u in candidates["leader"]] == ["ld_164"]
    assert [u.username for u in candidates["handler"]] == ["xl_164"]

    def focal(**kw):
        args = {"leader": "ld_164", "leader_title": "Phó Chủ tịch UBND thành phố",
                "handler": "xl_164", "handler_title": "Chuyên viên", **kw}
        return admin_agencies.set_focal_points(ADMIN, "ubnd_05443", **args, url=db)

    refused(lambda: focal(handler="xl_dl"), "handler", "không thuộc UBND P. Phan Đình Phùng")
    refused(lambda: focal(leader="xl_164"), "leader", "vai trò Lãnh đạo đơn vị")
    refused(lambda: focal(leader_title=" "), "leader_title", "Nhập chức vụ")
    refused(lambda: focal(leader="khong_ai"), "leader", "Không có tài khoản")
    row = focal()
    assert (row.leader.username, row.handler.username) == ("ld_164", "xl_164")
    assert (row.leader_name, row.handler_name) == ("Trần Văn Lãnh", "Lê Thị Xử")
    action, _note, data = last_event(db)
    assert action == "agency.focal" and data["agency"] == "ubnd_05443"
    assert data["before"]["leader"] is None and data["after"]["leader"] == "ld_164"
    refused(focal, "leader", "Không có thay đổi")

    # a handler who becomes a leader is no longer the focal handler; locking drops the leader
    admin_users.update_user(ADMIN, "xl_164", full_name="Lê Thị Xử", role="agency_leader",
                      agency_code="ubnd_05443", url=db)
    assert last_event(db)[2]["focal_removed"] == [{"agency": "ubnd_05443", "kind": "handler"}]
    admin_users.disable_user(ADMIN, "ld_164", url=db)
    assert last_event(db)[2]["focal_removed"] == [{"agency": "ubnd_05443", "kind": "leader"}]
    agency = next(a for a in admin_agencies.list_agencies(url=db) if a.code == "ubnd_05443")
    assert agency.leader is None and agency.handler is None
    with session_factory(db)() as session:
        assert session.scalar(select(func.count()).select_from(AgencyFocalPoint)) == 0
    refused(lambda: focal(leader="ld_164", handler=None), "leader", "đang bị khóa")


def test_update_agency_limits_and_contacts(db: str) -> None:
    def update(**kw):
        args = {"process_minutes": "960", "email": "phananh@thainguyen.gov.vn",
                "phone": "0208 3147164", **kw}
        return admin_agencies.update_agency(ADMIN, "ubnd_05443", **args, url=db)

    refused(lambda: update(process_minutes="2000"), "process_minutes", "60 đến 1.440")
    refused(lambda: update(process_minutes="ba ngày"), "process_minutes", "số nguyên")
    refused(lambda: update(email="khong-phai-email"), "email", "không hợp lệ")
    refused(lambda: update(phone="gọi tôi"), "phone", "chữ số")
    row = update(process_minutes=720)
    assert row.process_minutes == 720
    action, _note, data = last_event(db)
    assert action == "agency.update" and data["before"]["process_minutes"] == 960
    assert data["after"] == {"process_minutes": 720, "email": "phananh@thainguyen.gov.vn"}
    refused(lambda: update(process_minutes=720), "process_minutes", "Không có thay đổi")


# --------------------------------------------------------------------------- fields (D13.4)


def test_field_catalogue_add_rename_deactivate(db: str) -> None:
    row = admin_fields.create_field(ADMIN, code="cay_xanh", name="Cây xanh đô thị",
                                       group_name="Hạ tầng", default_agency="so_xd",
                                       keywords="cây đổ; cành khô\ncây đổ", url=db)
    assert (row.default_agency, row.rules, row.keywords) == ("so_xd", 1, "cây đổ;cành khô")
    with session_factory(db)() as session:  # forwardable from the first report on
        assert session.get(AgencyField, ("so_xd", "cay_xanh")) is not None
        rule = session.scalar(select(RoutingRule).where(RoutingRule.field_code == "cay_xanh"))
        assert (rule.area_code, rule.unit_code, rule.agency_code) == (None, None, "so_xd")
    assert last_event(db)[0] == "field.create"

    renamed = admin_fields.update_field(ADMIN, "cay_xanh", name="Cây xanh", group_name="Hạ tầng",
                                 description=None, keywords="cây đổ;cành khô", url=db)
    assert renamed.name == "Cây xanh"
    action, note, data = last_event(db)
    assert action == "field.update" and "'Cây xanh đô thị' thành 'Cây xanh'" in note
    assert data["before"] == {"name": "Cây xanh đô thị"} and data["after"] == {"name": "Cây xanh"}

    code = make_report(db)  # an open report, classified in the new field
    with session_factory(db)() as session, session.begin():
        session.execute(update(Report).where(Report.code == code).values(field_code="cay_xanh"))
    stopped = admin_fields.set_field_active(ADMIN, "cay_xanh", False, url=db)
    assert not stopped.active and stopped.open_reports == 1
    assert last_event(db)[2]["open_reports"] == 1
    refused(lambda: admin_fields.set_field_active(ADMIN, "cay_xanh", False, url=db), "field",
            "đã ngừng")
    assert admin_fields.set_field_active(ADMIN, "cay_xanh", True, url=db).active


def test_field_refusals(db: str) -> None:
    def create(**kw):
        args = {"code": "cay_xanh", "name": "Cây xanh", "group_name": "Hạ tầng",
                "default_agency": "so_xd", **kw}
        return admin_fields.create_field(ADMIN, **args, url=db)

    refused(lambda: create(code="Cây Xanh"), "code", "chữ thường không dấu")
    refused(lambda: create(code="giao_thong"), "code", "đã có")
    refused(lambda: create(name="giao thông"), "name", "Đã có lĩnh vực tên 'Giao thông'")
    refused(lambda: create(group_name=""), "group_name", "Nhập nhóm lĩnh vực")
    refused(lambda: create(default_agency=""), "default_agency", "Chọn cơ quan")
    refused(lambda: create(default_agency="khong_co"), "default_agency", "không có trong danh mục")
    refused(lambda: create(name="x" * 101), "name", "tối đa 100")
    refused(lambda: admin_fields.update_field(ADMIN, "khong_co", name="A", group_name="B",
                                       description=None, keywords=None, url=db),
            "field", "không có trong danh mục")
    with session_factory(db)() as session:
        codes = list(session.scalars(select(Field.code).where(Field.active)))
    for code in codes[1:]:
        admin_fields.set_field_active(ADMIN, code, False, url=db)
    refused(lambda: admin_fields.set_field_active(ADMIN, codes[0], False, url=db), "field",
            "ít nhất một lĩnh vực")


# --------------------------------------------------------------------------- routing (D7.1)


def test_routing_rules_add_remove_and_default_agency(db: str) -> None:
    def add(**kw):
        args = {"field_code": "giao_thong", "place_code": "tp_thai_nguyen",
                "agency_code": "ubnd_05443", "priority": 10,
                "note": "Đường đô thị do phường quản lý", **kw}
        return admin_fields.add_routing_rule(ADMIN, **args, url=db)

    rule = add()
    assert (rule.place_code, rule.place_name, rule.agency_name) == (
        "tp_thai_nguyen", "Khu vực TP Thái Nguyên", "UBND P. Phan Đình Phùng")
    action, note, data = last_event(db)
    assert action == "routing.create" and "Khu vực TP Thái Nguyên" in note
    assert data["after"]["agency"] == "ubnd_05443" and data["after"]["place"] == "tp_thai_nguyen"
    refused(add, "agency", "Đã có quy tắc")
    refused(lambda: add(agency_code="so_xd"), "priority", "ưu tiên 10", "UBND P. Phan Đình Phùng")
    refused(lambda: add(place_code="999", priority=5), "place", "không phải khu vực hay xã/phường")
    refused(lambda: add(priority=0), "priority", "1 đến 999")
    refused(lambda: add(field_code=""), "field", "Chọn lĩnh vực")
    unit = add(place_code="05443")  # a unit's rule beside its area's
    assert (unit.place_code, unit.place_name) == ("05443", "Phường Phan Đình Phùng")
    admin_fields.remove_routing_rule(ADMIN, unit.id, url=db)
    admin_fields.remove_routing_rule(ADMIN, rule.id, url=db)
    assert last_event(db)[2]["before"]["place"] == "tp_thai_nguyen"
    refused(lambda: admin_fields.remove_routing_rule(ADMIN, rule.id, url=db), "rule",
            "không còn")

    # a better province-wide rule makes its agency the field's default; the last one stays
    better = add(place_code=None, agency_code="so_ct", priority=1, note=None)
    assert better.place_code is None and better.place_name is None
    assert last_event(db)[2]["default_agency"] == {"before": "so_xd", "after": "so_ct"}
    with session_factory(db)() as session:
        general = session.scalars(select(RoutingRule).where(
            RoutingRule.field_code == "giao_thong", RoutingRule.area_code.is_(None),
            RoutingRule.unit_code.is_(None))).all()
        assert session.get(Field, "giao_thong").default_agency == "so_ct"
        assert session.get(AgencyField, ("so_ct", "giao_thong")) is not None
    for other in general:
        if other.id != better.id:
            admin_fields.remove_routing_rule(ADMIN, other.id, url=db)
    refused(lambda: admin_fields.remove_routing_rule(ADMIN, better.id, url=db), "rule",
            "ít nhất một quy tắc cho mọi địa bàn")


def test_admin_page_names_rule_places_and_agency_kinds(db: str) -> None:
    """The rules list names each rule's place (an area, a unit, or the whole province); the
    add form offers the areas then the units; the agencies tab names the kind in Vietnamese,
    the unit of a commune's People's Committee and a subordinate unit's parent."""
    admin_fields.add_routing_rule(ADMIN, field_code="giao_thong", place_code="tp_thai_nguyen",
                                  agency_code="ubnd_05443", priority=5, note=None, url=db)
    admin_fields.add_routing_rule(ADMIN, field_code="giao_thong", place_code="05443",
                                  agency_code="ubnd_05443", priority=5, note=None, url=db)
    rows = fields_tab.rule_rows("giao_thong")
    places = [r["place"] for r in rows]
    assert places[:2] == ["Phường Phan Đình Phùng", "Khu vực TP Thái Nguyên"]  # unit, area
    assert set(places[2:]) == {"Toàn tỉnh"}
    assert all("district" not in r for r in rows)
    question, pending = admin_confirm.confirmation("admin-rule-delete", None, None, [rows[1]],
                                                   None, None)
    assert "Khu vực TP Thái Nguyên → UBND P. Phan Đình Phùng" in question
    assert pending == {"kind": "routing.delete", "target": rows[1]["id"]}
    choices = admin_fields.place_choices(url=db)
    assert choices[0] == ("tp_thai_nguyen", "Khu vực TP Thái Nguyên") and len(choices) == 17 + 92
    assert fields_tab.RULE_FORM[1] == "place"  # the service's refusals name "place"

    agencies = {r["code"]: r for r in agencies_tab.agency_rows()}
    commune = agencies["ubnd_05443"]
    assert (commune["kind_label"], commune["unit_name"]) == ("UBND xã/phường",
                                                             "Phường Phan Đình Phùng")
    assert agencies["ubnd_164"]["kind_label"] == "UBND huyện (đã giải thể 1/7/2025)"
    assert agencies["so_xd"]["kind_label"] == "Sở/ngành" and agencies["so_xd"]["unit_name"] == ""
    assert agencies_tab.place_text(commune) == "Xã/phường: Phường Phan Đình Phùng"
    labels = set(agencies_tab.AGENCY_KINDS.values())
    assert {r["kind_label"] for r in agencies.values()} <= labels  # every kind in words
    subordinate = [r for r in agencies.values() if r["kind"] == "truc_thuoc"]
    for row in subordinate:
        assert row["parent_name"] and row["kind_label"] == "Đơn vị trực thuộc"
        assert "Cơ quan cấp trên: " in agencies_tab.place_text(row)
    assert admin_log.describe({"after": {"field": "giao_thong", "place": "05443"}}).endswith(
        "Địa bàn: Phường Phan Đình Phùng")
    assert admin_log.describe({"after": {"place": "tp_thai_nguyen"}}) == (
        "Địa bàn: Khu vực TP Thái Nguyên")
    assert admin_log.describe({"after": {"place": None}}) == "Địa bàn: toàn tỉnh"
    assert admin_log.describe({"before": {"district": "164"}}) == (
        "Huyện (trước 1/7/2025): Thành phố Thái Nguyên (bỏ)")


# --------------------------------------------------------------------------- deadlines


def submitted_verify_due(url: str) -> datetime:
    code = make_report(url, now=FRIDAY_16H.astimezone(UTC))
    with session_factory(url)() as session:
        return session.scalar(select(Report.verify_due).where(Report.code == code))


def local(at: datetime) -> str:
    return at.astimezone(LOCAL_TZ).strftime("%a %d/%m %H:%M")


def test_an_override_day_moves_the_next_reports_deadline(db: str) -> None:
    # ½ working day from Friday 16:00: one hour on Friday, three on Monday
    assert local(submitted_verify_due(db)) == "Mon 07/12 10:30"
    admin_calendar.add_override(ADMIN, "05/12/2026", True,
                                "Làm bù theo văn bản số 01/UBND ngày 01/12/2026", url=db)
    assert local(submitted_verify_due(db)) == "Sat 05/12 10:30"
    action, note, data = last_event(db)
    assert action == "calendar.override_add" and "Thứ Bảy 05/12/2026" in note
    assert data == {"day": "2026-12-05", "after": {"working": True,
                                                  "note": "Làm bù theo văn bản số 01/UBND ngày "
                                                          "01/12/2026"}}
    admin_calendar.add_override(ADMIN, date(2026, 12, 7), False, "Nghỉ bù thử nghiệm", url=db)
    rows = admin_calendar.list_overrides(url=db)
    assert [r.day for r in rows][:2] == [date(2026, 12, 7), date(2026, 12, 5)]  # newest first
    admin_calendar.remove_override(ADMIN, "2026-12-05", url=db)
    assert last_event(db)[2]["before"]["working"] is True
    assert local(submitted_verify_due(db)) == "Tue 08/12 10:30"  # Monday now off


def test_override_refusals(db: str) -> None:
    add = admin_calendar.add_override
    refused(lambda: add(ADMIN, "", True, "Lý do đủ dài", url=db), "day", "Chọn ngày")
    refused(lambda: add(ADMIN, "31/02/2026", True, "Lý do đủ dài", url=db), "day",
            "không hợp lệ")
    refused(lambda: add(ADMIN, "07/12/2026", True, "Lý do đủ dài", url=db), "day",
            "Thứ Hai 07/12/2026 vốn đã là ngày làm việc")
    refused(lambda: add(ADMIN, "05/12/2026", False, "Lý do đủ dài", url=db), "day",
            "vốn đã là ngày nghỉ")
    refused(lambda: add(ADMIN, "05/12/2026", True, "", url=db), "note", "Nhập lý do")
    refused(lambda: add(ADMIN, "05/12/2026", True, "abc", url=db), "note", "ít nhất 5 ký tự")
    refused(lambda: add(ADMIN, "05/12/2099", True, "Lý do đủ dài", url=db), "day",
            "từ năm 2015 đến 2040")
    refused(lambda: add(ADMIN, "10/01/2026", True, "Lý do đủ dài", url=db), "day",
            "đã được điều chỉnh thành ngày làm việc")  # shipped in data/calendar.toml
    refused(lambda: admin_calendar.remove_override(ADMIN, "06/12/2026", url=db), "day",
            "không có điều chỉnh")


def test_a_budget_change_moves_the_deadline(db: str) -> None:
    start = FRIDAY_16H.astimezone(UTC)
    with session_factory(db)() as session:
        calendar = calendar_from_session(session)
        before = stage_deadline(clocks.effective_policy(session), calendar, "verify",
                                start)
    assert local(before) == "Mon 07/12 10:30"
    row = admin_calendar.set_stage_budget(ADMIN, "verify", minutes="120", emergency_minutes=30,
                                          url=db)
    assert (row.minutes, row.emergency_minutes, row.changed) == (120, 30, True)
    with session_factory(db)() as session:
        policy = clocks.effective_policy(session)
        assert local(stage_deadline(policy, calendar, "verify", start)) == "Mon 07/12 08:30"
        assert stage_deadline(policy, calendar, "verify", start, emergency=True) == \
            start + timedelta(minutes=30)
        assert policy.budget("forward").minutes == 480  # other stages keep the file's
    action, note, data = last_event(db)
    assert action == "sla.budget" and "240 → 120" in note
    assert data == {"stage": "verify", "before": {"minutes": 240, "emergency_minutes": 60},
                    "after": {"minutes": 120, "emergency_minutes": 30}}
    assert local(admin_calendar.preview_deadline(120, start, url=db)) == "Mon 07/12 08:30"

    reset = admin_calendar.reset_stage_budget(ADMIN, "verify", url=db)
    assert (reset.minutes, reset.changed) == (240, False)
    with session_factory(db)() as session:
        assert clocks.effective_policy(session).budget("verify").minutes == 240


def test_budget_refusals(db: str) -> None:
    def budget(stage="verify", minutes=120, emergency=30):
        return admin_calendar.set_stage_budget(ADMIN, stage, minutes=minutes,
                                               emergency_minutes=emergency, url=db)

    refused(lambda: budget(minutes=300), "minutes", "15 đến 240", "Đ6.2", "4 giờ")
    refused(lambda: budget(stage="process", minutes=2000), "minutes", "1.440", "3 ngày")
    refused(lambda: budget(minutes="nửa ngày"), "minutes", "số nguyên")
    refused(lambda: budget(minutes=120.5), "minutes", "số nguyên")
    refused(lambda: budget(emergency=None), "emergency_minutes", "Nhập thời hạn khi khẩn cấp")
    refused(lambda: budget(emergency=0), "emergency_minutes", "5 đến 1.440")
    refused(lambda: budget(stage="khong_co"), "stage", "không có trong quy trình")
    refused(lambda: budget(minutes=240, emergency=60), "minutes", "Không có thay đổi")
    refused(lambda: admin_calendar.reset_stage_budget(ADMIN, "verify", url=db), "stage",
            "theo Quy chế")
    assert budget(minutes=120.0).minutes == 120  # what a number field may send


def _stored_dues(url: str) -> tuple[str, str]:
    code = make_report(url, now=FRIDAY_16H.astimezone(UTC))
    with session_factory(url)() as session:
        report = session.scalar(select(Report).where(Report.code == code))
        return local(report.verify_due), local(report.forward_due)


def test_stored_deadlines_follow_budgets_and_seasons(db: str) -> None:
    assert _stored_dues(db) == ("Mon 07/12 10:30", "Mon 07/12 16:00")
    admin_calendar.set_stage_budget(ADMIN, "verify", minutes=120, emergency_minutes=30, url=db)
    assert _stored_dues(db) == ("Mon 07/12 08:30", "Mon 07/12 16:00")
    admin_calendar.set_seasons(ADMIN, [SUMMER, SeasonInput(
        "winter", "15/10", "14/4", (("08:00", "12:00"), ("13:00", "17:00")))], url=db)
    assert _stored_dues(db) == ("Mon 07/12 09:00", "Mon 07/12 16:00")


SUMMER = SeasonInput("summer", "15/4", "14/10", (("07:00", "11:30"), ("13:30", "17:00")))


def test_working_seasons_move_the_deadline_and_reset(db: str) -> None:
    start = FRIDAY_16H.astimezone(UTC)
    winter = SeasonInput("winter", "15/10", "14/4", (("08:00", "12:00"), ("13:00", "17:00")))
    rows = admin_calendar.set_seasons(ADMIN, [SUMMER, winter], url=db)
    assert {r.name: r.shifts for r in rows}["winter"] == (("08:00", "12:00"), ("13:00", "17:00"))
    with session_factory(db)() as session:
        calendar = clocks.effective_calendar(session)
        policy = clocks.effective_policy(session)
    assert local(stage_deadline(policy, calendar, "verify", start)) == "Mon 07/12 11:00"
    action, note, data = last_event(db)
    assert action == "calendar.seasons" and "Mùa đông" in note and "Mùa hè" not in note
    assert data["before"]["winter"] == "15/10-14/4: 07:30-11:30, 13:00-17:00"
    assert data["after"]["winter"] == "15/10-14/4: 08:00-12:00, 13:00-17:00"
    refused(lambda: admin_calendar.set_seasons(ADMIN, [SUMMER, winter], url=db), "seasons",
            "Không có thay đổi")

    file_rows = admin_calendar.reset_seasons(ADMIN, url=db)
    assert all(r.from_file for r in file_rows)
    with session_factory(db)() as session:
        calendar = clocks.effective_calendar(session)
    assert local(stage_deadline(policy, calendar, "verify", start)) == "Mon 07/12 10:30"
    refused(lambda: admin_calendar.reset_seasons(ADMIN, url=db), "seasons", "mặc định")


@pytest.mark.parametrize(("winter", "field", "words"), [
    (("15/10", "14/4", (("07:30", "11:30"), ("13:00", "16:30"))), "seasons[2].shifts",
     ("Mùa đông", "7 giờ 30 phút", "8 giờ")),
    (("15/10", "14/4", (("07:30", "12:00"), ("11:30", "15:30"))), "seasons[2].shifts",
     ("ca 2 (11:30) bắt đầu trước khi ca 1 kết thúc (12:00)",)),
    (("15/10", "14/4", (("25:00", "11:30"), ("13:00", "17:00"))), "seasons[2].shifts",
     ("giờ:phút",)),
    (("15/10", "14/4", (("11:30", "07:30"), ("13:00", "17:00"))), "seasons[2].shifts",
     ("phải trước giờ kết thúc",)),
    (("16/10", "14/4", (("07:30", "11:30"), ("13:00", "17:00"))), "seasons",
     ("15/10 không thuộc mùa nào",)),
    (("15/10", "30/2", (("07:30", "11:30"), ("13:00", "17:00"))), "seasons[2].end",
     ("30/2 không phải ngày có thật",)),
    (("mười lăm", "14/4", (("07:30", "11:30"), ("13:00", "17:00"))), "seasons[2].start",
     ("ngày/tháng",)),
    (("15/10", "14/4", ()), "seasons[2].shifts", ("ít nhất một ca",)),
])
def test_season_refusals(db: str, winter: tuple, field: str, words: tuple) -> None:
    start, end, shifts = winter
    refused(lambda: admin_calendar.set_seasons(
        ADMIN, [SUMMER, SeasonInput("winter", start, end, shifts)], url=db), field, *words)


def test_settings_text_round_trip(db: str) -> None:
    with session_factory(db)() as session:
        assert clocks.stored_settings(session) == clocks.Settings()
    admin_calendar.set_stage_budget(ADMIN, "approve", minutes=120, emergency_minutes=45, url=db)
    admin_calendar.set_stage_budget(ADMIN, "verify", minutes=180, emergency_minutes=30, url=db)
    admin_calendar.set_seasons(ADMIN, [SUMMER, SeasonInput(
        "winter", "15/10", "14/4", (("08:00", "12:00"), ("13:00", "17:00")))], url=db)
    with session_factory(db)() as session:
        settings = clocks.stored_settings(session)
    assert settings.budgets == (("approve", 120, 45), ("verify", 180, 30))
    assert [s.name for s in settings.seasons] == ["summer", "winter"]
    assert clocks.policy_with(settings.budgets).budget("approve").emergency_minutes == 45


# --------------------------------------------------------------------------- the change log


def test_change_log_newest_first_and_chained(db: str) -> None:
    new_user(db, "xl_lan")
    admin_calendar.set_stage_budget(ADMIN, "publish", minutes=180, emergency_minutes=60, url=db)
    changes = admin_changes.list_changes(url=db)
    assert [c.action for c in changes] == ["sla.budget", "user.create", "user.create"]
    assert changes[0].action_label == "Đổi thời hạn" and changes[0].actor == "quantri"
    assert changes[0].role == "admin" and changes[0].at.tzinfo is not None
    with session_factory(db)() as session:
        assert verify_chains(session).ok
        assert session.scalar(select(func.count()).select_from(StaffSession)) == 0
        assert session.scalar(select(User.password_hash).where(User.username == "xl_lan")) \
            .startswith("$argon2id$")


# --------------------------------------------------------------------------- callbacks' logic


def test_callback_helpers_speak_vietnamese(db: str) -> None:
    error = ValidationError("email", "Thư điện tử 'x' không hợp lệ.")
    assert admin_common.slots(("process_minutes", "email", "phone"), error) == [
        "", "Thư điện tử 'x' không hợp lệ.", "", ""]
    unchanged = ValidationError("email", "Không có thay đổi nào để lưu.", code="unchanged")
    assert admin_common.slots(("email",), unchanged) == ["", "Không có thay đổi nào để lưu."]
    assert admin_log.describe({"before": {"role": "agency_handler", "active": True},
                                     "after": {"role": "agency_leader", "active": False},
                                     "sessions_ended": 2}) == (
        "Vai trò: Người xử lý của cơ quan → Lãnh đạo đơn vị; Trạng thái: hoạt động → ngừng; "
        "Kết thúc 2 phiên đăng nhập")
    assert admin_calendar_tab.season_total(["07:30", "11:30", "13:00", "17:00"]) == \
        "Tổng 8 giờ một ngày"
    assert admin_calendar_tab.season_total(["07:30", "11:30", "13:00", "16:30"]) == \
        "Tổng 7 giờ 30 phút một ngày - cần đủ 8 giờ"
    seasons = admin_calendar_tab.season_inputs_from(
        ["15/4", "14/10", "07:00", "11:30", "13:30", "17:00",
         "15/10", "14/4", "07:30", "11:30", "", ""])
    assert seasons[1] == SeasonInput("winter", "15/10", "14/4", (("07:30", "11:30"),))
    question, pending = admin_confirm.confirmation(
        "admin-user-disable", [{"username": "xl_lan"}], None, None, None, None)
    assert "Khóa tài khoản xl_lan?" in question
    assert pending == {"kind": "user.disable", "target": "xl_lan"}
    assert admin_confirm.confirmation("admin-rule-delete", None, None, [], None, None) is None

    new_user(db, "xl_lan")
    admin_users.disable_user(ADMIN, "xl_lan", url=db)
    rows = admin_log.log_rows()
    assert rows[0]["action_label"] == "Khóa tài khoản"
    assert "Trạng thái: hoạt động → ngừng" in rows[0]["details"]
    assert rows[0]["at_text"].endswith(datetime.now(LOCAL_TZ).strftime("%d/%m/%Y"))
    users = {r["username"]: r for r in users_tab.user_rows()}
    assert users["xl_lan"]["status"] == "Đã khóa"
    budgets = admin_budgets.budget_rows()
    assert budgets[2]["normal"] == "3 ngày" and budgets[2]["emergency"] == "24 giờ"

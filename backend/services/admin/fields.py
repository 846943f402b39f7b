"""Administration of what reports are about and where they go: the fields catalogue (D13.4: the
IOC proposes, the province adjusts the fields accepted) and the routing rules that suggest the
competent agency to the IOC handler (D7.1).

One function per use case, one transaction each, recorded in the event log's `system` stream
with the change's before and after (`backend.services.admin.common.record`). A field is never deleted:
reports keep their field code, so a field stops accepting reports instead; every field keeps at
least one province-wide rule, so any report can be forwarded somewhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend import vietnamese as vn
from backend.domain.workflow import OPEN_STATES, Actor
from backend.services.admin.agencies import get_agency
from backend.services.admin.common import (
    changes,
    checked_text,
    in_transaction,
    record,
    require_admin,
    whole_number,
)
from backend.services.errors import ValidationError
from backend.storage.db import session_factory
from backend.storage.models import AdminUnit, Agency, AgencyField, Area, Field, Report, RoutingRule

MAX_PRIORITY = 999
_FIELD_CODE = re.compile(r"^[a-z][a-z0-9_]{1,31}$", re.ASCII)


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


# --------------------------------------------------------------------------- fields (D13.4)


@dataclass(frozen=True)
class FieldRow:
    """A field of the catalogue with its routing and open reports."""

    code: str
    name: str
    group_name: str
    default_agency: str
    default_agency_name: str | None
    description: str | None
    keywords: str | None
    active: bool
    rules: int
    open_reports: int


_OPEN = tuple(sorted(state.value for state in OPEN_STATES))


def list_fields(url: str | None = None) -> list[FieldRow]:
    """The fields catalogue (active ones first), with rule and open-report counts."""
    with session_factory(url)() as session:
        return _field_rows(session)


def _field_rows(session: Session, code: str | None = None) -> list[FieldRow]:
    names = dict(session.execute(select(Agency.code, Agency.short_name)).all())
    rules = dict(session.execute(select(RoutingRule.field_code, func.count())
                                 .group_by(RoutingRule.field_code)).all())
    open_query = (select(Report.field_code, func.count())
                  .where(Report.state.in_(_OPEN), Report.field_code.is_not(None))
                  .group_by(Report.field_code))
    query = select(Field)
    if code is not None:
        query = query.where(Field.code == code)
        open_query = open_query.where(Report.field_code == code)
    open_reports = dict(session.execute(open_query).all())
    fields = sorted(session.scalars(query), key=lambda f: (not f.active, f.group_name, f.name))
    return [FieldRow(code=f.code, name=f.name, group_name=f.group_name,
                     default_agency=f.default_agency,
                     default_agency_name=names.get(f.default_agency),
                     description=f.description, keywords=f.keywords, active=bool(f.active),
                     rules=rules.get(f.code, 0), open_reports=open_reports.get(f.code, 0))
            for f in fields]


def _keywords(value: Any) -> str | None:
    text = checked_text(value, "keywords", "Từ khóa", max_len=2000, required=False, multiline=True)
    if not text:
        return None
    words = [" ".join(w.split()) for w in re.split(r"[;\n,]", text)]
    return ";".join(dict.fromkeys(w for w in words if w)) or None


def _field(session: Session, code: Any) -> Field:
    item = session.get(Field, code) if code else None
    if item is None:
        raise ValidationError("field", f"Lĩnh vực '{code}' không có trong danh mục.",
                              code="not_found")
    return item


def _unique_field_name(session: Session, name: str, code: str | None = None) -> None:
    for other_code, other in session.execute(select(Field.code, Field.name)):
        if other_code != code and vn.lower(other) == vn.lower(name):
            raise ValidationError("name", f"Đã có lĩnh vực tên '{other}' (mã {other_code}).",
                                  code="exists")


def create_field(actor: Actor, *, code: str, name: str, group_name: str, default_agency: str,
                 description: str | None = None, keywords: str | None = None,
                 now: datetime | None = None, url: str | None = None) -> FieldRow:
    """Open a new field for reports (D13.4: the fields accepted are adjusted to the province's
    needs). It comes with a province-wide routing rule to its agency, so it can be forwarded
    from the first report on."""
    require_admin(actor)
    now = _now(now)
    key = (code or "").strip().lower()
    if not key:
        raise ValidationError("code", "Nhập mã lĩnh vực.", code="required")
    if not _FIELD_CODE.match(key):
        raise ValidationError("code", "Mã lĩnh vực dài 2-32 ký tự: chữ thường không dấu, số và "
                                      "gạch dưới, bắt đầu bằng chữ (ví dụ: cay_xanh).")
    title = checked_text(name, "name", "Tên lĩnh vực", max_len=100)
    group = checked_text(group_name, "group_name", "Nhóm lĩnh vực", max_len=100)
    text = checked_text(description, "description", "Mô tả", max_len=2000, required=False,
                 multiline=True)
    words = _keywords(keywords)

    def work(session: Session) -> FieldRow:
        if session.get(Field, key) is not None:
            raise ValidationError("code", f"Mã lĩnh vực '{key}' đã có.", code="exists")
        _unique_field_name(session, title)
        if not default_agency:
            raise ValidationError("default_agency", "Chọn cơ quan xử lý mặc định.",
                                  code="required")
        agency = session.get(Agency, default_agency)
        if agency is None:
            raise ValidationError("default_agency",
                                  f"Cơ quan '{default_agency}' không có trong danh mục.")
        if not agency.active:
            raise ValidationError("default_agency", f"{agency.name} đã ngừng hoạt động.")
        session.add(Field(code=key, name=title, group_name=group, default_agency=agency.code,
                          description=text, keywords=words, active=True))
        session.flush()
        session.add(AgencyField(agency_code=agency.code, field_code=key))
        session.add(RoutingRule(field_code=key, agency_code=agency.code,
                                priority=10, note="Quy tắc chung tạo cùng lĩnh vực"))
        record(session, actor, "field.create", f"Thêm lĩnh vực {title} ({key}), chuyển mặc định "
               f"cho {agency.short_name}", now, field=key,
               after={"name": title, "group_name": group, "default_agency": agency.code,
                      "description": text, "keywords": words})
        session.flush()
        return _field_row(session, key)

    return in_transaction(url, work)


def _field_row(session: Session, code: str) -> FieldRow:
    return _field_rows(session, code)[0]


def update_field(actor: Actor, code: str, *, name: str, group_name: str,
                 description: str | None, keywords: str | None, now: datetime | None = None,
                 url: str | None = None) -> FieldRow:
    """Rename a field or change its group, description and keywords (the keywords suggest the
    field to the IOC handler). Reports keep their field code, so history is unaffected."""
    require_admin(actor)
    now = _now(now)
    title = checked_text(name, "name", "Tên lĩnh vực", max_len=100)
    group = checked_text(group_name, "group_name", "Nhóm lĩnh vực", max_len=100)
    text = checked_text(description, "description", "Mô tả", max_len=2000, required=False,
                 multiline=True)
    words = _keywords(keywords)

    def work(session: Session) -> FieldRow:
        item = _field(session, code)
        _unique_field_name(session, title, item.code)
        before = {"name": item.name, "group_name": item.group_name,
                  "description": item.description, "keywords": item.keywords}
        after = {"name": title, "group_name": group, "description": text, "keywords": words}
        old, new = changes(before, after)
        if not new:
            raise ValidationError("name", "Không có thay đổi nào để lưu.", code="unchanged")
        item.name, item.group_name, item.description, item.keywords = title, group, text, words
        note = (f"Đổi tên lĩnh vực '{old['name']}' thành '{title}'" if "name" in new
                else f"Sửa lĩnh vực {title}")
        record(session, actor, "field.update", note, now, field=item.code, before=old, after=new)
        session.flush()
        return _field_row(session, item.code)

    return in_transaction(url, work)


def set_field_active(actor: Actor, code: str, active: bool, *, now: datetime | None = None,
                     url: str | None = None) -> FieldRow:
    """Stop (or resume) accepting reports in a field (D13.4). Reports already in that field go
    on to the end of their workflow; only new classification stops offering it."""
    require_admin(actor)
    now = _now(now)

    def work(session: Session) -> FieldRow:
        item = _field(session, code)
        if bool(item.active) == active:
            state = "đang nhận phản ánh" if active else "đã ngừng nhận phản ánh"
            raise ValidationError("field", f"Lĩnh vực {item.name} {state}.", code="unchanged")
        open_reports = session.scalar(select(func.count()).select_from(Report).where(
            Report.field_code == item.code, Report.state.in_(_OPEN)))
        if not active:
            others = session.scalar(select(func.count()).select_from(Field).where(
                Field.active, Field.code != item.code))
            if not others:
                raise ValidationError("field", "Phải còn ít nhất một lĩnh vực nhận phản ánh.")
        item.active = active
        verb = "Mở lại" if active else "Ngừng nhận phản ánh"
        record(session, actor, "field.activate" if active else "field.deactivate",
               f"{verb} lĩnh vực {item.name}", now, field=item.code,
               before={"active": not active}, after={"active": active},
               open_reports=open_reports)
        session.flush()
        return _field_row(session, item.code)

    return in_transaction(url, work)


# --------------------------------------------------------------------------- routing (D7.1)


@dataclass(frozen=True)
class RuleRow:
    """A routing rule: field (+ an area or a unit) → agency suggested to the IOC handler."""

    id: int
    field_code: str
    field_name: str
    place_code: str | None  # the area's or the unit's code; None: the whole province
    place_name: str | None  # "Khu vực TP Thái Nguyên", "Phường Phan Đình Phùng"
    agency_code: str
    agency_name: str
    priority: int
    note: str | None


def list_routing_rules(url: str | None = None) -> list[RuleRow]:
    """Every rule, by field, then province-wide rules, then areas', then units', then
    priority."""
    with session_factory(url)() as session:
        return _rule_rows(session)


def _rule_rows(session: Session, rule_id: int | None = None) -> list[RuleRow]:
    fields = dict(session.execute(select(Field.code, Field.name)).all())
    agencies = dict(session.execute(select(Agency.code, Agency.short_name)).all())
    places = dict(_place_choices(session))
    query = select(RoutingRule)
    if rule_id is not None:
        query = query.where(RoutingRule.id == rule_id)
    rules = sorted(session.scalars(query), key=lambda r: (
        fields.get(r.field_code, r.field_code), 0 if r.unit_code else 1 if r.area_code else 2,
        places.get(_place(r) or "", ""), r.priority))
    return [RuleRow(id=r.id, field_code=r.field_code,
                    field_name=fields.get(r.field_code, r.field_code),
                    place_code=_place(r), place_name=places.get(_place(r) or ""),
                    agency_code=r.agency_code,
                    agency_name=agencies.get(r.agency_code, r.agency_code), priority=r.priority,
                    note=r.note) for r in rules]


def _place(rule: RoutingRule) -> str | None:
    return rule.unit_code or rule.area_code


def _place_choices(session: Session) -> list[tuple[str, str]]:
    areas = [(a.code, f"Khu vực {a.name}") for a in session.scalars(
        select(Area).order_by(Area.sort_order, Area.code))]
    units = sorted(session.execute(select(AdminUnit.code, AdminUnit.name)
                                   .where(AdminUnit.level == "unit")).all(),
                   key=lambda row: vn.sort_key(row[1]))
    return [*areas, *[(code, name) for code, name in units]]


def _where(session: Session, place: str | None) -> str:
    """'mọi địa bàn', 'Khu vực TP Thái Nguyên' or 'Phường Phan Đình Phùng'."""
    if place is None:
        return "mọi địa bàn"
    return dict(_place_choices(session)).get(place, place)


def place_choices(url: str | None = None) -> list[tuple[str, str]]:
    """(code, name) of the places a rule may name: the areas, then the units by name."""
    with session_factory(url)() as session:
        return _place_choices(session)


def _same_place(place: str | None, area: str | None, unit: str | None):
    if place is None:
        return [RoutingRule.area_code.is_(None), RoutingRule.unit_code.is_(None)]
    return [RoutingRule.area_code == area] if area else [RoutingRule.unit_code == unit]


def _sync_default_agency(session: Session, field_code: str) -> tuple[str, str] | None:
    """A field's default agency is its best province-wide rule's (as `data/` requires);
    returns (old, new) when that changed."""
    session.flush()
    best = session.scalar(select(RoutingRule.agency_code).where(
        RoutingRule.field_code == field_code, *_same_place(None, None, None))
        .order_by(RoutingRule.priority, RoutingRule.id).limit(1))
    item = session.get(Field, field_code)
    if best is None or item is None or item.default_agency == best:
        return None
    old, item.default_agency = item.default_agency, best
    return old, best


def add_routing_rule(actor: Actor, *, field_code: str, place_code: str | None,
                     agency_code: str, priority: Any, note: str | None = None,
                     now: datetime | None = None, url: str | None = None) -> RuleRow:
    """Route a field (in one unit, one area, or anywhere) to an agency (D7.1): the IOC handler
    is offered the unit's rules first, then the area's, then the province's, each by priority."""
    require_admin(actor)
    now = _now(now)
    rank = whole_number(priority, "priority", "Thứ tự ưu tiên", 1, MAX_PRIORITY,
                        "(số nhỏ được gợi ý trước)")
    text = checked_text(note, "note", "Ghi chú", max_len=500, required=False)
    place = (place_code or "").strip() or None

    def work(session: Session) -> RuleRow:
        if not field_code:
            raise ValidationError("field", "Chọn lĩnh vực.", code="required")
        item = _field(session, field_code)
        area = place if place is not None and session.get(Area, place) is not None else None
        unit = place if place is not None and session.get(AdminUnit, (place, "unit")) else None
        if place is not None and area is None and unit is None:
            raise ValidationError("place", f"Địa bàn '{place}' không phải khu vực hay xã/phường "
                                           "nào trong danh mục.")
        if not agency_code:
            raise ValidationError("agency", "Chọn cơ quan xử lý.", code="required")
        agency = get_agency(session, agency_code)
        if not agency.active:
            raise ValidationError("agency", f"{agency.name} đã ngừng hoạt động.")
        same_place = session.scalars(select(RoutingRule).where(
            RoutingRule.field_code == item.code, *_same_place(place, area, unit))).all()
        where = _where(session, place)
        for rule in same_place:
            if rule.agency_code == agency.code:
                raise ValidationError("agency", f"Đã có quy tắc {item.name}, {where} → "
                                                f"{agency.short_name} (ưu tiên {rule.priority}).",
                                      code="exists")
            if rule.priority == rank:
                other = session.get(Agency, rule.agency_code)
                holder = other.short_name if other else rule.agency_code
                raise ValidationError("priority", f"Đã có quy tắc {item.name}, {where} với ưu tiên "
                                                  f"{rank} ({holder}); chọn số ưu tiên khác.",
                                      code="exists")
        rule = RoutingRule(field_code=item.code, area_code=area, unit_code=unit,
                           agency_code=agency.code, priority=rank, note=text)
        session.add(rule)
        if session.get(AgencyField, (agency.code, item.code)) is None:
            session.add(AgencyField(agency_code=agency.code, field_code=item.code))
        session.flush()
        default = _sync_default_agency(session, item.code)
        extra = {"default_agency": {"before": default[0], "after": default[1]}} if default else {}
        record(session, actor, "routing.create", f"Thêm quy tắc: {item.name}, {where} → "
               f"{agency.short_name} (ưu tiên {rank})", now, rule=rule.id,
               after={"field": item.code, "place": place, "agency": agency.code,
                      "priority": rank, "note": text}, **extra)
        return _rule_rows(session, rule.id)[0]

    return in_transaction(url, work)


def remove_routing_rule(actor: Actor, rule_id: Any, *, now: datetime | None = None,
                        url: str | None = None) -> None:
    """Delete a rule that no longer reflects who is competent. Every field keeps at least one
    province-wide rule, so a report can always be forwarded somewhere."""
    require_admin(actor)
    now = _now(now)
    try:
        number = int(rule_id)
    except (TypeError, ValueError):
        raise ValidationError("rule", "Chọn một quy tắc để xóa.", code="required") from None

    def work(session: Session) -> None:
        rule = session.get(RoutingRule, number)
        if rule is None:
            raise ValidationError("rule", "Quy tắc này không còn (có thể vừa bị xóa).",
                                  code="not_found")
        item = session.get(Field, rule.field_code)
        if _place(rule) is None:
            general = session.scalar(select(func.count()).select_from(RoutingRule).where(
                RoutingRule.field_code == rule.field_code, *_same_place(None, None, None)))
            if general <= 1:
                raise ValidationError("rule", f"Lĩnh vực {item.name} cần ít nhất một quy tắc cho "
                                              "mọi địa bàn; thêm quy tắc khác trước khi xóa "
                                              "quy tắc này.")
        agency = session.get(Agency, rule.agency_code)
        where = _where(session, _place(rule))
        before = {"field": rule.field_code, "place": _place(rule),
                  "agency": rule.agency_code, "priority": rule.priority, "note": rule.note}
        session.delete(rule)
        default = _sync_default_agency(session, before["field"])
        extra = {"default_agency": {"before": default[0], "after": default[1]}} if default else {}
        record(session, actor, "routing.delete", f"Xóa quy tắc: {item.name}, {where} → "
               f"{agency.short_name if agency else before['agency']} (ưu tiên "
               f"{before['priority']})", now, rule=number, before=before, **extra)

    in_transaction(url, work)

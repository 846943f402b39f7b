"""`ioc db upgrade`: migrations, then the reference data from data/ into the database.

Loading is idempotent and never overwrites what the administrator edits in the database
(agencies, fields, routing rules, override days): rows that already exist are left as they are.
The places are the files' alone: unit names and seats follow `data/geo/`, areas and the unit ->
area grouping follow `data/areas.csv` and `data/unit_areas.csv` at every upgrade.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.config import data_dir, geo_dir
from backend.reference import files as refdata
from backend.reference.rules import load_calendar_overrides
from backend.storage.db import engine_for, session_factory
from backend.storage.migrate import upgrade
from backend.storage.models import (
    AdminUnit,
    Agency,
    AgencyField,
    Area,
    CalendarOverride,
    Field,
    RoutingRule,
)
from geo.boundaries import read_places


def prepare_database(url: str | None = None) -> str:
    """Migrate to head and load missing reference rows; returns a one-line summary."""
    upgrade(engine_for(url))
    with session_factory(url)() as session, session.begin():
        added = load_reference_data(session)
    return "đã nâng cấp lược đồ; " + (
        ", ".join(f"thêm {n} {what}" for what, n in added.items() if n) or "danh mục đã đủ"
    )


def _insert_missing(session: Session, model, key: str, rows: Iterable[dict]) -> int:
    existing = set(session.scalars(select(getattr(model, key))))
    added = 0
    for row in rows:
        if row[key] not in existing:
            session.add(model(**row))
            existing.add(row[key])
            added += 1
    session.flush()
    return added


def load_reference_data(session: Session) -> dict[str, int]:
    """Insert the agencies, fields, routing rules, units and override days that are missing."""
    folder = data_dir()
    problems = refdata.validate(folder)
    if problems:
        raise ValueError("dữ liệu danh mục không hợp lệ: " + "; ".join(problems[:3]))
    agencies = refdata.load_agencies(folder)
    fields = refdata.load_fields(folder)
    added = {
        "cơ quan": _insert_missing(session, Agency, "code", (
            dict(code=a.code, name=a.name, short_name=a.short_name, kind=a.kind,
                 unit_code=a.unit_code, parent_code=a.parent_code,
                 process_minutes=a.process_minutes,
                 leader_name=a.leader_name, leader_title=a.leader_title,
                 handler_name=a.handler_name, handler_title=a.handler_title,
                 email=a.email, phone=a.phone, active=a.active) for a in agencies)),
        "lĩnh vực": _insert_missing(session, Field, "code", (
            dict(code=f.code, name=f.name, group_name=f.group, default_agency=f.default_agency,
                 description=f.description, keywords=";".join(f.keywords), active=f.active)
            for f in fields)),
    }
    pairs = {(a, f) for a, f in session.execute(select(AgencyField.agency_code,
                                                       AgencyField.field_code))}
    field_codes = {f.code for f in fields}
    new_pairs = [(a.code, f) for a in agencies for f in a.fields
                 if f in field_codes and (a.code, f) not in pairs]
    session.add_all(AgencyField(agency_code=a, field_code=f) for a, f in new_pairs)
    added["phân công lĩnh vực"] = len(new_pairs)
    rules = {(r.field_code, r.area_code, r.unit_code, r.agency_code)
             for r in session.scalars(select(RoutingRule))}
    new_rules = [r for r in refdata.load_routing(folder)
                 if (r.field, r.area_code, r.unit_code, r.agency) not in rules]
    session.add_all(RoutingRule(field_code=r.field, area_code=r.area_code, unit_code=r.unit_code,
                                agency_code=r.agency, priority=r.priority, note=r.note)
                    for r in new_rules)
    added["quy tắc phân phối"] = len(new_rules)
    added["khu vực"] = _load_areas(session, refdata.load_areas(folder))
    added["đơn vị hành chính"] = _load_units(session, refdata.load_unit_areas(folder))
    added["ngày điều chỉnh lịch"] = _load_overrides(session)
    return added


def _load_areas(session: Session, areas: list[refdata.Area]) -> int:
    """The areas of data/areas.csv: added when new, renamed and reordered as the file says
    (the file is where an administrator regroups the province; `ioc db upgrade` applies it)."""
    existing = {a.code: a for a in session.scalars(select(Area))}
    added = 0
    for item in areas:
        row = existing.get(item.code)
        if row is None:
            session.add(Area(code=item.code, name=item.name, full_name=item.full_name,
                             sort_order=item.sort_order))
            added += 1
        else:
            row.name, row.full_name, row.sort_order = item.name, item.full_name, item.sort_order
    session.flush()
    return added


def _load_units(session: Session, unit_areas: dict[str, str]) -> int:
    """The units of 1/7/2025 with their area, and the former districts and communes, from the
    geography folder. Names and seats follow the folder; each unit's area follows
    data/unit_areas.csv (an administrator's regrouping, applied by `ioc db upgrade`)."""
    places = read_places(geo_dir())
    rows = [dict(code=u.code, level="unit", name=u.name, parent_code=None, lat=u.lat, lon=u.lon,
                 area_code=unit_areas.get(u.code)) for u in places.units.itertuples()]
    rows += [dict(code=d.code, level="former_district", name=d.full_name, parent_code=None,
                  lat=None, lon=None, area_code=None)
             for d in places.former_districts.itertuples()]
    rows += [dict(code=c.code, level="former_commune", name=c.name, parent_code=c.district_code,
                  lat=c.lat, lon=c.lon, area_code=None)
             for c in places.former_communes.itertuples()]
    existing = {(u.code, u.level): u for u in session.scalars(select(AdminUnit))}
    added = 0
    for row in rows:
        unit = existing.get((row["code"], row["level"]))
        if unit is None:
            session.add(AdminUnit(**row))
            added += 1
            continue
        unit.name, unit.lat, unit.lon = row["name"], row["lat"], row["lon"]
        if row["level"] == "unit":
            unit.area_code = row["area_code"]
    return added


def _load_overrides(session: Session) -> int:
    """The shipped override days (CALENDAR.md), unless the administrator already set that day."""
    existing = set(session.scalars(select(CalendarOverride.day)))
    added = 0
    for item in load_calendar_overrides():
        if item.day not in existing:
            session.add(CalendarOverride(day=item.day, working=item.working,
                                         note=item.note or None))
            added += 1
    return added

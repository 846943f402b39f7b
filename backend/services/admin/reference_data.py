"""`ioc db upgrade`: migrations, then the reference data from data/ into the database.

Loading is idempotent and never overwrites: rows that already exist are left as they are, so an
administrator's edits in the database (agencies, fields, override days) survive every upgrade.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable

import pandas as pd
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
    CalendarOverride,
    Field,
    RoutingRule,
)


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
                 district_code=a.district_code or None, process_minutes=a.process_minutes,
                 leader_name=a.leader_name, leader_title=a.leader_title,
                 handler_name=a.handler_name, handler_title=a.handler_title,
                 email=a.email, phone=a.phone, active=True) for a in agencies)),
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
    rules = {(r.field_code, r.district_code, r.agency_code)
             for r in session.scalars(select(RoutingRule))}
    new_rules = [r for r in refdata.load_routing(folder)
                 if (r.field, r.district_code or None, r.agency) not in rules]
    session.add_all(RoutingRule(field_code=r.field, district_code=r.district_code or None,
                                agency_code=r.agency, priority=r.priority, note=r.note)
                    for r in new_rules)
    added["quy tắc phân phối"] = len(new_rules)
    added["đơn vị hành chính"] = _load_units(session)
    added["ngày điều chỉnh lịch"] = _load_overrides(session)
    return added


def _load_units(session: Session) -> int:
    """Districts from data/districts.csv; communes and 2025 units from the boundary folder."""
    existing = set(session.execute(select(AdminUnit.code, AdminUnit.level)))
    rows = []
    districts = pd.read_csv(data_dir() / "districts.csv", dtype={"district_code": str})
    for d in districts.itertuples():
        rows.append(dict(code=d.district_code, level="district", name=d.full_name,
                         parent_code=None, lat=None, lon=None, population=int(d.population)))
    folder = geo_dir()
    for filename, level in (("thai_nguyen_units_legacy.csv", "commune"),
                            ("thai_nguyen_units_2025.csv", "unit_2025")):
        path = folder / filename if folder else None
        if path is None or not path.exists():
            continue
        with path.open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                rows.append(dict(code=row["ward_code"], level=level, name=row["ward_name"],
                                 parent_code=row.get("district_code") or None,
                                 lat=float(row["lat"]), lon=float(row["lon"]), population=None))
    added = 0
    for row in rows:
        key = (row["code"], row["level"])
        if key not in existing:  # the 2025 list repeats one code (02143); keep the first
            session.add(AdminUnit(**row))
            existing.add(key)
            added += 1
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

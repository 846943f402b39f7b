"""Names and groups of places, as stored: areas in display order, each unit's name and area,
the former districts and communes. One `PlaceIndex` per database, re-read after a short time so
an administrator's regrouping reaches every process without a restart."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from sqlalchemy import select

from backend.config import database_url
from backend.storage.db import session_factory
from backend.storage.models import AdminUnit, Area

REFRESH_SECONDS = 30.0
UNIT_LABEL = "Xã/phường"
AREA_LABEL = "Khu vực"
FORMER_LABEL = "Trước 1/7/2025"


@dataclass(frozen=True)
class AreaInfo:
    """An area: code, short name (wall columns), full name, display order."""

    code: str
    name: str
    full_name: str
    sort_order: int


@dataclass(frozen=True)
class UnitInfo:
    """A unit of 1/7/2025: code, name, its area, its seat."""

    code: str
    name: str
    area_code: str | None
    lat: float | None
    lon: float | None


@dataclass(frozen=True)
class PlaceIndex:
    """Every place name and the unit -> area grouping, read at once."""

    areas: tuple[AreaInfo, ...]
    units: dict[str, UnitInfo]
    former_districts: dict[str, str]
    former_communes: dict[str, str]
    _members: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        members: dict[str, list[str]] = {}
        for unit in sorted(self.units.values(), key=lambda u: u.name):
            if unit.area_code:
                members.setdefault(unit.area_code, []).append(unit.code)
        self._members.update({k: tuple(v) for k, v in members.items()})

    def area_of(self, unit_code: str | None) -> str | None:
        """The area a unit is in (None for an unknown or missing unit)."""
        unit = self.units.get(unit_code or "")
        return unit.area_code if unit else None

    def units_of(self, area_code: str) -> tuple[str, ...]:
        """The units of an area, by name."""
        return self._members.get(area_code, ())

    def unit_to_area(self) -> dict[str, str]:
        """Unit code -> area code, for grouping figures and dissolving polygons."""
        return {u.code: u.area_code for u in self.units.values() if u.area_code}

    def area_names(self) -> dict[str, str]:
        """Area code -> short name, in display order."""
        return {a.code: a.name for a in self.areas}

    def unit_names(self) -> dict[str, str]:
        """Unit code -> name."""
        return {u.code: u.name for u in self.units.values()}

    def area_name(self, code: str | None) -> str | None:
        return next((a.name for a in self.areas if a.code == code), None)

    def unit_name(self, code: str | None) -> str | None:
        unit = self.units.get(code or "")
        return unit.name if unit else None


def read_place_index(url: str | None = None) -> PlaceIndex:
    """Read the places from the database now."""
    with session_factory(url)() as session:
        areas = tuple(AreaInfo(a.code, a.name, a.full_name, a.sort_order) for a in session.scalars(
            select(Area).order_by(Area.sort_order, Area.code)))
        units, districts, communes = {}, {}, {}
        for u in session.scalars(select(AdminUnit)):
            if u.level == "unit":
                units[u.code] = UnitInfo(u.code, u.name, u.area_code, u.lat, u.lon)
            elif u.level == "former_district":
                districts[u.code] = u.name
            elif u.level == "former_commune":
                communes[u.code] = u.name
    return PlaceIndex(areas, units, districts, communes)


_cache: dict[str | None, tuple[float, PlaceIndex]] = {}
_lock = threading.Lock()


def place_index(url: str | None = None) -> PlaceIndex:
    """The places of `url`, at most `REFRESH_SECONDS` old (`forget_places` after a change)."""
    key = url or database_url()
    now = time.monotonic()
    hit = _cache.get(key)
    if hit is not None and now - hit[0] < REFRESH_SECONDS:
        return hit[1]
    index = read_place_index(key)
    with _lock:
        _cache[key] = (now, index)
    return index


def forget_places() -> None:
    """Drop the cached index (after the administrator regroups units, and in tests)."""
    with _lock:
        _cache.clear()


def place_fields(index: PlaceIndex, unit: str | None, former_district: str | None = None,
                 former_commune: str | None = None) -> dict[str, str | None]:
    """How a payload names a report's place: unit and area (codes and names), and the former
    district and commune of a report dated before 1/7/2025."""
    area = index.area_of(unit)
    return {
        "unit": unit, "unit_name": index.unit_name(unit),
        "area": area, "area_name": index.area_name(area),
        "former_district": former_district,
        "former_district_name": index.former_districts.get(former_district or ""),
        "former_commune": former_commune,
        "former_commune_name": index.former_communes.get(former_commune or ""),
    }


def units_of_area(area: str):
    """The unit codes of an area, as a subquery (read with the query, never stale)."""
    return select(AdminUnit.code).where(AdminUnit.level == "unit", AdminUnit.area_code == area)


def place_condition(unit_column, area: str | None = None, unit: str | None = None) -> list:
    """SQL conditions on a unit column for an area and/or unit filter (an unknown area matches
    nothing, as an unknown unit does)."""
    conditions = []
    if area:
        conditions.append(unit_column.in_(units_of_area(area)))
    if unit:
        conditions.append(unit_column == unit)
    return conditions

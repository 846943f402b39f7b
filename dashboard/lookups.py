"""Names and choices the workflow pages show (fields, agencies, places), read once per few
minutes through the shared cache; plain data only, so any cache backend can hold them.

Places since 1/7/2025: a report's unit ("Xã/phường", 5-digit code) and the area it belongs to
("Khu vực", the former districts by default), as `backend.services.places.catalogue` reads them.
"""

from __future__ import annotations

from typing import Any

from backend.services.places.catalogue import place_index
from backend.services.reads import catalogue
from backend.vietnamese import fold, sort_key
from dashboard import cache

TIMEOUT = 300
PLACES_TIMEOUT = 30  # as long as the place index itself: a regrouping shows within a minute


def area_names() -> dict[str, str]:
    """Area code → short name ("TP Thái Nguyên", "Ba Bể"), in the areas' display order."""
    return cache.remember("wf:areas", PLACES_TIMEOUT, lambda: place_index().area_names())


def unit_names() -> dict[str, str]:
    """Unit code → name ("Phường Phan Đình Phùng")."""
    return cache.remember("wf:units", PLACES_TIMEOUT, lambda: place_index().unit_names())


def unit_areas() -> dict[str, str]:
    """Unit code → its area's code."""
    return cache.remember("wf:unit-areas", PLACES_TIMEOUT, lambda: place_index().unit_to_area())


def area_units(area: str | None) -> dict[str, str]:
    """The units of `area` (every unit when no area is given), code → name."""
    names, areas = unit_names(), unit_areas()
    return {code: name for code, name in names.items() if not area or areas.get(code) == area}


def field_names() -> dict[str, str]:
    return cache.remember("wf:fields", TIMEOUT,
                          lambda: {f.code: f.name for f in catalogue.list_fields()})


def agency_names() -> dict[str, str]:
    return cache.remember("wf:agencies", TIMEOUT,
                          lambda: {a.code: a.name for a in catalogue.list_agencies()})


def option(label: str, value: Any) -> dict[str, Any]:
    """A dropdown option that is also found when typed without diacritics ("giao thong")."""
    return {"label": label, "value": value, "search": f"{label} {fold(label)}"}


def options(names: dict[str, str]) -> list[dict[str, Any]]:
    """Dropdown options in Vietnamese alphabetical order of their label."""
    return [option(label, code)
            for code, label in sorted(names.items(), key=lambda item: sort_key(item[1]))]


def area_options() -> list[dict[str, Any]]:
    """The areas in their display order (the former districts' order, not the alphabet)."""
    return [option(name, code) for code, name in area_names().items()]


def unit_options(area: str | None) -> list[dict[str, Any]]:
    """The units of `area` (all units when none is chosen), alphabetically."""
    return options(area_units(area))

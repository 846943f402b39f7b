"""Names and choices the workflow pages show (fields, agencies, places), read once per few
minutes through the shared cache; plain data only, so any cache backend can hold them."""

from __future__ import annotations

from typing import Any

from backend.services.admin.units import unit_names
from backend.services.reads import catalogue
from backend.vietnamese import fold, sort_key
from dashboard import cache
from geo.boundaries import short_district_name

TIMEOUT = 300


def district_names() -> dict[str, str]:
    """District code → short name without its type ('Thái Nguyên', 'Phổ Yên'), as on the wall."""
    return cache.remember("wf:districts", TIMEOUT, lambda: {
        code: short_district_name(name) for code, name in catalogue.district_names().items()})


def commune_names() -> dict[str, str]:
    return cache.remember("wf:communes", TIMEOUT, lambda: unit_names("commune"))


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

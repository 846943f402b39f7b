"""What the IOC handler is offered when classifying a report (D7.1): a field and an agency.

The routing rules and the field catalogue are the stored ones (an administrator may edit them),
ranked by the same rules as the reference data (`backend.reference.files`): the rules of the report's
unit first, then of its area, then the province's, each by priority; retired agencies are never
offered. A field's keywords found in the description suggest the field.
"""

from __future__ import annotations

from sqlalchemy import select

from backend.reference import files as refdata
from backend.services.places.catalogue import place_index
from backend.storage.db import session_factory
from backend.storage.models import Agency, Field, RoutingRule


def ranked_agencies(field_code: str | None, unit_code: str | None,
                    url: str | None = None) -> list[str]:
    """Agency codes that may handle `field_code` in unit `unit_code`, best first (may be empty)."""
    if not field_code:
        return []
    with session_factory(url)() as session:
        rows = session.execute(
            select(RoutingRule.field_code, RoutingRule.area_code, RoutingRule.unit_code,
                   RoutingRule.agency_code, RoutingRule.priority)
            .join(Agency, Agency.code == RoutingRule.agency_code)
            .where(RoutingRule.field_code == field_code, Agency.active.is_(True))).all()
    rules = [refdata.RoutingRule(f, area, unit, a, p, "") for f, area, unit, a, p in rows]
    return refdata.rank_agencies(rules, field_code, unit_code,
                                 place_index(url).area_of(unit_code))


def suggest_agency(field_code: str | None, unit_code: str | None,
                   url: str | None = None) -> str | None:
    """The agency pre-selected in the forward form, or None when no rule covers the field."""
    ranked = ranked_agencies(field_code, unit_code, url)
    return ranked[0] if ranked else None


def suggest_field(description: str, url: str | None = None) -> str | None:
    """The active field whose keywords the description mentions most (None: no keyword)."""
    with session_factory(url)() as session:
        rows = session.scalars(select(Field).where(Field.active.is_(True))
                               .order_by(Field.code)).all()
    fields = [refdata.Field(f.code, f.name, f.group_name, f.default_agency, f.description or "",
                            tuple(k for k in (f.keywords or "").split(";") if k), True)
              for f in rows]
    return refdata.suggest_field(fields, description)

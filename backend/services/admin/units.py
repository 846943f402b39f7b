"""Names of administrative units, for showing where a report is (district, commune)."""

from __future__ import annotations

from sqlalchemy import select

from backend.storage.db import session_factory
from backend.storage.models import AdminUnit


def unit_names(level: str, url: str | None = None) -> dict[str, str]:
    """Code → Vietnamese name of every unit of `level` (district, commune or unit_2025).

    The report panels show the commune a report falls in; the catalogue only lists districts.
    """
    with session_factory(url)() as session:
        rows = session.execute(select(AdminUnit.code, AdminUnit.name)
                               .where(AdminUnit.level == level).order_by(AdminUnit.code))
        return {code: name for code, name in rows}

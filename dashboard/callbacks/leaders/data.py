"""What the leaders' page picked (period, filters) and how it names the filters; the data itself
comes through the shared cache from `backend.web.leaders_data`."""

from __future__ import annotations

from backend.services import kpis
from backend.services.kpis import leaders as service
from dashboard import lookups


def selection(period_code: str | None, field: str | None, district: str | None,
              agency: str | None) -> tuple[kpis.Period, kpis.Filters]:
    """The period (a month or a quarter) and filters picked on the page."""
    period = kpis.Period.parse(period_code or service.current_period("month").code)
    if period.kind not in ("month", "quarter"):
        raise kpis.PeriodError("Chọn một tháng hoặc một quý.")
    return period, kpis.Filters(field=field or None, district=district or None,
                               agency=agency or None)


def filters_label(filters: kpis.Filters) -> str:
    """"Lĩnh vực: Giao thông · Địa bàn: TP Thái Nguyên" (empty without filters)."""
    parts = []
    for name, title, names in (("field", "Lĩnh vực", lookups.field_names),
                               ("district", "Địa bàn", lookups.district_names),
                               ("agency", "Cơ quan", lookups.agency_names)):
        code = getattr(filters, name)
        if code:
            parts.append(f"{title}: {names().get(code, code)}")
    return " · ".join(parts)

"""What the leaders' page picked (period, filters) and how it names the filters; the data itself
comes through the shared cache from `backend.web.leaders_data`."""

from __future__ import annotations

from backend.services import kpis
from backend.services.kpis import leaders as service
from backend.services.places.catalogue import AREA_LABEL, UNIT_LABEL
from dashboard import lookups


def selection(period_code: str | None, field: str | None, area: str | None, unit: str | None,
              agency: str | None) -> tuple[kpis.Period, kpis.Filters]:
    """The period (a month or a quarter) and filters picked on the page."""
    period = kpis.Period.parse(period_code or service.current_period("month").code)
    if period.kind not in ("month", "quarter"):
        raise kpis.PeriodError("Chọn một tháng hoặc một quý.")
    return period, kpis.Filters(field=field or None, area=area or None, unit=unit or None,
                               agency=agency or None)


def filters_label(filters: kpis.Filters) -> str:
    """"Lĩnh vực: Giao thông · Khu vực: TP Thái Nguyên · Xã/phường: Phường Phan Đình Phùng"
    (empty without filters)."""
    parts = []
    for name, title, names in (("field", "Lĩnh vực", lookups.field_names),
                               ("area", AREA_LABEL, lookups.area_names),
                               ("unit", UNIT_LABEL, lookups.unit_names),
                               ("agency", "Cơ quan", lookups.agency_names)):
        code = getattr(filters, name)
        if code:
            parts.append(f"{title}: {names().get(code, code)}")
    return " · ".join(parts)

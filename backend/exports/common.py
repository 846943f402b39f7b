"""What the Word and Excel packs share: the figures of one period and the tables built from them.

Both writers render the same :class:`Table` objects, so a figure in the Word report is the
same number as in the workbook by construction (and the tests check it). Numbers are shown the
Vietnamese way (83.412; 92,4%; 12,5), dates dd/mm/yyyy, times in Asia/Ho_Chi_Minh.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from backend.config import data_dir
from backend.reference.rules import read_toml
from backend.services import kpis
from backend.storage import snapshots

Progress = Callable[[float, str], None]


# =========================================================================== texts


@lru_cache(maxsize=4)
def _texts(path: str) -> dict[str, Any]:
    return read_toml(Path(path))


def pack_texts() -> dict[str, Any]:
    """``data/templates/report_pack.toml``: every word of the packs."""
    return _texts(str(data_dir() / "templates" / "report_pack.toml"))


# =========================================================================== formatting





























# =========================================================================== the data of a pack


@dataclass
class PackData:
    """Every figure of one pack, computed once and read by all three writers."""

    period: kpis.Period
    filters: kpis.Filters
    now: dt.datetime  # the instant the figures describe
    current: kpis.Snapshot
    previous: kpis.Snapshot
    figures: dict[str, Any]
    previous_figures: dict[str, Any]
    targets: kpis.KpiTargets
    headlines: list[kpis.Headline]
    stages: pd.DataFrame
    by_field: pd.DataFrame
    by_area: pd.DataFrame
    by_unit: pd.DataFrame  # every unit of the province, with its area (the sheet has 92 rows)
    by_agency: pd.DataFrame
    ranking: pd.DataFrame
    overdue: pd.DataFrame
    overdue_units: pd.DataFrame
    trend: pd.DataFrame
    url: str | None = None
    tables: dict[str, Table] = field(default_factory=dict)

    @property
    def texts(self) -> dict[str, Any]:
        return pack_texts()

    def target_of(self, key: str) -> float | None:
        """The target of a figure: a headline target, or a stage's on-time target."""
        for spec in self.targets.headline:
            if spec.key == key and spec.target is not None:
                return spec.target
        if key.startswith("rate.on_time."):
            return self.targets.stage_targets.get(key.removeprefix("rate.on_time."))
        return None

    def better_of(self, key: str) -> str:
        for spec in self.targets.headline:
            if spec.key == key:
                return spec.better
        return "higher"

    def filters_label(self) -> str | None:
        """The filters in words ("Lĩnh vực: Giao thông; Khu vực: ..."), None without filters."""
        if self.filters.empty:
            return None
        columns = self.texts["columns"]
        parts = []
        for name in ("field", "area", "unit", "agency"):
            code = getattr(self.filters, name)
            if code:
                parts.append(f"{columns[name]}: {self.current.names.of(name, code)}")
        if self.filters.channel:
            parts.append(kpis.channel_name(self.filters.channel))
        return "; ".join(parts)


def collect(period: kpis.Period, filters: kpis.Filters | None = None, *,
            now: dt.datetime | None = None, url: str | None = None,
            progress: Progress | None = None) -> PackData:
    """Compute every figure of a pack (the only database work of a pack but the CSV rows)."""
    say = progress or (lambda fraction, message: None)
    filters = filters or kpis.Filters()
    now = kpis.as_of(now)
    targets = kpis.load_targets()
    say(0.02, "Đang tổng hợp số liệu kỳ báo cáo và kỳ trước…")

    def this_period() -> tuple[kpis.Snapshot, dict]:
        snap = kpis.snapshot(period, filters, now=now, url=url)
        return snap, snap.figures()  # counts, then every report's working hours

    def last_period() -> tuple[kpis.Snapshot, dict]:
        snap = kpis.snapshot(period.previous(), filters, now=now, url=url)
        # the previous period's hours are shown for processing and end to end only
        return snap, snap.figures(hours=("process", "e2e"))

    (current, figures), (previous, previous_figures) = snapshots.parallel_reads(
        url, this_period, last_period)
    say(0.35, "Đang tính xu hướng theo tháng…")
    months = int(pack_texts().get("trend_months", 6))
    trend = _trend(period, previous, current, months, filters, now, url)
    say(0.42, "Đang lập danh sách trễ hạn…")
    overdue = current.overdue()
    overdue = overdue.sort_values(["responsible_name", "hours_late", "code"],
                                  ascending=[True, False, True], kind="stable")
    overdue = overdue.reset_index(drop=True)
    data = PackData(
        period=period, filters=filters, now=now, current=current, previous=previous,
        figures=figures, previous_figures=previous_figures, targets=targets,
        headlines=kpis.headlines(current, previous, targets, previous_figures=previous_figures),
        stages=current.stage_table(targets),
        by_field=current.by("field"), by_area=current.by("area"), by_unit=_every_unit(current),
        by_agency=current.by("agency"), ranking=current.ranking(targets.min_sample),
        overdue=overdue, overdue_units=kpis.overdue_by_responsible(overdue), trend=trend, url=url,
    )
    data.tables = build_tables(data)
    return data


def _trend(period: kpis.Period, previous: kpis.Snapshot, current: kpis.Snapshot, months: int,
           filters: kpis.Filters, now: dt.datetime, url: str | None) -> pd.DataFrame:
    """The last ``months`` months: those of the two snapshots from their counts, the earlier
    ones (a monthly pack's) from one slim query."""
    if period.kind == "range":  # its months are partial: count them whole
        return kpis.monthly_trend(period, filters, months=months, now=now, url=url)
    wanted = [m.code for m in period.months_back(months)]
    known = pd.concat([previous.trend(), current.trend()], ignore_index=True)
    known = known[known["month"].isin(wanted)]
    missing = [code for code in wanted if code not in set(known["month"])]
    parts = [known]
    if missing:
        last = kpis.Period.parse(missing[-1])
        parts.insert(0, kpis.monthly_trend(last, filters, months=len(missing), now=now, url=url))
    trend = pd.concat(parts, ignore_index=True)
    return trend.sort_values("start").reset_index(drop=True)


# =========================================================================== tables


@dataclass
class Column:
    """One column: its key in the table's frame, header, and how its values are shown.

    kind: text, int, rate, hours, datetime, figure (the row's own unit, see Table.units),
    change (a difference in the row's unit; rates in percentage points).
    """

    key: str
    header: str
    kind: str
    docx: bool = True


@dataclass
class Table:
    """A table of the pack: a sheet of the workbook and (its ``docx`` columns) a Word table."""

    key: str
    sheet: str
    title: str
    columns: list[Column]
    frame: pd.DataFrame
    total: dict[str, Any] | None = None
    units: list[str] | None = None  # per row, for "figure" columns
    sections: frozenset[int] = frozenset()  # rows that are section titles (summary)
    numbered: bool = True  # first column STT

    def docx_columns(self) -> list[Column]:
        return [c for c in self.columns if c.docx]


def _headers() -> dict[str, str]:
    return pack_texts()["columns"]


def _value(figures: dict[str, Any], key: str) -> Any:
    value = figures.get(key)
    return None if value is None or (isinstance(value, float) and np.isnan(value)) else value


def _change(unit: str, now: Any, before: Any) -> Any:
    if now is None or before is None:
        return None
    delta = float(now) - float(before)
    return delta * 100 if unit == "rate" else delta


def _summary(data: PackData) -> Table:
    texts, h = data.texts, _headers()
    cur, prev = data.figures, data.previous_figures
    rows, units, sections = [], [], set()
    channels_now = data.current.groups.groupby("channel")["received"].sum()
    channels_before = data.previous.groups.groupby("channel")["received"].sum()

    def add(label_text: str, unit: str, now: Any, before: Any, key: str | None) -> None:
        target = data.target_of(key) if key else None
        met = None
        if target is not None and now is not None:
            ok = now >= target if data.better_of(key) == "higher" else now <= target
            met = h["met_yes"] if ok else h["met_no"]
        rows.append({"figure": label_text, "current": now, "previous": before,
                     "change": _change(unit, now, before), "target": target, "met": met})
        units.append(unit)

    for section in texts["summary"]:
        sections.add(len(rows))
        rows.append({"figure": section["title"]})
        units.append("count")
        for key in section["keys"]:
            add(kpis.label(key), kpis.unit_of(key), _value(cur, key), _value(prev, key), key)
        if section.get("channels"):
            for code in sorted(set(channels_now.index) | set(channels_before.index)):
                add(f"- {kpis.channel_name(code)}", "count", int(channels_now.get(code, 0)),
                    int(channels_before.get(code, 0)), None)
    frame = pd.DataFrame(rows, columns=["figure", "current", "previous", "change", "target",
                                        "met"])
    period_now, period_before = data.period.title_vi, data.previous.period.title_vi
    columns = [
        Column("figure", h["figure"], "text"),
        Column("current", f"{h['current']} ({period_now})", "figure"),
        Column("previous", f"{h['previous']} ({period_before})", "figure"),
        Column("change", h["change"], "change"),
        Column("target", h["target"], "figure"),
        Column("met", h["met"], "text"),
    ]
    return Table("summary", texts["sheets"]["summary"], texts["titles"]["summary"], columns,
                 frame, units=units, sections=frozenset(sections), numbered=False)


def _headline(data: PackData) -> Table:
    """The headline rows of the summary (docx table 1), same labels and values."""
    summary = data.tables["summary"]
    positions = {label: index for index, label in enumerate(summary.frame["figure"])
                 if index not in summary.sections}
    chosen = [positions[kpis.label(spec.key)] for spec in data.targets.headline
              if kpis.label(spec.key) in positions]
    frame = summary.frame.iloc[chosen].reset_index(drop=True)
    units = [(summary.units or [])[i] for i in chosen]
    return Table("headline", summary.sheet, data.texts["titles"]["headline"],
                 [c for c in summary.columns if c.key != "change"], frame, units=units,
                 numbered=False)


def _stages(data: PackData) -> Table:
    texts, h = data.texts, _headers()
    table = data.stages
    frame = pd.DataFrame({
        "stage": table["name"], "on_time": table["on_time"], "late": table["late"],
        "late_notice": table["late_notice"], "late_no_notice": table["late_no_notice"],
        "overdue": table["overdue"], "pending": table["pending"],
        "rate_on_time": table["on_time_rate"], "target": table["target"],
        "hours_avg": table["hours_avg"], "hours_median": table["hours_median"],
    }).reset_index(drop=True)
    columns = [
        Column("stage", h["stage"], "text"),
        Column("on_time", h["on_time"], "int"),
        Column("late", h["late"], "int"),
        Column("late_notice", h["late_notice"], "int", docx=False),
        Column("late_no_notice", h["late_no_notice"], "int", docx=False),
        Column("overdue", h["overdue"], "int"),
        Column("pending", h["pending"], "int", docx=False),
        Column("rate_on_time", h["rate_on_time"], "rate"),
        Column("target", h["target"], "rate"),
        Column("hours_avg", h["hours_avg"], "hours", docx=False),
        Column("hours_median", h["hours_median"], "hours"),
    ]
    return Table("stages", texts["sheets"]["stages"], texts["titles"]["stages"], columns, frame)


def _totals(frame: pd.DataFrame, columns: list[Column], label_key: str,
            figures: dict[str, Any], mapping: dict[str, str]) -> dict[str, Any]:
    """The total row: counts summed, ratios and hours from the period's own figures."""
    total: dict[str, Any] = {label_key: pack_texts()["workbook"]["total"]}
    for column in columns:
        if column.key == label_key:
            continue
        source = mapping.get(column.key)
        if column.kind == "int" and source is None:
            total[column.key] = int(pd.to_numeric(frame[column.key]).sum())
        elif source is not None:
            total[column.key] = _value(figures, source)
    return total


_AREA_SOURCES = {
    "received": "received", "rejected": "rejected", "forwarded": "forwarded",
    "returned": "returned", "escalated": "escalated", "answered": "answered",
    "e2e_on_time": "e2e.on_time", "e2e_late": "e2e.late", "rate_e2e": "rate.on_time.e2e",
    "e2e_overdue": "e2e.overdue", "hours_median_process": "hours.median.process",
    "rate_satisfied": "rate.satisfied",
}


def _every_unit(snap: kpis.Snapshot) -> pd.DataFrame:
    """`Snapshot.by("unit")` over every unit of the province (none left out for having no
    report), each with its area's name, by area then name; reports without a unit last."""
    table = snap.by("unit")
    names = snap.names
    missing = [code for code in names.units if code not in table.index]
    if missing:
        empty = pd.DataFrame(0, index=pd.Index(missing, name="unit"),
                             columns=[c for c in table.columns if c != "name"])
        for column in empty.columns:
            if not column.startswith(("count", "received")) and table[column].dtype.kind == "f":
                empty[column] = np.nan
        empty.insert(0, "name", [names.units[c] for c in missing])
        table = pd.concat([table, empty])
    areas = list(names.areas)
    area = names.area_column(table.index.to_numpy())
    table.insert(1, "area_name", [names.of("area", a) for a in area])
    order = [areas.index(a) if a in areas else len(areas) for a in area]
    table = table.assign(_order=order).sort_values(["_order", "name"], kind="stable")
    return table.drop(columns="_order")


def _area(data: PackData, dimension: str) -> Table:
    """By field, by area or by unit (a unit row also names its area)."""
    texts, h = data.texts, _headers()
    table = {"field": data.by_field, "area": data.by_area, "unit": data.by_unit}[dimension]
    frame = pd.DataFrame({dimension: table["name"]})
    if dimension == "unit":
        frame["area"] = table["area_name"]
    for key, source in _AREA_SOURCES.items():
        frame[key] = table[source]
    frame = frame.reset_index(drop=True)
    columns = [
        Column(dimension, h[dimension], "text"),
        *([Column("area", h["area"], "text")] if dimension == "unit" else []),
        Column("received", h["received"], "int"),
        Column("rejected", h["rejected"], "int", docx=False),
        Column("forwarded", h["forwarded"], "int", docx=False),
        Column("returned", h["returned"], "int", docx=False),
        Column("escalated", h["escalated"], "int", docx=False),
        Column("answered", h["answered"], "int"),
        Column("e2e_on_time", h["e2e_on_time"], "int", docx=False),
        Column("e2e_late", h["e2e_late"], "int", docx=False),
        Column("rate_e2e", h["rate_e2e"], "rate"),
        Column("e2e_overdue", h["e2e_overdue"], "int"),
        Column("hours_median_process", h["hours_median_process"], "hours", docx=False),
        Column("rate_satisfied", h["rate_satisfied"], "rate"),
    ]
    mapping = {k: v for k, v in _AREA_SOURCES.items() if k.startswith(("rate", "hours"))}
    return Table(dimension, texts["sheets"][dimension], texts["titles"][dimension], columns,
                 frame, total=_totals(frame, columns, dimension, data.figures, mapping))


_AGENCY_SOURCES = {
    "received_agency": "received", "processed": "processed", "process_on_time": "process.on_time",
    "process_late": "process.late", "process_late_notice": "process.late_notice",
    "process_overdue": "process.overdue", "rate_process": "rate.on_time.process",
    "approve_late": "approve.late", "rework": "rework", "hours_avg_process": "hours.avg.process",
    "hours_median_process": "hours.median.process", "rate_satisfied": "rate.satisfied",
}


def _agency(data: PackData) -> Table:
    texts, h = data.texts, _headers()
    table = data.by_agency[data.by_agency.index != kpis.NONE]
    frame = pd.DataFrame({"agency": table["name"]})
    for key, source in _AGENCY_SOURCES.items():
        frame[key] = table[source]
    ranks = data.ranking["rank"].reindex(table.index)
    frame["rank"] = [int(r) if not pd.isna(r) else h["not_ranked"] for r in ranks]
    frame = frame.reset_index(drop=True)
    columns = [
        Column("agency", h["agency"], "text"),
        Column("received_agency", h["received_agency"], "int"),
        Column("processed", h["processed"], "int", docx=False),
        Column("process_on_time", h["process_on_time"], "int"),
        Column("process_late", h["process_late"], "int"),
        Column("process_late_notice", h["process_late_notice"], "int", docx=False),
        Column("process_overdue", h["process_overdue"], "int", docx=False),
        Column("rate_process", h["rate_process"], "rate"),
        Column("approve_late", h["approve_late"], "int", docx=False),
        Column("rework", h["rework"], "int", docx=False),
        Column("hours_avg_process", h["hours_avg_process"], "hours", docx=False),
        Column("hours_median_process", h["hours_median_process"], "hours"),
        Column("rate_satisfied", h["rate_satisfied"], "rate", docx=False),
        Column("rank", h["rank"], "int"),
    ]
    total = _totals(frame, [c for c in columns if c.key != "rank"], "agency", {}, {})
    for key in ("rate_process", "hours_avg_process", "hours_median_process", "rate_satisfied"):
        total.pop(key, None)
    agency_rows = table[["process.on_time", "process.late", "rating.hai_long",
                         "rating.chap_nhan_duoc", "rated"]].sum()
    total["rate_process"] = kpis.ratio(agency_rows["process.on_time"],
                                       agency_rows["process.on_time"] + agency_rows["process.late"])
    total["rate_satisfied"] = kpis.ratio(
        agency_rows["rating.hai_long"] + agency_rows["rating.chap_nhan_duoc"], agency_rows["rated"])
    return Table("agency", texts["sheets"]["agency"], texts["titles"]["agency"], columns, frame,
                 total=total)


def _satisfaction(data: PackData) -> Table:
    texts, h = data.texts, _headers()
    table = data.by_agency[data.by_agency.index != kpis.NONE]
    table = table[table["answered"] > 0].sort_values(["rated", "name"], ascending=[False, True])
    frame = pd.DataFrame({
        "agency": table["name"], "answered": table["answered"], "rated": table["rated"],
        "hai_long": table["rating.hai_long"], "chap_nhan_duoc": table["rating.chap_nhan_duoc"],
        "khong_hai_long": table["rating.khong_hai_long"], "rate_rated": table["rate.rated"],
        "rate_satisfied": table["rate.satisfied"],
    }).reset_index(drop=True)
    columns = [
        Column("agency", h["agency"], "text"),
        Column("answered", h["answered"], "int"),
        Column("rated", h["rated"], "int"),
        Column("hai_long", h["hai_long"], "int"),
        Column("chap_nhan_duoc", h["chap_nhan_duoc"], "int"),
        Column("khong_hai_long", h["khong_hai_long"], "int"),
        Column("rate_rated", h["rate_rated"], "rate"),
        Column("rate_satisfied", h["rate_satisfied"], "rate"),
    ]
    total = _totals(frame, columns, "agency", data.figures,
                    {"rate_rated": "rate.rated", "rate_satisfied": "rate.satisfied"})
    return Table("satisfaction", texts["sheets"]["satisfaction"], texts["titles"]["satisfaction"],
                 columns, frame, total=total)


def _overdue(data: PackData) -> Table:
    """Every late stage (D14.4); a private report's field and place are not shown."""
    texts, h = data.texts, _headers()
    names = kpis.kpi_texts()
    cases = data.overdue
    private = cases["private"].to_numpy(dtype=bool) if len(cases) else np.zeros(0, dtype=bool)
    hidden = texts["workbook"]["private"]
    frame = pd.DataFrame({
        "code": cases["code"],
        "stage": cases["stage_name"],
        "responsible": cases["responsible_name"],
        "field": np.where(private, hidden, cases["field_name"]),
        "unit": np.where(private, "", cases["unit_name"]),
        "area": np.where(private, "", cases["area_name"]),
        "submitted_at": cases["submitted_at"],
        "due_at": cases["due_at"],
        "done_at": cases["done_at"],
        "status": cases["status"].map(names["stage_status"]),
        "hours_late": cases["hours_late"],
        "progress_notice": np.where(cases["progress_notice"].to_numpy(dtype=bool),
                                    texts["workbook"]["yes"], texts["workbook"]["no"]),
        "emergency": np.where(cases["emergency"].to_numpy(dtype=bool),
                              texts["workbook"]["yes"], texts["workbook"]["no"]),
    }).reset_index(drop=True)
    columns = [
        Column("code", h["code"], "text"),
        Column("stage", h["stage"], "text"),
        Column("responsible", h["responsible"], "text"),
        Column("field", h["field"], "text"),
        Column("unit", h["unit"], "text"),
        Column("area", h["area"], "text"),
        Column("submitted_at", h["submitted_at"], "datetime"),
        Column("due_at", h["due_at"], "datetime"),
        Column("done_at", h["done_at"], "datetime"),
        Column("status", h["status"], "text"),
        Column("hours_late", h["hours_late"], "hours"),
        Column("progress_notice", h["progress_notice"], "text"),
        Column("emergency", h["emergency"], "text"),
    ]
    return Table("overdue", texts["sheets"]["overdue"], texts["titles"]["overdue"], columns,
                 frame)


def _overdue_units(data: PackData) -> Table:
    """Late stages per responsible unit (Word only; a tally of the Quá hạn sheet)."""
    texts, h = data.texts, _headers()
    units = data.overdue_units
    frame = pd.DataFrame({
        "responsible": units["name"], "late_count": units["late"],
        "overdue_count": units["overdue"], "hours_total": units["hours_total"],
        "hours_max": units["hours_max"],
    }).reset_index(drop=True)
    columns = [
        Column("responsible", h["responsible"], "text"),
        Column("late_count", h["late_count"], "int"),
        Column("overdue_count", h["overdue_count"], "int"),
        Column("hours_total", h["hours_total"], "hours"),
        Column("hours_max", h["hours_max"], "hours"),
    ]
    total = {"responsible": texts["workbook"]["total"],
             "late_count": int(frame["late_count"].sum()) if len(frame) else 0,
             "overdue_count": int(frame["overdue_count"].sum()) if len(frame) else 0,
             "hours_total": float(frame["hours_total"].sum()) if len(frame) else 0.0}
    return Table("overdue_units", texts["sheets"]["overdue"], texts["titles"]["overdue_by_unit"],
                 columns, frame, total=total)


def build_tables(data: PackData) -> dict[str, Table]:
    """Every table of the pack by key (summary, headline, stages, field, agency, area, unit,
    overdue, overdue_units, satisfaction)."""
    data.tables = {"summary": _summary(data)}
    data.tables["headline"] = _headline(data)
    for key, builder in (("stages", _stages), ("field", lambda d: _area(d, "field")),
                         ("agency", _agency), ("area", lambda d: _area(d, "area")),
                         ("unit", lambda d: _area(d, "unit")),
                         ("overdue", _overdue), ("overdue_units", _overdue_units),
                         ("satisfaction", _satisfaction)):
        data.tables[key] = builder(data)
    return data.tables


SHEET_ORDER = ("summary", "field", "agency", "area", "unit", "overdue", "satisfaction",
               "stages")

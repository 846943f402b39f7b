"""Administration of time (D6-D10 deadlines, CALENDAR.md): stage budgets, working seasons and
the calendar's override days.

The data files hold the regulation's numbers and the shipped calendar; what an administrator
changes is stored in the database (`stage_budgets`, `work_seasons`, `calendar_overrides`) and
read by the deadline engine through `backend.services.clocks`. A change applies to
deadlines computed from then on; deadlines already stored on reports stay as they were set.
Each use case is one transaction that also records the change (before and after) in the event
log's `system` stream.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

import holidays
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from backend import vietnamese as vn
from backend.domain.sla import STAGES
from backend.domain.workflow import Actor
from backend.domain.worktime import CalendarSpec, Season, Shift
from backend.reference.rules import load_calendar_spec
from backend.services import clocks
from backend.services.admin.common import (
    checked_text,
    in_transaction,
    record,
    require_admin,
    whole_number,
)
from backend.services.clocks import calendar_from_session
from backend.services.errors import ValidationError
from backend.storage.db import session_factory
from backend.storage.models import CalendarOverride, StageBudgetSetting, WorkSeasonSetting

MAX_EMERGENCY_MINUTES = 1440  # "ngay": an emergency never waits more than 24 clock hours
SEASON_LABELS = {"winter": "Mùa đông", "summer": "Mùa hè"}
WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")
_TIME = re.compile(r"^([01]?\d|2[0-3])[:hH]([0-5]\d)$")
_DAY_MONTH = re.compile(r"^(\d{1,2})/(\d{1,2})$")


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def day_text(day: date) -> str:
    """'Thứ Bảy 10/01/2026'."""
    return f"{WEEKDAYS[day.weekday()]} {day:%d/%m/%Y}"


# --------------------------------------------------------------------------- stage budgets


@dataclass(frozen=True)
class BudgetRow:
    """One stage's budget in force, next to the regulation's (the file's)."""

    stage: str
    name_vi: str
    clause: str
    minutes: int
    emergency_minutes: int
    legal_minutes: int
    file_emergency_minutes: int
    changed: bool
    updated_at: datetime | None
    updated_by: str | None


def list_stage_budgets(url: str | None = None) -> list[BudgetRow]:
    """The five stages (D6.2, D7.1, D8, D9.2, D10.1) with the budget each runs on now."""
    with session_factory(url)() as session:
        return _budget_rows(session)


def _budget_rows(session: Session) -> list[BudgetRow]:
    base = clocks.file_policy()
    stored = {row.stage: row for row in session.scalars(select(StageBudgetSetting))}
    rows = []
    for stage in STAGES:
        legal, mine = base.budget(stage), stored.get(stage)
        rows.append(BudgetRow(
            stage=stage, name_vi=legal.name_vi, clause=legal.clause,
            minutes=mine.minutes if mine else legal.minutes,
            emergency_minutes=mine.emergency_minutes if mine else legal.emergency_minutes,
            legal_minutes=legal.minutes, file_emergency_minutes=legal.emergency_minutes,
            changed=mine is not None, updated_at=mine.updated_at if mine else None,
            updated_by=mine.updated_by if mine else None))
    return rows


def _stage(stage: Any) -> str:
    if stage not in STAGES:
        raise ValidationError("stage", f"Bước '{stage}' không có trong quy trình.")
    return stage


def set_stage_budget(actor: Actor, stage: str, *, minutes: Any, emergency_minutes: Any,
                     now: datetime | None = None, url: str | None = None) -> BudgetRow:
    """Set a stage's budget in working minutes and, for emergencies, clock minutes. The
    regulation's limit is a maximum: the province may ask for faster, never slower."""
    require_admin(actor)
    now = _now(now)
    stage = _stage(stage)
    legal = clocks.file_policy().budget(stage)
    normal = whole_number(minutes, "minutes", f"Thời hạn bước {legal.name_vi}", 15,
                          legal.minutes, f"phút làm việc (Quy chế, {legal.clause.replace('D', 'Đ', 1)}: tối đa "
                          f"{vn.working_time(legal.minutes)} làm việc)")
    urgent = whole_number(emergency_minutes, "emergency_minutes",
                          "Thời hạn khi khẩn cấp", 5, MAX_EMERGENCY_MINUTES,
                          "phút đồng hồ (khẩn cấp phải xử lý ngay, tối đa 24 giờ)")

    def work(session: Session) -> BudgetRow:
        row = session.get(StageBudgetSetting, stage)
        current = (row.minutes, row.emergency_minutes) if row else (
            legal.minutes, legal.emergency_minutes)
        if current == (normal, urgent):
            raise ValidationError("minutes", "Không có thay đổi nào để lưu.", code="unchanged")
        if (normal, urgent) == (legal.minutes, legal.emergency_minutes) and row is not None:
            session.delete(row)  # back to the file's numbers: nothing left to override
        elif row is None:
            session.add(StageBudgetSetting(stage=stage, minutes=normal, emergency_minutes=urgent,
                                           updated_at=now, updated_by=actor.username))
        else:
            row.minutes, row.emergency_minutes = normal, urgent
            row.updated_at, row.updated_by = now, actor.username
        record(session, actor, "sla.budget",
               f"Thời hạn bước {legal.name_vi}: {current[0]} → {normal} phút làm việc; khẩn cấp "
               f"{current[1]} → {urgent} phút", now, stage=stage,
               before={"minutes": current[0], "emergency_minutes": current[1]},
               after={"minutes": normal, "emergency_minutes": urgent})
        session.flush()
        return next(r for r in _budget_rows(session) if r.stage == stage)

    return in_transaction(url, work)


def reset_stage_budget(actor: Actor, stage: str, *, now: datetime | None = None,
                       url: str | None = None) -> BudgetRow:
    """Go back to the regulation's budget for a stage (`data/sla.toml`)."""
    require_admin(actor)
    now = _now(now)
    stage = _stage(stage)
    legal = clocks.file_policy().budget(stage)

    def work(session: Session) -> BudgetRow:
        row = session.get(StageBudgetSetting, stage)
        if row is None:
            raise ValidationError("stage", f"Bước {legal.name_vi} đang dùng thời hạn theo Quy chế.",
                                  code="unchanged")
        before = {"minutes": row.minutes, "emergency_minutes": row.emergency_minutes}
        session.delete(row)
        record(session, actor, "sla.budget_reset",
               f"Khôi phục thời hạn bước {legal.name_vi} theo Quy chế ({legal.minutes} phút làm "
               f"việc; khẩn cấp {legal.emergency_minutes} phút)", now, stage=stage, before=before,
               after={"minutes": legal.minutes, "emergency_minutes": legal.emergency_minutes})
        session.flush()
        return next(r for r in _budget_rows(session) if r.stage == stage)

    return in_transaction(url, work)


# --------------------------------------------------------------------------- working seasons


@dataclass(frozen=True)
class SeasonInput:
    """A season as a form sends it: '15/10' to '14/4', shifts as ('07:30', '11:30') pairs."""

    name: str
    start: str
    end: str
    shifts: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class SeasonRow:
    """A season in force, with its working minutes a day."""

    name: str
    label: str
    start: str
    end: str
    shifts: tuple[tuple[str, str], ...]
    minutes_per_day: int
    from_file: bool


def _season_rows(seasons: tuple[Season, ...], from_file: bool) -> list[SeasonRow]:
    return [SeasonRow(
        name=s.name, label=SEASON_LABELS.get(s.name, s.name),
        start=f"{s.start[1]}/{s.start[0]}", end=f"{s.end[1]}/{s.end[0]}",
        shifts=tuple((f"{sh.start:%H:%M}", f"{sh.end:%H:%M}") for sh in s.shifts),
        minutes_per_day=s.working_seconds // 60, from_file=from_file) for s in seasons]


def list_seasons(url: str | None = None) -> list[SeasonRow]:
    """The working seasons in force (the administrator's, else `data/calendar.toml`'s)."""
    with session_factory(url)() as session:
        stored = clocks.stored_seasons(session)
    if stored:
        return _season_rows(stored, from_file=False)
    return _season_rows(load_calendar_spec(overrides=()).seasons, from_file=True)


def _parse_day_month(value: Any, field_name: str, label: str) -> tuple[int, int]:
    match = _DAY_MONTH.match(str(value or "").strip())
    if not match:
        raise ValidationError(field_name, f"{label} phải có dạng ngày/tháng, ví dụ 15/10.")
    day, month = int(match[1]), int(match[2])
    try:
        date(2000, month, day)  # a leap year: 29/2 is a valid bound
    except ValueError:
        raise ValidationError(field_name, f"{label}: {day}/{month} không phải ngày có thật.") \
            from None
    return month, day


def _parse_time(value: Any, field_name: str, label: str) -> time:
    match = _TIME.match(str(value or "").strip())
    if not match:
        raise ValidationError(field_name, f"{label} phải có dạng giờ:phút, ví dụ 07:30.")
    return time(int(match[1]), int(match[2]))


def _season(item: SeasonInput, number: int) -> Season:
    name = (item.name or "").strip()
    label = SEASON_LABELS.get(name, name or f"Mùa {number}")
    key = f"seasons[{number}]"
    if not re.match(r"^[a-z_]{1,16}$", name):
        raise ValidationError(f"{key}.name", f"Tên mùa '{name}' không hợp lệ.")
    start = _parse_day_month(item.start, f"{key}.start", f"{label}: ngày bắt đầu")
    end = _parse_day_month(item.end, f"{key}.end", f"{label}: ngày kết thúc")
    if not item.shifts:
        raise ValidationError(f"{key}.shifts", f"{label} cần ít nhất một ca làm việc.")
    if len(item.shifts) > 3:
        raise ValidationError(f"{key}.shifts", f"{label}: tối đa 3 ca làm việc một ngày.")
    shifts = []
    for n, (begin, finish) in enumerate(item.shifts, start=1):
        a = _parse_time(begin, f"{key}.shifts", f"{label}, ca {n}: giờ bắt đầu")
        b = _parse_time(finish, f"{key}.shifts", f"{label}, ca {n}: giờ kết thúc")
        if a >= b:
            raise ValidationError(f"{key}.shifts", f"{label}, ca {n}: giờ bắt đầu {a:%H:%M} phải "
                                                   f"trước giờ kết thúc {b:%H:%M}.")
        if shifts and a < shifts[-1].end:
            raise ValidationError(f"{key}.shifts", f"{label}, ca {n} ({a:%H:%M}) bắt đầu trước "
                                                   f"khi ca {n - 1} kết thúc "
                                                   f"({shifts[-1].end:%H:%M}).")
        shifts.append(Shift(a, b))
    season = Season(name=name, start=start, end=end, shifts=tuple(shifts))
    minutes = season.working_seconds // 60
    if minutes != vn.WORKDAY_MINUTES:
        raise ValidationError(f"{key}.shifts", f"{label}: các ca cộng lại {vn.hours_minutes(minutes)}; một "
                                               "ngày làm việc phải đủ 8 giờ (480 phút, "
                                               "QĐ 188/1999/QĐ-TTg).")
    return season


def set_seasons(actor: Actor, seasons: list[SeasonInput], *, now: datetime | None = None,
                url: str | None = None) -> list[SeasonRow]:
    """Set the working seasons (QĐ 1096/QĐ-UB: the province sets its hours by season): each
    season's date range and shifts. Together they must cover every day of the year exactly
    once, and each working day is 8 hours."""
    require_admin(actor)
    now = _now(now)
    if not seasons:
        raise ValidationError("seasons", "Cần ít nhất một mùa làm việc.")
    parsed = tuple(_season(item, n) for n, item in enumerate(seasons, start=1))
    names = [s.name for s in parsed]
    if len(set(names)) != len(names):
        raise ValidationError("seasons", "Hai mùa không được trùng tên.")
    try:
        CalendarSpec(seasons=parsed)  # every day of the year in exactly one season
    except ValueError as exc:
        raise ValidationError("seasons", f"Các mùa chưa khớp nhau: {exc} (mỗi ngày trong năm "
                                         "phải thuộc đúng một mùa).") from None
    new_rows = {s.name: (f"{s.start[1]}/{s.start[0]}", f"{s.end[1]}/{s.end[0]}",
                         json.dumps([[f"{sh.start:%H:%M}", f"{sh.end:%H:%M}"] for sh in s.shifts]))
                for s in parsed}

    def work(session: Session) -> list[SeasonRow]:
        current = clocks.stored_seasons(session)
        before_rows = _season_rows(current or load_calendar_spec(overrides=()).seasons,
                                   from_file=not current)
        before = {r.name: _season_summary(r.start, r.end, r.shifts) for r in before_rows}
        after = {name: _season_summary(start, end, [tuple(x) for x in json.loads(shifts)])
                 for name, (start, end, shifts) in new_rows.items()}
        if before == after:
            raise ValidationError("seasons", "Không có thay đổi nào để lưu.", code="unchanged")
        session.execute(delete(WorkSeasonSetting))
        for name, (start, end, shifts) in new_rows.items():
            session.add(WorkSeasonSetting(name=name, start=start, end=end, shifts=shifts,
                                          updated_at=now, updated_by=actor.username))
        changed = [SEASON_LABELS.get(n, n) for n in after if before.get(n) != after[n]]
        record(session, actor, "calendar.seasons",
               "Đổi giờ làm việc: " + ", ".join(changed or list(after)), now,
               before=before, after=after)
        session.flush()
        return _season_rows(clocks.stored_seasons(session), from_file=False)

    return in_transaction(url, work)


def _season_summary(start: str, end: str, shifts) -> str:
    return f"{start}-{end}: " + ", ".join(f"{a}-{b}" for a, b in shifts)


def reset_seasons(actor: Actor, *, now: datetime | None = None,
                  url: str | None = None) -> list[SeasonRow]:
    """Go back to the seasons of `data/calendar.toml`."""
    require_admin(actor)
    now = _now(now)

    def work(session: Session) -> list[SeasonRow]:
        current = clocks.stored_seasons(session)
        if not current:
            raise ValidationError("seasons", "Lịch đang dùng giờ làm việc mặc định.",
                                  code="unchanged")
        file_rows = _season_rows(load_calendar_spec(overrides=()).seasons, from_file=True)
        session.execute(delete(WorkSeasonSetting))
        record(session, actor, "calendar.seasons_reset", "Khôi phục giờ làm việc mặc định", now,
               before={r.name: _season_summary(r.start, r.end, r.shifts)
                       for r in _season_rows(current, from_file=False)},
               after={r.name: _season_summary(r.start, r.end, r.shifts) for r in file_rows})
        return file_rows

    return in_transaction(url, work)


# --------------------------------------------------------------------------- override days


@dataclass(frozen=True)
class OverrideRow:
    """A day the administrator declared off or working, on top of the holidays library."""

    day: date
    working: bool
    note: str | None
    weekday: str


@dataclass(frozen=True)
class LibraryDay:
    """What the holidays library says about a day (for the administrator's reference)."""

    day: date
    name: str
    working: bool  # a make-up working Saturday


def list_overrides(url: str | None = None) -> list[OverrideRow]:
    """Every override day, newest first."""
    with session_factory(url)() as session:
        rows = session.scalars(select(CalendarOverride)
                               .order_by(CalendarOverride.day.desc())).all()
        return [OverrideRow(day=r.day, working=bool(r.working), note=r.note,
                            weekday=WEEKDAYS[r.day.weekday()]) for r in rows]


def library_days(year: int) -> list[LibraryDay]:
    """The public-sector days off and make-up Saturdays the holidays library knows for a year."""
    table = holidays.country_holidays("VN", categories=("public",), years=year, language="vi")
    days = [LibraryDay(day, name, False) for day, name in table.items()]
    days += [LibraryDay(day, "Làm việc bù", True)
             for day in getattr(table, "weekend_workdays", ()) if day.year == year]
    return sorted(days, key=lambda d: d.day)


def _day(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    if not text:
        raise ValidationError("day", "Chọn ngày.", code="required")
    for parse in (date.fromisoformat, lambda t: datetime.strptime(t, "%d/%m/%Y").date()):
        try:
            return parse(text)
        except ValueError:
            continue
    raise ValidationError("day", f"Ngày '{text}' không hợp lệ (dạng ngày/tháng/năm, ví dụ "
                                 "10/01/2026).")


def add_override(actor: Actor, day: Any, working: bool, note: str, *,
                 now: datetime | None = None, url: str | None = None) -> OverrideRow:
    """Declare a day off (an extra holiday) or a working day (a make-up Saturday) that the
    holidays library does not know yet (CALENDAR.md: the Government's letters come late), with
    the document that says so."""
    require_admin(actor)
    now = _now(now)
    when = _day(day)
    reason = checked_text(note, "note", "Lý do (văn bản căn cứ)", max_len=500)
    if len(reason) < 5:
        raise ValidationError("note", "Ghi rõ lý do hoặc văn bản căn cứ (ít nhất 5 ký tự).")

    def work(session: Session) -> OverrideRow:
        calendar = calendar_from_session(session)
        spec = calendar.spec
        if not spec.first_year <= when.year <= spec.last_year:
            raise ValidationError("day", f"Lịch làm việc chỉ tính từ năm {spec.first_year} đến "
                                         f"{spec.last_year}.")
        existing = session.get(CalendarOverride, when)
        if existing is not None:
            kind = "ngày làm việc" if existing.working else "ngày nghỉ"
            raise ValidationError("day", f"{day_text(when)} đã được điều chỉnh thành {kind}; xóa "
                                         "điều chỉnh đó trước nếu muốn đổi.", code="exists")
        if calendar.is_working_day(when) == working:
            already = ("là ngày làm việc" if working else "là ngày nghỉ")
            raise ValidationError("day", f"{day_text(when)} vốn đã {already} theo lịch hiện "
                                         "hành; không cần điều chỉnh.", code="unchanged")
        session.add(CalendarOverride(day=when, working=working, note=reason))
        kind = "ngày làm việc (làm bù)" if working else "ngày nghỉ"
        record(session, actor, "calendar.override_add",
               f"{day_text(when)}: thêm {kind}. {reason}", now, day=when.isoformat(),
               after={"working": working, "note": reason})
        return OverrideRow(day=when, working=working, note=reason,
                           weekday=WEEKDAYS[when.weekday()])

    return in_transaction(url, work)


def remove_override(actor: Actor, day: Any, *, now: datetime | None = None,
                    url: str | None = None) -> None:
    """Withdraw an override day (declared by mistake, or the library now knows it): the day
    goes back to what the holidays library and the weekday say."""
    require_admin(actor)
    now = _now(now)
    when = _day(day)

    def work(session: Session) -> None:
        existing = session.get(CalendarOverride, when)
        if existing is None:
            raise ValidationError("day", f"{day_text(when)} không có điều chỉnh nào.",
                                  code="not_found")
        before = {"working": bool(existing.working), "note": existing.note}
        session.delete(existing)
        kind = "ngày làm việc" if before["working"] else "ngày nghỉ"
        record(session, actor, "calendar.override_remove",
               f"{day_text(when)}: bỏ điều chỉnh {kind}", now, day=when.isoformat(),
               before=before)

    in_transaction(url, work)



def preview_deadline(minutes: int, start: datetime, url: str | None = None) -> datetime:
    """When a stage started at `start` with a budget of `minutes` working minutes falls due on
    this database's calendar (seasons and override days included): shown before saving."""
    with session_factory(url)() as session:
        calendar = clocks.effective_calendar(session)
    return calendar.deadline_one(start, minutes, "closing")

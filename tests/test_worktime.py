"""Working-time engine (CALENDAR.md; deadlines of D6.2, D7.1, D8, D9.2, D10.1 in DOMAIN.md).

Three layers of evidence: pandas ``CustomBusinessHour`` on ≥ 100k random cases inside its limits,
the slow day-walking reference everywhere else (hypothesis plus a dense sweep over 2026), and
fixed cases taken straight from CALENDAR.md.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.bench.sla_bench import oracle_spec, pandas_deadlines, random_cases
from backend.domain.worktime import CalendarSpec, Season, Shift, WorkCalendar
from backend.domain.worktime_reference import ReferenceCalendar
from backend.reference.rules import load_calendar_overrides, load_calendar_spec

VN = ZoneInfo("Asia/Ho_Chi_Minh")
UTC = dt.UTC


def local(*args: int) -> dt.datetime:
    """An aware Asia/Ho_Chi_Minh datetime."""
    return dt.datetime(*args, tzinfo=VN)


@pytest.fixture(scope="module")
def spec() -> CalendarSpec:
    return load_calendar_spec()


@pytest.fixture(scope="module")
def ref(spec: CalendarSpec) -> ReferenceCalendar:
    return ReferenceCalendar(spec)


def due(
    cal: WorkCalendar, start: dt.datetime, minutes: int, convention: str = "closing"
) -> dt.datetime:
    return cal.deadline_one(start, minutes, convention).astimezone(VN)


# --------------------------------------------------------------------------- pandas oracle


def test_equals_pandas_custombusinesshour_on_100k_random_cases_calendar_md(
    spec: CalendarSpec,
) -> None:
    """CALENDAR.md "A reference to test against": inside pandas' limits (whole-hour shifts, one
    season, no make-up Saturdays, whole hours added) one vectorised call of ours equals a loop of
    pandas on 100,000 random cases, in pandas' own "opening" convention."""
    oracle = oracle_spec(spec)
    assert dt.date(2026, 8, 22) in oracle.extra_days_off and not oracle.extra_working_days
    starts, hours = random_cases(100_000, seed=20260213)
    ours = WorkCalendar(oracle).deadline(starts, hours * 60, "opening")
    theirs, _ = pandas_deadlines(oracle, starts, hours)
    mismatch = np.flatnonzero(ours != theirs)
    assert mismatch.size == 0, (
        starts[mismatch[:5]],
        hours[mismatch[:5]],
        ours[mismatch[:5]],
        theirs[mismatch[:5]],
    )


# --------------------------------------------------------------------------- slow reference

BOUNDARY_SECONDS = [
    h * 3600 + m * 60
    for h, m in [(0, 0), (7, 0), (7, 30), (11, 30), (12, 0), (13, 0), (13, 30), (17, 0), (22, 0)]
]
FIRST = dt.date(2024, 1, 1)
LAST = dt.date(2027, 12, 31)


@st.composite
def instants(draw: st.DrawFn) -> dt.datetime:
    """Local instants 2024-2027, often on or next to a shift boundary (CALENDAR.md boundaries)."""
    day = FIRST + dt.timedelta(days=draw(st.integers(0, (LAST - FIRST).days)))
    if draw(st.booleans()):
        second = draw(st.sampled_from(BOUNDARY_SECONDS)) + draw(
            st.sampled_from([-60, -1, 0, 0, 0, 1, 60])
        )
        second = min(max(second, 0), 86_399)
    else:
        second = draw(st.integers(0, 86_399))
    return dt.datetime.combine(day, dt.time(), tzinfo=VN) + dt.timedelta(seconds=second)


minutes_strategy = st.one_of(st.integers(0, 5000), st.sampled_from([0, 1, 30, 240, 270, 480, 1440]))


@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    start=instants(), minutes=minutes_strategy, convention=st.sampled_from(["closing", "opening"])
)
def test_deadline_equals_day_walking_reference_calendar_md(
    cal: WorkCalendar, ref: ReferenceCalendar, start: dt.datetime, minutes: int, convention: str
) -> None:
    """Real spec (two seasons, make-up Saturdays, overrides, Tết), both conventions; and
    elapsed(start, deadline(start, m)) == m (CALENDAR.md: elapsed is the exact inverse)."""
    ours = cal.deadline_one(start, minutes, convention)
    assert ours == ref.deadline(start, minutes, convention)
    assert cal.elapsed_one(start, ours) == minutes


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(a=instants(), b=instants())
def test_elapsed_equals_day_walking_reference_calendar_md(
    cal: WorkCalendar, ref: ReferenceCalendar, a: dt.datetime, b: dt.datetime
) -> None:
    """Elapsed working minutes ("how late", "time spent per stage") agree with the reference."""
    assert cal.elapsed_one(a, b) == pytest.approx(ref.elapsed(a, b), abs=1e-9)
    assert cal.elapsed_one(b, a) == -cal.elapsed_one(a, b)


def test_vectorised_batch_equals_reference_calendar_md(
    cal: WorkCalendar, ref: ReferenceCalendar
) -> None:
    """One vectorised call on 3,000 random second-resolution cases 2024-2027 equals the reference."""
    rng = np.random.default_rng(7)
    low = int(dt.datetime(2024, 1, 1, tzinfo=UTC).timestamp())
    high = int(dt.datetime(2027, 12, 1, tzinfo=UTC).timestamp())
    starts = rng.integers(low, high, 3000).view("datetime64[s]")
    minutes = rng.integers(0, 5001, 3000)
    for convention in ("closing", "opening"):
        ours = cal.deadline(starts, minutes, convention)
        for start, m, got in zip(starts.tolist(), minutes.tolist(), ours.tolist(), strict=True):
            assert got.replace(tzinfo=UTC) == ref.deadline(start, m, convention), (
                start,
                m,
                convention,
            )
        np.testing.assert_array_equal(cal.elapsed(starts, ours), minutes)


def test_sweep_2026_every_day_at_boundaries_equals_reference_calendar_md(
    cal: WorkCalendar, ref: ReferenceCalendar
) -> None:
    """Every day of 2026 (Tết, 2/1 and 10/1 overrides, 22/8 make-up, 31/8-2/9, season changes on
    15/4 and 15/10, 24/11) at every shift boundary, for ½ day, 1 day and 3 days (D6.2, D7.1, D8)."""
    day = dt.date(2026, 1, 1)
    starts = []
    while day.year == 2026:
        base = dt.datetime.combine(day, dt.time(), tzinfo=VN)
        starts += [base + dt.timedelta(seconds=s) for s in BOUNDARY_SECONDS]
        day += dt.timedelta(days=1)
    for minutes in (1, 240, 480, 1440):
        for convention in ("closing", "opening"):
            ours = cal.deadline(starts, minutes, convention).tolist()
            expected = [ref.deadline(s, minutes, convention).replace(tzinfo=None) for s in starts]
            assert ours == expected


# --------------------------------------------------------------------------- fixed cases


def test_d6_2_half_day_from_0730_closing_is_1130_opening_is_1300(cal: WorkCalendar) -> None:
    """CALENDAR.md closing-time choice: winter Monday 07:30 + 240 = 11:30 (shown) / 13:00 (pandas)."""
    start = local(2026, 11, 30, 7, 30)
    assert due(cal, start, 240) == local(2026, 11, 30, 11, 30)
    assert due(cal, start, 240, "opening") == local(2026, 11, 30, 13, 0)
    assert due(cal, local(2026, 11, 30, 16), 60) == local(2026, 11, 30, 17)
    assert due(cal, local(2026, 11, 30, 16), 60, "opening") == local(2026, 12, 1, 7, 30)


def test_d7_1_friday_before_tet_2026_lands_on_monday_23_feb(cal: WorkCalendar) -> None:
    """Fri 13/2/2026 16:00 + 1 working day: 1 h on Friday, Tết 16-20/2, then 7 h on Mon 23/2."""
    assert due(cal, local(2026, 2, 13, 16), 480) == local(2026, 2, 23, 16)
    assert cal.elapsed_one(local(2026, 2, 13, 16), local(2026, 2, 23, 16)) == 480


def test_days_off_2026_after_override_match_calendar_md(cal: WorkCalendar) -> None:
    """CALENDAR.md: 2026 weekdays off and make-up Saturdays (10/1 by letter 12729/VPCP-KGVX, 22/8)."""
    off = {
        (1, 1),
        (1, 2),
        (2, 16),
        (2, 17),
        (2, 18),
        (2, 19),
        (2, 20),
        (4, 27),
        (4, 30),
        (5, 1),
        (8, 31),
        (9, 1),
        (9, 2),
        (11, 24),
    }
    days = [dt.date(2026, 1, 1) + dt.timedelta(days=k) for k in range(365)]
    assert {(d.month, d.day) for d in days if d.weekday() < 5 and not cal.is_working_day(d)} == off
    assert {(d.month, d.day) for d in days if d.weekday() >= 5 and cal.is_working_day(d)} == {
        (1, 10),
        (8, 22),
    }


def test_days_off_2025_match_calendar_md(cal: WorkCalendar) -> None:
    """CALENDAR.md: 2025 days off (Tết 27-31/1, 2/5 swapped) and make-up Saturday 26/4."""
    off = {
        (1, 1),
        (1, 27),
        (1, 28),
        (1, 29),
        (1, 30),
        (1, 31),
        (4, 7),
        (4, 30),
        (5, 1),
        (5, 2),
        (9, 1),
        (9, 2),
    }
    days = [dt.date(2025, 1, 1) + dt.timedelta(days=k) for k in range(365)]
    assert {(d.month, d.day) for d in days if d.weekday() < 5 and not cal.is_working_day(d)} == off
    assert {(d.month, d.day) for d in days if d.weekday() >= 5 and cal.is_working_day(d)} == {
        (4, 26)
    }


def test_override_and_makeup_days_change_deadlines(cal: WorkCalendar) -> None:
    """2/1/2026 off (override), Sat 10/1 and Sat 22/8 working, 31/8-2/9 and 24/11 off."""
    assert not cal.is_working_day(dt.date(2026, 1, 2))
    assert (
        cal.is_working_day(dt.date(2026, 1, 10))
        and cal.working_minutes_on(dt.date(2026, 1, 10)) == 480
    )
    assert cal.is_working_day(dt.date(2026, 8, 22))
    for day in (
        dt.date(2026, 8, 31),
        dt.date(2026, 9, 1),
        dt.date(2026, 9, 2),
        dt.date(2026, 11, 24),
    ):
        assert not cal.is_working_day(day) and cal.working_minutes_on(day) == 0
    assert due(cal, local(2025, 12, 31, 16), 480) == local(2026, 1, 5, 16)  # 1/1, 2/1, weekend
    assert due(cal, local(2026, 1, 9, 16), 90) == local(2026, 1, 10, 8, 0)  # Fri -> make-up Sat
    assert due(cal, local(2026, 8, 21, 17), 30) == local(2026, 8, 22, 7, 30)  # summer hours on 22/8
    assert due(cal, local(2026, 8, 28, 16), 120) == local(2026, 9, 3, 8, 0)  # 31/8-2/9 off


def test_override_list_from_database_replaces_the_file(spec: CalendarSpec) -> None:
    """load_calendar_spec(overrides=...) replaces data/calendar.toml's list (the admin's table)."""
    plain = WorkCalendar(load_calendar_spec(overrides=[]))
    assert plain.is_working_day(dt.date(2026, 1, 2)) and not plain.is_working_day(
        dt.date(2026, 1, 10)
    )
    edited = WorkCalendar(load_calendar_spec(overrides=[(dt.date(2026, 3, 2), False)]))
    assert not edited.is_working_day(dt.date(2026, 3, 2)) and edited.is_working_day(
        dt.date(2026, 1, 2)
    )
    notes = load_calendar_overrides()
    assert {(o.day, o.working) for o in notes} == {
        (dt.date(2026, 1, 2), False),
        (dt.date(2026, 1, 10), True),
    }
    assert all("12729/VPCP-KGVX" in o.note for o in notes)


def test_season_change_14_to_15_october_and_april(cal: WorkCalendar) -> None:
    """Summer 07:00-11:30/13:30-17:00 until 14/10, winter 07:30-11:30/13:00-17:00 from 15/10."""
    assert due(cal, local(2026, 10, 14, 7), 270) == local(2026, 10, 14, 11, 30)
    assert due(cal, local(2026, 10, 14, 16), 120) == local(2026, 10, 15, 8, 30)
    assert due(cal, local(2026, 10, 15, 7), 30) == local(2026, 10, 15, 8)
    assert due(cal, local(2026, 4, 14, 16, 30), 60) == local(2026, 4, 15, 7, 30)
    assert (
        cal.working_minutes_on(dt.date(2026, 10, 14))
        == cal.working_minutes_on(dt.date(2026, 10, 15))
        == 480
    )


def test_clock_started_outside_working_time_starts_at_next_working_minute(
    cal: WorkCalendar,
) -> None:
    """D4.2: reports arrive 24/7; CALENDAR.md: the clock starts at the next working minute."""
    assert due(cal, local(2026, 11, 30, 22), 60) == local(2026, 12, 1, 8, 30)
    assert due(cal, local(2026, 11, 29, 10), 60) == local(2026, 11, 30, 8, 30)  # Sunday
    assert due(cal, local(2026, 11, 30, 12), 30) == local(2026, 11, 30, 13, 30)  # lunch
    for convention in ("closing", "opening"):
        assert due(cal, local(2026, 11, 30, 22), 0, convention) == local(2026, 12, 1, 7, 30)
        assert due(cal, local(2026, 11, 30, 11, 30), 0, convention) == local(2026, 11, 30, 13)
        assert due(cal, local(2026, 11, 30, 9, 15, 7), 0, convention) == local(
            2026, 11, 30, 9, 15, 7
        )


def test_naive_and_aware_inputs_give_the_same_answer(cal: WorkCalendar) -> None:
    """Naive numpy/datetime values are UTC; aware ones are converted (CALENDAR.md: store UTC)."""
    aware = local(2026, 11, 30, 7, 30)
    forms = [
        aware,
        aware.astimezone(UTC),
        aware.astimezone(UTC).replace(tzinfo=None),
        np.datetime64("2026-11-30T00:30:00"),
        np.array(["2026-11-30T00:30:00.000000"], dtype="datetime64[us]"),
        pd.Timestamp("2026-11-30 07:30", tz="Asia/Ho_Chi_Minh"),
        pd.Series([pd.Timestamp("2026-11-30 07:30", tz="Asia/Ho_Chi_Minh")]),
    ]
    answers = {str(cal.deadline(form, 240)[0]) for form in forms}
    assert answers == {"2026-11-30T04:30:00"}
    assert cal.deadline_one(aware, 240) == dt.datetime(2026, 11, 30, 4, 30, tzinfo=UTC)


def test_outside_built_range_is_a_clear_value_error(cal: WorkCalendar) -> None:
    """Instants before 2015 or after 2040 are refused with the range in the message."""
    with pytest.raises(ValueError, match="ngoài phạm vi lịch làm việc"):
        cal.deadline_one(local(2014, 12, 31, 23, 59), 10)
    with pytest.raises(ValueError, match="2015-2040"):
        cal.elapsed_one(local(2026, 1, 5, 8), local(2041, 1, 1))
    with pytest.raises(ValueError, match="vượt quá phạm vi"):
        cal.deadline_one(local(2040, 12, 31, 16), 480)
    with pytest.raises(ValueError, match="ngoài phạm vi"):
        cal.is_working_day(dt.date(2041, 1, 1))
    with pytest.raises(ValueError):
        cal.deadline_one(local(2026, 1, 5, 8), -1)
    with pytest.raises(ValueError):
        cal.deadline_one(local(2026, 1, 5, 8), 1, "noon")


def test_arrays_broadcast_and_missing_values(cal: WorkCalendar) -> None:
    """One start with many budgets, and NaT in/out (NaN for elapsed) for bulk use."""
    got = cal.deadline(np.datetime64("2026-11-30T00:30:00"), np.array([0, 240, 480, 1440]))
    assert [str(x) for x in got] == [
        "2026-11-30T00:30:00",
        "2026-11-30T04:30:00",
        "2026-11-30T10:00:00",
        "2026-12-02T10:00:00",
    ]
    starts = np.array(["2026-11-30T00:30:00", "NaT"], dtype="datetime64[s]")
    assert np.isnat(cal.deadline(starts, 60)[1])
    spent = cal.elapsed(starts, np.datetime64("2026-11-30T01:30:00"))
    assert spent[0] == 60 and np.isnan(spent[1])


def test_spec_validation_rejects_bad_seasons_and_shifts() -> None:
    """Seasons must cover every day once; shifts must be ordered and not overlap."""
    shifts = (Shift(dt.time(8), dt.time(12)),)
    with pytest.raises(ValueError, match="không thuộc mùa nào"):
        CalendarSpec(seasons=(Season("a", (1, 1), (6, 30), shifts),))
    with pytest.raises(ValueError, match="thuộc nhiều mùa"):
        CalendarSpec(
            seasons=(Season("a", (1, 1), (12, 31), shifts), Season("b", (3, 1), (3, 2), shifts))
        )
    with pytest.raises(ValueError):
        Shift(dt.time(12), dt.time(8))
    with pytest.raises(ValueError, match="chồng"):
        Season(
            "a", (1, 1), (12, 31), (Shift(dt.time(8), dt.time(12)), Shift(dt.time(11), dt.time(13)))
        )
    with pytest.raises(ValueError):
        CalendarSpec(
            seasons=(Season("a", (1, 1), (12, 31), shifts),),
            extra_days_off=frozenset({dt.date(2026, 1, 2)}),
            extra_working_days=frozenset({dt.date(2026, 1, 2)}),
        )

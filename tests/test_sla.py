"""Stage budgets and statuses (DOMAIN.md "Deadlines": D6.2, D7.1, D8 bước 3, D9.2, D10.1) and
the `ioc sla deadline` command (working time per CALENDAR.md, closing-time convention)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from click.testing import CliRunner

from backend.domain.sla import (
    STAGES,
    STATUS_LABELS_VI,
    SlaPolicy,
    StageStatus,
    stage_deadline,
    stage_deadlines,
    stage_status,
    stage_status_many,
)
from backend.domain.worktime import WorkCalendar
from backend.reference.rules import load_sla_policy

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=VN)


@pytest.fixture(scope="module")
def policy() -> SlaPolicy:
    return load_sla_policy()


def test_budgets_match_domain_deadlines_table(policy: SlaPolicy) -> None:
    """D6.2 ½ day, D7.1 1 day, D8 bước 3 3 days, D9.2 ½ day, D10.1 4 hours; emergency on the clock."""
    expected = {
        "verify": ("Xác minh", "D6.2", 240, 60, "submitted"),
        "forward": ("Phân loại và chuyển xử lý", "D7.1", 480, 60, "submitted"),
        "process": ("Xử lý", "D8 bước 3", 1440, 1440, "forwarded"),
        "approve": ("Phê duyệt", "D9.2", 240, 60, "result_submitted"),
        "publish": ("Biên tập và công khai", "D10.1", 240, 60, "approved"),
    }
    assert tuple(policy.budgets) == STAGES
    for stage, (name, clause, minutes, emergency, anchor) in expected.items():
        b = policy.budgets[stage]
        assert (b.name_vi, b.clause, b.minutes, b.emergency_minutes, b.anchor) == (
            name,
            clause,
            minutes,
            emergency,
            anchor,
        )
    assert policy.at_risk == 0.75
    assert set(STATUS_LABELS_VI) == set(StageStatus)
    assert STATUS_LABELS_VI[StageStatus.OVERDUE_NOTIFIED] == "Quá hạn (đã thông báo tiến độ)"


def test_stage_deadlines_in_working_time_closing_convention(
    policy: SlaPolicy, cal: WorkCalendar
) -> None:
    """From Mon 30/11/2026 07:30: D6.2 11:30, D7.1 17:00, D8 Wed 2/12 17:00, D10.1 11:30."""
    start = local(2026, 11, 30, 7, 30)
    got = {stage: stage_deadline(policy, cal, stage, start).astimezone(VN) for stage in STAGES}
    assert got["verify"] == got["approve"] == got["publish"] == local(2026, 11, 30, 11, 30)
    assert got["forward"] == local(2026, 11, 30, 17)
    assert got["process"] == local(2026, 12, 2, 17)


def test_emergency_runs_on_clock_time(policy: SlaPolicy, cal: WorkCalendar) -> None:
    """An emergency report at 22:00 on a Sunday is due at 23:00 (D6.2 "ngay"), not on Monday."""
    start = local(2026, 11, 29, 22)
    assert stage_deadline(policy, cal, "verify", start, emergency=True) == local(2026, 11, 29, 23)
    assert stage_deadline(policy, cal, "process", start, emergency=True) == local(2026, 11, 30, 22)
    assert stage_deadline(policy, cal, "verify", start) == local(2026, 11, 30, 11, 30)
    both = stage_deadlines(
        policy,
        cal,
        "verify",
        np.array(["2026-11-29T15:00:00", "2026-11-29T15:00:00", "NaT"], dtype="datetime64[s]"),
        np.array([True, False, True]),
    )
    assert [str(x) for x in both] == ["2026-11-29T16:00:00", "2026-11-30T04:30:00", "NaT"]


def test_stage_status_each_case(policy: SlaPolicy, cal: WorkCalendar) -> None:
    """Verify (D6.2) from Mon 07:30, due 11:30: at risk from 75 % of the budget (10:30), due
    instant itself not overdue, overdue after, and overdue after a progress notice told apart."""
    start = local(2026, 11, 30, 7, 30)
    due = local(2026, 11, 30, 11, 30)

    def status(now: dt.datetime, **kw: object) -> StageStatus:
        return stage_status(
            policy,
            cal,
            "verify",
            kw.pop("start", start),
            kw.pop("due", due),
            kw.pop("done", None),
            now,
            **kw,
        )

    assert status(local(2026, 11, 30, 8), start=None) is StageStatus.PENDING
    assert status(local(2026, 11, 30, 10, 29)) is StageStatus.ON_TIME
    assert status(local(2026, 11, 30, 10, 30)) is StageStatus.AT_RISK
    assert status(local(2026, 11, 30, 11, 30)) is StageStatus.AT_RISK
    assert status(local(2026, 11, 30, 11, 30, 1)) is StageStatus.OVERDUE
    notice = local(2026, 11, 30, 11)
    assert (
        status(local(2026, 11, 30, 14), progress_notice_at=notice) is StageStatus.OVERDUE_NOTIFIED
    )
    assert status(local(2026, 11, 30, 10, 59), progress_notice_at=notice) is StageStatus.AT_RISK
    assert (
        status(local(2026, 11, 30, 14), progress_notice_at=local(2026, 11, 30, 15))
        is StageStatus.OVERDUE
    )
    assert status(local(2026, 12, 5), done=due) is StageStatus.DONE_ON_TIME
    assert status(local(2026, 12, 5), done=local(2026, 11, 30, 13, 1)) is StageStatus.DONE_LATE
    # due omitted: the policy's deadline is used
    assert status(local(2026, 11, 30, 11, 31), due=None) is StageStatus.OVERDUE


def test_at_risk_counts_working_minutes_not_clock(policy: SlaPolicy, cal: WorkCalendar) -> None:
    """10:00 + 240 working minutes = 15:30; at 14:00 only 150/240 is used (the lunch hour is free)."""
    start = local(2026, 11, 30, 10)
    assert stage_deadline(policy, cal, "verify", start) == local(2026, 11, 30, 15, 30)
    assert (
        stage_status(policy, cal, "verify", start, None, None, local(2026, 11, 30, 14))
        is StageStatus.ON_TIME
    )
    assert (
        stage_status(policy, cal, "verify", start, None, None, local(2026, 11, 30, 14, 30))
        is StageStatus.AT_RISK
    )
    # a report received on Sunday night has used nothing before Monday morning
    sunday = local(2026, 11, 29, 22)
    assert (
        stage_status(policy, cal, "verify", sunday, None, None, local(2026, 11, 30, 7, 0))
        is StageStatus.ON_TIME
    )


def test_emergency_status_uses_clock_time(policy: SlaPolicy, cal: WorkCalendar) -> None:
    """Emergency verify from Sunday 22:00: due 23:00; 22:45 is at risk, 23:01 overdue."""
    start = local(2026, 11, 29, 22)

    def status(now: dt.datetime) -> StageStatus:
        return stage_status(policy, cal, "verify", start, None, None, now, emergency=True)

    assert status(local(2026, 11, 29, 22, 30)) is StageStatus.ON_TIME
    assert status(local(2026, 11, 29, 22, 45)) is StageStatus.AT_RISK
    assert status(local(2026, 11, 29, 23, 1)) is StageStatus.OVERDUE
    assert (
        stage_status(policy, cal, "verify", start, None, None, local(2026, 11, 29, 23, 1))
        is StageStatus.ON_TIME
    )


def test_unknown_stage_is_an_error(policy: SlaPolicy, cal: WorkCalendar) -> None:
    with pytest.raises(ValueError, match="không tồn tại"):
        stage_deadline(policy, cal, "review", local(2026, 11, 30, 8))


@pytest.mark.parametrize("stage", STAGES)
def test_stage_status_many_equals_stage_status_elementwise(
    policy: SlaPolicy, cal: WorkCalendar, stage: str
) -> None:
    """The vectorised classifier (dashboards, D13.5 reports) agrees with the scalar rules on
    random rows mixing missing starts/dues/done, emergencies and progress notices."""
    rng = np.random.default_rng(STAGES.index(stage))
    n = 600
    now = int(np.datetime64("2026-03-04T03:00:00", "s").astype(np.int64))  # Wed 10:00 local
    start = now - rng.integers(-86_400, 6 * 86_400, n)  # some still in the future
    due = start + rng.integers(0, 4 * 86_400, n)
    done = start + rng.integers(-3600, 6 * 86_400, n)
    notice = start + rng.integers(0, 6 * 86_400, n)
    nat = np.iinfo(np.int64).min
    start[rng.random(n) < 0.1] = nat
    due[rng.random(n) < 0.4] = nat
    done[rng.random(n) < 0.6] = nat
    notice[rng.random(n) < 0.5] = nat
    emergency = rng.random(n) < 0.3
    arrays = [a.view("datetime64[s]") for a in (start, due, done, notice)]
    got = stage_status_many(
        policy,
        cal,
        stage,
        arrays[0],
        arrays[1],
        arrays[2],
        np.datetime64(now, "s"),
        emergency,
        arrays[3],
    )

    def one(x: np.datetime64) -> dt.datetime | None:
        return None if np.isnat(x) else x.item().replace(tzinfo=dt.UTC)

    now_dt = one(np.datetime64(now, "s"))
    expected = [
        stage_status(policy, cal, stage, one(s), one(d), one(f), now_dt, bool(e), one(p))
        for s, d, f, p, e in zip(*arrays, emergency, strict=True)
    ]
    assert got.tolist() == [status.value for status in expected]
    assert set(expected) == set(StageStatus)  # the random rows exercise every status


# --------------------------------------------------------------------------- CLI


@pytest.fixture()
def runner(tmp_path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """The file calendar, so the test does not depend on a database being reachable:
    `DATABASE_URL` names a database that cannot be opened, and `ioc sla` then falls back to
    data/calendar.toml (`clocks.current_calendar`)."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'absent' / 'ioc.db'}")
    return CliRunner()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--stage", "verify", "--from", "2026-11-30T07:30:00+07:00"], "2026-11-30T11:30:00+07:00"),
        (["--stage", "verify", "--from", "2026-11-30T00:30:00Z"], "2026-11-30T11:30:00+07:00"),
        (["--stage", "verify", "--from", "2026-11-30T07:30"], "2026-11-30T11:30:00+07:00"),
        (
            ["--stage", "forward", "--from", "2026-02-13T16:00:00+07:00"],
            "2026-02-23T16:00:00+07:00",
        ),
        (
            ["--stage", "verify", "--from", "2026-11-29T22:00", "--emergency"],
            "2026-11-29T23:00:00+07:00",
        ),
    ],
)
def test_cli_sla_deadline_prints_only_the_deadline(
    runner: CliRunner, args: list[str], expected: str
) -> None:
    """`ioc sla deadline` (D6.2, D7.1): closing-time convention, ISO 8601 with +07:00."""
    from backend.cli import main

    result = runner.invoke(main, ["sla", "deadline", *args])
    assert result.exit_code == 0, result.output
    assert result.output == expected + "\n"


@pytest.mark.parametrize(
    "args",
    [
        ["--stage", "review", "--from", "2026-11-30T07:30:00+07:00"],
        ["--stage", "verify", "--from", "30/11/2026 7h30"],
        ["--stage", "verify", "--from", "2050-01-01T08:00"],
        ["--stage", "verify"],
    ],
)
def test_cli_sla_deadline_bad_input_is_one_vietnamese_line(
    runner: CliRunner, args: list[str]
) -> None:
    from backend.cli import main

    result = runner.invoke(main, ["sla", "deadline", *args])
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Lỗi: ")

"""KPI definitions (backend/services/kpis/figures.py, docs/kpi.md): periods, and every figure on reports
walked through the workflow by the real services, checked one by one against what happened.

The scenario (November 2026, Vietnam time, figures taken Friday 13/11/2026 10:00):

- A: submitted, accepted, forwarded to UBND TP Thái Nguyên, processed in 4.5 working hours,
  approved, published, rated "Hài lòng" - on time everywhere;
- B: rejected within the hour;
- C: asked to supplement, still waiting (its forward clock is paused);
- D: confidential; asked to supplement and supplemented; forwarded to the wrong agency, returned
  to the IOC (misrouting), forwarded again; a progress notice; the result comes after the
  processing deadline, is sent back for rework, comes again, is approved and answered privately;
- E: accepted and escalated to the provincial People's Committee, still waiting for direction
  (its forwarding is overdue);
- F: forwarded and received, no result: processing overdue, no progress notice;
- G: October 2026 (the previous period), rejected.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from conftest import BACKENDS, scratch_database
from sqlalchemy import func, select

from backend.config import LOCAL_TZ
from backend.domain.roles import Role
from backend.domain.sla import STAGES, StageStatus, stage_status
from backend.domain.workflow import Actor
from backend.domain.worktime import NAT_INT
from backend.services import kpis as kpi
from backend.services.admin.reference_data import prepare_database
from backend.services.clocks import current_calendar, sla_policy
from backend.services.intake.submit import NewReport, submit_report
from backend.services.kpis import Filters, Period, PeriodError
from backend.services.workflow.steps import perform_action
from backend.storage import snapshots
from backend.storage.db import session_factory
from backend.storage.models import Report

LAT, LON = 21.5942, 105.8482  # Phường Phan Đình Phùng (05443), area tp_thai_nguyen
FIELD, AGENCY, WRONG = "do_thi_xay_dung", "ubnd_05443", "dien_luc"
NOW = datetime(2026, 11, 13, 10, 0, tzinfo=LOCAL_TZ)
NOVEMBER = Period.month(2026, 11)
IOC = Actor("ioc_lan", Role.IOC_HANDLER)
CITIZEN = Actor("citizen", Role.CITIZEN)
LEADER = Actor("lanhdao_tinh", Role.PROVINCIAL_LEADER)
HANDLER, HEAD = Actor("xl_164", Role.AGENCY_HANDLER, AGENCY), Actor("ld_164", Role.AGENCY_LEADER,
                                                                      AGENCY)
WRONG_HANDLER = Actor("xl_dl", Role.AGENCY_HANDLER, WRONG)


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    """A local instant in 2026."""
    return datetime(2026, month, day, hour, minute, tzinfo=LOCAL_TZ)


# =========================================================================== periods


def test_months_quarters_and_ranges_parse() -> None:
    october = Period.parse("2026-10")
    assert (october.kind, october.start, october.end) == ("month", date(2026, 10, 1),
                                                          date(2026, 11, 1))
    assert Period.parse("10/2026") == october == Period.parse_month(" 2026-10 ")
    assert october.label_vi == "tháng 10/2026" and october.code == "2026-10"
    assert october.span_vi == "01/10/2026 - 31/10/2026"
    # local midnight of 1/10 is 17:00 UTC the day before
    assert october.start_utc == datetime(2026, 9, 30, 17, 0, tzinfo=UTC)
    assert october.end_utc == datetime(2026, 10, 31, 17, 0, tzinfo=UTC)
    q3 = Period.parse("2026-q3")
    assert (q3.start, q3.end, q3.kind) == (date(2026, 7, 1), date(2026, 10, 1), "quarter")
    assert q3.label_vi == "quý III/2026" and q3.code == "2026-Q3"
    assert [m.code for m in q3.months()] == ["2026-07", "2026-08", "2026-09"]
    assert Period.parse("2026-Q1").previous() == Period.quarter(2025, 4)
    assert Period.parse("2026-01").previous() == Period.month(2025, 12)
    span = Period.parse("2026-10-01..2026-10-15")
    assert (span.start, span.last_day, span.kind) == (date(2026, 10, 1), date(2026, 10, 15),
                                                      "range")
    assert span.previous() == Period.between(date(2026, 9, 16), date(2026, 9, 30))
    assert [m.code for m in october.months_back(3)] == ["2026-08", "2026-09", "2026-10"]
    assert [m.code for m in q3.months_back(2)] == ["2026-08", "2026-09"]
    assert Period.parse("2024-02").last_day == date(2024, 2, 29)


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-13", "Tháng '2026-13' không hợp lệ: tháng phải từ 1 đến 12."),
    ("2026-00", "Tháng '2026-00' không hợp lệ: tháng phải từ 1 đến 12."),
    ("2026-Q5", "Quý '2026-Q5' không hợp lệ: quý phải từ 1 đến 4."),
    ("1899-10", "năm phải từ 2000 đến 2100"),
    ("tháng mười", "Kỳ báo cáo 'tháng mười' không hợp lệ"),
    ("", "Kỳ báo cáo '' không hợp lệ"),
    ("2026-02-30..2026-03-01", "có ngày không tồn tại"),
    ("2026-10-15..2026-10-01", "ngày cuối (01/10/2026) trước ngày đầu (15/10/2026)"),
])
def test_bad_periods_say_why(text: str, expected: str) -> None:
    with pytest.raises(PeriodError) as caught:
        Period.parse(text)
    assert expected in str(caught.value)
    assert "\n" not in str(caught.value)


def test_parse_month_and_quarter_refuse_the_other_kind() -> None:
    with pytest.raises(PeriodError, match=r"Tháng '2026-Q3' không hợp lệ: cần dạng YYYY-MM"):
        Period.parse_month("2026-Q3")
    with pytest.raises(PeriodError, match=r"Quý '2026-10' không hợp lệ: cần dạng YYYY-Qn"):
        Period.parse_quarter("2026-10")
    with pytest.raises(PeriodError, match="tháng phải từ 1 đến 12"):
        Period.parse_month("2026-13")


def test_every_figure_has_a_vietnamese_label_and_targets_load() -> None:
    for key in kpi.FIGURE_KEYS:
        assert kpi.label(key), key
    assert kpi.label("process.late") == "Xử lý: trễ hạn"
    assert kpi.label("rate.on_time.e2e") == "Toàn quy trình: tỷ lệ đúng hạn"
    with pytest.raises(KeyError):
        kpi.label("no.such.figure")
    targets = kpi.load_targets()
    assert targets.min_sample >= 1
    assert {spec.key for spec in targets.headline} <= kpi.FIGURE_KEYS
    assert set(targets.stage_targets) == set(kpi.STAGE_KEYS)


def test_bad_targets_file_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "kpi_targets.toml"
    bad.write_text('[[headline]]\nkey = "no.such"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="'no.such' không tồn tại"):
        kpi.load_targets(bad)


# =========================================================================== the scenario


def _report(url: str, when: datetime, **fields) -> str:
    new = NewReport(description="Vỉa hè bị lấn chiếm, người đi bộ phải đi xuống lòng đường",
                    lat=LAT, lon=LON, reporter_name="Trần Thị Bình", reporter_phone="0912345678",
                    consent_version="2026-01", **fields)
    return submit_report(new, now=when, url=url).code


def _steps(url: str, code: str, *steps) -> None:
    for when, action, actor, params in steps:
        perform_action(code, action, actor, params, now=when, url=url)


def _build(url: str) -> dict[str, str]:
    prepare_database(url)
    codes = {}
    codes["A"] = _report(url, at(2, 8))
    _steps(url, codes["A"],
           (at(2, 8, 30), "accept", IOC, {"field": FIELD}),
           (at(2, 9), "forward", IOC, {"field": FIELD, "agency": AGENCY}),
           (at(2, 9, 30), "receive", HANDLER, {}),
           (at(2, 15), "submit_result", HANDLER, {"result": "Đã dọn dẹp"}),
           (at(2, 15, 30), "approve", HEAD, {}),
           (at(2, 16), "publish", IOC, {}),
           (at(2, 17), "feedback", CITIZEN, {"rating": "hai_long"}))
    codes["B"] = _report(url, at(2, 9))
    _steps(url, codes["B"], (at(2, 10), "reject", IOC, {"reason": "Không đủ thông tin"}))
    codes["C"] = _report(url, at(3, 8))
    _steps(url, codes["C"], (at(3, 9), "request_supplement", IOC, {"missing": "Địa chỉ"}))
    codes["D"] = _report(url, at(2, 10), confidential=True)
    _steps(url, codes["D"],
           (at(2, 10, 30), "request_supplement", IOC, {"missing": "Ảnh chụp"}),
           (at(2, 14), "supplement", CITIZEN, {"text": "Xin gửi thêm ảnh"}),
           (at(2, 14, 30), "accept", IOC, {"field": FIELD}),
           (at(2, 15), "forward", IOC, {"field": FIELD, "agency": WRONG}),
           (at(2, 15, 10), "receive", WRONG_HANDLER, {}),
           (at(2, 15, 20), "return_to_ioc", WRONG_HANDLER, {"reason": "Không thuộc thẩm quyền"}),
           (at(2, 16), "forward", IOC, {"field": FIELD, "agency": AGENCY}),
           (at(3, 8), "receive", HANDLER, {}),
           (at(4, 10), "progress_notice", HANDLER, {"note": "Đang lấy ý kiến"}),
           (at(6, 10), "submit_result", HANDLER, {"result": "Đã xử lý"}),
           (at(6, 11), "return_for_rework", HEAD, {"reason": "Bổ sung ảnh"}),
           (at(6, 14), "submit_result", HANDLER, {"result": "Đã xử lý, có ảnh"}),
           (at(6, 14, 30), "approve", HEAD, {}),
           (at(6, 15), "publish", IOC, {}))
    codes["E"] = _report(url, at(3, 10))
    _steps(url, codes["E"],
           (at(3, 10, 30), "accept", IOC, {"field": FIELD}),
           (at(3, 11), "escalate", IOC, {"reason": "Hai cơ quan chưa thống nhất"}))
    codes["F"] = _report(url, at(4, 8))
    _steps(url, codes["F"],
           (at(4, 8, 15), "accept", IOC, {"field": FIELD}),
           (at(4, 8, 30), "forward", IOC, {"field": FIELD, "agency": AGENCY}),
           (at(4, 9), "receive", HANDLER, {}))
    codes["G"] = _report(url, at(15, 8, month=10))
    _steps(url, codes["G"], (at(15, 9, month=10), "reject", IOC, {"reason": "Trùng lặp"}))
    return codes


@pytest.fixture(scope="module", params=BACKENDS)  # one per backend (conftest)
def scenario(request, tmp_path_factory) -> Iterator[tuple[str, dict[str, str]]]:
    """The scenario's database (one per backend, shared by the read-only tests below)."""
    with scratch_database(request.param, tmp_path_factory.mktemp("kpi")) as url:
        yield url, _build(url)


@pytest.fixture(scope="module")
def snap(scenario) -> kpi.Snapshot:
    url, _ = scenario
    return kpi.snapshot(NOVEMBER, now=NOW, url=url)


EXPECTED = {
    "received": "ABCDEF", "rejected": "B", "supplement_requested": "CD",
    "waiting_supplement": "C", "forwarded": "ADF", "returned": "D", "escalated": "E",
    "escalation_waiting": "E", "result_submitted": "AD", "processed": "AD", "answered": "AD",
    "published": "A", "answered_privately": "D", "rework": "D", "reopened": "",
    "progress_notice": "D", "open": "CEF", "private": "D", "emergency": "", "rated": "A",
    "rating.hai_long": "A", "rating.chap_nhan_duoc": "", "rating.khong_hai_long": "",
    "verify.on_time": "ABCDEF", "verify.late": "",
    "forward.on_time": "ABDF", "forward.late": "E", "forward.overdue": "E",
    "forward.late_no_notice": "E", "forward.pending": "",
    "process.on_time": "A", "process.late": "DF", "process.late_done": "D",
    "process.overdue": "F", "process.late_notice": "D", "process.late_no_notice": "F",
    "process.pending": "", "approve.on_time": "AD", "approve.late": "", "publish.on_time": "AD",
    "publish.late": "", "e2e.on_time": "A", "e2e.late": "DEF", "e2e.late_done": "D",
    "e2e.overdue": "EF", "e2e.pending": "C", "e2e.late_notice": "D",
    "e2e.late_no_notice": "EF", "agency_late": "DF", "agency_overdue": "F",
}


def test_each_count_is_what_happened(scenario, snap) -> None:
    _, codes = scenario
    totals = snap.totals()
    for key, letters in EXPECTED.items():
        assert totals[key] == len(letters), key
    assert totals["returned_times"] == 1 and totals["rework_times"] == 1
    assert totals["escalation_times"] == 1


def test_click_through_lists_exactly_the_reports_behind_each_figure(scenario, snap) -> None:
    url, codes = scenario
    totals = snap.totals()
    for key in kpi.FLAG_KEYS:
        listed = kpi.report_codes(key, NOVEMBER, now=NOW, url=url)
        assert len(listed) == totals[key], key
        if key in EXPECTED:
            assert set(listed) == {codes[letter] for letter in EXPECTED[key]}, key
    assert kpi.report_codes("received", NOVEMBER, now=NOW, url=url, limit=2) == [codes["A"],
                                                                                 codes["B"]]
    assert kpi.report_codes("returned_times", NOVEMBER, now=NOW, url=url) == [codes["D"]]
    in_agency = kpi.report_codes("received", NOVEMBER, Filters(agency=AGENCY), now=NOW, url=url)
    assert set(in_agency) == {codes["A"], codes["D"], codes["F"]}
    with pytest.raises(ValueError, match="không phải là một số đếm"):
        kpi.report_codes("rate.on_time.e2e", NOVEMBER, now=NOW, url=url)


def test_ratios(snap) -> None:
    f = snap.figures()
    assert f["rate.answered"] == pytest.approx(2 / 5)  # B was rejected
    assert f["rate.misrouting"] == pytest.approx(1 / 3)
    assert f["rate.rework"] == pytest.approx(1 / 2)
    assert f["rate.rated"] == pytest.approx(1 / 2)
    assert f["rate.satisfied"] == pytest.approx(1.0)
    assert f["rate.late_notice"] == pytest.approx(1 / 2)
    assert f["rate.on_time.process"] == pytest.approx(1 / 3)
    assert f["rate.on_time.forward"] == pytest.approx(4 / 5)
    assert f["rate.on_time.e2e"] == pytest.approx(1 / 4)
    assert f["rate.on_time.approve"] == 1.0


def test_working_hours_per_stage_use_the_working_calendar(scenario, snap) -> None:
    url, _ = scenario
    calendar = current_calendar(url)
    a_process = calendar.elapsed_one(at(2, 9), at(2, 15)) / 60
    assert a_process == 4.5  # 09:00-11:30 and 13:00-15:00 (winter hours)
    d_process = calendar.elapsed_one(at(2, 16), at(6, 14)) / 60  # the last result counts
    f = snap.figures()
    assert f["hours.count.process"] == 2
    assert f["hours.avg.process"] == pytest.approx((a_process + d_process) / 2)
    assert f["hours.median.process"] == pytest.approx((a_process + d_process) / 2)
    a_e2e = calendar.elapsed_one(at(2, 8), at(2, 16)) / 60
    d_e2e = calendar.elapsed_one(at(2, 14), at(6, 15)) / 60  # from the supplement
    assert f["hours.count.e2e"] == 2
    assert f["hours.avg.e2e"] == pytest.approx((a_e2e + d_e2e) / 2)
    assert f["hours.count.verify"] == 6  # C's verification ended with the request
    # the slim read for the previous period gives the same hours
    assert snap.figures(hours=("process", "e2e"))["hours.median.process"] == pytest.approx(
        f["hours.median.process"])
    again = kpi.snapshot(NOVEMBER, now=NOW, url=url).figures(hours=("process",))
    assert again["hours.avg.process"] == pytest.approx(f["hours.avg.process"])
    assert "hours.avg.verify" not in again


def test_stage_statuses_agree_with_the_sla_domain(scenario, snap) -> None:
    """Every (report, stage) status of the KPIs is the one backend.domain.sla gives."""
    url, codes = scenario
    calendar, policy = current_calendar(url), sla_policy()
    mapping = {StageStatus.DONE_ON_TIME: kpi.ST_ON_TIME, StageStatus.DONE_LATE: kpi.ST_LATE_DONE,
               StageStatus.OVERDUE: kpi.ST_OVERDUE, StageStatus.OVERDUE_NOTIFIED: kpi.ST_OVERDUE,
               StageStatus.ON_TIME: kpi.ST_PENDING, StageStatus.AT_RISK: kpi.ST_PENDING,
               StageStatus.PENDING: kpi.ST_NONE}
    rows = snap.rows.set_index("code")
    with session_factory(url)() as session:
        reports = {r.code: r for r in session.scalars(select(Report))}
    for letter in "ABCDEF":
        report = reports[codes[letter]]
        for stage in STAGES:
            if letter == "C" and stage == "forward":
                assert rows.loc[report.code, f"status.{stage}"] == kpi.ST_NONE  # paused
                continue
            domain = stage_status(policy, calendar, stage, getattr(report, f"{stage}_start"),
                                  getattr(report, f"{stage}_due"),
                                  getattr(report, f"{stage}_done"), NOW, report.emergency,
                                  report.progress_notice_at)
            assert rows.loc[report.code, f"status.{stage}"] == mapping[domain], (letter, stage)


def test_overdue_list_names_who_answers_and_how_late(scenario, snap) -> None:
    url, codes = scenario
    calendar = current_calendar(url)
    cases = kpi.overdue_cases(NOVEMBER, now=NOW, url=url)
    assert list(cases.columns) == list(kpi.OVERDUE_COLUMNS)
    found = {(c, s): row for c, s, row in zip(cases["code"], cases["stage"],
                                              cases.to_dict("records"), strict=True)}
    assert set(found) == {(codes["D"], "process"), (codes["E"], "forward"),
                          (codes["F"], "process")}
    with session_factory(url)() as session:
        reports = {r.code: r for r in session.scalars(select(Report))}
    d = found[(codes["D"], "process")]
    assert (d["status"], d["responsible"], d["progress_notice"]) == ("late_done", AGENCY, True)
    assert d["responsible_name"] == "UBND phường Phan Đình Phùng"
    assert d["hours_late"] == pytest.approx(
        calendar.elapsed_one(reports[codes["D"]].process_due, at(6, 14)) / 60, abs=0.01)
    assert d["private"] and (d["unit"], d["area"]) == ("05443", "tp_thai_nguyen")
    assert (d["unit_name"], d["area_name"]) == ("Phường Phan Đình Phùng", "TP Thái Nguyên")
    e = found[(codes["E"], "forward")]
    assert (e["status"], e["responsible"], e["progress_notice"]) == ("overdue", "ioc", False)
    assert e["responsible_name"] == "Trung tâm IOC tỉnh"
    assert e["hours_late"] == pytest.approx(
        calendar.elapsed_one(reports[codes["E"]].forward_due, NOW) / 60, abs=0.01)
    assert pd_is_nat(e["done_at"])
    f = found[(codes["F"], "process")]
    assert (f["status"], f["responsible"]) == ("overdue", AGENCY)
    assert list(cases["hours_late"]) == sorted(cases["hours_late"], reverse=True)
    # by responsible unit
    units = kpi.overdue_by_responsible(cases)
    assert units.loc[AGENCY, "late"] == 2 and units.loc[AGENCY, "overdue"] == 1
    assert units.loc["ioc", "late"] == 1 and units.loc[AGENCY, "with_notice"] == 1
    # the same rows from the snapshot; only the running ones without done; the live list
    assert snap.overdue()[["code", "stage"]].values.tolist() == cases[["code", "stage"]].values.tolist()
    running = kpi.overdue_cases(NOVEMBER, now=NOW, url=url, include_done=False)
    assert set(running["code"]) == {codes["E"], codes["F"]}
    live = kpi.overdue_cases(None, now=NOW, url=url)
    assert set(zip(live["code"], live["stage"], strict=True)) == {
        (codes["E"], "forward"), (codes["F"], "process")}


def pd_is_nat(value) -> bool:
    import pandas as pd  # noqa: PLC0415

    return pd.isna(value)


def test_escalations_waiting_for_direction(scenario) -> None:
    url, codes = scenario
    waiting = kpi.escalations_waiting(now=NOW, url=url)
    assert list(waiting["code"]) == [codes["E"]]
    row = waiting.iloc[0]
    expected = current_calendar(url).elapsed_one(at(3, 11), NOW) / 60
    assert row["waiting_hours"] == pytest.approx(expected, abs=0.01)
    assert bool(row["overdue"]) and row["area_name"] == "TP Thái Nguyên"
    assert row["unit_name"] == "Phường Phan Đình Phùng"
    assert row["escalated_at"].to_pydatetime() == at(3, 11).astimezone(UTC)
    # once directed, it no longer waits
    assert kpi.escalations_waiting(Filters(area="tp_song_cong"), now=NOW, url=url).empty
    assert list(kpi.escalations_waiting(Filters(area="tp_thai_nguyen"), now=NOW,
                                        url=url)["code"]) == [codes["E"]]


def test_tables_by_dimension_add_up(scenario, snap) -> None:
    by_agency = snap.by("agency")
    assert by_agency.loc[AGENCY, "received"] == 3 and by_agency.loc[kpi.NONE, "received"] == 3
    assert by_agency.loc[AGENCY, "name"] == "UBND phường Phan Đình Phùng"
    assert snap.by("area").loc["tp_thai_nguyen", "received"] == 6
    assert snap.by("unit").loc["05443", "name"] == "Phường Phan Đình Phùng"
    assert by_agency.loc[kpi.NONE, "name"] == "Chưa chuyển cơ quan xử lý"
    assert by_agency.loc[AGENCY, "rate.on_time.process"] == pytest.approx(1 / 3)
    for dimension in kpi.DIMENSIONS:
        table = snap.by(dimension)
        for key in kpi.COUNT_KEYS:
            assert table[key].sum() == snap.totals()[key], (dimension, key)
    assert snap.by("channel").loc["portal", "name"] == "Cổng tiếp nhận phản ánh"
    with pytest.raises(ValueError):
        snap.by("street")
    satisfaction = snap.satisfaction("agency")
    assert satisfaction.loc[AGENCY, "rated"] == 1
    assert snap.satisfaction().loc["total", "rate.rated"] == pytest.approx(0.5)


def test_matrix_and_ranking(snap) -> None:
    matrix = snap.matrix()
    cell = matrix[(matrix["agency"] == AGENCY) & (matrix["place"] == "tp_thai_nguyen")].iloc[0]
    assert (cell["received"], cell["late"], cell["overdue"], cell["on_time"]) == (3, 2, 1, 1)
    assert cell["on_time_rate"] == pytest.approx(1 / 3)
    assert cell["place_name"] == "TP Thái Nguyên"
    by_unit = snap.matrix("unit")
    cell = by_unit[(by_unit["agency"] == AGENCY) & (by_unit["place"] == "05443")].iloc[0]
    assert (cell["received"], cell["place_name"]) == (3, "Phường Phan Đình Phùng")
    with pytest.raises(ValueError):
        snap.matrix("district")
    ranked = snap.ranking(min_sample=1)
    assert ranked.index[0] == AGENCY and ranked.loc[AGENCY, "rank"] == 1
    assert ranked.loc[AGENCY, "decided"] == 3
    tiny = snap.ranking()  # the data file asks for more decided cases than 3
    assert not tiny.loc[AGENCY, "eligible"] and tiny["rank"].isna().all()
    assert kpi.NONE not in tiny.index


def test_previous_period_trend_and_headline(scenario) -> None:
    url, codes = scenario
    headlines = {h.key: h for h in kpi.headline_kpis(NOVEMBER, now=NOW, url=url)}
    received = headlines["received"]
    assert (received.value, received.previous, received.change) == (6, 1, 5.0)
    assert received.label == "Phản ánh tiếp nhận" and received.unit == "count"
    e2e = headlines["rate.on_time.e2e"]
    assert e2e.value == pytest.approx(0.25) and e2e.target == 0.9 and e2e.met is False
    assert e2e.previous is None and e2e.change is None  # October had nothing decided
    assert headlines["hours.median.process"].unit == "hours"
    trend = kpi.monthly_trend(NOVEMBER, now=NOW, url=url, months=3)
    assert list(trend["month"]) == ["2026-09", "2026-10", "2026-11"]
    assert list(trend["received"]) == [0, 1, 6] and list(trend["rejected"]) == [0, 1, 1]
    assert trend["rate.on_time.e2e"].iloc[-1] == pytest.approx(0.25)
    assert np.isnan(trend["rate.on_time.e2e"].iloc[0])
    quarter = kpi.snapshot(Period.quarter(2026, 4), now=NOW, url=url)
    assert list(quarter.trend()["received"]) == [1, 6, 0]


def test_filters(scenario) -> None:
    url, codes = scenario
    assert kpi.snapshot(NOVEMBER, Filters(agency=AGENCY), now=NOW, url=url).totals()[
        "received"] == 3
    assert kpi.snapshot(NOVEMBER, Filters(agency=kpi.NONE), now=NOW, url=url).totals()[
        "received"] == 3
    assert kpi.snapshot(NOVEMBER, Filters(area="tp_song_cong"), now=NOW, url=url).totals()[
        "received"] == 0
    assert kpi.snapshot(NOVEMBER, Filters(area="tp_thai_nguyen"), now=NOW, url=url).totals()[
        "received"] == 6
    assert kpi.snapshot(NOVEMBER, Filters(unit="05443"), now=NOW, url=url).totals()[
        "received"] == 6
    assert kpi.snapshot(NOVEMBER, Filters(unit="05455"), now=NOW, url=url).totals()[
        "received"] == 0
    assert kpi.snapshot(NOVEMBER, Filters(channel="portal", field=FIELD), now=NOW,
                        url=url).totals()["received"] == 4  # A, D, E, F were classified
    assert kpi.count_reports(NOVEMBER, url=url) == 6
    assert Filters().empty and not Filters(field=FIELD).empty
    assert Filters(field=FIELD).with_(agency=AGENCY) == Filters(field=FIELD, agency=AGENCY)


def test_an_empty_period_has_zeros_not_errors(scenario) -> None:
    url, _ = scenario
    empty = kpi.snapshot(Period.month(2025, 1), now=NOW, url=url)
    figures = empty.figures()
    assert figures["received"] == 0 and figures["rate.on_time.e2e"] is None
    assert figures["hours.median.process"] is None
    assert empty.by("field").empty and empty.overdue().empty
    assert list(empty.stage_table().index) == [*STAGES, "e2e"]
    assert kpi.overdue_by_responsible(empty.overdue()).empty


def test_now_must_be_aware(scenario) -> None:
    url, _ = scenario
    with pytest.raises(ValueError, match="múi giờ"):
        kpi.snapshot(NOVEMBER, now=datetime(2026, 11, 13, 10), url=url)


def test_consistent_reads_share_one_transaction(scenario) -> None:
    url, _ = scenario
    with snapshots.consistent_reads(url) as session:
        with snapshots.reading_session(url) as inner:
            assert inner is session
        first = kpi.snapshot(NOVEMBER, now=NOW, url=url).totals()["received"]
    assert first == 6
    with session_factory(url)() as session:
        assert session.scalar(select(func.count()).select_from(Report)) == 7


def test_working_hours_vectorised_clock_time_for_emergencies(scenario) -> None:
    url, _ = scenario
    calendar = current_calendar(url)
    start = np.array([int(at(2, 9).timestamp()), int(at(7, 9).timestamp()), NAT_INT])
    end = np.array([int(at(2, 15).timestamp()), int(at(7, 11).timestamp()),
                    int(at(2, 9).timestamp())])
    hours = kpi.working_hours(calendar, start, end, np.array([False, True, False]))
    assert hours[0] == 4.5  # working time
    assert hours[1] == 2.0  # a Saturday, but an emergency runs on the clock
    assert np.isnan(hours[2])
    assert timedelta(hours=hours[0]) == timedelta(hours=4, minutes=30)


def test_parallel_reads_see_the_same_snapshot(ready_db) -> None:
    """Reads of a pack see the data as it was when the block began, even in other threads."""
    url = ready_db
    _report(url, at(2, 8))

    def count() -> int:
        with snapshots.reading_session(url) as session:
            return session.scalar(select(func.count()).select_from(Report))

    with snapshots.consistent_reads(url):
        before = count()
        _report(url, at(2, 9))  # committed by another transaction meanwhile
        assert snapshots.parallel_reads(url, count, count, count) == [before] * 3
        assert kpi.snapshot(NOVEMBER, now=NOW, url=url).totals()["received"] == before
    assert count() == before + 1
    assert snapshots.parallel_reads(url, count, lambda: 7) == [before + 1, 7]

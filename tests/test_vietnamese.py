"""Vietnamese text, written once (backend/vietnamese.py): numbers, dates, dictionary order (a ă â b c d
đ e ê ...; tones only between equal letters), cleaning."""

from __future__ import annotations

import datetime as dt

from backend import vietnamese as vn
from backend.config import LOCAL_TZ
from backend.vietnamese import sort_key
from dashboard.lookups import options


def test_vietnamese_alphabet_not_code_points() -> None:
    fields = ["Y tế", "Điện", "Đô thị và xây dựng", "Đất đai", "Giao thông", "Dân số"]
    assert sorted(fields, key=sort_key) == [
        "Dân số", "Đất đai", "Điện", "Đô thị và xây dựng", "Giao thông", "Y tế"]
    districts = ["Phú Lương", "Phổ Yên", "Đại Từ", "Định Hóa", "Đồng Hỷ", "TP Thái Nguyên"]
    assert sorted(districts, key=sort_key) == [
        "Đại Từ", "Định Hóa", "Đồng Hỷ", "Phổ Yên", "Phú Lương", "TP Thái Nguyên"]
    assert sorted(["ơ", "o", "ô", "u", "ư"], key=sort_key) == ["o", "ô", "ơ", "u", "ư"]


def test_tones_only_break_ties_between_equal_letters() -> None:
    assert sorted(["bạ", "bá", "ba", "bà", "bả", "bã"], key=sort_key) == [
        "ba", "bà", "bá", "bả", "bã", "bạ"]
    assert sorted(["bác", "bàn", "bạc"], key=sort_key) == ["bác", "bạc", "bàn"]  # c < n first
    assert sorted(["Giáo dục", "Giao thông"], key=sort_key) == ["Giao thông", "Giáo dục"]
    assert sorted(["Số 2", "Số", "Sổ"], key=sort_key) == ["Số", "Số 2", "Sổ"]


def test_dropdown_options_follow_it() -> None:
    got = options({"y_te": "Y tế", "dien": "Điện", "dat_dai": "Đất đai", "an_ninh": "An ninh"})
    assert [o["label"] for o in got] == ["An ninh", "Đất đai", "Điện", "Y tế"]


def test_numbers_as_vietnamese_write_them() -> None:
    assert vn.integer(83412) == "83.412" and vn.integer(None) == "-"
    assert vn.integer(float("nan")) == "-" and vn.integer(2.5) == "2"  # rounded half to even
    assert vn.percent(0.92376) == "92,4%" and vn.decimal(1234.56) == "1.234,6"
    assert vn.percent(None) == "-" and vn.percent(1) == "100,0%"
    assert vn.figure(0.5, "rate") == "50,0%" and vn.figure(12.34, "hours") == "12,3"
    assert vn.figure(1234, "count") == "1.234"


def test_dates_in_vietnam_time() -> None:
    late_evening_utc = dt.datetime(2026, 11, 30, 20, 5, tzinfo=dt.UTC)  # 03:05 on 1/12 in Vietnam
    assert vn.date(late_evening_utc) == "01/12/2026"
    assert vn.date(dt.date(2026, 3, 5)) == "05/03/2026" and vn.date(None) == ""
    assert vn.date_time(late_evening_utc) == "01/12/2026 03:05"
    assert vn.time_date(late_evening_utc.isoformat()) == "03:05 01/12/2026"
    assert vn.moment(dt.datetime(2026, 11, 1, 8, tzinfo=LOCAL_TZ)) == "08:00 ngày 01/11/2026"
    assert vn.decree_date("Thái Nguyên", dt.date(2026, 3, 5)) == \
        "Thái Nguyên, ngày 05 tháng 3 năm 2026"
    assert vn.decree_date("Thái Nguyên", dt.date(2026, 2, 15)) == \
        "Thái Nguyên, ngày 15 tháng 02 năm 2026"
    assert vn.decree_date("Thái Nguyên", dt.date(2026, 11, 20)).endswith("ngày 20 tháng 11 năm 2026")


def test_countdown_and_clauses() -> None:
    now = dt.datetime(2026, 12, 7, 8, tzinfo=LOCAL_TZ)
    assert vn.countdown(now + dt.timedelta(hours=2, minutes=15), now) == "còn 2 giờ 15 phút"
    assert vn.countdown(now - dt.timedelta(days=1, hours=3), now) == "quá hạn 1 ngày 3 giờ"
    assert vn.clause("D8 bước 3") == "Đ8 bước 3" and vn.clause(None) == ""


def test_cleaning_and_folding() -> None:
    assert vn.clean("  Đe\u0300n đường  ") == "Đèn đường" and vn.clean("   ") is None
    assert vn.clean(None) is None
    assert vn.fold("Đường Hoàng Văn Thụ") == "duong hoang van thu"
    assert vn.lower("ĐƯỜNG") == "đường"


def test_clocks_and_working_time() -> None:
    at = dt.datetime(2026, 12, 7, 16, 5, 9, tzinfo=dt.UTC)  # 23:05:09 in Vietnam
    assert vn.clock(at) == "23:05:09 07/12/2026" and vn.clock(at, " · ") == "23:05:09 · 07/12/2026"
    assert vn.time_day(at) == "23:05 07/12"
    assert [vn.working_time(m) for m in (1440, 480, 240, 450, 45)] == [
        "3 ngày", "1 ngày", "4 giờ", "7 giờ 30 phút", "45 phút"]
    assert [vn.working_time(m, halves=True) for m in (240, 720, 480, 90, 100)] == [
        "½ ngày", "1,5 ngày", "1 ngày", "1,5 giờ", "1 giờ 40 phút"]
    assert vn.hours_minutes(240) == "4 giờ" and vn.hours_minutes(90, half_hours=True) == "1,5 giờ"

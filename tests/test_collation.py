"""Vietnamese alphabetical order (a ă â b c d đ e ê ...; tones only between equal letters)."""

from __future__ import annotations

from backend.domain.collation import sort_key
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

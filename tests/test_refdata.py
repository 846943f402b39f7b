"""The shipped reference data (data/) and its pure loader, backend.reference.files (D7, D13.4, D14.1)."""

from __future__ import annotations

import shutil
import unicodedata
from pathlib import Path

import pytest

from backend.config import data_dir
from backend.reference import files as refdata

SAMPLE = {
    "street": "Hoàng Văn Thụ", "place": "chợ", "commune": "phường Túc Duyên",
    "time": "sáng nay", "date": "05/03/2025", "agency": "UBND thành phố Thái Nguyên",
}


@pytest.fixture(scope="module")
def fields() -> list[refdata.Field]:
    return refdata.load_fields()


@pytest.fixture(scope="module")
def agencies() -> list[refdata.Agency]:
    return refdata.load_agencies()


@pytest.fixture(scope="module")
def rules() -> list[refdata.RoutingRule]:
    return refdata.load_routing()


@pytest.fixture(scope="module")
def texts() -> dict:
    return refdata.load_demo_texts()


def _has_vietnamese_letter(text: str) -> bool:
    return any(not c.isascii() and c.isalpha() for c in text)


def test_shipped_data_is_valid() -> None:
    assert refdata.validate() == []


def test_catalogue_size_and_codes(fields, agencies) -> None:
    assert 12 <= len(fields) <= 20
    assert 110 <= len(agencies) <= 140  # the departments, 92 UBND xã/phường, sector units
    assert {"moi_truong", "giao_thong", "do_thi_xay_dung", "dien", "nuoc", "khac"} <= {
        f.code for f in fields}
    assert all(f.code.isascii() and f.code == f.code.lower() for f in fields)


def test_every_field_has_an_existing_default_agency(fields, agencies) -> None:
    codes = {a.code for a in agencies if a.active}
    assert all(f.default_agency in codes for f in fields)


def test_every_field_routes_anywhere_and_in_every_unit(fields, rules, agencies) -> None:
    """D7.1: whatever the field and wherever the report, the IOC is offered an active agency
    that answers for that field."""
    by_code = {a.code: a for a in agencies}
    unit_area = refdata.load_unit_areas()
    for f in fields:
        assert refdata.suggest_agency(rules, f.code) == f.default_agency
        for unit, area in unit_area.items():
            agency = by_code[refdata.suggest_agency(rules, f.code, unit, area)]
            assert agency.active and f.code in agency.fields, (f.code, unit)


def test_one_ubnd_per_unit_of_2025_and_the_district_ubnds_retired(agencies) -> None:
    """Since 1/7/2025 the commune level answers locally: one UBND per unit (92), each named
    after its unit; the nine former district UBNDs stay only for the reports they handled."""
    units = refdata.unit_names()
    ubnd = {a.unit_code: a for a in agencies if a.kind == "ubnd_xa"}
    assert set(ubnd) == set(units) and len(units) == 92
    for code, a in ubnd.items():
        assert a.code == f"ubnd_{code}" and a.active
        assert a.name == "UBND " + units[code][0].lower() + units[code][1:]
    former = {a.code for a in agencies if a.kind == "ubnd_huyen"}
    assert former == {f"ubnd_{d}" for d in ("164", "165", "167", "168", "169", "170", "171",
                                             "172", "173")}
    assert not any(a.active for a in agencies if a.code in former)


@pytest.mark.clause("D14.3")
def test_subordinate_units_name_an_active_department(agencies) -> None:
    by_code = {a.code: a for a in agencies}
    subordinates = [a for a in agencies if a.kind == "truc_thuoc"]
    assert len(subordinates) >= 3
    for a in subordinates:
        parent = by_code[a.parent_code]
        assert parent.active and parent.kind in ("so", "cong_an")
        assert set(a.fields) <= set(parent.fields), a.code


def test_units_are_grouped_into_the_seventeen_former_districts_by_default() -> None:
    areas = refdata.load_areas()
    unit_area = refdata.load_unit_areas()
    assert len(areas) == 17 and len(unit_area) == 92
    assert {a.former_district_code for a in areas} == {
        "164", "165", "167", "168", "169", "170", "171", "172", "173",
        "058", "060", "061", "062", "063", "064", "065", "066"}
    assert set(unit_area.values()) == {a.code for a in areas}
    assert unit_area["05443"] == "tp_thai_nguyen"  # Phường Phan Đình Phùng
    assert unit_area["01843"] == "tp_bac_kan"  # Phường Bắc Kạn


@pytest.mark.clause("D14.1")
def test_focal_points_and_processing_limits(agencies) -> None:
    """D14.1: one leader and one handler each; D8 bước 3: at most 3 working days."""
    for a in agencies:
        assert a.leader_name and a.handler_name and a.leader_title and a.handler_title
        assert 0 < a.process_minutes <= 1440
        assert "@" in a.email and a.phone.startswith(("0208", "0209"))  # 0209: former Bắc Kạn
    assert sum(a.process_minutes < 1440 for a in agencies) >= 2


def test_human_text_is_nfc_vietnamese(fields, agencies) -> None:
    for f in fields:
        for text in (f.name, f.description, f.group):
            assert unicodedata.is_normalized("NFC", text)
        assert _has_vietnamese_letter(f.name + f.description)
    for a in agencies:
        for text in (a.name, a.leader_name, a.handler_name, a.leader_title, a.handler_title):
            assert unicodedata.is_normalized("NFC", text)
            assert _has_vietnamese_letter(text), text


def test_demo_texts_are_nfc_vietnamese(texts) -> None:
    for doc in texts.values():
        for _, text in refdata._strings(doc, ""):
            assert unicodedata.is_normalized("NFC", text)
    for template in texts["descriptions"]["fields"]["dien"]:
        assert _has_vietnamese_letter(template)
    areas = {a.code for a in refdata.load_areas()}
    assert set(texts["descriptions"]["streets"]) == areas  # every area has its own streets


def test_suggest_agency_examples(rules) -> None:
    # local matters go to the UBND of the unit (Xã Phú Xuyên, former Đại Từ)
    assert refdata.suggest_agency(rules, "do_thi_xay_dung", "05773", "dai_tu") == "ubnd_05773"
    assert refdata.suggest_agency(rules, "rac_thai", "05773", "dai_tu") == "ubnd_05773"
    assert refdata.suggest_agency(rules, "dien", "05773", "dai_tu") == "dien_luc"
    assert refdata.suggest_agency(rules, "dien", None) == "dien_luc"
    # former Bắc Kạn keeps its own utilities (area rules)
    assert refdata.suggest_agency(rules, "dien", "01843", "tp_bac_kan") == "dien_bac_kan"
    assert refdata.suggest_agency(rules, "nuoc", "01843", "tp_bac_kan") == "nuoc_bac_kan"
    assert refdata.suggest_agency(rules, "nuoc", "05773", "dai_tu") == "nuoc_sach"
    assert refdata.suggest_agency(rules, "giao_thong", "05443", "tp_thai_nguyen") == "so_xd"
    assert refdata.suggest_agency(rules, "y_te", "05443", "tp_thai_nguyen") == "so_yt"
    with pytest.raises(LookupError):
        refdata.suggest_agency(rules, "khong_co", "05443", "tp_thai_nguyen")


def test_more_specific_rule_wins_over_priority() -> None:
    """A unit's rule beats its area's, which beats the province's, whatever the priorities."""
    rules = [
        refdata.RoutingRule("x", None, None, "any_first", 1, ""),
        refdata.RoutingRule("x", "dai_tu", None, "area_first", 5, ""),
        refdata.RoutingRule("x", None, "05773", "local_second", 50, ""),
        refdata.RoutingRule("x", None, "05773", "local_first", 10, ""),
    ]
    assert refdata.suggest_agency(rules, "x", "05773", "dai_tu") == "local_first"
    assert refdata.rank_agencies(rules, "x", "05773", "dai_tu") == [
        "local_first", "local_second", "area_first", "any_first"]
    assert refdata.suggest_agency(rules, "x", "05776", "dai_tu") == "area_first"
    assert refdata.suggest_agency(rules, "x", "05443", "tp_thai_nguyen") == "any_first"


def test_suggest_field(fields) -> None:
    assert refdata.suggest_field(fields, "Đèn đường bị hỏng, cột điện nghiêng") in {
        "dien", "do_thi_xay_dung"}
    assert refdata.suggest_field(fields, "Vỡ đường ống nước, mất nước cả khu") == "nuoc"
    assert refdata.suggest_field(fields, "MẶT ĐƯỜNG CÓ NHIỀU Ổ GÀ") == "giao_thong"
    nfd = unicodedata.normalize("NFD", "Cột điện nghiêng, dây điện võng thấp")
    assert refdata.suggest_field(fields, nfd) == "dien"
    assert refdata.suggest_field(fields, "Xin chào") is None


def test_suggest_field_matches_whole_words_only() -> None:
    catalogue = [refdata.Field("a", "A", "G", "x", "", ("cầu",), True),
                 refdata.Field("b", "B", "G", "x", "", ("yêu cầu",), False)]
    assert refdata.suggest_field(catalogue, "Tôi yêu cầu kiểm tra") == "a"
    assert refdata.suggest_field(catalogue, "Cầu bị nứt") == "a"
    assert refdata.suggest_field(catalogue, "Câu hỏi") is None


def test_description_templates(texts, fields) -> None:
    doc = texts["descriptions"]
    for f in fields:
        templates = doc["fields"][f.code]
        assert len(templates) >= 8, f.code
        for template in templates:
            assert refdata.placeholders(template) <= refdata.DESCRIPTION_PLACEHOLDERS
            template.format(**SAMPLE)
    assert len(doc["emergency"]) >= 5
    for item in doc["emergency"]:
        assert refdata.placeholders(item["text"]) <= refdata.DESCRIPTION_PLACEHOLDERS
        item["text"].format(**SAMPLE)
    for name in ("streets", "places", "times", "supplement_requests", "reject_reasons",
                 "return_reasons", "rework_reasons", "escalation_notes", "directions"):
        assert len(doc[name]) >= 5, name
        assert all(refdata.placeholders(t) == set() for t in doc[name]), name
    assert set(doc["feedback_replies"]) == set(refdata.RATINGS)


def test_result_templates_fill_the_reply(texts, fields, agencies) -> None:
    doc = texts["results"]
    reply = refdata.reply_template()
    assert refdata.placeholders(reply) == refdata.REPLY_PLACEHOLDERS
    for f in fields:
        assert len(doc["fields"][f.code]) >= 4, f.code
        for template in doc["fields"][f.code]:
            assert refdata.placeholders(template) <= refdata.RESULT_PLACEHOLDERS
            filled = reply.format(agency=agencies[0].name, salutation="Ông Nguyễn Văn An",
                                  result=template.format(**SAMPLE))
            assert filled.startswith(agencies[0].name + "\nKính chào: Ông Nguyễn Văn An\n")
            assert filled.endswith("Trân trọng.")
    assert doc["progress_notices"]
    assert all(refdata.placeholders(t) == set() for t in doc["progress_notices"])


def test_profiles_spread(agencies) -> None:
    profiles = {p.agency: p for p in refdata.load_agency_profiles()}
    assert set(profiles) == {a.code for a in agencies}
    late = sorted(p.late_share for p in profiles.values())
    assert late[0] <= 0.05 and late[-1] >= 0.2
    for p in profiles.values():
        assert 0.2 <= p.median_process_share <= 0.9
        assert 0.03 <= p.late_share <= 0.25
        assert set(p.satisfaction_weights()) == set(refdata.RATINGS)


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(data_dir(), target)
    return target


def test_validate_reports_broken_data(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    routing = folder / refdata.ROUTING_FILE
    lines = routing.read_text(encoding="utf-8").splitlines()
    kept = [line for line in lines if not line.startswith("y_te,,")]
    kept.append("dien,,99999,khong_ton_tai,5,ghi chú")
    kept.append("nuoc,khu_la,,nuoc_sach,7,ghi chú")
    kept.append("moi_truong,,,ubnd_164,40,ghi chú")  # a retired district UBND
    units = folder / refdata.UNIT_AREAS_FILE
    units.write_text("\n".join(line for line in units.read_text(encoding="utf-8").splitlines()
                               if not line.startswith("05443,")) + "\n", encoding="utf-8")
    routing.write_text("\n".join(kept) + "\n", encoding="utf-8")
    fields = folder / refdata.FIELDS_FILE
    fields.write_text(fields.read_text(encoding="utf-8").replace(
        "Giáo dục", unicodedata.normalize("NFD", "Giáo dục"), 1), encoding="utf-8")
    problems = "\n".join(refdata.validate(folder))
    assert "'y_te' thiếu quy tắc" in problems
    assert "cơ quan lạ" in problems
    assert "mã xã/phường lạ" in problems
    assert "mã khu vực lạ" in problems
    assert "ubnd_164: cơ quan đã thôi hoạt động" in problems
    assert "05443 (Phường Phan Đình Phùng) chưa thuộc khu vực nào" in problems
    assert "NFC" in problems


def test_validate_reports_unknown_placeholder(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    path = folder / refdata.RESULTS_FILE
    path.write_text(path.read_text(encoding="utf-8").replace("Ngày {date}", "Ngày {ngay}", 1),
                    encoding="utf-8")
    assert any("placeholder lạ" in p for p in refdata.validate(folder))

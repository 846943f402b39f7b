"""Vietnamese text search: plain letters match with accents and case ignored, a query with
diacritics matches those letters (case ignored), the same on SQLite and PostgreSQL, in the staff
queue and on the citizens' results page."""

from __future__ import annotations

import pytest

pytest.register_assert_rewrite("api_helpers")
from api_helpers import make_report  # noqa: E402
from sqlalchemy import literal, select  # noqa: E402

from backend.services import public_results, queries  # noqa: E402
from backend.services.auth import StaffUser  # noqa: E402
from backend.storage.db import session_factory  # noqa: E402
from backend.storage.textsearch import (  # noqa: E402
    contains_text,
    fold,
    folded,
    lowered,
    text_matcher,
)

pytest_plugins = ("api_helpers",)

VOWELS = {
    "a": "aàáảãạăằắẳẵặâầấẩẫậ", "e": "eèéẻẽẹêềếểễệ", "i": "iìíỉĩị",
    "o": "oòóỏõọôồốổỗộơờớởỡợ", "u": "uùúủũụưừứửữự", "y": "yỳýỷỹỵ", "d": "dđ",
}
EVERY_LETTER = "".join(VOWELS.values())


def test_fold_strips_every_vietnamese_mark_and_case() -> None:
    for base, letters in VOWELS.items():
        for letter in letters + letters.upper():
            assert fold(letter) == base, letter
    assert fold("Đường Hoàng Văn Thụ, TP. Thái Nguyên") == "duong hoang van thu, tp. thai nguyen"
    decomposed = "Thu\u0323"  # "Thụ" typed as base letter + combining dot
    assert fold(decomposed) == "thu"


def test_python_matcher_follows_the_rule() -> None:
    assert text_matcher("duong")("Đèn đường hỏng")
    assert text_matcher("  DUONG ")("Ngập nước phố Dương Tự Minh")
    assert text_matcher("đường")("ĐƯỜNG Bắc Kạn")
    assert not text_matcher("đường")("Ngập nước phố Dương Tự Minh")
    assert not text_matcher("dương")("Đèn đường hỏng")
    assert not text_matcher("x")(None)


def test_the_database_folds_like_python(ready_db: str) -> None:
    """unaccent(lower()) on PostgreSQL and the registered function on SQLite agree with `fold`
    on every Vietnamese letter, both cases; lower() knows every letter too."""
    text = f"{EVERY_LETTER} {EVERY_LETTER.upper()} Đường Hoàng Văn Thụ"
    with session_factory(ready_db)() as session:
        got_fold, got_lower = session.execute(
            select(folded(literal(text)), lowered(literal(text)))).one()
        assert session.scalar(select(folded(literal(None)))) is None
        assert session.scalar(select(contains_text("50%", literal("giảm 50% giá")))) in (1, True)
        assert session.scalar(select(contains_text("50%", literal("giảm 500 giá")))) in (0, False)
    assert got_fold == fold(text)
    assert got_lower == text.lower()


def test_queue_search_with_and_without_diacritics(ready_db: str, sign_in) -> None:
    lamp = make_report(ready_db, description="Đèn chiếu sáng hỏng trên ĐƯỜNG Hoàng Văn Thụ")
    flood = make_report(ready_db, description="Ngập nước sâu trước chợ phố Dương Tự Minh")
    ioc = sign_in("ioc_lan")

    def codes(q: str) -> set[str]:
        return {item["code"] for item in ioc.list(q=q)["items"]}

    assert codes("duong") == {lamp, flood}  # typed without marks: both
    assert codes("hoang van thu") == {lamp}
    assert codes("HOANG VAN THU") == {lamp}
    assert codes("đường") == {lamp}  # with marks: only that word, any case
    assert codes("Dương") == {flood}
    assert codes("dương tự") == {flood}
    assert codes("tp thai nguyen") == set()
    assert codes("100%") == set()
    assert codes(lamp.lower()) == {lamp}


def test_results_page_search_ignores_marks_too(ready_db: str) -> None:
    published = make_report(ready_db, steps=6, description="Cây đổ chắn ngang đường Bắc Kạn")
    make_report(ready_db, description="Cây đổ chắn ngang đường Bắc Kạn (chưa công khai)")

    def codes(text: str) -> set[str]:
        page = public_results.search(public_results.ResultQuery(text=text), url=ready_db)
        return {item.code for item in page.items}

    assert codes("cay do chan ngang duong bac kan") == {published}
    assert codes("BẮC KẠN") == {published}
    assert codes("bac can") == set()


def test_queue_service_search_on_the_address(ready_db: str) -> None:
    """The address is searched too (staff type the street they were told on the phone)."""
    code = make_report(ready_db, address="Số 12 ngõ 3 đường Phan Đình Phùng")
    make_report(ready_db, address="Tổ 5 phường Gia Sàng")
    viewer = StaffUser(8, "ioc_lan", "Người xử lý IOC", "ioc_handler", None, "c", "h")
    found = queries.list_reports(viewer, queries.Filters(text="phan dinh phung"), url=ready_db)
    assert [row["code"] for row in found["items"]] == [code]

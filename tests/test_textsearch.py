"""Vietnamese text search: plain letters match with accents and case ignored, a query with
diacritics matches those letters (case ignored), the same on SQLite and PostgreSQL, in the staff
queue and on the citizens' results page."""

from __future__ import annotations

import random
import unicodedata

from api_helpers import ACTORS, RESULT, make_report
from sqlalchemy import literal, select
from sqlalchemy import text as sa_text

from backend.domain.roles import Role
from backend.domain.workflow import Actor
from backend.services.access.auth import StaffUser
from backend.services.reads import public_results, queries
from backend.services.workflow.steps import perform_action
from backend.storage.db import session_factory
from backend.storage.models import Report
from backend.storage.textsearch import MAX_QUERY, lowered, search_document, text_matcher
from backend.vietnamese import fold

VOWELS = {
    "a": "aàáảãạăằắẳẵặâầấẩẫậ", "e": "eèéẻẽẹêềếểễệ", "i": "iìíỉĩị",
    "o": "oòóỏõọôồốổỗộơờớởỡợ", "u": "uùúủũụưừứửữự", "y": "yỳýỷỹỵ", "d": "dđ",
}
EVERY_LETTER = "".join(VOWELS.values())
RESULT_WORDS = RESULT.split(" và ")[0]


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
    """Migration 0007 fills existing rows in SQL (lower(unaccent()) on PostgreSQL, the
    registered function on SQLite): the same as `fold` on every Vietnamese letter, both cases;
    `lowered` (the check of a query with diacritics) knows every letter too."""
    text = f"{EVERY_LETTER} {EVERY_LETTER.upper()} Đường Hoàng Văn Thụ"
    with session_factory(ready_db)() as session:
        sql = ("SELECT lower(unaccent(:t))" if session.get_bind().dialect.name == "postgresql"
               else "SELECT ioc_fold(:t)")
        assert session.scalar(sa_text(sql), {"t": text}) == fold(text)
        assert session.scalar(select(lowered(literal(text)))) == text.lower()
        assert session.scalar(select(lowered(literal(None)))) is None


def test_fold_matches_its_definition_on_any_text() -> None:
    """`fold` is three C-speed passes; the definition is per character (NFD, drop every
    combining mark, đ -> d, lower case, NFC). Final sigma aside, they agree."""
    rng = random.Random(20261129)
    for _ in range(5_000):
        text = "".join(chr(rng.randrange(0x20, 0x10000)) for _ in range(rng.randrange(30)))
        text = "".join(c for c in text if not 0xD800 <= ord(c) < 0xE000 and c != "Σ")
        stripped = "".join(c for c in unicodedata.normalize("NFD", text)
                           if unicodedata.category(c) != "Mn")
        assert fold(text) == unicodedata.normalize(
            "NFC", stripped.replace("đ", "d").replace("Đ", "d").lower()), repr(text)


def test_search_text_follows_every_write(ready_db: str) -> None:
    """Submission (the fast insert path on PostgreSQL), a citizen's supplement and the
    publication all refresh the stored, folded search text."""
    code = make_report(ready_db, description="Ổ gà lớn", address="Đường Bắc Kạn", steps=6)

    def stored() -> str:
        with session_factory(ready_db)() as session:
            report = session.scalar(select(Report).where(Report.code == code))
            assert report.search_text == search_document(
                report.code, report.description, report.address, report.answer_text)
            return report.search_text

    assert "o ga lon" in stored() and "duong bac kan" in stored() and code.lower() in stored()
    assert fold(RESULT_WORDS) in stored()  # the published answer
    asked = make_report(ready_db, description="Rác thải", steps=1)
    perform_action(asked, "request_supplement", ACTORS["ioc_lan"],
                   {"missing": "Ảnh hiện trường"}, url=ready_db)
    perform_action(asked, "supplement", Actor("citizen", Role.CITIZEN),
                   {"text": "Bãi rác ở ngõ 5 Lương Ngọc Quyến"}, url=ready_db)
    with session_factory(ready_db)() as session:
        text = session.scalar(select(Report.search_text).where(Report.code == asked))
    assert "luong ngoc quyen" in text and "rac thai" in text


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
    assert codes("   ") == {lamp, flood}  # blank: no text filter
    too_long = ioc.get("/api/v1/reports", query_string={"q": "x" * (MAX_QUERY + 1)})
    assert too_long.status_code == 422 and too_long.get_json()["field"] == "q"


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

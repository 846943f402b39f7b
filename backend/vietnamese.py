"""Vietnamese text, written once for every screen, message and document.

Numbers as Vietnamese write them (1.234,5; 92,4%), dates dd/mm/yyyy and times in
Asia/Ho_Chi_Minh (stored in UTC, shown local), regulation references as people read them ("Đ6.2"),
text folding for searches typed without diacritics, dictionary order, and the cleaning every
free text gets on the way in (Unicode NFC, no invisible characters). Pure functions: any layer
may use them.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from functools import cache
from typing import Any

from backend.config import LOCAL_TZ

MISSING = "-"  # a figure with no value (no reports to divide by, no data)

# ------------------------------------------------------------------------------------ numbers


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _swap(text: str) -> str:
    """1,234.5 (Python) -> 1.234,5 (Vietnamese)."""
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def integer(value: Any) -> str:
    """83412 -> "83.412" (rounded); None or NaN -> "-"."""
    if _missing(value):
        return MISSING
    return _swap(f"{int(round(float(value))):,}")


def decimal(value: Any, decimals: int = 1) -> str:
    """1234.56 -> "1.234,6"; None or NaN -> "-"."""
    if _missing(value):
        return MISSING
    return _swap(f"{float(value):,.{decimals}f}")


def percent(value: Any, decimals: int = 1) -> str:
    """A share: 0.9237 -> "92,4%"; None or NaN -> "-"."""
    if _missing(value):
        return MISSING
    return decimal(float(value) * 100, decimals) + "%"


def figure(value: Any, unit: str) -> str:
    """A KPI figure by its unit: "rate" as a percentage, "hours" with one decimal, else a count."""
    if unit == "rate":
        return percent(value)
    if unit == "hours":
        return decimal(value)
    return integer(value)


# ------------------------------------------------------------------------------ dates, times


def instant(value: str | dt.datetime | None) -> dt.datetime | None:
    """An ISO 8601 text (as JSON carries it) or a datetime, as a datetime."""
    if value is None or isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(value)


def local(moment: dt.datetime) -> dt.datetime:
    """An aware instant in Vietnam's time."""
    return moment.astimezone(LOCAL_TZ)


def date(value: str | dt.date | dt.datetime | None) -> str:
    """dd/mm/yyyy; an instant is shown on Vietnam's calendar; nothing -> ""."""
    if isinstance(value, str):
        value = instant(value)
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = local(value)
    return value.strftime("%d/%m/%Y")


def date_time(value: str | dt.datetime | None) -> str:
    """"dd/mm/yyyy HH:MM" in Vietnam's time (lists, tables, documents); nothing -> ""."""
    at = instant(value)
    return local(at).strftime("%d/%m/%Y %H:%M") if at else ""


def time_date(value: str | dt.datetime | None) -> str:
    """"HH:MM dd/mm/yyyy" in Vietnam's time (the dashboards' short form); nothing -> ""."""
    at = instant(value)
    return local(at).strftime("%H:%M %d/%m/%Y") if at else ""


def time_day(value: dt.datetime) -> str:
    """"HH:MM dd/mm" in Vietnam's time (a ticker's short stamp)."""
    return local(value).strftime("%H:%M %d/%m")


def clock(value: dt.datetime, separator: str = " ") -> str:
    """"HH:MM:SS dd/mm/yyyy" in Vietnam's time (the wall's clock, "data as of")."""
    at = local(value)
    return f"{at:%H:%M:%S}{separator}{at:%d/%m/%Y}"


def moment(value: dt.datetime) -> str:
    """"08:00 ngày 01/11/2026" (Vietnam's time): a deadline or an instant in a sentence."""
    at = local(value)
    return f"{at:%H:%M} ngày {at:%d/%m/%Y}"


def decree_date(place: str, day: dt.date) -> str:
    """"Thái Nguyên, ngày 05 tháng 3 năm 2026": Decree 30/2020, Phụ lục I: a zero before days
    below 10 and before months 1 and 2."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"{place}, ngày {day.day:02d} tháng {month} năm {day.year}"


def countdown(due: str | dt.datetime | None, now: dt.datetime) -> str:
    """'còn 2 giờ 15 phút' or 'quá hạn 1 ngày 3 giờ' (clock time to the due instant)."""
    at = instant(due)
    if at is None:
        return ""
    seconds = int((at - now).total_seconds())
    late, seconds = seconds < 0, abs(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    parts = ([f"{days} ngày"] if days else []) + ([f"{hours} giờ"] if hours else [])
    if not days:
        parts.append(f"{rest // 60} phút")
    text = " ".join(parts)
    return f"quá hạn {text}" if late else f"còn {text}"


WORKDAY_MINUTES = 480  # QĐ 188/1999/QĐ-TTg: 8 working hours a day in every season (CALENDAR.md)


def hours_minutes(minutes: int, *, half_hours: bool = False) -> str:
    """480 -> "8 giờ", 450 -> "7 giờ 30 phút" ("7,5 giờ" with `half_hours`), 45 -> "45 phút"."""
    hours, rest = divmod(int(minutes), 60)
    if not hours:
        return f"{rest} phút"
    if not rest:
        return f"{hours} giờ"
    if half_hours and rest == 30:
        return f"{hours},5 giờ"
    return f"{hours} giờ {rest} phút"


def working_time(minutes: int, *, halves: bool = False) -> str:
    """Working minutes in words: whole working days as days (1440 -> "3 ngày"; with `halves`
    also 240 -> "½ ngày", 720 -> "1,5 ngày", and half hours as "1,5 giờ"), else in hours."""
    minutes = int(minutes)
    unit = WORKDAY_MINUTES // 2 if halves else WORKDAY_MINUTES
    if minutes > 0 and minutes % unit == 0:
        days, half = divmod(minutes, WORKDAY_MINUTES)
        if not half:
            return f"{days} ngày"
        return f"{days},5 ngày" if days else "½ ngày"
    return hours_minutes(minutes, half_hours=halves)


# ------------------------------------------------------------------------- references, words

_CLAUSE_ID = re.compile(r"\bD(?=\d)")


def clause(ref: str | None) -> str:
    """A regulation reference as people read it: the internal ids ("D6.2", "D8 bước 3", kept in
    `data/sla.toml` and `ACTIONS`) with the Vietnamese "Điều" abbreviation ("Đ6.2",
    "Đ8 bước 3"); "Phụ lục I" and text already in Vietnamese pass unchanged."""
    return _CLAUSE_ID.sub("Đ", ref or "")


# ---------------------------------------------------------------------- folding and ordering


@cache
def _marks() -> re.Pattern[str]:
    """Every combining mark (category Mn) of the Basic Multilingual Plane, as one class."""
    marks = [chr(c) for c in range(0x10000) if unicodedata.category(chr(c)) == "Mn"]
    return re.compile("[" + "".join(re.escape(m) for m in marks) + "]+")


def fold(text: str) -> str:
    """Lower case without diacritics: "Đường Hoàng Văn Thụ" -> "duong hoang van thu".

    Decompose, drop the combining marks, đ -> d (it has no decomposition), lower case: passes in
    C over the whole text, as it runs on every submission and step (figure in docs/benchmarks.md,
    `ioc bench reads`)."""
    stripped = _marks().sub("", unicodedata.normalize("NFD", text))
    return unicodedata.normalize("NFC", stripped.replace("đ", "d").replace("Đ", "d").lower())


def lower(text: str) -> str:
    """Lower case with the diacritics kept (a search typed with them matches them)."""
    return unicodedata.normalize("NFC", text).lower()


_ALPHABET = "aăâbcdđeêghiklmnoôơpqrstuưvxy"
_LETTER = {letter: n for n, letter in enumerate(_ALPHABET)}
_TONES = ("\u0300", "\u0301", "\u0309", "\u0303", "\u0323")  # huyền, sắc, hỏi, ngã, nặng


def sort_key(text: str) -> tuple:
    """Vietnamese dictionary order for lists people scan (code-point order puts "Điện" after
    "Y tế" and "Phổ Yên" after "Phú Lương"): word by word ("Giao thông" before "Giáo dục");
    within a word spaces and punctuation, then digits, then the letters of the alphabet
    a ă â b c d đ e ê … y, then anything else; the tones (none, huyền, sắc, hỏi, ngã, nặng)
    break ties, and case the whole text's."""
    words = tuple(_word_key(word) for word in unicodedata.normalize("NFC", text).split())
    return words, text.swapcase()


def _word_key(word: str) -> tuple:
    letters, tones = [], []
    for char in word:
        parts = unicodedata.normalize("NFD", char.lower())
        tone = next((n + 1 for n, mark in enumerate(_TONES) if mark in parts[1:]), 0)
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in _TONES))
        if base in _LETTER:
            letters.append((2, _LETTER[base]))
        elif base.isdigit():
            letters.append((1, ord(base)))
        elif base.isalpha():
            letters.append((3, ord(base)))
        else:
            letters.append((0, ord(base)))
        tones.append(tone)
    return tuple(letters), tuple(tones)


# ----------------------------------------------------------------------------------- cleaning


_HIDDEN = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad"  # zero-width, soft hyphen
                     "\u202a-\u202e\u2066-\u2069\u200e\u200f]")  # direction overrides
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # C0 controls but tab and newlines


def without_hidden(text: str) -> str:
    """The text without invisible characters (zero-width, soft hyphen) and direction overrides,
    which would make two identical-looking texts differ or reorder what a reader sees."""
    return _HIDDEN.sub("", text)


def has_hidden(text: str) -> bool:
    return _HIDDEN.search(text) is not None


def has_control(text: str) -> bool:
    """A control character other than tab, line feed and carriage return."""
    return _CONTROL.search(text) is not None


def nfc(text: str) -> str:
    """One spelling for each letter: a phone keyboard may send "ệ" as e + two marks."""
    return unicodedata.normalize("NFC", text)


def clean(value: str | None) -> str | None:
    """A free text as stored: NFC (D5.1: Vietnamese text), trimmed; empty becomes None."""
    if value is None:
        return None
    return nfc(value).strip() or None

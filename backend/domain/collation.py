"""Vietnamese alphabetical order for lists people scan (fields, districts, agencies).

Code-point order puts "Điện", "Đô thị", "Đất đai" after "Y tế" and "Phổ Yên" after "Phú
Lương". The Vietnamese alphabet is a ă â b c d đ e ê g h i k l m n o ô ơ p q r s t u ư v x y;
words compare one by one; within a word letters compare first, the tone (none, huyền, sắc,
hỏi, ngã, nặng) only between equal letters; case last.
"""

from __future__ import annotations

import unicodedata

_ALPHABET = "aăâbcdđeêghiklmnoôơpqrstuưvxy"
_LETTER = {letter: n for n, letter in enumerate(_ALPHABET)}
_TONES = ("\u0300", "\u0301", "\u0309", "\u0303", "\u0323")  # huyền, sắc, hỏi, ngã, nặng


def sort_key(text: str) -> tuple:
    """A key for `sorted`, word by word as a dictionary does ("Giao thông" before "Giáo dục"):
    within a word spaces and punctuation first, then digits, then letters in the Vietnamese
    alphabet, then anything else; the word's tones break ties, and case the whole text's."""
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

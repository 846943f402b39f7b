"""The Phụ lục II reply template, filled from the data file (never from code)."""

from __future__ import annotations

from functools import lru_cache

from backend.reference import files as refdata

DEFAULT_SALUTATION = "Ông/Bà"


@lru_cache(maxsize=1)
def _template() -> str:
    return refdata.reply_template()


def fill_reply(agency_name: str, result: str, salutation: str = DEFAULT_SALUTATION) -> str:
    """The published answer: agency, salutation and the approved result in the official frame."""
    return _template().format(agency=agency_name, salutation=salutation, result=result.strip())

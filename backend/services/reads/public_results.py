"""What anyone may read of the answered reports: the public results of the citizens' portal.

D10.2: the public part of a report is its content and the competent agency's answer, shown in the
Phụ lục II frame (`answer_text`, filled at publication by `templates.fill_reply`). Public means
published (or closed after being published) and never confidential (D10.3) nor a state secret
(D10.4); the same rule as the media route's public photos (`backend/api/media.py`).

Never public: the reporter's name, phone and e-mail. Those columns are read here for one purpose
only, to blank them out of the free text where a reporter (or an agency writing its result) may
have typed them; phone numbers and e-mail addresses of anyone are blanked the same way. Photos are
given by attachment id and served only as their cleaned derivative (`/api/v1/media/<id>/public`).

Read-only, one function per use case, no Flask: the portal (`backend/web/portal/`) shapes pages.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

import shapely
from shapely.geometry import shape
from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import aliased

from backend.domain.workflow import RATINGS, State
from backend.services.errors import NotFound, ValidationError
from backend.services.places import lookup as places
from backend.services.places.catalogue import place_index, units_of_area
from backend.services.reads import mapdata
from backend.storage.db import session_factory
from backend.storage.models import AdminUnit, Agency, Area, Attachment, Field, Report
from backend.storage.textsearch import contains_text, text_matcher
from backend.vietnamese import fold, sort_key

PUBLIC_STATES = (State.PUBLISHED.value, State.CLOSED.value)
PER_PAGE = 10
MAX_PER_PAGE = 50
MAX_PAGE = 100_000
MAP_LIMIT = 1500  # newest first: enough for a map, small enough for a phone (~60 kB gzipped)
MAX_TEXT = 200
TEXT_CANDIDATES = 2000  # a text search looks at the newest 2,000 answers that match in SQL
HIDDEN = "[đã ẩn]"
MAP_DECIMALS = 4  # ~11 m: the place of the event, not a reporter's doorstep to the metre
SNIPPET = 90

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# a Vietnamese phone number as people type it: 0xx / +84 / 84, 9-11 digits, spaces, dots, dashes
_PHONE = re.compile(r"(?<![\w])(?:\+?84|0)(?:[\s.\-]?\d){8,10}(?![\w])")


@dataclass(frozen=True)
class ResultQuery:
    """Filters of the public list and map; all optional."""

    field: str | None = None
    area: str | None = None
    unit: str | None = None
    text: str | None = None
    page: int = 1
    per_page: int = PER_PAGE


@dataclass(frozen=True)
class PublicResult:
    """One published answer as anyone may read it (D10.2); no reporter identity."""

    code: str
    field_name: str | None
    unit_name: str | None  # the commune-level unit of 1/7/2025 the point is in
    area_name: str | None
    address: str | None
    lat: float
    lon: float
    submitted_at: datetime
    published_at: datetime
    agency_name: str | None
    content: str
    answer: str
    photo_ids: tuple[int, ...]
    rating_label: str | None


@dataclass(frozen=True)
class ResultPage:
    items: tuple[PublicResult, ...]
    total: int
    page: int
    per_page: int
    capped: bool = False  # a text search stopped at TEXT_CANDIDATES

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


@dataclass(frozen=True)
class Choice:
    code: str
    name: str


@dataclass(frozen=True)
class AreaChoice:
    """An area and its units, by name: one group of the place picker."""

    code: str
    name: str
    units: tuple[Choice, ...]


@dataclass(frozen=True)
class Choices:
    """What the filters offer: fields by name; areas in their order, each with its units."""

    fields: tuple[Choice, ...]
    areas: tuple[AreaChoice, ...]


def place_of(code: str | None, url: str | None = None) -> tuple[str | None, str | None]:
    """(area, unit) for the portal's one place picker (an area's or a unit's code); (None,
    None) for anything else."""
    places = place_index(url)
    if code and any(a.code == code for a in places.areas):
        return code, None
    if code and code in places.units:
        return None, code
    return None, None


def is_public() -> ColumnElement[bool]:
    """SQL condition: the report's answer is public (D10.2-D10.4)."""
    return and_(Report.state.in_(PUBLIC_STATES), Report.published_at.is_not(None),
                Report.confidential.is_(False), Report.state_secret.is_(False),
                Report.answer_text.is_not(None))


def redact(text: str | None, identities: Iterable[str | None] = ()) -> str:
    """`text` with e-mail addresses, phone numbers and the given names replaced by [đã ẩn]."""
    if not text:
        return ""
    out = _EMAIL.sub(HIDDEN, unicodedata.normalize("NFC", text))
    out = _PHONE.sub(HIDDEN, out)
    loose = None
    for identity in identities:
        name = " ".join(unicodedata.normalize("NFC", identity or "").split())
        if len(name) < 2:
            continue
        # most texts do not hold the name at all: a substring test (accents and case folded,
        # a superset of what the pattern matches) spares compiling a pattern per report
        loose = loose if loose is not None else fold(out).casefold()
        if fold(name.split(" ")[-1]).casefold() not in loose:
            continue
        words = [re.escape(w) for w in name.split(" ")]
        pattern = re.compile(r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)", re.IGNORECASE)
        out = pattern.sub(HIDDEN, out)
    return out


def _check(query: ResultQuery) -> ResultQuery:
    if not 1 <= query.page <= MAX_PAGE:
        raise ValidationError("page", f"Trang phải từ 1 đến {MAX_PAGE}.")
    if not 1 <= query.per_page <= MAX_PER_PAGE:
        raise ValidationError("per_page", f"Mỗi trang từ 1 đến {MAX_PER_PAGE} kết quả.")
    text = " ".join(unicodedata.normalize("NFC", query.text or "").split())
    if len(text) > MAX_TEXT:
        raise ValidationError("q", f"Từ khóa tìm kiếm dài tối đa {MAX_TEXT} ký tự.")
    for name, value in (("field", query.field), ("area", query.area), ("unit", query.unit),
                        ("q", text)):
        if value and "\x00" in value:
            raise ValidationError(name, "Có ký tự không hợp lệ.")
    return ResultQuery(query.field or None, query.area or None, query.unit or None,
                       text or None, query.page, query.per_page)


def _conditions(query: ResultQuery) -> list[ColumnElement[bool]]:
    conditions = [is_public()]
    if query.field:
        conditions.append(Report.field_code == query.field)
    if query.area:
        conditions.append(Report.unit_code.in_(units_of_area(query.area)))
    if query.unit:
        conditions.append(Report.unit_code == query.unit)
    if query.text:
        if _EMAIL.search(query.text) or _PHONE.search(query.text):
            # what is blanked out on display cannot be searched for either (no identity oracle)
            conditions.append(Report.id.is_(None))
        else:
            conditions.append(contains_text(query.text, Report.search_text, Report.description,
                                            Report.answer_text, Report.address, Report.code))
    return conditions


def _text_hits(session, conditions, text: str) -> tuple[list[int], bool]:
    """Ids (newest first) whose *shown* text holds `text`: SQL finds candidates in the stored
    text, then the blanked-out text is checked, so a search for a reporter's name typed into a
    report finds nothing (the search is no oracle for what the page hides)."""
    rows = session.execute(
        select(Report.id, Report.code, Report.description, Report.answer_text, Report.address,
               Report.reporter_name, Report.reporter_email, Report.reporter_phone)
        .where(*conditions)
        .order_by(Report.published_at.desc(), Report.id.desc())
        .limit(TEXT_CANDIDATES)).all()
    shown = shown_text_matcher(text)
    hits = [report_id for report_id, code, description, answer, address, name, email, phone
            in rows if shown(code, (description, answer, address), (name, email, phone))]
    return hits, len(rows) >= TEXT_CANDIDATES


def shown_text_matcher(text: str) -> Callable[[str, Iterable[str | None],
                                               Iterable[str | None]], bool]:
    """`matches(code, texts, identities)`: does `text` occur in the code or in one of the texts
    *as shown* with `identities` blanked out? Blanking out only removes text, unless the query
    is found in the placeholder itself: otherwise a text that does not match as stored is not
    blanked out to be checked again (most candidates of a search)."""
    matches = text_matcher(text)
    every_part = matches(HIDDEN)

    def shown(code: str, texts: Iterable[str | None], identities: Iterable[str | None]) -> bool:
        who = tuple(identities)
        return matches(code) or any((every_part or matches(part)) and matches(redact(part, who))
                                    for part in texts)

    return shown


def _rows(session, conditions, *, offset: int, limit: int):
    unit = aliased(AdminUnit)
    return session.execute(
        select(Report, Field.name, Agency.name, unit.name, Area.name)
        .outerjoin(Field, Field.code == Report.field_code)
        .outerjoin(Agency, Agency.code == Report.agency_code)
        .outerjoin(unit, and_(unit.code == Report.unit_code, unit.level == "unit"))
        .outerjoin(Area, Area.code == unit.area_code)
        .where(*conditions)
        .order_by(Report.published_at.desc(), Report.id.desc())
        .offset(offset).limit(limit)
    ).all()


def _photos(session, report_ids: list[int]) -> dict[int, tuple[int, ...]]:
    found: dict[int, list[int]] = {}
    if not report_ids:
        return {}
    rows = session.execute(
        select(Attachment.report_id, Attachment.id)
        .where(Attachment.report_id.in_(report_ids), Attachment.kind == "photo",
               Attachment.public_name.is_not(None))
        .order_by(Attachment.report_id, Attachment.id))
    for report_id, attachment_id in rows:
        found.setdefault(report_id, []).append(attachment_id)
    return {k: tuple(v) for k, v in found.items()}


def _public(report: Report, field: str | None, agency: str | None, unit: str | None,
            area: str | None, photos: tuple[int, ...]) -> PublicResult:
    who = (report.reporter_name, report.reporter_email, report.reporter_phone)
    return PublicResult(
        code=report.code, field_name=field, unit_name=unit, area_name=area,
        address=redact(report.address, who) or None, lat=report.lat, lon=report.lon,
        submitted_at=report.submitted_at, published_at=report.published_at,
        agency_name=agency, content=redact(report.description, who),
        answer=redact(report.answer_text, who), photo_ids=photos,
        rating_label=RATINGS.get(report.rating) if report.rating else None)


def search(query: ResultQuery, url: str | None = None) -> ResultPage:
    """A page of published answers, newest first, filtered by field, area or unit, and text."""
    query = _check(query)
    conditions = _conditions(query)
    offset = (query.page - 1) * query.per_page
    capped = False
    with session_factory(url)() as session:
        if query.text:
            hits, capped = _text_hits(session, conditions, query.text)
            total = len(hits)
            wanted = hits[offset:offset + query.per_page]
            rows = _rows(session, [Report.id.in_(wanted)], offset=0, limit=query.per_page)
        else:
            total = session.scalar(select(func.count()).select_from(Report).where(*conditions))
            rows = _rows(session, conditions, offset=offset, limit=query.per_page)
        photos = _photos(session, [row[0].id for row in rows])
        items = tuple(_public(r, f, a, u, ar, photos.get(r.id, ())) for r, f, a, u, ar in rows)
    return ResultPage(items, total or 0, query.page, query.per_page, capped)


def find(code: str, url: str | None = None) -> PublicResult:
    """One published answer by tracking code; NotFound when it is not public (or not there)."""
    code = (code or "").strip().upper()
    if not code or len(code) > 20 or "\x00" in code:
        raise NotFound()
    with session_factory(url)() as session:
        rows = _rows(session, [is_public(), Report.code == code], offset=0, limit=1)
        if not rows:
            raise NotFound()
        report, field, agency, unit, area = rows[0]
        photos = _photos(session, [report.id]).get(report.id, ())
        return _public(report, field, agency, unit, area, photos)


def map_points(query: ResultQuery, url: str | None = None,
               limit: int = MAP_LIMIT) -> dict[str, Any]:
    """GeoJSON of the newest `limit` public answers matching the filters (page ignored).

    Properties are short on purpose (a phone downloads them): c code, f field, d publication
    instant (ISO 8601, UTC), t the start of the content with identities blanked out. `total` is
    how many match, so the page can say when the map shows only the newest.
    """
    query = _check(ResultQuery(query.field, query.area, query.unit, query.text))
    conditions = _conditions(query)
    with session_factory(url)() as session:
        if query.text:
            hits, _ = _text_hits(session, conditions, query.text)
            total, conditions = len(hits), [Report.id.in_(hits[:limit])]
        else:
            total = session.scalar(select(func.count()).select_from(Report).where(*conditions))
        rows = session.execute(
            select(Report.code, Report.lon, Report.lat, Report.published_at,
                   Report.description, Report.reporter_name, Report.reporter_email,
                   Report.reporter_phone, Field.name)
            .outerjoin(Field, Field.code == Report.field_code)
            .where(*conditions)
            .order_by(Report.published_at.desc(), Report.id.desc())
            .limit(limit)).all()
    features = []
    for code, lon, lat, published, description, name, email, phone, field in rows:
        text = redact(description, (name, email, phone))
        snippet = text if len(text) <= SNIPPET else text[:SNIPPET].rstrip() + "…"
        features.append({
            "type": "Feature",
            "geometry": {"type": "Point",
                         "coordinates": [round(lon, MAP_DECIMALS), round(lat, MAP_DECIMALS)]},
            "properties": {"c": code, "f": field, "d": published.isoformat(), "t": snippet},
        })
    return {"type": "FeatureCollection", "total": total or 0, "features": features}


def choices(url: str | None = None) -> Choices:
    """Fields (active) in Vietnamese alphabetical order; the areas in their order, each with
    its units in alphabetical order."""
    with session_factory(url)() as session:
        fields = session.execute(select(Field.code, Field.name).where(Field.active.is_(True))
                                 .order_by(Field.name)).all()
    places = place_index(url)

    def ordered(rows) -> tuple[Choice, ...]:
        return tuple(Choice(c, n) for c, n in sorted(rows, key=lambda row: sort_key(row[1])))

    areas = tuple(AreaChoice(a.code, a.name, ordered(
        [(u, places.unit_name(u)) for u in places.units_of(a.code)])) for a in places.areas)
    return Choices(ordered(fields), areas)


def data_version(url: str | None = None) -> str:
    """Changes whenever a report is added or moves: the ETag base of the public map."""
    return mapdata.data_version(url)


def boundaries(tolerance: float = 0.0004) -> dict[str, Any]:
    """The portal map's outlines for the unit layer and area grouping in use (cached per both)."""
    index = place_index()
    grouping = tuple(sorted(index.unit_to_area().items()))
    names = tuple((a.code, a.name, a.full_name) for a in index.areas)
    return _boundaries(places.gazetteer(), grouping, names, tolerance)


@lru_cache(maxsize=4)
def _boundaries(gazetteer, grouping: tuple, names: tuple, tolerance: float) -> dict[str, Any]:
    """Province outline and area polygons (the units dissolved by area), simplified for a
    phone (about 40 m; coordinates to 5 decimals)."""

    def lighten(collection: dict[str, Any], keep: tuple[str, ...]) -> dict[str, Any]:
        features = []
        for feature in collection.get("features", []):
            geometry = shape(feature["geometry"]).simplify(tolerance, preserve_topology=True)
            geometry = shapely.set_precision(geometry, 1e-5)
            if geometry.is_empty:
                continue
            features.append({"type": "Feature",
                             "properties": {k: feature["properties"].get(k) for k in keep},
                             "geometry": json.loads(shapely.to_geojson(geometry))})
        return {"type": "FeatureCollection", "features": features}

    areas = json.loads(gazetteer.grouped_geojson(
        dict(grouping), {code: {"name": name, "full_name": full} for code, name, full in names}))
    return {"province": lighten(json.loads(gazetteer.province_geojson()), ("name",)),
            "areas": lighten(areas, ("code", "name", "full_name"))}

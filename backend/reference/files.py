"""Reference data read from `data/`: fields (D13.4), agencies and their focal points (D14.1),
default routing (D7), the demo texts and agency profiles, and the Phụ lục II reply template.

Pure standard library (csv, tomllib): nothing here touches the database. The data is the single
source of truth, so every loader takes the folder (`backend.config.data_dir()` by default), and
`validate` lists what is wrong with a folder instead of raising.
"""

from __future__ import annotations

import csv
import json
import re
import string
import tomllib
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from backend import vietnamese as vn
from backend.config import data_dir as _default_data_dir
from backend.config import geo_dir
from backend.domain.workflow import RATINGS as _RATING_NAMES

FIELDS_FILE = "fields.csv"
AGENCIES_FILE = "agencies.csv"
ROUTING_FILE = "routing.csv"
DISTRICTS_FILE = "districts.csv"
DESCRIPTIONS_FILE = "demo/descriptions.toml"
RESULTS_FILE = "demo/results.toml"
PROFILES_FILE = "demo/agency_profiles.csv"
REPLY_FILE = "templates/reply.txt"
GEO_DISTRICTS_FILE = "thai_nguyen_districts.geojson"

AGENCY_KINDS = frozenset({"so", "ubnd", "doanh_nghiep", "cong_an"})
MAX_PROCESS_MINUTES = 1440  # D8 bước 3: at most 3 working days of 480 minutes
RATINGS: tuple[str, ...] = tuple(_RATING_NAMES)  # D11.2 codes, in their order
DESCRIPTION_PLACEHOLDERS = frozenset({"street", "place", "commune", "time"})
RESULT_PLACEHOLDERS = frozenset({"date", "commune", "agency"})
REPLY_PLACEHOLDERS = frozenset({"agency", "salutation", "result"})

_FIELD_COLUMNS = ("code", "name", "group", "default_agency", "description", "keywords", "active")
_AGENCY_COLUMNS = (
    "code", "name", "short_name", "kind", "district_code", "fields", "process_minutes",
    "leader_name", "leader_title", "handler_name", "handler_title", "email", "phone",
)
_ROUTING_COLUMNS = ("field", "district_code", "agency", "priority", "note")
_PROFILE_COLUMNS = (
    "agency", "median_process_share", "late_share", "rework_share", "return_share",
    "progress_notice_share", "satisfaction",
)
_PROFILE_SHARES = _PROFILE_COLUMNS[1:-1]


@dataclass(frozen=True)
class Field:
    """A field (lĩnh vực) of the catalogue, also served as an Open311 service."""

    code: str
    name: str
    group: str
    default_agency: str
    description: str
    keywords: tuple[str, ...]
    active: bool


@dataclass(frozen=True)
class Agency:
    """An agency that answers reports, with its focal leader and handler (D14.1)."""

    code: str
    name: str
    short_name: str
    kind: str
    district_code: str | None
    fields: tuple[str, ...]
    process_minutes: int
    leader_name: str
    leader_title: str
    handler_name: str
    handler_title: str
    email: str
    phone: str


@dataclass(frozen=True)
class RoutingRule:
    """Suggests `agency` for a field, in one district or (district_code None) anywhere."""

    field: str
    district_code: str | None
    agency: str
    priority: int
    note: str


@dataclass(frozen=True)
class AgencyProfile:
    """How an agency behaves in the demo; shares are fractions of its cases (0..1)."""

    agency: str
    median_process_share: float
    late_share: float
    rework_share: float
    return_share: float
    progress_notice_share: float
    satisfaction: tuple[float, float, float]  # weights in RATINGS order

    def satisfaction_weights(self) -> dict[str, float]:
        """The satisfaction weights keyed by rating code."""
        return dict(zip(RATINGS, self.satisfaction, strict=True))


# --------------------------------------------------------------------------- reading


def _folder(data_dir: Path | str | None) -> Path:
    return Path(data_dir) if data_dir is not None else _default_data_dir()


def _nfc(value: str) -> str:
    return unicodedata.normalize("NFC", value.strip())


def _split(value: str) -> tuple[str, ...]:
    return tuple(part for part in (_nfc(p) for p in value.split(";")) if part)


def _read_csv(path: Path, columns: Sequence[str]) -> list[dict[str, str]]:
    """Rows as dicts of NFC, stripped text; a missing column is a ValueError naming the file."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in columns if c not in (reader.fieldnames or ())]
        if missing:
            raise ValueError(f"{path.name}: thiếu cột {', '.join(missing)}")
        return [{k: _nfc(v or "") for k, v in row.items() if k is not None} for row in reader]


def _int(value: str, what: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{what}: '{value}' không phải số nguyên") from None


def _float(value: str, what: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise ValueError(f"{what}: '{value}' không phải số") from None


def load_fields(data_dir: Path | str | None = None) -> list[Field]:
    """The fields catalogue, in file order."""
    fields = []
    for row in _read_csv(_folder(data_dir) / FIELDS_FILE, _FIELD_COLUMNS):
        if row["active"] not in ("0", "1"):
            raise ValueError(f"{FIELDS_FILE} {row['code']}: active phải là 0 hoặc 1")
        fields.append(Field(
            code=row["code"], name=row["name"], group=row["group"],
            default_agency=row["default_agency"], description=row["description"],
            keywords=_split(row["keywords"]), active=row["active"] == "1",
        ))
    return fields


def load_agencies(data_dir: Path | str | None = None) -> list[Agency]:
    """The agencies, in file order."""
    return [
        Agency(
            code=row["code"], name=row["name"], short_name=row["short_name"], kind=row["kind"],
            district_code=row["district_code"] or None, fields=_split(row["fields"]),
            process_minutes=_int(row["process_minutes"], f"{AGENCIES_FILE} {row['code']}"),
            leader_name=row["leader_name"], leader_title=row["leader_title"],
            handler_name=row["handler_name"], handler_title=row["handler_title"],
            email=row["email"], phone=row["phone"],
        )
        for row in _read_csv(_folder(data_dir) / AGENCIES_FILE, _AGENCY_COLUMNS)
    ]


def load_routing(data_dir: Path | str | None = None) -> list[RoutingRule]:
    """The default routing rules, in file order."""
    return [
        RoutingRule(
            field=row["field"], district_code=row["district_code"] or None, agency=row["agency"],
            priority=_int(row["priority"], f"{ROUTING_FILE} {row['field']}"), note=row["note"],
        )
        for row in _read_csv(_folder(data_dir) / ROUTING_FILE, _ROUTING_COLUMNS)
    ]


def load_agency_profiles(data_dir: Path | str | None = None) -> list[AgencyProfile]:
    """The demo behaviour of each agency."""
    profiles = []
    for row in _read_csv(_folder(data_dir) / PROFILES_FILE, _PROFILE_COLUMNS):
        what = f"{PROFILES_FILE} {row['agency']}"
        weights = [_float(x, what) for x in _split(row["satisfaction"])]
        if len(weights) != 3:
            raise ValueError(f"{what}: satisfaction cần 3 trọng số ({';'.join(RATINGS)})")
        profiles.append(AgencyProfile(
            agency=row["agency"],
            **{name: _float(row[name], what) for name in _PROFILE_SHARES},
            satisfaction=(weights[0], weights[1], weights[2]),
        ))
    return profiles


def _nfc_tree(value: Any) -> Any:
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, list):
        return [_nfc_tree(v) for v in value]
    if isinstance(value, dict):
        return {k: _nfc_tree(v) for k, v in value.items()}
    return value


def load_demo_texts(data_dir: Path | str | None = None) -> dict[str, dict[str, Any]]:
    """`{"descriptions": descriptions.toml, "results": results.toml}`, NFC-normalised.

    Each file's `fields` table maps a field code to its templates.
    """
    folder = _folder(data_dir)
    return {
        key: _nfc_tree(tomllib.loads((folder / name).read_text(encoding="utf-8")))
        for key, name in (("descriptions", DESCRIPTIONS_FILE), ("results", RESULTS_FILE))
    }


def reply_template(data_dir: Path | str | None = None) -> str:
    """The Phụ lục II reply template, with `{agency}`, `{salutation}` and `{result}`."""
    text = (_folder(data_dir) / REPLY_FILE).read_text(encoding="utf-8")
    return unicodedata.normalize("NFC", text).rstrip("\n")


def district_codes(data_dir: Path | str | None = None) -> frozenset[str] | None:
    """The district-level codes, from `districts.csv`, else the boundary layer; None if neither."""
    path = _folder(data_dir) / DISTRICTS_FILE
    if path.exists():
        return frozenset(row["district_code"] for row in _read_csv(path, ("district_code",)))
    geo = geo_dir()
    if geo is not None and (geo / GEO_DISTRICTS_FILE).exists():
        features = json.loads((geo / GEO_DISTRICTS_FILE).read_text(encoding="utf-8"))["features"]
        return frozenset(str(f["properties"]["code"]) for f in features)
    return None


# --------------------------------------------------------------------------- suggesting


def rank_agencies(
    rules: Iterable[RoutingRule], field_code: str, district_code: str | None = None
) -> list[str]:
    """Agencies that may handle the field there, best first: district rules, then priority."""
    matching = [
        r for r in rules
        if r.field == field_code and r.district_code in (None, district_code)
    ]
    matching.sort(key=lambda r: (r.district_code is None, r.priority))
    return list(dict.fromkeys(r.agency for r in matching))


def suggest_agency(
    rules: Iterable[RoutingRule], field_code: str, district_code: str | None = None
) -> str:
    """The agency suggested to the IOC handler (D7.1): the most specific rule, then priority."""
    ranked = rank_agencies(rules, field_code, district_code)
    if not ranked:
        raise LookupError(f"không có quy tắc phân phối cho lĩnh vực '{field_code}'")
    return ranked[0]


@lru_cache(maxsize=2048)
def _keyword_pattern(keyword: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w){re.escape(vn.lower(keyword))}(?!\w)")


def suggest_field(fields: Iterable[Field], text: str) -> str | None:
    """The active field whose keywords occur most often as whole words in the text.

    Case- and normalisation-insensitive. Ties go to the longer matched keywords, then to the
    catalogue order; None when no keyword occurs.
    """
    folded = vn.lower(text)
    best: tuple[int, int] = (0, 0)
    found: str | None = None
    for field in fields:
        if not field.active:
            continue
        hits = [k for k in field.keywords if _keyword_pattern(k).search(folded)]
        score = (len(hits), sum(len(k) for k in hits))
        if score > best:
            best, found = score, field.code
    return found


# --------------------------------------------------------------------------- checking


def placeholders(template: str) -> set[str]:
    """The `{name}` placeholders of a str.format template (ValueError if malformed)."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _strings(item, f"{path}[{i}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{path}.{key}" if path else key)


def _check_texts(name: str, doc: Mapping[str, Any], allowed: Mapping[str, frozenset[str]],
                 problems: list[str]) -> None:
    """Every string uses only the placeholders allowed under its top-level key (none elsewhere)."""
    for path, text in _strings(doc, ""):
        top = re.split(r"[.\[]", path, maxsplit=1)[0]
        try:
            used = placeholders(text)
        except ValueError as exc:
            problems.append(f"{name} {path}: mẫu hỏng ({exc})")
            continue
        extra = used - allowed.get(top, frozenset())
        if extra:
            problems.append(f"{name} {path}: placeholder lạ {sorted(extra)}")


def _duplicates(codes: Iterable[str]) -> list[str]:
    return sorted(code for code, n in Counter(codes).items() if n > 1)


def validate(data_dir: Path | str | None = None) -> list[str]:
    """Problems in a reference-data folder, one readable line each; [] when all is well.

    Checks: files readable and NFC; duplicate codes; unknown agencies, fields and districts
    wherever they are referenced; agency kinds, district codes and processing limits; every
    field routable anywhere, to an agency that lists it, matching its default agency; demo
    profiles in range; demo templates with known placeholders; the reply template.
    """
    folder = _folder(data_dir)
    problems: list[str] = []

    for name in (FIELDS_FILE, AGENCIES_FILE, ROUTING_FILE, DESCRIPTIONS_FILE, RESULTS_FILE,
                 PROFILES_FILE, REPLY_FILE):
        path = folder / name
        if not path.exists():
            problems.append(f"{name}: không tìm thấy tệp")
        elif not unicodedata.is_normalized("NFC", path.read_text(encoding="utf-8")):
            problems.append(f"{name}: văn bản chưa chuẩn hóa Unicode NFC")

    def attempt(loader: Callable[[Path], Any], what: str) -> Any:
        try:
            return loader(folder)
        except (OSError, ValueError, KeyError, tomllib.TOMLDecodeError) as exc:
            problems.append(f"{what}: không đọc được ({exc})")
            return None

    fields = attempt(load_fields, FIELDS_FILE) or []
    agencies = attempt(load_agencies, AGENCIES_FILE) or []
    rules = attempt(load_routing, ROUTING_FILE) or []
    profiles = attempt(load_agency_profiles, PROFILES_FILE) or []
    texts = attempt(load_demo_texts, "demo texts") or {}
    districts = attempt(district_codes, DISTRICTS_FILE)

    field_codes = {f.code for f in fields}
    agency_by_code = {a.code: a for a in agencies}
    for what, codes in ((FIELDS_FILE, [f.code for f in fields]),
                        (AGENCIES_FILE, [a.code for a in agencies]),
                        (PROFILES_FILE, [p.agency for p in profiles])):
        for code in _duplicates(codes):
            problems.append(f"{what}: mã '{code}' bị trùng")

    for f in fields:
        if not f.name or not f.group:
            problems.append(f"{FIELDS_FILE} {f.code}: thiếu tên hoặc nhóm")
        if f.default_agency not in agency_by_code:
            problems.append(f"{FIELDS_FILE} {f.code}: cơ quan mặc định lạ '{f.default_agency}'")

    ubnd_districts: list[str] = []
    for a in agencies:
        where = f"{AGENCIES_FILE} {a.code}"
        if a.kind not in AGENCY_KINDS:
            problems.append(f"{where}: loại '{a.kind}' không thuộc {sorted(AGENCY_KINDS)}")
        if (a.kind == "ubnd") != (a.district_code is not None):
            problems.append(f"{where}: chỉ UBND cấp huyện có district_code")
        if a.district_code is not None:
            ubnd_districts.append(a.district_code)
            if districts is not None and a.district_code not in districts:
                problems.append(f"{where}: mã huyện lạ '{a.district_code}'")
        for code in a.fields:
            if code not in field_codes:
                problems.append(f"{where}: lĩnh vực lạ '{code}'")
        if not 0 < a.process_minutes <= MAX_PROCESS_MINUTES:
            problems.append(f"{where}: process_minutes phải trong 1..{MAX_PROCESS_MINUTES}")
        if not (a.leader_name and a.leader_title and a.handler_name and a.handler_title):
            problems.append(f"{where}: thiếu lãnh đạo hoặc người xử lý đầu mối (D14.1)")
    for code in _duplicates(ubnd_districts):
        problems.append(f"{AGENCIES_FILE}: hai UBND cùng mã huyện '{code}'")

    seen_rules: set[tuple[str, str | None, int]] = set()
    for r in rules:
        where = f"{ROUTING_FILE} {r.field}/{r.district_code or '*'}/{r.agency}"
        if r.field not in field_codes:
            problems.append(f"{where}: lĩnh vực lạ")
        agency = agency_by_code.get(r.agency)
        if agency is None:
            problems.append(f"{where}: cơ quan lạ")
        elif r.field in field_codes and r.field not in agency.fields:
            problems.append(f"{where}: cơ quan không nhận lĩnh vực này (cột fields)")
        if r.district_code is not None and districts is not None and r.district_code not in districts:
            problems.append(f"{where}: mã huyện lạ")
        key = (r.field, r.district_code, r.priority)
        if key in seen_rules:
            problems.append(f"{where}: hai quy tắc cùng địa bàn và cùng priority")
        seen_rules.add(key)
    for f in fields:
        ranked = rank_agencies((r for r in rules if r.district_code is None), f.code)
        if not ranked:
            problems.append(f"{ROUTING_FILE}: lĩnh vực '{f.code}' thiếu quy tắc cho mọi địa bàn")
        elif ranked[0] != f.default_agency:
            problems.append(f"{FIELDS_FILE} {f.code}: cơ quan mặc định '{f.default_agency}' "
                            f"khác quy tắc chung '{ranked[0]}'")

    for p in profiles:
        where = f"{PROFILES_FILE} {p.agency}"
        if p.agency not in agency_by_code:
            problems.append(f"{where}: cơ quan lạ")
        if any(not 0 <= getattr(p, name) <= 1 for name in _PROFILE_SHARES):
            problems.append(f"{where}: tỉ lệ phải trong 0..1")
        if any(w < 0 for w in p.satisfaction) or sum(p.satisfaction) <= 0:
            problems.append(f"{where}: trọng số hài lòng không hợp lệ")
    if profiles:
        for code in sorted(set(agency_by_code) - {p.agency for p in profiles}):
            problems.append(f"{PROFILES_FILE}: thiếu cơ quan '{code}'")

    if texts:
        _check_demo_texts(texts, field_codes, problems)

    try:
        used = placeholders(reply_template(folder))
        if used != REPLY_PLACEHOLDERS:
            problems.append(f"{REPLY_FILE}: placeholder {sorted(used)}, "
                            f"cần {sorted(REPLY_PLACEHOLDERS)}")
    except (OSError, ValueError) as exc:
        problems.append(f"{REPLY_FILE}: {exc}")
    return problems


def _check_demo_texts(texts: Mapping[str, Any], field_codes: set[str],
                      problems: list[str]) -> None:
    descriptions, results = texts.get("descriptions", {}), texts.get("results", {})
    _check_texts(DESCRIPTIONS_FILE, descriptions,
                 {"fields": DESCRIPTION_PLACEHOLDERS, "emergency": DESCRIPTION_PLACEHOLDERS},
                 problems)
    _check_texts(RESULTS_FILE, results, {"fields": RESULT_PLACEHOLDERS}, problems)
    for name, doc in ((DESCRIPTIONS_FILE, descriptions), (RESULTS_FILE, results)):
        table = doc.get("fields", {})
        for code in sorted(field_codes - set(table)):
            problems.append(f"{name}: thiếu mẫu cho lĩnh vực '{code}'")
        for code in sorted(set(table) - field_codes):
            problems.append(f"{name}: lĩnh vực lạ '{code}'")
    for item in descriptions.get("emergency", []):
        if item.get("field") not in field_codes:
            problems.append(f"{DESCRIPTIONS_FILE}: emergency có lĩnh vực lạ '{item.get('field')}'")
    replies = descriptions.get("feedback_replies", {})
    if set(replies) != set(RATINGS):
        problems.append(f"{DESCRIPTIONS_FILE}: feedback_replies cần đúng các khóa {list(RATINGS)}")

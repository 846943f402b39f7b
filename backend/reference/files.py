"""Reference data read from `data/`: fields (D13.4), agencies and their focal points (D14.1),
default routing (D7) by field and place, the areas that group the units, the demo texts and
agency profiles, and the Phụ lục II reply template.

Pure standard library (csv, tomllib): nothing here touches the database. The data is the single
source of truth, so every loader takes the folder (`backend.config.data_dir()` by default), and
`validate` lists what is wrong with a folder instead of raising.
"""

from __future__ import annotations

import csv
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
AREAS_FILE = "areas.csv"
UNIT_AREAS_FILE = "unit_areas.csv"
GEO_UNITS_FILE = "thai_nguyen_units_2025.csv"
DESCRIPTIONS_FILE = "demo/descriptions.toml"
RESULTS_FILE = "demo/results.toml"
PROFILES_FILE = "demo/agency_profiles.csv"
REPLY_FILE = "templates/reply.txt"

# so: department; ubnd_xa: People's Committee of a unit of 1/7/2025; ubnd_huyen: of a former
# district (retired on 1/7/2025, kept for the reports it handled); truc_thuoc: a department's
# subordinate unit (D14.3, has parent_code); doanh_nghiep: utilities and service companies.
AGENCY_KINDS = frozenset({"so", "ubnd_xa", "ubnd_huyen", "truc_thuoc", "doanh_nghiep", "cong_an"})
MAX_PROCESS_MINUTES = 1440  # D8 bước 3: at most 3 working days of 480 minutes
RATINGS: tuple[str, ...] = tuple(_RATING_NAMES)  # D11.2 codes, in their order
DESCRIPTION_PLACEHOLDERS = frozenset({"street", "place", "commune", "time"})
RESULT_PLACEHOLDERS = frozenset({"date", "commune", "agency"})
REPLY_PLACEHOLDERS = frozenset({"agency", "salutation", "result"})

_FIELD_COLUMNS = ("code", "name", "group", "default_agency", "description", "keywords", "active")
_AGENCY_COLUMNS = (
    "code", "name", "short_name", "kind", "unit_code", "parent_code", "fields", "process_minutes",
    "leader_name", "leader_title", "handler_name", "handler_title", "email", "phone", "active",
)
_ROUTING_COLUMNS = ("field", "area_code", "unit_code", "agency", "priority", "note")
_AREA_COLUMNS = ("code", "name", "full_name", "sort_order", "former_district_code")
_UNIT_AREA_COLUMNS = ("unit_code", "unit_name", "area_code")
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
    unit_code: str | None  # the unit a UBND xã/phường governs
    parent_code: str | None  # the department a subordinate unit reports to (D14.3)
    fields: tuple[str, ...]
    process_minutes: int
    leader_name: str
    leader_title: str
    handler_name: str
    handler_title: str
    email: str
    phone: str
    active: bool


@dataclass(frozen=True)
class RoutingRule:
    """Suggests `agency` for a field: in one unit, in one area, or (both None) anywhere."""

    field: str
    area_code: str | None
    unit_code: str | None
    agency: str
    priority: int
    note: str


@dataclass(frozen=True)
class Area:
    """A group of units for the wall, heatmaps and KPIs (by default a former district)."""

    code: str
    name: str
    full_name: str
    sort_order: int
    former_district_code: str | None


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
            unit_code=row["unit_code"] or None, parent_code=row["parent_code"] or None,
            fields=_split(row["fields"]),
            process_minutes=_int(row["process_minutes"], f"{AGENCIES_FILE} {row['code']}"),
            leader_name=row["leader_name"], leader_title=row["leader_title"],
            handler_name=row["handler_name"], handler_title=row["handler_title"],
            email=row["email"], phone=row["phone"], active=_flag(row["active"], row["code"]),
        )
        for row in _read_csv(_folder(data_dir) / AGENCIES_FILE, _AGENCY_COLUMNS)
    ]


def load_routing(data_dir: Path | str | None = None) -> list[RoutingRule]:
    """The default routing rules, in file order."""
    return [
        RoutingRule(
            field=row["field"], area_code=row["area_code"] or None,
            unit_code=row["unit_code"] or None, agency=row["agency"],
            priority=_int(row["priority"], f"{ROUTING_FILE} {row['field']}"), note=row["note"],
        )
        for row in _read_csv(_folder(data_dir) / ROUTING_FILE, _ROUTING_COLUMNS)
    ]


def load_areas(data_dir: Path | str | None = None) -> list[Area]:
    """The areas, in display order."""
    areas = [
        Area(code=row["code"], name=row["name"], full_name=row["full_name"],
             sort_order=_int(row["sort_order"], f"{AREAS_FILE} {row['code']}"),
             former_district_code=row["former_district_code"] or None)
        for row in _read_csv(_folder(data_dir) / AREAS_FILE, _AREA_COLUMNS)
    ]
    return sorted(areas, key=lambda a: (a.sort_order, a.code))


def load_unit_areas(data_dir: Path | str | None = None) -> dict[str, str]:
    """Unit code -> area code."""
    return {row["unit_code"]: row["area_code"]
            for row in _read_csv(_folder(data_dir) / UNIT_AREAS_FILE, _UNIT_AREA_COLUMNS)}


def unit_names(geo: Path | str | None = None) -> dict[str, str]:
    """Code -> name of the 92 units of 1/7/2025, from the geography folder."""
    path = Path(geo) if geo is not None else geo_dir()
    rows = _read_csv(path / GEO_UNITS_FILE, ("ward_code", "ward_name"))
    return {row["ward_code"]: row["ward_name"] for row in rows}


def _flag(value: str, code: str) -> bool:
    if value not in ("0", "1"):
        raise ValueError(f"{AGENCIES_FILE} {code}: active phải là 0 hoặc 1")
    return value == "1"


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


# --------------------------------------------------------------------------- suggesting


def rule_scope(rule: RoutingRule) -> int:
    """0 for a unit's rule, 1 for an area's, 2 for the whole province: the most specific first."""
    return 0 if rule.unit_code else 1 if rule.area_code else 2


def rank_agencies(rules: Iterable[RoutingRule], field_code: str, unit_code: str | None = None,
                  area_code: str | None = None) -> list[str]:
    """Agencies that may handle the field there, best first: the unit's rules, the area's,
    the province's, each by priority."""
    matching = [
        r for r in rules
        if r.field == field_code and r.unit_code in (None, unit_code)
        and r.area_code in (None, area_code)
    ]
    matching.sort(key=lambda r: (rule_scope(r), r.priority))
    return list(dict.fromkeys(r.agency for r in matching))


def suggest_agency(rules: Iterable[RoutingRule], field_code: str, unit_code: str | None = None,
                   area_code: str | None = None) -> str:
    """The agency suggested to the IOC handler (D7.1): the most specific rule, then priority."""
    ranked = rank_agencies(rules, field_code, unit_code, area_code)
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

    Checks: files readable and NFC; duplicate codes; unknown agencies, fields, units and areas
    wherever they are referenced; agency kinds (a UBND xã/phường names its unit, once; a
    subordinate unit its department) and processing limits; every unit in exactly one known
    area; every field routable anywhere, to an active agency that lists it, matching its default
    agency; demo profiles in range; demo templates with known placeholders; the reply template.
    """
    folder = _folder(data_dir)
    problems: list[str] = []

    for name in (FIELDS_FILE, AGENCIES_FILE, ROUTING_FILE, AREAS_FILE, UNIT_AREAS_FILE,
                 DESCRIPTIONS_FILE, RESULTS_FILE, PROFILES_FILE, REPLY_FILE):
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
    areas = attempt(load_areas, AREAS_FILE) or []
    unit_areas = attempt(load_unit_areas, UNIT_AREAS_FILE) or {}
    try:
        units = unit_names()
    except (OSError, ValueError) as exc:
        problems.append(f"{GEO_UNITS_FILE}: không đọc được ({exc})")
        units = {}

    field_codes = {f.code for f in fields}
    agency_by_code = {a.code: a for a in agencies}
    area_codes = {a.code for a in areas}
    for what, codes in ((FIELDS_FILE, [f.code for f in fields]),
                        (AGENCIES_FILE, [a.code for a in agencies]),
                        (AREAS_FILE, [a.code for a in areas]),
                        (PROFILES_FILE, [p.agency for p in profiles])):
        for code in _duplicates(codes):
            problems.append(f"{what}: mã '{code}' bị trùng")
    _check_units_and_areas(units, unit_areas, area_codes, problems)

    for f in fields:
        if not f.name or not f.group:
            problems.append(f"{FIELDS_FILE} {f.code}: thiếu tên hoặc nhóm")
        if f.default_agency not in agency_by_code:
            problems.append(f"{FIELDS_FILE} {f.code}: cơ quan mặc định lạ '{f.default_agency}'")
    _check_agencies(agencies, field_codes, units, problems)
    _check_routing(rules, fields, agency_by_code, area_codes, units, problems)

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


def _check_units_and_areas(units: Mapping[str, str], unit_areas: Mapping[str, str],
                           area_codes: set[str], problems: list[str]) -> None:
    if not units or not unit_areas:
        return
    for code in sorted(set(units) - set(unit_areas)):
        problems.append(f"{UNIT_AREAS_FILE}: xã/phường {code} ({units[code]}) chưa thuộc khu vực nào")
    for code, area in sorted(unit_areas.items()):
        if code not in units:
            problems.append(f"{UNIT_AREAS_FILE}: mã xã/phường lạ '{code}'")
        if area not in area_codes:
            problems.append(f"{UNIT_AREAS_FILE} {code}: khu vực lạ '{area}'")
    for area in sorted(area_codes - set(unit_areas.values())):
        problems.append(f"{AREAS_FILE}: khu vực '{area}' không có xã/phường nào")


def _check_agencies(agencies: Sequence[Agency], field_codes: set[str], units: Mapping[str, str],
                    problems: list[str]) -> None:
    by_code = {a.code: a for a in agencies}
    governed: list[str] = []
    for a in agencies:
        where = f"{AGENCIES_FILE} {a.code}"
        if a.kind not in AGENCY_KINDS:
            problems.append(f"{where}: loại '{a.kind}' không thuộc {sorted(AGENCY_KINDS)}")
        if (a.kind == "ubnd_xa") != (a.unit_code is not None):
            problems.append(f"{where}: chỉ UBND cấp xã có unit_code (và phải có)")
        if a.unit_code is not None:
            governed.append(a.unit_code)
            if units and a.unit_code not in units:
                problems.append(f"{where}: mã xã/phường lạ '{a.unit_code}'")
        if (a.kind == "truc_thuoc") != (a.parent_code is not None):
            problems.append(f"{where}: chỉ đơn vị trực thuộc có parent_code (và phải có)")
        parent = by_code.get(a.parent_code or "")
        if a.parent_code is not None and (parent is None or parent.kind == "truc_thuoc"):
            problems.append(f"{where}: cơ quan cấp trên lạ '{a.parent_code}'")
        if a.kind == "ubnd_huyen" and a.active:
            problems.append(f"{where}: UBND cấp huyện đã thôi hoạt động từ 1/7/2025 (active=0)")
        for code in a.fields:
            if code not in field_codes:
                problems.append(f"{where}: lĩnh vực lạ '{code}'")
        if not 0 < a.process_minutes <= MAX_PROCESS_MINUTES:
            problems.append(f"{where}: process_minutes phải trong 1..{MAX_PROCESS_MINUTES}")
        if not (a.leader_name and a.leader_title and a.handler_name and a.handler_title):
            problems.append(f"{where}: thiếu lãnh đạo hoặc người xử lý đầu mối (D14.1)")
    for code in _duplicates(governed):
        problems.append(f"{AGENCIES_FILE}: hai UBND cùng xã/phường '{code}'")


def _check_routing(rules: Sequence[RoutingRule], fields: Sequence[Field],
                   agency_by_code: Mapping[str, Agency], area_codes: set[str],
                   units: Mapping[str, str], problems: list[str]) -> None:
    seen: set[tuple[str, str | None, str | None, int]] = set()
    for r in rules:
        where = f"{ROUTING_FILE} {r.field}/{r.unit_code or r.area_code or '*'}/{r.agency}"
        if r.field not in {f.code for f in fields}:
            problems.append(f"{where}: lĩnh vực lạ")
        agency = agency_by_code.get(r.agency)
        if agency is None:
            problems.append(f"{where}: cơ quan lạ")
        elif not agency.active:
            problems.append(f"{where}: cơ quan đã thôi hoạt động")
        elif r.field not in agency.fields:
            problems.append(f"{where}: cơ quan không nhận lĩnh vực này (cột fields)")
        if r.unit_code is not None and r.area_code is not None:
            problems.append(f"{where}: chỉ ghi xã/phường hoặc khu vực, không cả hai")
        if r.unit_code is not None and units and r.unit_code not in units:
            problems.append(f"{where}: mã xã/phường lạ")
        if r.area_code is not None and area_codes and r.area_code not in area_codes:
            problems.append(f"{where}: mã khu vực lạ")
        key = (r.field, r.area_code, r.unit_code, r.priority)
        if key in seen:
            problems.append(f"{where}: hai quy tắc cùng địa bàn và cùng priority")
        seen.add(key)
    for f in fields:
        ranked = rank_agencies((r for r in rules if rule_scope(r) == 2), f.code)
        if not ranked:
            problems.append(f"{ROUTING_FILE}: lĩnh vực '{f.code}' thiếu quy tắc cho mọi địa bàn")
        elif ranked[0] != f.default_agency:
            problems.append(f"{FIELDS_FILE} {f.code}: cơ quan mặc định '{f.default_agency}' "
                            f"khác quy tắc chung '{ranked[0]}'")


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

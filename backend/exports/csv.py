"""The CSV of a pack: one row per report received in the period, for analysts.

UTF-8 with a byte-order mark (Excel opens it with the right diacritics), Vietnamese headers,
dates dd/mm/yyyy HH:MM in Vietnam's time, stage statuses from the KPI definitions. On PostgreSQL
the server formats the rows and streams them into the file (a quarter is ~190 MB: no need for
them to pass through Python); on SQLite they are assembled here. A test checks both give the
same cells.

Safety:
- a cell that a spreadsheet would run as a formula (first character ``= + - @``, tab or carriage
  return) gets a leading apostrophe (OWASP "CSV injection");
- no reporter name, phone or e-mail: those columns are never written, and they are blanked from
  the description too (the reporter's own, and anything shaped like a phone number or an
  e-mail address);
- a confidential (D10.3) or state-secret (D10.4) report is counted (it has its row, code, dates,
  statuses and agency) but not described: no field, place, coordinates or text.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pandas as pd
from pandas.api.types import is_numeric_dtype
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import aliased

from backend.config import LOCAL_TZ
from backend.domain.sla import STAGES
from backend.domain.workflow import RATINGS, STATE_LABELS_VI, State
from backend.domain.worktime import NAT_INT
from backend.exports.common import PackData, pack_texts
from backend.services import kpis
from backend.storage import snapshots
from backend.storage.models import AdminUnit, Agency, Area, Field
from backend.storage.models import Report as R

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
# the same patterns for Python's re and PostgreSQL's regular expressions
PHONE = r"(?<![0-9])(?:\+?84|0)(?:[[:space:].-]?[0-9]){8,10}(?![0-9])"
EMAIL = r"[[:alnum:]_.+-]+@[[:alnum:]_-]+(?:\.[[:alnum:]_-]+)+"
_PY = {"[[:space:].-]": r"[\s.-]", "[[:alnum:]_.+-]": r"[\w.+-]", "[[:alnum:]_-]": r"[\w-]"}


def _python_pattern(pattern: str) -> str:
    for posix, python in _PY.items():
        pattern = pattern.replace(posix, python)
    return pattern


_PHONE, _EMAIL = re.compile(_python_pattern(PHONE)), re.compile(_python_pattern(EMAIL))
_DIGIT_RUN = re.compile(r"[0-9][0-9\s.-]{7,}[0-9]")  # every phone number holds one


_RISKY = frozenset(DANGEROUS)


def neutralise_texts(texts: list[str]) -> list[str]:
    """Prefix an apostrophe to every text a spreadsheet would read as a formula."""
    return [("'" + t) if t[:1] in _RISKY else t for t in texts]


def neutralise(values: pd.Series) -> pd.Series:
    """:func:`neutralise_texts` for a column (missing values become empty text)."""
    text = values.where(values.notna(), "").astype(str).tolist()
    return pd.Series(neutralise_texts(text), index=values.index, dtype=object)


def redact(descriptions: pd.Series, names: pd.Series, phones: pd.Series, emails: pd.Series,
           mark: str) -> pd.Series:
    """Descriptions with the reporter's own name, phone and e-mail, and anything shaped like a
    phone number or e-mail address, replaced by ``mark``."""
    out = []
    for text, *identity in zip(descriptions.tolist(), names.tolist(), phones.tolist(),
                               emails.tolist(), strict=True):
        if not isinstance(text, str):
            out.append("")
            continue
        for value in identity:  # stored trimmed (backend.vietnamese.clean)
            if isinstance(value, str) and len(value) >= 3 and value in text:
                text = text.replace(value, mark)
        # quick checks first: most texts hold no "@" and no long run of digits
        if "@" in text:
            text = _EMAIL.sub(mark, text)
        if _DIGIT_RUN.search(text):
            text = _PHONE.sub(mark, text)
        out.append(text)
    return pd.Series(out, index=descriptions.index, dtype=object)


_CLOCK = np.array([f"{m // 60:02d}:{m % 60:02d}" for m in range(1440)], dtype=object)


def local_text(seconds: np.ndarray) -> np.ndarray:
    """Epoch seconds (``NAT_INT`` missing) -> "dd/mm/yyyy HH:MM" in Vietnam's time; "" missing.

    Days are formatted once each and the minute of the day looked up (a quarter has millions
    of instants to show).
    """
    seconds = np.asarray(seconds, dtype=np.int64)
    out = np.full(seconds.shape, "", dtype=object)
    ok = seconds != NAT_INT
    if not ok.any():
        return out
    present = seconds[ok]
    utc_days = np.unique(present // 86400)
    offsets = {LOCAL_TZ.utcoffset(dt.datetime(1970, 1, 1) + dt.timedelta(days=int(day), hours=h))
               for day in utc_days for h in (0, 12)}
    if len(offsets) == 1:  # one offset over the whole range (Vietnam: since 1975)
        wall = present + int(offsets.pop().total_seconds())
    else:
        stamps = pd.to_datetime(present, unit="s", utc=True)
        wall = stamps.tz_convert(LOCAL_TZ).tz_localize(None).asi8 // 1_000_000_000
    days, minutes = np.divmod(wall, 86400)
    unique, inverse = np.unique(days, return_inverse=True)
    day_text = pd.to_datetime(unique * 86400, unit="s").strftime("%d/%m/%Y ").to_numpy(
        dtype=object)
    out[ok] = day_text[inverse] + _CLOCK[minutes // 60]
    return out


EXTRA_COLUMNS = ("code", "former_district", "former_commune", "confidential", "state_secret", "return_count",
                 "rework_count", "escalation_count", "rating", "lat", "lon", "description",
                 "reporter_name", "reporter_phone", "reporter_email")


def _extra(data: PackData) -> pd.DataFrame:
    """What the CSV needs beyond the snapshot's per-report rows (texts, place, counters), in
    the rows' order. The reporter's identity is read only to blank it out of the text."""
    query = (select(R.code, R.former_district_code, R.former_commune_code, R.confidential.is_(True), R.state_secret.is_(True),
                    R.return_count, R.rework_count, R.escalation_count, R.rating, R.lat, R.lon,
                    R.description, R.reporter_name, R.reporter_phone, R.reporter_email)
             .where(*kpis.cohort_conditions(data.period, data.filters))
             .order_by(R.submitted_at, R.id))
    with snapshots.reading_session(data.url) as session:
        extra = snapshots.read_frame(session, query, list(EXTRA_COLUMNS),
                               ["return_count", "rework_count", "escalation_count", "lat",
                                "lon"])
    codes = data.current.rows["code"]
    if len(extra) != len(codes) or not (extra["code"].to_numpy() == codes.to_numpy()).all():
        extra = extra.set_index("code").reindex(codes).reset_index()  # data moved in between
    return extra


def frame(data: PackData) -> pd.DataFrame:
    """The CSV's table (Vietnamese headers): the snapshot's rows plus texts and place.

    Text is not yet neutralised here; :func:`write_csv` neutralises every text field.
    """
    texts = pack_texts()["csv"]
    statuses = kpis.kpi_texts()["stage_status"]
    names = data.current.names
    rows = data.current.rows
    extra = _extra(data)
    private_conf = snapshots.bool_values(extra["confidential"])
    private_secret = snapshots.bool_values(extra["state_secret"])
    private = private_conf | private_secret
    yes = pack_texts()["workbook"]["yes"]

    def coded(column: str) -> pd.Series:
        values = rows[column]
        return values.where(values != kpis.NONE, None)

    def hide(series: pd.Series) -> pd.Series:
        return series.where(~private, None)

    field, unit, area, agency = coded("field"), coded("unit"), coded("area"), coded("agency")
    out = pd.DataFrame({
        texts["code"]: rows["code"],
        texts["channel"]: rows["channel"].map({c: kpis.channel_name(str(c))
                                               for c in pd.unique(rows["channel"])}),
        texts["submitted_at"]: local_text(rows["submitted"].to_numpy()),
        texts["field"]: hide(field),
        texts["field_name"]: hide(field.map(names.fields)),
        texts["unit"]: hide(unit),
        texts["unit_name"]: hide(unit.map(names.units)),
        texts["area"]: hide(area),
        texts["area_name"]: hide(area.map(names.areas)),
        texts["former_district"]: hide(extra["former_district"]),
        texts["former_commune"]: hide(extra["former_commune"]),
        texts["agency"]: agency,
        texts["agency_name"]: agency.map(names.agencies),
        texts["state"]: rows["state"].map({s.value: STATE_LABELS_VI[s] for s in State}),
        texts["emergency"]: np.where(rows["emergency"].to_numpy(dtype=bool), yes, ""),
        texts["secrecy"]: np.where(private_secret, texts["secrecy_state"],
                                   np.where(private_conf, texts["secrecy_confidential"], "")),
    })
    labels = {code: statuses[key] for code, key in kpis.STATUS_KEYS.items()}
    waiting = (rows["state"] == State.NEEDS_SUPPLEMENT.value).to_numpy()
    for stage in STAGES:
        name = kpis.stage_name(stage)
        out[texts["stage_due"].format(stage=name)] = local_text(rows[f"{stage}_due"].to_numpy())
        out[texts["stage_done"].format(stage=name)] = local_text(
            rows[f"{stage}_done"].to_numpy())
        codes = rows[f"status.{stage}"].to_numpy().astype(np.int64)
        shown = np.array([labels[c] for c in range(5)], dtype=object)[codes]
        started = rows[f"{stage}_start"].to_numpy() != NAT_INT
        shown[waiting & started & (codes == kpis.ST_NONE)] = statuses["waiting"]
        out[texts["stage_status"].format(stage=name)] = shown
    out[texts["published_at"]] = local_text(rows["e2e_done"].to_numpy())
    for key in ("return_count", "rework_count", "escalation_count"):
        out[texts[key]] = extra[key].fillna(0).astype(np.int64).to_numpy()
    out[texts["progress_notice"]] = local_text(rows["notice"].to_numpy())
    out[texts["rating"]] = extra["rating"].map(RATINGS)
    out[texts["lat"]] = np.where(private, np.nan, extra["lat"].to_numpy(dtype=float))
    out[texts["lon"]] = np.where(private, np.nan, extra["lon"].to_numpy(dtype=float))
    description = redact(extra["description"], extra["reporter_name"], extra["reporter_phone"],
                         extra["reporter_email"], texts["redacted"])
    out[texts["description"]] = description.where(~private, "")
    assert list(out.columns) == frame_headers()
    return out


def _fields(values: pd.Series) -> list[str]:
    """One column as CSV fields: text neutralised (formula injection) and quoted, quotes
    doubled; numbers plain; missing values empty."""
    if not is_numeric_dtype(values):
        texts = values.where(values.notna(), "").astype(str).tolist()
        sample = set(texts[:2000])
        if len(sample) * 8 < min(len(texts), 2000):  # few distinct values: each one once
            fields = {u: _quote(u) for u in set(texts)}
            return [fields[t] for t in texts]
        return [_quote(t) for t in texts]
    numbers = values.to_numpy(dtype=np.float64)
    out = np.full(numbers.shape, "", dtype=object)
    ok = ~np.isnan(numbers)
    whole = ok & (numbers == np.round(numbers))
    out[whole] = numbers[whole].astype(np.int64).astype(str)
    rest = ok & ~whole
    out[rest] = [repr(v) for v in numbers[rest].tolist()]  # shortest exact, as PostgreSQL
    return out.tolist()


def _quote(text: str) -> str:
    if not text:
        return ""
    if text[:1] in _RISKY:
        text = "'" + text
    return '"' + text.replace('"', '""') + '"'


def write_csv(data: PackData, path: Path, chunk: int = 50_000) -> Path:
    """Write the period's reports to ``path`` (UTF-8 with BOM, comma-separated, LF).

    On PostgreSQL the server formats every field and streams the file (COPY): a quarter's
    hundreds of thousands of rows never pass through Python. Elsewhere (SQLite) the same
    fields are assembled here, column by column; the tests compare the two.
    """
    with snapshots.reading_session(data.url) as session:
        if session.get_bind().dialect.name == "postgresql":
            return _write_csv_sql(data.period, data.filters, data.now, Path(path), session)
    return write_csv_python(data, path, chunk)


def write_csv_on_server(period: kpis.Period, filters: kpis.Filters, now: dt.datetime,
                        url: str | None, path: Path) -> Path:
    """The PostgreSQL CSV, needing nothing computed first (a pack starts it at once)."""
    with snapshots.reading_session(url) as session:
        return _write_csv_sql(period, filters, now, Path(path), session)


def write_csv_python(data: PackData, path: Path, chunk: int = 50_000) -> Path:
    """The CSV assembled in Python from :func:`frame` (the path for SQLite)."""
    table = frame(data)
    plain = _date_headers()
    columns = [table[name].tolist() if name in plain else _fields(table[name])
               for name in table.columns]
    header = ",".join(_quote(name) for name in table.columns)
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        handle.write(header + "\n")
        for begin in range(0, len(table), chunk):
            part = [column[begin:begin + chunk] for column in columns]
            handle.write("".join(",".join(row) + "\n" for row in zip(*part, strict=True)))
    return Path(path)


def _date_headers() -> set[str]:
    """Columns of dates we format ourselves (digits, "/", ":" and " " only)."""
    texts = pack_texts()["csv"]
    plain = {texts["submitted_at"], texts["published_at"], texts["progress_notice"]}
    for stage in STAGES:
        name = kpis.stage_name(stage)
        plain |= {texts["stage_due"].format(stage=name), texts["stage_done"].format(stage=name)}
    return plain


# --------------------------------------------------------------------------- PostgreSQL


def _sql_text(value):
    """A text column made safe for spreadsheets: a leading apostrophe before = + - @ TAB CR."""
    return case((func.left(value, 1).in_(DANGEROUS), func.concat("'", value)), else_=value)


def _sql_labels(column, labels: dict[str, str], default=None):
    return case(*[(column == code, text) for code, text in labels.items()], else_=default)


def _write_csv_sql(period: kpis.Period, filters: kpis.Filters, now: dt.datetime, path: Path,
                   session) -> Path:
    texts = pack_texts()["csv"]
    statuses = kpis.kpi_texts()["stage_status"]
    yes = pack_texts()["workbook"]["yes"]
    mark = texts["redacted"]
    zone = LOCAL_TZ.key

    def when(column):
        return func.coalesce(func.to_char(func.timezone(zone, column), "DD/MM/YYYY HH24:MI"), "")

    private = or_(R.confidential.is_(True), R.state_secret.is_(True))

    def hide(value):
        return case((private, None), else_=value)

    unit = aliased(AdminUnit)
    columns = [_sql_text(R.code),
               _sql_text(_sql_labels(R.channel, kpis.kpi_texts()["channels"], R.channel)),
               when(R.submitted_at),
               _sql_text(hide(R.field_code)),
               _sql_text(hide(Field.name)),
               _sql_text(hide(R.unit_code)),
               _sql_text(hide(unit.name)),
               _sql_text(hide(unit.area_code)),
               _sql_text(hide(Area.name)),
               _sql_text(hide(R.former_district_code)),
               _sql_text(hide(R.former_commune_code)),
               _sql_text(R.agency_code),
               _sql_text(Agency.name),
               _sql_text(_sql_labels(R.state, {s.value: STATE_LABELS_VI[s] for s in State})),
               _sql_text(case((R.emergency.is_(True), yes), else_=None)),
               _sql_text(case((R.state_secret.is_(True), texts["secrecy_state"]),
                              (R.confidential.is_(True), texts["secrecy_confidential"]),
                              else_=None))]
    labels = {code: statuses[key] for code, key in kpis.STATUS_KEYS.items()}
    for stage in STAGES:
        start, due, done = (getattr(R, f"{stage}_{e}") for e in ("start", "due", "done"))
        status = kpis.stage_status_case(stage, now)
        shown = case((and_(R.state == State.NEEDS_SUPPLEMENT.value, start.is_not(None),
                           status == kpis.ST_NONE), statuses["waiting"]),
                     *[(status == code, text) for code, text in labels.items()])
        columns += [when(due), when(done), _sql_text(shown)]
    description = R.description
    for identity in (R.reporter_name, R.reporter_phone, R.reporter_email):
        description = case((func.length(identity) >= 3,
                            func.replace(description, identity, mark)), else_=description)
    for pattern in (EMAIL, PHONE):
        description = func.regexp_replace(description, pattern, mark, "g")
    columns += [when(R.published_at), R.return_count, R.rework_count, R.escalation_count,
                when(R.progress_notice_at), _sql_text(_sql_labels(R.rating, RATINGS)),
                hide(R.lat), hide(R.lon),
                _sql_text(hide(description))]
    query = (select(*[column.label(f"c{i}") for i, column in enumerate(columns)])
             .select_from(R)
             .outerjoin(Field, Field.code == R.field_code)
             .outerjoin(Agency, Agency.code == R.agency_code)
             .outerjoin(unit, and_(unit.code == R.unit_code, unit.level == "unit"))
             .outerjoin(Area, Area.code == unit.area_code)
             .where(*kpis.cohort_conditions(period, filters))
             .order_by(R.submitted_at, R.id))
    header = ",".join(_quote(name) for name in frame_headers())
    connection = session.connection()
    compiled = query.compile(dialect=connection.dialect,
                             compile_kwargs={"render_postcompile": True})
    raw = connection.connection.dbapi_connection
    with open(path, "wb") as handle, raw.cursor() as cursor:
        handle.write(("\ufeff" + header + "\n").encode("utf-8"))
        sql = cursor.mogrify(str(compiled), compiled.params).decode()
        cursor.copy_expert(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", handle,
                           size=1 << 20)
    return path


def frame_headers() -> list[str]:
    """The CSV's column headers, in order (both paths)."""
    texts = pack_texts()["csv"]
    headers = [texts[k] for k in ("code", "channel", "submitted_at", "field", "field_name",
                                  "unit", "unit_name", "area", "area_name", "former_district",
                                  "former_commune", "agency",
                                  "agency_name", "state", "emergency", "secrecy")]
    for stage in STAGES:
        name = kpis.stage_name(stage)
        headers += [texts["stage_due"].format(stage=name),
                    texts["stage_done"].format(stage=name),
                    texts["stage_status"].format(stage=name)]
    headers += [texts[k] for k in ("published_at", "return_count", "rework_count",
                                   "escalation_count", "progress_notice", "rating", "lat", "lon",
                                   "description")]
    return headers

"""The report packs (backend/exports): Word, Excel and CSV of a month and a quarter.

On a seeded demo province (3,000 reports over 12 months, ending Friday 20/11/2026 10:00, as in
test_demo_seed) plus a few hand-made reports that try to leak: a reporter who writes their own
name, phone and e-mail in the text, a description that a spreadsheet would run as a formula,
and a confidential report. Checks: every figure of the Word report is the same figure in the
workbook; totals equal a direct count; no reporter's identity anywhere; formula cells
neutralised; confidential reports counted but not described; the CLI; the pictures.

Set IOC_SCREENSHOTS=1 to refresh docs/screenshots/pack_docx.png and pack_xlsx.png.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, time
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import BACKENDS, scratch_database
from docx import Document
from docx.table import Table as DocxTable
from docx.text.paragraph import Paragraph
from PIL import Image, ImageStat
from sqlalchemy import func, or_, select

from backend import vietnamese as vn
from backend.cli import main
from backend.config import LOCAL_TZ, REPO_ROOT
from backend.demo.seed import seed
from backend.domain.sla import STAGES
from backend.domain.worktime import NAT_INT
from backend.exports import common, xlsx
from backend.exports.csv import (
    local_text,
    neutralise,
    neutralise_texts,
    write_csv,
    write_csv_python,
)
from backend.exports.pack import build_pack
from backend.services import kpis
from backend.services.admin.reference_data import prepare_database
from backend.services.intake.submit import NewReport, submit_report
from backend.services.kpis import Period
from backend.storage import snapshots
from backend.storage.db import session_factory
from backend.storage.models import Report

UNTIL = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)  # Friday 20/11/2026 10:00 in Thái Nguyên
OCTOBER, Q3 = Period.month(2026, 10), Period.quarter(2026, 3)
SECRET = "NOIDUNGMAT-7731"
FORMULA = '=HYPERLINK("http://vi-du.invalid","Bấm vào đây") cống thoát nước bị tắc'
LEAKER = ("Phạm Văn Khải", "0987654321", "khai.pham@example.vn")
TEXTS = common.pack_texts()
SHEETS = TEXTS["sheets"]
SCREENSHOTS = REPO_ROOT / "docs" / "screenshots"


# =========================================================================== fixtures


def _tricky_reports(url: str) -> dict[str, str]:
    """Reports in October that try to leak identity, run formulas or show secrets."""
    when = datetime(2026, 10, 14, 9, 0, tzinfo=LOCAL_TZ)
    base = {"lat": 21.5942, "lon": 105.8482, "consent_version": "2026-01"}
    name, phone, email = LEAKER
    made = {}
    made["leaker"] = submit_report(NewReport(
        description=f"Tôi là {name}, số điện thoại 0987 654 321, thư điện tử {email}. "
                    "Cống thoát nước bị tắc, nước tràn lên mặt đường.",
        reporter_name=name, reporter_phone=phone, reporter_email=email, **base),
        now=when, url=url).code
    made["formula"] = submit_report(NewReport(description=FORMULA, reporter_name="Lê Văn Tâm",
                                              reporter_phone="0911000111", **base),
                                    now=when, url=url).code
    made["minus"] = submit_report(NewReport(description="-1 cột điện nghiêng sắp đổ",
                                            **base), now=when, url=url).code
    made["secret"] = submit_report(NewReport(
        description=f"Đề nghị giữ bí mật danh tính: {SECRET} tập kết hàng lậu ban đêm",
        reporter_name="Hà Thị Mai", reporter_phone="0988000222", confidential=True, **base),
        now=when, url=url).code
    return made


class Packs:
    """A seeded database and the packs built from it."""

    def __init__(self, url: str, folder: Path, made: dict[str, str]) -> None:
        self.url, self.folder, self.made = url, folder, made
        self.progress: dict[str, list[tuple[float, str]]] = {}
        self.paths: dict[str, dict[str, Path]] = {}
        for period in (OCTOBER, Q3):
            calls: list[tuple[float, str]] = []
            paths = build_pack(period, folder / period.code, url=url, now=UNTIL,
                               progress=lambda f, m, calls=calls: calls.append((f, m)))
            self.progress[period.code] = calls
            self.paths[period.code] = {p.suffix[1:]: p for p in paths}


@pytest.fixture(scope="module", params=BACKENDS)  # one per backend (conftest)
def packs(request, tmp_path_factory) -> Iterator[Packs]:
    folder = tmp_path_factory.mktemp("packs")
    with scratch_database(request.param, folder) as url:
        prepare_database(url)
        seed(3000, 12, 2026, UNTIL, url=url)
        made = _tricky_reports(url)
        yield Packs(url, folder, made)


# =========================================================================== reading the files


def workbook(path: Path) -> dict[str, dict]:
    """Each sheet: headers, and rows by their label (first text column) -> {header: cell}."""
    book = openpyxl.load_workbook(path)
    out = {}
    for ws in book.worksheets:
        headers = [c.value for c in ws[common_header_row()]]
        label_at = 1 if headers[0] == TEXTS["columns"]["no"] else 0
        rows: dict[str, dict] = {}
        ordered = []
        for row in ws.iter_rows(min_row=common_header_row() + 1):
            label = row[label_at].value
            if label is None:
                continue
            cells = {h: c for h, c in zip(headers, row, strict=False) if h}
            rows[str(label)] = cells
            ordered.append(cells)
        out[ws.title] = {"headers": headers, "rows": rows, "ordered": ordered, "ws": ws}
    return out


def common_header_row() -> int:
    return xlsx.TITLE_ROWS


def shown(cell) -> str:
    """How the Word report shows a workbook cell (its number format decides)."""
    value, fmt = cell.value, cell.number_format or ""
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if fmt.startswith("+"):
        sign = "+" if value > 0 else ("-" if value < 0 else "")
        body = vn.decimal(abs(value)) if ".0" in fmt else vn.integer(abs(value))
        return sign + body
    if "%" in fmt:
        return vn.percent(value)
    if "0.0" in fmt:
        return vn.decimal(value)
    return vn.integer(value)


def blocks(document) -> Iterator[Paragraph | DocxTable]:
    for child in document.element.body.iterchildren():
        if child.tag.endswith("}p"):
            yield Paragraph(child, document)
        elif child.tag.endswith("}tbl"):
            yield DocxTable(child, document)


def docx_tables(path: Path) -> list[tuple[str, list[list[str]]]]:
    """(caption, rows of cell texts) of every captioned table of the Word report."""
    document = Document(path)
    caption, out = None, []
    for block in blocks(document):
        if isinstance(block, Paragraph):
            if re.match(r"Bảng \d+\. ", block.text):
                caption = block.text.split(". ", 1)[1]
            continue
        if caption is not None:
            out.append((caption, [[c.text for c in row.cells] for row in block.rows]))
            caption = None
    return out


def docx_text(path: Path) -> str:
    document = Document(path)
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(c.text for c in row.cells)
    for section in document.sections:
        parts.extend(p.text for p in section.header.paragraphs)
        parts.extend(p.text for p in section.footer.paragraphs)
    return "\n".join(parts)


def narrative(path: Path) -> list[str]:
    """Body paragraphs of the Word report (not tables, captions or notes)."""
    out = []
    for block in blocks(Document(path)):
        if isinstance(block, Paragraph) and block.text.strip():
            if re.match(r"(Bảng|Biểu đồ) \d+\.", block.text) or block.text.startswith("Chi tiết"):
                continue
            out.append(block.text)
    return out


def csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def all_strings(path_xlsx: Path) -> str:
    book = openpyxl.load_workbook(path_xlsx)
    return "\n".join(str(c.value) for ws in book.worksheets for row in ws.iter_rows()
                     for c in row if isinstance(c.value, str))


# =========================================================================== the figures


TABLE_SHEETS = {
    TEXTS["titles"]["headline"]: SHEETS["summary"],
    TEXTS["titles"]["field"]: SHEETS["field"],
    TEXTS["titles"]["area"]: SHEETS["area"],
    TEXTS["titles"]["unit"]: SHEETS["unit"],
    TEXTS["titles"]["stages"]: SHEETS["stages"],
    TEXTS["titles"]["agency"]: SHEETS["agency"],
}


def _overdue_tally(book: dict) -> dict[str, dict[str, float]]:
    h = TEXTS["columns"]
    tally: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for cells in book[SHEETS["overdue"]]["ordered"]:
        unit = cells[h["responsible"]].value
        tally[unit]["late"] += 1
        tally[unit]["overdue"] += cells[h["status"]].value == "Đang quá hạn"
        tally[unit]["hours"] += cells[h["hours_late"]].value
        tally[unit]["max"] = max(tally[unit]["max"], cells[h["hours_late"]].value)
    return tally


@pytest.mark.parametrize("code", [OCTOBER.code, Q3.code])
def test_every_table_figure_of_the_word_report_is_in_the_workbook(packs, code) -> None:
    book = workbook(packs.paths[code]["xlsx"])
    tables = docx_tables(packs.paths[code]["docx"])
    assert len(tables) >= 6
    h = TEXTS["columns"]
    compared = 0
    for caption, rows in tables:
        header, body = rows[0], rows[1:]
        label_at = 1 if header[0] == h["no"] else 0
        if caption == TEXTS["titles"]["overdue_by_unit"]:
            tally = _overdue_tally(book)
            for row in body:
                unit = row[label_at]
                if unit == TEXTS["workbook"]["total"]:
                    assert int(row[label_at + 1].replace(".", "")) == sum(
                        t["late"] for t in tally.values())
                    continue
                values = dict(zip(header, row, strict=True))
                assert values[h["late_count"]] == vn.integer(tally[unit]["late"]), unit
                assert values[h["overdue_count"]] == vn.integer(tally[unit]["overdue"]), unit
                assert float(values[h["hours_total"]].replace(".", "").replace(",", ".")) == \
                    pytest.approx(tally[unit]["hours"], abs=0.051), unit
                assert values[h["hours_max"]] == vn.decimal(tally[unit]["max"]), unit
                compared += 4
            continue
        sheet = book[TABLE_SHEETS[caption]]
        for row in body:
            label = row[label_at]
            assert label in sheet["rows"], (caption, label)
            cells = sheet["rows"][label]
            for column, value in zip(header, row, strict=True):
                if column == h["no"] or column not in cells or column == header[label_at]:
                    continue
                if cells[column].value is None:  # an empty text cell, or a figure without value
                    assert value in ("", "-"), (caption, label, column)
                else:
                    assert value == shown(cells[column]), (caption, label, column)
                compared += 1
    assert compared > 100


@pytest.mark.parametrize("code", [OCTOBER.code, Q3.code])
def test_every_number_of_the_narrative_is_a_workbook_figure(packs, code) -> None:
    book = workbook(packs.paths[code]["xlsx"])
    allowed = set()
    for sheet in book.values():
        for cells in sheet["ordered"]:
            for cell in cells.values():
                if isinstance(cell.value, int | float) and not isinstance(cell.value, bool):
                    allowed.add(shown(cell).lstrip("+-"))
                    allowed.add(vn.decimal(abs(cell.value)))
    for unit in _overdue_tally(book).values():
        allowed.add(vn.integer(unit["late"]))
    allowed |= {vn.integer(sum(u["late"] for u in _overdue_tally(book).values())),
                vn.integer(sum(u["overdue"] for u in _overdue_tally(book).values()))}
    paragraphs = narrative(packs.paths[code]["docx"])
    found = 0
    for paragraph in paragraphs:
        cleaned = re.sub(r"\d{2}/\d{2}/\d{4}|\d{2}/\d{4}|[IV]+/\d{4}|\d{2}:\d{2}", " ",
                         paragraph)  # dates, periods and times are not figures
        cleaned = re.sub(r"Số:\s*/\S+", " ", cleaned)
        for token in re.findall(r"\d[\d.]*(?:,\d+)?%?", cleaned):
            token = token.rstrip(".")
            assert token in allowed, (token, paragraph)
            found += 1
    assert found > 30
    summary = book[SHEETS["summary"]]["rows"]
    current = f"{h_current()} ({Period.parse(code).title_vi})"
    received = shown(summary[kpis.label("received")][current])
    assert any(f"tiếp nhận {received} phản ánh hiện trường" in p for p in paragraphs)
    on_time = shown(summary[kpis.label("rate.on_time.e2e")][current])
    assert any(f"ở tất cả các bước đạt {on_time}" in p for p in paragraphs)


def h_current() -> str:
    return TEXTS["columns"]["current"]


def _direct_count(url: str, period: Period, *conditions) -> int:
    """A plain COUNT with the period's bounds worked out here, independently of kpis.Period."""
    start = datetime.combine(period.start, time(), LOCAL_TZ)
    end = datetime.combine(period.end, time(), LOCAL_TZ)
    with session_factory(url)() as session:
        return session.scalar(select(func.count()).select_from(Report).where(
            Report.submitted_at >= start, Report.submitted_at < end, *conditions))


@pytest.mark.parametrize("period", [OCTOBER, Q3], ids=lambda p: p.code)
def test_totals_equal_a_direct_count(packs, period) -> None:
    paths = packs.paths[period.code]
    book = workbook(paths["xlsx"])
    current = f"{h_current()} ({period.title_vi})"
    summary = book[SHEETS["summary"]]["rows"]
    received = _direct_count(packs.url, period)
    assert received > 200
    assert summary[kpis.label("received")][current].value == received
    total = TEXTS["workbook"]["total"]
    h = TEXTS["columns"]
    assert book[SHEETS["field"]]["rows"][total][h["received"]].value == received
    assert book[SHEETS["area"]]["rows"][total][h["received"]].value == received
    assert book[SHEETS["unit"]]["rows"][total][h["received"]].value == received
    assert book[SHEETS["agency"]]["rows"][total][h["received_agency"]].value == _direct_count(
        packs.url, period, Report.agency_code.is_not(None))
    assert summary[kpis.label("private")][current].value == _direct_count(
        packs.url, period, or_(Report.confidential.is_(True), Report.state_secret.is_(True)))
    assert summary[kpis.label("rejected")][current].value == _direct_count(
        packs.url, period, or_(Report.state == "rejected",
                               (Report.state == "closed") & Report.published_at.is_(None)))
    assert len(csv_rows(paths["csv"])) == received
    previous = f"{TEXTS['columns']['previous']} ({period.previous().title_vi})"
    assert summary[kpis.label("received")][previous].value == _direct_count(
        packs.url, period.previous())
    # the overdue sheet holds one row per late stage: as many as the stage table says
    stages = book[SHEETS["stages"]]["rows"]
    late = sum(stages[kpis.stage_name(s)][h["late"]].value for s in STAGES)
    assert len(book[SHEETS["overdue"]]["ordered"]) == late


def test_files_progress_and_layout(packs) -> None:
    paths = packs.paths[OCTOBER.code]
    assert {p.name for p in paths.values()} == {
        "bao-cao-phan-anh-2026-10.docx", "bao-cao-phan-anh-2026-10.xlsx",
        "bao-cao-phan-anh-2026-10.csv"}
    fractions = [f for f, _ in packs.progress[OCTOBER.code]]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert all(message.strip() for _, message in packs.progress[OCTOBER.code])
    assert not list(paths["xlsx"].parent.glob(".tmp-*"))
    # Decree 30 layout: national heading, motto, place and date, kind, addressee, recipients
    text = docx_text(paths["docx"])
    for line in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                 "Thái Nguyên, ngày 20 tháng 11 năm 2026", "BÁO CÁO", "/BC-IOC",
                 "Kết quả tiếp nhận, xử lý phản ánh hiện trường tháng 10/2026", "Nơi nhận:",
                 "UBND TỈNH THÁI NGUYÊN", TEXTS["document"]["signer_name"]):
        assert line in text, line
    document = Document(paths["docx"])
    section = document.sections[0]
    assert round(section.page_width.mm) == 210 and round(section.left_margin.mm) == 30
    assert document.styles["Normal"].font.name == "Times New Roman"
    assert document.styles["Normal"].font.size.pt == 14
    assert len(document.inline_shapes) >= 4  # the charts
    # the agencies with late cases are named in the text
    book = workbook(paths["xlsx"])
    worst = max(_overdue_tally(book).items(), key=lambda item: item[1]["late"])[0]
    assert worst in "\n".join(narrative(paths["docx"]))
    # every sheet: frozen header, real numbers, fitted widths
    for name in (*SHEETS.values(),):
        ws = book[name]["ws"]
        assert ws.freeze_panes == f"B{xlsx.TITLE_ROWS + 1}", name
        for cells in book[name]["ordered"][:5]:
            for header, cell in cells.items():
                if header in (TEXTS["columns"]["received"], TEXTS["columns"]["late"]):
                    assert isinstance(cell.value, int), (name, header)
        assert all(ws.column_dimensions[c].width >= 6 for c in "AB"), name
    overdue = book[SHEETS["overdue"]]["ordered"]
    assert isinstance(overdue[0][TEXTS["columns"]["due_at"]].value, datetime)
    assert overdue[0][TEXTS["columns"]["due_at"]].number_format == "dd/mm/yyyy hh:mm"


def test_due_times_are_shown_in_vietnam_time(packs) -> None:
    book = workbook(packs.paths[OCTOBER.code]["xlsx"])
    first = book[SHEETS["overdue"]]["ordered"][0]
    code = first[TEXTS["columns"]["code"]].value
    stage = first[TEXTS["columns"]["stage"]].value
    column = {kpis.stage_name(s): s for s in STAGES}[stage]
    with session_factory(packs.url)() as session:
        due = session.scalar(select(getattr(Report, f"{column}_due")).where(Report.code == code))
    shown_due = first[TEXTS["columns"]["due_at"]].value
    assert shown_due == due.astimezone(LOCAL_TZ).replace(tzinfo=None)
    row = next(r for r in csv_rows(packs.paths[OCTOBER.code]["csv"])
               if r[TEXTS["csv"]["code"]] == code)
    assert row[TEXTS["csv"]["stage_due"].format(stage=stage)] == due.astimezone(
        LOCAL_TZ).strftime("%d/%m/%Y %H:%M")
    # done instants carry microseconds: both files show the minute it happened in
    done_rows = [r for r in book[SHEETS["overdue"]]["ordered"]
                 if r[TEXTS["columns"]["done_at"]].value is not None]
    csv_by_code = {r[TEXTS["csv"]["code"]]: r for r in csv_rows(packs.paths[OCTOBER.code]["csv"])}
    for cells in done_rows[:200]:
        stage = cells[TEXTS["columns"]["stage"]].value
        shown_done = cells[TEXTS["columns"]["done_at"]].value.strftime("%d/%m/%Y %H:%M")
        csv_done = csv_by_code[cells[TEXTS["columns"]["code"]].value][
            TEXTS["csv"]["stage_done"].format(stage=stage)]
        assert shown_done == csv_done


# =========================================================================== privacy and safety


def test_no_reporter_identity_in_any_pack(packs) -> None:
    with session_factory(packs.url)() as session:
        people = session.execute(select(Report.reporter_name, Report.reporter_phone,
                                        Report.reporter_email)).all()
    names = {n for n, _, _ in people if n}
    phones = {p for _, p, _ in people if p}
    emails = {e for _, _, e in people if e}
    assert LEAKER[0] in names and len(names) > 500 and len(emails) > 300
    for code in (OCTOBER.code, Q3.code):
        paths = packs.paths[code]
        for label, content in (("docx", docx_text(paths["docx"])),
                               ("xlsx", all_strings(paths["xlsx"])),
                               ("csv", paths["csv"].read_text(encoding="utf-8-sig"))):
            words = re.findall(r"\w+", content)
            windows = {" ".join(words[i:i + 3]) for i in range(len(words) - 2)}
            assert not windows & names, (code, label, sorted(windows & names)[:5])
            digits = set(re.findall(r"\d{9,11}", re.sub(r"(?<=\d)[ .\-](?=\d)", "", content)))
            assert not digits & phones, (code, label, sorted(digits & phones)[:5])
            assert "@" not in content, (code, label)
            assert not any(e in content for e in emails)
    leaker = next(r for r in csv_rows(packs.paths[OCTOBER.code]["csv"])
                  if r[TEXTS["csv"]["code"]] == packs.made["leaker"])
    description = leaker[TEXTS["csv"]["description"]]
    assert description.count(TEXTS["csv"]["redacted"]) == 3
    assert "Cống thoát nước bị tắc" in description


def test_csv_cells_never_run_as_formulas(packs) -> None:
    path = packs.paths[OCTOBER.code]["csv"]
    rows = csv_rows(path)
    for row in rows:
        for value in row.values():
            assert value[:1] not in ("=", "+", "-", "@", "\t", "\r"), value
    by_code = {r[TEXTS["csv"]["code"]]: r for r in rows}
    description = TEXTS["csv"]["description"]
    assert by_code[packs.made["formula"]][description] == "'" + FORMULA
    assert by_code[packs.made["minus"]][description].startswith("'-1 cột điện")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and raw.count(b"\n") >= len(rows) + 1
    assert neutralise_texts(["=1+1", "+84", "-", "@x", "\tx", "\rx", "an toàn", ""]) == [
        "'=1+1", "'+84", "'-", "'@x", "'\tx", "'\rx", "an toàn", ""]
    series = neutralise(pd.Series(["=SUM(A1)", None, "ok"]))
    assert list(series) == ["'=SUM(A1)", "", "ok"]


def test_the_workbook_has_a_sheet_by_area_and_one_by_unit_with_every_unit(packs) -> None:
    """Issue 12: the pack breaks down by area (khu vực) and by xã/phường; the unit sheet lists
    all 92 units of the province (none left out for having no report), each with its area."""
    book = workbook(packs.paths[OCTOBER.code]["xlsx"])
    h, total = TEXTS["columns"], TEXTS["workbook"]["total"]
    units = {label: cells for label, cells in book[SHEETS["unit"]]["rows"].items()
             if label != total}
    assert len(units) == 92
    assert units["Phường Phan Đình Phùng"][h["area"]].value == "TP Thái Nguyên"
    assert units["Xã Văn Lang"][h["area"]].value == "Na Rì"
    areas = {label for label in book[SHEETS["area"]]["rows"] if label != total}
    assert areas <= set(refdata_areas()) and "TP Thái Nguyên" in areas
    by_unit = sum(c[h["received"]].value for c in units.values())
    assert by_unit == book[SHEETS["unit"]]["rows"][total][h["received"]].value


def refdata_areas() -> list[str]:
    from backend.reference import files as refdata

    return [a.name for a in refdata.load_areas()]


def test_confidential_reports_are_counted_not_described(packs) -> None:
    for code in (OCTOBER.code, Q3.code):
        paths = packs.paths[code]
        for content in (docx_text(paths["docx"]), all_strings(paths["xlsx"]),
                        paths["csv"].read_text(encoding="utf-8-sig")):
            assert SECRET not in content
    rows = {r[TEXTS["csv"]["code"]]: r for r in csv_rows(packs.paths[OCTOBER.code]["csv"])}
    secret = rows[packs.made["secret"]]
    t = TEXTS["csv"]
    assert secret[t["secrecy"]] == t["secrecy_confidential"]
    for column in ("description", "unit", "unit_name", "area", "area_name", "lat", "lon",
                   "field"):
        assert secret[t[column]] == "", column
    visible = rows[packs.made["formula"]]
    assert visible[t["lat"]] and visible[t["area_name"]] == "TP Thái Nguyên"
    assert (visible[t["unit"]], visible[t["unit_name"]]) == ("05443", "Phường Phan Đình Phùng")
    assert visible[t["former_district"]] == "" == visible[t["former_commune"]]  # 2026


def test_a_streamed_sheet_is_the_same_sheet(packs, tmp_path, monkeypatch) -> None:
    with snapshots.consistent_reads(packs.url):
        data = common.collect(OCTOBER, now=UNTIL, url=packs.url)
    plain = xlsx.write_xlsx(data, tmp_path / "plain.xlsx")
    monkeypatch.setattr(xlsx, "STREAM_ABOVE", 5)
    streamed = xlsx.write_xlsx(data, tmp_path / "streamed.xlsx")
    a, b = openpyxl.load_workbook(plain), openpyxl.load_workbook(streamed)
    def values(ws):  # Excel keeps 15 significant digits; so do we
        return [[round(c.value, 9) if isinstance(c.value, float) else c.value for c in row]
                for row in ws.iter_rows()]

    for name in a.sheetnames:
        assert values(a[name]) == values(b[name]), name
        for row_a, row_b in zip(a[name].iter_rows(min_row=5), b[name].iter_rows(min_row=5),
                                strict=True):
            assert [c.number_format for c in row_a] == [c.number_format for c in row_b], name
            assert [c.font.b for c in row_a] == [c.font.b for c in row_b], name
    assert b[SHEETS["overdue"]].max_row > 5 + 5


def test_the_csv_postgresql_writes_is_the_csv_python_writes(packs, tmp_path) -> None:
    """PostgreSQL formats the CSV itself (COPY); SQLite's is assembled in Python: same cells."""
    if not packs.url.startswith("postgresql"):
        pytest.skip("only PostgreSQL writes the CSV itself")
    with snapshots.consistent_reads(packs.url):
        data = common.collect(OCTOBER, now=UNTIL, url=packs.url)
        server = write_csv(data, tmp_path / "server.csv")
        python = write_csv_python(data, tmp_path / "python.csv")
    assert server.read_bytes().startswith(b"\xef\xbb\xbf")
    server_rows, python_rows = csv_rows(server), csv_rows(python)
    assert len(server_rows) == len(python_rows) > 200
    for a, b in zip(server_rows, python_rows, strict=True):
        assert a == b


@pytest.mark.parametrize("period", [OCTOBER, Q3], ids=lambda p: p.code)
def test_the_trend_chart_counts_whole_months_like_the_dashboard(packs, period) -> None:
    """A pack takes the trend from its two snapshots (and one slim query for earlier months);
    it must equal the dashboard's monthly_trend."""
    with snapshots.consistent_reads(packs.url):
        data = common.collect(period, now=UNTIL, url=packs.url)
    months = int(TEXTS["trend_months"])
    direct = kpis.monthly_trend(period, now=UNTIL, url=packs.url, months=months)
    assert list(data.trend["month"]) == list(direct["month"])
    for column in ("received", "e2e.on_time", "e2e.late", "rate.on_time.e2e"):
        assert data.trend[column].tolist() == pytest.approx(direct[column].tolist()), column


# =========================================================================== units and CLI


def test_local_times_of_the_csv() -> None:
    instants = [int(datetime(2026, 10, 1, 0, 5, tzinfo=LOCAL_TZ).timestamp()), NAT_INT]
    assert list(local_text(np.array(instants))) == ["01/10/2026 00:05", ""]


def ioc(url: str, *args: str):
    return CliRunner().invoke(main, list(args), env={"DATABASE_URL": url})


def test_cli_writes_three_files_and_prints_their_paths(packs, tmp_path) -> None:
    result = ioc(packs.url, "export", "monthly", "--month", "2026-10", "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    printed = result.stdout.strip().splitlines()
    assert [Path(p).suffix for p in printed] == [".docx", ".xlsx", ".csv"]
    assert all(Path(p).is_file() for p in printed)
    result = ioc(packs.url, "export", "quarterly", "--quarter", "2026-Q3", "--out",
                 str(tmp_path / "q"))
    assert result.exit_code == 0 and len(result.stdout.strip().splitlines()) == 3


@pytest.mark.parametrize("args", [
    ("export", "monthly", "--month", "2026-13"),
    ("export", "monthly", "--month", "tháng 10"),
    ("export", "monthly"),
    ("export", "quarterly", "--quarter", "2026-Q5"),
    ("export", "quarterly", "--quarter", "2026-10"),
])
def test_cli_bad_period_is_one_line(tmp_path, args) -> None:
    result = ioc(f"sqlite:///{tmp_path / 'none.db'}", *args, "--out", str(tmp_path))
    assert result.exit_code != 0
    assert result.stdout == "" and "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Lỗi: "), result.stderr
    assert not list(tmp_path.glob("*.docx"))


def test_bench_export_refuses_a_database_not_named_bench(tmp_path) -> None:
    result = ioc(f"sqlite:///{tmp_path / 'ioc.db'}", "bench", "export", "--reports", "10")
    assert result.exit_code != 0
    assert result.stderr.strip().startswith("Lỗi: bench export") and "--yes" in result.stderr
    assert not (tmp_path / "ioc.db").exists()


def test_bench_export_seeds_and_times_both_packs(tmp_path) -> None:
    result = ioc(f"sqlite:///{tmp_path / 'export_bench.db'}", "bench", "export", "--reports",
                 "300", "--months", "6")
    assert result.exit_code == 0, result.output
    last = result.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"export-bench reports=300 monthly_s=\d+\.\d quarterly_s=\d+\.\d", last)


# =========================================================================== pictures


def _soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def _render(source: Path, folder: Path) -> Path:
    """First page of a document as PNG: LibreOffice headless to PDF, then pdftoppm at 60 dpi."""
    soffice = _soffice()
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed: Debian package libreoffice-writer")
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm is not installed: Debian package poppler-utils")
    profile = folder / "lo-profile"
    result = subprocess.run(
        [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to",
         "pdf", "--outdir", str(folder), str(source)],
        capture_output=True, text=True, timeout=240, check=False)
    pdf = folder / f"{source.stem}.pdf"
    if not pdf.exists():
        if source.suffix == ".xlsx" and "could not be loaded" in result.stderr + result.stdout:
            pytest.skip("LibreOffice Calc is not installed (Debian: libreoffice-calc-nogui), "
                        "so the workbook cannot be rendered")
        raise AssertionError(f"soffice failed: {result.stdout} {result.stderr}")
    stem = folder / f"{source.stem}-page"
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf), str(stem)],
                   check=True, timeout=60)
    pages = sorted(folder.glob(f"{stem.name}*.png"))
    assert pages, "pdftoppm wrote no page"
    return pages[0]


@pytest.mark.parametrize("kind", ["docx", "xlsx"])
def test_first_page_renders(packs, tmp_path, kind) -> None:
    if packs.url.startswith("postgresql"):
        pytest.skip("rendered once, from the SQLite pack (the files are the same)")
    picture = _render(packs.paths[OCTOBER.code][kind], tmp_path)
    with Image.open(picture) as image:
        width, height = image.size
        if kind == "xlsx":
            assert width > height > 400  # landscape sheet
        else:
            assert height > width > 400  # A4 portrait
        stats = ImageStat.Stat(image.convert("L"))
        assert stats.stddev[0] > 20  # text and lines, not a blank page
        ink = sum(image.convert("L").histogram()[:128])
        assert ink > 2000
    if os.environ.get("IOC_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(picture, SCREENSHOTS / f"pack_{kind}.png")

"""The Excel workbook of a pack (openpyxl): Tổng hợp, Theo lĩnh vực, Theo đơn vị xử lý, Theo địa
bàn, Quá hạn, Đánh giá (and Theo bước xử lý).

Real numbers with number formats (never numbers as text), dates as Excel dates in Vietnam's
time, frozen headers, fitted widths, Vietnamese titles, printable landscape on A4.

A quarter's "Quá hạn" sheet holds a hundred thousand rows; openpyxl is slow per cell (docs/benchmarks.md)
for that, so large sheets are written by openpyxl with their first data row only (which fixes every
style), and the remaining rows are streamed into the saved file as plain sheet XML with the same
style ids (:func:`_stream_rows`).
"""

from __future__ import annotations

import re
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from pandas.api.types import is_numeric_dtype

from backend import vietnamese as vn
from backend.config import LOCAL_TZ
from backend.exports.common import SHEET_ORDER, PackData, Table

STREAM_ABOVE = 500  # data rows beyond which a sheet is streamed
FORMATS = {
    "int": "#,##0", "rate": "0.0%", "hours": "#,##0.0", "datetime": "dd/mm/yyyy hh:mm",
    "text": "@",
}
CHANGE_FORMATS = {
    "count": "+#,##0;-#,##0;0", "hours": "+#,##0.0;-#,##0.0;0.0",
    "rate": '+0.0" điểm %";-0.0" điểm %";0.0" điểm %"',
}
FONT = "Times New Roman"
HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")
SECTION_FILL = PatternFill("solid", fgColor="F2F2F2")
THIN = Side(style="thin", color="808080")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
TITLE_ROWS = 4  # title, subtitle, table title, header
EXCEL_EPOCH_DAYS = 25569  # 1970-01-01 as an Excel serial day
_BAD_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _serial(values: pd.Series) -> np.ndarray:
    """Aware Timestamps -> Excel serial days in Vietnam's wall-clock time (NaN for NaT)."""
    stamps = pd.to_datetime(values, utc=True)
    offset = stamps.dt.tz_convert(LOCAL_TZ).dt.tz_localize(None)
    seconds = (offset - pd.Timestamp("1970-01-01")).dt.total_seconds().to_numpy()
    return seconds / 86400.0 + EXCEL_EPOCH_DAYS


def _cell_value(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if kind == "datetime":
        if pd.isna(value):
            return None
        return pd.Timestamp(value).tz_convert(LOCAL_TZ).tz_localize(None).to_pydatetime()
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, str):
        return _BAD_XML.sub("", value)
    return value


def _format(table: Table, kind: str, row: int) -> str | None:
    unit = table.units[row] if table.units else "count"
    if kind == "figure":
        return FORMATS["int" if unit == "count" else unit]
    if kind == "change":
        return CHANGE_FORMATS[unit]
    return FORMATS.get(kind)


def _display_width(kind: str, values: pd.Series) -> int:
    """Characters a column needs for its values (estimated from their formatted length)."""
    if values.empty:
        return 0
    if kind in ("text",):
        lengths = values.dropna().astype(str).str.len()
        return int(lengths.max()) if len(lengths) else 0
    if kind == "datetime":
        return 16
    numbers = pd.to_numeric(values, errors="coerce").abs()
    if numbers.notna().any():
        biggest = float(numbers.max())
        if kind == "rate":
            return 7
        digits = len(f"{biggest:,.0f}")
        return digits + (2 if kind in ("hours", "change", "figure") else 0) + 1
    lengths = values.dropna().astype(str).str.len()
    return int(lengths.max()) if len(lengths) else 0


def _widths(table: Table) -> list[float]:
    widths = [6.0] if table.numbered else []
    for column in table.columns:
        longest_word = max((len(w) for w in column.header.split()), default=4)
        header_need = min(len(column.header), max(longest_word + 2, len(column.header) / 2 + 2))
        values = table.frame[column.key] if column.key in table.frame else pd.Series(dtype=object)
        if table.total and column.key in table.total:
            values = pd.concat([values, pd.Series([table.total[column.key]], dtype=object)])
        need = _display_width(column.kind, values) + 2
        widths.append(float(min(max(header_need, need, 8), 60)))
    return widths


def _write_sheet(ws: Worksheet, table: Table, data: PackData) -> int | None:
    """Fill one sheet; returns the number of rows left to stream (None: nothing to stream)."""
    texts = data.texts["workbook"]
    columns = table.columns
    width = len(columns) + (1 if table.numbered else 0)
    last = get_column_letter(width)
    period = data.period.label_vi
    ws.append([texts["title"].format(period=period.upper())])
    ws.append([texts["subtitle"].format(start=vn.date(data.period.start),
                                        end=vn.date(data.period.last_day), as_of=vn.moment(data.now))])
    title = table.title
    if data.filters_label():
        title = f"{title} ({data.filters_label()})"
    ws.append([title])
    for row, size, bold, italic in ((1, 14, True, False), (2, 12, False, True), (3, 13, True, False)):
        ws.merge_cells(f"A{row}:{last}{row}")
        cell = ws.cell(row=row, column=1)
        cell.font = Font(name=FONT, size=size, bold=bold, italic=italic)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    ws.row_dimensions[1].height = 22
    headers = ([data.texts["columns"]["no"]] if table.numbered else []) + [c.header for c in columns]
    ws.append(headers)
    for index in range(1, width + 1):
        cell = ws.cell(row=TITLE_ROWS, column=index)
        cell.font = Font(name=FONT, size=11, bold=True)
        cell.fill = HEADER_FILL
        cell.border = BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    ws.row_dimensions[TITLE_ROWS].height = 48
    ws.freeze_panes = f"B{TITLE_ROWS + 1}"  # a string: ws.cell() would create the row

    n = len(table.frame)
    # streamed rows all take the first row's styles: only plain lists (no sections, no total)
    stream = n > STREAM_ABOVE and not table.sections and not table.total
    written = 1 if stream else n
    frame = table.frame
    for row in range(written):
        values = [row + 1] if table.numbered else []
        for column in columns:
            values.append(_cell_value(column.kind, frame.iloc[row][column.key]))
        ws.append(values)
        excel_row = TITLE_ROWS + 1 + row
        section = row in table.sections
        for index in range(1, width + 1):
            cell = ws.cell(row=excel_row, column=index)
            cell.font = Font(name=FONT, size=11, bold=section)
            cell.border = BORDER
            if section:
                cell.fill = SECTION_FILL
            if index == 1 and table.numbered:
                cell.number_format = "0"
                cell.alignment = Alignment(horizontal="center")
                continue
            column = columns[index - 1 - (1 if table.numbered else 0)]
            fmt = _format(table, column.kind, row)
            if fmt and column.kind != "text":
                cell.number_format = fmt
            if column.kind == "text":
                cell.alignment = Alignment(wrap_text=False, vertical="top")
    if section_rows := table.sections:
        for row in section_rows:
            ws.merge_cells(start_row=TITLE_ROWS + 1 + row, start_column=1,
                           end_row=TITLE_ROWS + 1 + row, end_column=width)
    if table.total and not stream:
        values = [None] if table.numbered else []
        values += [_cell_value(c.kind, table.total.get(c.key)) for c in columns]
        ws.append(values)
        excel_row = TITLE_ROWS + 1 + n
        for index in range(1, width + 1):
            cell = ws.cell(row=excel_row, column=index)
            cell.font = Font(name=FONT, size=11, bold=True)
            cell.border = BORDER
            if index > (1 if table.numbered else 0):
                column = columns[index - 1 - (1 if table.numbered else 0)]
                fmt = FORMATS.get(column.kind)
                if fmt and column.kind != "text":
                    cell.number_format = fmt
    for index, value in enumerate(_widths(table), start=1):
        ws.column_dimensions[get_column_letter(index)].width = value
    rows_total = n + (1 if table.total and not stream else 0)
    if table.key != "summary":
        ws.auto_filter.ref = f"A{TITLE_ROWS}:{last}{TITLE_ROWS + max(n, 1)}"
    ws.print_title_rows = f"{TITLE_ROWS}:{TITLE_ROWS}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_area = f"A1:{last}{TITLE_ROWS + max(rows_total, 1)}"
    return n - written if stream else None


def write_xlsx(data: PackData, path: Path) -> Path:
    """Write the workbook of ``data`` to ``path``."""
    path = Path(path)
    wb = Workbook()
    wb.remove(wb.active)
    wb.properties.creator = data.texts["workbook"]["creator"]
    wb.properties.title = data.texts["workbook"]["title"].format(period=data.period.label_vi)
    pending: list[tuple[int, Table]] = []
    for index, key in enumerate(SHEET_ORDER):
        table = data.tables[key]
        ws = wb.create_sheet(table.sheet)
        if _write_sheet(ws, table, data) is not None:
            pending.append((index + 1, table))
    with tempfile.TemporaryDirectory() as folder:
        draft = Path(folder) / "draft.xlsx"
        wb.save(draft)
        if pending:
            _stream_rows(draft, path, pending)
        else:
            shutil.move(draft, path)
    return path


# --------------------------------------------------------------------------- streaming


_CELL = re.compile(r'<c r="([A-Z]+)(\d+)"([^>]*?)(?:/>|>.*?</c>)', re.S)
_STYLE = re.compile(r's="(\d+)"')


ROW = "\x00"  # stands for the row number inside a cell's XML until the row is assembled


_SEP = "\ue000"  # a private-use character: joins values to escape them in one pass


def _escape_all(values: list[str]) -> list[str]:
    """XML-escaped values without characters XML forbids, in one pass over all of them."""
    joined = _SEP.join(values)
    if joined.count(_SEP) != len(values) - 1:  # a value holds the separator: one by one
        return [escape(_BAD_XML.sub("", value)) for value in values]
    return escape(_BAD_XML.sub("", joined)).split(_SEP) if values else []


def _text_cells(values: pd.Series, letter: str, style: str) -> np.ndarray:
    """Each value's cell as inline-string XML (built once per distinct value)."""
    cleaned = values.where(values.notna(), "").astype(str)
    head = f'<c r="{letter}{ROW}"{style}'
    uniques = [str(u) for u in pd.unique(cleaned)]
    cells = {
        value: (head + "/>" if value == "" else
                f'{head} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>')
        for value, text in zip(uniques, _escape_all(uniques), strict=True)
    }
    return cleaned.map(cells).to_numpy(dtype=object)


def _number_cells(values: np.ndarray, letter: str, style: str) -> np.ndarray:
    numbers = np.asarray(values, dtype=np.float64)
    head = f'<c r="{letter}{ROW}"{style}'
    out = np.full(numbers.shape, head + "/>", dtype=object)
    ok = ~np.isnan(numbers)
    whole = ok & (numbers == np.round(numbers)) & (np.abs(numbers) < 1e15)
    out[whole] = [f"{head}><v>{v}</v></c>" for v in numbers[whole].astype(np.int64).tolist()]
    rest = ok & ~whole
    out[rest] = [f"{head}><v>{v!r}</v></c>" for v in numbers[rest].tolist()]
    return out


def _rows_xml(table: Table, styles: dict[str, str], first_row: int) -> list[str]:
    """Sheet XML of every data row of a streamed table, rows numbered from ``first_row``."""
    frame = table.frame
    n = len(frame)
    letters = [get_column_letter(i) for i in range(1, len(table.columns) + 2)]
    columns = []
    index = 0

    def style_of(letter: str) -> str:
        return f' s="{styles[letter]}"' if styles.get(letter) else ""

    if table.numbered:
        columns.append(_number_cells(np.arange(1, n + 1), letters[0], style_of(letters[0])))
        index = 1
    for offset, column in enumerate(table.columns):
        letter = letters[index + offset]
        style = style_of(letter)
        if column.kind == "text":
            columns.append(_text_cells(frame[column.key], letter, style))
        elif column.kind == "datetime":
            columns.append(_number_cells(_serial(frame[column.key]), letter, style))
        else:
            values = frame[column.key]
            cells = _number_cells(pd.to_numeric(values, errors="coerce").to_numpy(), letter,
                                  style)
            if not is_numeric_dtype(values):  # e.g. a rank column saying "not enough data"
                words = values.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
                if words.any():
                    cells[words] = _text_cells(values[words], letter, style)
            columns.append(cells)
    rows = []
    for number, cells in zip(range(first_row, first_row + n), zip(*columns, strict=True),
                             strict=True):
        label = str(number)
        rows.append(f'<row r="{label}">' + "".join(cells).replace(ROW, label) + "</row>")
    return rows


def _stream_rows(draft: Path, target: Path, pending: list[tuple[int, Table]]) -> None:
    """Copy ``draft`` to ``target``, replacing each pending sheet's single data row with all."""
    replaced: dict[str, bytes] = {}
    with zipfile.ZipFile(draft) as source:
        for index, table in pending:
            name = f"xl/worksheets/sheet{index}.xml"
            xml = source.read(name).decode("utf-8")
            first = TITLE_ROWS + 1
            match = re.search(rf'<row r="{first}"[^>]*>(.*?)</row>', xml, re.S)
            if match is None:
                raise RuntimeError(f"{name}: không tìm thấy dòng mẫu {first}")
            styles = {}
            for cell in _CELL.finditer(match.group(1)):
                style = _STYLE.search(cell.group(3))
                styles[cell.group(1)] = style.group(1) if style else ""
            rows = "".join(_rows_xml(table, styles, first))
            xml = xml[:match.start()] + rows + xml[match.end():]
            last = get_column_letter(len(table.columns) + (1 if table.numbered else 0))
            xml = re.sub(r'<dimension ref="[^"]*"/>',
                         f'<dimension ref="A1:{last}{first + len(table.frame) - 1}"/>', xml,
                         count=1)
            replaced[name] = xml.encode("utf-8")
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
            for item in source.infolist():
                data = replaced.get(item.filename)
                if data is None:
                    out.writestr(item, source.read(item.filename))
                else:  # tens of megabytes of XML: light compression, several times faster
                    out.writestr(item, data, compress_type=zipfile.ZIP_DEFLATED,
                                 compresslevel=1)

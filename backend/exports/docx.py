"""The Word report of a pack (python-docx), laid out as a Vietnamese administrative report.

Decree 30/2020/NĐ-CP (Phụ lục I): A4, margins 20-25 mm top and bottom, 30-35 mm left, 15-20 mm
right; Times New Roman; the issuing body (with its parent) top left over a short rule and the
number and symbol; the national heading and motto top right over a rule, then place and date in
italics; the kind of document and its title centred in bold; body 13-14 pt, justified; page
numbers centred at the top from the second page; "Nơi nhận:" bottom left and the signer's title
and name bottom right. The narrative carries the key figures; tables and charts follow the text
they support; the agencies with late cases are named (D14.4). Every number comes from the same
tables as the workbook (backend/exports/common.py).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt, RGBColor

from backend import vietnamese as vn
from backend.exports.common import PackData, Table, pack_texts
from backend.services import kpis

FONT = "Times New Roman"
BODY_PT = 14
TABLE_PT = 11
TEXT_WIDTH_MM = 210 - 30 - 15


# =========================================================================== low-level helpers


def _font(run, size: float | None = None, bold: bool | None = None, italic: bool | None = None,
          underline: bool | None = None) -> None:
    run.font.name = FONT
    r_pr = run._element.get_or_add_rPr()
    fonts = r_pr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        r_pr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), FONT)
    if size is not None:
        run.font.size = Pt(size)
    if bold is not None:
        run.font.bold = bold
    if italic is not None:
        run.font.italic = italic
    if underline is not None:
        run.font.underline = underline


def _paragraph(container, text: str = "", *, size: float = BODY_PT, bold: bool = False,
               italic: bool = False, align=WD_ALIGN_PARAGRAPH.JUSTIFY, indent: bool = False,
               before: float = 0, after: float = 6, spacing: float = 1.15):
    paragraph = container.add_paragraph()
    paragraph.alignment = align
    fmt = paragraph.paragraph_format
    fmt.space_before, fmt.space_after, fmt.line_spacing = Pt(before), Pt(after), spacing
    if indent:
        fmt.first_line_indent = Cm(1.0)
    if text:
        _font(paragraph.add_run(text), size, bold, italic)
    return paragraph


def _rule(cell_or_doc, length_mm: float, box_mm: float) -> None:
    """A short centred horizontal line (the rules under the headings, Decree 30)."""
    paragraph = cell_or_doc.add_paragraph()
    fmt = paragraph.paragraph_format
    side = max((box_mm - length_mm) / 2, 0)
    fmt.left_indent, fmt.right_indent = Mm(side), Mm(side)
    fmt.space_before, fmt.space_after = Pt(0), Pt(2)
    fmt.line_spacing = Pt(2)
    p_pr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"),
                       ("w:color", "000000")):
        bottom.set(qn(key), value)
    borders.append(bottom)
    p_pr.append(borders)


def _no_borders(table) -> None:
    tbl_pr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:val"), "nil")
        borders.append(element)
    tbl_pr.append(borders)


def _set_widths(table, widths_mm: list[float], indent_mm: float = 0.0) -> None:
    """Fixed column widths that Word and LibreOffice both honour (grid, cells, layout)."""
    table.autofit = False
    tbl = table._tbl
    tbl_pr = tbl.tblPr
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    tbl_pr.append(layout)
    width = tbl_pr.find(qn("w:tblW"))
    if width is None:
        width = OxmlElement("w:tblW")
        tbl_pr.append(width)
    width.set(qn("w:type"), "dxa")
    width.set(qn("w:w"), str(int(Mm(sum(widths_mm)).twips)))
    if indent_mm:
        indent = OxmlElement("w:tblInd")
        indent.set(qn("w:w"), str(int(Mm(indent_mm).twips)))
        indent.set(qn("w:type"), "dxa")
        tbl_pr.append(indent)
    for column, value in zip(tbl.tblGrid.findall(qn("w:gridCol")), widths_mm, strict=True):
        column.set(qn("w:w"), str(int(Mm(value).twips)))
    for row in table.rows:
        for cell, value in zip(row.cells, widths_mm, strict=True):
            cell.width = Mm(value)


def _shade(cell, color: str) -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), color)
    cell._tc.get_or_add_tcPr().append(shading)


def _repeat_header(row) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    flag = OxmlElement("w:tblHeader")
    flag.set(qn("w:val"), "true")
    tr_pr.append(flag)


def _cell_text(cell, text: str, *, bold: bool = False, italic: bool = False,
               align=WD_ALIGN_PARAGRAPH.LEFT, size: float = TABLE_PT) -> None:
    cell.text = ""
    paragraph = cell.paragraphs[0]
    paragraph.alignment = align
    fmt = paragraph.paragraph_format
    fmt.space_before, fmt.space_after, fmt.line_spacing = Pt(1), Pt(1), 1.0
    _font(paragraph.add_run(text), size, bold, italic)


def _page_numbers(section) -> None:
    """Page number centred at the top, not on the first page (Decree 30)."""
    section.different_first_page_header_footer = True
    paragraph = section.header.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    r_pr = OxmlElement("w:rPr")
    fonts = OxmlElement("w:rFonts")
    for attr in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(attr), FONT)
    size = OxmlElement("w:sz")
    size.set(qn("w:val"), str(BODY_PT * 2))
    r_pr.append(fonts)
    r_pr.append(size)
    text = OxmlElement("w:t")
    text.text = "2"
    run.append(r_pr)
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


# =========================================================================== the values


def _key(name: str) -> str:
    return name.replace(".", "_")


def _change_text(unit: str, now: Any, before: Any) -> str:
    narrative = _narrative()
    if now is None or before is None:
        return narrative["change_none"]
    delta = float(now) - float(before)
    if unit == "rate":
        delta *= 100
        shown = narrative["points"].format(value=vn.decimal(abs(delta)))
        zero = round(abs(delta), 1) == 0
    elif unit == "hours":
        shown, zero = vn.decimal(abs(delta)), round(abs(delta), 1) == 0
    else:
        shown, zero = vn.integer(abs(delta)), round(delta) == 0
    if zero:
        return narrative["change_same"]
    return narrative["change_up" if delta > 0 else "change_down"].format(value=shown)


def _narrative() -> dict[str, Any]:
    return pack_texts()["narrative"]


def _items(pairs: list[tuple[str, str]]) -> str:
    narrative = _narrative()
    if not pairs:
        return narrative["no_items"]
    return ", ".join(narrative["item"].format(name=name, count=count) for name, count in pairs)


def values(data: PackData) -> dict[str, str]:
    """Every placeholder of the narrative, formatted (figures by key with '.' as '_')."""
    texts = data.texts
    top = int(texts.get("top", 3))
    out: dict[str, str] = {}
    for key, value in data.figures.items():
        out[_key(key)] = vn.figure(value, kpis.unit_of(key))
    prev = data.previous_figures
    out.update({
        "period": data.period.label_vi, "previous": data.previous.period.label_vi,
        "start": vn.date(data.period.start), "end": vn.date(data.period.last_day),
        "as_of": vn.moment(data.now),
        "received_previous": vn.integer(prev.get("received")),
        "received_change": _change_text("count", data.figures["received"], prev.get("received")),
        "e2e_change": _change_text("rate", data.figures["rate.on_time.e2e"],
                                   prev.get("rate.on_time.e2e")),
        "satisfied_change": _change_text("rate", data.figures["rate.satisfied"],
                                         prev.get("rate.satisfied")),
        "target_e2e": vn.percent(data.target_of("rate.on_time.e2e")),
        "target_satisfied": vn.percent(data.target_of("rate.satisfied")),
    })
    channels = data.current.groups.groupby("channel")["received"].sum().sort_values(
        ascending=False)
    out["channels"] = ", ".join(f"{kpis.channel_name(c)} {vn.integer(n)}" for c, n in channels.items())
    field_rows = data.by_field.head(top)
    out["top_fields"] = _items([(r["name"], vn.integer(r["received"])) for _, r in field_rows.iterrows()])
    area_rows = data.by_area[data.by_area.index != kpis.NONE].head(top)
    out["top_areas"] = _items([(r["name"], vn.integer(r["received"]))
                               for _, r in area_rows.iterrows()])
    units = data.overdue_units
    out["late_total"] = vn.integer(int(units["late"].sum()) if len(units) else 0)
    out["overdue_total"] = vn.integer(int(units["overdue"].sum()) if len(units) else 0)
    out["top_overdue"] = _items([(name, vn.integer(late)) for name, late in
                                 zip(units["name"].head(top + 2), units["late"].head(top + 2),
                                     strict=True)])
    target = data.targets.stage_targets.get("process")
    ranking = data.ranking[data.ranking["eligible"]]
    below = ranking[ranking["on_time_rate"] < target] if target is not None else ranking.iloc[0:0]
    below = below.sort_values("on_time_rate")
    out["below_target"] = _items([(r["name"], vn.percent(r["on_time_rate"]))
                                  for _, r in below.iterrows()])
    out["below_count"] = str(len(below))
    out["target_process"] = vn.percent(target)
    return out


# =========================================================================== tables and charts


def _table(document, table: Table, number: int, data: PackData, *, rows: int | None = None,
           note: bool = True) -> None:
    texts = data.texts["document"]
    _paragraph(document, texts["table_caption"].format(n=number, title=table.title),
               size=13, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, before=6, after=3)
    columns = table.docx_columns()
    numbered = table.numbered
    frame = table.frame if rows is None else table.frame.head(rows)
    body_rows = len(frame) + (1 if table.total else 0)
    grid = document.add_table(rows=1 + body_rows, cols=len(columns) + (1 if numbered else 0))
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    headers = ([data.texts["columns"]["no"]] if numbered else []) + [c.header for c in columns]
    for index, header in enumerate(headers):
        cell = grid.rows[0].cells[index]
        _cell_text(cell, header, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
        _shade(cell, "DCE6F1")
    _repeat_header(grid.rows[0])
    for row_index in range(len(frame)):
        record = frame.iloc[row_index]
        cells = grid.rows[1 + row_index].cells
        section = row_index in table.sections
        offset = 0
        if numbered:
            _cell_text(cells[0], str(row_index + 1), align=WD_ALIGN_PARAGRAPH.CENTER)
            offset = 1
        for index, column in enumerate(columns):
            text, right = _shown(table, column, record.get(column.key), row_index)
            _cell_text(cells[offset + index], text, bold=section,
                       align=WD_ALIGN_PARAGRAPH.RIGHT if right else WD_ALIGN_PARAGRAPH.LEFT)
    if table.total:
        cells = grid.rows[-1].cells
        offset = 1 if numbered else 0
        if numbered:
            _cell_text(cells[0], "")
        for index, column in enumerate(columns):
            text, right = _shown(table, column, table.total.get(column.key), None)
            _cell_text(cells[offset + index], text, bold=True,
                       align=WD_ALIGN_PARAGRAPH.RIGHT if right else WD_ALIGN_PARAGRAPH.LEFT)
    _set_widths(grid, _docx_widths(table, columns, numbered))
    if note and table.sheet:
        _paragraph(document, texts["table_note"].format(sheet=table.sheet), size=12, italic=True,
                   align=WD_ALIGN_PARAGRAPH.RIGHT, before=2, after=6)


def _docx_widths(table: Table, columns, numbered: bool) -> list[float]:
    label_share = 0.30 if len(columns) > 6 else (0.34 if len(columns) > 4 else 0.42)
    first = TEXT_WIDTH_MM * label_share
    number = 13.0 if numbered else 0.0
    rest = (TEXT_WIDTH_MM - first - number) / max(len(columns) - 1, 1)
    widths = ([number] if numbered else []) + [first] + [rest] * (len(columns) - 1)
    return widths


def _shown(table: Table, column, value: Any, row: int | None) -> tuple[str, bool]:
    """(text, right-aligned) of one value, as the workbook shows it."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ("" if column.kind in ("text",) else "-", column.kind != "text")
    if column.kind == "text" or isinstance(value, str):
        return str(value), False
    unit = (table.units[row] if table.units and row is not None else "count")
    if column.kind == "figure":
        return vn.figure(value, unit), True
    if column.kind == "change":
        sign = "+" if value > 0 else ("-" if value < 0 else "")
        shown = vn.decimal(abs(value)) if unit in ("rate", "hours") else vn.integer(abs(value))
        return sign + shown, True
    if column.kind == "rate":
        return vn.percent(value), True
    if column.kind == "hours":
        return vn.decimal(value), True
    if column.kind == "datetime":
        return vn.date_time(pd.Timestamp(value).to_pydatetime()), True
    return vn.integer(value), True


def _chart(document, figure, number: int, title: str, data: PackData) -> None:
    import matplotlib.pyplot as plt  # noqa: PLC0415

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=200, bbox_inches="tight")
    plt.close(figure)
    buffer.seek(0)
    paragraph = document.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.add_run().add_picture(buffer, width=Mm(150))
    _paragraph(document, data.texts["document"]["figure_caption"].format(n=number, title=title),
               size=12, italic=True, align=WD_ALIGN_PARAGRAPH.CENTER, after=8)


def _pyplot():
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    plt.rcParams.update({
        "font.family": "serif",
        "font.serif": ["Times New Roman", "Liberation Serif", "DejaVu Serif"],
        "font.size": 11, "axes.spines.top": False, "axes.spines.right": False,
    })
    return plt


def _trend_chart(data: PackData):
    plt = _pyplot()
    texts = data.texts["charts"]
    trend = data.trend
    figure, axis = plt.subplots(figsize=(6.3, 3.2))
    x = np.arange(len(trend))
    axis.bar(x, trend["received"], color="#4F81BD", label=texts["trend_bars"])
    axis.set_ylabel(texts["trend_axis"])
    axis.set_xticks(x, trend["label"])
    axis.yaxis.set_major_formatter(lambda v, _: vn.integer(v))
    right = axis.twinx()
    right.plot(x, trend["rate.on_time.e2e"] * 100, color="#C0504D", marker="o",
               label=texts["trend_line"])
    right.set_ylim(0, 100)
    right.yaxis.set_major_formatter(lambda v, _: f"{v:.0f}%")
    right.spines["right"].set_visible(True)
    handles = axis.get_legend_handles_labels()[0] + right.get_legend_handles_labels()[0]
    labels = axis.get_legend_handles_labels()[1] + right.get_legend_handles_labels()[1]
    axis.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2,
                frameon=False)
    return figure


def _stages_chart(data: PackData):
    plt = _pyplot()
    texts = data.texts["charts"]
    table = data.stages
    figure, axis = plt.subplots(figsize=(6.3, 3.0))
    y = np.arange(len(table))[::-1]
    rates = table["on_time_rate"].astype(float).fillna(0).to_numpy() * 100
    bars = axis.barh(y, rates, color="#4F81BD")
    targets = table["target"].astype(float).to_numpy() * 100
    axis.scatter(targets, y, marker="|", s=300, color="#C0504D", label=texts["stages_target"],
                 zorder=3)
    for bar, value in zip(bars, rates, strict=True):
        axis.text(value + 1, bar.get_y() + bar.get_height() / 2, vn.percent(value / 100),
                  va="center", fontsize=9)
    axis.set_yticks(y, table["name"])
    axis.set_xlim(0, 110)
    axis.xaxis.set_major_formatter(lambda v, _: f"{v:.0f}%")
    axis.legend(loc="lower right", frameon=False)
    return figure


def _satisfaction_chart(data: PackData):
    plt = _pyplot()
    counts = [data.figures.get(f"rating.{c}") or 0 for c in ("hai_long", "chap_nhan_duoc",
                                                              "khong_hai_long")]
    names = [kpis.label(f"rating.{c}") for c in ("hai_long", "chap_nhan_duoc", "khong_hai_long")]
    figure, axis = plt.subplots(figsize=(6.3, 1.5))
    total = sum(counts) or 1
    left = 0.0
    colors = ("#9BBB59", "#F79646", "#C0504D")
    for value, name, color in zip(counts, names, colors, strict=True):
        share = value / total * 100
        axis.barh([0], [share], left=left, color=color, label=name)
        if share >= 6:
            axis.text(left + share / 2, 0, vn.percent(share / 100), ha="center", va="center",
                      color="white", fontsize=10, fontweight="bold")
        left += share
    axis.set_xlim(0, 100)
    axis.set_yticks([])
    axis.xaxis.set_major_formatter(lambda v, _: f"{v:.0f}%")
    axis.spines["left"].set_visible(False)
    axis.legend(loc="upper center", bbox_to_anchor=(0.5, -0.35), ncol=3, frameon=False)
    return figure


def _overdue_chart(data: PackData):
    plt = _pyplot()
    texts = data.texts["charts"]
    units = data.overdue_units.head(10)
    short = {**data.current.names.agency_short, kpis.IOC: data.texts["document"]["issuer_short"]}
    figure, axis = plt.subplots(figsize=(6.3, 0.34 * max(len(units), 3) + 1.0))
    y = np.arange(len(units))[::-1]
    axis.barh(y, units["overdue"], color="#C0504D", label=kpis.kpi_texts()["stage_status"]["overdue"])
    axis.barh(y, units["late"] - units["overdue"], left=units["overdue"], color="#F79646",
              label=kpis.kpi_texts()["stage_status"]["late_done"])
    for position, value in zip(y, units["late"], strict=True):
        axis.text(value, position, " " + vn.integer(value), va="center", fontsize=9)
    axis.set_yticks(y, [short.get(code, name) for code, name in zip(units.index, units["name"],
                                                                       strict=True)])
    axis.set_xlabel(texts["overdue_axis"])
    axis.xaxis.set_major_formatter(lambda v, _: vn.integer(v))
    axis.legend(loc="lower right", frameon=False)
    return figure


# =========================================================================== the document


def _heading_block(document, data: PackData) -> None:
    texts = data.texts["document"]
    left_mm, right_mm = 84.0, 100.0  # wider than the text, into the left margin: lines fit
    block = document.add_table(rows=1, cols=2)
    _no_borders(block)
    _set_widths(block, [left_mm, right_mm], indent_mm=-15.0)
    left, right = block.rows[0].cells
    _cell_text(left, texts["parent_body"], size=12.5, align=WD_ALIGN_PARAGRAPH.CENTER)
    for line in texts["issuer"]:
        paragraph = left.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.paragraph_format.space_after = Pt(0)
        _font(paragraph.add_run(line), 12.5, True)
    _rule(left, 25, left_mm)
    number = left.add_paragraph()
    number.alignment = WD_ALIGN_PARAGRAPH.CENTER
    number.paragraph_format.space_before = Pt(4)
    _font(number.add_run(texts["number"]), 13)

    _cell_text(right, texts["nation"], size=12, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    motto = right.add_paragraph()
    motto.alignment = WD_ALIGN_PARAGRAPH.CENTER
    motto.paragraph_format.space_after = Pt(0)
    _font(motto.add_run(texts["motto"]), 13, True)
    _rule(right, 58, right_mm)
    place = right.add_paragraph()
    place.alignment = WD_ALIGN_PARAGRAPH.CENTER
    place.paragraph_format.space_before = Pt(4)
    _font(place.add_run(vn.decree_date(texts["place"], vn.local(data.now).date())), 13, italic=True)

    _paragraph(document, texts["kind"], bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, before=18,
               after=0)
    title = texts[f"title_{data.period.kind}"].format(period=data.period.label_vi)
    _paragraph(document, title, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, after=0)
    _rule(document, 40, TEXT_WIDTH_MM)
    _paragraph(document, texts["addressee"], align=WD_ALIGN_PARAGRAPH.CENTER, before=6, after=12)
    if data.filters_label():
        _paragraph(document, texts["filters_line"].format(filters=data.filters_label()),
                   italic=True, align=WD_ALIGN_PARAGRAPH.CENTER)


def _closing_block(document, data: PackData) -> None:
    texts = data.texts["document"]
    block = document.add_table(rows=1, cols=2)
    _no_borders(block)
    _set_widths(block, [85.0, TEXT_WIDTH_MM - 85.0])
    keep = OxmlElement("w:cantSplit")  # recipients and signature stay on one page
    block.rows[0]._tr.get_or_add_trPr().append(keep)
    left, right = block.rows[0].cells
    _cell_text(left, texts["recipients_title"], size=12, bold=True, italic=True)
    for line in texts["recipients"]:
        paragraph = left.add_paragraph()
        paragraph.paragraph_format.space_after = Pt(0)
        _font(paragraph.add_run(line), 11)
    _cell_text(right, texts["signer_title"], size=14, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    note = right.add_paragraph()
    note.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(note.add_run(texts["sign_note"]), 12, italic=True)
    for _ in range(3):
        right.add_paragraph()
    name = right.add_paragraph()
    name.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(name.add_run(texts["signer_name"]), 14, True)


def write_docx(data: PackData, path: Path) -> Path:
    """Write the Word report of ``data`` to ``path``."""
    texts = data.texts
    narrative, sections = texts["narrative"], texts["sections"]
    document = Document()
    normal = document.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(BODY_PT)
    normal.font.color.rgb = RGBColor(0, 0, 0)
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    section.header_distance = Mm(10)
    _page_numbers(section)
    document.core_properties.author = texts["workbook"]["creator"]
    document.core_properties.title = texts["document"][f"title_{data.period.kind}"].format(
        period=data.period.label_vi)

    v = values(data)

    def say(template: str) -> None:
        _paragraph(document, template.format(**v), indent=True)

    def heading(text: str) -> None:
        _paragraph(document, text, bold=True, before=6, after=4,
                   align=WD_ALIGN_PARAGRAPH.LEFT)

    tables = data.tables
    _heading_block(document, data)
    say(narrative["opening"])

    heading(sections["intro"])
    say(narrative["received"])
    say(narrative["received_detail"])
    say(narrative["top_fields"].replace("{items}", "{top_fields}"))
    say(narrative["top_areas"].replace("{items}", "{top_areas}"))
    _table(document, tables["headline"], 1, data)
    _chart(document, _trend_chart(data), 1, texts["charts"]["trend"], data)

    heading(sections["handling"])
    say(narrative["verification"])
    say(narrative["results"])
    _table(document, tables["field"], 2, data)
    _table(document, tables["area"], 3, data)

    heading(sections["deadlines"])
    say(narrative["e2e"])
    say(narrative["process"])
    say(narrative["ioc_stages"])
    _table(document, tables["stages"], 4, data)
    _chart(document, _stages_chart(data), 2, texts["charts"]["stages"], data)
    _table(document, tables["agency"], 5, data)

    heading(sections["satisfaction"])
    say(narrative["satisfaction"])
    _chart(document, _satisfaction_chart(data), 3, texts["charts"]["satisfaction"], data)

    heading(sections["overdue"])
    if len(data.overdue_units):
        say(narrative["overdue"].replace("{items}", "{top_overdue}"))
        _table(document, tables["overdue_units"], 6, data)
        _chart(document, _overdue_chart(data), 4, texts["charts"]["overdue"], data)
        say(narrative["overdue_duty"])
    else:
        say(narrative["overdue_none"])

    heading(sections["proposals"])
    if v["below_count"] != "0":
        say(narrative["below_target"].replace("{items}", "{below_target}").replace(
            "{target}", "{target_process}"))
    else:
        say(narrative["below_target_none"].replace("{target}", "{target_process}"))
    for line in narrative["proposals"]:
        say(line)
    closing = _paragraph(document, narrative["closing"].format(**v), indent=True)
    closing.paragraph_format.keep_with_next = True  # with the signature, on one page
    _closing_block(document, data)
    document.save(path)
    return Path(path)

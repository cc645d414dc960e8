"""A Word (.docx) report built with python-docx: bordered tables with real merged cells.

Vertical merges (w:vMerge) carry 三、本年度办理结果, the （三）…（六） group labels and the 2-row
headers; horizontal merges (w:gridSpan) carry item labels, block titles and header groups.
"""

from __future__ import annotations

import io
import zipfile
from datetime import datetime

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt

from .narrative import SECTION_HEADINGS, build_narrative
from .spans import SpanTable, place, t2_tables, t3_table, t4_table
from .truth import ReportTruth

_FONT = "宋体"


def _set_east_asian_font(doc) -> None:
    style = doc.styles["Normal"]
    style.font.name = _FONT
    style.font.size = Pt(10.5)
    rpr = style.element.get_or_add_rPr()
    rpr.get_or_add_rFonts().set(qn("w:eastAsia"), _FONT)  # Word picks CJK glyphs from the eastAsia font


def _add_table(doc, table: SpanTable, width: int) -> None:
    cells = place(table)
    n_rows = max(r + s.rowspan for r, _c, s in cells)
    tbl = doc.add_table(rows=n_rows, cols=width)
    tbl.style = "Table Grid"
    tbl.alignment = WD_TABLE_ALIGNMENT.CENTER
    # Cells fetched once: Table.cell() re-walks the whole table on every call. Merged regions are
    # disjoint, so a top-left cell object stays valid while the other regions merge.
    grid = tbl._cells
    top_left = {}
    # Merge first, then write: merging concatenates the merged cells' (empty) paragraphs.
    for r, c, s in cells:
        cell = grid[r * width + c]
        if s.rowspan > 1 or s.colspan > 1:
            cell = cell.merge(grid[(r + s.rowspan - 1) * width + c + s.colspan - 1])
        top_left[(r, c)] = cell
    for r, c, s in cells:
        cell = top_left[(r, c)]
        para = cell.paragraphs[0]
        for extra in cell.paragraphs[1:]:
            extra._element.getparent().remove(extra._element)
        para.alignment = WD_ALIGN_PARAGRAPH.LEFT if s.label else WD_ALIGN_PARAGRAPH.CENTER
        if s.text:
            para.add_run(s.text)  # '\n' in a header becomes a line break


def _width(table: SpanTable) -> int:
    return max(c + s.colspan for _r, c, s in place(table))


def build_document(truth: ReportTruth, *, split_t2: bool = False, title_lines: list[str] | None = None,
                   table_hook=None):
    """``title_lines``: the title as printed, one paragraph per line (default: agency, then '20XX年度…').
    ``table_hook(section, table)`` changes a table before it is drawn (e.g. a 备注 column added)."""
    nar = build_narrative(truth)
    hook = table_hook or (lambda _k, t: t)
    doc = Document()
    _set_east_asian_font(doc)
    for line in title_lines or (truth.agency.name, f"{truth.year}年度政府信息公开工作年度报告"):
        p = doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = p.add_run(line)
        run.bold = True
        run.font.size = Pt(16)
    doc.add_paragraph(nar.intro)
    for k in ("一", "二", "三", "四", "五", "六"):
        doc.add_paragraph().add_run(SECTION_HEADINGS[k]).bold = True
        for text in nar.sections[k]:
            doc.add_paragraph(text)
        if k == "二":
            for t in t2_tables(truth, split=split_t2):
                t = hook(k, t)
                _add_table(doc, t, _width(t))
        elif k == "三":
            t = hook(k, t3_table(truth))
            _add_table(doc, t, _width(t))
        elif k == "四":
            t = hook(k, t4_table(truth))
            _add_table(doc, t, _width(t))
    return doc


def _stable_zip(data: bytes) -> bytes:
    """Rewrite the archive with fixed member timestamps, so one seed always gives the same bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0)), src.read(info.filename),
                         compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def render(truth: ReportTruth, *, split_t2: bool = False, title_lines: list[str] | None = None,
           table_hook=None) -> bytes:
    doc = build_document(truth, split_t2=split_t2, title_lines=title_lines, table_hook=table_hook)
    published = datetime(truth.year + 1, 1, 20)
    props = doc.core_properties
    props.title = truth.title
    props.author = truth.agency.name
    props.created = props.modified = props.last_printed = published
    props.revision = 1
    buf = io.BytesIO()
    doc.save(buf)
    return _stable_zip(buf.getvalue())

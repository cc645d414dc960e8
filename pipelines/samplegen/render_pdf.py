"""A text PDF report drawn with fpdf2: prose, and tables ruled with lines like a Word export.

Table 三 runs on across a page break without repeating its header; a merged label in a narrow
column (三、本年度办理结果) is stacked one character per line; page numbers sit in the footer.

Chinese text needs a CJK font. The first found is used: ``$GONGKAI_CJK_FONT``, the Droid Sans
Fallback font that PyMuPDF (a project dependency) bundles, then any font ``fc-list :lang=zh`` lists.
Without one, rendering raises ``FontNotFound`` with what to install.
"""

from __future__ import annotations

import hashlib
import os
import random
import string
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from fpdf import FPDF

from .narrative import SECTION_HEADINGS, build_narrative
from .spans import SpanTable, place, t2_tables, t3_table, t4_table
from .truth import ReportTruth

FAMILY = "cjk"
PAGE_W, PAGE_H = 210.0, 297.0
MARGIN_X, MARGIN_TOP, MARGIN_BOTTOM = 20.0, 20.0, 22.0
TEXT_W = PAGE_W - 2 * MARGIN_X
PAD = 1.0  # mm inside a cell
PT = 0.3528  # mm per point


class FontNotFound(RuntimeError):
    pass


@cache
def find_cjk_font() -> Path:
    """A TrueType/OpenType font with Chinese glyphs, or FontNotFound."""
    env = os.environ.get("GONGKAI_CJK_FONT")
    if env and Path(env).is_file():
        return Path(env)
    try:
        import pymupdf

        buf = pymupdf.Font("cjk").buffer  # Droid Sans Fallback, bundled with PyMuPDF builds that keep CJK
        if buf:
            path = Path(tempfile.gettempdir()) / "gongkai-fonts" / "DroidSansFallback.ttf"
            if not path.is_file() or path.stat().st_size != len(buf):
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(f".{os.getpid()}.tmp")
                tmp.write_bytes(buf)
                tmp.replace(path)  # atomic: parallel test workers may race here
            return path
    except Exception:  # noqa: BLE001 - a PyMuPDF build without CJK fonts: try the system's
        pass
    try:
        out = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        out = ""
    files = sorted(ln.split(":")[0].strip() for ln in out.splitlines() if ln.strip())
    for f in sorted(files, key=lambda f: (not f.lower().endswith((".ttf", ".otf")), f)):
        if Path(f).is_file():
            return Path(f)
    raise FontNotFound("No CJK font for PDF rendering: set GONGKAI_CJK_FONT to a .ttf/.otf with Chinese glyphs, "
                       "or install one (e.g. `apt-get install -y fonts-wqy-microhei` or `fonts-noto-cjk`).")


def _repertoire() -> str:
    """Every character the generator can print: its own sources and codes.yaml hold all its Chinese text."""
    here = Path(__file__).resolve().parent
    texts = [f.read_text(encoding="utf-8") for f in sorted(here.glob("*.py"))]
    texts.append((here.parent / "data" / "codes.yaml").read_text(encoding="utf-8"))
    chars = set("".join(texts)) | set(string.printable) | set("　，。、；：？！“”‘’（）《》【】—…·％")
    return "".join(sorted(c for c in chars if c.isprintable()))


@cache
def _subset_font(full: Path) -> Path | None:
    """The font cut down to the generator's repertoire (cached): loading the full 3.5 MB CJK font costs
    fpdf2 about a second per document, the subset a few milliseconds."""
    rep = _repertoire()
    key = hashlib.sha256(rep.encode() + str(full.stat().st_size).encode() + full.name.encode()).hexdigest()[:16]
    path = Path(tempfile.gettempdir()) / "gongkai-fonts" / f"subset-{key}.ttf"
    if path.is_file():
        return path
    try:
        from fontTools import subset

        font = subset.load_font(str(full), subset.Options())
        sub = subset.Subsetter(subset.Options())
        sub.populate(text=rep)
        sub.subset(font)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        font.save(str(tmp))
        tmp.replace(path)
        return path
    except Exception:  # noqa: BLE001 - e.g. a collection font fontTools cannot cut: use the full font
        return None


def _font_for(text: str) -> Path:
    full = find_cjk_font()
    if set(text) <= set(_repertoire()):
        sub = _subset_font(full)
        if sub is not None:
            return sub
    return full


class _Pdf(FPDF):
    def footer(self) -> None:
        self.set_font(FAMILY, size=9)
        self.set_y(-14)
        self.cell(0, 5, f"- {self.page_no()} -", align="C")


@dataclass
class _Style:
    font_size: float  # pt
    min_row_h: float  # mm
    stacked_cols: frozenset[int] = frozenset()  # columns whose merged labels stack one char per line

    @property
    def line_h(self) -> float:
        return self.font_size * PT * 1.25


def _wrap(pdf: FPDF, text: str, width: float) -> list[str]:
    """Character-level wrapping (Chinese has no spaces to break at); explicit newlines kept."""
    lines: list[str] = []
    for para in text.split("\n"):
        cur = ""
        for ch in para:
            if cur and pdf.get_string_width(cur + ch) > width:
                lines.append(cur)
                cur = ch
            else:
                cur += ch
        lines.append(cur)
    return lines


def _draw_table(pdf: FPDF, table: SpanTable, widths: list[float], st: _Style, *, keep_rows: int = 1,
                break_at: int | None = None, ruled: bool = True, repeat_rows: int = 0) -> None:
    """Draw a ruled table from the current y; ``break_at`` forces a page break before that row.
    ``repeat_rows``: the table's first rows (its header) are printed again at the top of every page the
    table continues on, as Word's 'repeat header rows' does."""
    pdf.set_font(FAMILY, size=st.font_size)
    cells = place(table)
    n_rows = max(r + s.rowspan for r, _c, s in cells)
    xs = [MARGIN_X]
    for w in widths:
        xs.append(xs[-1] + w)
    lines: dict[tuple[int, int], list[str]] = {}
    for r, c, s in cells:
        width = xs[c + s.colspan] - xs[c] - 2 * PAD
        stacked = c in st.stacked_cols and s.rowspan > 1 and s.colspan == 1
        lines[(r, c)] = list(s.text.replace("\n", "")) if stacked else (_wrap(pdf, s.text, width) if s.text else [])
    heights = [st.min_row_h] * n_rows
    for r, c, s in sorted(cells, key=lambda x: x[2].rowspan):
        need = len(lines[(r, c)]) * st.line_h + 2 * PAD
        have = sum(heights[r:r + s.rowspan])
        if need > have:
            heights[r + s.rowspan - 1] += need - have  # a tall merged cell grows its last row

    # Paginate: a row that does not fit starts a new page (below the repeated header, if any).
    bottom = PAGE_H - MARGIN_BOTTOM
    head_h = sum(heights[:repeat_rows])
    page, y = 0, pdf.get_y()
    if y + sum(heights[:keep_rows]) > bottom:
        page, y = 1, MARGIN_TOP
    row_page, row_y = [], []
    first_page = page
    for r in range(n_rows):
        # A forced break only where the flow has not already broken the table (no one-row pages).
        if (y + heights[r] > bottom or (r == break_at and page == first_page)) and r >= keep_rows:
            page, y = page + 1, MARGIN_TOP + head_h
        row_page.append(page)
        row_y.append(y)
        y += heights[r]

    for k in range(page + 1):
        if k > 0:
            pdf.add_page()
        pdf.set_font(FAMILY, size=st.font_size)
        if k > first_page and repeat_rows:
            head_y = [MARGIN_TOP + sum(heights[:j]) for j in range(repeat_rows)]
            for r, c, s in cells:
                if r + s.rowspan > repeat_rows:
                    continue
                x0, x1 = xs[c], xs[c + s.colspan]
                if ruled:
                    pdf.rect(x0, head_y[r], x1 - x0, sum(heights[r:r + s.rowspan]))
                _draw_text(pdf, lines[(r, c)], s.label, x0, x1, r, s.rowspan, heights, [k] * repeat_rows,
                           head_y, k, st)
        for r, c, s in cells:
            span_rows = [j for j in range(r, r + s.rowspan) if row_page[j] == k]
            if not span_rows:
                continue
            x0, x1 = xs[c], xs[c + s.colspan]
            y0 = row_y[span_rows[0]]
            y1 = row_y[span_rows[-1]] + heights[span_rows[-1]]
            if ruled:
                pdf.rect(x0, y0, x1 - x0, y1 - y0)
            _draw_text(pdf, lines[(r, c)], s.label, x0, x1, r, s.rowspan, heights, row_page, row_y, k, st)
    pdf.set_y(row_y[-1] + heights[-1] + 4)


def _draw_text(pdf: FPDF, text_lines: list[str], left: bool, x0: float, x1: float, r: int, rowspan: int,
               heights: list[float], row_page: list[int], row_y: list[float], page: int, st: _Style) -> None:
    """Lines centred in the merged cell's full height; each drawn on the page its row landed on."""
    if not text_lines:
        return
    total = sum(heights[r:r + rowspan])
    start = (total - len(text_lines) * st.line_h) / 2
    for i, ln in enumerate(text_lines):
        centre = start + (i + 0.5) * st.line_h  # offset from the cell's top, in table coordinates
        j, before = r, 0.0
        while j < r + rowspan - 1 and before + heights[j] < centre:
            before += heights[j]
            j += 1
        if row_page[j] != page:
            continue
        cy = row_y[j] + min(max(centre - before, st.line_h / 2), heights[j] - st.line_h / 2)
        w = pdf.get_string_width(ln)
        x = x0 + PAD if left else x0 + (x1 - x0 - w) / 2
        pdf.text(x, cy + st.font_size * PT * 0.35, ln)


def _paragraph(pdf: FPDF, text: str, *, size: float = 10.5, bold_center: bool = False) -> None:
    pdf.set_font(FAMILY, size=size)
    lh = size * PT * 1.6
    for ln in _wrap(pdf, text, TEXT_W if bold_center else TEXT_W - 0.5):
        if pdf.get_y() + lh > PAGE_H - MARGIN_BOTTOM:
            pdf.add_page()
        if bold_center:
            pdf.set_x(MARGIN_X)
            pdf.cell(TEXT_W, lh, ln, align="C", new_x="LMARGIN", new_y="NEXT")
        else:
            pdf.set_x(MARGIN_X)
            pdf.cell(TEXT_W, lh, ln, new_x="LMARGIN", new_y="NEXT")


def _value_widths(n_labels: float, n_values: int, extra: int) -> list[float]:
    """Widths of a table's value columns and ``extra`` trailing 备注 columns (14 mm each)."""
    return [(TEXT_W - n_labels - 14.0 * extra) / n_values] * n_values + [14.0] * extra


def build_pdf(truth: ReportTruth, *, t3_break: bool = True, ruled: bool = True,
              title_lines: list[str] | None = None, table_hook=None, repeat_headers: bool = False) -> FPDF:
    """The report as an FPDF document. ``t3_break`` forces table 三 over a page break somewhere inside its
    outcome rows (often through a merged label), besides the breaks that the flow of pages makes.
    ``ruled=False`` prints the tables without any ruling line, as some exports do. ``table_hook(section,
    table)`` changes a table before it is drawn (e.g. a 备注 column added); ``repeat_headers`` prints table
    三's header again on the page it continues on."""
    hook = table_hook or (lambda _k, t: t)
    nar = build_narrative(truth)
    font = _font_for(truth.agency.name + "".join(nar.intro) + "".join(x for v in nar.sections.values() for x in v))
    pdf = _Pdf(unit="mm", format="A4")
    pdf.set_margins(MARGIN_X, MARGIN_TOP, MARGIN_X)
    pdf.set_auto_page_break(False)  # pagination is ours: tables need to know where pages end
    pdf.add_font(FAMILY, "", str(font))
    pdf.set_creation_date(datetime(truth.year + 1, 1, 20, tzinfo=UTC))  # fixed: same seed, same bytes
    pdf.set_title(truth.title)
    pdf.set_author(truth.agency.name)
    pdf.add_page()
    for line in title_lines or (truth.agency.name, f"{truth.year}年度政府信息公开工作年度报告"):
        _paragraph(pdf, line, size=16, bold_center=True)
    pdf.ln(3)
    _paragraph(pdf, nar.intro)
    # Label columns of table 三: a narrow first column makes 三、本年度办理结果 stack vertically.
    def extra(t: SpanTable, width: int) -> int:  # columns a hook added (a trailing 备注)
        return max(c + s.colspan for _r, c, s in place(t)) - width

    for k in ("一", "二", "三", "四", "五", "六"):
        _paragraph(pdf, SECTION_HEADINGS[k])
        for text in nar.sections[k]:
            _paragraph(pdf, text)
        if k == "二":
            for t in t2_tables(truth):
                t = hook(k, t)
                _draw_table(pdf, t, [62.0] + _value_widths(62.0, 3, extra(t, 4)), _Style(9, 7.0), keep_rows=3,
                            ruled=ruled)
        elif k == "三":
            t3 = hook(k, t3_table(truth))
            break_at = random.Random(f"pdf/{truth.agency.slug}/{truth.year}").randint(5, len(t3) - 2) if t3_break else None
            _draw_table(pdf, t3, [7.0, 24.0, 43.0] + _value_widths(74.0, 7, extra(t3, 10)),
                        _Style(7.5, 7.5, frozenset({0})), keep_rows=4, break_at=break_at, ruled=ruled,
                        repeat_rows=3 if repeat_headers else 0)
        elif k == "四":
            t4 = hook(k, t4_table(truth))
            if extra(t4, 15) >= 0:
                _draw_table(pdf, t4, _value_widths(0.0, 15, extra(t4, 15)), _Style(7, 6.5), keep_rows=4, ruled=ruled)
            else:  # one row per proceeding (a hook restacked it): two label columns and five results
                _draw_table(pdf, t4, [28.0, 40.0] + _value_widths(68.0, 5, extra(t4, 7)), _Style(8, 7.0),
                            keep_rows=4, ruled=ruled)
    pdf.set_x(MARGIN_X)
    _paragraph(pdf, f"{truth.agency.name}  {truth.year + 1}年1月")
    return pdf


def render(truth: ReportTruth, *, t3_break: bool = True, ruled: bool = True,
           title_lines: list[str] | None = None, scan: dict | None = None, table_hook=None,
           repeat_headers: bool = False) -> bytes:
    """The report as PDF bytes; ``scan`` (a ``scan.ScanStyle`` as a dict) publishes it as a scan instead."""
    data = bytes(build_pdf(truth, t3_break=t3_break, ruled=ruled, title_lines=title_lines, table_hook=table_hook,
                           repeat_headers=repeat_headers).output())
    if scan is not None:
        from .scan import ScanStyle, scan_pdf  # OpenCV is needed only for scans

        data = scan_pdf(data, ScanStyle(**scan))
    return data

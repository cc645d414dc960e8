"""The variation space: how real agencies print the same report, as independent switches.

Every switch is listed in ``SWITCHES`` (name -> its values, the first being the default). A ``Variation``
picks one value per switch; ``render_variant`` draws a truth with it. With every switch at its default the
bytes are exactly what the plain renderers (render_txt/html/docx/pdf) emit, so data/inbox is unchanged.
docs/variations.md describes each switch and the real documents it comes from
(/work/shared/research/corpus-variations.md).

``acceptable_refusals`` says which quarantine reasons are a *true* answer for a variation (e.g. cells run
together with blank cells may be ambiguous): the property test accepts a refusal only with one of them,
and never ``not_a_report``.
"""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import asdict, dataclass, fields

from .layout import with_label_variants
from .narrative import SECTION_HEADINGS, build_narrative
from .spans import SpanTable, place, t2_tables, t3_table, t4_table
from .truth import ReportTruth

FORMATS = ("txt", "html", "docx", "pdf", "md")

# name -> values (the first is the default). Keep in step with docs/variations.md.
SWITCHES: dict[str, tuple] = {
    # Bytes (txt, html): the codec, and for HTML what <meta charset> declares.
    "encoding": ("utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16-bom", "utf-16-le", "utf-16-be"),
    "charset_decl": ("match", "none", "stale_gb2312"),  # html: names the codec / no declaration / gb2312 over UTF-8
    # The title: agency on its own line above '20XX年度…', one line, year first, or one line wrapped.
    "title_form": ("agency_line", "one_line", "year_first", "wrapped_end", "wrapped_mid", "wrapped_agency"),
    "html_title": (True, False),  # html: the <title> element carries the report title
    # Text layouts (txt): Word's one cell per line, one row per line with tabs or '|', space-aligned,
    # cells run together (crawler renderings).
    "text_layout": ("word_cells", "tab_rows", "pipe_rows", "space_aligned", "run_together"),
    # space_aligned: the columns line up in a fixed-width view measured in display columns (a CJK character
    # is two wide) or in characters (what a naive ljust does); padded with ASCII or ideographic spaces
    # (U+3000); numbers flush left or right in their column.
    "space_measure": ("display", "chars"),
    "space_pad": ("ascii", "ideographic"),
    "number_align": ("left", "right"),
    "merged": ("omit", "repeat"),  # row layouts: a merged cell printed once, or repeated in every slot
    "remark_column": (False, True),  # tables 三/四 with a trailing 备注 column (empty or a remark)
    # Table 三 with subtotals (no code of their own; samplegen/subtotals.py): a 小计 column after the five
    # 法人或其他组织 columns, a 小计 row closing each outcome group with sub-rows, or both.
    "subtotals": ("none", "org_column", "group_rows", "both"),
    "t4_shape": ("one_row", "stacked"),  # table 四 as one row of fifteen, or a row per proceeding (3 x 5)
    "wrapped_labels": (False, True),  # txt: long table-三 row labels broken over two lines
    "sections": ("in_order", "t2_last", "no_t2"),  # row layouts: section 二 after 四, or left out
    "row_missing": (False, True),  # row layouts: table 三 without its 8.属于行政查询事项 row
    "pipe_header": (False, True),  # pipe rows: a '类别|数据' header row and a '---' rule above each table
    "heading_gap": (True, False),  # an empty line between a section heading and its table
    "blank_lines": (0, 1, 2),  # extra empty lines after every line (1) or at random places (2)
    "footers": (False, True),  # page footers ('— 3 —') between table rows (txt)
    "fullwidth_digits": (False, True),  # numbers printed in full-width digits (１２３)
    "blank_zeros": (False, True),  # zeros printed as empty cells
    "t2_split": (False, True),  # table 二 as one table per article-20 item (html, docx)
    "label_variant": (False, True),  # 规范性文件 for 行政规范性文件, '1、' ordinals, 社会公益 组织
    "js_embed": (False, True),  # html: the page inside a JavaScript string
    "html_tables": ("table", "pre_tabs"),  # html: <table> markup, or the tables as tab rows in a <pre> block
    "pdf_ruled": (True, False),  # pdf: ruled tables, or none (rows from word positions)
    "pdf_header_repeat": (False, True),  # pdf: table 三's header printed again on the page it continues on
    # Tables pasted as pictures (docx, html; read by OCR): a clean screenshot (PNG), a scan (JPEG, tilted, noisy),
    # or a screenshot of tables printed without ruling lines.
    "table_images": ("none", "screenshot", "scan", "unruled"),
    "image_src": ("data_uri", "sibling_file"),  # html pictures: inline data: URIs, or files beside the page
    # Markdown as PDF -> markdown converters leave it (render_md.py says what each does).
    "md_split": ("none", "pages", "pages_header", "structure"),  # one md table / new one at page breaks / ...
    "md_labels": ("in_row", "floated", "lost", "cut"),  # table-三 row labels moved to prose, dropped, cut
    "md_footers": ("none", "dashes", "number"),  # '— 5 —' or a bare '5' at page breaks, inside tables too
    "md_pad": (False, True),  # rows padded with empty cells to the widest row of their md table
    "md_merged": ("omit", "empty", "repeat", "split"),  # merged cells once / empty slots / repeated / spread
    "md_header": ("rows", "prose", "split"),  # header rows as md rows, as prose lines, or their wrapped pieces
    "md_separator": ("plain", "aligned"),  # '|---|' or '|:---|:---:|---:|'
    "md_title_wrap": (False, True),  # the title broken again before 年度报告 ('…工作' / '年度报告')
    "md_spaces": (False, True),  # '2024 年', spaces inside labels, '1 295' inside number cells
    "md_wrap": (False, True),  # prose broken at the page's line width
    "md_headings": ("plain", "atx"),  # '## 三、…' headings and '## 表三：…' captions above each md table
    "md_t2_prose": (False, True),  # table 二's one-column blocks as prose lines '行政许可 97'
    "md_cell_breaks": ("join", "br", "space"),  # a label wrapped in its cell: joined, '<br>', or a space
}
# Switches that make a document need OCR (~10 s each): honoured like FORMAT_SWITCHES but not drawn by
# random_variation or the property test; benchmarks/bench_ocr.py and tests/test_ocr_images.py draw them.
OCR_SWITCHES = {"docx": ("table_images",), "html": ("table_images", "image_src")}
# Which switches each format honours (others are ignored, so a strategy can draw them freely).
FORMAT_SWITCHES = {
    "txt": ("encoding", "title_form", "text_layout", "space_measure", "space_pad", "number_align", "merged",
            "remark_column", "subtotals", "t4_shape", "wrapped_labels", "sections", "row_missing", "pipe_header", "heading_gap",
            "blank_lines", "footers", "fullwidth_digits", "blank_zeros", "label_variant"),
    "html": ("encoding", "charset_decl", "title_form", "html_title", "blank_zeros", "t2_split", "js_embed",
             "fullwidth_digits", "label_variant", "html_tables", "remark_column", "subtotals",
             "t4_shape"),
    "docx": ("title_form", "blank_zeros", "t2_split", "remark_column", "subtotals", "t4_shape", "label_variant",
             "fullwidth_digits"),
    "pdf": ("title_form", "blank_zeros", "pdf_ruled", "remark_column", "pdf_header_repeat", "subtotals", "t4_shape",
            "label_variant", "fullwidth_digits"),
    "md": ("title_form", "blank_zeros", "fullwidth_digits", "label_variant", "md_split", "md_labels", "md_footers",
           "md_pad", "md_merged", "md_header", "md_separator", "md_title_wrap", "md_spaces", "md_wrap",
           "md_headings", "md_t2_prose", "md_cell_breaks"),
}


@dataclass(frozen=True)
class Variation:
    encoding: str = "utf-8"
    charset_decl: str = "match"
    title_form: str = "agency_line"
    html_title: bool = True
    text_layout: str = "word_cells"
    space_measure: str = "display"
    space_pad: str = "ascii"
    number_align: str = "left"
    merged: str = "omit"
    remark_column: bool = False
    subtotals: str = "none"
    t4_shape: str = "one_row"
    wrapped_labels: bool = False
    sections: str = "in_order"
    row_missing: bool = False
    pipe_header: bool = False
    heading_gap: bool = True
    blank_lines: int = 0
    footers: bool = False
    fullwidth_digits: bool = False
    blank_zeros: bool = False
    t2_split: bool = False
    label_variant: bool = False
    js_embed: bool = False
    html_tables: str = "table"
    pdf_ruled: bool = True
    pdf_header_repeat: bool = False
    table_images: str = "none"
    image_src: str = "data_uri"
    md_split: str = "none"
    md_labels: str = "in_row"
    md_footers: str = "none"
    md_pad: bool = False
    md_merged: str = "omit"
    md_header: str = "rows"
    md_separator: str = "plain"
    md_title_wrap: bool = False
    md_spaces: bool = False
    md_wrap: bool = False
    md_headings: str = "plain"
    md_t2_prose: bool = False
    md_cell_breaks: str = "join"

    def __post_init__(self):
        for f in fields(self):
            if getattr(self, f.name) not in SWITCHES[f.name]:
                raise ValueError(f"{f.name}={getattr(self, f.name)!r}: not one of {SWITCHES[f.name]}")

    def for_format(self, fmt: str) -> Variation:
        """The same variation with the switches ``fmt`` ignores at their defaults (one canonical form)."""
        keep = set(FORMAT_SWITCHES[fmt]) | set(OCR_SWITCHES.get(fmt, ()))
        return Variation(**{k: v for k, v in asdict(self).items() if k in keep})

    def changed(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v != SWITCHES[k][0]}


def random_variation(rng: random.Random, fmt: str) -> Variation:
    v = Variation(**{name: rng.choice(SWITCHES[name]) for name in FORMAT_SWITCHES[fmt]})
    return v


_MISSING_ROW_LABEL = "8.属于行政查询事项"


def unprinted_rows(fmt: str, v: Variation, truth: ReportTruth | None = None) -> set[tuple[str, str | None]]:
    """(table, row_code) the variation leaves out of the document (row_code None: the whole table)."""
    v = v.for_format(fmt)
    out: set[tuple[str, str | None]] = set()
    if (fmt == "txt" and v.text_layout == "space_aligned" and v.blank_zeros and v.t4_shape == "one_row"
            and truth is not None and not any(truth.t4.values())):
        # Table 四's only row holds no label: with every cell zero and zeros blank it prints as nothing.
        out.add(("T4", None))
    if fmt == "txt" and v.text_layout != "word_cells":
        if v.sections == "no_t2":
            out.add(("T2", None))
        if v.row_missing:
            out.add(("T3", "denied_admin_query"))
    return out


def acceptable_refusals(fmt: str, v: Variation) -> set[str]:
    """Quarantine reasons that are the truth about a document of this variation (none: it must load)."""
    if fmt == "txt" and v.text_layout == "run_together" and not v.blank_zeros:
        # Cells with no separator and zeros printed: blanks are assumed only where digits run short, and a
        # table whose row-by-row readings break the sums down 总计 is refused rather than guessed. With zeros
        # left blank every row is read in the cells its readings agree on, so such a document must load.
        return {"ambiguous_cells", "unreadable_cell"}
    return set()


# --------------------------------------------------------------------------- titles

def title_lines(truth: ReportTruth, form: str) -> list[str]:
    one = truth.title
    if form == "agency_line":
        return [truth.agency.name, f"{truth.year}年度政府信息公开工作年度报告"]
    if form == "one_line":
        return [one]
    if form == "year_first":
        return [f"{truth.year}年{truth.agency.name}政府信息公开工作年度报告"]
    if form == "wrapped_end":  # '…政府信息公开工作年' / '度报告'
        return [one[:-3], one[-3:]]
    if form == "wrapped_mid":  # wrapped after the year: '…2019年度' / '政府信息公开工作年度报告'
        k = one.index("年度") + 2
        return [one[:k], one[k:]]
    if form == "wrapped_agency":  # wrapped inside the agency name: '成都市武侯区' / '市场监督管理局2019年度…'
        k = max(2, len(truth.agency.name) // 2)
        return [one[:k], one[k:]]
    raise ValueError(form)


# --------------------------------------------------------------------------- text

_FULLWIDTH = str.maketrans("0123456789.-", "０１２３４５６７８９．－")
_HALFWIDTH = str.maketrans("０１２３４５６７８９．－", "0123456789.-")


def _rows_of(table: SpanTable, merged: str) -> list[list[str]]:
    """A spanning table as rows of cell texts: a merged cell once (``omit``) or in every slot (``repeat``).

    Only label and header cells are repeated: a number spanning columns (table 二's one-value items) is
    printed once, since a repeated number cannot be told from a longer one once cells run together."""
    placed = place(table)
    n_rows = max(r + s.rowspan for r, _c, s in placed)
    width = max(c + s.colspan for _r, c, s in placed)
    grid: list[list[str | None]] = [[None] * width for _ in range(n_rows)]
    for r, c, s in placed:
        for dr in range(s.rowspan):
            for dc in range(s.colspan):
                if (dr == 0 and dc == 0) or (merged == "repeat" and not _is_number(s.text)):
                    grid[r + dr][c + dc] = s.text.replace("\n", "")
    return [[x for x in row if x is not None] for row in grid]


def _with_remarks(rows: list[list[str]], section: str, truth: ReportTruth) -> list[list[str]]:
    """A trailing 备注 column: its header ends the first row; data rows end in an empty cell or a remark."""
    rng = random.Random(f"remarks/{truth.agency.slug}/{truth.year}/{section}")
    out = [rows[0] + ["备注"]]
    for row in rows[1:]:
        out.append(row + [rng.choice(["", "", "", "含转办件", "无"])])
    return out


def _span_remarks(truth: ReportTruth):
    """A table hook for the span renderers (HTML, DOCX, PDF): tables 三 and 四 gain a trailing 备注 column,
    its header spanning the three header rows, each data row an empty cell or a remark."""
    from .spans import Span

    def hook(section: str, table: SpanTable) -> SpanTable:
        if section not in ("三", "四"):
            return table
        rng = random.Random(f"remarks/{truth.agency.slug}/{truth.year}/{section}")
        out = [list(r) for r in table]
        heads = 1 if any(s.label for s in out[1]) else 3  # a table 四 a row per proceeding has one header row
        out[0].append(Span("备注", rowspan=heads))
        for r in out[heads:]:
            r.append(Span(rng.choice(["", "", "", "含转办件", "无"]), label=True))
        return out

    return hook


def _stacked_t4(truth: ReportTruth):
    from .spans import t4_table_stacked

    def hook(section: str, table: SpanTable) -> SpanTable:
        return t4_table_stacked(truth) if section == "四" else table

    return hook


def _span_text_variants(v: Variation):
    """A table hook (DOCX, PDF): label variants and full-width digits inside the table cells, as the text
    layouts and HTML print them."""
    from dataclasses import replace as _replace

    def text_of(sp) -> str:
        text = sp.text
        if v.label_variant:
            text = with_label_variants(text)
        if v.fullwidth_digits and not sp.label and _is_number(text):
            text = text.translate(_FULLWIDTH)
        return text

    def hook(section: str, table: SpanTable) -> SpanTable:
        return [[_replace(sp, text=text_of(sp)) for sp in row] for row in table]

    return hook


def _table_hook(truth: ReportTruth, v: Variation, fmt: str):
    """The span renderers' table hook for the variation: subtotals first (they go before 总计), then the
    trailing 备注 column; None when neither is drawn."""
    from .subtotals import subtotals_hook

    hooks = ([subtotals_hook(truth, v.subtotals)] if v.subtotals != "none" else []) + (
        [_stacked_t4(truth)] if v.t4_shape == "stacked" else []) + ([_span_remarks(truth)] if v.remark_column else []) + (
        # HTML prints its variants by rewriting the page; DOCX and PDF draw them into the cells.
        [_span_text_variants(v)] if (v.label_variant or v.fullwidth_digits) and fmt in ("docx", "pdf") else [])
    if not hooks:
        return None

    def hook(section: str, table: SpanTable) -> SpanTable:
        for h in hooks:
            table = h(section, table)
        return table

    return hook


def _is_number(text: str) -> bool:
    return text == "" or text.replace(".", "", 1).replace("-", "", 1).rstrip("元万").isdigit()


def _format_row(cells: list[str], layout: str, widths: list[int] | None = None) -> str:
    if layout == "tab_rows":
        return "\t".join(cells)
    if layout == "pipe_rows":
        return "| " + " | ".join(cells) + " |"
    if layout == "space_aligned":
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths or [0] * len(cells), strict=False)).rstrip()
    if layout == "run_together":
        return "".join(cells)
    raise ValueError(layout)


def text_width(text: str, measure: str = "display") -> int:
    """Width of ``text`` in a fixed-width view: East Asian wide/full-width characters take two columns
    (``measure='display'``), or every character one (``'chars'``, what str.ljust counts)."""
    if measure == "chars":
        return len(text)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


_GAP = 2  # columns between two table columns


def _pad(n: int, v: Variation) -> str:
    if v.space_pad == "ascii":
        return " " * n
    if v.space_measure == "chars":
        return "\u3000" * n
    return "\u3000" * (n // 2) + " " * (n % 2)  # an odd column left over takes an ASCII space


_ORDINAL_RE = re.compile(r"^(?:\d+[.、．]|[（(][一二三四五六七八九十]+[)）]|[一二三四五六七八九十]+、)")


def wrap_label(text: str) -> tuple[str, str] | None:
    """A long numbered row label ('2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理…') broken over two
    lines, after a '、' or '，' in its middle, else in half; None for a label that is short or not numbered."""
    if len(text) < 13 or not _ORDINAL_RE.match(text):
        return None
    for sep in "、，":
        k = text.find(sep, 4)
        if 4 <= k < len(text) - 3:
            return text[:k + 1], text[k + 1:]
    k = (len(text) + 1) // 2
    return text[:k], text[k:]


def _wrapped_rows(rows: list[list[str]], v: Variation) -> list[tuple[list[str], str | None]]:
    """Rows with their long label's first line in place, and the rest of the label (printed on a line of its
    own below the row), when labels wrap."""
    out: list[tuple[list[str], str | None]] = []
    for row in rows:
        rest = None
        if v.wrapped_labels:
            # the row's own label: the last of its leading label cells (not a trailing 备注 remark)
            k = None
            for i, c in enumerate(row):
                if _is_number(c):
                    break
                k = i
            parts = wrap_label(row[k]) if k is not None else None
            if parts:
                row = [*row[:k], parts[0], *row[k + 1:]]
                rest = parts[1]
        out.append((row, rest))
    return out


def _aligned_lines(table: SpanTable, v: Variation) -> list[str]:
    """A spanning table drawn on its grid in a fixed-width view: every cell starts at its column (a merged
    cell once, in its first slot, or repeated in every slot), columns as wide as their widest cell, numbers
    flush left or right. Blank cells are just space, so only the columns' positions say where they are."""
    placed = place(table)
    cells: list[tuple[int, int, int, str, bool]] = []  # row, col, colspan, text, is a number
    rests: list[tuple[int, int, int, str]] = []  # a wrapped label's second line: row, col, colspan, text
    for r, c, sp in placed:
        text = sp.text.replace("\n", "")
        if v.label_variant:  # the variants are printed, so they are what lines up
            text = with_label_variants(text)
        parts = wrap_label(text) if v.wrapped_labels and sp.label else None
        if parts:
            text = parts[0]
        if v.fullwidth_digits:  # drawn in full width, so lined up as printed
            text = text.translate(_FULLWIDTH)
            parts = parts and (parts[0], parts[1].translate(_FULLWIDTH))
        number = _is_number(text.translate(_HALFWIDTH)) and not sp.label
        if v.merged == "repeat" and not number:
            cells += [(r + dr, c + dc, 1, text, False) for dr in range(sp.rowspan) for dc in range(sp.colspan)]
            if parts:
                rests += [(r, c + dc, 1, parts[1]) for dc in range(sp.colspan)]
        else:
            cells.append((r, c, sp.colspan, text, number))
            if parts:
                rests.append((r, c, sp.colspan, parts[1]))
    # The second lines of wrapped labels take room in their columns too.
    cells_and_rests = cells + [(r, c, cs, t, False) for r, c, cs, t in rests]
    n_cols = max(c + cs for _r, c, cs, _t, _n in cells)
    widths = [0] * n_cols
    for _r, c, cs, t, _n in cells_and_rests:
        if cs == 1:
            widths[c] = max(widths[c], text_width(t, v.space_measure))
    for _r, c, cs, t, _n in sorted(cells_and_rests, key=lambda x: x[2]):
        have = sum(widths[c:c + cs]) + _GAP * (cs - 1)
        widths[c + cs - 1] += max(0, text_width(t, v.space_measure) - have)
    starts = [sum(widths[:c]) + _GAP * c for c in range(n_cols)]
    out = []
    for r in range(max(x[0] for x in cells) + 1):
        line, at = "", 0
        for _r, c, cs, t, number in sorted((x for x in cells if x[0] == r), key=lambda x: x[1]):
            if not t:
                continue
            w = text_width(t, v.space_measure)
            pos = starts[c]
            if number and v.number_align == "right":
                pos += sum(widths[c:c + cs]) + _GAP * (cs - 1) - w
            line += _pad(pos - at, v) + t
            at = pos + w
        out.append(line)
        line, at = "", 0
        for _r, c, _cs, t in sorted((x for x in rests if x[0] == r), key=lambda x: x[1]):
            line += _pad(starts[c] - at, v) + t  # the rest of a wrapped label, under its first line
            at = starts[c] + text_width(t, v.space_measure)
        if line:
            out.append(line)
    return out


def _row_lines(rows: list[list[str]], v: Variation) -> list[str]:
    if v.text_layout == "run_together":
        return [_format_row(r, "run_together") for r in rows]
    widths = [max((len(r[i]) for r in rows if i < len(r)), default=0) for i in range(max(map(len, rows)))]
    out = []
    if v.text_layout == "pipe_rows" and v.pipe_header:
        out += ["| 类别 | 数据 |", "| --- | --- |"]
    for row, rest in _wrapped_rows(rows, v):
        out.append(_format_row(row, v.text_layout, widths))
        if rest:  # the rest of a wrapped label on its own line ('| rest |' in pipe rows)
            out.append(f"| {rest} |" if v.text_layout == "pipe_rows" else rest)
    return out


def render_text_variant(truth: ReportTruth, v: Variation) -> str:
    """The report as plain text in the variation's layout (word_cells with default switches = render_txt)."""
    from . import render_txt

    if v.text_layout == "word_cells":
        text = render_txt.render_text(truth)
        head = "\n".join(title_lines(truth, "agency_line")) + "\n"
        text = "\n".join(title_lines(truth, v.title_form)) + "\n" + text[len(head):]
        if v.wrapped_labels:
            # A long numbered label wraps inside its cell: Word writes the rest on the next line, no tab.
            lines = text.split("\n")
            for i, ln in enumerate(lines):
                parts = wrap_label(ln[1:]) if ln.startswith("\t") else None
                if parts:
                    lines[i] = "\t" + parts[0] + "\n" + parts[1]
            text = "\n".join(lines)
        if not v.heading_gap:
            text = text.replace(SECTION_HEADINGS["四"] + "\n", SECTION_HEADINGS["四"] + "\n", 1)
            # Table 四's first row follows its section's prose with no empty line between them.
            text = text.replace("\n\n\t行政复议\n", "\n\t行政复议\n", 1)
    else:
        nar = build_narrative(truth)
        lines = title_lines(truth, v.title_form) + ["", nar.intro]
        order = {"in_order": "一二三四五六", "t2_last": "一三四二五六", "no_t2": "一三四五六"}[v.sections]
        for k in order:
            lines.append(SECTION_HEADINGS[k])
            if v.heading_gap:
                lines.append("")
            if k == "四":
                lines += nar.sections[k]
            t3 = t3_table(truth)
            if v.text_layout != "word_cells":
                from .subtotals import add_subtotals

                t3 = add_subtotals(t3, truth, v.subtotals)
            t4 = t4_table(truth)
            if v.t4_shape == "stacked" and v.text_layout != "word_cells":
                from .spans import t4_table_stacked

                t4 = t4_table_stacked(truth)
            tables = {"二": t2_tables(truth), "三": [t3], "四": [t4]}.get(k, [])
            for t in tables:
                if v.text_layout == "space_aligned":
                    drawn = _aligned_lines(t, v)
                    if v.row_missing and k == "三":  # the row's line left out (its merged labels stay above)
                        gone = (_MISSING_ROW_LABEL, _MISSING_ROW_LABEL.translate(_FULLWIDTH))
                        drawn = [ln for ln in drawn if not any(g in ln for g in gone)]
                    lines += drawn
                    lines.append("")
                    continue
                rows = _rows_of(t, v.merged)
                if v.row_missing and k == "三":
                    rows = [r for r in rows if not any(c.startswith(_MISSING_ROW_LABEL) for c in r)]
                if v.remark_column and k in ("三", "四") and v.text_layout in ("tab_rows", "pipe_rows"):
                    rows = _with_remarks(rows, k, truth)
                lines += _row_lines(rows, v)
                lines.append("")
            if k != "四":
                lines += nar.sections[k]
            lines.append("")
        lines += [truth.agency.name, f"{truth.year + 1}年1月{random.Random(truth.agency.slug).randint(10, 31)}日"]
        text = "\n".join(lines) + "\n"
    return _text_noise(text, truth, v)


def _text_noise(text: str, truth: ReportTruth, v: Variation) -> str:
    rng = random.Random(f"noise/{truth.agency.slug}/{truth.year}/{sorted(v.changed().items())}")
    if v.label_variant:
        text = with_label_variants(text)
    lines = text.split("\n")
    if v.footers:
        # Page footers between table rows, as a PDF -> text conversion leaves them.
        page = 1
        out = []
        for i, ln in enumerate(lines):
            out.append(ln)
            if i and i % 37 == 0:
                page += 1
                out += ["", f"— {page} —", ""]
        lines = out
    if v.blank_lines == 1:
        lines = [x for ln in lines for x in (ln, "")]
    elif v.blank_lines == 2:
        lines = [x for ln in lines for x in ((ln, "") if rng.random() < 0.3 else (ln,))]
    text = "\n".join(lines)
    if v.fullwidth_digits:
        text = _fullwidth_numbers(text, truth)
    return text


def _fullwidth_numbers(text: str, truth: ReportTruth) -> str:
    # Only table and prose digits, not the year in the title (a title year in full width is another switch).
    head, sep, body = text.partition("\n\n")
    return head + sep + body.translate(_FULLWIDTH)


# --------------------------------------------------------------------------- bytes

def encode(text: str, encoding: str) -> bytes:
    if encoding == "utf-16-bom":
        return text.encode("utf-16")  # with BOM, platform order
    if encoding in ("utf-16-le", "utf-16-be", "utf-8", "utf-8-sig", "gbk", "gb18030"):
        return text.encode(encoding)
    raise ValueError(encoding)


_DECL_NAME = {"utf-8": "utf-8", "utf-8-sig": "utf-8", "gbk": "gbk", "gb18030": "gb18030", "utf-16-bom": "utf-16",
              "utf-16-le": "utf-16le", "utf-16-be": "utf-16be"}


def render_html_variant(truth: ReportTruth, v: Variation) -> bytes:
    from . import render_html

    hook = _table_hook(truth, v, "html")
    if v.js_embed:
        page = render_html.render_js_embedded(truth, split_t2=v.t2_split, year_first=True, table_hook=hook)
    else:
        page = render_html.render_page(truth, split_t2=v.t2_split, year_first=True, table_hook=hook)
    default_title = f"{truth.year}年{truth.agency.name}政府信息公开工作年度报告"
    if v.title_form != "agency_line" or not v.html_title:
        import html as htmllib

        esc = htmllib.escape(default_title)
        if not v.js_embed:
            body_title = "<br />".join(htmllib.escape(x) for x in title_lines(truth, v.title_form))
            page = page.replace(f"<p style='text-align: center;font-weight: bold;'>{esc}</p>",
                                f"<p style='text-align: center;font-weight: bold;'>{body_title}</p>", 1)
        if not v.html_title:
            page = page.replace(f"<title>{esc}</title>", "<title>政府信息公开</title>", 1)
    if v.html_tables == "pre_tabs" and not v.js_embed:
        import html as htmllib
        import re

        tables = [*t2_tables(truth, split=v.t2_split), t3_table(truth), t4_table(truth)]
        if hook is not None:
            tables = tables[:-2] + [hook("三", tables[-2]), hook("四", tables[-1])]
        texts = iter("<pre>" + htmllib.escape("\n".join("\t".join(r) for r in _rows_of(t, "omit"))) + "</pre>"
                     for t in tables)
        page = re.sub(r"<table.*?</table>", lambda _m: next(texts), page, flags=re.S)
    if v.fullwidth_digits or v.label_variant:
        head, sep, body = page.partition("<body>")
        if v.label_variant:
            body = with_label_variants(body, ordinals=False)
        if v.fullwidth_digits and not v.js_embed:
            body = _fullwidth_cells(body)
        page = head + sep + body
    if v.charset_decl != "match" or v.encoding != "utf-8":
        decl = {"match": _DECL_NAME[v.encoding], "none": None, "stale_gb2312": "gb2312"}[v.charset_decl]
        if v.charset_decl == "stale_gb2312" and v.encoding not in ("utf-8", "utf-8-sig"):
            decl = _DECL_NAME[v.encoding]  # a stale gb2312 label only arises over re-encoded UTF-8
        new_meta = f'<meta http-equiv="Content-Type" content="text/html; charset={decl}">' if decl else ""
        page = page.replace('<meta charset="utf-8">', new_meta, 1)
    return encode(page, v.encoding)


def _fullwidth_cells(body: str) -> str:
    import re

    # Digits inside table cells only: '<p align="center">12</p>'.
    return re.sub(r'(<p align="center">)([0-9.\-]+)(</p>)', lambda m: m.group(1) + m.group(2).translate(_FULLWIDTH)
                  + m.group(3), body)


def render_variant(truth: ReportTruth, fmt: str, v: Variation) -> bytes:
    """The truth as a document of ``fmt`` drawn with variation ``v`` (switches ``fmt`` ignores are ignored)."""
    v = v.for_format(fmt)
    if v.blank_zeros != truth.blank_zeros:
        from dataclasses import replace

        truth = replace(truth, blank_zeros=v.blank_zeros)
    if fmt == "txt":
        text = render_text_variant(truth, v)
        return encode(text, v.encoding)
    if fmt == "md":
        from . import render_md

        return render_md.render(truth, v)
    if v.table_images != "none":
        from .table_images import variant_files

        return variant_files(truth, fmt, v)[f"report.{fmt}"]  # (sibling_file: the page alone, without its pictures)
    if fmt == "html":
        return render_html_variant(truth, v)
    if fmt == "docx":
        from . import render_docx

        return render_docx.render(truth, split_t2=v.t2_split, title_lines=title_lines(truth, v.title_form),
                                  table_hook=_table_hook(truth, v, "docx"))
    if fmt == "pdf":
        from . import render_pdf

        return render_pdf.render(truth, ruled=v.pdf_ruled, title_lines=title_lines(truth, v.title_form),
                                 table_hook=_table_hook(truth, v, "pdf"),
                                 repeat_headers=v.pdf_header_repeat)
    raise ValueError(fmt)


__all__ = ["FORMATS", "SWITCHES", "FORMAT_SWITCHES", "OCR_SWITCHES", "Variation", "random_variation", "acceptable_refusals",
           "render_variant", "title_lines"]

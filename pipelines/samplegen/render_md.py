"""A report as a PDF -> markdown converter leaves it (shanghai-stcsm-2024.md, shanghai-gov-office-2025.md).

The printed tables are drawn from the same spanning-cell model as the HTML/DOCX/PDF renderers
(``spans.py``) and then put through what converters really do, each an independent ``md_*`` switch of
``variations.Variation`` (docs/variations.md lists them):

- ``md_split``: one md table per printed table; a new md table at each page break (``pages``), with the
  header rows printed again (``pages_header``); or also wherever a row's number of cells changes
  (``structure``: the small fragments of the real conversions).
- ``md_labels``: table-三 row labels kept (``in_row``); for about a third of the rows moved out of the
  table into a prose line beside it (``floated``) or dropped (``lost``): a grid converter leaves their
  slots empty, a packing one starts the row at its numbers; or a long label cut to one run of its wrapped
  lines, the rest floated (``cut``). Every row's numbers stay, in printed order: a reader can place an
  unlabelled row only by that order, which is unique because no row is left out.
- ``md_footers``: page footers ``— 5 —`` or bare page numbers ``5`` at each page break, inside tables too.
- ``md_pad``: rows padded with empty cells up to the widest row of their md table.
- ``md_merged``: a merged cell printed once (``omit``), once with its covered slots as empty cells
  (``empty``), in every slot (``repeat``; numbers spanning columns too), or a vertically merged label's
  wrapped lines spread over the rows it spans, centred (``split``; horizontally covered slots omitted).
- ``md_header``: the header rows as md rows, as prose lines of their words above the table, or as the
  pieces of their wrapped cells, piece k of every cell on md row k (``split``).
- ``md_separator``: ``|---|`` or with alignment colons ``|:---|:---:|---:|``.
- ``md_title_wrap``: the title line broken again before ``年度报告`` (or at 16 characters).
- ``md_spaces``: spaces a converter leaves: between CJK and digits in prose and title (``2024 年``),
  inside some labels (``行政查询 事项``), thousands groups inside numbers in cells (``1 295``).
- ``md_wrap``: prose broken at the page's line width.
- ``md_headings``: section headings as plain lines or as ``## …`` with ``## 表N：…`` captions above tables.
- ``md_t2_prose``: table 二's one-column blocks as prose lines ``行政许可 97`` (``行政许可`` alone when the
  cell is blank).
- ``md_cell_breaks``: a label wrapped inside its cell comes out joined, with ``<br>``, or with a space.

Label columns and header cells wrap at widths drawn per document, so labels are cut and spread at
different places. With every md switch at its default the document is a clean conversion: each table one
md table, labels in their rows, no footers. A careful person can read every md document exactly, but for
one combination: ``md_t2_prose`` with ``blank_zeros`` prints a blank one-column row of table 二 as its
label alone, which cannot be told from a label whose number moved elsewhere (the reader lists such rows
in unresolved_rows; docs/variations.md).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .layout import T2Block, t2_blocks, with_label_variants
from .narrative import SECTION_HEADINGS, build_narrative
from .spans import Span, SpanTable, place, t2_tables, t3_table, t4_table
from .truth import ReportTruth

if TYPE_CHECKING:
    from .variations import Variation

_FULLWIDTH = str.maketrans("0123456789.-", "０１２３４５６７８９．－")
_CAPTIONS = {"二": "表二：主动公开政府信息情况", "三": "表三：收到和处理政府信息公开申请情况",
             "四": "表四：政府信息公开行政复议、行政诉讼情况"}
_PROSE_WIDTH = 28  # characters per prose line on an A4 page at the reports' type size
_CJK = r"\u3400-\u9fff"


def wrap_cell(text: str, width: int) -> list[str]:
    """A label as it wraps in a narrow PDF cell: pieces of ``width`` characters."""
    text = text.replace("\n", "")
    return [text[i:i + width] for i in range(0, len(text), width)] or [""]


def pangu(text: str) -> str:
    """Spaces between CJK characters and ASCII digits/letters, as converters leave them ('2024 年')."""
    text = re.sub(rf"([{_CJK}（）“”、，。：；])([0-9A-Za-z])", r"\1 \2", text)
    return re.sub(rf"([0-9A-Za-z])([{_CJK}（）“”、，。：；])", r"\1 \2", text)


@dataclass
class _Cell:
    text: str
    kind: str  # 'label' (row label or header word) or 'value'
    col: int  # grid column
    width: int = 0  # characters per line of its printed cell (labels wrap at it)


@dataclass
class _Row:
    cells: list[_Cell]
    header: bool  # a header row (printed again above a continuation with pages_header)
    floated: list[str] = field(default_factory=list)  # label text moved out of the row into prose lines
    float_after: bool = False  # the floated lines come after the row, not before


class _Page:
    """Output lines with page breaks every ``length`` lines: a footer at each break (``md_footers``), and a
    break inside an md table ends it when the table splits at page breaks (``md_split``)."""

    def __init__(self, v: Variation, length: int) -> None:
        self.v = v
        self.length = length
        self.lines: list[str] = []
        self.page = 1
        self.on_page = 0

    def due(self) -> bool:
        return self.on_page >= self.length

    def next_page(self) -> str | None:
        """End the page: its footer line (None without footers), and a fresh count."""
        mark = {"dashes": f"— {self.page} —", "number": str(self.page)}.get(self.v.md_footers)
        self.page += 1
        self.on_page = 0
        return mark

    def add(self, line: str) -> None:
        if self.due():
            mark = self.next_page()
            if mark:
                self.lines.append(mark)
        self.lines.append(line)
        self.on_page += 1


def _md_row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _separator(n: int, v: Variation, kinds: list[str]) -> str:
    if v.md_separator == "plain":
        return "|" + "|".join(["---"] * n) + "|"
    marks = [":---" if k == "label" else ("---:" if i % 2 else ":---:") for i, k in enumerate(kinds)]
    marks += ["---"] * (n - len(marks))
    return "|" + "|".join(marks) + "|"


class _Table:
    """One md table being written: rows and the prose lines between them, flushed as a block (padding and
    the separator row need the whole block)."""

    def __init__(self, page: _Page, v: Variation, caption: str | None) -> None:
        self.page, self.v, self.caption = page, v, caption
        self.items: list[list[_Cell] | str] = []  # a row's cells, or a line of text between rows

    def rows(self) -> int:
        return sum(1 for item in self.items if not isinstance(item, str))

    def flush(self) -> None:
        width = max((len(item) for item in self.items if not isinstance(item, str)), default=0)
        first = True
        for item in self.items:
            if isinstance(item, str):
                self.page.lines.append(item)
                continue
            cells = [c.text for c in item]
            if self.v.md_pad:
                cells += [""] * (width - len(cells))
            self.page.lines.append(_md_row(cells))
            if first:  # an md table's first row is its header row: the separator follows it
                self.page.lines.append(_separator(len(cells), self.v, [c.kind for c in item]))
                first = False
        self.items = []


class _Writer:
    def __init__(self, truth: ReportTruth, v: Variation) -> None:
        self.truth, self.v = truth, v
        self.rng = random.Random(f"md/{truth.agency.slug}/{truth.year}/{sorted(v.changed().items())}")
        self.page = _Page(v, self.rng.randint(30, 44))
        # Characters per line of table 三's label columns (item, group, reason) and of header cells: PDFs
        # differ, so labels wrap, are cut and spread at different places ('2.其他' / '法律行政…' at 4).
        self.t3_widths = {0: self.rng.randint(2, 5), 1: self.rng.randint(2, 5), 2: self.rng.randint(4, 12)}
        self.header_width = self.rng.randint(2, 4)

    # ---- text pieces ----------------------------------------------------------------------------------

    def _prose_text(self, text: str) -> str:
        if self.v.fullwidth_digits:
            text = text.translate(_FULLWIDTH)
        if self.v.md_spaces:
            text = pangu(text)
        return text

    def paragraph(self, text: str) -> None:
        text = self._prose_text(text)
        if not self.v.md_wrap:
            self.page.add(text)
            return
        # Lines of the page's width; a run of digits or letters is not broken (PDF line breaking keeps it).
        line = ""
        for tok in re.findall(r"[0-9A-Za-z０-９．.]+|.", text):
            if len(line) + len(tok) > _PROSE_WIDTH and line:
                self.page.add(line.strip())
                line = ""
            line += tok
        if line.strip():
            self.page.add(line.strip())

    def heading(self, key: str) -> None:
        h = SECTION_HEADINGS[key]
        self.page.add(f"## {h}" if self.v.md_headings == "atx" else h)

    def number(self, text: str) -> str:
        if self.v.md_spaces and text.isdigit() and len(text) > 3:
            # thousands groups kept apart, as a converter leaves a wide-tracked number
            head = len(text) % 3 or 3
            text = " ".join([text[:head]] + [text[i:i + 3] for i in range(head, len(text), 3)])
        if self.v.fullwidth_digits:
            text = text.translate(_FULLWIDTH)
        return text

    def label(self, text: str, width: int) -> str:
        """A label cell's text: its variants, a stray space inside it, its wrapped lines joined per switch."""
        if self.v.label_variant:
            text = with_label_variants(text)
        pieces = wrap_cell(text, width) if width else [text.replace("\n", "")]
        if "\n" in text:
            pieces = text.split("\n")  # a header the template itself breaks ('本年新' / '制作数量')
        sep = {"join": "", "br": "<br>", "space": " "}[self.v.md_cell_breaks]
        out = sep.join(pieces)
        if self.v.md_spaces and len(out) > 5 and self.rng.random() < 0.3:
            k = self.rng.randint(2, len(out) - 2)
            if "<" not in out[k - 3:k + 3]:
                out = out[:k] + " " + out[k:]
        return out

    # ---- tables ---------------------------------------------------------------------------------------

    def grid_rows(self, table: SpanTable, n_header: int, label_cols: int, widths: dict[int, int],
                  t3: bool) -> list[_Row]:
        """The table as md rows under ``md_merged``; T3 data rows lose labels under ``md_labels``."""
        placed = place(table)
        n_rows = max(r + s.rowspan for r, _c, s in placed)
        slots: dict[tuple[int, int], tuple[Span, int, int]] = {}  # (row, col) -> span, dr, dc
        for r, c, s in placed:
            for dr in range(s.rowspan):
                for dc in range(s.colspan):
                    slots[(r + dr, c + dc)] = (s, dr, dc)
        width = max(c for _r, c in slots) + 1
        out: list[_Row] = []
        for r in range(n_rows):
            cells: list[_Cell] = []
            for c in range(width):
                if (r, c) not in slots:
                    continue
                s, dr, dc = slots[(r, c)]
                is_value = c >= label_cols and r >= n_header
                w = sum(widths.get(c - dc + k, 0) for k in range(s.colspan)) if not is_value else 0
                if is_value:
                    shown = self.number(s.text)
                    if (dr, dc) != (0, 0):
                        # a number spanning columns (table 二's one-value items): kept once, or repeated
                        if self.v.md_merged == "repeat":
                            cells.append(_Cell(shown, "value", c))
                        elif self.v.md_merged == "empty":
                            cells.append(_Cell("", "value", c))
                        continue
                    cells.append(_Cell(shown, "value", c))
                    continue
                if (dr, dc) == (0, 0):
                    if self.v.md_merged == "split" and s.rowspan > 1:
                        cells.append(_Cell(self.label(_spread(s.text, s.rowspan, w)[0], 0), "label", c, w))
                    else:
                        cells.append(_Cell(self.label(s.text, w), "label", c, w))
                elif self.v.md_merged == "repeat":
                    cells.append(_Cell(self.label(s.text, w), "label", c))
                elif self.v.md_merged == "empty":
                    cells.append(_Cell("", "label", c))
                elif self.v.md_merged == "split" and dc == 0 and dr > 0:
                    cells.append(_Cell(self.label(_spread(s.text, s.rowspan, w)[dr], 0), "label", c))
            row = _Row(cells, header=r < n_header)
            if t3 and r >= n_header:
                self._label_loss(row)
            out.append(row)
        return out

    def _label_loss(self, row: _Row) -> None:
        """md_labels: some table-三 rows lose their label cells to a prose line, or altogether, or keep one
        run of the wrapped lines of their own label (the rest floated)."""
        mode = self.v.md_labels
        if mode == "in_row":
            return
        labels = [c for c in row.cells if c.kind == "label" and c.text.strip()]
        if not labels:
            return
        if mode == "cut":
            own = labels[-1]
            pieces = wrap_cell(re.sub(r"<br>|\s", "", own.text), own.width or 10)
            if len(pieces) > 1 and self.rng.random() < 0.5:
                # usually the first line stays (stcsm); sometimes a later run of lines, the rest floated
                # (gov-office 2025: '| 缴纳费用、 | 行政机关不再处理其政 |' with '2.申请人逾期…' above the row)
                a = 0 if self.rng.random() < 0.6 else self.rng.randrange(len(pieces))
                b = self.rng.randint(a + 1, max(a + 1, len(pieces) - (a == 0)))
                own.text = "".join(pieces[a:b])
                row.floated = pieces[:a] + pieces[b:]
                row.float_after = self.rng.random() < 0.3
            return
        if self.rng.random() >= 0.3:
            return
        text = "".join(re.sub(r"<br>|\s", "", c.text) for c in labels)
        if self.v.md_merged in ("empty", "repeat"):
            # a converter that keeps the table's grid keeps the label's slots, empty
            row.cells = [_Cell("", "label", c.col, c.width) if c.kind == "label" else c for c in row.cells]
        else:  # a converter that packs cells to the left: the row starts at its numbers
            row.cells = [c for c in row.cells if c.kind != "label"]
        if mode == "floated":
            row.floated = wrap_cell(text, 10)
            row.float_after = self.rng.random() < 0.3

    def _split_header(self, rows: list[_Row]) -> list[_Row]:
        """md_header=split: each header cell's wrapped lines, line k of every cell on md row k (stcsm-2024:
        '| 业 | 构 | 益组织 | 务机构 |'); a grid converter keeps the empty slots, a packing one drops them."""
        out: list[_Row] = []
        for r in rows:
            if not r.header:
                out.append(r)
                continue
            pieces = [wrap_cell(re.sub(r"<br>|\s", "", c.text), self.header_width) for c in r.cells]
            for k in range(max((len(p) for p in pieces), default=0)):
                cells = [_Cell(p[k] if k < len(p) else "", "label", c.col) for p, c in zip(pieces, r.cells, strict=True)]
                if self.v.md_merged not in ("empty", "repeat"):
                    cells = [c for c in cells if c.text]
                if any(c.text for c in cells):
                    out.append(_Row(cells, header=True))
        return out

    def table(self, rows: list[_Row], section: str) -> None:
        v = self.v
        if v.md_header == "split":
            rows = self._split_header(rows)
        caption = f"## {_CAPTIONS[section]}" if v.md_headings == "atx" else None
        lead = []  # the header rows above the first data row: printed again on a continuation page
        for r in rows:
            if not r.header:
                break
            lead.append(r)
        t = self._open(caption)
        prev_n: int | None = None
        for r in rows:
            if self.page.due():
                mark = self.page.next_page()
                if v.md_split == "none":
                    if mark:  # the page ends inside the table: its footer lands between two rows
                        t.items.append(mark)
                else:
                    t.flush()
                    if mark:
                        self.page.lines.append(mark)
                    t = self._open(caption)
                    if v.md_split == "pages_header" and not r.header:
                        for h in lead:
                            self._put(t, h)
                    prev_n = None
            if not (r.header and v.md_header == "prose"):
                n = len(r.cells)
                if v.md_split == "structure" and prev_n is not None and n != prev_n and t.rows():
                    t.flush()  # converters start a new md table where the number of columns changes
                    t = self._open(caption)
                prev_n = n
            self._put(t, r)
        t.flush()

    def _put(self, t: _Table, r: _Row) -> None:
        if r.header and self.v.md_header == "prose":
            self._line(t, "".join(c.text.replace("<br>", "") for c in r.cells))  # text lines carry no <br>
            return
        if r.floated and not r.float_after:
            for line in r.floated:
                self._line(t, line)
        t.items.append(r.cells)
        self.page.on_page += 1 + (t.rows() == 1)  # the first row of an md table is followed by its separator
        if r.floated and r.float_after:
            for line in r.floated:
                self._line(t, line)

    def _line(self, t: _Table, text: str) -> None:
        t.items.append(text)
        self.page.on_page += 1

    def _open(self, caption: str | None) -> _Table:
        if caption:
            self.page.add(caption)
        return _Table(self.page, self.v, caption)

    # ---- table 二 as prose lines ------------------------------------------------------------------------

    def t2_prose(self, block: T2Block) -> None:
        self.page.add(block.title)
        self.page.add("信息内容" + "".join(label for _c, label in block.columns))
        for code, label in block.rows:
            (col, _), = block.columns
            value = self.truth.cell_text("T2", code, col)
            if self.v.fullwidth_digits:
                value = value.translate(_FULLWIDTH)  # no thousands spaces here: '46 583' would read as two numbers
            shown = self.label(label, 0)
            self.page.add(f"{shown} {value}" if value else shown)


def _spread(text: str, n: int, width: int) -> list[str]:
    """A vertically merged label over the ``n`` rows it spans: its lines (wrapped at ``width``) on the rows
    where the PDF centred them, one per row, the others empty (gov-office 2025: '（三）不' / '予公开')."""
    pieces = wrap_cell(text, width or 4)
    if len(pieces) > n:
        pieces = pieces[:n - 1] + ["".join(pieces[n - 1:])]
    top = (n - len(pieces)) // 2
    return [""] * top + pieces + [""] * (n - top - len(pieces))


_T2_WIDTHS = {0: 8}


def render_md(truth: ReportTruth, v: Variation) -> str:
    from .variations import title_lines

    w = _Writer(truth, v)
    nar = build_narrative(truth)
    title = title_lines(truth, v.title_form)
    if v.md_title_wrap:
        wrapped = []
        for line in title:
            if line.endswith("年度报告") and len(line) > 8:
                wrapped += [line[:-4], line[-4:]]  # stcsm: '…政府信息公开工作' / '年度报告'
            elif len(line) > 16:
                wrapped += [line[:16], line[16:]]
            else:
                wrapped.append(line)
        title = wrapped
    for line in title:
        w.page.add(pangu(line) if v.md_spaces else line)
    w.page.add("")
    w.paragraph(nar.intro)
    for key in "一二三四五六":
        w.page.add("")
        w.heading(key)
        if key == "四":
            for p in nar.sections[key]:
                w.paragraph(p)
        if key == "二":
            blocks = t2_blocks(truth.template)
            tables = t2_tables(truth, split=True)
            table_blocks = [(b, t) for b, t in zip(blocks, tables, strict=True)
                            if not (v.md_t2_prose and len(b.columns) == 1)]
            if table_blocks:
                rows: list[_Row] = []
                for _b, t in table_blocks:
                    rows += w.grid_rows(t, 2, 1, _T2_WIDTHS, t3=False)
                # Block titles and column headers are header rows of the one printed table.
                w.table(rows, key)
            for b in blocks:
                if v.md_t2_prose and len(b.columns) == 1:
                    w.t2_prose(b)
        elif key == "三":
            w.table(w.grid_rows(t3_table(truth), 3, 3, w.t3_widths, t3=True), key)
        elif key == "四":
            w.table(w.grid_rows(t4_table(truth), 3, 0, {}, t3=False), key)
        if key not in "四":
            for p in nar.sections[key]:
                w.paragraph(p)
    w.page.add("")
    w.page.add(truth.agency.name)
    w.page.add(w._prose_text(f"{truth.year + 1}年1月{random.Random(truth.agency.slug).randint(10, 31)}日"))
    return "\n".join(w.page.lines) + "\n"


def render(truth: ReportTruth, v: Variation) -> bytes:
    return render_md(truth, v).encode("utf-8")

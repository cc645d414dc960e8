"""Plain text whose tables are drawn with spaces: columns that line up in a fixed-width view.

A blank cell is only space there, so the cells of a row cannot be told apart by what separates them (that
reading is ambiguous: ``crawler_text``); they are told apart by *where* they are. A table's value columns
are found from its header: the header cells that sit right of the row labels are the columns (a header
spanning several columns — 申请人情况, 法人或其他组织 — is recognised because it covers two cells of a lower
header line, and set aside). Each number belongs to the column it starts in; a column's numbers must line up
(share a position: flush left, flush right or centred) and no two numbers of a row may fall in one column,
otherwise the reading is not used. A row label with nothing in the value columns is a row of blank cells.

Positions are measured in display columns, a CJK character (and the ideographic space U+3000) being two
wide, as a fixed-width view shows the text; a document padded by character count (what ``str.ljust``
does) lines up only when every character counts one, so that measure is tried when the first does not
line up. The rows come out as cells (labels, then one cell per value column, '' where blank): the shared
interpreter reads them like tab-separated rows.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from pipelines.lib.harmonize.values import looks_numeric
from pipelines.lib.read.extract import Extracted
from pipelines.lib.read.extract.text import continues_label, own_label_index
from pipelines.lib.read.grid import Grid

MEASURES = ("display", "chars")
_SPACES = " \u3000\t"


@dataclass(frozen=True)
class Token:
    text: str
    start: int
    end: int  # exclusive
    numeric: bool


def char_width(ch: str, measure: str) -> int:
    if measure == "chars":
        return 1
    return 2 if unicodedata.east_asian_width(ch) in "WF" else 1


def tokens(line: str, measure: str) -> list[Token]:
    """The line's cells with their positions. Cells are separated by a gap of two columns or more (two
    spaces, an ideographic space or a tab); a single space stays inside a cell ('社会公益 组织'), unless it
    separates numbers."""
    out: list[tuple[str, int, int]] = []
    cur, cur_start, pos, i = "", 0, 0, 0
    n = len(line)
    while i < n:
        ch = line[i]
        if ch in _SPACES:
            j, w = i, 0
            while j < n and line[j] in _SPACES:
                w += 8 if line[j] == "\t" else char_width(line[j], measure)
                j += 1
            if cur and j < n and j - i == 1 and ch == " ":
                cur += ch  # one space inside a cell
            elif cur:
                out.append((cur, cur_start, pos))
                cur = ""
            pos += w
            i = j
            continue
        if not cur:
            cur_start = pos
        cur += ch
        pos += char_width(ch, measure)
        i += 1
    if cur:
        out.append((cur, cur_start, pos))
    toks: list[Token] = []
    for text, start, end in out:
        parts = text.split(" ")
        if len(parts) > 1 and all(p and looks_numeric(p) for p in parts):
            at = start
            for p in parts:
                w = sum(char_width(c, measure) for c in p)
                toks.append(Token(p, at, at + w, True))
                at += w + 1
        else:
            toks.append(Token(text, start, end, bool(text.strip()) and looks_numeric(text)))
    return toks


def is_space_aligned(text: str) -> bool:
    """Enough lines of two or more cells separated by runs of spaces (a table drawn with spaces), with
    numbers among them."""
    n, numbers = 0, False
    for ln in text.split("\n"):
        if "\t" in ln or "|" in ln:
            continue
        toks = tokens(ln, "chars")
        if len(toks) >= 2:
            n += 1
            numbers = numbers or any(t.numeric for t in toks)
            if n >= 10 and numbers:
                return True
    return False


class NotAligned(ValueError):
    """The numbers of a table do not line up under its header in this measure."""


def _is_prose(line: str, toks: list[Token]) -> bool:
    return "。" in line or (len(toks) == 1 and len(toks[0].text) > 60)


def _label_end(toks: list[Token]) -> int:
    """End of the row label: the last non-numeric cell before the first number (-1: no label)."""
    end = -1
    for t in toks:
        if t.numeric:
            break
        end = t.end
    return end


def _value_tokens(toks: list[Token]) -> list[Token]:
    k = next((i for i, t in enumerate(toks) if t.numeric), len(toks))
    return toks[k:]


def _overlap(a: Token, b: Token) -> bool:
    return a.start < b.end and b.start < a.end


def _anchors(header_lines: list[list[Token]], value_start: int) -> list[tuple[int, int]]:
    """The value columns named by a header of one or more lines: (start, end) of each, left to right.

    Header cells right of the row labels; a cell covering two cells of another header line spans columns
    (申请人情况 over 自然人 and 商业企业) and is set aside; the rest, grouped where they overlap, are the
    columns (自然人 printed in two lines for its rowspan is one column)."""
    lines = [[t for t in ln if t.start >= value_start] for ln in header_lines]
    keep: list[tuple[int, Token]] = []
    for li, ln in enumerate(lines):
        for t in ln:
            spanning = any(sum(_overlap(t, u) for u in other) >= 2 for lj, other in enumerate(lines) if lj != li)
            if not spanning:
                keep.append((li, t))
    keep.sort(key=lambda x: x[1].start)
    groups: list[list[tuple[int, Token]]] = []
    for li, t in keep:
        if groups and any(_overlap(t, u) for _l, u in groups[-1]):
            groups[-1].append((li, t))
        else:
            groups.append([(li, t)])
    cols: list[tuple[int, int]] = []
    names: list[dict[int, str]] = []  # per column: header line -> its text there
    for g in groups:
        if len({li for li, _t in g}) != len(g):
            raise NotAligned("two cells of one header line fall in one column")
        span, name = (min(t.start for _l, t in g), max(t.end for _l, t in g)), {li: t.text for li, t in g}
        if cols and name == names[-1]:
            # The same header text in two neighbouring slots on every line: a merged cell printed in each
            # slot it covers ('本年处理决定数量' three times) is one column.
            cols[-1] = (cols[-1][0], span[1])
            continue
        cols.append(span)
        names.append(name)
    return cols


def _place(values: list[Token], cols: list[tuple[int, int]]) -> list[str]:
    """One cell per column: the value starting in it, or ''."""
    cells = [""] * len(cols)
    for t in values:
        j = max((k for k, (s, _e) in enumerate(cols) if s <= t.start), default=None)
        if j is None:
            raise NotAligned(f"{t.text!r} starts left of the first column")
        if j + 1 < len(cols) and t.end > cols[j + 1][0]:
            raise NotAligned(f"{t.text!r} runs into the next column")
        if cells[j]:
            raise NotAligned(f"two values ({cells[j]!r}, {t.text!r}) in one column")
        cells[j] = t.text
    return cells


def _lined_up(column_tokens: list[Token]) -> bool:
    """The numbers of one column share a position (flush left, flush right or centred)."""
    return max(t.start for t in column_tokens) < min(t.end for t in column_tokens)


@dataclass
class _Line:
    text: str
    toks: list[Token]
    data: bool  # holds a number


def _label_starts(ln: _Line) -> set[int]:
    return {t.start for t in ln.toks[: len(ln.toks) - len(_value_tokens(ln.toks))]}


def _heads_table_below(lines: list[_Line], i: int, label_starts: set[int]) -> bool:
    """Line ``i`` (no numbers) heads the table below it: one of its cells starts right of the next data
    line's row label, and not where a row label starts (a row whose cells are all blank prints its label
    alone: '3.其他' under '2.重复申请' is a row, not a header)."""
    nxt = next((ln for ln in lines[i + 1:] if ln.data), None)
    if nxt is None:
        return False
    label_end = _label_end(nxt.toks)
    starts = label_starts | _label_starts(nxt)
    return any(t.start >= label_end and t.start not in starts for t in lines[i].toks)


def _fits(line: _Line | None, cols: list[tuple[int, int]]) -> bool:
    """The line's numbers fall one to a column under ``cols``."""
    if line is None or not cols:
        return False
    try:
        _place(_value_tokens(line.toks), cols)
    except NotAligned:
        return False
    return True


def _rest_of_label(ln: _Line, row_line: _Line, row: list[str]) -> bool:
    """A line with no numbers, right below a row, that is the rest of the row's wrapped label: it starts
    under the row's own label (or under each copy of it, when merged labels are repeated), and
    ``continues_label`` (short, no sentence, opening no row of its own)."""
    own = [t for t in row_line.toks if not t.numeric]
    if not own or not continues_label(ln.toks[-1].text, row):
        return False
    starts = {t.start for t in own}
    return len({t.text for t in ln.toks}) == 1 and all(t.start in starts for t in ln.toks) \
        and ln.toks[-1].start == own[-1].start


@dataclass
class _Segment:
    """One table (or one article-20 item of table 二) under its header: its value columns."""

    cols: list[tuple[int, int]]
    labelled: bool  # its rows carry labels, so a label alone is a row of blank cells
    label_starts: set[int]
    by_col: dict[int, list[Token]]

    @property
    def value_start(self) -> int:
        return self.cols[0][0]


def _read(text: str, measure: str) -> list[Grid]:
    from pipelines.lib.read.extract.text import _FOOTER_RE

    lines: list[_Line | None] = []  # None: prose (ends a table)
    for ln in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        s = ln.strip(_SPACES)
        if not s or _FOOTER_RE.match(s):
            continue  # blank lines and page footers do not end a table
        toks = tokens(ln, measure)
        lines.append(None if _is_prose(ln, toks) else _Line(ln, toks, any(t.numeric for t in toks)))
    blocks: list[list[_Line]] = [[]]
    for ln in lines:
        if ln is None:
            blocks.append([])
        else:
            blocks[-1].append(ln)

    grids: list[Grid] = []
    rows: list[list[str]] = []

    def flush():
        nonlocal rows
        if rows:
            grids.append(Grid.from_texts(rows, origin=f"space-aligned text table {len(grids) + 1}"))
            rows = []

    segments: list[_Segment] = []
    for block in blocks:
        flush()
        seg: _Segment | None = None
        prev_row: _Line | None = None  # the line of the last row of the current table
        i = 0
        while i < len(block):
            ln = block[i]
            if seg is not None and seg.labelled:
                # Inside a table with row labels, a line without numbers is a header (of the next item or
                # table) only if it reaches over the value columns; in the label area it is a row.
                starts_table = not ln.data and any(t.start >= seg.value_start for t in ln.toks)
            else:
                starts_table = not ln.data and _heads_table_below(block, i, seg.label_starts if seg else set())
            if starts_table:
                # The header: this line and the next ones that also head the table below (or, under a
                # labelled table, reach over its value columns).
                prev_start = seg.value_start if seg is not None and seg.labelled else None
                j = i + 1
                while j < len(block) and not block[j].data and (
                        _heads_table_below(block, j, set())
                        or (prev_start is not None and any(t.start >= prev_start for t in block[j].toks))):
                    j += 1
                head = block[i:j]
                nxt = next((x for x in block[j:] if x.data), None)
                # Header cells right of the next data row's label name the columns. That row may belong to
                # a later table (every row of this one blank): if its numbers do not fit under the columns,
                # the table above says where labels end.
                label_end = _label_end(nxt.toks) if nxt else -1
                cols = _anchors([x.toks for x in head], label_end)
                if prev_start is not None and not _fits(nxt, cols):
                    cols = _anchors([x.toks for x in head], prev_start)
                if not cols:
                    raise NotAligned(f"a header without value columns: {head[0].text.strip()[:40]!r}")
                flush()
                seg = _Segment(cols, any(t.start < cols[0][0] for x in head for t in x.toks), set(), {})
                segments.append(seg)
                rows.extend([t.text for t in x.toks] for x in head)
                prev_row = None
                i = j
                continue
            if seg is None:
                rows.append([t.text for t in ln.toks])  # before any header: cells as printed
            elif ln.data:
                values = _value_tokens(ln.toks)
                labels = ln.toks[: len(ln.toks) - len(values)]
                seg.labelled = seg.labelled or bool(labels)
                seg.label_starts |= _label_starts(ln)
                for t in values:
                    seg.by_col.setdefault(max(k for k, (s0, _e) in enumerate(seg.cols) if s0 <= t.start)
                                          if t.start >= seg.value_start else -1, []).append(t)
                rows.append([t.text for t in labels] + _place(values, seg.cols))
            elif seg.labelled and prev_row is not None and _rest_of_label(ln, prev_row, rows[-1]):
                # The rest of the long label of the row above, wrapped onto a line of its own under it.
                k = own_label_index(rows[-1])
                rows[-1] = [*rows[-1][:k], rows[-1][k] + ln.toks[-1].text, *rows[-1][k + 1:]]
                i += 1
                continue
            elif seg.labelled:
                rows.append([t.text for t in ln.toks] + [""] * len(seg.cols))  # a row of blank cells
            else:
                rows.append([t.text for t in ln.toks])
            prev_row = ln if seg is not None else None
            i += 1
    flush()
    for seg in segments:
        for toks in seg.by_col.values():
            if not _lined_up(toks):
                raise NotAligned("the numbers of a column do not line up")
    return grids


def read_aligned_text(text: str) -> Extracted | None:
    """The tables of space-aligned text read by column positions, or None when they do not line up."""
    for measure in MEASURES:
        try:
            grids = _read(text, measure)
        except NotAligned:
            continue
        how = "display columns (a CJK character two wide)" if measure == "display" else "characters"
        return Extracted(text=text, grids=grids, warnings=[
            f"tables read by column positions: space-aligned text, its columns measured in {how}"])
    return None

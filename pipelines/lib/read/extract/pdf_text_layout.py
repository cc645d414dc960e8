"""Tables of a text PDF printed without ruling lines: rows and cells from word positions alone.

Used only when a PDF has no ruled table at all (the ruled reader in ``pdf.py`` is exact and comes
first). Without lines, a row is a band of words around a line that ends in numbers:

* words on one baseline form a line; a line of numbers takes the label lines printed just above
  and below it (a label wrapped over two lines sits around its vertically centred numbers), and the
  characters of a stacked group label (三 / 、/ 本 / 年 …) next to it;
* within a row, label words are grouped by column (x) and ordered left to right, so the row's own
  label is the rightmost one, as in a ruled grid; every number is its own cell;
* the value columns of tables 三 and 四 are anchored on their printed column headers (自然人 …
  总计; 结果维持 … 总计), so a row that prints fewer numbers than columns gets its blank cells where
  no number sits, and a row that prints none is a row of blanks; a table running on to the next
  page keeps its columns;
* a section heading (三、收到和处理… at the left margin, with no numbers) starts a new grid, so the
  tables come out as separate grids and a continuation page is a grid the interpreter joins.

The facts read from these grids are marked ``inferred`` (``text_positions``): without lines, a
cell's extent is a reading of the layout, not a printed boundary.
"""

from __future__ import annotations

import re
import statistics
import unicodedata
from collections.abc import Sequence

from pipelines.lib.harmonize.labels import is_subtotal_column_header, is_subtotal_row_label, proceeding_of
from pipelines.lib.harmonize.values import looks_numeric
from pipelines.lib.read.grid import Grid, GridCell

Word = tuple[float, float, float, float, str]  # x0, y0, x1, y1, text


class OcrText(str):
    """A word's text read by OCR, with the recogniser's confidence (the words of a scan without rules)."""

    conf: float

    def __new__(cls, text: str, conf: float) -> OcrText:
        obj = super().__new__(cls, text)
        obj.conf = conf
        return obj


def _joined(words: Sequence[Word]) -> str:
    """Words' texts joined; OCR'd words keep the lowest confidence among them."""
    text = "".join(w[4] for w in words)
    confs = [w[4].conf for w in words if isinstance(w[4], OcrText)]
    return OcrText(text, min(confs)) if confs else text

_HEADING_RE = re.compile(r"^[一二三四五六七八九十]+、")
# A label that opens a row: '3.', '（五）', '四、'. A wrapped label's later lines do not start so.
_ORDINAL_RE = re.compile(r"^(?:\d+\s*[.、．]|[（(][一二三四五六七八九十]+[)）]|[一二三四五六七八九十]+、)")
# Column headers that anchor the value columns, left to right: their first characters, so a narrow
# column that wraps its header anywhere ('商业企' / '业', '社会公' / '益组织') and one misread character of
# an OCR'd header ('结果刻正', '尚未审络') still anchor their columns.
_T3_HEADERS = ("自然", "商业", "科研", "社会", "法律", "其他", "总计")
_T4_HEADERS = ("结果", "其他结", "尚未", "总计")
# Table 三's own rows that open like section headings ('四、结转下年度继续办理').
_T3_ROW_WORDS = ("本年新收", "上年结转", "结转下年度", "本年度办理结果")


def _is_heading(line: list[Word]) -> bool:
    """'三、收到和处理政府信息公开申请情况': wherever it is indented, with no numbers, and not one of
    table 三's own rows that open the same way."""
    text = _join(line)
    return bool(_HEADING_RE.match(line[0][4])) and not _is_number_line(line) \
        and not any(k in text for k in _T3_ROW_WORDS)


def _level(text: str) -> str | None:
    """'sub' for a sub-row ordinal ('1.', '2、'), 'group' for a group one ('（三）', '四、'), else None."""
    m = _ORDINAL_RE.match(text)
    if m is None:
        return None
    return "sub" if m.group(0)[0].isdigit() else "group"


def _conflicts(line: list[Word], number_line: list[Word]) -> bool:
    """A line opening a sub-row ('1.属于国家秘密') never joins a row that has its own ordinal label; a
    group label ('（三）不予公开') joins a sub-row's numbers, not another group's."""
    if any(is_subtotal_row_label(w[4]) for w in number_line if not looks_numeric(w[4])):
        return True  # a 小计 row some agencies add is complete on its own line: no other label joins it
    if _proceeding(line) is not None and _proceeding(number_line) is not None:
        return True  # table 四 a row per proceeding: each proceeding's label is a row of its own
    mine = next((lv for w in line if (lv := _level(w[4]))), None)
    labels = [w for w in number_line if not looks_numeric(w[4])]
    theirs = {_level(w[4]) for w in labels} - {None}
    if mine == "sub" and theirs == {"group"}:
        # A group label spanning several sub-rows can sit on a sub-row's number line (the label is centred
        # on the group); if the rest of a wrapped sub-label stands right of it, the row is that sub-row's,
        # and its opening line ('2.申请人逾期…') joins it.
        group_x = max(w[0] for w in labels if _level(w[4]) == "group")
        return not any(w[0] > group_x and _level(w[4]) is None for w in labels)
    return (mine == "sub" and bool(theirs)) or (mine == "group" and "group" in theirs)


def _proceeding(line: list[Word]) -> str | None:
    return proceeding_of("".join(w[4] for w in line if not looks_numeric(w[4])))


def _stacked(line: list[Word]) -> bool:
    """Only single characters: a label printed one character per line ('三' / '、' / '本' …)."""
    return all(len(w[4]) == 1 and not looks_numeric(w[4]) for w in line)


def _cy(w: Word) -> float:
    return (w[1] + w[3]) / 2


def _cx(w: Word) -> float:
    return (w[0] + w[2]) / 2


def _lines(words: Sequence[Word], tol: float) -> list[list[Word]]:
    """Words on one baseline (y centres within ``tol``), top to bottom."""
    out: list[list[Word]] = []
    for w in sorted(words, key=_cy):
        if out and _cy(w) - _cy(out[-1][0]) <= tol:  # against the line's first word: no chaining
            out[-1].append(w)
        else:
            out.append([w])
    return [sorted(ln, key=lambda w: w[0]) for ln in out]


def _chained_lines(words: Sequence[Word], tol: float) -> list[list[Word]]:
    """Words on one line when each is within ``tol`` of the next by height: the numbers of one row stay
    together across a wide table even when the page is not quite level (rows are further apart than that)."""
    out: list[list[Word]] = []
    for w in sorted(words, key=_cy):
        if out and _cy(w) - _cy(out[-1][-1]) <= tol:
            out[-1].append(w)
        else:
            out.append([w])
    return [sorted(ln, key=lambda w: w[0]) for ln in out]


def _is_number_line(line: list[Word]) -> bool:
    return looks_numeric(line[-1][4]) and any(looks_numeric(w[4]) for w in line)


def _label_cells(words: list[Word], gap: float) -> list[str]:
    """Label words grouped into columns by x (a new column where a word starts more than ``gap``
    right of the column's words), each column read top to bottom, left to right."""
    cols: list[list[Word]] = []
    for w in sorted(words, key=lambda w: w[0]):
        if cols and w[0] <= max(v[0] for v in cols[-1]) + gap:
            cols[-1].append(w)
        else:
            cols.append([w])
    return [_joined(sorted(col, key=lambda v: (round(_cy(v)), v[0]))) for col in cols]


def _x_clusters(xs: Sequence[float], tol: float = 4.0) -> list[float]:
    """Mean of each run of x centres closer than ``tol``: the lines of one wrapped header ('社会公益' /
    '组织') share a column."""
    cols: list[list[float]] = []
    for x in sorted(xs):
        if cols and x - cols[-1][-1] < tol:
            cols[-1].append(x)
        else:
            cols.append([x])
    return [sum(c) / len(c) for c in cols]


def _anchors(words: Sequence[Word], keys: tuple[str, ...], n: int, before_y: float) -> list[float] | None:
    """x centres of ``n`` value columns from header words above ``before_y`` starting with ``keys``."""
    cols = _x_clusters([_cx(w) for w in words if _cy(w) < before_y
                        and unicodedata.normalize("NFKC", w[4]).startswith(keys)])
    return cols if len(cols) == n else None


def _join_wrapped_numbers(words: Sequence[Word], lines: list[list[Word]], h: float) -> list[Word] | None:
    """A number too wide for its cell wraps inside it ('１５' over '５'): the two parts stand one line apart in
    the same column, and either one of them stands on a line with no row label or the two straddle a line
    of the row's other numbers (a wrapped label beside them). They are one number, at the height between
    them (where the row's other cells are). ``lines``: the words' lines; None when nothing is joined."""
    # A stacked group label's single characters (三 / 、/ 本 …) share lines with anything: not a row's label.
    labelled = [any(not looks_numeric(w[4]) and len(w[4].strip()) > 1 for w in ln) for ln in lines]
    line_of = {id(w): k for k, ln in enumerate(lines) for w in ln}
    nums = sorted((w for w in words if looks_numeric(w[4]) and w[4].strip()), key=_cy)
    # Heights of lines holding a row's other numbers: a wrapped number straddles its row's line. One number
    # is enough (zeros left blank leave a row with its total alone, beside a 备注 word).
    row_heights = [(k, _cy(ln[0])) for k, ln in enumerate(lines) if any(looks_numeric(w[4]) for w in ln)]
    joined: dict[int, Word] = {}
    gone: set[int] = set()
    for i, a in enumerate(nums):
        if id(a) in gone:
            continue
        for b in nums[i + 1:]:
            dy = _cy(b) - _cy(a)
            if dy > 1.2 * h:
                break
            if dy < 0.5 * h or id(b) in gone or min(a[2], b[2]) - max(a[0], b[0]) <= 0.5 * min(a[2] - a[0], b[2] - b[0]):
                continue
            la, lb = line_of[id(a)], line_of[id(b)]
            mid = (_cy(a) + _cy(b)) / 2
            if not (labelled[la] and labelled[lb]) or any(abs(y - mid) <= 0.3 * h for k, y in row_heights
                                                           if k not in (la, lb)):
                top = joined.get(id(a), a)
                joined[id(a)] = (min(top[0], b[0]), top[1], max(top[2], b[2]), b[3], top[4] + b[4])
                gone.add(id(b))
                break
    if not joined:
        return None
    return [joined.get(id(w), w) for w in words if id(w) not in gone]


def _t3_anchors(words: Sequence[Word], before_y: float) -> tuple[list[float] | None, int | None]:
    """Table 三's value columns from its header, and the index among them of a 小计 column (None: none).

    Some agencies add a 小计 column among the 法人或其他组织 columns: it is anchored like the others so the
    requester columns stay where they are, and its cells are set aside (it has no code)."""
    # The 小计 header stands right of the 自然人 column; a 小计 row label further left is not one.
    key_x = [_cx(w) for w in words if _cy(w) < before_y and unicodedata.normalize("NFKC", w[4]).startswith(_T3_HEADERS)]
    subs = [w for w in words if _cy(w) < before_y and is_subtotal_column_header(w[4])
            and key_x and _cx(w) > min(key_x)]
    if len(subs) == 1:
        header = [w for w in words if not is_subtotal_column_header(w[4]) or w is subs[0]]
        with_sub = _anchors(header, (*_T3_HEADERS, "小计"), 8, before_y)
        if with_sub is not None:
            return with_sub, min(range(8), key=lambda i: abs(with_sub[i] - _cx(subs[0])))
    return _anchors(words, _T3_HEADERS, 7, before_y), None


def _t2_headers(lines: list[list[Word]], h: float) -> dict[int, tuple[set[int], list[float]]]:
    """Table 二's block headers: line of '信息内容' -> (the header's lines, x centres of its value columns).

    Column titles wrap ('本年新' / '制作数量'), so the lines within a line height of '信息内容' count too.
    """
    out: dict[int, tuple[set[int], list[float]]] = {}
    for i, ln in enumerate(lines):
        key = next((w for w in ln if w[4].startswith("信息内容")), None)
        if key is None or _is_number_line(ln):
            continue
        used = {k for k, other in enumerate(lines)
                if abs(_cy(other[0]) - _cy(key)) <= 1.3 * h and not _is_number_line(other) and not _is_t2_title(other)}
        cols = _x_clusters([_cx(w) for k in used for w in lines[k] if w[0] > key[2]])
        if cols:
            out[i] = (used, cols)
    return out


def _is_t2_title(line: list[Word]) -> bool:
    return any(w[4].startswith("第二十条") for w in line)


def _place(nums: list[Word], cols: list[float]) -> list[str] | None:
    """Numbers in their columns, '' where none sits; None if they do not sit under the columns."""
    half = min((b - a for a, b in zip(cols, cols[1:], strict=False)), default=20.0) / 2
    slots = [""] * len(cols)
    for w in nums:
        k = min(range(len(cols)), key=lambda c: abs(cols[c] - _cx(w)))
        if abs(cols[k] - _cx(w)) > half or slots[k]:
            return None
        slots[k] = w[4]
    return slots


def _label_lines_of_rows(lines: list[list[Word]], numbered: list[int], fixed: set[int], h: float) -> dict[int, int]:
    """Label line -> the line of numbers whose row it belongs to.

    The lines of a wrapped label sit close to their numbers (which are centred in the cell); rows are
    further apart. A label wrapped over three lines with generous spacing has its first and last lines
    further away, one above and one below at the same distance. ``fixed`` lines (headings, table-二
    titles and headers) belong to no row.
    """
    owner: dict[int, int] = {}
    numbered_set = set(numbered)
    # A number line's height is its own label's (the rightmost label word, the middle line of a wrapped
    # label), else its numbers': a group label centred on several rows can share the line while sitting
    # off its baseline, and it comes first.
    row_y = {k: _cy(next((w for w in reversed(lines[k]) if not looks_numeric(w[4])),
                         next(w for w in lines[k] if looks_numeric(w[4])))) for k in numbered}
    for i, ln in enumerate(lines):
        if i in numbered_set or i in fixed or not numbered:
            continue
        d, j = min((abs(row_y[k] - _cy(ln[0])), k) for k in numbered)
        if d <= 1.3 * h and not _conflicts(ln, lines[j]):
            owner[i] = j
    taken = numbered_set | set(owner)
    members: dict[int, list[int]] = {}
    for k, j in owner.items():
        members.setdefault(j, []).append(k)
    for j in numbered:
        # stacked characters of a group label (one per line) are not label lines of this row
        above = next((k for k in range(j - 1, -1, -1) if owner.get(k) != j and not _stacked(lines[k])), None)
        below = next((k for k in range(j + 1, len(lines)) if owner.get(k) != j and not _stacked(lines[k])), None)
        if above is None or below is None or {above, below} & (taken | fixed):
            continue
        da, db = row_y[j] - _cy(lines[above][0]), _cy(lines[below][0]) - row_y[j]
        band = lines[j] + [w for k in members.get(j, []) for w in lines[k]]  # its label so far
        if max(da, db) <= 2.4 * h and abs(da - db) <= 0.4 * h and \
                not any(_conflicts(lines[k], band) for k in (above, below)):
            owner[above] = owner[below] = j
            taken |= {above, below}
    return owner


def _blank_row_lines(lines: list[list[Word]], numbered: list[int], owner: dict[int, int], fixed: set[int],
                     h: float) -> dict[int, int]:
    """Continuation line -> first line of a row that prints no number at all: the next line starts in
    the same column, close below, and does not open a row of its own (no ordinal)."""
    head_of: dict[int, int] = {}
    numbered_set = set(numbered)
    for i in range(1, len(lines)):
        if i in owner or i in numbered_set or i in fixed or i - 1 in numbered_set or i - 1 in fixed:
            continue
        head = head_of.get(i - 1, i - 1)
        if (head not in owner and not any(_ORDINAL_RE.match(w[4]) for w in lines[i])
                and any(abs(lines[i][0][0] - w[0]) < h for w in lines[i - 1])
                and _cy(lines[i][0]) - _cy(lines[i - 1][0]) <= 1.6 * h):
            head_of[i] = head
    return head_of


def _section_rows(words: Sequence[Word], h: float, cols: list[float] | None,
                  numbers_apart: bool = False,
                  subtotal: int | None = None) -> tuple[list[list[str]], list[float] | None, int | None]:
    """A section's rows of cells, table 三's value columns and the index among them of a 小计 (subtotal)
    column set aside (both for the next page's continuation)."""
    if numbers_apart:
        # Numbers and labels form their lines apart; a label line joins its row's numbers below.
        lines = sorted(_chained_lines([w for w in words if looks_numeric(w[4])], 0.45 * h)
                       + _lines([w for w in words if not looks_numeric(w[4])], 0.45 * h), key=lambda ln: _cy(ln[0]))
    else:
        lines = _lines(words, 0.45 * h)
        if (joined := _join_wrapped_numbers(words, lines, h)) is not None:
            words, lines = joined, _lines(joined, 0.45 * h)
    numbered = [i for i, ln in enumerate(lines) if _is_number_line(ln)]
    t2_headers = _t2_headers(lines, h)
    if not numbered and not t2_headers:
        if _anchors(words, _T4_HEADERS, 15, float("inf")):  # table 四 printed with every cell empty
            return [[_join(ln)] for ln in lines] + [[""] * 15], cols, subtotal
        if _anchors(words, _T4_HEADERS, 5, float("inf")):  # the same, a row per proceeding
            head = max(_cy(w) for w in words if unicodedata.normalize("NFKC", w[4]).startswith(_T4_HEADERS))
            return [_label_cells(ln, 2 * h) + ([""] * 5 if _cy(ln[0]) > head + 0.5 * h else []) for ln in lines], \
                cols, subtotal
        t3, here = _t3_anchors(words, float("inf"))
        if t3 is not None:
            # Table 三's header with no number under it: at the foot of a page (its rows on the next), or a
            # table whose every cell is zero and left blank. Lines below the header are rows of blank cells
            # (a wrapped label's other line, matching no row, is passed over by the interpreter).
            keys = (*_T3_HEADERS, "小计")
            left = t3[0] - (t3[1] - t3[0]) / 2  # a 小计 row label stands left of the value columns
            head = max(_cy(w) for w in words if unicodedata.normalize("NFKC", w[4]).startswith(keys) and _cx(w) > left)
            width = len(t3) - (here is not None)
            return [_label_cells(ln, 2 * h) + ([""] * width if _cy(ln[0]) > head + 0.5 * h else [])
                    for ln in lines], t3, here
        if cols is not None:
            # Table 三 carried over from the page before, with nothing printed in any cell here.
            width = len(cols) - (subtotal is not None)
            return [_label_cells(ln, 2 * h) + [""] * width for ln in lines], cols, subtotal
        return [], cols, subtotal  # prose: no table here
    first_y = _cy(lines[numbered[0]][0]) if numbered else float("inf")
    t3, here = _t3_anchors(words, first_y)
    if t3 is not None:
        subtotal = here
    # Table 四 as one row of fifteen, or a row per proceeding (five result columns).
    t4 = _anchors(words, _T4_HEADERS, 15, first_y) or _anchors(words, _T4_HEADERS, 5, first_y)
    cols = t3 or (None if t4 else cols)
    width_cols = t4 or cols
    # Header lines end with the column headers' lowest line (rows of blank cells may follow them before
    # the first number, e.g. at the top of a page that repeats the header); a continuation page without
    # a header has none.
    keys = _T3_HEADERS if t3 else _T4_HEADERS
    header_y = (max(_cy(w) for w in words if _cy(w) < first_y and unicodedata.normalize("NFKC", w[4]).startswith(keys))
                + 0.5 * h) if (t3 or t4) else float("-inf")
    header_lines = {k for used, _ in t2_headers.values() for k in used}
    numbered_set = set(numbered)
    # With numbers apart, '一、本年新收…' is a line of its own: a row's label, not a heading.
    heading = _is_heading if numbers_apart else (lambda ln: _HEADING_RE.match(ln[0][4]))
    fixed = header_lines | {i for i, ln in enumerate(lines) if heading(ln) and i not in numbered_set
                            or _is_t2_title(ln)}
    if t4 is not None and len(t4) == 5:
        # A table 四 a row per proceeding has one header line, close above the first row: it is the
        # header's, not a wrapped label of that row.
        fixed |= {i for i, ln in enumerate(lines) if i not in numbered_set and _cy(ln[0]) < header_y}
    if t3 is not None and len(t3) > 1:
        # Above the first number, a line with words only over the value columns is the tail of a wrapped
        # column title ('组织' / '机构' under 社会公益 / 法律服务), not a wrapped label of the first row.
        left = t3[0] - (t3[1] - t3[0]) / 2
        fixed |= {i for i, ln in enumerate(lines) if i not in numbered_set and _cy(ln[0]) < first_y
                  and all(_cx(w) >= left for w in ln)}
    owner = _label_lines_of_rows(lines, numbered, fixed, h)
    blank_rows = _blank_row_lines(lines, numbered, owner, fixed, h)
    joined: dict[int, list[int]] = {}  # row's first line -> the other lines of its band
    for k, j in [*owner.items(), *blank_rows.items()]:
        joined.setdefault(j, []).append(k)
    out: list[list[str]] = []
    t2_cols: list[float] | None = None
    for i, ln in enumerate(lines):
        if i in t2_headers:
            t2_cols = t2_headers[i][1]
        elif _is_t2_title(ln):
            t2_cols = None  # the next block's header follows
        if i in header_lines:
            out.append(_label_cells(ln, 2 * h))
            continue
        if i in owner or i in blank_rows:
            continue
        band = list(ln) + [w for k in sorted(joined.get(i, [])) for w in lines[k]]
        labels = [w for w in band if not looks_numeric(w[4])]
        nums = sorted((w for w in band if looks_numeric(w[4])), key=lambda w: w[0])
        cols_here = t2_cols if t2_cols and labels else width_cols
        if cols_here and len(cols_here) > 1 and _cy(ln[0]) > header_y - 0.5 * h:
            # A 'number' left of the first value column sits among the labels (a stacked character OCR read
            # as a digit): it is part of the label, not a value of the row.
            left = cols_here[0] - (cols_here[1] - cols_here[0]) / 2
            labels += [w for w in nums if _cx(w) < left]
            nums = [w for w in nums if _cx(w) >= left]
        cells = _label_cells(labels, 2 * h)
        # A row short of numbers gets its blank cells where no number sits under a column.
        slots = None
        if t2_cols and labels and len(nums) < len(t2_cols):
            slots = _place(nums, t2_cols)
        elif width_cols and (labels or width_cols is t4) and _cy(ln[0]) > header_y - 0.5 * h \
                and len(nums) < len(width_cols):
            slots = _place(nums, width_cols)
        values = slots if slots is not None else [w[4] for w in nums]
        if subtotal is not None and width_cols is cols and len(values) == len(cols or []):
            values = values[:subtotal] + values[subtotal + 1:]
        out.append(cells + values)
    return out, cols, subtotal


def _join(line: list[Word]) -> str:
    return _joined(line)


def _remark_cut(words: Sequence[Word]) -> float | None:
    """Where a trailing 备注 (remarks) column starts: between the rightmost 总计 header and the 备注 header
    right of it. Its words (the header, remarks such as 含转办件 or 无) are not the table's cells."""
    remark = [w for w in words if unicodedata.normalize("NFKC", w[4]).strip() == "备注"]
    if not remark:
        return None
    r = min(remark, key=lambda w: w[0])
    totals = [w for w in words if w[4].startswith("总计") and w[2] < r[0]]
    return (max(w[2] for w in totals) + r[0]) / 2 if totals else None


def text_layout_grids(pages: Sequence[tuple[int, Sequence[Word]]], *, numbers_apart: bool = False) -> list[Grid]:
    """Every page's words as grids, one per section; table 三's columns carry over page breaks, and so
    does a trailing 备注 column, whose words are set aside.

    ``numbers_apart`` (OCR'd words): numbers and labels are put on lines of their own kind first. An OCR
    word box is its ink, not a font box, and a page is never quite level: a number centred between a
    wrapped label's two lines can sit nearer one of them than a text layer would put it, while the
    numbers of one row always share a baseline."""
    grids: list[Grid] = []
    cols: list[float] | None = None
    subtotal: int | None = None
    cut: float | None = None
    for page_no, words in pages:
        if not words:
            continue
        h = statistics.median(w[3] - w[1] for w in words)
        sections: list[list[Word]] = [[]]
        headed = [False]  # the section opens with a heading: a new table, not a continuation
        for ln in _lines(words, 0.45 * h):
            if _is_heading(ln):
                if sections[-1]:
                    sections.append([])
                    headed.append(True)
                else:
                    headed[-1] = True
            sections[-1].extend(ln)
        for k, sec in enumerate(sections):
            here = _remark_cut(sec)
            cut = here if here is not None else (None if headed[k] else cut)
            if cut is not None:
                sec = [w for w in sec if w[0] < cut]
            rows, cols, subtotal = _section_rows(sec, h, None if headed[k] else cols, numbers_apart,
                                                 None if headed[k] else subtotal)
            if rows:
                grids.append(Grid([[GridCell(t, conf=getattr(t, "conf", None)) for t in row] for row in rows], [],
                                  f"pdf page {page_no} text layout {k + 1}"))
    return grids

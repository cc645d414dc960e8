"""Markdown written by PDF->markdown converters: tables 二/三/四 pieced back together.

Such converters break one printed table into many md tables, drop row labels (the label
floats into a prose line elsewhere, or is lost), put page footers ('— 5 —') and stray
digits between rows, and pad rows with empty cells. What stays reliable is (a) the order
of the rows and (b) the cells inside one md row. Table 三 is therefore rebuilt from its
number rows in printed order: a row whose own label names a code is an anchor; rows
without a usable label take the codes missing between the anchors around them, but only
when the count makes that reading the only one. Anything else is rejected as ambiguous.

Inside a row, the seven (table 四: fifteen) value cells are the ones after the label with only
empty cells outside them: pads after, or the empty slots a merged label leaves before. Where a row's
blank cells fit several placements, the layout the table's other rows show and the row's own sum
decide; what they leave open is listed (unresolved_rows), not guessed. Zeros printed as empty cells
make rows of empty cells: they are rows of the table, except above its first row (the header) and
where the header is printed again at the top of a continuation. Generated variations of all this:
samplegen/render_md.py, docs/variations.md.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from pipelines.lib.codes import load_codes
from pipelines.lib.harmonize.labels import T2_2019_PHRASES, T2_2021_PHRASES, match_request_row, match_t2_row
from pipelines.lib.harmonize.normalize import nfkc, normalize_label
from pipelines.lib.harmonize.values import UnreadableCell, looks_numeric, parse_cell
from pipelines.lib.model import DocumentRejected, UnresolvedRow
from pipelines.lib.read.decode import decode_bytes
from pipelines.lib.read.extract import Extracted
from pipelines.lib.read.grid import Grid, GridCell

T3_WIDTH = 7
T4_WIDTH = 15
_NUM = r"[一二三四五六七八九十]+"
_T2_HEAD = re.compile(rf"^{_NUM}、主动公开政府信息情况$")
_T3_HEAD = re.compile(rf"^{_NUM}、收到和处理政府信息公开申请情况$")
_T4_HEAD = re.compile(rf"^{_NUM}、.{{0,20}}行政复议.{{0,6}}行政诉讼.{{0,4}}情况$")
_SEPARATOR = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?$")
_CELL_BREAK = re.compile(r"<br\s*/?>", re.I)  # a line break inside a printed cell (its text goes on)
_TITLE = re.compile(r"(19|20)\d{2}年.{2,40}?(政府信息公开|政务公开)(工作)?年度报告")
# A prose line 'label number(s)' such as '行政许可 97' (table 二 rows that lost their table).
# Digits and their marks in either width ('３５５２．０６').
_LABEL_NUMBERS = re.compile(r"^(?P<label>[^\d\s|][^\d|]{1,24}?)\s*"
                            r"(?P<nums>[-+－]?\d[\d,，]*(?:[.．]\d+)?(?:万元|元)?"
                            r"(?:\s+[-+－]?\d[\d,，]*(?:[.．]\d+)?(?:万元|元)?)*)$")


@dataclass
class _Line:
    no: int  # 1-based line number, for messages
    text: str
    cells: list[str] | None  # the cells of an md table row, else None
    starts_table: bool = False  # an md table's first row (a separator row follows it)


@dataclass
class _NumberRow:
    line: int
    labels: list[str]
    values: list[str]
    code: str | None  # from the row's own label; None when the label is missing or unusable
    doubt: list[int] = field(default_factory=list)  # value columns the row's placements disagree on
    readings: list[str] = field(default_factory=list)  # those placements, as printed ('/'-joined)


def _squash(s: str) -> str:
    return re.sub(r"\s+", "", nfkc(s))


def _split_lines(text: str) -> list[_Line]:
    out = []
    raw_lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for i, raw in enumerate(raw_lines, start=1):
        s = raw.strip()
        if s.startswith("|") and not _SEPARATOR.match(s):
            body = s[1:-1] if s.endswith("|") and len(s) > 1 else s[1:]
            first = i < len(raw_lines) and bool(_SEPARATOR.match(raw_lines[i].strip()))
            out.append(_Line(i, s, [_CELL_BREAK.sub("", c).strip() for c in body.split("|")], first))
        elif not _SEPARATOR.match(s):
            out.append(_Line(i, s, None))
    return out


@dataclass
class _Cells:
    """An md row cut into its label cells and its ``width`` value cells."""

    labels: list[str]  # the non-empty label cells, outermost first
    values: list[str] | None  # None: no placement (too few cells) or several (``options``)
    filled: bool  # some value cell prints something
    run: int  # cells after the label (values, empty slots and pads)
    options: list[tuple[int, list[str]]] = field(default_factory=list)  # (empty cells before, values)

    @property
    def ambiguous(self) -> bool:
        return len(self.options) > 1

    @property
    def slack(self) -> tuple[int, int] | None:
        """(empty cells before, after) the values of a row placed in one way only."""
        if self.values is None or len(self.options) != 1:
            return None
        lead = self.options[0][0]
        return lead, self.run - lead - len(self.values)


def _value_cells(cells: list[str], width: int) -> _Cells:
    """The row's label cells and its ``width`` value cells.

    Converters pad a row with empty cells up to the widest row of its md table, and a merged label cell
    leaves empty slots between the label and the numbers (``| （一）予以公开 |  | 9 | …``). Both are empty
    strings around the value cells; a printed blank mark ('—', '无') is never one of them. So the values are
    the ``width`` cells after the label whose outside neighbours are all empty: where only one such window
    exists (always, when the 总计 at the row's end is printed) it is the row; where several fit (blank cells
    next to the empty slots or pads) the row alone does not say (``_t3_number_rows`` asks the table). A
    genuinely empty last cell with nothing after it (stcsm-2024's carried-forward 总计) keeps its position.
    """
    k = len(cells)
    while k > 0 and looks_numeric(cells[k - 1]):
        k -= 1
    labels, run = [c for c in cells[:k] if c], cells[k:]
    filled = any(c for c in run)
    options = [(o, run[o:o + width]) for o in range(len(run) - width + 1)
               if not any(run[:o]) and not any(run[o + width:])]
    if len({tuple(w) for _o, w in options}) == 1:
        return _Cells(labels, options[0][1], filled, len(run), options[:1])
    return _Cells(labels, None, filled, len(run), options)


# Header cells of table 三's requester columns: a header row ending in them is not a row of blank cells.
_HEADER_WORDS = {"申请人情况", "自然人", "法人或其他组织", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"}
# Table 三's row labels are numbered (一、 （一） 1. 1、), its header cells never are.
_ORDINAL = re.compile(r"^(?:[一二三四五六七八九十]+[、.]|\([一二三四五六七八九十]+\)|\d+[、.])")


def _is_header_word(cell: str) -> bool:
    return normalize_label(cell, keep_ordinals=True) in _HEADER_WORDS


# Everything table 三's header prints; converters break it into pieces ('| 业 | 构 | 益组织 | 务机构 |').
_HEADER_TEXT = [normalize_label(t, keep_ordinals=True) for t in (
    *_HEADER_WORDS, "本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和")]


def _is_row_label(labels: list[str]) -> bool:
    """Label cells of a row of table 三 rather than of a header row: the innermost names a row, or one is
    numbered (a label cut to its first line, '4.保护第三方合法权', still starts with its number)."""
    if not labels or _is_header_word(labels[-1]):
        return False
    return _row_code(labels) is not None or any(_ORDINAL.match(_squash(c)) for c in labels)


def _header_like(labels: list[str]) -> bool:
    """Every label cell is (a piece of) a header cell's words and none is a row label."""
    norm = [normalize_label(c, keep_ordinals=True) for c in labels]
    return (not _is_row_label(labels)
            and all(any(n in h for h in _HEADER_TEXT) for n in norm if n))


def _row_code(labels: list[str]) -> str | None:
    """Code named by a row's own label cells (innermost first); '3.其他' only exists under （六）.

    A label cut short by the conversion can read '其他' under another number ('2.其他' of
    2.其他法律行政法规禁止公开, the group piece '（六）其他'): only '其他' alone or numbered 3 is the row 3.其他.
    """
    for cell in reversed(labels):
        if normalize_label(cell) == "其他":
            if normalize_label(cell, keep_ordinals=True) in ("其他", "3其他"):
                return "other_other"
            continue
        code = match_request_row(cell)
        if code:
            return code
    return None


def _find(lines: list[_Line], start: int, pred: Callable[[_Line], bool]) -> int | None:
    return next((i for i in range(start, len(lines)) if pred(lines[i])), None)


def _heading_text(ln: _Line) -> str:
    """A prose line as a heading reads: no spaces, no markdown '#' marks ('## 三、收到和处理…')."""
    return _squash(ln.text).lstrip("#")


def _is_prose_heading(pattern: re.Pattern[str]) -> Callable[[_Line], bool]:
    return lambda ln: ln.cells is None and bool(pattern.match(_heading_text(ln)))


def _title(lines: list[_Line]) -> str | None:
    """The title, which converters break over two or three lines ('2025 年…政府信息公开' / '工作年度报告')."""
    head = [_squash(ln.text) for ln in lines[:12] if ln.cells is None and ln.text]
    for i in range(len(head)):
        joined = ""
        for j in range(i, min(i + 3, len(head))):
            joined += head[j]
            m = _TITLE.search(joined)
            if m and m.start() == 0:
                return joined[: m.end()]
    return None


def _title_year(lines: list[_Line]) -> int | None:
    title = _title(lines)
    m = re.match(r"((?:19|20)\d{2})年", title or "")
    return int(m.group(1)) if m else None


# ---- table 三 --------------------------------------------------------------------------------------

def _t3_number_rows(lines: list[_Line]) -> list[_NumberRow]:
    rows = []
    cuts = [(ln, _value_cells(ln.cells, T3_WIDTH)) for ln in lines if ln.cells is not None]
    # How this converter lays out a row, as the rows placed in one way only show it: the numbers right
    # after the label and pads after them (left-packed), or the numbers ending the row after empty slots
    # (the table's grid). A row whose blank cells fit several placements is read by that layout, when the
    # table shows only one.
    layouts: set[str] = set()
    for _ln, c in cuts:
        if c.filled and c.slack:
            lead, trail = c.slack
            layouts |= ({"packed"} if trail else set()) | ({"grid"} if lead else set())
    # Zeros printed as empty cells make a row of seven empty cells, which a header row padded with empty
    # cells also is. Header rows stand above the table's first row, in the header's own words (or pieces of
    # them); once the rows have begun, a row of empty cells is a row of the table unless it repeats one of
    # those header rows (the header printed again on a continuation page). A row that prints nothing at all
    # (its label lost too) is a row; anything shorter than seven cells is not.
    header_rows: set[tuple[str, ...]] = set()
    at_top = False  # among the first rows of an md table, where a header printed again stands
    for ln, cut in cuts:
        labels = cut.labels
        at_top = at_top or ln.starts_table
        if not cut.filled:
            key = tuple(_squash(c) for c in labels)
            if not rows and labels and _header_like(labels):
                header_rows.add(key)
                continue
            if at_top and labels and key in header_rows:
                continue  # this document's header, printed again at the top of a continuation
            at_top = False
            if cut.run < T3_WIDTH:
                continue
            rows.append(_NumberRow(ln.no, labels, [""] * T3_WIDTH, _row_code(labels)))
            continue
        at_top = False
        if cut.ambiguous:
            rows.append(_placed_row(ln.no, labels, cut, layouts))
            continue
        if cut.values is None:
            raise DocumentRejected(
                "parse", "ambiguous_cells",
                f"Table 三, line {ln.no}: the row {' '.join(labels) or '(no label)'} has {cut.run} number "
                f"cells where the table has {T3_WIDTH}, so its cells cannot be placed in their columns.")
        values = cut.values
        rows.append(_NumberRow(ln.no, labels, values, _row_code(labels)))
    return rows


def _keeps_r3(values: list[str]) -> bool:
    """总计 equals the sum of the six requester columns (blank cells count 0)."""
    try:
        nums = [parse_cell(v).value for v in values]
    except UnreadableCell:
        return False
    return abs(sum(nums[:-1]) - nums[-1]) < 1e-9


def _placed_row(line: int, labels: list[str], cut: _Cells, layouts: set[str]) -> _NumberRow:
    """A row whose numbers stand between empty cells that fit several placements of its seven columns.

    Two things a careful reader uses settle it: how this converter lays out rows, as the table's other rows
    show (the numbers right after the label with pads after them, or ending the row after empty slots), and
    the row's own sum (总计 = the six columns). Where both speak they must agree; a misprinted row keeps no
    placement's sum and is read by the layout alone. One reading left is the row; several (or a conflict)
    leave the columns they disagree on in doubt: listed, not loaded.
    """
    options = [w for _o, w in cut.options]
    layout = next(iter(layouts)) if len(layouts) == 1 else None
    by_layout = [w for o, w in cut.options
                 if (layout == "packed" and o == 0) or (layout == "grid" and o + T3_WIDTH == cut.run)]
    keeping = [w for w in options if _keeps_r3(w)]
    if by_layout and keeping:
        options = [w for w in by_layout if w in keeping] or options  # disagreeing: neither is taken
    else:
        options = by_layout or keeping or options
    distinct = list(dict.fromkeys(tuple(w) for w in options))
    doubt = [k for k in range(T3_WIDTH) if len({w[k] for w in distinct}) > 1]
    values = [distinct[0][k] if k not in doubt else "" for k in range(T3_WIDTH)]
    readings = ["/".join(v or "-" for v in w) for w in distinct] if doubt else []
    return _NumberRow(line, labels, values, _row_code(labels), doubt, readings)


def _assign(rows: list[_NumberRow], order: list[str]) -> list[str] | str:
    """Codes of ``rows`` under the printed ``order``, or a sentence saying why the reading is not unique.

    Proof of uniqueness: labelled rows (anchors) must appear in strictly increasing printed order; in
    each gap between two anchors (or the table's ends) the unlabelled rows must be exactly as many as
    the codes missing there. An order-preserving one-to-one map of k rows onto k codes is unique; with
    fewer rows than codes several maps exist, and with more rows one of them is not a row of the table.
    """
    pos = {c: i for i, c in enumerate(order)}
    codes: list[str | None] = []
    for r in rows:
        if r.code == "other_total" and r.code not in pos:
            codes.append(None)  # 2021 layout: only the group label （六）其他处理 survived on a sub-row
        elif r.code is not None and r.code not in pos:
            return f"line {r.line}: row {r.code} does not belong to this layout"
        else:
            codes.append(r.code)
    if all(c is not None for c in codes):
        return [c for c in codes if c]  # nothing to infer: every row says what it is
    anchors = [(k, pos[c]) for k, c in enumerate(codes) if c is not None]
    for (_, a), (k, b) in zip(anchors, anchors[1:], strict=False):
        if b <= a:
            return f"line {rows[k].line}: labelled rows are out of printed order ({codes[k]} after {order[a]})"
    bounds = [(-1, -1)] + anchors + [(len(rows), len(order))]
    for (k0, p0), (k1, p1) in zip(bounds, bounds[1:], strict=False):
        unlabelled = list(range(k0 + 1, k1))
        missing = order[p0 + 1: p1]
        if not unlabelled:
            continue  # rows simply not printed: reported as missing later, nothing to guess
        if len(unlabelled) != len(missing):
            r = rows[unlabelled[0]]
            after = order[p0] if p0 >= 0 else "the start of the table"
            return (f"the number row '{' '.join(r.values)}' on line {r.line} is one of {len(unlabelled)} row(s) "
                    f"without a usable label after {after}, while {len(missing)} row(s) "
                    f"({', '.join(missing) or 'none'}) are missing there")
        for k, code in zip(unlabelled, missing, strict=True):
            codes[k] = code
    return [c for c in codes if c is not None]


def _t3_grid(lines: list[_Line], unresolved: list[UnresolvedRow]) -> tuple[Grid | None, list[tuple[str, int]]]:
    """Table 三's grid and the rows whose code was placed by printed order (label lost); rows read in part
    are added to ``unresolved``."""
    rows = _t3_number_rows(lines)
    if not rows:
        return None, []
    codes = load_codes()
    labelled = {r.code for r in rows if r.code}
    if labelled & {"other_no_correction", "other_unpaid_fee", "other_other"}:
        layouts = [True]
    else:
        # No （六） sub-row names itself: the 2019 row （六）其他处理, or the 2021 group label left on a sub-row
        # whose own label was lost; only one layout may fit.
        layouts = [True, False]
    readings = {}
    reasons = []
    for split in layouts:
        got = _assign(rows, codes.request_rows_for("2021" if split else "2019", split))
        if isinstance(got, str):
            reasons.append(got)
        else:
            readings[split] = got
    if len({tuple(r) for r in readings.values()}) != 1:
        # Both layouts may fit only when they give the same reading (no （六） row was guessed).
        why = "; ".join(reasons) if not readings else "both the 2019 and 2021 （六） layouts fit"
        raise DocumentRejected("parse", "ambiguous_cells",
                               f"Table 三's rows cannot be matched to their labels in only one way: {why}.")
    assigned = next(iter(readings.values()))
    placed = [(code, r.line) for r, code in zip(rows, assigned, strict=True) if r.code != code]
    cols = list(codes.requester_types)
    for r, code in zip(rows, assigned, strict=True):
        if r.doubt:
            label = " ".join(r.labels) or "(label lost)"
            in_doubt = [cols[k] for k in r.doubt]
            unresolved.append(UnresolvedRow(
                "T3", code, label, " | ".join(r.readings), "ambiguous_cells",
                f"Table 三 row {label!r} (line {r.line}) prints its numbers between empty cells that may be "
                f"pads or blank values; its placements ({'; '.join(r.readings)}) differ in "
                f"{', '.join(in_doubt)}, so those cells are not loaded.", list(r.readings), in_doubt))
    header = [GridCell("申请人情况"), GridCell("")] + [GridCell(v) for v in codes.requester_types.values()]
    out = [header]
    for r, code in zip(rows, assigned, strict=True):
        label = codes.request_rows[code].split(" (")[0]
        context = "（六）其他处理" if code.startswith("other_") else ""
        out.append([GridCell(context, v_copy=True), GridCell(label)] + [GridCell(v) for v in r.values])
    return Grid(out, [], origin=f"md table 三 (lines {rows[0].line}-{rows[-1].line})"), placed


# ---- table 四 --------------------------------------------------------------------------------------

def _t4_grid(lines: list[_Line]) -> Grid | None:
    found = []
    for ln in lines:
        if ln.cells is None:
            continue
        cut = _value_cells(ln.cells, T4_WIDTH)
        if cut.values is not None and cut.filled:
            found.append((ln.no, cut.values))
        elif not any(ln.cells) and cut.run >= T4_WIDTH:
            found.append((ln.no, [""] * T4_WIDTH))  # zeros printed as empty cells: the row prints nothing
    if not found:
        return None
    if len({tuple(v) for _, v in found}) > 1:
        raise DocumentRejected("parse", "ambiguous_cells",
                               f"Table 四 has {len(found)} different rows of {T4_WIDTH} numbers "
                               f"(lines {', '.join(str(n) for n, _ in found)}); the table has one.")
    codes = load_codes()
    header = [GridCell(f"{p}/{r}") for p in codes.proceedings.values() for r in codes.results.values()]
    no, values = found[0]
    return Grid([header, [GridCell(v) for v in values]], [], origin=f"md table 四 (line {no})")


# ---- table 二 --------------------------------------------------------------------------------------

def _t2_columns(lines: list[_Line], year: int | None) -> dict[str, int]:
    """How many value columns each table-二 row has, from the template the block headers name (else the
    year the title names); empty when neither says."""
    text = normalize_label("".join(ln.text for ln in lines))
    template = ("2021" if any(p in text for p in T2_2021_PHRASES) else
                "2019" if any(p in text for p in T2_2019_PHRASES) else
                None if year is None else "2021" if year >= 2021 else "2019")
    if template is None:
        return {}
    return {row: len(item.columns) for item in load_codes().proactive[template].values() for row in item.rows}


def _t2_grid(lines: list[_Line], year: int | None) -> tuple[Grid | None, list[UnresolvedRow]]:
    """Rows of table 二 as printed: md rows, and prose 'label number' lines (one-column blocks that lost
    their table).

    md rows are kept cell for cell: a trailing empty cell is a blank value while the row has columns left
    (zeros printed blank), a pad beyond them; rows with fewer values than the template has columns are kept
    as printed and the interpreter lists them unresolved (shanghai-gov-office-2025 lost its 废止 cells this
    way). A prose line is a row only with as many numbers as its block has columns: a label alone (its cell
    printed empty, or its number floated elsewhere) or with more numbers ('行政许可 46 583') cannot be placed,
    so it is listed, not loaded.
    """
    rows: list[list[GridCell]] = []
    unresolved: list[UnresolvedRow] = []
    columns = _t2_columns(lines, year)
    for ln in lines:
        if ln.cells is not None:
            if any(ln.cells):
                rows.append([GridCell(c) for c in ln.cells])
            continue
        text = ln.text.strip()
        if not text or text.startswith("#"):
            continue
        flat = _squash(text)
        m = _LABEL_NUMBERS.match(text)
        code = match_t2_row(m.group("label")) if m else None
        if code is None and len(flat) <= 12 and not re.search(r"\d", nfkc(flat)):
            code = match_t2_row(flat)
            if code is not None:
                unresolved.append(UnresolvedRow(
                    "T2", code, text, "", "cells_missing",
                    f"Table 二 row {text!r} is printed as a line of its own without a number (its cell blank, "
                    "or its number moved elsewhere by the PDF conversion), so it is not loaded."))
                continue
        if m and code:
            nums = m.group("nums").split()
            if code in columns and len(nums) != columns[code]:
                unresolved.append(UnresolvedRow(
                    "T2", code, m.group("label").strip(), " ".join(nums), "cells_missing",
                    f"Table 二 row {text!r} is a line of text with {len(nums)} numbers for {columns[code]} "
                    "column(s): which number belongs to which column cannot be told, so it is not loaded."))
                continue
            rows.append([GridCell(m.group("label").strip())] + [GridCell(n) for n in nums])
        elif "第二十条" in flat or flat.startswith("信息内容"):
            rows.append([GridCell(flat)])  # block titles and column headers name the template
    if not any(len(r) > 1 for r in rows):
        return None, unresolved
    return Grid(rows, [], origin="md table 二"), unresolved


def read_markdown_bytes(data: bytes) -> Extracted:
    text = decode_bytes(data)
    lines = _split_lines(text)
    t3 = _find(lines, 0, _is_prose_heading(_T3_HEAD))
    if t3 is None:  # no section heading: start at the table's own first row
        t3 = _find(lines, 0, lambda ln: ln.cells is not None and "本年新收" in _squash("".join(ln.cells)))
    grids: list[Grid] = []
    placed: list[tuple[str, int]] = []
    unresolved: list[UnresolvedRow] = []
    if t3 is not None:
        t2 = next((i for i in range(t3 - 1, -1, -1) if _is_prose_heading(_T2_HEAD)(lines[i])), None)
        t4 = _find(lines, t3 + 1, _is_prose_heading(_T4_HEAD))
        if t4 is None:
            t4 = _find(lines, t3 + 1, lambda ln: "行政复议" in ln.text)
        end4 = len(lines) if t4 is None else (
            _find(lines, t4 + 1, lambda ln: ln.cells is None and bool(re.match(rf"^({_NUM}、|（{_NUM}）)", _heading_text(ln))))
            or len(lines))
        if t2 is not None:
            g2, unresolved = _t2_grid(lines[t2 + 1: t3], _title_year(lines))
            if g2 is not None:
                grids.append(g2)
        g3, placed = _t3_grid(lines[t3 + 1: t4 if t4 is not None else len(lines)], unresolved)
        if g3 is not None:
            grids.append(g3)
        if t4 is not None:
            g4 = _t4_grid(lines[t4 + 1: end4])
            if g4 is not None:
                grids.append(g4)
    title = _title(lines)
    prose = "\n".join(ln.text for ln in lines if ln.cells is None)
    warnings = [f"table 三: rows placed by printed order, their labels lost in the PDF conversion: "
                f"{', '.join(f'{code} (line {line})' for code, line in placed)}"] if placed else []
    return Extracted(text=(title + "\n" if title else "") + prose, grids=grids, title_hint=title,
                     row_inference={("T3", code): "printed_order" for code, _ in placed}, warnings=warnings,
                     unresolved=unresolved)


def register(readers: dict[str, Callable[[bytes], Extracted]]) -> None:
    readers["md"] = read_markdown_bytes

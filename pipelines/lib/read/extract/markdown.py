"""Markdown written by PDF->markdown converters: tables 二/三/四 pieced back together.

Such converters break one printed table into many md tables, drop row labels (the label
floats into a prose line elsewhere, or is lost), put page footers ('— 5 —') and stray
digits between rows, and pad rows with empty cells. What stays reliable is (a) the order
of the rows and (b) the cells inside one md row. Table 三 is therefore rebuilt from its
number rows in printed order: a row whose own label names a code is an anchor; rows
without a usable label take the codes missing between the anchors around them, but only
when the count makes that reading the only one. Anything else is rejected as ambiguous.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from pipelines.lib.codes import load_codes
from pipelines.lib.harmonize.labels import match_request_row, match_t2_row
from pipelines.lib.harmonize.normalize import nfkc, normalize_label
from pipelines.lib.harmonize.values import looks_numeric
from pipelines.lib.model import DocumentRejected
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
_TITLE = re.compile(r"(19|20)\d{2}年.{2,40}?(政府信息公开|政务公开)(工作)?年度报告")
# A prose line 'label number(s)' such as '行政许可 97' (table 二 rows that lost their table).
_LABEL_NUMBERS = re.compile(r"^(?P<label>[^\d\s|][^\d|]{1,24}?)\s*"
                            r"(?P<nums>[-+]?\d[\d,]*(?:\.\d+)?(?:万元|元)?(?:\s+[-+]?\d[\d,]*(?:\.\d+)?(?:万元|元)?)*)$")


@dataclass
class _Line:
    no: int  # 1-based line number, for messages
    text: str
    cells: list[str] | None  # the cells of an md table row, else None


@dataclass
class _NumberRow:
    line: int
    labels: list[str]
    values: list[str]
    code: str | None  # from the row's own label; None when the label is missing or unusable


def _squash(s: str) -> str:
    return re.sub(r"\s+", "", nfkc(s))


def _split_lines(text: str) -> list[_Line]:
    out = []
    for i, raw in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), start=1):
        s = raw.strip()
        if s.startswith("|") and not _SEPARATOR.match(s):
            body = s[1:-1] if s.endswith("|") and len(s) > 1 else s[1:]
            out.append(_Line(i, s, [c.strip() for c in body.split("|")]))
        elif not _SEPARATOR.match(s):
            out.append(_Line(i, s, None))
    return out


def _value_run(cells: list[str], width: int) -> tuple[list[str], list[str]]:
    """(label cells, trailing value cells) of an md row.

    Converters pad a row with empty cells up to the widest row of its md table; those pads are
    dropped only while more than ``width`` value cells remain, so a genuinely empty last cell
    (stcsm-2024's carried-forward 总计) keeps its position.
    """
    cells = list(cells)
    k = len(cells)
    while k > 0 and looks_numeric(cells[k - 1]):
        k -= 1
    labels, values = cells[:k], cells[k:]
    while len(values) > width and values[-1] == "":
        values.pop()
    return [c for c in labels if c], values


def _row_code(labels: list[str]) -> str | None:
    """Code named by a row's own label cells (innermost first); '3.其他' only exists under （六）."""
    for cell in reversed(labels):
        if normalize_label(cell) == "其他":
            return "other_other"
        code = match_request_row(cell)
        if code:
            return code
    return None


def _find(lines: list[_Line], start: int, pred: Callable[[_Line], bool]) -> int | None:
    return next((i for i in range(start, len(lines)) if pred(lines[i])), None)


def _is_prose_heading(pattern: re.Pattern[str]) -> Callable[[_Line], bool]:
    return lambda ln: ln.cells is None and bool(pattern.match(_squash(ln.text)))


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


# ---- table 三 --------------------------------------------------------------------------------------

def _t3_number_rows(lines: list[_Line]) -> list[_NumberRow]:
    rows = []
    for ln in lines:
        if ln.cells is None:
            continue  # prose, footers, stray digits: labels float here but their position is unreliable
        labels, values = _value_run(ln.cells, T3_WIDTH)
        filled = [v for v in values if v]
        if not filled:
            continue  # a header row
        if len(values) != T3_WIDTH:
            raise DocumentRejected(
                "parse", "ambiguous_cells",
                f"Table 三, line {ln.no}: the row {' '.join(labels) or '(no label)'} has {len(values)} number "
                f"cells where the table has {T3_WIDTH}, so its cells cannot be placed in their columns.")
        rows.append(_NumberRow(ln.no, labels, values, _row_code(labels)))
    return rows


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


def _t3_grid(lines: list[_Line]) -> tuple[Grid | None, list[tuple[str, int]]]:
    """Table 三's grid and the rows whose code was placed by printed order (label lost)."""
    rows = _t3_number_rows(lines)
    if not rows:
        return None, []
    codes = load_codes()
    labelled = {r.code for r in rows if r.code}
    if labelled & {"other_no_correction", "other_unpaid_fee", "other_other"}:
        layouts = [True]
    elif "other_total" in labelled:
        layouts = [False]
    else:
        layouts = [True, False]  # the （六） rows are all unlabelled: only one layout may fit
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
        _, values = _value_run(ln.cells, T4_WIDTH)
        if len(values) == T4_WIDTH and any(values):
            found.append((ln.no, values))
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

def _t2_grid(lines: list[_Line]) -> Grid | None:
    """Rows of table 二 as printed: md rows, and prose 'label number' lines (one value, one column).

    Rows with fewer values than the template has columns are kept as printed; the interpreter then
    skips them with a warning (shanghai-gov-office-2025 lost its 废止 cells this way).
    """
    rows: list[list[GridCell]] = []
    for ln in lines:
        if ln.cells is not None:
            cells = list(ln.cells)
            while cells and cells[-1] == "":
                cells.pop()
            if cells:
                rows.append([GridCell(c) for c in cells])
            continue
        text = ln.text.strip()
        if not text or text.startswith("#"):
            continue
        m = _LABEL_NUMBERS.match(text)
        if m and match_t2_row(m.group("label")):
            rows.append([GridCell(m.group("label").strip())] + [GridCell(n) for n in m.group("nums").split()])
        elif "第二十条" in text or text.startswith("信息内容"):
            rows.append([GridCell(text)])  # block titles and column headers name the template
    if not any(len(r) > 1 for r in rows):
        return None
    return Grid(rows, [], origin="md table 二")


def read_markdown_bytes(data: bytes) -> Extracted:
    text = decode_bytes(data)
    lines = _split_lines(text)
    t3 = _find(lines, 0, _is_prose_heading(_T3_HEAD))
    if t3 is None:  # no section heading: start at the table's own first row
        t3 = _find(lines, 0, lambda ln: ln.cells is not None and "本年新收" in _squash(ln.text))
    grids: list[Grid] = []
    placed: list[tuple[str, int]] = []
    if t3 is not None:
        t2 = next((i for i in range(t3 - 1, -1, -1) if _is_prose_heading(_T2_HEAD)(lines[i])), None)
        t4 = _find(lines, t3 + 1, _is_prose_heading(_T4_HEAD))
        if t4 is None:
            t4 = _find(lines, t3 + 1, lambda ln: "行政复议" in ln.text)
        end4 = len(lines) if t4 is None else (
            _find(lines, t4 + 1, lambda ln: ln.cells is None and bool(re.match(rf"^({_NUM}、|（{_NUM}）)", ln.text)))
            or len(lines))
        if t2 is not None:
            g2 = _t2_grid(lines[t2 + 1: t3])
            if g2 is not None:
                grids.append(g2)
        g3, placed = _t3_grid(lines[t3 + 1: t4 if t4 is not None else len(lines)])
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
                     row_inference={("T3", code): "printed_order" for code, _ in placed}, warnings=warnings)


def register(readers: dict[str, Callable[[bytes], Extracted]]) -> None:
    readers["md"] = read_markdown_bytes

"""Plain text as Word's 'save as text' writes it (the seed): one cell per tab-indented line.

Blank lines separate table rows; a line without a leading tab inside a row continues the
previous cell (header words split over lines: '本年新' / '制作数量'); a block of lines
without tabs is prose and ends the current table. Prose lines that open a block (a section
heading printed with no empty line before the table's first row) are prose, not a cell.

Also plain text with one table row per line (``read_delimited_text``): cells separated by tabs or
'|', merged cells omitted and blank cells as empty fields; the interpreter finds the tables by their
header and row labels, so blank lines, prose and page footers between rows do not matter.
"""

from __future__ import annotations

import re

from pipelines.lib.harmonize.labels import is_subtotal_row_label
from pipelines.lib.read.extract import Extracted
from pipelines.lib.read.grid import Grid


def is_tabbed_text(text: str) -> bool:
    return sum(1 for ln in text.split("\n") if ln.startswith("\t")) >= 40


def read_tabbed_text(text: str, *, rows_by_structure: bool = False) -> Extracted:
    """``rows_by_structure``: ignore the blank lines between cells (some exports add them anywhere, and
    page footers split rows) and cut each table's cells into rows by what they are instead: a row ends
    where its numbers end, or where a table-二 row label starts."""
    if rows_by_structure:
        return _read_cell_stream(text)
    lines = text.split("\n")
    grids: list[Grid] = []
    rows: list[list[str]] = []
    prose: list[str] = []

    def flush_table():
        nonlocal rows
        if rows:
            grids.append(Grid.from_texts(rows, origin=f"text table {len(grids) + 1}"))
            rows = []

    block: list[str] = []
    for ln in lines + [""]:
        if ln.strip(" \u3000") == "" and "\t" not in ln:
            if block and not block[0].startswith("\t") and any(b.startswith("\t") for b in block):
                # A heading (or any prose) directly above a table row: prose first, then the row.
                k = next(i for i, b in enumerate(block) if b.startswith("\t"))
                flush_table()
                prose.extend(block[:k])
                block = block[k:]
            if block:
                if block[0].startswith("\t"):
                    cells: list[str] = []
                    for b in block:
                        if b.startswith("\t") or not cells:
                            cells.append(b[1:] if b.startswith("\t") else b)
                        else:
                            cells[-1] += "\n" + b
                    rows.append(cells)
                else:
                    flush_table()
                    prose.extend(block)
                block = []
            continue
        block.append(ln)
    flush_table()
    return Extracted(text=text, grids=grids)


_NUMERIC_START = frozenset("0123456789-.+０１２３４５６７８９－．")


def tab_rows_look_broken(text: str) -> bool:
    """Word save-as-text whose blank lines do not delimit rows: a run of cell lines made only of numbers
    (or blank cells) that is not table 四's row of fifteen (the rest of a row cut off its label), or a page
    footer between two cell lines (a row split by a page)."""
    from pipelines.lib.harmonize.values import looks_numeric

    run: list[str] = []
    lines = text.split("\n")
    for i, ln in enumerate(lines + [""]):
        if ln.startswith("\t"):
            run.append(ln[1:])
            continue
        if run:
            if len(run) < 15 and all(not c.strip() or c.strip()[0] in _NUMERIC_START for c in run) \
                    and all(looks_numeric(c) for c in run):
                return True
            run = []
        if ln.strip() and _FOOTER_RE.match(ln.strip(" \u3000")):
            before = next((x for x in reversed(lines[max(0, i - 3):i]) if x.strip()), "")
            after = next((x for x in lines[i + 1:i + 4] if x.strip()), "")
            if before.startswith("\t") and after.startswith("\t"):
                return True
    return False


def _hand_on_blank_labels(rows: list[list[str]], width: int, looks_numeric) -> None:
    """Table 三 rows hold labels then exactly ``width`` numbers: blank cells after those are the empty
    (merged) label cells that open the next row, so they move there."""
    for i in range(len(rows) - 1):
        row = rows[i]
        k = len(row)
        while k > 0 and looks_numeric(row[k - 1]):
            k -= 1
        extra = len(row) - k - width
        if k and extra > 0 and all(not c.strip() for c in row[-extra:]):
            rows[i + 1][:0] = row[-extra:]
            del row[-extra:]


_SECTION_RE = re.compile(r"^[一二三四五六七八九十]+\s*、")
# A label that opens a numbered row: '3.', '（五）', '四、'. The rest of a wrapped label does not start so.
ORDINAL_RE = re.compile(r"^(?:\d+\s*[.、．]|[０-９]+\s*[.、．]|[（(][一二三四五六七八九十]+[)）]|[一二三四五六七八九十]+\s*、)")


def own_label_index(cells: list[str]) -> int | None:
    """Index of a row's own label: the last of its leading label cells (None if the row opens with a value)."""
    from pipelines.lib.harmonize.values import looks_numeric

    k = None
    for i, c in enumerate(cells):
        if looks_numeric(c):
            break
        k = i
    return k


def continues_label(text: str, row: list[str]) -> bool:
    """``text``, on a line of its own right below ``row``, is the rest of the row's wrapped label: the row
    has a numbered label, and the text is short, no sentence, and does not open a row or section itself."""
    k = own_label_index(row)
    return (k is not None and bool(ORDINAL_RE.match(row[k].strip())) and 0 < len(text) <= 30
            and "。" not in text and not ORDINAL_RE.match(text) and not _FOOTER_RE.match(text)
            and not is_subtotal_row_label(text))  # a 小计 row some agencies add is a row of its own


def _wrapped_between_cells(lines: list[str], i: int) -> bool:
    """A short line without a tab, between two cell lines: the wrapped rest of a cell (a header word, or
    the rest of a long row label), not prose, not a heading, not a row's own numbered label."""
    ln = lines[i].strip(" \u3000")
    if len(ln) > 30 or "。" in ln or _SECTION_RE.match(ln) or ORDINAL_RE.match(ln) or is_subtotal_row_label(ln):
        return False
    nxt = next((x for x in lines[i + 1:] if x.strip(" \u3000")), "")
    return nxt.startswith("\t")


def _read_cell_stream(text: str) -> Extracted:
    from pipelines.lib.harmonize.labels import match_t2_row
    from pipelines.lib.harmonize.values import looks_numeric

    grids: list[Grid] = []
    cells: list[str] = []

    def flush():
        nonlocal cells
        if not cells:
            return
        rows: list[list[str]] = [[]]
        prev_numeric = False
        for c in cells:
            numeric = looks_numeric(c)
            if rows[-1] and not numeric and (prev_numeric or match_t2_row(c)):
                rows.append([])
            rows[-1].append(c)
            prev_numeric = numeric
        if any("本年新收" in c or "申请人情况" in c for c in cells):
            _hand_on_blank_labels(rows, 7, looks_numeric)
        grids.append(Grid.from_texts(rows, origin=f"text table {len(grids) + 1}"))
        cells = []

    lines = [ln for ln in text.split("\n") if ln.startswith("\t") or not _FOOTER_RE.match(ln.strip(" \u3000"))]
    prev_blank = True
    for i, ln in enumerate(lines):
        if ln.startswith("\t"):
            cells.append(ln[1:])
            prev_blank = False
        elif ln.strip(" \u3000") == "":
            prev_blank = True
        elif cells and (not prev_blank or _wrapped_between_cells(lines, i)):
            cells[-1] += "\n" + ln  # a header cell Word wrapped ('本年新' / '制作数量')
        else:
            flush()  # prose ends the table
            prev_blank = False
    flush()
    return Extracted(text=text, grids=grids, warnings=[
        "table rows were cut by their cells (labels, then numbers), not by the blank lines between them"])


# ------------------------------------------------------------------ rows of delimited cells

_PIPE_RULE_RE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")


def _cells(line: str) -> list[str] | None:
    """The cells of one delimited row, or None for a line that is not one.

    Tabs and '|' are hard separators and every field between two of them is a cell (an empty field is a
    blank cell). A markdown-like row's outer pipes ('| a | b |') open and close the row, not cells.
    """
    s = line.strip(" \u3000\r")
    if "\t" in s:
        return [c.strip(" \u3000") for c in s.split("\t")]
    if s.count("|") >= 2 or (s.count("|") == 1 and not s.startswith("|") and not s.endswith("|")):
        if _PIPE_RULE_RE.match(s):
            return None
        body = s[1:] if s.startswith("|") else s
        body = body[:-1] if body.endswith("|") else body
        return [c.strip(" \u3000") for c in body.split("|")]
    return None


def is_delimited_text(text: str) -> bool:
    """Enough rows of delimited cells for tables 三 and 四: at least 10 lines of five or more fields
    (a table-三 row has seven value fields, blank or not)."""
    n = 0
    for ln in text.split("\n"):
        cells = _cells(ln)
        if cells and len(cells) >= 5:
            n += 1
            if n >= 10:
                return True
    return False


def read_delimited_text(text: str) -> Extracted:
    """One grid per run of delimited rows; a prose line (no separator) between rows ends the run,
    blank lines and page footers do not (a table continues across them)."""
    grids: list[Grid] = []
    rows: list[list[str]] = []
    for ln in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        stripped = ln.strip(" \u3000\r")  # not tabs: a line of tabs is a row of blank cells
        if not stripped or _PIPE_RULE_RE.match(stripped) or _FOOTER_RE.match(stripped):
            continue
        cells = _cells(ln)
        if cells is None or len(cells) < 2:
            rest = cells[0] if cells else stripped
            if rows and continues_label(rest, rows[-1]):
                # The rest of the row above's long label, wrapped onto a line of its own.
                k = own_label_index(rows[-1])
                rows[-1] = [*rows[-1][:k], rows[-1][k] + rest, *rows[-1][k + 1:]]
                continue
            if rows:
                grids.append(Grid.from_texts(rows, origin=f"text table {len(grids) + 1}"))
                rows = []
            continue
        rows.append(cells)
    if rows:
        grids.append(Grid.from_texts(rows, origin=f"text table {len(grids) + 1}"))
    return Extracted(text=text, grids=grids)


_FOOTER_RE = re.compile(r"^[-—–]+\s*\d{1,3}\s*[-—–]+$|^第\s*\d+\s*页(?:\s*[/／共]\s*\d+\s*页?)?$")

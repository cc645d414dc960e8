"""The table grid every format is rebuilt into before any label is interpreted.

A merged cell's text is copied into every slot it covers, flagged as a horizontal
or vertical copy, so that label context (the 三、本年度办理结果 or （三）不予公开 of a
row) survives while a value spanning three columns is read once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from pipelines.lib.model import DocumentRejected

# A report table is tens of rows by tens of columns. Spans multiply cells: a 57 KB page of colspan/rowspan
# attributes can ask for ~10^9 slots (a gigabyte). A table grid past this many slots is refused before
# it is allocated.
MAX_GRID_SLOTS = 500_000


def check_grid_size(n_rows: int, width: int, origin: str = "") -> None:
    """Refuse a grid of n_rows x width slots beyond MAX_GRID_SLOTS (quarantine reason grid_too_large)."""
    if n_rows * width > MAX_GRID_SLOTS:
        raise DocumentRejected(
            "parse", "grid_too_large",
            f"A table ({origin or 'unnamed'}) asks for a grid of {n_rows:,} rows x {width:,} columns "
            f"(its rowspan/colspan or gridSpan values), over the {MAX_GRID_SLOTS:,}-slot limit for one table; "
            "no annual report table is that large, so the document was not read.")


class GridCell(NamedTuple):  # a tuple: tables have thousands of cells and this is built for each
    text: str
    h_copy: bool = False  # covered by a colspan from a cell to the left
    v_copy: bool = False  # covered by a rowspan from a cell above
    conf: float | None = None  # recogniser's confidence (0-1) when the text was read by OCR, else None


@dataclass
class Grid:
    rows: list[list[GridCell]]
    pages: list[int | None] = field(default_factory=list)  # page of each row (PDF), else None
    origin: str = ""  # e.g. "html table 3", "pdf page 3"

    def texts(self) -> list[list[str]]:
        return [[c.text for c in row] for row in self.rows]

    def page_of(self, i: int) -> int | None:
        return self.pages[i] if i < len(self.pages) else None

    def all_text(self) -> str:
        return "".join(c.text for row in self.rows for c in row if not c.h_copy and not c.v_copy)

    @classmethod
    def from_texts(cls, rows: Iterable[Sequence[str]], origin: str = "", pages=None) -> Grid:
        grid_rows = [[GridCell(t) for t in row] for row in rows]
        return cls(grid_rows, list(pages or []), origin)


_new = tuple.__new__  # builds a NamedTuple without its Python-level __new__ (hot in expand_spans)


class SpanCell(NamedTuple):
    text: str
    rowspan: int = 1
    colspan: int = 1


def expand_spans(rows: Sequence[Sequence[SpanCell]], origin: str = "", pages=None) -> Grid:
    """Place cells with rowspan/colspan on a rectangular grid (the HTML/DOCX table model)."""
    n = len(rows)
    slots: list[list[GridCell | None]] = [[] for _ in range(n)]
    check_grid_size(n, max((len(row) for row in rows), default=0), origin)
    widest = 0
    for r, row in enumerate(rows):
        line = slots[r]
        if None not in line and all(cell.rowspan == 1 and cell.colspan == 1 for cell in row):
            # Most rows: no spans of their own, and at most a run of label cells merged down from above
            # at the start, so the cells simply follow.
            line.extend([_new(GridCell, (cell.text, False, False, None)) for cell in row])
            continue
        c = 0
        for cell in row:
            while c < len(line) and line[c] is not None:
                c += 1  # covered by a rowspan from above
            rs, cs = cell.rowspan, cell.colspan
            if rs == 1 and cs == 1:
                if c < len(line):
                    line[c] = GridCell(cell.text)
                else:
                    line.extend([None] * (c - len(line)))
                    line.append(GridCell(cell.text))
                c += 1
                continue
            rs = max(1, min(rs, 200, n - r))
            cs = max(1, min(cs, 100))
            if c + cs > widest:  # the grid grows wider: bound it before allocating
                widest = c + cs
                check_grid_size(n, widest, origin)
            first = GridCell(cell.text)
            h, v, hv = GridCell(cell.text, True, False), GridCell(cell.text, False, True), GridCell(cell.text, True, True)
            for dr in range(rs):
                target = slots[r + dr]
                if len(target) < c + cs:
                    target.extend([None] * (c + cs - len(target)))
                for dc in range(cs):
                    target[c + dc] = (first if dc == 0 else h) if dr == 0 else (v if dc == 0 else hv)
            c += cs
    width = max((len(line) for line in slots), default=0)
    check_grid_size(n, width, origin)
    empty = GridCell("")
    out = [line if len(line) == width and None not in line
           else [x if x is not None else empty for x in line] + [empty] * (width - len(line)) for line in slots]
    return Grid(out, list(pages or []), origin)


_REMARK_HEADERS = frozenset(("备注", "说明", "备注说明"))


def _has_value(row: list[GridCell]) -> bool:
    from pipelines.lib.harmonize.values import looks_numeric  # (harmonize builds on read, not the reverse)

    return any(looks_numeric(c.text) for c in row[:-1])


def strip_remark_columns(grids: list[Grid]) -> list[Grid]:
    """Tables with a trailing 备注 (remarks) column, without it.

    The interpreter reads a row's numbers from its right end, so a remark column after 总计 would shift
    every value one column over. The column is recognised by its header: a 备注 cell that ends its header
    row; from that row on, the last cell of every row is the remark (empty or text) and is dropped.
    """
    out = []
    for g in grids:
        start = next((i for i, row in enumerate(g.rows)
                      if row and "".join(row[-1].text.split()) in _REMARK_HEADERS), None)
        if start is None:
            out.append(g)
            continue
        # Header rows below the 备注 header keep their cells: in a text rendering a merged 备注 header is
        # printed once, so those rows have no remark slot (and their last cell names a column, e.g. 小计).
        rows = g.rows[:start] + [row[:-1] if row and _has_value(row) else row for row in g.rows[start:]]
        out.append(Grid(rows, list(g.pages), g.origin))
    return out

"""The table grid every format is rebuilt into before any label is interpreted.

A merged cell's text is copied into every slot it covers, flagged as a horizontal
or vertical copy, so that label context (the 三、本年度办理结果 or （三）不予公开 of a
row) survives while a value spanning three columns is read once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple


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
    empty = GridCell("")
    out = [line if len(line) == width and None not in line
           else [x if x is not None else empty for x in line] + [empty] * (width - len(line)) for line in slots]
    return Grid(out, list(pages or []), origin)

"""The table grid every format is rebuilt into before any label is interpreted.

A merged cell's text is copied into every slot it covers, flagged as a horizontal
or vertical copy, so that label context (the 三、本年度办理结果 or （三）不予公开 of a
row) survives while a value spanning three columns is read once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class GridCell:
    text: str
    h_copy: bool = False  # covered by a colspan from a cell to the left
    v_copy: bool = False  # covered by a rowspan from a cell above


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


@dataclass(frozen=True)
class SpanCell:
    text: str
    rowspan: int = 1
    colspan: int = 1


def expand_spans(rows: Sequence[Sequence[SpanCell]], origin: str = "", pages=None) -> Grid:
    """Place cells with rowspan/colspan on a rectangular grid (the HTML/DOCX table model)."""
    occupied: dict[tuple[int, int], GridCell] = {}
    width = 0
    for r, row in enumerate(rows):
        c = 0
        for cell in row:
            while (r, c) in occupied:
                c += 1
            rs = max(1, min(cell.rowspan, 200))
            cs = max(1, min(cell.colspan, 100))
            for dr in range(rs):
                for dc in range(cs):
                    occupied[(r + dr, c + dc)] = GridCell(cell.text, h_copy=dc > 0, v_copy=dr > 0)
            c += cs
            width = max(width, c)
    n_rows = len(rows)
    out = []
    for r in range(n_rows):
        out.append([occupied.get((r, c), GridCell("")) for c in range(width)])
    return Grid(out, list(pages or []), origin)

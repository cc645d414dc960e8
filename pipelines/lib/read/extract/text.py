"""Plain text as Word's 'save as text' writes it (the seed): one cell per tab-indented line.

Blank lines separate table rows; a line without a leading tab inside a row continues the
previous cell (header words split over lines: '本年新' / '制作数量'); a block of lines
without tabs is prose and ends the current table.
"""

from __future__ import annotations

from pipelines.lib.read.extract import Extracted
from pipelines.lib.read.grid import Grid


def is_tabbed_text(text: str) -> bool:
    return sum(1 for ln in text.split("\n") if ln.startswith("\t")) >= 40


def read_tabbed_text(text: str) -> Extracted:
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

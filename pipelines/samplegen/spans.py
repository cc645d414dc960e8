"""Tables 二, 三 and 四 of a truth as rows of spanning cells (the HTML/Word table model).

HTML, DOCX and PDF renderers all draw from this one description, so their merges agree:
a cell is given once, at its top-left slot, with its rowspan and colspan.
"""

from __future__ import annotations

from dataclasses import dataclass

from .layout import (
    ORG_COLUMNS,
    T3_COLUMNS,
    T3_NOTE,
    T4_PROCEEDINGS,
    T4_RESULT_LABELS,
    T4_RESULTS,
    t2_blocks,
    t3_rows,
)
from .truth import ReportTruth


@dataclass(frozen=True)
class Span:
    text: str
    rowspan: int = 1
    colspan: int = 1
    label: bool = False  # a row label (left-aligned), not a header or a number


SpanTable = list[list[Span]]


def t2_tables(truth: ReportTruth, *, split: bool = False) -> list[SpanTable]:
    """Table 二 on a 4-column grid (label + 3 values); blocks with fewer columns span the rest.

    ``split`` gives one table per article-20 block instead of one table for all.
    """
    tables: list[SpanTable] = [[]]
    for block in t2_blocks(truth.template):
        if split and tables[-1]:
            tables.append([])
        rows = tables[-1]
        n = len(block.columns)
        spans = [1] * n if n == 3 else ([3] if n == 1 else [1, 2])
        rows.append([Span(block.title, colspan=4)])
        rows.append([Span("信息内容")] + [Span(label.replace("本年新", "本年新\n"), colspan=s)
                                         for (_, label), s in zip(block.columns, spans, strict=True)])
        for code, label in block.rows:
            rows.append([Span(label, label=True)] + [Span(truth.cell_text("T2", code, col), colspan=s)
                                                     for (col, _), s in zip(block.columns, spans, strict=True)])
    return tables


def t3_table(truth: ReportTruth) -> SpanTable:
    rows = t3_rows(truth.template)
    out: SpanTable = [
        [Span(T3_NOTE, rowspan=3, colspan=3), Span("申请人情况", colspan=7)],
        [Span("自然人", rowspan=2), Span("法人或其他组织", colspan=5), Span("总计", rowspan=2)],
        [Span(c) for c in ORG_COLUMNS],
    ]
    n_results = sum(1 for r in rows if r.group is not None)
    group_sizes: dict[str, int] = {}
    for r in rows:
        if r.sub is not None:
            group_sizes[r.group] = group_sizes.get(r.group, 0) + 1
    first_results = True
    prev_group = None
    for r in rows:
        cells: list[Span] = []
        if r.group is None:
            cells.append(Span(r.item, colspan=3, label=True))
        else:
            if first_results:
                cells.append(Span(r.item, rowspan=n_results))
                first_results = False
            if r.sub is None:
                cells.append(Span(r.group, colspan=2, label=True))
            else:
                if r.group != prev_group:
                    cells.append(Span(r.group, rowspan=group_sizes[r.group], label=True))
                cells.append(Span(r.sub, label=True))
            prev_group = r.group
        cells += [Span(truth.cell_text("T3", r.code, c)) for c in T3_COLUMNS]
        out.append(cells)
    return out


def t4_table(truth: ReportTruth) -> SpanTable:
    return [
        [Span("行政复议", colspan=5), Span("行政诉讼", colspan=10)],
        [Span(x, rowspan=2) for x in T4_RESULT_LABELS] + [Span("未经复议直接起诉", colspan=5),
                                                         Span("复议后起诉", colspan=5)],
        [Span(x) for x in T4_RESULT_LABELS * 2],
        [Span(truth.cell_text("T4", p, r)) for p in T4_PROCEEDINGS for r in T4_RESULTS],
    ]


def t4_table_stacked(truth: ReportTruth) -> SpanTable:
    """Table 四 as some agencies draw it: one row per proceeding, the five results as columns."""
    values = [[Span(truth.cell_text("T4", p, r)) for r in T4_RESULTS] for p in T4_PROCEEDINGS]
    return [
        [Span("类别", colspan=2)] + [Span(x) for x in T4_RESULT_LABELS],
        [Span("行政复议", colspan=2, label=True), *values[0]],
        [Span("行政诉讼", rowspan=2, label=True), Span("未经复议直接起诉", label=True), *values[1]],
        [Span("复议后起诉", label=True), *values[2]],
    ]


def place(table: SpanTable) -> list[tuple[int, int, Span]]:
    """(row, col, span) of every cell: the slots a rowspan from above occupies are skipped."""
    occupied: set[tuple[int, int]] = set()
    out = []
    for r, row in enumerate(table):
        c = 0
        for cell in row:
            while (r, c) in occupied:
                c += 1
            out.append((r, c, cell))
            for dr in range(cell.rowspan):
                for dc in range(cell.colspan):
                    occupied.add((r + dr, c + dc))
            c += cell.colspan
    return out

"""Subtotals some agencies add to table 三 (formats.md §6.9, GN's 28×8 "完整格式"): a 小计 column after the
five 法人或其他组织 columns, and a 小计 row closing each outcome group with sub-rows (（三）不予公开,
（四）无法提供, （五）不予处理, and the 2021 （六）其他处理). Neither has a code: a reader must skip them, never
shift a requester column or give a sub-row's code to them.
"""

from __future__ import annotations

from dataclasses import replace

from .layout import T3_COLUMNS, T3_RESULTS, t3_rows
from .spans import Span, SpanTable
from .truth import ReportTruth

ORG_CODES = T3_COLUMNS[1:6]
MODES = ("none", "org_column", "group_rows", "both")


def _text(value: int, truth: ReportTruth) -> str:
    return "" if value == 0 and truth.blank_zeros else str(value)


def add_subtotals(table: SpanTable, truth: ReportTruth, mode: str) -> SpanTable:
    """Table 三 (as spans) with the subtotals of ``mode``."""
    if mode == "none":
        return table
    column = mode in ("org_column", "both")
    rows = mode in ("group_rows", "both")
    codes = [r.code for r in t3_rows(truth.template)]
    out = [list(r) for r in table]
    if column:
        out[0] = [replace(s, colspan=s.colspan + 1) if s.text == "申请人情况" else s for s in out[0]]
        out[1] = [replace(s, colspan=s.colspan + 1) if s.text == "法人或其他组织" else s for s in out[1]]
        out[2] = out[2] + [Span("小计")]
        for i, code in enumerate(codes):
            row = out[3 + i]
            org = sum(truth.t3[(code, c)] for c in ORG_CODES)
            out[3 + i] = row[:-1] + [Span(_text(org, truth)), row[-1]]
    if not rows:
        return out
    # Group spans (a label with rowspan > 1) close after their last sub-row; insert a 小计 row there.
    result: SpanTable = out[:3]
    inserted = 0
    group_rows: list[str] = []
    left = 0
    for i, code in enumerate(codes):
        row = out[3 + i]
        for s in row:
            if s.label and s.rowspan > 1:
                left, group_rows = s.rowspan, []
        result.append(row)
        if left:
            group_rows.append(code)
            left -= 1
            if left == 0:
                sums = [sum(truth.t3[(c, col)] for c in group_rows) for col in T3_COLUMNS]
                cells = [Span(_text(v, truth)) for v in sums]
                if column:
                    cells = cells[:-1] + [Span(_text(sum(sums[1:6]), truth)), cells[-1]]
                result.append([Span("小计", label=True), *cells])
                inserted += 1
    # Every group label spans its 小计 row too; the results item spans all of them.
    fixed: SpanTable = []
    for row in result:
        new_row = []
        for s in row:
            if s.label and s.rowspan > 1:
                s = replace(s, rowspan=s.rowspan + 1)
            elif s.text == T3_RESULTS and s.rowspan > 1:
                s = replace(s, rowspan=s.rowspan + inserted)
            new_row.append(s)
        fixed.append(new_row)
    return fixed


def subtotals_hook(truth: ReportTruth, mode: str):
    """A table hook for the span renderers (HTML, DOCX, PDF)."""

    def hook(section: str, table: SpanTable) -> SpanTable:
        return add_subtotals(table, truth, mode) if section == "三" else table

    return hook

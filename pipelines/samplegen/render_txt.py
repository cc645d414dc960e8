"""Plain text as Word's 'save as text' writes a report (the seed ningbo-police-2019.txt).

Prose lines start at column 0. Each table cell is a line starting with a tab; a header cell that
Word wrapped continues on a following line without a tab ('本年新' / '制作数量'); rows are
separated by blank lines; merged cells appear once, vertical continuations as empty cells.
"""

from __future__ import annotations

import random

from .layout import (
    ORG_COLUMNS,
    T3_COLUMNS,
    T3_NOTE,
    T4_PROCEEDINGS,
    T4_RESULT_LABELS,
    T4_RESULTS,
    split_header,
    t2_blocks,
    t3_rows,
)
from .narrative import SECTION_HEADINGS, build_narrative
from .truth import ReportTruth


def _row(cells: list[str]) -> list[str]:
    return ["\t" + c for c in cells] + [""]


def _table2(truth: ReportTruth) -> list[str]:
    out: list[str] = []
    for block in t2_blocks(truth.template):
        out += _row([block.title])
        out += _row(["信息内容"] + [split_header(label) for _, label in block.columns])
        for code, label in block.rows:
            out += _row([label] + [truth.cell_text("T2", code, col) for col, _ in block.columns])
    return out


def _table3(truth: ReportTruth) -> list[str]:
    out = _row([T3_NOTE, "申请人情况"])
    out += _row(["", "自然人", "法人或其他组织", "总计"])
    out += _row(["", ""] + list(ORG_COLUMNS) + [""])
    prev_item = prev_group = None
    for r in t3_rows(truth.template):
        values = [truth.cell_text("T3", r.code, c) for c in T3_COLUMNS]
        if r.group is None:
            labels = [r.item]
        else:
            labels = [r.item if r.item != prev_item else ""]
            if r.sub is None:
                labels.append(r.group)
            else:
                labels += [r.group if r.group != prev_group else "", r.sub]
        prev_item, prev_group = r.item, r.group
        out += _row(labels + values)
    return out


def _table4(truth: ReportTruth) -> list[str]:
    rng = random.Random(f"t4-spaces/{truth.agency.slug}/{truth.year}")
    out = _row(["行政复议", "行政诉讼"])
    out += _row(list(T4_RESULT_LABELS) + ["未经复议直接起诉", "复议后起诉"])
    out += _row([""] * 5 + list(T4_RESULT_LABELS) * 2)
    values = []
    for proc in T4_PROCEEDINGS:
        for res in T4_RESULTS:
            v = truth.cell_text("T4", proc, res)
            # The seed's table 四 carries stray spaces around numbers (" 1", "0 "); so do we.
            values.append(rng.choice(["", " "]) + v + rng.choice(["", " "]) if v else v)
    out += _row(values)
    return out


def render_text(truth: ReportTruth) -> str:
    nar = build_narrative(truth)
    lines = [truth.agency.name, f"{truth.year}年度政府信息公开工作年度报告", "", nar.intro]
    lines.append(SECTION_HEADINGS["一"])
    lines += nar.sections["一"]
    lines += ["", "", SECTION_HEADINGS["二"]]
    # As in the seed, the first table row follows the heading without a blank line.
    lines += _table2(truth)
    lines += ["", "", SECTION_HEADINGS["三"]]
    lines += _table3(truth)
    lines += ["", "", SECTION_HEADINGS["四"]] + nar.sections["四"] + [""]
    lines += _table4(truth)
    lines += ["", ""]
    for k in ("五", "六"):
        lines.append(SECTION_HEADINGS[k])
        lines += nar.sections[k]
        lines.append("")
    lines.append(f"{truth.agency.name}")
    lines.append(f"{truth.year + 1}年1月{random.Random(truth.agency.slug).randint(10, 31)}日")
    return "\n".join(lines) + "\n"


def render(truth: ReportTruth) -> bytes:
    return render_text(truth).encode("utf-8")

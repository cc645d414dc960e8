"""Subtotals agencies add to table 三 (formats.md §6.9): a 小计 column among the 法人或其他组织 columns and 小计
rows closing the outcome groups. They have no code: every format must set them aside and read the requester
columns and rows exactly as if they were not printed (never shifted by one, never a 小计 taken for a row).
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from pipelines.lib.read.extract.crawler_text import subtotal_in_header
from pipelines.lib.read.parse import parse_document
from pipelines.samplegen.subtotals import MODES
from pipelines.samplegen.truth import generate_truth
from pipelines.samplegen.variations import Variation
from tests.variation_check import render_and_check

CASES = [("html", None), ("docx", None), ("pdf", None), ("txt", "tab_rows"), ("txt", "pipe_rows"),
         ("txt", "space_aligned"), ("txt", "run_together")]


@pytest.mark.parametrize(("fmt", "layout"), CASES)
@pytest.mark.parametrize("mode", [m for m in MODES if m != "none"])
def test_subtotals_are_set_aside(tmp_path: Path, fmt: str, layout: str | None, mode: str) -> None:
    for seed in range(2 if fmt == "pdf" else 3):
        truth = generate_truth(rng=random.Random(100 + seed))
        v = Variation(subtotals=mode, blank_zeros=seed % 2 == 1,
                      **({"text_layout": layout} if layout else {}))
        out = render_and_check(tmp_path, truth, fmt, v, name=f"s{seed}")
        assert out.kind == "exact", f"{fmt}/{layout}/{mode} seed {seed}: {out.kind} {out.detail}"
        if mode != "group_rows":
            rep = parse_document(tmp_path / f"s{seed}.{fmt}")
            assert any("小计" in w for w in rep.warnings), "the set-aside column is not mentioned"


def test_subtotal_position_in_a_run_together_header() -> None:
    assert subtotal_in_header("自然人法人或其他组织总计商业企业科研机构社会公益组织法律服务机构其他小计") == 5
    assert subtotal_in_header("自然人法人或其他组织总计\n小计商业企业科研机构社会公益 组织法律服务机构其他") == 0
    assert subtotal_in_header("商业企业科研机构小计社会公益组织法律服务机构其他总计") == 2
    # 合计 after 其他 is what some agencies call the 总计 column, not a subtotal
    assert subtotal_in_header("自然人商业企业科研机构社会公益组织法律服务机构其他合计") is None
    assert subtotal_in_header("自然人法人或其他组织总计商业企业科研机构社会公益组织法律服务机构其他") is None


def test_a_group_label_centred_among_blank_sub_rows_is_not_a_row(tmp_path: Path) -> None:
    """Unruled PDF, zeros blank, 小计 rows: （六）其他处理 lands on a line of its own between its blank sub-rows.
    It is the group's label, not the 2019 single row: the 2021 total is summed from the sub-rows and 3.其他
    keeps its group (soak seed 1 found it loading 0 for a total of 3)."""
    truth = generate_truth(rng=random.Random(2214986532))
    v = Variation(remark_column=True, subtotals="both", blank_zeros=True, pdf_ruled=False)
    out = render_and_check(tmp_path, truth, "pdf", v)
    assert out.kind == "exact", out.detail


def test_a_number_wrapped_in_its_cell_beside_a_lone_total(tmp_path: Path) -> None:
    """Unruled PDF, zeros blank, full-width digits: '１４９' wraps in the narrow 自然人 column ('１４' / '９') on a
    row whose label wraps too, and the row's only other number is its total beside a 备注 remark. The two parts
    are one number (the soak read 14 and a total of 0)."""
    truth = generate_truth(rng=random.Random(961893811))
    v = Variation(remark_column=True, subtotals="both", fullwidth_digits=True, blank_zeros=True, pdf_ruled=False)
    out = render_and_check(tmp_path, truth, "pdf", v)
    assert out.kind == "exact", out.detail


@pytest.mark.parametrize(("seed", "switches"), [
    # the repeated header's last line ('组织' / '机构') was read as a wrapped label of the page's first row
    (158, {"title_form": "wrapped_agency", "subtotals": "group_rows"}),
    # a 小计 row label above the page's first number was taken for the 小计 column header
    (180, {"remark_column": True, "subtotals": "both"}),
    # table 三 all blank: 小计 row labels were taken for header words, so no row had its blank cells
    (220, {"remark_column": True, "subtotals": "both", "t4_shape": "stacked", "label_variant": True}),
])
def test_unruled_pdf_with_its_header_repeated_and_subtotal_rows(tmp_path: Path, seed: int, switches: dict) -> None:
    """Unruled PDF, zeros blank, table 三's header printed again on the page it continues on (a targeted
    soak of 400 such documents found these three)."""
    truth = generate_truth(rng=random.Random(seed))
    v = Variation(blank_zeros=True, pdf_ruled=False, pdf_header_repeat=True, **switches)
    out = render_and_check(tmp_path, truth, "pdf", v)
    assert out.kind == "exact", out.detail

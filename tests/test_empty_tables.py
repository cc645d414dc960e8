"""An agency that received no request and faced no review prints tables 三 and 四 with every cell zero; with
zeros left blank every row is a label alone. Each format must read those rows as blank cells (value 0), not
lose the tables, not refuse the report.
"""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

import pytest

from pipelines.samplegen.truth import generate_truth
from pipelines.samplegen.variations import Variation
from tests.variation_check import render_and_check

CASES = [("html", {}), ("docx", {}), ("pdf", {}), ("pdf", {"pdf_ruled": False}),
         ("pdf", {"pdf_ruled": False, "subtotals": "org_column", "t4_shape": "stacked"}),
         ("txt", {"text_layout": "word_cells"}), ("txt", {"text_layout": "tab_rows"}),
         ("txt", {"text_layout": "space_aligned"}), ("txt", {"text_layout": "run_together"})]


@pytest.mark.parametrize(("fmt", "switches"), CASES,
                         ids=[f"{f}-{'-'.join(map(str, s.values())) or 'default'}" for f, s in CASES])
@pytest.mark.parametrize("blank_zeros", [False, True])
def test_tables_with_every_cell_zero(tmp_path: Path, fmt: str, switches: dict, blank_zeros: bool) -> None:
    truth = generate_truth(rng=random.Random(400))
    truth = replace(truth, t3={k: 0 for k in truth.t3}, t4={k: 0 for k in truth.t4})
    out = render_and_check(tmp_path, truth, fmt, Variation(blank_zeros=blank_zeros, **switches))
    assert out.kind == "exact", out.detail
    assert out.cells >= 7 * 25, "the zero cells were not loaded"

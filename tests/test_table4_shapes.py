"""Table 四 drawn a row per proceeding (行政复议 / 行政诉讼·未经复议直接起诉 / 复议后起诉, the five results as
columns) instead of the template's one row of fifteen: every format reads the three rows by their labels, in
the template's order, or lists what it cannot settle; never a blank table 四 where numbers are printed.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from pipelines.lib.read.parse import parse_document
from pipelines.samplegen.truth import generate_truth
from pipelines.samplegen.variations import Variation
from tests.variation_check import render_and_check

CASES = [("html", {}), ("html", {"html_tables": "pre_tabs"}), ("docx", {}), ("pdf", {}), ("pdf", {"pdf_ruled": False}),
         ("txt", {"text_layout": "tab_rows"}), ("txt", {"text_layout": "pipe_rows"}),
         ("txt", {"text_layout": "space_aligned"}), ("txt", {"text_layout": "run_together"})]


@pytest.mark.parametrize(("fmt", "switches"), CASES, ids=[f"{f}-{'-'.join(map(str, s.values())) or 'default'}" for f, s in CASES])
def test_table4_a_row_per_proceeding_reads_back(tmp_path: Path, fmt: str, switches: dict) -> None:
    for seed in range(4):
        truth = generate_truth(rng=random.Random(200 + seed))
        v = Variation(t4_shape="stacked", blank_zeros=seed % 2 == 1, remark_column=seed >= 2, **switches)
        out = render_and_check(tmp_path, truth, fmt, v, name=f"t{seed}")
        assert out.kind == "exact", f"{fmt} {switches} seed {seed}: {out.kind} {out.detail}"
        rep = parse_document(tmp_path / f"t{seed}.{fmt}")
        t4 = {(f.row_code, f.col_code) for f in rep.facts if f.table == "T4"}
        listed = {(u.row_code, c) for u in rep.unresolved if u.table == "T4" for c in u.columns}
        whole = {u.row_code for u in rep.unresolved if u.table == "T4" and not u.columns}
        assert len(t4) + len(listed) + 5 * len(whole) == 15
        assert any("a row per proceeding" in w for w in rep.warnings)


def test_unruled_rows_of_blanks_are_rows_of_their_own(tmp_path: Path) -> None:
    """Without ruling lines, a proceeding whose row prints nothing sits one line from the next row's numbers:
    its label is a row of blanks, never the wrapped label of the neighbouring proceeding (soak, seed 5)."""
    truth = generate_truth(rng=random.Random(2007778143))
    out = render_and_check(tmp_path, truth, "pdf", Variation(t4_shape="stacked", pdf_ruled=False, blank_zeros=True))
    assert out.kind == "exact", out.detail

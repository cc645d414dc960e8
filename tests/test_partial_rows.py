"""Rows read in part: cells run together with zeros left blank, so a number may stand under any requester
column. The cells every reading agrees on load; the others are listed per column (unresolved_rows.
unresolved_columns, one row per cell in the unresolved_cells view), the report's arithmetic rules are not
assessable where an input cell is in doubt (never a false failure), and a person's reading completes the row.
"""

from __future__ import annotations

import random
from pathlib import Path

from pipelines.lib.judge import quality
from pipelines.samplegen.truth import generate_truth
from pipelines.samplegen.variations import Variation, render_variant
from tests.test_resolve import _load

SEED = 3


def _inbox(tmp_path: Path):
    truth = generate_truth(rng=random.Random(SEED))
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "report.txt").write_bytes(
        render_variant(truth, "txt", Variation(text_layout="run_together", blank_zeros=True)))
    return truth, inbox


def test_cells_in_doubt_are_listed_per_column_and_keep_the_rules_quiet(tmp_path: Path) -> None:
    truth, inbox = _inbox(tmp_path)
    con = _load(inbox, tmp_path / "w.duckdb")
    (rid,) = con.execute("SELECT report_id FROM reports").fetchone()
    loaded = {(t, r, c): v for t, r, c, v in con.execute(
        "SELECT table_no, row_code, col_code, value FROM facts WHERE NOT derived").fetchall()}
    in_doubt = set(con.execute("SELECT table_no, row_code, col_code FROM unresolved_cells").fetchall())
    expected = {k: v for k, v in truth.expected_facts(include_derived=False).items()}

    assert con.execute("SELECT count(*) FROM unresolved_rows WHERE unresolved_columns IS NOT NULL").fetchall()[0][0] > 0
    assert not in_doubt & set(loaded), "a cell is both loaded and listed as in doubt"
    assert all(expected[k] == v for k, v in loaded.items()), "a loaded cell differs from the report's truth"
    assert set(expected) - set(loaded) <= in_doubt, "a cell is neither loaded nor listed"
    # Most table-三 totals are certain even when the requester columns are not.
    assert sum(1 for (t, _, c) in loaded if t == "T3" and c == "total") >= 15
    ((recall,),) = con.execute("SELECT unresolved_cells FROM document_recall WHERE report_id = ?", [rid]).fetchall()
    assert recall == len(in_doubt)

    quality.refresh_quality(con)
    outcomes = dict(con.execute(
        "SELECT rule_id, count(*) FILTER (WHERE passed = false) FROM quality_results "
        "WHERE rule_id IN ('R1_flow', 'R2_outcomes', 'R3_requesters', 'R4_review_totals') GROUP BY 1").fetchall())
    assert outcomes and not any(outcomes.values()), f"false arithmetic failures: {outcomes}"
    na = con.execute("SELECT count(*) FROM quality_results WHERE rule_id = 'R3_requesters' AND passed IS NULL "
                     "AND scope IN (SELECT row_code FROM unresolved_rows WHERE table_no = 'T3')").fetchone()[0]
    assert na > 0
    c1 = con.execute("SELECT passed, message FROM quality_results WHERE rule_id = 'C1_required_cells' "
                     "AND scope = '表三'").fetchone()
    assert c1[0] is False and "Unresolved" in c1[1]


def test_a_persons_reading_completes_a_row_read_in_part(tmp_path: Path) -> None:
    from pipelines.lib.load.resolutions import record_resolution

    truth, inbox = _inbox(tmp_path)
    con = _load(inbox, tmp_path / "w.duckdb")
    (rid,) = con.execute("SELECT report_id FROM reports").fetchone()
    row, cols = con.execute("SELECT row_code, unresolved_columns FROM unresolved_rows WHERE table_no = 'T3' "
                            "AND unresolved_columns IS NOT NULL ORDER BY row_code LIMIT 1").fetchone()
    order = [c for (c,) in con.execute("SELECT col_code FROM row_columns WHERE table_no = 'T3' AND template = ? "
                                       "AND row_code = ? ORDER BY position", [truth.template, row]).fetchall()]
    reading = "/".join(truth.cell_text("T3", row, c) or "(blank)" for c in order)
    record_resolution(con, rid, "T3", row, reading, "read in the original's table", "tester")
    assert con.execute("SELECT count(*) FROM unresolved_rows WHERE row_code = ? AND table_no = 'T3'",
                       [row]).fetchone()[0] == 0
    got = dict(con.execute("SELECT col_code, value FROM facts WHERE table_no = 'T3' AND row_code = ?",
                           [row]).fetchall())
    assert got == {c: truth.t3[(row, c)] for c in order}
    assert set(cols) <= set(got)

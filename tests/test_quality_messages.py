"""The findings' sentences are built set-wise (column expressions, millions of rows at national scale); they
say exactly what the one-row definition says."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.lib.judge.quality import _message, messages

RULES = ("R1_flow", "R5_carry_continuity", "C1_required_cells")
numbers = st.one_of(st.integers(-10**12, 10**12).map(float),
                    st.floats(-1e16, 1e16, allow_nan=False, allow_infinity=False).filter(lambda v: v != 0 or
                                                                                         str(v) == "0.0"))
rows = st.tuples(st.sampled_from(RULES), st.text(max_size=12), st.sampled_from([None, True, False]), numbers,
                 numbers, st.one_of(st.none(), st.just(""), st.text(min_size=1, max_size=20)))


@settings(max_examples=60, deadline=None)
@given(st.lists(rows, min_size=1, max_size=40),
       st.dictionaries(st.sampled_from(RULES), st.one_of(st.none(), st.text(min_size=1, max_size=15))),
       st.dictionaries(st.sampled_from(RULES), st.tuples(st.one_of(st.none(), st.text(min_size=1, max_size=10)),
                                                          st.one_of(st.none(), st.text(min_size=1, max_size=10)))))
def test_set_wise_sentences_equal_the_definition(batch, hints, means) -> None:
    frame = pl.DataFrame(batch, schema={"rule_id": pl.String, "scope": pl.String, "passed": pl.Boolean,
                                        "expected": pl.Float64, "observed": pl.Float64, "note": pl.String},
                         orient="row")
    want = [_message(r, s, p, e, o, hints.get(r), means.get(r, (None, None)), n) for r, s, p, e, o, n in batch]
    assert messages(frame, hints, means).to_list() == want


def test_sentences_of_each_kind() -> None:
    frame = pl.DataFrame({"rule_id": ["R1_flow"] * 3, "scope": ["total"] * 3, "passed": [None, True, False],
                          "expected": [None, 12.0, 12345678.0], "observed": [None, 12.0, 12.5],
                          "note": [None, None, "Unresolved: 行政规范性文件 printed \"693665\""]})
    assert messages(frame, {"R1_flow": "See unresolved_rows."}, {"R1_flow": ("in", "out")}).to_list() == [
        "R1_flow on total: not assessable (the total cell was left blank or the input is missing).",
        "R1_flow on total: holds (12).",
        "R1_flow on total: expected 1.23457e+07 (in), found 12.5 (out); off by -1.23457e+07. "
        "Unresolved: 行政规范性文件 printed \"693665\" See unresolved_rows."]

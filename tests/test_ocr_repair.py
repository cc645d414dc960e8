"""The arithmetic safety net of OCR (harmonize/ocr_repair.py), as properties over generated reports.

The facts of a generated truth are 'read by OCR' (confidence set), then one class of OCR error is
applied: a digit misread in a doubted cell, the same with confidence, two doubted cells in one table-四
row. No image is involved: this is the rule logic alone, fast.
"""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.lib.harmonize.ocr_repair import LOW_CONFIDENCE, repair
from pipelines.lib.model import Fact
from pipelines.samplegen.truth import AGENCIES, generate_truth


def _ocr_facts(seed: int, year: int) -> tuple[list[Fact], dict]:
    truth = generate_truth(AGENCIES[seed % len(AGENCIES)], year, rng=random.Random(seed))
    facts = []
    for (table, row, col), v in truth.expected_facts(include_derived=False).items():
        facts.append(Fact(table=table, row_code=row, col_code=col, value=float(v), printed=str(int(v)) if v == int(v)
                          else str(v), blank=False, inferred=True, inferred_how="ocr", confidence=0.99))
    return facts, truth.expected_facts(include_derived=False)


def _misread(value: int, rng: random.Random) -> int:
    """One digit of the printed number read as another."""
    s = list(str(value))
    i = rng.randrange(len(s))
    s[i] = rng.choice([d for d in "0123456789" if d != s[i]])
    out = "".join(s).lstrip("0") or "0"
    return int(out)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), year=st.sampled_from([2020, 2022]), pick=st.integers(0, 10_000))
def test_one_doubted_misread_in_table_3_is_corrected(seed, year, pick):
    facts, truth = _ocr_facts(seed, year)
    t3 = [f for f in facts if f.table == "T3"]
    f = t3[pick % len(t3)]
    wrong = _misread(int(f.value), random.Random(pick))
    f.value, f.printed, f.confidence = float(wrong), str(wrong), 0.5
    out = repair(facts)
    got = {(x.table, x.row_code, x.col_code): x.value for x in out.facts}
    # A cell of table 三 sits in a row sum and a column sum: only it can restore both.
    assert got == truth
    assert f.inferred_how == "ocr_arithmetic" and f.printed == str(wrong) and out.corrected == 1
    assert not out.unresolved


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), pick=st.integers(0, 10_000))
def test_confident_readings_that_break_a_sum_load_as_read(seed, pick):
    facts, truth = _ocr_facts(seed, 2022)
    f = [x for x in facts if x.table == "T3"][pick % 50]
    wrong = _misread(int(f.value), random.Random(pick))
    f.value, f.printed = float(wrong), str(wrong)  # confidence stays 0.99: the report printed it so
    out = repair(facts)
    assert out.corrected == 0 and not out.unresolved
    assert f.value == wrong and f.inferred_how == "ocr"
    assert any("loaded as read" in w for w in out.warnings)


def test_several_doubted_cells_in_one_row_go_to_unresolved_rows():
    facts, _ = _ocr_facts(3, 2022)
    row = [f for f in facts if f.table == "T4" and f.row_code == "admin_review"]
    total = next(f for f in row if f.col_code == "total")
    total.value, total.printed = total.value + 1, str(int(total.value + 1))  # the sum breaks by one
    for f in row:
        f.confidence = 0.4  # and OCR doubted every cell: any of several could be the misread one
    out = repair(facts)
    assert [(u.table, u.row_code, u.reason) for u in out.unresolved] == [("T4", "admin_review", "ambiguous_cells")]
    assert len(out.unresolved[0].readings) >= 2
    assert not any(f.table == "T4" and f.row_code == "admin_review" for f in out.facts)
    assert out.corrected == 0


def test_one_doubted_cell_in_a_table_4_row_is_corrected():
    facts, truth = _ocr_facts(5, 2021)
    row = [f for f in facts if f.table == "T4" and f.row_code == "litigation_direct"]
    cell = next(f for f in row if f.col_code == "pending")
    wrong = _misread(int(cell.value), random.Random(1))
    cell.value, cell.printed, cell.confidence = float(wrong), str(wrong), LOW_CONFIDENCE - 0.3
    out = repair(facts)  # the other cells of the row, read with confidence, agree with its 总计
    assert cell.value == truth[("T4", "litigation_direct", "pending")] and cell.inferred_how == "ocr_arithmetic"
    assert out.corrected == 1 and not out.unresolved


def test_text_facts_are_never_touched():
    facts, _ = _ocr_facts(9, 2022)
    for f in facts:
        f.confidence, f.inferred, f.inferred_how = None, False, None
    facts[0].value += 3
    before = [(f.value, f.inferred_how) for f in facts]
    out = repair(facts)
    assert [(f.value, f.inferred_how) for f in out.facts] == before and not out.warnings


def test_ocr_label_with_one_misread_character_names_its_row_only_when_unambiguous():
    from pipelines.lib.harmonize.labels import REQUEST_ROW_PHRASES, T2_ROW_PHRASES, match_ocr_label

    # 逾期 read as 途期: the only row with a 4+ character phrase one character away.
    assert match_ocr_label("1.申请人无正当理由途期不补正、行政机关不再处理其政府信息公开申请",
                           REQUEST_ROW_PHRASES) == "other_no_correction"
    assert match_ocr_label("行政事业性收贵", T2_ROW_PHRASES) == "admin_fees"
    assert match_ocr_label("（七）总汁", REQUEST_ROW_PHRASES) is None  # 2-character phrases are not guessed at
    assert match_ocr_label("本年度工作情况良好", REQUEST_ROW_PHRASES) is None

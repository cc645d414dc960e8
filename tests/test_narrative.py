"""The prose statements that may settle a run-together table-二 row, and when they may not."""

from __future__ import annotations

from pipelines.lib.read.narrative import Statement, choose_reading, t2_statements

COLS_2021 = ["issued", "repealed", "in_force"]


def _said(text: str, template: str = "2021") -> set[tuple[str, str, int]]:
    return {(s.row_code, s.col_code, s.value) for s in t2_statements(text, template)}


def test_a_clause_with_one_verb_and_an_exact_count_is_a_statement() -> None:
    text = "我局废止规范性文件6件，制定规范性文件15件，已公开。集中公开现行有效行政规范性文件698件。"
    assert _said(text) == {("normative_documents", "repealed", 6), ("normative_documents", "issued", 15),
                           ("normative_documents", "in_force", 698)}
    assert _said("本年度制定规章2件。") == {("regulations", "issued", 2)}


def test_loose_or_off_topic_clauses_state_nothing() -> None:
    assert _said("共发布规范性文件500余份") == set()  # not an exact count
    assert _said("梳理历年印发的行政规范性文件228份") == set()  # many years
    assert _said("清理并集中发布现行有效行政规范性文件393件") == set()  # a clean-up count, not the table's
    assert _said("制定和废止规范性文件3件") == set()  # two verbs: which column?
    assert _said("规范性文件类信息68条") == set()  # no verb: published items, another count
    assert _said("备案审查部门规章4件") == set()


def test_the_2019_template_has_only_the_new_made_column_in_words() -> None:
    assert _said("本年制发规范性文件27件，废止3件", "2019") == {("normative_documents", "new_made", 27)}


def _st(col: str, value: int) -> Statement:
    return Statement("normative_documents", col, value, "")


def test_the_single_reading_agreeing_with_most_statements_is_chosen() -> None:
    readings = [(1, 5, 621), (1, 56, 21), (1, 562, 1), (15, 6, 21), (15, 62, 1), (156, 2, 1)]
    chosen = choose_reading(readings, COLS_2021, "normative_documents", [_st("issued", 15), _st("repealed", 6)])
    assert chosen is not None and readings[chosen[0]] == (15, 6, 21) and len(chosen[1]) == 2


def test_a_tie_or_a_contradiction_chooses_nothing() -> None:
    readings = [(77, 1, 32470), (77, 13, 2470), (77, 132, 470), (7, 7, 132470)]
    # 77 issued fits three readings; 393 in force fits none
    assert choose_reading(readings, COLS_2021, "normative_documents", [_st("issued", 77), _st("in_force", 393)]) is None
    assert choose_reading(readings, COLS_2021, "normative_documents", [_st("in_force", 393)]) is None
    assert choose_reading(readings, COLS_2021, "normative_documents", []) is None
    # a statement about another row says nothing here
    other = Statement("regulations", "issued", 7, "")
    assert choose_reading(readings, COLS_2021, "normative_documents", [other]) is None

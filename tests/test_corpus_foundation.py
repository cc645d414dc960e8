"""The real seed-style TXT and HTML reports load; each rule failure is genuinely in the document.

Failures were checked by hand against the originals in ../shared/corpus/real:
- ningbo-police-2019.txt: consistent, no rule fails.
- shanghai-gov-office-2019.html: the 总计 column is printed only for 一, 二, （七） and 四; every outcome
  row's 总计 cell is blank (&nbsp;). So R2 on the total column compares （七）总计 805 with blank
  outcome cells (0): a real inconsistency of the printed table. R3 on the blank-total rows and R1/R2 on
  the columns whose （七）总计 is blank are not assessable (passed NULL), as the contract asks.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import corpus_file
from tests.helpers import failing_rules, ingest_inbox

DOCS = ["ningbo-police-2019.txt", "shanghai-gov-office-2019.html"]


@pytest.fixture(scope="module")
def corpus_warehouse(tmp_path_factory):
    inbox = tmp_path_factory.mktemp("inbox")
    for name in DOCS:
        shutil.copy(corpus_file(name), inbox / name)
    con = ingest_inbox(inbox, tmp_path_factory.mktemp("wh") / "w.duckdb")
    yield con
    con.close()


def test_every_document_loads(corpus_warehouse) -> None:
    rows = corpus_warehouse.execute("SELECT source_file, agency_name, year, template FROM reports ORDER BY 1").fetchall()
    assert rows == [("ningbo-police-2019.txt", "宁波市公安局", 2019, "2019"),
                    ("shanghai-gov-office-2019.html", "上海市人民政府办公厅", 2019, "2019")]
    assert corpus_warehouse.execute("SELECT count(*) FROM quarantine").fetchall()[0][0] == 0


def test_seed_passes_every_rule(corpus_warehouse) -> None:
    assert failing_rules(corpus_warehouse, "ningbo-police-2019.txt") == {}
    n = corpus_warehouse.execute(
        "SELECT count(DISTINCT rule_id) FROM quality_results q JOIN reports r USING (report_id) "
        "WHERE r.source_file = 'ningbo-police-2019.txt' AND passed "
        "AND rule_id IN ('R1_flow', 'R2_outcomes', 'R3_requesters', 'R4_review_totals')").fetchall()[0][0]
    assert n == 4


def test_shanghai_failures_are_in_the_document(corpus_warehouse) -> None:
    assert failing_rules(corpus_warehouse, "shanghai-gov-office-2019.html") == {"R2_outcomes": ["total"]}
    r2 = corpus_warehouse.execute(
        "SELECT expected, observed FROM quality_results q JOIN reports r USING (report_id) "
        "WHERE r.source_file = 'shanghai-gov-office-2019.html' AND rule_id = 'R2_outcomes' AND scope = 'total'"
    ).fetchall()
    assert r2 == [(805.0, 0.0)]
    # Blank 总计 cells: not assessable, not failed.
    na = dict(corpus_warehouse.execute(
        "SELECT rule_id, count(*) FROM quality_results q JOIN reports r USING (report_id) "
        "WHERE r.source_file = 'shanghai-gov-office-2019.html' AND passed IS NULL GROUP BY 1").fetchall())
    assert na == {"R1_flow": 2, "R2_outcomes": 2, "R3_requesters": 19, "R4_review_totals": 1}


def test_shanghai_cells_as_printed(corpus_warehouse) -> None:
    def cell(row: str, col: str):
        return corpus_warehouse.execute(
            "SELECT value, printed, blank FROM request_facts f JOIN reports r USING (report_id) "
            "WHERE r.source_file = 'shanghai-gov-office-2019.html' AND row_code = ? AND requester_type = ?",
            [row, col]).fetchall()[0]

    assert cell("received_new", "total")[0] == 859
    assert cell("granted", "natural_person")[0] == 258
    assert cell("granted", "total") == (0, "", True)  # printed &nbsp;: 0 with the blank flag
    amount = corpus_warehouse.execute(
        "SELECT value, printed FROM proactive_facts f JOIN reports r USING (report_id) "
        "WHERE r.source_file = 'shanghai-gov-office-2019.html' AND row_code = 'centralized_procurement' "
        "AND column_code = 'procurement_amount'").fetchall()
    assert amount == [(251000.0, "251000元")]


def test_same_inbox_twice_changes_nothing(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name in DOCS:
        shutil.copy(corpus_file(name), inbox / name)
    con = ingest_inbox(inbox, tmp_path / "w.duckdb")
    snap = lambda: [con.execute(q).fetchall() for q in (  # noqa: E731
        "SELECT * EXCLUDE (loaded_at) FROM report_history ORDER BY report_id",
        "SELECT * FROM facts ORDER BY ALL",
        "SELECT * EXCLUDE (evaluated_at) FROM quality_results ORDER BY ALL")]
    before = snap()
    con.close()
    con = ingest_inbox(inbox, tmp_path / "w.duckdb")
    assert snap() == before
    con.close()

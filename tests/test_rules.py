"""Cross-check rules R1–R4 fire on a broken report and stay silent on a clean one (crafted reports)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from pipelines.lib.codes import load_codes
from pipelines.lib.harmonize.interpret import derive_other_total
from pipelines.lib.judge import quality
from pipelines.lib.load import connection, loader
from pipelines.lib.model import Fact, ParsedReport

COLS = list(load_codes().requester_types)


def clean_report(sha: str = "a" * 64, agency: str = "杭州市教育局", year: int = 2022) -> ParsedReport:
    """A 2021-template report whose arithmetic holds: per column 10 new + 2 carried = 9 processed + 3 forward."""
    per_col = {"received_new": 10, "carried_over_from_prior": 2, "granted": 4, "partially_granted": 1,
               "denied_process_info": 1, "unavailable_not_held": 2, "not_processed_duplicate": 1,
               "processed_total": 9, "carried_forward": 3}
    rows = load_codes().request_rows_for("2021", split_other=True)
    facts = []
    for row in rows:
        for col in COLS:
            v = per_col.get(row, 0) * (6 if col == "total" else 1)
            facts.append(Fact("T3", row, col, float(v), str(v), False))
    for proc in load_codes().proceedings:
        vals = {"upheld": 2, "corrected": 1, "other": 0, "pending": 1, "total": 4}
        facts += [Fact("T4", proc, r, float(v), str(v), False) for r, v in vals.items()]
    for item in load_codes().proactive["2021"].values():
        facts += [Fact("T2", r, c, 3.0, "3", False, item=item.item) for r in item.rows for c in item.columns]
    facts += derive_other_total(facts)
    return ParsedReport(source_file=f"{agency}-{year}.txt", sha256=sha, format="txt", agency_name=agency, year=year,
                        template="2021", title=f"{agency}{year}年度政府信息公开工作年度报告", facts=facts)


def set_cell(rep: ParsedReport, table: str, row: str, col: str, value: float, *, blank: bool = False) -> ParsedReport:
    facts = [replace(f, value=value, printed="" if blank else str(int(value)), blank=blank)
             if (f.table, f.row_code, f.col_code) == (table, row, col) else f for f in rep.facts]
    return replace(rep, facts=facts)


def evaluate(tmp_path: Path, *reports: ParsedReport) -> dict[tuple[str, str], bool | None]:
    con = connection.open_warehouse(tmp_path / "w.duckdb")
    for rep in reports:
        loader.load_report(con, rep)
    quality.refresh_quality(con)
    rows = con.execute("SELECT rule_id, scope, passed FROM quality_results WHERE rule_id LIKE 'R_\\_%' ESCAPE '\\' "
                       "AND rule_id IN ('R1_flow','R2_outcomes','R3_requesters','R4_review_totals')").fetchall()
    con.close()
    return {(r, s): p for r, s, p in rows}


def test_clean_report_passes_every_rule(tmp_path: Path) -> None:
    results = evaluate(tmp_path, clean_report())
    assert results and all(p is True for p in results.values())
    assert {r for r, _ in results} == {"R1_flow", "R2_outcomes", "R3_requesters", "R4_review_totals"}
    assert len(results) == 7 + 7 + 25 + 3  # 25 printed rows in the 2021 layout


@pytest.mark.parametrize(("cell", "fails"), [
    (("T3", "carried_forward", "natural_person", 5), {("R1_flow", "natural_person"), ("R3_requesters", "carried_forward")}),
    (("T3", "granted", "total", 30), {("R2_outcomes", "total"), ("R3_requesters", "granted")}),
    (("T3", "processed_total", "research_institution", 8),
     {("R1_flow", "research_institution"), ("R2_outcomes", "research_institution"), ("R3_requesters", "processed_total")}),
    (("T4", "litigation_direct", "total", 0, ), {("R4_review_totals", "litigation_direct")}),
])
def test_broken_cell_fires_exactly_its_rules(tmp_path: Path, cell, fails) -> None:
    table, row, col, value = cell
    results = evaluate(tmp_path, set_cell(clean_report(), table, row, col, value))
    assert {k for k, p in results.items() if p is False} == fails
    assert all(p is True for k, p in results.items() if k not in fails)


def test_blank_total_is_not_assessable(tmp_path: Path) -> None:
    rep = set_cell(clean_report(), "T3", "granted", "total", 0, blank=True)
    rep = set_cell(rep, "T4", "admin_review", "total", 0, blank=True)
    results = evaluate(tmp_path, rep)
    assert results[("R3_requesters", "granted")] is None
    assert results[("R4_review_totals", "admin_review")] is None
    assert results[("R2_outcomes", "total")] is False  # a blank part is 0; the printed total disagrees


def test_broken_report_loads_as_printed(tmp_path: Path) -> None:
    rep = set_cell(clean_report(), "T3", "granted", "natural_person", 99)
    con = connection.open_warehouse(tmp_path / "w.duckdb")
    loader.load_report(con, rep)
    got = con.execute("SELECT value FROM request_facts WHERE row_code = 'granted' AND requester_type = 'natural_person'"
                      ).fetchall()
    assert got == [(99,)]
    con.close()

"""Every rule family fires on a crafted failing report and stays silent on a clean one; reviews persist."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from pipelines.lib.judge import quality
from pipelines.lib.judge.reviews import ReviewError, record_review
from pipelines.lib.load import connection, loader
from pipelines.lib.serve import quality_report
from tests.test_rules import clean_report, set_cell


def results(con) -> dict[tuple[str | None, str, str], bool | None]:
    return {(r, rule, s): p for r, rule, s, p in
            con.execute("SELECT report_id, rule_id, scope, passed FROM quality_results").fetchall()}


@pytest.fixture
def con(tmp_path: Path):
    c = connection.open_warehouse(tmp_path / "w.duckdb")
    yield c
    c.close()


def failures(con) -> set[tuple[str, str]]:
    return {(rule, s) for (_, rule, s), p in results(con).items() if p is False}


def test_clean_report_passes_every_family(con) -> None:
    rep = replace(clean_report(), narrative="本年度共收到政府信息公开申请60件。")
    loader.load_report(con, rep)
    quality.refresh_quality(con)
    assert failures(con) == set()
    by_rule = {rule for (_, rule, _), p in results(con).items() if p is True}
    assert {"S1_codes_in_domain", "S2_report_keys", "U1_one_current_report", "V1_counts_nonnegative_integers",
            "N1_narrative_received", "R1_flow", "C1_required_cells"} <= by_rule


def test_value_rule_fires_on_a_negative_count(con) -> None:
    loader.load_report(con, set_cell(clean_report(), "T4", "admin_review", "pending", -1))
    quality.refresh_quality(con)
    assert ("V1_counts_nonnegative_integers", "T4") in failures(con)


def test_completeness_fires_on_a_missing_row(con) -> None:
    rep = clean_report()
    rep = replace(rep, facts=[f for f in rep.facts if f.row_code != "denied_admin_query"])
    loader.load_report(con, rep)
    quality.refresh_quality(con)
    assert ("C1_required_cells", "表三") in failures(con)


def test_narrative_rule_fires_when_text_and_table_disagree(con) -> None:
    loader.load_report(con, replace(clean_report(), narrative="全年共受理政府信息公开申请75件，均按时答复。"))
    quality.refresh_quality(con)
    rows = con.execute("SELECT expected, observed, passed FROM quality_results WHERE rule_id = 'N1_narrative_received'"
                       ).fetchall()
    assert rows == [(60.0, 75.0, False)]


def test_narrative_rule_not_assessable_without_a_number(con) -> None:
    loader.load_report(con, replace(clean_report(), narrative="依申请公开工作有序开展。"))
    quality.refresh_quality(con)
    assert con.execute("SELECT passed FROM quality_results WHERE rule_id = 'N1_narrative_received'").fetchall() == [(None,)]


def test_schema_rule_fires_on_a_code_outside_the_dictionary(con) -> None:
    loader.load_report(con, clean_report())
    # A fact loaded under a code that codes.yaml no longer defines (e.g. after a dictionary change).
    con.execute("UPDATE facts SET row_code = 'granted_old' WHERE row_code = 'granted' AND col_code = 'total'")
    quality.refresh_quality(con)
    assert ("S1_codes_in_domain", "T3") in failures(con)
    assert quality.blocking_rules() >= {"S1_codes_in_domain", "S2_report_keys", "U1_one_current_report"}
    sev = con.execute("SELECT DISTINCT severity FROM quality_results WHERE rule_id = 'S1_codes_in_domain'").fetchall()
    assert sev == [("error",)]


def test_uniqueness_fires_when_one_agency_splits_into_two_ids(con) -> None:
    loader.load_report(con, clean_report(sha="b" * 64))
    loader.load_report(con, clean_report(sha="c" * 64))  # a revision: same agency-year, one current report
    quality.refresh_quality(con)
    assert not any(rule == "U1_one_current_report" for rule, _ in failures(con))
    con.execute("UPDATE report_history SET agency_id = agency_id || '-x' WHERE report_id = ?", [loader.report_id_for("b" * 64)])
    quality.refresh_quality(con)
    assert ("U1_one_current_report", "杭州市教育局 2022") in failures(con)


def test_reviews_survive_reruns_and_reparses(con) -> None:
    rep = set_cell(clean_report(), "T3", "granted", "total", 30)
    rid = loader.load_report(con, rep)
    quality.refresh_quality(con)
    with pytest.raises(ReviewError):
        record_review(con, rid, "R3_requesters", "granted", "dismissed")  # a dismissal needs a reason
    record_review(con, rid, "R3_requesters", "granted", "confirmed", reviewer="tester")
    record_review(con, rid, "R2_outcomes", "total", "dismissed", reason="typo in our transcription", reviewer="tester")
    loader.load_report(con, rep)  # the same document parsed and loaded again
    quality.refresh_quality(con)
    got = con.execute("SELECT rule_id, scope, review_decision, review_reason FROM quality_findings "
                      "WHERE review_decision IS NOT NULL ORDER BY 1").fetchall()
    assert got == [("R2_outcomes", "total", "dismissed", "typo in our transcription"),
                   ("R3_requesters", "granted", "confirmed", None)]


def test_html_report_names_the_failing_agency(con) -> None:
    loader.load_report(con, clean_report(agency="杭州市公安局", sha="d" * 64))
    loader.load_report(con, set_cell(clean_report(agency="宁波市公安局", sha="e" * 64), "T3", "granted", "total", 30))
    quality.refresh_quality(con)
    page = quality_report.html_report(con, quality.rule_descriptions())
    assert page.startswith("<!doctype html>") and "data:image/png;base64," in page
    findings = page.split("<h2>Findings</h2>")[1].split("<h2>")[0]
    assert "宁波市公安局" in findings and "杭州市公安局" not in findings
    card = quality_report.scorecard(con)
    assert card.by_year.row(0, named=True)["pct_consistent"] == 50.0

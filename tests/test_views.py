"""The analyst views on a small hand-made warehouse, every expected value computed by hand below.

Agencies (levels: province, city, county, one unplaceable):
  A 宁波市公安局 (city 330200): 2019 (2019 template), 2020 printed as 浙江省宁波市公安局 and revised once
    (v2 printed as 宁波市公安局), 2021 (2021 template; 上年结转 20 but 2020 carried 15 forward -> R5 fails),
    2022 missing, 2023, 2024 (现行有效 60 vs 50 + 5 - 1 -> X2 fails).
  B 江苏省人民政府办公厅 (province): 2023, 2024 (nothing received: every rate NULL).
  C 淮安市洪泽区人民政府 (county) and D 淮安市人民政府 (city): 2024.
  E 某某行业协会: 2024, cannot be placed (A1 fails).
Table 三: every request goes to 自然人, so each 总计 cell equals the 自然人 cell.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import duckdb
import pytest

from pipelines.lib.codes import load_codes
from pipelines.lib.judge import quality
from pipelines.lib.load import connection, loader
from pipelines.lib.model import Fact, ParsedReport

REPO = Path(__file__).resolve().parents[1]
CODES = load_codes()
OUTCOME_ROWS = set(CODES.outcome_rows())


def t3_facts(template: str, cells: dict[str, int]) -> list[Fact]:
    """All table-三 cells of a template; `cells` gives the non-zero rows (自然人 = 总计), processed_total summed."""
    split = template == "2021"
    rows = CODES.request_rows_for(template, split_other=split)
    cells = dict(cells)
    if split:
        cells["other_total"] = sum(cells.get(r, 0) for r in ("other_no_correction", "other_unpaid_fee", "other_other"))
    cells["processed_total"] = sum(v for r, v in cells.items() if r in OUTCOME_ROWS)
    facts = []
    for row in [*rows, *(["other_total"] if split else [])]:
        for col in CODES.requester_types:
            v = cells.get(row, 0) if col in ("natural_person", "total") else 0
            facts.append(Fact("T3", row, col, v, str(v), False, derived=(split and row == "other_total")))
    return facts


def t4_facts(cells: dict[tuple[str, str], int]) -> list[Fact]:
    facts = []
    for proc in CODES.proceedings:
        parts = {res: cells.get((proc, res), 0) for res in ("upheld", "corrected", "other", "pending")}
        parts["total"] = sum(parts.values())
        facts += [Fact("T4", proc, res, v, str(v), False) for res, v in parts.items()]
    return facts


def t2_facts(template: str, normative: dict[str, int], penalty: int) -> list[Fact]:
    facts = [Fact("T2", "normative_documents", col, v, str(v), False, item="item_1") for col, v in normative.items()]
    return facts + [Fact("T2", "admin_penalty", "decisions", penalty, str(penalty), False, item="item_6")]


def report(name: str, year: int, t3: dict[str, int], t4: dict | None = None, t2: tuple | None = None,
           version: int = 1) -> ParsedReport:
    template = "2019" if year <= 2020 else "2021"
    sha = hashlib.sha256(f"{name}|{year}|{version}".encode()).hexdigest()
    facts = t3_facts(template, t3) + t4_facts(t4 or {})
    if t2:
        facts += t2_facts(template, *t2)
    return ParsedReport(source_file=f"{name}-{year}-v{version}.txt", sha256=sha, format="txt", agency_name=name,
                        year=year, template=template, title=f"{name}{year}年度政府信息公开工作年度报告", facts=facts)


A, A_LONG, B, C, D, E = ("宁波市公安局", "浙江省宁波市公安局", "江苏省人民政府办公厅", "淮安市洪泽区人民政府",
                         "淮安市人民政府", "某某行业协会")

REPORTS = [
    report(A, 2019, {"received_new": 100, "carried_over_from_prior": 10, "granted": 50, "partially_granted": 10,
                     "denied_state_secret": 5, "denied_process_info": 5, "unavailable_not_held": 20,
                     "other_total": 5, "carried_forward": 15},
           {("admin_review", "upheld"): 2, ("admin_review", "corrected"): 1, ("admin_review", "pending"): 1,
            ("litigation_direct", "upheld"): 1},
           ({"new_made": 3, "new_published": 3, "total_published": 30}, 100)),
    report(A_LONG, 2020, {"received_new": 200, "carried_over_from_prior": 15, "granted": 100, "partially_granted": 20,
                          "denied_state_secret": 10, "unavailable_not_held": 60, "other_total": 10,
                          "carried_forward": 15}),
    # the corrected re-issue of 2020 (loaded later, so it wins): 10 requests moved from 无法提供 to 予以公开
    report(A, 2020, {"received_new": 200, "carried_over_from_prior": 15, "granted": 110, "partially_granted": 20,
                     "denied_state_secret": 10, "unavailable_not_held": 50, "other_total": 10,
                     "carried_forward": 15}, version=2),
    report(A, 2021, {"received_new": 80, "carried_over_from_prior": 20, "granted": 40, "partially_granted": 10,
                     "denied_third_party_rights": 10, "unavailable_not_held": 10, "other_no_correction": 2,
                     "other_other": 3, "carried_forward": 25},
           t2=({"issued": 4, "repealed": 1, "in_force": 40}, 120)),
    report(A, 2023, {"received_new": 100, "granted": 60, "partially_granted": 10, "denied_state_secret": 10,
                     "denied_process_info": 10, "unavailable_not_held": 10},
           t2=({"issued": 5, "repealed": 0, "in_force": 50}, 130)),
    report(A, 2024, {"received_new": 50, "granted": 20, "partially_granted": 5, "denied_process_info": 15,
                     "unavailable_not_held": 10},
           {("admin_review", "upheld"): 1, ("admin_review", "corrected"): 2, ("admin_review", "pending"): 1,
            ("litigation_after_review", "corrected"): 1},
           ({"issued": 5, "repealed": 1, "in_force": 60}, 90)),
    report(B, 2023, {"received_new": 40, "granted": 30, "unavailable_not_held": 10}),
    report(B, 2024, {}),
    report(C, 2024, {"received_new": 10, "granted": 5, "denied_state_secret": 5}),
    report(D, 2024, {"received_new": 20, "granted": 10, "partially_granted": 5, "denied_law_prohibited": 5}),
    report(E, 2024, {"received_new": 1, "granted": 1}),
]


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    c = connection.open_warehouse(tmp_path_factory.mktemp("views") / "w.duckdb")
    for rep in REPORTS:
        loader.load_report(c, rep)
    quality.refresh_quality(c)
    yield c
    c.close()


def rid(rep: ParsedReport) -> str:
    return loader.report_id_for(rep.sha256)


def one(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> tuple:
    rows = con.execute(sql, params or []).fetchall()
    assert len(rows) == 1, rows
    return rows[0]


def test_reports_expose_the_agency_dimension(con) -> None:
    rows = con.execute("SELECT agency_name, year, region_name, adcode, admin_level, sector FROM reports "
                       "WHERE year = 2024 ORDER BY adcode NULLS LAST").fetchall()
    assert rows == [
        (B, 2024, "江苏省", "320000", "province", "general_government"),
        (D, 2024, "江苏省淮安市", "320800", "city", "general_government"),
        (C, 2024, "江苏省淮安市洪泽区", "320813", "county", "general_government"),
        (A, 2024, "浙江省宁波市", "330200", "city", "public_security"),
        (E, 2024, None, None, None, None),
    ]


def test_agencies_dimension(con) -> None:
    row = one(con, "SELECT agency_id, agency_name, name_variants, first_year, last_year, years_present, versions, "
                   "sector_zh, sector_en FROM agencies WHERE agency_id = '330200:公安局'")
    assert row == ("330200:公安局", A, [A_LONG, A] if A_LONG < A else [A, A_LONG], 2019, 2024, 5, 6,
                   "公安", "Public security (police)")
    assert one(con, "SELECT count(*) FROM agencies")[0] == 5


def test_revision_newest_wins_and_history_keeps_the_old(con) -> None:
    old, new = REPORTS[1], REPORTS[2]
    # the contract relations show the corrected version only
    assert one(con, "SELECT report_id, agency_name FROM reports WHERE agency_id = '330200:公安局' AND year = 2020") \
        == (rid(new), A)
    assert one(con, "SELECT value FROM request_facts WHERE year = 2020 AND agency_name = ? AND row_code = 'granted' "
                    "AND requester_type = 'total'", [A])[0] == 110
    assert one(con, "SELECT count(*) FROM request_facts WHERE report_id = ?", [rid(old)])[0] == 0
    # history keeps both, in load order
    rows = con.execute("SELECT report_id, version_no, versions, is_current FROM report_versions "
                       "WHERE agency_id = '330200:公安局' AND year = 2020 ORDER BY version_no").fetchall()
    assert rows == [(rid(old), 1, 2, False), (rid(new), 2, 2, True)]
    assert one(con, "SELECT value FROM fact_provenance WHERE report_id = ? AND table_no = 'T3' "
                    "AND row_code = 'granted' AND col_code = 'total'", [rid(old)])[0] == 100
    assert one(con, "SELECT count(*) FROM report_versions")[0] == len(REPORTS)
    assert one(con, "SELECT count(*) FROM report_versions WHERE is_current")[0] == len(REPORTS) - 1


def test_revision_loaded_again_does_not_duplicate(con) -> None:
    loader.load_report(con, REPORTS[2])  # the same document again: same report_id, still newest
    assert one(con, "SELECT count(*) FROM report_versions WHERE agency_id = '330200:公安局' AND year = 2020")[0] == 2
    assert one(con, "SELECT report_id FROM reports WHERE agency_id = '330200:公安局' AND year = 2020")[0] \
        == rid(REPORTS[2])


def test_request_wide(con) -> None:
    cols = con.execute("SELECT * FROM request_wide LIMIT 0").description
    names = [c[0] for c in cols]
    assert len(names) == 9 + 26 * 7
    r19 = one(con, "SELECT granted_total, partially_granted_natural_person, denied_process_info_total, "
                   "other_total_total, other_other_total, processed_total_total, carried_forward_total, "
                   "granted_commercial_enterprise FROM request_wide WHERE report_id = ?", [rid(REPORTS[0])])
    assert r19 == (50, 10, 5, 5, None, 95, 15, 0)
    r21 = one(con, "SELECT other_no_correction_total, other_other_total, other_total_total, processed_total_total "
                   "FROM request_wide WHERE report_id = ?", [rid(REPORTS[3])])
    assert r21 == (2, 3, 5, 75)
    assert one(con, "SELECT count(*) FROM request_wide")[0] == len(REPORTS) - 1


def test_outcome_mix(con) -> None:
    rows = dict(con.execute("SELECT outcome_group, share FROM outcome_mix WHERE report_id = ?",
                            [rid(REPORTS[0])]).fetchall())
    assert rows == pytest.approx({"granted": 50 / 95, "partially_granted": 10 / 95, "denied": 10 / 95,
                                  "unavailable": 20 / 95, "not_processed": 0.0, "other": 5 / 95})
    # 2021 template: 其他处理 = the three sub-rows
    assert one(con, "SELECT requests, share FROM outcome_mix WHERE report_id = ? AND outcome_group = 'other'",
               [rid(REPORTS[3])]) == (5, pytest.approx(5 / 75))
    # nothing processed: shares NULL, not an error
    shares = con.execute("SELECT DISTINCT share FROM outcome_mix WHERE report_id = ?", [rid(REPORTS[7])]).fetchall()
    assert shares == [(None,)]
    assert one(con, "SELECT label_zh, label_en FROM outcome_mix WHERE report_id = ? AND outcome_group = 'denied'",
               [rid(REPORTS[0])]) == ("不予公开", "Denied (exempt from disclosure)")


def test_exemption_mix(con) -> None:
    rows = con.execute("SELECT reason, requests, share_of_denied, share_of_processed FROM exemption_mix "
                       "WHERE report_id = ? AND requests > 0 ORDER BY reason", [rid(REPORTS[4])]).fetchall()
    assert rows == [("denied_process_info", 10, 0.5, 0.1), ("denied_state_secret", 10, 0.5, 0.1)]
    assert one(con, "SELECT count(*) FROM exemption_mix WHERE report_id = ?", [rid(REPORTS[4])])[0] == 8
    assert one(con, "SELECT count(*) FROM exemption_mix WHERE report_id = ? AND share_of_denied IS NULL",
               [rid(REPORTS[6])])[0] == 8  # B 2023 denied nothing


def test_report_metrics(con) -> None:
    cols = ("substantive_disclosure_rate, denial_share, correction_rate, dispute_rate, disputes, corrected, "
            "concluded, received_new, processed_total")
    sql = f"SELECT {cols} FROM report_metrics WHERE report_id = ?"
    # A 2019: (50+10)/95; 10/95; reviews 4 + lawsuits 1 = 5 disputes, 1 pending -> 4 concluded, 1 corrected
    assert one(con, sql, [rid(REPORTS[0])]) == pytest.approx((60 / 95, 10 / 95, 0.25, 5.0, 5, 1, 4, 100, 95))
    # A 2024: 25/50; 15/50; disputes 4 + 1 = 5, pending 1 -> 4 concluded, 3 corrected; 5 per 50 requests = 10
    assert one(con, sql, [rid(REPORTS[5])]) == pytest.approx((0.5, 0.3, 0.75, 10.0, 5, 3, 4, 50, 50))
    # A 2021: no disputes -> correction rate NULL (0 concluded), dispute rate 0
    row = one(con, sql, [rid(REPORTS[3])])
    assert row[2] is None and row[3] == 0.0
    # B 2024: nothing at all -> every rate NULL
    assert one(con, sql, [rid(REPORTS[7])])[:4] == (None, None, None, None)


def test_agency_year_change(con) -> None:
    row = one(con, "SELECT prev_year, received_new_change, received_new_pct_change, denial_share_change, "
                   "substantive_disclosure_rate_change FROM agency_year_change "
                   "WHERE agency_id = '330200:公安局' AND year = 2024")
    assert row == pytest.approx((2023, -50, -0.5, 0.3 - 0.2, 0.5 - 0.7))
    # 2022 is missing: the 2023 row has no predecessor
    assert one(con, "SELECT prev_year, denial_share_change FROM agency_year_change "
                    "WHERE agency_id = '330200:公安局' AND year = 2023") == (None, None)
    # 2020 -> 2021 crosses the template boundary; table 三 is comparable, so the change is defined
    assert one(con, "SELECT received_new_change FROM agency_year_change "
                    "WHERE agency_id = '330200:公安局' AND year = 2021")[0] == -120
    # B 2023 -> 2024: received 40 -> 0, denial share 0 -> NULL
    assert one(con, "SELECT received_new_pct_change, denial_share_change FROM agency_year_change "
                    "WHERE agency_name = ? AND year = 2024", [B]) == (-1.0, None)


def test_regional_rollup(con) -> None:
    sql = ("SELECT region_name, agencies, received_new, processed_total, denied, substantive_disclosure_rate, "
           "denial_share FROM regional_rollup WHERE year = 2024 AND region_level = ? AND region_adcode = ? "
           "AND admin_level = ?")
    # 江苏省 2024: B (0) + C (10) + D (20) received; granted 15, partial 5, denied 10 of 30 processed
    assert one(con, sql, ["province", "320000", "all"]) == pytest.approx(
        ("江苏省", 3, 30, 30, 10, 20 / 30, 10 / 30))
    assert one(con, sql, ["province", "320000", "county"]) == pytest.approx(("江苏省", 1, 10, 10, 5, 0.5, 0.5))
    # 淮安市 2024: C + D, not the province-level B
    assert one(con, sql, ["city", "320800", "all"]) == pytest.approx(("淮安市", 2, 30, 30, 10, 20 / 30, 10 / 30))
    assert one(con, sql, ["city", "330200", "all"])[:3] == ("宁波市", 1, 50)
    # B alone in 2024: every denominator 0 -> rates NULL
    assert one(con, sql, ["province", "320000", "province"])[5:] == (None, None)
    # the unplaceable agency E is in no region
    assert one(con, "SELECT sum(agencies) FROM regional_rollup WHERE year = 2024 AND region_level = 'province' "
                    "AND admin_level = 'all'")[0] == 4


def test_coverage(con) -> None:
    rows = con.execute("SELECT year, status, versions FROM coverage WHERE agency_id = '330200:公安局' "
                       "ORDER BY year").fetchall()
    assert rows == [(2019, "present", 1), (2020, "revised", 2), (2021, "present", 1), (2022, "missing", 0),
                    (2023, "present", 1), (2024, "present", 1)]
    assert one(con, "SELECT count(*) FROM coverage WHERE status = 'missing'")[0] == 1
    assert one(con, "SELECT count(*) FROM coverage")[0] == 6 + 2 + 1 + 1 + 1


def test_proactive_series_crosses_templates(con) -> None:
    rows = con.execute("SELECT year, template, column_code, value FROM proactive_series "
                       "WHERE series = 'normative_documents_issued' ORDER BY year").fetchall()
    assert rows == [(2019, "2019", "new_made", 3), (2021, "2021", "issued", 4), (2023, "2021", "issued", 5),
                    (2024, "2021", "issued", 5)]
    assert con.execute("SELECT year, value FROM proactive_series WHERE series = 'penalty_decisions' AND comparable "
                       "ORDER BY year").fetchall() == [(2019, 100), (2021, 120), (2023, 130), (2024, 90)]
    # 对外公开总数量 and 现行有效件数 are not the same thing
    assert {r[0] for r in con.execute("SELECT DISTINCT comparable FROM proactive_series "
                                      "WHERE series = 'normative_documents_stock'").fetchall()} == {False}


def _findings(con, rule_id: str) -> list[tuple]:
    return con.execute(
        "SELECT r.agency_name, r.year, q.scope, q.expected, q.observed, q.passed FROM quality_results q "
        "JOIN reports r USING (report_id) WHERE q.rule_id = ? AND q.passed IS DISTINCT FROM true "
        "ORDER BY 1, 2, 3", [rule_id]).fetchall()


def test_r5_carry_continuity(con) -> None:
    assert _findings(con, "R5_carry_continuity") == [
        (A, 2021, "natural_person", 15, 20, False), (A, 2021, "total", 15, 20, False)]
    # pairs evaluated: A 2019->2020, 2020->2021, 2023->2024, B 2023->2024, 7 requester columns each
    assert one(con, "SELECT count(*) FROM quality_results WHERE rule_id = 'R5_carry_continuity'")[0] == 4 * 7


def test_x2_in_force_plausibility(con) -> None:
    assert _findings(con, "X2_in_force_continuity") == [(A, 2024, "normative_documents", 54, 60, False)]
    assert one(con, "SELECT DISTINCT severity FROM quality_results WHERE rule_id = 'X2_in_force_continuity'")[0] \
        == "warning"


def test_agency_placement_rule(con) -> None:
    assert _findings(con, "A1_agency_placed") == [(E, 2024, "agency", 1, 0, False)]


def test_every_view_has_a_comment(con) -> None:
    views = con.execute("SELECT view_name, comment FROM duckdb_views() WHERE schema_name = 'main' "
                        "AND NOT internal").fetchall()
    assert len(views) >= 15
    assert [v for v, c in views if not c] == []
    for t in ("code_labels", "proactive_crosswalk", "outcome_groups", "admin_divisions", "report_history"):
        assert one(con, "SELECT comment FROM duckdb_tables() WHERE table_name = ?", [t])[0]


def test_code_labels(con) -> None:
    assert one(con, "SELECT label_zh, label_en FROM code_labels WHERE domain = 'sector' "
                    "AND code = 'public_security'") == ("公安", "Public security (police)")
    assert one(con, "SELECT count(*) FROM code_labels WHERE label_zh IS NULL OR label_en IS NULL")[0] == 0


def analyst_queries() -> list[str]:
    text = (REPO / "docs" / "analyst-queries.md").read_text(encoding="utf-8")
    return re.findall(r"```sql\n(.*?)```", text, flags=re.S)


def test_analyst_queries_run_and_answer(con) -> None:
    q1, q2, q3 = analyst_queries()[:3]  # the fourth needs crawler text: tests/test_crawler_text.py
    top = con.execute(q1).fetchall()
    assert top[0][0] == A and top[0][-1] == pytest.approx(0.1)
    uses = con.execute(q2).fetchall()
    assert (2024, "三、（三）6.属于四类过程性信息") in {(r[0], r[1]) for r in uses}
    assert {(r[0], r[1], r[-1]) for r in uses if r[0] == 2019} == {
        (2019, "三、（三）1.属于国家秘密", 5), (2019, "三、（三）6.属于四类过程性信息", 5)}
    breaks = con.execute(q3).fetchall()
    assert [(r[0], r[1], r[2]) for r in breaks] == [(A, 2021, "natural_person"), (A, 2021, "total")]


def test_loaded_reports_follow_the_agency_dimension(con) -> None:
    """A report is loaded once; reopening the warehouse re-resolves its agency columns (e.g. after the
    division data or the sector taxonomy changed)."""
    con.execute("UPDATE report_history SET agency_id = 'stale', adcode = NULL, sector = NULL WHERE report_id = ?",
                [rid(REPORTS[0])])
    connection.apply_schema(con)  # the resolver's inputs did not change: nothing is re-resolved (it costs seconds at scale)
    assert one(con, "SELECT agency_id FROM report_history WHERE report_id = ?", [rid(REPORTS[0])]) == ("stale",)
    con.execute("UPDATE warehouse_meta SET value = 'old' WHERE key = 'agency_resolver'")  # as after a data update
    connection.apply_schema(con)
    connection.apply_views(con)  # as connection.open_warehouse does: the seeded tables get their comments back
    assert one(con, "SELECT agency_id, adcode, sector FROM report_history WHERE report_id = ?",
               [rid(REPORTS[0])]) == ("330200:公安局", "330200", "public_security")


def test_data_dictionary_covers_every_relation_code_and_rule(con) -> None:
    from pipelines.lib.judge.quality import rule_ids
    from pipelines.lib.serve import dictionary, export

    page = dictionary.render(con)
    for rel in export.RELATIONS:
        assert f"### {rel}\n" in page, rel
    for rule in ("R5_carry_continuity", "X2_in_force_continuity", "A1_agency_placed"):
        assert rule in rule_ids() and f"`{rule}`" in page
    for code in CODES.request_rows:
        assert f"| `{code}` |" in page
    assert "| `public_security` | 公安 |" in page
    # every column of the contract relations and analyst views is described
    sections = dict(re.findall(r"### (\w+)\n(.*?)(?=\n### |\n## |\Z)", page, flags=re.S))
    for rel in export.RELATIONS:
        assert "|  |" not in sections[rel], rel
    committed = (REPO / "docs" / "data-dictionary.md").read_text(encoding="utf-8")
    assert "## Analyst views" in committed and "### report_metrics" in committed


def test_html_report_lists_an_agency_once_under_its_latest_name(tmp_path: Path) -> None:
    """洪泽区人民政府 (2023) and 淮安市洪泽区人民政府 (2024) are one agency_id: one row, the 2024 name."""
    from pipelines.lib.serve import quality_report

    con = connection.open_warehouse(tmp_path / "w.duckdb")
    try:
        t3 = {"received_new": 3, "granted": 3, "processed_total": 3}
        loader.load_reports(con, [report("洪泽区人民政府", 2023, t3), report("淮安市洪泽区人民政府", 2024, t3)])
        quality.refresh_quality(con)
        card = quality_report.scorecard(con)
        assert card.agencies["agency_name"].to_list() == ["淮安市洪泽区人民政府"]
        assert card.agencies.row(0, named=True)["reports"] == 2
        page = quality_report.html_report(con, quality.rule_descriptions())
        assert "洪泽区人民政府</td>" not in page.replace("淮安市洪泽区人民政府</td>", "")
    finally:
        con.close()

"""Cross-year evidence for unresolved rows: a suggestion from the same agency's neighbouring years.

Properties over generated agency series (the generator keeps X1–X3 and the cumulative 2019 total, as
honest reports do): the true reading always fits, a unique fit is the true reading, the years named are
the neighbours loaded, and nothing is suggested without a neighbour. Then the real case the issue
names: Pingtan's 2022 report narrows its 2021 行政规范性文件 row to the two readings with 665 in force.
"""

from __future__ import annotations

import random
import shutil
from functools import cache
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.lib.load import connection, cross_year, documents, loader
from pipelines.lib.model import UnresolvedRow
from pipelines.lib.read import fanout
from tests.evidence_helpers import (
    COUNT_ROWS,
    agency,
    candidate_readings,
    parsed_report,
    series,
    truth_reading,
)
from tests.helpers import ingest_inbox

REAL = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "real"


@cache
def _warehouse() -> duckdb.DuckDBPyConnection:
    return connection.open_warehouse(Path(":memory:"))


def _empty(con: duckdb.DuckDBPyConnection) -> None:
    for table in ("facts", "unresolved_rows", "report_history", "cell_resolutions"):
        con.execute(f"DELETE FROM {table}")


def _suggestion(con, report_id: str, row: str):
    return con.execute("SELECT fitting_readings, suggested_reading, suggestion_years, suggestion_basis "
                       "FROM unresolved_rows WHERE report_id = ? AND row_code = ?", [report_id, row]).fetchall()[0]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10**6), template=st.sampled_from(["2019", "2021"]),
       side=st.sampled_from(["before", "after", "both", "none"]), joint=st.booleans(), data=st.data())
def test_true_reading_always_fits_and_a_unique_fit_is_the_truth(seed: int, template: str, side: str, joint: bool,
                                                                data) -> None:
    """``joint``: the neighbours' same rows are unresolved too, so the years narrow each other."""
    con = _warehouse()
    _empty(con)
    rng = random.Random(seed)
    if template == "2021":
        year = rng.randint(2022, 2024)
        neighbours = {"before": [year - 1], "after": [year + 1], "both": [year - 1, year + 1], "none": []}[side]
    else:  # the 2019 template spans 2019-2020 only (table 二 identities do not chain across templates)
        year, neighbours = (2020, [2019]) if side == "before" else (2019, [] if side == "none" else [2020])
    truths = series(agency(seed), range(min([year, *neighbours]), max([year, *neighbours]) + 1), rng)
    target = truths[year]
    rows = [r for r in COUNT_ROWS[template] if (candidate_readings(target, r) or [None])[0] is not None]
    unresolved = tuple(data.draw(st.lists(st.sampled_from(rows), min_size=1, max_size=3, unique=True)))
    ids = loader.load_reports(con, [parsed_report(target, unresolved)]
                              + [parsed_report(truths[y], unresolved if joint else ()) for y in neighbours])
    cross_year.refresh_suggestions(con)
    for row in unresolved:
        fitting, suggested, years, basis = _suggestion(con, ids[0], row)
        if not neighbours:
            assert (fitting, suggested, years, basis) == (None, None, None, None)
            continue
        if fitting is None:
            # only when the neighbours' own row could not be enumerated either (too many readings)
            assert joint and all(candidate_readings(truths[y], row) is None for y in neighbours)
            continue
        assert truth_reading(target, row) in fitting, basis
        if suggested is not None:
            assert suggested == truth_reading(target, row) and fitting == [suggested]
        assert set(years) <= set(neighbours) and years
        assert all(str(y) in basis for y in years)


def test_the_suggestion_follows_its_neighbours(tmp_path: Path) -> None:
    """No neighbour, no suggestion; a neighbour arrives, a suggestion; the neighbour is revised, it follows."""
    con = connection.open_warehouse(tmp_path / "w.duckdb")
    rng = random.Random(7)
    truths = series(agency(3), range(2021, 2024), rng)
    target = truths[2022]
    row = "normative_documents"
    (rid,) = loader.load_reports(con, [parsed_report(target, (row,))])
    cross_year.refresh_suggestions(con)
    assert _suggestion(con, rid, row) == (None, None, None, None)

    loader.load_reports(con, [parsed_report(truths[2023])])
    cross_year.refresh_suggestions(con)
    fitting, _, years, basis = _suggestion(con, rid, row)
    assert truth_reading(target, row) in fitting and years == [2023]
    assert len(fitting) < len(candidate_readings(target, row))  # the neighbour narrowed the row
    nxt = truths[2023]
    assert f"现行有效 {int(nxt.t2[(row, 'in_force')])}" in basis

    # The 2023 report is re-issued with a 现行有效 no reading of 2022 can reach: nothing fits any more,
    # and the basis says so rather than keeping the old suggestion.
    nxt.t2[(row, "in_force")] += 10**6
    loader.load_reports(con, [parsed_report(nxt, tag="-revised")])
    cross_year.refresh_suggestions(con)
    fitting, suggested, years, basis = _suggestion(con, rid, row)
    assert fitting == [] and suggested is None and years == [2023]
    assert basis.startswith("None of the")


def test_table_three_carry_over_is_evidence(tmp_path: Path) -> None:
    """X1: an unresolved 上年结转 row is read against last year's 结转下年度, column by column."""
    con = connection.open_warehouse(tmp_path / "w.duckdb")
    truths = series(agency(11), range(2022, 2024), random.Random(3))
    cur = parsed_report(truths[2023])
    cols = ["natural_person", "commercial_enterprise", "research_institution", "public_interest_org",
            "legal_service_org", "other_org", "total"]
    true = [truths[2023].t3[("carried_over_from_prior", c)] for c in cols]
    wrong = [*true[:-1], true[-1] + 1]
    cur.facts = [f for f in cur.facts if not (f.table == "T3" and f.row_code == "carried_over_from_prior")]
    cur.unresolved = [UnresolvedRow("T3", "carried_over_from_prior", "二、上年结转", "…", "ambiguous_cells", "test",
                                    ["/".join(map(str, wrong)), "/".join(map(str, true))])]
    rid, _ = loader.load_reports(con, [cur, parsed_report(truths[2022])])
    cross_year.refresh_suggestions(con)
    fitting, suggested, years, basis = _suggestion(con, rid, "carried_over_from_prior")
    assert fitting == ["/".join(map(str, true))] and suggested == fitting[0] and years == [2022]
    assert "结转下年度" in basis and "(X1)" in basis


def _real(tmp_path: Path, *names: str) -> Path:
    if not REAL.is_dir():
        pytest.skip(f"shared corpus not available at {REAL}")
    inbox = tmp_path / "inbox"
    inbox.mkdir(exist_ok=True)
    for n in names:
        shutil.copy(REAL / n, inbox / n)
    return inbox


def test_pingtan_2022_narrows_its_2021_row_to_the_two_readings_with_665_in_force(tmp_path: Path) -> None:
    inbox = _real(tmp_path, "pingtan-2021.txt")
    con = connection.open_warehouse(tmp_path / "w.duckdb")  # scan, parse, load (no quality pass yet)
    documents.scan_inbox(con, inbox)
    pending = documents.pending_documents(con)
    fanout.parse_pending(pending, inbox, fanout.staging_dir(tmp_path / "w.duckdb"))
    loader.load_staged(con, pending, fanout.staging_dir(tmp_path / "w.duckdb"))
    q = ("SELECT len(readings), fitting_readings, suggested_reading, suggestion_years, suggestion_basis "
         "FROM unresolved_rows u JOIN reports r USING (report_id) WHERE r.year = 2021 AND row_code = 'normative_documents'")
    n, fitting, *_ = con.execute(q).fetchone()
    assert n == 10 and fitting is None  # alone, no evidence
    con.close()

    _real(tmp_path, "pingtan-2022.txt")  # the neighbour arrives: the next ingest re-derives
    con = ingest_inbox(inbox, tmp_path / "w.duckdb")
    n, fitting, suggested, years, basis = con.execute(q).fetchone()
    assert n == 10 and sorted(fitting) == ["6/93/665", "69/3/665"] and suggested is None and years == [2022]
    assert "现行有效 698, 本年制发 88, 本年废止 55" in basis and "665" in basis
    # The C1 finding of the 2021 table 二 says where its missing cells are and what the neighbours suggest.
    msg = con.execute("SELECT message FROM quality_results q JOIN reports r USING (report_id) "
                      "WHERE r.year = 2021 AND rule_id = 'C1_required_cells' AND scope = '表二'").fetchone()[0]
    assert "cells the report's template requires" in msg and "2 of the 10 readings fit" in msg
    assert "69/3/665" in msg

"""Incremental quality: a pass judges only the agencies whose reports changed, in chunks of whole agencies,
and the stored results are row for row what judging the whole warehouse at once gives."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from gen_reports import report_texts, write_reports

from pipelines.lib.judge import plan, quality
from pipelines.lib.load import connection, documents, loader
from pipelines.lib.load.resolutions import record_resolution
from pipelines.lib.read import fanout

REPO = Path(__file__).resolve().parents[1]
AGENCIES, YEARS = 4, 6  # gen_reports: every agency reports 2019-2024, so the cross-year rules have neighbours
RESULT_SQL = ("SELECT report_id, rule_id, scope, passed, expected, observed, message, severity "
              "FROM quality_results")


def _load(con: duckdb.DuckDBPyConnection, inbox: Path, warehouse: Path) -> None:
    documents.scan_inbox(con, inbox)
    pending = documents.pending_documents(con)
    staging = fanout.staging_dir(warehouse)
    fanout.parse_pending(pending, inbox, staging, timeout=0)
    loader.load_staged(con, pending, staging, inbox=inbox)


def _rows(con: duckdb.DuckDBPyConnection, sql: str = RESULT_SQL) -> list[tuple]:
    return sorted(con.execute(sql).fetchall(), key=repr)


def _state(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    """The results and the bookkeeping a later pass reads (evaluated_at left out: it says when)."""
    return {"results": _rows(con), "inputs": _rows(con, "SELECT * FROM quality_inputs"),
            "owners": _rows(con, "SELECT * FROM quality_scope_agencies")}


def _full_judgement(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    """What judging the whole warehouse at once stores (then the stored state is that)."""
    done = quality.refresh_quality(con, full=True)
    assert done.full and done.chunks == 1
    return _state(con)


def _agency_of(con: duckdb.DuckDBPyConnection, report_id: str) -> str:
    return con.execute("SELECT agency_id FROM report_history WHERE report_id = ?", [report_id]).fetchone()[0]


def _evaluated_at_by_agency(con: duckdb.DuckDBPyConnection) -> dict[str, set]:
    rows = con.execute("SELECT h.agency_id, q.evaluated_at FROM quality_results q "
                       "JOIN report_history h USING (report_id)").fetchall()
    out: dict[str, set] = {}
    for agency, at in rows:
        out.setdefault(agency, set()).add(at)
    return out


@pytest.fixture(scope="module")
def judged_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An inbox of AGENCIES x YEARS reports, loaded and judged once (copied by each test)."""
    root = tmp_path_factory.mktemp("judged")
    inbox, path = root / "inbox", root / "w.duckdb"
    write_reports(inbox, AGENCIES * YEARS, seed=7)
    con = connection.open_warehouse(path)
    try:
        _load(con, inbox, path)
        first = quality.refresh_quality(con)
        assert first.full and first.agencies == AGENCIES  # never judged: everything
    finally:
        con.close()
    return root


@pytest.fixture()
def warehouse(judged_once: Path, tmp_path: Path):
    root = tmp_path / "copy"
    shutil.copytree(judged_once, root)
    inbox, path = root / "inbox", root / "w.duckdb"
    con = connection.open_warehouse(path)
    yield con, inbox, path
    con.close()


def test_a_revised_report_rejudges_its_agency_only_and_equals_a_full_pass(warehouse) -> None:
    con, inbox, path = warehouse
    assert quality.quality_is_current(con)
    assert quality.refresh_quality(con).judged is False  # nothing changed: nothing judged
    time.sleep(1.1)  # evaluated_at is in whole seconds: the next pass must be told apart from the first
    before = _evaluated_at_by_agency(con)
    # A revision (.v2, new numbers) of agency 2's 2021 report: it becomes current, U2 compares the versions,
    # R5 / X2 compare it with 2020 and 2022.
    name, data = next(report_texts(1, seed=99, offset=2 * YEARS + 2))
    revised = inbox / name.replace(".txt", ".v2.txt")
    revised.write_bytes(data)
    _load(con, inbox, path)
    assert not quality.quality_is_current(con)
    rid = loader.report_id_for(hashlib.sha256(data).hexdigest())
    agency = _agency_of(con, rid)
    assert plan.stale_agencies(con) == {agency}
    done = quality.refresh_quality(con)
    assert not done.full and done.agencies == 1 and done.reports == YEARS + 1
    incremental = _state(con)
    after = _evaluated_at_by_agency(con)
    assert {a for a in after if after[a] != before.get(a)} == {agency}  # the other agencies' rows stood
    assert any(r[1] == "U2_versions_agree" and r[0] == rid for r in incremental["results"])
    assert incremental == _full_judgement(con)


def test_a_persons_reading_rejudges_the_agency_and_equals_a_full_pass(warehouse) -> None:
    con, _, _ = warehouse
    rid = con.execute("SELECT report_id FROM reports ORDER BY agency_id, year LIMIT 1 OFFSET ?",
                      [YEARS + 3]).fetchone()[0]
    # A person corrects one cell: the report's own arithmetic (R1, R3) now fails, without any load.
    record_resolution(con, rid, "T3", "received_new", "total=9999", "read in the original, page 3")
    assert plan.stale_agencies(con) == {_agency_of(con, rid)}
    done = quality.refresh_quality(con)
    assert not done.full and done.agencies == 1
    failing = {r[1] for r in _rows(con) if r[0] == rid and r[3] is False}
    assert {"R1_flow", "R3_requesters"} <= failing
    assert _state(con) == _full_judgement(con)


def test_a_report_moved_or_removed_rejudges_its_agencies_and_equals_a_full_pass(warehouse) -> None:
    con, _, _ = warehouse
    (a1, rid), (a2,) = (con.execute("SELECT agency_id, report_id FROM reports ORDER BY agency_id, year LIMIT 1")
                        .fetchone(), con.execute("SELECT max(agency_id) FROM reports").fetchone())
    # As a re-resolved agency dimension does: the report's first year now belongs to another agency, under
    # that agency's printed name (its R5 / X2 neighbours change on both sides).
    name2 = con.execute("SELECT any_value(agency_name) FROM reports WHERE agency_id = ?", [a2]).fetchone()[0]
    con.execute("UPDATE report_history SET agency_id = ?, agency_name = ?, year = 2018 WHERE report_id = ?",
                [a2, name2, rid])
    assert plan.stale_agencies(con) == {a1, a2}
    done = quality.refresh_quality(con)
    assert not done.full and done.agencies == 2
    assert _state(con) == _full_judgement(con)
    # A report taken out of the warehouse takes its rows with it.
    for table in ("facts", "unresolved_rows", "report_identity_signals", "report_history"):
        con.execute(f"DELETE FROM {table} WHERE report_id = ?", [rid])
    assert plan.stale_agencies(con) == {a2}
    assert quality.refresh_quality(con).agencies == 1
    assert con.execute("SELECT count(*) FROM quality_results WHERE report_id = ?", [rid]).fetchone() == (0,)
    assert _state(con) == _full_judgement(con)


def test_one_printed_name_under_two_agency_ids_is_judged_as_one_group(warehouse) -> None:
    """U1 counts current reports per printed name and year: a split agency (one name, two ids) is one
    judging group, and the finding is replaced, not duplicated, when either side changes."""
    con, inbox, path = warehouse
    name, data = next(report_texts(1, seed=99, offset=YEARS + 1))  # agency 1, 2020: a second version
    (inbox / name.replace(".txt", ".v2.txt")).write_bytes(data)
    _load(con, inbox, path)
    quality.refresh_quality(con)
    agency = con.execute("SELECT agency_id FROM reports ORDER BY agency_id LIMIT 1 OFFSET ?", [YEARS + 1]).fetchone()
    older = con.execute("SELECT h.report_id FROM report_history h WHERE h.agency_id = ? AND h.year = 2020 "
                        "AND h.report_id NOT IN (SELECT report_id FROM reports)", [agency[0]]).fetchone()[0]
    con.execute("UPDATE report_history SET agency_id = agency_id || '#split' WHERE report_id = ?", [older])
    done = quality.refresh_quality(con, chunk_reports=1)  # chunks as small as the groups allow
    assert not done.full and done.agencies == 2 and done.chunks == 1
    u1 = [r for r in _rows(con) if r[1] == "U1_one_current_report" and r[3] is False]
    assert len(u1) == 1 and u1[0][5] == 2  # two current reports under one name and year
    assert _state(con) == _full_judgement(con)
    con.execute("UPDATE report_history SET agency_id = replace(agency_id, '#split', '') WHERE report_id = ?",
                [older])  # mended: the finding goes
    assert quality.refresh_quality(con, chunk_reports=1).chunks == 1
    assert [r for r in _rows(con) if r[1] == "U1_one_current_report" and r[3] is False] == []
    assert _state(con) == _full_judgement(con)


def test_chunks_of_one_agency_give_the_rows_of_one_chunk(warehouse, tmp_path: Path) -> None:
    con, _, _ = warehouse
    whole = _full_judgement(con)
    docs = tmp_path / "docs"
    done = quality.refresh_quality(con, docs, full=True, chunk_reports=1)
    assert done.chunks == AGENCIES  # a group is never cut: one agency's six reports are one chunk
    assert _state(con) == whole
    # The index lists every suite with the warehouse's totals (not the last chunk's); the validation pages
    # are the last chunk's, and say so.
    index = (docs / "index.html").read_text(encoding="utf-8")
    assert f"(full-{AGENCIES}-of-{AGENCIES})" in index
    for name in quality.suite_names():
        rules = quality.suite_rules(name)
        scopes, failed = con.execute("SELECT count(*), count(*) FILTER (WHERE NOT passed) FROM quality_results "
                                     "WHERE rule_id IN (SELECT unnest(?::VARCHAR[]))", [rules]).fetchone()
        row = re.search(rf"<tr><td>(?:<a [^>]*>)?{name}(?:</a>)?</td>(.*?)</tr>", index)
        assert row is not None, name
        cells = re.findall(r"<td>(.*?)</td>", row.group(1))
        assert cells[1] == str(scopes), (name, cells)
        assert (f"{failed} failed" in cells[2]) if failed else ("all passed" in cells[2])


def test_changed_rules_judge_everything(warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    con, _, _ = warehouse
    assert plan.plan_judging(con).nothing_to_do
    rules = plan.quality_rule_files()
    edited = tmp_path / "Z9_new_rule.sql"
    edited.write_text("-- a shaping query added after the last pass", encoding="utf-8")
    monkeypatch.setattr(plan, "quality_rule_files", lambda: [*rules, edited])
    assert not quality.quality_is_current(con)
    todo = plan.plan_judging(con)
    assert todo.full and len(todo.agencies) == AGENCIES
    assert quality.refresh_quality(con).full
    assert quality.quality_is_current(con)


def test_a_pass_that_fails_keeps_each_agency_whole_and_the_next_pass_finishes(
        warehouse, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each chunk replaces its agencies in one transaction: a pass that dies in its second chunk leaves the
    first chunk's agencies judged anew and the second's as they were (still stale: the next pass judges
    them); a pass of one chunk is all or nothing."""
    con, inbox, path = warehouse
    stored = _state(con)
    for offset in (3, 2 * YEARS + 3):  # agencies 0 and 2: stale, in two chunks of one agency each
        name, data = next(report_texts(1, seed=99, offset=offset))
        (inbox / name.replace(".txt", ".v2.txt")).write_bytes(data)
    _load(con, inbox, path)
    stale = plan.stale_agencies(con)
    assert len(stale) == 2
    calls = {"n": 0}
    real = quality._suite_input  # once per suite and chunk

    def dies_in_the_second_chunk(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == len(quality.suite_names()) + 3:
            raise RuntimeError("the judging process died")
        return real(*args, **kwargs)

    monkeypatch.setattr(quality, "_suite_input", dies_in_the_second_chunk)
    with pytest.raises(RuntimeError):
        quality.refresh_quality(con, chunk_reports=YEARS + 1)
    left = plan.stale_agencies(con)
    assert len(left) == 1 and left < stale
    waiting = next(iter(left))
    judged_before = {r for (r,) in con.execute("SELECT report_id FROM quality_inputs WHERE agency_id = ?",
                                                [waiting]).fetchall()}
    assert len(judged_before) == YEARS  # its revision is not judged yet, and its rows are those stored before
    assert [r for r in _rows(con) if r[0] in judged_before] == [r for r in stored["results"] if r[0] in judged_before]
    monkeypatch.undo()
    done = quality.refresh_quality(con, chunk_reports=YEARS + 1)
    assert done.agencies == 1 and done.chunks == 1
    assert _state(con) == _full_judgement(con)


def test_quality_chunk_setting() -> None:
    for bad in ("abc", "0", "-5", "1.5"):
        with pytest.raises(ValueError, match="GONGKAI_QUALITY_CHUNK must be a whole number"):
            _with_env(bad)
    assert _with_env("2500") == 2500 and _with_env("") == plan.DEFAULT_QUALITY_CHUNK


def _with_env(value: str) -> int:
    mp = pytest.MonkeyPatch()
    try:
        mp.setenv(plan.QUALITY_CHUNK_ENV, value)
        return plan.quality_chunk_from_env()
    finally:
        mp.undo()


def test_cli_refuses_a_bad_quality_chunk(tmp_path: Path) -> None:
    env = {"GONGKAI_QUALITY_CHUNK": "lots", "PATH": str(Path(sys.executable).parent), "HOME": str(tmp_path)}
    for cmd in (["ingest", "--inbox", str(tmp_path)], ["check"]):
        out = subprocess.run([sys.executable, "-m", "pipelines.cli", *cmd, "--warehouse", str(tmp_path / "w.duckdb")],
                             cwd=REPO, env=env, capture_output=True, text=True)
        assert out.returncode == 2, out.stderr
        assert "GONGKAI_QUALITY_CHUNK must be a whole number of reports" in out.stderr
        assert "Traceback" not in out.stderr


def test_chunks_hold_whole_groups_up_to_the_size() -> None:
    groups = [(["a"], 3), (["b", "c"], 4), (["d"], 0), (["e"], 9), (["f"], 1)]
    # a group is never cut; a group larger than the size is a chunk of its own; one with no reports left
    # (an agency whose reports are gone) still rides along, so its rows are removed
    assert plan.chunked(groups, 7) == [["a", "b", "c", "d"], ["e"], ["f"]]
    assert plan.chunked(groups, 100) == [["a", "b", "c", "d", "e", "f"]]
    assert plan.chunked([], 5) == []

"""`gongkai resolve`: a person's reading of an unresolved row, or a correction of loaded cells.

Kept by document hash, applied as inferred_how = 'human' with the reason in fact_provenance, and re-applied
when the document is parsed again (a parser upgrade re-loads every document).
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines import cli
from pipelines.lib.judge import quality
from pipelines.lib.load import connection, documents, loader
from pipelines.lib.load.resolutions import ResolutionError, parse_reading, record_resolution
from pipelines.lib.read import fanout
from pipelines.samplegen import render_txt
from pipelines.samplegen.truth import generate_truth
from tests.evidence_helpers import agency

REAL = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "real"


def _load(inbox: Path, warehouse: Path) -> duckdb.DuckDBPyConnection:
    """scan, parse, load (as the assets do; no quality pass)."""
    con = connection.open_warehouse(warehouse)
    documents.scan_inbox(con, inbox)
    pending = documents.pending_documents(con)
    fanout.parse_pending(pending, inbox, fanout.staging_dir(warehouse), timeout=0)  # in process: the version patch applies
    loader.load_staged(con, pending, fanout.staging_dir(warehouse))
    return con


def _parser_upgrade(monkeypatch: pytest.MonkeyPatch) -> None:
    """A new PARSER_VERSION: every document is parsed and loaded again on the next run."""
    from pipelines.lib.read import staging

    for module in (documents, loader, staging):
        monkeypatch.setattr(module, "PARSER_VERSION", "test-upgrade")


def _cells(con, report_id: str, table: str, row: str) -> dict[str, tuple]:
    return {c: (v, p, how) for c, v, p, how in con.execute(
        "SELECT col_code, value, printed, inferred_how FROM facts WHERE report_id = ? AND table_no = ? AND row_code = ?",
        [report_id, table, row]).fetchall()}


def test_reading_syntax() -> None:
    cols = ["issued", "repealed", "in_force"]
    assert [(c.col_code, c.value, c.blank) for c in parse_reading("69/3/665", cols)] == [
        ("issued", 69, False), ("repealed", 3, False), ("in_force", 665, False)]
    assert [(c.value, c.blank, c.printed) for c in parse_reading("(blank)//7", cols)] == [
        (0, True, ""), (0, True, ""), (7, False, "7")]
    assert [(c.col_code, c.value) for c in parse_reading("in_force=665, issued=69", cols)] == [
        ("issued", 69), ("in_force", 665)]
    # money goes to the template's stored unit, as when the parser reads it
    assert parse_reading("12/4.5", ["procurement_items", "procurement_amount"], unit="万元")[1].value == 45000
    assert parse_reading("fee_amount_10k_yuan=251000元", ["fee_amount_10k_yuan"])[0].value == pytest.approx(25.1)
    assert parse_reading("-3/7/0", ["prior_year_items", "change", "decisions"])[0].value == -3
    for bad in ("69/3", "69/3/665/1", "in_force=x", "issued=1,issued=2", "total=3", "", "a/b/c"):
        with pytest.raises(ResolutionError):
            parse_reading(bad, cols)


def test_a_persons_reading_of_an_unresolved_row_survives_a_reparse(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    if not REAL.is_dir():
        pytest.skip(f"shared corpus not available at {REAL}")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(REAL / "pingtan-2021.txt", inbox / "pingtan-2021.txt")
    wh = tmp_path / "w.duckdb"
    con = _load(inbox, wh)
    (rid,) = con.execute("SELECT report_id FROM reports").fetchone()
    row = ("T2", "normative_documents")
    assert _cells(con, rid, *row) == {}

    with pytest.raises(ResolutionError, match="not one of the readings"):
        record_resolution(con, rid, "T2", "normative_documents", "69/3/666", "typo")
    with pytest.raises(ResolutionError, match="give all its cells"):
        record_resolution(con, rid, "T2", "normative_documents", "in_force=665", "page.html")
    with pytest.raises(ResolutionError, match="reason"):
        record_resolution(con, rid, "T2", "normative_documents", "69/3/665", "  ")
    done = record_resolution(con, rid, "表二", "normative_documents", "69/3/665",
                             "page.html of the same report: cells 69, 3, 665", "tester")
    assert done.was_unresolved and done.cells[0] == ("issued", "693665", "69")
    expected = {"issued": (69, "69", "human"), "repealed": (3, "3", "human"), "in_force": (665, "665", "human")}
    assert _cells(con, rid, *row) == expected
    assert con.execute("SELECT count(*) FROM unresolved_rows").fetchone()[0] == 0
    prov = con.execute("SELECT DISTINCT resolution_reason, resolver, parser_read FROM fact_provenance "
                       "WHERE inferred_how = 'human'").fetchall()
    assert prov == [("page.html of the same report: cells 69, 3, 665", "tester", "693665")]
    quality.refresh_quality(con)
    c1 = con.execute("SELECT passed FROM quality_results WHERE rule_id = 'C1_required_cells' AND scope = '表二'").fetchone()
    assert c1 == (True,)  # the person's cells complete the table
    con.close()

    _parser_upgrade(monkeypatch)
    con = _load(inbox, wh)
    assert con.execute("SELECT parser_version FROM documents").fetchone() == ("test-upgrade",)
    assert _cells(con, rid, *row) == expected  # re-applied in the load transaction
    assert con.execute("SELECT count(*) FROM unresolved_rows").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM cell_resolutions").fetchone()[0] == 3


def test_a_correction_of_loaded_cells_from_the_command_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture) -> None:
    truth = generate_truth(agency(5), 2023, rng=random.Random(5))
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "r.txt").write_bytes(render_txt.render(truth))
    wh = tmp_path / "w.duckdb"
    _load(inbox, wh).close()
    con = duckdb.connect(str(wh), read_only=True)
    (rid,) = con.execute("SELECT report_id FROM reports").fetchone()
    before = _cells(con, rid, "T4", "admin_review")
    subrow = _cells(con, rid, "T3", "other_other")
    other_total = _cells(con, rid, "T3", "other_total")["total"][0]
    con.close()
    new_total = before["total"][0] + 7

    argv = ["resolve", rid, "T4", "admin_review", f"total={new_total:g}", "--warehouse", str(wh)]
    with pytest.raises(SystemExit) as e:  # --reason is required
        cli.main(argv)
    assert e.value.code == 2
    assert cli.main([*argv, "--reason", "PDF p.5 prints it; the text layer lost a digit"]) == 0
    assert "person read" in capsys.readouterr().out
    assert cli.main(["resolve", "rnosuchreport00", "T4", "admin_review", "total=1", "--reason", "x",
                     "--warehouse", str(wh)]) == 2
    assert cli.main(["resolve", rid, "T4", "no_such_row", "total=1", "--reason", "x", "--warehouse", str(wh)]) == 2
    # a (六) sub-row of the 2021 layout: the derived （六）其他处理 total follows
    assert cli.main(["resolve", rid, "T3", "other_other", f"total={subrow['total'][0] + 2:g}",
                     "--reason", "checked", "--warehouse", str(wh)]) == 0

    def check(con) -> None:
        after = _cells(con, rid, "T4", "admin_review")
        assert after["total"] == (new_total, f"{new_total:g}", "human")
        assert {c: v for c, v in after.items() if c != "total"} == {c: v for c, v in before.items() if c != "total"}
        assert _cells(con, rid, "T3", "other_total")["total"][0] == other_total + 2
        assert con.execute("SELECT parser_read FROM cell_resolutions WHERE row_code = 'admin_review'").fetchone() == (
            before["total"][1],)

    con = duckdb.connect(str(wh), read_only=True)
    check(con)
    con.close()
    _parser_upgrade(monkeypatch)
    con = _load(inbox, wh)
    check(con)
    con.close()


def test_help_documents_the_reading_syntax(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit):
        cli.main(["resolve", "--help"])
    out = capsys.readouterr().out
    assert "READING is either" in out and "col=value" in out and "inferred_how = 'human'" in out

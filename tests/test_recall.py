"""Recall you can see: documents seen, loaded, quarantined by reason and format, cells left unresolved —
per run and overall, in `gongkai check`, `gongkai report` and (test_dagster_graph) on the assets."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines import cli
from pipelines.lib.load import connection, loader
from pipelines.lib.serve import recall
from tests.evidence_helpers import agency, parsed_report, series
from tests.gen_reports import report_texts
from tests.helpers import ingest_inbox

REAL = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "real"


def _inbox(tmp_path: Path) -> Path:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name, data in report_texts(3, seed=4):
        (inbox / name).write_bytes(data)
    (inbox / "empty.txt").write_bytes(b"")
    (inbox / "notes.csv").write_text("a,b\n1,2\n")
    (inbox / "random.pdf").write_bytes(random.Random(1).randbytes(3000))
    return inbox


def test_recall_adds_up_to_the_warehouse(tmp_path: Path) -> None:
    con = ingest_inbox(_inbox(tmp_path), tmp_path / "w.duckdb")
    r = recall.recall(con)
    docs = dict(con.execute("SELECT status, count(*) FROM documents GROUP BY 1").fetchall())
    assert (r.documents_seen, r.loaded, r.quarantined, r.pending) == (6, 3, 3, 0)
    assert (r.loaded, r.quarantined) == (docs["loaded"], docs["quarantined"])
    assert r.cells_loaded == con.execute("SELECT count(*) FROM facts WHERE NOT derived").fetchall()[0][0]
    assert (r.unresolved_rows, r.unresolved_cells, r.cell_recall) == (0, 0, 1.0)
    # quarantined by reason and format, exactly as the quarantine relation holds them
    by_reason = {(f, s, q): n for o, f, s, q, n, *_ in r.by_outcome.iter_rows() if o == "quarantined"}
    assert by_reason == {(f, s, q): n for f, s, q, n in con.execute(
        "SELECT d.format, q.stage, q.reason, count(*) FROM quarantine q JOIN documents d USING (sha256) GROUP BY ALL"
    ).fetchall()}
    assert sum(r.refused_by_reason().values()) == 3
    assert recall.quarantine_rows(con)["file"].sort().to_list() == ["empty.txt", "notes.csv", "random.pdf"]
    # one run's documents only
    (sha,) = con.execute("SELECT sha256 FROM quarantine WHERE source_file = 'empty.txt'").fetchall()[0]
    one = recall.recall(con, [sha])
    assert (one.documents_seen, one.loaded, one.quarantined) == (1, 0, 1)
    assert "quarantined 1" in one.summary()


def test_unresolved_cells_count_the_rows_columns(tmp_path: Path) -> None:
    con = connection.open_warehouse(tmp_path / "w.duckdb")
    truth = series(agency(21), range(2022, 2023), random.Random(2))[2022]
    rep = parsed_report(truth, ("regulations", "normative_documents"))
    con.execute("INSERT INTO documents VALUES (?, ?, 'txt', 1, now(), now(), true, 'new', NULL, NULL)",
                [rep.sha256, rep.source_file])
    (rid,) = loader.load_reports(con, [rep])
    r = recall.recall(con)
    assert (r.loaded, r.unresolved_rows, r.unresolved_cells) == (1, 2, 6)  # 2 rows x 3 columns (2021 第（一）项)
    assert r.cell_recall == pytest.approx(r.cells_loaded / (r.cells_loaded + 6))
    listing = recall.unresolved_listing(con)
    assert listing.select("report_id", "table", "row").rows() == [(rid, "T2", "normative_documents"),
                                                                  (rid, "T2", "regulations")]


def test_check_and_report_show_recall_and_unresolved_rows(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    inbox = _inbox(tmp_path)
    if REAL.is_dir():  # a real report with an unresolved row, when the shared corpus is here
        shutil.copy(REAL / "pingtan-2021.txt", inbox / "pingtan-2021.txt")
    wh = tmp_path / "w.duckdb"
    ingest_inbox(inbox, wh).close()
    assert cli.main(["check", "--warehouse", str(wh)]) == 0
    out = capsys.readouterr().out
    assert "Recall: documents seen" in out and "unsupported_format" in out and "Unresolved rows" in out
    if REAL.is_dir():
        assert "normative_documents" in out and "693665" in out
    page = tmp_path / "q.html"
    assert cli.main(["report", str(page), "--warehouse", str(wh)]) == 0
    html = page.read_text(encoding="utf-8")
    assert "<h2>Recall</h2>" in html and "<h2>Unresolved rows</h2>" in html and "notes.csv" in html
    con = duckdb.connect(str(wh), read_only=True)
    assert con.execute("SELECT sum(documents) FROM recall").fetchall()[0][0] == len(list(inbox.iterdir()))

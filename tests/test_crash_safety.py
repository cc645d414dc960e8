"""Atomic, idempotent loads: the same inbox twice gives the same warehouse; a SIGKILL mid-load leaves
no half-loaded report, and the next run finishes the work."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from gen_reports import write_reports

from pipelines.lib.judge import quality
from pipelines.lib.load import connection, documents, loader
from pipelines.lib.read import fanout
from pipelines.lib.read.parse import parse_document

REPO = Path(__file__).resolve().parents[1]

# Every base table, with the columns that record *when* (they differ between runs by design).
TABLES = {
    "documents": ("first_seen", "last_seen"),
    "file_index": ("last_seen",),
    "report_history": ("loaded_at",),
    "facts": (),
    "quality_results": ("evaluated_at",),
    "quarantine": ("first_seen", "last_seen"),
}


def run_pipeline(inbox: Path, warehouse: Path, workers: int = 2, with_quality: bool = True) -> int:
    """The whole pipeline through the lib functions the Dagster assets call; returns how many documents it parsed."""
    con = connection.open_warehouse(warehouse)
    try:
        documents.scan_inbox(con, inbox)
        pending = documents.pending_documents(con)
        staging = fanout.staging_dir(warehouse)
        parsed = fanout.parse_pending(pending, inbox, staging, workers=workers).parsed
        loader.load_staged(con, pending, staging)
        if with_quality:
            quality.refresh_quality(con)
    finally:
        con.close()
    return parsed


def snapshot(warehouse: Path) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        out = {}
        for table, skip in TABLES.items():
            cols = [c for (c,) in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
                [table]).fetchall() if c not in skip]
            out[table] = sorted(con.execute(f"SELECT {', '.join(cols)} FROM {table}").fetchall(), key=repr)
        return out
    finally:
        con.close()


def assert_no_partial_reports(warehouse: Path, inbox: Path) -> int:
    """Every report in report_history has exactly the facts a parse of its document gives (parsing is
    deterministic; the staged result itself is removed once loaded); returns the report count."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute("SELECT h.report_id, h.sha256, count(f.report_id), h.source_file FROM report_history h "
                           "LEFT JOIN facts f USING (report_id) GROUP BY ALL").fetchall()
        orphans = con.execute("SELECT count(*) FROM facts WHERE report_id NOT IN "
                              "(SELECT report_id FROM report_history)").fetchall()[0][0]
        loaded_docs = {s for (s,) in con.execute("SELECT sha256 FROM documents WHERE status = 'loaded'").fetchall()}
    finally:
        con.close()
    assert orphans == 0, "facts without their report"
    for report_id, sha, n, source_file in rows:
        parsed = parse_document(inbox / source_file, source_file=source_file, sha256=sha)
        assert n == len(parsed.facts), f"{report_id}: {n} facts loaded, {len(parsed.facts)} in the document"
    assert {sha for _, sha, _, _ in rows} == loaded_docs, "documents.status disagrees with report_history"
    return len(rows)


def test_same_inbox_twice_gives_identical_warehouse(tmp_path: Path) -> None:
    inbox, warehouse = tmp_path / "inbox", tmp_path / "w.duckdb"
    write_reports(inbox, 12, seed=1)
    (inbox / "not-a-report.txt").write_text("会议通知：本周五下午开会。", encoding="utf-8")  # a quarantine row too
    assert run_pipeline(inbox, warehouse) == 13
    first = snapshot(warehouse)
    assert len(first["report_history"]) == 12 and len(first["quarantine"]) == 1
    assert run_pipeline(inbox, warehouse) == 0  # incremental: nothing parsed again
    assert snapshot(warehouse) == first


KILL_CHILD = """
import sys
from pathlib import Path
from pipelines.lib.load import connection, documents, loader
from pipelines.lib.read import fanout
from pipelines.lib.read.staging import Staging
inbox, warehouse = Path(sys.argv[1]), Path(sys.argv[2])
con = connection.open_warehouse(warehouse)
documents.scan_inbox(con, inbox)
pending = documents.pending_documents(con)
staging = fanout.staging_dir(warehouse)
fanout.parse_pending(pending, inbox, staging, workers=2)
print("PARSED", len(pending), flush=True)
for i, item in enumerate(pending, 1):  # load_staged one item at a time, to report progress per report
    loader.load_staged(con, [item], staging)
    print("LOADED", i, flush=True)
con.close()
print("DONE", flush=True)
"""


def test_sigkill_mid_load_leaves_no_partial_report_and_next_run_finishes(tmp_path: Path) -> None:
    n = 30
    inbox, warehouse = tmp_path / "inbox", tmp_path / "w.duckdb"
    write_reports(inbox, n, seed=2)
    # GONGKAI_TEST_SLOW_LOAD_MS holds each report's transaction open before COMMIT, so the kill lands mid-load.
    env = {**os.environ, "GONGKAI_TEST_SLOW_LOAD_MS": "300"}
    child = subprocess.Popen([sys.executable, "-c", KILL_CHILD, str(inbox), str(warehouse)], cwd=REPO, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 240  # generous: a loaded CI machine
        loaded = 0
        assert child.stdout is not None
        while loaded < 3:
            line = child.stdout.readline()
            if not line or time.monotonic() > deadline:
                pytest.fail(f"the loader did not get going: {line!r} {child.stderr.read() if child.stderr else ''}")
            if line.startswith("LOADED"):
                loaded = int(line.split()[1])
        child.send_signal(signal.SIGKILL)  # now, inside the next report's open transaction
        child.wait(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == -signal.SIGKILL

    done = assert_no_partial_reports(warehouse, inbox)
    assert 3 <= done < n, f"the kill should land mid-load ({done} of {n} loaded)"

    run_pipeline(inbox, warehouse)  # the next run finishes the work
    assert assert_no_partial_reports(warehouse, inbox) == n
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        assert con.execute("SELECT count(*), count(DISTINCT (agency_name, year)) FROM reports").fetchall() == [(n, n)]
        assert con.execute("SELECT count(*) FROM documents WHERE status <> 'loaded'").fetchall() == [(0,)]
    finally:
        con.close()


def test_quality_is_reevaluated_only_after_a_load(tmp_path: Path) -> None:
    """A no-change run keeps the stored quality results (flat cost); a new report makes them stale."""
    inbox, warehouse = tmp_path / "inbox", tmp_path / "w.duckdb"
    write_reports(inbox, 3, seed=4)
    run_pipeline(inbox, warehouse, workers=1, with_quality=False)
    con = connection.open_warehouse(warehouse)
    assert not quality.quality_is_current(con)  # loaded, never judged
    con.close()
    time.sleep(1.1)  # timestamps are whole seconds: a load in the evaluation's second counts as newer
    con = connection.open_warehouse(warehouse)
    try:
        quality.refresh_quality(con)
        assert quality.quality_is_current(con)
        documents.scan_inbox(con, inbox)
        assert quality.quality_is_current(con)  # a scan that finds nothing new changes nothing
    finally:
        con.close()
    time.sleep(1.1)
    write_reports(inbox / "more", 4, seed=5)  # the first 3 are the same agency-years, new numbers: revisions
    con = connection.open_warehouse(warehouse)
    try:
        documents.scan_inbox(con, inbox)
        pending = documents.pending_documents(con)
        fanout.parse_pending(pending, inbox, fanout.staging_dir(warehouse), timeout=0)
        loader.load_staged(con, pending, fanout.staging_dir(warehouse))
        assert not quality.quality_is_current(con)
    finally:
        con.close()

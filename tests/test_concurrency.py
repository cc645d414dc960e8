"""Two `gongkai ingest` processes at once: the second stops with a clear message (exit 3) or, with --wait,
waits its turn; the warehouse ends up whole. Also: `gongkai sql` cannot change the warehouse."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from gen_reports import write_hostile_matrix, write_reports

N = 20


def gongkai(*args: str, env: dict[str, str], cwd: Path, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "pipelines.cli", *args], env=env, cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)


def test_two_ingests_at_once(tmp_path: Path) -> None:
    inbox, warehouse = tmp_path / "inbox", tmp_path / "w.duckdb"
    write_reports(inbox, N, seed=3)
    expected = write_hostile_matrix(inbox, big_bytes=1024 * 1024 + 1)  # the CLI run doubles as the matrix's e2e run
    base = {**os.environ, "DAGSTER_HOME": str(tmp_path / "dh"), "GONGKAI_MAX_FILE_MB": "1",
            "GONGKAI_INBOX": str(inbox), "GONGKAI_WAREHOUSE": str(warehouse)}
    # The first ingest holds each report's load open for a while, so the second surely meets it mid-run.
    first = gongkai("ingest", "--workers", "2", env={**base, "GONGKAI_TEST_SLOW_LOAD_MS": "400"}, cwd=tmp_path)
    try:
        assert first.stdout is not None
        lines = []
        deadline = time.monotonic() + 300
        while not any("inbox:" in ln for ln in lines):  # logged by the first asset, i.e. inside the lock
            line = first.stdout.readline()
            if not line or time.monotonic() > deadline:
                pytest.fail("the first ingest did not start:\n" + "".join(lines[-30:]))
            lines.append(line)
        second = subprocess.run([sys.executable, "-m", "pipelines.cli", "ingest"], env=base, cwd=tmp_path,
                                capture_output=True, text=True, timeout=300)
        waiter = gongkai("ingest", "--wait", "600", env=base, cwd=tmp_path)
        assert first.poll() is None, "the first ingest finished before the second started; the test proves nothing"
        assert second.returncode == 3, second.stdout + second.stderr
        assert "Another Gongkai ingest is writing" in second.stderr
        out_first, _ = first.communicate(timeout=600)
        out_waiter, _ = waiter.communicate(timeout=600)
    finally:
        for p in (first, locals().get("waiter")):
            if isinstance(p, subprocess.Popen) and p.poll() is None:
                p.kill()
                p.wait()
    assert first.returncode == 0, "".join(lines) + out_first
    assert waiter.returncode == 0, out_waiter  # waited for the lock, then found nothing new
    assert "new: 0" in out_waiter

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        status = dict(con.execute("SELECT f.path, d.status FROM file_index f JOIN documents d USING (sha256)").fetchall())
        reasons = dict(con.execute("SELECT source_file, reason FROM quarantine").fetchall())
        assert con.execute("SELECT count(*), count(DISTINCT report_id) FROM report_history").fetchall() == [(N + 3,) * 2]
        assert con.execute("SELECT count(*) FROM facts WHERE report_id NOT IN "
                           "(SELECT report_id FROM report_history)").fetchall() == [(0,)]
    finally:
        con.close()
    for name, want in expected.items():
        assert status[name] == want, (name, status[name], reasons.get(name))
    assert reasons["big.txt"] == "too_large"
    assert sum(s == "loaded" for s in status.values()) == N + 3


def test_gongkai_sql_is_read_only(tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    con = duckdb.connect(str(warehouse))
    con.execute("CREATE TABLE reports_t AS SELECT 1 AS x")
    con.close()
    env = {**os.environ, "GONGKAI_WAREHOUSE": str(warehouse)}
    for stmt in ("INSERT INTO reports_t VALUES (2)", "DROP TABLE reports_t"):
        r = subprocess.run([sys.executable, "-m", "pipelines.cli", "sql", stmt], env=env, cwd=tmp_path,
                           capture_output=True, text=True, timeout=120)
        assert r.returncode != 0, (stmt, r.stdout)
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        assert con.execute("SELECT x FROM reports_t").fetchall() == [(1,)]
        assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = 'w'").fetchall() == [(1,)]
    finally:
        con.close()


HOLDER = """
import sys, time
from pathlib import Path
from pipelines.lib.load.connection import writer_lock
with writer_lock(Path(sys.argv[1])):
    print("HELD", flush=True)
    sys.stdin.readline()  # hold until the test says so
"""


def test_assets_wait_for_the_writer_lock(tmp_path: Path) -> None:
    """A Dagster run (its assets take the lock per step) waits for another writer; nested use in one process is free."""
    from pipelines.lib.load import connection
    from pipelines.lib.load.connection import WarehouseBusy, writer_lock

    warehouse = tmp_path / "w.duckdb"
    with writer_lock(warehouse), writer_lock(warehouse, timeout=0):  # re-entrant: the CLI holds it around the assets
        pass
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(warehouse)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[1])
    try:
        assert holder.stdout is not None and holder.stdin is not None
        assert holder.stdout.readline().strip() == "HELD"
        with pytest.raises(WarehouseBusy), connection.locked_warehouse(warehouse, wait=0):
            pass
        holder.stdin.write("\n")
        holder.stdin.flush()
        with connection.locked_warehouse(warehouse, wait=120) as con:  # waits for the holder, then opens
            assert con.execute("SELECT count(*) FROM documents").fetchall() == [(0,)]
    finally:
        if holder.poll() is None:
            holder.kill()
        holder.wait()

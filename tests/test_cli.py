"""The `gongkai` command line as a user runs it (subprocesses, a temporary DAGSTER_HOME)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import corpus_file


def run(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    e = {**os.environ, "DAGSTER_HOME": str(cwd / "dagster_home"), **(env or {})}
    return subprocess.run([sys.executable, "-m", "pipelines.cli", *args], cwd=cwd, env=e, capture_output=True,
                          text=True, timeout=600, check=False)


@pytest.fixture(scope="module")
def ingested(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("cli")
    inbox = root / "reports"
    inbox.mkdir()
    shutil.copy(corpus_file("ningbo-police-2019.txt"), inbox / "ningbo.txt")
    (inbox / "notes.txt").write_text("这不是年度报告。\n" * 20, encoding="utf-8")
    # Environment variables override the defaults; flags are not given here.
    proc = run("ingest", cwd=root, env={"GONGKAI_INBOX": str(inbox), "GONGKAI_WAREHOUSE": str(root / "wh.duckdb")})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "documents seen: 2" in proc.stdout and "loaded: 1" in proc.stdout and "quarantined: 1" in proc.stdout
    return root


def test_ingest_twice_changes_nothing(ingested: Path) -> None:
    proc = run("ingest", "--inbox", "reports", "--warehouse", "wh.duckdb", cwd=ingested)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "new: 0" in proc.stdout and "loaded: 0" in proc.stdout
    assert "no Dagster run started" in proc.stdout  # the no-change run is answered before Dagster loads


def test_sql_prints_a_table(ingested: Path) -> None:
    proc = run("sql", "select agency_name, year, template from reports", "--warehouse", "wh.duckdb", cwd=ingested)
    assert proc.returncode == 0, proc.stderr
    assert "宁波市公安局" in proc.stdout and "(1 row)" in proc.stdout
    q = run("sql", "select reason, detail from quarantine", "--warehouse", "wh.duckdb", "--max-width", "400",
            cwd=ingested)
    assert "not_a_report" in q.stdout


def test_check_prints_findings(ingested: Path) -> None:
    proc = run("check", "--warehouse", "wh.duckdb", cwd=ingested)
    assert proc.returncode == 0, proc.stderr
    assert "R1_flow" in proc.stdout and "Findings" in proc.stdout


def test_sql_refuses_writes_with_a_sentence_and_exit_2(ingested: Path) -> None:
    proc = run("sql", f"COPY reports TO '{ingested}/leak.csv'", "--warehouse", "wh.duckdb", cwd=ingested)
    assert proc.returncode == 2 and "refused" in proc.stderr and "Traceback" not in proc.stderr
    assert not (ingested / "leak.csv").exists()


def test_max_width_zero_never_cuts(ingested: Path) -> None:
    proc = run("sql", "select repeat('x', 300) as s", "--warehouse", "wh.duckdb", "--max-width", "0", cwd=ingested)
    assert proc.returncode == 0 and "x" * 300 in proc.stdout


def test_missing_warehouse_is_a_usage_error(tmp_path: Path) -> None:
    for cmd in (["check"], ["sql", "select 1"], ["export", "out"]):
        proc = run(*cmd, "--warehouse", "nowhere.duckdb", cwd=tmp_path)
        assert proc.returncode == 2, (cmd, proc.stderr)
        assert "no warehouse" in proc.stderr and "Traceback" not in proc.stderr


def test_busy_warehouse_is_one_sentence_and_exit_3(ingested: Path) -> None:
    import duckdb

    from pipelines.lib.load.connection import writer_lock

    with writer_lock(ingested / "wh.duckdb"):
        con = duckdb.connect(str(ingested / "wh.duckdb"))  # what an ingest holds while it writes
        try:
            for cmd in (["sql", "select 1"], ["check"], ["export", "out"]):
                proc = run(*cmd, "--warehouse", "wh.duckdb", cwd=ingested, env={"GONGKAI_LOCK_WAIT_S": "0"})
                assert proc.returncode == 3, (cmd, proc.stdout, proc.stderr)
                assert "busy" in proc.stderr and "Traceback" not in proc.stderr
        finally:
            con.close()


def test_every_subcommand_documents_its_options(tmp_path: Path) -> None:
    for cmd in ("ingest", "check", "sql", "review", "report", "ui", "export"):
        proc = run(cmd, "--help", cwd=tmp_path)
        assert proc.returncode == 0
        assert "exit codes" in proc.stdout and "--warehouse" in proc.stdout, cmd


def test_each_warehouse_has_its_own_dagster_instance(tmp_path: Path) -> None:
    """Two warehouses, two ingests: each warehouse's Dagster home holds its own run and no other."""
    import dagster as dg

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(corpus_file("ningbo-police-2019.txt"), inbox / "ningbo.txt")
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    for name in ("a.duckdb", "b.duckdb"):
        proc = subprocess.run([sys.executable, "-m", "pipelines.cli", "ingest", "--inbox", "inbox", "--warehouse", name],
                              cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600, check=False)
        assert proc.returncode == 0, proc.stderr[-2000:]
    for name in ("a.duckdb", "b.duckdb"):
        home = tmp_path / f"{name}.gongkai" / "dagster"
        with dg.DagsterInstance.from_config(str(home)) as inst:
            runs = inst.get_runs()
        assert len(runs) == 1, name
    assert not (tmp_path / "staging").exists() and not (tmp_path / "quality").exists()


def test_a_bad_worker_recycle_setting_is_a_usage_error(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "inbox").mkdir()
    monkeypatch.setenv("GONGKAI_PARSE_WORKER_RECYCLE_MB", "lots")
    proc = run("ingest", "--inbox", "inbox", "--warehouse", "wh.duckdb", cwd=tmp_path)
    assert proc.returncode == 2 and "GONGKAI_PARSE_WORKER_RECYCLE_MB" in proc.stderr
    assert "Traceback" not in proc.stderr

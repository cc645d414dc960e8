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

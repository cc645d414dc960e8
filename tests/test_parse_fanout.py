"""Parsing fans out over coarse batches: one executor step per batch, and the multiprocess executor
runs them in separate processes (what a cluster executor does with pods) with the same result."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import dagster as dg
import duckdb

from pipelines.definitions import resolved_ingest_job
from pipelines.lib.read.fanout import batches, staging_dir
from pipelines.lib.read.staging import Staging
from tests.conftest import corpus_file

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "inbox"


def test_batches_are_coarse_and_cover_every_document() -> None:
    items = [(f"sha{i}", f"f{i}.txt") for i in range(5)]
    assert batches(items, 2) == [items[0:2], items[2:4], items[4:5]]
    assert batches(items, 2000) == [items]
    assert batches([], 10) == []


def test_multiprocess_executor_parses_batches_in_parallel_steps(tmp_path: Path, monkeypatch) -> None:
    inbox = tmp_path / "inbox"
    shutil.copytree(SAMPLE, inbox)
    shutil.copy(corpus_file("ningbo-police-2019.txt"), inbox / "seed.txt")
    n_files = sum(1 for _ in inbox.iterdir())
    warehouse = tmp_path / "w.duckdb"
    # The step processes read the same settings from the environment.
    monkeypatch.setenv("GONGKAI_INBOX", str(inbox))
    monkeypatch.setenv("GONGKAI_WAREHOUSE", str(warehouse))
    batch = -(-n_files // 2)  # two batches: enough to show the fan-out, cheap in CI (a process per step)
    monkeypatch.setenv("GONGKAI_PARSE_BATCH", str(batch))
    home = tmp_path / "dagster_home"
    home.mkdir()
    with dg.instance_for_test(temp_dir=str(home)) as instance:
        # Scan and parse only (a process per step costs seconds; loading is the single writer, tested elsewhere).
        result = dg.execute_job(dg.reconstructable(resolved_ingest_job), instance=instance,
                                asset_selection=[dg.AssetKey("inbox_documents"), dg.AssetKey("parsed_documents")],
                                run_config={"execution": {"config": {"multiprocess": {"max_concurrent": 2}}}})
        assert result.success
        steps = {e.step_key for e in result.all_events if e.event_type_value == "STEP_SUCCESS"}
        mapped = sorted(s for s in steps if s.startswith("parsed_documents.parse_batch["))
        assert len(mapped) == 2  # one step per batch
        pids = {e.pid for e in result.all_events if e.step_key in mapped and e.event_type_value == "STEP_START"}
        assert len(pids) == len(mapped) and os.getpid() not in pids  # each batch in its own process
        summary = next(e for e in result.get_asset_materialization_events()
                       if e.asset_key == dg.AssetKey("parsed_documents")).materialization.metadata
        assert summary["batches"].value == 2 and summary["documents_parsed"].value == n_files
    # every document staged once, by content hash, ready for the single loader
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        shas = {r[0] for r in con.execute("SELECT sha256 FROM documents").fetchall()}
    finally:
        con.close()
    assert set(Staging(staging_dir(warehouse)).staged_shas()) == shas and len(shas) == n_files

"""Batches parsed one after another in one process keep their workers (a fresh worker spends its first
documents warming up); the workers go when the parse is over, or when the settings they started with
changed. Progress is reported every few seconds, not every hundred documents."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from gen_reports import write_reports

from pipelines.lib.load import connection, documents
from pipelines.lib.progress import Ticker
from pipelines.lib.read import fanout


def _pending(tmp_path: Path, n: int) -> tuple[Path, list[tuple[str, str]]]:
    inbox, warehouse = tmp_path / "inbox", tmp_path / "w.duckdb"
    write_reports(inbox, n, seed=31)
    con = connection.open_warehouse(warehouse)
    try:
        documents.scan_inbox(con, inbox)
        return inbox, documents.pending_documents(con)
    finally:
        con.close()


def _worker_pids() -> list[int]:
    return sorted(s.proc.pid for s in fanout._kept.slots) if fanout._kept else []


def test_kept_workers_serve_the_next_batch_and_stop_when_closed(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    inbox, pending = _pending(tmp_path, 6)
    staging = tmp_path / "staging"
    try:
        first = fanout.parse_pending(pending[:3], inbox, staging, workers=2, keep_workers=True)
        pids = _worker_pids()
        assert first.parsed == 3 and len(pids) == 2
        second = fanout.parse_pending(pending[3:5], inbox, staging, workers=2, keep_workers=True)
        assert second.parsed == 2 and _worker_pids() == pids  # the same processes
        procs = [s.proc for s in fanout._kept.slots]
        monkeypatch.setenv("GONGKAI_PARSE_MEMORY_MB", "1500")  # a setting the workers started without
        third = fanout.parse_pending(pending[5:], inbox, staging, workers=2, keep_workers=True)
        assert third.parsed == 1 and _worker_pids() and set(_worker_pids()).isdisjoint(pids)
        assert not any(p.is_alive() for p in procs)  # the old ones were stopped
        procs = [s.proc for s in fanout._kept.slots]
    finally:
        fanout.close_kept_workers()
    assert fanout._kept is None and not any(p.is_alive() for p in procs)


def test_without_keep_the_workers_stop_with_the_batch(tmp_path: Path) -> None:
    inbox, pending = _pending(tmp_path, 2)
    assert fanout.parse_pending(pending, inbox, tmp_path / "staging", workers=2).parsed == 2
    assert fanout._kept is None


def test_progress_is_due_every_few_seconds_and_at_the_end(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [100.0]
    monkeypatch.setattr("pipelines.lib.progress.time.monotonic", lambda: clock[0])
    ticker = Ticker(every_s=5.0)
    assert not ticker.due()
    clock[0] += 4.9
    assert not ticker.due()
    clock[0] += 0.2
    assert ticker.due() and not ticker.due()
    assert ticker.due(final=True)


def test_ctrl_c_is_for_the_run_not_for_each_worker(tmp_path: Path) -> None:
    # Ctrl-C reaches the whole process group; the run stops its workers. A worker that took it itself died
    # printing a traceback (one per worker) and left its document to the replacement.
    inbox, pending = _pending(tmp_path, 4)
    staging = tmp_path / "staging"
    try:
        assert fanout.parse_pending(pending[:2], inbox, staging, workers=2, keep_workers=True).parsed == 2
        pids = _worker_pids()
        for pid in pids:
            os.kill(pid, signal.SIGINT)
        assert fanout.parse_pending(pending[2:], inbox, staging, workers=2, keep_workers=True).parsed == 2
        assert _worker_pids() == pids  # the same workers served on
    finally:
        fanout.close_kept_workers()


def test_a_worker_grown_past_the_limit_is_replaced_between_documents(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    # Every worker is already past 1 MB: each is replaced after every document, and every document is
    # still parsed exactly once, none quarantined (nothing of a document is lost in a replacement).
    inbox, pending = _pending(tmp_path, 5)
    monkeypatch.setenv("GONGKAI_PARSE_WORKER_RECYCLE_MB", "1")
    stats = fanout.parse_pending(pending, inbox, tmp_path / "staging", workers=2)
    assert stats.parsed == 5 and stats.kinds["report"] == 5 and stats.workers_recycled == 5
    monkeypatch.setenv("GONGKAI_PARSE_WORKER_RECYCLE_MB", "0")  # never
    assert fanout.parse_pending(pending, inbox, tmp_path / "staging2", workers=2).workers_recycled == 0


def test_the_recycle_setting_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    for bad in ("abc", "-5"):
        monkeypatch.setenv("GONGKAI_PARSE_WORKER_RECYCLE_MB", bad)
        with pytest.raises(ValueError, match="GONGKAI_PARSE_WORKER_RECYCLE_MB"):
            fanout.worker_recycle_mb_from_env()
    monkeypatch.delenv("GONGKAI_PARSE_WORKER_RECYCLE_MB")
    assert fanout.worker_recycle_mb_from_env() == fanout.DEFAULT_WORKER_RECYCLE_MB

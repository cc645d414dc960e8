"""Durable staging (issue 11): a torn staged result is parsed again, never fatal; temporary leftovers go;
a failed write leaves nothing behind; staging at a URL (fsspec) works like a local folder. Results are
staged in packs (issue 13): one file per hundreds of documents, each record found and checked on its own."""

from __future__ import annotations

import errno
import os
import time
from pathlib import Path

import duckdb
import pytest
from gen_reports import write_reports
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.lib.load import connection, documents, loader
from pipelines.lib.model import Quarantined
from pipelines.lib.read import fanout
from pipelines.lib.read import staging as staging_module
from pipelines.lib.read.staging import PACK_SUFFIX, TMP_SUFFIX, Staging, encode, pack_index


def _scan(warehouse: Path, inbox: Path) -> list[tuple[str, str]]:
    con = connection.open_warehouse(warehouse)
    try:
        documents.scan_inbox(con, inbox)
        return documents.pending_documents(con)
    finally:
        con.close()


def _parse_and_load(warehouse: Path, inbox: Path) -> tuple[int, int]:
    """One run as the assets do it (without quality); returns (documents parsed, reports loaded)."""
    con = connection.open_warehouse(warehouse)
    try:
        documents.scan_inbox(con, inbox)
        pending = documents.pending_documents(con)
        staging = fanout.staging_dir(warehouse)
        parsed = fanout.parse_pending(pending, inbox, staging, timeout=0).parsed
        return parsed, len(loader.load_staged(con, pending, staging).loaded)
    finally:
        con.close()


def _status(warehouse: Path) -> dict[str, int]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return dict(con.execute("SELECT status, count(*) FROM documents GROUP BY 1").fetchall())
    finally:
        con.close()


def _packs(staging: Path) -> list[Path]:
    return sorted(staging.glob(f"*{PACK_SUFFIX}"))


def _record_span(pack: Path, sha: str) -> tuple[int, int]:
    """Where ``sha``'s record lies in ``pack`` (offset, length), from the pack's own frame table."""
    data = pack.read_bytes()
    _, entries = pack_index(lambda off, n: data[off: off + n], len(data))
    return next((off, n) for s, off, n in entries if s == sha)


def _parsed_into_one_pack(tmp_path: Path, n: int, seed: int) -> tuple[Path, Path, list[tuple[str, str]], Path, Path]:
    """``n`` reports scanned and parsed in one run, not yet loaded: (inbox, warehouse, pending, staging, pack)."""
    inbox, warehouse = tmp_path / "inbox", tmp_path / "w.duckdb"
    write_reports(inbox, n, seed=seed)
    pending = _scan(warehouse, inbox)
    staging = fanout.staging_dir(warehouse)
    fanout.parse_pending(pending, inbox, staging, timeout=0)
    (pack,) = _packs(staging)
    return inbox, warehouse, pending, staging, pack


def test_a_torn_staged_pack_is_parsed_again_and_loaded(tmp_path: Path) -> None:
    """Packs are not fsynced (a re-parse is the whole cost of losing one), so whatever a power loss leaves
    of one must be known as not staged: cut short, empty, zero-filled at full length (delayed allocation),
    or with a block of other bytes inside a record (its CRC-32 no longer matches)."""
    inbox, warehouse = tmp_path / "inbox", tmp_path / "w.duckdb"
    write_reports(inbox, 6, seed=21)
    pending = _scan(warehouse, inbox)
    staging = fanout.staging_dir(warehouse)
    for item in pending:  # parsed one run each (a pack each), then the power went before loading
        fanout.parse_pending([item], inbox, staging, timeout=0)
    packs = _packs(staging)
    assert len(packs) == 6
    packs[0].write_bytes(packs[0].read_bytes()[: packs[0].stat().st_size // 2])  # cut short
    packs[1].write_bytes(b"")  # zero-length
    packs[2].write_bytes(bytes(packs[2].stat().st_size))  # zero-filled, full length
    off, n = _record_span(packs[3], pending[3][0])
    data = bytearray(packs[3].read_bytes())
    data[off + n // 2: off + n // 2 + 16] = bytes(16)  # a block of the record lost
    packs[3].write_bytes(bytes(data))
    parsed, loaded = _parse_and_load(warehouse, inbox)
    assert parsed == 4  # the four unreadable results were parsed again; the other two were reused
    assert loaded == 6 and _status(warehouse) == {"loaded": 6}
    assert _packs(staging) == []  # every pack spent or unreadable: none left behind


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.floats(min_value=0.0, max_value=1.0))
def test_a_pack_cut_anywhere_keeps_the_records_before_the_cut(tmp_path_factory: pytest.TempPathFactory,
                                                               cut: float) -> None:
    """Its frame table lost with its end, a pack is walked record by record: every record wholly before the
    cut is reused, the rest are parsed again."""
    inbox, warehouse, pending, _, pack = _parsed_into_one_pack(tmp_path_factory.mktemp("cut"), 5, seed=26)
    spans = [_record_span(pack, sha) for sha, _ in pending]
    at = int(pack.stat().st_size * cut)
    pack.write_bytes(pack.read_bytes()[:at] if cut < 1.0 else pack.read_bytes()[:-1])
    whole = sum(1 for off, n in spans if off + n <= (at if cut < 1.0 else pack.stat().st_size))
    parsed, loaded = _parse_and_load(warehouse, inbox)
    assert parsed == 5 - whole and loaded == 5


def test_a_result_torn_after_parsing_stays_pending_and_the_next_run_loads_it(tmp_path: Path) -> None:
    inbox, warehouse, pending, staging, pack = _parsed_into_one_pack(tmp_path, 3, seed=22)
    off, n = _record_span(pack, pending[2][0])
    data = bytearray(pack.read_bytes())
    data[off: off + n] = bytes(n)  # torn between parsing and loading
    pack.write_bytes(bytes(data))
    con = connection.open_warehouse(warehouse)
    try:
        stats = loader.load_staged(con, pending, staging)  # not fatal: the other reports load
    finally:
        con.close()
    assert len(stats.loaded) == 2 and not stats.quarantined
    assert not pack.exists()  # two records spent, one unreadable: the pack is gone, nothing trips over it
    assert _status(warehouse) == {"loaded": 2, "new": 1}
    assert _parse_and_load(warehouse, inbox) == (1, 1)
    assert _status(warehouse) == {"loaded": 3}


def test_a_document_staged_twice_is_read_from_its_later_pack(tmp_path: Path) -> None:
    """Packs are read in the order they were written: the older copy is superseded, and its pack removed
    once nothing else in it is needed."""
    store = Staging(tmp_path / "staging")
    store.prepare()
    sha, other = "a" * 64, "b" * 64

    def q(s: str, reason: str) -> tuple[str, bytes]:
        return s, encode(Quarantined(f"{s[0]}.txt", s, "parse", reason, "x"))

    first = store.write_pack([q(sha, "timeout"), q(other, "timeout")])
    second = store.write_pack([q(sha, "not_a_report")])
    fresh = Staging(store.url)
    assert fresh.read(sha).column("reason").to_pylist() == ["not_a_report"]
    fresh.discard(other)  # the last record the first pack held for anyone
    assert not (tmp_path / "staging" / first).exists() and (tmp_path / "staging" / second).exists()
    assert fresh.staged_shas() == [sha]


def test_a_pack_of_another_parser_version_counts_as_not_staged(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    inbox, warehouse = tmp_path / "inbox", tmp_path / "w.duckdb"
    write_reports(inbox, 2, seed=28)
    pending = _scan(warehouse, inbox)
    staging = fanout.staging_dir(warehouse)
    monkeypatch.setattr(staging_module, "PARSER_VERSION", "0-older")
    fanout.parse_pending(pending, inbox, staging, timeout=0)
    monkeypatch.undo()
    assert Staging(staging).staged_shas() == [] and _packs(staging) == []  # not ours: removed
    assert _parse_and_load(warehouse, inbox) == (2, 2)


def test_temporary_leftovers_are_removed_and_a_live_writers_file_is_kept(tmp_path: Path) -> None:
    inbox, warehouse = tmp_path / "inbox", tmp_path / "w.duckdb"
    write_reports(inbox, 2, seed=23)
    staging = fanout.staging_dir(warehouse)
    staging.mkdir(parents=True)
    old = time.time() - 3600
    leftovers = [staging / f"{k:064x}.arrow.123.abcd{TMP_SUFFIX}" for k in range(200)]  # a full disk's trail
    for p in leftovers:
        p.write_bytes(b"")
        os.utime(p, (old, old))
    live = staging / f"{'f' * 64}.arrow.456.ef01{TMP_SUFFIX}"  # another step writing right now
    live.write_bytes(b"")
    assert _parse_and_load(warehouse, inbox) == (2, 2)
    assert not any(p.exists() for p in leftovers)
    assert live.exists()
    assert [p.suffix for p in staging.iterdir()] == [TMP_SUFFIX]  # loaded results are removed once committed


def test_a_failed_write_leaves_no_temporary_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    staging = Staging(tmp_path / "staging")
    staging.prepare()

    def disk_full(fd: int, data: bytes) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", disk_full)
    with pytest.raises(OSError):
        staging.write(Quarantined("a.txt", "a" * 64, "read", "unsupported_format", "x"))
    assert list((tmp_path / "staging").iterdir()) == []


def test_staging_at_a_url_round_trips(tmp_path: Path) -> None:
    """A URL (here fsspec's in-memory file system; s3:// goes the same way) stages like a local folder."""
    inbox, warehouse = tmp_path / "inbox", tmp_path / "w.duckdb"
    write_reports(inbox, 3, seed=24)
    (inbox / "notice.txt").write_text("会议通知：本周五下午开会。", encoding="utf-8")
    pending = _scan(warehouse, inbox)
    url = f"memory://gongkai-test-{os.getpid()}/staging"
    stats = fanout.parse_pending(pending, inbox, url, timeout=0)
    assert stats.parsed == 4 and stats.kinds == {"report": 3, "quarantine": 1}
    assert fanout.parse_pending(pending, inbox, url, timeout=0).reused == 4
    con = connection.open_warehouse(warehouse)
    try:
        result = loader.load_staged(con, pending, url)
    finally:
        con.close()
    assert len(result.loaded) == 3 and [r for _, r in result.quarantined] == ["not_a_report"]
    assert _status(warehouse) == {"loaded": 3, "quarantined": 1}


def test_results_a_crash_left_after_their_commit_are_swept_and_pending_ones_kept(tmp_path: Path) -> None:
    """A loaded report's staged result is removed after its commit; one a crash left in between is removed
    by the next load, while the staged result of a document still waiting to be loaded stays."""
    inbox, warehouse = tmp_path / "inbox", tmp_path / "w.duckdb"
    write_reports(inbox, 3, seed=25)
    assert _parse_and_load(warehouse, inbox) == (3, 3)
    staging = Staging(fanout.staging_dir(warehouse))
    assert staging.staged_shas() == []  # spent results removed at commit
    write_reports(inbox, 4, seed=25)  # one more document: pending
    con = connection.open_warehouse(warehouse)
    try:
        documents.scan_inbox(con, inbox)
        pending = documents.pending_documents(con)
        loaded = con.execute("SELECT sha256, source_file FROM documents WHERE status = 'loaded'").fetchall()
    finally:
        con.close()
    assert len(pending) == 1 and len(loaded) == 3
    fanout.parse_pending(pending, inbox, staging, timeout=0)
    crash_left = loaded[0][0]  # as if a crash came between its commit and the removal
    fanout.parse_pending([loaded[0]], inbox, staging, timeout=0)
    assert sorted(staging.staged_shas()) == sorted([pending[0][0], crash_left])
    con = connection.open_warehouse(warehouse)
    try:
        assert loader.sweep_spent_staging(con, staging) == 1
    finally:
        con.close()
    assert staging.staged_shas() == [pending[0][0]]  # still to be loaded: kept
    assert _parse_and_load(warehouse, inbox) == (0, 1)  # reused, loaded, then removed
    assert staging.staged_shas() == []

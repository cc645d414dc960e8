"""The ingest stages as plain functions (the Dagster assets call these): scan, parse, load, validate.

Parsing is stateless and parallel: a few long-lived worker processes, each document under a time
limit (a document that makes a reader spin, or crashes it, is quarantined; the run goes on). Its
results are staged as JSON files named by content hash, so a crash between parse and load loses
nothing and re-parses nothing. Loading is the single writer, one transaction per report.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import multiprocessing as mp
import os
import sys
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path

import duckdb

from . import warehouse as wh
from .model import ParsedReport, Quarantined
from .parse import DEFAULT_MAX_BYTES, PARSER_VERSION, parse_document

Progress = Callable[[str], None]
ParseFn = Callable[..., ParsedReport | Quarantined]

DEFAULT_PARSE_TIMEOUT_S = 60.0


def parse_timeout_from_env() -> float:
    """GONGKAI_PARSE_TIMEOUT_S: seconds one document may take to parse (0 = no limit, parse in process)."""
    return float(os.environ.get("GONGKAI_PARSE_TIMEOUT_S", DEFAULT_PARSE_TIMEOUT_S))


def staging_dir(warehouse: Path) -> Path:
    return Path(warehouse).parent / "staging" / Path(warehouse).stem


def open_warehouse(path: Path, *, analyst_views: bool = True) -> duckdb.DuckDBPyConnection:
    """Open read-write with the schema and views applied (the Dagster graph leaves the analyst views to
    its analyst_views asset, which the blocking structural checks guard)."""
    con = wh.connect(path)
    wh.apply_schema(con)
    wh.apply_views(con, analyst=analyst_views)
    return con


DEFAULT_LOCK_WAIT_S = 3600.0


@contextmanager
def locked_warehouse(path: Path, *, read_only: bool = False, analyst_views: bool = False,
                     wait: float | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """The warehouse, opened under the writer lock (waiting up to GONGKAI_LOCK_WAIT_S, default an hour).

    What the assets use: a run started by the daemon then waits for a `gongkai ingest` in progress (and
    vice versa the CLI reports it busy) instead of failing on DuckDB's one-process file lock.
    """
    wait = float(os.environ.get("GONGKAI_LOCK_WAIT_S", DEFAULT_LOCK_WAIT_S)) if wait is None else wait
    with wh.writer_lock(path, timeout=wait):
        con = wh.connect(path, read_only=True) if read_only else open_warehouse(path, analyst_views=analyst_views)
        try:
            yield con
        finally:
            con.close()


def pending_documents(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """Documents in the inbox that this parser version has not yet turned into a report or a quarantine row."""
    return con.execute(
        "SELECT sha256, source_file FROM documents WHERE present AND (status = 'new' OR parser_version IS DISTINCT FROM ?) "
        "ORDER BY first_seen, source_file", [PARSER_VERSION]).fetchall()


# ---------------------------------------------------------------- parse

def batches(items: list[tuple[str, str]], size: int) -> list[list[tuple[str, str]]]:
    """Coarse batches of pending documents, one parse step each. Nothing pending: no batch at all."""
    size = max(1, size)
    return [items[i: i + size] for i in range(0, len(items), size)]


Task = tuple[str, str, str, str, int]  # sha256, path relative to the inbox, inbox, staging dir, max bytes


def _stage(target: Path, result: ParsedReport | Quarantined) -> str:
    kind = "report" if isinstance(result, ParsedReport) else "quarantine"
    payload = {"kind": kind, "parser_version": PARSER_VERSION, "result": result.to_dict()}
    tmp = target.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    tmp.replace(target)  # atomic: a reader never sees half a file
    return kind


def _parse_one(task: Task, parse: ParseFn = parse_document) -> tuple[str, str]:
    sha, rel, inbox, out_dir, max_bytes = task
    path = Path(inbox) / rel
    if not path.exists():
        result: ParsedReport | Quarantined = Quarantined(
            rel, sha, "read", "file_vanished", "The file disappeared from the inbox before it was read.")
    else:
        result = parse(path, source_file=rel, sha256=sha, max_bytes=max_bytes)
    return sha, _stage(Path(out_dir) / f"{sha}.json", result)


def _die_with_parent() -> None:
    """Linux: have the kernel kill this worker if the run's process dies (e.g. SIGKILL), so a worker
    stuck on a hostile document is not left spinning as an orphan."""
    with contextlib.suppress(Exception):
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _worker_main(conn: Connection, parse: ParseFn) -> None:
    # A long-lived worker: one process serves many documents, so the normal case pays no spawn per document.
    if sys.platform.startswith("linux"):
        _die_with_parent()
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):  # the parent is gone
            return
        if task is None:
            return
        try:
            conn.send(_parse_one(task, parse))
        except Exception as e:  # noqa: BLE001 - e.g. the staging dir is unwritable: report, keep serving
            conn.send((task[0], f"error:{type(e).__name__}: {e}"))


@dataclass
class _Slot:
    proc: mp.process.BaseProcess
    conn: Connection
    task: Task | None = None
    deadline: float = 0.0


class _WorkerPool:
    """N worker processes, each running one document at a time under a deadline.

    concurrent.futures cannot stop one stuck task; here a worker past its deadline (or one that died,
    e.g. a segfault in a native reader) is killed and replaced, and only its document is quarantined.
    """

    def __init__(self, size: int, parse: ParseFn, timeout: float):
        self.ctx = mp.get_context()
        self.parse, self.timeout, self.size = parse, timeout, size
        self.slots: list[_Slot] = []

    def _spawn(self) -> _Slot:
        parent, child = self.ctx.Pipe()
        proc = self.ctx.Process(target=_worker_main, args=(child, self.parse), daemon=True,
                                name="gongkai-parse")
        proc.start()
        child.close()
        return _Slot(proc, parent)

    def run(self, todo: list[Task], on_done: Callable[[Task, str], None]) -> None:
        queue = deque(todo)
        self.slots = [self._spawn() for _ in range(min(self.size, len(todo)))]
        try:
            for slot in self.slots:
                self._assign(slot, queue)
            while any(s.task for s in self.slots):
                busy = [s for s in self.slots if s.task]
                wait_s = max(0.0, min(s.deadline for s in busy) - time.monotonic())
                ready = wait([s.conn for s in busy], timeout=wait_s)
                for slot in busy:
                    if slot.conn in ready:
                        task = slot.task
                        assert task is not None
                        try:
                            _, kind = slot.conn.recv()
                        except (EOFError, OSError):
                            kind = self._fail(slot, "worker_died", "The parser process died while reading this "
                                              "document (a crash in a reader); it is quarantined so the run goes on.")
                        on_done(task, kind)
                        self._assign(slot, queue)
                    elif time.monotonic() >= slot.deadline:
                        task = slot.task
                        assert task is not None
                        kind = self._fail(slot, "timeout", f"Parsing took longer than the {self.timeout:g} s limit "
                                          "for one document (GONGKAI_PARSE_TIMEOUT_S); it was stopped.")
                        on_done(task, kind)
                        self._assign(slot, queue)
        finally:
            self.close()

    def _assign(self, slot: _Slot, queue: deque[Task]) -> None:
        slot.task = None
        if queue:
            slot.task = queue.popleft()
            slot.deadline = time.monotonic() + self.timeout
            slot.conn.send(slot.task)

    def _fail(self, slot: _Slot, reason: str, detail: str) -> str:
        """Kill the worker, quarantine its document, and put a fresh worker in its place."""
        task = slot.task
        assert task is not None
        slot.proc.kill()
        slot.proc.join()
        slot.conn.close()
        sha, rel, _, out_dir, _ = task
        kind = _stage(Path(out_dir) / f"{sha}.json", Quarantined(rel, sha, "parse", reason, detail))
        fresh = self._spawn()
        slot.proc, slot.conn = fresh.proc, fresh.conn
        return kind

    def close(self) -> None:
        for slot in self.slots:
            with contextlib.suppress(OSError, ValueError):
                slot.conn.send(None)
        for slot in self.slots:
            slot.proc.join(timeout=5)
            if slot.proc.is_alive():
                slot.proc.kill()
                slot.proc.join()
            slot.conn.close()


@dataclass
class ParseStats:
    parsed: int = 0
    reused: int = 0
    kinds: Counter = field(default_factory=Counter)
    seconds: float = 0.0


def parse_pending(items: list[tuple[str, str]], inbox: Path, staging: Path, *, workers: int = 1,
                  max_bytes: int = DEFAULT_MAX_BYTES, timeout: float | None = None,
                  progress: Progress | None = None, parse: ParseFn = parse_document) -> ParseStats:
    """Parse each pending document to a staged JSON file, in ``workers`` processes, each under ``timeout`` s.

    ``timeout`` defaults to GONGKAI_PARSE_TIMEOUT_S (60 s); 0 parses in this process with no limit.
    ``parse`` must be a module-level function (it is sent to the worker processes); tests use it to
    inject a document that never finishes.
    """
    staging.mkdir(parents=True, exist_ok=True)
    timeout = parse_timeout_from_env() if timeout is None else timeout
    stats = ParseStats()
    t0 = time.perf_counter()
    todo: list[Task] = []
    for sha, rel in items:
        staged = staging / f"{sha}.json"
        if staged.exists() and json.loads(staged.read_text(encoding="utf-8")).get("parser_version") == PARSER_VERSION:
            stats.reused += 1  # parsed by an earlier, interrupted run
            continue
        todo.append((sha, rel, str(inbox), str(staging), max_bytes))

    def done(task: Task, kind: str) -> None:
        stats.kinds[kind] += 1
        stats.parsed += 1
        if progress and (stats.parsed % 100 == 0 or stats.parsed == len(todo)):
            progress(f"parsed {stats.parsed}/{len(todo)}")

    if not todo:
        pass
    elif timeout and timeout > 0:
        _WorkerPool(max(1, workers), parse, timeout).run(todo, done)
    else:
        for task in todo:
            done(task, _parse_one(task, parse)[1])
    stats.seconds = time.perf_counter() - t0
    return stats


# ---------------------------------------------------------------- load

@dataclass
class LoadStats:
    loaded: list[str] = field(default_factory=list)
    quarantined: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)


LOAD_BATCH = 500  # reports per load transaction: set-wise statements, one commit per batch


def load_staged(con: duckdb.DuckDBPyConnection, items: list[tuple[str, str]], staging: Path,
                progress: Progress | None = None, batch_size: int = LOAD_BATCH) -> LoadStats:
    """Load staged results in transactions of up to ``batch_size`` reports (all of a batch or none of it).

    If a batch fails, its reports are loaded one by one, so only the report that cannot be loaded is
    quarantined (stage ``load``) and the others go in.
    """
    stats = LoadStats()
    batch: list[ParsedReport] = []

    def flush() -> None:
        if not batch:
            return
        try:
            stats.loaded.extend(wh.load_reports(con, batch))
        except Exception:  # noqa: BLE001 - find the report that broke the batch
            for rep in batch:
                try:
                    stats.loaded.extend(wh.load_reports(con, [rep]))
                except Exception as e:  # noqa: BLE001 - a report that cannot be loaded is quarantined, not fatal
                    q = Quarantined(rep.source_file, rep.sha256, "load", "load_failed",
                                    f"The report was read but could not be loaded ({type(e).__name__}: {str(e)[:200]}).")
                    wh.quarantine_document(con, q)
                    stats.quarantined.append((rep.source_file, q.reason))
        batch.clear()

    for i, (sha, rel) in enumerate(items, 1):
        staged = staging / f"{sha}.json"
        if not staged.exists():
            continue  # not parsed (e.g. parsing was interrupted): stays pending for the next run
        payload = json.loads(staged.read_text(encoding="utf-8"))
        if payload["kind"] == "report":
            rep = ParsedReport.from_dict(payload["result"])
            rep.source_file = rel
            batch.append(rep)
            if len(batch) >= batch_size:
                flush()
        else:
            q = Quarantined(**payload["result"])
            wh.quarantine_document(con, Quarantined(rel, q.sha256 or sha, q.stage, q.reason, q.detail))
            stats.quarantined.append((rel, q.reason))
        if progress and (i % 1000 == 0 or i == len(items)):
            progress(f"read {i}/{len(items)} staged results")
    flush()
    return stats


# ---------------------------------------------------------------- validate

def quality_rule_files() -> list[Path]:
    """What the quality results depend on besides the loaded reports: suites, shaping queries, judging code."""
    from . import gx_bridge, quality

    return [*sorted(gx_bridge.EXPECTATIONS_DIR.glob("*.json")), *sorted((wh.SQL_DIR / "checks").glob("*.sql")),
            Path(quality.__file__), Path(gx_bridge.__file__)]


def quality_is_current(con: duckdb.DuckDBPyConnection, rule_files: list[Path] | None = None) -> bool:
    """True when quality_results was evaluated after the last report load and after the rules last changed.

    Lets a nightly run that loaded nothing skip re-judging the whole corpus. Timestamps are whole
    seconds, so a load in the same second as the evaluation counts as newer (re-evaluate: safe side).
    """
    loaded, evaluated = con.execute(
        "SELECT (SELECT max(loaded_at) FROM report_history), (SELECT max(evaluated_at) FROM quality_results)"
    ).fetchall()[0]
    if loaded is None:
        return evaluated is None  # nothing loaded, nothing to judge
    if evaluated is None or loaded >= evaluated:
        return False
    files = quality_rule_files() if rule_files is None else rule_files
    rules_changed = max((f.stat().st_mtime for f in files if f.exists()), default=0.0)
    return rules_changed < evaluated.replace(tzinfo=dt.UTC).timestamp()

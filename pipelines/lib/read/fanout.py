"""Parsing fanned out: stateless, parallel, each document under a time limit, results staged by content hash.

A few long-lived worker processes serve many documents (the normal case pays no spawn per document); a
document that makes a reader spin, or crashes it, is quarantined and the run goes on. Results are staged
as files named by content hash, so a crash between parse and load loses nothing and re-parses nothing.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing as mp
import os
import sys
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path

from pipelines.lib.model import ParsedReport, Quarantined
from pipelines.lib.read.ocr import budget
from pipelines.lib.read.parse import DEFAULT_MAX_BYTES, PARSER_VERSION, parse_document

Progress = Callable[[str], None]
ParseFn = Callable[..., ParsedReport | Quarantined]

DEFAULT_PARSE_TIMEOUT_S = 60.0
EXTEND = "__extend_deadline__"  # worker -> pool: (EXTEND, seconds) when a document starts OCR

def parse_timeout_from_env() -> float:
    """GONGKAI_PARSE_TIMEOUT_S: seconds one document may take to parse (0 = no limit, parse in process)."""
    return float(os.environ.get("GONGKAI_PARSE_TIMEOUT_S", DEFAULT_PARSE_TIMEOUT_S))

def staging_dir(warehouse: Path) -> Path:
    from pipelines.lib.load.connection import runtime_dir  # the path rule lives with the warehouse

    return runtime_dir(warehouse) / "staging"

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
    # A scanned document announces its OCR: the pool then gives it the OCR budget (ocr/budget.py).
    budget.set_listener(lambda seconds: conn.send((EXTEND, seconds)))
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
                            first, kind = slot.conn.recv()
                            if first == EXTEND:  # the document started OCR: its deadline moves, it is not done
                                slot.deadline = max(slot.deadline, time.monotonic() + float(kind))
                                continue
                        except (EOFError, OSError):
                            kind = self._fail(slot, "worker_died", "The parser process died while reading this "
                                              "document (a crash in a reader); it is quarantined so the run goes on.")
                        on_done(task, kind)
                        self._assign(slot, queue)
                    elif time.monotonic() >= slot.deadline:
                        task = slot.task
                        assert task is not None
                        kind = self._fail(slot, "timeout", f"Parsing took longer than the {self.timeout:g} s limit "
                                          "for one document (GONGKAI_PARSE_TIMEOUT_S; a scan also gets "
                                          "GONGKAI_OCR_TIMEOUT_S); it was stopped.")
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

"""Parsing fanned out: stateless, parallel, each document under a time limit, results staged by content hash.

A few long-lived worker processes serve many documents (the normal case pays no spawn per document); a
document that makes a reader spin, or crashes it, is quarantined and the run goes on. Workers encode
each result; this process writes them in packs (``staging.py``: Arrow records by content hash, at a path or
URL) so a crash between parse and load loses nothing and re-parses nothing, and parse steps on other
machines write where the single loader reads.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import multiprocessing as mp
import os
import signal
import sys
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path

from pipelines.lib.model import ParsedReport, Quarantined
from pipelines.lib.progress import Ticker
from pipelines.lib.read.ocr import budget
from pipelines.lib.read.parse import DEFAULT_MAX_BYTES, parse_document
from pipelines.lib.read.staging import PackWriter, Staging, encode, kind_of

Progress = Callable[[str], None]
ParseFn = Callable[..., ParsedReport | Quarantined]

DEFAULT_PARSE_TIMEOUT_S = 60.0
DEFAULT_PARSE_MEMORY_MB = 2048.0
EXTEND = "__extend_deadline__"  # worker -> pool: (EXTEND, seconds) when a document starts OCR
READY = "__ready__"  # worker -> pool, once: started and set up; a document's deadline starts after this
WORKER_START_TIMEOUT_S = 120.0

def parse_timeout_from_env() -> float:
    """GONGKAI_PARSE_TIMEOUT_S: seconds one document may take to parse (0 = no limit, parse in process)."""
    return float(os.environ.get("GONGKAI_PARSE_TIMEOUT_S", DEFAULT_PARSE_TIMEOUT_S))

def staging_dir(warehouse: Path) -> Path:
    from pipelines.lib.load.connection import runtime_dir  # the path rule lives with the warehouse

    return runtime_dir(warehouse) / "staging"

def staging_url(warehouse: Path, url: str | None = None) -> str:
    """Where parse results are staged: ``url``, else GONGKAI_STAGING_URL (a shared path or ``s3://...``, so
    workers on other machines write where the loader reads), else ``<warehouse>.gongkai/staging``."""
    return url or os.environ.get("GONGKAI_STAGING_URL") or str(staging_dir(warehouse))

def batches(items: list[tuple[str, str]], size: int) -> list[list[tuple[str, str]]]:
    """Coarse batches of pending documents, one parse step each. Nothing pending: no batch at all."""
    size = max(1, size)
    return [items[i: i + size] for i in range(0, len(items), size)]

Task = tuple[str, str, str, int]  # sha256, path relative to the inbox, inbox, max bytes
Outcome = tuple[str, str, bytes | None]  # sha256, kind ('report', 'quarantine', 'changed', ...), staged record

def _read_snapshot(path: Path, max_bytes: int) -> bytes:
    """The file's bytes, read once (at most max_bytes + 1: a file over the limit is not read whole)."""
    with open(path, "rb") as f:
        return f.read(max_bytes + 1)


def _staged(result: ParsedReport | Quarantined) -> Outcome:
    return result.sha256, kind_of(result), encode(result)


def _parse_one(task: Task, parse: ParseFn = parse_document, memory_mb: float = 0.0) -> Outcome:
    """Parse the bytes that were hashed: the file is read once into a snapshot, hashed again, and only a
    snapshot whose hash is the scanned one is parsed (under that hash). A file replaced since the scan
    gives kind ``changed`` and nothing is staged: its document stays pending, and the next scan sees the
    new content as a new document. The result comes back encoded (``staging.encode``), to be packed."""
    from pipelines.lib.load.documents import inbox_file  # the stored-name -> path rule lives with the scan

    sha, rel, inbox, max_bytes = task
    path = inbox_file(inbox, rel)
    try:
        data = _read_snapshot(path, max_bytes)
    except FileNotFoundError:
        result: ParsedReport | Quarantined = Quarantined(
            rel, sha, "read", "file_vanished", "The file disappeared from the inbox before it was read.")
        return _staged(result)
    except OSError:
        return sha, "unreadable", None  # not staged: stays pending, shown as skipped (unreadable) by the load
    if len(data) <= max_bytes and hashlib.sha256(data).hexdigest() != sha:
        return sha, "changed", None
    try:
        with _memory_capped(memory_mb):
            if len(data) > max_bytes:  # too large: rejected on size, the bytes beyond the limit never read
                result = parse(path, source_file=rel, sha256=sha, max_bytes=max_bytes)
            else:
                result = parse(path, source_file=rel, sha256=sha, max_bytes=max_bytes, data=data)
    except MemoryError:  # the worker's address-space cap (GONGKAI_PARSE_MEMORY_MB) stopped it
        del data
        result = Quarantined(rel, sha, "parse", "memory_limit",
                             f"Parsing this document needed more than the {memory_mb:g} MB "
                             "memory cap of one parse worker (GONGKAI_PARSE_MEMORY_MB); it was stopped.")
    return _staged(result)


def parse_memory_mb_from_env() -> float:
    """GONGKAI_PARSE_MEMORY_MB: memory one parse worker may take beyond what it holds at start (0 = no cap)."""
    return float(os.environ.get("GONGKAI_PARSE_MEMORY_MB", DEFAULT_PARSE_MEMORY_MB) or 0)


# A worker serves many documents, and the readers' native libraries keep some of what each leaves behind
# (measured at 100,000 documents: a worker grew ~60 KB a document, to ~600 MB, MuPDF's resource store and
# PyMuPDF's text blocks the most), so a worker that has grown past this is replaced between two documents.
DEFAULT_WORKER_RECYCLE_MB = 400.0


def worker_recycle_mb_from_env() -> float:
    """GONGKAI_PARSE_WORKER_RECYCLE_MB: resident memory (MB) past which a parse worker is replaced after the
    document it has just finished (0 = never)."""
    raw = os.environ.get("GONGKAI_PARSE_WORKER_RECYCLE_MB", "").strip()
    try:
        value = float(raw) if raw else DEFAULT_WORKER_RECYCLE_MB
    except ValueError:
        value = -1.0
    if value < 0:
        raise ValueError(f"GONGKAI_PARSE_WORKER_RECYCLE_MB must be a number of megabytes, 0 or more (got {raw!r})")
    return value


def _statm_bytes(pid: int | str = "self") -> tuple[int, int]:
    """Linux: a process's (address space, resident memory) in bytes, from /proc; OSError elsewhere."""
    with open(f"/proc/{pid}/statm", "rb") as f:
        size, resident = f.read().split()[:2]
    page = os.sysconf("SC_PAGE_SIZE")
    return int(size) * page, int(resident) * page


def _resident_mb(pid: int) -> float:
    """A process's resident memory in MB (0 where /proc cannot tell, so no worker is replaced)."""
    try:
        return _statm_bytes(pid)[1] / 2**20
    except (OSError, ValueError):
        return 0.0


@contextlib.contextmanager
def _memory_capped(extra_mb: float) -> Iterator[None]:
    """Linux, in a parse worker: cap the address space at the current size + extra_mb while a document is
    parsed, so a document that asks for gigabytes fails with MemoryError (quarantined memory_limit)
    instead of taking the machine. Only the parse is capped: staging the result afterwards (Arrow's
    allocator reserves address space on first use) runs under the previous limit again."""
    if extra_mb <= 0 or not sys.platform.startswith("linux"):
        yield
        return
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    try:
        limit = _statm_bytes()[0] + int(extra_mb * 1024 * 1024)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (OSError, ValueError):
        yield
        return
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _die_with_parent() -> None:
    """Linux: have the kernel kill this worker if the run's process dies (e.g. SIGKILL), so a worker
    stuck on a hostile document is not left spinning as an orphan."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG

def _settings_env() -> dict[str, str]:
    """The GONGKAI_* settings as this process sees them now (a fork server started earlier does not)."""
    return {k: v for k, v in os.environ.items() if k.startswith("GONGKAI_")}


def _worker_main(conn: Connection, parse: ParseFn, memory_mb: float = 0.0,
                 settings: dict[str, str] | None = None) -> None:
    # A long-lived worker: one process serves many documents, so the normal case pays no spawn per document.
    if settings is not None:  # the run's settings, not those of the moment the fork server started
        for k in [k for k in os.environ if k.startswith("GONGKAI_")]:
            del os.environ[k]
        os.environ.update(settings)
    if sys.platform.startswith("linux"):
        _die_with_parent()
    # Ctrl-C in the terminal reaches the whole process group: it is for the run, which stops its workers;
    # here it only printed a traceback per worker.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The readers' modules (imported once by the fork server) are never garbage: out of the collector's
    # way, so each collection walks only what the documents leave behind.
    gc.freeze()
    # A scanned document announces its OCR: the pool then gives it the OCR budget (ocr/budget.py).
    budget.set_listener(lambda seconds: conn.send((EXTEND, seconds)))
    conn.send(READY)
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):  # the parent is gone
            return
        if task is None:
            return
        try:
            conn.send(_parse_one(task, parse, memory_mb))
        except Exception as e:  # noqa: BLE001 - e.g. a result that cannot be encoded: report, keep serving
            conn.send((task[0], f"error:{type(e).__name__}: {e}", None))

def _worker_context() -> mp.context.BaseContext:
    """Workers come from a fork server, not from a fork of this process: the loader here holds DuckDB and
    Arrow thread pools, and a child forked from a process with live native threads can crash (SIGSEGV) the
    first time it uses them. The server starts clean, imports the readers once, and forks cheap workers.
    Workers see the environment the server started with: what they need is passed as arguments."""
    if sys.platform.startswith("linux"):
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["pipelines.lib.read.parse", "pipelines.lib.read.staging",
                                    "pipelines.lib.read.extract.pdf", "pipelines.lib.read.extract.docx",
                                    "pipelines.lib.read.worker_warmup"])
        return ctx
    return mp.get_context()


def start_worker_server() -> None:
    """Start the fork server now, so its imports (the readers, pandas, the code table: ~1 s) run while this
    process does other work (Dagster's start-up, the scan) instead of when the first worker is wanted.
    Optional: the pool starts the server itself when it was not started here."""
    if sys.platform.startswith("linux"):
        from multiprocessing import forkserver

        _worker_context()  # sets what the server preloads
        forkserver.ensure_running()


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
        self.ctx = _worker_context()
        self.parse, self.timeout, self.size = parse, timeout, size
        self.memory_mb = parse_memory_mb_from_env()
        self.recycle_mb = worker_recycle_mb_from_env()
        self.settings = _settings_env()
        self.slots: list[_Slot] = []
        self.recycled = 0  # workers replaced for their size

    def serves(self, size: int, parse: ParseFn, timeout: float) -> bool:
        """Whether these workers can take a new batch asked for with these settings."""
        return ((self.size, self.parse, self.timeout, self.memory_mb, self.recycle_mb, self.settings)
                == (size, parse, timeout, parse_memory_mb_from_env(), worker_recycle_mb_from_env(), _settings_env())
                and all(s.proc.is_alive() and s.task is None for s in self.slots))

    def _spawn(self) -> _Slot:
        parent, child = self.ctx.Pipe()
        proc = self.ctx.Process(target=_worker_main, args=(child, self.parse, self.memory_mb, self.settings),
                                daemon=True,
                                name="gongkai-parse")
        proc.start()
        child.close()
        # A worker's start-up (imports of what the fork server did not preload) must not eat into the
        # first document's time limit: its deadline is set only once the worker says it is ready.
        try:
            # The process's sentinel too: a worker that dies starting up is seen at once, not after the timeout
            # (the fork server keeps a copy of the pipe's other end, so its death alone is no EOF here).
            ready = (bool(wait([parent, proc.sentinel], WORKER_START_TIMEOUT_S)) and parent.poll()
                     and parent.recv() == READY)
        except (EOFError, OSError):
            ready = False
        if not ready:
            proc.kill()
            proc.join()
            raise RuntimeError(f"a parse worker did not start within {WORKER_START_TIMEOUT_S:g} s "
                               f"(exit code {proc.exitcode})")
        return _Slot(proc, parent)

    def run(self, todo: list[Task], on_done: Callable[[Task, str, bytes | None], None], keep: bool = False) -> None:
        """Parse ``todo``; with ``keep``, the workers stay up afterwards for the next batch (closed on error)."""
        queue = deque(todo)
        while len(self.slots) < min(self.size, len(todo)):
            self.slots.append(self._spawn())
        kept = False
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
                            first, kind, *rest = slot.conn.recv()
                            if first == EXTEND:  # the document started OCR: its deadline moves, it is not done
                                slot.deadline = max(slot.deadline, time.monotonic() + float(kind))
                                continue
                            record = rest[0]
                        except (EOFError, OSError):
                            slot.proc.join(timeout=1)
                            kind, record = self._fail(slot, "worker_died", "The parser process died while reading "
                                                      f"this document (exit code {slot.proc.exitcode}: a crash in a "
                                                      f"reader, or it ran out of the {self.memory_mb:g} MB memory "
                                                      "cap, GONGKAI_PARSE_MEMORY_MB); it is quarantined so the run "
                                                      "goes on.")
                        on_done(task, kind, record)
                        if self.recycle_mb and _resident_mb(slot.proc.pid) > self.recycle_mb:
                            self._replace(slot)  # idle now: nothing of a document is lost
                            self.recycled += 1
                        self._assign(slot, queue)
                    elif time.monotonic() >= slot.deadline:
                        task = slot.task
                        assert task is not None
                        kind, record = self._fail(slot, "timeout", f"Parsing took longer than the {self.timeout:g} s "
                                                  "limit for one document (GONGKAI_PARSE_TIMEOUT_S; a scan also "
                                                  "gets GONGKAI_OCR_TIMEOUT_S); it was stopped.")
                        on_done(task, kind, record)
                        self._assign(slot, queue)
            kept = keep
        finally:
            if not kept:
                self.close()

    def _assign(self, slot: _Slot, queue: deque[Task]) -> None:
        slot.task = None
        if queue:
            slot.task = queue.popleft()
            slot.deadline = time.monotonic() + self.timeout
            slot.conn.send(slot.task)

    def _fail(self, slot: _Slot, reason: str, detail: str) -> tuple[str, bytes]:
        """Kill the worker, quarantine its document (returns the quarantine's kind and staged record), and
        put a fresh worker in its place."""
        task = slot.task
        assert task is not None
        self._replace(slot)
        sha, rel, _, _ = task
        quarantined = Quarantined(rel, sha, "parse", reason, detail)
        return kind_of(quarantined), encode(quarantined)

    def _replace(self, slot: _Slot) -> None:
        """Stop the slot's worker and put a fresh one (forked from the warm server) in its place."""
        slot.proc.kill()
        slot.proc.join()
        slot.conn.close()
        fresh = self._spawn()
        slot.proc, slot.conn = fresh.proc, fresh.conn

    def close(self) -> None:
        slots, self.slots = self.slots, []
        for slot in slots:
            with contextlib.suppress(OSError, ValueError):
                slot.conn.send(None)
        for slot in slots:
            slot.proc.join(timeout=5)
            if slot.proc.is_alive():
                slot.proc.kill()
                slot.proc.join()
            slot.conn.close()

# Workers kept between batches of one process (parse_pending(keep_workers=True)): a fresh worker spends its
# first documents warming up (imports the fork server did not do, the readers' caches), ~0.4 s a batch here.
_kept: _WorkerPool | None = None


def close_kept_workers() -> None:
    """Stop the workers kept by ``parse_pending(keep_workers=True)`` (the parse is over)."""
    global _kept
    pool, _kept = _kept, None
    if pool is not None:
        pool.close()


def _pool(size: int, parse: ParseFn, timeout: float) -> _WorkerPool:
    global _kept
    pool, _kept = _kept, None
    if pool is not None and pool.serves(size, parse, timeout):
        return pool
    if pool is not None:
        pool.close()
    return _WorkerPool(size, parse, timeout)


@dataclass
class ParseStats:
    parsed: int = 0
    reused: int = 0
    kinds: Counter = field(default_factory=Counter)
    seconds: float = 0.0
    workers_recycled: int = 0  # workers replaced because they had grown past GONGKAI_PARSE_WORKER_RECYCLE_MB

def parse_pending(items: list[tuple[str, str]], inbox: Path, staging: Path | str | Staging, *, workers: int = 1,
                  max_bytes: int = DEFAULT_MAX_BYTES, timeout: float | None = None,
                  progress: Progress | None = None, parse: ParseFn = parse_document,
                  keep_workers: bool = False) -> ParseStats:
    """Parse each pending document to a staged result, in ``workers`` processes, each under ``timeout`` s.

    A document already staged by this parser version (an earlier run was interrupted before loading) is
    not parsed again; one whose staged record cannot be read (torn) is. Results are written in packs
    (``staging.PackWriter``) by this process as they come back. ``timeout`` defaults to
    GONGKAI_PARSE_TIMEOUT_S (60 s); 0 parses in this process with no limit.
    ``parse`` must be a module-level function (it is sent to the worker processes); tests use it to
    inject a document that never finishes. ``keep_workers`` leaves the worker processes up for the next
    call in this process (batches run one after another); ``close_kept_workers`` stops them.
    """
    global _kept
    staging = staging if isinstance(staging, Staging) else Staging(staging)
    staging.prepare()
    staging.clean_leftovers()
    timeout = parse_timeout_from_env() if timeout is None else timeout
    stats = ParseStats()
    t0 = time.perf_counter()
    todo: list[Task] = []
    staged = set(staging.staged_shas())  # one listing; each candidate is then read to check it is whole
    for sha, rel in items:
        if sha in staged and staging.read(sha, refresh=False) is not None:
            stats.reused += 1  # parsed by an earlier, interrupted run
            continue
        todo.append((sha, rel, str(inbox), max_bytes))

    ticker = Ticker()
    with PackWriter(staging) as packs:
        def done(task: Task, kind: str, record: bytes | None) -> None:
            if record is not None:
                packs.add(task[0], record)
            stats.kinds[kind] += 1
            stats.parsed += 1
            if progress and ticker.due(final=stats.parsed == len(todo)):
                progress(f"parsed {stats.parsed}/{len(todo)}")

        if not todo:
            pass
        elif timeout and timeout > 0:
            pool = _pool(max(1, workers), parse, timeout)
            recycled_before = pool.recycled
            pool.run(todo, done, keep=keep_workers)
            stats.workers_recycled = pool.recycled - recycled_before
            if keep_workers and pool.slots:
                _kept = pool
        else:
            for task in todo:
                done(task, *_parse_one(task, parse)[1:])
    stats.seconds = time.perf_counter() - t0
    return stats

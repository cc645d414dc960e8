"""Great Expectations in a process of its own, started before the run needs it.

Importing GX costs ~2.5 s of CPU (its pydantic models of every SQL datasource, scipy, altair). Imported in a
thread of an in-process run, during the parse, it took a core and the GIL from the parse: 1,000 documents
parsed in 5.1-5.3 s with it, 3.2-3.3 s without (measured, two workers). Started as its own process when
`gongkai ingest` starts, it imports GX on the core Dagster's single-threaded start-up leaves idle, and the
quality step sends it each suite's frame (Arrow IPC) and gets the outcomes back.

Only `gongkai ingest` on the in-process executor starts one (``start``); elsewhere ``sessions()`` gives the
in-process GXSession, as before. A GX process that is gone before a pass starts is not asked: the pass
judges in-process. One that dies during a request fails that request with a sentence (GXProcessLost); it
is a daemon, so it ends with the process that started it.
"""

from __future__ import annotations

import contextlib
import io
import multiprocessing as mp
import os
import signal
import threading
import traceback
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.lib.judge.gx_bridge import ExpectationOutcome, GXEvaluationError, GXSession, Reply
from pipelines.lib.memory import give_memory_back

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

    import polars as pl

    from pipelines.lib.judge.quality import SessionFactory
    from pipelines.lib.serve.data_docs import SuiteSummary


class GXProcessLost(RuntimeError):
    """The GX process ended while a pass was using it."""


class GXProcess:
    """A spawned process that imports GX at once, then holds one GX session at a time and answers requests,
    one at a time: a request is sent, and its reply taken before the next is sent (so neither side can block
    on a full pipe while the other does)."""

    def __init__(self) -> None:
        ctx = mp.get_context("spawn")  # a fresh interpreter: nothing of this process's threads or handles
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=_serve, args=(child,), name="gongkai-gx", daemon=True)
        self._proc.start()
        child.close()
        self._lock = threading.RLock()  # one request or reply on the pipe at a time
        self._outstanding: _Pending | None = None
        self._session = 0

    def alive(self) -> bool:
        return self._proc.is_alive()

    def request(self, op: str, *args: object) -> _Pending:
        with self._lock:
            if self._outstanding is not None:  # its reply is taken first, kept for whoever asks for it
                self._outstanding.take()
            try:
                self._conn.send((op, *args))
            except (OSError, ValueError) as e:
                raise self._lost(op) from e
            self._outstanding = _Pending(self, op)
            return self._outstanding

    def _receive(self, pending: _Pending) -> tuple:
        """The reply to ``pending`` (the one request out); the caller holds the lock."""
        self._outstanding = None
        try:
            return self._conn.recv()
        except (EOFError, OSError) as e:
            raise self._lost(pending.op) from e

    def _lost(self, op: str) -> GXProcessLost:
        return GXProcessLost(f"the Great Expectations process ended during '{op}' (exit code "
                             f"{self._proc.exitcode}); the quality step did not finish")

    def session(self, docs_dir: Path | None) -> RemoteSession:
        self._session += 1
        self.request("session", self._session, None if docs_dir is None else str(docs_dir)).result()
        return RemoteSession(self, self._session)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._conn.close()  # the process reads EOF and ends
        self._proc.join(timeout=5)
        if self._proc.is_alive():
            self._proc.kill()
            self._proc.join()


class _Pending:
    """A request sent to the GX process; ``result()`` waits for its reply."""

    def __init__(self, process: GXProcess, op: str):
        self._process, self.op = process, op
        self._reply: tuple | None = None

    def take(self) -> None:
        with self._process._lock:
            if self._reply is None:
                self._reply = self._process._receive(self)

    def result(self) -> object:
        self.take()
        assert self._reply is not None
        kind, *payload = self._reply
        if kind == "error":
            name, text = payload
            raise (GXEvaluationError if name == "GXEvaluationError" else RuntimeError)(text)
        return payload[0]


class RemoteSession:
    """A GX session held by the GX process (the JudgeSession of gx_bridge, like GXSession)."""

    def __init__(self, process: GXProcess, number: int):
        self._process, self._number = process, number

    def submit(self, suite: dict, frame: pl.DataFrame, run_name: str | None = None) -> Reply[list[ExpectationOutcome]]:
        buf = io.BytesIO()
        frame.write_ipc(buf)
        return self._process.request("validate", self._number, suite, buf.getvalue(), run_name)  # type: ignore[return-value]

    def publish(self, summaries: list[SuiteSummary]) -> Reply[None]:
        return self._process.request("publish", self._number, summaries)  # type: ignore[return-value]


def _serve(conn: Connection) -> None:
    """The GX process: import GX now (the reason it exists), then answer requests until the pipe closes."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the run; this process ends with it (EOF)
    with contextlib.suppress(Exception):
        # tqdm's default lock (GX makes a progress bar, disabled, per validation) is a multiprocessing semaphore
        # registered with the starting process's resource tracker; this process is stopped, not ended, with
        # that process, so the tracker would warn of a leaked semaphore. A thread lock is all one process needs.
        from tqdm import tqdm

        tqdm.set_lock(threading.RLock())
    with contextlib.suppress(Exception):  # a broken install fails the first request instead, with its traceback
        import great_expectations  # noqa: F401
    import polars as pl

    spare = _spare_session()  # a pass's first session costs ~0.2 s to set up: paid before it is asked for
    session, number = None, 0
    while True:
        try:
            op, *args = conn.recv()
        except (EOFError, OSError):
            return
        try:
            if op == "session":
                session = None
                give_memory_back()  # the last session's context and frames, before the next is used
                number, docs_dir = args
                session, spare = spare or GXSession(), None
                if docs_dir is not None:
                    session.render_to(Path(docs_dir))
                result = None
            elif session is None or args[0] != number:
                raise RuntimeError(f"GX session {args[0]} is not the current one ({number})")
            elif op == "validate":
                _, suite, data, run_name = args
                result = session.submit(suite, pl.read_ipc(io.BytesIO(data)), run_name=run_name).result()
            elif op == "publish":
                result = session.publish(args[1]).result()
            else:
                raise RuntimeError(f"unknown request {op!r}")
            reply: tuple = ("ok", result)
        except Exception as e:  # noqa: BLE001 - sent back and raised in the caller
            reply = ("error", type(e).__name__, "".join(traceback.format_exception(e)).rstrip())
        try:
            conn.send(reply)
        except OSError:  # the run is gone
            return


def _spare_session() -> GXSession | None:
    try:
        return GXSession()
    except Exception:  # noqa: BLE001 - the "session" request makes one again and reports what fails
        return None


_process: GXProcess | None = None


def start() -> None:
    """Start this process's GX process (once); ``sessions()`` then hands out sessions in it."""
    global _process
    if _process is None or not _process.alive():
        _process = GXProcess()


def running() -> bool:
    return _process is not None and _process.alive()


def sessions() -> SessionFactory:
    """How the next quality pass makes its GX sessions: in the GX process when one is running, else here."""
    return _process.session if _process is not None and _process.alive() else GXSession


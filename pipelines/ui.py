"""`gongkai ui`: the Dagster UI for one warehouse, supervised so that it starts once and stops whole.

`dagster dev` runs a webserver, a daemon and code servers as child processes. Started bare, a second copy
fails on the port but keeps its daemon running, and a SIGTERM can leave the children serving for minutes.
So: refuse to start when the port is taken, run `dagster dev` in its own process group, and on Ctrl-C or
SIGTERM stop every process of that tree (politely, then by force). Beside it, a small static server publishes
the warehouse's GX Data Docs over http, which a browser opens from a link in the UI (it blocks file:// links).
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import psutil

STOP_GRACE_S = 10.0


def port_in_use(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((host, port))
        except OSError:
            return True
    return False


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the stdlib's signature
        pass


def serve_folder(folder: Path, host: str, port: int) -> http.server.ThreadingHTTPServer:
    """A read-only static server for ``folder`` on a daemon thread (the Data Docs: plain files)."""
    folder.mkdir(parents=True, exist_ok=True)
    server = http.server.ThreadingHTTPServer((host, port), functools.partial(_QuietHandler, directory=str(folder)))
    threading.Thread(target=server.serve_forever, name="gongkai-docs", daemon=True).start()
    return server


def stop_tree(proc: subprocess.Popen, grace: float = STOP_GRACE_S) -> None:
    """SIGTERM to the whole tree (the process group and any child that left it), then SIGKILL what is left."""
    try:
        tree = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        tree = []
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGTERM)
    for p in tree:
        with contextlib.suppress(psutil.NoSuchProcess):
            p.terminate()
    _, alive = psutil.wait_procs(tree, timeout=grace)
    for p in alive:
        with contextlib.suppress(psutil.NoSuchProcess):
            p.kill()
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    psutil.wait_procs(alive, timeout=grace)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=grace)


def run_ui(*, project_root: Path, host: str, port: int, docs_port: int, docs_folder: Path,
           env: dict[str, str]) -> int:
    """Serve until Ctrl-C / SIGTERM or until `dagster dev` exits; returns the exit code."""
    if port_in_use(host, port):
        print(f"gongkai ui: port {port} on {host} is already in use (is another `gongkai ui` running?); "
              "stop it or choose another --port.", file=sys.stderr)
        return 1
    docs_server = None
    if port_in_use(host, docs_port):
        print(f"gongkai ui: port {docs_port} is taken, so the Data Docs are not served (use --docs-port).",
              file=sys.stderr)
    else:
        docs_server = serve_folder(docs_folder, host, docs_port)
    cmd = [sys.executable, "-m", "dagster", "dev", "-w", str(project_root / "workspace.yaml"), "-h", host,
           "-p", str(port)]
    proc = subprocess.Popen(cmd, cwd=project_root, env=env, start_new_session=True)
    stopping = threading.Event()

    def on_signal(signum: int, _frame) -> None:
        stopping.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        while proc.poll() is None and not stopping.wait(0.5):
            pass
        rc = proc.returncode if proc.returncode is not None else 0
    finally:
        stop_tree(proc)
        if docs_server:
            docs_server.shutdown()
        for s, h in previous.items():
            signal.signal(s, h)
    return rc

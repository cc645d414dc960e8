"""`gongkai ui` as an operator runs it: one per port, its Data Docs over http, and it stops whole on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil
import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _ui(tmp_path: Path, port: int, docs_port: int) -> subprocess.Popen:
    env = {**os.environ, "GONGKAI_WAREHOUSE": str(tmp_path / "w.duckdb"), "GONGKAI_INBOX": str(tmp_path / "inbox")}
    env.pop("DAGSTER_HOME", None)
    return subprocess.Popen([sys.executable, "-m", "pipelines.cli", "ui", "--port", str(port), "--docs-port",
                             str(docs_port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.slow
def test_ui_refuses_a_taken_port_serves_docs_and_stops_whole(tmp_path: Path) -> None:
    (tmp_path / "inbox").mkdir()
    docs = tmp_path / "w.duckdb.gongkai" / "quality" / "gx_docs"
    docs.mkdir(parents=True)
    (docs / "index.html").write_text("<html><body>docs of w</body></html>", encoding="utf-8")
    port, docs_port = _free_port(), _free_port()
    first = _ui(tmp_path, port, docs_port)
    try:
        deadline = time.monotonic() + 120
        while not _listening(port):
            assert first.poll() is None, first.stderr.read() if first.stderr else ""
            assert time.monotonic() < deadline, "the Dagster UI did not start in 120 s"
            time.sleep(1)
        with urllib.request.urlopen(f"http://127.0.0.1:{docs_port}/gx_docs/index.html", timeout=10) as r:
            assert b"docs of w" in r.read()
        # its Dagster instance lives beside the warehouse, not in a shared .dagster/
        assert (tmp_path / "w.duckdb.gongkai" / "dagster" / "dagster.yaml").exists()

        second = _ui(tmp_path, port, _free_port())
        out, err = second.communicate(timeout=60)
        assert second.returncode == 1 and "already in use" in err

        tree = psutil.Process(first.pid).children(recursive=True)
        assert tree, "dagster dev started no processes"
        first.send_signal(signal.SIGTERM)
        first.wait(timeout=60)
        gone, alive = psutil.wait_procs(tree, timeout=30)
        assert alive == [], f"left running after SIGTERM: {[p.pid for p in alive]}"
        assert not _listening(port) and not _listening(docs_port)
    finally:
        if first.poll() is None:
            for p in psutil.Process(first.pid).children(recursive=True):
                p.kill()
            first.kill()

"""Parse batches on a real Dask cluster: a `dask scheduler` and two `dask worker` processes on 127.0.0.1.

`gongkai ingest --executor dask` with GONGKAI_DASK_SCHEDULER set builds the same warehouse as the
in-process run. Only one worker holds the warehouse (`--resources warehouse=1`): the scan, load and
quality steps must run there; parse batches may run on either.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from gen_reports import write_reports
from test_crash_safety import snapshot

BIN = Path(sys.executable).parent


def _start(args: list[str], log: Path, env: dict) -> subprocess.Popen:
    return subprocess.Popen(args, stdout=log.open("wb"), stderr=subprocess.STDOUT, env=env, start_new_session=True)


def _stop(procs: list[subprocess.Popen]) -> None:
    for p in reversed(procs):  # workers first, then the scheduler
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()


def _ingest(inbox: Path, warehouse: Path, env: dict, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "gongkai"), "ingest", "--inbox", str(inbox), "--warehouse", str(warehouse),
                           *extra], env=env, capture_output=True, text=True, timeout=300)


def test_a_real_dask_cluster_builds_the_same_warehouse_as_the_in_process_run(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    write_reports(inbox, 4, seed=31)
    (inbox / "notice.txt").write_text("会议通知：本周五下午开会。", encoding="utf-8")  # a quarantine row too
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GONGKAI_", "DAGSTER_HOME"))}
    env.update({"PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}", "GONGKAI_PARSE_BATCH": "2",
                "DASK_DISTRIBUTED__WORKER__DAEMON": "False"})  # parse steps start their own processes

    reference = tmp_path / "in_process.duckdb"
    done = _ingest(inbox, reference, env)
    assert done.returncode == 0, done.stderr[-2000:]

    scheduler_file = tmp_path / "scheduler.json"
    procs: list[subprocess.Popen] = []
    try:
        procs.append(_start([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                             "--scheduler-file", str(scheduler_file)], tmp_path / "scheduler.log", env))
        deadline = time.monotonic() + 60
        while not scheduler_file.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        address = json.loads(scheduler_file.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:")
        for k, resources in enumerate((["--resources", "warehouse=1"], [])):
            procs.append(_start([str(BIN / "dask"), "worker", address, "--host", "127.0.0.1", "--nthreads", "1",
                                 "--no-dashboard", "--name", f"w{k}", *resources], tmp_path / f"worker{k}.log", env))
        from distributed import Client

        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=60)

        on_dask = tmp_path / "dask.duckdb"
        done = _ingest(inbox, on_dask, {**env, "GONGKAI_DASK_SCHEDULER": address}, "--executor", "dask")
        assert done.returncode == 0, done.stderr[-3000:]
        assert "parsed: 5" in done.stdout and "loaded: 4" in done.stdout
    finally:
        _stop(procs)

    assert snapshot(on_dask) == snapshot(reference)
    # the parse batches ran as mapped steps of the Dask run: 5 documents, 2 per batch, 3 steps
    import dagster as dg

    os.environ["DAGSTER_HOME"] = str(Path(str(on_dask) + ".gongkai") / "dagster")
    try:
        with dg.DagsterInstance.get() as instance:
            run = instance.get_runs(limit=1)[0]
            assert run.job_name == "ingest_job_dask"
            steps = {e.dagster_event.step_key for e in instance.all_logs(run.run_id)
                     if e.dagster_event and e.dagster_event.event_type_value == "STEP_SUCCESS"}
    finally:
        del os.environ["DAGSTER_HOME"]
    assert sorted(k for k in steps if "parse_batch[" in k) == [
        f"parsed_documents.parse_batch[batch_{k:05d}]" for k in range(3)]
    assert {"warehouse_reports", "quality_results", "analyst_views"} <= steps
    logs = "".join((tmp_path / f"worker{k}.log").read_text(errors="replace") for k in (0, 1))
    assert "Traceback" not in logs, logs[-3000:]

"""A backfill through Dagster itself: the same ingest job on the in-process and the multiprocess executor.

    python benchmarks/bench_backfill.py [--docs 4000] [--batch 1000] [--concurrent 2] [--workdir DIR]

Writes N generated TXT reports (distinct agency-years) to a fresh inbox, then runs ``ingest_job``
twice from empty warehouses: once on the in-process executor (what ``gongkai ingest`` does) and once
on the multiprocess executor with ``--concurrent`` step processes, parsing in batches of ``--batch``
documents (one step per batch). Prints wall time per asset step and overall, and the number of
executor steps: the point of coarse batches is that this stays tens of steps for 10^5 documents.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

import dagster as dg  # noqa: E402
from gen_reports import report_texts  # noqa: E402

from pipelines.definitions import resolved_ingest_job  # noqa: E402


def run(executor: str, inbox: Path, work: Path, batch: int, concurrent: int) -> None:
    warehouse = work / f"{executor}.duckdb"
    os.environ.update({"GONGKAI_INBOX": str(inbox), "GONGKAI_WAREHOUSE": str(warehouse),
                       "GONGKAI_PARSE_BATCH": str(batch), "GONGKAI_PARSE_WORKERS": "1"})
    home = work / f"home-{executor}"
    home.mkdir()
    config = ({"execution": {"config": {"in_process": {}}}} if executor == "in_process" else
              {"execution": {"config": {"multiprocess": {"max_concurrent": concurrent}}}})
    with dg.instance_for_test(temp_dir=str(home)) as instance:
        t0 = time.perf_counter()
        result = dg.execute_job(dg.reconstructable(resolved_ingest_job), instance=instance, run_config=config)
        wall = time.perf_counter() - t0
        assert result.success, executor
        starts: dict[str, float] = {}
        spans: dict[str, float] = {}
        for entry in instance.all_logs(result.run_id):
            e = entry.dagster_event
            if e is None:
                continue
            if e.event_type_value == "STEP_START":
                starts[e.step_key] = entry.timestamp
            elif e.event_type_value == "STEP_SUCCESS":
                spans[e.step_key] = entry.timestamp - starts[e.step_key]
        parse_steps = [k for k in spans if k.startswith("parsed_documents.parse_batch")]
        first = min(starts[k] for k in parse_steps) if parse_steps else 0.0
        last = max(starts[k] + spans[k] for k in parse_steps) if parse_steps else 0.0
    print(f"{executor:>12}: {wall:6.1f} s wall, {len(spans)} steps ({len(parse_steps)} parse batches); "
          f"parsing {last - first:.1f} s wall, sum of batch steps {sum(spans[k] for k in parse_steps):.1f} s; "
          + ", ".join(f"{k.split('.')[0]} {v:.1f}" for k, v in spans.items() if "parse_batch" not in k))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=4000)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--concurrent", type=int, default=2)
    ap.add_argument("--workdir", type=Path)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(dir=args.workdir))
    try:
        inbox = work / "inbox"
        inbox.mkdir()
        for name, data in report_texts(args.docs, seed=11):
            (inbox / name).write_bytes(data)
        print(f"{args.docs} documents, batches of {args.batch}, up to {args.concurrent} step processes")
        run("in_process", inbox, work, args.batch, args.concurrent)
        run("multiprocess", inbox, work, args.batch, args.concurrent)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Incremental cost of the nightly run: a run that finds nothing new should stay flat as the corpus grows.

    python benchmarks/bench_incremental.py [--sizes 100,1000,10000] [--workers 2] [--workdir DIR] [--no-cli]

For each size N it writes N generated TXT reports (distinct agency-years) to a fresh inbox, ingests them
once (parse_workers=2), then times: a no-change run in process (the lib functions the assets call, stage
by stage), a no-change `gongkai ingest`, and 10 new reports ingested in process and 10 more via the CLI.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from gen_reports import report_texts  # noqa: E402

from pipelines.lib.judge import quality  # noqa: E402
from pipelines.lib.load import connection, documents, loader  # noqa: E402
from pipelines.lib.read import fanout  # noqa: E402


@dataclass
class Timing:
    stages: dict[str, float] = field(default_factory=dict)

    @property
    def total(self) -> float:
        return sum(self.stages.values())


def run_in_process(inbox: Path, warehouse: Path, workers: int, force_quality: bool = False) -> Timing:
    """One whole run as the asset graph does it: quality judges only the agencies whose reports changed (as the
    asset does); ``force_quality`` judges everything."""
    t = Timing()

    def lap(name: str, t0: float) -> float:
        now = time.perf_counter()
        t.stages[name] = now - t0
        return now

    t0 = time.perf_counter()
    con = connection.open_warehouse(warehouse)
    t0 = lap("open", t0)
    documents.scan_inbox(con, inbox)
    pending = documents.pending_documents(con)
    t0 = lap("scan", t0)
    staging = fanout.staging_dir(warehouse)
    fanout.parse_pending(pending, inbox, staging, workers=workers)
    t0 = lap("parse", t0)
    loader.load_staged(con, pending, staging)
    t0 = lap("load", t0)
    quality.refresh_quality(con, full=force_quality)  # judges the agencies that changed; nothing when none did
    t0 = lap("quality", t0)
    con.close()
    return t


def run_cli(inbox: Path, warehouse: Path, home: Path, workers: int) -> float:
    env = {**os.environ, "DAGSTER_HOME": str(home), "GONGKAI_PARSE_WORKERS": str(workers)}
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "pipelines.cli", "ingest", "--inbox", str(inbox),
                        "--warehouse", str(warehouse)], env=env, cwd=REPO, capture_output=True, text=True)
    dt = time.perf_counter() - t0
    if r.returncode != 0:
        raise SystemExit(f"gongkai ingest failed ({r.returncode}):\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}")
    return dt


def write(inbox: Path, n: int, offset: int, seed: int) -> None:
    inbox.mkdir(parents=True, exist_ok=True)
    for name, data in report_texts(n, seed=seed, offset=offset):
        (inbox / name).write_bytes(data)


def fmt(t: Timing) -> str:
    return " ".join(f"{k}={v:.2f}" for k, v in t.stages.items() if k != "open" or v > 0.05)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100,1000,10000")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--no-cli", action="store_true", help="skip the `gongkai ingest` timings")
    args = ap.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="gongkai-bench-"))
    rows = []
    for n in (int(s) for s in args.sizes.split(",")):
        d = work / f"n{n}"
        shutil.rmtree(d, ignore_errors=True)
        inbox, warehouse, home = d / "inbox", d / "w.duckdb", d / "dagster_home"
        t0 = time.perf_counter()
        write(inbox, n, 0, seed=n)
        gen = time.perf_counter() - t0
        first = run_in_process(inbox, warehouse, args.workers)
        print(f"[{n}] generated in {gen:.1f}s; initial load {first.total:.1f}s ({fmt(first)}); "
              f"{first.total / n * 1000:.0f} ms/report", flush=True)
        forced = run_in_process(inbox, warehouse, args.workers, force_quality=True)
        print(f"[{n}] no-change run with quality re-evaluated anyway: {forced.total:.2f}s ({fmt(forced)})", flush=True)
        noop = run_in_process(inbox, warehouse, args.workers)
        print(f"[{n}] no-change run: {noop.total:.2f}s ({fmt(noop)})", flush=True)
        cli_noop = cli_new = float("nan")
        if not args.no_cli:
            run_cli(inbox, warehouse, home, args.workers)  # first CLI run: Dagster instance setup, not measured
            cli_noop = run_cli(inbox, warehouse, home, args.workers)
            print(f"[{n}] no-change `gongkai ingest`: {cli_noop:.2f}s", flush=True)
        write(inbox, 10, n, seed=n + 1)
        new10 = run_in_process(inbox, warehouse, args.workers)
        print(f"[{n}] +10 new reports: {new10.total:.2f}s ({fmt(new10)})", flush=True)
        if not args.no_cli:
            write(inbox, 10, n + 10, seed=n + 2)
            cli_new = run_cli(inbox, warehouse, home, args.workers)
            print(f"[{n}] +10 new reports via `gongkai ingest`: {cli_new:.2f}s", flush=True)
        rows.append((n, first.total, first.total / n * 1000, noop.total, noop.stages["scan"], forced.stages["quality"],
                     cli_noop, new10.total, cli_new))
    print()
    head = ("reports", "initial s", "ms/report", "no-change s", "  scan s", "quality s*", "CLI no-change s",
            "+10 new s", "CLI +10 new s")
    print(" | ".join(head))
    print("-|-".join("-" * len(h) for h in head))
    for r in rows:
        print(" | ".join(f"{v:>{len(h)}.{0 if i == 0 else 2}f}" for i, (h, v) in enumerate(zip(head, r, strict=True))))
    print("* quality s: time to re-judge every report's rules (what a no-change run skips, and a run with new "
          "reports does only for their agencies).")
    print(f"(work dir: {work})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

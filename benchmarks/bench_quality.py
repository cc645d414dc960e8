"""Quality pass against corpus size: wall, CPU and peak memory of judging N reports whole (in chunks of
GONGKAI_QUALITY_CHUNK reports), and of the incremental pass after one agency's report was re-loaded.

    python benchmarks/bench_quality.py [--sizes 1000,10000,100000] [--chunks 10000] [--workdir DIR]

Builds a warehouse of N reports without parsing N documents: 60 samplegen reports (rendered as TXT,
parsed, loaded) are cloned under new report ids and agencies, six consecutive years per agency so the
cross-year rules (R5, X2) have neighbours; every 97th clone has a broken total. Each measurement runs in
a fresh process, so its peak RSS is its own: Python, DuckDB (GONGKAI_DUCKDB_MEMORY), Great Expectations
and the frames of the pass. Prints the RSS after the imports too (what any pass costs before judging).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

BASE = 60  # distinct parsed reports that are cloned: 10 agencies x 2019-2024


def build(n: int, path: Path) -> None:
    from pipelines.lib.load import connection, loader
    from pipelines.lib.read.parse import parse_document
    from pipelines.samplegen.render_txt import render
    from pipelines.samplegen.truth import AGENCIES, generate_truth

    con = connection.open_warehouse(path)
    rng = random.Random(1)
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(BASE):
            truth = generate_truth(AGENCIES[(i // 6) % len(AGENCIES)], 2019 + i % 6, rng=rng)
            f = Path(tmp) / f"r{i}.txt"
            f.write_bytes(render(truth))
            rep = parse_document(f, sha256=hashlib.sha256(str(i).encode()).hexdigest())
            loader.load_report(con, rep)
    # Clone k copies base report k % BASE (its year is 2019 + k % 6) under agency k // 6: six years each.
    con.execute(f"""
        CREATE TEMP TABLE base AS
            SELECT *, row_number() OVER (ORDER BY agency_name, year) - 1 AS i FROM report_history;
        CREATE TEMP TABLE clones AS
            SELECT range AS k, 'c' || lpad(range::VARCHAR, 15, '0') AS report_id FROM range({BASE}, {n});
        INSERT INTO report_history BY NAME
            SELECT c.report_id, {BASE} + c.k AS accepted_seq, b.agency_id || '#' || (c.k // 6) AS agency_id,
                   b.agency_name || '#' || (c.k // 6) AS agency_name, b.region_name, b.adcode, b.admin_level,
                   b.sector, b.year, b.template, b.title, b.format, b.source_file, sha256(c.k::VARCHAR) AS sha256,
                   b.parse_warnings, b.narrative, b.loaded_at, b.revision, b.published_on
            FROM clones c JOIN base b ON b.i = c.k % {BASE};
        INSERT INTO facts BY NAME
            SELECT c.report_id, f.table_no, f.item, f.row_code, f.col_code,
                   CASE WHEN c.k % 97 = 0 AND f.row_code = 'processed_total' AND f.col_code = 'total'
                        THEN f.value + 1 ELSE f.value END AS value,
                   f.printed, f.blank, f.row_label, f.col_label, f.page, f.inferred, f.derived, f.unit_factor,
                   f.source_file
            FROM clones c JOIN base b ON b.i = c.k % {BASE} JOIN facts f ON f.report_id = b.report_id;
    """)
    con.close()


def peak_rss_mb() -> int:
    """This process's peak RSS (VmHWM). Not getrusage's ru_maxrss: Linux carries that over from the parent
    across fork and exec, so a child of a big process would report the parent's size."""
    with open("/proc/self/status", encoding="ascii") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:")) // 1024


def measure(path: Path, full: bool) -> dict:
    """One quality pass in this (fresh) process."""
    from pipelines.lib.judge import quality
    from pipelines.lib.judge.gx_bridge import GXSession
    from pipelines.lib.load import connection

    GXSession()  # import Great Expectations before the clock starts: the same in every pass
    rss_imports = peak_rss_mb()
    con = connection.open_warehouse(path)
    t, c = time.perf_counter(), time.process_time()
    done = quality.refresh_quality(con, full=full)
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    rows = con.execute("SELECT count(*) FROM quality_results").fetchone()[0]
    con.close()
    return {"wall": wall, "cpu": cpu, "rss_imports_mb": rss_imports, "peak_rss_mb": peak_rss_mb(),
            "summary": done.summary(), "rows": rows}


def _child(path: Path, full: bool, chunk: int) -> dict:
    env = {**os.environ, "GONGKAI_QUALITY_CHUNK": str(chunk)}
    out = subprocess.run([sys.executable, __file__, "--measure", str(path), *(["--full"] if full else [])],
                         env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def touch_one_report(path: Path) -> None:
    """As a re-load of one report with a corrected total does (a new accepted_seq, one new value)."""
    import duckdb

    con = duckdb.connect(str(path))
    rid = con.execute("SELECT report_id FROM report_history ORDER BY report_id DESC LIMIT 1").fetchone()[0]
    con.execute("UPDATE report_history SET accepted_seq = accepted_seq + 1000000000 WHERE report_id = ?", [rid])
    con.execute("UPDATE facts SET value = value + 1 WHERE report_id = ? AND row_code = 'received_new' "
                "AND col_code = 'total'", [rid])
    con.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--chunks", default="10000", help="GONGKAI_QUALITY_CHUNK values to measure the full pass with")
    ap.add_argument("--workdir", type=Path, default=None, help="keeps the built warehouses (reused)")
    ap.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--full", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.full)))
        return
    work = args.workdir or Path(tempfile.mkdtemp(prefix="gongkai-quality-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; GONGKAI_DUCKDB_MEMORY "
          f"{os.environ.get('GONGKAI_DUCKDB_MEMORY', '1GB (default)')}", flush=True)
    for n in [int(s) for s in args.sizes.split(",")]:
        path = work / f"quality-{n}.duckdb"
        if not path.exists():
            t = time.perf_counter()
            build(n, path)
            print(f"built {n} reports in {time.perf_counter() - t:.0f} s", flush=True)
        for chunk in [int(s) for s in args.chunks.split(",")]:
            r = _child(path, True, chunk)
            print(f"{n:>7} reports, full pass, chunk {chunk:>6}: {r['wall']:6.1f} s wall, {r['cpu']:6.1f} s CPU, "
                  f"peak RSS {r['peak_rss_mb']} MB (after imports {r['rss_imports_mb']} MB); {r['rows']} rows; "
                  f"{r['summary']}", flush=True)
        touch_one_report(path)
        r = _child(path, False, int(args.chunks.split(",")[0]))
        print(f"{n:>7} reports, one report re-loaded: {r['wall']:6.1f} s wall, {r['cpu']:6.1f} s CPU, "
              f"peak RSS {r['peak_rss_mb']} MB; {r['summary']}", flush=True)
        print(f"        warehouse {path.stat().st_size / 1e6:.0f} MB; load average {os.getloadavg()[0]:.1f}",
              flush=True)


if __name__ == "__main__":
    main()

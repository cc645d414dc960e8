"""Validation cost against corpus size: one set-wise GX evaluation per rule family across all reports.

Builds warehouses of N generated reports (samplegen truths, parsed from rendered TXT once, then cloned
under new ids and agencies with a few rows broken), and times `quality.refresh_quality` on each.
Usage: python benchmarks/bench_quality.py [N ...]   (default 1000 10000 100000)
"""

from __future__ import annotations

import hashlib
import random
import sys
import tempfile
import time
from pathlib import Path

from pipelines.lib.judge import quality
from pipelines.lib.load import connection, loader
from pipelines.lib.read.parse import parse_document
from pipelines.samplegen.render_txt import render
from pipelines.samplegen.truth import AGENCIES, generate_truth

BASE = 50  # distinct parsed reports that are cloned


def build(n: int, path: Path) -> None:
    con = connection.open_warehouse(path)
    rng = random.Random(1)
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(BASE):
            truth = generate_truth(AGENCIES[i % len(AGENCIES)], 2019 + i % 7, rng=rng)
            f = Path(tmp) / f"r{i}.txt"
            f.write_bytes(render(truth))
            rep = parse_document(f, sha256=hashlib.sha256(str(i).encode()).hexdigest())
            loader.load_report(con, rep)
    # Clone: report k copies base report k % BASE under its own id and agency; every 97th has a broken total.
    con.execute(f"""
        CREATE TEMP TABLE clones AS SELECT range AS k FROM range({BASE}, {n});
        INSERT INTO report_history SELECT 'c' || lpad(k::VARCHAR, 15, '0'), {BASE} + k, h.agency_id || '#' || k,
            h.agency_name || '#' || k, h.region_name, h.adcode, h.admin_level, h.sector, h.year, h.template, h.title,
            h.format, h.source_file, sha256(k::VARCHAR), h.parse_warnings, h.narrative, h.loaded_at
            FROM clones JOIN (SELECT *, row_number() OVER (ORDER BY report_id) - 1 AS i FROM report_history) h
            ON h.i = k % {BASE};
        INSERT INTO facts SELECT 'c' || lpad(k::VARCHAR, 15, '0'), f.table_no, f.item, f.row_code, f.col_code,
            CASE WHEN k % 97 = 0 AND f.row_code = 'processed_total' AND f.col_code = 'total' THEN f.value + 1
                 ELSE f.value END, f.printed, f.blank, f.row_label, f.col_label, f.page, f.inferred, f.derived,
            f.unit_factor, f.source_file
            FROM clones JOIN (SELECT *, dense_rank() OVER (ORDER BY report_id) - 1 AS i FROM facts) f
            ON f.i = k % {BASE};
    """)
    con.close()


def main(sizes: list[int]) -> None:
    print(f"{'reports':>8} {'facts':>11} {'scopes':>10} {'seconds':>8} {'us/scope':>9}")
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "w.duckdb"
            build(n, path)
            con = connection.open_warehouse(path)
            facts = con.execute("SELECT count(*) FROM facts").fetchall()[0][0]
            quality.refresh_quality(con)  # warm: GX import and first context
            t = time.perf_counter()
            frame = quality.refresh_quality(con)
            secs = time.perf_counter() - t
            con.close()
            print(f"{n:>8} {facts:>11} {frame.height:>10} {secs:>8.1f} {1e6 * secs / frame.height:>9.1f}", flush=True)


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1000, 10000, 100000])

"""Parse throughput per format on one core, on generated documents.

Renders N reports per format with pipelines.samplegen, then times parse_document on each (single
process), in ROUNDS passes over the same files, and reports the fastest pass: the steady state of a
long backfill, where the label and cell caches are warm (the first pass is printed too).
Targets (issue 3): TXT/HTML >= 500 documents/s, DOCX >= 100/s, text PDF >= 20/s.
Usage: python benchmarks/bench_parse.py [N]   (default 200)
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from pathlib import Path

from pipelines.lib.model import ParsedReport
from pipelines.lib.read.parse import parse_document
from pipelines.samplegen import render_docx, render_html, render_pdf, render_txt
from pipelines.samplegen.truth import AGENCIES, generate_truth

ROUNDS = 3
RENDERERS = {"txt": render_txt.render, "html": render_html.render, "docx": render_docx.render,
             "pdf": render_pdf.render, "pdf-unruled": lambda t: render_pdf.render(t, ruled=False)}


def main(n: int) -> None:
    rng = random.Random(3)
    truths = [generate_truth(AGENCIES[i % len(AGENCIES)], 2019 + i % 7, rng=rng) for i in range(n)]
    print(f"{'format':>11} {'docs':>5} {'docs/s':>8} {'ms/doc':>7} {'1st pass/s':>10} {'loaded':>6}")
    with tempfile.TemporaryDirectory() as tmp:
        for fmt, render in RENDERERS.items():
            count = n if not fmt.startswith("pdf") else max(20, n // 4)  # rendering PDFs is the slow part
            files = []
            for i, truth in enumerate(truths[:count]):
                f = Path(tmp) / f"{fmt}-{i}.{fmt.split('-')[0]}"
                f.write_bytes(render(truth))
                files.append(f)
            parse_document(files[0])  # warm imports
            passes = []
            for _ in range(ROUNDS):
                t = time.perf_counter()
                ok = sum(isinstance(parse_document(f), ParsedReport) for f in files)
                passes.append(time.perf_counter() - t)
            secs = min(passes)
            print(f"{fmt:>11} {count:>5} {count / secs:>8.1f} {1000 * secs / count:>7.2f} "
                  f"{count / passes[0]:>10.1f} {ok:>6}", flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)

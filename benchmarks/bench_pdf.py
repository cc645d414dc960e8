"""Throughput of the PDF path: parse the real text PDFs N times on one core, print documents/second.

    python benchmarks/bench_pdf.py [-n 20] [--reader-only] [PDF ...]

Without PDF arguments it uses the PDFs of ../shared/corpus/real (relative to the repository root).
The target is at least 20 text PDFs/s for the whole ``parse_document`` (read + interpret).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipelines.lib.model import ParsedReport  # noqa: E402
from pipelines.lib.read.extract.pdf import read_pdf_bytes  # noqa: E402
from pipelines.lib.read.parse import parse_document  # noqa: E402

DEFAULT_DIR = REPO.parent / "shared" / "corpus" / "real"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("pdfs", nargs="*", type=Path)
    ap.add_argument("-n", "--repeat", type=int, default=20, help="passes over the PDFs (default 20)")
    ap.add_argument("--reader-only", action="store_true", help="time read_pdf_bytes only, not interpretation")
    args = ap.parse_args()
    pdfs = args.pdfs or sorted(DEFAULT_DIR.glob("*.pdf"))
    if not pdfs:
        print(f"no PDFs given and none found in {DEFAULT_DIR}", file=sys.stderr)
        return 2
    blobs = [(p, p.read_bytes()) for p in pdfs]

    # One warm-up pass (imports, codes.yaml cache), which also reports each document's outcome.
    for p, _ in blobs:
        r = parse_document(p)
        status = "loaded" if isinstance(r, ParsedReport) else f"quarantined {r.reason}"
        print(f"{p.name}: {status}")

    per_doc: dict[str, float] = {p.name: 0.0 for p, _ in blobs}
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(args.repeat):
        for p, data in blobs:
            t = time.perf_counter()
            if args.reader_only:
                read_pdf_bytes(data)
            else:
                parse_document(p)
            per_doc[p.name] += time.perf_counter() - t
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    n_docs = args.repeat * len(blobs)
    what = "read_pdf_bytes" if args.reader_only else "parse_document"
    print(f"{what}: {n_docs} documents in {elapsed:.2f} s = {n_docs / elapsed:.1f} docs/s "
          f"({1000 * elapsed / n_docs:.1f} ms per document)")
    # CPU time of this process: what one core sustains when the machine is shared.
    print(f"  CPU time {cpu:.2f} s = {n_docs / cpu:.1f} docs/s per core ({1000 * cpu / n_docs:.1f} ms per document)")
    for name, secs in per_doc.items():
        print(f"  {name}: {1000 * secs / args.repeat:.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

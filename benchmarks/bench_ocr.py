"""Scanned reports end to end: generated scans of every PDF layout, read by OCR, compared with their truth.

    python benchmarks/bench_ocr.py [-n 12] [--seed 1] [--engine rapidocr|tesseract] [--out results.json]
                                   [--layouts ruled/all,ruled/tables,unruled/all]

For each report: a truth (both templates, zeros printed or left blank, amounts styles, every few a
report whose own arithmetic is broken), rendered as a text PDF (ruled, or without ruling lines), then
scanned (samplegen/scan.py: 150–300 dpi, tilt up to 2°, blur, noise, JPEG, some photos; all pages,
or only the table pages = a mixed document), then ``parse_document`` on one core. Printed are:

* cells exact (value equals the printed truth), of them corrected by arithmetic (ocr_arithmetic);
* cells in rows sent to unresolved_rows, and those rows;
* wrong cells (value differs, or missing), and of them those no rule flags: in a report whose R1–R4 all
  hold as loaded, or in table 二 (no sum checks it). The bar is 0;
* seconds per page and per report.

``--engine tesseract`` swaps the cell recogniser for Debian's tesseract (``apt-get install
tesseract-ocr tesseract-ocr-chi-sim``; benchmark only, not a project dependency), everything else the same.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import cv2  # noqa: E402
import pymupdf  # noqa: E402

from pipelines.lib.model import ParsedReport  # noqa: E402
from pipelines.lib.read.ocr import scan_table  # noqa: E402
from pipelines.lib.read.parse import parse_document  # noqa: E402
from pipelines.samplegen import render_pdf  # noqa: E402
from pipelines.samplegen.scan import random_style, scan_pdf  # noqa: E402
from pipelines.samplegen.truth import AGENCIES, break_arithmetic, check_rules, generate_truth  # noqa: E402


def _tesseract_lines(crops) -> list[tuple[str, float, str, float]]:
    """The per-cell recogniser, by tesseract: one process per batch and language (TSV, page = crop)."""
    def run(lang: str, extra: list[str]) -> dict[int, tuple[str, float]]:
        with tempfile.TemporaryDirectory() as d:
            files = []
            for i, c in enumerate(crops):
                f = Path(d) / f"{i:05d}.png"
                cv2.imwrite(str(f), c)
                files.append(str(f))
            lst = Path(d) / "list.txt"
            lst.write_text("\n".join(files) + "\n")
            out = subprocess.run(["tesseract", str(lst), "stdout", "--psm", "7", "-l", lang, *extra, "tsv"],
                                 capture_output=True, text=True, check=False).stdout
        words: dict[int, list[tuple[str, float]]] = {}
        for line in out.splitlines()[1:]:
            parts = line.split("\t")
            if len(parts) == 12 and parts[0] == "5" and parts[11].strip():
                words.setdefault(int(parts[1]) - 1, []).append((parts[11], float(parts[10]) / 100))
        return {i: ("".join(t for t, _ in ws), min(c for _, c in ws)) for i, ws in words.items()}

    free = run("chi_sim", [])
    digits = run("eng", ["-c", "tessedit_char_whitelist=0123456789.,"])
    return [(*free.get(i, ("", 0.0)), *digits.get(i, ("", 0.0))) for i in range(len(crops))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=12, help="reports (default 12)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--engine", choices=("rapidocr", "tesseract"), default="rapidocr")
    ap.add_argument("--out", type=Path, help="write per-report results as JSON")
    ap.add_argument("--layouts", default="ruled/all,ruled/tables,unruled/all",
                    help="comma-separated layouts to cycle through (default all three)")
    ap.add_argument("--photo-share", type=float, default=0.25, help="share of scans taken as photos")
    ap.add_argument("--keep", type=Path, help="folder to keep the generated scans and truths in")
    args = ap.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    if args.engine == "tesseract":
        scan_table.recognize_lines = _tesseract_lines  # benchmark-only swap of the cell recogniser

    layouts = [(x.split("/")[0] == "ruled", x.split("/")[1]) for x in args.layouts.split(",")]
    rng = random.Random(args.seed)
    tot: Counter = Counter()
    per_report = []
    tmp = Path(tempfile.mkdtemp(prefix="bench-ocr-")) if args.keep is None else args.keep
    tmp.mkdir(parents=True, exist_ok=True)
    for i in range(args.n):
        agency = AGENCIES[rng.randrange(len(AGENCIES))]
        year = rng.choice((2019, 2020, 2021, 2022, 2023, 2024))
        truth = generate_truth(agency, year, rng=rng, blank_zeros=rng.random() < 0.3)
        if i % 5 == 4:
            break_arithmetic(truth, rng)  # its own sums are wrong as printed: must load as printed
        ruled, pages = layouts[i % len(layouts)]
        style = random_style(rng, pages=pages, photo_share=args.photo_share)
        data = scan_pdf(render_pdf.render(truth, ruled=ruled), style)
        path = tmp / f"scan-{i:03d}.pdf"
        path.write_bytes(data)
        n_pages = sum(1 for p in pymupdf.open(stream=data, filetype="pdf") if not p.get_text().strip())
        t0 = time.perf_counter()
        rep = parse_document(path)
        secs = time.perf_counter() - t0
        expected = truth.expected_facts(include_derived=False)
        row = {"file": path.name, "layout": f"{'ruled' if ruled else 'unruled'}/{pages}", "style": style.to_dict(),
               "broken": bool(truth.broken), "seconds": round(secs, 2), "scanned_pages": n_pages,
               "cells": len(expected)}
        tot["reports"] += 1
        tot["cells"] += len(expected)
        tot["seconds"] += secs
        tot["pages"] += n_pages
        if not isinstance(rep, ParsedReport):
            row["quarantined"] = f"{rep.reason}: {rep.detail}"
            tot["quarantined"] += 1
            tot["wrong"] += len(expected)
            per_report.append(row)
            print(f"{path.name} {row['layout']:>14} QUARANTINED {rep.reason}: {rep.detail[:120]}", flush=True)
            continue
        got = {(f.table, f.row_code, f.col_code): f for f in rep.facts if not f.derived}
        dropped = {(u.table, u.row_code) for u in rep.unresolved}
        sums_hold = not check_rules({k: f.value for k, f in got.items()} | {
            (f.table, f.row_code, f.col_code): f.value for f in rep.facts if f.derived}, rep.template)
        c: Counter = Counter()
        wrong_list = []
        for k, v in expected.items():
            f = got.get(k)
            if (k[0], k[1]) in dropped:
                c["unresolved_cells"] += 1
            elif f is None:
                # Not read at all: its row's label was not recognised; the report says so in a warning.
                c["missing"] += 1
                warned = any("rows not found" in w or "not found" in w for w in rep.warnings)
                c["missing_unwarned"] += not warned
                wrong_list.append([*k, v, None, None, None, "missing, warned" if warned else "MISSING, UNWARNED"])
            elif f is not None and abs(f.value - v) < 1e-6:
                c["exact"] += 1
                c["corrected"] += f.inferred_how == "ocr_arithmetic"
            else:
                c["wrong"] += 1
                flagged = not sums_hold and k[0] != "T2"
                c["wrong_unflagged"] += not flagged
                wrong_list.append([*k, v, None if f is None else f.value, None if f is None else f.printed,
                                   None if f is None else f.confidence, "flagged" if flagged else "UNFLAGGED"])
        c["unresolved_rows"] = len(rep.unresolved)
        row.update(dict(c), sums_hold=sums_hold, wrong_cells=wrong_list)
        per_report.append(row)
        tot.update(c)
        print(f"{path.name} {row['layout']:>14} {style.dpi}dpi tilt {style.tilt_deg:+.1f} photo={style.photo!s:5} "
              f"broken={row['broken']!s:5} exact {c['exact']}/{len(expected)} corrected {c['corrected']} "
              f"unresolved rows {c['unresolved_rows']} wrong {c['wrong']} (unflagged {c['wrong_unflagged']}) "
              f"missing {c['missing']} "
              f"{secs:.1f}s / {n_pages} pages", flush=True)
    n = max(1, tot["cells"])
    summary = {
        "engine": args.engine, "reports": tot["reports"], "quarantined": tot["quarantined"], "cells": tot["cells"],
        "exact_pct": round(100 * tot["exact"] / n, 2), "corrected_by_arithmetic": tot["corrected"],
        "unresolved_rows": tot["unresolved_rows"], "unresolved_cells": tot["unresolved_cells"],
        "wrong": tot["wrong"], "wrong_unflagged": tot["wrong_unflagged"],
        "missing": tot["missing"], "missing_unwarned": tot["missing_unwarned"],
        "s_per_page": round(tot["seconds"] / max(1, tot["pages"]), 2),
        "s_per_report": round(tot["seconds"] / max(1, tot["reports"]), 2),
    }
    print(json.dumps(summary, ensure_ascii=False))
    if args.out:
        args.out.write_text(json.dumps({"summary": summary, "reports": per_report}, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

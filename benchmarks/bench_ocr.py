"""Scanned reports end to end: generated scans of every layout, read by OCR, compared with their truth.

    python benchmarks/bench_ocr.py [-n 12] [--seed 1] [--engine rapidocr|tesseract] [--out results.json]
                                   [--layouts ruled/all,ruled/tables,unruled/all,docx/screenshot,docx/scan,
                                              html/screenshot,html-file/scan,docx-unruled/screenshot,
                                              html-unruled/scan]

For each report: a truth (both templates, zeros printed or left blank, amounts styles, every few a
report whose own arithmetic is broken), rendered by layout, then ``parse_document`` on one core:

* ``ruled/…``, ``unruled/…``: a text PDF (ruled, or without ruling lines) scanned (samplegen/scan.py:
  150–300 dpi, tilt up to 2°, blur, noise, JPEG, some photos); ``/all`` pages, or only the ``/tables``
  pages (a mixed document);
* ``docx/…``, ``html/…``, ``html-file/…``: a DOCX or HTML report whose tables are pasted as pictures
  (samplegen/table_images.py): a clean PNG ``screenshot`` or a ``scan`` (same styles as above, some photos);
  HTML pictures inline as ``data:`` URIs, or (``html-file``) files beside the page; ``-unruled``: the
  pictured tables are printed without ruling lines.

A "page" is a scanned PDF page or a picture. Printed are:

* cells exact (value equals the printed truth), of them corrected by arithmetic (ocr_arithmetic);
* cells in rows sent to unresolved_rows, and those rows;
* wrong cells (value differs, or missing), and of them those no rule flags: in a report whose R1–R4 all
  hold as loaded, or in table 二 (no sum checks it). The bar is 0;
* seconds per page and per report.

``--engine tesseract`` swaps the cell and word recogniser for Debian's tesseract (``apt-get install
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
from pipelines.lib.read.ocr import scan_table, scan_words  # noqa: E402
from pipelines.lib.read.parse import parse_document  # noqa: E402
from pipelines.samplegen import render_docx, render_html, render_pdf  # noqa: E402
from pipelines.samplegen.scan import random_style, scan_pdf  # noqa: E402
from pipelines.samplegen.table_images import (  # noqa: E402
    SCREEN_DPIS,
    docx_with_table_images,
    html_with_table_images,
    table_images,
)
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
    digits = run("eng", ["-c", "tessedit_char_whitelist=0123456789.,-"])
    return [(*free.get(i, ("", 0.0)), *digits.get(i, ("", 0.0))) for i in range(len(crops))]


LAYOUTS = ("ruled/all", "ruled/tables", "unruled/all", "docx/screenshot", "docx/scan", "html/screenshot",
           "html-file/scan", "docx-unruled/screenshot", "html-unruled/scan")


def _summary(tot: Counter) -> dict:
    n = max(1, tot["cells"])
    return {
        "reports": tot["reports"], "quarantined": tot["quarantined"], "cells": tot["cells"],
        "exact_pct": round(100 * tot["exact"] / n, 2), "corrected_by_arithmetic": tot["corrected"],
        "unresolved_rows": tot["unresolved_rows"], "unresolved_cells": tot["unresolved_cells"],
        "wrong": tot["wrong"], "wrong_unflagged": tot["wrong_unflagged"],
        "missing": tot["missing"], "missing_unwarned": tot["missing_unwarned"],
        "s_per_page": round(tot["seconds"] / max(1, tot["pages"]), 2),
        "s_per_report": round(tot["seconds"] / max(1, tot["reports"]), 2),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=12, help="reports (default 12)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--engine", choices=("rapidocr", "tesseract"), default="rapidocr")
    ap.add_argument("--out", type=Path, help="write per-report results as JSON")
    ap.add_argument("--layouts", default=",".join(LAYOUTS),
                    help=f"comma-separated layouts to cycle through (default all: {','.join(LAYOUTS)})")
    ap.add_argument("--photo-share", type=float, default=0.25, help="share of scans taken as photos")
    ap.add_argument("--keep", type=Path, help="folder to keep the generated scans and truths in")
    args = ap.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    if args.engine == "tesseract":
        scan_table.recognize_lines = _tesseract_lines  # benchmark-only swap of the cell recogniser
        scan_words.recognize_lines = _tesseract_lines  # and of the word recogniser (scans without rules)

    layouts = args.layouts.split(",")
    for x in layouts:
        if x not in LAYOUTS:
            ap.error(f"unknown layout {x!r}; known: {', '.join(LAYOUTS)}")
    rng = random.Random(args.seed)
    tot: Counter = Counter()
    by_layout: dict[str, Counter] = {}
    per_report = []
    tmp = Path(tempfile.mkdtemp(prefix="bench-ocr-")) if args.keep is None else args.keep
    tmp.mkdir(parents=True, exist_ok=True)
    for i in range(args.n):
        agency = AGENCIES[rng.randrange(len(AGENCIES))]
        year = rng.choice((2019, 2020, 2021, 2022, 2023, 2024))
        truth = generate_truth(agency, year, rng=rng, blank_zeros=rng.random() < 0.3)
        if i % 5 == 4:
            break_arithmetic(truth, rng)  # its own sums are wrong as printed: must load as printed
        layout = layouts[i % len(layouts)]
        kind, mode = layout.split("/")
        style = random_style(rng, pages=mode if kind in ("ruled", "unruled") else "all", photo_share=args.photo_share)
        if kind in ("ruled", "unruled"):
            data = scan_pdf(render_pdf.render(truth, ruled=kind == "ruled"), style)
            path = tmp / f"scan-{i:03d}.pdf"
            path.write_bytes(data)
            n_pages = sum(1 for p in pymupdf.open(stream=data, filetype="pdf") if not p.get_text().strip())
        else:
            shot_dpi = rng.choice(SCREEN_DPIS) if mode == "screenshot" else 0
            pics = table_images(truth, style=style if mode == "scan" else None, dpi=shot_dpi or 150,
                                ruled=not kind.endswith("-unruled"))
            n_pages = sum(len(p) for p in pics)
            if kind.startswith("docx"):
                path = tmp / f"pictures-{i:03d}.docx"
                path.write_bytes(docx_with_table_images(render_docx.render(truth), pics))
            else:
                folder = tmp / f"pictures-{i:03d}"  # a page and its pictures alone in their folder
                folder.mkdir(exist_ok=True)
                page, files = html_with_table_images(render_html.render_page(truth), pics,
                                                     src="file" if kind == "html-file" else "data", stem="report")
                path = folder / "report.html"
                path.write_text(page, encoding="utf-8")
                for name, blob in files.items():
                    (folder / name).write_bytes(blob)
        t0 = time.perf_counter()
        rep = parse_document(path)
        secs = time.perf_counter() - t0
        expected = truth.expected_facts(include_derived=False)
        if kind not in ("ruled", "unruled") and mode == "screenshot":
            style = None
        row = {"file": str(path.relative_to(tmp)), "layout": layout, "style": style and style.to_dict(),
               "broken": bool(truth.broken), "seconds": round(secs, 2), "scanned_pages": n_pages,
               "cells": len(expected), "screenshot_dpi": None if style else shot_dpi}
        groups = [tot, by_layout.setdefault(layout + ("+photo" if style and style.photo else ""), Counter())]
        for c in groups:
            c["reports"] += 1
            c["cells"] += len(expected)
            c["seconds"] += secs
            c["pages"] += n_pages
        if not isinstance(rep, ParsedReport):
            row["quarantined"] = f"{rep.reason}: {rep.detail}"
            for c in groups:
                c["quarantined"] += 1
                c["wrong"] += len(expected)
            per_report.append(row)
            print(f"{row['file']:>24} {row['layout']:>15} QUARANTINED {rep.reason}: {rep.detail[:120]}", flush=True)
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
        for g in groups:
            g.update(c)
        look = (f"{style.dpi}dpi tilt {style.tilt_deg:+.1f} photo={style.photo!s:5}" if style
                else f"{shot_dpi}dpi {'clean':>15}      ")
        print(f"{row['file']:>24} {row['layout']:>15} {look} "
              f"broken={row['broken']!s:5} exact {c['exact']}/{len(expected)} corrected {c['corrected']} "
              f"unresolved rows {c['unresolved_rows']} wrong {c['wrong']} (unflagged {c['wrong_unflagged']}) "
              f"missing {c['missing']} "
              f"{secs:.1f}s / {n_pages} pages", flush=True)
    summary = _summary(tot) | {"engine": args.engine}
    print("\n| layout | reports | quarantined | cells | exact | corrected by arithmetic | unresolved rows (cells) "
          "| wrong, flagged | wrong, unflagged | missing | s/page | s/report |\n|" + "---|" * 12)
    for name, c in sorted(by_layout.items()) + [("**total**", tot)]:
        m = _summary(c)
        print(f"| {name} | {m['reports']} | {m['quarantined']} | {m['cells']} | {m['exact_pct']:.2f} % | "
              f"{m['corrected_by_arithmetic']} | {m['unresolved_rows']} ({m['unresolved_cells']}) | "
              f"{m['wrong'] - m['wrong_unflagged']} | {m['wrong_unflagged']} | {m['missing']} | "
              f"{m['s_per_page']} | {m['s_per_report']} |")
    print(json.dumps(summary, ensure_ascii=False))
    if args.out:
        args.out.write_text(json.dumps({"summary": summary, "by_layout": {k: _summary(c) for k, c in by_layout.items()},
                                        "reports": per_report}, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

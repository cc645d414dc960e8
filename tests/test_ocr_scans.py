"""Scanned reports round trip: generated scans (tilted, blurred, noised, JPEG, a photo) read by OCR.

A few documents only (OCR costs seconds a page); the many-document measurement is
benchmarks/bench_ocr.py. Accuracy is asserted as the issue's bar: >= 97 % of cells exact, and no
wrong cell in a report whose sums all hold.
"""

from __future__ import annotations

import random
from pathlib import Path

import pymupdf
import pytest

from pipelines.lib.model import ParsedReport
from pipelines.lib.read.parse import parse_document
from pipelines.samplegen import render_pdf
from pipelines.samplegen.scan import ScanStyle, scan_pdf
from pipelines.samplegen.truth import AGENCIES, check_rules, generate_truth
from tests.helpers import ingest_inbox

pytest.importorskip("rapidocr_onnxruntime")


def _accuracy(rep: ParsedReport, truth) -> tuple[float, list]:
    expected = truth.expected_facts()
    got = {(f.table, f.row_code, f.col_code): f.value for f in rep.facts}
    dropped = {(u.table, u.row_code) for u in rep.unresolved}
    wrong = [(k, v, got.get(k)) for k, v in expected.items() if (k[0], k[1]) not in dropped and got.get(k) != v]
    return 1 - len(wrong) / len(expected), wrong


def test_scan_generator_is_deterministic_and_has_no_text_layer():
    truth = generate_truth(AGENCIES[3], 2021, rng=random.Random(5))
    style = ScanStyle(dpi=150, tilt_deg=1.5, blur=0.8, noise=10, jpeg_quality=50, photo=True, seed=4)
    a = render_pdf.render(truth, scan=style.to_dict())
    assert a == render_pdf.render(truth, scan=style.to_dict())
    doc = pymupdf.open(stream=a, filetype="pdf")
    assert all(not p.get_text().strip() and p.get_images() for p in doc)
    mixed = pymupdf.open(stream=scan_pdf(render_pdf.render(truth), ScanStyle(pages="tables")), filetype="pdf")
    kinds = {bool(p.get_text().strip()) for p in mixed}
    assert mixed.page_count == doc.page_count and (kinds == {True, False} or kinds == {False})


def test_tilted_noisy_photo_scan_reads_its_tables(tmp_path: Path):
    truth = generate_truth(AGENCIES[0], 2022, rng=random.Random(11))
    style = ScanStyle(dpi=200, tilt_deg=-1.7, blur=0.7, noise=9, jpeg_quality=55, photo=True, seed=2)
    path = tmp_path / "scan.pdf"
    path.write_bytes(render_pdf.render(truth, scan=style.to_dict()))
    rep = parse_document(path)
    assert isinstance(rep, ParsedReport), rep
    assert (rep.agency_name, rep.year) == (truth.agency.name, truth.year)  # the title, read by OCR
    exact, wrong = _accuracy(rep, truth)
    assert exact >= 0.97, wrong
    got = {(f.table, f.row_code, f.col_code): f.value for f in rep.facts}
    if not check_rules(got, rep.template):
        assert not wrong  # a report whose sums hold has no wrong cell
    printed = [f for f in rep.facts if not f.derived]
    assert printed and all(f.inferred_how in ("ocr", "ocr_arithmetic") and 0 <= f.confidence <= 1 for f in printed)
    assert any("scanned images: read by OCR" in w for w in rep.warnings)


def test_mixed_pdf_loads_with_ocr_provenance(tmp_path: Path):
    """Text pages read as text, scanned table pages by OCR; confidence reaches fact_provenance."""
    truth = generate_truth(AGENCIES[11], 2020, rng=random.Random(3))
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    style = ScanStyle(dpi=240, tilt_deg=0.8, blur=0.4, noise=5, jpeg_quality=70, pages="tables", seed=9)
    (inbox / "mixed.pdf").write_bytes(render_pdf.render(truth, scan=style.to_dict()))
    con = ingest_inbox(inbox, tmp_path / "wh.duckdb")
    assert con.execute("SELECT count(*) FROM quarantine").fetchone()[0] == 0
    rows = con.execute("SELECT table_no, row_code, col_code, value, inferred_how, confidence FROM fact_provenance "
                       "WHERE NOT derived").fetchall()
    expected = truth.expected_facts()
    got = {(t, r, c): v for t, r, c, v, _, _ in rows}
    exact = sum(got.get(k) == v for k, v in expected.items()) / len(expected)
    assert exact >= 0.97
    assert all(how in ("ocr", "ocr_arithmetic") and conf is not None for *_, how, conf in rows)


def slow_ocr_parse(path: Path, **kw):
    """Stands in for a scan: announces OCR (as pdf_scan does), then takes longer than the parse limit."""
    import time

    from pipelines.lib.read.ocr import budget

    if path.name == "scan.pdf":
        budget.announce(5.0)
        time.sleep(2.5)
    if path.name == "stuck.pdf":
        budget.announce(0.5)  # an OCR budget is a limit too: past it (and the grace) the worker is stopped
        time.sleep(600)
    return parse_document(path, **kw)


def test_ocr_budget_extends_the_parse_deadline_and_still_bounds_it(tmp_path: Path):
    import hashlib

    from pipelines.lib.read import fanout
    from pipelines.lib.read.staging import Staging

    inbox = tmp_path / "in"
    inbox.mkdir()
    items = []
    for name in ("scan.pdf", "stuck.pdf"):
        data = b"%PDF-1.4\n" + name.encode() * 100
        (inbox / name).write_bytes(data)
        items.append((hashlib.sha256(data).hexdigest(), name))  # the parse checks the bytes against the scan's hash
    stats = fanout.parse_pending(items, inbox, tmp_path / "st", workers=2, timeout=1.0, parse=slow_ocr_parse)
    staged = Staging(tmp_path / "st")
    got = {name: staged.read(sha).to_pylist()[0] for sha, name in items}
    # 2.5 s is over the 1 s parse limit but inside its OCR budget: parsed (a not-a-report quarantine), not stopped
    assert got["scan.pdf"]["reason"] != "timeout"
    assert got["stuck.pdf"]["reason"] == "timeout" and stats.seconds < 20

"""Scans without ruling lines, and DOCX/HTML reports whose tables are pasted as pictures, read by OCR.

Three documents go through OCR (a few seconds each); the many-document measurement is
benchmarks/bench_ocr.py. The rest checks, without OCR, where pictures may come from: an HTML page's
pictures are read from ``data:`` URIs and from files beside the page in its folder, never from a URL or
another folder (a property over src strings), and a DOCX picture only from its own ``word/media``.
"""

from __future__ import annotations

import base64
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.lib.model import ParsedReport
from pipelines.lib.read.extract import Extracted
from pipelines.lib.read.ocr.image_tables import document_folder, page_pictures, with_image_tables
from pipelines.lib.read.parse import parse_document
from pipelines.samplegen import render_docx, render_pdf
from pipelines.samplegen.scan import ScanStyle
from pipelines.samplegen.truth import AGENCIES, check_rules, generate_truth
from pipelines.samplegen.variations import Variation, render_variant

pytest.importorskip("rapidocr_onnxruntime")


def _check(rep, truth) -> None:
    """The issue's bar: >= 97 % of cells exact, no wrong cell if the sums hold, every printed fact from OCR."""
    assert isinstance(rep, ParsedReport), rep
    assert (rep.agency_name, rep.year) == (truth.agency.name, truth.year)
    expected = truth.expected_facts()
    got = {(f.table, f.row_code, f.col_code): f.value for f in rep.facts}
    dropped = {(u.table, u.row_code) for u in rep.unresolved}
    wrong = [(k, v, got.get(k)) for k, v in expected.items() if (k[0], k[1]) not in dropped and got.get(k) != v]
    assert 1 - len(wrong) / len(expected) >= 0.97, wrong
    if not check_rules(got, rep.template):
        assert not wrong
    printed = [f for f in rep.facts if not f.derived]
    assert printed and all(f.inferred_how in ("ocr", "ocr_arithmetic") and 0 <= f.confidence <= 1 for f in printed)


def test_scan_without_ruling_lines_reads_its_tables_from_word_positions(tmp_path: Path):
    truth = generate_truth(AGENCIES[5], 2021, rng=random.Random(8))
    style = ScanStyle(dpi=200, tilt_deg=1.2, blur=0.6, noise=8, jpeg_quality=60, photo=True, seed=3)
    path = tmp_path / "unruled.pdf"
    path.write_bytes(render_pdf.render(truth, ruled=False, scan=style.to_dict()))
    rep = parse_document(path)
    _check(rep, truth)
    assert any("without ruling lines" in w for w in rep.warnings)


def test_docx_with_tables_pasted_as_scanned_pictures(tmp_path: Path):
    truth = generate_truth(AGENCIES[7], 2022, rng=random.Random(2))
    path = tmp_path / "pictures.docx"
    path.write_bytes(render_variant(truth, "docx", Variation(table_images="scan")))
    rep = parse_document(path)
    _check(rep, truth)
    assert any("pasted in the DOCX" in w for w in rep.warnings)


def test_html_with_pictures_of_unruled_tables_in_files_beside_the_page(tmp_path: Path):
    """Screenshots of tables printed without rules: each picture read by the word-position reader, edges kept."""
    from pipelines.samplegen.table_images import variant_files

    truth = generate_truth(AGENCIES[9], 2020, rng=random.Random(6))
    files = variant_files(truth, "html", Variation(table_images="unruled", image_src="sibling_file",
                                                   encoding="gbk"), stem="年报")
    assert len(files) > 1 and all(name.startswith("年报") for name in files)
    for name, blob in files.items():
        (tmp_path / name).write_bytes(blob)
    rep = parse_document(tmp_path / "年报.html")
    _check(rep, truth)
    assert any("pasted in the HTML" in w for w in rep.warnings)


def test_table_pictures_are_deterministic_and_replace_the_tables():
    from pipelines.samplegen.table_images import variant_files

    truth = generate_truth(AGENCIES[1], 2021, rng=random.Random(1))
    v = Variation(table_images="scan", t2_split=True)
    a = render_variant(truth, "docx", v)
    assert a == render_variant(truth, "docx", v)
    page = variant_files(truth, "html", Variation(table_images="screenshot"))["report.html"].decode()
    assert "<table" not in page and page.count('src="data:image/png;base64,') == 3


# ------------------------------------------------------------------ where pictures may come from (no OCR)

_PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")
_FRAGMENTS = ["pic.png", "./pic.png", "../secret.png", "/etc/passwd", "sub/pic.png", "http://example.org/pic.png",
              "file:///tmp/secret.png", "%2e%2e/secret.png", "..\\secret.png", "link.png", ".hidden.png", "pic.png?x=1",
              "missing.png", "data:image/png;base64," + base64.b64encode(_PNG).decode(), "data:image/png;base64,!!"]


@settings(max_examples=60, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(srcs=st.lists(st.sampled_from(_FRAGMENTS), max_size=6))
def test_page_pictures_come_only_from_data_uris_and_the_pages_folder(tmp_path_factory, srcs):
    root = tmp_path_factory.mktemp("inbox")
    folder = root / "page"
    (folder / "sub").mkdir(parents=True)
    (folder / "pic.png").write_bytes(b"IN-FOLDER")
    (folder / "sub" / "pic.png").write_bytes(b"SUBFOLDER")
    (folder / ".hidden.png").write_bytes(b"HIDDEN")
    (root / "secret.png").write_bytes(b"SECRET")
    (folder / "link.png").symlink_to(root / "secret.png")
    with document_folder(folder):
        got = page_pictures(srcs)
    allowed = {b"IN-FOLDER", _PNG}
    assert set(got) <= allowed
    expected = sum(s in ("pic.png", "./pic.png", "pic.png?x=1") or s.endswith(base64.b64encode(_PNG).decode())
                   for s in srcs)
    assert len(got) == expected
    with document_folder(None):  # a page read from bytes alone has no folder: only data: URIs
        assert set(page_pictures(srcs)) <= {_PNG}


def test_pictures_are_looked_at_only_when_the_title_is_there_and_a_table_is_missing():
    asked = []

    def load() -> list[bytes]:
        asked.append(1)
        return []

    with_image_tables(Extracted(text="一份通知\n附件图片"), load, "html")
    assert not asked  # no report title: its pictures are no tables of a report
    with_image_tables(Extracted(text="某县人民政府2021年度政府信息公开工作年度报告"), load, "html")
    assert asked == [1]


def test_docx_reader_never_follows_a_linked_picture(tmp_path: Path):
    """A picture linked to an outside file (TargetMode=External) is not read, only embedded word/media parts."""
    import io
    import zipfile

    from pipelines.lib.read.extract.docx import _embedded_pictures, _open_document

    truth = generate_truth(AGENCIES[0], 2021, rng=random.Random(3))
    data = render_docx.render(truth)
    out = io.BytesIO()
    blip = ('<w:p><w:r><w:drawing><a:graphic xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">'
            '<a:blip xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" r:embed="rIdX"/>'
            '<a:blip xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" r:embed="rIdY"/>'
            '</a:graphic></w:drawing></w:r></w:p>')
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "word/document.xml":
                body = body.replace(b"<w:body>", b"<w:body>" + blip.encode(), 1)
            if info.filename == "word/_rels/document.xml.rels":
                body = body.replace(b"</Relationships>", b'<Relationship Id="rIdX" Type="image" '
                                    b'Target="file:///etc/passwd" TargetMode="External"/><Relationship Id="rIdY" '
                                    b'Type="image" Target="media/pic.png"/></Relationships>')
            dst.writestr(info, body)
        dst.writestr("word/media/pic.png", _PNG)
    doc = out.getvalue()
    assert _embedded_pictures(doc, _open_document(doc)) == [_PNG]


# ------------------------------------------------------------------ words from ink (geometry only, no OCR)

@st.composite
def _lines_of_words(draw):
    """Lines of words drawn as glyph blocks: characters of a word closer than 0.4 of their height, words
    (table cells) at least 1.2 heights apart, lines half a height apart or more; some words open with
    a small mark ('、' sits low on the left) and some glyphs are stacked strokes (三). Glyphs are 17–30 px
    high: 7–11 pt print at the 200 dpi every page and picture is read at."""
    lines = []
    y = 10
    for _ in range(draw(st.integers(1, 4))):
        h = draw(st.integers(17, 30))
        x = 10
        words = []
        for _ in range(draw(st.integers(1, 5))):
            glyphs = []
            if draw(st.booleans()):
                m = max(2, h // 4)
                glyphs.append((x, y + h - m, x + m, y + h))  # a mark at the foot of the line
                x += m + draw(st.integers(0, int(0.9 * h)))
            for _ in range(draw(st.integers(1, 4))):
                w = draw(st.integers(int(0.5 * h), h))
                if draw(st.integers(0, 4)) == 0:  # 三: three flat strokes, a character's width
                    w = draw(st.integers(h, int(1.2 * h)))  # 三 is wider than tall
                    t = max(1, h // 8)
                    glyphs += [(x, y + k * (h - t) // 2, x + w, y + k * (h - t) // 2 + t) for k in range(3)]
                else:
                    glyphs.append((x, y, x + w, y + h))
                x += w + draw(st.integers(max(1, h // 10), int(0.4 * h)))  # a font's side bearings part them
            words.append(glyphs)
            x += draw(st.integers(int(1.2 * h), 3 * h))
        lines.append(words)
        y += h + draw(st.integers(h // 2, h))  # print's line spacing leaves half a character between lines
    return lines


@settings(max_examples=80, derandomize=True, deadline=None, database=None)
@given(lines=_lines_of_words())
def test_ink_groups_into_the_words_it_was_drawn_as(lines):
    import numpy as np

    from pipelines.lib.read.ocr.scan_words import word_boxes

    width = max(g[2] for words in lines for w in words for g in w) + 10
    height = max(g[3] for words in lines for w in words for g in w) + 10
    ink = np.zeros((height, width), dtype=np.uint8)
    for words in lines:
        for w in words:
            for x0, y0, x1, y1 in w:
                ink[y0:y1, x0:x1] = 255
    boxes, _, _ = word_boxes(ink, 200)
    got = sorted(tuple(int(v) for v in b) for b in boxes)
    want = sorted((min(g[0] for g in w), min(g[1] for g in w), max(g[2] for g in w), max(g[3] for g in w))
                  for words in lines for w in words)
    assert got == want

"""PDF reader: ruled tables rebuilt into grids (merged cells, stacked labels, page breaks), and the
three real text PDFs of the shared corpus read number for number as printed (values checked by hand
against page renderings). Scanned and damaged PDFs are quarantined with their reason."""

from __future__ import annotations

from pathlib import Path

import pymupdf
import pytest

from pipelines.lib.harmonize.interpret import classify_grid, group_tables, interpret_t3
from pipelines.lib.model import DocumentRejected, ParsedReport, Quarantined
from pipelines.lib.read.extract import pdf as pdf_reader
from pipelines.lib.read.extract.pdf import read_pdf_bytes
from pipelines.lib.read.parse import READERS, parse_document

SHARED = Path(__file__).resolve().parents[2] / "shared"
REAL = SHARED / "corpus" / "real"

T3_COLS = ["natural_person", "commercial_enterprise", "research_institution", "public_interest_org",
           "legal_service_org", "other_org", "total"]
T4_PROCS = ["admin_review", "litigation_direct", "litigation_after_review"]
T4_RESULTS = ["upheld", "corrected", "other", "pending", "total"]


def real_pdf(name: str) -> Path:
    path = REAL / name
    if not path.exists():
        pytest.skip(f"shared corpus not found next to the repository ({path} missing)")
    return path


# ------------------------------------------------------------------ synthetic ruled PDFs


def _cell(page: pymupdf.Page, rect: tuple[float, float, float, float], lines: list[str] = (),
          *, baseline: float | None = None, fill: tuple[float, float, float] | None = (1, 1, 1)) -> None:
    """A bordered cell as word processors draw it: an inset background box, then the border."""
    x0, y0, x1, y1 = rect
    if fill:
        page.draw_rect(pymupdf.Rect(x0 + 1, y0 + 1, x1 - 1, y1 - 1), color=None, fill=fill)
    page.draw_rect(pymupdf.Rect(rect), color=(0, 0, 0), width=0.5)
    y = baseline if baseline is not None else y0 + 13
    for ln in lines:
        page.insert_text((x0 + 3, y), ln, fontname="china-s", fontsize=9)
        y += 11


def _synthetic_table_pdf() -> bytes:
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_text((72, 60), "某某局2023年政府信息公开工作年度报告", fontname="china-s", fontsize=14)
    _cell(page, (50, 100, 200, 120), ["项目"], fill=(0.78, 0.85, 0.94))  # coloured header box
    _cell(page, (200, 100, 250, 120), ["甲"])
    _cell(page, (250, 100, 300, 120), ["乙"])
    # One character per line, the cell spanning three rows.
    _cell(page, (50, 120, 80, 200), list("三、本年"))
    _cell(page, (80, 120, 200, 140), ["（一）予以公开"])
    _cell(page, (200, 120, 250, 140), ["5"], baseline=137)  # number lower than its label
    _cell(page, (250, 120, 300, 140), ["7"])
    _cell(page, (80, 140, 200, 170), ["（二）部分公开（区分", "处理的）"])  # label wrapped in its cell
    _cell(page, (200, 140, 250, 170), ["3"], baseline=158)
    _cell(page, (250, 140, 300, 170), ["4"], baseline=158)
    _cell(page, (80, 170, 200, 200), ["（七）总计"])
    _cell(page, (200, 170, 300, 200), ["8"])  # one value across two columns
    page.insert_text((280, 820), "- 1 -", fontname="helv", fontsize=9)
    return doc.tobytes()


def _synthetic_page_break_pdf() -> bytes:
    """A table cut by a page break: its group label is cut too ('（四）无' / '法提供')."""
    doc = pymupdf.open()
    p1 = doc.new_page()
    p1.insert_text((72, 600), "表格如下", fontname="china-s", fontsize=10)
    _cell(p1, (50, 700, 100, 740), ["（四）无"])
    _cell(p1, (100, 700, 220, 720), ["1.本机关不掌握"])
    _cell(p1, (220, 700, 270, 720), ["10"])
    _cell(p1, (100, 720, 220, 740), ["2.没有现成信息"])
    _cell(p1, (220, 720, 270, 740), ["11"])
    p1.insert_text((280, 820), "- 1 -", fontname="helv", fontsize=9)
    p2 = doc.new_page()
    p2.insert_text((280, 30), "- 2 -", fontname="helv", fontsize=9)
    _cell(p2, (50, 72, 100, 112), ["法提供"])
    _cell(p2, (100, 72, 220, 92), ["3.补正后仍不明确"])
    _cell(p2, (220, 72, 270, 92), ["12"])
    _cell(p2, (50, 112, 220, 132), ["（七）总计"])
    _cell(p2, (220, 112, 270, 132), ["33"])
    _cell(p2, (100, 92, 220, 112), [])  # an empty slot under the group cell
    _cell(p2, (220, 92, 270, 112), ["0"])
    p2.insert_text((72, 200), "四、下一节", fontname="china-s", fontsize=10)
    return doc.tobytes()


def _flags(cell) -> str:
    return ("^" if cell.v_copy else "") + ("<" if cell.h_copy else "")


def test_register_sets_pdf_reader():
    readers: dict = {}
    pdf_reader.register(readers)
    assert readers["pdf"] is read_pdf_bytes
    assert READERS["pdf"] is read_pdf_bytes  # parse.py picked the module up


def test_merged_cells_stacked_and_wrapped_labels():
    ext = read_pdf_bytes(_synthetic_table_pdf())
    assert len(ext.grids) == 1
    g = ext.grids[0]
    assert g.texts() == [
        ["项目", "项目", "甲", "乙"],
        ["三、本年", "（一）予以公开", "5", "7"],
        ["三、本年", "（二）部分公开（区分处理的）", "3", "4"],
        ["三、本年", "（七）总计", "8", "8"],
    ]
    assert [[_flags(c) for c in row] for row in g.rows] == [
        ["", "<", "", ""],
        ["", "", "", ""],
        ["^", "", "", ""],
        ["^", "", "", "<"],
    ]
    assert g.pages == [1, 1, 1, 1]
    assert "- 1 -" not in ext.text and "年度报告" in ext.text


def test_table_cut_by_page_break_is_one_grid():
    g, = read_pdf_bytes(_synthetic_page_break_pdf()).grids
    assert g.pages == [1, 1, 2, 2, 2]
    assert [row[0].text for row in g.rows] == ["（四）无法提供"] * 4 + ["（七）总计"]
    assert [_flags(row[0]) for row in g.rows] == ["", "^", "^", "^", ""]
    assert [row[-1].text for row in g.rows] == ["10", "11", "12", "0", "33"]
    # Without joining, each page keeps its own piece.
    pieces = read_pdf_bytes(_synthetic_page_break_pdf(), join_pages=False).grids
    assert [p.pages for p in pieces] == [[1, 1], [2, 2, 2]]
    assert pieces[1].rows[0][0].text == "法提供"


def test_page_frame_and_running_header_do_not_stop_the_join():
    doc = pymupdf.open(stream=_synthetic_page_break_pdf(), filetype="pdf")
    for page in doc:
        page.draw_rect(pymupdf.Rect(20, 20, 575, 822), color=(0, 0, 0), width=1)
        page.insert_text((72, 45), "某某局2023年政府信息公开工作年度报告", fontname="china-s", fontsize=9)
    g, = read_pdf_bytes(doc.tobytes()).grids
    assert [row[-1].text for row in g.rows] == ["10", "11", "12", "0", "33"]


def test_dense_vector_art_is_not_a_table():
    """Guards: a chart grid of 400 x 400 rules and 30 000 stray strokes give no table (and no hang)."""
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_text((72, 72), "某某局2023年政府信息公开工作年度报告", fontname="china-s", fontsize=10)
    shape = page.new_shape()
    for i in range(400):
        shape.draw_line((20, 20 + i * 2), (580, 20 + i * 2))
        shape.draw_line((20 + i * 1.4, 20), (20 + i * 1.4, 820))
    shape.finish(color=(0, 0, 0), width=0.3)
    shape.commit()
    page = doc.new_page()
    page.insert_text((72, 72), "附图", fontname="china-s", fontsize=10)
    shape = page.new_shape()
    for i in range(30_000):
        x, y = (i * 37) % 500, (i * 53) % 800
        shape.draw_line((x, y), (x + 5, y))
    shape.finish(color=(0, 0, 0), width=0.3)
    shape.commit()
    ext = read_pdf_bytes(doc.tobytes())
    assert ext.grids == [] and "年度报告" in ext.text


def _image_only_pdf(pages: int = 2) -> bytes:
    pix = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 120, 170), False)
    pix.clear_with(230)
    doc = pymupdf.open()
    for _ in range(pages):
        page = doc.new_page()
        page.insert_image(page.rect, pixmap=pix)
    return doc.tobytes()


def test_scan_without_tables_is_quarantined_saying_what_ocr_found(tmp_path: Path):
    # Scanned pages go to OCR (no longer a dead end); blank scans hold no table, and the reason says so.
    data = _image_only_pdf()
    with pytest.raises(DocumentRejected) as e:
        read_pdf_bytes(data)
    assert (e.value.stage, e.value.reason) == ("read", "scan_unreadable")
    assert "scanned" in e.value.detail and "OCR" in e.value.detail and "no table" in e.value.detail
    path = tmp_path / "scan.pdf"
    path.write_bytes(data)
    q = parse_document(path)
    assert isinstance(q, Quarantined) and (q.stage, q.reason) == ("read", "scan_unreadable")


def test_text_pages_around_unreadable_scans_are_rejected():
    doc = pymupdf.open(stream=_image_only_pdf(2), filetype="pdf")
    page = doc.new_page(0)
    page.insert_text((72, 72), "某某局2023年政府信息公开工作年度报告。一、总体情况，本年度工作情况如下。",
                     fontname="china-s", fontsize=10)
    with pytest.raises(DocumentRejected) as e:
        read_pdf_bytes(doc.tobytes())
    assert e.value.reason == "scan_unreadable" and "2, 3" in e.value.detail


def test_corrupt_pdf_is_rejected(tmp_path: Path):
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.7\n" + b"\x00garbage" * 200)
    q = parse_document(path)
    assert isinstance(q, Quarantined) and (q.stage, q.reason) == ("read", "corrupt_pdf")


def test_truncated_pdf_is_quarantined(tmp_path: Path):
    data = _synthetic_table_pdf()
    path = tmp_path / "truncated.pdf"
    path.write_bytes(data[: len(data) * 2 // 3])
    assert isinstance(parse_document(path), Quarantined)
    # A real report cut before its tables: MuPDF repairs the file, no table survives -> corrupt_pdf.
    data = real_pdf("huaian-2024.pdf").read_bytes()
    path.write_bytes(data[: len(data) * 6 // 10])
    q = parse_document(path)
    assert isinstance(q, Quarantined) and (q.stage, q.reason) == ("read", "corrupt_pdf"), q


def test_too_many_pages_is_rejected():
    doc = pymupdf.open()
    for _ in range(pdf_reader.MAX_PAGES + 1):
        doc.new_page(width=100, height=100)
    with pytest.raises(DocumentRejected) as e:
        read_pdf_bytes(doc.tobytes())
    assert e.value.reason == "too_many_pages"


# ------------------------------------------------------------------ real reports (values read by hand)


def _t3(nonzero: dict[str, tuple[int, ...] | int], rows: list[str]) -> dict[str, tuple[int, ...]]:
    """Expected table 三: rows not listed are all 0; an int is a natural-person-only row (total = same)."""
    out = {}
    for r in rows:
        v = nonzero.get(r, 0)
        out[r] = (v, 0, 0, 0, 0, 0, v) if isinstance(v, int) else v
    return out


ROWS_SINGLE_OTHER = [
    "received_new", "carried_over_from_prior", "granted", "partially_granted",
    "denied_state_secret", "denied_law_prohibited", "denied_security_stability", "denied_third_party_rights",
    "denied_internal_affairs", "denied_process_info", "denied_enforcement_file", "denied_admin_query",
    "unavailable_not_held", "unavailable_needs_creation", "unavailable_unclear",
    "not_processed_complaint", "not_processed_duplicate", "not_processed_publication",
    "not_processed_excessive", "not_processed_confirmation", "other_total", "processed_total",
    "carried_forward",
]
ROWS_SPLIT_OTHER = [r for r in ROWS_SINGLE_OTHER if r != "other_total"]
ROWS_SPLIT_OTHER[ROWS_SPLIT_OTHER.index("processed_total"):ROWS_SPLIT_OTHER.index("processed_total")] = [
    "other_no_correction", "other_unpaid_fee", "other_other"]

EXPECTED = {
    "hongze-2023.pdf": {
        "agency": "洪泽区人民政府", "year": 2023,
        "t2": {("regulations", "issued"): 0, ("regulations", "repealed"): 0, ("regulations", "in_force"): 0,
               ("normative_documents", "issued"): 0, ("normative_documents", "repealed"): 5,
               ("normative_documents", "in_force"): 5, ("admin_license", "decisions"): 550,
               ("admin_penalty", "decisions"): 4119, ("admin_coercion", "decisions"): 195,
               ("admin_fees", "fee_amount_10k_yuan"): 7730.28},
        "t3": _t3({"received_new": 21, "partially_granted": 4, "denied_state_secret": 1,
                   "denied_process_info": 1, "denied_enforcement_file": 1, "unavailable_not_held": 10,
                   "unavailable_needs_creation": 3, "not_processed_complaint": 1, "processed_total": 21},
                  ROWS_SINGLE_OTHER),
        # 总计 printed 0 although 10 + 1 and 5 are filled: a real error, kept as printed.
        "t4": [(10, 1, 0, 0, 0), (0, 0, 0, 0, 0), (5, 0, 0, 0, 0)],
        "pages": {"received_new": 3, "unavailable_needs_creation": 3, "unavailable_unclear": 4,
                  "carried_forward": 4},
    },
    "hongze-2024.pdf": {
        "agency": "淮安市洪泽区人民政府", "year": 2024,
        "t2": {("regulations", "issued"): 0, ("regulations", "repealed"): 0, ("regulations", "in_force"): 0,
               ("normative_documents", "issued"): 3, ("normative_documents", "repealed"): 0,
               ("normative_documents", "in_force"): 8, ("admin_license", "decisions"): 9487,
               ("admin_penalty", "decisions"): 2776, ("admin_coercion", "decisions"): 84,
               ("admin_fees", "fee_amount_10k_yuan"): 7545},
        "t3": _t3({"received_new": 95, "granted": 50, "partially_granted": 9, "denied_security_stability": 1,
                   "denied_process_info": 1, "denied_enforcement_file": 1, "unavailable_not_held": 31,
                   "unavailable_needs_creation": 1, "not_processed_complaint": 1, "processed_total": 95},
                  ROWS_SINGLE_OTHER),
        "t4": [(1, 1, 0, 0, 2), (1, 0, 0, 0, 1), (2, 0, 1, 0, 3)],
        "pages": {"received_new": 3, "unavailable_not_held": 3, "unavailable_needs_creation": 4,
                  "carried_forward": 4},
    },
    "huaian-2024.pdf": {
        "agency": "淮安市人民政府", "year": 2024,
        "t2": {("regulations", "issued"): 1, ("regulations", "repealed"): 0, ("regulations", "in_force"): 11,
               ("normative_documents", "issued"): 8, ("normative_documents", "repealed"): 26,
               ("normative_documents", "in_force"): 66, ("admin_license", "decisions"): 447228,
               ("admin_penalty", "decisions"): 3985758, ("admin_coercion", "decisions"): 88283,
               ("admin_fees", "fee_amount_10k_yuan"): 96171.6},
        "t3": _t3({
            "received_new": (3001, 53, 0, 0, 61, 4, 3119),
            "carried_over_from_prior": 34,
            "granted": (1288, 21, 0, 0, 50, 3, 1362),
            "partially_granted": (447, 7, 0, 0, 0, 0, 454),
            "denied_state_secret": 2,
            "denied_law_prohibited": (30, 1, 0, 0, 0, 0, 31),
            "denied_security_stability": 5,
            "denied_third_party_rights": 6,
            "denied_internal_affairs": (7, 1, 0, 0, 0, 0, 8),
            "denied_process_info": 12,
            "denied_enforcement_file": 9,
            "denied_admin_query": 105,
            "unavailable_not_held": (746, 12, 0, 0, 10, 1, 769),
            "unavailable_needs_creation": 11,
            "unavailable_unclear": 1,
            "not_processed_complaint": (56, 6, 0, 0, 0, 0, 62),
            "not_processed_duplicate": 25,
            "not_processed_confirmation": 1,
            "other_no_correction": (67, 3, 0, 0, 1, 0, 71),
            "other_unpaid_fee": 6,
            "other_other": (108, 2, 0, 0, 0, 0, 110),
            "processed_total": (2932, 53, 0, 0, 61, 4, 3050),
            "carried_forward": 103,
        }, ROWS_SPLIT_OTHER),
        "t4": [(72, 64, 178, 37, 351), (13, 4, 8, 1, 26), (12, 1, 1, 6, 20)],
        "pages": {"received_new": 4, "unavailable_not_held": 4, "unavailable_needs_creation": 5,
                  "other_other": 5, "carried_forward": 5},
    },
}


@pytest.fixture(scope="module")
def parsed() -> dict[str, ParsedReport | Quarantined]:
    if not REAL.exists():
        pytest.skip(f"shared corpus not found next to the repository ({REAL} missing)")
    return {name: parse_document(real_pdf(name)) for name in EXPECTED}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_real_pdf_loads(parsed, name):
    r = parsed[name]
    assert isinstance(r, ParsedReport), r
    exp = EXPECTED[name]
    assert (r.format, r.agency_name, r.year, r.template) == ("pdf", exp["agency"], exp["year"], "2021")
    assert r.warnings == []


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_real_pdf_table3_as_printed(parsed, name):
    r = parsed[name]
    got: dict[str, dict[str, float]] = {}
    for f in r.facts:
        if f.table == "T3" and not f.derived:
            got.setdefault(f.row_code, {})[f.col_code] = f.value
    exp = EXPECTED[name]["t3"]
    assert list(got) == list(exp)  # every row, in printed order
    for row, values in exp.items():
        assert tuple(got[row][c] for c in T3_COLS) == values, row


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_real_pdf_tables_2_and_4_as_printed(parsed, name):
    r = parsed[name]
    t2 = {(f.row_code, f.col_code): f.value for f in r.facts if f.table == "T2"}
    assert t2 == EXPECTED[name]["t2"]
    t4 = {(f.row_code, f.col_code): f.value for f in r.facts if f.table == "T4"}
    for proc, values in zip(T4_PROCS, EXPECTED[name]["t4"], strict=True):
        assert tuple(t4[(proc, res)] for res in T4_RESULTS) == values, proc


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_real_pdf_fact_pages(parsed, name):
    pages = {f.row_code: f.page for f in parsed[name].facts if f.table == "T3" and f.col_code == "total"}
    for row, page in EXPECTED[name]["pages"].items():
        assert pages[row] == page, row


def test_hongze_2023_errors_stay_as_printed(parsed):
    facts = {(f.table, f.row_code, f.col_code): f for f in parsed["hongze-2023.pdf"].facts}
    # R4 fails in the report itself: 10 + 1 + 0 + 0 printed with total 0.
    assert facts[("T4", "admin_review", "total")].printed == "0"
    assert facts[("T4", "admin_review", "upheld")].value + facts[("T4", "admin_review", "corrected")].value == 11
    assert facts[("T4", "litigation_after_review", "total")].value == 0
    # The typo '2.其他法律行政止公开' still lands on denied_law_prohibited.
    assert facts[("T3", "denied_law_prohibited", "total")].row_label == "2.其他法律行政止公开"
    assert ("T3", "other_total", "natural_person") in facts  # the single 2019-style （六） row


def test_huaian_other_total_is_derived(parsed):
    facts = [f for f in parsed["huaian-2024.pdf"].facts if f.row_code == "other_total"]
    assert {f.col_code: f.value for f in facts}["total"] == 71 + 6 + 110
    assert all(f.derived for f in facts)


def test_real_pdf_grids():
    ext = read_pdf_bytes(real_pdf("huaian-2024.pdf").read_bytes())
    kinds = [classify_grid(g) for g in ext.grids]
    assert kinds == ["T2", "T3", "T4"]  # table 二 (pages 3-4) and 三 (pages 4-5) each one grid
    t3 = ext.grids[1]
    assert sorted(set(t3.pages)) == [4, 5]
    labels = {row[1].text for row in t3.rows}
    assert "（四）无法提供" in labels  # group label joined across the page break
    assert "（二）部分公开（区分处理的，只计这一情形，不计其他情形）" in labels  # wrapped label, one cell
    assert any(row[0].text == "三、本年度办理结果" for row in t3.rows)  # one character per line
    assert "- 4 -" not in ext.text and "淮安市人民政府" in ext.text

    ext = read_pdf_bytes(real_pdf("hongze-2023.pdf").read_bytes())
    t4 = ext.grids[-1]
    # '尚未审结' and '总计' come glued as one word across a rule; split back by character.
    assert [c.text for c in t4.rows[2] if not c.v_copy][:5] == ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
    assert t4.texts()[-1] == ["10", "1", "0", "0", "0", "0", "0", "0", "0", "0", "5", "0", "0", "0", "0"]


@pytest.mark.parametrize("name", ["hongze-2023.pdf", "huaian-2024.pdf"])
def test_unjoined_continuation_is_grouped_as_table3(name):
    """Without joining pages, the headerless piece of table 三 is 'T3-continued' and still read."""
    data = real_pdf(name).read_bytes()
    pieces = read_pdf_bytes(data, join_pages=False).grids
    assert "T3-continued" in [classify_grid(g) for g in pieces]
    joined = interpret_t3(group_tables(read_pdf_bytes(data).grids)["T3"])
    split = interpret_t3(group_tables(pieces)["T3"])
    assert [(f.row_code, f.col_code, f.value) for f in split.facts] == \
        [(f.row_code, f.col_code, f.value) for f in joined.facts]


def _strip_ruling_lines(data: bytes) -> bytes:
    """The same PDF with every line and rectangle removed and the text kept."""
    doc = pymupdf.open(stream=data, filetype="pdf")
    for page in doc:
        page.add_redact_annot(page.rect)
        page.apply_redactions(images=pymupdf.PDF_REDACT_IMAGE_NONE, text=pymupdf.PDF_REDACT_TEXT_NONE,
                              graphics=pymupdf.PDF_REDACT_LINE_ART_REMOVE_IF_TOUCHED)
    out = doc.tobytes()
    doc.close()
    return out


@pytest.mark.parametrize("name", ["hongze-2023.pdf", "hongze-2024.pdf", "huaian-2024.pdf"])
def test_real_pdf_without_its_ruling_lines_reads_the_same(name: str, tmp_path: Path) -> None:
    """Real tables with the lines taken out (stacked group labels, labels wrapped over three lines,
    table 三 across a page break): read from word positions, every cell equals the ruled reading."""
    path = REAL / name
    if not path.exists():
        pytest.skip(f"{path} is not available (../shared)")
    ruled = parse_document(path)
    bare = tmp_path / name
    bare.write_bytes(_strip_ruling_lines(path.read_bytes()))
    assert read_pdf_bytes(bare.read_bytes()).inferred_how == "text_positions"  # no ruled table left
    unruled = parse_document(bare)
    assert isinstance(ruled, ParsedReport) and isinstance(unruled, ParsedReport), unruled
    assert {(f.table, f.row_code, f.col_code): f.value for f in unruled.facts} == \
        {(f.table, f.row_code, f.col_code): f.value for f in ruled.facts}
    assert (unruled.agency_name, unruled.year, unruled.template) == (ruled.agency_name, ruled.year, ruled.template)


@pytest.mark.parametrize("seed", [1, 186])
def test_a_number_wrapped_inside_its_cell_is_one_number(tmp_path: Path, seed: int) -> None:
    """Full-width digits in the narrow columns of a table with a 小计 and a 备注 column wrap inside their cell
    ('１５' over '５'); without ruling lines the two parts are joined back into 155, never read as 15."""
    import random

    from pipelines.samplegen.truth import generate_truth
    from pipelines.samplegen.variations import Variation
    from tests.variation_check import render_and_check

    truth = generate_truth(rng=random.Random(seed))
    v = Variation(remark_column=True, subtotals="org_column", fullwidth_digits=True, pdf_ruled=False)
    out = render_and_check(tmp_path, truth, "pdf", v)
    assert out.kind == "exact", out.detail


def test_wrapped_number_joined_when_its_row_has_one_other_number() -> None:
    """Word positions as an unruled PDF prints them: a label over two lines, '１４' / '９' one line apart in the
    same column, and the row's total alone (with a remark word) on the line between them."""
    from pipelines.lib.read.extract.pdf_text_layout import _join_wrapped_numbers

    words = [(79.0, 83.4, 259.0, 93.3, "（二）部分公开（区分处理的"), (272.7, 83.4, 287.7, 93.3, "１４"),
             (467.8, 88.1, 490.3, 97.9, "１４９"), (501.7, 88.1, 531.7, 97.9, "含转办件"),
             (79.0, 92.8, 109.0, 102.6, "他情形）"), (276.5, 92.8, 284.0, 102.6, "９")]
    lines = [[words[0], words[1]], [words[2], words[3]], [words[4], words[5]]]
    joined = _join_wrapped_numbers(words, lines, 9.9)
    assert joined is not None
    assert sorted(w[4] for w in joined if w[4][0] in "１９") == ["１４９", "１４９"]
    # Without the row's total between them the two are separate rows' numbers, each beside its own label.
    assert _join_wrapped_numbers([w for w in words if w[4] not in ("１４９", "含转办件")],
                                 [lines[0], lines[2]], 9.9) is None

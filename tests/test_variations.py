"""What agencies really publish, tested as a distribution: the generator's variation switches as Hypothesis
strategies. Any combination parses back to its truth cell for cell, or is refused with a reason that is true
for it (never ``not_a_report``). Bounded and derandomized here; benchmarks/soak.py runs the long soak.

Each class of failure seen on unseen reports (issue 10, issue 11 decoding) also has its own test below.
"""

from __future__ import annotations

import codecs
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.lib.model import ParsedReport, Quarantined
from pipelines.lib.read.decode import decode_document
from pipelines.lib.read.parse import parse_document
from pipelines.samplegen import render_txt
from pipelines.samplegen.truth import AGENCIES, generate_truth
from pipelines.samplegen.variations import FORMAT_SWITCHES, SWITCHES, Variation, render_variant
from tests.variation_check import check_document, render_and_check


def variations(fmt: str) -> st.SearchStrategy[Variation]:
    """Every switch the format honours, drawn independently."""
    return st.builds(Variation, **{name: st.sampled_from(SWITCHES[name]) for name in FORMAT_SWITCHES[fmt]})


def truths() -> st.SearchStrategy:
    return st.builds(lambda seed: generate_truth(rng=random.Random(seed)), st.integers(0, 10**6))


def _settings(n: int):
    return settings(max_examples=n, derandomize=True, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def _assert_ok(tmp_path: Path, truth, fmt: str, v: Variation) -> None:
    out = render_and_check(tmp_path, truth, fmt, v)
    assert out.ok, f"{fmt} {v.for_format(fmt).changed()} ({truth.agency.name} {truth.year}): {out.kind}: {out.detail}"


@_settings(200)
@given(truth=truths(), v=variations("txt"))
def test_txt_variations_parse_back_or_are_refused_truly(tmp_path, truth, v):
    _assert_ok(tmp_path, truth, "txt", v)


@_settings(80)
@given(truth=truths(), v=variations("html"))
def test_html_variations_parse_back(tmp_path, truth, v):
    _assert_ok(tmp_path, truth, "html", v)


@_settings(20)
@given(truth=truths(), v=variations("docx"))
def test_docx_variations_parse_back(tmp_path, truth, v):
    _assert_ok(tmp_path, truth, "docx", v)


@_settings(12)
@given(truth=truths(), v=variations("pdf"))
def test_pdf_variations_parse_back(tmp_path, truth, v):
    from pipelines.samplegen.render_pdf import FontNotFound, find_cjk_font

    try:
        find_cjk_font()
    except FontNotFound as e:
        pytest.skip(str(e))
    _assert_ok(tmp_path, truth, "pdf", v)


@_settings(200)
@given(truth=truths(), v=variations("md"))
def test_md_variations_parse_back(tmp_path, truth, v):
    """PDF->markdown conversions (render_md.py): tables split at pages, labels floated or lost, footers,
    pads, merged cells, header pieces, blank zeros… Each loads cell for cell (a cell absent only where the
    report lists it unresolved); acceptable_refusals allows no refusal for md."""
    _assert_ok(tmp_path, truth, "md", v)


def test_default_switches_render_the_plain_renderers():
    """With every switch at its default the generator emits exactly what data/inbox was made with."""
    from pipelines.samplegen import render_html

    t = generate_truth(AGENCIES[0], 2021, rng=random.Random(4))
    assert render_variant(t, "txt", Variation()) == render_txt.render(t)
    assert render_variant(t, "html", Variation()) == render_html.render(t)


def test_every_switch_is_documented():
    doc = (Path(__file__).resolve().parents[1] / "docs" / "variations.md").read_text(encoding="utf-8")
    for name in SWITCHES:
        assert f"`{name}`" in doc, f"switch {name} is not described in docs/variations.md"


# --- each class seen on unseen reports, as its own test -------------------------------------------------

def _truth(seed: int = 3, **kw):
    return generate_truth(rng=random.Random(seed), **kw)


def _exact(tmp_path: Path, truth, fmt: str, v: Variation, data: bytes | None = None, name: str = "doc"):
    path = tmp_path / f"{name}.{fmt}"
    path.write_bytes(data if data is not None else render_variant(truth, fmt, v))
    out = check_document(path, truth, fmt, v)
    assert out.kind == "exact", out.detail
    return parse_document(path)


@pytest.mark.parametrize("encoding", ["gbk", "gb18030"])
def test_html_declaring_gbk_in_meta_http_equiv(tmp_path, encoding):
    v = Variation(encoding=encoding)
    data = render_variant(_truth(), "html", v)
    assert f'charset={encoding}"'.encode() in data
    _exact(tmp_path, _truth(), "html", v)


def test_utf8_page_with_stale_gb2312_declaration_reads_as_utf8(tmp_path):
    v = Variation(charset_decl="stale_gb2312")
    assert b"charset=gb2312" in render_variant(_truth(), "html", v)
    report = _exact(tmp_path, _truth(), "html", v)
    assert any("declares charset=gb2312" in w for w in report.warnings)


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-16-bom", "gbk", "utf-8-sig"])
def test_text_encodings_with_and_without_bom(tmp_path, encoding):
    _exact(tmp_path, _truth(), "txt", Variation(encoding=encoding))


def test_one_stray_invalid_byte_is_replaced_and_noted(tmp_path):
    truth = _truth()
    data = render_txt.render(truth)
    cut = data.index("一、总体情况".encode()) + len("一、总体情况".encode())
    data = data[:cut] + b"\xff" + data[cut:]
    decoded = decode_document(data)
    assert decoded.how == "utf8_repaired" and "\ufffd" in decoded.text
    report = _exact(tmp_path, truth, "txt", Variation(), data=data)
    assert any("not valid UTF-8" in w for w in report.warnings)


def test_declared_charset_is_used_when_bytes_are_not_utf8():
    page = '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"></head><body>公开</body></html>'
    assert decode_document(page.encode("gbk")).text == page
    assert decode_document(page.encode("gbk")).how == "declared"


@pytest.mark.parametrize("name", ["report.pdf", "report.docx", "report.html", "report"])
def test_text_report_is_read_by_content_whatever_its_name(tmp_path, name):
    truth = _truth()
    path = tmp_path / name
    path.write_bytes(render_txt.render(truth))
    report = parse_document(path)
    assert isinstance(report, ParsedReport), report
    assert report.format == "txt"


@pytest.mark.parametrize("fmt", ["pdf", "docx", "txt", "html"])
@pytest.mark.parametrize("form", ["wrapped_end", "wrapped_mid", "wrapped_agency", "one_line", "year_first"])
def test_title_forms_and_wraps(tmp_path, fmt, form):
    if fmt == "pdf":
        from pipelines.samplegen.render_pdf import FontNotFound, find_cjk_font

        try:
            find_cjk_font()
        except FontNotFound as e:
            pytest.skip(str(e))
    v = Variation(title_form=form, html_title=False)
    report = _exact(tmp_path, _truth(5), fmt, v)
    assert report.identity_signals and report.identity_signals[0].startswith("title_lines: ")
    assert report.title.startswith(report.agency_name) or form == "year_first"


def test_word_text_table4_header_right_after_its_heading(tmp_path):
    v = Variation(heading_gap=False)
    text = render_variant(_truth(), "txt", v).decode("utf-8")
    assert "\n\t行政复议\n" in text and "\n\n\t行政复议\n" not in text
    report = _exact(tmp_path, _truth(), "txt", v)
    assert len([f for f in report.facts if f.table == "T4"]) == 15


@pytest.mark.parametrize("merged", ["omit", "repeat"])
def test_tab_rows_with_blank_cells_as_empty_fields(tmp_path, merged):
    v = Variation(text_layout="tab_rows", merged=merged, blank_zeros=True)
    assert "\t\t" in render_variant(_truth(), "txt", v).decode("utf-8")
    _exact(tmp_path, _truth(), "txt", v)


def test_pipe_rows_with_a_category_header(tmp_path):
    v = Variation(text_layout="pipe_rows", pipe_header=True, blank_zeros=True)
    assert "| 类别 | 数据 |" in render_variant(_truth(), "txt", v).decode("utf-8")
    _exact(tmp_path, _truth(), "txt", v)


@pytest.mark.parametrize("extra", [{"blank_lines": 1}, {"blank_lines": 2}, {"footers": True},
                                   {"fullwidth_digits": True}, {"label_variant": True}])
def test_word_text_noise(tmp_path, extra):
    _exact(tmp_path, _truth(), "txt", Variation(**extra))


@pytest.mark.parametrize("measure,pad,align,merged", [
    ("display", "ascii", "left", "omit"), ("display", "ideographic", "right", "repeat"),
    ("chars", "ascii", "right", "omit"), ("chars", "ideographic", "left", "repeat")])
def test_space_aligned_columns_with_blank_cells_are_read_by_position(tmp_path, measure, pad, align, merged):
    """Blank cells are only space: the cells are placed by the header column they stand under, whether
    the columns line up in display width (CJK two wide) or in characters, padded with ASCII or ideographic
    spaces, numbers flush left or right. Each must load exactly, not be refused."""
    for seed in range(4):
        truth = _truth(seed)
        v = Variation(text_layout="space_aligned", space_measure=measure, space_pad=pad, number_align=align,
                      merged=merged, blank_zeros=True, fullwidth_digits=seed == 1, label_variant=seed == 2,
                      sections=("in_order", "t2_last", "in_order", "no_t2")[seed])
        text = render_variant(truth, "txt", v).decode("utf-8")
        assert "\t" not in text and "|" not in text
        out = render_and_check(tmp_path, truth, "txt", v, name=f"s{seed}")
        assert out.kind == "exact", f"{v.changed()}: {out.kind}: {out.detail}"


def test_space_aligned_text_that_does_not_line_up_is_not_read_by_position():
    """Columns measured the wrong way do not line up, and the positional reader says so rather than
    placing cells (the display-width document read by character count, and the reverse)."""
    from pipelines.lib.read.extract.aligned_text import NotAligned, _read

    truth = _truth(0)
    for drawn, other in (("display", "chars"), ("chars", "display")):
        v = Variation(text_layout="space_aligned", space_measure=drawn, blank_zeros=True)
        text = render_variant(truth, "txt", v).decode("utf-8")
        assert _read(text, drawn)
        with pytest.raises(NotAligned):
            _read(text, other)


@pytest.mark.parametrize("layout", ["word_cells", "tab_rows", "pipe_rows", "space_aligned"])
def test_wrapped_row_labels_are_read_whole(tmp_path, layout):
    """A long numbered label broken over two lines: the second line is the rest of the label, not a row of
    blank cells and not prose (which would end the table)."""
    from pipelines.samplegen.variations import wrap_label

    for seed in range(3):
        truth = _truth(seed)
        v = Variation(text_layout=layout, wrapped_labels=True, blank_lines=seed, blank_zeros=seed != 2,
                      merged=("omit", "repeat")[seed % 2])
        text = render_variant(truth, "txt", v).decode("utf-8")
        rest = wrap_label("1.本机关不掌握相关政府信息")[1]
        assert any(ln.strip(" \u3000|") == rest for ln in text.split("\n")), "the label is not wrapped"
        out = render_and_check(tmp_path, truth, "txt", v, name=f"w{seed}")
        assert out.kind == "exact", f"{v.changed()}: {out.kind}: {out.detail}"


@pytest.mark.parametrize("fmt,ruled", [("html", True), ("docx", True), ("pdf", True), ("pdf", False)])
def test_remark_column_in_tables_with_markup_or_ruling(tmp_path, fmt, ruled):
    """A trailing 备注 column in tables 三 and 四 (empty, 无 or a remark): never read as a value."""
    if fmt == "pdf":
        _need_cjk_font()
    truth = _truth(4)
    for blank in (False, True):
        v = Variation(remark_column=True, pdf_ruled=ruled, blank_zeros=blank)
        data = render_variant(truth, fmt, v)
        assert "备注" in _document_text(fmt, data)
        _exact(tmp_path, truth, fmt, v, data=data, name=f"r{blank}")


@pytest.mark.parametrize("ruled", [True, False])
def test_pdf_table_header_repeated_after_a_page_break(tmp_path, ruled):
    """Table 三 continues on the next page under its header printed again: the header is not a row, and
    rows of blank cells right under it keep their columns."""
    _need_cjk_font()
    import pymupdf

    for seed in (3, 7):
        truth = _truth(seed)
        v = Variation(pdf_header_repeat=True, pdf_ruled=ruled, blank_zeros=True)
        data = render_variant(truth, "pdf", v)
        with pymupdf.open(stream=data, filetype="pdf") as doc:
            assert sum("申请人情况" in page.get_text() for page in doc) == 2
        _exact(tmp_path, truth, "pdf", v, data=data, name=f"h{seed}")


def _need_cjk_font() -> None:
    from pipelines.samplegen.render_pdf import FontNotFound, find_cjk_font

    try:
        find_cjk_font()
    except FontNotFound as e:
        pytest.skip(str(e))


def _document_text(fmt: str, data: bytes) -> str:
    if fmt == "html":
        return data.decode("utf-8")
    if fmt == "docx":
        import io

        import docx

        return "".join(c.text for t in docx.Document(io.BytesIO(data)).tables for row in t.rows for c in row.cells)
    import pymupdf

    with pymupdf.open(stream=data, filetype="pdf") as doc:
        return "".join(page.get_text() for page in doc)


# --- reasons that are true ---------------------------------------------------------------------------------

def _quarantined(tmp_path: Path, name: str, data: bytes) -> Quarantined:
    path = tmp_path / name
    path.write_bytes(data)
    q = parse_document(path)
    assert isinstance(q, Quarantined), q
    return q


def test_run_together_rows_the_arithmetic_does_not_settle_are_unresolved_not_refused(tmp_path):
    """Cells run together (no blanks): where several readings keep every check of table 三 (R3, R1/R2) or
    四 (R4), the rows they agree on load and the others are listed as unresolved rows with their readings,
    instead of the whole report being refused. No row is guessed: every loaded cell is the truth's."""
    partial = 0
    for seed in range(40):
        truth = _truth(seed)
        v = Variation(text_layout="run_together")
        path = tmp_path / f"p{seed}.txt"
        path.write_bytes(render_variant(truth, "txt", v))
        out = check_document(path, truth, "txt", v)
        assert out.ok and out.cells_wrong == 0, out.detail
        rep = parse_document(path)
        if isinstance(rep, ParsedReport) and any(u.table in ("T3", "T4") for u in rep.unresolved):
            partial += 1
            u = next(u for u in rep.unresolved if u.table in ("T3", "T4"))
            assert u.reason == "ambiguous_cells" and len(u.readings) > 1 and u.printed
            assert not any((f.table, f.row_code) == (u.table, u.row_code) for f in rep.facts)
    assert partial, "expected some run-together reports with table 三/四 rows left unresolved"


@pytest.mark.parametrize("broken", [False, True])
def test_run_together_cells_with_blank_zeros_load_the_cells_every_reading_agrees_on(tmp_path, broken):
    """Cells run together and zeros left blank: a number may stand under any requester column, so most
    rows are read in part (the 总计, the rows printing nothing) and their cells in doubt are listed per
    column; no cell is guessed, even when the report's own 总计 is misprinted."""
    partial = totals = 0
    for seed in range(12):
        truth = generate_truth(rng=random.Random(seed), broken=broken)
        v = Variation(text_layout="run_together", blank_zeros=True)
        out = render_and_check(tmp_path, truth, "txt", v, name=f"r{seed}")
        assert out.kind == "exact", out.detail
        rep = parse_document(tmp_path / f"r{seed}.txt")
        in_part = [u for u in rep.unresolved if u.columns]
        partial += bool(in_part)
        totals += sum(1 for f in rep.facts if f.table == "T3" and f.col_code == "total")
        for u in in_part:
            assert not any((f.table, f.row_code, f.col_code) in {(u.table, u.row_code, c) for c in u.columns}
                           for f in rep.facts)
    # A misprinted 总计 can make the totals break R1/R2; then only the rows printing nothing are read.
    assert partial == 12 if not broken else partial >= 6
    assert totals > 6 * 10


def test_title_but_unreadable_table3_is_not_called_non_report(tmp_path):
    text = render_txt.render_text(_truth())
    start = text.index("\t一、本年新收")
    broken = text[:start] + "（表格见附件）\n" + text[text.index("四、政府信息公开行政复议"):]
    q = _quarantined(tmp_path, "r.txt", broken.encode("utf-8"))
    assert q.reason != "not_a_report"


def test_table3_without_any_title_is_no_title_not_non_report(tmp_path):
    text = render_txt.render_text(_truth())
    body = text[text.index("二、主动公开政府信息情况"):].replace("政府信息公开工作年度报告", "")
    q = _quarantined(tmp_path, "x.txt", body.encode("utf-8"))
    assert q.reason in ("no_title",) and q.reason != "not_a_report"


def _without_title_and_intro(truth) -> str:
    """The report with its title reduced to the title words and its intro (which names agency and year) cut."""
    lines = render_txt.render_text(truth).split("\n")
    return "政府信息公开工作年度报告\n" + "\n".join(lines[4:])


def test_agency_and_year_from_the_body_when_the_title_lacks_them(tmp_path):
    truth = _truth()
    lines = render_txt.render_text(truth).split("\n")
    path = tmp_path / "x.txt"
    path.write_bytes(("政府信息公开工作年度报告\n" + "\n".join(lines[2:])).encode("utf-8"))
    report = parse_document(path)
    assert isinstance(report, ParsedReport), report
    assert (report.agency_name, report.year) == (truth.agency.name, truth.year)
    assert any("report's own text" in w for w in report.warnings)


def test_title_words_without_agency_or_year_are_title_unreadable(tmp_path):
    body = _without_title_and_intro(_truth())
    q = _quarantined(tmp_path, "x.txt", body.encode("utf-8"))
    assert q.reason == "title_unreadable"


def test_file_name_is_the_last_resort_identity_signal_and_is_flagged(tmp_path):
    truth = _truth()
    body = _without_title_and_intro(truth)
    path = tmp_path / f"{truth.agency.name}{truth.year}年度.txt"
    path.write_bytes(body.encode("utf-8"))
    report = parse_document(path)
    assert isinstance(report, ParsedReport), report
    assert (report.agency_name, report.year) == (truth.agency.name, truth.year)
    assert any("file name" in w for w in report.warnings)
    assert report.identity_signals[0].startswith("file_name: ")  # the signal used is listed first


def test_prose_is_still_not_a_report(tmp_path):
    q = _quarantined(tmp_path, "x.txt", "会议纪要\n今天开会讨论了工作安排。\n".encode())
    assert q.reason == "not_a_report"


def test_utf16_without_bom_is_text_not_binary():
    from pipelines.lib.read.decode import looks_binary

    data = render_txt.render_text(_truth()).encode("utf-16-le")
    assert not data.startswith(codecs.BOM_UTF16_LE)
    assert not looks_binary(data[:8192])


@pytest.mark.parametrize("t2_split", [False, True])
def test_html_tables_as_text_in_pre_block(tmp_path, t2_split):
    """No <table> markup at all (was tables_not_found): the page text is read as text."""
    v = Variation(html_tables="pre_tabs", t2_split=t2_split, blank_zeros=True)
    data = render_variant(_truth(), "html", v)
    assert b"<table" not in data and b"<pre>" in data
    report = _exact(tmp_path, _truth(), "html", v)
    assert report.format == "html"


@pytest.mark.parametrize("layout", ["tab_rows", "pipe_rows"])
def test_trailing_remark_column_is_not_read_as_a_value(tmp_path, layout):
    v = Variation(text_layout=layout, remark_column=True, blank_zeros=True)
    assert "备注" in render_variant(_truth(), "txt", v).decode("utf-8")
    _exact(tmp_path, _truth(), "txt", v)


def test_no_real_report_is_called_not_a_report():
    """The guard on the real corpus: every document in it that is a report is loaded or refused for what it is."""
    from tests.conftest import CORPUS

    if not CORPUS.is_dir():
        pytest.skip("the shared corpus is not beside this checkout")
    reasons = {}
    for path in sorted(CORPUS.iterdir()):
        result = parse_document(path)
        if isinstance(result, Quarantined):
            reasons[path.name] = result.reason
    assert "not_a_report" not in reasons.values(), reasons
    assert set(reasons) <= {"manifest.csv", "pingtan-2018.txt", "pingtan-dishui-2013.txt"}, reasons

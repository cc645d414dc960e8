"""One document -> a ParsedReport or a Quarantined record. Stateless, so it runs in any process."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable
from pathlib import Path

from pipelines.lib.codes import load_codes
from pipelines.lib.harmonize.interpret import (
    derive_other_total,
    detect_template_from_t2,
    group_tables,
    interpret_t2,
    interpret_t3,
    interpret_t4,
)
from pipelines.lib.harmonize.normalize import clean_text
from pipelines.lib.harmonize.ocr_repair import repair as ocr_repair
from pipelines.lib.model import DocumentRejected, ParsedReport, Quarantined
from pipelines.lib.read.decode import decode_document, looks_binary
from pipelines.lib.read.detect import check_era, has_table3_text, identify, looks_like_report
from pipelines.lib.read.extract import Extracted
from pipelines.lib.read.extract.aligned_text import is_space_aligned, read_aligned_text
from pipelines.lib.read.extract.html import read_html
from pipelines.lib.read.extract.text import (
    is_delimited_text,
    is_tabbed_text,
    read_delimited_text,
    read_tabbed_text,
    tab_rows_look_broken,
)
from pipelines.lib.read.grid import strip_remark_columns
from pipelines.lib.read.ocr.image_tables import document_folder

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
PARSER_VERSION = "5"  # bump to re-parse documents whose sha256 was already processed


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# Data, archive and image files that turn up beside reports; none of them is a report Gongkai reads.
OTHER_SUFFIXES = {".csv", ".tsv", ".json", ".xml", ".xls", ".xlsx", ".et", ".wps", ".zip", ".rar", ".7z",
                  ".png", ".jpg", ".jpeg", ".gif", ".tif", ".tiff", ".ofd"}


def _text_head(head: bytes) -> bytes:
    """The head as lower-case ASCII-compatible bytes, UTF-16 NULs dropped, for markup sniffing."""
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") or head[1:400:2].count(0) > 60 or head[0:400:2].count(0) > 60:
        head = head.replace(b"\x00", b"")
    return head[:4096].lower()


_MARKUP_TAGS = (b"<body", b"<head", b"<meta", b"<p", b"<div", b"<br", b"<span", b"<title", b"<script", b"<tr")


def sniff_format(path: Path, head: bytes) -> str:
    """The format by content first, whatever the file is named; the name decides only between text kinds.

    A TXT report named .pdf, or HTML named .txt, is read as what it is. Bytes that are neither a known
    binary format nor text keep the name's format, and its reader rejects them with a reason.
    """
    suffix = path.suffix.lower()
    if head.startswith(b"%PDF") or (b"%PDF-" in head[:1024] and suffix == ".pdf"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return "docx" if suffix != ".xlsx" else "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "doc"
    if suffix in OTHER_SUFFIXES:
        return suffix[1:]  # no reader: quarantined as unsupported_format
    if looks_binary(head):
        # Not text: a damaged PDF/DOCX keeps its name's format (its reader says what is wrong).
        return suffix[1:] if suffix in (".pdf", ".docx", ".doc") else "txt"
    low = _text_head(head)
    if b"<html" in low or b"<table" in low or b"<!doctype" in low:
        return "html"
    if suffix in (".html", ".htm", ".shtml", ".xhtml") and any(t in low for t in _MARKUP_TAGS):
        return "html"  # a page fragment: markup, but no <html> element
    if suffix in (".md", ".markdown"):
        return "md"
    return "txt"


class _Readers(dict):
    """Readers by format. The optional ones (DOCX, PDF, markdown) are imported on first lookup: PyMuPDF
    alone takes ~1 s to import, which a run that parses nothing (or only text) should not pay."""

    _complete = False

    def _complete_once(self) -> None:
        if not self._complete:
            self._complete = True
            _register_optional_readers()

    def __getitem__(self, key):
        self._complete_once()
        return super().__getitem__(key)

    def get(self, key, default=None):
        self._complete_once()
        return super().get(key, default)

    def __contains__(self, key) -> bool:
        self._complete_once()
        return super().__contains__(key)


# Readers by format: bytes -> Extracted. Formats added by other modules register here.
READERS: dict[str, Callable[[bytes], Extracted]] = _Readers()


def _read_txt(data: bytes) -> Extracted:
    decoded = decode_document(data)
    ext = read_text(decoded.text)
    ext.warnings[:0] = decoded.warnings
    return ext


def _has_table3(ext: Extracted) -> bool:
    for g in ext.grids:
        for row in g.rows[:12]:  # the header or the first rows name it
            if any("本年新收" in c.text or "申请人情况" in c.text for c in row):
                return True
    return bool(group_tables(ext.grids)["T3"])


def _t3_complete(ext: Extracted) -> bool:
    """Table 三 with its first and total rows read (a reading worth taking over another)."""
    try:
        seen = interpret_t3(group_tables(ext.grids)["T3"]).rows_seen
    except DocumentRejected:
        return False
    return "received_new" in seen and "processed_total" in seen


def _rows_read(ext: Extracted) -> int:
    """How many table rows of 二/三/四 a reading recovers (to choose between two readings of one text)."""
    tables = group_tables(ext.grids)
    try:
        n = len(interpret_t3(tables["T3"]).rows_seen) + len(interpret_t4(tables["T4"]).rows_seen)
        template = detect_template_from_t2(tables["T2"])
        if template:
            n += len(interpret_t2(tables["T2"], template).rows_seen)
    except DocumentRejected:
        return -1
    return n


def read_text(text: str) -> Extracted:
    """Plain text by its structure: Word's one-cell-per-line save-as-text, rows of delimited cells (tabs,
    '|'), or cells run together / separated by spaces (crawler renderings); the first whose tables hold a
    table 三 is taken."""
    if is_tabbed_text(text):
        ext = read_tabbed_text(text)
        # Blank lines are row separators in this format, unless an export put them anywhere (or page
        # footers split rows): then the rows are also cut by their cells, and the reading that recovers
        # more rows wins.
        if tab_rows_look_broken(text):
            by_structure = read_tabbed_text(text, rows_by_structure=True)
            if _rows_read(by_structure) > _rows_read(ext):
                ext = by_structure
        if _has_table3(ext):
            return ext
    if is_delimited_text(text):
        ext = read_delimited_text(text)
        if _has_table3(ext):
            return ext
    if is_space_aligned(text):
        # Columns drawn with spaces: cells placed by where they stand (blank cells are only space).
        aligned = read_aligned_text(text)
        if aligned is not None and _t3_complete(aligned):
            return aligned
    if not looks_like_report(text) and not has_table3_text(text):
        raise DocumentRejected("detect", "not_a_report",
                               "This text is not a government information-disclosure annual report: it has neither "
                               "the report title (…政府信息公开工作年度报告) nor its table 三.")
    from pipelines.lib.read.extract import crawler_text  # run-together cells (crawler renderings)

    return crawler_text.read_crawler_text(text)


def _read_html(data: bytes) -> Extracted:
    decoded = decode_document(data)
    ext = read_html(decoded.text)
    ext.warnings[:0] = decoded.warnings
    # No grid wide enough for table 三 (label + seven numbers), yet its rows are in the page text.
    if not any(len(row) >= 8 for g in ext.grids for row in g.rows[:60]) and has_table3_text(ext.text):
        # Tables laid out as text inside the page (<pre>, <br>-separated rows): read the page text as text.
        try:
            alt = read_text(ext.text)
        except DocumentRejected:
            return ext
        if group_tables(alt.grids)["T3"]:
            alt.title_hint = alt.title_hint or ext.title_hint
            alt.warnings[:0] = decoded.warnings + ["the page's tables are text, not <table> markup; read as text"]
            return alt
    return ext


READERS["txt"] = _read_txt
READERS["html"] = _read_html


def _register_optional_readers() -> None:
    # Each optional reader module registers itself if it imports (DOCX, PDF, markdown).
    for mod in ("docx", "pdf", "markdown"):
        with contextlib.suppress(ImportError, AttributeError):
            __import__(f"{__package__}.extract.{mod}", fromlist=["register"]).register(READERS)


def build_report(ext: Extracted, *, source_file: str, sha256: str, fmt: str) -> ParsedReport:
    """Extracted text and grids -> a typed report (template detected from the tables' own labels)."""
    text = clean_text(ext.text)
    tables = group_tables(strip_remark_columns(ext.grids))
    titled = looks_like_report(text) or bool(ext.title_hint and looks_like_report(ext.title_hint))
    if not titled and not tables["T3"]:
        if has_table3_text(text):
            raise DocumentRejected("parse", "tables_unreadable",
                                   "The text holds table 三's row labels (本年新收政府信息公开申请数量…), but no "
                                   "table could be rebuilt from them, and there is no report title.")
        raise DocumentRejected("detect", "not_a_report",
                               "This is not a government information-disclosure annual report: it has neither "
                               "the report title (…政府信息公开工作年度报告) nor its table 三.")
    ident = identify(text, ext.title_hint, source_file)
    title, agency, year = ident.title, ident.agency, ident.year
    if not tables["T3"] and has_table3_text(text) and year >= 2019:
        raise DocumentRejected("parse", "table3_unreadable",
                               "The report's table 三 is printed (its row 本年新收政府信息公开申请数量 is in the text), "
                               "but no table with its rows and seven columns of numbers could be rebuilt from it.")
    check_era(text, year, bool(tables["T3"]))

    t3 = interpret_t3(tables["T3"])
    if "received_new" not in t3.rows_seen or "processed_total" not in t3.rows_seen:
        if year < 2019:
            check_era(text, year, False)
        raise DocumentRejected("parse", "table3_incomplete",
                               "Table 三 was found but its rows 一、本年新收 and （七）总计 could not both be read; "
                               f"rows read: {', '.join(t3.rows_seen) or 'none'}.")
    split_other = any(r in t3.rows_seen for r in ("other_no_correction", "other_unpaid_fee", "other_other"))
    template = detect_template_from_t2(tables["T2"])
    if template is None:
        template = "2021" if split_other or year >= 2021 else "2019"
    warnings = list(ext.warnings) + ident.warnings + list(t3.warnings)
    t2 = interpret_t2(tables["T2"], template)
    if not tables["T2"]:
        warnings.append("table 二 (主动公开政府信息情况) not found: the report loads without its facts")
    t4 = interpret_t4(tables["T4"])
    warnings += t2.warnings + t4.warnings
    expected_rows = load_codes().request_rows_for(template, split_other)
    missing = [r for r in expected_rows if r not in t3.rows_seen and ("T3", r) not in
               {(u.table, u.row_code) for u in ext.unresolved}]
    if missing:
        warnings.append(f"table 三: rows not found: {', '.join(missing)}")
    facts = t2.facts + t3.facts + t4.facts
    # A row the reader could not settle is listed, never loaded (a reader may keep a placeholder reading
    # of it in its grid, e.g. table 四's one row of fifteen cells); of a row read in part, only the cells
    # in doubt are left out.
    whole = {(u.table, u.row_code) for u in ext.unresolved if not u.columns}
    in_part = {(u.table, u.row_code, c) for u in ext.unresolved for c in u.columns}
    facts = [f for f in facts if (f.table, f.row_code) not in whole and (f.table, f.row_code, f.col_code) not in in_part]
    unresolved = list(ext.unresolved) + t2.unresolved
    if any(f.confidence is not None for f in facts):  # read by OCR: the sums check (and may correct) it
        fixed = ocr_repair(facts)
        facts, warnings, unresolved = fixed.facts, warnings + fixed.warnings, unresolved + fixed.unresolved
    if not any(t == "T3" and r.startswith("other_") for t, r in whole):
        facts += derive_other_total(facts)  # not from some of its sub-rows
    if ext.inferred_how or ext.row_inference:
        for f in facts:
            how = ext.row_inference.get((f.table, f.row_code), ext.inferred_how)
            if how and not f.derived and f.confidence is None:  # an OCR cell keeps ocr / ocr_arithmetic
                f.inferred, f.inferred_how = True, how
    warnings += [f"{u.detail} (See unresolved_rows.)" for u in unresolved]
    return ParsedReport(source_file=source_file, sha256=sha256, format=fmt, agency_name=agency, year=year,
                        template=template, title=title, facts=facts, warnings=warnings, narrative=text[:20000],
                        unresolved=unresolved, identity_signals=ident.signals)


def parse_document(path: Path, *, source_file: str | None = None, sha256: str | None = None,
                   max_bytes: int = DEFAULT_MAX_BYTES, data: bytes | None = None) -> ParsedReport | Quarantined:
    """Never raises for bad input: a document that cannot be read or recognised comes back Quarantined.

    ``data``: the document's bytes, already read (the snapshot that was hashed); ``path`` then only names
    it (its suffix helps tell the format). Without it, the file at ``path`` is read.
    """
    source_file = source_file or str(path)
    sha = sha256 or ""
    try:
        size = len(data) if data is not None else path.stat().st_size
        if size > max_bytes:
            raise DocumentRejected("read", "too_large",
                                   f"The file is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB limit for one report.")
        if data is None:
            data = path.read_bytes()
        sha = sha or hashlib.sha256(data).hexdigest()
        if not data.strip():
            raise DocumentRejected("read", "empty_file", "The file is empty: there is nothing to read.")
        fmt = sniff_format(path, data[:8192])
        if fmt == "doc":
            raise DocumentRejected("read", "unsupported_format",
                                   "This is a legacy Word .doc file; convert it to .docx (e.g. `libreoffice --headless "
                                   "--convert-to docx FILE.doc`) and drop the .docx in the inbox.")
        reader = READERS.get(fmt)
        if reader is None and fmt in ("png", "jpg", "jpeg", "gif", "tif", "tiff"):
            raise DocumentRejected("read", "unsupported_format",
                                   f"A picture on its own (.{fmt}) is not a report: pictures are read only as the "
                                   "tables of the HTML page beside them or the DOCX that holds them.")
        if reader is None:
            raise DocumentRejected("read", "unsupported_format",
                                   f"Gongkai does not read .{fmt} files; reports are read from TXT, HTML, DOCX, "
                                   "text PDF or markdown.")
        if fmt in ("txt", "html", "md") and looks_binary(data):
            raise DocumentRejected("read", "binary_content",
                                   f"The file is named as {fmt.upper()} but its content is binary data, not text.")
        with document_folder(path.parent):  # an HTML page's pictures may sit beside it (read, never fetched)
            ext = reader(data)
        return build_report(ext, source_file=source_file, sha256=sha, fmt=fmt)
    except DocumentRejected as e:
        return Quarantined(source_file, sha, e.stage, e.reason, e.detail)
    except MemoryError:
        return Quarantined(source_file, sha, "parse", "memory_limit",
                           "Parsing this document needed more memory than the per-document cap "
                           "(GONGKAI_PARSE_MEMORY_MB); it was stopped.")
    except RecursionError:
        return Quarantined(source_file, sha, "parse", "too_complex", "The document nests too deeply to be read safely.")
    except Exception as e:  # noqa: BLE001 - a parser bug must quarantine one document, not crash the run
        return Quarantined(source_file, sha, "parse", "parser_error",
                           f"The parser failed on this document ({type(e).__name__}: {str(e)[:200]}); "
                           "this is a Gongkai bug worth reporting.")

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
from pipelines.lib.read.decode import decode_bytes, looks_binary
from pipelines.lib.read.detect import check_era, find_title, looks_like_report
from pipelines.lib.read.extract import Extracted
from pipelines.lib.read.extract.html import read_html
from pipelines.lib.read.extract.text import is_tabbed_text, read_tabbed_text

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
PARSER_VERSION = "2"  # bump to re-parse documents whose sha256 was already processed


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# Data, archive and image files that turn up beside reports; none of them is a report Gongkai reads.
OTHER_SUFFIXES = {".csv", ".tsv", ".json", ".xml", ".xls", ".xlsx", ".et", ".wps", ".zip", ".rar", ".7z",
                  ".png", ".jpg", ".jpeg", ".gif", ".tif", ".tiff", ".ofd"}


def sniff_format(path: Path, head: bytes) -> str:
    suffix = path.suffix.lower()
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return "docx" if suffix != ".xlsx" else "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "doc"
    low = head[:4096].lower()
    if suffix in (".html", ".htm", ".shtml", ".xhtml") or b"<html" in low or b"<table" in low or b"<!doctype" in low:
        return "html"
    if suffix in (".md", ".markdown"):
        return "md"
    if suffix in OTHER_SUFFIXES:
        return suffix[1:]  # no reader: quarantined as unsupported_format
    if suffix in (".pdf", ".docx", ".doc"):
        return suffix[1:]  # named so but the bytes say otherwise: the reader will reject it
    return "txt"


# Readers by format: bytes -> Extracted. Formats added by other modules register here.
READERS: dict[str, Callable[[bytes], Extracted]] = {}


def _read_txt(data: bytes) -> Extracted:
    text = decode_bytes(data)
    if is_tabbed_text(text):
        return read_tabbed_text(text)
    if not looks_like_report(text):
        raise DocumentRejected("detect", "not_a_report",
                               "This text is not a government information-disclosure annual report: it has neither "
                               "the report title (…政府信息公开工作年度报告) nor its tables.")
    from pipelines.lib.read.extract import crawler_text  # run-together cells (crawler renderings)

    return crawler_text.read_crawler_text(text)


def _read_html(data: bytes) -> Extracted:
    return read_html(decode_bytes(data, html=True))


READERS["txt"] = _read_txt
READERS["html"] = _read_html


def _register_optional_readers() -> None:
    # Each optional reader module registers itself if it imports (DOCX, PDF, markdown).
    for mod in ("docx", "pdf", "markdown"):
        with contextlib.suppress(ImportError, AttributeError):
            __import__(f"{__package__}.extract.{mod}", fromlist=["register"]).register(READERS)


_register_optional_readers()


def build_report(ext: Extracted, *, source_file: str, sha256: str, fmt: str) -> ParsedReport:
    """Extracted text and grids -> a typed report (template detected from the tables' own labels)."""
    text = clean_text(ext.text)
    tables = group_tables(ext.grids)
    titled = looks_like_report(text) or bool(ext.title_hint and looks_like_report(ext.title_hint))
    if not titled and not tables["T3"]:
        raise DocumentRejected("detect", "not_a_report",
                               "This is not a government information-disclosure annual report: it has neither "
                               "the report title (…政府信息公开工作年度报告) nor its table 三.")
    title, agency, year = find_title(text, ext.title_hint)
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
    warnings = list(ext.warnings) + list(t3.warnings)
    t2 = interpret_t2(tables["T2"], template)
    t4 = interpret_t4(tables["T4"])
    warnings += t2.warnings + t4.warnings
    expected_rows = load_codes().request_rows_for(template, split_other)
    missing = [r for r in expected_rows if r not in t3.rows_seen]
    if missing:
        warnings.append(f"table 三: rows not found: {', '.join(missing)}")
    facts = t2.facts + t3.facts + t4.facts
    unresolved = list(ext.unresolved) + t2.unresolved
    if any(f.confidence is not None for f in facts):  # read by OCR: the sums check (and may correct) it
        fixed = ocr_repair(facts)
        facts, warnings, unresolved = fixed.facts, warnings + fixed.warnings, unresolved + fixed.unresolved
    facts += derive_other_total(facts)
    if ext.inferred_how or ext.row_inference:
        for f in facts:
            how = ext.row_inference.get((f.table, f.row_code), ext.inferred_how)
            if how and not f.derived and f.confidence is None:  # an OCR cell keeps ocr / ocr_arithmetic
                f.inferred, f.inferred_how = True, how
    warnings += [f"{u.detail} (See unresolved_rows.)" for u in unresolved]
    return ParsedReport(source_file=source_file, sha256=sha256, format=fmt, agency_name=agency, year=year,
                        template=template, title=title, facts=facts, warnings=warnings, narrative=text[:20000],
                        unresolved=unresolved)


def parse_document(path: Path, *, source_file: str | None = None, sha256: str | None = None,
                   max_bytes: int = DEFAULT_MAX_BYTES) -> ParsedReport | Quarantined:
    """Never raises for bad input: a document that cannot be read or recognised comes back Quarantined."""
    source_file = source_file or str(path)
    sha = sha256 or ""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise DocumentRejected("read", "too_large",
                                   f"The file is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB limit for one report.")
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
        if reader is None:
            raise DocumentRejected("read", "unsupported_format",
                                   f"Gongkai does not read .{fmt} files; reports are read from TXT, HTML, DOCX, "
                                   "text PDF or markdown.")
        if fmt in ("txt", "html", "md") and looks_binary(data):
            raise DocumentRejected("read", "binary_content",
                                   f"The file is named as {fmt.upper()} but its content is binary data, not text.")
        ext = reader(data)
        return build_report(ext, source_file=source_file, sha256=sha, fmt=fmt)
    except DocumentRejected as e:
        return Quarantined(source_file, sha, e.stage, e.reason, e.detail)
    except RecursionError:
        return Quarantined(source_file, sha, "parse", "too_complex", "The document nests too deeply to be read safely.")
    except Exception as e:  # noqa: BLE001 - a parser bug must quarantine one document, not crash the run
        return Quarantined(source_file, sha, "parse", "parser_error",
                           f"The parser failed on this document ({type(e).__name__}: {str(e)[:200]}); "
                           "this is a Gongkai bug worth reporting.")

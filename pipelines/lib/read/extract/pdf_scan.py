"""Pages of a PDF without a text layer (scans): OCR into the same grids the text reader builds.

Only the pages the text reader found to be images come here (``pdf._Page.scanned``); pages with
text are read as text, so a mixed document reads each table the way its page needs. For each page:

1. a cheap look at 72 dpi, straightened: has the page ruled tables (long rules both ways)?
2. if so, rendered at 200 dpi, straightened, and its tables read cell by cell (``ocr.scan_table``);
3. when no scanned page has a ruled table, each page's ink is grouped into words, each word
   recognised alone (``ocr.scan_words``), and the words go to the word-position reader
   (``pdf_text_layout``) as a text layer's words would; the pages' text comes with them;
4. otherwise the top of the first page (title, agency, year) is read by detection + recognition,
   unless a text page already gives the title.

Time: ``GONGKAI_OCR_TIMEOUT_S`` bounds the whole document (checked before each page), and the
parse fan-out is told to extend the document's deadline (``ocr.budget``). Each page logs a line.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import numpy as np
import pymupdf

from pipelines.lib.model import DocumentRejected
from pipelines.lib.read.grid import Grid

log = logging.getLogger(__name__)

FIND_DPI = 72  # enough to see a table's rules once straightened (at 50 dpi a tilted, faint rule breaks up)
READ_DPI = 200  # the recogniser reads 7–9 pt table print reliably from here on
TEXT_DPI = 150  # prose lines for the title and rule-less tables
TITLE_SHARE = 0.3  # of the first page's height: where the title, agency and year are printed
BLANK_INK = 0.001  # share of ink below which a scanned page is blank (nothing to read)
DOUBTFUL_ROW = 0.5  # confidence below which a label-less row of numbers is taken for a smudge (rule-less tables)
EDGE = 0.04  # share of the page width at each side where nothing of a report is printed (A4 margins are wider)
TITLE_LINES = 4  # lines recognised from the top there (prose lines below cost seconds each and name nothing)


@dataclass
class ScanRead:
    grids: list[Grid] = field(default_factory=list)
    text: str = ""
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    pages: int = 0


def _gray(page: pymupdf.Page, dpi: int, clip: pymupdf.Rect | None = None) -> np.ndarray:
    pix = page.get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY, clip=clip)
    return np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.height, pix.width).copy()


def _lines_text(boxes: list[tuple[tuple[float, float, float, float], str, float]]) -> str:
    """Detected text boxes in reading order (top to bottom, left to right), one line each."""
    boxes = sorted(boxes, key=lambda b: ((b[0][1] + b[0][3]) / 2, b[0][0]))
    lines: list[list] = []
    for b in boxes:
        cy, h = (b[0][1] + b[0][3]) / 2, b[0][3] - b[0][1]
        if lines and abs(cy - lines[-1][0]) < 0.5 * h:
            lines[-1][1].append(b)
        else:
            lines.append([cy, [b]])
    return "\n".join("".join(x[1] for x in sorted(bs, key=lambda x: x[0][0])) for _, bs in lines)


def _doubtful_numbers_only(row) -> bool:
    from pipelines.lib.harmonize.values import looks_numeric

    read = [c for c in row if c.text.strip()]
    return bool(read) and all(looks_numeric(c.text) and c.conf is not None and c.conf < DOUBTFUL_ROW for c in read)


def _unruled_grids(doc: pymupdf.Document, pages: list[int], out: ScanRead, text_parts: list[str],
                   check_time, whole_pages: bool) -> list[Grid]:
    """Tables of scanned pages printed without ruling lines, from the positions of the OCR'd words."""
    from pipelines.lib.read.extract.pdf import RUNNING_MARGIN
    from pipelines.lib.read.extract.pdf_text_layout import OcrText, text_layout_grids
    from pipelines.lib.read.ocr.scan_table import straighten
    from pipelines.lib.read.ocr.scan_words import read_words

    unruled: list[tuple[int, list]] = []
    for k, number in enumerate(pages):
        check_time(k)
        t0 = time.monotonic()
        img = straighten(_gray(doc[number - 1], READ_DPI), READ_DPI, number)
        words = read_words(img)
        # Running headers and page numbers (the margins) are no part of a table, as on a text page; nor is
        # what a photo or scanner leaves at the very edge of the image (a shadow read as '8').
        # (A picture of a table, cropped to it, has no margins: nothing is left out.)
        height, width = doc[number - 1].rect.height, doc[number - 1].rect.width
        edge, margin = (EDGE, RUNNING_MARGIN) if whole_pages else (0.0, 0.0)
        words = [w for w in words if w.x0 >= width * edge and w.x1 <= width * (1 - edge)]
        unruled.append((number, [(w.x0, w.y0, w.x1, w.y1, OcrText(w.text, w.conf)) for w in words
                                 if height * margin <= (w.y0 + w.y1) / 2 <= height * (1 - margin)]))
        text_parts.append(_lines_text([((w.x0, w.y0, w.x1, w.y1), w.text, w.conf) for w in words]))
        out.pages += 1
        log.info("OCR page %d (%d of %d, no rules): %d words, tilt %+.2f°, %.1f s", number, k + 1, len(pages),
                 len(words), img.tilt_deg, time.monotonic() - t0)
    # All pages at once: a table running on to the next page keeps its columns. A slot where no word sits
    # was read as blank paper: certain (1.0), like an empty ruled cell; the repair still doubts an empty number.
    # A row of nothing but numbers the recogniser doubted much, with no label, is ink that is no row (a
    # smudge read as digits): kept, it would stand for a table's row of numbers (table 四 has no labels).
    grids = [Grid([[c._replace(conf=1.0) if c.conf is None else c for c in row] for row in g.rows
                   if not _doubtful_numbers_only(row)], [],
                  f"{g.origin} (scanned, no rules)") for g in text_layout_grids(unruled, numbers_apart=True)]
    if grids:
        out.warnings.append(f"Scanned page(s) {', '.join(map(str, pages))} have tables without ruling "
                            "lines: rows and cells were rebuilt from the positions of the OCR'd words")
    return grids


def read_scanned_pages(data: bytes, page_numbers: list[int], *, need_title: bool, timeout_s: float,
                       whole_pages: bool = True) -> ScanRead:
    """OCR of the given 1-based pages. Raises DocumentRejected when OCR cannot run or runs out of time.

    ``whole_pages=False``: the pages are pictures of tables cropped to them (``ocr.image_tables``), with no
    margins where page numbers or a photo's edge could be left out."""
    from pipelines.lib.read.ocr import budget
    from pipelines.lib.read.ocr.engine import OcrUnavailable, detect_and_recognize
    from pipelines.lib.read.ocr.scan_table import has_ruled_table, ink_share, read_tables, straighten

    out = ScanRead()
    started = time.monotonic()
    budget.announce(timeout_s)
    doc = pymupdf.open(stream=data, filetype="pdf")
    n_pages = len(page_numbers)

    def check_time(done: int) -> None:
        if timeout_s and time.monotonic() - started > timeout_s:
            raise DocumentRejected(
                "read", "ocr_timeout",
                f"OCR of the scanned pages took longer than the {timeout_s:g} s limit (GONGKAI_OCR_TIMEOUT_S); "
                f"{done} of {n_pages} scanned pages were read.")

    try:
        text_parts: list[str] = []
        # Table pages first, cheaply (72 dpi); blank pages are skipped.
        looks = {n: _gray(doc[n - 1], FIND_DPI) for n in page_numbers}
        blank = {n for n, g in looks.items() if ink_share(g, FIND_DPI) < BLANK_INK}
        for n in sorted(blank):
            log.info("OCR page %d: blank, skipped", n)
        pages = [n for n in page_numbers if n not in blank]
        ruled = [n for n in pages if has_ruled_table(straighten(looks[n], FIND_DPI, n).gray, FIND_DPI)]
        if need_title and pages and ruled:  # (without rules, every page's words are read, the title's too)
            page = doc[pages[0] - 1]
            clip = pymupdf.Rect(0, 0, page.rect.width, page.rect.height * TITLE_SHARE)
            boxes = detect_and_recognize(_gray(page, TEXT_DPI, clip), max_lines=TITLE_LINES, stop_after="报告")
            text_parts.append(_lines_text(boxes))
        for k, number in enumerate(ruled):
            check_time(k)
            t0 = time.monotonic()
            img = straighten(_gray(doc[number - 1], READ_DPI), READ_DPI, number)
            grids = read_tables(img)
            out.grids.extend(grids)
            out.pages += 1
            log.info("OCR page %d (%d of %d with rules): %d ruled table(s), tilt %+.2f°, %.1f s", number, k + 1,
                     len(ruled), len(grids), img.tilt_deg, time.monotonic() - t0)
        if not out.grids:
            # No ruled table on any page (a page of dense print can look ruled at low resolution): every page's
            # ink is grouped into words, each recognised alone, and the word-position reader rebuilds the rows.
            out.grids.extend(_unruled_grids(doc, pages, out, text_parts, check_time, whole_pages))
        out.text = "\n".join(t for t in text_parts if t)
    except OcrUnavailable as e:
        raise DocumentRejected(
            "read", "ocr_unavailable",
            f"Page(s) {', '.join(map(str, page_numbers))} of the PDF are scanned images and need OCR, "
            f"but {e}. Install Gongkai with its OCR dependencies (scripts/setup.sh).") from e
    finally:
        doc.close()
    out.seconds = time.monotonic() - started
    return out

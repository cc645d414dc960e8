"""Tables pasted as images into a DOCX or an HTML page, read by OCR through the scanned-page path.

An office types the prose and pastes each table as a picture. The DOCX and HTML readers then find
the title but not the tables; they hand their pictures here (``with_image_tables``), only when the
report's title is there, a table is missing and there are pictures. Each picture becomes a page of
a PDF sized so its print comes out at its real size (the resolution is estimated from the height
of its characters: a pasted picture says nothing reliable about its own scale), and that PDF goes
through ``pdf_scan.read_scanned_pages``: ruled tables cell by cell, tables without rules through the
word-position reader. So every table is read the way its page needs, with the same safety net:
cells carry the recogniser's confidence, facts are ``inferred_how='ocr'``.

Where pictures come from is the readers' business, with their limits: the DOCX's own ``word/media``
parts (never an external link), an HTML page's ``data:`` URIs, and files beside the page in the inbox
(``document_folder``, set by ``parse_document``) — never anything fetched from the network.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from pathlib import Path

import numpy as np

from pipelines.lib.read.extract import Extracted

log = logging.getLogger(__name__)

MAX_IMAGES = 60  # a report pastes a handful of tables (二 may be four pictures); more are not tables
MAX_IMAGE_BYTES = 20 * 1024 * 1024
MAX_PIXELS = 40_000_000  # ~ an A4 page at 600 dpi; a larger picture is refused before it is decoded
MIN_SIDE = 40  # pixels: icons, bullets and spacer GIFs are no tables
CHAR_PT = 7.2  # ink height of a table's Chinese characters at the usual 8 pt print (90th percentile of glyphs)

_folder: ContextVar[Path | None] = ContextVar("document_folder", default=None)


@contextlib.contextmanager
def document_folder(folder: Path | None) -> Iterator[None]:
    """While a document is read: the inbox folder it sits in (where an HTML page's pictures may be)."""
    token = _folder.set(folder)
    try:
        yield
    finally:
        _folder.reset(token)


def current_folder() -> Path | None:
    return _folder.get()


def _gray(data: bytes) -> np.ndarray | None:
    """The picture as 8-bit grey, or None if it is not a picture we read (unknown format, too big, tiny)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as im:
            w, h = im.size
            if w * h > MAX_PIXELS or min(w, h) < MIN_SIDE:
                return None
            return np.asarray(im.convert("L"), dtype=np.uint8).copy()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None


def estimate_dpi(gray: np.ndarray) -> float:
    """Pixels per inch of a picture of printed text: its tallest common glyphs are ~``CHAR_PT`` high."""
    import cv2

    from pipelines.lib.read.ocr.scan_table import binarize

    ink = binarize(gray, 200)
    n, _, st, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    h, w = st[1:, 3], st[1:, 2]
    ok = (h < gray.shape[0] / 8) & (w < gray.shape[1] / 8) & (st[1:, 4] >= 4) & (h >= 3)
    if ok.sum() < 10:
        return 200.0
    return float(np.clip(np.percentile(h[ok], 90) * 72 / CHAR_PT, 60, 600))


def images_as_pdf(images: list[bytes]) -> tuple[bytes, list[int]]:
    """The readable pictures as pages of one PDF, each at its real print size; and which picture each page is."""
    import pymupdf

    doc = pymupdf.open()
    kept = []
    for i, data in enumerate(images):
        gray = _gray(data)
        if gray is None:
            continue
        dpi = estimate_dpi(gray)
        h, w = gray.shape
        page = doc.new_page(width=w * 72 / dpi, height=h * 72 / dpi)
        pix = pymupdf.Pixmap(pymupdf.csGRAY, w, h, gray.tobytes(), False)
        page.insert_image(page.rect, pixmap=pix)
        kept.append(i + 1)
    out = doc.tobytes(garbage=3, deflate=True) if kept else b""
    doc.close()
    return out, kept


def with_image_tables(ext: Extracted, load_images: Callable[[], list[bytes]], kind: str) -> Extracted:
    """``ext`` with the tables of its pictures added, when its title is there but a table is missing.

    ``kind`` names the format in the grids' origin ('docx', 'html'). A picture that holds no table adds
    nothing; OCR that cannot run or runs out of time raises ``DocumentRejected`` (quarantined with why)."""
    from pipelines.lib.harmonize.interpret import group_tables
    from pipelines.lib.read.detect import looks_like_report

    if not looks_like_report(ext.text):
        return ext
    missing = [k for k, grids in group_tables(ext.grids).items() if not grids]
    if not missing:
        return ext
    images = load_images()[:MAX_IMAGES]
    if not images:
        return ext
    from pipelines.lib.model import DocumentRejected
    from pipelines.lib.read.extract.pdf_scan import read_scanned_pages
    from pipelines.lib.read.grid import Grid
    from pipelines.lib.read.ocr.budget import ocr_timeout_from_env

    pdf, which = images_as_pdf(images)
    if not which:
        return ext
    try:
        ocr = read_scanned_pages(pdf, list(range(1, len(which) + 1)), need_title=False,
                                 timeout_s=ocr_timeout_from_env(), whole_pages=False)
    except DocumentRejected as e:  # say pictures, not pages of a PDF
        raise DocumentRejected(e.stage, e.reason, f"The {kind.upper()}'s table(s) {', '.join(missing)} are pasted as "
                                                  f"{len(which)} picture(s) that need OCR: {e.detail}") from e
    # Pages of the temporary PDF are pictures of the document: provenance names the picture, not a page.
    grids = [Grid(g.rows, [None] * len(g.rows),
                  re.sub(r"pdf page (\d+)", lambda m: f"{kind} picture {which[int(m.group(1)) - 1]}", g.origin))
             for g in ocr.grids]
    found = [k for k, gs in group_tables(grids).items() if gs and k in missing]
    if not grids:
        ext.warnings.append(f"{len(which)} picture(s) in the {kind.upper()} were read by OCR, but none holds a table")
        return ext
    ext.grids = ext.grids + grids
    ext.warnings.append(
        f"Table(s) {', '.join(found) or 'none of ' + ', '.join(missing)} read by OCR from {len(which)} picture(s) "
        f"pasted in the {kind.upper()} ({ocr.seconds:.0f} s); their numbers carry the recogniser's confidence")
    ext.warnings.extend(ocr.warnings)
    return ext


_DATA_URI_RE = re.compile(r"^data:image/[a-z0-9.+-]+;base64,", re.I)


def page_pictures(sources: list[str]) -> list[bytes]:
    """An HTML page's pictures in order: ``data:`` URIs, and files that sit in the page's own inbox folder.

    A ``src`` with a scheme (http:, file:), a path into another folder, or one that leads out of the folder
    (``..``, a link) is not read: nothing is fetched, and nothing outside the inbox beside the page is opened."""
    import base64
    import binascii
    from urllib.parse import unquote

    folder = current_folder()
    out: list[bytes] = []
    for src in sources[:MAX_IMAGES]:
        if _DATA_URI_RE.match(src):
            payload = src.split(",", 1)[1]
            if len(payload) > MAX_IMAGE_BYTES * 4 // 3 + 4:
                continue
            try:
                out.append(base64.b64decode(re.sub(r"\s+", "", payload), validate=True))
            except (binascii.Error, ValueError):
                continue
            continue
        name = unquote(src.split("#", 1)[0].split("?", 1)[0])
        name = name[2:] if name.startswith("./") else name
        if folder is None or not name or ":" in name or "/" in name or "\\" in name or name.startswith("."):
            continue
        path = folder / name
        try:
            if path.is_symlink() or not path.is_file() or path.resolve().parent != folder.resolve():
                continue
            if path.stat().st_size > MAX_IMAGE_BYTES:
                continue
            out.append(path.read_bytes())
        except OSError:
            continue
    return out

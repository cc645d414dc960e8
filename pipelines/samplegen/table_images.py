"""Reports whose tables are pasted as images: a DOCX with pictures where its tables were, an HTML page with <img>.

An office types the prose and pastes each table as a picture (a screenshot, or a scan of the stamped
table). ``table_images`` draws each table exactly as the PDF renderer does (``render_pdf._draw_table``),
rasterises it and, with a ``scan.ScanStyle``, degrades it as a scanner would (tilt, blur, noise, JPEG);
without one it is a clean PNG (a screenshot). A table taller than a page comes out as one image per page.

* ``docx_with_table_images``: the generator's DOCX with every table replaced, in place, by an inline
  picture of it (the image in ``word/media/``, the drawing as wide as the text column);
* ``html_with_table_images``: the HTML page with every ``<table>`` replaced by ``<img>``, its ``src`` a
  ``data:`` URI, or (``src='file'``) a file beside the page (``<stem>-table-N.png``) returned with it.

Seeded: the same truth and style give the same bytes. The truth does not change (an image prints the same numbers).
"""

from __future__ import annotations

import base64
import html as htmllib
import io
import re
from dataclasses import replace

import cv2
import numpy as np
import pymupdf

from . import render_pdf
from .scan import ScanStyle, degrade
from .spans import SpanTable, t2_tables, t3_table, t4_table
from .truth import ReportTruth

CLEAN_DPI = 150  # a screenshot of a table at a normal zoom
SCREEN_DPIS = (96, 120, 150)  # screenshots as pasted: a screen at 100 %, 125 %, 150 % zoom
MARGIN_MM = 6.0  # paper kept around the table in its picture (a 2° tilt moves its corners ~4 mm)
MM_PT = 72 / 25.4


def _tables(truth: ReportTruth, split_t2: bool) -> list[tuple[SpanTable, list[float], render_pdf._Style, int]]:
    """Each table of the report in order, with the widths and print style the PDF renderer gives it."""
    w = render_pdf.TEXT_W
    out = [(t, [62.0] + [(w - 62.0) / 3] * 3, render_pdf._Style(9, 7.0), 3) for t in t2_tables(truth, split=split_t2)]
    out.append((t3_table(truth), [7.0, 24.0, 43.0] + [(w - 74.0) / 7] * 7,
                render_pdf._Style(7.5, 7.5, frozenset({0})), 4))
    out.append((t4_table(truth), [w / 15] * 15, render_pdf._Style(7, 6.5), 4))
    return out


def _table_pdf(table: SpanTable, widths: list[float], st, keep_rows: int, ruled: bool) -> tuple[bytes, float]:
    """The table drawn alone from the top of an A4 page (no page numbers); the y (mm) where it ends."""
    text = "".join(s.text for row in table for s in row)

    class _Plain(render_pdf._Pdf):
        def footer(self) -> None:  # a pasted table has no page number under it
            pass

    pdf = _Plain(unit="mm", format="A4")
    pdf.set_margins(render_pdf.MARGIN_X, render_pdf.MARGIN_TOP, render_pdf.MARGIN_X)
    pdf.set_auto_page_break(False)
    pdf.add_font(render_pdf.FAMILY, "", str(render_pdf._font_for(text)))
    pdf.add_page()
    pdf.set_y(render_pdf.MARGIN_TOP)
    render_pdf._draw_table(pdf, table, widths, st, keep_rows=keep_rows, ruled=ruled)
    return bytes(pdf.output()), pdf.get_y() - 4


def table_images(truth: ReportTruth, *, style: ScanStyle | None = None, split_t2: bool = False,
                 ruled: bool = True, dpi: int = CLEAN_DPI) -> list[list[bytes]]:
    """Per table (二's, 三, 四 in order): its picture(s), a PNG at ``dpi`` when clean, a JPEG at the style's
    dpi when ``style`` degrades it."""
    rng = np.random.default_rng(style.seed if style else 0)
    out = []
    for table, widths, st, keep in _tables(truth, split_t2):
        data, end_y = _table_pdf(table, widths, st, keep, ruled)
        doc = pymupdf.open(stream=data, filetype="pdf")
        pics = []
        for page in doc:
            last = page.number == len(doc) - 1
            bottom = end_y if last else render_pdf.PAGE_H - render_pdf.MARGIN_BOTTOM
            clip = pymupdf.Rect((render_pdf.MARGIN_X - MARGIN_MM) * MM_PT, (render_pdf.MARGIN_TOP - MARGIN_MM) * MM_PT,
                                (render_pdf.MARGIN_X + sum(widths) + MARGIN_MM) * MM_PT, (bottom + MARGIN_MM) * MM_PT)
            pix = page.get_pixmap(dpi=style.dpi if style else dpi, colorspace=pymupdf.csGRAY, clip=clip)
            gray = np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.height, pix.width)
            if style is None:
                ok, enc = cv2.imencode(".png", gray)
            else:
                ok, enc = cv2.imencode(".jpg", degrade(gray, style, rng), [cv2.IMWRITE_JPEG_QUALITY, style.jpeg_quality])
            assert ok
            pics.append(enc.tobytes())
        doc.close()
        out.append(pics)
    return out


def _ext(img: bytes) -> str:
    return "png" if img.startswith(b"\x89PNG") else "jpeg"


def docx_with_table_images(docx: bytes, images: list[list[bytes]]) -> bytes:
    """The DOCX with its body tables, in order, each replaced by its picture(s) where it stood."""
    from docx import Document
    from docx.shared import Mm

    from .render_docx import _stable_zip

    doc = Document(io.BytesIO(docx))
    tables = list(doc.tables)
    assert len(tables) == len(images), (len(tables), len(images))
    for tbl, pics in zip(tables, images, strict=True):
        for img in pics:
            par = doc.add_paragraph()
            par.add_run().add_picture(io.BytesIO(img), width=Mm(render_pdf.TEXT_W))
            tbl._element.addprevious(par._p)  # moved from the end of the body to where the table was
        tbl._element.getparent().remove(tbl._element)
    buf = io.BytesIO()
    doc.save(buf)
    return _stable_zip(buf.getvalue())


def html_with_table_images(page: str, images: list[list[bytes]], *, src: str = "data", stem: str = "report"
                           ) -> tuple[str, dict[str, bytes]]:
    """The page with each <table> replaced by <img> (``src='data'``: a data: URI; ``'file'``: a file beside
    the page, returned as {file name: bytes})."""
    files: dict[str, bytes] = {}
    counter = iter(range(1, 10**6))
    pictures = iter(images)

    def img_tags(_m: re.Match) -> str:
        tags = []
        for img in next(pictures):
            k = next(counter)
            if src == "data":
                ref = f"data:image/{_ext(img)};base64,{base64.b64encode(img).decode()}"
            else:
                ref = f"{stem}-table-{k}.{'png' if _ext(img) == 'png' else 'jpg'}"
                files[ref] = img
            tags.append(f'<p style="text-align:center"><img src="{htmllib.escape(ref)}" alt="表{k}" /></p>')
        return "".join(tags)

    out = re.sub(r"<table.*?</table>", img_tags, page, flags=re.S)
    return out, files



def variant_files(truth: ReportTruth, fmt: str, v, stem: str = "report") -> dict[str, bytes]:
    """A variation (``variations.Variation``) with ``table_images`` set, as files: ``{stem}.{fmt}`` and, for
    ``image_src='sibling_file'``, the pictures beside it. Pictures of a 'scan' are degraded with a style
    seeded by the report, so the same truth and variation give the same bytes."""
    import random

    from .scan import random_style
    from .variations import render_html_variant, title_lines

    v = v.for_format(fmt)
    rng = random.Random(f"table-images/{truth.agency.slug}/{truth.year}")
    style = random_style(rng) if v.table_images == "scan" else None
    images = table_images(truth, style=style, split_t2=v.t2_split, dpi=rng.choice(SCREEN_DPIS),
                          ruled=v.table_images != "unruled")
    if fmt == "docx":
        from . import render_docx

        doc = render_docx.render(truth, split_t2=v.t2_split, title_lines=title_lines(truth, v.title_form))
        return {f"{stem}.docx": docx_with_table_images(doc, images)}
    if fmt == "html":
        from .variations import encode

        # Pictures replace <table> markup: a page inside a JS string or with <pre> tables has none to replace.
        plain = replace(v, js_embed=False, html_tables="table", table_images="none")
        page = render_html_variant(truth, plain).decode({"utf-16-bom": "utf-16"}.get(v.encoding, v.encoding))
        page, files = html_with_table_images(page, images, src="file" if v.image_src == "sibling_file" else "data",
                                             stem=stem)
        return {f"{stem}.html": encode(page, v.encoding), **files}
    raise ValueError(f"{fmt}: tables as pictures are generated for docx and html")

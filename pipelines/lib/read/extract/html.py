"""HTML pages: every innermost <table> rebuilt with rowspan/colspan; the page text for title and narrative.

Also unwraps a page that sits escaped inside a JavaScript or JSON string literal. A page whose tables are
pictures (``<img>``: a ``data:`` URI or a file beside the page) has them read by OCR (``ocr.image_tables``).
"""

from __future__ import annotations

import html as htmllib
import json
import re

from lxml import etree

from pipelines.lib.model import DocumentRejected
from pipelines.lib.read.extract import Extracted
from pipelines.lib.read.grid import SpanCell, expand_spans

_BLOCK_TAGS = ("br", "p", "div", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "li", "table", "section", "title")
_JS_STRING_RE = re.compile(r'"((?:[^"\\]|\\.){200,})"|\'((?:[^\'\\]|\\.){200,})\'|`((?:[^`\\]|\\.){200,})`', re.S)


def unwrap_embedded_html(text: str) -> str:
    """If the tables sit in an escaped JS/JSON string, return that string unescaped."""
    low = text.lower()
    escaped = ("\\u003ctable" in low) or ("<table" in low and '\\"' in text) or \
              ("&lt;table" in low and "<table" not in low)
    if not escaped:
        return text
    if "&lt;table" in low and "<table" not in low:
        return htmllib.unescape(text)
    best = None
    for m in _JS_STRING_RE.finditer(text):
        lit = next(g for g in m.groups() if g is not None)
        low = lit.lower()
        if "table" in low and ("\\u003c" in low or "<table" in low) and (best is None or len(lit) > len(best)):
            best = lit
    if best is None:
        return text
    try:
        return json.loads('"' + best.replace('\n', '\\n') + '"')
    except json.JSONDecodeError:
        return best.encode("utf-8").decode("unicode_escape", errors="replace").encode("latin-1", errors="replace") \
            .decode("utf-8", errors="replace")


_STRING = etree.XPath("string()")
_new = tuple.__new__  # a NamedTuple without its Python-level __new__: one per table cell
_CELL_TAGS = frozenset(("td", "th"))


def _text(el) -> str:
    n = len(el)
    if n == 0:  # no child elements: its own text is all of it
        return el.text or ""
    if n == 1:  # the common <td><p>12</p></td>; XPath string() costs several times more
        child = el[0]
        if len(child) == 0:
            return (el.text or "") + (child.text or "") + (child.tail or "")
    return str(_STRING(el))


def _span(v: str | None) -> int:
    if v is None:
        return 1
    if v.isdigit():
        return int(v)
    digits = re.sub(r"\D", "", v)
    return int(digits) if digits else 1


def read_html(text: str) -> Extracted:
    text = unwrap_embedded_html(text)
    try:
        # lxml.etree's parser, not lxml.html's: its per-element class lookup costs more than the parse.
        # The text is already decoded (decode.py weighed the bytes and any <meta charset>); the parser is told
        # its bytes are UTF-8, so a page's own charset declaration is never applied a second time.
        parser = etree.HTMLParser(recover=True, no_network=True, remove_comments=True, remove_pis=True,
                                  huge_tree=False, encoding="utf-8")
        doc = etree.fromstring(text.encode("utf-8"), parser)
    except (etree.ParserError, ValueError) as e:
        raise DocumentRejected("read", "unparseable_html", f"The HTML could not be parsed: {e}.") from e
    if doc is None:
        raise DocumentRejected("read", "unparseable_html", "The HTML page has no content.")
    for bad in doc.xpath("//script|//style|//noscript"):
        bad.getparent().remove(bad)  # drops the element's tail too: only whitespace in practice
    title_el = doc.find(".//title")
    title_hint = _text(title_el).strip() if title_el is not None else None
    # Line breaks where the page breaks lines, so cell labels and the page text keep them.
    for el in doc.iter(*_BLOCK_TAGS):
        el.tail = "\n" + (el.tail or "")
    grids = []
    for t_i, table in enumerate(doc.iter("table")):
        if table.find(".//table") is not None:
            continue  # layout wrapper: its inner tables are read on their own
        rows = []
        for tr in table.xpath("./tr|./thead/tr|./tbody/tr|./tfoot/tr"):
            rows.append([_new(SpanCell, (_text(td).strip(), _span(td.get("rowspan")), _span(td.get("colspan"))))
                         for td in tr if td.tag in _CELL_TAGS])
        if rows:
            grids.append(expand_spans(rows, origin=f"html table {t_i + 1}"))
    body = doc.find("body")
    page_text = _text(body if body is not None else doc)
    ext = Extracted(text=page_text, grids=grids, title_hint=title_hint)
    sources = [src for img in doc.iter("img") if (src := (img.get("src") or "").strip())]
    if not sources:
        return ext
    from pipelines.lib.read.ocr.image_tables import page_pictures, with_image_tables

    return with_image_tables(ext, lambda: page_pictures(sources), "html")

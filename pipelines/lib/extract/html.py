"""HTML pages: every innermost <table> rebuilt with rowspan/colspan; the page text for title and narrative.

Also unwraps a page that sits escaped inside a JavaScript or JSON string literal.
"""

from __future__ import annotations

import html as htmllib
import json
import re

import lxml.html
from lxml import etree

from ..grid import SpanCell, expand_spans
from ..model import DocumentRejected
from . import Extracted

_BLOCK_TAGS = ("br", "p", "div", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "li", "table", "section", "title")
_JS_STRING_RE = re.compile(r'"((?:[^"\\]|\\.){200,})"|\'((?:[^\'\\]|\\.){200,})\'|`((?:[^`\\]|\\.){200,})`', re.S)


def unwrap_embedded_html(text: str) -> str:
    """If the tables sit in an escaped JS/JSON string, return that string unescaped."""
    escaped = ("\\u003ctable" in text.lower()) or ('<table' in text.lower() and '\\"' in text) or \
              ("&lt;table" in text.lower() and "<table" not in text.lower())
    if not escaped:
        return text
    if "&lt;table" in text.lower() and "<table" not in text.lower():
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


def _cell_text(el) -> str:
    for br in el.iter("br"):
        br.tail = "\n" + (br.tail or "")
    for p in el.iter("p", "div"):
        p.tail = "\n" + (p.tail or "")
    return el.text_content().strip()


def _span(el, name: str) -> int:
    try:
        return int(re.sub(r"\D", "", el.get(name, "1")) or 1)
    except ValueError:
        return 1


def read_html(text: str) -> Extracted:
    text = unwrap_embedded_html(text)
    try:
        parser = lxml.html.HTMLParser(recover=True, no_network=True, remove_comments=True,
                                      remove_pis=True, huge_tree=False)
        doc = lxml.html.document_fromstring(text.encode("utf-8"), parser=parser)
    except (etree.ParserError, ValueError) as e:
        raise DocumentRejected("read", "unparseable_html", f"The HTML could not be parsed: {e}.") from e
    for bad in doc.xpath("//script|//style|//noscript"):
        bad.drop_tree()
    title_el = doc.find(".//title")
    title_hint = title_el.text_content().strip() if title_el is not None else None
    grids = []
    for t_i, table in enumerate(doc.iter("table")):
        if table.xpath(".//table"):
            continue  # layout wrapper: its inner tables are read on their own
        rows = []
        for tr in table.xpath("./tr|./thead/tr|./tbody/tr|./tfoot/tr"):
            rows.append([SpanCell(_cell_text(td), _span(td, "rowspan"), _span(td, "colspan"))
                         for td in tr.xpath("./td|./th")])
        if rows:
            grids.append(expand_spans(rows, origin=f"html table {t_i + 1}"))
    for el in doc.iter(*_BLOCK_TAGS):
        el.tail = "\n" + (el.tail or "")
    body = doc.find("body")
    page_text = (body if body is not None else doc).text_content()
    return Extracted(text=page_text, grids=grids, title_hint=title_hint)

"""DOCX files: every innermost Word table rebuilt on the grid model; the body's paragraphs as text.

Reads ``word/document.xml`` straight from the zip. Only when the title is there but a table is
missing does it look for pictures (tables pasted as images, read by OCR: ``ocr.image_tables``): the
relationship part then names the embedded ``word/media`` parts; an external (linked) target is
never followed, so linked images, hyperlinks or templates are never fetched. The zip is checked for bombs
before anything is decompressed and the XML is parsed without DTDs or entity expansion.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator

from lxml import etree

from pipelines.lib.model import DocumentRejected
from pipelines.lib.read.extract import Extracted
from pipelines.lib.read.grid import Grid, GridCell, check_grid_size

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W_STRICT_NS = "http://purl.oclc.org/ooxml/wordprocessingml/main"  # Word's "Strict Open XML" save option
MC_NS = "http://schemas.openxmlformats.org/markup-compatibility/2006"
DOCUMENT_PART = "word/document.xml"

# A report's DOCX is a few MB at most; these caps stop a crafted archive long before it hurts.
MAX_MEMBERS = 5000
MAX_MEMBER_BYTES = 100 * 1024 * 1024
MAX_TOTAL_BYTES = 100 * 1024 * 1024
MAX_RATIO = 100  # Word XML compresses ~10-30x; far beyond that is a bomb
RATIO_MIN_BYTES = 1024 * 1024  # tiny members may compress absurdly well without harm

_DOCTYPE_RE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.I)
_WRAPPERS = {f"{{{W_NS}}}{n}" for n in ("sdt", "sdtContent", "customXml", "smartTag", "ins")}


def _w(name: str) -> str:
    return f"{{{W_NS}}}{name}"


# Qualified tag names, built once: the readers compare hundreds of thousands of tags per document.
_P, _TBL, _TR, _TC, _T, _TAB, _BR, _CR = (_w(n) for n in ("p", "tbl", "tr", "tc", "t", "tab", "br", "cr"))
_TCPR, _TRPR, _VAL = _w("tcPr"), _w("trPr"), _w("val")
_GRID_SPAN, _V_MERGE, _H_MERGE, _GRID_BEFORE = (_w(n) for n in ("gridSpan", "vMerge", "hMerge", "gridBefore"))
_NOT_PRINTED = {_w(n) for n in ("delText", "instrText", "pPr", "rPr")}  # deleted revisions, field codes, props
_FALLBACK = f"{{{MC_NS}}}Fallback"
_TEXT_OF = {_T: None, _TAB: "\t", _BR: "\n", _CR: "\n"}


def _reject(reason: str, detail: str) -> DocumentRejected:
    return DocumentRejected("read", reason, detail)


def _check_archive(zf: zipfile.ZipFile) -> None:
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise _reject("zip_bomb", f"The DOCX archive holds {len(infos)} files, far more than a Word document has.")
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > MAX_MEMBER_BYTES or total > MAX_TOTAL_BYTES:
            raise _reject("zip_bomb", f"The DOCX archive would expand to over {MAX_TOTAL_BYTES // 2**20} MB "
                                      f"(member {info.filename!r}); it is refused as a zip bomb.")
        if info.file_size > RATIO_MIN_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise _reject("zip_bomb", f"The DOCX member {info.filename!r} is compressed more than {MAX_RATIO}:1 "
                                      "(a zip bomb pattern); it is refused.")


def _read_member(zf: zipfile.ZipFile, name: str) -> bytes:
    # Read with a hard limit too: a forged header may understate the real size.
    try:
        with zf.open(name) as f:
            data = f.read(MAX_MEMBER_BYTES + 1)
    except KeyError as e:
        raise _reject("corrupt_docx", f"The file is a zip archive but has no {DOCUMENT_PART}: not a Word document.") from e
    if len(data) > MAX_MEMBER_BYTES:
        raise _reject("zip_bomb", f"{name} expands beyond {MAX_MEMBER_BYTES // 2**20} MB; it is refused as a zip bomb.")
    return data


def _parse_xml(data: bytes) -> etree._Element:
    # Word never writes a DTD; one in document.xml can only serve entity tricks (billion laughs, XXE).
    probe = data if not data.startswith((b"\xff\xfe", b"\xfe\xff")) else data.decode("utf-16", "replace").encode()
    if _DOCTYPE_RE.search(probe):
        raise _reject("unsafe_xml", "The document's XML declares a DOCTYPE or entities (an entity-expansion or "
                                    "external-entity attack pattern); it is refused unread.")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False,
                             dtd_validation=False, remove_comments=True, remove_pis=True)
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as e:
        raise _reject("corrupt_docx", f"The document's XML is malformed ({e}).") from e
    if root.getroottree().docinfo.doctype:
        raise _reject("unsafe_xml", "The document's XML declares a DOCTYPE; it is refused.")
    return root


def _open_document(data: bytes) -> etree._Element:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            _check_archive(zf)
            xml = _read_member(zf, DOCUMENT_PART)
    except DocumentRejected:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, ValueError,
            NotImplementedError, RuntimeError) as e:  # RuntimeError: an encrypted zip member
        raise _reject("corrupt_docx", f"The DOCX file is damaged or not a zip archive ({type(e).__name__}: {e}).") from e
    root = _parse_xml(xml)
    if root.tag.startswith(f"{{{W_STRICT_NS}}}"):
        _strict_to_transitional(root)
    return root


def _strict_to_transitional(root: etree._Element) -> None:
    """Rename Strict-namespace tags and attributes in place, so one set of names reads both flavours."""
    strict, trans = f"{{{W_STRICT_NS}}}", f"{{{W_NS}}}"
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag.startswith(strict):
            el.tag = trans + el.tag[len(strict):]
        for key in [k for k in el.attrib if k.startswith(strict)]:
            el.set(trans + key[len(strict):], el.attrib.pop(key))


def _blocks(el: etree._Element) -> Iterator[etree._Element]:
    """Paragraphs and tables of a body or cell, in order, looking through content-control wrappers."""
    for child in el:
        if child.tag in (_P, _TBL):
            yield child
        elif child.tag in _WRAPPERS:
            yield from _blocks(child)


def _children(el: etree._Element, tag: str) -> Iterator[etree._Element]:
    """Direct ``tag`` children (rows of a table, cells of a row), also those inside content controls."""
    qualified = _w(tag)
    for child in el:
        if child.tag == qualified:
            yield child
        elif child.tag in _WRAPPERS:
            yield from _children(child, tag)


def _paragraph_text(p: etree._Element) -> str:
    if next(p.iter(_FALLBACK), None) is None:
        # The common case, in C: w:t/w:tab/w:br/w:cr in document order (deleted text and field codes
        # are other tags, so they are not among them).
        return "".join((el.text or "") if (mark := _TEXT_OF[el.tag]) is None else mark
                       for el in p.iter(_T, _TAB, _BR, _CR))
    parts: list[str] = []

    def walk(el: etree._Element) -> None:
        for child in el:
            tag = child.tag
            if not isinstance(tag, str) or tag == _FALLBACK:
                continue  # comments, and the legacy duplicate of alternate content
            if tag == _T:
                parts.append(child.text or "")
            elif tag == _TAB:
                parts.append("\t")
            elif tag in (_BR, _CR):
                parts.append("\n")
            elif tag in _NOT_PRINTED:
                continue  # deleted revisions and field codes are not printed text
            else:
                walk(child)

    walk(p)
    return "".join(parts)


def _int_attr(el: etree._Element | None, default: int) -> int:
    if el is None:
        return default
    try:
        return max(0, int(el.get(_VAL, default)))
    except ValueError:
        return default


def _cell_props(tc: etree._Element) -> tuple[int, str | None, bool]:
    """(gridSpan, vMerge state or None, legacy hMerge continuation)."""
    pr = tc.find(_TCPR)
    if pr is None:
        return 1, None, False
    span, vmerge, h_continue = 1, None, False
    for el in pr:  # one pass over the properties instead of a search per property
        tag = el.tag
        if tag == _GRID_SPAN:
            span = max(1, min(_int_attr(el, 1), 100))
        elif tag == _V_MERGE:
            vmerge = el.get(_VAL) or "continue"  # no val means continue
        elif tag == _H_MERGE:
            h_continue = (el.get(_VAL) or "continue") == "continue"
    return span, vmerge, h_continue


def _cell_text(tc: etree._Element) -> str:
    # A nested table's text stays out of its host cell: that table becomes a grid of its own.
    return "\n".join(_paragraph_text(b) for b in _blocks(tc) if b.tag == _P).strip()


def _table_grid(tbl: etree._Element, origin: str) -> Grid:
    """Place a w:tbl on a rectangular grid: gridSpan -> h_copy cells, vMerge continue -> v_copy cells."""
    rows: list[list[GridCell]] = []
    for tr in _children(tbl, "tr"):
        pr = tr.find(_TRPR)
        before = _int_attr(pr.find(_GRID_BEFORE) if pr is not None else None, 0)
        out: list[GridCell] = [GridCell("") for _ in range(min(before, 100))]
        for tc in _children(tr, "tc"):
            span, vmerge, h_continue = _cell_props(tc)
            check_grid_size(len(rows) + 1, len(out) + span, origin)  # bound before allocating
            if h_continue and out:
                # Legacy horizontal merge: this cell continues the one to its left.
                left = out[-1]
                out.extend(GridCell(left.text, h_copy=True, v_copy=left.v_copy) for _ in range(span))
                continue
            col = len(out)
            above = rows[-1][col] if rows and col < len(rows[-1]) else None
            if vmerge == "continue" and above is not None:
                out.append(GridCell(above.text, v_copy=True))
                out.extend(GridCell(above.text, h_copy=True, v_copy=True) for _ in range(span - 1))
            else:
                text = _cell_text(tc)
                out.append(GridCell(text))
                out.extend(GridCell(text, h_copy=True) for _ in range(span - 1))
        rows.append(out)
    width = max((len(r) for r in rows), default=0)
    check_grid_size(len(rows), width, origin)
    for r in rows:
        r.extend(GridCell("") for _ in range(width - len(r)))
    return Grid(rows, [], origin)


def _collect(el: etree._Element, lines: list[str], grids: list[Grid]) -> None:
    for block in _blocks(el):
        if block.tag == _P:
            lines.append(_paragraph_text(block))
            continue
        nested = [t for tc in block.iter(_TC) for t in _blocks(tc) if t.tag == _TBL]
        if nested:
            # A layout table wrapping real tables: read the inner ones on their own (innermost wins).
            for tr in _children(block, "tr"):
                for tc in _children(tr, "tc"):
                    _collect(tc, lines, grids)
            continue
        grid = _table_grid(block, origin=f"docx table {len(grids) + 1}")
        grids.append(grid)
        for row in grid.rows:
            lines.append("\t".join(c.text.replace("\n", "") for c in row if not c.h_copy and not c.v_copy))


def read_docx_bytes(data: bytes) -> Extracted:
    root = _open_document(data)
    body = root.find(_w("body"))
    if body is None:
        raise _reject("corrupt_docx", "The DOCX document has no body.")
    lines: list[str] = []
    grids: list[Grid] = []
    _collect(body, lines, grids)
    ext = Extracted(text="\n".join(lines), grids=grids)
    if not any(True for _ in root.iter(_BLIP, _VML_IMAGE)):
        return ext
    from pipelines.lib.read.ocr.image_tables import with_image_tables

    return with_image_tables(ext, lambda: _embedded_pictures(data, root), "docx")


_BLIP = "{http://schemas.openxmlformats.org/drawingml/2006/main}blip"
_VML_IMAGE = "{urn:schemas-microsoft-com:vml}imagedata"
_R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_RELS_PART = "word/_rels/document.xml.rels"


def _embedded_pictures(data: bytes, root: etree._Element) -> list[bytes]:
    """The pictures of the body in document order: only parts inside the archive under word/media."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        if _RELS_PART not in zf.namelist():
            return []
        rels = _parse_xml(_read_member(zf, _RELS_PART))
        targets = {}
        for rel in rels:
            target = rel.get("Target") or ""
            if rel.get("TargetMode") == "External" or "://" in target:
                continue  # linked, not embedded: never fetched
            name = posixpath.normpath(posixpath.join("word", target.lstrip("/")) if not target.startswith("/")
                                      else target.lstrip("/"))
            if name.startswith("word/media/"):
                targets[rel.get("Id")] = name
        names = zf.namelist()
        out = []
        for el in root.iter(_BLIP, _VML_IMAGE):
            rid = el.get(f"{{{_R_NS}}}embed") or el.get(f"{{{_R_NS}}}id")
            name = targets.get(rid)
            if name in names:
                out.append(_read_member(zf, name))
        return out


def register(readers: dict[str, Callable[[bytes], Extracted]]) -> None:
    readers["docx"] = read_docx_bytes

"""Bytes -> text for text-like formats: BOMs, UTF-8, then GB18030/GBK/UTF-16 detection."""

from __future__ import annotations

import codecs
import re

from pipelines.lib.model import DocumentRejected

_CONTROL_BYTES = bytes(b for b in range(32) if b < 9 or b > 13)
_META_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_\-]+)""", re.I)


def decode_bytes(data: bytes, *, html: bool = False) -> str:
    if not data.strip():
        raise DocumentRejected("read", "empty_file", "The file is empty: there is nothing to read.")
    for bom, enc in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return data.decode(enc, errors="replace")
    if html:
        m = _META_CHARSET_RE.search(data[:4096])
        if m:
            enc = m.group(1).decode("ascii").lower()
            if enc in ("gb2312", "gbk"):
                enc = "gb18030"  # the superset; gb2312 pages routinely use GBK characters
            try:
                return data.decode(enc)
            except (LookupError, UnicodeDecodeError):
                pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    # UTF-16 without BOM: every other byte of ASCII text is NUL.
    if data[1:200:2].count(0) > 40 or data[0:200:2].count(0) > 40:
        try:
            return data.decode("utf-16-le" if data[1] == 0 else "utf-16-be")
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data[:200_000]).best()
    if best is not None and best.encoding:
        return data.decode(best.encoding, errors="replace")
    raise DocumentRejected("read", "undecodable_text",
                           "The file's bytes are not text in any encoding we know (UTF-8, UTF-16, GB18030).")


def looks_binary(data: bytes) -> bool:
    head = data[:4096]
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    if head[1:400:2].count(0) > 100 or head[0:400:2].count(0) > 100:
        return False  # UTF-16 text
    control = len(head) - len(head.translate(None, _CONTROL_BYTES))
    return head.count(0) > 0 or control > len(head) * 0.05

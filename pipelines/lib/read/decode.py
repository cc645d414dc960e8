"""Bytes -> text for text-like formats, with the encoding decided once from bytes and declarations together.

Order of evidence, strongest first:
1. a byte-order mark (UTF-8, UTF-16 LE/BE) — the bytes say what they are;
2. UTF-16 without a BOM (every other byte of CJK/ASCII text is NUL in one lane);
3. strict UTF-8: a multi-byte Chinese text that decodes as UTF-8 is UTF-8, whatever a ``<meta charset>``
   says (crawlers re-encode pages to UTF-8 and leave the old ``gb2312`` declaration behind);
4. a declared charset (HTML ``<meta>``, XML prolog), trusted only when the bytes decode under it;
5. GB18030 (the superset of GB2312/GBK that Chinese government sites use);
6. nearly-valid UTF-8 (a stray invalid byte or two): decoded with U+FFFD and the count noted as a warning;
7. charset-normalizer's best guess, noted as a warning.

The text is decoded exactly once with the chosen codec, so a declared charset is never applied on top of a
decoding that already happened.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field

from pipelines.lib.model import DocumentRejected

_CONTROL_BYTES = bytes(b for b in range(32) if b < 9 or b > 13)
_META_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)
_XML_ENCODING_RE = re.compile(rb"""<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_\-]+)""", re.I)
# Declared names that mean GB18030 in practice: pages labelled gb2312 routinely hold GBK-only characters.
_GB_ALIASES = {"gb2312", "gbk", "gb_2312", "gb_2312-80", "x-gbk", "cp936", "euc-cn", "gb18030", "hz-gb-2312"}
# Invalid sequences a UTF-8 document may carry and still be read as UTF-8 (per 10,000 bytes, minimum 3).
_STRAY_PER_10K = 3


@dataclass
class Decoded:
    text: str
    encoding: str  # the codec actually used
    how: str  # which evidence decided: bom / utf16_nul / utf8 / declared / gb18030 / utf8_repaired / guessed
    declared: str | None = None  # the charset the document declares, if any
    warnings: list[str] = field(default_factory=list)


def declared_charset(data: bytes) -> str | None:
    """The charset an HTML/XML document declares in its first 4 KB, lower-cased, or None."""
    head = data[:4096]
    m = _META_CHARSET_RE.search(head) or _XML_ENCODING_RE.search(head)
    return m.group(1).decode("ascii").lower() if m else None


def _codec_for(declared: str) -> str | None:
    if declared in _GB_ALIASES:
        return "gb18030"
    try:
        return codecs.lookup(declared).name
    except LookupError:
        return None


def _text_score(text: str) -> float:
    """Share of characters a Chinese report is made of: CJK ideographs and punctuation, ASCII, full-width forms."""
    if not text:
        return 0.0
    ok = sum(1 for ch in text if ch in "\n\r\t" or " " <= ch <= "~" or "\u4e00" <= ch <= "\u9fff"
             or "\u3000" <= ch <= "\u303f" or "\uff00" <= ch <= "\uffef" or "\u2010" <= ch <= "\u201f")
    return ok / len(text)


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 LE/BE without a BOM: one byte order reads as Chinese text, the other as noise."""
    if len(data) < 4 or len(data) % 2 or b"\x00" not in data[:4000]:
        return None  # report text always has some ASCII (digits, line breaks), whose UTF-16 carries NULs
    sample = data[:4000]
    scores = {enc: _text_score(sample.decode(enc, errors="replace")) for enc in ("utf-16-le", "utf-16-be")}
    enc = max(scores, key=scores.get)
    return enc if scores[enc] > 0.95 else None


def _invalid_utf8_count(data: bytes) -> int:
    return data.decode("utf-8", errors="replace").count("\ufffd") - data.decode("utf-8", errors="ignore").count("\ufffd")


def decode_document(data: bytes) -> Decoded:
    """Decide the encoding once and decode; raises DocumentRejected only when no encoding fits at all."""
    if not data.strip():
        raise DocumentRejected("read", "empty_file", "The file is empty: there is nothing to read.")
    declared = declared_charset(data)
    for bom, enc in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return Decoded(data.decode(enc, errors="replace"), enc, "bom", declared)
    enc16 = _utf16_without_bom(data)
    if enc16:
        try:
            return Decoded(data.decode(enc16), enc16, "utf16_nul", declared)
        except UnicodeDecodeError:
            pass
    try:
        text = data.decode("utf-8")
        warnings = []
        if declared and _codec_for(declared) not in (None, "utf-8") and not data.isascii():
            warnings.append(f"the document declares charset={declared}, but its bytes are valid UTF-8 "
                            "(re-encoded by a crawler); read as UTF-8")
        return Decoded(text, "utf-8", "utf8", declared, warnings)
    except UnicodeDecodeError:
        pass
    if declared:
        codec = _codec_for(declared)
        if codec and codec != "utf-8":
            try:
                return Decoded(data.decode(codec), codec, "declared", declared)
            except UnicodeDecodeError:
                pass
    try:
        return Decoded(data.decode("gb18030"), "gb18030", "gb18030", declared)
    except UnicodeDecodeError:
        pass
    bad = _invalid_utf8_count(data)
    if bad <= max(_STRAY_PER_10K, len(data) * _STRAY_PER_10K // 10_000):
        return Decoded(data.decode("utf-8", errors="replace"), "utf-8", "utf8_repaired", declared,
                       [f"{bad} byte sequence(s) are not valid UTF-8 in an otherwise UTF-8 document; "
                        "each was replaced by U+FFFD"])
    from charset_normalizer import from_bytes

    best = from_bytes(data[:200_000]).best()
    if best is not None and best.encoding:
        return Decoded(data.decode(best.encoding, errors="replace"), best.encoding, "guessed", declared,
                       [f"encoding guessed as {best.encoding} (no BOM, not UTF-8 or GB18030)"])
    raise DocumentRejected("read", "undecodable_text",
                           "The file's bytes are not text in any encoding we know (UTF-8, UTF-16, GB18030).")


def decode_bytes(data: bytes, *, html: bool = False) -> str:
    """The text only (``html`` is accepted for old callers: declarations are always weighed)."""
    return decode_document(data).text


def looks_binary(data: bytes) -> bool:
    head = data[:4096]
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    if _utf16_without_bom(head[: len(head) // 2 * 2]):
        return False  # UTF-16 text without a BOM
    control = len(head) - len(head.translate(None, _CONTROL_BYTES))
    return head.count(0) > 0 or control > len(head) * 0.05

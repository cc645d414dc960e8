"""The one text normalisation every label goes through before it is matched to a code."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_SPACE_RE = re.compile(r"[\s\u00a0\u3000\u200b\ufeff]+")
# Quotes, brackets and separators that vary between reports but carry no meaning in a label.
_PUNCT_RE = re.compile(r"[\"'“”‘’「」『』《》〈〉()（）\[\]【】、,，.。:：;；·•/\\\-—–_~～*]")
# Leading ordinals such as 一、 （三） 1. 1、 (六)3.
_ORDINAL_RE = re.compile(r"^(?:[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十]+[)）]|\d+[、.．])+")


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def squash_spaces(text: str) -> str:
    return _SPACE_RE.sub("", text)


@lru_cache(maxsize=65536)  # the same few hundred labels recur in every report
def normalize_label(text: str | None, *, keep_ordinals: bool = False) -> str:
    """NFKC, no whitespace (labels are often broken by spaces or newlines), no punctuation.

    Ordinal prefixes are dropped unless asked for, so '（一）予以公开' and '予以公开' meet.
    """
    if not text:
        return ""
    s = squash_spaces(nfkc(text))
    if not keep_ordinals:
        # Repeatedly strip ordinals: '三、（一）' has two.
        prev = None
        while prev != s:
            prev = s
            s = _ORDINAL_RE.sub("", s)
    return _PUNCT_RE.sub("", s)


def clean_text(text: str) -> str:
    """Document-level cleanup: NFKC, unify line ends, drop Word artefacts."""
    s = text.replace("\r\n", "\n").replace("\r", "\n")
    s = re.sub(r"\[bookmark: [^\]]*\]", "", s)
    return s

"""What a downloaded body really is, from its bytes, and whether that agrees with what was announced.

Government sites routinely answer a missing attachment with an HTML page and status 200 (a "soft 404"),
or serve a PDF as application/octet-stream: the bytes decide, the header and the link only set expectations.
"""

from __future__ import annotations

import io
import zipfile
from urllib.parse import urlsplit

ATTACHMENT_KINDS = ("pdf", "docx", "doc", "wps", "ofd")  # formats a report is published in, besides HTML pages

_DECLARED = {
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/msword": "doc",
    "application/vnd.ms-works": "wps",
    "application/kswps": "wps",
    "application/wps-office.wps": "wps",
    "application/ofd": "ofd",
    "text/html": "html",
    "application/xhtml+xml": "html",
}


def url_kind(url: str) -> str | None:
    """The kind a link's file name announces (…/t2024_1.pdf -> pdf), or None."""
    path = urlsplit(url).path.lower()
    for kind in ATTACHMENT_KINDS:
        if path.endswith("." + kind):
            return kind
    if path.endswith((".html", ".htm", ".shtml")):
        return "html"
    return None


def declared_kind(content_type: str | None) -> str | None:
    """The kind a Content-Type header announces; None for the generic ones (octet-stream, missing)."""
    if not content_type:
        return None
    return _DECLARED.get(content_type.split(";")[0].strip().lower())


def sniff(data: bytes) -> str:
    """The kind the bytes are: pdf, docx, ofd, ole (a .doc or .wps: the same container), html, or other."""
    if data[:1024].lstrip().startswith(b"%PDF") or data.startswith(b"%PDF"):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        try:
            names = zipfile.ZipFile(io.BytesIO(data)).namelist()
        except (zipfile.BadZipFile, ValueError):
            return "other"
        if any(n.startswith("word/") for n in names):
            return "docx"
        if any(n.upper() == "OFD.XML" for n in names):
            return "ofd"
        return "other"
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "ole"
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<!doctype html", b"<html", b"<head", b"<meta", b"<body", b"<div", b"<table", b"<p")) \
            or b"<html" in head or b"<body" in head:
        return "html"
    return "other"


def agrees(expected: str, actual: str) -> bool:
    """Whether bytes sniffed as `actual` can be the `expected` kind (.doc and .wps share the OLE container)."""
    if expected in ("doc", "wps"):
        return actual == "ole"
    return expected == actual


def file_extension(actual: str, expected: str | None) -> str:
    """The extension a file is stored under: the sniffed kind, the announced one for an OLE file."""
    if actual == "ole":
        return expected if expected in ("doc", "wps") else "doc"
    return actual

"""Fetched files into the inbox: written atomically, under a stable name made of the host, the URL's file
name and the content hash, so a re-fetch of the same bytes lands on the same name (and is skipped before
that: see crawl), and a revised report at the same URL is a new file beside the old one."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlsplit

FETCHED_DIR = "fetched"  # inbox/fetched/<host>/…: fetched files stay apart from the ones people put there
_UNSAFE = re.compile(r"[^\w.\-]+")  # \w keeps CJK letters: 2023年报.pdf stays readable


def inbox_relpath(url: str, sha256: str, extension: str) -> str:
    """``fetched/<host>/<file name stem>.<first 12 hex of the hash>.<extension>``, stable for (url, bytes)."""
    parts = urlsplit(url)
    host = _UNSAFE.sub("_", parts.netloc.lower()).strip("._") or "host"
    name = unquote(parts.path.rstrip("/").rsplit("/", 1)[-1])
    stem = name.rsplit(".", 1)[0] if "." in name else name
    if parts.query:  # download.jsp?id=123: the query tells files apart
        stem = f"{stem}_{hashlib.sha256(parts.query.encode()).hexdigest()[:8]}"
    stem = _UNSAFE.sub("_", stem).strip("._")[:80] or "index"
    return f"{FETCHED_DIR}/{host}/{stem}.{sha256[:12]}.{extension}"


def write_atomically(inbox: Path, relpath: str, data: bytes) -> Path:
    """Write via a dot-file in the same folder and rename: the inbox scan skips dot-files, so it never
    reads a half-written file, and a crash leaves at most a stray dot-file."""
    path = inbox / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".fetch-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path

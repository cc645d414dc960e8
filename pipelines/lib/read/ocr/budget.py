"""OCR's own time limit, and how it tells the parse fan-out that a document needs more than a text one.

``GONGKAI_OCR_TIMEOUT_S`` (default 300 s) bounds the OCR of one document: the reader checks it
before each page and quarantines the document (``ocr_timeout``) when it is spent. The fan-out's
``GONGKAI_PARSE_TIMEOUT_S`` (60 s) stays the limit of every document until its reader announces
OCR: the worker then passes the announcement to the pool, which moves that document's deadline
to now + the OCR budget + a grace period of 10 % of it (the hard stop, should a page itself hang). A text
document never gets more than the parse limit; a scan gets both.
"""

from __future__ import annotations

import os
from collections.abc import Callable

DEFAULT_OCR_TIMEOUT_S = 300.0
GRACE_SHARE, MAX_GRACE_S = 0.1, 30.0  # beyond the OCR budget (10 %, at most 30 s): to build the report

_listener: Callable[[float], None] | None = None


def ocr_timeout_from_env() -> float:
    """GONGKAI_OCR_TIMEOUT_S: seconds the OCR of one document may take (0 = no limit)."""
    return float(os.environ.get("GONGKAI_OCR_TIMEOUT_S", DEFAULT_OCR_TIMEOUT_S))


def set_listener(fn: Callable[[float], None] | None) -> None:
    """Called by a fan-out worker: ``fn(seconds)`` is told when a document starts OCR."""
    global _listener
    _listener = fn


def announce(seconds: float) -> None:
    """The reader is about to OCR for up to ``seconds``: whoever runs it under a deadline extends it."""
    if _listener is not None and seconds > 0:
        _listener(seconds + min(MAX_GRACE_S, GRACE_SHARE * seconds + 1.0))

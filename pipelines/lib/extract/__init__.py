"""Format readers: bytes of one format -> text and table grids. No interpretation of labels."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..grid import Grid


@dataclass
class Extracted:
    """What a reader recovered from a document: its text (for title and narrative) and its table grids."""

    text: str
    grids: list[Grid] = field(default_factory=list)
    title_hint: str | None = None
    inferred: bool = False  # cells were recovered from run-together text
    warnings: list[str] = field(default_factory=list)  # reader-level findings, copied to the report

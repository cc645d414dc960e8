"""Format readers: bytes of one format -> text and table grids. No interpretation of labels."""

from __future__ import annotations

from dataclasses import dataclass, field

from pipelines.lib.model import UnresolvedRow
from pipelines.lib.read.grid import Grid


@dataclass
class Extracted:
    """What a reader recovered from a document: its text (for title and narrative) and its table grids."""

    text: str
    grids: list[Grid] = field(default_factory=list)
    title_hint: str | None = None
    inferred_how: str | None = None  # every cell was recovered this way (model.INFERENCE_METHODS)
    row_inference: dict[tuple[str, str], str] = field(default_factory=dict)  # (table, row_code) -> method
    warnings: list[str] = field(default_factory=list)  # reader-level findings, copied to the report
    unresolved: list[UnresolvedRow] = field(default_factory=list)  # rows left out of the grids

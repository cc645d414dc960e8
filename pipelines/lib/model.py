"""Typed report model shared by every parser, the harmonizer and the loader."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

# Stages and reason codes of the quarantine relation (contract.md).
STAGES = ("read", "detect", "parse", "validate", "load")


@dataclass(slots=True)  # not frozen: a frozen dataclass's __init__ costs ~3x, and a report has ~200 facts
class Fact:
    """One printed number of tables 二/三/四 under its canonical codes, with provenance.

    ``table`` is 'T2', 'T3' or 'T4'. For T3 ``row_code``/``col_code`` are the request row
    and requester type; for T4 the proceeding and result; for T2 the item row and column
    (``item`` names the article-20 block).
    """

    table: str
    row_code: str
    col_code: str
    value: float
    printed: str | None
    blank: bool
    item: str | None = None
    row_label: str | None = None
    col_label: str | None = None
    page: int | None = None
    inferred: bool = False  # cell boundaries recovered from arithmetic, not printed separators
    derived: bool = False  # not printed at all: computed (e.g. 2021 other_total = sum of sub-rows)
    unit_factor: float = 1.0  # printed value x factor = stored value (e.g. 万元 -> 元 is 10000)
    inferred_how: str | None = None  # see INFERENCE_METHODS
    confidence: float | None = None  # OCR recogniser's confidence (0-1) in the printed text; None = not OCR


# How an inferred fact was recovered (facts.inferred_how).
INFERENCE_METHODS = {
    "run_split": "cells printed without separators; the only split the cell rules and the table's arithmetic allow",
    "run_split_narrative": "cells printed without separators; of several splits, the only one agreeing with "
                           "the numbers the report's own text states",
    "printed_order": "row label lost in conversion; the row's code is the only one its printed position allows",
    "text_positions": "PDF table printed without ruling lines; rows and cells rebuilt from word positions",
    "human": "read from the original by a person (`gongkai resolve`, with their reason in cell_resolutions); "
             "replaces what the parser had, and is re-applied whenever the document is loaded again",
    "ocr": "read by OCR from a scanned page; confidence is the recogniser's",
    "ocr_arithmetic": "read by OCR from a scanned page, the reading broke the table's arithmetic; the value is the "
                      "only one that restores every broken sum (printed keeps what OCR read)",
}


@dataclass(slots=True)
class UnresolvedRow:
    """A printed table row whose numbers could not be read with certainty: kept out of facts, shown to analysts."""

    table: str  # 'T2', 'T3' or 'T4'
    row_code: str
    row_label: str  # as printed
    printed: str  # the row's numbers as printed
    reason: str  # ambiguous_cells / cells_missing
    detail: str  # a sentence a person understands
    readings: list[str] = field(default_factory=list)  # candidate readings, e.g. '15/6/21'
    # The row's cells not loaded (column codes); empty: the whole row. The cells every reading agrees on
    # (e.g. 总计 of a row whose requester columns are in doubt) load; only these are in doubt.
    columns: list[str] = field(default_factory=list)


@dataclass
class ParsedReport:
    source_file: str
    sha256: str
    format: str
    agency_name: str
    year: int
    template: str
    title: str
    facts: list[Fact] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    narrative: str = ""
    unresolved: list[UnresolvedRow] = field(default_factory=list)
    # Which signals named the agency and year ('title_lines: …', 'html_title: …', 'body_phrase: …', 'file_name: …').
    identity_signals: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        # dataclasses.asdict deep-copies every value recursively: slower than parsing the document.
        out = {name: getattr(self, name) for name in _REPORT_FIELDS}
        out["warnings"] = list(self.warnings)
        out["identity_signals"] = list(self.identity_signals)
        out["facts"] = [{name: getattr(f, name) for name in _FACT_FIELDS} for f in self.facts]
        out["unresolved"] = [{name: getattr(u, name) for name in _UNRESOLVED_FIELDS} | {"readings": list(u.readings), "columns": list(u.columns)}
                             for u in self.unresolved]
        return out

    @classmethod
    def from_dict(cls, d: dict) -> ParsedReport:
        d = dict(d)
        d["facts"] = [Fact(**f) for f in d.get("facts", [])]
        d["unresolved"] = [UnresolvedRow(**u) for u in d.get("unresolved", [])]
        return cls(**d)


_FACT_FIELDS = tuple(f.name for f in fields(Fact))
_UNRESOLVED_FIELDS = tuple(f.name for f in fields(UnresolvedRow))
_REPORT_FIELDS = tuple(f.name for f in fields(ParsedReport))


@dataclass(frozen=True)
class Quarantined:
    source_file: str
    sha256: str
    stage: str
    reason: str
    detail: str

    def to_dict(self) -> dict:
        return asdict(self)


class DocumentRejected(Exception):
    """Raised inside parsers when a document cannot be read or recognised."""

    def __init__(self, stage: str, reason: str, detail: str):
        assert stage in STAGES, stage
        super().__init__(f"{stage}/{reason}: {detail}")
        self.stage = stage
        self.reason = reason
        self.detail = detail

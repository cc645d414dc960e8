"""What 'parses back' means for one generated document of a variation (shared by the property test and
benchmarks/soak.py; not a test module).

A document either loads with every fact equal to its truth — a fact may be missing only when the report
lists its row in ``unresolved`` (printed, but not readable with certainty) — and with the truth's agency,
year and template; or it is refused with a reason the variation makes true (``acceptable_refusals``).
``not_a_report`` is never true for a generated report.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from pipelines.lib.model import ParsedReport, Quarantined
from pipelines.lib.read.parse import parse_document
from pipelines.samplegen.truth import ReportTruth
from pipelines.samplegen.variations import Variation, acceptable_refusals, render_variant, unprinted_rows


@dataclass
class Outcome:
    kind: str  # exact / refused_ok / wrong / missing / identity / bad_refusal
    detail: str = ""
    cells: int = 0  # facts compared
    cells_wrong: int = 0
    unresolved_rows: int = 0  # rows the document lists as unresolved (loaded without them)
    cells_unresolved: int = 0  # expected facts not loaded because their row is unresolved

    @property
    def ok(self) -> bool:
        return self.kind in ("exact", "refused_ok")


def check_document(path: Path, truth: ReportTruth, fmt: str, v: Variation) -> Outcome:
    result = parse_document(path)
    if isinstance(result, Quarantined):
        allowed = acceptable_refusals(fmt, v.for_format(fmt))
        if result.reason in allowed:
            return Outcome("refused_ok", result.reason)
        return Outcome("bad_refusal", f"{result.stage}/{result.reason}: {result.detail}")
    assert isinstance(result, ParsedReport)
    if (result.agency_name, result.year, result.template) != (truth.agency.name, truth.year, truth.template):
        return Outcome("identity", f"read {result.agency_name!r} {result.year} {result.template}, truth "
                                   f"{truth.agency.name!r} {truth.year} {truth.template}")
    gone = unprinted_rows(fmt, v, truth)
    expected = {k: val for k, val in truth.expected_facts().items()
                if (k[0], None) not in gone and (k[0], k[1]) not in gone}
    got: dict = {}
    for f in result.facts:
        got[(f.table, f.row_code, f.col_code)] = f.value
    # What the report lists as not loaded: whole rows, or the cells in doubt of a row read in part.
    unresolved = {(u.table, u.row_code) for u in result.unresolved if not u.columns}
    in_doubt = {(u.table, u.row_code, c) for u in result.unresolved for c in u.columns}
    subs = {("T3", r) for r in ("other_no_correction", "other_unpaid_fee", "other_other")}
    if truth.split_other and subs & {(u.table, u.row_code) for u in result.unresolved}:
        unresolved.add(("T3", "other_total"))  # the 2021 total is derived from its sub-rows: not from some
    wrong = [(k, expected.get(k), got[k]) for k in got
             if k not in expected or not math.isclose(expected[k], got[k], rel_tol=1e-9, abs_tol=1e-9)]
    missing = [k for k in expected if k not in got and (k[0], k[1]) not in unresolved and k not in in_doubt]
    if wrong:
        return Outcome("wrong", f"wrong cells {wrong[:5]}", len(got), len(wrong))
    if missing:
        return Outcome("missing", f"facts silently missing {missing[:5]} (of {len(missing)})", len(got), 0)
    return Outcome("exact", "", len(got), 0, unresolved_rows=len(result.unresolved),
                   cells_unresolved=sum(1 for k in expected if k not in got))


def render_and_check(tmp: Path, truth: ReportTruth, fmt: str, v: Variation, name: str = "doc") -> Outcome:
    path = tmp / f"{name}.{fmt}"
    path.write_bytes(render_variant(truth, fmt, v))
    return check_document(path, truth, fmt, v)

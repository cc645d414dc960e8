"""Synthetic reports for the cross-year, resolve and recall tests (not a test module).

A report truth from pipelines.samplegen becomes a ParsedReport as a reader would hand it over, with chosen
table-二 rows left unresolved the way crawler text leaves them: the row's cells run together and every
split the reader's own enumeration allows is a candidate reading.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace

from pipelines.lib.codes import load_codes
from pipelines.lib.model import Fact, ParsedReport, UnresolvedRow
from pipelines.lib.read.extract.crawler_text import TooManyReadings, enumerate_splits
from pipelines.samplegen.truth import AGENCIES, Agency, ReportTruth, generate_truth

# table-二 rows whose cells are all counts (no money): the rows a cross-year identity speaks about
COUNT_ROWS = {"2021": ("regulations", "normative_documents"),
              "2019": ("regulations", "normative_documents", "admin_license", "other_admin_services",
                       "admin_penalty", "admin_coercion", "admin_fees")}
_PLACES = "东西南北中新安平和康宁泰丰华兴盛福寿长永清明光荣春秋山河湖海江溪松柏桃李金玉云龙凤鹤"


def agency(k: int) -> Agency:
    """A distinct made-up sub-agency per k (so examples never share an agency-year)."""
    base = AGENCIES[k % len(AGENCIES)]
    j = k // len(AGENCIES)
    place = _PLACES[j % len(_PLACES)] + _PLACES[(j // len(_PLACES)) % len(_PLACES)]
    return replace(base, name=f"{base.name}{place}分局", slug=f"{base.slug}-{j}")


def series(ag: Agency, years: range, rng) -> dict[int, ReportTruth]:
    """Consecutive years of one agency, each generated after the previous one (so X1–X3 hold)."""
    out: dict[int, ReportTruth] = {}
    prev = None
    for y in years:
        prev = out[y] = generate_truth(ag, y, rng=rng, prev=prev)
    return out


def item_of(template: str, row: str):
    return next(it for it in load_codes().proactive[template].values() if row in it.rows)


def truth_reading(truth: ReportTruth, row: str) -> str:
    return "/".join(truth.cell_text("T2", row, c) or "(blank)" for c in item_of(truth.template, row).columns)


def candidate_readings(truth: ReportTruth, row: str) -> list[str] | None:
    """Every reading of the row's digits run together (None: too many to enumerate, as the reader refuses)."""
    cols = list(item_of(truth.template, row).columns)
    run = "".join(truth.cell_text("T2", row, c) for c in cols)
    kinds = ["signed" if c == "change" else "count" for c in cols]
    try:
        splits = enumerate_splits(run.replace("-", " -"), kinds)
    except TooManyReadings:
        return None
    return ["/".join(c or "(blank)" for c in s) for s in splits]


def parsed_report(truth: ReportTruth, unresolved: tuple[str, ...] = (), tag: str = "") -> ParsedReport:
    """The report a reader hands over: every cell of the truth, but ``unresolved`` table-二 rows left out
    of the facts and listed with their candidate readings. ``tag`` makes a distinct document (a revision)."""
    facts = []
    for (table, row, col), v in truth.expected_facts(include_derived=True).items():
        if table == "T2" and row in unresolved:
            continue
        item = item_of(truth.template, row).item if table == "T2" else None
        derived = table == "T3" and row == "other_total" and truth.split_other
        text = None if derived else (truth.cell_text(table, row, col) if table == "T2" else str(int(v)))
        facts.append(Fact(table, row, col, float(v), text, False, item=item, derived=derived))
    rows = []
    for row in unresolved:
        readings = candidate_readings(truth, row) or []
        run = "".join(truth.cell_text("T2", row, c) for c in item_of(truth.template, row).columns)
        rows.append(UnresolvedRow("T2", row, row, run, "ambiguous_cells", "digits run together (test)", readings))
    sha = hashlib.sha256(f"{truth.agency.name}|{truth.year}|{tag}".encode()).hexdigest()
    return ParsedReport(source_file=f"{truth.agency.slug}-{truth.year}{tag}.txt", sha256=sha, format="txt",
                        agency_name=truth.agency.name, year=truth.year, template=truth.template, title=truth.title,
                        facts=facts, unresolved=rows)

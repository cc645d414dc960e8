"""How much cross-year evidence narrows unresolved rows, and how often its suggestion is the true reading.

    python benchmarks/measure_cross_year.py --warehouse /tmp/x.duckdb [--synthetic 200]

``--warehouse``: a warehouse already built from the real corpus
(``gongkai ingest --inbox ../shared/corpus/real --warehouse /tmp/x.duckdb``). Prints every unresolved row,
whether the neighbouring years narrowed it, and, where the true reading is known (the manifest's notes,
taken from each report's page.html table cells), whether the true reading fits and whether the unique
suggestion is it.

``--synthetic N``: N generated agency series (pipelines.samplegen, which keeps the identities), each with
one to three count rows of table 二 left unresolved in one year and its neighbours loaded (half of the time
with the same rows unresolved there too); prints how many rows were narrowed, how many got a unique
suggestion, and how many suggestions were the truth.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipelines.lib.load import connection, cross_year, loader  # noqa: E402
from tests.evidence_helpers import (  # noqa: E402
    COUNT_ROWS,
    agency,
    candidate_readings,
    parsed_report,
    series,
    truth_reading,
)

# True readings the corpus manifest gives (manifest.csv notes: "HTML cells: 69/3/665" and the like).
KNOWN_TRUTHS = {
    ("pingtan-2021.txt", "normative_documents"): "69/3/665",
    ("pingtan-2023.txt", "normative_documents"): "77/132/470",
    ("pingtan-gaj-2019.txt", "admin_license"): "45/0/0",
    ("pingtan-gaj-2019.txt", "admin_penalty"): "636/0/0",
    ("pingtan-gaj-2019.txt", "admin_coercion"): "43/0/0",
    ("pingtan-gaj-2019.txt", "admin_fees"): "12/4",
    ("pingtan-zrz-2023.txt", "normative_documents"): "2/1/35",
    ("pingtan-scj-2022.txt", "normative_documents"): "6/0/51",
    ("pingtan-jjf-2024.txt", "normative_documents"): "11/2/9",
    ("pingtan-gwh-2023.txt", "normative_documents"): "21/59/165",
}


def real(warehouse: Path) -> None:
    con = duckdb.connect(str(warehouse), read_only=True)
    rows = con.execute(
        "SELECT r.source_file, r.year, u.row_code, u.printed, len(u.readings), u.fitting_readings, "
        "u.suggested_reading, u.suggestion_years FROM unresolved_rows u JOIN reports r USING (report_id) "
        "ORDER BY 1, 3").fetchall()
    with_readings = [r for r in rows if r[4] > 0]
    evidence = [r for r in with_readings if r[5] is not None]
    narrowed = [r for r in evidence if 0 < len(r[5]) < r[4]]
    unique = [r for r in evidence if r[6] is not None]
    none_fit = [r for r in evidence if r[5] == []]
    print(f"unresolved rows: {len(rows)} ({len(with_readings)} with candidate readings)")
    print(f"with cross-year evidence: {len(evidence)}; narrowed: {len(narrowed)} (to a unique suggestion: "
          f"{len(unique)}); no reading fits: {len(none_fit)}")
    print(f"readings before -> after on the narrowed rows: {sum(r[4] for r in narrowed)} -> "
          f"{sum(len(r[5]) for r in narrowed)}")
    print("\nfile | year | row | printed | readings | fitting | suggestion | years | truth | truth fits")
    known = fits = unique_right = unique_known = 0
    for f, y, row, printed, n, fitting, sugg, years in rows:
        truth = KNOWN_TRUTHS.get((f, row))
        ok = None if truth is None or fitting is None else truth in fitting
        if truth is not None and fitting is not None:
            known += 1
            fits += bool(ok)
            if sugg is not None:
                unique_known += 1
                unique_right += sugg == truth
        if fitting is not None or truth is not None:
            print(f"{f} | {y} | {row} | {printed} | {n} | {fitting} | {sugg} | {years} | {truth or '?'} | "
                  f"{'' if ok is None else ok}")
    print(f"\nrows with evidence and a known truth: {known}; truth among the fitting readings: {fits}; "
          f"unique suggestions with a known truth: {unique_known}, right: {unique_right}")


def synthetic(n: int, seed: int) -> None:
    con = connection.open_warehouse(Path(":memory:"))
    rng = random.Random(seed)
    rows = narrowed = unique = right = truth_fits = 0
    for k in range(n):
        template = rng.choice(["2019", "2021"])
        year = rng.randint(2022, 2024) if template == "2021" else rng.choice([2019, 2020])
        neighbours = [y for y in (year - 1, year + 1) if (2021 <= y <= 2025) == (template == "2021") and y >= 2019]
        truths = series(agency(1000 + k), range(min([year, *neighbours]), max([year, *neighbours]) + 1),
                        random.Random(rng.random()))
        target = truths[year]
        choices = [r for r in COUNT_ROWS[template] if candidate_readings(target, r)]
        picked = tuple(rng.sample(choices, min(len(choices), rng.randint(1, 3))))
        joint = rng.random() < 0.5
        ids = loader.load_reports(con, [parsed_report(target, picked)]
                                  + [parsed_report(truths[y], picked if joint else ()) for y in neighbours])
        cross_year.refresh_suggestions(con)
        for row in picked:
            n_read = len(candidate_readings(target, row))
            fitting, sugg = con.execute("SELECT fitting_readings, suggested_reading FROM unresolved_rows "
                                        "WHERE report_id = ? AND row_code = ?", [ids[0], row]).fetchall()[0]
            if n_read < 2:
                continue  # one reading: the reader would have loaded it
            rows += 1
            if fitting is None:
                continue
            truth_fits += truth_reading(target, row) in fitting
            narrowed += len(fitting) < n_read
            if sugg is not None:
                unique += 1
                right += sugg == truth_reading(target, row)
    print(f"synthetic: {rows} ambiguous rows in {n} series; true reading fits: {truth_fits}; narrowed: {narrowed}; "
          f"unique suggestion: {unique}, of which the truth: {right}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--warehouse", type=Path)
    ap.add_argument("--synthetic", type=int, default=0)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    if args.warehouse:
        real(args.warehouse)
    if args.synthetic:
        synthetic(args.synthetic, args.seed)


if __name__ == "__main__":
    main()

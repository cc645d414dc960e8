"""Recall you can see: of the documents seen, how many loaded, how many were refused (by stage, reason and
format), and how many printed cells of the loaded reports could not be read.

Over the views ``document_recall`` / ``recall`` (sql/views/017_recall.sql), for a whole warehouse or for
the documents of one run. Read by the Dagster assets (metadata tables), `gongkai check` and `gongkai report`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import polars as pl

_BY_OUTCOME = """
SELECT outcome, format, stage, reason, count(*) AS documents, sum(cells_loaded)::BIGINT AS cells_loaded,
       sum(unresolved_rows)::BIGINT AS unresolved_rows, sum(unresolved_cells)::BIGINT AS unresolved_cells
FROM document_recall {where}
GROUP BY ALL ORDER BY outcome, format, stage NULLS FIRST, reason NULLS FIRST
"""
_TOTALS = """
SELECT count(*), count(*) FILTER (WHERE outcome = 'loaded'), count(*) FILTER (WHERE outcome = 'quarantined'),
       count(*) FILTER (WHERE outcome = 'pending'), coalesce(sum(cells_loaded), 0)::BIGINT,
       coalesce(sum(cells_read_by_person), 0)::BIGINT, coalesce(sum(unresolved_rows), 0)::BIGINT,
       coalesce(sum(unresolved_cells), 0)::BIGINT
FROM document_recall {where}
"""
_QUARANTINE = """
SELECT q.source_file AS file, d.format, q.stage, q.reason, q.detail
FROM quarantine q LEFT JOIN documents d USING (sha256) {where}
ORDER BY q.stage, q.reason, q.source_file
"""
_UNRESOLVED = """
SELECT r.agency_name AS agency, r.year, u.table_no AS "table", u.row_code AS "row", u.printed,
       array_to_string(u.readings, ', ') AS readings,
       CASE WHEN u.suggested_reading IS NOT NULL THEN u.suggested_reading
            WHEN len(u.fitting_readings) > 1 THEN 'one of ' || array_to_string(u.fitting_readings, ', ')
            WHEN len(u.fitting_readings) = 0 THEN 'none fits' END AS suggestion,
       array_to_string(u.suggestion_years, ', ') AS suggestion_years, u.report_id
FROM unresolved_rows u JOIN reports r USING (report_id) {where}
ORDER BY r.agency_name, r.year, u.table_no, u.row_code
"""


@dataclass(frozen=True)
class Recall:
    documents_seen: int
    loaded: int
    quarantined: int
    pending: int
    cells_loaded: int
    cells_read_by_person: int
    unresolved_rows: int
    unresolved_cells: int
    by_outcome: pl.DataFrame  # outcome, format, stage, reason, documents, cells_loaded, unresolved_rows/_cells

    @property
    def cell_recall(self) -> float | None:
        """Share of the cells the loaded reports print that were loaded (None when nothing was loaded)."""
        total = self.cells_loaded + self.unresolved_cells
        return self.cells_loaded / total if total else None

    def summary(self) -> str:
        refused = ", ".join(f"{r} {n}" for r, n in self.refused_by_reason().items())
        share = f" ({100 * self.cell_recall:.2f}% of printed cells loaded)" if self.cell_recall is not None else ""
        person = f", {self.cells_read_by_person} of them read by a person" if self.cells_read_by_person else ""
        return (f"documents seen {self.documents_seen}: loaded {self.loaded}, quarantined {self.quarantined}"
                f"{' (' + refused + ')' if refused else ''}, pending {self.pending}; cells loaded "
                f"{self.cells_loaded}{person}, unresolved {self.unresolved_cells} in {self.unresolved_rows} rows{share}")

    def refused_by_reason(self) -> dict[str, int]:
        q = self.by_outcome.filter(pl.col("outcome") == "quarantined")
        if q.is_empty():
            return {}
        agg = q.group_by("reason").agg(pl.col("documents").sum()).sort(["documents", "reason"], descending=[True, False])
        return dict(agg.iter_rows())


def _scoped(con: duckdb.DuckDBPyConnection, sql: str, key: str, values: Sequence[str] | None) -> pl.DataFrame:
    """Run ``sql`` over everything, or only over the rows whose ``key`` is in ``values`` (one run's documents)."""
    if values is None:
        return con.sql(sql.format(where="")).pl()
    con.register("_recall_scope", pl.DataFrame({"v": list(values)}, schema={"v": pl.String}))
    try:
        return con.sql(sql.format(where=f"WHERE {key} IN (SELECT v FROM _recall_scope)")).pl()
    finally:
        con.unregister("_recall_scope")


def recall(con: duckdb.DuckDBPyConnection, sha256s: Sequence[str] | None = None) -> Recall:
    """Recall over every document seen, or over ``sha256s`` (e.g. the documents one run processed)."""
    totals = _scoped(con, _TOTALS, "sha256", sha256s).row(0)
    return Recall(*(int(v or 0) for v in totals), by_outcome=_scoped(con, _BY_OUTCOME, "sha256", sha256s))


def quarantine_rows(con: duckdb.DuckDBPyConnection, sha256s: Sequence[str] | None = None) -> pl.DataFrame:
    """file, format, stage, reason, detail of every quarantined document (or of ``sha256s``)."""
    return _scoped(con, _QUARANTINE, "q.sha256", sha256s)


def unresolved_listing(con: duckdb.DuckDBPyConnection, report_ids: Sequence[str] | None = None) -> pl.DataFrame:
    """Unresolved rows of current reports with agency, year, readings and the cross-year suggestion."""
    return _scoped(con, _UNRESOLVED, "u.report_id", report_ids)

"""A person's reading of table cells, from the original document (`gongkai resolve`).

Either the reading of a row the parser left unresolved, or a correction of a loaded cell. Kept by the
document's content hash (like finding reviews), one row per cell in ``cell_resolutions``, and applied to
the facts by ``sql/derive/apply_resolutions.sql`` whenever the document is loaded (so it survives a
re-parse) and right after it is recorded. The facts it writes are marked ``inferred_how = 'human'``.

READING syntax (``parse_reading``):

* a whole row: the cells in printed column order separated by ``/``, exactly as ``unresolved_rows.readings``
  prints the candidates, e.g. ``69/3/665``; an empty cell is ``(blank)`` or nothing between two slashes;
* some cells: ``col=value,col=value`` with the column codes of the row (``in_force=665``,
  ``natural_person=3,total=4``); ``col=`` or ``col=(blank)`` is an empty cell.

A value is a number as printed (``12``, ``-3``, ``4166.24``, ``251000元``, ``2.5万元``); money goes to the
template's stored unit (2019 采购总金额 元, 2021 收费金额 万元) as when the parser reads it.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import polars as pl

from pipelines.lib.harmonize.interpret import _amount_factor
from pipelines.lib.harmonize.values import UnreadableCell, parse_cell
from pipelines.lib.load import cross_year
from pipelines.lib.load.connection import now, read_sql

BLANK_TOKEN = "(blank)"
_TABLE_NAMES = {"t2": "T2", "2": "T2", "二": "T2", "表二": "T2",
                "t3": "T3", "3": "T3", "三": "T3", "表三": "T3",
                "t4": "T4", "4": "T4", "四": "T4", "表四": "T4"}


class ResolutionError(ValueError):
    """The resolution cannot be recorded; the message says why and what to type instead."""


@dataclass(frozen=True)
class CellReading:
    col_code: str
    printed: str  # as the person read it ('' for a blank cell)
    value: float  # in the stored unit
    blank: bool
    unit_factor: float


def table_code(name: str) -> str:
    code = _TABLE_NAMES.get(name.strip().lower())
    if code is None:
        raise ResolutionError(f"unknown table {name!r}: use T2, T3 or T4 (table 二, 三, 四)")
    return code


def _cell(col: str, text: str, unit: str = "") -> CellReading:
    text = text.strip()
    if text == BLANK_TOKEN:
        text = ""
    if unit and text and not text.endswith(("元", "万元")):
        text += unit  # the unit the unresolved row printed after its last cell
    try:
        v = parse_cell(text)
    except UnreadableCell as e:
        raise ResolutionError(f"cell {col}: {text!r} is not a number or a blank") from e
    factor = _amount_factor(col, v.unit_factor, v.unit)
    return CellReading(col, text, v.value * factor, v.blank, factor)


def parse_reading(reading: str, columns: list[str], *, unit: str = "") -> list[CellReading]:
    """The cells a READING names, in the row's column order (see the module docstring for the syntax).

    ``unit`` is a unit the row printed once after its digits ('万元'): it belongs to the last cell of a
    whole-row reading, as the parser reads it.
    """
    reading = reading.strip()
    if not reading:
        raise ResolutionError("READING is empty: give the row's cells as a/b/c or some cells as col=value,...")
    if "=" in reading:
        cells: dict[str, CellReading] = {}
        for part in reading.split(","):
            col, sep, text = part.partition("=")
            col = col.strip()
            if not sep or col not in columns:
                raise ResolutionError(f"{part.strip()!r}: expected col=value with a column of this row "
                                      f"({', '.join(columns)})")
            if col in cells:
                raise ResolutionError(f"column {col} given twice")
            cells[col] = _cell(col, text)
        return [cells[c] for c in columns if c in cells]
    parts = reading.split("/")
    if len(parts) != len(columns):
        raise ResolutionError(f"{reading!r} has {len(parts)} cells; this row has {len(columns)} "
                              f"({'/'.join(columns)}), in that order")
    return [_cell(col, text, unit if k == len(columns) - 1 else "")
            for k, (col, text) in enumerate(zip(columns, parts, strict=True))]


def apply_resolutions(con: duckdb.DuckDBPyConnection, report_ids: pl.DataFrame) -> None:
    """Write the recorded readings of these reports' documents into facts (no transaction of its own:
    the caller's load or resolve transaction holds it)."""
    con.register("_resolution_targets", report_ids.select("report_id"))
    try:
        # Nearly every load has no resolution to re-apply: skip the script (it joins facts) then.
        if con.execute("SELECT EXISTS (SELECT 1 FROM cell_resolutions c JOIN report_history h USING (sha256) "
                       "JOIN _resolution_targets t USING (report_id))").fetchall()[0][0]:
            con.execute(read_sql("derive/apply_resolutions.sql"))
    finally:
        con.unregister("_resolution_targets")


@dataclass(frozen=True)
class Recorded:
    report_id: str
    table_no: str
    row_code: str
    cells: list[tuple[str, str | None, str]]  # (column, what the parser had, what the person read)
    was_unresolved: bool
    note: str | None = None


def record_resolution(con: duckdb.DuckDBPyConnection, report_id: str, table: str, row_code: str, reading: str,
                      reason: str | None, resolver: str | None = None, *, force: bool = False) -> Recorded:
    """Record a person's reading of one row (all or some of its cells) and apply it at once.

    An unresolved row needs every cell. When its printed digits have candidate readings, the reading must
    be one of them unless ``force`` (the person read something the digits do not allow: say so in the reason).
    """
    if not (reason or "").strip():
        raise ResolutionError("a resolution needs a reason (--reason): where in the original you read it")
    table_no = table_code(table)
    found = con.execute("SELECT sha256, template FROM report_history WHERE report_id = ?", [report_id]).fetchall()
    if not found:
        raise ResolutionError(f"no loaded report {report_id} (see `gongkai sql \"select report_id, agency_name, "
                              "year from reports\"`)")
    sha, template = found[0]
    columns = [c for (c,) in con.execute(
        "SELECT col_code FROM row_columns WHERE table_no = ? AND template = ? AND row_code = ? ORDER BY position",
        [table_no, template, row_code]).fetchall()]
    if not columns:
        rows = [r for (r,) in con.execute("SELECT DISTINCT row_code FROM row_columns WHERE table_no = ? AND "
                                          "template = ? ORDER BY 1", [table_no, template]).fetchall()]
        raise ResolutionError(f"{row_code!r} is not a row of {table_no} in the {template} template "
                              f"(rows: {', '.join(rows)})")
    unresolved = con.execute("SELECT printed, readings FROM unresolved_rows WHERE report_id = ? AND table_no = ? "
                             "AND row_code = ?", [report_id, table_no, row_code]).fetchall()
    loaded = dict(con.execute("SELECT col_code, printed FROM facts WHERE report_id = ? AND table_no = ? AND "
                              "row_code = ? AND NOT derived", [report_id, table_no, row_code]).fetchall())
    printed_run, candidates = unresolved[0] if unresolved else (None, None)
    unit = next((u for u in ("万元", "元") if printed_run and printed_run.endswith(u)), "")
    cells = parse_reading(reading, columns, unit=unit)
    note = None
    if unresolved or not loaded:
        if len(cells) != len(columns):
            what = "is unresolved" if unresolved else "was not loaded"
            raise ResolutionError(f"row {row_code} {what}: give all its cells ({'/'.join(columns)})")
        if candidates:
            given = tuple(c.value for c in cells)
            options = {tuple(c.value for c in parse_reading(r, columns, unit=unit)) for r in candidates}
            if given not in options:
                if not force:
                    raise ResolutionError(
                        f"{reading!r} is not one of the readings of the printed digits {printed_run!r} "
                        f"({', '.join(candidates)}); if the original really says so, repeat with --force")
                note = f"not one of the candidate readings of {printed_run!r} (recorded with --force)"
    parser_read = {c.col_code: (loaded.get(c.col_code) if c.col_code in loaded else printed_run) for c in cells}
    ts = now()
    rows = pl.DataFrame(
        [{"sha256": sha, "table_no": table_no, "row_code": row_code, "col_code": c.col_code, "value": c.value,
          "printed": c.printed, "blank": c.blank, "unit_factor": c.unit_factor, "reading": reading.strip(),
          "parser_read": parser_read[c.col_code], "reason": reason.strip(), "resolver": resolver, "resolved_at": ts}
         for c in cells],
        schema={"sha256": pl.String, "table_no": pl.String, "row_code": pl.String, "col_code": pl.String,
                "value": pl.Float64, "printed": pl.String, "blank": pl.Boolean, "unit_factor": pl.Float64,
                "reading": pl.String, "parser_read": pl.String, "reason": pl.String, "resolver": pl.String,
                "resolved_at": pl.Datetime("us")})
    con.execute("BEGIN")
    try:
        con.register("_new_resolutions", rows)
        con.execute("INSERT OR REPLACE INTO cell_resolutions BY NAME SELECT * FROM _new_resolutions")
        con.unregister("_new_resolutions")
        apply_resolutions(con, pl.DataFrame({"report_id": [report_id]}))
        cross_year.derive_suggestions(con)  # a resolved row is evidence for its neighbours' unresolved rows
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return Recorded(report_id, table_no, row_code, [(c.col_code, parser_read[c.col_code], c.printed or BLANK_TOKEN)
                                                    for c in cells], bool(unresolved), note)

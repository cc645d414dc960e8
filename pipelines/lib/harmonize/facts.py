"""Parsed facts -> the warehouse's long fact frame (Polars), every code checked against its domain."""

from __future__ import annotations

from functools import cache

import polars as pl

from pipelines.lib.codes import load_codes
from pipelines.lib.model import ParsedReport

FACT_SCHEMA = {
    "report_id": pl.String, "table_no": pl.String, "item": pl.String, "row_code": pl.String,
    "col_code": pl.String, "value": pl.Float64, "printed": pl.String, "blank": pl.Boolean,
    "row_label": pl.String, "col_label": pl.String, "page": pl.Int32, "inferred": pl.Boolean,
    "derived": pl.Boolean, "unit_factor": pl.Float64, "source_file": pl.String, "inferred_how": pl.String,
    "confidence": pl.Float64,
}


class UnknownCode(ValueError):
    pass


@cache
def code_domain() -> pl.DataFrame:
    """Every valid (table, item, row_code, col_code) combination, from codes.yaml."""
    c = load_codes()
    rows = [("T3", None, r, col) for r in c.request_rows for col in c.requester_types]
    rows += [("T4", None, p, res) for p in c.proceedings for res in c.results]
    for items in c.proactive.values():
        for it in items.values():
            rows += [("T2", it.item, r, col) for r in it.rows for col in it.columns]
    return pl.DataFrame(rows, schema={"table_no": pl.String, "item": pl.String, "row_code": pl.String,
                                      "col_code": pl.String}, orient="row").unique()


def facts_frame(reports: list[tuple[ParsedReport, str]]) -> pl.DataFrame:
    """The facts of (report, report_id) pairs as one frame; raises UnknownCode if any code is outside codes.yaml."""
    frame = pl.DataFrame(
        [{"report_id": report_id, "table_no": f.table, "item": f.item, "row_code": f.row_code,
          "col_code": f.col_code, "value": float(f.value), "printed": f.printed, "blank": f.blank,
          "row_label": f.row_label, "col_label": f.col_label, "page": f.page, "inferred": f.inferred,
          "derived": f.derived, "unit_factor": f.unit_factor, "source_file": rep.source_file,
          "inferred_how": f.inferred_how, "confidence": f.confidence}
         for rep, report_id in reports for f in rep.facts],
        schema=FACT_SCHEMA)
    unknown = frame.join(code_domain(), on=["table_no", "item", "row_code", "col_code"], how="anti",
                         nulls_equal=True)
    if unknown.height:
        raise UnknownCode(f"codes outside codes.yaml: {unknown.select('report_id', 'table_no', 'item', 'row_code', 'col_code').rows()[:5]}")
    return frame

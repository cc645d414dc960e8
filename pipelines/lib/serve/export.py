"""`gongkai export`: the contract relations and the analyst views as Parquet or CSV files.

Relations with a ``year`` column are written partitioned by year (hive layout ``<relation>/year=2024/…``,
the year also kept inside the files so a CSV reader sees it); the others as one file each.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

FORMATS = ("parquet", "csv")

CONTRACT_RELATIONS = ("reports", "request_facts", "review_litigation_facts", "proactive_facts",
                      "quality_results", "quarantine", "held_reports", "inbox_files", "fetch_log")
ANALYST_RELATIONS = ("agencies", "report_versions", "coverage", "request_totals", "request_wide",
                     "outcome_mix", "exemption_mix", "report_metrics", "agency_year_change", "regional_rollup",
                     "proactive_series", "unresolved_rows", "cell_resolutions", "recall", "code_labels",
                     "proactive_crosswalk", "outcome_groups")
RELATIONS = CONTRACT_RELATIONS + ANALYST_RELATIONS


@dataclass(frozen=True)
class Exported:
    relation: str
    path: Path
    rows: int
    partitioned: bool


def missing_relations(con: duckdb.DuckDBPyConnection) -> list[str]:
    have = {r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' "
        "UNION SELECT view_name FROM duckdb_views() WHERE schema_name = 'main' AND NOT internal").fetchall()}
    return [r for r in RELATIONS if r not in have]


def export_warehouse(con: duckdb.DuckDBPyConnection, out_dir: Path, fmt: str = "parquet") -> list[Exported]:
    """Write every relation of RELATIONS present in the warehouse under ``out_dir``; re-running overwrites."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, not {fmt!r}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    options = "FORMAT parquet" if fmt == "parquet" else "FORMAT csv, HEADER true"
    done = []
    absent = set(missing_relations(con))
    for rel in RELATIONS:
        if rel in absent:
            continue
        # rel comes from the fixed tuple above, never from input: identifiers cannot be ? parameters.
        columns = [d[0] for d in con.execute(f"SELECT * FROM {rel} LIMIT 0").description]
        rows = con.execute(f"SELECT count(*) FROM {rel}").fetchall()[0][0]
        if "year" in columns:
            target = out_dir / rel
            con.execute(f"COPY (SELECT * FROM {rel}) TO ? ({options}, PARTITION_BY (year), "
                        "WRITE_PARTITION_COLUMNS true, OVERWRITE true)", [str(target)])
            done.append(Exported(rel, target, rows, True))
        else:
            target = out_dir / f"{rel}.{fmt}"
            con.execute(f"COPY (SELECT * FROM {rel}) TO ? ({options})", [str(target)])
            done.append(Exported(rel, target, rows, False))
    return done

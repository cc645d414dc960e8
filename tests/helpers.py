"""Test helpers: run the pipeline stages (pure lib, no Dagster) on an inbox."""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipelines.lib import ingest, quality
from pipelines.lib import warehouse as wh


def ingest_inbox(inbox: Path, warehouse: Path) -> duckdb.DuckDBPyConnection:
    """scan -> parse -> load -> validate, as the Dagster assets do; returns an open connection."""
    con = ingest.open_warehouse(warehouse)
    wh.scan_inbox(con, inbox)
    pending = ingest.pending_documents(con)
    staging = ingest.staging_dir(warehouse)
    ingest.parse_pending(pending, inbox, staging)
    ingest.load_staged(con, pending, staging)
    quality.refresh_quality(con)
    return con


def failing_rules(con: duckdb.DuckDBPyConnection, source_file: str) -> dict[str, list[str]]:
    rows = con.execute(
        "SELECT q.rule_id, q.scope FROM quality_results q JOIN reports r USING (report_id) "
        "WHERE r.source_file = ? AND q.passed = false ORDER BY 1, 2", [source_file]).fetchall()
    out: dict[str, list[str]] = {}
    for rule, scope in rows:
        out.setdefault(rule, []).append(scope)
    return out

"""Test helpers: run the pipeline stages (pure lib, no Dagster) on an inbox."""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipelines.lib.judge import quality
from pipelines.lib.load import connection, documents, loader
from pipelines.lib.read import fanout


def load_inbox(inbox: Path, warehouse: Path, **parse_options) -> duckdb.DuckDBPyConnection:
    """scan -> parse -> load, as the Dagster assets do (no quality pass); returns an open connection."""
    con = connection.open_warehouse(warehouse)
    documents.scan_inbox(con, inbox)
    pending = documents.pending_documents(con)
    staging = fanout.staging_dir(warehouse)
    fanout.parse_pending(pending, inbox, staging, **parse_options)
    loader.load_staged(con, pending, staging, inbox=inbox)
    return con


def ingest_inbox(inbox: Path, warehouse: Path) -> duckdb.DuckDBPyConnection:
    """scan -> parse -> load -> validate, as the Dagster assets do; returns an open connection."""
    con = load_inbox(inbox, warehouse)
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

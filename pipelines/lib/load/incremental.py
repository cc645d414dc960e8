"""Is there anything for a run to do? The nightly no-change run answers this without starting Dagster.

A run has work when the inbox holds a document this parser version has not read, the warehouse's
schema or views changed, or the quality results are older than the last load or the rules. When none
holds, `gongkai ingest` records the scan (documents' last_seen) and reports the stored state: the cost is
listing the inbox and a few queries, not a Dagster run of every asset.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.lib.load import connection, documents

# Mirrors the asset checks (sql/serve/rule_check_counts.sql): a rule passes when none of its scopes failed.
RULE_FAILURES_SQL = connection.read_sql("serve/rule_failures.sql")


@dataclass
class Unchanged:
    scan: documents.ScanResult
    reports: int
    quarantined: int
    rules_passed: int
    rules_failed: int
    scopes_failed: int
    scopes_not_assessable: int


def unchanged_state(con: duckdb.DuckDBPyConnection, inbox: Path, quality_dir: Path) -> Unchanged | None:
    """Scan the inbox; None when a run has work to do, else the stored state to report.

    ``con`` is the warehouse opened read-write under the writer lock, without setup (`connection.connect`).
    """
    from pipelines.lib.judge import quality

    if not connection.setup_is_current(con, analyst_views=True):
        return None  # new DDL, views or code tables: the graph applies them (analyst views behind the checks)
    scan = documents.scan_inbox(con, inbox)
    if scan.new_documents or documents.pending_documents(con):
        return None
    if not quality.quality_is_current(con) or not (quality_dir / "gx_docs" / "index.html").exists() \
            or not (quality_dir / "quality_failures.png").exists():
        return None
    failing = {r for r, f in con.execute(RULE_FAILURES_SQL).fetchall() if f}
    rules = quality.rule_ids()  # a rule with no scope at all passes, as its asset check does
    reports, quarantined = con.execute("SELECT (SELECT count(*) FROM reports), (SELECT count(*) FROM quarantine)"
                                       ).fetchall()[0]
    failed, na = con.execute("SELECT count(*) FILTER (WHERE NOT passed), count(*) FILTER (WHERE passed IS NULL) "
                             "FROM quality_results").fetchall()[0]
    return Unchanged(scan, reports, quarantined, sum(r not in failing for r in rules),
                     sum(r in failing for r in rules), failed, na)

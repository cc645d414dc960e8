"""Recording a person's verdict on a finding: confirmed (the report is wrong) or dismissed (with a reason)."""

from __future__ import annotations

import duckdb

from pipelines.lib.load.connection import now


class ReviewError(ValueError):
    pass


def record_review(con: duckdb.DuckDBPyConnection, report_id: str, rule_id: str, scope: str, decision: str,
                  reason: str | None = None, reviewer: str | None = None) -> None:
    if decision not in ("confirmed", "dismissed"):
        raise ReviewError("decision must be 'confirmed' or 'dismissed'")
    if decision == "dismissed" and not (reason or "").strip():
        raise ReviewError("a dismissed finding needs a reason (--reason)")
    found = con.execute("SELECT h.sha256 FROM quality_results q JOIN report_history h USING (report_id) "
                        "WHERE q.report_id = ? AND q.rule_id = ? AND q.scope = ?", [report_id, rule_id, scope]).fetchall()
    if not found:
        raise ReviewError(f"no finding {rule_id} on {scope} for report {report_id} (see `gongkai check`)")
    con.execute(
        """INSERT INTO finding_reviews VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (sha256, rule_id, scope) DO UPDATE SET decision = excluded.decision,
               reason = excluded.reason, reviewer = excluded.reviewer, reviewed_at = excluded.reviewed_at""",
        [found[0][0], rule_id, scope, decision, reason, reviewer, now()])

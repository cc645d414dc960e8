"""Asset checks: one per cross-check rule, reading the GX-judged rows of quality_results."""


import dagster as dg

from pipelines.defs.assets import quality_results
from pipelines.defs.resources import GongkaiSettings
from pipelines.lib import warehouse as wh
from pipelines.lib.quality import rule_ids

FAILING_SQL = """
SELECT r.agency_name, r.year, q.scope, q.expected, q.observed, q.report_id
FROM quality_results q JOIN reports r USING (report_id)
WHERE q.rule_id = ? AND q.passed = false
ORDER BY r.agency_name, r.year, q.scope
"""
COUNTS_SQL = """
SELECT count(*) FILTER (WHERE q.passed), count(*) FILTER (WHERE NOT q.passed), count(*) FILTER (WHERE q.passed IS NULL),
       count(DISTINCT q.report_id) FILTER (WHERE NOT q.passed)
FROM quality_results q JOIN reports r USING (report_id) WHERE q.rule_id = ?
"""


def _rule_check(rule_id: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(asset=quality_results, name=rule_id, description=f"Cross-check rule {rule_id} on every current report "
                    "(warning: the warehouse keeps what agencies published; this says where it does not add up).")
    def _check(gongkai: GongkaiSettings) -> dg.AssetCheckResult:
        con = wh.connect(gongkai.warehouse_path, read_only=True)
        try:
            passed, failed, na, reports = con.execute(COUNTS_SQL, [rule_id]).fetchall()[0]
            failing = con.execute(FAILING_SQL, [rule_id]).fetchall()
        finally:
            con.close()
        table = "| agency | year | rule | scope | expected | observed |\n|---|---|---|---|---|---|\n" + "\n".join(
            f"| {a} | {y} | {rule_id} | {s} | {e:g} | {o:g} |" for a, y, s, e, o, _ in failing[:100])
        return dg.AssetCheckResult(
            passed=failed == 0,
            severity=dg.AssetCheckSeverity.WARN,
            description=f"{passed} scopes passed, {failed} failed, {na} not assessable",
            metadata={"scopes_passed": passed, "scopes_failed": failed, "scopes_not_assessable": na,
                      "reports_failing": reports,
                      "failing_scopes": dg.MetadataValue.md(table if failing else "No failing scopes.")})

    return _check


ALL_CHECKS = [_rule_check(r) for r in rule_ids()]

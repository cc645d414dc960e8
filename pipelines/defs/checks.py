"""Asset checks: one per quality rule, reading the GX-judged rows of quality_results.

Rules of structural suites (schema, codes, uniqueness) are blocking ERROR checks: when they fail the
analyst views are not built. Cross-checks and the other families are warnings: the warehouse records what
agencies published, and these say where it does not add up.
"""

import dagster as dg

from pipelines.defs.assets import quality_results
from pipelines.defs.resources import GongkaiSettings
from pipelines.lib import warehouse as wh
from pipelines.lib.quality import blocking_rules, rule_descriptions, rule_ids

FAILING_SQL = """
SELECT coalesce(agency_name, '(warehouse-wide)'), year, scope, expected, observed, review_decision, review_reason
FROM quality_findings
WHERE rule_id = ? AND passed = false
ORDER BY agency_name, year, scope
LIMIT 200
"""
COUNTS_SQL = """
SELECT count(*) FILTER (WHERE passed), count(*) FILTER (WHERE NOT passed), count(*) FILTER (WHERE passed IS NULL),
       count(DISTINCT report_id) FILTER (WHERE NOT passed)
FROM quality_findings WHERE rule_id = ? AND (report_id IS NULL OR agency_name IS NOT NULL)
"""


def _fmt(v) -> str:
    return "" if v is None else (f"{v:g}" if isinstance(v, float) else str(v))


def _rule_check(rule_id: str, blocking: bool, text: str) -> dg.AssetChecksDefinition:
    kind = "Blocking structural rule" if blocking else "Warning"
    @dg.asset_check(asset=quality_results, name=rule_id, blocking=blocking,
                    description=f"{kind} {rule_id}: {text}")
    def _check(gongkai: GongkaiSettings) -> dg.AssetCheckResult:
        con = wh.connect(gongkai.warehouse_path, read_only=True)
        try:
            passed, failed, na, reports = con.execute(COUNTS_SQL, [rule_id]).fetchall()[0]
            failing = con.execute(FAILING_SQL, [rule_id]).fetchall()
        finally:
            con.close()
        table = ("| agency | year | rule | scope | expected | observed | review |\n|---|---|---|---|---|---|---|\n"
                 + "\n".join(f"| {a} | {_fmt(y)} | {rule_id} | {s} | {_fmt(e)} | {_fmt(o)} | "
                             f"{_fmt(d)}{': ' + r if r else ''} |" for a, y, s, e, o, d, r in failing))
        return dg.AssetCheckResult(
            passed=failed == 0,
            severity=dg.AssetCheckSeverity.ERROR if blocking else dg.AssetCheckSeverity.WARN,
            description=f"{passed} scopes passed, {failed} failed, {na} not assessable",
            metadata={"scopes_passed": passed, "scopes_failed": failed, "scopes_not_assessable": na,
                      "reports_failing": reports, "rule": text,
                      "failing_scopes": dg.MetadataValue.md(table if failing else "No failing scopes.")})

    return _check


def build_checks() -> list[dg.AssetChecksDefinition]:
    blocking, texts = blocking_rules(), rule_descriptions()
    return [_rule_check(r, r in blocking, texts.get(r, "")) for r in rule_ids()]


ALL_CHECKS = build_checks()

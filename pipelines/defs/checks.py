"""Asset checks: one per quality rule, reading the GX-judged rows of quality_results.

Rules of structural suites (schema, codes, uniqueness) are blocking ERROR checks: when they fail the
analyst views are not built. A report that fails one on its own (a year out of range, a value no count
can hold) is in held_reports, out of `reports` and every view: its failure is counted there, not here,
so one document never takes the views away from the others. Cross-checks and the other families are warnings: the warehouse records what
agencies published, and these say where it does not add up.
"""

import dagster as dg

from pipelines.defs.assets import ON_WAREHOUSE, quality_results
from pipelines.defs.resources import GongkaiSettings
from pipelines.lib.judge.quality import blocking_rules, rule_descriptions, rule_ids, rule_meanings
from pipelines.lib.load import connection

COUNTS_SQL = connection.read_sql("serve/rule_check_counts.sql")
FAILING_SQL = connection.read_sql("serve/rule_check_failing.sql")


def _fmt(v) -> str:
    return "" if v is None else (f"{v:g}" if isinstance(v, float) else str(v))


def _rule_result(rule_id: str, blocking: bool, text: str, counts: tuple, failing: list,
                 means: tuple[str, str] | None = None) -> dg.AssetCheckResult:
    passed, failed, na, reports, held = counts
    exp, obs = (f"expected: {means[0]}", f"observed: {means[1]}") if means else ("expected", "observed")
    table = (f"| agency | year | rule | scope | {exp} | {obs} | review |\n|---|---|---|---|---|---|---|\n"
             + "\n".join(f"| {a} | {_fmt(y)} | {rule_id} | {s} | {_fmt(e)} | {_fmt(o)} | "
                         f"{_fmt(d)}{': ' + r if r else ''} |" for a, y, s, e, o, d, r in failing))
    return dg.AssetCheckResult(
        asset_key=quality_results.key,
        check_name=rule_id,
        passed=failed == 0,
        severity=dg.AssetCheckSeverity.ERROR if blocking else dg.AssetCheckSeverity.WARN,
        description=f"{passed} scopes passed, {failed} failed, {na} not assessable"
                    + (f"; {held} held report(s) fail it (see held_reports)" if held else ""),
        metadata={"scopes_passed": passed, "scopes_failed": failed, "scopes_not_assessable": na,
                  "reports_failing": reports, "held_reports_failing": held, "rule": text,
                  "failing_scopes": dg.MetadataValue.md(table if failing else "No failing scopes."),
                  **({"expected_means": means[0], "observed_means": means[1]} if means else {})})


def build_checks() -> list[dg.AssetChecksDefinition]:
    """All rules in one step (a step per check costs a process each under the multiprocess executor)."""
    blocking, texts, meanings = blocking_rules(), rule_descriptions(), rule_meanings()
    rules = rule_ids()
    specs = [dg.AssetCheckSpec(name=r, asset=quality_results, blocking=r in blocking,
                               description=f"{'Blocking structural rule' if r in blocking else 'Warning'} {r}: "
                                           f"{texts.get(r, '')}"
                                           + (f" (expected: {meanings[r][0]}; observed: {meanings[r][1]})"
                                              if r in meanings else "")) for r in rules]

    @dg.multi_asset_check(specs=specs, name="quality_rules", op_tags=ON_WAREHOUSE)
    def quality_rules(gongkai: GongkaiSettings):
        con = connection.connect(gongkai.warehouse_path, read_only=True)
        try:  # two set-wise queries for all rules, not three per rule
            counts = {r: tuple(c) for r, *c in con.execute(COUNTS_SQL).fetchall()}
            failing: dict[str, list] = {}
            for r, *row in con.execute(FAILING_SQL).fetchall():
                failing.setdefault(r, []).append(tuple(row))
        finally:
            con.close()
        for r in rules:
            yield _rule_result(r, r in blocking, texts.get(r, ""), counts.get(r, (0, 0, 0, 0, 0)),
                               failing.get(r, []), meanings.get(r))

    return [quality_rules]


ALL_CHECKS = build_checks()

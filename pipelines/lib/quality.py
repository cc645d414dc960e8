"""Cross-check rules evaluated set-wise over every loaded report, judged by GX, written to quality_results."""

from __future__ import annotations

import duckdb
import polars as pl

from .gx_bridge import load_suite, run_suite
from .warehouse import now, read_sql

CROSS_CHECK_RULES = ("R1_flow", "R2_outcomes", "R3_requesters", "R4_review_totals")

QUALITY_SCHEMA = {
    "report_id": pl.String, "rule_id": pl.String, "scope": pl.String, "passed": pl.Boolean,
    "expected": pl.Float64, "observed": pl.Float64, "message": pl.String, "severity": pl.String,
}


def rule_frame(con: duckdb.DuckDBPyConnection, rule_id: str) -> pl.DataFrame:
    return con.sql(read_sql(f"checks/{rule_id}.sql")).pl().with_columns(
        pl.col("expected").cast(pl.Float64), pl.col("observed").cast(pl.Float64))


def _message(rule_id: str, scope: str, passed: bool | None, expected: float, observed: float) -> str:
    if passed is None:
        return f"{rule_id} on {scope}: not assessable, the total cell was left blank."
    if passed:
        return f"{rule_id} on {scope}: holds ({expected:g})."
    return f"{rule_id} on {scope}: expected {expected:g}, the parts add up to {observed:g} (off by {observed - expected:+g})."


def evaluate_cross_checks(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    return evaluate_suite(con, "cross_checks")


def evaluate_suite(con: duckdb.DuckDBPyConnection, suite_name: str) -> pl.DataFrame:
    """One row per rule x scope x report: passed True/False, or NULL when not assessable.

    Every expectation of the suite names its rule (meta.rule_id); the rule's shaping query
    sql/checks/<rule_id>.sql returns report_id, rule_id, scope, expected, observed, assessable.
    """
    suite = load_suite(suite_name)
    frames = {e["meta"]["rule_id"]: rule_frame(con, e["meta"]["rule_id"]) for e in suite["expectations"]}
    assessable = {r: f.filter(pl.col("assessable")) for r, f in frames.items()}
    outcomes = run_suite(suite, {r: f.select("expected", "observed").to_pandas() for r, f in assessable.items()})
    out = []
    for o in outcomes:
        a = assessable[o.rule_id].with_row_index("_i")
        failed = set(o.failed_index)
        a = a.with_columns(pl.col("_i").is_in(list(failed)).not_().alias("passed")).drop("_i")
        na = frames[o.rule_id].filter(~pl.col("assessable")).with_columns(pl.lit(None, pl.Boolean).alias("passed"))
        both = pl.concat([a, na]).with_columns(pl.lit(o.severity).alias("severity"))
        out.append(both)
    df = pl.concat(out) if out else pl.DataFrame(schema=QUALITY_SCHEMA)
    msgs = [_message(r, s, p, e, o) for r, s, p, e, o in
            df.select("rule_id", "scope", "passed", "expected", "observed").iter_rows()]
    return df.with_columns(pl.Series("message", msgs, pl.String)).select(list(QUALITY_SCHEMA))


def write_quality(con: duckdb.DuckDBPyConnection, frame: pl.DataFrame, rule_ids: tuple[str, ...]) -> None:
    """Replace the results of these rules in one transaction (re-running gives the same table)."""
    ts = now()
    con.execute("BEGIN")
    try:
        con.execute("DELETE FROM quality_results WHERE rule_id IN (SELECT unnest(?::VARCHAR[]))", [list(rule_ids)])
        con.register("_quality", frame.with_columns(pl.lit(ts).alias("evaluated_at")))
        con.execute("INSERT INTO quality_results BY NAME SELECT * FROM _quality")
        con.unregister("_quality")
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


def suite_names() -> list[str]:
    from .gx_bridge import EXPECTATIONS_DIR

    return sorted(p.stem for p in EXPECTATIONS_DIR.glob("*.json"))


def rule_ids() -> list[str]:
    """Every rule of every suite in expectations/, in suite order."""
    return [e["meta"]["rule_id"] for name in suite_names() for e in load_suite(name)["expectations"]]


def evaluate_all(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    frames = [evaluate_suite(con, name) for name in suite_names()]
    return pl.concat(frames) if frames else pl.DataFrame(schema=QUALITY_SCHEMA)


def refresh_quality(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Evaluate every suite and replace quality_results with the outcome, in one transaction."""
    frame = evaluate_all(con)
    write_quality(con, frame, tuple(rule_ids()))
    return frame

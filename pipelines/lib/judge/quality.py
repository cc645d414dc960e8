"""Data-quality rules evaluated set-wise over every loaded report, judged by GX, written to quality_results.

A rule is a shaping query ``sql/checks/<rule_id>.sql`` (one row per evaluated scope: report_id, rule_id,
scope, expected, observed, assessable) plus an expectation in a suite ``expectations/<family>.json``
that names it. Results are three-valued: passed, failed, or NULL when the scope cannot be assessed.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import polars as pl

from pipelines.lib.codes import load_codes
from pipelines.lib.harmonize.facts import code_domain
from pipelines.lib.judge.gx_bridge import EXPECTATIONS_DIR, GXSession, load_suite, run_suite
from pipelines.lib.load.connection import SQL_DIR, now, read_sql, runtime_dir

QUALITY_SCHEMA = {
    "report_id": pl.String, "rule_id": pl.String, "scope": pl.String, "passed": pl.Boolean,
    "expected": pl.Float64, "observed": pl.Float64, "message": pl.String, "severity": pl.String,
}


def gx_docs_dir(warehouse: Path) -> Path:
    """Where the GX Data Docs of a warehouse are built: <warehouse>.gongkai/quality/gx_docs."""
    return runtime_dir(warehouse) / "quality" / "gx_docs"


def suite_names() -> list[str]:
    return sorted(p.stem for p in EXPECTATIONS_DIR.glob("*.json"))


def suite_rules(name: str) -> list[str]:
    return list(dict.fromkeys(e["meta"]["rule_id"] for e in load_suite(name)["expectations"]))


def rule_ids() -> list[str]:
    """Every rule of every suite in expectations/, in suite order."""
    return [r for name in suite_names() for r in suite_rules(name)]


def blocking_rules() -> set[str]:
    """Rules of structural suites (meta.blocking): their failure stops the analyst views."""
    return {r for name in suite_names() if load_suite(name).get("meta", {}).get("blocking") for r in suite_rules(name)}


def rule_meanings() -> dict[str, tuple[str, str]]:
    """What expected and observed mean, for the rules whose suite says (meta expected_means / observed_means)."""
    return {e["meta"]["rule_id"]: (e["meta"]["expected_means"], e["meta"]["observed_means"])
            for n in suite_names() for e in load_suite(n)["expectations"]
            if e["meta"].get("expected_means") and e["meta"].get("observed_means")}


def rule_descriptions() -> dict[str, str]:
    return {e["meta"]["rule_id"]: e["meta"].get("rule", "") for n in suite_names() for e in load_suite(n)["expectations"]}


def seed_rule_inputs(con: duckdb.DuckDBPyConnection) -> None:
    """Tables the shaping queries read: the valid code combinations (with the template of each 表二 cell)."""
    codes = load_codes()
    t2 = [(t, it.item, r, c) for t, items in codes.proactive.items() for it in items.values()
          for r in it.rows for c in it.columns]
    dom = code_domain().with_columns(pl.lit(None, pl.String).alias("template"))
    dom = pl.concat([dom.filter(pl.col("table_no") != "T2"),
                     pl.DataFrame(t2, schema={"template": pl.String, "item": pl.String, "row_code": pl.String,
                                              "col_code": pl.String}, orient="row")
                     .with_columns(pl.lit("T2").alias("table_no"))], how="diagonal")
    con.register("_domain", dom.select("table_no", "template", "item", "row_code", "col_code"))
    con.execute("CREATE OR REPLACE TABLE code_domain AS SELECT * FROM _domain")
    con.unregister("_domain")


def rule_frame(con: duckdb.DuckDBPyConnection, rule_id: str) -> pl.DataFrame:
    """The shaping query's rows; an optional ``note`` column (what a failure message should add for this
    scope, e.g. C1's unresolved rows) is NULL when the query has none."""
    frame = con.sql(read_sql(f"checks/{rule_id}.sql")).pl()
    if "note" not in frame.columns:
        frame = frame.with_columns(pl.lit(None, pl.String).alias("note"))
    return frame.with_columns(
        pl.col("report_id").cast(pl.String), pl.col("scope").cast(pl.String),
        pl.col("expected").cast(pl.Float64), pl.col("observed").cast(pl.Float64),
        pl.col("assessable").cast(pl.Boolean), pl.col("note").cast(pl.String))


def _message(rule_id: str, scope: str, passed: bool | None, expected: float, observed: float,
             hint: str | None = None, means: tuple[str | None, str | None] = (None, None),
             note: str | None = None) -> str:
    """``means``: what expected and observed stand for in this rule (suite meta expected_means /
    observed_means), said beside the numbers so a reader need not know the rule's query."""
    if passed is None:
        return f"{rule_id} on {scope}: not assessable (the total cell was left blank or the input is missing)."
    if passed:
        return f"{rule_id} on {scope}: holds ({expected:g})."
    exp_means, obs_means = means
    exp = f"{expected:g}" + (f" ({exp_means})" if exp_means else "")
    obs = f"{observed:g}" + (f" ({obs_means})" if obs_means else "")
    msg = f"{rule_id} on {scope}: expected {exp}, found {obs}; off by {observed - expected:+g}."
    return " ".join(part for part in (msg, note, hint) if part)


def evaluate_suite(con: duckdb.DuckDBPyConnection, suite_name: str, session: GXSession | None = None) -> pl.DataFrame:
    """One row per rule x scope x report of this suite: passed True/False, or NULL when not assessable."""
    suite = load_suite(suite_name)
    blocking = bool(suite.get("meta", {}).get("blocking"))
    frames = {r: rule_frame(con, r) for r in suite_rules(suite_name)}
    judged = pl.concat([f.filter(pl.col("assessable")) for f in frames.values()]) if frames else None
    if judged is None or judged.is_empty():
        judged = pl.DataFrame(schema={"report_id": pl.String, "rule_id": pl.String, "scope": pl.String,
                                      "expected": pl.Float64, "observed": pl.Float64, "assessable": pl.Boolean,
                                      "note": pl.String})
    # rule_id as a category: millions of scopes at national scale would otherwise be as many Python strings.
    outcomes = run_suite(suite, judged.select(pl.col("rule_id").cast(pl.Categorical), "expected", "observed")
                         .to_pandas(), session=session)
    failed = sorted({i for o in outcomes for i in o.failed_index})
    severity = {o.rule_id: ("error" if blocking else o.severity) for o in outcomes}
    judged = judged.with_row_index("_i").with_columns(pl.col("_i").is_in(failed).not_().alias("passed")).drop("_i")
    not_assessable = [f.filter(~pl.col("assessable")).with_columns(pl.lit(None, pl.Boolean).alias("passed"))
                      for f in frames.values()]
    df = pl.concat([judged, *not_assessable])
    df = df.with_columns(pl.col("rule_id").replace_strict(severity, default="warning").alias("severity"))
    # A suite may say where to look when a rule fails (meta.failure_hint), e.g. C1 -> unresolved_rows.
    hints = {e["meta"]["rule_id"]: e["meta"].get("failure_hint") for e in suite["expectations"]}
    means = {e["meta"]["rule_id"]: (e["meta"].get("expected_means"), e["meta"].get("observed_means"))
             for e in suite["expectations"]}
    msgs = [_message(r, s, p, e, o, hints.get(r), means.get(r, (None, None)), n) for r, s, p, e, o, n in
            df.select("rule_id", "scope", "passed", "expected", "observed", "note").iter_rows()]
    return df.with_columns(pl.Series("message", msgs, pl.String)).select(list(QUALITY_SCHEMA))


def evaluate_all(con: duckdb.DuckDBPyConnection, docs_dir: Path | None = None) -> pl.DataFrame:
    seed_rule_inputs(con)
    session = GXSession(docs_dir)
    names = suite_names()
    frames = [evaluate_suite(con, name, session=session) for name in names]
    session.build_docs()
    if docs_dir is not None:
        from pipelines.lib.serve.data_docs import SuiteSummary, publish_offline

        publish_offline(docs_dir, [
            SuiteSummary(name, f["rule_id"].n_unique(), f.height, f.filter(pl.col("passed").eq(False)).height)
            for name, f in zip(names, frames, strict=True)])
    return pl.concat(frames) if frames else pl.DataFrame(schema=QUALITY_SCHEMA)


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


def refresh_quality(con: duckdb.DuckDBPyConnection, docs_dir: Path | None = None) -> pl.DataFrame:
    """Evaluate every suite and replace quality_results with the outcome, in one transaction."""
    frame = evaluate_all(con, docs_dir)
    write_quality(con, frame, tuple(rule_ids()))
    return frame


def quality_rule_files() -> list[Path]:
    """What the quality results depend on besides the loaded reports: suites, shaping queries, judging code."""
    from pipelines.lib.judge import gx_bridge

    return [*sorted(gx_bridge.EXPECTATIONS_DIR.glob("*.json")), *sorted((SQL_DIR / "checks").glob("*.sql")),
            Path(__file__), Path(gx_bridge.__file__)]


def quality_is_current(con: duckdb.DuckDBPyConnection, rule_files: list[Path] | None = None) -> bool:
    """True when quality_results was evaluated after the last report load and after the rules last changed.

    Lets a nightly run that loaded nothing skip re-judging the whole corpus. Timestamps are whole
    seconds, so a load in the same second as the evaluation counts as newer (re-evaluate: safe side).
    """
    # A person's reading (`gongkai resolve`) changes facts without a load: it counts as one.
    loaded, evaluated = con.execute(
        "SELECT greatest((SELECT max(loaded_at) FROM report_history), (SELECT max(resolved_at) FROM cell_resolutions)), "
        "(SELECT max(evaluated_at) FROM quality_results)"
    ).fetchall()[0]
    if loaded is None:
        return evaluated is None  # nothing loaded, nothing to judge
    if evaluated is None or loaded >= evaluated:
        return False
    files = quality_rule_files() if rule_files is None else rule_files
    rules_changed = max((f.stat().st_mtime for f in files if f.exists()), default=0.0)
    return rules_changed < evaluated.replace(tzinfo=dt.UTC).timestamp()

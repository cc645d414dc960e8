"""Data-quality rules evaluated set-wise over the loaded reports, judged by GX, written to quality_results.

A rule is a shaping query ``sql/checks/<rule_id>.sql`` (one row per evaluated scope: report_id, rule_id,
scope, expected, observed, assessable) plus an expectation in a suite ``expectations/<family>.json``
that names it. Results are three-valued: passed, failed, or NULL when the scope cannot be assessed.

A pass judges only the agencies whose reports changed since they were last judged (everything when the
rules changed, or on request), a chunk of whole agencies at a time so memory stays flat as the corpus
grows (pipelines/lib/judge/plan.py), and replaces exactly their rows in one transaction.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from pipelines.lib.codes import load_codes
from pipelines.lib.harmonize.facts import code_domain
from pipelines.lib.judge import plan as judging
from pipelines.lib.judge.gx_bridge import (
    EXPECTATIONS_DIR,
    ExpectationOutcome,
    GXSession,
    JudgeSession,
    Reply,
    load_suite,
)
from pipelines.lib.load.connection import now, read_sql, runtime_dir, transaction
from pipelines.lib.memory import give_memory_back

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
    """The shaping query's rows for the reports in judge_scope. An optional ``note`` column (what a failure
    message should add for this scope, e.g. C1's unresolved rows) is NULL when the query has none; rows that
    name no report carry the ``agency_id`` they belong to (a query that has such rows must say)."""
    frame = con.sql(read_sql(f"checks/{rule_id}.sql")).pl()
    if "note" not in frame.columns:
        frame = frame.with_columns(pl.lit(None, pl.String).alias("note"))
    if "agency_id" not in frame.columns:
        if frame["report_id"].null_count():
            raise ValueError(f"sql/checks/{rule_id}.sql returns rows without a report_id: it must return the "
                             "agency_id each belongs to, so a pass can replace them with their agency's rows")
        frame = frame.with_columns(pl.lit(None, pl.String).alias("agency_id"))
    return frame.with_columns(
        pl.col("report_id").cast(pl.String), pl.col("scope").cast(pl.String),
        pl.col("expected").cast(pl.Float64), pl.col("observed").cast(pl.Float64),
        pl.col("assessable").cast(pl.Boolean), pl.col("note").cast(pl.String), pl.col("agency_id").cast(pl.String))


def _message(rule_id: str, scope: str, passed: bool | None, expected: float, observed: float,
             hint: str | None = None, means: tuple[str | None, str | None] = (None, None),
             note: str | None = None) -> str:
    """One finding's sentence (the definition; ``messages`` builds the same sentences set-wise).
    ``means``: what expected and observed stand for in this rule (suite meta expected_means /
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


def _formatted(values: pl.Expr, frame: pl.DataFrame, spec: str) -> pl.Expr:
    """``format(v, spec)`` of every value, computed once per distinct value (the counts repeat a lot)."""
    distinct = frame.select(values.alias("v")).get_column("v").drop_nulls().unique().to_list()
    return values.replace_strict({v: format(v, spec) for v in distinct}, default="NULL", return_dtype=pl.String)


def messages(frame: pl.DataFrame, hints: dict[str, str | None],
             means: dict[str, tuple[str | None, str | None]]) -> pl.Series:
    """``_message`` of every row of ``frame`` (rule_id, scope, passed, expected, observed, note), built as
    column expressions: at national scale a pass writes millions of sentences."""
    zero_signless = [pl.col(c).replace(-0.0, 0.0) for c in ("expected", "observed")]  # '-0' says nothing
    frame = frame.with_columns(*zero_signless, (pl.col("observed") - pl.col("expected")).alias("_off"))
    exp, obs, off = (_formatted(pl.col("expected"), frame, "g"), _formatted(pl.col("observed"), frame, "g"),
                     _formatted(pl.col("_off"), frame, "+g"))

    def per_rule(table: dict[str, str]) -> pl.Expr:
        return pl.col("rule_id").replace_strict(table, default="", return_dtype=pl.String)

    exp_means = per_rule({r: f" ({m[0]})" for r, m in means.items() if m[0]})
    obs_means = per_rule({r: f" ({m[1]})" for r, m in means.items() if m[1]})
    hint = per_rule({r: f" {h}" for r, h in hints.items() if h})
    note = pl.when(pl.col("note").fill_null("") != "").then(pl.lit(" ") + pl.col("note")).otherwise(pl.lit(""))
    head = pl.col("rule_id") + pl.lit(" on ") + pl.col("scope").fill_null("None")
    sentence = (pl.when(pl.col("passed").is_null())
                .then(head + pl.lit(": not assessable (the total cell was left blank or the input is missing)."))
                .when(pl.col("passed"))
                .then(head + pl.lit(": holds (") + exp + pl.lit(")."))
                .otherwise(pl.concat_str([head, pl.lit(": expected "), exp, exp_means, pl.lit(", found "), obs,
                                          obs_means, pl.lit("; off by "), off, pl.lit("."), note, hint])))
    return frame.select(sentence.alias("message")).get_column("message")


_RESULT_COLUMNS = [*QUALITY_SCHEMA, "agency_id"]


@dataclass(frozen=True)
class _SuiteInput:
    """One suite's rule frames for the reports in judge_scope, before GX has judged them."""
    suite: dict
    judged: pl.DataFrame  # the assessable scopes, in the order GX sees them
    not_assessable: list[pl.DataFrame]

    def for_gx(self) -> pl.DataFrame:
        # rule_id as a category: millions of scopes at national scale would otherwise be as many Python strings.
        return self.judged.select(pl.col("rule_id").cast(pl.Categorical), "expected", "observed")


def _suite_input(con: duckdb.DuckDBPyConnection, suite_name: str) -> _SuiteInput:
    frames = {r: rule_frame(con, r) for r in suite_rules(suite_name)}
    judged = pl.concat([f.filter(pl.col("assessable")) for f in frames.values()]) if frames else None
    if judged is None or judged.is_empty():
        judged = pl.DataFrame(schema={"report_id": pl.String, "rule_id": pl.String, "scope": pl.String,
                                      "expected": pl.Float64, "observed": pl.Float64, "assessable": pl.Boolean,
                                      "note": pl.String, "agency_id": pl.String})
    not_assessable = [f.filter(~pl.col("assessable")).with_columns(pl.lit(None, pl.Boolean).alias("passed"))
                      for f in frames.values()]
    return _SuiteInput(load_suite(suite_name), judged, not_assessable)


def _suite_results(given: _SuiteInput, outcomes: list[ExpectationOutcome]) -> pl.DataFrame:
    """The suite's quality_results rows, from its input and GX's outcomes: one row per rule x scope x report
    in judge_scope, passed True/False, or NULL when not assessable; ``agency_id`` is set on the rows that name
    no report."""
    suite = given.suite
    blocking = bool(suite.get("meta", {}).get("blocking"))
    failed = sorted({i for o in outcomes for i in o.failed_index})
    severity = {o.rule_id: ("error" if blocking else o.severity) for o in outcomes}
    judged = given.judged.with_row_index("_i").with_columns(
        pl.col("_i").is_in(failed).not_().alias("passed")).drop("_i")
    df = pl.concat([judged, *given.not_assessable])
    df = df.with_columns(pl.col("rule_id").replace_strict(severity, default="warning").alias("severity"))
    # A suite may say where to look when a rule fails (meta.failure_hint), e.g. C1 -> unresolved_rows.
    hints = {e["meta"]["rule_id"]: e["meta"].get("failure_hint") for e in suite["expectations"]}
    means = {e["meta"]["rule_id"]: (e["meta"].get("expected_means"), e["meta"].get("observed_means"))
             for e in suite["expectations"]}
    return df.with_columns(messages(df, hints, means)).select(_RESULT_COLUMNS)


@dataclass(frozen=True)
class QualityPass:
    """What one refresh_quality did."""
    full: bool  # every agency judged (rules changed, never judged, or asked)
    reason: str
    agencies: int  # agencies judged
    reports: int  # report versions judged
    chunks: int
    scopes: int  # quality_results rows written
    docs: Reply[None] | None = field(default=None, compare=False, repr=False)  # the Data Docs being rendered

    def wait_for_docs(self) -> None:
        """Return when the pass's Data Docs are written (raises what rendering them raised)."""
        if self.docs is not None:
            self.docs.result()

    @property
    def judged(self) -> bool:
        return self.full or self.chunks > 0

    def summary(self) -> str:
        if not self.judged:
            return f"quality results stand ({self.reason})"
        what = "full pass" if self.full else "changed agencies only"
        return (f"{what}: {self.scopes} scopes of {self.reports} report versions, {self.agencies} agencies, "
                f"in {self.chunks} chunk(s) ({self.reason})")


Progress = Callable[[str], None]
SessionFactory = Callable[[Path | None], JudgeSession]  # docs_dir (None: no Data Docs) -> a GX session


def _judge_chunk(con: duckdb.DuckDBPyConnection, agencies: list[str], session: JudgeSession, run_name: str,
                 evaluated_at: dt.datetime) -> int:
    """Judge the reports of ``agencies`` (whole judging groups) with every suite and replace their rows and
    bookkeeping, in one transaction. Returns the rows written.

    One transaction per chunk, not per pass: DuckDB keeps a transaction's inserted rows in memory until it
    commits (measured: ~90 MB per 630,000 results), so a pass over 100,000 reports in one transaction would
    grow by a gigabyte. A pass that stops half-way leaves every agency either judged anew or as it was, and
    the next pass judges the rest (their bookkeeping still says they are stale).
    """
    con.register("_chunk_agencies", pl.DataFrame({"agency_id": agencies}, schema={"agency_id": pl.String}))
    with judging.report_inputs(con):
        try:
            with transaction(con):
                written = _replace_chunk(con, session, run_name, evaluated_at)
        finally:
            con.unregister("_chunk_agencies")
            for name in ("judge_scope", "judge_agencies"):
                con.execute(f"DROP TABLE IF EXISTS temp.{name}")
    return written


def _replace_chunk(con: duckdb.DuckDBPyConnection, session: JudgeSession, run_name: str,
                   evaluated_at: dt.datetime) -> int:
    """The statements of one chunk's transaction (see _judge_chunk): scope, remove, judge and insert, record."""
    con.execute(read_sql("judge/scope.sql"))
    con.execute(read_sql("judge/replace_begin.sql"))
    written = 0

    def insert(given: _SuiteInput, outcomes: list[ExpectationOutcome]) -> int:
        frame = _suite_results(given, outcomes)
        con.register("_judged", frame.with_columns(pl.lit(evaluated_at).alias("evaluated_at")))
        try:
            con.execute("INSERT INTO quality_results BY NAME SELECT * EXCLUDE (agency_id) FROM _judged")
            con.execute("INSERT INTO quality_scope_agencies BY NAME "
                        "SELECT rule_id, scope, agency_id FROM _judged WHERE report_id IS NULL")
        finally:
            con.unregister("_judged")
        return frame.height

    # Pipelined, one request out at a time: while GX judges one suite (in its own process, when there is
    # one), this process shapes the next suite's frames and writes the previous suite's rows.
    names = suite_names()
    if names:
        given = _suite_input(con, names[0])
        reply = session.submit(given.suite, given.for_gx(), run_name=run_name)
        for k in range(len(names)):
            upcoming = _suite_input(con, names[k + 1]) if k + 1 < len(names) else None
            outcomes = reply.result()
            if upcoming is not None:
                reply = session.submit(upcoming.suite, upcoming.for_gx(), run_name=run_name)
            written += insert(given, outcomes)
            if upcoming is not None:
                given = upcoming
    con.execute(read_sql("judge/replace_end.sql"))
    return written


def refresh_quality(con: duckdb.DuckDBPyConnection, docs_dir: Path | None = None, *, full: bool = False,
                    chunk_reports: int | None = None, progress: Progress | None = None,
                    sessions: SessionFactory = GXSession, wait_for_docs: bool = True) -> QualityPass:
    """Judge what changed since the last pass (everything when the rules changed or ``full``) and replace
    exactly those agencies' rows of quality_results.

    Agencies are judged in chunks of at most ``chunk_reports`` report versions (default
    GONGKAI_QUALITY_CHUNK, 10,000), each chunk in one transaction (see _judge_chunk); a pass with one chunk,
    every nightly run and any warehouse up to that size, is one transaction. With ``docs_dir``, the GX
    Data Docs show the last chunk's validations (named e.g. full-3-of-3) and their index lists every suite
    with the warehouse's totals; when they are missing, everything is judged. ``sessions`` makes the GX
    sessions: in this process by default, or in a GX process started earlier (gx_process.sessions()).
    With ``wait_for_docs=False`` the Data Docs may still be rendering (in the GX process) when this
    returns: the caller works meanwhile and calls ``wait_for_docs()`` on the result.
    """
    why = "asked to judge everything"
    if docs_dir is not None and not full and not (docs_dir / "index.html").exists():
        full, why = True, "the Data Docs are missing (their pages are the validations themselves)"
    plan = judging.plan_judging(con, full=full, chunk_reports=chunk_reports, why_full=why)
    if plan.nothing_to_do:
        return QualityPass(False, plan.reason, 0, 0, 0, 0)
    seed_rule_inputs(con)
    kind = "full" if plan.full else "changed"
    written = 0
    evaluated_at = now()
    session = None
    for k, chunk in enumerate(plan.chunks, 1):
        # A GX context per chunk: GX keeps every batch and validation result of its context. Only the last
        # chunk's validations are rendered in the Data Docs, which keep the newest few runs per suite.
        last = k == len(plan.chunks)
        session = sessions(docs_dir if last else None)
        written += _judge_chunk(con, chunk, session, f"{kind}-{k}-of-{len(plan.chunks)}", evaluated_at)
        if progress:
            progress(f"quality: chunk {k}/{len(plan.chunks)} judged ({len(chunk)} agencies, {written} scopes)")
        if not last:
            session = None
            give_memory_back()  # the chunk's GX context and frames
    if plan.full:
        with transaction(con):
            con.execute(read_sql("judge/finish_full.sql"))
            con.execute("INSERT OR REPLACE INTO warehouse_meta VALUES (?, ?)",
                        [judging.FINGERPRINT_KEY, plan.fingerprint])
    done = QualityPass(plan.full, plan.reason, len(plan.agencies), plan.reports, len(plan.chunks), written)
    if docs_dir is not None:
        done = dataclasses.replace(done, docs=(session or sessions(docs_dir)).publish(suite_summaries(con)))
        if wait_for_docs:
            done.wait_for_docs()
    return done


def suite_summaries(con: duckdb.DuckDBPyConnection) -> list:
    """Per suite, from the stored quality_results (the whole warehouse, not only this pass): rules with
    scopes, scopes, failed scopes."""
    from pipelines.lib.serve.data_docs import SuiteSummary

    per_rule = {r: (n, failed) for r, n, failed in con.execute(
        "SELECT rule_id, count(*), count(*) FILTER (WHERE NOT passed) FROM quality_results GROUP BY rule_id"
    ).fetchall()}
    out = []
    for name in suite_names():
        rules = [r for r in suite_rules(name) if r in per_rule]
        out.append(SuiteSummary(name, len(rules), sum(per_rule[r][0] for r in rules),
                                sum(per_rule[r][1] for r in rules)))
    return out


# Kept where callers look for them; the judging plan owns them (pipelines/lib/judge/plan.py).
quality_rule_files = judging.quality_rule_files
quality_is_current = judging.quality_is_current

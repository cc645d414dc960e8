"""What people read about data quality: a scorecard, a failures chart and a standalone HTML report."""

from __future__ import annotations

import base64
import html
import io
from dataclasses import dataclass

import duckdb
import polars as pl

from pipelines.lib.serve import recall

SCORE_BY_YEAR_SQL = """
WITH per_report AS (
    SELECT r.report_id, r.year,
           coalesce(bool_and(q.passed IS NOT false) FILTER (WHERE q.severity <> 'error'), true) AS consistent
    FROM reports r LEFT JOIN quality_results q USING (report_id)
    GROUP BY r.report_id, r.year
)
SELECT year, count(*) AS reports, count(*) FILTER (WHERE consistent) AS fully_consistent,
       round(100.0 * count(*) FILTER (WHERE consistent) / count(*), 1) AS pct_consistent
FROM per_report GROUP BY year ORDER BY year
"""

SCORE_BY_RULE_SQL = """
WITH per AS (
    SELECT q.rule_id, r.year, q.report_id,
           bool_or(q.passed = false) AS failed, bool_or(q.passed IS NOT NULL) AS assessed
    FROM quality_results q JOIN reports r USING (report_id)
    GROUP BY q.rule_id, r.year, q.report_id
)
SELECT rule_id, year, count(*) FILTER (WHERE assessed) AS reports_assessed,
       count(*) FILTER (WHERE failed) AS reports_failing,
       round(100.0 * count(*) FILTER (WHERE assessed AND NOT failed) / nullif(count(*) FILTER (WHERE assessed), 0), 1)
           AS pct_passing
FROM per GROUP BY rule_id, year ORDER BY rule_id, year
"""

# One row per agency_id (not per printed name: 洪泽区人民政府 and 淮安市洪泽区人民政府 are one agency), shown
# under the name of its latest report.
AGENCY_SQL = """
SELECT arg_max(r.agency_name, r.year) AS agency_name, min(r.year) AS first_year, max(r.year) AS last_year,
       count(DISTINCT r.report_id) AS reports,
       count(*) FILTER (WHERE q.passed = false) AS failing_scopes,
       string_agg(DISTINCT q.rule_id, ', ' ORDER BY q.rule_id) FILTER (WHERE q.passed = false) AS rules_failed
FROM reports r LEFT JOIN quality_results q USING (report_id)
GROUP BY r.agency_id ORDER BY failing_scopes DESC, agency_name
"""

FINDINGS_SQL = """
WITH latest AS (SELECT agency_id, arg_max(agency_name, year) AS agency_name FROM reports GROUP BY agency_id)
SELECT l.agency_name, f.year, f.rule_id, f.scope, f.expected, f.observed, f.severity, f.review_decision,
       f.review_reason
FROM quality_findings f LEFT JOIN reports r USING (report_id) LEFT JOIN latest l USING (agency_id)
WHERE f.passed = false ORDER BY l.agency_name, f.year, f.rule_id, f.scope
"""


@dataclass
class Scorecard:
    by_year: pl.DataFrame
    by_rule: pl.DataFrame
    agencies: pl.DataFrame
    findings: pl.DataFrame


def scorecard(con: duckdb.DuckDBPyConnection) -> Scorecard:
    return Scorecard(con.sql(SCORE_BY_YEAR_SQL).pl(), con.sql(SCORE_BY_RULE_SQL).pl(),
                     con.sql(AGENCY_SQL).pl(), con.sql(FINDINGS_SQL).pl())


def markdown_table(df: pl.DataFrame, limit: int = 200) -> str:
    if df.is_empty():
        return "none"
    cols = df.columns
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in df.head(limit).iter_rows():
        lines.append("| " + " | ".join("" if v is None else (f"{v:g}" if isinstance(v, float) else str(v))
                                       for v in row) + " |")
    if df.height > limit:
        lines.append(f"\n… {df.height - limit} more rows")
    return "\n".join(lines)


def failures_chart_png(by_rule: pl.DataFrame, title: str = "Reports failing each rule, per year") -> bytes:
    """Grouped bars: reports failing each rule, one bar per report year."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    failing = by_rule.filter(pl.col("reports_failing") > 0)
    rules = sorted(by_rule["rule_id"].unique().to_list()) if by_rule.height else []
    years = sorted(by_rule["year"].unique().to_list()) if by_rule.height else []
    fig, ax = plt.subplots(figsize=(max(6, 0.8 * len(rules) + 2), 3.6), dpi=100)
    width = 0.8 / max(1, len(years))
    for k, year in enumerate(years):
        counts = {r: c for r, y, c in failing.select("rule_id", "year", "reports_failing").iter_rows() if y == year}
        ax.bar([i + k * width for i in range(len(rules))], [counts.get(r, 0) for r in rules], width, label=str(year))
    ax.set_xticks([i + 0.4 - width / 2 for i in range(len(rules))], rules, rotation=35, ha="right", fontsize=8)
    ax.set_ylabel("reports failing")
    ax.set_title(title, fontsize=10)
    if years:
        ax.legend(fontsize=7, ncols=min(len(years), 7))
    ax.yaxis.get_major_locator().set_params(integer=True)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def _html_table(df: pl.DataFrame) -> str:
    if df.is_empty():
        return "<p>None.</p>"
    head = "".join(f"<th>{html.escape(c)}</th>" for c in df.columns)
    body = "".join("<tr>" + "".join(f"<td>{'' if v is None else html.escape(f'{v:g}' if isinstance(v, float) else str(v))}</td>"
                                    for v in row) + "</tr>" for row in df.iter_rows())
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def html_report(con: duckdb.DuckDBPyConnection, rule_descriptions: dict[str, str]) -> str:
    """A standalone page (no server, no external assets): per-agency table, per-rule and per-year charts."""
    sc = scorecard(con)
    chart = base64.b64encode(failures_chart_png(sc.by_rule)).decode("ascii")
    quarantine = con.sql("SELECT source_file, stage, reason, detail FROM quarantine ORDER BY source_file").pl()
    rules = pl.DataFrame({"rule_id": list(rule_descriptions), "rule": list(rule_descriptions.values())})
    n_reports = con.execute("SELECT count(*) FROM reports").fetchall()[0][0]
    seen = recall.recall(con)
    unresolved = recall.unresolved_listing(con)
    style = ("body{font-family:sans-serif;margin:2em;max-width:80em}table{border-collapse:collapse;margin:.5em 0 1.5em}"
             "td,th{border:1px solid #ccc;padding:.2em .5em;font-size:.9em;text-align:left}th{background:#f3f3f3}"
             "h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.5em}")
    return f"""<!doctype html>
<html lang="zh"><head><meta charset="utf-8"><title>Gongkai data-quality report</title><style>{style}</style></head>
<body>
<h1>Gongkai data-quality report</h1>
<p>{n_reports} current reports, {sc.findings.height} failing scopes, {quarantine.height} documents in quarantine.
A failing scope is a place where a report's own numbers do not add up (or a structural problem); the warehouse keeps
the numbers as printed.</p>
<h2>Reports fully consistent, per year</h2>{_html_table(sc.by_year)}
<h2>Per agency</h2>{_html_table(sc.agencies)}
<h2>Failures per rule and year</h2><img alt="reports failing each rule per year" src="data:image/png;base64,{chart}">
{_html_table(sc.by_rule.filter(pl.col("reports_failing") > 0))}
<h2>Findings</h2>{_html_table(sc.findings)}
<h2>Recall</h2><p>{html.escape(seen.summary())}.</p>{_html_table(seen.by_outcome)}
<h2>Unresolved rows</h2><p>Printed rows the parser could not read with certainty: left out of the facts, with every
candidate reading and what the agency's neighbouring years suggest (a suggestion, not a fact). A person who checked
the original records the reading with <code>gongkai resolve</code>.</p>{_html_table(unresolved)}
<h2>Quarantine</h2>{_html_table(quarantine)}
<h2>Rules</h2>{_html_table(rules)}
</body></html>
"""

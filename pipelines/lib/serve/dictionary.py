"""Generate docs/data-dictionary.md from a freshly built warehouse's comments and from codes.yaml.

Run ``python -m pipelines.lib.serve.dictionary [OUT]``. The page is generated: edit the SQL comments
(sql/ddl, sql/views) or codes.yaml, not the page.
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

import duckdb

from pipelines.lib.codes import code_labels, load_codes, proactive_crosswalk, sectors
from pipelines.lib.judge.gx_bridge import load_suite
from pipelines.lib.judge.quality import suite_names
from pipelines.lib.load import connection
from pipelines.lib.serve import export

REPO = Path(__file__).resolve().parents[3]
DEFAULT_OUT = REPO / "docs" / "data-dictionary.md"
REFERENCE = ("code_labels", "outcome_groups", "proactive_crosswalk", "admin_divisions")
DOMAIN_TITLES = {
    "template": "Templates", "requester_type": "Table 三 columns: requester types",
    "request_row": "Table 三 rows: requests and outcomes", "outcome_group": "Outcome groups",
    "proceeding": "Table 四 proceedings", "result": "Table 四 results", "proactive_item": "Table 二 items",
    "proactive_row": "Table 二 rows", "proactive_column": "Table 二 columns", "sector": "Sectors",
    "admin_level": "Administrative levels",
}


# Columns that recur across relations, described once (used when no COMMENT ON or DDL comment exists).
COMMON_COLUMNS = {
    "report_id": "Report key (one accepted document); joins every relation.",
    "agency_id": "Stable agency key; see `agencies`.",
    "agency_name": "Agency name as printed in the report.",
    "year": "Report year (the year the report covers, not the publication year).",
    "template": "'2019' or '2021' template.",
    "row_code": "Row code (codes below: request_row for table 三, proactive_row for table 二).",
    "requester_type": "Table 三 column: requester type code.",
    "proceeding": "Table 四 proceeding code.",
    "result": "Table 四 result code.",
    "item": "Table 二 article-20 item code.",
    "column_code": "Table 二 column code.",
    "col_code": "Column code (requester type, result or table-二 column).",
    "value": "The number under its codes (0 when the cell was blank).",
    "printed": "The cell's text as printed.",
    "blank": "The cell was printed empty or as a dash, /, 无 (value 0).",
    "derived": "Not printed: computed (2021 other_total = sum of its three sub-rows).",
    "inferred": "Recovered rather than read off printed separators or labels; inferred_how says how.",
    "inferred_how": "run_split: digits printed without separators, the only split the cell rules and the "
                    "table's arithmetic allow; run_split_narrative: of several splits, the only one agreeing with "
                    "the counts the report's own text states; printed_order: row label lost in conversion, the "
                    "code is the only one its printed position allows; text_positions: a PDF table printed without ruling "
                    "lines, rows and cells rebuilt from word positions; human: read from the original by a person "
                    "(`gongkai resolve`; reason in fact_provenance / cell_resolutions); ocr: read by OCR from a "
                    "scanned page (confidence says how sure the recogniser was); ocr_arithmetic: OCR's reading broke "
                    "the table's sums and this value is the only one that restores them all (printed keeps what OCR read).",
    "confidence": "OCR only: the recogniser's confidence (0–1) in the cell's printed text; NULL when read from text.",
    "source_file": "File the report was read from, relative to the inbox.",
    "sha256": "SHA-256 of the document's bytes.",
    "loaded_at": "When this version was loaded (UTC).",
    "title": "Report title as printed.",
    "format": "Document format (txt, html, docx, pdf, md).",
    "row_label": "Row label as printed.",
    "col_label": "Column label as printed.",
    "page": "PDF page of the cell (NULL for other formats).",
    "unit_factor": "stored value / printed value (e.g. 10000 when 万元 was printed where 元 is stored).",
    "region_name": "Province + city + county of the agency (NULL: not placed).",
    "adcode": "6-digit administrative-division code (NULL: not placed).",
    "admin_level": "national / province / city / county / township.",
    "sector": "Sector code (codes: sectors).",
    "label_zh": "Chinese label (official wording).",
    "label_en": "English label.",
    "rule_id": "Quality rule id (see Quality rules).",
    "scope": "What the rule was checked on: a requester column, a row, a proceeding, or 'agency'.",
    "passed": "true / false; NULL when the rule cannot be assessed.",
    "expected": "One side of the rule (the total, or the value implied by the previous year).",
    "observed": "The other side (the sum of the parts, or the value printed this year).",
    "message": "Human-readable finding.",
    "severity": "warning (the warehouse keeps what was published; the rule says where it does not add up).",
    "stage": "read / detect / parse / validate / load.",
    "reason": "Short reason code.",
    "detail": "Human sentence.",
    "first_seen": "When the document was first seen.",
    "requests": "Requests (table 三 总计 column, see request_totals).",
    "outcome_group": "Outcome group code.",
    "received_new": "一、本年新收 (总计 column).",
    "carried_over_from_prior": "二、上年结转 (总计 column).",
    "processed_total": "三、（七）总计 (总计 column).",
    "carried_forward": "四、结转下年度 (总计 column).",
    "granted": "（一）予以公开 (总计 column).",
    "partially_granted": "（二）部分公开 (总计 column).",
    "denied": "（三）不予公开, the eight grounds together (总计 column).",
    "outcomes_total": "Sum of all outcome rows （一）…（六） (= processed_total when the report adds up).",
    "reviews": "行政复议 cases (sum of the four result columns).",
    "lawsuits": "行政诉讼 cases, direct and after review (sum of the four result columns).",
    "corrected": "结果纠正 over all three proceedings.",
    "versions": "Accepted versions of the agency-year (> 1 = revised).",
    "first_year": "First report year loaded for the agency.",
    "last_year": "Last report year loaded for the agency.",
    "prev_year": "The previous calendar year, when the agency has a report for it (else NULL).",
    "sector_zh": "Sector label in Chinese.",
    "sector_en": "Sector label in English.",
    "region_adcode": "adcode of the province or city rolled up.",
    "agencies": "Distinct agencies.",
    "version_no": "1 for the lowest version of the agency-year, 2 for the next, ... (revision, signing date, hash).",
    "revision": "Revision the file name states: .v2 / _v3 -> 2 / 3; 修订, 更正, revised -> 1; none -> 0.",
    "published_on": "Date the report was signed, from its closing line (NULL when it does not end with one).",
    "path_hex": "The path's exact bytes, hex (path shows bytes that are not UTF-8 as \\xNN).",
    "status": "loaded / held / quarantined / pending / skipped.",
    "current_report_id": "The current report of the agency-year (NULL when missing).",
    "series": "Crosswalk series name.",
    "row": "Table 二 row code.",
    "note": "Why the series is or is not comparable.",
    "name": "Division name.",
    "level": "province / city / county (from the adcode).",
    "province_adcode": "adcode of the province.",
    "city_adcode": "adcode of the prefecture-level city (NULL for provinces).",
    "in_inbox": "The document is still in the inbox.",
    "evaluated_at": "When the rule was evaluated.",
    "narrative": "The report's prose (sections 一, 五, 六) as text.",
    "parse_warnings": "What the parser had to guess or repair.",
    "table_no": "T2 / T3 / T4 (table 二 / 三 / 四).",
    "substantive_disclosure_rate": "实质公开率 = (granted + partially_granted) / processed_total; NULL if 0.",
    "denial_share": "denied / outcomes_total; NULL if 0.",
    "correction_rate": "纠错率 = corrected / concluded reviews and lawsuits; NULL if none concluded.",
    "dispute_rate": "Reviews + lawsuits per 100 new requests; NULL if none received.",
    "disputes": "Reviews + lawsuits (all three proceedings).",
    "concluded": "Reviews + lawsuits with a result (total - pending).",
    "share_of_denied": "requests / all denials of the report; NULL if none.",
    "share_of_processed": "requests / （七）总计; NULL if 0.",
    "col_2019": "Table 二 column code in the 2019 template (NULL: not printed in 2019).",
    "col_2021": "Table 二 column code in the 2021 template (NULL: not printed from 2021).",
    "code": "The code.",
    "last_seen": "When the document or file was last seen in the inbox.",
    "size_bytes": "File size in bytes.",
    "path": "File path relative to the inbox.",
    "parser_version": "Parser version that produced the current result.",
    "mtime_ns": "File modification time (ns), for the hash cache.",
}


def _generic(col: str) -> str | None:
    """prev_x / x_change / x_pct_change of agency_year_change."""
    if col.startswith("prev_"):
        return f"{col[5:]} of the previous year."
    if col.endswith("_pct_change"):
        return f"({col[:-11]} - previous) / previous; NULL if previous is 0."
    if col.endswith("_change"):
        return f"{col[:-7]} this year - previous year."
    return None


def _ddl_comments() -> dict[tuple[str, str], str]:
    """Inline `-- comments` on column lines of sql/ddl/*.sql, by (table, column)."""
    out: dict[tuple[str, str], str] = {}
    for f in sorted((REPO / "sql" / "ddl").glob("*.sql")):
        table = None
        for line in f.read_text(encoding="utf-8").splitlines():
            m = re.match(r"\s*CREATE TABLE (?:IF NOT EXISTS )?(\w+)", line, flags=re.I)
            if m:
                table = m.group(1)
                continue
            m = re.match(r"\s+(\w+)\s+[A-Z].*?--\s*(.+)$", line)
            if table and m:
                out[(table, m.group(1))] = m.group(2).strip()
    return out


def _cell(text: object) -> str:
    return "" if text is None else str(text).replace("|", "\\|").replace("\n", " ")


def _relations(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, str | None]]:
    rows = con.execute(
        "SELECT view_name, 'view', comment FROM duckdb_views() WHERE schema_name = 'main' AND NOT internal "
        "UNION ALL SELECT table_name, 'table', comment FROM duckdb_tables() WHERE schema_name = 'main'").fetchall()
    return {name: (kind, comment) for name, kind, comment in rows}


def _columns(con: duckdb.DuckDBPyConnection, rel: str) -> list[tuple[str, str, str | None]]:
    """(name, type, description): the COMMENT ON text, else the DDL's inline comment, else COMMON_COLUMNS."""
    ddl = _ddl_comments()
    rows = con.execute("SELECT column_name, data_type, comment FROM duckdb_columns() "
                       "WHERE schema_name = 'main' AND table_name = ? ORDER BY column_index", [rel]).fetchall()
    return [(c, t, d or ddl.get((rel, c)) or ddl.get(("report_history", c)) or COMMON_COLUMNS.get(c)
             or _generic(c))
            for c, t, d in rows]


def render(con: duckdb.DuckDBPyConnection) -> str:
    rels = _relations(con)
    groups = [
        ("Contract relations", "What analysts, scripts and acceptance checks rely on (spec/contract.md).",
         list(export.CONTRACT_RELATIONS)),
        ("Analyst views", "Harmonized views over the contract relations; shares and rates are NULL when their "
         "denominator is 0.", [r for r in export.ANALYST_RELATIONS if r not in REFERENCE]),
        ("Reference tables", "Seeded from codes.yaml and the cpca division table on every run.", list(REFERENCE)),
    ]
    listed = {r for _, _, rs in groups for r in rs}
    groups.append(("Base and internal relations", "What the views above are built on.",
                   sorted(r for r in rels if r not in listed)))
    out = ["# Gongkai data dictionary", "",
           "Generated by `python -m pipelines.lib.serve.dictionary` from a freshly built warehouse (the COMMENT ON "
           "text of sql/ddl and sql/views) and from pipelines/data/codes.yaml. Do not edit by hand.", "",
           "Example questions answered in SQL: [analyst-queries.md](analyst-queries.md).", ""]
    for title, blurb, names in groups:
        out += [f"## {title}", "", blurb, "", "| relation | kind | description |", "|---|---|---|"]
        out += [f"| [`{n}`](#{n}) | {rels[n][0]} | {_cell(rels[n][1])} |"
                for n in names if n in rels]
        out.append("")
        for n in names:
            if n not in rels:
                continue
            kind, comment = rels[n]
            out += [f"### {n}", "", f"*{kind}.* {_cell(comment)}".rstrip(), "",
                    "| column | type | description |", "|---|---|---|"]
            if n == "request_wide":
                cols = _columns(con, n)
                fixed = [c for c in cols if "_" not in c[0] or c[0] in ("report_id", "agency_id", "agency_name",
                                                                     "region_name", "admin_level")]
                out += [f"| `{c}` | {t} | {_cell(d)} |" for c, t, d in fixed]
                out.append(f"| `<row_code>_<requester_type>` ({len(cols) - len(fixed)} columns) | BIGINT | "
                           "one table-三 cell, e.g. `granted_total`; codes below |")
            else:
                out += [f"| `{c}` | {t} | {_cell(d)} |" for c, t, d in _columns(con, n)]
            out.append("")
    out += ["## Codes", "", "Every figure is stored under these codes whatever wording or template the report "
            "used. Chinese labels are the official wording.", ""]
    labels = code_labels()
    kw = {s.code: "、".join(s.keywords) for s in sectors()}
    for domain, title in DOMAIN_TITLES.items():
        out += [f"### {title} (`{domain}`)", ""]
        if domain == "sector":
            out += ["The longest keyword found in the agency name after its place decides.", "",
                    "| code | 中文 | English | name keywords |", "|---|---|---|---|"]
            out += [f"| `{c}` | {_cell(zh)} | {_cell(en)} | {kw.get(c, '')} |"
                    for d, c, zh, en in labels if d == domain]
        else:
            out += ["| code | 中文 | English |", "|---|---|---|"]
            out += [f"| `{c}` | {_cell(zh)} | {_cell(en)} |" for d, c, zh, en in labels if d == domain]
        out.append("")
    out += ["### Outcome group members", "", "| group | request rows |", "|---|---|"]
    out += [f"| `{g}` | {', '.join(f'`{r}`' for r in rows)} |" for g, rows in load_codes().outcome_groups.items()]
    out += ["", "### Table 二 crosswalk 2019 ↔ 2021", "",
            "Only `comparable` series may be chained across the 2020/2021 template boundary "
            "(view `proactive_series`).", "",
            "| series | item | row | 2019 column | 2021 column | comparable | note |", "|---|---|---|---|---|---|---|"]
    out += [f"| `{w['series']}` | {w['item']} | {w['row']} | {w['col_2019'] or '—'} | {w['col_2021'] or '—'} | "
            f"{'yes' if w['comparable'] else 'no'} | {_cell(w['note'])} |" for w in proactive_crosswalk()]
    out += ["", "## Quality rules", "", "Each rule's shaping query is `sql/checks/<rule_id>.sql`; Great Expectations "
            "judges it with the suite named below (`expectations/<suite>.json`).", "",
            "| rule_id | suite | rule | severity |", "|---|---|---|---|"]
    for suite in suite_names():
        for e in load_suite(suite)["expectations"]:
            out.append(f"| `{e['meta']['rule_id']}` | {suite} | {_cell(e['meta'].get('rule'))} | "
                       f"{e.get('severity', 'warning')} |")
    return "\n".join(out) + "\n"


def build(out: Path = DEFAULT_OUT) -> Path:
    with tempfile.TemporaryDirectory() as tmp:
        con = connection.open_warehouse(Path(tmp) / "dictionary.duckdb")
        try:
            text = render(con)
        finally:
            con.close()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return out


if __name__ == "__main__":
    print(build(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUT))

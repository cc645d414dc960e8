"""Loading parsed reports: set-wise, all of a batch or none of it; quarantine records."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa

from pipelines.lib.harmonize.agencies import resolve_agencies
from pipelines.lib.harmonize.facts import UnknownCode, code_domain
from pipelines.lib.load import cross_year
from pipelines.lib.load.connection import now, read_sql
from pipelines.lib.load.resolutions import apply_resolutions
from pipelines.lib.model import ParsedReport, Quarantined
from pipelines.lib.progress import Ticker
from pipelines.lib.read.parse import PARSER_VERSION
from pipelines.lib.read.staging import Staging, results_table

Progress = Callable[[str], None]


def report_id_for(sha256: str) -> str:
    return "r" + sha256[:15]

# Which of two versions of one agency-year is current is decided by the documents, never by the order
# they were ingested in (the same inbox must give the same warehouse): (1) a revision marker in the file
# name, (2) the date the report was signed, (3) the content hash. See sql/views/010_contract.sql.
_REVISION_NUMBER = re.compile(r"(?:^|[._\-\s(（\[【])v(\d{1,3})(?=$|[._\-\s)）\]】])", re.IGNORECASE)
_REVISION_WORD = re.compile(r"修订|更正|修正|勘误|corrected|revised", re.IGNORECASE)
_SIGNED_DATE = re.compile(r"(20\d\d)\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")


def revision_from_name(source_file: str) -> int:
    """The revision a file name states: 'x.v3.txt' / 'x_v3' -> 3; 修订 / 更正 / revised without a number -> 1;
    none -> 0 (an original)."""
    stem = Path(source_file).name
    numbers = [int(m.group(1)) for m in _REVISION_NUMBER.finditer(stem)]
    if numbers:
        return max(numbers)
    return 1 if _REVISION_WORD.search(stem) else 0


def signed_date(narrative: str | None) -> dt.date | None:
    """The date a report was signed: the last full date in its closing lines (reports end with the
    issuing body and the date). None when the text does not end with one."""
    tail = (narrative or "").rstrip()[-200:]
    found = None
    for m in _SIGNED_DATE.finditer(tail):
        with contextlib.suppress(ValueError):
            found = dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    return found

def _test_pause_before_commit() -> None:
    """Test-only knob GONGKAI_TEST_SLOW_LOAD_MS: hold each report's transaction open that long before
    COMMIT, so the crash-safety test can SIGKILL a loader in the middle of a load. Unset in production."""
    ms = os.environ.get("GONGKAI_TEST_SLOW_LOAD_MS")
    if ms:
        time.sleep(int(ms) / 1000)

_HISTORY_SCHEMA = {
    "report_id": pl.String, "agency_id": pl.String, "agency_name": pl.String,
    "region_name": pl.String, "adcode": pl.String, "admin_level": pl.String, "sector": pl.String,
    "year": pl.Int32, "template": pl.String, "title": pl.String, "format": pl.String, "source_file": pl.String,
    "sha256": pl.String, "parse_warnings": pl.List(pl.String), "narrative": pl.String, "loaded_at": pl.Datetime("us"),
    "revision": pl.Int32, "published_on": pl.Date,
}

def load_report(con: duckdb.DuckDBPyConnection, rep: ParsedReport) -> str:
    """Insert one report and all its facts in one transaction: never half a report."""
    return load_reports(con, [rep])[0]

def load_reports(con: duckdb.DuckDBPyConnection, reps: list[ParsedReport]) -> list[str]:
    """Insert reports with all their facts in ONE transaction: all of them or none, never half a report."""
    return load_staged_set(con, results_table(reps)) if reps else []

# Facts and unresolved rows come out of the staged records' nested lists inside DuckDB (sql/load/).
_FACTS_SQL = read_sql("load/staged_facts.sql")
_UNRESOLVED_SQL = read_sql("load/staged_unresolved.sql")
_UNKNOWN_CODES_SQL = read_sql("load/unknown_codes.sql")
_DUPLICATE_CELLS_SQL = read_sql("load/duplicate_cells.sql")
_SIGNALS_SQL = read_sql("load/staged_identity_signals.sql")

def _history_frame(table: pa.Table, ids: list[str], ts) -> pl.DataFrame:
    names = table.column("agency_name").to_pylist()
    agencies = resolve_agencies(names)
    cols = {c: table.column(c).to_pylist() for c in
            ("year", "template", "title", "format", "source_file", "sha256", "warnings", "narrative")}
    return pl.DataFrame({
        "report_id": ids, "agency_id": [a.agency_id for a in agencies], "agency_name": names,
        "region_name": [a.region_name for a in agencies], "adcode": [a.adcode for a in agencies],
        "admin_level": [a.admin_level for a in agencies], "sector": [a.sector for a in agencies],
        **{c: cols[c] for c in ("year", "template", "title", "format", "source_file", "sha256")},
        "parse_warnings": cols["warnings"], "narrative": cols["narrative"], "loaded_at": [ts] * len(ids),
        "revision": [revision_from_name(f) for f in cols["source_file"]],
        "published_on": [signed_date(n) for n in cols["narrative"]],
    }, schema=_HISTORY_SCHEMA)

def load_staged_set(con: duckdb.DuckDBPyConnection, table: pa.Table) -> list[str]:
    """Insert staged report records (one Arrow row each) with all their facts in ONE transaction.

    Set-wise (a handful of statements per set, not per report): per-report statements cost ~10 ms each,
    as every DELETE scans the facts table, which at 10^5 reports is hours. Raises UnknownCode (nothing
    written) if a fact's codes are outside codes.yaml, ValueError if a report names one cell twice.
    """
    if table.num_rows == 0:
        return []
    ids = [report_id_for(sha) for sha in table.column("sha256").to_pylist()]
    if len(set(ids)) != len(ids):
        raise ValueError("a load batch holds the same document twice")
    history = _history_frame(table, ids, now())
    con.register("_staged_set", table.append_column("report_id", pa.array(ids, pa.string())))
    con.register("_code_domain", code_domain())
    try:
        facts = con.sql(_FACTS_SQL).to_arrow_table()
        unresolved = con.sql(_UNRESOLVED_SQL).to_arrow_table()
        signals = con.sql(_SIGNALS_SQL).to_arrow_table()
        con.register("_incoming_facts", facts)
        unknown = con.execute(_UNKNOWN_CODES_SQL).fetchall()
        if unknown:
            raise UnknownCode(f"codes outside codes.yaml: {unknown}")
        twice = con.execute(_DUPLICATE_CELLS_SQL).fetchall()
        if twice:
            raise ValueError(f"the same cell twice in one report (report, table, row, column, times): {twice}")
        con.execute("BEGIN")
        try:
            # accepted_seq records the load order (history); which version is current is decided by the
            # documents themselves (version_key in sql/views/010_contract.sql), never by this order.
            seqs = sorted(v for (v,) in con.execute("SELECT nextval('accepted_seq') FROM range(?)",
                                                    [len(ids)]).fetchall())
            con.register("_incoming_reports", history.with_columns(pl.Series("accepted_seq", seqs, pl.Int64)))
            con.register("_incoming_unresolved", unresolved)
            con.register("_incoming_signals", signals)
            # A report loaded before (a re-parse) is replaced; the usual set is all new, and a DELETE scans
            # the whole facts table, so it runs only when report_history (one row per load) holds one of them.
            reloaded = con.execute("SELECT count(*) FROM report_history WHERE report_id IN "
                                   "(SELECT report_id FROM _incoming_reports)").fetchone()[0]
            if reloaded:
                for t in ("facts", "unresolved_rows", "report_history", "report_identity_signals"):
                    con.execute(f"DELETE FROM {t} WHERE report_id IN (SELECT report_id FROM _incoming_reports)")
            con.execute("INSERT INTO report_history BY NAME SELECT * FROM _incoming_reports")
            con.execute("INSERT INTO facts BY NAME SELECT * FROM _incoming_facts")
            con.execute("INSERT INTO unresolved_rows BY NAME SELECT * FROM _incoming_unresolved")
            con.execute("INSERT INTO report_identity_signals BY NAME SELECT * FROM _incoming_signals")
            # People's readings of these documents (`gongkai resolve`) go back on before anyone sees the load.
            apply_resolutions(con, history)
            con.execute("DELETE FROM quarantine WHERE sha256 IN (SELECT sha256 FROM _incoming_reports)")
            # The file now loads: its quarantine rows for content no longer in the inbox (e.g. the half-written
            # copy quarantined table3_incomplete) are superseded.
            con.execute("DELETE FROM quarantine WHERE source_file IN (SELECT source_file FROM _incoming_reports) "
                        "AND sha256 NOT IN (SELECT sha256 FROM documents WHERE present)")
            con.execute("UPDATE documents SET status = 'loaded', parser_version = ?, report_id = i.report_id "
                        "FROM _incoming_reports i WHERE documents.sha256 = i.sha256", [PARSER_VERSION])
            _test_pause_before_commit()
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
    finally:
        for name in ("_staged_set", "_code_domain", "_incoming_facts", "_incoming_reports", "_incoming_unresolved",
                     "_incoming_signals"):
            with contextlib.suppress(Exception):
                con.unregister(name)
    return ids

def quarantine_document(con: duckdb.DuckDBPyConnection, q: Quarantined) -> None:
    ts = now()
    con.execute("BEGIN")
    try:
        con.execute(
            """INSERT INTO quarantine VALUES (?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (sha256) DO UPDATE SET stage = excluded.stage, reason = excluded.reason,
                   detail = excluded.detail, source_file = excluded.source_file, last_seen = excluded.last_seen""",
            [q.sha256, q.source_file, q.stage, q.reason, q.detail, ts, ts])
        con.execute("UPDATE documents SET status = 'quarantined', parser_version = ? WHERE sha256 = ?",
                    [PARSER_VERSION, q.sha256])
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


@dataclass
class LoadStats:
    loaded: list[str] = field(default_factory=list)
    quarantined: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, reason): not parsed this run


def record_unparsed(con: duckdb.DuckDBPyConnection, inbox: Path, sha: str, rel: str) -> str | None:
    """A pending document the parse left unstaged: why? Its file was replaced since the scan hashed it
    (changed_during_run) or cannot be read (unreadable); recorded in inbox_skips, and the path's hash
    cache is dropped so the next scan hashes the file afresh. None: not parsed for another reason
    (an interrupted run), it stays pending."""
    from pipelines.lib.load.documents import SKIP_REASONS, inbox_file, path_hex
    from pipelines.lib.read.parse import sha256_file

    path = inbox_file(inbox, rel)
    try:
        current = sha256_file(path)
    except FileNotFoundError:
        return None
    except OSError as e:
        reason, detail = "unreadable", f"{SKIP_REASONS['unreadable']} ({e.strerror or e})."
    else:
        if current == sha:
            return None
        reason, detail = "changed_during_run", SKIP_REASONS["changed_during_run"]
    con.execute("DELETE FROM file_index WHERE path = ?", [rel])
    con.execute("DELETE FROM inbox_skips WHERE path = ?", [rel])
    con.execute("INSERT INTO inbox_skips VALUES (?, ?, ?, ?, ?)",
                [rel, path_hex(str(path.relative_to(inbox))), reason, detail, now()])
    return reason

LOAD_BATCH = 500  # reports per load transaction: set-wise statements, one commit per batch

def load_staged(con: duckdb.DuckDBPyConnection, items: list[tuple[str, str]], staging: Path | str | Staging,
                progress: Progress | None = None, batch_size: int = LOAD_BATCH,
                inbox: Path | None = None) -> LoadStats:
    """Load staged results in transactions of up to ``batch_size`` reports (all of a batch or none of it).

    Each set of staged records is read as one Arrow table and handed to DuckDB whole. If a batch fails,
    its reports are loaded one by one, so only the report that cannot be loaded is quarantined (stage
    ``load``) and the others go in. A document with no readable staged result (not parsed yet, or its
    staged record was torn) stays pending and is parsed again by the next run; with ``inbox``, one the parse
    left unstaged because its file changed or cannot be read is accounted for (see record_unparsed).
    """
    staging = staging if isinstance(staging, Staging) else Staging(staging)
    stats = LoadStats()
    chunks = [items[start: start + batch_size] for start in range(0, len(items), batch_size)]
    ticker = Ticker()
    # The next set's staged records are read while DuckDB writes this one (reading is I/O and zstd).
    with ThreadPoolExecutor(max_workers=1) as reader:
        upcoming = reader.submit(staging.read_many, [sha for sha, _ in chunks[0]]) if chunks else None
        for k, chunk in enumerate(chunks):
            assert upcoming is not None
            table, missing = upcoming.result()
            if k + 1 < len(chunks):
                upcoming = reader.submit(staging.read_many, [sha for sha, _ in chunks[k + 1]])
            _load_chunk(con, chunk, table, missing, stats, inbox)
            # Committed: the staged results are spent (a re-parse for a new parser version writes new ones).
            # Removed by the reader thread while DuckDB writes the next set; what a crash before this leaves
            # is swept at the end of a later load (sweep_spent_staging), never a missing result.
            reader.submit(staging.discard_many, table.column("sha256").to_pylist())
            if progress and ticker.due(final=k + 1 == len(chunks)):
                progress(f"read {min((k + 1) * batch_size, len(items))}/{len(items)} staged results")
    if stats.loaded:
        cross_year.refresh_suggestions(con)  # set-wise, once per load: a new year is evidence for its neighbours
    sweep_spent_staging(con, staging)
    return stats


def sweep_spent_staging(con: duckdb.DuckDBPyConnection, staging: Staging) -> int:
    """Remove staged results of documents this parser version has already loaded or quarantined: what a
    crash between a commit and its removal left (nothing would ever read them). Returns how many."""
    shas = staging.staged_shas()
    if not shas:
        return 0
    con.register("_staged_now", pa.table({"sha256": pa.array(shas, pa.string())}))
    try:
        spent = [s for (s,) in con.execute(
            "SELECT sha256 FROM documents WHERE sha256 IN (SELECT sha256 FROM _staged_now) "
            "AND status IN ('loaded', 'quarantined') AND parser_version = ?", [PARSER_VERSION]).fetchall()]
    finally:
        con.unregister("_staged_now")
    staging.discard_many(spent)
    return len(spent)


def _load_chunk(con: duckdb.DuckDBPyConnection, chunk: list[tuple[str, str]], table: pa.Table, missing: list[str],
                stats: LoadStats, inbox: Path | None) -> None:
    """One set of staged records: quarantine records recorded, reports loaded all together (or one by one
    when the set fails, so only the report that cannot be loaded is quarantined)."""
    rel_of = dict(chunk)
    if inbox is not None:
        for sha in missing:
            why = record_unparsed(con, inbox, sha, rel_of[sha])
            if why:
                stats.skipped.append((rel_of[sha], why))
    if table.num_rows == 0:
        return
    # the inbox path now, not the one the document had when it was parsed
    table = table.set_column(table.schema.get_field_index("source_file"), "source_file",
                             pa.array([rel_of[s] for s in table.column("sha256").to_pylist()], pa.string()))
    is_report = [k == "report" for k in table.column("kind").to_pylist()]
    reports = table
    if not all(is_report):  # a filter copies the nested facts: only when there is something to leave out
        reports = table.filter(pa.array(is_report))
        for row in table.filter(pa.array([not r for r in is_report])).select(
                ["source_file", "sha256", "stage", "reason", "detail"]).to_pylist():
            quarantine_document(con, Quarantined(**row))
            stats.quarantined.append((row["source_file"], row["reason"]))
    try:
        stats.loaded.extend(load_staged_set(con, reports))
    except Exception:  # noqa: BLE001 - find the report that broke the batch
        for k in range(reports.num_rows):
            one = reports.slice(k, 1)
            try:
                stats.loaded.extend(load_staged_set(con, one))
            except Exception as e:  # noqa: BLE001 - a report that cannot be loaded is quarantined, not fatal
                rel, sha = one.column("source_file")[0].as_py(), one.column("sha256")[0].as_py()
                q = Quarantined(rel, sha, "load", "load_failed",
                                f"The report was read but could not be loaded ({type(e).__name__}: {str(e)[:200]}).")
                quarantine_document(con, q)
                stats.quarantined.append((rel, q.reason))

"""Loading parsed reports: set-wise, all of a batch or none of it; quarantine records."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from pipelines.lib.harmonize.agencies import resolve_agency
from pipelines.lib.harmonize.facts import facts_frame
from pipelines.lib.load import cross_year
from pipelines.lib.load.connection import now
from pipelines.lib.load.resolutions import apply_resolutions
from pipelines.lib.model import ParsedReport, Quarantined
from pipelines.lib.read.parse import PARSER_VERSION

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

_UNRESOLVED_SCHEMA = {
    "report_id": pl.String, "table_no": pl.String, "row_code": pl.String, "row_label": pl.String,
    "printed": pl.String, "reason": pl.String, "detail": pl.String, "readings": pl.List(pl.String),
    "source_file": pl.String,
}

def load_report(con: duckdb.DuckDBPyConnection, rep: ParsedReport) -> str:
    """Insert one report and all its facts in one transaction: never half a report."""
    return load_reports(con, [rep])[0]

def load_reports(con: duckdb.DuckDBPyConnection, reps: list[ParsedReport]) -> list[str]:
    """Insert reports with all their facts in ONE transaction: all of them or none, never half a report.

    Set-wise (a handful of statements per batch, not per report): per-report statements cost ~10 ms
    each, as every DELETE scans the facts table, which at 10^5 reports is hours.
    """
    if not reps:
        return []
    ids = [report_id_for(rep.sha256) for rep in reps]
    if len(set(ids)) != len(ids):
        raise ValueError("a load batch holds the same document twice")
    facts = facts_frame(list(zip(reps, ids, strict=True)))
    ts = now()
    history = []
    for rep, report_id in zip(reps, ids, strict=True):
        agency = resolve_agency(rep.agency_name)
        history.append({
            "report_id": report_id, "agency_id": agency.agency_id, "agency_name": rep.agency_name,
            "region_name": agency.region_name, "adcode": agency.adcode, "admin_level": agency.admin_level,
            "sector": agency.sector, "year": rep.year, "template": rep.template, "title": rep.title,
            "format": rep.format, "source_file": rep.source_file, "sha256": rep.sha256,
            "parse_warnings": rep.warnings, "narrative": rep.narrative, "loaded_at": ts,
            "revision": revision_from_name(rep.source_file), "published_on": signed_date(rep.narrative)})
    history_frame = pl.DataFrame(history, schema=_HISTORY_SCHEMA)
    unresolved = pl.DataFrame(
        [{"report_id": report_id, "table_no": u.table, "row_code": u.row_code, "row_label": u.row_label,
          "printed": u.printed, "reason": u.reason, "detail": u.detail, "readings": u.readings,
          "source_file": rep.source_file}
         for rep, report_id in zip(reps, ids, strict=True) for u in rep.unresolved], schema=_UNRESOLVED_SCHEMA)
    con.execute("BEGIN")
    try:
        # Load order is acceptance order: the newest accepted version of an agency-year wins.
        seqs = sorted(v for (v,) in con.execute("SELECT nextval('accepted_seq') FROM range(?)", [len(reps)]).fetchall())
        con.register("_incoming_reports", history_frame.with_columns(pl.Series("accepted_seq", seqs, pl.Int64)))
        con.register("_incoming_facts", facts)
        con.register("_incoming_unresolved", unresolved)
        for table in ("facts", "unresolved_rows", "report_history"):
            con.execute(f"DELETE FROM {table} WHERE report_id IN (SELECT report_id FROM _incoming_reports)")
        con.execute("INSERT INTO report_history BY NAME SELECT * FROM _incoming_reports")
        con.execute("INSERT INTO facts BY NAME SELECT * FROM _incoming_facts")
        con.execute("INSERT INTO unresolved_rows BY NAME SELECT * FROM _incoming_unresolved")
        # People's readings of these documents (`gongkai resolve`) go back on before anyone sees the load.
        apply_resolutions(con, history_frame)
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
        for name in ("_incoming_reports", "_incoming_facts", "_incoming_unresolved"):
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

def load_staged(con: duckdb.DuckDBPyConnection, items: list[tuple[str, str]], staging: Path,
                progress: Progress | None = None, batch_size: int = LOAD_BATCH,
                inbox: Path | None = None) -> LoadStats:
    """Load staged results in transactions of up to ``batch_size`` reports (all of a batch or none of it).

    If a batch fails, its reports are loaded one by one, so only the report that cannot be loaded is
    quarantined (stage ``load``) and the others go in. With ``inbox``, a document the parse left unstaged
    is accounted for (see record_unparsed).
    """
    stats = LoadStats()
    batch: list[ParsedReport] = []

    def flush() -> None:
        if not batch:
            return
        try:
            stats.loaded.extend(load_reports(con, batch))
        except Exception:  # noqa: BLE001 - find the report that broke the batch
            for rep in batch:
                try:
                    stats.loaded.extend(load_reports(con, [rep]))
                except Exception as e:  # noqa: BLE001 - a report that cannot be loaded is quarantined, not fatal
                    q = Quarantined(rep.source_file, rep.sha256, "load", "load_failed",
                                    f"The report was read but could not be loaded ({type(e).__name__}: {str(e)[:200]}).")
                    quarantine_document(con, q)
                    stats.quarantined.append((rep.source_file, q.reason))
        batch.clear()

    for i, (sha, rel) in enumerate(items, 1):
        staged = staging / f"{sha}.json"
        if not staged.exists():  # not parsed: stays pending for the next run
            why = record_unparsed(con, inbox, sha, rel) if inbox is not None else None
            if why:
                stats.skipped.append((rel, why))
            continue
        payload = json.loads(staged.read_text(encoding="utf-8"))
        if payload["kind"] == "report":
            rep = ParsedReport.from_dict(payload["result"])
            rep.source_file = rel
            batch.append(rep)
            if len(batch) >= batch_size:
                flush()
        else:
            q = Quarantined(**payload["result"])
            quarantine_document(con, Quarantined(rel, q.sha256 or sha, q.stage, q.reason, q.detail))
            stats.quarantined.append((rel, q.reason))
        if progress and (i % 1000 == 0 or i == len(items)):
            progress(f"read {i}/{len(items)} staged results")
    flush()
    if stats.loaded:
        cross_year.refresh_suggestions(con)  # set-wise, once per load: a new year is evidence for its neighbours
    return stats

"""The DuckDB warehouse: schema, document manifest, atomic per-report loads, quarantine.

Single writer: only one process opens the file read-write (see ``writer_lock``).
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl
from filelock import FileLock, Timeout

from .agencies import division_rows, refresh_report_agencies, resolve_agency, resolver_fingerprint
from .codes import code_labels, load_codes, proactive_crosswalk
from .harmonize import facts_frame
from .model import ParsedReport, Quarantined
from .parse import PARSER_VERSION, sha256_file, sniff_format

SQL_DIR = Path(__file__).resolve().parents[2] / "sql"


class WarehouseBusy(RuntimeError):
    pass


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def read_sql(relpath: str) -> str:
    return (SQL_DIR / relpath).read_text(encoding="utf-8")


_HELD: dict[str, int] = {}  # lock paths this process holds -> nesting depth
_HELD_GUARD = threading.Lock()


@contextmanager
def writer_lock(warehouse: Path, timeout: float = 0) -> Iterator[None]:
    """One writer at a time across processes; a second ingest stops with a clear message.

    Re-entrant within a process: `gongkai ingest` holds it around the whole in-process run and each
    asset takes it again (a no-op there), while a run launched by the Dagster daemon, in its own
    process, takes it per asset and so waits for a CLI ingest instead of failing on DuckDB's file lock.
    """
    key = str(Path(warehouse).resolve()) + ".lock"
    with _HELD_GUARD:
        if _HELD.get(key):
            _HELD[key] += 1
            nested = True
        else:
            nested = False
    if nested:
        try:
            yield
        finally:
            with _HELD_GUARD:
                _HELD[key] -= 1
        return
    lock = FileLock(key)
    try:
        lock.acquire(timeout=timeout)
    except Timeout as e:
        raise WarehouseBusy(f"Another Gongkai ingest is writing {warehouse} right now; "
                            "wait for it to finish and run again.") from e
    with _HELD_GUARD:
        _HELD[key] = 1
    try:
        yield
    finally:
        with _HELD_GUARD:
            _HELD.pop(key, None)
        lock.release()


def connect(path: Path | str, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    path = Path(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    return duckdb.connect(str(path), read_only=read_only)


def apply_schema(con: duckdb.DuckDBPyConnection) -> None:
    for f in sorted((SQL_DIR / "ddl").glob("*.sql")):
        con.execute(f.read_text(encoding="utf-8"))
    _seed_code_tables(con)


# sql/views/0NN_*.sql below this number are the contract relations (always present); from it on, the
# analyst views, which Dagster builds only after the blocking structural checks pass.
ANALYST_VIEWS_FROM = "020"


def apply_views(con: duckdb.DuckDBPyConnection, *, analyst: bool = True) -> list[str]:
    applied = []
    for f in sorted((SQL_DIR / "views").glob("*.sql")):
        if not analyst and f.name >= ANALYST_VIEWS_FROM:
            continue
        con.execute(f.read_text(encoding="utf-8"))
        applied.append(f.name)
    return applied


def _seed_code_tables(con: duckdb.DuckDBPyConnection) -> None:
    codes = load_codes()
    groups = pl.DataFrame(
        [{"row_code": c, "outcome_group": g} for g, cs in codes.outcome_groups.items() for c in cs],
        schema={"row_code": pl.String, "outcome_group": pl.String})
    con.register("_groups", groups)
    con.execute("CREATE OR REPLACE TABLE outcome_groups AS SELECT * FROM _groups")
    con.unregister("_groups")
    _seed_label_tables(con)
    # Loaded reports follow changes of the division data or sector taxonomy; re-resolving every agency
    # costs seconds at scale, so only when what the resolver reads has changed.
    fingerprint = resolver_fingerprint()
    con.execute("CREATE TABLE IF NOT EXISTS warehouse_meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    stored = con.execute("SELECT value FROM warehouse_meta WHERE key = 'agency_resolver'").fetchall()
    if not stored or stored[0][0] != fingerprint:
        refresh_report_agencies(con)
        con.execute("INSERT OR REPLACE INTO warehouse_meta VALUES ('agency_resolver', ?)", [fingerprint])


def _seed_label_tables(con: duckdb.DuckDBPyConnection) -> None:
    """code_labels (every code, Chinese + English), proactive_crosswalk (table 二, 2019 <-> 2021) and
    admin_divisions (cpca's division table, for regional roll-ups)."""
    labels = pl.DataFrame(code_labels(), schema={"domain": pl.String, "code": pl.String, "label_zh": pl.String,
                                                 "label_en": pl.String}, orient="row")
    walk = pl.DataFrame(proactive_crosswalk(), schema={
        "series": pl.String, "item": pl.String, "row": pl.String, "col_2019": pl.String, "col_2021": pl.String,
        "comparable": pl.Boolean, "note": pl.String})
    divisions = pl.DataFrame(division_rows(), schema={
        "adcode": pl.String, "name": pl.String, "level": pl.String, "province_adcode": pl.String,
        "city_adcode": pl.String}, orient="row")
    for name, frame in (("code_labels", labels), ("proactive_crosswalk", walk), ("admin_divisions", divisions)):
        con.register("_seed", frame)
        con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM _seed")  # name is a literal above
        con.unregister("_seed")


# ---------------------------------------------------------------- inbox scan

@dataclass
class ScanResult:
    files: int = 0
    documents: int = 0
    new_documents: list[tuple[str, str]] = field(default_factory=list)  # (sha256, path) to parse
    removed: int = 0
    skipped: list[str] = field(default_factory=list)


def iter_inbox(inbox: Path) -> Iterator[Path]:
    """Every regular file under the inbox. Symlinks are not followed (a link loop cannot trap the scan)."""
    for root, dirs, files in os.walk(inbox, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith("."):
                continue
            p = Path(root) / name
            if p.is_symlink() or not p.is_file():
                continue
            yield p


FILE_INDEX_SCHEMA = {"path": pl.String, "size_bytes": pl.Int64, "mtime_ns": pl.Int64, "sha256": pl.String,
                     "last_seen": pl.Datetime("us")}
NEW_DOCUMENT_SCHEMA = {"sha256": pl.String, "source_file": pl.String, "format": pl.String, "size_bytes": pl.Int64,
                       "first_seen": pl.Datetime("us"), "last_seen": pl.Datetime("us")}


def scan_inbox(con: duckdb.DuckDBPyConnection, inbox: Path) -> ScanResult:
    """Hash new or changed files (cached by path, size, mtime) and record documents by content.

    The database work is set-wise (a few statements whatever the corpus size), so a scan that finds
    nothing new costs one stat per file and no per-document SQL.
    """
    res = ScanResult()
    ts = now()
    cache = {row[0]: row[1:] for row in con.execute("SELECT path, size_bytes, mtime_ns, sha256 FROM file_index").fetchall()}
    seen_sha: dict[str, str] = {}
    listing: list[str] = []
    changed = []  # file_index rows to (re)write: new or modified files only
    for p in iter_inbox(inbox):
        rel = str(p.relative_to(inbox))
        try:
            st = p.stat()
        except OSError:
            res.skipped.append(rel)
            continue
        cached = cache.get(rel)
        if cached and cached[0] == st.st_size and cached[1] == st.st_mtime_ns:
            sha = cached[2]
        else:
            try:
                sha = sha256_file(p)
            except OSError:
                res.skipped.append(rel)
                continue
            changed.append((rel, st.st_size, st.st_mtime_ns, sha, ts))
        res.files += 1
        listing.append(rel)
        seen_sha.setdefault(sha, rel)
    res.documents = len(seen_sha)
    known = {r[0]: r[1:] for r in con.execute("SELECT sha256, status, parser_version FROM documents").fetchall()}
    new_rows = []
    for sha, rel in seen_sha.items():
        if sha not in known:
            p = inbox / rel
            try:
                with open(p, "rb") as f:  # only the head: the file may be far over the size limit
                    head = f.read(8192)
                size = p.stat().st_size
            except OSError:
                head, size = b"", None
            new_rows.append((sha, rel, sniff_format(p, head), size, ts, ts))
            res.new_documents.append((sha, rel))
        elif known[sha][0] == "new" or known[sha][1] != PARSER_VERSION:
            res.new_documents.append((sha, rel))
    seen = pl.DataFrame({"sha256": list(seen_sha), "path": list(seen_sha.values())},
                        schema={"sha256": pl.String, "path": pl.String})
    paths = pl.DataFrame({"path": listing}, schema={"path": pl.String})
    con.register("_scan_seen", seen)
    con.register("_scan_paths", paths)
    con.execute("BEGIN")
    try:
        if changed:  # set-wise, not executemany: a first scan of 10,000 files is one statement
            con.register("_scan_changed", pl.DataFrame(changed, orient="row", schema=FILE_INDEX_SCHEMA))
            con.execute("INSERT OR REPLACE INTO file_index SELECT * FROM _scan_changed")
            con.unregister("_scan_changed")
        con.execute("DELETE FROM file_index WHERE path NOT IN (SELECT path FROM _scan_paths)")
        if new_rows:
            con.register("_scan_new", pl.DataFrame(new_rows, orient="row", schema=NEW_DOCUMENT_SCHEMA))
            con.execute("INSERT INTO documents SELECT *, true, 'new', NULL, NULL FROM _scan_new")
            con.unregister("_scan_new")
        con.execute("UPDATE documents SET last_seen = ?, present = true "
                    "WHERE sha256 IN (SELECT sha256 FROM _scan_seen) AND (last_seen < ? OR NOT present)", [ts, ts])
        # A document whose recorded path is gone but whose content is still here was renamed or moved:
        # point it at a current path, so a document not yet parsed is read from where it now is.
        con.execute("UPDATE documents SET source_file = s.path FROM _scan_seen s WHERE documents.sha256 = s.sha256 "
                    "AND documents.source_file NOT IN (SELECT path FROM _scan_paths)")
        # Gone from the inbox: the warehouse keeps the report (it is the record); only `present` changes.
        res.removed = con.execute("UPDATE documents SET present = false WHERE present "
                                  "AND sha256 NOT IN (SELECT sha256 FROM _scan_seen)").fetchall()[0][0]
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    finally:
        con.unregister("_scan_seen")
        con.unregister("_scan_paths")
    return res


# ---------------------------------------------------------------- loading

def report_id_for(sha256: str) -> str:
    return "r" + sha256[:15]


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
            "parse_warnings": rep.warnings, "narrative": rep.narrative, "loaded_at": ts})
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
        con.execute("DELETE FROM quarantine WHERE sha256 IN (SELECT sha256 FROM _incoming_reports)")
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

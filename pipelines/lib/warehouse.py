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


def load_report(con: duckdb.DuckDBPyConnection, rep: ParsedReport) -> str:
    """Insert one report and all its facts in one transaction: never half a report."""
    report_id = report_id_for(rep.sha256)
    agency = resolve_agency(rep.agency_name)
    frame = facts_frame(rep, report_id)
    ts = now()
    con.execute("BEGIN")
    try:
        con.execute("DELETE FROM facts WHERE report_id = ?", [report_id])
        con.execute("DELETE FROM unresolved_rows WHERE report_id = ?", [report_id])
        con.execute("DELETE FROM report_history WHERE report_id = ?", [report_id])
        con.execute(
            "INSERT INTO report_history VALUES (?, nextval('accepted_seq'), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [report_id, agency.agency_id, rep.agency_name, agency.region_name, agency.adcode, agency.admin_level,
             agency.sector, rep.year, rep.template, rep.title, rep.format, rep.source_file, rep.sha256,
             rep.warnings, rep.narrative, ts])
        con.register("_incoming_facts", frame)
        con.execute("INSERT INTO facts BY NAME SELECT * FROM _incoming_facts")
        con.unregister("_incoming_facts")
        if rep.unresolved:
            con.executemany("INSERT INTO unresolved_rows VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            [[report_id, u.table, u.row_code, u.row_label, u.printed, u.reason, u.detail,
                              u.readings, rep.source_file] for u in rep.unresolved])
        con.execute("DELETE FROM quarantine WHERE sha256 = ?", [rep.sha256])
        con.execute("UPDATE documents SET status = 'loaded', parser_version = ?, report_id = ? WHERE sha256 = ?",
                    [PARSER_VERSION, report_id, rep.sha256])
        _test_pause_before_commit()
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return report_id


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

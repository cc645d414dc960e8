"""The DuckDB warehouse: schema, document manifest, atomic per-report loads, quarantine.

Single writer: only one process opens the file read-write (see ``writer_lock``).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl
from filelock import FileLock, Timeout

from .agencies import resolve_agency
from .codes import load_codes
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


@contextmanager
def writer_lock(warehouse: Path, timeout: float = 0) -> Iterator[None]:
    """One writer at a time across processes; a second ingest stops with a clear message."""
    lock = FileLock(str(warehouse) + ".lock")
    try:
        lock.acquire(timeout=timeout)
    except Timeout as e:
        raise WarehouseBusy(f"Another Gongkai ingest is writing {warehouse} right now; "
                            "wait for it to finish and run again.") from e
    try:
        yield
    finally:
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


def apply_views(con: duckdb.DuckDBPyConnection) -> list[str]:
    applied = []
    for f in sorted((SQL_DIR / "views").glob("*.sql")):
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


def scan_inbox(con: duckdb.DuckDBPyConnection, inbox: Path) -> ScanResult:
    """Hash new or changed files (cached by path, size, mtime) and record documents by content."""
    res = ScanResult()
    ts = now()
    cache = {row[0]: row[1:] for row in con.execute("SELECT path, size_bytes, mtime_ns, sha256 FROM file_index").fetchall()}
    seen_sha: dict[str, str] = {}
    index_rows = []
    for p in iter_inbox(inbox):
        rel = str(p.relative_to(inbox))
        try:
            st = p.stat()
        except OSError:
            res.skipped.append(rel)
            continue
        res.files += 1
        cached = cache.get(rel)
        if cached and cached[0] == st.st_size and cached[1] == st.st_mtime_ns:
            sha = cached[2]
        else:
            try:
                sha = sha256_file(p)
            except OSError:
                res.skipped.append(rel)
                continue
        index_rows.append((rel, st.st_size, st.st_mtime_ns, sha, ts))
        seen_sha.setdefault(sha, rel)
    res.documents = len(seen_sha)
    con.execute("BEGIN")
    try:
        if index_rows:
            con.executemany("INSERT OR REPLACE INTO file_index VALUES (?, ?, ?, ?, ?)", index_rows)
        known = {r[0]: r[1:] for r in con.execute("SELECT sha256, status, parser_version FROM documents").fetchall()}
        for sha, rel in seen_sha.items():
            if sha not in known:
                p = inbox / rel
                head = p.read_bytes()[:8192] if p.exists() else b""
                con.execute("INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?, true, 'new', NULL, NULL)",
                            [sha, rel, sniff_format(p, head), p.stat().st_size, ts, ts])
                res.new_documents.append((sha, rel))
            else:
                status, version = known[sha]
                con.execute("UPDATE documents SET last_seen = ?, present = true WHERE sha256 = ?", [ts, sha])
                if status == "new" or version != PARSER_VERSION:
                    res.new_documents.append((sha, rel))
        absent = [s for s in known if s not in seen_sha]
        if absent:
            con.execute("UPDATE documents SET present = false WHERE sha256 IN (SELECT unnest(?::VARCHAR[])) AND present",
                        [absent])
            res.removed = len(absent)
        con.execute("DELETE FROM file_index WHERE last_seen < ?", [ts])
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return res


# ---------------------------------------------------------------- loading

def report_id_for(sha256: str) -> str:
    return "r" + sha256[:15]


def load_report(con: duckdb.DuckDBPyConnection, rep: ParsedReport) -> str:
    """Insert one report and all its facts in one transaction: never half a report."""
    report_id = report_id_for(rep.sha256)
    agency = resolve_agency(rep.agency_name)
    frame = facts_frame(rep, report_id)
    ts = now()
    con.execute("BEGIN")
    try:
        con.execute("DELETE FROM facts WHERE report_id = ?", [report_id])
        con.execute("DELETE FROM report_history WHERE report_id = ?", [report_id])
        con.execute(
            "INSERT INTO report_history VALUES (?, nextval('accepted_seq'), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [report_id, agency.agency_id, rep.agency_name, agency.region_name, agency.adcode, agency.admin_level,
             agency.sector, rep.year, rep.template, rep.title, rep.format, rep.source_file, rep.sha256,
             rep.warnings, rep.narrative, ts])
        con.register("_incoming_facts", frame)
        con.execute("INSERT INTO facts BY NAME SELECT * FROM _incoming_facts")
        con.unregister("_incoming_facts")
        con.execute("DELETE FROM quarantine WHERE sha256 = ?", [rep.sha256])
        con.execute("UPDATE documents SET status = 'loaded', parser_version = ?, report_id = ? WHERE sha256 = ?",
                    [PARSER_VERSION, report_id, rep.sha256])
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

"""The inbox and the document manifest: which files are there, which documents are new or need re-parsing."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from pipelines.lib.load.connection import now
from pipelines.lib.read.parse import PARSER_VERSION, sha256_file, sniff_format


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


def pending_documents(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """Documents in the inbox that this parser version has not yet turned into a report or a quarantine row."""
    return con.execute(
        "SELECT sha256, source_file FROM documents WHERE present AND (status = 'new' OR parser_version IS DISTINCT FROM ?) "
        "ORDER BY first_seen, source_file", [PARSER_VERSION]).fetchall()

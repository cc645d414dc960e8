"""The inbox and the document manifest: which files are there, which documents are new or need re-parsing."""

from __future__ import annotations

import os
import re
import time
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
    skipped: list[tuple[str, str, str]] = field(default_factory=list)  # (path, reason, detail)


# Names are data: a file name that is not valid UTF-8 (GBK bytes left by unzipping a Windows zip) comes
# from os.walk with surrogate escapes, which no database column takes. The warehouse shows it with each
# byte that is not UTF-8 as \\xNN (and a literal backslash as \\x5c, so that the shown name maps back to
# exactly one byte string), and keeps the exact bytes in path_hex.
_ESCAPED_BYTE = re.compile(r"\\x([0-9a-f]{2})")


def display_name(rel: str) -> str:
    """A path as the warehouse stores it: itself when valid UTF-8 without a backslash; otherwise each
    byte that is not UTF-8, and each backslash, as \\xNN."""
    raw = os.fsencode(rel)
    if b"\\" not in raw:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            pass
    return "\\x5c".join(part.decode("utf-8", "backslashreplace") for part in raw.split(b"\\"))


def name_bytes(shown: str) -> bytes:
    """The exact bytes a stored (display) name stands for: the inverse of display_name."""
    out, pos = bytearray(), 0
    for m in _ESCAPED_BYTE.finditer(shown):
        out += shown[pos:m.start()].encode("utf-8") + bytes([int(m.group(1), 16)])
        pos = m.end()
    return bytes(out + shown[pos:].encode("utf-8"))


def path_hex(rel: str) -> str:
    """The path's exact bytes, hex-encoded (what the filesystem holds, whatever its encoding)."""
    return os.fsencode(rel).hex()


def inbox_file(inbox: Path | str, rel: str) -> Path:
    """The file a stored (display) name refers to."""
    return Path(inbox) / os.fsdecode(name_bytes(rel))


# A file modified less than this many seconds ago may still be being written (a copy or download in
# progress): it is skipped this run and read on the next one. 0 (the default) relies on the size/mtime
# check around hashing alone.
def settle_seconds() -> float:
    """GONGKAI_INBOX_SETTLE_S: seconds a file must have been left unchanged before it is read (default 0)."""
    return float(os.environ.get("GONGKAI_INBOX_SETTLE_S", "0") or 0)


SKIP_REASONS = {
    "hidden": "The name starts with a dot: hidden files (editor temp files, .DS_Store, ~lock files) are not "
              "read (documented rule). Rename it without the dot to have it read.",
    "hidden_directory": "The folder name starts with a dot: hidden folders are not read (documented rule).",
    "symlink": "A symbolic link: links are not followed (a link loop or a link out of the inbox cannot "
               "trap the scan). Copy the file itself into the inbox.",
    "not_regular_file": "Not a regular file (a device, socket or pipe): there is nothing to read.",
    "unreadable": "The file could not be read",
    "still_being_written": "The file changed while it was being read (still being written, e.g. a copy in "
                           "progress); it is read on the next run.",
    "changed_during_run": "The file was replaced between the scan and the parse of this run; the bytes the "
                          "scan hashed are gone, so nothing was loaded for them. The new content is read on "
                          "the next run.",
}


@dataclass
class InboxEntry:
    """One file the walk met: the path to read (as the filesystem gives it) and the name stored."""

    fs_path: str  # the path as the filesystem gives it
    rel: str  # display name (valid UTF-8)
    skip: str | None = None  # a SKIP_REASONS key, or None: a file to read
    detail: str = ""
    raw_rel: str = ""  # the path relative to the inbox as the filesystem gives it (path_hex is taken of it)
    stat: os.stat_result | None = None  # of a file to read (None only for a skipped entry)

    @property
    def path(self) -> Path:
        return Path(self.fs_path)  # made on demand: a Path per file was a third of a no-change walk


def _unreadable(e: OSError) -> str:
    return f"{SKIP_REASONS['unreadable']} ({e.strerror or e})."


def walk_inbox(inbox: Path) -> Iterator[InboxEntry]:
    """Every entry under the inbox, each either to be read or skipped with a reason. Symlinks are not
    followed (a link loop cannot trap the scan). Top-down, each folder's entries in name order: its
    skipped subfolders, its files, then what is inside its subfolders."""
    yield from _walk_dir(str(inbox), "")


def _walk_dir(top: str, rel_top: str) -> Iterator[InboxEntry]:
    # os.scandir, not os.walk + pathlib: the directory listing already says what each entry is, so a
    # nightly scan of 10^5 files costs one stat per file instead of three stats and several Path objects.
    try:
        with os.scandir(top) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError:
        return  # as os.walk: a folder that cannot be listed is passed over
    dirs, files = [], []
    for e in entries:
        try:
            is_dir = e.is_dir()  # a link to a folder counts as a folder, as in os.walk
        except OSError:
            is_dir = False
        (dirs if is_dir else files).append(e)
    descend = []
    for d in dirs:
        rel = f"{rel_top}{d.name}"
        if d.name.startswith("."):
            yield InboxEntry(d.path, display_name(rel) + "/", "hidden_directory", raw_rel=rel)
        elif d.is_symlink():
            yield InboxEntry(d.path, display_name(rel) + "/", "symlink", raw_rel=rel)
        else:
            descend.append(d)
    for f in files:
        rel = f"{rel_top}{f.name}"
        shown = display_name(rel)
        if f.name.startswith("."):
            yield InboxEntry(f.path, shown, "hidden", raw_rel=rel)
        elif f.is_symlink():
            yield InboxEntry(f.path, shown, "symlink", raw_rel=rel)
        elif not f.is_file():
            yield InboxEntry(f.path, shown, "not_regular_file", raw_rel=rel)
        else:
            try:
                st = f.stat()
            except OSError as e:
                yield InboxEntry(f.path, shown, "unreadable", _unreadable(e), raw_rel=rel)
                continue
            yield InboxEntry(f.path, shown, raw_rel=rel, stat=st)
    for d in descend:
        yield from _walk_dir(d.path, f"{rel_top}{d.name}/")


def iter_inbox(inbox: Path) -> Iterator[Path]:
    """Every regular file under the inbox that is read (not hidden, not a link)."""
    for entry in walk_inbox(inbox):
        if entry.skip is None:
            yield entry.path


FILE_INDEX_SCHEMA = {"path": pl.String, "size_bytes": pl.Int64, "mtime_ns": pl.Int64, "sha256": pl.String,
                     "last_seen": pl.Datetime("us"), "path_hex": pl.String}
SKIP_SCHEMA = {"path": pl.String, "path_hex": pl.String, "reason": pl.String, "detail": pl.String,
               "seen_at": pl.Datetime("us")}

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
    listing_sha: list[str] = []
    changed = []  # file_index rows to (re)write: new or modified files only
    real: dict[str, str] = {}  # display name -> the path as the filesystem gives it
    settle_ns = int(settle_seconds() * 1e9)
    skipped_raw: dict[str, str] = {}  # display name -> raw path, of the files skipped (their path_hex is stored)

    def skip(entry: InboxEntry, reason: str, detail: str) -> None:
        skipped_raw[entry.rel] = entry.raw_rel
        res.skipped.append((entry.rel, reason, detail))

    for entry in walk_inbox(inbox):
        p, rel = entry.fs_path, entry.rel
        if entry.skip:
            skip(entry, entry.skip, entry.detail or SKIP_REASONS[entry.skip])
            continue
        st = entry.stat
        assert st is not None  # the walk stats every file it does not skip
        if settle_ns and time.time_ns() - st.st_mtime_ns < settle_ns:
            skip(entry, "still_being_written", "The file was modified less than "
                 f"{settle_seconds():g} s ago (GONGKAI_INBOX_SETTLE_S): it may still be being "
                 "written, so it is read on the next run.")
            continue
        cached = cache.get(rel)
        if cached and cached[0] == st.st_size and cached[1] == st.st_mtime_ns:
            sha = cached[2]
        else:
            try:
                sha = sha256_file(p)
                after = os.stat(p)
            except OSError as e:
                skip(entry, "unreadable", _unreadable(e))
                continue
            if (after.st_size, after.st_mtime_ns) != (st.st_size, st.st_mtime_ns):
                skip(entry, "still_being_written", SKIP_REASONS["still_being_written"])
                continue
            changed.append((rel, st.st_size, st.st_mtime_ns, sha, ts, path_hex(entry.raw_rel)))
        res.files += 1
        listing.append(rel)
        listing_sha.append(sha)
        real[rel] = p
        seen_sha.setdefault(sha, rel)
    res.documents = len(seen_sha)
    known = {r[0]: r[1:] for r in con.execute("SELECT sha256, status, parser_version FROM documents").fetchall()}
    new_rows = []
    for sha, rel in seen_sha.items():
        if sha not in known:
            p = Path(real[rel])
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
    paths = pl.DataFrame({"path": listing, "sha256": listing_sha}, schema={"path": pl.String, "sha256": pl.String})
    con.register("_scan_seen", seen)
    con.register("_scan_paths", paths)
    con.execute("BEGIN")
    try:
        if changed:  # set-wise, not executemany: a first scan of 10,000 files is one statement
            con.register("_scan_changed", pl.DataFrame(changed, orient="row", schema=FILE_INDEX_SCHEMA))
            con.execute("INSERT OR REPLACE INTO file_index BY NAME SELECT * FROM _scan_changed")
            con.unregister("_scan_changed")
        con.execute("DELETE FROM file_index WHERE path NOT IN (SELECT path FROM _scan_paths)")
        # Every file this scan did not read is accounted for: inbox_skips holds this scan's skips.
        con.register("_scan_skips", pl.DataFrame(
            [(rel, path_hex(skipped_raw[rel]), reason, detail, ts) for rel, reason, detail in res.skipped],
            orient="row", schema=SKIP_SCHEMA))
        con.execute("DELETE FROM inbox_skips")
        con.execute("INSERT INTO inbox_skips BY NAME SELECT * FROM _scan_skips")
        con.unregister("_scan_skips")
        if new_rows:
            con.register("_scan_new", pl.DataFrame(new_rows, orient="row", schema=NEW_DOCUMENT_SCHEMA))
            con.execute("INSERT INTO documents BY NAME SELECT *, true AS present, 'new' AS status FROM _scan_new")
            con.unregister("_scan_new")
        con.execute("UPDATE documents SET last_seen = ?, present = true "
                    "WHERE sha256 IN (SELECT sha256 FROM _scan_seen) AND (last_seen < ? OR NOT present)", [ts, ts])
        # A document whose recorded path no longer holds it (renamed, moved, or that path now holds other
        # content) but whose content is still here: point it at a path that holds it, so a document not
        # yet parsed is read from where it now is.
        con.execute("UPDATE documents SET source_file = s.path FROM _scan_seen s WHERE documents.sha256 = s.sha256 "
                    "AND NOT EXISTS (SELECT 1 FROM _scan_paths p WHERE p.path = documents.source_file "
                    "AND p.sha256 = documents.sha256)")
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


def inbox_status(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str | None], int]:
    """(status, reason) -> number of files, over inbox_files: what became of every file of the inbox
    (reason only for held, quarantined, pending and skipped files)."""
    return {(s, r): n for s, r, n in con.execute(
        "SELECT status, CASE WHEN status = 'loaded' THEN NULL ELSE reason END, count(*) "
        "FROM inbox_files GROUP BY ALL ORDER BY ALL").fetchall()}

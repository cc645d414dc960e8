"""Staged parse results: one zstd-compressed Arrow IPC stream per document, named by content hash, at a local path or a URL.

Parse workers (on this machine or on a cluster) write here; the single loader reads here. A staged result is
one Arrow record (the report's fields, its facts and unresolved rows as nested lists, or a quarantine
record), so the loader hands whole sets of them to DuckDB, which reads Arrow without copying, instead of
decoding JSON and rebuilding Python objects report by report.

Safe without fsync: a local file is written to a temporary name, then renamed, so a reader never sees half a
file, and every file ends with the CRC-32 of its bytes, so a file a power loss left torn, zero-filled or
truncated is known as such. Such a file, or one of another version's layout, counts as not staged: it is
removed and the document is parsed again, never a fatal error. (Staging is a cache of parse results: losing
one costs a re-parse, never a wrong load. An fsync per document cost 0.3-2.5 ms of a worker's wall time here,
on a parse of ~8 ms.)
Object stores (``s3://...`` through fsspec) write whole objects atomically; no temporary name is needed.
"""

from __future__ import annotations

import contextlib
import operator
import os
import time
import uuid
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyarrow as pa
import pyarrow.ipc as ipc

from pipelines.lib.model import ParsedReport, Quarantined
from pipelines.lib.read.parse import PARSER_VERSION

SUFFIX = ".arrow"
TMP_SUFFIX = ".tmp"
READ_THREADS = 8  # staged files read at once by the loader (I/O and zstd, outside the GIL)
LEFTOVER_AGE_S = 300.0  # a temporary file this old belongs to no live writer (a write takes milliseconds)

FACT_TYPE = pa.struct([
    ("table", pa.string()), ("row_code", pa.string()), ("col_code", pa.string()), ("value", pa.float64()),
    ("printed", pa.string()), ("blank", pa.bool_()), ("item", pa.string()), ("row_label", pa.string()),
    ("col_label", pa.string()), ("page", pa.int32()), ("inferred", pa.bool_()), ("derived", pa.bool_()),
    ("unit_factor", pa.float64()), ("inferred_how", pa.string()), ("confidence", pa.float64()),
])
UNRESOLVED_TYPE = pa.struct([
    ("table", pa.string()), ("row_code", pa.string()), ("row_label", pa.string()), ("printed", pa.string()),
    ("reason", pa.string()), ("detail", pa.string()), ("readings", pa.list_(pa.string())),
    ("columns", pa.list_(pa.string())),
])
SCHEMA = pa.schema([
    ("sha256", pa.string()), ("parser_version", pa.string()), ("kind", pa.string()),
    ("source_file", pa.string()), ("format", pa.string()), ("agency_name", pa.string()), ("year", pa.int32()),
    ("template", pa.string()), ("title", pa.string()), ("narrative", pa.string()),
    ("warnings", pa.list_(pa.string())), ("facts", pa.list_(FACT_TYPE)), ("unresolved", pa.list_(UNRESOLVED_TYPE)),
    ("stage", pa.string()), ("reason", pa.string()), ("detail", pa.string()),
    ("identity_signals", pa.list_(pa.string())),  # 'kind: value', the one the identity was taken from first
])
_FACT_FIELDS = [f.name for f in FACT_TYPE]
# The whole IPC stream in one zstd frame: a staged report shrinks from ~45 KB to ~9 KB for ~0.1 ms. Arrow's
# own per-buffer compression cost ~1.1 ms a report here (dozens of tiny buffers) and gave ~16 KB.
_CODEC = "zstd"
_CRC_BYTES = 4  # the CRC-32 of the file's bytes, at its end
_UNRESOLVED_FIELDS = [f.name for f in UNRESOLVED_TYPE]


_NESTED = ("facts", "unresolved")
_TOP_SCHEMA = pa.schema([f for f in SCHEMA if f.name not in _NESTED])
# One C call per fact gives all its fields as a tuple: the fact columns are built without a dict per fact.
_FACT_VALUES = operator.attrgetter(*_FACT_FIELDS)
_UNRESOLVED_VALUES = operator.attrgetter(*_UNRESOLVED_FIELDS)


def _top_row(result: ParsedReport | Quarantined) -> dict:
    """A staged record's own fields: a report's identity, or a quarantine record."""
    if isinstance(result, Quarantined):
        return {"sha256": result.sha256, "parser_version": PARSER_VERSION, "kind": "quarantine",
                "source_file": result.source_file, "stage": result.stage, "reason": result.reason,
                "detail": result.detail}
    return {
        "sha256": result.sha256, "parser_version": PARSER_VERSION, "kind": "report",
        "source_file": result.source_file, "format": result.format, "agency_name": result.agency_name,
        "year": result.year, "template": result.template, "title": result.title, "narrative": result.narrative,
        "warnings": list(result.warnings),
        "identity_signals": list(result.identity_signals),
    }


def _nested(groups: list[list | None], struct: pa.StructType, values: operator.attrgetter) -> pa.ListArray:
    """A list<struct> column built column by column: one list per record (null for a quarantine record)."""
    offsets, flat, absent = [0], [], []
    for group in groups:
        absent.append(group is None)
        flat.extend(group or ())
        offsets.append(len(flat))
    fields = [struct.field(i) for i in range(struct.num_fields)]
    columns = list(zip(*map(values, flat), strict=True)) if flat else [()] * len(fields)
    children = [pa.array(col, type=f.type) for col, f in zip(columns, fields, strict=True)]
    return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), pa.StructArray.from_arrays(children, fields=fields),
                                    mask=pa.array(absent, pa.bool_()))


def results_table(results: list[ParsedReport | Quarantined]) -> pa.Table:
    """Staged records, one row per result: a report with its facts and unresolved rows nested, or a
    quarantine record (its nested columns null)."""
    top = pa.Table.from_pylist([_top_row(r) for r in results], schema=_TOP_SCHEMA)
    reports = [None if isinstance(r, Quarantined) else r for r in results]
    nested = {"facts": _nested([r and r.facts for r in reports], FACT_TYPE, _FACT_VALUES),
              "unresolved": _nested([r and r.unresolved for r in reports], UNRESOLVED_TYPE, _UNRESOLVED_VALUES)}
    return pa.Table.from_arrays([nested[n] if n in nested else top.column(n) for n in SCHEMA.names], schema=SCHEMA)


def _is_local(url: str) -> bool:
    return "://" not in url or url.startswith("file://")


class Staging:
    """Where staged results live: a local folder or any fsspec URL. Picklable (it is just the URL), so a
    parse step on a remote worker writes where the loader reads."""

    def __init__(self, url: str | Path):
        url = str(url)
        self.url = url.removeprefix("file://") if _is_local(url) else url.rstrip("/")

    def __repr__(self) -> str:
        return f"Staging({self.url!r})"

    @property
    def local(self) -> bool:
        return _is_local(self.url)

    @property
    def _fs(self):
        import fsspec  # only for remote staging

        return fsspec.core.url_to_fs(self.url)[0]

    def path(self, sha: str) -> str:
        return f"{self.url}/{sha}{SUFFIX}"

    def prepare(self) -> None:
        if self.local:
            Path(self.url).mkdir(parents=True, exist_ok=True)
        else:
            self._fs.makedirs(self.url, exist_ok=True)

    def write(self, result: ParsedReport | Quarantined) -> str:
        """Stage one result durably; returns its kind ('report' or 'quarantine')."""
        table = results_table([result])
        sink = pa.BufferOutputStream()
        with pa.CompressedOutputStream(sink, _CODEC) as zstd, ipc.new_stream(zstd, SCHEMA) as writer:
            writer.write_table(table)
        body = sink.getvalue().to_pybytes()
        data = body + zlib.crc32(body).to_bytes(_CRC_BYTES, "little")
        target = self.path(result.sha256)
        if self.local:
            tmp = f"{target}.{os.getpid()}.{uuid.uuid4().hex[:8]}{TMP_SUFFIX}"
            try:
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
                try:
                    os.write(fd, data)
                finally:
                    os.close(fd)
                os.replace(tmp, target)  # atomic: a reader never sees half a file
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)  # e.g. disk full: leave no zero-length leftover behind
                raise
        else:
            with self._fs.open(target, "wb") as f:  # object stores put whole objects atomically
                f.write(data)
        return "report" if isinstance(result, ParsedReport) else "quarantine"

    def _read_bytes(self, sha: str) -> bytes | None:
        target = self.path(sha)
        try:
            if self.local:
                return Path(target).read_bytes()
            with self._fs.open(target, "rb") as f:
                return f.read()
        except FileNotFoundError:
            return None

    def read(self, sha: str) -> pa.Table | None:
        """The staged record of ``sha`` from this parser version, or None: not staged, from another parser
        version, or unreadable (torn by a power loss, truncated), in which case the file is removed so the
        document is parsed again."""
        data = self._read_bytes(sha)
        if data is None:
            return None
        try:
            body = memoryview(data)[:-_CRC_BYTES]  # a view: the loader reads 10^5 of these, no copy each
            if len(data) <= _CRC_BYTES or zlib.crc32(body).to_bytes(_CRC_BYTES, "little") != data[-_CRC_BYTES:]:
                raise ValueError("torn: its checksum does not match")
            with pa.CompressedInputStream(pa.BufferReader(pa.py_buffer(body)), _CODEC) as zstd:
                table = ipc.open_stream(zstd).read_all()
            if table.schema != SCHEMA or table.num_rows != 1:
                raise ValueError("not a staged result of this layout")
        except (pa.ArrowException, ValueError, OSError):
            self.discard(sha)
            return None
        if table.column("parser_version")[0].as_py() != PARSER_VERSION:
            return None
        return table

    def discard(self, sha: str) -> None:
        self.discard_many([sha])

    def staged_shas(self) -> list[str]:
        """The documents with a staged result here (whatever its parser version or state)."""
        if self.local:
            if not Path(self.url).is_dir():
                return []
            with os.scandir(self.url) as it:
                return [e.name[: -len(SUFFIX)] for e in it if e.name.endswith(SUFFIX)]
        return [Path(p).name[: -len(SUFFIX)] for p in self._fs.glob(f"{self.url}/*{SUFFIX}")]

    def discard_many(self, shas: list[str]) -> None:
        """Remove these staged results (loaded, so no longer needed)."""
        if not shas:
            return
        if self.local:
            for sha in shas:
                with contextlib.suppress(OSError):
                    os.unlink(self.path(sha))
        else:
            with contextlib.suppress(FileNotFoundError, OSError):
                self._fs.rm([self.path(sha) for sha in shas])

    def read_many(self, shas: list[str]) -> tuple[pa.Table, list[str]]:
        """The staged records of these documents in one table (in the order given), and the shas that are
        not (or no longer readably) staged."""
        tables, missing = [], []
        # Threads: reading and decompressing a file release the GIL, and a load set is hundreds of files.
        with ThreadPoolExecutor(max_workers=READ_THREADS) as pool:
            read = list(pool.map(self.read, shas))
        for sha, t in zip(shas, read, strict=True):
            if t is None:
                missing.append(sha)
            else:
                tables.append(t)
        return (pa.concat_tables(tables) if tables else SCHEMA.empty_table()), missing

    def clean_leftovers(self, older_than_s: float = LEFTOVER_AGE_S) -> int:
        """Remove temporary files that no writer will rename any more (a crash or a full disk mid-write)."""
        if not self.local or not Path(self.url).is_dir():
            return 0
        cutoff, removed = time.time() - older_than_s, 0
        with os.scandir(self.url) as it:
            for entry in it:
                if entry.name.endswith(TMP_SUFFIX):
                    with contextlib.suppress(OSError):
                        if entry.stat().st_mtime <= cutoff:
                            os.unlink(entry.path)
                            removed += 1
        return removed

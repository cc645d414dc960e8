"""Staged parse results: zstd-compressed Arrow records, found by content hash, in packs at a local path or a URL.

Parse workers (on this machine or on a cluster) encode each result where it was parsed; the process that
runs the parse writes them in packs of hundreds; the single loader reads here. A staged result is one Arrow
record (the report's fields, its facts and unresolved rows as nested lists, or a quarantine record), so the
loader hands whole sets of them to DuckDB, which reads Arrow without copying.

A pack is one file or object: creating one per document cost 0.2-1 ms of a parse worker's time on this
machine's disk (of ~8 ms a document) and, on an object store, a request each. Each pack ends with a table of
where its records are, so finding a document's record reads that table, not the pack.

Safe without fsync: a local pack is written to a temporary name, then renamed, so a reader never sees half
of one, and every record ends with the CRC-32 of its bytes, so a record a power loss left torn, zero-filled
or truncated is known as such. Such a record, or one of another version's layout, counts as not staged: the
document is parsed again, never a fatal error. (Staging is a cache of parse results: losing one costs a
re-parse, never a wrong load.) Object stores (``s3://...`` through fsspec) write whole objects atomically.
"""

from __future__ import annotations

import contextlib
import operator
import os
import struct
import time
import uuid
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.ipc as ipc

from pipelines.lib.model import ParsedReport, Quarantined
from pipelines.lib.read.parse import PARSER_VERSION

PACK_SUFFIX = ".gkpack"
_SINGLE_SUFFIX = ".arrow"  # one file per document: the layout before packs
TMP_SUFFIX = ".tmp"
READ_THREADS = 8  # staged records read at once from an object store (each a request)
LEFTOVER_AGE_S = 300.0  # a temporary file this old belongs to no live writer (a write takes milliseconds)
PACK_RECORDS = 512  # records per pack (~5 MB): a crash mid-parse costs at most this many re-parses
PACK_SECONDS = 10.0  # ... or this much parsing (OCR takes seconds a page)
_PACK_MAGIC = b"GKPACK1\n"
_TRAILER_MAGIC = b"GKPKEND\n"
_U16, _U32, _U64 = struct.Struct("<H"), struct.Struct("<I"), struct.Struct("<Q")
_FRAME = struct.Struct("<64sI")  # before each record: its document's sha256 (hex), its length
_ENTRY = struct.Struct("<64sQI")  # the frame table: sha256, offset of the record, its length
_TRAILER = struct.Struct("<II8s")  # records, CRC-32 of the frame table, magic

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


def kind_of(result: ParsedReport | Quarantined) -> str:
    return "report" if isinstance(result, ParsedReport) else "quarantine"


def _whole(record: bytes | memoryview) -> bool:
    """Whether a record ends with the CRC-32 of the bytes before it (not torn, truncated or zero-filled)."""
    return len(record) > _CRC_BYTES and (
        zlib.crc32(record[:-_CRC_BYTES]).to_bytes(_CRC_BYTES, "little") == bytes(record[-_CRC_BYTES:]))


def encode(result: ParsedReport | Quarantined) -> bytes:
    """One staged record: the result as an Arrow IPC stream in one zstd frame, then the CRC-32 of those bytes.
    Built where the document was parsed (a parse worker), so the process that writes packs only appends."""
    sink = pa.BufferOutputStream()
    with pa.CompressedOutputStream(sink, _CODEC) as zstd, ipc.new_stream(zstd, SCHEMA) as writer:
        writer.write_table(results_table([result]))
    body = sink.getvalue().to_pybytes()
    return body + zlib.crc32(body).to_bytes(_CRC_BYTES, "little")


def decode(record: bytes | memoryview) -> pa.Table:
    """The one-row table of a staged record; ValueError if it is torn or of another layout."""
    view = memoryview(record)  # views: the loader reads 10^5 of these, no copy each
    if not _whole(view):
        raise ValueError("torn: its checksum does not match")
    try:
        with pa.CompressedInputStream(pa.BufferReader(pa.py_buffer(view[:-_CRC_BYTES])), _CODEC) as zstd:
            table = ipc.open_stream(zstd).read_all()
    except (pa.ArrowException, OSError) as e:
        raise ValueError(f"unreadable: {e}") from e
    if table.schema != SCHEMA or table.num_rows != 1:
        raise ValueError("not a staged result of this layout")
    return table


def pack_bytes(records: list[tuple[str, bytes]]) -> bytes:
    """A pack: header (magic, parser version), the records each behind its frame head (sha, length), then
    the frame table (sha, offset, length per record) and a trailer (count, CRC-32 of the table, magic), so
    a reader finds every record from the file's end without reading the records."""
    version = PARSER_VERSION.encode()
    parts = [_PACK_MAGIC, _U16.pack(len(version)), version]
    offset, table = sum(map(len, parts)), []
    for sha, record in records:
        head = sha.encode("ascii") + _U32.pack(len(record))
        parts += [head, record]
        offset += len(head)
        table.append(sha.encode("ascii") + _U64.pack(offset) + _U32.pack(len(record)))
        offset += len(record)
    index = b"".join(table)
    parts += [index, _U32.pack(len(records)), _U32.pack(zlib.crc32(index)), _TRAILER_MAGIC]
    return b"".join(parts)


def pack_index(read_at: Callable[[int, int], bytes], size: int) -> tuple[str, list[tuple[str, int, int]]]:
    """(parser version, [(sha, offset, length)]) of a pack; ValueError when it is not a whole pack.
    A pack whose trailer is torn is walked frame by frame instead (every record carries its own CRC)."""
    head = read_at(0, len(_PACK_MAGIC) + _U16.size)
    if len(head) < len(_PACK_MAGIC) + _U16.size or head[: len(_PACK_MAGIC)] != _PACK_MAGIC:
        raise ValueError("not a pack")
    (vlen,) = _U16.unpack(head[len(_PACK_MAGIC):])
    start = len(head) + vlen
    version = read_at(len(head), vlen).decode("utf-8", "replace")
    tail = read_at(size - _TRAILER.size, _TRAILER.size) if size >= start + _TRAILER.size else b""
    if len(tail) == _TRAILER.size:
        count, crc, magic = _TRAILER.unpack(tail)
        table_at = size - _TRAILER.size - count * _ENTRY.size
        if magic == _TRAILER_MAGIC and table_at >= start:
            table = read_at(table_at, count * _ENTRY.size)
            if zlib.crc32(table) == crc:
                return version, [(sha.decode("ascii"), off, n) for sha, off, n in _ENTRY.iter_unpack(table)]
    entries, at = [], start  # torn trailer: walk the records while each is whole (its CRC-32 matches)
    while at + _FRAME.size <= size:
        sha, n = _FRAME.unpack(read_at(at, _FRAME.size))
        if n <= _CRC_BYTES or at + _FRAME.size + n > size or not sha.isalnum():
            break
        if not _whole(read_at(at + _FRAME.size, n)):
            break
        entries.append((sha.decode("ascii"), at + _FRAME.size, n))
        at += _FRAME.size + n
    return version, entries


def _is_local(url: str) -> bool:
    return "://" not in url or url.startswith("file://")


class PackWriter:
    """Collects staged records and writes them as packs of up to ``max_records`` (or ``max_seconds`` of
    parsing, so a crash loses little OCR work): one file per pack, not per document. A file's creation
    cost 0.2-1 ms on this machine's disk, an object's PUT costs a request; a pack of hundreds pays it once."""

    def __init__(self, staging: Staging, max_records: int = PACK_RECORDS, max_seconds: float = PACK_SECONDS):
        self.staging, self.max_records, self.max_seconds = staging, max_records, max_seconds
        self.records: list[tuple[str, bytes]] = []
        self.started = 0.0

    def add(self, sha: str, record: bytes) -> None:
        if not self.records:
            self.started = time.monotonic()
        self.records.append((sha, record))
        if len(self.records) >= self.max_records or time.monotonic() - self.started >= self.max_seconds:
            self.flush()

    def flush(self) -> None:
        if self.records:
            records, self.records = self.records, []
            self.staging.write_pack(records)

    def __enter__(self) -> PackWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.flush()  # what was parsed before an error is kept: a re-run reuses it


@dataclass(frozen=True)
class _Where:
    pack: str  # file name in the staging folder
    offset: int
    length: int


class Staging:
    """Where staged results live: a local folder or any fsspec URL. Picklable (it is just the URL), so a
    parse step on a remote worker writes where the loader reads.

    Records live in packs (``pack_bytes``). Which records a pack still holds for the loader is kept per
    instance: a pack is removed once every record in it is spent (discarded) or superseded by a later pack.
    """

    def __init__(self, url: str | Path):
        url = str(url)
        self.url = url.removeprefix("file://") if _is_local(url) else url.rstrip("/")
        self._index: dict[str, _Where] = {}
        self._live: dict[str, set[str]] = {}  # pack -> its shas the index points at

    def __repr__(self) -> str:
        return f"Staging({self.url!r})"

    def __getstate__(self) -> dict:
        return {"url": self.url}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["url"])

    @property
    def local(self) -> bool:
        return _is_local(self.url)

    @property
    def _fs(self):
        import fsspec  # only for remote staging

        return fsspec.core.url_to_fs(self.url)[0]

    def _at(self, name: str) -> str:
        return f"{self.url}/{name}"

    def prepare(self) -> None:
        if self.local:
            Path(self.url).mkdir(parents=True, exist_ok=True)
        else:
            self._fs.makedirs(self.url, exist_ok=True)

    # ------------------------------------------------------------------ writing
    def write(self, result: ParsedReport | Quarantined) -> str:
        """Stage one result on its own (a pack of one); returns its kind ('report' or 'quarantine')."""
        self.write_pack([(result.sha256, encode(result))])
        return kind_of(result)

    def write_pack(self, records: list[tuple[str, bytes]]) -> str:
        """Write one pack; returns its name. Names sort in the order packs were written (a document staged
        twice is read from its later pack)."""
        data = pack_bytes(records)
        name = f"{time.time_ns():020d}-{uuid.uuid4().hex[:12]}{PACK_SUFFIX}"
        target = self._at(name)
        if self.local:
            tmp = f"{target}.{os.getpid()}{TMP_SUFFIX}"
            try:
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
                try:
                    view = memoryview(data)
                    while view:
                        view = view[os.write(fd, view):]
                finally:
                    os.close(fd)
                os.replace(tmp, target)  # atomic: a reader never sees half a pack
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)  # e.g. disk full: leave no zero-length leftover behind
                raise
        else:
            with self._fs.open(target, "wb") as f:  # object stores put whole objects atomically
                f.write(data)
        return name

    # ------------------------------------------------------------------ finding
    def _pack_names(self) -> list[str]:
        if self.local:
            if not Path(self.url).is_dir():
                return []
            with os.scandir(self.url) as it:
                return sorted(e.name for e in it if e.name.endswith(PACK_SUFFIX))
        return sorted(Path(p).name for p in self._fs.glob(f"{self.url}/*{PACK_SUFFIX}"))

    def _read_range(self, name: str, offset: int, length: int) -> bytes:
        if self.local:
            with open(self._at(name), "rb") as f:
                return os.pread(f.fileno(), length, offset)
        return self._fs.cat_file(self._at(name), start=offset, end=offset + length)

    def _pack_entries(self, name: str) -> list[tuple[str, int, int]] | None:
        """A pack's records of this parser version ([] for another version's), None if it is no pack."""
        try:
            if self.local:
                with open(self._at(name), "rb") as f:
                    fd = f.fileno()
                    version, entries = pack_index(lambda off, n: os.pread(fd, n, off), os.fstat(fd).st_size)
            else:
                with self._fs.open(self._at(name), "rb") as f:
                    size = self._fs.size(self._at(name))

                    def read_at(off: int, n: int) -> bytes:
                        f.seek(off)
                        return f.read(n)

                    version, entries = pack_index(read_at, size)
        except FileNotFoundError:
            return None
        except (OSError, ValueError, struct.error):
            return []
        return entries if version == PARSER_VERSION else []

    def refresh(self) -> None:
        """Bring the index up to date with the packs there now: new ones read (their frame tables only),
        gone ones forgotten; a pack with no record left for the loader is removed."""
        names = self._pack_names()
        known = set(self._live)
        for gone in known.difference(names):
            for sha in self._live.pop(gone):  # the shas the index points at in it
                del self._index[sha]
        spent: list[str] = []
        for name in names:  # in the order written: a later pack's record of a document wins
            if name in known:
                continue
            entries = self._pack_entries(name)
            if entries is None:
                continue
            live = self._live.setdefault(name, set())
            for sha, offset, length in entries:
                old = self._index.get(sha)
                if old is not None and old.pack in self._live:
                    self._live[old.pack].discard(sha)
                    if not self._live[old.pack]:
                        spent.append(old.pack)
                self._index[sha] = _Where(name, offset, length)
                live.add(sha)
            if not live:
                spent.append(name)  # another parser version's, torn to nothing, or empty
        self._remove_packs(spent)

    def _remove_packs(self, names: list[str]) -> None:
        for name in names:
            self._live.pop(name, None)
        if not names:
            return
        if self.local:
            for name in names:
                with contextlib.suppress(OSError):
                    os.unlink(self._at(name))
        else:
            with contextlib.suppress(FileNotFoundError, OSError):
                self._fs.rm([self._at(n) for n in names])

    # ------------------------------------------------------------------ reading
    def _decode_at(self, where: _Where | None, fds: dict[str, int]) -> pa.Table | None:
        """The record at ``where`` (read through an open descriptor of its pack when ``fds`` has one), or
        None when there is none or it is unreadable."""
        if where is None:
            return None
        try:
            if where.pack in fds:
                return decode(os.pread(fds[where.pack], where.length, where.offset))
            return decode(self._read_range(where.pack, where.offset, where.length))
        except (OSError, ValueError):
            return None

    def _read_indexed(self, sha: str) -> pa.Table | None:
        return self._decode_at(self._index.get(sha), {})

    def read(self, sha: str, *, refresh: bool = True) -> pa.Table | None:
        """The staged record of ``sha`` from this parser version, or None: not staged, from another parser
        version, or unreadable (torn by a power loss), in which case it counts as not staged (and its pack
        is removed once nothing else in it is needed), so the document is parsed again. ``refresh=False``
        trusts the index as last refreshed (one listing for many lookups)."""
        if refresh:
            self.refresh()
        table = self._read_indexed(sha)
        if table is None:
            self.discard(sha)
        return table

    def read_many(self, shas: list[str]) -> tuple[pa.Table, list[str]]:
        """The staged records of these documents in one table (in the order given), and the shas that are
        not (or no longer readably) staged."""
        self.refresh()
        tables, missing = [], []
        wheres = [self._index.get(sha) for sha in shas]
        with contextlib.ExitStack() as stack:
            fds: dict[str, int] = {}  # a local pack opened once for all its records in this set
            if self.local:
                for pack in {w.pack for w in wheres if w is not None}:
                    with contextlib.suppress(OSError):
                        fds[pack] = os.open(self._at(pack), os.O_RDONLY)
                        stack.callback(os.close, fds[pack])
            if self.local:  # from the page cache (the packs were just written): threads measured slower
                read = [self._decode_at(where, fds) for where in wheres]
            else:  # a request per record to an object store: many at once
                with ThreadPoolExecutor(max_workers=READ_THREADS) as pool:
                    read = list(pool.map(lambda where: self._decode_at(where, fds), wheres))
        for sha, t in zip(shas, read, strict=True):
            if t is None:
                missing.append(sha)
            else:
                tables.append(t)
        self.discard_many([sha for sha in missing if sha in self._index])  # torn: parsed again next time
        return (pa.concat_tables(tables) if tables else SCHEMA.empty_table()), missing

    def staged_shas(self) -> list[str]:
        """The documents with a staged result of this parser version here."""
        self.refresh()
        return list(self._index)

    # ------------------------------------------------------------------ removing
    def discard(self, sha: str) -> None:
        self.discard_many([sha])

    def discard_many(self, shas: list[str]) -> None:
        """These staged results are spent (loaded, or unreadable): a pack goes when none of its are left."""
        spent = []
        for sha in shas:
            where = self._index.pop(sha, None)
            if where is None or where.pack not in self._live:
                continue
            live = self._live[where.pack]
            live.discard(sha)
            if not live:
                spent.append(where.pack)
        self._remove_packs(spent)

    def clean_leftovers(self, older_than_s: float = LEFTOVER_AGE_S) -> int:
        """Remove what no writer will finish any more: temporary files of a crash or a full disk mid-write,
        and single-document files of the layout before packs (their documents are parsed again)."""
        if not self.local or not Path(self.url).is_dir():
            return 0
        cutoff, removed = time.time() - older_than_s, 0
        with os.scandir(self.url) as it:
            for entry in it:
                old_layout = entry.name.endswith(_SINGLE_SUFFIX)
                if entry.name.endswith(TMP_SUFFIX) or old_layout:
                    with contextlib.suppress(OSError):
                        if old_layout or entry.stat().st_mtime <= cutoff:
                            os.unlink(entry.path)
                            removed += 1
        return removed

"""The ingest stages as plain functions (the Dagster assets call these): scan, parse, load, validate.

Parsing is stateless and parallel (a process pool); its results are staged as JSON files named by
content hash, so a crash between parse and load loses nothing and re-parses nothing. Loading is
the single writer.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from . import warehouse as wh
from .model import ParsedReport, Quarantined
from .parse import DEFAULT_MAX_BYTES, PARSER_VERSION, parse_document

Progress = Callable[[str], None]


def staging_dir(warehouse: Path) -> Path:
    return Path(warehouse).parent / "staging" / Path(warehouse).stem


def open_warehouse(path: Path) -> duckdb.DuckDBPyConnection:
    con = wh.connect(path)
    wh.apply_schema(con)
    wh.apply_views(con)
    return con


def pending_documents(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """Documents in the inbox that this parser version has not yet turned into a report or a quarantine row."""
    return con.execute(
        "SELECT sha256, source_file FROM documents WHERE present AND (status = 'new' OR parser_version IS DISTINCT FROM ?) "
        "ORDER BY first_seen, source_file", [PARSER_VERSION]).fetchall()


def _parse_one(args: tuple[str, str, str, str, int]) -> tuple[str, str]:
    sha, rel, inbox, out_dir, max_bytes = args
    target = Path(out_dir) / f"{sha}.json"
    path = Path(inbox) / rel
    if not path.exists():
        result = Quarantined(rel, sha, "read", "file_vanished", "The file disappeared from the inbox before it was read.")
    else:
        result = parse_document(path, source_file=rel, sha256=sha, max_bytes=max_bytes)
    kind = "report" if isinstance(result, ParsedReport) else "quarantine"
    payload = {"kind": kind, "parser_version": PARSER_VERSION, "result": result.to_dict()}
    tmp = target.with_suffix(".tmp")
    tmp.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    tmp.replace(target)  # atomic: a reader never sees half a file
    return sha, kind


@dataclass
class ParseStats:
    parsed: int = 0
    reused: int = 0
    kinds: Counter = field(default_factory=Counter)
    seconds: float = 0.0


def parse_pending(items: list[tuple[str, str]], inbox: Path, staging: Path, *, workers: int = 1,
                  max_bytes: int = DEFAULT_MAX_BYTES, progress: Progress | None = None) -> ParseStats:
    staging.mkdir(parents=True, exist_ok=True)
    stats = ParseStats()
    t0 = time.perf_counter()
    todo = []
    for sha, rel in items:
        staged = staging / f"{sha}.json"
        if staged.exists() and json.loads(staged.read_text(encoding="utf-8")).get("parser_version") == PARSER_VERSION:
            stats.reused += 1  # parsed by an earlier, interrupted run
            continue
        todo.append((sha, rel, str(inbox), str(staging), max_bytes))
    if workers > 1 and len(todo) > 4:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = pool.map(_parse_one, todo, chunksize=max(1, len(todo) // (workers * 8)))
            for i, (_, kind) in enumerate(results, 1):
                stats.kinds[kind] += 1
                if progress and (i % 100 == 0 or i == len(todo)):
                    progress(f"parsed {i}/{len(todo)}")
    else:
        for i, args in enumerate(todo, 1):
            _, kind = _parse_one(args)
            stats.kinds[kind] += 1
            if progress and (i % 100 == 0 or i == len(todo)):
                progress(f"parsed {i}/{len(todo)}")
    stats.parsed = len(todo)
    stats.seconds = time.perf_counter() - t0
    return stats


@dataclass
class LoadStats:
    loaded: list[str] = field(default_factory=list)
    quarantined: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)


def load_staged(con: duckdb.DuckDBPyConnection, items: list[tuple[str, str]], staging: Path,
                progress: Progress | None = None) -> LoadStats:
    stats = LoadStats()
    for i, (sha, rel) in enumerate(items, 1):
        staged = staging / f"{sha}.json"
        if not staged.exists():
            continue
        payload = json.loads(staged.read_text(encoding="utf-8"))
        if payload["kind"] == "report":
            rep = ParsedReport.from_dict(payload["result"])
            rep.source_file = rel
            try:
                stats.loaded.append(wh.load_report(con, rep))
            except Exception as e:  # noqa: BLE001 - a report that cannot be loaded is quarantined, not fatal
                q = Quarantined(rel, sha, "load", "load_failed",
                                f"The report was read but could not be loaded ({type(e).__name__}: {str(e)[:200]}).")
                wh.quarantine_document(con, q)
                stats.quarantined.append((rel, q.reason))
        else:
            q = Quarantined(**payload["result"])
            wh.quarantine_document(con, Quarantined(rel, q.sha256 or sha, q.stage, q.reason, q.detail))
            stats.quarantined.append((rel, q.reason))
        if progress and (i % 200 == 0 or i == len(items)):
            progress(f"loaded {i}/{len(items)}")
    return stats

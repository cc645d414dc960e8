"""What a quality pass has to judge: the agencies whose reports changed since they were last judged, in
chunks of whole agencies, so a pass costs what changed and its memory does not grow with the corpus.

The unit is the agency. Rules across reports compare reports of one agency only (R5 and X2 neighbouring
years, U2 versions of one agency-year: one agency_id) or of one printed agency name (U1, which exists to
catch an agency the agency dimension split over two ids). So agencies linked by a printed name, now or
when they were last judged, form one *judging group* (nearly always a single agency), and a group's
results depend on nothing outside it: judging the groups a few at a time gives the same rows as judging
the whole warehouse at once.

Everything is judged again when the rules, suites, shaping queries or judging code changed, when the
warehouse's setup changed (views, code tables, the agency resolver), in a new calendar year (S2 and
held_reports take the current year), or when asked (`gongkai check`). The fingerprint of all that is kept
in warehouse_meta ('quality_rules').
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipelines.lib.load.connection import SQL_DIR, read_sql, setup_fingerprint

QUALITY_CHUNK_ENV = "GONGKAI_QUALITY_CHUNK"
# Reports judged per chunk. ~63 scopes per report: 10,000 reports are ~630,000 scopes, a few hundred MB of
# frames at the peak; 1,000 documents are one chunk, so a small warehouse pays nothing for chunking.
DEFAULT_QUALITY_CHUNK = 10_000
FINGERPRINT_KEY = "quality_rules"


def quality_chunk_from_env() -> int:
    """GONGKAI_QUALITY_CHUNK: reports judged together at most (default 10,000). Raises ValueError with a
    sentence saying what is wrong."""
    raw = os.environ.get(QUALITY_CHUNK_ENV, "").strip()
    if not raw:
        return DEFAULT_QUALITY_CHUNK
    try:
        value = int(raw.replace("_", ""))
    except ValueError:
        value = 0
    if value < 1:
        raise ValueError(f"{QUALITY_CHUNK_ENV} must be a whole number of reports judged together, such as "
                         f"{DEFAULT_QUALITY_CHUNK} (the default), not {raw!r}")
    return value


def quality_rule_files() -> list[Path]:
    """What quality results depend on besides the loaded reports: suites, shaping and judging queries, code."""
    from pipelines.lib.judge import gx_bridge, quality

    return [*sorted(gx_bridge.EXPECTATIONS_DIR.glob("*.json")), *sorted((SQL_DIR / "checks").glob("*.sql")),
            *sorted((SQL_DIR / "judge").glob("*.sql")), Path(quality.__file__), Path(gx_bridge.__file__),
            Path(__file__)]


def rules_fingerprint(con: duckdb.DuckDBPyConnection, files: list[Path] | None = None) -> str:
    """Changes whenever stored results may no longer be what the rules say: any rule file's content, the
    warehouse setup (views such as reports and held_reports, code tables, agency resolver) or the year."""
    h = hashlib.sha256(setup_fingerprint().encode())
    h.update(str(con.execute("SELECT year(current_date)").fetchone()[0]).encode())
    for f in quality_rule_files() if files is None else files:
        h.update(f.name.encode() + b"\0" + (f.read_bytes() if f.exists() else b"(missing)") + b"\0")
    return h.hexdigest()


def stored_fingerprint(con: duckdb.DuckDBPyConnection) -> str | None:
    try:
        row = con.execute("SELECT value FROM warehouse_meta WHERE key = ?", [FINGERPRINT_KEY]).fetchall()
    except duckdb.CatalogException:  # a warehouse from before the setup fingerprint
        return None
    return row[0][0] if row else None


def _has_bookkeeping(con: duckdb.DuckDBPyConnection) -> bool:
    return con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name IN ('quality_inputs', "
                       "'quality_scope_agencies')").fetchone()[0] == 2


@contextmanager
def report_inputs(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """The temp view report_inputs (sql/judge/report_inputs.sql) that the staleness and bookkeeping queries
    read, for the duration of the block (dropped after: no temp object outlives its use)."""
    con.execute("CREATE OR REPLACE TEMP VIEW report_inputs AS " + read_sql("judge/report_inputs.sql"))
    try:
        yield
    finally:
        con.execute("DROP VIEW IF EXISTS temp.report_inputs")


def stale_agencies(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Agencies with a report loaded, re-loaded, moved, removed or read by a person since it was judged."""
    with report_inputs(con):
        return {a for (a,) in con.execute(read_sql("judge/stale_agencies.sql")).fetchall()}


@dataclass(frozen=True)
class JudgingPlan:
    full: bool  # every agency is judged and every stored result replaced
    reason: str  # why, in words (logged)
    chunks: list[list[str]] = field(default_factory=list)  # agency ids: whole judging groups per chunk
    reports: int = 0  # report versions judged (all chunks)
    fingerprint: str = ""

    @property
    def agencies(self) -> list[str]:
        return [a for chunk in self.chunks for a in chunk]

    @property
    def nothing_to_do(self) -> bool:
        return not self.full and not self.chunks


def judging_groups(con: duckdb.DuckDBPyConnection) -> list[tuple[list[str], int]]:
    """(agency ids, report versions now) of every judging group, ordered by their lowest agency id."""
    from pipelines.lib.read.union_find import UnionFind

    rows = con.execute(read_sql("judge/agency_names.sql")).fetchall()
    ids = sorted({a for a, _, _ in rows})
    index = {a: k for k, a in enumerate(ids)}
    links = UnionFind(len(ids))
    first_with_name: dict[str, int] = {}
    for agency, name, _ in rows:
        links.union(index[agency], first_with_name.setdefault(name, index[agency]))
    members: dict[int, list[str]] = {}
    sizes: dict[int, int] = {}
    for agency, _, reports in rows:
        root = links.find(index[agency])
        sizes[root] = sizes.get(root, 0) + reports
    for a in ids:  # ids are sorted: members and groups come out in agency-id order
        members.setdefault(links.find(index[a]), []).append(a)
    return [(members[root], sizes[root]) for root in sorted(members)]


def chunked(groups: list[tuple[list[str], int]], chunk_reports: int) -> list[list[str]]:
    """Groups packed in order into chunks of at most ``chunk_reports`` report versions (a larger group is a
    chunk of its own; a group with none, an agency whose reports are gone, still needs its rows removed)."""
    chunks: list[list[str]] = []
    current: list[str] = []
    size = 0
    for agencies, reports in groups:
        if current and size + reports > chunk_reports:
            chunks.append(current)
            current, size = [], 0
        current.extend(agencies)
        size += reports
    if current:
        chunks.append(current)
    return chunks


def plan_judging(con: duckdb.DuckDBPyConnection, *, full: bool = False, chunk_reports: int | None = None,
                 rule_files: list[Path] | None = None, why_full: str = "asked to judge everything") -> JudgingPlan:
    """What the next pass judges. ``full``: everything, whatever changed (on request, ``why_full``)."""
    chunk_reports = quality_chunk_from_env() if chunk_reports is None else chunk_reports
    if chunk_reports < 1:
        raise ValueError(f"chunk_reports must be at least 1, not {chunk_reports}")
    fingerprint = rules_fingerprint(con, rule_files)
    stored = stored_fingerprint(con)
    if full:
        reason = why_full
    elif stored is None or not _has_bookkeeping(con):
        full, reason = True, "never judged with this bookkeeping"
    elif stored != fingerprint:
        full, reason = True, "the rules, the judging code or the warehouse setup changed (or a new year began)"
    else:
        stale = stale_agencies(con)
        if not stale:
            return JudgingPlan(False, "nothing changed since the last pass", fingerprint=fingerprint)
        reason = f"{len(stale)} agencies with reports loaded, replaced, removed or resolved since the last pass"
    groups = judging_groups(con)
    if not full:
        groups = [(agencies, n) for agencies, n in groups if not stale.isdisjoint(agencies)]
    return JudgingPlan(full, reason, chunked(groups, chunk_reports), sum(n for _, n in groups), fingerprint)


def quality_is_current(con: duckdb.DuckDBPyConnection, rule_files: list[Path] | None = None) -> bool:
    """True when the stored quality_results are what a pass would write: judged under these rules, and no
    report loaded, replaced, removed or resolved since. A warehouse where nothing was ever loaded or judged
    is current."""
    loaded, judged = con.execute("SELECT (SELECT count(*) FROM report_history), "
                                 "(SELECT count(*) FROM quality_results)").fetchone()
    if loaded == 0 and judged == 0:
        return True
    if stored_fingerprint(con) != rules_fingerprint(con, rule_files) or not _has_bookkeeping(con):
        return False
    return not stale_agencies(con)

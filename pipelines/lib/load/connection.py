"""Opening the warehouse: the one-writer lock, the schema and views, the warehouse's runtime folders.

Single writer: only one process opens the file read-write (see ``writer_lock``).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import polars as pl
from filelock import FileLock, Timeout

from pipelines.lib.codes import code_labels, load_codes, proactive_crosswalk, row_columns
from pipelines.lib.harmonize.agencies import division_rows, refresh_report_agencies, resolver_fingerprint

SQL_DIR = Path(__file__).resolve().parents[3] / "sql"


DEFAULT_INBOX = "data/inbox"
DEFAULT_WAREHOUSE = "data/warehouse.duckdb"


def resolve_paths(inbox: str | None = None, warehouse: str | None = None) -> tuple[Path, Path]:
    """(inbox, warehouse), absolute: a given value overrides GONGKAI_INBOX / GONGKAI_WAREHOUSE, which override
    the defaults (contract.md). The one rule, for the CLI (before Dagster loads) and the Dagster resource."""
    return (Path(inbox or os.environ.get("GONGKAI_INBOX") or DEFAULT_INBOX).resolve(),
            Path(warehouse or os.environ.get("GONGKAI_WAREHOUSE") or DEFAULT_WAREHOUSE).resolve())


def runtime_dir(warehouse: Path | str) -> Path:
    """Everything a warehouse needs besides its file, in one folder beside it: ``<warehouse>.gongkai/``
    (staging/, quality/, dagster/). Two warehouses never share runs, staged results or Data Docs."""
    return Path(str(warehouse) + ".gongkai")


class WarehouseBusy(RuntimeError):
    pass

def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)

def read_sql(relpath: str) -> str:
    return (SQL_DIR / relpath).read_text(encoding="utf-8")

_HELD: dict[str, int] = {}  # lock paths this process holds -> nesting depth

_HELD_GUARD = threading.Lock()

@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """BEGIN … COMMIT, or ROLLBACK and re-raise: all of the block's writes land, or none."""
    con.execute("BEGIN")
    try:
        yield
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


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

# DuckDB's buffer pool may take 80 % of the machine by default; the pipeline's connections keep it to this
# (GONGKAI_DUCKDB_MEMORY, e.g. "2GB"; empty = DuckDB's default), spilling to disk beyond it, so a large load
# or quality pass stays within a small machine's memory beside the parse workers.
DEFAULT_DUCKDB_MEMORY = "1GB"
_MEMORY_RE = re.compile(r"^\s*\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$", re.I)


def connect(path: Path | str, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    path = Path(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only)
    limit = os.environ.get("GONGKAI_DUCKDB_MEMORY", DEFAULT_DUCKDB_MEMORY)
    if limit:
        if not _MEMORY_RE.match(limit):  # SET takes no parameters: only a well-formed size is spliced in
            con.close()
            raise ValueError(f"GONGKAI_DUCKDB_MEMORY must be a size such as 2GB or 512MB, not {limit!r}")
        con.execute(f"SET memory_limit = '{limit.strip()}'")
    return con

def apply_schema(con: duckdb.DuckDBPyConnection) -> None:
    # An older warehouse's facts table carries a primary key (an in-memory ART index ten times the size of
    # the data): it is rebuilt without one, all or nothing.
    keyed = con.execute("SELECT count(*) FROM duckdb_constraints() WHERE table_name = 'facts' "
                        "AND constraint_type = 'PRIMARY KEY'").fetchone()[0] > 0
    con.execute("BEGIN")
    try:
        if keyed:
            con.execute("ALTER TABLE facts RENAME TO facts_keyed")
        for f in sorted((SQL_DIR / "ddl").glob("*.sql")):
            con.execute(f.read_text(encoding="utf-8"))
        if keyed:
            con.execute(read_sql("migrate/facts_without_key.sql"))
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
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
    if analyst:  # the analyst views now stand on a current setup: say so (see open_warehouse)
        fingerprint = setup_fingerprint()
        if _setup_is_current(con, fingerprint, analyst_views=False):
            con.execute("INSERT OR REPLACE INTO warehouse_meta VALUES ('setup', ?)", [f"{fingerprint}:analyst"])
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
    """code_labels (every code, Chinese + English), proactive_crosswalk (table 二, 2019 <-> 2021),
    admin_divisions (cpca's division table, for regional roll-ups) and row_columns (each row's cells in
    printed order, per template: how an unresolved row's readings and a person's reading are read)."""
    labels = pl.DataFrame(code_labels(), schema={"domain": pl.String, "code": pl.String, "label_zh": pl.String,
                                                 "label_en": pl.String}, orient="row")
    walk = pl.DataFrame(proactive_crosswalk(), schema={
        "series": pl.String, "item": pl.String, "row": pl.String, "col_2019": pl.String, "col_2021": pl.String,
        "comparable": pl.Boolean, "note": pl.String})
    divisions = pl.DataFrame(division_rows(), schema={
        "adcode": pl.String, "name": pl.String, "level": pl.String, "province_adcode": pl.String,
        "city_adcode": pl.String}, orient="row")
    cells = pl.DataFrame(row_columns(), schema={
        "table_no": pl.String, "template": pl.String, "item": pl.String, "row_code": pl.String,
        "col_code": pl.String, "position": pl.Int32, "col_label": pl.String}, orient="row")
    for name, frame in (("code_labels", labels), ("proactive_crosswalk", walk), ("admin_divisions", divisions),
                        ("row_columns", cells)):
        con.register("_seed", frame)
        con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM _seed")  # name is a literal above
        con.unregister("_seed")


def setup_fingerprint() -> str:
    """Changes whenever what apply_schema / apply_views write changes: the DDL and view files, the code and
    division tables (resolver_fingerprint covers codes.yaml and cpca's data), and this module."""
    from pipelines.lib import codes

    files = [*sorted((SQL_DIR / "ddl").glob("*.sql")), *sorted((SQL_DIR / "views").glob("*.sql")),
             Path(__file__), Path(codes.__file__), codes.CODES_PATH]
    # A run opens the warehouse several times: hash again only when a file's size or mtime moved.
    key = tuple((str(f), st.st_size, st.st_mtime_ns) for f in files for st in [f.stat()])
    if key not in _SETUP_FINGERPRINTS:
        import hashlib

        h = hashlib.sha256(resolver_fingerprint().encode())
        for f in files:
            h.update(f.name.encode() + b"\0" + f.read_bytes())
        _SETUP_FINGERPRINTS.clear()
        _SETUP_FINGERPRINTS[key] = h.hexdigest()
    return _SETUP_FINGERPRINTS[key]


_SETUP_FINGERPRINTS: dict[tuple, str] = {}


_CREATED_RE = re.compile(r"CREATE\s+(?:OR\s+REPLACE\s+)?(?:TABLE|VIEW)\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)", re.I)


def _expected_relations(analyst_views: bool) -> set[str]:
    files = [*sorted((SQL_DIR / "ddl").glob("*.sql")),
             *(f for f in sorted((SQL_DIR / "views").glob("*.sql")) if analyst_views or f.name < ANALYST_VIEWS_FROM)]
    return {m.group(1).lower() for f in files for m in _CREATED_RE.finditer(f.read_text(encoding="utf-8"))}


def _setup_is_current(con: duckdb.DuckDBPyConnection, fingerprint: str, analyst_views: bool) -> bool:
    """A setup with the analyst views also serves an open without them; not the other way round. And every
    table and view the SQL files create is still there (one dropped by hand is created again)."""
    try:
        stored = con.execute("SELECT value FROM warehouse_meta WHERE key = 'setup'").fetchall()
    except duckdb.CatalogException:  # a new warehouse, or one from before the setup fingerprint
        return False
    wanted = {f"{fingerprint}:analyst"} if analyst_views else {f"{fingerprint}:analyst", f"{fingerprint}:contract"}
    if not stored or stored[0][0] not in wanted:
        return False
    present = {r[0].lower() for r in con.execute(
        "SELECT table_name FROM duckdb_tables() UNION ALL SELECT view_name FROM duckdb_views() WHERE NOT internal"
    ).fetchall()}
    return _expected_relations(analyst_views) <= present


def setup_is_current(con: duckdb.DuckDBPyConnection, *, analyst_views: bool = True) -> bool:
    """True when the schema, views and seeded tables of this warehouse are those of this code."""
    return _setup_is_current(con, setup_fingerprint(), analyst_views)


def open_warehouse(path: Path, *, analyst_views: bool = True) -> duckdb.DuckDBPyConnection:
    """Open read-write with the schema and views applied (the Dagster graph leaves the analyst views to
    its analyst_views asset, which the blocking structural checks guard).

    Re-applying the schema and re-seeding the code and division tables costs ~1 s, and a run opens the
    warehouse several times: it is skipped when nothing it writes has changed since the last time.
    """
    con = connect(path)
    fingerprint = setup_fingerprint()
    if not _setup_is_current(con, fingerprint, analyst_views):
        apply_schema(con)
        apply_views(con, analyst=analyst_views)
        kind = "analyst" if analyst_views else "contract"
        con.execute("INSERT OR REPLACE INTO warehouse_meta VALUES ('setup', ?)", [f"{fingerprint}:{kind}"])
    return con

DEFAULT_LOCK_WAIT_S = 3600.0

@contextmanager
def locked_warehouse(path: Path, *, read_only: bool = False, analyst_views: bool = False,
                     wait: float | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """The warehouse, opened under the writer lock (waiting up to GONGKAI_LOCK_WAIT_S, default an hour).

    What the assets use: a run started by the daemon then waits for a `gongkai ingest` in progress (and
    vice versa the CLI reports it busy) instead of failing on DuckDB's one-process file lock.
    """
    wait = float(os.environ.get("GONGKAI_LOCK_WAIT_S", DEFAULT_LOCK_WAIT_S)) if wait is None else wait
    with writer_lock(path, timeout=wait):
        con = connect(path, read_only=True) if read_only else open_warehouse(path, analyst_views=analyst_views)
        try:
            yield con
        finally:
            con.close()

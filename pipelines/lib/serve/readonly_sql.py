"""`gongkai sql`: exactly one read-only statement against the warehouse, with no way out of it.

DuckDB's read-only mode only protects the database file. A SQL surface handed to analysts must also not write
files (COPY … TO, EXPORT DATABASE, PRAGMA profile_output), attach and change other databases, or install
extensions from the network, so external access, extension autoload/autoinstall and configuration changes are
all switched off before the user's statement runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb

# What a read-only question can be: queries, plans, and catalogue look-ups (DESCRIBE/SHOW are SELECTs).
ALLOWED_STATEMENTS = {duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN, duckdb.StatementType.PRAGMA}


class RefusedStatement(ValueError):
    """The statement is not a single read-only query; the message says why, in one sentence."""


def connect_read_only(warehouse: Path, allow_read: Sequence[Path] = ()) -> duckdb.DuckDBPyConnection:
    """The warehouse opened read-only with the external-access surface closed.

    ``allow_read``: folders whose files queries may still read (e.g. a `gongkai export` output folder).
    """
    con = duckdb.connect(str(warehouse), read_only=True,
                         config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    try:
        if allow_read:
            dirs = [str(Path(d).resolve()).rstrip("/") + "/" for d in allow_read]
            con.execute("SET allowed_directories = ?", [dirs])
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")  # nothing the statement says can turn the above back on
    except Exception:
        con.close()
        raise
    return con


def check_statement(con: duckdb.DuckDBPyConnection, query: str) -> None:
    """Refuse anything but exactly one SELECT / EXPLAIN / PRAGMA statement."""
    try:
        statements = con.extract_statements(query)
    except duckdb.Error as e:
        raise RefusedStatement(f"the statement does not parse: {str(e).splitlines()[0]}") from e
    if len(statements) != 1:
        raise RefusedStatement(f"give exactly one statement (got {len(statements)}); `gongkai sql` runs one "
                               "read-only query at a time")
    kind = statements[0].type
    if kind not in ALLOWED_STATEMENTS:
        raise RefusedStatement(f"{kind.name} statements are refused: `gongkai sql` is read-only (SELECT, "
                               "EXPLAIN, DESCRIBE, SHOW, PRAGMA); to copy data out use `gongkai export`")


def run_query(warehouse: Path, query: str, allow_read: Sequence[Path] = ()) -> tuple[list[str], list[tuple]]:
    """(column names, rows) of one read-only statement. Raises RefusedStatement or duckdb.Error."""
    con = connect_read_only(warehouse, allow_read)
    try:
        check_statement(con, query)
        rel = con.sql(query)
        if rel is None:
            return [], []
        return list(rel.columns), rel.fetchall()
    finally:
        con.close()

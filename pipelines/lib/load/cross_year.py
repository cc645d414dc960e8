"""Cross-year evidence for unresolved rows: which candidate readings the same agency's neighbouring
years allow (table 二 stock and flow, table 三 carry-over). A suggestion shown beside the row, never a
fact: the row stays out of facts until a person confirms a reading (`gongkai resolve`).

The derivation is one set-wise script (``sql/derive/unresolved_suggestions.sql``) over the whole
warehouse, run after every load and every resolution, so a suggestion appears, changes or goes away
when a neighbouring report arrives, is revised or has a cell resolved.
"""

from __future__ import annotations

import duckdb

from pipelines.lib.load.connection import read_sql


def derive_suggestions(con: duckdb.DuckDBPyConnection) -> None:
    """Re-derive fitting_readings / suggested_reading / suggestion_basis / suggestion_years of every
    unresolved row. No transaction of its own: callers run it inside theirs."""
    con.execute(read_sql("derive/unresolved_suggestions.sql"))


def refresh_suggestions(con: duckdb.DuckDBPyConnection) -> None:
    """``derive_suggestions`` in a transaction of its own (after a load)."""
    con.execute("BEGIN")
    try:
        derive_suggestions(con)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise

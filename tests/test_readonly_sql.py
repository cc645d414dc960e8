"""`gongkai sql` is read-only in the full sense: no writes to files, other databases, settings or extensions."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pipelines.lib.serve.readonly_sql import RefusedStatement, run_query


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    path = tmp_path / "w.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE reports AS SELECT 'r1' AS report_id, 2024 AS year")
    con.close()
    other = duckdb.connect(str(tmp_path / "other.duckdb"))
    other.execute("CREATE TABLE precious AS SELECT 42 AS x")
    other.close()
    return path


def test_a_select_runs(warehouse: Path) -> None:
    assert run_query(warehouse, "SELECT report_id, year FROM reports") == (["report_id", "year"], [("r1", 2024)])
    assert run_query(warehouse, "DESCRIBE reports")[1][0][0] == "report_id"
    assert run_query(warehouse, "PRAGMA table_info('reports')")[1][0][1] == "report_id"


@pytest.mark.parametrize("statement", [
    "COPY reports TO '{d}/out.csv'",
    "EXPORT DATABASE '{d}/dump'",
    "PRAGMA profile_output = '{d}/profile.json'",
    "SET enable_external_access = true",
    "ATTACH '{d}/other.duckdb' AS o (READ_WRITE)",
    "INSTALL httpfs",
    "LOAD httpfs",
    "CREATE TABLE x AS SELECT 1",
    "SELECT 1; DELETE FROM reports",
    "SELECT * FROM read_csv('/etc/passwd')",
])
def test_writes_and_escapes_are_refused(warehouse: Path, statement: str) -> None:
    d = warehouse.parent
    before = sorted(p.name for p in d.iterdir())
    with pytest.raises((RefusedStatement, duckdb.Error)):
        run_query(warehouse, statement.format(d=d))
    assert sorted(p.name for p in d.iterdir()) == before  # no file written
    con = duckdb.connect(str(d / "other.duckdb"), read_only=True)
    assert con.execute("SELECT x FROM precious").fetchall() == [(42,)]
    con.close()


def test_two_statements_are_refused_before_either_runs(warehouse: Path) -> None:
    with pytest.raises(RefusedStatement, match="exactly one statement"):
        run_query(warehouse, "SELECT 1; SELECT 2")


def test_exports_are_readable_through_an_explicit_folder(warehouse: Path, tmp_path: Path) -> None:
    exports = tmp_path / "exports"
    exports.mkdir()
    (exports / "reports.csv").write_text("report_id,year\nr9,2023\n", encoding="utf-8")
    query = f"SELECT report_id FROM read_csv('{exports}/reports.csv')"
    with pytest.raises(duckdb.Error, match="disabled"):
        run_query(warehouse, query)
    assert run_query(warehouse, query, allow_read=[exports])[1] == [("r9",)]

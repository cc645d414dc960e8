"""`gongkai export`: contract relations and analyst views, partitioned by year, in Parquet and CSV."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from test_views import REPORTS

from pipelines.cli import main
from pipelines.lib.judge import quality
from pipelines.lib.load import connection, loader
from pipelines.lib.serve import export


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("export") / "w.duckdb"
    con = connection.open_warehouse(path)
    for rep in REPORTS:
        loader.load_report(con, rep)
    quality.refresh_quality(con)
    con.close()
    return path


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_export_round_trip(warehouse: Path, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / "out"
    assert main(["export", str(out), "--format", fmt, "--warehouse", str(warehouse)]) == 0
    con = duckdb.connect(str(warehouse), read_only=True)
    reader = "read_parquet" if fmt == "parquet" else "read_csv_auto"
    for rel in export.RELATIONS:
        n = con.execute(f"SELECT count(*) FROM {rel}").fetchone()[0]
        has_year = "year" in [d[0] for d in con.execute(f"SELECT * FROM {rel} LIMIT 0").description]
        if has_year:
            years = sorted(p.name for p in (out / rel).iterdir())
            want = sorted(f"year={y}" for (y,) in con.execute(f"SELECT DISTINCT year FROM {rel}").fetchall())
            assert years == want, rel
            glob = str(out / rel / "*" / f"*.{fmt}")
        else:
            glob = str(out / f"{rel}.{fmt}")
        got = duckdb.execute(f"SELECT count(*) FROM {reader}(?)", [glob]).fetchall()[0][0] if n else 0
        assert got == n, rel
    # the year stays inside each file too, for tools that do not read hive paths
    cols = duckdb.sql(f"SELECT * FROM {reader}(?) LIMIT 0", params=[str(out / "reports" / "year=2024" / f"*.{fmt}")])
    assert "year" in cols.columns and "region_name" in cols.columns
    con.close()


def test_export_twice_overwrites(warehouse: Path, tmp_path: Path) -> None:
    con = duckdb.connect(str(warehouse), read_only=True)
    first = export.export_warehouse(con, tmp_path, "parquet")
    second = export.export_warehouse(con, tmp_path, "parquet")
    con.close()
    assert [(e.relation, e.rows) for e in first] == [(e.relation, e.rows) for e in second]
    assert len(list((tmp_path / "report_metrics").glob("year=2024/*.parquet"))) == 1
    assert {e.relation for e in first} == set(export.RELATIONS)


def test_export_rejects_unknown_format(warehouse: Path, tmp_path: Path) -> None:
    con = duckdb.connect(str(warehouse), read_only=True)
    with pytest.raises(ValueError):
        export.export_warehouse(con, tmp_path, "xlsx")
    con.close()


def test_export_adds_missing_views_to_an_older_warehouse(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    con = connection.open_warehouse(path)
    loader.load_report(con, REPORTS[0])
    con.execute("DROP VIEW agency_year_change")
    con.execute("DROP VIEW report_metrics")  # as if built before the analyst views existed
    con.close()
    assert main(["export", str(tmp_path / "out"), "--warehouse", str(path)]) == 0
    assert list((tmp_path / "out" / "report_metrics").glob("year=2019/*.parquet"))

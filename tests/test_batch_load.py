"""Loading is set-wise, many reports per transaction; a report that cannot be loaded does not keep the
rest of its batch out, and the order of acceptance (newest version wins) is the order of the inbox."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from pipelines.lib.load import connection, loader
from pipelines.lib.model import Fact
from pipelines.lib.read import fanout
from pipelines.lib.read.staging import Staging
from tests.test_rules import clean_report


def _stage(staging: Path, rep) -> tuple[str, str]:
    store = Staging(staging)
    store.prepare()
    store.write(rep)
    return rep.sha256, rep.source_file


def _documents(con, items: list[tuple[str, str]]) -> None:
    con.executemany("INSERT INTO documents VALUES (?, ?, 'txt', 1, now(), now(), true, 'new', NULL, NULL)",
                    [list(i) for i in items])


def test_a_bad_report_is_quarantined_and_the_rest_of_its_batch_loads(tmp_path: Path) -> None:
    con = connection.open_warehouse(tmp_path / "w.duckdb")
    staging = fanout.staging_dir(tmp_path / "w.duckdb")
    good = [replace(clean_report(sha=f"{k:x}" * 64, agency=f"杭州市第{k}局"), source_file=f"r{k}.txt") for k in range(1, 6)]
    # a code outside codes.yaml (as a stale parser would stage) and a template the schema refuses
    unknown = replace(clean_report(sha="a" * 64, agency="杭州市甲局"), source_file="bad-code.txt")
    unknown.facts.append(Fact(table="T3", row_code="no_such_row", col_code="total", value=1, printed="1", blank=False))
    bad_template = replace(clean_report(sha="b" * 64, agency="杭州市乙局"), source_file="bad-template.txt",
                           template="2030")
    # one cell twice (the facts table has no primary key: the loader's own check must refuse it)
    twice = replace(clean_report(sha="c" * 64, agency="杭州市丙局"), source_file="bad-twice.txt")
    twice.facts.append(twice.facts[0])
    reports = good[:2] + [unknown] + good[2:4] + [bad_template, twice] + good[4:]
    items = [_stage(staging, r) for r in reports]
    _documents(con, items)
    stats = loader.load_staged(con, items, staging, batch_size=4)
    assert sorted(stats.quarantined) == [("bad-code.txt", "load_failed"), ("bad-template.txt", "load_failed"),
                                         ("bad-twice.txt", "load_failed")]
    assert len(stats.loaded) == 5
    loaded = con.execute("SELECT h.source_file, count(*) FROM report_history h JOIN facts f USING (report_id) "
                         "GROUP BY 1 ORDER BY 1").fetchall()
    assert loaded == [(f"r{k}.txt", len(good[0].facts)) for k in range(1, 6)]
    q = con.execute("SELECT source_file, stage, reason, detail FROM quarantine ORDER BY 1").fetchall()
    assert [(f, s, r) for f, s, r, _ in q] == [("bad-code.txt", "load", "load_failed"),
                                              ("bad-template.txt", "load", "load_failed"),
                                              ("bad-twice.txt", "load", "load_failed")]
    assert "no_such_row" in q[0][3]
    assert "the same cell twice" in q[2][3]
    assert con.execute("SELECT count(*) FROM documents WHERE status = 'loaded'").fetchone()[0] == 5
    con.close()


def test_acceptance_order_is_inbox_order_within_and_across_batches(tmp_path: Path) -> None:
    con = connection.open_warehouse(tmp_path / "w.duckdb")
    staging = fanout.staging_dir(tmp_path / "w.duckdb")
    # three versions of one agency-year, in inbox order: the last must win
    versions = [replace(clean_report(sha=c * 64), source_file=f"v{k}.txt") for k, c in enumerate("cde", 1)]
    items = [_stage(staging, r) for r in versions]
    _documents(con, items)
    loader.load_staged(con, items, staging, batch_size=2)
    assert con.execute("SELECT source_file FROM reports").fetchall() == [("v3.txt",)]
    seqs = con.execute("SELECT source_file FROM report_history ORDER BY accepted_seq").fetchall()
    assert seqs == [("v1.txt",), ("v2.txt",), ("v3.txt",)]
    con.close()


def test_an_older_warehouse_loses_the_facts_primary_key_and_keeps_its_facts(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    con = connection.open_warehouse(path)
    staging = fanout.staging_dir(path)
    items = [_stage(staging, replace(clean_report(sha="d" * 64), source_file="r.txt"))]
    _documents(con, items)
    loader.load_staged(con, items, staging)
    before = con.execute("SELECT * FROM facts ORDER BY ALL").fetchall()
    # the facts table as warehouses made before this change have it: keyed
    con.execute("CREATE TABLE keyed AS SELECT * FROM facts LIMIT 0")
    con.execute("ALTER TABLE keyed ADD PRIMARY KEY (report_id, table_no, row_code, col_code)")
    con.execute("INSERT INTO keyed SELECT * FROM facts")
    con.execute("DROP TABLE facts")
    con.execute("ALTER TABLE keyed RENAME TO facts")
    con.execute("DELETE FROM warehouse_meta WHERE key = 'setup'")  # as after an upgrade of the code
    con.close()
    con = connection.open_warehouse(path)
    keys = con.execute("SELECT count(*) FROM duckdb_constraints() WHERE table_name = 'facts' "
                       "AND constraint_type = 'PRIMARY KEY'").fetchone()[0]
    assert keys == 0
    assert con.execute("SELECT * FROM facts ORDER BY ALL").fetchall() == before
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'facts_keyed'").fetchone()[0] == 0
    con.close()


def test_the_pipeline_bounds_duckdb_memory(tmp_path: Path, monkeypatch) -> None:
    import pytest

    con = connection.connect(tmp_path / "w.duckdb")
    assert con.execute("SELECT current_setting('memory_limit')").fetchone()[0] == "953.6 MiB"  # the 1GB default
    con.close()
    monkeypatch.setenv("GONGKAI_DUCKDB_MEMORY", "2GB")
    con = connection.connect(tmp_path / "w.duckdb")
    assert con.execute("SELECT current_setting('memory_limit')").fetchone()[0] == "1.8 GiB"
    con.close()
    monkeypatch.setenv("GONGKAI_DUCKDB_MEMORY", "2GB'; DROP TABLE x; --")
    with pytest.raises(ValueError, match="GONGKAI_DUCKDB_MEMORY"):
        connection.connect(tmp_path / "w.duckdb")

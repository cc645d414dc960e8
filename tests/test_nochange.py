"""The no-change run: `gongkai ingest` skips Dagster only when nothing at all is left to do."""

from __future__ import annotations

from pathlib import Path

import pytest
from gen_reports import write_reports
from helpers import ingest_inbox

from pipelines.lib.judge import plan, quality
from pipelines.lib.load import connection
from pipelines.lib.load.incremental import unchanged_state
from pipelines.lib.serve import quality_report


def _nightly(inbox: Path, warehouse: Path):
    con = connection.connect(warehouse)
    try:
        return unchanged_state(con, inbox, connection.runtime_dir(warehouse) / "quality")
    finally:
        con.close()


def test_nothing_to_do_only_when_nothing_changed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inbox, warehouse = tmp_path / "inbox", tmp_path / "w.duckdb"
    write_reports(inbox, 3, seed=41)
    con = ingest_inbox(inbox, warehouse)
    con.close()
    assert _nightly(inbox, warehouse) is None  # quality judged, but no Data Docs or chart drawn yet
    docs = quality.gx_docs_dir(warehouse)
    con = connection.open_warehouse(warehouse)
    try:
        quality.refresh_quality(con, docs_dir=docs)
        (docs.parent / "quality_failures.png").write_bytes(
            quality_report.failures_chart_png(quality_report.scorecard(con).by_rule))
    finally:
        con.close()
    state = _nightly(inbox, warehouse)
    assert state is not None and state.reports == 3 and state.scan.documents == 3
    assert state.rules_passed + state.rules_failed == len(quality.rule_ids())
    # a rule file edited after the evaluation: the results are stale, a run has work
    rules = plan.quality_rule_files()
    edited = tmp_path / "Z9_edited_rule.sql"
    edited.write_text("-- a shaping query, as it was judged", encoding="utf-8")
    monkeypatch.setattr(plan, "quality_rule_files", lambda: [*rules, edited])
    assert _nightly(inbox, warehouse) is None  # judged without this file
    monkeypatch.undo()
    assert _nightly(inbox, warehouse) is not None
    write_reports(inbox / "more", 1, seed=42)  # a new document: a run has work
    assert _nightly(inbox, warehouse) is None

"""The whole asset graph, with its checks, materializes into a temporary warehouse."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg

from pipelines.definitions import defs
from pipelines.defs import assets, checks
from pipelines.defs.resources import GongkaiSettings
from tests.conftest import corpus_file


def test_definitions_load() -> None:
    d = defs()
    dg.Definitions.validate_loadable(d)
    keys = {k.to_user_string() for k in d.resolve_asset_graph().get_all_asset_keys()}
    assert {"inbox_documents", "parsed_documents", "warehouse_reports", "quality_results"} <= keys
    assert d.resolve_job_def("ingest_job") is not None


def test_materialize_graph_with_checks(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(corpus_file("ningbo-police-2019.txt"), inbox / "seed.txt")
    shutil.copy(corpus_file("shanghai-gov-office-2019.html"), inbox / "sh.html")
    (inbox / "empty.txt").write_text("")
    settings = GongkaiSettings(inbox=str(inbox), warehouse=str(tmp_path / "w.duckdb"))
    with dg.instance_for_test() as instance:
        result = dg.materialize(assets.ALL_ASSETS + checks.ALL_CHECKS, resources={"gongkai": settings},
                                instance=instance)
        assert result.success
        evals = {e.check_name: e for e in result.get_asset_check_evaluations()}
        assert {"R1_flow", "R2_outcomes", "R3_requesters", "R4_review_totals"} <= set(evals)
        assert evals["R1_flow"].passed
        r2 = evals["R2_outcomes"]
        assert not r2.passed
        assert r2.metadata["scopes_failed"].value == 1
        assert "上海市人民政府办公厅" in r2.metadata["failing_scopes"].value
        # The same results are recorded in the instance, which is what the UI reads.
        latest = instance.event_log_storage.get_latest_asset_check_execution_by_key(
            [dg.AssetCheckKey(dg.AssetKey("quality_results"), "R2_outcomes")])
        assert latest
    loaded = {e.event_specific_data.materialization.asset_key.to_user_string():
              e.event_specific_data.materialization.metadata for e in result.get_asset_materialization_events()}
    assert loaded["warehouse_reports"]["reports_loaded"].value == 2
    q = loaded["quality_results"]
    assert "| 2019 | 2 | 1 | 50 |" in q["scorecard_by_year"].value  # seed consistent, Shanghai 2019 not
    assert q["failures_chart"].value.startswith("![reports failing each rule per year](data:image/png;base64,")
    assert Path(q["failures_chart_file"].value).exists()
    # linked over http (a browser opens it from the UI; `gongkai ui` serves the warehouse's quality folder)
    assert q["gx_data_docs"].value == "http://127.0.0.1:3001/gx_docs/index.html"
    docs = tmp_path / "w.duckdb.gongkai" / "quality" / "gx_docs" / "index.html"
    assert docs.exists() and "cross_checks" in docs.read_text(encoding="utf-8")
    assert loaded["warehouse_reports"]["documents_quarantined"].value == 1
    # Recall, quarantine and unresolved rows as tables on the asset (issues 10, 12)
    wr = loaded["warehouse_reports"]
    assert [(r.data["file"], r.data["stage"]) for r in wr["quarantine"].records] == [("empty.txt", "read")]
    outcomes = {(r.data["outcome"], r.data["format"]): r.data["documents"] for r in wr["recall_overall_by_outcome"].records}
    assert outcomes == {("loaded", "txt"): 1, ("loaded", "html"): 1, ("quarantined", "txt"): 1}
    assert wr["documents_seen_total"].value == 3 and wr["cells_unresolved_total"].value == 0
    assert "documents seen 3: loaded 2, quarantined 1" in wr["recall_this_run"].value
    assert {c.name for c in wr["unresolved_rows"].schema.columns} >= {"agency", "year", "row", "printed", "readings",
                                                                       "suggestion"}
    c1 = evals["C1_required_cells"].metadata
    assert "template requires" in c1["expected_means"].value and "loaded" in c1["observed_means"].value


def test_blocking_structural_check_stops_the_analyst_views(tmp_path: Path) -> None:
    import duckdb

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(corpus_file("ningbo-police-2019.txt"), inbox / "seed.txt")
    settings = GongkaiSettings(inbox=str(inbox), warehouse=str(tmp_path / "w.duckdb"))
    graph = assets.ALL_ASSETS + checks.ALL_CHECKS
    with dg.instance_for_test() as instance:
        first = dg.materialize(graph, resources={"gongkai": settings}, instance=instance)
        assert first.success
        assert "analyst_views" in {e.asset_key.to_user_string() for e in first.get_asset_materialization_events()}
        # Orphan one fact's code (as a codes.yaml change would) and mark the load as newer than the last evaluation.
        con = duckdb.connect(str(tmp_path / "w.duckdb"))
        con.execute("UPDATE facts SET row_code = 'granted_v0' WHERE row_code = 'granted' AND col_code = 'total'")
        con.execute("UPDATE report_history SET loaded_at = now()::TIMESTAMP + INTERVAL 1 HOUR")
        con.close()
        second = dg.materialize(graph, resources={"gongkai": settings}, instance=instance, raise_on_error=False)
        assert not second.success
        s1 = {e.check_name: e for e in second.get_asset_check_evaluations()}["S1_codes_in_domain"]
        assert not s1.passed and s1.severity == dg.AssetCheckSeverity.ERROR
        assert s1.metadata["scopes_failed"].value == 1
        built = {e.asset_key.to_user_string() for e in second.get_asset_materialization_events()}
        assert "quality_results" in built and "analyst_views" not in built


def test_changed_settings_reach_the_assets(tmp_path: Path) -> None:
    """`gongkai ingest --workers N` changes the settings after they are built; the run must see the change
    (pydantic's model_copy(update=...) does not reach Dagster's resource config: --workers was ignored)."""
    from pipelines.defs.resources import with_changes

    seen = {}

    @dg.asset
    def probe(gongkai: GongkaiSettings) -> None:
        seen.update(workers=gongkai.parse_workers, preload=gongkai.preload_downstream)

    base = GongkaiSettings(inbox=str(tmp_path), warehouse=str(tmp_path / "w.duckdb"))
    changed = with_changes(base, parse_workers=3, preload_downstream=True)
    assert dg.materialize([probe], resources={"gongkai": changed}).success
    assert seen == {"workers": 3, "preload": True}

"""The asset graph, inbox to validated warehouse. Each asset is a few lines over pipelines.lib."""


import base64
import json
import os
from collections import Counter

import dagster as dg
import polars as pl

from pipelines.defs import metadata
from pipelines.defs.resources import GongkaiSettings
from pipelines.lib import preload
from pipelines.lib.judge import gx_process, quality
from pipelines.lib.load import connection, documents, loader
from pipelines.lib.read import fanout
from pipelines.lib.serve import quality_report, recall

GROUP = "gongkai"
DEFAULT_DOCS_URL = "http://127.0.0.1:3001/gx_docs/index.html"  # where `gongkai ui` serves the Data Docs

# Steps that open the warehouse run only on a Dask worker that holds it (`dask worker --resources
# warehouse=1` on the warehouse's machine): DuckDB has one writer, on one machine. Parse batches run on
# any worker. Other executors ignore the tag.
ON_WAREHOUSE = {"dagster-dask/resource_requirements": json.dumps({"warehouse": 1})}


@dg.asset(group_name=GROUP, kinds={"python", "duckdb"}, op_tags=ON_WAREHOUSE,
          description="Annual reports fetched from the websites in the sources registry (GONGKAI_SOURCES, default "
                      "data/sources.yaml) into the inbox, politely (robots.txt, a pause per host, conditional "
                      "requests); every request in fetch_log. Nothing to do when the registry has no entries.")
def fetched_documents(context: dg.AssetExecutionContext, gongkai: GongkaiSettings) -> dg.MaterializeResult:
    # Imported here: the HTTP stack is for the nightly fetch, not for every ingest of the inbox.
    from pipelines.lib.fetch import crawl, registry
    from pipelines.lib.fetch.client import FetchPolicy

    sources = registry.load_sources(gongkai.sources_path)  # a broken sources file fails this step, visibly
    if not sources:
        context.log.info(f"no sources in {gongkai.sources_path}: nothing fetched")
        return dg.MaterializeResult(metadata={"sources": 0, "note": "no sources",
                                              "sources_file": dg.MetadataValue.path(str(gongkai.sources_path))})
    gongkai.inbox_path.mkdir(parents=True, exist_ok=True)
    summary = crawl.fetch_sources(sources, gongkai.inbox_path, gongkai.warehouse_path,
                                  FetchPolicy(delay=gongkai.fetch_delay, max_bytes=gongkai.max_file_mb * 1024 * 1024),
                                  progress=context.log.info, lock_wait=connection.DEFAULT_LOCK_WAIT_S)
    return dg.MaterializeResult(metadata={
        "sources": summary.sources, "requests": summary.requests, "files_new": summary.new_files,
        "reports_unchanged": summary.unchanged, "failures": summary.failures,
        "disallowed_by_robots": summary.disallowed,
        "new_files": dg.MetadataValue.json(summary.new_paths[:200]),
        "sources_file": dg.MetadataValue.path(str(gongkai.sources_path)),
    })


@dg.asset(group_name=GROUP, kinds={"python", "duckdb"}, deps=[fetched_documents], op_tags=ON_WAREHOUSE,
          description="Every file under the inbox, hashed (sha256) and recorded as a document by content.")
def inbox_documents(context: dg.AssetExecutionContext, gongkai: GongkaiSettings) -> dg.MaterializeResult:
    with connection.locked_warehouse(gongkai.warehouse_path) as con:  # writer lock: waits for another ingest
        scan = documents.scan_inbox(con, gongkai.inbox_path)
        pending = len(documents.pending_documents(con))
    context.log.info(f"inbox: {scan.files} files, {scan.documents} documents, {pending} to parse")
    for rel, reason, _ in scan.skipped:
        context.log.info(f"inbox: skipped {rel} ({reason})")
    return dg.MaterializeResult(metadata={
        "files_seen": scan.files, "documents_seen": scan.documents, "documents_new": len(scan.new_documents),
        "documents_pending": pending, "documents_removed_from_inbox": scan.removed, "files_skipped": len(scan.skipped),
        "inbox": dg.MetadataValue.path(str(gongkai.inbox_path)),
    })


# Parsing fans out over coarse batches of documents (GONGKAI_PARSE_BATCH, default 2,000): one executor
# step per batch, not per document, so a national backfill is tens of steps in one run. The in-process
# executor (`gongkai ingest`) runs the batches one after another; the multiprocess executor (the UI and
# the daemon's default) or a cluster executor (k8s, celery) runs them side by side. Loading stays the
# single writer downstream.
@dg.op(ins={"after_scan": dg.In(dg.Nothing)}, out=dg.DynamicOut(list), tags=ON_WAREHOUSE,
       description="Lists the documents this parser version has not yet parsed and cuts them into batches.")
def plan_parse_batches(context: dg.OpExecutionContext, gongkai: GongkaiSettings):
    with connection.locked_warehouse(gongkai.warehouse_path, read_only=True) as con:  # waits for a writer
        pending = documents.pending_documents(con)
    batches = fanout.batches(pending, gongkai.parse_batch_size)
    context.log.info(f"{len(pending)} documents to parse in {len(batches)} batch(es)")
    for k, batch in enumerate(batches):
        yield dg.DynamicOutput(batch, mapping_key=f"batch_{k:05d}")


@dg.op(description="Parses one batch of documents (stateless, in GONGKAI_PARSE_WORKERS processes) to staged "
                   "Arrow records at the staging URL.")
def parse_batch(context: dg.OpExecutionContext, gongkai: GongkaiSettings, batch: list) -> dict:
    if gongkai.preload_downstream and batch and fanout.parse_timeout_from_env() > 0:  # workers parse, we wait
        # GX only when no GX process judges for this run: imported here it would compete with the parse.
        preload.import_in_background(preload.DOWNSTREAM_MODULES if not gx_process.running()
                                     else preload.DOWNSTREAM_MODULES_BUT_GX)
    # In process (preload_downstream), the batches run one after another here: the workers stay up for the next.
    stats = fanout.parse_pending(batch, gongkai.inbox_path, gongkai.staging_location, workers=gongkai.parse_workers,
                                 max_bytes=gongkai.max_file_mb * 1024 * 1024, progress=context.log.info,
                                 keep_workers=gongkai.preload_downstream)
    return {"parsed": stats.parsed, "reused": stats.reused, "report": stats.kinds["report"],
            "quarantine": stats.kinds["quarantine"], "seconds": stats.seconds,
            "workers_recycled": stats.workers_recycled}


@dg.op(description="Adds up the batches.")
def summarize_parse(batch_stats: list[dict]) -> dg.Output[dict]:
    fanout.close_kept_workers()  # every batch is done
    total = {k: sum(b[k] for b in batch_stats)
             for k in ("parsed", "reused", "report", "quarantine", "seconds", "workers_recycled")}
    rate = total["parsed"] / total["seconds"] if total["seconds"] > 0 else 0.0
    return dg.Output(total, metadata={
        "documents_parsed": total["parsed"], "documents_reused_from_staging": total["reused"],
        "readable_reports": total["report"], "rejected": total["quarantine"], "batches": len(batch_stats),
        "parse_seconds": round(total["seconds"], 3), "documents_per_second": round(rate, 1),
        "workers_recycled": total["workers_recycled"],
    })


@dg.graph_asset(group_name=GROUP, kinds={"python"}, ins={"inbox_documents": dg.AssetIn(dagster_type=dg.Nothing)},
                description="New documents parsed (in parallel, statelessly, in coarse batches) into typed reports "
                            "or quarantine records, staged as Arrow records by content hash.")
def parsed_documents(inbox_documents):
    return summarize_parse(plan_parse_batches(inbox_documents).map(parse_batch).collect())


@dg.asset(group_name=GROUP, deps=[parsed_documents], kinds={"duckdb", "polars"}, op_tags=ON_WAREHOUSE,
          description="Parsed reports loaded into the warehouse, one transaction per report (facts and report "
                      "together); unreadable documents into quarantine.")
def warehouse_reports(context: dg.AssetExecutionContext, gongkai: GongkaiSettings) -> dg.MaterializeResult:
    preload.wait_for_background_imports()  # this step imports what the parse step's thread may still be importing
    with connection.locked_warehouse(gongkai.warehouse_path) as con:  # writer lock: waits for another ingest
        pending = documents.pending_documents(con)
        stats = loader.load_staged(con, pending, gongkai.staging_location, progress=context.log.info,
                                   inbox=gongkai.inbox_path)
        totals = con.execute("SELECT (SELECT count(*) FROM reports), (SELECT count(*) FROM quarantine), "
                             "(SELECT count(*) FROM facts)").fetchall()[0]
        reasons = Counter(r for _, r in stats.quarantined)
        inbox_status = documents.inbox_status(con)
        # Recall you can see (issues 10, 12): this run's documents and the whole warehouse, as tables.
        this_run = recall.recall(con, [sha for sha, _ in pending])
        overall = recall.recall(con)
        quarantine_rows = recall.quarantine_rows(con)
        unresolved = recall.unresolved_listing(con)
    for (status, reason), n in sorted(inbox_status.items()):
        if status in ("skipped", "held", "pending"):
            context.log.info(f"inbox: {n} file(s) {status} ({reason})")
    context.log.info(f"recall this run: {this_run.summary()}")
    rows = "\n".join(f"| {f} | {r} |" for f, r in stats.quarantined[:50])
    return dg.MaterializeResult(metadata={
        "reports_loaded": len(stats.loaded), "documents_quarantined": len(stats.quarantined),
        "reports_current_total": totals[0], "quarantine_total": totals[1], "dagster/row_count": totals[2],
        "quarantine_reasons": dg.MetadataValue.json(dict(reasons)),
        "inbox_files": dg.MetadataValue.json({f"{s} ({r})" if r else s: n for (s, r), n in sorted(inbox_status.items())}),
        "quarantined_this_run": dg.MetadataValue.md("| file | reason |\n|---|---|\n" + rows if rows else "none"),
        "recall_this_run": dg.MetadataValue.text(this_run.summary()),
        "recall_this_run_by_outcome": metadata.table(this_run.by_outcome),
        "recall_overall": dg.MetadataValue.text(overall.summary()),
        "recall_overall_by_outcome": metadata.table(overall.by_outcome),
        "documents_seen_total": overall.documents_seen, "documents_loaded_total": overall.loaded,
        "documents_quarantined_total": overall.quarantined, "cells_unresolved_total": overall.unresolved_cells,
        "unresolved_rows_total": overall.unresolved_rows,
        "quarantine": metadata.table(quarantine_rows),
        "unresolved_rows": metadata.table(unresolved),
    })


@dg.asset(group_name=GROUP, deps=[warehouse_reports], kinds={"duckdb", "polars"}, op_tags=ON_WAREHOUSE,
          description="Every rule family in expectations/ (cross-checks R1–R5, schema, values, completeness, "
                      "uniqueness, narrative) judged set-wise by Great Expectations: one row per rule, scope and "
                      "report in quality_results. Only the agencies whose reports changed since their last "
                      "evaluation are judged again (everything when a rule changed), in chunks of at most "
                      "GONGKAI_QUALITY_CHUNK reports. Metadata: the quality scorecard and a failures chart.")
def quality_results(context: dg.AssetExecutionContext, gongkai: GongkaiSettings) -> dg.MaterializeResult:
    preload.wait_for_background_imports()  # GX: never imported by two threads at once
    docs_dir = quality.gx_docs_dir(gongkai.warehouse_path)
    with connection.locked_warehouse(gongkai.warehouse_path) as con:  # writer lock: waits for another ingest
        # Only what changed is judged: a no-change nightly run judges nothing and a new report costs its
        # agency, not the corpus (missing Data Docs are rebuilt by judging everything).
        # The Data Docs render (in the GX process, when there is one) while the scorecard and chart are made.
        outcome = quality.refresh_quality(con, docs_dir=docs_dir, progress=context.log.info,
                                          sessions=gx_process.sessions(), wait_for_docs=False)
        reevaluated = outcome.judged
        total, failed, na = con.execute("SELECT count(*), count(*) FILTER (WHERE NOT passed), "
                                        "count(*) FILTER (WHERE passed IS NULL) FROM quality_results").fetchall()[0]
        card = quality_report.scorecard(con)
    chart_path = docs_dir.parent / "quality_failures.png"
    chart_path.parent.mkdir(parents=True, exist_ok=True)  # absent when no report was ever loaded
    if reevaluated or not chart_path.exists():  # matplotlib costs seconds: draw only when the results changed
        chart_path.write_bytes(quality_report.failures_chart_png(card.by_rule))
    chart = chart_path.read_bytes()
    outcome.wait_for_docs()
    context.log.info(f"quality: {total} scopes, {failed} failed, {na} not assessable; {outcome.summary()}")
    failing_rules = card.by_rule.filter(pl.col("reports_failing") > 0)
    return dg.MaterializeResult(metadata={
        "scopes_evaluated": total, "scopes_failed": failed, "scopes_not_assessable": na,
        "reevaluated": reevaluated, "dagster/row_count": total,
        "quality_pass": dg.MetadataValue.text(outcome.summary()), "full_pass": outcome.full,
        "agencies_judged": outcome.agencies, "reports_judged": outcome.reports, "scopes_judged": outcome.scopes,
        "chunks_judged": outcome.chunks,
        "scorecard_by_year": dg.MetadataValue.md(quality_report.markdown_table(card.by_year)),
        "scorecard_failing_rules_by_year": dg.MetadataValue.md(quality_report.markdown_table(failing_rules)),
        "failures_chart": dg.MetadataValue.md(
            "![reports failing each rule per year](data:image/png;base64," + base64.b64encode(chart).decode() + ")"),
        "failures_chart_file": dg.MetadataValue.path(str(chart_path)),
        # http, not file://: a browser opens it from the UI (served by `gongkai ui`, see pipelines/ui.py).
        "gx_data_docs": dg.MetadataValue.url(os.environ.get("GONGKAI_DOCS_URL", DEFAULT_DOCS_URL)),
    })


@dg.asset(group_name=GROUP, deps=[quality_results], kinds={"duckdb"}, op_tags=ON_WAREHOUSE,
          description="The analyst views (sql/views/020+). Built only when the blocking structural checks "
                      "(schema, codes, uniqueness) pass, so analysts never read views over a broken warehouse.")
def analyst_views(context: dg.AssetExecutionContext, gongkai: GongkaiSettings) -> dg.MaterializeResult:
    with connection.locked_warehouse(gongkai.warehouse_path) as con:  # writer lock: waits for another ingest
        applied = [f for f in connection.apply_views(con) if f >= connection.ANALYST_VIEWS_FROM]
    context.log.info(f"analyst views applied: {', '.join(applied)}")
    return dg.MaterializeResult(metadata={"view_files": dg.MetadataValue.json(applied)})


ALL_ASSETS = [inbox_documents, parsed_documents, warehouse_reports, quality_results, analyst_views]
# Fetching is upstream of the inbox but runs only where asked: the nightly job (schedules.ingest_job) and
# `gongkai fetch`; `gongkai ingest` and the inbox sensor read the inbox as it is.
FETCH_ASSETS = [fetched_documents]

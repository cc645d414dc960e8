"""The asset graph, inbox to validated warehouse. Each asset is a few lines over pipelines.lib."""


from collections import Counter

import dagster as dg

from pipelines.defs.resources import GongkaiSettings
from pipelines.lib import ingest, quality
from pipelines.lib import warehouse as wh

GROUP = "gongkai"


@dg.asset(group_name=GROUP, kinds={"python", "duckdb"},
          description="Every file under the inbox, hashed (sha256) and recorded as a document by content.")
def inbox_documents(context: dg.AssetExecutionContext, gongkai: GongkaiSettings) -> dg.MaterializeResult:
    con = ingest.open_warehouse(gongkai.warehouse_path)
    try:
        scan = wh.scan_inbox(con, gongkai.inbox_path)
        pending = len(ingest.pending_documents(con))
    finally:
        con.close()
    context.log.info(f"inbox: {scan.files} files, {scan.documents} documents, {pending} to parse")
    return dg.MaterializeResult(metadata={
        "files_seen": scan.files, "documents_seen": scan.documents, "documents_new": len(scan.new_documents),
        "documents_pending": pending, "documents_removed_from_inbox": scan.removed,
        "inbox": dg.MetadataValue.path(str(gongkai.inbox_path)),
    })


@dg.asset(group_name=GROUP, deps=[inbox_documents], kinds={"python"},
          description="New documents parsed (in parallel, statelessly) into typed reports or quarantine records, "
                      "staged as JSON by content hash.")
def parsed_documents(context: dg.AssetExecutionContext, gongkai: GongkaiSettings) -> dg.MaterializeResult:
    con = wh.connect(gongkai.warehouse_path, read_only=True)
    try:
        pending = ingest.pending_documents(con)
    finally:
        con.close()
    stats = ingest.parse_pending(pending, gongkai.inbox_path, ingest.staging_dir(gongkai.warehouse_path),
                                 workers=gongkai.parse_workers, max_bytes=gongkai.max_file_mb * 1024 * 1024,
                                 progress=context.log.info)
    rate = stats.parsed / stats.seconds if stats.seconds > 0 else 0.0
    return dg.MaterializeResult(metadata={
        "documents_parsed": stats.parsed, "documents_reused_from_staging": stats.reused,
        "readable_reports": stats.kinds["report"], "rejected": stats.kinds["quarantine"],
        "parse_seconds": round(stats.seconds, 3), "documents_per_second": round(rate, 1),
    })


@dg.asset(group_name=GROUP, deps=[parsed_documents], kinds={"duckdb", "polars"},
          description="Parsed reports loaded into the warehouse, one transaction per report (facts and report "
                      "together); unreadable documents into quarantine.")
def warehouse_reports(context: dg.AssetExecutionContext, gongkai: GongkaiSettings) -> dg.MaterializeResult:
    con = ingest.open_warehouse(gongkai.warehouse_path)
    try:
        pending = ingest.pending_documents(con)
        stats = ingest.load_staged(con, pending, ingest.staging_dir(gongkai.warehouse_path), progress=context.log.info)
        totals = con.execute("SELECT (SELECT count(*) FROM reports), (SELECT count(*) FROM quarantine), "
                             "(SELECT count(*) FROM facts)").fetchall()[0]
        reasons = Counter(r for _, r in stats.quarantined)
    finally:
        con.close()
    rows = "\n".join(f"| {f} | {r} |" for f, r in stats.quarantined[:50])
    return dg.MaterializeResult(metadata={
        "reports_loaded": len(stats.loaded), "documents_quarantined": len(stats.quarantined),
        "reports_current_total": totals[0], "quarantine_total": totals[1], "dagster/row_count": totals[2],
        "quarantine_reasons": dg.MetadataValue.json(dict(reasons)),
        "quarantined_this_run": dg.MetadataValue.md("| file | reason |\n|---|---|\n" + rows if rows else "none"),
    })


@dg.asset(group_name=GROUP, deps=[warehouse_reports], kinds={"duckdb", "polars"},
          description="Cross-check rules R1–R4 judged by the Great Expectations suite expectations/cross_checks.json, "
                      "one row per rule, scope and report in quality_results.")
def quality_results(context: dg.AssetExecutionContext, gongkai: GongkaiSettings) -> dg.MaterializeResult:
    con = ingest.open_warehouse(gongkai.warehouse_path)
    try:
        frame = quality.refresh_quality(con)
    finally:
        con.close()
    failed = frame.filter(frame["passed"].not_()).height
    na = frame.filter(frame["passed"].is_null()).height
    context.log.info(f"quality: {frame.height} scopes evaluated, {failed} failed, {na} not assessable")
    return dg.MaterializeResult(metadata={
        "scopes_evaluated": frame.height, "scopes_failed": failed, "scopes_not_assessable": na,
        "dagster/row_count": frame.height,
    })


ALL_ASSETS = [inbox_documents, parsed_documents, warehouse_reports, quality_results]

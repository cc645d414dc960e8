"""`gongkai`: fetch, ingest, check, sql, ui — the outside contract (spec/contract.md).

Exit codes, the same for every subcommand: 0 ok (data findings and quarantined documents included), 1 the command
failed, 2 usage error or no warehouse, 3 the warehouse is busy (another process is writing it).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_BUSY = 0, 1, 2, 3


def ensure_dagster_home(warehouse: Path) -> Path:
    """Dagster's state goes beside the warehouse it serves (<warehouse>.gongkai/dagster), unless the user set
    DAGSTER_HOME: one warehouse, one Dagster instance, so a UI shows only its own warehouse's runs."""
    from pipelines.lib.load.connection import runtime_dir

    home = os.environ.get("DAGSTER_HOME")
    if not home:
        home = str((runtime_dir(warehouse) / "dagster").resolve())
        os.environ["DAGSTER_HOME"] = home
    p = Path(home)
    p.mkdir(parents=True, exist_ok=True)
    if not (p / "dagster.yaml").exists() and (PROJECT_ROOT / "dagster.yaml").exists():
        shutil.copy(PROJECT_ROOT / "dagster.yaml", p / "dagster.yaml")
    return p


def _resolve_paths(args) -> tuple[Path, Path]:
    """(inbox, warehouse) of this command: flags, then GONGKAI_INBOX / GONGKAI_WAREHOUSE, then the defaults."""
    from pipelines.lib.load.connection import resolve_paths  # no Dagster import: `gongkai sql` stays quick

    return resolve_paths(getattr(args, "inbox", None), getattr(args, "warehouse", None))


def _print_table(columns: list[str], rows: list[tuple], max_width: int = 60) -> None:
    def fmt(v) -> str:
        s = "NULL" if v is None else (f"{v:g}" if isinstance(v, float) else str(v))
        s = s.replace("\n", " ")
        return s if max_width <= 0 or len(s) <= max_width else s[: max_width - 1] + "…"

    def w(s: str) -> int:  # CJK characters take two columns in a terminal
        return sum(2 if ord(ch) > 0x2E80 else 1 for ch in s)

    cells = [[fmt(v) for v in r] for r in rows]
    widths = [max([w(c)] + [w(r[i]) for r in cells]) for i, c in enumerate(columns)]

    def line(vals):
        return " | ".join(v + " " * (widths[i] - w(v)) for i, v in enumerate(vals))

    print(line(columns))
    print("-+-".join("-" * x for x in widths))
    for r in cells:
        print(line(r))
    print(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")


def cmd_ingest(args) -> int:
    from pipelines.defs import executors
    from pipelines.lib.judge.plan import quality_chunk_from_env

    try:
        executor = executors.executor_from_env(getattr(args, "executor", None))
        quality_chunk_from_env()  # a bad GONGKAI_QUALITY_CHUNK is a sentence now, not a failed step later
    except ValueError as e:
        print(f"gongkai: {e}", file=sys.stderr)
        return EXIT_USAGE
    inbox, warehouse = _resolve_paths(args)
    announced = False
    # Nothing new: answered from the warehouse before Dagster (seconds of imports) is even loaded.
    if executor == "in_process" and inbox.is_dir() and warehouse.exists() and not os.environ.get("GONGKAI_ALWAYS_RUN"):
        from pipelines.lib.load.connection import WarehouseBusy

        print(f"Gongkai ingest: inbox {inbox} -> warehouse {warehouse}")
        announced = True
        try:
            if _report_unchanged(inbox, warehouse, args.wait, time.time()):
                return EXIT_OK
        except WarehouseBusy as e:
            print(f"gongkai: {e}", file=sys.stderr)
            return EXIT_BUSY
    from pipelines.lib.read.fanout import start_worker_server, worker_recycle_mb_from_env

    try:
        worker_recycle_mb_from_env()  # a bad setting is a sentence now, not a failed parse step later
    except ValueError as e:
        print(f"gongkai: {e}", file=sys.stderr)
        return EXIT_USAGE
    ensure_dagster_home(warehouse)
    if executor == "in_process":  # while Dagster starts (one core): the parse workers' fork server imports
        from pipelines.lib.judge import gx_process  # the readers, and GX imports in a process of its own

        start_worker_server()
        gx_process.start()  # ends with this process (a daemon); later ingests in this process reuse it
    import dagster as dg

    from pipelines.defs import assets, checks
    from pipelines.defs.resources import settings_from_env, with_changes
    from pipelines.lib.load.connection import WarehouseBusy, writer_lock

    settings = settings_from_env(args.inbox, args.warehouse)
    if args.workers:
        settings = with_changes(settings, parse_workers=args.workers)
    elif executor == "in_process" and not os.environ.get("GONGKAI_PARSE_WORKERS"):
        # All steps in this one process: the parse may use every core (other executors run batches side
        # by side, each with GONGKAI_PARSE_WORKERS processes, so they keep its default of 1).
        settings = with_changes(settings, parse_workers=max(1, min(os.cpu_count() or 1, 8)))
    if executor == "in_process":  # every step in this process: imports for later steps overlap the parse
        settings = with_changes(settings, preload_downstream=True)
    inbox, warehouse = settings.inbox_path, settings.warehouse_path
    if not inbox.is_dir():
        print(f"gongkai: inbox {inbox} is not a directory", file=sys.stderr)
        return EXIT_USAGE
    if not announced:
        print(f"Gongkai ingest: inbox {inbox} -> warehouse {warehouse}")
    t0 = time.time()
    # In process, the run holds the writer lock throughout (each asset re-enters it). Steps in other
    # processes take it per step themselves, so here it is only checked: another ingest running -> exit 3.
    hold = writer_lock(warehouse, timeout=args.wait)
    try:
        if executor != "in_process":
            with hold:
                pass
            hold = contextlib.nullcontext()
        with hold, dg.DagsterInstance.get() as instance:
            if executor == "in_process":
                result = dg.materialize(assets.ALL_ASSETS + checks.ALL_CHECKS, resources={"gongkai": settings},
                                        instance=instance, raise_on_error=False, tags={"gongkai/trigger": "cli"},
                                        run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}})
            else:  # the same graph, steps in their own processes or on Dask (pipelines/defs/executors.py)
                from pipelines import definitions

                job = (definitions.resolved_dask_ingest_job if executor == "dask"
                       else definitions.resolved_ingest_job)
                result = dg.execute_job(dg.reconstructable(job), instance=instance, raise_on_error=False,
                                        tags={"gongkai/trigger": "cli", "gongkai/executor": executor},
                                        run_config=executors.run_config(executor, settings,
                                                                        concurrent=max(2, settings.parse_workers)))
    except WarehouseBusy as e:
        print(f"gongkai: {e}", file=sys.stderr)
        return EXIT_BUSY
    meta = {}
    for ev in result.get_asset_materialization_events():
        mat = ev.event_specific_data.materialization
        meta.update({k: v.value for k, v in mat.metadata.items()})
    evals = result.get_asset_check_evaluations()
    if not result.success:
        errors = [ev.event_specific_data.error for ev in result.all_events
                  if ev.is_failure and getattr(ev.event_specific_data, "error", None) is not None]
        blocked = [e for e in errors if "AssetCheckFailed" in (e.cls_name or "")]
        if any(e.cls_name == "DagsterExecutionInterruptedError" for e in errors):  # Ctrl-C: one sentence
            print("gongkai: interrupted. Nothing is half-loaded (each report loads whole or not at all); "
                  "run `gongkai ingest` again to finish.", file=sys.stderr)
            return EXIT_FAILED
        if not errors or len(blocked) < len(errors):
            for e in errors:
                print(e.to_string(), file=sys.stderr)
            print("gongkai: the ingest run failed (see the errors above)", file=sys.stderr)
            return EXIT_FAILED
        # Only blocking structural checks failed: a data finding, not a crash; the analyst views were held back.
        print("gongkai: blocking structural checks failed, so the analyst views were not rebuilt; "
              "see `gongkai check`.", file=sys.stderr)
    checks_passed = sum(1 for e in evals if e.passed)
    print(f"documents seen: {meta.get('documents_seen', 0)}  new: {meta.get('documents_new', 0)}  "
          f"parsed: {meta.get('documents_parsed', 0)}  loaded: {meta.get('reports_loaded', 0)}  "
          f"quarantined: {meta.get('documents_quarantined', 0)}")
    if meta.get("inbox_files"):  # every file accounted for: loaded, held, quarantined, pending or skipped
        print("inbox files: " + ", ".join(f"{k} {v}" for k, v in meta["inbox_files"].items()))
    print(f"warehouse: {meta.get('reports_current_total', 0)} current reports, "
          f"{meta.get('quarantine_total', 0)} documents in quarantine")
    print(f"checks passed: {checks_passed}  failed: {len(evals) - checks_passed}  "
          f"(failing scopes: {meta.get('scopes_failed', 0)}, not assessable: {meta.get('scopes_not_assessable', 0)})")
    print(f"done in {time.time() - t0:.1f}s. Try: gongkai sql \"select agency_name, year, template from reports\"")
    return EXIT_OK


def cmd_fetch(args) -> int:
    """Fetch the registry's reports into the inbox; provenance and every request into the warehouse."""
    from pipelines.defs.resources import settings_from_env
    from pipelines.lib.fetch import crawl, registry
    from pipelines.lib.fetch.client import FetchPolicy
    from pipelines.lib.load.connection import WarehouseBusy

    settings = settings_from_env(args.inbox, args.warehouse)
    delay = settings.fetch_delay if args.delay is None else args.delay
    if delay < 0 or args.timeout <= 0 or args.retries < 0 or args.backoff < 0:
        print("gongkai fetch: --delay, --retries and --backoff must be 0 or more, --timeout more than 0",
              file=sys.stderr)
        return EXIT_USAGE
    sources_file = Path(args.sources or settings.sources).resolve()  # flag, else GONGKAI_SOURCES, else default
    try:
        sources = registry.load_sources(sources_file)
    except registry.RegistryError as e:
        print(f"gongkai fetch: {e}", file=sys.stderr)
        return EXIT_USAGE
    if not sources:
        print(f"gongkai fetch: no sources in {sources_file}; add entries (name, url) to fetch from (see its comments)")
        return EXIT_OK
    inbox, warehouse = settings.inbox_path, settings.warehouse_path
    inbox.mkdir(parents=True, exist_ok=True)
    policy = FetchPolicy(delay=delay, timeout=args.timeout, retries=args.retries, backoff=args.backoff,
                         max_bytes=settings.max_file_mb * 1024 * 1024)
    print(f"Gongkai fetch: {len(sources)} source(s) from {sources_file} -> inbox {inbox}")
    t0 = time.time()
    try:
        summary = crawl.fetch_sources(sources, inbox, warehouse, policy, progress=print, lock_wait=args.wait)
    except WarehouseBusy as e:
        print(f"gongkai: {e}", file=sys.stderr)
        return EXIT_BUSY
    print(f"{summary.line()}  ({time.time() - t0:.1f}s)")
    if summary.failures:
        print("failures are in fetch_log: gongkai sql \"select url, status, error from fetch_log "
              "where error is not null order by fetched_at desc\"")
    print("Next: gongkai ingest")
    return EXIT_OK  # failed fetches are data (fetch_log), not a failed command


def _report_unchanged(inbox: Path, warehouse: Path, wait: float, t0: float) -> bool:
    """The nightly no-change run without Dagster: when the scan finds nothing to parse and nothing else
    changed, record the scan and print the stored state (set GONGKAI_ALWAYS_RUN=1 to run the graph anyway)."""
    from pipelines.lib.load.connection import connect, runtime_dir, writer_lock
    from pipelines.lib.load.incremental import unchanged_state

    with writer_lock(warehouse, timeout=wait):
        con = connect(warehouse)
        try:
            state = unchanged_state(con, inbox, runtime_dir(warehouse) / "quality")
        finally:
            con.close()
    if state is None:
        return False
    s = state.scan
    print(f"documents seen: {s.documents}  new: 0  parsed: 0  loaded: 0  quarantined: 0  "
          "(nothing new: no Dagster run started)")
    print(f"warehouse: {state.reports} current reports, {state.quarantined} documents in quarantine")
    print(f"checks passed: {state.rules_passed}  failed: {state.rules_failed}  (failing scopes: "
          f"{state.scopes_failed}, not assessable: {state.scopes_not_assessable}; unchanged since the last run)")
    print(f"done in {time.time() - t0:.1f}s.")
    return True



def cmd_sql(args) -> int:
    import duckdb

    from pipelines.lib.serve.readonly_sql import RefusedStatement, run_query

    path = _existing_warehouse(args)
    if path is None:
        return EXIT_USAGE
    try:
        columns, rows = run_query(path, args.query, allow_read=[Path(d) for d in args.allow_read])
    except RefusedStatement as e:
        print(f"gongkai sql: refused: {e}", file=sys.stderr)
        return EXIT_USAGE
    except duckdb.Error as e:
        if _is_lock_error(e):
            raise
        print(f"gongkai sql: {str(e).splitlines()[0]}", file=sys.stderr)
        return EXIT_FAILED
    if not columns:
        print("(statement ran; no result)")
    else:
        _print_table(columns, rows, max_width=args.max_width)
    return EXIT_OK


def _is_lock_error(e: BaseException) -> bool:
    """DuckDB's one-writer file lock: another process (an ingest) has the warehouse open for writing."""
    text = str(e)
    return "lock" in text.lower() and ("Conflicting lock" in text or "Could not set lock" in text)


def _existing_warehouse(args) -> Path | None:
    path = _resolve_paths(args)[1]
    if not path.exists():
        print(f"gongkai: no warehouse at {path}; run `gongkai ingest` first (or pass --warehouse)", file=sys.stderr)
        return None
    return path


def _cli_lock_wait() -> float:
    """Seconds a writing subcommand (check, review, report) waits for a running ingest: GONGKAI_LOCK_WAIT_S or 60."""
    return float(os.environ.get("GONGKAI_LOCK_WAIT_S", "60"))


@contextmanager
def _writable_warehouse(path: Path) -> Iterator:
    """The warehouse opened read-write under the writer lock (waits for a running ingest, see _cli_lock_wait)."""
    from pipelines.lib.load.connection import open_warehouse, writer_lock

    with writer_lock(path, timeout=_cli_lock_wait()):
        # Analyst views are (re)built only by the Dagster graph, behind the blocking structural checks.
        con = open_warehouse(path, analyst_views=False)
        try:
            yield con
        finally:
            con.close()


def cmd_check(args) -> int:
    from pipelines.lib.judge import quality
    from pipelines.lib.judge.plan import quality_chunk_from_env
    from pipelines.lib.load import cross_year
    from pipelines.lib.serve import recall

    try:
        quality_chunk_from_env()
    except ValueError as e:
        print(f"gongkai: {e}", file=sys.stderr)
        return EXIT_USAGE
    path = _existing_warehouse(args)
    if path is None:
        return EXIT_USAGE
    from pipelines.lib.judge import gx_process

    gx_process.start()  # GX imports there while this process opens the warehouse; then judges beside it
    with _writable_warehouse(path) as con:
        cross_year.refresh_suggestions(con)  # also brings a warehouse loaded before suggestions existed up to date
        # Asked for: every rule on every report (an ingest judges only the agencies whose reports changed).
        quality.refresh_quality(con, docs_dir=quality.gx_docs_dir(path), full=True, sessions=gx_process.sessions())
        summary = con.execute(
            "SELECT rule_id, any_value(severity), count(*) FILTER (WHERE passed), count(*) FILTER (WHERE NOT passed), "
            "count(*) FILTER (WHERE passed IS NULL) FROM quality_findings "
            "WHERE report_id IS NULL OR agency_name IS NOT NULL GROUP BY rule_id ORDER BY rule_id").fetchall()
        failing = con.execute(
            "SELECT agency_name, year, rule_id, scope, expected, observed, review_decision, report_id "
            "FROM quality_findings WHERE NOT passed ORDER BY 1, 2, 3, 4").fetchall()
        seen = recall.recall(con)
        unresolved = recall.unresolved_listing(con)
    print("Rules")
    _print_table(["rule", "severity", "passed", "failed", "not assessable"], summary)
    print("\nFindings (scopes where a report does not add up; review with `gongkai review`)")
    _print_table(["agency", "year", "rule", "scope", "expected", "observed", "review", "report_id"], failing)
    print(f"\nRecall: {seen.summary()}")
    _print_table(seen.by_outcome.columns, seen.by_outcome.rows())
    print("\nUnresolved rows (printed, not read with certainty; record a reading with `gongkai resolve`)")
    _print_table(unresolved.columns, unresolved.rows())
    return EXIT_OK


def cmd_review(args) -> int:
    from pipelines.lib.judge.reviews import ReviewError, record_review

    path = _existing_warehouse(args)
    if path is None:
        return EXIT_USAGE
    with _writable_warehouse(path) as con:
        try:
            record_review(con, args.report_id, args.rule, args.scope, args.decision, args.reason,
                          args.reviewer or os.environ.get("USER"))
        except ReviewError as e:
            print(f"gongkai review: {e}", file=sys.stderr)
            return EXIT_USAGE
    print(f"recorded: {args.rule} on {args.scope} of {args.report_id} is {args.decision}")
    return EXIT_OK


def cmd_resolve(args) -> int:
    from pipelines.lib.load.resolutions import ResolutionError, record_resolution

    path = _existing_warehouse(args)
    if path is None:
        return EXIT_USAGE
    with _writable_warehouse(path) as con:
        try:
            done = record_resolution(con, args.report_id, args.table, args.row_code, args.reading, args.reason,
                                     args.resolver or os.environ.get("USER"), force=args.force)
        except ResolutionError as e:
            print(f"gongkai resolve: {e}", file=sys.stderr)
            return EXIT_USAGE
    print(f"recorded: {done.table_no} {done.row_code} of {done.report_id}, read by a person (inferred_how = 'human')"
          + ("; the row leaves unresolved_rows" if done.was_unresolved else ""))
    if done.note:
        print(f"note: {done.note}")
    _print_table(["column", "parser had", "person read"], done.cells)
    print("quality_results follow at the next `gongkai check` or ingest.")
    return EXIT_OK


READING_HELP = """READING is either
  a whole row: its cells in printed column order separated by '/', as unresolved_rows.readings prints
      the candidates, e.g. 69/3/665 (an empty cell: '(blank)' or nothing between two slashes); or
  some cells: col=value[,col=value...] with the row's column codes, e.g. in_force=665 or
      natural_person=3,total=4 (col= is an empty cell).
A value is the number as printed (12, -3, 4166.24, 251000元, 2.5万元); money is stored in the template's
unit (2019 采购总金额: 元, 2021 收费金额: 万元). An unresolved row needs all its cells; a reading that is not
one of its candidates needs --force. The reading is kept by the document's hash, so it is re-applied
whenever the document is loaded again (also after a parser upgrade), and the cells show
inferred_how = 'human' with the reason in fact_provenance.

examples:
  gongkai sql "select report_id, table_no, row_code, printed, readings, suggested_reading from unresolved_rows"
  gongkai resolve r0123456789abcd T2 normative_documents 69/3/665 --reason "page.html table: 69, 3, 665"
  gongkai resolve r0123456789abcd T4 admin_review total=3 --reason "PDF p.5 prints 3; the text layer lost it"
"""


def cmd_report(args) -> int:
    from pipelines.lib.judge import quality
    from pipelines.lib.serve import quality_report

    path = _existing_warehouse(args)
    if path is None:
        return EXIT_USAGE
    with _writable_warehouse(path) as con:
        page = quality_report.html_report(con, quality.rule_descriptions())
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
    print(f"wrote {out} ({len(page) / 1024:.0f} KB); open it in a browser")
    return EXIT_OK


def cmd_ui(args) -> int:
    from pipelines.lib.load.connection import runtime_dir
    from pipelines.ui import run_ui

    inbox, warehouse = _resolve_paths(args)
    home = ensure_dagster_home(warehouse)
    docs_url = f"http://{args.host}:{args.docs_port}/gx_docs/index.html"
    # The code server, daemon and runs read these: the UI serves this warehouse and no other.
    env = {**os.environ, "DAGSTER_HOME": str(home), "GONGKAI_WAREHOUSE": str(warehouse), "GONGKAI_INBOX": str(inbox),
           "GONGKAI_DOCS_URL": docs_url}
    print(f"Dagster UI on http://{args.host}:{args.port} for warehouse {warehouse} (inbox {inbox}; "
          f"Dagster home {home}).\nData Docs on {docs_url}. Ctrl-C stops it.")
    return run_ui(project_root=PROJECT_ROOT, host=args.host, port=args.port, docs_port=args.docs_port,
                  docs_folder=runtime_dir(warehouse) / "quality", env=env)


def cmd_export(args) -> int:
    """Write the contract relations and analyst views as Parquet/CSV, partitioned by year."""
    import duckdb

    from pipelines.lib.load.connection import WarehouseBusy, open_warehouse, writer_lock
    from pipelines.lib.serve import export

    path = _existing_warehouse(args)
    if path is None:
        return EXIT_USAGE
    con = duckdb.connect(str(path), read_only=True)
    if export.missing_relations(con):  # a warehouse built before the analyst views existed: add them once
        con.close()
        try:
            with writer_lock(path, timeout=_cli_lock_wait()):
                open_warehouse(path).close()
        except WarehouseBusy as e:
            print(f"gongkai: {e}", file=sys.stderr)
            return EXIT_BUSY
        con = duckdb.connect(str(path), read_only=True)
    try:
        done = export.export_warehouse(con, Path(args.out_dir), args.format)
    finally:
        con.close()
    _print_table(["relation", "rows", "partitioned by year", "path"],
                 [(e.relation, e.rows, "yes" if e.partitioned else "no", str(e.path)) for e in done], max_width=80)
    return EXIT_OK


EPILOG = """\
exit codes: 0 ok (quarantined documents and failed quality checks are data findings, not failures),
            1 the command failed, 2 usage error or no warehouse, 3 the warehouse is busy (an ingest is writing it)
environment: GONGKAI_INBOX, GONGKAI_WAREHOUSE override the default inbox and warehouse; the flags override both.
             DAGSTER_HOME, when set, replaces the warehouse's own Dagster home (<warehouse>.gongkai/dagster).
"""


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Each option's default after its help (when it has one); description and epilog kept as laid out."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if action.option_strings and action.default not in (None, [], False, argparse.SUPPRESS) \
                and "default" not in text:
            text += " (default: %(default)s)"
        return text


def _sub(sub, name: str, help_text: str, description: str | None = None) -> argparse.ArgumentParser:
    import textwrap

    return sub.add_parser(name, help=help_text, description=textwrap.fill(description or help_text, 100),
                          epilog=EPILOG, formatter_class=_HelpFormatter)


def _warehouse_opt(p: argparse.ArgumentParser) -> None:
    p.add_argument("--warehouse", metavar="FILE",
                   help="the DuckDB warehouse file (default: $GONGKAI_WAREHOUSE or data/warehouse.duckdb)")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="gongkai", description="Gongkai: open warehouse of 政府信息公开工作年度报告.",
                                epilog=EPILOG, formatter_class=_HelpFormatter)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    i = _sub(sub, "ingest", "scan the inbox, parse, load and validate (the whole Dagster asset graph)",
             "Scan the inbox (recursively), parse new documents, load them, run the quality rules, rebuild the "
             "analyst views. Running it again on the same inbox changes nothing.")
    i.add_argument("--inbox", metavar="DIR", help="folder of report files (default: $GONGKAI_INBOX or data/inbox)")
    _warehouse_opt(i)
    i.add_argument("--workers", type=int, default=0,
                   help="parse processes; 0 means $GONGKAI_PARSE_WORKERS, else one per core (up to 8) in process")
    i.add_argument("--wait", type=float, default=0, metavar="SECONDS",
                   help="how long to wait for another running ingest before giving up with exit 3")
    i.add_argument("--executor", choices=("in_process", "multiprocess", "dask"),
                   help="where the steps run (default: $GONGKAI_EXECUTOR or in_process); dask: on "
                        "$GONGKAI_DASK_SCHEDULER, or a local Dask cluster when unset")
    i.set_defaults(fn=cmd_ingest)
    f = _sub(sub, "fetch", "download annual reports from the websites in the sources registry into the inbox "
             "(then run ingest)", "Fetch annual reports from the sites listed in the sources registry into the inbox, "
             "politely (robots.txt, a per-host delay, conditional requests); every request is logged in fetch_log. "
             "Exit 0 even when some fetches fail.")
    f.add_argument("--sources", metavar="FILE",
                   help="the sources registry, a YAML list of {name, url, max_pages, region} "
                        "(default: GONGKAI_SOURCES or data/sources.yaml)")
    f.add_argument("--inbox", metavar="DIR", help="where fetched files go, under fetched/<host>/ "
                                                  "(default: GONGKAI_INBOX or data/inbox)")
    f.add_argument("--warehouse", help="where fetch_log and provenance go (default: GONGKAI_WAREHOUSE or "
                                       "data/warehouse.duckdb)")
    f.add_argument("--delay", type=float, metavar="SECONDS",
                   help="pause between two requests to the same host (default: GONGKAI_FETCH_DELAY or 1; a "
                        "robots.txt Crawl-delay may lengthen it)")
    f.add_argument("--timeout", type=float, default=30.0, metavar="SECONDS",
                   help="seconds to wait for a connection or for data (default: 30)")
    f.add_argument("--retries", type=int, default=2,
                   help="further attempts after a timeout, connection error or 5xx (default: 2)")
    f.add_argument("--backoff", type=float, default=2.0, metavar="SECONDS",
                   help="pause before the first retry, doubled for each further one (default: 2)")
    f.add_argument("--wait", type=float, default=0,
                   help="seconds to wait for a running ingest to release the warehouse (default: stop)")
    f.set_defaults(fn=cmd_fetch)
    c = _sub(sub, "check", "run the data-quality rules and print the findings",
             "Re-run every data-quality rule on the warehouse, rebuild the GX Data Docs, print rules and findings.")
    _warehouse_opt(c)
    c.set_defaults(fn=cmd_check)
    s = _sub(sub, "sql", "run one read-only SQL statement and print the result",
             "Run exactly one read-only statement (SELECT, EXPLAIN, DESCRIBE, SHOW, PRAGMA). Statements that "
             "write (COPY, EXPORT, ATTACH, INSTALL, SET, ...) are refused with exit 2; queries cannot read files "
             "outside the folders given with --allow-read.")
    s.add_argument("query", help="the SQL statement")
    _warehouse_opt(s)
    s.add_argument("--max-width", type=int, default=60, metavar="N",
                   help="cut cells longer than N characters (0: never cut)")
    s.add_argument("--allow-read", action="append", default=[], metavar="DIR",
                   help="a folder whose files queries may read, e.g. a `gongkai export` output (repeatable)")
    s.set_defaults(fn=cmd_sql)
    rv = _sub(sub, "review", "mark a finding confirmed (the report is wrong) or dismissed (with a reason)",
              "Record a reviewer's verdict on one finding (rule x scope of a report). Kept by document hash, so "
              "it survives re-parsing.")
    rv.add_argument("report_id", help="the report's id (reports.report_id)")
    rv.add_argument("rule", help="rule id, e.g. R1_flow")
    rv.add_argument("scope", help="the finding's scope, as in quality_results.scope")
    rv.add_argument("decision", choices=["confirmed", "dismissed"], help="the verdict")
    rv.add_argument("--reason", help="why (required to dismiss)")
    rv.add_argument("--reviewer", help="who reviewed (default: $USER)")
    _warehouse_opt(rv)
    rv.set_defaults(fn=cmd_review)
    rs = sub.add_parser("resolve", help="record a person's reading of an unresolved row, or a correction of loaded cells",
                        description="Record what a person read in the original document for one table row: the "
                                    "reading of a row the parser left unresolved, or a correction of loaded cells.",
                        epilog=READING_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    rs.add_argument("report_id", help="the report (reports.report_id)")
    rs.add_argument("table", help="T2, T3 or T4 (table 二, 三, 四)")
    rs.add_argument("row_code", help="the row's code (unresolved_rows.row_code; codes in docs/data-dictionary.md)")
    rs.add_argument("reading", help="a/b/c (the whole row) or col=value,... (some cells); see below")
    rs.add_argument("--reason", required=True, help="where in the original you read it (required)")
    rs.add_argument("--resolver", help="who you are (default: the login name)")
    rs.add_argument("--force", action="store_true",
                    help="accept a reading of an unresolved row that is not one of its candidate readings")
    _warehouse_opt(rs)
    rs.set_defaults(fn=cmd_resolve)
    rp = _sub(sub, "report", "write a standalone HTML data-quality report",
              "Write one self-contained HTML page (no server, no network) with the scorecard, failures per rule "
              "and year, and findings per agency.")
    rp.add_argument("out", metavar="OUT.html", help="where to write the page")
    _warehouse_opt(rp)
    rp.set_defaults(fn=cmd_report)
    u = _sub(sub, "ui", "start the Dagster UI (webserver + daemon) on 127.0.0.1",
             "Start the Dagster UI for one warehouse, with its own Dagster instance (<warehouse>.gongkai/dagster). "
             "Refuses to start when the port is taken; Ctrl-C or SIGTERM stops it and all its processes.")
    u.add_argument("--host", default="127.0.0.1", help="address to listen on")
    u.add_argument("--port", type=int, default=3000, help="port of the Dagster UI")
    u.add_argument("--docs-port", type=int, default=3001, help="port of the GX Data Docs server")
    u.add_argument("--inbox", metavar="DIR", help="folder of report files (default: $GONGKAI_INBOX or data/inbox)")
    _warehouse_opt(u)
    u.set_defaults(fn=cmd_ui)
    x = _sub(sub, "export", "write the contract relations and analyst views as Parquet or CSV, by year",
             "Write every contract relation and analyst view under DIR, partitioned by year where it has one.")
    x.add_argument("out_dir", metavar="DIR", help="output folder")
    x.add_argument("--format", choices=("parquet", "csv"), default="parquet", help="file format")
    _warehouse_opt(x)
    x.set_defaults(fn=cmd_export)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.fn(args)
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return EXIT_OK
    except Exception as e:  # noqa: BLE001 - a busy warehouse is one sentence and exit 3, never a traceback
        from pipelines.lib.load.connection import WarehouseBusy

        if isinstance(e, WarehouseBusy) or _is_lock_error(e):
            print(f"gongkai: the warehouse {_resolve_paths(args)[1]} is busy: another Gongkai process (an ingest) is writing it; "
                  "run this again when it has finished.", file=sys.stderr)
            return EXIT_BUSY
        raise


def run() -> int:
    """The `gongkai` command: main(), then an exit that skips the interpreter's final garbage collections.

    By then a run has touched ~500,000 objects (Dagster, GX, pandas); tearing them down collection by
    collection took ~2 s after the work was done (measured at 1,000 documents, 15 s in all). Frozen, they
    are still finalized (atexit handlers, files and connections close as usual), just not walked again.
    Not in main() itself: tests call it in their own process, which must keep its collector.
    """
    rc = main()
    import gc

    gc.disable()
    gc.freeze()
    return rc


if __name__ == "__main__":
    sys.exit(run())

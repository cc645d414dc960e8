"""`gongkai`: ingest, check, sql, ui — the outside contract (spec/contract.md)."""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]


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
    """(inbox, warehouse): flags override GONGKAI_INBOX / GONGKAI_WAREHOUSE, which override the defaults."""
    inbox = getattr(args, "inbox", None) or os.environ.get("GONGKAI_INBOX") or "data/inbox"
    warehouse = getattr(args, "warehouse", None) or os.environ.get("GONGKAI_WAREHOUSE") or "data/warehouse.duckdb"
    return Path(inbox).resolve(), Path(warehouse).resolve()


def _print_table(columns: list[str], rows: list[tuple], max_width: int = 60) -> None:
    def fmt(v) -> str:
        s = "NULL" if v is None else (f"{v:g}" if isinstance(v, float) else str(v))
        s = s.replace("\n", " ")
        return s if len(s) <= max_width else s[: max_width - 1] + "…"

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

    try:
        executor = executors.executor_from_env(getattr(args, "executor", None))
    except ValueError as e:
        print(f"gongkai: {e}", file=sys.stderr)
        return 2
    inbox, warehouse = _resolve_paths(args)
    announced = False
    # Nothing new: answered from the warehouse before Dagster (seconds of imports) is even loaded.
    if executor == "in_process" and inbox.is_dir() and warehouse.exists() and not os.environ.get("GONGKAI_ALWAYS_RUN"):
        from pipelines.lib.load.connection import WarehouseBusy

        print(f"Gongkai ingest: inbox {inbox} -> warehouse {warehouse}")
        announced = True
        try:
            if _report_unchanged(inbox, warehouse, args.wait, time.time()):
                return 0
        except WarehouseBusy as e:
            print(f"gongkai: {e}", file=sys.stderr)
            return 3
    ensure_dagster_home(warehouse)
    import dagster as dg

    from pipelines.defs import assets, checks
    from pipelines.defs.resources import settings_from_env
    from pipelines.lib.load.connection import WarehouseBusy, writer_lock

    settings = settings_from_env(args.inbox, args.warehouse)
    if args.workers:
        settings = settings.model_copy(update={"parse_workers": args.workers})
    inbox, warehouse = settings.inbox_path, settings.warehouse_path
    if not inbox.is_dir():
        print(f"gongkai: inbox {inbox} is not a directory", file=sys.stderr)
        return 2
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
        return 3
    meta = {}
    for ev in result.get_asset_materialization_events():
        mat = ev.event_specific_data.materialization
        meta.update({k: v.value for k, v in mat.metadata.items()})
    evals = result.get_asset_check_evaluations()
    if not result.success:
        errors = [ev.event_specific_data.error for ev in result.all_events
                  if ev.is_failure and getattr(ev.event_specific_data, "error", None) is not None]
        blocked = [e for e in errors if "AssetCheckFailed" in (e.cls_name or "")]
        if not errors or len(blocked) < len(errors):
            for e in errors:
                print(e.to_string(), file=sys.stderr)
            print("gongkai: the ingest run failed (see the errors above)", file=sys.stderr)
            return 1
        # Only blocking structural checks failed: a data finding, not a crash; the analyst views were held back.
        print("gongkai: blocking structural checks failed, so the analyst views were not rebuilt; "
              "see `gongkai check`.", file=sys.stderr)
    checks_passed = sum(1 for e in evals if e.passed)
    print(f"documents seen: {meta.get('documents_seen', 0)}  new: {meta.get('documents_new', 0)}  "
          f"parsed: {meta.get('documents_parsed', 0)}  loaded: {meta.get('reports_loaded', 0)}  "
          f"quarantined: {meta.get('documents_quarantined', 0)}")
    print(f"warehouse: {meta.get('reports_current_total', 0)} current reports, "
          f"{meta.get('quarantine_total', 0)} documents in quarantine")
    print(f"checks passed: {checks_passed}  failed: {len(evals) - checks_passed}  "
          f"(failing scopes: {meta.get('scopes_failed', 0)}, not assessable: {meta.get('scopes_not_assessable', 0)})")
    print(f"done in {time.time() - t0:.1f}s. Try: gongkai sql \"select agency_name, year, template from reports\"")
    return 0


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


def _warehouse_arg(args) -> Path:
    from pipelines.defs.resources import settings_from_env

    return settings_from_env(None, args.warehouse).warehouse_path


def cmd_sql(args) -> int:
    import duckdb

    path = _existing_warehouse(args)
    if path is None:
        return 2
    con = duckdb.connect(str(path), read_only=True)  # read-only: `gongkai sql` can never change the warehouse
    try:
        rel = con.sql(args.query)
        if rel is None:
            print("(statement ran; no result)")
            return 0
        _print_table(rel.columns, rel.fetchall(), max_width=args.max_width)
    except duckdb.Error as e:
        print(f"gongkai sql: {e}", file=sys.stderr)
        return 1
    finally:
        con.close()
    return 0


def _existing_warehouse(args) -> Path | None:
    path = _warehouse_arg(args)
    if not path.exists():
        print(f"gongkai: no warehouse at {path}; run `gongkai ingest` first", file=sys.stderr)
        return None
    return path


@contextmanager
def _writable_warehouse(path: Path) -> Iterator:
    """The warehouse opened read-write under the writer lock (waits up to a minute for a running ingest)."""
    from pipelines.lib.load.connection import open_warehouse, writer_lock

    with writer_lock(path, timeout=60):
        # Analyst views are (re)built only by the Dagster graph, behind the blocking structural checks.
        con = open_warehouse(path, analyst_views=False)
        try:
            yield con
        finally:
            con.close()


def cmd_check(args) -> int:
    from pipelines.lib.judge import quality

    path = _existing_warehouse(args)
    if path is None:
        return 0
    with _writable_warehouse(path) as con:
        quality.refresh_quality(con, docs_dir=quality.gx_docs_dir(path))
        summary = con.execute(
            "SELECT rule_id, any_value(severity), count(*) FILTER (WHERE passed), count(*) FILTER (WHERE NOT passed), "
            "count(*) FILTER (WHERE passed IS NULL) FROM quality_findings "
            "WHERE report_id IS NULL OR agency_name IS NOT NULL GROUP BY rule_id ORDER BY rule_id").fetchall()
        failing = con.execute(
            "SELECT agency_name, year, rule_id, scope, expected, observed, review_decision, report_id "
            "FROM quality_findings WHERE NOT passed ORDER BY 1, 2, 3, 4").fetchall()
    print("Rules")
    _print_table(["rule", "severity", "passed", "failed", "not assessable"], summary)
    print("\nFindings (scopes where a report does not add up; review with `gongkai review`)")
    _print_table(["agency", "year", "rule", "scope", "expected", "observed", "review", "report_id"], failing)
    return 0


def cmd_review(args) -> int:
    from pipelines.lib.judge.reviews import ReviewError, record_review

    path = _existing_warehouse(args)
    if path is None:
        return 2
    with _writable_warehouse(path) as con:
        try:
            record_review(con, args.report_id, args.rule, args.scope, args.decision, args.reason,
                          args.reviewer or os.environ.get("USER"))
        except ReviewError as e:
            print(f"gongkai review: {e}", file=sys.stderr)
            return 2
    print(f"recorded: {args.rule} on {args.scope} of {args.report_id} is {args.decision}")
    return 0


def cmd_report(args) -> int:
    from pipelines.lib.judge import quality
    from pipelines.lib.serve import quality_report

    path = _existing_warehouse(args)
    if path is None:
        return 2
    with _writable_warehouse(path) as con:
        page = quality_report.html_report(con, quality.rule_descriptions())
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
    print(f"wrote {out} ({len(page) / 1024:.0f} KB); open it in a browser")
    return 0


def cmd_ui(args) -> int:
    home = ensure_dagster_home(_resolve_paths(args)[1])
    cmd = [sys.executable, "-m", "dagster", "dev", "-w", str(PROJECT_ROOT / "workspace.yaml"),
           "-h", args.host, "-p", str(args.port)]
    print(f"Dagster UI on http://{args.host}:{args.port} (DAGSTER_HOME={home}); Ctrl-C stops it.")
    return subprocess.call(cmd, cwd=PROJECT_ROOT)


def cmd_export(args) -> int:
    """Write the contract relations and analyst views as Parquet/CSV, partitioned by year."""
    import duckdb

    from pipelines.lib.load.connection import WarehouseBusy, open_warehouse, writer_lock
    from pipelines.lib.serve import export

    path = _existing_warehouse(args)
    if path is None:
        return 2
    con = duckdb.connect(str(path), read_only=True)
    if export.missing_relations(con):  # a warehouse built before the analyst views existed: add them once
        con.close()
        try:
            with writer_lock(path, timeout=60):
                open_warehouse(path).close()
        except WarehouseBusy as e:
            print(f"gongkai: {e}", file=sys.stderr)
            return 3
        con = duckdb.connect(str(path), read_only=True)
    try:
        done = export.export_warehouse(con, Path(args.out_dir), args.format)
    finally:
        con.close()
    _print_table(["relation", "rows", "partitioned by year", "path"],
                 [(e.relation, e.rows, "yes" if e.partitioned else "no", str(e.path)) for e in done], max_width=80)
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="gongkai", description="Gongkai: open warehouse of 政府信息公开工作年度报告.")
    sub = p.add_subparsers(dest="command", required=True)
    i = sub.add_parser("ingest", help="scan the inbox, parse, load and validate (the whole Dagster asset graph)")
    i.add_argument("--inbox")
    i.add_argument("--warehouse")
    i.add_argument("--workers", type=int, default=0, help="parse processes (default: GONGKAI_PARSE_WORKERS or 1)")
    i.add_argument("--wait", type=float, default=0, help="seconds to wait for another running ingest (default: stop)")
    i.add_argument("--executor", choices=("in_process", "multiprocess", "dask"),
                   help="where the steps run (default: GONGKAI_EXECUTOR or in_process); dask: on "
                        "GONGKAI_DASK_SCHEDULER, or a local Dask cluster when unset")
    i.set_defaults(fn=cmd_ingest)
    c = sub.add_parser("check", help="run the data-quality rules and print the findings")
    c.add_argument("--warehouse")
    c.set_defaults(fn=cmd_check)
    s = sub.add_parser("sql", help="run one read-only SQL statement and print the result")
    s.add_argument("query")
    s.add_argument("--warehouse")
    s.add_argument("--max-width", type=int, default=60)
    s.set_defaults(fn=cmd_sql)
    rv = sub.add_parser("review", help="mark a finding confirmed (the report is wrong) or dismissed (with a reason)")
    rv.add_argument("report_id")
    rv.add_argument("rule")
    rv.add_argument("scope")
    rv.add_argument("decision", choices=["confirmed", "dismissed"])
    rv.add_argument("--reason")
    rv.add_argument("--reviewer")
    rv.add_argument("--warehouse")
    rv.set_defaults(fn=cmd_review)
    rp = sub.add_parser("report", help="write a standalone HTML data-quality report")
    rp.add_argument("out")
    rp.add_argument("--warehouse")
    rp.set_defaults(fn=cmd_report)
    u = sub.add_parser("ui", help="start the Dagster UI (webserver + daemon) on 127.0.0.1")
    u.add_argument("--host", default="127.0.0.1")
    u.add_argument("--port", type=int, default=3000)
    u.set_defaults(fn=cmd_ui)
    x = sub.add_parser("export", help="write the contract relations and analyst views as Parquet or CSV, by year")
    x.add_argument("out_dir", metavar="DIR")
    x.add_argument("--format", choices=("parquet", "csv"), default="parquet")
    x.add_argument("--warehouse")
    x.set_defaults(fn=cmd_export)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.fn(args)
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())

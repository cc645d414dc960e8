"""Great Expectations as the engine that judges rule frames.

Suites are JSON in ``expectations/``, one per rule family. Every expectation names its rule
(``meta.rule_id``); the bridge validates one frame per suite and chunk of reports (set-wise) whose
``rule_id`` column routes rows to their expectation through a pandas ``row_condition``. It runs in an
ephemeral GX context over pandas, because GX's SQL source over DuckDB does not evaluate (every metric
raises); an expectation that raises fails loudly here, it never reads as a data finding. One session
builds each suite's GX objects once and validates every chunk of a pass with them.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

if TYPE_CHECKING:  # pandas (~1 s to import) only where a suite is judged
    import pandas as pd
    import polars as pl

    from pipelines.lib.serve.data_docs import SuiteSummary

EXPECTATIONS_DIR = Path(__file__).resolve().parents[3] / "expectations"


class GXEvaluationError(RuntimeError):
    """An expectation raised instead of evaluating: a broken validation, never a data finding."""


@dataclass
class ExpectationOutcome:
    rule_id: str
    expectation_type: str
    evaluated: int
    failed_index: list = field(default_factory=list)
    success: bool = True
    severity: str = "warning"


@cache
def load_suite(name: str) -> dict:
    return json.loads((EXPECTATIONS_DIR / f"{name}.json").read_text(encoding="utf-8"))


def _context():
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return gx, ctx


def _routed(exp: dict) -> dict:
    """The expectation, restricted to its own rule's rows of the suite frame."""
    exp = json.loads(json.dumps(exp))
    kwargs = exp.setdefault("kwargs", {})
    kwargs.setdefault("row_condition", f'rule_id=="{exp["meta"]["rule_id"]}"')
    kwargs.setdefault("condition_parser", "pandas")
    return exp


T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class Reply(Protocol[T_co]):
    """The answer to a request made of a session: at once here, or when a GX process has finished it."""

    def result(self) -> T_co: ...


@dataclass(frozen=True)
class Done(Generic[T]):
    """A reply that is already there (a session in this process answers before it returns)."""
    value: T

    def result(self) -> T:
        return self.value


class JudgeSession(Protocol):
    """What a validation pass asks of GX: a GXSession here, or one in a process of its own (gx_process).
    A pass makes one request at a time and takes its reply before the next; meanwhile it may work."""

    def submit(self, suite: dict, frame: pl.DataFrame, run_name: str | None = None) -> Reply[list[ExpectationOutcome]]:
        """Validate ``frame`` (columns rule_id, expected, observed) against ``suite`` (see run_suite)."""
        ...

    def publish(self, summaries: list[SuiteSummary]) -> Reply[None]:
        """Render this session's validations as Data Docs in its docs_dir, made offline (data_docs)."""
        ...


class GXSession:
    """One ephemeral GX context for a whole validation pass, so the Data Docs index lists every suite; each
    suite's checkpoint is built once and run on every chunk of the pass."""

    def __init__(self, docs_dir: Path | None = None):
        self.docs_dir: Path | None = None
        self.gx, self.ctx = _context()
        self.source = self.ctx.data_sources.add_pandas("gongkai")
        self._checkpoints: dict[str, Any] = {}
        if docs_dir is not None:
            self.render_to(docs_dir)

    def render_to(self, docs_dir: Path) -> None:
        """Have this session's Data Docs built under ``docs_dir`` (a session made before its pass knew where)."""
        self.docs_dir = docs_dir
        self.ctx.add_data_docs_site(site_name="gongkai", site_config={
            "class_name": "SiteBuilder",
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)},
        })

    def checkpoint(self, suite: dict) -> Any:
        """The suite's checkpoint over a whole pandas frame, with every expectation routed to its rule's
        rows (a rule without rows in a chunk is judged on none: it passes, evaluating nothing)."""
        name = suite["name"]
        if name not in self._checkpoints:
            gx, ctx = self.gx, self.ctx
            gx_suite = ctx.suites.add(gx.ExpectationSuite(
                name=name, expectations=[_routed(e) for e in suite["expectations"]], meta=suite.get("meta", {})))
            batch = self.source.add_dataframe_asset(name).add_batch_definition_whole_dataframe("all_reports")
            vd = ctx.validation_definitions.add(gx.ValidationDefinition(name=name, data=batch, suite=gx_suite))
            # Data Docs are rendered once per session (publish), not after every run: each
            # UpdateDataDocsAction re-renders the index and every page so far.
            self._checkpoints[name] = ctx.checkpoints.add(gx.Checkpoint(
                name=f"{name}_checkpoint", validation_definitions=[vd], actions=[],
                result_format={"result_format": "COMPLETE"}))
        return self._checkpoints[name]

    def submit(self, suite: dict, frame: pl.DataFrame, run_name: str | None = None) -> Done[list[ExpectationOutcome]]:
        return Done(run_suite(suite, frame.to_pandas(), session=self, run_name=run_name))

    def publish(self, summaries: list[SuiteSummary]) -> Done[None]:
        """Render the Data Docs of every suite validated in this session (once, at the end of a pass), then
        make them offline with the warehouse's totals per suite."""
        if self.docs_dir is not None:
            from pipelines.lib.serve.data_docs import publish_offline

            self.ctx.build_data_docs(site_names=["gongkai"])
            publish_offline(self.docs_dir, summaries)
        return Done(None)


def run_suite(suite: dict, frame: pd.DataFrame | dict[str, pd.DataFrame],
              session: GXSession | None = None, run_name: str | None = None) -> list[ExpectationOutcome]:
    """Validate ``frame`` (or per-rule frames, concatenated) against ``suite``.

    Returns, per expectation, the positions (in the concatenated frame, index reset) of failing rows. An
    empty frame is not validated (no Data Docs page). A session made with ``docs_dir`` renders GX Data Docs
    there when asked (GXSession.publish); ``run_name`` names the validation run in them.
    """
    import pandas as pd

    if isinstance(frame, dict):
        parts = [f.assign(rule_id=rule) for rule, f in frame.items() if f is not None and not f.empty]
        frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame({"rule_id": []})
    frame = frame.reset_index(drop=True)
    expectations = list(suite["expectations"])
    counts = frame["rule_id"].value_counts().to_dict() if "rule_id" in frame else {}
    outcomes = {id(e): ExpectationOutcome(e["meta"]["rule_id"], e["type"], 0, severity=e.get("severity", "warning"))
                for e in expectations}
    if sum(counts.values()) > 0:
        from great_expectations.core.run_identifier import RunIdentifier

        session = session or GXSession()
        run = session.checkpoint(suite).run(batch_parameters={"dataframe": frame},
                                            run_id=RunIdentifier(run_name=run_name) if run_name else None)
        results = next(iter(run.run_results.values())).results
        by_rule = {(r.expectation_config.meta["rule_id"], r.expectation_config.type): r for r in results}
        for exp in expectations:
            r = by_rule[(exp["meta"]["rule_id"], exp["type"])]
            info = r.exception_info or {}
            raised = bool(info.get("raised_exception")) or any(
                isinstance(v, dict) and v.get("raised_exception") for v in info.values())
            if raised:
                raise GXEvaluationError(f"{suite['name']}/{exp['meta']['rule_id']}: expectation {exp['type']} "
                                        f"raised instead of evaluating: {info}")
            outcomes[id(exp)] = ExpectationOutcome(
                rule_id=exp["meta"]["rule_id"], expectation_type=exp["type"],
                evaluated=counts.get(exp["meta"]["rule_id"], 0),
                failed_index=list(r.result.get("unexpected_index_list") or []), success=bool(r.success),
                severity=exp.get("severity", "warning"))
    return [outcomes[id(e)] for e in expectations]

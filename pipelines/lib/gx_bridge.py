"""Great Expectations as the engine that judges rule frames.

Suites are JSON in ``expectations/``; each expectation carries ``meta.rule_id`` and is run on
that rule's rows only, all reports at once (set-wise), in an ephemeral GX context over pandas
(GX's SQL source over DuckDB does not evaluate; see the issue notes).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pandas as pd

EXPECTATIONS_DIR = Path(__file__).resolve().parents[2] / "expectations"


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


def _gx():
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx

    return gx


def run_suite(suite: dict, frames: dict[str, pd.DataFrame]) -> list[ExpectationOutcome]:
    """Run each expectation of ``suite`` on ``frames[meta.rule_id]``; return failing row indexes per rule."""
    gx = _gx()
    from great_expectations.data_context.types.base import ProgressBarsConfig

    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    ds = ctx.data_sources.add_pandas("gongkai")
    asset = ds.add_dataframe_asset("rule_frame")
    batch = asset.add_batch_definition_whole_dataframe("whole")
    outcomes = []
    for i, exp in enumerate(suite["expectations"]):
        rule_id = exp["meta"]["rule_id"]
        frame = frames.get(rule_id)
        if frame is None or frame.empty:
            outcomes.append(ExpectationOutcome(rule_id, exp["type"], 0, severity=exp.get("severity", "warning")))
            continue
        one = gx.ExpectationSuite(name=f"{suite['name']}_{i}", expectations=[dict(exp)])
        one = ctx.suites.add(one)
        vd = ctx.validation_definitions.add(gx.ValidationDefinition(name=f"v_{suite['name']}_{i}", data=batch, suite=one))
        result = vd.run(batch_parameters={"dataframe": frame.reset_index(drop=True)},
                        result_format={"result_format": "COMPLETE"})
        for r in result.results:
            info = r.exception_info or {}
            raised = info.get("raised_exception") if isinstance(info, dict) else False
            if raised or any(isinstance(v, dict) and v.get("raised_exception") for v in
                             (info.values() if isinstance(info, dict) else [])):
                raise GXEvaluationError(f"{suite['name']}/{rule_id}: expectation {exp['type']} raised "
                                        f"instead of evaluating: {info}")
            outcomes.append(ExpectationOutcome(
                rule_id=rule_id, expectation_type=exp["type"], evaluated=len(frame),
                failed_index=list(r.result.get("unexpected_index_list") or []), success=bool(r.success),
                severity=exp.get("severity", "warning")))
    return outcomes

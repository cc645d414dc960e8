"""GX really evaluates (pandas engine) and an expectation that raises fails loudly, never as a finding."""

from __future__ import annotations

import pandas as pd
import pytest

from pipelines.lib.judge.gx_bridge import GXEvaluationError, load_suite, run_suite


def test_gx_finds_the_unequal_rows() -> None:
    suite = load_suite("cross_checks")
    frame = pd.DataFrame({"expected": [1.0, 2.0, 3.0], "observed": [1.0, 5.0, 3.0]})
    out = {o.rule_id: o for o in run_suite(suite, {"R1_flow": frame})}
    assert out["R1_flow"].failed_index == [1]
    assert out["R1_flow"].success is False
    assert out["R2_outcomes"].evaluated == 0  # no rows: nothing judged


def test_an_expectation_that_raises_fails_the_validation() -> None:
    suite = load_suite("cross_checks")
    broken = pd.DataFrame({"expected": [1.0], "wrong_column": [1.0]})
    with pytest.raises(GXEvaluationError):
        run_suite(suite, {"R1_flow": broken})

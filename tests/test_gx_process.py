"""Great Expectations judged in a process of its own (pipelines/lib/judge/gx_process.py): the same outcomes,
Data Docs and stored results as a session in this process, errors that arrive as errors, and a process that
is gone never hanging or silently skipping a pass."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from gen_reports import write_reports
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.lib.judge import gx_process, quality
from pipelines.lib.judge.gx_bridge import GXEvaluationError, GXSession, load_suite
from tests.helpers import load_inbox

RESULTS = ("SELECT report_id, rule_id, scope, passed, expected, observed, message, severity FROM quality_results "
           "ORDER BY ALL")


@pytest.fixture(scope="module")
def process() -> Iterator[gx_process.GXProcess]:
    p = gx_process.GXProcess()
    yield p
    p.close()


def _frame(rule: str, expected: list[float], observed: list[float]) -> pl.DataFrame:
    return pl.DataFrame({"rule_id": [rule] * len(expected), "expected": expected, "observed": observed},
                        schema={"rule_id": pl.String, "expected": pl.Float64, "observed": pl.Float64}
                        ).with_columns(pl.col("rule_id").cast(pl.Categorical))


def _outcomes(session, frame: pl.DataFrame) -> list[tuple]:
    return [(o.rule_id, o.expectation_type, o.evaluated, sorted(o.failed_index), o.success)
            for o in session.submit(load_suite("cross_checks"), frame).result()]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pairs=st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40)), min_size=1, max_size=30))
def test_the_gx_process_judges_any_frame_as_this_process_does(process, pairs: list[tuple[int, int]]) -> None:
    frame = _frame("R1_flow", [float(e) for e, _ in pairs], [float(o) for _, o in pairs])
    remote = _outcomes(process.session(None), frame)
    assert remote == _outcomes(GXSession(), frame)
    r1 = next(o for o in remote if o[0] == "R1_flow")
    assert r1[3] == [i for i, (e, o) in enumerate(pairs) if e != o]  # the unequal rows, by position


def test_an_expectation_that_raises_is_raised_here(process) -> None:
    broken = pl.DataFrame({"rule_id": ["R1_flow"], "expected": [1.0], "wrong_column": [1.0]})
    with pytest.raises(GXEvaluationError, match="R1_flow"):
        process.session(None).submit(load_suite("cross_checks"), broken).result()
    # The process is still there and answers the next request.
    assert _outcomes(process.session(None), _frame("R1_flow", [1.0], [2.0]))[0][3] == [0]


def test_a_reply_nobody_took_is_taken_before_the_next_request(process) -> None:
    session = process.session(None)
    first = session.submit(load_suite("cross_checks"), _frame("R1_flow", [1.0, 2.0], [1.0, 3.0]))
    second = session.submit(load_suite("cross_checks"), _frame("R1_flow", [5.0], [6.0]))  # first not taken
    assert [o.failed_index for o in second.result() if o.rule_id == "R1_flow"] == [[0]]
    assert [o.failed_index for o in first.result() if o.rule_id == "R1_flow"] == [[1]]


def test_ctrl_c_is_for_the_run_not_for_the_gx_process(process) -> None:
    process.session(None)  # up and serving (Python's own start-up, before _serve, is not at issue)
    os.kill(process._proc.pid, signal.SIGINT)  # as the terminal sends it to the whole process group
    assert _outcomes(process.session(None), _frame("R1_flow", [3.0], [4.0]))[0][3] == [0]


def test_a_request_of_an_old_session_is_refused(process) -> None:
    old = process.session(None)
    process.session(None)
    with pytest.raises(RuntimeError, match="not the current one"):
        old.submit(load_suite("cross_checks"), _frame("R1_flow", [1.0], [1.0])).result()


def test_a_gx_process_that_died_fails_the_request_and_is_not_asked_again(monkeypatch) -> None:
    p = gx_process.GXProcess()
    session = p.session(None)
    monkeypatch.setattr(gx_process, "_process", p)
    assert gx_process.sessions() == p.session
    p._proc.kill()
    p._proc.join()
    with pytest.raises(gx_process.GXProcessLost, match="ended"):
        session.submit(load_suite("cross_checks"), _frame("R1_flow", [1.0], [1.0])).result()
    assert gx_process.sessions() is GXSession  # the next pass judges in this process
    p.close()


def test_a_pass_in_the_gx_process_stores_what_a_pass_here_stores(process, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    write_reports(inbox, 8)
    stored, docs = {}, {}
    for where, sessions in (("here", GXSession), ("process", process.session)):
        warehouse = tmp_path / where / "w.duckdb"
        warehouse.parent.mkdir()
        con = load_inbox(inbox, warehouse, timeout=0)
        try:
            done = quality.refresh_quality(con, docs_dir=tmp_path / where / "docs", sessions=sessions,
                                           wait_for_docs=False)
            done.wait_for_docs()
            stored[where] = con.execute(RESULTS).fetchall()
        finally:
            con.close()
        docs[where] = sorted(p.relative_to(tmp_path / where / "docs").parts[0]
                             for p in (tmp_path / where / "docs").rglob("*.html"))
    assert stored["process"] == stored["here"] and any(row[3] is False for row in stored["here"])
    assert docs["process"] == docs["here"] and "index.html" in docs["process"]


def test_a_run_that_judged_in_the_gx_process_exits_without_warnings(tmp_path: Path) -> None:
    # The GX process is stopped with the process that started it; nothing of it may be reported as leaked
    # (tqdm's multiprocessing lock was: "resource_tracker: There appear to be 1 leaked semaphore objects").
    code = ("import polars as pl\n"
            "from pipelines.lib.judge import gx_process\n"
            "from pipelines.lib.judge.gx_bridge import load_suite\n"
            "if __name__ == '__main__':\n"
            "    gx_process.start()\n"
            "    frame = pl.DataFrame({'rule_id': ['R1_flow'], 'expected': [1.0], 'observed': [2.0]})\n"
            "    session = gx_process.sessions()(None)\n"
            "    out = session.submit(load_suite('cross_checks'), frame).result()\n"
            "    assert [o.failed_index for o in out if o.rule_id == 'R1_flow'] == [[0]]\n")
    script = tmp_path / "judge_once.py"
    script.write_text(code, encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parents[1])
    assert done.returncode == 0, done.stderr
    assert "leaked" not in done.stderr and "Warning" not in done.stderr, done.stderr

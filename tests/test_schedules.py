"""The nightly schedule and the inbox sensor: present in the definitions, configurable, and deduplicated."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import dagster as dg
import pytest

from pipelines.defs.resources import GongkaiSettings
from pipelines.defs.schedules import inbox_sensor, nightly_schedule


def _defs() -> dg.Definitions:
    from pipelines.definitions import defs

    d = defs()
    dg.Definitions.validate_loadable(d)
    return d


def test_definitions_have_schedule_sensor_and_job(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GONGKAI_NIGHTLY_CRON", raising=False)
    d = _defs()
    sched = next(s for s in d.schedules or [] if s.name == "nightly_ingest")
    assert sched.cron_schedule == "0 2 * * *"
    assert sched.execution_timezone == "Asia/Shanghai"
    assert sched.job_name == "ingest_job"
    assert [s.job_name for s in d.sensors or [] if s.name == "inbox_sensor"] == ["ingest_job"]


def test_cron_is_read_when_definitions_load(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GONGKAI_NIGHTLY_CRON", "30 3 * * 1-5")
    assert [s.cron_schedule for s in _defs().schedules or []] == ["30 3 * * 1-5"]
    monkeypatch.setenv("GONGKAI_NIGHTLY_CRON", "not a cron")
    with pytest.raises(ValueError, match="GONGKAI_NIGHTLY_CRON"):
        nightly_schedule()


def test_schedule_requests_ingest_job() -> None:
    with dg.instance_for_test() as inst:
        ctx = dg.build_schedule_context(instance=inst, scheduled_execution_time=dt.datetime(2026, 1, 2, 2, 0))
        data = nightly_schedule().evaluate_tick(ctx)
    assert len(data.run_requests or []) == 1


def _tick(inst: dg.DagsterInstance, inbox: Path, cursor: str | None) -> tuple[list[dg.RunRequest], str | None]:
    ctx = dg.build_sensor_context(instance=inst, cursor=cursor,
                                  resources={"gongkai": GongkaiSettings(inbox=str(inbox), warehouse=str(inbox.parent / "w.duckdb"))})
    data = inbox_sensor.evaluate_tick(ctx)
    return list(data.run_requests or []), data.cursor if data.cursor is not None else cursor


def test_inbox_sensor_fires_once_per_settled_inbox_state(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a.txt").write_text("一", encoding="utf-8")
    with dg.instance_for_test() as inst:
        runs, cur = _tick(inst, inbox, None)
        assert runs == []  # first sight of a state: wait one tick for copies to finish
        runs, cur = _tick(inst, inbox, cur)
        assert len(runs) == 1 and runs[0].run_key.startswith("inbox-")
        first_key = runs[0].run_key
        runs, cur = _tick(inst, inbox, cur)
        assert runs == []  # same state: no second run

        # a new file (in a subfolder, a name with a space and Chinese): fires once, after one settling tick
        (inbox / "sub").mkdir()
        (inbox / "sub" / "b 报告.txt").write_text("二", encoding="utf-8")
        runs, cur = _tick(inst, inbox, cur)
        assert runs == []
        runs, cur = _tick(inst, inbox, cur)
        assert len(runs) == 1
        assert _tick(inst, inbox, cur)[0] == []
        # a changed file (size and mtime) fires too
        (inbox / "a.txt").write_text("一二三", encoding="utf-8")
        _, cur = _tick(inst, inbox, cur)
        runs, cur = _tick(inst, inbox, cur)
        assert len(runs) == 1 and runs[0].run_key != first_key

        # contents are not read: the cursor holds only listing fingerprints
        state = json.loads(cur or "{}")
        assert set(state) == {"seen", "fired"}


def test_inbox_sensor_same_state_same_run_key(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    f = inbox / "a.txt"
    f.write_text("x", encoding="utf-8")
    os.utime(f, ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))
    with dg.instance_for_test() as inst:
        _, cur = _tick(inst, inbox, None)
        key1 = _tick(inst, inbox, cur)[0][0].run_key
        # a lost cursor recomputes the same run key, and Dagster dedups run keys
        _, cur = _tick(inst, inbox, None)
        key2 = _tick(inst, inbox, cur)[0][0].run_key
    assert key1 == key2


def test_ui_binds_localhost_by_default() -> None:
    from pipelines.cli import build_parser

    args = build_parser().parse_args(["ui"])
    assert args.host == "127.0.0.1"


def test_dagster_yaml_limits_concurrent_runs() -> None:
    import yaml

    cfg = yaml.safe_load((Path(__file__).resolve().parents[1] / "dagster.yaml").read_text(encoding="utf-8"))
    assert cfg["concurrency"]["runs"]["max_concurrent_runs"] == 1


def test_inbox_sensor_first_start_runs_nothing_when_the_warehouse_holds_the_inbox(tmp_path: Path) -> None:
    """A new `gongkai ui` over an up-to-date warehouse starts no ingest; a change to the inbox still does."""
    from tests.gen_reports import write_reports
    from tests.helpers import ingest_inbox

    inbox = tmp_path / "inbox"
    write_reports(inbox, 2)
    ingest_inbox(inbox, tmp_path / "w.duckdb").close()
    with dg.instance_for_test() as inst:
        runs, cur = _tick(inst, inbox, None)
        assert runs == []
        runs, cur = _tick(inst, inbox, cur)
        assert runs == []  # nothing new: no run on the second tick either
        (inbox / "late.txt").write_text("迟到的文件", encoding="utf-8")
        _, cur = _tick(inst, inbox, cur)
        runs, cur = _tick(inst, inbox, cur)
        assert len(runs) == 1

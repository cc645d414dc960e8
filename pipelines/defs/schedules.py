"""The ingest job and when it runs: nightly, and whenever the inbox settles after a change.

Both are built when the definitions load (not at import), so GONGKAI_NIGHTLY_CRON and
GONGKAI_NIGHTLY_TZ set in the daemon's environment take effect on the next reload.
"""

from __future__ import annotations

import hashlib
import json
import os

import dagster as dg

from pipelines.defs.resources import GongkaiSettings
from pipelines.lib.load.documents import display_name, iter_inbox

DEFAULT_NIGHTLY_CRON = "0 2 * * *"
DEFAULT_NIGHTLY_TZ = "Asia/Shanghai"
SENSOR_INTERVAL_S = 60

ingest_job = dg.define_asset_job("ingest_job", selection=dg.AssetSelection.groups("gongkai"),
                                 description="Websites and inbox to validated warehouse: fetch (the sources "
                                             "registry), scan, parse, load, validate.")


def inbox_asset_keys() -> list[dg.AssetKey]:
    """The job without fetching: what the inbox sensor runs (a file arrived; the websites are the nightly's)."""
    from pipelines.defs.assets import ALL_ASSETS

    return [key for a in ALL_ASSETS for key in a.keys]


def nightly_schedule() -> dg.ScheduleDefinition:
    """02:00 Asia/Shanghai unless GONGKAI_NIGHTLY_CRON / GONGKAI_NIGHTLY_TZ say otherwise."""
    cron = os.environ.get("GONGKAI_NIGHTLY_CRON", "").strip() or DEFAULT_NIGHTLY_CRON
    tz = os.environ.get("GONGKAI_NIGHTLY_TZ", "").strip() or DEFAULT_NIGHTLY_TZ
    try:
        return dg.ScheduleDefinition(job=ingest_job, cron_schedule=cron, execution_timezone=tz, name="nightly_ingest",
                                     description=f"The nightly run ({cron}, {tz}): fetch from the sources registry, then ingest; "
                                                 "set GONGKAI_NIGHTLY_CRON to change it.",
                                     default_status=dg.DefaultScheduleStatus.RUNNING)
    except dg.DagsterInvalidDefinitionError as e:
        raise ValueError(f"GONGKAI_NIGHTLY_CRON={cron!r} / GONGKAI_NIGHTLY_TZ={tz!r}: {e}") from e


def _fingerprint(entries: list[tuple[str, int, int]]) -> str:
    h = hashlib.sha256()
    for rel, size, mtime_ns in sorted(entries):
        h.update(f"{rel}\0{size}\0{mtime_ns}\n".encode())
    return h.hexdigest()[:32]


def inbox_fingerprint(settings: GongkaiSettings) -> str:
    """A cheap fingerprint of the inbox listing: every file's path, size and mtime (contents are not read).

    Uses the scan's own file rules (no dotfiles, no symlinks), so what the sensor sees is what a run ingests.
    """
    entries = []
    inbox = settings.inbox_path
    if inbox.is_dir():
        for p in iter_inbox(inbox):
            try:
                st = p.stat()
            except OSError:
                continue  # vanished between listing and stat: the next tick sees the settled state
            # as the warehouse stores the name: a name that is not UTF-8 (GBK from a Windows zip) must not break this
            entries.append((display_name(str(p.relative_to(inbox))), st.st_size, st.st_mtime_ns))
    return _fingerprint(entries)


def warehouse_fingerprint(settings: GongkaiSettings) -> str | None:
    """The same fingerprint over the files the warehouse's last scan recorded (file_index), or None when the
    warehouse does not exist yet or cannot be read right now (an ingest is writing it)."""
    import duckdb

    path = settings.warehouse_path
    if not path.exists():
        return None
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error:
        return None
    try:
        rows = con.execute("SELECT path, size_bytes, mtime_ns FROM file_index").fetchall()
    except duckdb.Error:
        return None
    finally:
        con.close()
    return _fingerprint([(str(r), int(s), int(m)) for r, s, m in rows])


@dg.sensor(job=ingest_job, minimum_interval_seconds=SENSOR_INTERVAL_S, default_status=dg.DefaultSensorStatus.RUNNING,
           description="Starts ingest_job when files in the inbox are added, changed or removed, once the listing "
                       "has stayed the same for one tick (so a file still being copied is not read half-written).")
def inbox_sensor(context: dg.SensorEvaluationContext, gongkai: GongkaiSettings) -> dg.SensorResult | dg.SkipReason:
    # Cursor: {"seen": fingerprint at the last tick, "fired": fingerprint of the last requested run}.
    state = json.loads(context.cursor) if context.cursor else {}
    fp = inbox_fingerprint(gongkai)
    if "fired" not in state and fp == warehouse_fingerprint(gongkai):
        # First tick of a new UI (or a lost cursor): the warehouse already holds exactly this inbox, so there
        # is nothing to run until the inbox changes.
        return dg.SensorResult(skip_reason=dg.SkipReason(f"the warehouse already holds this inbox ({fp[:12]})"),
                               cursor=json.dumps({"seen": fp, "fired": fp}))
    if fp != state.get("seen"):
        return dg.SensorResult(skip_reason=dg.SkipReason(f"inbox changed ({fp[:12]}); waiting one tick for it to settle"),
                               cursor=json.dumps({"seen": fp, "fired": state.get("fired")}))
    if fp == state.get("fired"):
        return dg.SkipReason(f"inbox unchanged since the last run request ({fp[:12]})")
    # run_key from the fingerprint: the same inbox state never starts two runs, even if the cursor is lost.
    return dg.SensorResult(run_requests=[dg.RunRequest(run_key=f"inbox-{fp}", tags={"gongkai/trigger": "inbox_sensor"},
                                                       asset_selection=inbox_asset_keys())],
                           cursor=json.dumps({"seen": fp, "fired": fp}))


def build_schedules() -> list[dg.ScheduleDefinition]:
    return [nightly_schedule()]


ALL_SENSORS = [inbox_sensor]

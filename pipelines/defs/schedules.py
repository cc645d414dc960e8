"""The ingest job and when it runs."""

from __future__ import annotations

import dagster as dg

ingest_job = dg.define_asset_job("ingest_job", selection=dg.AssetSelection.groups("gongkai"),
                                 description="Inbox to validated warehouse: scan, parse, load, validate.")

nightly_ingest = dg.ScheduleDefinition(job=ingest_job, cron_schedule="0 2 * * *",
                                       execution_timezone="Asia/Shanghai", name="nightly_ingest",
                                       default_status=dg.DefaultScheduleStatus.RUNNING)

ALL_SCHEDULES = [nightly_ingest]
ALL_SENSORS: list = []

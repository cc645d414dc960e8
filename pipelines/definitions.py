"""The Dagster code location: the one entry point for the UI, the daemon and `gongkai ingest`."""

import dagster as dg

from pipelines.defs import assets, checks, resources, schedules


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(
        assets=assets.FETCH_ASSETS + assets.ALL_ASSETS,
        asset_checks=checks.ALL_CHECKS,
        jobs=[schedules.ingest_job],
        schedules=schedules.build_schedules(),  # reads GONGKAI_NIGHTLY_CRON now
        sensors=schedules.ALL_SENSORS,
        resources=resources.default_resources(),
    )


def resolved_ingest_job() -> dg.JobDefinition:
    """The ingest job, resolved, for `dg.execute_job(dg.reconstructable(resolved_ingest_job), ...)`:
    what scripts and tests use to run it on the multiprocess executor outside the UI."""
    return defs().resolve_job_def("ingest_job")

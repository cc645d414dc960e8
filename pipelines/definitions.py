"""The Dagster code location: the one entry point for the UI, the daemon and `gongkai ingest`."""

import dagster as dg

from pipelines.defs import assets, checks, resources, schedules


def _labelled_with_warehouse(asset_defs: list) -> list:
    """Every asset says which warehouse it serves: a UI serves one warehouse (its own Dagster home beside it)."""
    where = str(resources.settings_from_env().warehouse_path)
    return dg.map_asset_specs(lambda spec: spec.merge_attributes(metadata={"gongkai/warehouse": where}), asset_defs)


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(
        assets=_labelled_with_warehouse(assets.FETCH_ASSETS + assets.ALL_ASSETS),
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


def resolved_dask_ingest_job() -> dg.JobDefinition:
    """The same ingest graph on Dagster's dask executor (dagster-dask), for
    `dg.execute_job(dg.reconstructable(resolved_dask_ingest_job), run_config=executors.run_config("dask", ...))`.
    Built on demand: importing dask.distributed costs a second that other runs need not pay."""
    from pipelines.defs.executors import _dask_executor_def

    job = dg.define_asset_job("ingest_job_dask", selection=dg.AssetSelection.groups("gongkai"),
                              executor_def=_dask_executor_def(),
                              description="ingest_job with each step (parse batches side by side) on Dask.")
    return dg.Definitions(assets=assets.ALL_ASSETS, asset_checks=checks.ALL_CHECKS, jobs=[job],
                          resources=resources.default_resources()).resolve_job_def("ingest_job_dask")

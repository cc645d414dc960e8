"""Where a run's steps execute: in this process, in one process per step, or on a Dask cluster.

GONGKAI_EXECUTOR (or `gongkai ingest --executor`): ``in_process`` (the CLI's default), ``multiprocess``
(Dagster's default for the UI and the daemon), ``dask`` (Dagster's own dagster-dask executor).
GONGKAI_DASK_SCHEDULER: the scheduler's address (``tcp://host:8786``); unset, ``dask`` starts a local
cluster of GONGKAI_DASK_WORKERS (default 2) worker processes. Steps that open the warehouse carry a
Dask resource requirement (assets.ON_WAREHOUSE), so on a cluster they run on the worker started with
``--resources warehouse=1`` on the warehouse's machine; parse batches run anywhere.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # this module is read before Dagster is imported (the CLI's no-change path)
    from pipelines.defs.resources import GongkaiSettings

EXECUTORS = ("in_process", "multiprocess", "dask")


def executor_from_env(flag: str | None = None) -> str:
    name = (flag or os.environ.get("GONGKAI_EXECUTOR") or "in_process").strip()
    if name not in EXECUTORS:
        raise ValueError(f"executor {name!r}: choose one of {', '.join(EXECUTORS)} (GONGKAI_EXECUTOR / --executor)")
    return name


def execution_config(executor: str, *, concurrent: int = 2) -> dict:
    """The run config's ``execution`` section for this executor."""
    if executor == "in_process":
        return {"config": {"in_process": {}}}
    if executor == "multiprocess":
        return {"config": {"multiprocess": {"max_concurrent": max(1, concurrent)}}}
    address = os.environ.get("GONGKAI_DASK_SCHEDULER", "").strip()
    if address:
        return {"config": {"cluster": {"existing": {"address": address}}}}
    workers = int(os.environ.get("GONGKAI_DASK_WORKERS", "2"))
    return {"config": {"cluster": {"local": {"n_workers": workers, "threads_per_worker": 1, "processes": True,
                                             "resources": {"warehouse": 1}, "dashboard_address": None}}}}


def run_config(executor: str, settings: GongkaiSettings, *, concurrent: int = 2) -> dict:
    """Execution plus the settings as resource config: a step on another machine gets the paths and the
    staging URL from the run, not from that machine's environment."""
    return {"execution": execution_config(executor, concurrent=concurrent),
            "resources": {"gongkai": {"config": {**settings.model_dump(), "inbox": str(settings.inbox_path),
                                                 "warehouse": str(settings.warehouse_path),
                                                 "staging_url": settings.staging_location}}},
            "loggers": {"console": {"config": {"log_level": "INFO"}}}}


def _dask_executor_def():
    """Dagster's dask executor (dagster-dask), stepping through the plan as Dagster's own executors do.

    dagster-dask 0.29 submits only the steps known when the run starts: the mapped steps of a DynamicOut
    (our parse batches) and everything after them never run, and the run still reports success. Here the
    same DaskExecutor, config and worker function (`query_on_dask_worker`) are driven by Dagster's
    ActiveExecution, which learns the mapped steps from the planning step's outputs.
    """
    import logging
    import sys
    import time
    import uuid

    import dask
    import dask.distributed
    from dagster import executor, multiple_process_executor_requirements
    from dagster._core.execution.plan.active import ActiveExecution
    from dagster._utils.error import serializable_error_info_from_exc_info
    from dagster_dask.executor import (
        DaskExecutor,
        dask_executor,
        get_dask_resource_requirements,
        query_on_dask_worker,
    )

    # Parse steps start their own worker processes (each document under a time limit), and a daemonic
    # process may not have children: the workers of a local cluster must not be daemons.
    dask.config.set({"distributed.worker.daemon": False})
    logging.getLogger("distributed.sizeof").setLevel(logging.ERROR)  # Dagster's events have no size estimate

    class DynamicDaskExecutor(DaskExecutor):
        def _cluster(self):
            if self.cluster_type == "existing":
                return self.cluster_configuration["address"]
            if self.cluster_type == "local":
                from dask.distributed import LocalCluster

                return LocalCluster(**self.build_dict("gongkai"))
            raise ValueError(f"Dask cluster {self.cluster_type!r}: start it yourself (dask-kubernetes, dask-jobqueue, "
                             "...) and give its scheduler address (GONGKAI_DASK_SCHEDULER / cluster.existing)")

        def execute(self, plan_context, execution_plan):
            if not plan_context.instance.is_persistent:
                raise ValueError("Dask execution requires a persistent DagsterInstance (set DAGSTER_HOME)")
            instance_ref = plan_context.instance.get_ref()
            recon_job = plan_context.reconstructable_job
            with dask.distributed.Client(self._cluster()) as client, \
                    ActiveExecution(execution_plan, retry_mode=self.retries) as active:
                running: dict = {}
                while True:
                    # Asked before is_complete: a finished planning step's mapped steps appear only here.
                    for step in active.get_steps_to_execute():
                        future = client.submit(
                            query_on_dask_worker, [], recon_job, plan_context.dagster_run, plan_context.run_config,
                            [step.key], instance_ref, active.get_known_state(),
                            key=f"{plan_context.job_name}.{step.key}.{uuid.uuid4().hex[:8]}", pure=False,
                            resources=get_dask_resource_requirements(step.tags))
                        running[future] = step.key
                    yield from active.plan_events_iterator(plan_context)  # skipped steps, e.g. no batch at all
                    if not running:
                        if active.is_complete:
                            break
                        time.sleep(0.01)
                        continue
                    done, _ = dask.distributed.wait(list(running), return_when="FIRST_COMPLETED")
                    for future in done:
                        key = running.pop(future)
                        try:
                            events = future.result()
                        except Exception:  # noqa: BLE001 - the worker died or the task failed: a step failure
                            step_context = plan_context.for_step(active.get_step_by_key(key))
                            events = [self.log_failure_or_retry_event_after_error(
                                step_context, serializable_error_info_from_exc_info(sys.exc_info()),
                                active.get_known_state())]
                        for event in events:
                            yield event
                            active.handle_event(event)
                        active.verify_complete(plan_context, key)

    @executor(name="dask", config_schema=dask_executor.config_schema,
              requirements=multiple_process_executor_requirements())
    def dynamic_dask_executor(init_context):
        ((cluster_type, cluster_configuration),) = init_context.executor_config["cluster"].items()
        return DynamicDaskExecutor(cluster_type, cluster_configuration)

    return dynamic_dask_executor

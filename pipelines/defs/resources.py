"""The single configuration point: where the inbox and the warehouse are, how many parse workers."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

from pipelines.lib.load.connection import DEFAULT_INBOX, DEFAULT_WAREHOUSE, resolve_paths

DEFAULT_SOURCES = "data/sources.yaml"


class GongkaiSettings(dg.ConfigurableResource):
    inbox: str = DEFAULT_INBOX
    warehouse: str = DEFAULT_WAREHOUSE
    parse_workers: int = 1
    parse_batch_size: int = 2000  # documents per parse step: coarse, so a backfill is tens of steps, not 10^5
    max_file_mb: int = 50
    sources: str = DEFAULT_SOURCES  # the websites the nightly fetch visits (gongkai fetch --sources)
    fetch_delay: float = 1.0  # seconds between two requests to the same host
    # Where parse results are staged: a local or shared path, or s3://... (fsspec); empty = beside the
    # warehouse (<warehouse>.gongkai/staging). Parse steps on other machines write where the loader reads.
    staging_url: str = ""
    # In-process runs (the CLI): the parse step imports what the later steps need while its workers
    # parse (pipelines/lib/preload.py). Off where each step has its own process: there it would be waste.
    preload_downstream: bool = False

    @property
    def inbox_path(self) -> Path:
        return Path(self.inbox).resolve()

    @property
    def warehouse_path(self) -> Path:
        return Path(self.warehouse).resolve()

    @property
    def sources_path(self) -> Path:
        return Path(self.sources).resolve()

    @property
    def staging_location(self) -> str:
        from pipelines.lib.read.fanout import staging_url

        return staging_url(self.warehouse_path, self.staging_url or None)


def settings_from_env(inbox: str | None = None, warehouse: str | None = None) -> GongkaiSettings:
    """Flags override environment variables, which override the defaults (contract.md)."""
    inbox_path, warehouse_path = resolve_paths(inbox, warehouse)
    return GongkaiSettings(
        inbox=str(inbox_path), warehouse=str(warehouse_path),
        parse_workers=int(os.environ.get("GONGKAI_PARSE_WORKERS", "1")),
        parse_batch_size=int(os.environ.get("GONGKAI_PARSE_BATCH", "2000")),
        max_file_mb=int(os.environ.get("GONGKAI_MAX_FILE_MB", "50")),
        sources=os.environ.get("GONGKAI_SOURCES") or DEFAULT_SOURCES,
        fetch_delay=float(os.environ.get("GONGKAI_FETCH_DELAY", "1")),
        staging_url=os.environ.get("GONGKAI_STAGING_URL", ""),
    )


def with_changes(settings: GongkaiSettings, **changes) -> GongkaiSettings:
    """The settings with some fields changed, as a new resource. Not ``model_copy(update=...)``: that
    changes the Python object but not the configuration Dagster builds the resource from, so the run
    would see the old values (``gongkai ingest --workers 2`` ran with one worker)."""
    return GongkaiSettings(**{**settings.model_dump(), **changes})


def default_resources() -> dict:
    return {"gongkai": settings_from_env()}

"""Dagster glue: thin assets, checks, schedules and sensors over pipelines.lib."""

"""Polars frames as Dagster metadata tables (shown as tables on the asset in the UI)."""

from __future__ import annotations

import dagster as dg
import polars as pl

ROW_LIMIT = 200  # a metadata table is for reading, not for export: the full relation is in the warehouse


def _column_type(dtype: pl.DataType) -> str:
    if dtype.is_integer():
        return "int"
    if dtype.is_float():
        return "float"
    if dtype == pl.Boolean:
        return "bool"
    return "string"


def _plain(v):
    if v is None or isinstance(v, bool | int | float | str):
        return v
    return str(v)


def table(df: pl.DataFrame, limit: int = ROW_LIMIT) -> dg.TableMetadataValue:
    schema = dg.TableSchema(columns=[dg.TableColumn(name, _column_type(dtype)) for name, dtype in df.schema.items()])
    records = [dg.TableRecord({k: _plain(v) for k, v in row.items()}) for row in df.head(limit).iter_rows(named=True)]
    return dg.MetadataValue.table(records=records, schema=schema)

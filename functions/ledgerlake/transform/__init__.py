"""The transform: compact new raw objects, run the dbt project, publish the marts.

    from ledgerlake.transform import build
    result = build()                       # incremental: only new raw objects are read
    result = build(full_refresh=True)      # rebuild every model from the compacted lake
    result = build(recompact=True)         # ...and re-read all of raw first (recovery)
    result = build(select=["marts.ledger"])

Outputs: the DuckDB warehouse at `$LEDGERLAKE_HOME/warehouse.duckdb` (the dashboard and
`ledgerlake sql` read it) and every mart as Parquet at
`s3://{marts_bucket}/marts/{model}/{model}.parquet` (analysts' and Athena's copy).
"""

from __future__ import annotations

from .runner import BuildResult, build, project_dir, warehouse_path

__all__ = ["BuildResult", "build", "project_dir", "warehouse_path"]

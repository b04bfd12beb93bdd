"""The dbt project on Apache Spark (dbt-spark, session mode): the distributed-engine path.

`build_spark()` runs `dbt build --target spark` in this process: dbt-spark starts one
local SparkSession from the profile (profiles.yml `spark`: local[2], in-memory catalog,
session zone UTC, no UI) and every model and test runs in it. Tables are plain Parquet
under `warehouse_dir` (<schema>.db/<table>/), the raw lake is read as a table over the
same compacted parts DuckDB reads (macros/lake.sql). The DuckDB build stays the default;
this path is what EMR Serverless runs (docs/deploy.md, "Engines") and what
tests/transforms/test_spark_parity.py proves gives the same marts.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from ..config import Settings
from .runner import _NodeProgress, compacted_mirror, run_dbt


def mirror_fx_rates(settings: Settings, local_dir: Path) -> Path | None:
    """Copy s3://{raw}/reference/fx_rates/*.csv to `local_dir`; None when there is none
    (DuckDB globs S3 itself; local Spark has no S3 connector)."""
    from ..lake import Lake

    lake = Lake(settings)
    keys = [o["Key"] for page in lake.s3.get_paginator("list_objects_v2").paginate(
        Bucket=lake.bucket, Prefix="reference/fx_rates/") for o in page.get("Contents", [])
        if o["Key"].endswith(".csv")]
    if not keys:
        return None
    local_dir.mkdir(parents=True, exist_ok=True)
    for key in keys:
        (local_dir / key.rsplit("/", 1)[-1]).write_bytes(lake.s3.get_object(Bucket=lake.bucket, Key=key)["Body"].read())
    return local_dir


def build_spark(
    warehouse_dir: Path,
    args: list[str] | None = None,
    settings: Settings | None = None,
    compacted_dir: Path | None = None,
    stream=sys.stderr,
) -> tuple[bool, _NodeProgress]:
    """`dbt <args>` (default: build without unit tests) on local Spark over the compacted
    mirror (default: the DuckDB build's, `compacted_mirror()`). The session is stopped after."""
    settings = settings or Settings.from_env()
    warehouse_dir = Path(warehouse_dir).resolve()
    fx_root = mirror_fx_rates(settings, warehouse_dir.parent / (warehouse_dir.name + "-fx_rates"))
    env = {
        "LEDGERLAKE_DBT_TARGET": "spark",
        "LEDGERLAKE_SPARK_WAREHOUSE": str(warehouse_dir),
        "LEDGERLAKE_FX_RATES_ROOT": str(fx_root) if fx_root else "",
        "LEDGERLAKE_COMPACTED_DIR": str(Path(compacted_dir or compacted_mirror()).resolve()),
    }
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        return run_dbt(args or ["build", "--exclude-resource-type", "unit_test"], settings,
                       warehouse_dir / "unused.duckdb", stream=stream)
    finally:
        _stop_session()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _stop_session() -> None:
    try:
        from pyspark.sql import SparkSession
    except ImportError:  # pyspark is a dev dependency: not in the Lambda image
        return
    session = SparkSession.getActiveSession()
    if session is not None:
        session.stop()


def mart_tables(warehouse_dir: Path) -> dict[str, Path]:
    """The marts Spark wrote: {model: its Parquet directory} (readable without Spark)."""
    root = Path(warehouse_dir) / "marts.db"
    return {p.name: p for p in sorted(root.iterdir()) if p.is_dir()} if root.exists() else {}

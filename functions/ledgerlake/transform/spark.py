"""The dbt project on Apache Spark (dbt-spark, session mode): the distributed-engine path.

`build_spark()` runs `dbt build --target spark` in this process: dbt-spark starts one
SparkSession from the profile (profiles.yml `spark`: local[2], in-memory catalog, session
zone UTC, no UI) unless one is already running, and every model and test runs in it.
Tables are plain Parquet under the warehouse directory (<schema>.db/<table>/); the raw lake
is read as a table over the same compacted parts DuckDB reads (macros/lake.sql).

DuckDB in the transform Lambda stays the default. This path is what EMR Serverless runs
(`main()`, template.yaml TransformEngine=emr-serverless, docs/deploy.md "Engines") and what
tests/transforms/test_spark_parity.py proves gives the same marts.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from ..config import Settings
from .runner import _NodeProgress, compacted_mirror, run_dbt

# Data tests (keys, integrity, tie-outs) run on Spark too; unit tests check the models'
# logic on fixed inputs and run on the DuckDB build.
BUILD_ARGS = ["build", "--exclude-resource-type", "unit_test"]


def mirror_reference(settings: Settings, folder: str, local_dir: Path) -> Path | None:
    """Copy s3://{raw}/reference/<folder>/*.csv (the FX override, imported budgets) to
    `local_dir`; None when there is none (DuckDB globs S3 itself; a local Spark has no S3
    connector)."""
    from ..lake import Lake

    lake = Lake(settings)
    pages = lake.s3.get_paginator("list_objects_v2").paginate(Bucket=lake.bucket, Prefix=f"reference/{folder}/")
    keys = [o["Key"] for page in pages for o in page.get("Contents", []) if o["Key"].endswith(".csv")]
    if not keys:
        return None
    local_dir.mkdir(parents=True, exist_ok=True)
    for key in keys:
        body = lake.s3.get_object(Bucket=lake.bucket, Key=key)["Body"].read()
        (local_dir / key.rsplit("/", 1)[-1]).write_bytes(body)
    return local_dir


def build_spark(
    warehouse: Path | str,
    args: list[str] | None = None,
    settings: Settings | None = None,
    compacted_root: str | None = None,
    fx_rates_root: str | None = None,
    budgets_root: str | None = None,
    threads: int = 1,
    stream=sys.stderr,
) -> tuple[bool, _NodeProgress]:
    """`dbt <args>` (default BUILD_ARGS) on Spark, tables under `warehouse` (a local
    directory, emptied first, or an s3:// URI on EMR). Reads the compacted lake at
    `compacted_root` (default: the DuckDB build's local mirror), the FX override files at
    `fx_rates_root` and the imported budgets at `budgets_root` (default: a local copy of
    each, when the lake has any). A session this
    function started is stopped after. `threads` dbt nodes run at once in the one session
    (2 overlaps dbt's own per-node work with Spark's on a 2-core machine)."""
    settings = settings or Settings.from_env()
    warehouse = str(warehouse)
    local = "://" not in warehouse
    if local:
        directory = Path(warehouse).resolve()
        # A local session's catalog lives in memory: every build starts from an empty
        # warehouse, or Spark would refuse to create a table over an old table's files.
        shutil.rmtree(directory, ignore_errors=True)
        warehouse = str(directory)
        if fx_rates_root is None:
            copied = mirror_reference(settings, "fx_rates", directory.parent / (directory.name + "-fx_rates"))
            fx_rates_root = str(copied) if copied else ""
        if budgets_root is None:
            copied = mirror_reference(settings, "budgets", directory.parent / (directory.name + "-budgets"))
            budgets_root = str(copied) if copied else ""
    env = {
        "LEDGERLAKE_DBT_TARGET": "spark",
        "LEDGERLAKE_DBT_THREADS": str(threads),
        "LEDGERLAKE_SPARK_WAREHOUSE": warehouse,
        "LEDGERLAKE_FX_RATES_ROOT": fx_rates_root or "",
        "LEDGERLAKE_BUDGETS_ROOT": budgets_root or "",
        "LEDGERLAKE_COMPACTED_ROOT": compacted_root or str(compacted_mirror()),
        # a local warehouse is a small company on one machine: Spark tuned for per-statement
        # cost, not volume (profiles.yml); a remote one (EMR) keeps Spark's defaults
        "LEDGERLAKE_SPARK_SMALL_DATA": os.environ.get("LEDGERLAKE_SPARK_SMALL_DATA", "true" if local else "false"),
    }
    started_here = _active_session() is None
    try:
        return run_dbt(args or BUILD_ARGS, settings, Path(os.devnull), stream=stream, extra_env=env)
    finally:
        if started_here and _active_session() is not None:
            _active_session().stop()


def _active_session():
    try:
        from pyspark.sql import SparkSession
    except ImportError:  # pyspark is a dev dependency: not in the Lambda image
        return None
    return SparkSession.getActiveSession()


def mart_tables(warehouse_dir: Path) -> dict[str, Path]:
    """The marts a local Spark build wrote: {model: its Parquet directory}."""
    root = Path(warehouse_dir) / "marts.db"
    return {p.name: p for p in sorted(root.iterdir()) if p.is_dir()} if root.exists() else {}


def main() -> int:
    """EMR Serverless entry point (deploy/emr-serverless/Dockerfile): compact the new raw objects,
    then `dbt build` on the job's own Spark session (Glue Data Catalog as the metastore,
    set by the job's spark-submit parameters in template.yaml), reading
    s3://{raw}/compacted/ and writing the tables under LEDGERLAKE_SPARK_WAREHOUSE."""
    from pyspark.sql import SparkSession

    from .compact import compact

    # The job's session first: dbt-spark's builder then returns it (its local[2]
    # profile parameters do not apply to a running session).
    SparkSession.builder.enableHiveSupport().getOrCreate()
    settings = Settings.from_env()
    compact(settings=settings, local_dir=compacted_mirror())
    ok, progress = build_spark(
        os.environ["LEDGERLAKE_SPARK_WAREHOUSE"],
        settings=settings,
        compacted_root=f"s3://{settings.raw_bucket}/compacted",
        fx_rates_root=f"s3://{settings.raw_bucket}/reference/fx_rates/",
        budgets_root=f"s3://{settings.raw_bucket}/reference/budgets/",
    )
    for failure in progress.failures:
        print(failure, file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

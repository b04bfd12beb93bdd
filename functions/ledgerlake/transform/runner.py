"""Run the dbt project in-process (dbtRunner), with a progress line per model and test."""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from .. import config
from ..config import Settings
from .freshness import TABLE as FRESHNESS_TABLE

log = logging.getLogger(__name__)

MART_SCHEMA = "marts"
# Tables outside the marts schema that the dashboard reads (its entity list, the daily FX
# rates it converts with, payment allocations for aging as of any date). Published beside
# the marts as marts/<schema>/<table>/<table>.parquet, so a dashboard with no warehouse
# file (on AWS) reads exactly what a local one reads: ledgerlake.dashboard_data.
SUPPORT_TABLES = (
    "seeds.legal_entities",
    "intermediate.int_fx_rates_daily",
    "intermediate.int_allocations",
    "intermediate.int_mrr_customer_month",  # the MRR card's documents (Overview)
    "intermediate.int_consolidation_lines",  # the Consolidation page's eliminations
    "seeds.intercompany_accounts",  # the forecaster's internal transfers (forecast.marts)
    FRESHNESS_TABLE,  # `dbt source freshness` of the raw lake (Integration health; transform.freshness)
)


def project_dir() -> Path:
    """The dbt project: `transforms/` in a checkout, or LEDGERLAKE_DBT_PROJECT_DIR (the image)."""
    explicit = os.environ.get("LEDGERLAKE_DBT_PROJECT_DIR")
    if explicit:
        return Path(explicit)
    return Path(__file__).resolve().parents[3] / "transforms"


def warehouse_path() -> Path:
    return config.home() / "warehouse.duckdb"


def compacted_mirror() -> Path:
    """The local copy of s3://{raw}/compacted/ that dbt reads (see transform.compact);
    LEDGERLAKE_COMPACTED_DIR points dbt elsewhere (the transforms benchmark's replicas)."""
    explicit = os.environ.get("LEDGERLAKE_COMPACTED_DIR")
    return Path(explicit) if explicit else config.home() / "compacted"


@dataclass
class BuildResult:
    success: bool
    warehouse: Path
    seconds: float
    compaction_seconds: float = 0.0
    dbt_seconds: float = 0.0
    export_seconds: float = 0.0
    new_raw_objects: int = 0
    total_raw_objects: int = 0
    models: int = 0
    tests: int = 0
    failures: list[str] = field(default_factory=list)
    exported: list[str] = field(default_factory=list)
    skipped: bool = False  # nothing changed since the last successful build: dbt not run


class _NodeProgress:
    """dbt event callback: one line per finished node, `[n] model marts.x ... ok (0.3s)`."""

    def __init__(self, stream):
        self.stream = stream
        self.done = 0
        self.models = 0
        self.tests = 0
        self.failures: list[str] = []

    def __call__(self, event) -> None:
        if event.info.name != "NodeFinished":
            return
        info = event.data.node_info
        result = event.data.run_result
        status = getattr(result, "status", "") or getattr(info, "node_status", "")
        kind = getattr(info, "resource_type", "") or info.unique_id.split(".")[0]
        self.done += 1
        if kind in ("model", "seed", "snapshot"):
            self.models += 1
        elif kind in ("test", "unit_test"):
            self.tests += 1
        if status in ("error", "fail", "runtime error"):
            self.failures.append(f"{info.unique_id}: {getattr(result, 'message', '')}")
        if self.stream is not None:
            seconds = getattr(result, "execution_time", 0.0) or 0.0
            print(
                f"  [{self.done:>4}] {kind:<9} {info.node_name:<52} {status} ({seconds:.1f}s)",
                file=self.stream,
                flush=True,
            )


def dbt_env(settings: Settings, warehouse: Path) -> dict[str, str]:
    """The environment the profile and dbt_project.yml read (one set of settings for all)."""
    scratch = Path(os.environ.get("LEDGERLAKE_DBT_SCRATCH", config.home() / "dbt"))
    return {
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DO_NOT_TRACK": "1",
        "LEDGERLAKE_WAREHOUSE": str(warehouse),
        "LEDGERLAKE_RAW_BUCKET": settings.raw_bucket,
        "LEDGERLAKE_MARTS_BUCKET": settings.marts_bucket,
        "LEDGERLAKE_REPORTING_CURRENCY": settings.reporting_currency,
        "LEDGERLAKE_FISCAL_YEAR_START_MONTH": str(settings.fiscal_year_start_month),
        # which FX currencies / days staging keeps from the ECB feed (docs/polling.md); here so
        # that changing them changes the build's fingerprint
        "LEDGERLAKE_FX_CURRENCIES": os.environ.get("LEDGERLAKE_FX_CURRENCIES", ""),
        "LEDGERLAKE_FX_FROM": os.environ.get("LEDGERLAKE_FX_FROM", ""),
        # staging reads the compacted Parquet from the local mirror (one file read per part
        # instead of S3 listings and range GETs per model)
        "LEDGERLAKE_COMPACTED_ROOT": str(compacted_mirror()),
        # The project dir is read-only in the Lambda image: artifacts and logs go elsewhere.
        "DBT_TARGET_PATH": str(scratch / "target"),
        "DBT_LOG_PATH": str(scratch / "logs"),
    }


def run_dbt(
    args: list[str], settings: Settings, warehouse: Path, stream=sys.stderr, extra_env: dict[str, str] | None = None
) -> tuple[bool, _NodeProgress]:
    # dbt reads these from os.environ; set them for this run only and put the caller's
    # back after, or the process (and every child it starts: `ledgerlake demo`'s dashboard)
    # would keep pointing LEDGERLAKE_WAREHOUSE at the half-built copy. `extra_env`: another
    # engine's settings (transform.spark).
    env = {**dbt_env(settings, warehouse), **(extra_env or {})}
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        return _invoke_dbt(args, stream)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _invoke_dbt(args: list[str], stream) -> tuple[bool, _NodeProgress]:
    from dbt.cli.main import dbtRunner

    progress = _NodeProgress(stream)
    runner = dbtRunner(callbacks=[progress])
    project = str(project_dir())
    full = [*args, "--project-dir", project, "--profiles-dir", project, "--quiet"]
    try:
        result = runner.invoke(full)
    finally:
        # dbt keeps the DuckDB connection in-process; close it so the warehouse file is
        # checkpointed (no pending WAL) before it is swapped in and read by others.
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
        from dbt.adapters.factory import reset_adapters

        reset_adapters()
        with DuckDBConnectionManager._LOCK:
            if DuckDBConnectionManager._ENV is not None:
                DuckDBConnectionManager._ENV.close()
                DuckDBConnectionManager._ENV = None
    if result.exception is not None:
        progress.failures.append(f"dbt error: {result.exception}")
    return bool(result.success), progress


def _check_freshness(settings: Settings, warehouse: Path, stream) -> bool:
    """`dbt source freshness` into the warehouse (transform.freshness). A check that cannot
    run is logged and the build kept: it says how old the lake is, it builds nothing."""
    from ..progress import step
    from .freshness import check

    if stream is not None:
        step("dbt source freshness")
    try:
        check(settings, warehouse)
        return True
    except Exception:
        log.exception("dbt source freshness did not run")
        return False


def export_marts(warehouse: Path, settings: Settings, only: tuple[str, ...] | None = None) -> list[str]:
    """Every table in the marts schema → s3://{marts}/marts/{model}/{model}.parquet, and the
    SUPPORT_TABLES that exist → s3://{marts}/marts/{schema}/{table}/{table}.parquet. Returns
    the marts' names (the support tables are not marts). `only`: just these support tables."""
    from ..lake import duckdb_connect

    conn = duckdb_connect(str(warehouse), read_only=True, settings=settings)
    try:
        present = {
            f"{s}.{t}"
            for s, t in conn.execute("select table_schema, table_name from information_schema.tables").fetchall()
        }
        names = [] if only else sorted(t.split(".", 1)[1] for t in present if t.startswith(MART_SCHEMA + "."))
        support = [t for t in (only or SUPPORT_TABLES) if t in present]

        def publish(table: str) -> None:
            schema, name = table.split(".", 1)
            folder = name if schema == MART_SCHEMA else f"{schema}/{name}"
            url = f"s3://{settings.marts_bucket}/marts/{folder}/{name}.parquet"
            cursor = conn.cursor()  # one cursor per thread: uploads overlap, CPU work does not wait on them
            try:
                columns = cursor.execute(
                    "select column_name, data_type from information_schema.columns "
                    "where table_schema = ? and table_name = ? order by ordinal_position",
                    [schema, name],
                ).fetchall()
                cursor.execute(
                    f'copy (select {_parquet_columns(columns)} from {schema}."{name}") '
                    f"to '{url}' (format parquet, compression zstd)"
                )
            finally:
                cursor.close()

        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(4) as pool:
            list(pool.map(publish, [f"{MART_SCHEMA}.{n}" for n in names] + support))
        return names
    finally:
        conn.close()


def _parquet_columns(columns: list[tuple[str, str]]) -> str:
    """The select list that publishes a table to Parquet with the types it has in the
    warehouse. Parquet has no 128-bit integer: DuckDB writes a HUGEINT (what sum() of
    integers gives) as a DOUBLE, so a count would come back from S3 as a float; as
    DECIMAL(38,0) it comes back exactly as the warehouse's readers see it."""
    out = []
    for column, data_type in columns:
        quoted = '"' + column.replace('"', '""') + '"'
        out.append(f"cast({quoted} as decimal(38,0)) as {quoted}" if data_type in ("HUGEINT", "UHUGEINT") else quoted)
    return ", ".join(out)


def project_fingerprint() -> str:
    """The dbt project's files (models, macros, seeds, tests): what unit tests depend on."""
    import hashlib

    digest = hashlib.sha256()
    project = project_dir()
    for path in sorted(project.rglob("*")):
        if path.is_file() and not {"target", "logs", "dbt_packages"} & set(path.relative_to(project).parts):
            digest.update(str(path.relative_to(project)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def inputs_fingerprint(settings: Settings, project: str) -> str:
    """What a build's result depends on: the compacted parts (immutable, so their names say
    what raw they hold), the FX reference file's ETag, the imported budgets' ETags, the
    quarantine releases' ETag, the
    dbt project's files, the settings."""
    import hashlib

    from ..lake import Lake

    digest = hashlib.sha256()
    mirror = compacted_mirror()
    for path in sorted(mirror.rglob("*.parquet")) if mirror.exists() else []:
        digest.update(str(path.relative_to(mirror)).encode())
    lake = Lake(settings)
    try:
        head = lake.s3.head_object(Bucket=lake.bucket, Key="reference/fx_rates/fx_rates.csv")
        digest.update(head.get("ETag", "").encode())
    except Exception:  # noqa: BLE001 - no reference file yet: the build says so itself
        digest.update(b"no-fx")
    # an imported budget (ledgerlake budgets import) is an input like the FX file
    from botocore.exceptions import ClientError

    from ..budgets import published

    try:
        for item in published(lake):
            digest.update(f"{item['key']}:{item['etag']}".encode())
    except ClientError:  # no bucket yet: no budgets
        digest.update(b"no-budgets")
    # an operator's quarantine release asks the next build to take the record again, even
    # when the fix lives outside raw (a seed row, the FX file): ledgerlake.quarantine
    from botocore.exceptions import ClientError

    from ..quarantine import RELEASES_KEY

    try:
        head = lake.s3.head_object(Bucket=lake.bucket, Key=RELEASES_KEY)
        digest.update(head.get("ETag", "").encode())
    except ClientError:  # no release yet
        digest.update(b"no-releases")
    digest.update(project.encode())  # project_fingerprint(), computed once per build
    digest.update(json.dumps(dbt_env(settings, warehouse_path()), sort_keys=True).encode())
    return digest.hexdigest()


def build(
    full_refresh: bool = False,
    select: list[str] | None = None,
    settings: Settings | None = None,
    stream=sys.stderr,
    export: bool = True,
    recompact: bool = False,
) -> BuildResult:
    """Compact new raw objects, `dbt build` (seeds, models, unit and data tests), publish marts.

    `full_refresh` rebuilds every model from scratch (from the compacted lake, which always
    holds every raw object: new ones are compacted first). `recompact` also throws the
    compacted Parquet away and re-reads every raw object: the recovery path if `compacted/`
    is ever lost or suspect, and the slow one (one GET per raw object).

    The warehouse is built in a copy and swapped in atomically, so readers (the dashboard)
    never see a half-built file. `stream=None` silences the per-node progress lines.
    """
    from ..progress import Progress, step
    from .compact import compact

    settings = settings or Settings.from_env()
    full_refresh = full_refresh or recompact
    started = time.monotonic()
    target = warehouse_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    building = target.with_name(target.stem + ".building.duckdb")
    result = BuildResult(success=False, warehouse=target, seconds=0.0)

    if stream is not None:
        step("compacting new raw objects to Parquet")
    with Progress("raw objects compacted", stream=stream or open(os.devnull, "w")) as bar:
        comp = compact(full_refresh=recompact, settings=settings, progress=bar, local_dir=compacted_mirror())
    result.compaction_seconds = comp.seconds
    result.new_raw_objects = comp.new_objects
    result.total_raw_objects = comp.total_objects

    # Nothing new since the last successful build (same compacted parts, FX file, project
    # and settings): the warehouse and the published marts are already what dbt would make.
    state_file = target.with_name("build-state.json")
    project = project_fingerprint()
    fingerprint = inputs_fingerprint(settings, project)
    last = json.loads(state_file.read_text()) if state_file.exists() else {}
    if not full_refresh and not select and target.exists():
        if last.get("fingerprint") == fingerprint:
            result.success = result.skipped = True
            if stream is not None:
                step("nothing changed since the last build: dbt skipped")
            # nothing new landed, but time passed: that is what freshness is about
            if _check_freshness(settings, target, stream) and export:
                export_marts(target, settings, only=(FRESHNESS_TABLE,))
            result.seconds = time.monotonic() - started
            return result
    state_file.unlink(missing_ok=True)

    if building.exists():
        building.unlink()
    if target.exists() and not full_refresh:
        shutil.copyfile(target, building)

    if stream is not None:
        step("dbt build" + (" --full-refresh" if full_refresh else ""))
    t0 = time.monotonic()
    args = ["build"]
    if full_refresh:
        args.append("--full-refresh")
    if select:
        args += ["--select", *select]
    # Unit tests check the models' logic on fixed inputs, so new data cannot change their
    # outcome: they run on full refreshes and whenever the project changed since the last
    # good build. Data tests (keys, integrity, tie-outs) run on every build.
    if not full_refresh and target.exists() and last.get("project") == project:
        args += ["--exclude-resource-type", "unit_test"]
    ok, progress = run_dbt(args, settings, building, stream=stream)
    result.dbt_seconds = time.monotonic() - t0
    result.models, result.tests, result.failures = progress.models, progress.tests, progress.failures
    result.success = ok
    if not ok:
        result.seconds = time.monotonic() - started
        return result

    _check_freshness(settings, building, stream)
    os.replace(building, target)
    if export:
        if stream is not None:
            step("publishing marts as Parquet to s3://" + settings.marts_bucket + "/marts/")
        t0 = time.monotonic()
        result.exported = export_marts(target, settings)
        result.export_seconds = time.monotonic() - t0
    if not select and export:
        state_file.write_text(json.dumps({"fingerprint": fingerprint, "project": project}))
    result.seconds = time.monotonic() - started
    return result

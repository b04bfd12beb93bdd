"""Analyst SQL: one DuckDB connection with the marts attached and the lake readable.

Shared by `ledgerlake sql` (shell and one-shot), the weekly email and anything else that
reads marts from Python. Two ways to reach the marts, same names either way:

* the warehouse file dbt builds (`$LEDGERLAKE_HOME/warehouse.duckdb`), attached READ_ONLY
  as catalog `warehouse` — the transform swaps in a new file atomically, so a reader never
  sees half a build and never blocks one;
* the published Parquet marts on S3 (`s3://{marts_bucket}/marts/{table}/` for dbt marts,
  `s3://{marts_bucket}/marts/{schema}/{table}/` for e.g. the forecast schema — what the
  transform and forecaster export and Athena reads), as views in the in-memory database —
  what a Lambda without the warehouse file uses.

Either way the current schema is `marts`, so `select * from fct_x`, `marts.fct_x` and
`forecast.alerts` all resolve; the default in-memory catalog stays writable for
`create temp table`.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from .. import config
from ..config import Settings

log = logging.getLogger(__name__)

WAREHOUSE_ALIAS = "warehouse"
DEFAULT_SCHEMA = "marts"
PUBLISHED_PREFIX = "marts"  # s3://{marts_bucket}/marts/...
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class MartsNotFound(RuntimeError):
    """Neither a warehouse file nor published marts could be found."""


def warehouse_path() -> Path:
    """`LEDGERLAKE_WAREHOUSE`, else where the transform leaves it: `$LEDGERLAKE_HOME/warehouse.duckdb`."""
    import os

    explicit = os.environ.get("LEDGERLAKE_WAREHOUSE")
    return Path(explicit).resolve() if explicit else config.home() / "warehouse.duckdb"


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def connect(
    warehouse: Path | str | None = None,
    *,
    source: str = "auto",
    lake: bool = True,
    settings: Settings | None = None,
):
    """An in-memory DuckDB connection with the marts attached.

    source: "warehouse" (the file), "s3" (the published Parquet marts) or "auto" (the file
    when it exists, else S3). lake=False skips httpfs + the S3 secret (pure-file use).
    """
    import duckdb

    settings = settings or Settings.from_env()
    path = Path(warehouse) if warehouse else warehouse_path()
    if source == "auto":
        source = "warehouse" if path.exists() else "s3"
    conn = duckdb.connect(":memory:")
    if lake or source == "s3":
        from ..lake import configure_duckdb

        try:
            configure_duckdb(conn, settings)
        except Exception as err:
            if source == "s3":
                raise MartsNotFound(f"cannot set up S3 access for the published marts: {err}") from err
            # The marts are in the file; an unreachable lake only costs the raw-lake reads.
            log.warning("the raw lake is not readable in this session (%s)", str(err).splitlines()[0])
    if source == "warehouse":
        if not path.exists():
            raise MartsNotFound(f"no warehouse at {path}: run `ledgerlake run` (or the transform) first")
        conn.execute(f"ATTACH {_quote(str(path))} AS {WAREHOUSE_ALIAS} (READ_ONLY)")
        catalog = WAREHOUSE_ALIAS
    elif source == "s3":
        attach_published_marts(conn, settings)
        catalog = "memory"
    else:
        raise ValueError(f"source must be auto, warehouse or s3, not {source!r}")
    schemas = {
        r[0]
        for r in conn.execute(
            "select schema_name from information_schema.schemata where catalog_name = ?", [catalog]
        ).fetchall()
    }
    conn.execute(f"USE {catalog}.{DEFAULT_SCHEMA if DEFAULT_SCHEMA in schemas else 'main'}")
    return conn


def attach_published_marts(conn, settings: Settings, only: tuple[str, ...] = ()) -> list[str]:
    """Views over the published Parquet marts; returns the schema.table names.

    The layout the transform and the forecaster publish to:
    `s3://{marts_bucket}/marts/{table}/*.parquet` (dbt marts, schema `marts`) and
    `s3://{marts_bucket}/marts/{schema}/{table}/*.parquet` (e.g. `forecast`).
    `only`: just these dbt marts (a role that may read nothing else lists and reads their
    folders alone).
    """
    bucket = settings.marts_bucket
    root = f"s3://{bucket}/{PUBLISHED_PREFIX}/"
    globs = [root + f"{table}/*.parquet" for table in only] or [root + "**/*.parquet"]
    try:
        files = [r[0] for g in globs for r in conn.execute(f"select file from glob({_quote(g)})").fetchall()]
    except Exception as err:
        raise MartsNotFound(f"cannot list {root}: {err}") from err
    tables: dict[tuple[str, str], str] = {}
    for file in files:
        parts = file[len(root) :].split("/")
        if len(parts) == 2:
            schema, table = DEFAULT_SCHEMA, parts[0]
        elif len(parts) == 3:
            schema, table = parts[0], parts[1]
        else:
            continue
        if _IDENT.match(schema) and _IDENT.match(table):
            tables[(schema, table)] = root + "/".join(parts[:-1]) + "/*.parquet"
    if not tables:
        raise MartsNotFound(f"no warehouse file and no Parquet marts under {root}: run the transform first")
    for (schema, table), url in tables.items():
        conn.execute(f'CREATE SCHEMA IF NOT EXISTS memory."{schema}"')
        conn.execute(f'CREATE OR REPLACE VIEW memory."{schema}"."{table}" AS SELECT * FROM read_parquet({_quote(url)})')
    log.debug("attached %d published marts from %s", len(tables), root)
    return [f"{s}.{t}" for s, t in tables]


def list_tables(conn) -> list[tuple[str, str, str]]:
    """(schema, table, kind) for everything an analyst can query, system catalogs excluded."""
    return conn.execute(
        """
        select table_schema, table_name, case table_type when 'VIEW' then 'view' else 'table' end
        from information_schema.tables
        where table_catalog = current_database() or table_catalog = 'temp'
        order by table_schema, table_name
        """
    ).fetchall()

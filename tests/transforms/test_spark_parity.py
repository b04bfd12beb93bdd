"""The same dbt project on Apache Spark gives the same marts as on DuckDB, row for row.

A small simulated company (Northwind, seed 7, 2 months, a tenth of the volume) is landed
through the real paths into a moto S3 lake and built on DuckDB (`ledgerlake.transform.build`,
the Lambda's path); then `ledgerlake.transform.spark.build_spark` runs `dbt build` on a
local Spark (local[2], one session for the whole run) over the same compacted Parquet
parts: every model and every data test (keys, integrity, tie-outs) must pass there too.
Every mart is then compared with DuckDB's: same columns, same rows in any order, money
exactly. A failure names the mart and the columns whose values differ, with examples
(models other branches add are checked the same way at merge).
"""

from __future__ import annotations

import datetime as dt
import math
import os
import time
import uuid
from collections import Counter
from decimal import Decimal
from unittest import mock

import pytest

pytest.importorskip("pyspark")
pytest.importorskip("dbt.adapters.spark")

MONTHS = 2
SCALE = 0.1

# Landing + both builds + the comparison take ~4 minutes on a quiet 2-core machine; the
# session's 600 s per-test limit also counts the module fixture, which a busy machine can
# stretch well past it.
pytestmark = pytest.mark.timeout(2400)


@pytest.fixture(scope="module")
def both_engines(company_s3, tmp_path_factory):
    from ledgerlake.lake import Lake
    from ledgerlake.landing import land_simulation
    from ledgerlake.simulate import generate
    from ledgerlake.transform import build
    from ledgerlake.transform.spark import BUILD_ARGS, build_spark

    work = tmp_path_factory.mktemp("spark-parity")
    suffix = uuid.uuid4().hex[:8]
    env = {
        "LEDGERLAKE_RAW_BUCKET": f"raw-{suffix}",
        "LEDGERLAKE_MARTS_BUCKET": f"marts-{suffix}",
        "LEDGERLAKE_HOME": str(work / "home"),
        "LEDGERLAKE_S3_ENDPOINT": company_s3,
    }
    timings = {}
    # (mock.patch.dict, not tests/conftest.py's company_env: `from conftest import` resolves to
    # whichever conftest module a full run imported first)
    with mock.patch.dict(os.environ, env):
        generate(work / "company", seed=7, months=MONTHS, scale=SCALE)
        lake = Lake()
        lake.ensure_buckets()
        landing = land_simulation(work / "company", lake, workers=8)
        assert not landing.failures, landing.failures
        t0 = time.monotonic()
        duck = build(stream=None, export=False)
        timings["duckdb"] = time.monotonic() - t0
        assert duck.success, duck.failures
        t0 = time.monotonic()
        ok, progress = build_spark(work / "spark-warehouse", BUILD_ARGS, threads=2, stream=None)
        timings["spark"] = time.monotonic() - t0
    print(f"\nbuild times: DuckDB {timings['duckdb']:.0f} s, Spark {timings['spark']:.0f} s")
    return {
        "duckdb": duck.warehouse,
        "spark": work / "spark-warehouse",
        "spark_ok": ok,
        "spark_progress": progress,
    }


def test_every_model_and_data_test_passes_on_spark(both_engines):
    progress = both_engines["spark_progress"]
    # each failure's first lines name the model or test and Spark's error, not its whole plan
    failures = ["\n".join(f.splitlines()[:4]) for f in progress.failures]
    assert both_engines["spark_ok"], "dbt build on Spark failed:\n" + "\n".join(failures)
    assert progress.models > 100 and progress.tests > 100, (
        progress.models,
        progress.tests,
    )


def _norm(value):
    """One spelling per value across the engines' Parquet/DuckDB types: exact decimals,
    UTC instants, floats to 9 significant digits (ratios only: money is DECIMAL)."""
    if isinstance(value, Decimal):
        return value if value.is_nan() else value.normalize()
    if isinstance(value, float):
        return float(f"{value:.9g}") if math.isfinite(value) else value
    if isinstance(value, list | tuple):  # arrays (DuckDB lists, Spark arrays)
        return tuple(_norm(v) for v in value)
    if isinstance(value, dict):  # structs
        return tuple(sorted((k, _norm(v)) for k, v in value.items()))
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


# The inverse of a Xero CurrencyRate (journal.sql, xero_exchange_rate) can differ in its 10th
# decimal between the engines (0.8245810923 on DuckDB, ...922 on Spark): open in #21. The
# amounts converted with it agree to the cent on both, so rate columns are compared to 9 places.
RATE_PLACES = Decimal("0.000000001")


def _rows(con, relation: str) -> tuple[list[str], list[tuple]]:
    cursor = con.execute(f"select * from {relation}")
    columns = [d[0] for d in cursor.description]
    order = sorted(range(len(columns)), key=lambda i: columns[i])

    def cell(row, i):
        value = _norm(row[i])
        if columns[i].endswith("_rate") and isinstance(value, Decimal) and value.is_finite():
            return value.quantize(RATE_PLACES).normalize()
        return value

    return [columns[i] for i in order], [tuple(cell(r, i) for i in order) for r in cursor.fetchall()]


def _differences(mart: str, columns: list[str], duck: list[tuple], spark: list[tuple]) -> str | None:
    """None when the multisets of rows are equal, else which columns differ and how."""
    if Counter(duck) == Counter(spark):
        return None
    lines = [f"{mart}: {len(duck)} rows on DuckDB, {len(spark)} on Spark"]
    for i, column in enumerate(columns):
        on_duck, on_spark = Counter(r[i] for r in duck), Counter(r[i] for r in spark)
        if on_duck != on_spark:
            only_duck = list((on_duck - on_spark).elements())[:3]
            only_spark = list((on_spark - on_duck).elements())[:3]
            lines.append(f"  {mart}.{column}: DuckDB has {only_duck!r} where Spark has {only_spark!r}")
    if len(lines) == 1:  # every column's values agree, their combination in rows does not
        extra = list((Counter(duck) - Counter(spark)).elements())[:2]
        lines.append(f"  rows only on DuckDB (columns {columns}): {extra!r}")
    return "\n".join(lines)


def test_every_mart_is_the_same_on_spark_and_duckdb(both_engines):
    import duckdb

    from ledgerlake.transform.spark import mart_tables

    assert both_engines["spark_ok"], "the Spark build failed (see the test above)"
    con = duckdb.connect(str(both_engines["duckdb"]), read_only=True)
    try:
        marts = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts' order by 1"
            ).fetchall()
        ]
        spark_marts = mart_tables(both_engines["spark"])
        # every mart, bank reconciliation and the finance KPIs included
        assert set(marts) == set(spark_marts), f"marts only on one engine: {set(marts) ^ set(spark_marts)}"
        problems, compared = [], 0
        for mart in sorted(spark_marts):
            columns, duck = _rows(con, f'marts."{mart}"')
            spark_columns, spark = _rows(con, f"read_parquet('{spark_marts[mart]}/*.parquet')")
            if spark_columns != columns:
                problems.append(f"{mart}: columns only on one engine: {set(columns) ^ set(spark_columns)}")
                continue
            found = _differences(mart, columns, duck, spark)
            if found:
                problems.append(found)
            compared += len(duck)
    finally:
        con.close()
    assert not problems, "marts differ between DuckDB and Spark:\n" + "\n".join(problems)
    assert compared > 1000, compared  # a company, not empty tables

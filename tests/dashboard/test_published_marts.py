"""The dashboard on AWS has no warehouse file: it reads the Parquet marts the transform
(and the forecaster) published to the marts bucket. Same company, same numbers.

The simulated company's build (tests/conftest.py `built_company`) published its marts to
its own bucket on the local S3 server (moto's ThreadedMotoServer) exactly as the transform
Lambda does. Every query the pages run is asked of both sources and must answer the same,
and the Overview page drawn from the bucket alone shows the same KPI cards as from the file.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import polars as pl
import pytest


@pytest.fixture(scope="module")
def sources(dashboard_env):
    from ledgerlake import dashboard_data as dd
    from ledgerlake.config import Settings

    company = dashboard_env["company"]
    settings = dataclasses.replace(Settings.from_env(), marts_bucket=company["env"]["LEDGERLAKE_MARTS_BUCKET"])
    parquet = dd.Marts(path=Path("/nonexistent/warehouse.duckdb"), settings=settings)
    warehouse = dd.Marts(path=dashboard_env["warehouse"], settings=settings)
    assert (parquet.mode, warehouse.mode) == ("parquet", "warehouse")
    return warehouse, parquet


def _same(a, b, what: str) -> None:
    if isinstance(a, pl.DataFrame):
        assert a.height > 0 or what.startswith("maybe-empty"), f"{what}: no rows to compare"
        assert a.schema == b.schema, f"{what}: {a.schema} != {b.schema}"
        assert a.equals(b), f"{what} differs:\n{a}\n{b}"
    else:
        assert a == b, f"{what}: {a!r} != {b!r}"


def test_every_table_the_dashboard_reads_is_published(sources):
    warehouse, parquet = sources
    from ledgerlake import dashboard_data as dd

    read = {
        v
        for k, v in vars(dd).items()
        if k.isupper()
        and isinstance(v, str)
        and v.count(".") == 1
        and v.split(".")[0] in ("seeds", "intermediate", dd.MARTS, dd.FORECAST)
    }
    assert dd.ENTITIES in read and dd.FX_DAILY in read and dd.ALLOCATIONS in read
    missing = sorted(t for t in read if t in warehouse.tables and t not in parquet.tables)
    assert not missing, f"in the warehouse but not published for the dashboard: {missing}"
    # every mart and forecast table, with the same columns
    for table in sorted(warehouse.tables):
        if table.split(".")[0] in (dd.MARTS, dd.FORECAST):
            assert parquet.columns.get(table) == warehouse.columns[table], table


def test_every_page_query_answers_the_same_from_the_published_parquet(sources):
    from ledgerlake import dashboard_data as dd
    from ledgerlake import statements

    warehouse, parquet = sources
    _same(dd.entities(warehouse), dd.entities(parquet), "entities")
    months = dd.months(warehouse)
    _same(months, dd.months(parquet), "months")
    _same(dd.currencies(warehouse), dd.currencies(parquet), "currencies")
    latest = months[-1]
    quarter = dd._add_months(latest, -2)
    as_of = dd._month_end(dd._add_months(latest, -1))
    for entity in (dd.ALL, "US", "UK"):
        for currency in ("USD", "GBP"):
            for start in (latest, quarter):
                f = dd.Filters(
                    entity=entity,
                    period_start=start,
                    period_end=latest,
                    currency=currency,
                )
                where = f"{entity}/{currency}/{start}"
                _same(dd.kpis(warehouse, f), dd.kpis(parquet, f), f"kpis {where}")
                for fn in (
                    dd.kpi_trend,
                    dd.cash_by_entity,
                    dd.cash_forecast,
                    dd.revenue_by_entity,
                    dd.revenue_by_channel,
                    dd.forecast_accuracy,
                    statements.profit_and_loss,
                    statements.balance_sheet,
                ):
                    _same(fn(warehouse, f), fn(parquet, f), f"{fn.__name__} {where}")
                _same(
                    dd.cash_in_13_weeks(warehouse, f),
                    dd.cash_in_13_weeks(parquet, f),
                    f"cash_in_13_weeks {where}",
                )
            f = dd.Filters(entity=entity, period_start=latest, period_end=latest, currency=currency)
            _same(
                dd.aging(warehouse, f, as_of),
                dd.aging(parquet, f, as_of),
                f"aging {entity}/{currency}",
            )
            _same(
                dd.alerts(warehouse, f),
                dd.alerts(parquet, f),
                f"alerts {entity}/{currency}",
            )
            _same(
                dd.integrity_summary(warehouse, f),
                dd.integrity_summary(parquet, f),
                f"integrity {entity}",
            )
    _same(dd.source_health(warehouse), dd.source_health(parquet), "source health")


def _overview_cards(run_app, env: dict[str, str]) -> tuple[dict[str, tuple[str, str]], list[str]]:
    with pytest.MonkeyPatch.context() as mp:
        for key, value in env.items():
            mp.setenv(key, value)
        at = run_app(120)
        return {m.label: (m.value, m.delta) for m in at.metric}, [c.value for c in at.sidebar.caption]


def test_the_overview_served_from_the_bucket_alone_shows_the_warehouse_kpis(dashboard_env, fresh_app, tmp_path):
    marts_bucket = dashboard_env["company"]["env"]["LEDGERLAKE_MARTS_BUCKET"]
    from_file, file_captions = _overview_cards(fresh_app, {"LEDGERLAKE_MARTS_BUCKET": marts_bucket})
    from_s3, s3_captions = _overview_cards(
        fresh_app,
        {
            "LEDGERLAKE_MARTS_BUCKET": marts_bucket,
            "LEDGERLAKE_WAREHOUSE": str(tmp_path / "no-such-warehouse.duckdb"),
        },
    )
    assert any("Marts: warehouse" in c for c in file_captions)
    assert any(f"Marts: parquet · {marts_bucket}" in c for c in s3_captions), s3_captions
    assert len(from_file) >= 6, from_file
    assert from_s3 == from_file

"""Partial periods and undefined KPIs on the Overview (issue #18, item 3), on a small
hand-built warehouse whose data ends mid-month (14 Nov 2025), so it runs without the
simulated company.

A period the data ends inside is compared with the same number of days of the period
before it (QTD / MTD vs the same days), never with a whole period; a KPI with no value says
why. Expected values are plain Python sums over the daily rows written here.
"""

from __future__ import annotations

import os
import random
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

FIRST, LAST = (
    date(2025, 1, 1),
    date(2025, 11, 14),
)  # the data ends inside November (and FQ3)
GBP_USD = Decimal("1.25")


def _days():
    d = FIRST
    while d <= LAST:
        yield d
        d += timedelta(days=1)


def _rows(seed: int = 5) -> dict[tuple[str, date], dict]:
    """Daily KPIs per entity (reporting currency USD): the US burns cash, the UK takes more
    in than it spends (so has no runway)."""
    rng = random.Random(seed)
    rows, cash = {}, {"US": Decimal("2000000.00"), "UK": Decimal("300000.00")}
    for d in _days():
        for entity in ("US", "UK"):
            revenue = Decimal(rng.randint(1_000_00, 9_000_00)) / 100
            burn = (
                Decimal(rng.randint(5_000_00, 9_000_00) if entity == "US" else -rng.randint(2_000_00, 4_000_00)) / 100
            )
            cash[entity] -= burn
            rows[entity, d] = {
                "revenue": revenue,
                "burn": burn,
                "cash": cash[entity],
                "ar_overdue": Decimal(rng.randint(0, 50_000_00)) / 100,
            }
    return rows


@pytest.fixture(scope="module")
def partial_warehouse(tmp_path_factory):
    import duckdb

    path = Path(tmp_path_factory.mktemp("partial")) / "warehouse.duckdb"
    rows = _rows()
    con = duckdb.connect(str(path))
    con.execute("create schema seeds; create schema marts; create schema intermediate")
    con.execute(
        "create table seeds.legal_entities as select * from (values ('US', 'Northwind US Inc', 'USD'), "
        "('UK', 'Northwind UK Ltd', 'GBP')) t(entity_id, entity_name, functional_currency)"
    )
    con.execute("create table intermediate.int_fx_rates_daily (rate_date date, currency varchar, rate decimal(18,8))")
    con.executemany(
        "insert into intermediate.int_fx_rates_daily values (?, 'GBP', ?)",
        [(d, GBP_USD) for d in _days()],
    )
    con.execute("""create table marts.finance_kpis_entity_daily (
        entity_id varchar, date date, period_month date, reporting_currency varchar,
        revenue_reporting decimal(38,6), net_burn_reporting decimal(38,6), cash_balance_reporting decimal(38,6),
        ar_overdue_reporting decimal(38,6), runway_months decimal(18,2), dso_days decimal(18,1),
        dpo_days decimal(18,1), net_burn_90d decimal(38,6), ar_invoiced_90d decimal(38,6),
        ap_billed_90d decimal(38,6))""")
    con.executemany(
        "insert into marts.finance_kpis_entity_daily values (?, ?, ?, 'USD', ?, ?, ?, ?, ?, 40.0, 20.0, ?, 1000, 1000)",
        [
            (
                e,
                d,
                d.replace(day=1),
                r["revenue"],
                r["burn"],
                r["cash"],
                r["ar_overdue"],
                # runway only while burning and after 90 days of data (the mart's rule); the UK never burns
                Decimal("18.50") if e == "US" and (d - FIRST).days >= 89 else None,
                r["burn"] * 90,
            )
            for (e, d), r in rows.items()
        ],
    )
    # the monthly mart, as dbt derives it from the daily one (flows summed, stocks at the last day)
    con.execute("""create table marts.finance_kpis_monthly as
        select entity_id, period_month, max(date) as period_end, max(date) = last_day(period_month) as is_complete,
               'USD' as reporting_currency, sum(revenue_reporting) as revenue, sum(net_burn_reporting) as burn,
               arg_max(cash_balance_reporting, date) as cash_balance, cast(1000 as decimal(38,6)) as mrr
        from marts.finance_kpis_entity_daily group by entity_id, period_month""")
    con.close()
    return {"path": path, "rows": rows}


@pytest.fixture
def marts(partial_warehouse, tmp_path, monkeypatch):
    from ledgerlake.dashboard_data import Marts

    monkeypatch.setenv("LEDGERLAKE_WAREHOUSE", str(partial_warehouse["path"]))
    monkeypatch.setenv("LEDGERLAKE_HOME", str(tmp_path))
    monkeypatch.setenv("LEDGERLAKE_REPORTING_CURRENCY", "USD")
    monkeypatch.setenv("LEDGERLAKE_FISCAL_YEAR_START_MONTH", "4")
    return Marts(partial_warehouse["path"])


def _sum(rows, field, first, last, entities=("US", "UK")):
    return sum(
        (r[field] for (e, d), r in rows.items() if e in entities and first <= d <= last),
        Decimal(0),
    )


def test_quarter_to_date_compares_the_same_days_of_the_quarter_before(marts, partial_warehouse):
    from ledgerlake import dashboard_data as dd

    rows = partial_warehouse["rows"]
    f = dd.Filters(dd.ALL, date(2025, 10, 1), date(2025, 12, 1), "USD")  # FQ3, data to 14 Nov
    cov = dd.coverage(marts, f)
    assert (cov.label, cov.against) == ("QTD", "QTD vs same days")
    assert cov.days == (date(2025, 10, 1), LAST)
    assert cov.previous_days == (
        date(2025, 7, 1),
        date(2025, 8, 14),
    )  # the same 45 days of FQ2
    k = dd.kpis(marts, f)
    assert k["revenue"]["value"] == _sum(rows, "revenue", date(2025, 10, 1), LAST)
    assert k["revenue"]["previous"] == _sum(rows, "revenue", date(2025, 7, 1), date(2025, 8, 14))
    assert k["burn"]["previous"] == _sum(rows, "burn", date(2025, 7, 1), date(2025, 8, 14))
    # stocks: on the last day against the same day of the quarter before
    assert k["cash_balance"]["value"] == _sum(rows, "cash", LAST, LAST)
    assert k["cash_balance"]["previous"] == _sum(rows, "cash", date(2025, 8, 14), date(2025, 8, 14))
    assert k["ar_overdue"]["previous"] == _sum(rows, "ar_overdue", date(2025, 8, 14), date(2025, 8, 14))


def test_month_to_date_and_a_whole_month(marts, partial_warehouse):
    from ledgerlake import dashboard_data as dd

    rows = partial_warehouse["rows"]
    mtd = dd.Filters("US", date(2025, 11, 1), date(2025, 11, 1), "USD")
    cov = dd.coverage(marts, mtd)
    assert cov.label == "MTD" and cov.previous_days == (
        date(2025, 10, 1),
        date(2025, 10, 14),
    )
    k = dd.kpis(marts, mtd)
    assert k["revenue"]["value"] == _sum(rows, "revenue", date(2025, 11, 1), LAST, ("US",))
    assert k["revenue"]["previous"] == _sum(rows, "revenue", date(2025, 10, 1), date(2025, 10, 14), ("US",))
    whole = dd.Filters("US", date(2025, 9, 1), date(2025, 9, 1), "USD")
    cov = dd.coverage(marts, whole)
    assert not cov.to_date and cov.against == "vs previous period"
    k = dd.kpis(marts, whole)
    assert k["revenue"]["previous"] == _sum(rows, "revenue", date(2025, 8, 1), date(2025, 8, 31), ("US",))


def test_gbp_amounts_convert_at_the_month_end_rate(marts, partial_warehouse):
    from ledgerlake import dashboard_data as dd

    rows = partial_warehouse["rows"]
    k = dd.kpis(marts, dd.Filters("US", date(2025, 11, 1), date(2025, 11, 1), "GBP"))
    expected = _sum(rows, "revenue", date(2025, 11, 1), LAST, ("US",)) / GBP_USD
    assert abs(k["revenue"]["value"] - expected) <= Decimal("0.01")


def test_an_undefined_runway_says_why(marts):
    from ledgerlake import dashboard_data as dd

    k = dd.kpis(marts, dd.Filters("UK", date(2025, 9, 1), date(2025, 9, 1), "GBP"))
    assert k["runway_months"]["value"] is None
    assert k["runway_months"]["why"].startswith("Not burning")
    assert k["burn"]["value"] < 0
    k = dd.kpis(marts, dd.Filters(dd.ALL, date(2025, 9, 1), date(2025, 9, 1), "USD"))
    assert k["runway_months"]["value"] is not None and k["runway_months"]["why"] is None  # the group burns
    # before 90 days of data the reason is the history, not the burn
    k = dd.kpis(marts, dd.Filters("US", date(2025, 2, 1), date(2025, 2, 1), "USD"))
    assert k["runway_months"]["value"] is None
    assert k["runway_months"]["why"] == "Needs 90 days of history; there are 59 to 28 Feb 2025."


def test_the_overview_labels_a_quarter_to_date_and_explains_an_empty_card(marts, partial_warehouse):
    """What a reader sees: the change says "QTD vs same days" and is computed against the
    same days; the UK's runway card says it is not burning, and why."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    rows = partial_warehouse["rows"]
    st.cache_data.clear()
    st.cache_resource.clear()
    app_py = Path(__file__).resolve().parents[2] / "dashboard" / "app.py"
    at = AppTest.from_file(str(app_py), default_timeout=60)
    os.environ.setdefault("LEDGERLAKE_S3_ENDPOINT", "http://127.0.0.1:9")  # no alert store: the table's copy
    at.session_state["granularity"] = "Quarter"
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    revenue = next(m for m in at.metric if m.label == "Revenue")
    now = _sum(rows, "revenue", date(2025, 10, 1), LAST)
    before = _sum(rows, "revenue", date(2025, 7, 1), date(2025, 8, 14))
    assert revenue.proto.delta == f"{(now - before) / before * 100:+.1f}% QTD vs same days"
    assert any("Quarter to date (QTD)" in i.value and "01 Jul – 14 Aug 2025" in i.value for i in at.info)
    at.selectbox(key="entity").set_value("UK").run()
    runway = next(m for m in at.metric if m.label == "Runway")
    assert runway.value == "Not burning" and "trailing 90 days" in runway.proto.help

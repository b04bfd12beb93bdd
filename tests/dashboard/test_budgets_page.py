"""The Budget vs actual page on a small hand-built warehouse (the browser test shows it on
the simulated company with an imported budget): totals, the GBP entity converted at the
month end's rate, variance % recomputed from the sums."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

GBP_USD = Decimal("1.25")
ROWS = [  # budget, entity, month, account, class, budget, actual (functional currency)
    (
        "Plan",
        "US",
        date(2025, 5, 1),
        "Subscriptions",
        "revenue",
        "100000.00",
        "112000.00",
    ),
    (
        "Plan",
        "US",
        date(2025, 6, 1),
        "Subscriptions",
        "revenue",
        "100000.00",
        "90000.00",
    ),
    ("Plan", "US", date(2025, 6, 1), "Contractors", "expense", "20000.00", "45000.00"),
    ("Plan", "UK", date(2025, 6, 1), "Sales", "revenue", "30000.00", "21000.00"),
    ("Plan", "UK", date(2025, 6, 1), "Travel", "expense", "0", "1500.00"),
    (
        "Reforecast",
        "US",
        date(2025, 6, 1),
        "Contractors",
        "expense",
        "44000.00",
        "45000.00",
    ),
]


@pytest.fixture
def budget_app(tmp_path, monkeypatch):
    import duckdb
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema seeds; create schema marts; create schema intermediate")
        con.execute(
            "create table seeds.legal_entities as select * from (values ('US', 'Northwind US Inc', 'USD'), "
            "('UK', 'Northwind UK Ltd', 'GBP')) t(entity_id, entity_name, functional_currency)"
        )
        con.execute(
            "create table intermediate.int_fx_rates_daily as select d::date as rate_date, 'GBP' as currency, "
            f"{GBP_USD}::decimal(18,8) as rate from range(date '2025-05-01', date '2025-07-01', "
            "interval 1 day) t(d)"
        )
        con.execute(
            "create table marts.finance_kpis_monthly as select m as period_month, e as entity_id, "
            "'USD' as reporting_currency, 0::decimal(38,6) as revenue, 0::decimal(38,6) as burn, "
            "0::decimal(38,6) as cash_balance from (values (date '2025-05-01'), (date '2025-06-01')) t(m), "
            "(values ('US'), ('UK')) u(e)"
        )
        con.execute("""create table marts.budget_vs_actual (budget_name varchar, entity_id varchar, period_month date,
            account_key varchar, account_code varchar, account_name varchar, account_class varchar, currency varchar,
            is_budgeted boolean, is_month_complete boolean,
            budget_amount decimal(38,6), actual_amount decimal(38,6))""")
        for b, e, m, a, cls, bud, act in ROWS:
            con.execute(
                "insert into marts.budget_vs_actual values (?, ?, ?, ?, null, ?, ?, ?, ?, true, ?, ?)",
                [
                    b,
                    e,
                    m,
                    f"{e}:{a}",
                    a,
                    cls,
                    "USD" if e == "US" else "GBP",
                    bud != "0",
                    bud,
                    act,
                ],
            )
    monkeypatch.setenv("LEDGERLAKE_WAREHOUSE", str(path))
    monkeypatch.setenv("LEDGERLAKE_HOME", str(tmp_path))
    monkeypatch.setenv("LEDGERLAKE_REPORTING_CURRENCY", "USD")
    monkeypatch.setenv("LEDGERLAKE_S3_ENDPOINT", "http://127.0.0.1:9")  # no alert store needed here
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(
        str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py"),
        default_timeout=60,
    )
    at.run()
    at.switch_page("pages/budgets.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def _usd(entity, amount):
    return Decimal(amount) * (GBP_USD if entity == "UK" else 1)


def test_the_page_totals_the_budget_for_the_month(budget_app):
    from ledgerlake.report.formatting import money

    at = budget_app
    assert at.selectbox(key="budget_name").value == "Plan"
    june = [r for r in ROWS if r[0] == "Plan" and r[2] == date(2025, 6, 1)]
    for label, cls in (
        ("Revenue vs budget", "revenue"),
        ("Expenses vs budget", "expense"),
    ):
        budget = sum(_usd(r[1], r[5]) for r in june if r[4] == cls)
        actual = sum(_usd(r[1], r[6]) for r in june if r[4] == cls)
        shown = next(m for m in at.metric if m.label == label)
        assert shown.value == money(actual, "USD")
        assert shown.proto.delta == f"{money(actual - budget, 'USD')} vs {money(budget, 'USD')}"
    by_account = at.dataframe[-1].value
    # largest variance first: contractors +25,000, subscriptions −10,000, UK sales −9,000 × 1.25, travel +1,875
    assert list(by_account["account_name"]) == [
        "Contractors",
        "Sales",
        "Subscriptions",
        "Travel",
    ]
    contractors = by_account[by_account["account_name"] == "Contractors"].iloc[0]
    assert Decimal(str(contractors["variance_pct"])) == Decimal("125.0")
    travel = by_account[by_account["account_name"] == "Travel"].iloc[0]
    assert not travel["is_budgeted"] and pd.isna(travel["variance_pct"])  # no budget: no percentage


def test_another_budget_and_currency(budget_app):
    at = budget_app
    at.selectbox(key="budget_name").set_value("Reforecast").run()
    shown = next(m for m in at.metric if m.label == "Expenses vs budget")
    assert shown.value == "$45,000"
    at.selectbox(key="budget_name").set_value("Plan").run()
    at.selectbox(key="entity").set_value("UK").run()
    at.selectbox(key="currency").set_value("GBP").run()
    assert not at.exception, [e.message for e in at.exception]
    assert next(m for m in at.metric if m.label == "Revenue vs budget").value == "£21,000"

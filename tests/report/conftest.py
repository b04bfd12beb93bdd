"""A small hand-built warehouse with the tables and columns the email reads.

It has the same names as the real marts (ledgerlake/report/queries.py), so the rendering
tests run without a full pipeline build; the must-show test runs on the real build.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

# The report runs on Monday 2025-06-16, so the reported week is 2025-06-09 .. 2025-06-15.
AS_OF = date(2025, 6, 16)
WEEK = date(2025, 6, 9)


def _money(rng: random.Random, low: int, high: int) -> Decimal:
    """A random amount with cents (and a trailing fraction of a cent, as DECIMAL(38,6) allows)."""
    return Decimal(rng.randint(low * 100, high * 100)) / 100 + Decimal("0.004999")


def build_mini_warehouse(path: Path, seed: int = 3) -> Path:
    import duckdb

    rng = random.Random(seed)
    conn = duckdb.connect(str(path))
    conn.execute("create schema marts; create schema forecast")
    conn.execute(
        """
        create table marts.finance_kpis_weekly (
            week_start date, week_end date, reporting_currency varchar,
            revenue decimal(38,6), bookings decimal(38,6), collections decimal(38,6),
            cash_balance decimal(38,6), gross_burn decimal(38,6), net_burn decimal(38,6),
            runway_months decimal(38,6), dso_days decimal(38,6), dpo_days decimal(38,6),
            gross_margin_pct decimal(38,6))
        """
    )
    first = WEEK - timedelta(days=7 * 11)
    for i in range(13):  # 11 weeks before, the reported week, and a partial week after it
        ws = first + timedelta(days=7 * i)
        conn.execute(
            "insert into marts.finance_kpis_weekly values (?, ?, 'USD', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [ws, ws + timedelta(days=6), _money(rng, 80_000, 140_000), _money(rng, 50_000, 200_000),
             _money(rng, 70_000, 130_000), _money(rng, 1_500_000, 2_500_000), _money(rng, 90_000, 120_000),
             _money(rng, -20_000, 40_000), Decimal(rng.randint(80, 400)) / 10, Decimal(rng.randint(300, 600)) / 10,
             Decimal(rng.randint(200, 500)) / 10, Decimal(rng.randint(550, 750)) / 10],
        )
    conn.execute("create table marts.finance_kpis_daily (date date, reporting_currency varchar, cash_balance decimal(38,6))")
    day, cash = WEEK - timedelta(days=120), Decimal("2000000.00")
    while day <= WEEK + timedelta(days=8):
        cash += _money(rng, -30_000, 31_000)
        conn.execute("insert into marts.finance_kpis_daily values (?, 'USD', ?)", [day, cash])
        day += timedelta(days=1)
    conn.execute(
        "create table forecast.cash_forecast_daily (date date, cash_forecast decimal(38,6),"
        " cash_lower decimal(38,6), cash_upper decimal(38,6))"
    )
    level = cash
    for d in range(1, 120):
        level -= _money(rng, 1_000, 6_000)
        spread = Decimal(d * 1500)
        conn.execute("insert into forecast.cash_forecast_daily values (?, ?, ?, ?)",
                     [WEEK + timedelta(days=6 + d), level, level - spread, level + spread])
    conn.execute(
        """
        create table forecast.alerts (alert_id varchar, raised_at timestamptz, severity varchar,
            alert_type varchar, title varchar, entity varchar, source_system varchar, source_id varchar,
            amount decimal(38,6), currency varchar)
        """
    )
    alerts = [
        ("al_dup1", datetime(2025, 6, 10, 9, tzinfo=timezone.utc), "high", "duplicate_bill",
         "Vendor paid twice: Acme Hosting <Ltd> & Co", "us", "qbo", "Bill:881", Decimal("4250.000000"), "USD"),
        ("al_inv1", datetime(2025, 6, 12, 15, tzinfo=timezone.utc), "medium", "won_deal_not_invoiced",
         "Won deal not invoiced after 14 days: Globex renewal", "uk", "hubspot", "deal-77", Decimal("18000.5"), "GBP"),
        ("al_pay1", datetime(2025, 6, 15, 23, tzinfo=timezone.utc), "low", "payout_without_deposit",
         "Stripe payout without bank deposit", "us", "stripe", "po_123", None, None),
        ("al_old1", datetime(2025, 6, 2, 8, tzinfo=timezone.utc), "high", "duplicate_bill",
         "Last week's alert (not new)", "us", "qbo", "Bill:700", Decimal("99"), "USD"),
    ]
    conn.executemany("insert into forecast.alerts values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", alerts)
    conn.execute(
        "create table marts.integration_health (source varchar, last_event_at timestamptz,"
        " last_poll_at timestamptz, events_7d bigint)"
    )
    health = [
        ("stripe", datetime(2025, 6, 15, 22, tzinfo=timezone.utc), datetime(2025, 6, 15, 23, tzinfo=timezone.utc), 1234),
        ("xero", None, datetime(2025, 6, 10, 4, tzinfo=timezone.utc), 12),  # silent since Tuesday: stale
        ("plaid", None, None, 0),
    ]
    conn.executemany("insert into marts.integration_health values (?, ?, ?, ?)", health)
    conn.close()
    return path


@pytest.fixture(scope="session")
def mini_warehouse(tmp_path_factory) -> Path:
    return build_mini_warehouse(tmp_path_factory.mktemp("mini") / "warehouse.duckdb")

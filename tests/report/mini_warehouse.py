"""A small hand-built warehouse (builder; the fixture is in conftest.py) with the tables and columns the email reads.

It has the same names as the real marts (ledgerlake/report/queries.py), so the rendering
tests run without a full pipeline build; the must-show test runs on the real build.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

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
            [
                ws,
                ws + timedelta(days=6),
                _money(rng, 80_000, 140_000),
                _money(rng, 50_000, 200_000),
                _money(rng, 70_000, 130_000),
                _money(rng, 1_500_000, 2_500_000),
                _money(rng, 90_000, 120_000),
                _money(rng, -20_000, 40_000),
                Decimal(rng.randint(80, 400)) / 10,
                Decimal(rng.randint(300, 600)) / 10,
                Decimal(rng.randint(200, 500)) / 10,
                Decimal(rng.randint(550, 750)) / 10,
            ],
        )
    conn.execute(
        "create table marts.finance_kpis_monthly (period_month date, entity_id varchar,"
        " reporting_currency varchar, revenue decimal(38,6))"
    )
    for month in (date(2025, 4, 1), date(2025, 5, 1), date(2025, 6, 1)):
        for entity in ("US", "UK"):
            conn.execute(
                "insert into marts.finance_kpis_monthly values (?, ?, 'USD', ?)",
                [month, entity, _money(rng, 200_000, 400_000)],
            )
    conn.execute(
        "create table marts.finance_kpis_daily (date date, reporting_currency varchar, cash_balance decimal(38,6))"
    )
    day, cash = WEEK - timedelta(days=120), Decimal("2000000.00")
    while day <= WEEK + timedelta(days=8):
        cash += _money(rng, -30_000, 31_000)
        conn.execute("insert into marts.finance_kpis_daily values (?, 'USD', ?)", [day, cash])
        day += timedelta(days=1)
    # The forecaster's shape: per entity in its own currency, plus "consolidated" rows in
    # the reporting currency (the ones the email charts); p10/p50/p90 cash balances.
    conn.execute(
        "create table forecast.cash_forecast_daily (entity_id varchar, currency varchar, as_of date,"
        " forecast_date date, horizon_day integer, p10 decimal(18,2), p50 decimal(18,2), p90 decimal(18,2))"
    )
    level, as_of = cash, WEEK + timedelta(days=6)
    for d in range(1, 120):
        level -= _money(rng, 1_000, 6_000)
        spread = Decimal(d * 1500)
        day = as_of + timedelta(days=d)
        conn.execute(
            "insert into forecast.cash_forecast_daily values ('consolidated', 'USD', ?, ?, ?, ?, ?, ?)",
            [as_of, day, d, level - spread, level, level + spread],
        )
        conn.execute("insert into forecast.cash_forecast_daily values ('UK', 'GBP', ?, ?, ?, 1, 2, 3)", [as_of, day, d])
    conn.execute(
        """
        create table forecast.alerts (alert_id varchar, rule varchar, severity varchar, entity_id varchar,
            currency varchar, amount decimal(18,2), amount_reporting decimal(18,2), occurred_on date,
            first_seen varchar, raised_at timestamptz, status varchar, title varchar, detail varchar,
            evidence varchar, source_ids varchar[])
        """
    )
    alerts = [  # (id, rule, severity, entity, currency, amount, amount_reporting, raised_at, title)
        (
            "al_dup1",
            "duplicate_payment",
            "high",
            "US",
            "USD",
            Decimal("4250.00"),
            Decimal("4250.00"),
            datetime(2025, 6, 10, 9, tzinfo=UTC),
            "Vendor paid twice: Acme Hosting <Ltd> & Co",
        ),
        (
            "al_inv1",
            "won_deal_not_invoiced",
            "medium",
            "UK",
            "GBP",
            Decimal("18000.50"),
            Decimal("22860.64"),
            datetime(2025, 6, 12, 15, tzinfo=UTC),
            "Won deal not invoiced after 14 days: Globex renewal",
        ),
        (
            "al_pay1",
            "payout_without_deposit",
            "low",
            "US",
            "USD",
            None,
            None,
            datetime(2025, 6, 16, 3, 59, tzinfo=UTC),
            "Stripe payout without bank deposit",
        ),  # Sun 23:59 NY
        (
            "al_old1",
            "duplicate_payment",
            "high",
            "US",
            "USD",
            Decimal("99"),
            Decimal("99"),
            datetime(2025, 6, 9, 3, tzinfo=UTC),
            "Last week's alert (Sun 8 Jun in New York)",
        ),
        (
            "al_next",
            "duplicate_payment",
            "high",
            "US",
            "USD",
            Decimal("5"),
            Decimal("5"),
            datetime(2025, 6, 16, 4, 1, tzinfo=UTC),
            "This Monday's alert (next week's email)",
        ),
    ]
    for aid, rule, sev, ent, cur, amt, amt_rep, raised, title in alerts:
        conn.execute(
            "insert into forecast.alerts values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'new', ?, '{}', '{}', ['x'])",
            [aid, rule, sev, ent, cur, amt, amt_rep, raised.date(), raised.isoformat(), raised, title],
        )
    conn.execute(
        "create table marts.source_health (source_system varchar, entity_id varchar,"
        " last_event_received_at timestamptz, last_poll_succeeded_at timestamptz, raw_objects bigint)"
    )
    health = [
        ("stripe", "US", datetime(2025, 6, 15, 22, tzinfo=UTC), datetime(2025, 6, 15, 23, tzinfo=UTC), 1234),
        ("stripe", "UK", datetime(2025, 6, 14, 22, tzinfo=UTC), None, 10),
        ("xero", "UK", None, datetime(2025, 6, 10, 4, tzinfo=UTC), 12),  # silent since Tuesday: stale
        ("plaid", "US", None, None, 0),
    ]
    conn.executemany("insert into marts.source_health values (?, ?, ?, ?, ?)", health)
    conn.close()
    return path

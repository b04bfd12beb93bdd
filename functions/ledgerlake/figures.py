"""The headline figures that appear on more than one surface, each defined once.

The dashboard (Overview, Cash) and the weekly email both show "cash in 13 weeks", today's
cash, last month's revenue and the open alerts. Each surface used to pick its own horizon
(the email counted 13 weeks from the reported week's Sunday, the Cash page from the
forecast's as-of day) and so showed two figures for one forecast. Here is the one
definition; the surfaces call it and only format the result.

Definitions (docs/dashboard.md, docs/weekly-email.md):

* **as of** — the forecast's `as_of`: the last day with actual cash, the day the latest
  forecast run starts from.
* **cash in 13 weeks** — the latest forecast run's balance on `as_of + 91 days`
  (`HORIZON_DAYS`): p50, with p10 and p90; consolidated rows (reporting currency) for the
  company, an entity's own rows for one entity.
* **cash** — closing bank cash on `as_of`, all entities, reporting currency
  (`marts.finance_kpis_daily.cash_balance`).
* **revenue** — the last whole calendar month on or before `as_of` (a month whose last day
  is ≤ as_of), all entities, reporting currency (`marts.finance_kpis_monthly`).
* **open alerts** — alerts whose status (the live alert-state store when reachable, else
  the alerts table's copy) is `new` or `acknowledged`, and how many of them are `high`.

Every function takes `query(sql, params) -> list[tuple]`, so a DuckDB connection (the
email: `conn.execute(...).fetchall()`) and the dashboard's `Marts.rows` share them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

Query = Callable[[str, list], list[tuple]]

HORIZON_WEEKS = 13
HORIZON_DAYS = 7 * HORIZON_WEEKS  # the forecaster's horizon (ledgerlake.forecast.run.HORIZON_DAYS)
CONSOLIDATED = "consolidated"
FORECAST_DAILY = "forecast.cash_forecast_daily"
KPIS_DAILY = "marts.finance_kpis_daily"
KPIS_MONTHLY = "marts.finance_kpis_monthly"
ALERTS = "forecast.alerts"
OPEN_STATUSES = ("new", "acknowledged")


def for_connection(conn) -> Query:
    """`query` over a DuckDB connection."""
    return lambda sql, params=None: conn.execute(sql, params or []).fetchall()


def horizon_date(as_of: date) -> date:
    """The day "cash in 13 weeks" is read on: 91 days after the forecast's as-of day."""
    return as_of + timedelta(days=HORIZON_DAYS)


@dataclass(frozen=True)
class CashHorizon:
    as_of: date  # the forecast's as-of (last actual) day
    date: date  # as_of + 13 weeks
    p10: Decimal
    p50: Decimal
    p90: Decimal
    currency: str


def exists(query: Query, table: str) -> bool:
    """Whether `schema.table` is in the warehouse (asked, not tried: DuckDB's replacement
    scans would otherwise look for a Python variable of that name)."""
    schema, name = table.split(".")
    return bool(
        query(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?", [schema, name]
        )[0][0]
    )


def cash_in_13_weeks(query: Query, entity: str = CONSOLIDATED) -> CashHorizon | None:
    """The latest forecast run's balance 13 weeks after its as-of day (None: no forecast)."""
    if not exists(query, FORECAST_DAILY):
        return None
    rows = query(
        f"""select as_of, forecast_date, p10, p50, p90, currency from {FORECAST_DAILY}
            where entity_id = ? and as_of = (select max(as_of) from {FORECAST_DAILY})
              and forecast_date = as_of + interval {HORIZON_DAYS} day""",
        [entity],
    )
    if not rows:
        return None
    as_of, day, p10, p50, p90, currency = rows[0]
    return CashHorizon(_day(as_of), _day(day), p10, p50, p90, currency)


def forecast_as_of(query: Query) -> date | None:
    rows = query(f"select max(as_of) from {FORECAST_DAILY}", [])
    return _day(rows[0][0]) if rows and rows[0][0] is not None else None


def last_actual_day(query: Query) -> date | None:
    rows = query(f"select max(date) from {KPIS_DAILY} where cash_balance is not null", [])
    return _day(rows[0][0]) if rows and rows[0][0] is not None else None


def cash_on(query: Query, day: date) -> Decimal | None:
    """Closing bank cash on `day`, all entities, reporting currency."""
    rows = query(f"select cash_balance from {KPIS_DAILY} where date = ?", [day])
    return rows[0][0] if rows else None


def last_whole_month(day: date) -> date:
    """First day of the last calendar month that ended on or before `day`."""
    nxt = day + timedelta(days=1)
    if nxt.day == 1:  # `day` is a month's last day: that month is whole
        return day.replace(day=1)
    return (day.replace(day=1) - timedelta(days=1)).replace(day=1)


def revenue_for_month(query: Query, month: date) -> Decimal | None:
    """Revenue of one calendar month, all entities, reporting currency."""
    rows = query(f"select sum(revenue) from {KPIS_MONTHLY} where period_month = ?", [month])
    return rows[0][0] if rows else None


def alert_status(table_status: Iterable[tuple[str, str]], live: Mapping[str, str] | None) -> dict[str, str]:
    """alert_id → status: the live store's when it knows the alert, else the table's copy."""
    live = live or {}
    return {aid: live.get(aid, status) for aid, status in table_status}


@dataclass(frozen=True)
class OpenAlerts:
    open: int
    high: int


def open_alerts(query: Query, live: Mapping[str, str] | None = None) -> OpenAlerts | None:
    """How many alerts are open (new or acknowledged), and how many of those are high."""
    if not exists(query, ALERTS):
        return None
    rows = query(f"select alert_id, status, severity from {ALERTS}", [])
    status = alert_status(((a, s) for a, s, _ in rows), live)
    opened = [(a, sev) for a, _, sev in rows if status[a] in OPEN_STATUSES]
    return OpenAlerts(len(opened), sum(1 for _, sev in opened if (sev or "").lower() == "high"))


@dataclass(frozen=True)
class Headline:
    """What every surface shows at the top, from one set of definitions."""

    as_of: date
    currency: str
    cash: Decimal | None
    revenue_month: date
    revenue: Decimal | None
    horizon: CashHorizon | None
    alerts: OpenAlerts | None


def headline(query: Query, currency: str, live_alerts: Mapping[str, str] | None = None) -> Headline | None:
    """The headline figures (None when the KPI marts hold no cash yet)."""
    horizon = cash_in_13_weeks(query)
    as_of = horizon.as_of if horizon else last_actual_day(query)
    if as_of is None:
        return None
    month = last_whole_month(as_of)
    return Headline(
        as_of=as_of,
        currency=currency,
        cash=cash_on(query, as_of),
        revenue_month=month,
        revenue=revenue_for_month(query, month),
        horizon=horizon,
        alerts=open_alerts(query, live_alerts),
    )


def alert_store(settings=None):
    """The shared alert-state store (`ledgerlake.alerts.state`), with short timeouts: an
    unreachable store must not stall a page or an email (statuses then fall back to the
    alerts table's copy)."""
    import boto3
    from botocore.config import Config

    from .alerts.state import AlertState, S3Backend
    from .config import Settings

    settings = settings or Settings.from_env()
    s3 = boto3.client(
        "s3",
        endpoint_url=settings.s3_endpoint,
        region_name=settings.region,
        config=Config(
            connect_timeout=2,
            read_timeout=5,
            retries={"max_attempts": 1},
            s3={"addressing_style": "path"} if settings.s3_endpoint else {},
        ),
    )
    return AlertState(S3Backend(s3, settings.marts_bucket))


def live_alert_entries(settings=None) -> dict[str, dict] | None:
    """alert_id → the store's entry (status, first_seen, history), or None when unreachable."""
    try:
        return dict(alert_store(settings).alerts)
    except Exception:  # noqa: BLE001 - no store (no bucket, no credentials): the table's copy stands
        return None


def _day(value: Any) -> date:
    return value.date() if hasattr(value, "date") and callable(value.date) else value

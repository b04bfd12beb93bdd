"""Every query the weekly email runs, in one place: the email's whole dependency on mart names.

When a mart is renamed, this is the file to change (tests/report builds a small warehouse
with the same names and checks the email against it; the must-show test checks it
against the real build). Queries read marts only, never raw.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

# -- the marts this email reads ---------------------------------------------------------
KPIS_WEEKLY = "marts.finance_kpis_weekly"  # one row per ISO week (Monday start), reporting currency
KPIS_DAILY = "marts.finance_kpis_daily"  # one row per day; cash_balance = consolidated closing cash
CASH_FORECAST = "forecast.cash_forecast_daily"  # one row per entity and forecast date (latest run)
CONSOLIDATED = "consolidated"  # its all-entities rows, in the reporting currency
ALERTS = "forecast.alerts"  # one row per alert (stable alert_id)
SOURCE_HEALTH = "marts.source_health"  # one row per source system and entity


@dataclass(frozen=True)
class Metric:
    column: str  # column in KPIS_WEEKLY
    label: str
    unit: str  # money | days | months | pct
    better: str  # up | down: which way is good news (colours the change)


# The KPIs in the order the email shows them.
METRICS: tuple[Metric, ...] = (
    Metric("revenue", "Revenue", "money", "up"),
    Metric("bookings", "Bookings", "money", "up"),
    Metric("collections", "Cash collected", "money", "up"),
    Metric("cash_balance", "Cash (end of week)", "money", "up"),
    Metric("gross_burn", "Gross burn", "money", "down"),
    Metric("net_burn", "Net burn", "money", "down"),
    Metric("runway_months", "Runway", "months", "up"),
    Metric("dso_days", "DSO", "days", "down"),
    Metric("dpo_days", "DPO", "days", "up"),
    Metric("gross_margin_pct", "Gross margin", "pct", "up"),
)


def table_exists(conn, qualified: str) -> bool:
    schema, name = qualified.split(".")
    return bool(
        conn.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?"
            " and table_catalog = current_database()",
            [schema, name],
        ).fetchone()[0]
    )


def columns_of(conn, qualified: str) -> set[str]:
    schema, name = qualified.split(".")
    return {
        r[0]
        for r in conn.execute(
            "select column_name from information_schema.columns where table_schema = ? and table_name = ?"
            " and table_catalog = current_database()",
            [schema, name],
        ).fetchall()
    }


def _records(cursor) -> list[dict]:
    cols = [d[0] for d in cursor.description]
    return [dict(zip(cols, row)) for row in cursor.fetchall()]


# -- KPIs ---------------------------------------------------------------------------------


def latest_complete_week(conn, as_of: date) -> date | None:
    """Monday of the last week that ended before `as_of` (a Monday run reports last week)
    and that the marts hold whole (`is_complete`: data for all seven days; a week the data
    ends in the middle of is not reported as if it were a full one)."""
    whole = " and is_complete" if "is_complete" in columns_of(conn, KPIS_WEEKLY) else ""
    row = conn.execute(
        f"select max(week_start) from {KPIS_WEEKLY} where week_start + interval 7 day <= ?{whole}", [as_of]
    ).fetchone()
    value = row[0] if row else None
    return value.date() if isinstance(value, datetime) else value


def reporting_currency(conn) -> str | None:
    if "reporting_currency" not in columns_of(conn, KPIS_WEEKLY):
        return None
    row = conn.execute(f"select any_value(reporting_currency) from {KPIS_WEEKLY}").fetchone()
    return row[0] if row else None


def weekly_kpis(conn, week_start: date, weeks_back: int = 4) -> list[dict]:
    """The reported week and the `weeks_back` weeks before it, newest first."""
    present = columns_of(conn, KPIS_WEEKLY)
    cols = ", ".join(m.column for m in METRICS if m.column in present)
    return _records(
        conn.execute(
            f"select week_start, {cols} from {KPIS_WEEKLY}"
            f" where week_start between ? - interval {7 * weeks_back} day and ? order by week_start desc",
            [week_start, week_start],
        )
    )


# -- cash: actuals and forecast ------------------------------------------------------------


def cash_actuals(conn, start: date, end: date) -> list[tuple[date, Decimal]]:
    return conn.execute(
        f"select date, cash_balance from {KPIS_DAILY} where date between ? and ?"
        " and cash_balance is not null order by date",
        [start, end],
    ).fetchall()


def cash_forecast(conn, days: int = 91) -> list[dict]:
    """The latest consolidated forecast run, its first `days` days after its as-of day:
    date, cash (p50), cash_lower (p10), cash_upper (p90). The same run and horizon the
    dashboard's Cash page draws (ledgerlake.figures)."""
    if not table_exists(conn, CASH_FORECAST):
        return []
    return _records(
        conn.execute(
            f"select forecast_date as date, p50 as cash, p10 as cash_lower, p90 as cash_upper from {CASH_FORECAST}"
            f" where entity_id = ? and as_of = (select max(as_of) from {CASH_FORECAST})"
            " and forecast_date > as_of and forecast_date <= as_of + interval (?) day order by forecast_date",
            [CONSOLIDATED, days],
        )
    )


def forecast_accuracy_sentences(conn) -> list[str]:
    """The forecaster's own words on how close its 13-week forecasts have come to the actual
    balance, per entity, beside flat (forecast.forecast_headline; empty before a backtest)."""
    table = "forecast.forecast_headline"
    if not table_exists(conn, table):
        return []
    return [s for (s,) in conn.execute(f"select sentence from {table} order by entity_id").fetchall()]


# -- budget vs actual ------------------------------------------------------------------------

BUDGET_VS_ACTUAL = "marts.budget_vs_actual"
MAX_VARIANCES = 5


def largest_budget_variances(conn, month, budget: str | None = None, limit: int = MAX_VARIANCES) -> list[dict]:
    """The month's largest budget variances by size (reporting currency), one budget: the
    one named (LEDGERLAKE_REPORT_BUDGET), else the first by name that covers the month.
    Empty when no budget covers the month."""
    if not table_exists(conn, BUDGET_VS_ACTUAL):
        return []
    names = [
        n
        for (n,) in conn.execute(
            f"select distinct budget_name from {BUDGET_VS_ACTUAL} where period_month = ? and is_budgeted order by 1",
            [month],
        ).fetchall()
    ]
    if not names:
        return []
    chosen = budget if budget in names else names[0]
    return _records(
        conn.execute(
            f"""
        select budget_name, period_month, entity_id, account_name, account_class, is_budgeted,
               budget_amount_reporting as budget, actual_amount_reporting as actual,
               variance_reporting as variance, variance_pct, favourable_variance > 0 as favourable
        from {BUDGET_VS_ACTUAL}
        where budget_name = ? and period_month = ? and variance_reporting <> 0
        order by abs(variance_reporting) desc, entity_id, account_name
        limit {int(limit)}
        """,
            [chosen, month],
        )
    )


# -- alerts and integration health -----------------------------------------------------------


def all_alerts(conn) -> list[dict]:
    """Every alert in the table (the email sorts them into new / still open / resolved),
    most severe first, then largest."""
    if not table_exists(conn, ALERTS):
        return []
    return _records(
        conn.execute(
            f"""
        select alert_id, raised_at, severity, rule, title, entity_id, status,
               coalesce(amount_reporting, amount) as amount,
               case when amount_reporting is null then currency end as currency
        from {ALERTS}
        order by case lower(severity) when 'critical' then 0 when 'high' then 1 when 'medium' then 2
                 when 'low' then 3 else 4 end, amount desc nulls last, alert_id
        """
        )
    )


def integration_health(conn) -> list[dict]:
    """Per source system: when the last webhook event and the last successful poll landed,
    and how many of its records the build quarantined."""
    if not table_exists(conn, SOURCE_HEALTH):
        return []
    quarantined = (
        "sum(quarantined_records)" if "quarantined_records" in columns_of(conn, SOURCE_HEALTH) else "0"
    )  # (a warehouse built before quarantine existed)
    return _records(
        conn.execute(
            f"""
        select source_system as source, max(last_event_received_at) as last_event_at,
               max(last_poll_succeeded_at) as last_poll_at, {quarantined} as quarantined
        from {SOURCE_HEALTH} group by 1 order by 1
        """
        )
    )


def reconciliation_week(conn, week_start: date, week_end: date) -> dict | None:
    """The week's bank reconciliation and coding figures (finance_kpis_daily), with the
    queue and the last closed month as at the week's last day. None before the bank marts."""
    if not table_exists(conn, KPIS_DAILY) or "bank_lines" not in columns_of(conn, KPIS_DAILY):
        return None
    week = conn.execute(
        f"select sum(bank_lines), sum(bank_lines_matched), sum(bank_lines_auto_coded), sum(judged_auto_codes), "
        f"sum(correct_auto_codes) from {KPIS_DAILY} where date between ? and ?",
        [week_start, week_end],
    ).fetchone()
    end = conn.execute(
        f"select unreconciled_lines, oldest_unreconciled_days, last_closed_month from {KPIS_DAILY} "
        f"where date <= ? and bank_lines is not null order by date desc limit 1",
        [week_end],
    ).fetchone()
    lines, matched, auto, judged, correct = (int(v or 0) for v in week)
    waiting, oldest, closed = end if end else (None, None, None)
    process = _process_week(conn, week_start)
    return {
        **process,
        "lines": lines,
        "matched": matched,
        "auto_coded": auto,
        "unmatched": lines - matched,
        "match_rate": fmt_pct(matched, lines),
        "coverage": fmt_pct(auto, lines - matched),
        "precision": fmt_pct(correct, judged),
        "waiting": waiting,
        "oldest_days": oldest,
        "last_closed_month": closed.strftime("%B %Y") if closed else "none yet",
    }


def _process_week(conn, week_start: date) -> dict:
    """The week's invoice error and duplicate payment counts (finance_kpis_weekly), and the
    days from the last closed month's end to the week's end (the close lag)."""
    wanted = ("invoices_issued", "invoices_voided", "invoices_credited", "invoices_in_error", "bills_paid")
    present = columns_of(conn, KPIS_WEEKLY)
    if not {*wanted, "duplicate_bills_paid", "days_since_close"} <= present:
        return {}
    row = conn.execute(
        f"select {', '.join(wanted)}, duplicate_bills_paid, days_since_close from {KPIS_WEEKLY} where week_start = ?",
        [week_start],
    ).fetchone()
    if row is None:
        return {}
    issued, voided, credited, in_error, bills, duplicates, days = row
    issued, in_error, bills, duplicates = (int(v or 0) for v in (issued, in_error, bills, duplicates))
    return {
        "invoices_issued": issued,
        "invoices_voided": int(voided or 0),
        "invoices_credited": int(credited or 0),
        "invoices_in_error": in_error,
        "invoice_error_rate": fmt_pct(in_error, issued),
        "bills_paid": bills,
        "duplicate_bills_paid": duplicates,
        "duplicate_payment_rate": fmt_pct(duplicates, bills),
        "days_since_close": days,
    }


SOURCE_LATENCY = "marts.finance_kpis_source_latency"  # one row per period, period start and source


def webhook_latency(conn) -> list[dict]:
    """Per source, webhook-to-mart latency (p50 / p95 seconds) of its latest week with webhooks."""
    if not table_exists(conn, SOURCE_LATENCY):
        return []
    return _records(
        conn.execute(
            f"""
        select source_system as source, period_start as week_start, webhooks,
               event_to_mart_p50_seconds as p50, event_to_mart_p95_seconds as p95,
               lake_to_mart_p50_seconds as lake_p50, lake_to_mart_p95_seconds as lake_p95
        from {SOURCE_LATENCY} l
        where period = 'week' and period_start = (
            select max(period_start) from {SOURCE_LATENCY} where period = 'week' and source_system = l.source_system)
        order by source_system
        """
        )
    )


def fmt_pct(part: int, whole: int) -> str:
    return f"{part * 100 / whole:.1f} %" if whole else "n/a"

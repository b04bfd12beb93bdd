"""Every query the CFO dashboard runs, in one place (DuckDB over the marts, never raw).

The dashboard reads the warehouse file (`$LEDGERLAKE_HOME/warehouse.duckdb`, or
`LEDGERLAKE_WAREHOUSE`) read-only, or — when there is no local file, as on AWS — the
Parquet marts in `s3://{marts_bucket}/marts/{model}/{model}.parquet`. Aggregation happens
in DuckDB; Python receives small, already-aggregated polars frames. Amounts stay DECIMAL
all the way to the table on screen (charts alone convert to float, to draw).

Streamlit-free on purpose: the benchmark and the tests call the same functions the pages do.
The tables and columns it expects are listed in `EXPECTED` (and in docs/dashboard.md).
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from . import config
from .config import Settings

# Schemas the warehouse uses: dbt marts, and the forecaster's outputs.
MARTS = "marts"
FORECAST = "forecast"

# table -> columns the dashboard reads. A missing table shows as "not built yet" on its
# page rather than as an error, so the dashboard is useful while the pipeline grows.
EXPECTED: dict[str, tuple[str, ...]] = {
    f"{MARTS}.dim_entities": ("entity_id", "entity_name", "functional_currency", "source_system"),
    f"{MARTS}.fct_finance_kpis_monthly": (
        "entity_id", "month_start", "reporting_currency", "revenue", "burn", "cash_balance",
        "mrr", "runway_months", "dso_days", "dpo_days", "ar_overdue",
    ),
    f"{MARTS}.fct_cash_balances_daily": (
        "balance_date", "entity_id", "account_id", "account_name", "currency", "balance", "balance_reporting",
    ),
    f"{MARTS}.fct_revenue": (
        "revenue_date", "entity_id", "channel", "currency", "amount", "amount_reporting", "source_system", "source_id",
    ),
    f"{MARTS}.fct_mrr_movements": ("month_start", "entity_id", "customer_id", "movement_type", "mrr_change_reporting"),
    f"{MARTS}.fct_pipeline": (
        "deal_id", "deal_name", "entity_id", "stage", "probability", "expected_close_date",
        "amount_reporting", "weighted_amount_reporting", "is_open",
    ),
    f"{MARTS}.fct_ar_ap_documents": (
        "document_id", "document_type", "entity_id", "contact_id", "contact_name", "issue_date", "due_date",
        "currency", "total_amount", "total_amount_reporting", "source_system", "source_id",
    ),
    f"{MARTS}.fct_document_payments": ("document_id", "paid_date", "amount", "amount_reporting"),
    f"{MARTS}.integrity_findings": (
        "check_name", "severity", "entity_id", "source_system", "source_id", "description", "amount_reporting",
    ),
    f"{MARTS}.source_health": (
        "source_system", "entity_id", "last_event_received_at", "last_poll_succeeded_at", "raw_objects", "mart_rows",
    ),
    f"{MARTS}.fx_rates_daily": ("rate_date", "base_currency", "quote_currency", "rate"),
    f"{FORECAST}.cash_forecast_daily": (
        "entity_id", "forecast_date", "p10", "p50", "p90", "ar", "ap", "payroll", "pipeline", "unscheduled",
    ),
    f"{FORECAST}.forecast_accuracy": ("entity_id", "horizon_weeks", "mape", "p10_p90_coverage", "backtests"),
    f"{FORECAST}.cash_floor": ("entity_id", "floor_amount"),
    f"{FORECAST}.alerts": (
        "alert_id", "rule", "severity", "entity_id", "raised_at", "title", "detail", "amount_reporting", "evidence",
    ),
}

FORECAST_COMPONENTS = ("ar", "ap", "payroll", "pipeline", "unscheduled")
AGING_BUCKETS = ("current", "1-30", "31-60", "61-90", "90+")
ALL = "All entities"


def warehouse_path() -> Path:
    explicit = os.environ.get("LEDGERLAKE_WAREHOUSE")
    return Path(explicit).resolve() if explicit else config.home() / "warehouse.duckdb"


class MissingMart(LookupError):
    """A table the page needs is not in the warehouse (that part of the pipeline has not run)."""


@dataclass(frozen=True)
class Filters:
    """What the sidebar chose. `period` is a (first month, last month) pair, inclusive."""

    entity: str  # an entity_id or ALL
    period_start: date
    period_end: date
    currency: str  # reporting currency to show


class Marts:
    """A read-only DuckDB view of the marts. One connection, a cursor per query (thread-safe).

    `version` changes when the warehouse file is rebuilt (the transform swaps a new file in
    atomically), so callers can key caches on it and reopen.
    """

    def __init__(self, path: Path | None = None, settings: Settings | None = None):
        import duckdb

        self.settings = settings or Settings.from_env()
        self.path = path or warehouse_path()
        self._lock = threading.Lock()
        if self.path.exists():
            self.mode = "warehouse"
            self.version = f"{self.path}:{self.path.stat().st_mtime_ns}"
            self.conn = duckdb.connect(str(self.path), read_only=True)
        else:
            # No local warehouse (e.g. deployed beside S3): views over the Parquet marts.
            from .lake import duckdb_connect

            self.mode = "parquet"
            self.conn = duckdb_connect(":memory:", settings=self.settings)
            self.version = "s3:" + self._attach_parquet_marts()
        self.tables = {
            f"{s}.{t}"
            for s, t in self.conn.execute(
                "select table_schema, table_name from information_schema.tables"
            ).fetchall()
        }

    def _attach_parquet_marts(self) -> str:
        from .lake import s3_client

        s3 = s3_client(self.settings)
        bucket = self.settings.marts_bucket
        latest = ""
        names: dict[str, str] = {}
        paginator = s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=bucket, Prefix="marts/"):
            for item in page.get("Contents", []):
                parts = item["Key"].split("/")
                if len(parts) == 3 and parts[2].endswith(".parquet"):
                    names[parts[1]] = f"s3://{bucket}/{item['Key']}"
                    latest = max(latest, item["LastModified"].isoformat())
        for schema in (MARTS, FORECAST):
            self.conn.execute(f"create schema if not exists {schema}")
        forecast_names = {t.split(".", 1)[1] for t in EXPECTED if t.startswith(FORECAST + ".")}
        for name, url in names.items():
            schema = FORECAST if name in forecast_names else MARTS
            self.conn.execute(f"create or replace view {schema}.\"{name}\" as select * from read_parquet('{url}')")
        return latest

    @classmethod
    def current_version(cls, path: Path | None = None) -> str:
        """Cheap: what `version` a fresh Marts would have (for cache keys)."""
        path = path or warehouse_path()
        return f"{path}:{path.stat().st_mtime_ns}" if path.exists() else "s3"

    def has(self, *tables: str) -> bool:
        return all(t in self.tables for t in tables)

    def require(self, *tables: str) -> None:
        missing = [t for t in tables if t not in self.tables]
        if missing:
            raise MissingMart(", ".join(missing))

    def frame(self, sql: str, params: list[Any] | None = None) -> pl.DataFrame:
        cur = self.conn.cursor()
        try:
            return cur.execute(sql, params or []).pl()
        finally:
            cur.close()

    def rows(self, sql: str, params: list[Any] | None = None) -> list[tuple]:
        cur = self.conn.cursor()
        try:
            return cur.execute(sql, params or []).fetchall()
        finally:
            cur.close()

    def close(self) -> None:
        self.conn.close()


# -- filters --------------------------------------------------------------------------


def entities(m: Marts) -> pl.DataFrame:
    m.require(f"{MARTS}.dim_entities")
    return m.frame(f"select entity_id, entity_name, functional_currency from {MARTS}.dim_entities order by entity_id")


def months(m: Marts) -> list[date]:
    """Months with KPIs, oldest first."""
    m.require(f"{MARTS}.fct_finance_kpis_monthly")
    return [r[0] for r in m.rows(f"select distinct month_start from {MARTS}.fct_finance_kpis_monthly order by 1")]


def base_currency(m: Marts) -> str:
    """The currency the marts carry `*_reporting` amounts in."""
    if m.has(f"{MARTS}.fct_finance_kpis_monthly"):
        row = m.rows(f"select any_value(reporting_currency) from {MARTS}.fct_finance_kpis_monthly")
        if row and row[0][0]:
            return row[0][0]
    return m.settings.reporting_currency


def currencies(m: Marts) -> list[str]:
    """Reporting currencies the user may pick: the marts' own plus any with a daily rate."""
    base = base_currency(m)
    found = {base}
    if m.has(f"{MARTS}.fx_rates_daily"):
        for (c,) in m.rows(
            f"""select distinct case when base_currency = ? then quote_currency else base_currency end
                from {MARTS}.fx_rates_daily where ? in (base_currency, quote_currency)""",
            [base, base],
        ):
            found.add(c)
    return [base] + sorted(found - {base})


# -- SQL helpers ----------------------------------------------------------------------


def _entity_clause(f: Filters, column: str = "entity_id") -> tuple[str, list[Any]]:
    if f.entity == ALL:
        return "true", []
    return f"{column} = ?", [f.entity]


def _fx_cte(m: Marts, f: Filters) -> tuple[str, list[Any]]:
    """`fx(rate_date, rate)`: base → chosen currency per day, carried forward over gaps.

    Rates are decimals; an inverse quote (chosen/base) is inverted once at DECIMAL(38,10).
    Amounts are converted at the day's rate (for months: the month's last rate).
    """
    base = base_currency(m)
    if f.currency == base or not m.has(f"{MARTS}.fx_rates_daily"):
        return "fx as (select null::date as rate_date, 1::decimal(38,10) as rate where false)", []
    sql = f"""fx as (
        select rate_date,
               case when base_currency = ? then cast(rate as decimal(38,10))
                    else cast(cast(1 as decimal(38,20)) / cast(rate as decimal(38,20)) as decimal(38,10)) end as rate
        from {MARTS}.fx_rates_daily
        where (base_currency = ? and quote_currency = ?) or (base_currency = ? and quote_currency = ?)
        qualify row_number() over (partition by rate_date order by base_currency = ? desc) = 1
    )"""
    return sql, [base, base, f.currency, f.currency, base, base]


def _convert(expr: str, m: Marts, f: Filters, rate_alias: str = "fx_rate") -> str:
    """SQL converting a base-currency amount into the chosen currency, rounded to cents."""
    if f.currency == base_currency(m):
        return expr
    return f"cast(round(cast({expr} as decimal(38,6)) * {rate_alias}, 2) as decimal(38,2))"


def _rate_join(m: Marts, f: Filters, date_expr: str, constant: bool = False) -> str:
    """ASOF join picking the latest rate on or before `date_expr` (empty when no conversion)."""
    if f.currency == base_currency(m):
        return ""
    if constant:  # one date for every row (ASOF needs a column on both sides)
        return (f"left join (select rate as fx_rate from fx where rate_date <= {date_expr} "
                "order by rate_date desc limit 1) r on true")
    return f"asof left join (select rate_date, rate as fx_rate from fx) r on {date_expr} >= r.rate_date"


def _with(m: Marts, f: Filters, *ctes: str) -> tuple[str, list[Any]]:
    fx_sql, fx_params = _fx_cte(m, f)
    return "with " + ",\n".join((fx_sql, *ctes)), fx_params


# -- Overview -------------------------------------------------------------------------

# Flow metrics add up over the months of a period; stock metrics are the last month's.
KPI_FLOW = ("revenue", "burn")
KPI_STOCK_MONEY = ("cash_balance", "mrr", "ar_overdue")
KPI_RATIO = ("runway_months", "dso_days", "dpo_days")


def previous_period(f: Filters) -> tuple[date, date]:
    """The period of the same length just before the chosen one."""
    n = (f.period_end.year - f.period_start.year) * 12 + f.period_end.month - f.period_start.month + 1
    end = _add_months(f.period_start, -1)
    return _add_months(end, -(n - 1)), end


def _add_months(d: date, k: int) -> date:
    y, mth = divmod(d.year * 12 + d.month - 1 + k, 12)
    return date(y, mth + 1, 1)


def kpis(m: Marts, f: Filters) -> dict[str, dict[str, Any]]:
    """{metric: {"value": Decimal|None, "previous": Decimal|None}} for the period and the one before.

    Money sums across entities after conversion. Ratios for "all entities" are recomputed
    from their parts where the parts exist (runway = cash / average monthly burn) or
    weighted (DSO by revenue, DPO by burn) — never averaged naively.
    """
    t = f"{MARTS}.fct_finance_kpis_monthly"
    m.require(t)
    where, wparams = _entity_clause(f)
    prev_start, prev_end = previous_period(f)
    conv = {c: _convert(c, m, f) for c in (*KPI_FLOW, *KPI_STOCK_MONEY)}
    head, params = _with(
        m,
        f,
        f"""k as (
            select month_start, entity_id, {", ".join(f"{conv[c]} as {c}" for c in conv)},
                   runway_months, dso_days, dpo_days
            from {t} {_rate_join(m, f, "last_day(month_start)")}
            where {where}
        )""",
        """periods as (
            select 'current' as period, ?::date as p_start, ?::date as p_end
            union all select 'previous', ?::date, ?::date
        )""",
        """per_month as (
            select p.period, k.month_start,
                   sum(revenue) as revenue, sum(burn) as burn, sum(cash_balance) as cash_balance,
                   sum(mrr) as mrr, sum(ar_overdue) as ar_overdue,
                   -- weighted ratios: DSO by revenue, DPO by burn; runway from cash / burn
                   cast(round(sum(dso_days * revenue) / nullif(sum(case when dso_days is not null then revenue end), 0), 1) as decimal(18,1)) as dso_days,
                   cast(round(sum(dpo_days * burn) / nullif(sum(case when dpo_days is not null then burn end), 0), 1) as decimal(18,1)) as dpo_days,
                   case when count(*) = 1 then any_value(runway_months) end as single_runway
            from k join periods p on k.month_start between p.p_start and p.p_end
            group by all
        )""",
    )
    params += wparams + [f.period_start, f.period_end, prev_start, prev_end]
    sql = head + """
        select period,
               sum(revenue) as revenue,
               sum(burn) as burn,
               arg_max(cash_balance, month_start) as cash_balance,
               arg_max(mrr, month_start) as mrr,
               arg_max(ar_overdue, month_start) as ar_overdue,
               arg_max(dso_days, month_start) as dso_days,
               arg_max(dpo_days, month_start) as dpo_days,
               arg_max(single_runway, month_start) as single_runway,
               -- group runway: cash at the end ÷ average monthly burn over the period
               cast(round(arg_max(cash_balance, month_start) / nullif(avg(burn), 0), 2) as decimal(18,2)) as group_runway,
               avg(burn) > 0 as burning
        from per_month group by period
    """
    out: dict[str, dict[str, Any]] = {
        k: {"value": None, "previous": None} for k in (*KPI_FLOW, *KPI_STOCK_MONEY, *KPI_RATIO)
    }
    frame = m.frame(sql, params)
    for row in frame.iter_rows(named=True):
        slot = "value" if row["period"] == "current" else "previous"
        for k in (*KPI_FLOW, *KPI_STOCK_MONEY, "dso_days", "dpo_days"):
            out[k][slot] = row[k]
        if f.entity == ALL:
            out["runway_months"][slot] = row["group_runway"] if row["burning"] else None
        else:
            out["runway_months"][slot] = row["single_runway"]
    return out


def cash_by_entity(m: Marts, f: Filters) -> pl.DataFrame:
    """Cash at the period's end per entity (and at the previous period's end)."""
    t = f"{MARTS}.fct_cash_balances_daily"
    m.require(t)
    where, wparams = _entity_clause(f)
    period_end = _month_end(f.period_end)
    prev_end = _month_end(previous_period(f)[1])
    head, params = _with(
        m,
        f,
        f"""c as (
            select entity_id, balance_date, {_convert("balance_reporting", m, f)} as balance
            from {t} {_rate_join(m, f, "balance_date")}
            where {where} and balance_date in (?, ?)
        )""",
    )
    params += wparams + [period_end, prev_end]
    sql = head + """
        select entity_id,
               sum(balance) filter (where balance_date = ?) as cash,
               sum(balance) filter (where balance_date = ?) as previous_cash
        from c group by entity_id order by entity_id
    """
    return m.frame(sql, params + [period_end, prev_end])


def _month_end(d: date) -> date:
    return _add_months(d, 1) - timedelta(days=1)


def kpi_trend(m: Marts, f: Filters) -> pl.DataFrame:
    """Monthly revenue, burn and cash over the chosen period (all chosen entities summed)."""
    t = f"{MARTS}.fct_finance_kpis_monthly"
    m.require(t)
    where, wparams = _entity_clause(f)
    head, params = _with(
        m,
        f,
        f"""k as (
            select month_start, {_convert("revenue", m, f)} as revenue, {_convert("burn", m, f)} as burn,
                   {_convert("cash_balance", m, f)} as cash_balance
            from {t} {_rate_join(m, f, "last_day(month_start)")}
            where {where} and month_start between ? and ?
        )""",
    )
    params += wparams + [f.period_start, f.period_end]
    return m.frame(head + " select month_start, sum(revenue) as revenue, sum(burn) as burn, "
                   "sum(cash_balance) as cash_balance from k group by 1 order by 1", params)


# -- Cash -----------------------------------------------------------------------------


def cash_history(m: Marts, f: Filters, days: int = 120) -> pl.DataFrame:
    """Actual daily cash (chosen entities summed) for the last `days` days of data."""
    t = f"{MARTS}.fct_cash_balances_daily"
    m.require(t)
    where, wparams = _entity_clause(f)
    head, params = _with(
        m,
        f,
        f"""c as (
            select balance_date, {_convert("balance_reporting", m, f)} as balance
            from {t} {_rate_join(m, f, "balance_date")}
            where {where}
        )""",
    )
    params += wparams
    return m.frame(
        head + f""" select balance_date as date, sum(balance) as cash from c
        where balance_date > (select max(balance_date) from c) - interval {int(days)} day
        group by 1 order by 1""",
        params,
    )


def cash_forecast(m: Marts, f: Filters) -> pl.DataFrame:
    """The 13-week forecast, daily: p10/p50/p90 and the components (chosen entities summed)."""
    t = f"{FORECAST}.cash_forecast_daily"
    m.require(t)
    where, wparams = _entity_clause(f)
    cols = ("p10", "p50", "p90", *FORECAST_COMPONENTS)
    head, params = _with(
        m,
        f,
        f"""c as (
            select forecast_date, {", ".join(f"{_convert(c, m, f)} as {c}" for c in cols)}
            from {t} {_rate_join(m, f, "forecast_date")}
            where {where}
        )""",
    )
    params += wparams
    # Quantiles do not add across entities exactly; summing them is the conservative
    # reading (comonotone entities) and is what a CFO sees as "the group's band".
    return m.frame(
        head + f" select forecast_date as date, {', '.join(f'sum({c}) as {c}' for c in cols)} "
        "from c group by 1 order by 1",
        params,
    )


def forecast_weekly_components(m: Marts, f: Filters) -> pl.DataFrame:
    """Net cash flow per forecast week by component (long form, for a stacked bar)."""
    daily = f"{FORECAST}.cash_forecast_daily"
    m.require(daily)
    where, wparams = _entity_clause(f)
    head, params = _with(
        m,
        f,
        f"""c as (
            select forecast_date, {", ".join(f"{_convert(c, m, f)} as {c}" for c in FORECAST_COMPONENTS)}
            from {daily} {_rate_join(m, f, "forecast_date")}
            where {where}
        )""",
        """w as (
            select date_trunc('week', forecast_date)::date as week_start,
                   """ + ", ".join(f"sum({c}) as {c}" for c in FORECAST_COMPONENTS) + """
            from c group by 1
        )""",
    )
    params += wparams
    return m.frame(
        head + " select week_start, component, amount from w unpivot (amount for component in ("
        + ", ".join(FORECAST_COMPONENTS) + ")) order by week_start, component",
        params,
    )


def forecast_accuracy(m: Marts, f: Filters) -> pl.DataFrame:
    t = f"{FORECAST}.forecast_accuracy"
    m.require(t)
    where, wparams = _entity_clause(f)
    return m.frame(
        f"""select entity_id, horizon_weeks, mape, p10_p90_coverage, backtests
            from {t} where {where} order by entity_id, horizon_weeks""",
        wparams,
    )


def cash_floor(m: Marts, f: Filters) -> Any:
    """The configured minimum cash (summed over the chosen entities), or None."""
    t = f"{FORECAST}.cash_floor"
    if not m.has(t):
        return None
    where, wparams = _entity_clause(f)
    head, params = _with(m, f, f"c as (select {_convert('floor_amount', m, f)} as floor_amount from {t} "
                         f"{_rate_join(m, f, 'current_date', constant=True)} where {where})")
    rows = m.rows(head + " select sum(floor_amount) from c", params + wparams)
    return rows[0][0] if rows else None


# -- Revenue & pipeline ---------------------------------------------------------------


def revenue_breakdown(m: Marts, f: Filters) -> pl.DataFrame:
    """Revenue per month × entity × channel × transaction currency (in the chosen currency)."""
    t = f"{MARTS}.fct_revenue"
    m.require(t)
    where, wparams = _entity_clause(f)
    head, params = _with(
        m,
        f,
        f"""r as (
            select date_trunc('month', revenue_date)::date as month_start, entity_id, channel, currency,
                   amount, {_convert("amount_reporting", m, f)} as amount_reporting
            from {t} {_rate_join(m, f, "revenue_date")}
            where {where} and revenue_date between ? and ?
        )""",
    )
    params += wparams + [f.period_start, _month_end(f.period_end)]
    return m.frame(
        head + """ select month_start, entity_id, channel, currency,
                   sum(amount) as amount_transaction_currency, sum(amount_reporting) as revenue
            from r group by all order by all""",
        params,
    )


def mrr_movements(m: Marts, f: Filters) -> pl.DataFrame:
    t = f"{MARTS}.fct_mrr_movements"
    m.require(t)
    where, wparams = _entity_clause(f)
    head, params = _with(
        m,
        f,
        f"""r as (
            select month_start, movement_type, {_convert("mrr_change_reporting", m, f)} as mrr_change
            from {t} {_rate_join(m, f, "last_day(month_start)")}
            where {where} and month_start between ? and ?
        )""",
    )
    params += wparams + [f.period_start, f.period_end]
    return m.frame(head + " select month_start, movement_type, sum(mrr_change) as mrr_change "
                   "from r group by all order by all", params)


def pipeline_by_stage_month(m: Marts, f: Filters) -> pl.DataFrame:
    """Open deals' weighted amount by stage and expected close month."""
    t = f"{MARTS}.fct_pipeline"
    m.require(t)
    where, wparams = _entity_clause(f)
    head, params = _with(
        m,
        f,
        f"""p as (
            select stage, date_trunc('month', expected_close_date)::date as close_month,
                   {_convert("amount_reporting", m, f)} as amount,
                   {_convert("weighted_amount_reporting", m, f)} as weighted_amount
            from {t} {_rate_join(m, f, "current_date", constant=True)}
            where {where} and is_open
        )""",
    )
    params += wparams
    return m.frame(head + """ select stage, close_month, count(*) as deals, sum(amount) as amount,
                   sum(weighted_amount) as weighted_amount from p group by all order by close_month, stage""", params)


# -- Receivables & payables -----------------------------------------------------------


def _open_items_cte(m: Marts, f: Filters, as_of: date) -> tuple[str, list[Any]]:
    docs, pays = f"{MARTS}.fct_ar_ap_documents", f"{MARTS}.fct_document_payments"
    m.require(docs, pays)
    where, wparams = _entity_clause(f, "d.entity_id")
    head, params = _with(
        m,
        f,
        f"""paid as (
            select document_id, sum(amount) as paid, sum(amount_reporting) as paid_reporting
            from {pays} where paid_date <= ? group by 1
        )""",
        f"""open_items as (
            select d.document_type, d.entity_id, d.contact_id, d.contact_name, d.document_id,
                   d.issue_date, d.due_date, d.currency,
                   d.total_amount - coalesce(p.paid, 0) as open_amount,
                   {_convert("d.total_amount_reporting - coalesce(p.paid_reporting, 0)", m, f)} as open_reporting,
                   greatest(date_diff('day', d.due_date, ?::date), 0) as days_overdue
            from {docs} d left join paid p using (document_id) {_rate_join(m, f, "?::date", constant=True)}
            where {where} and d.issue_date <= ? and d.total_amount - coalesce(p.paid, 0) <> 0
        )""",
    )
    # parameter order follows the text: paid (as_of), days_overdue (as_of), [rate join as_of], where, issue_date
    params += [as_of, as_of] + ([as_of] if f.currency != base_currency(m) else []) + wparams + [as_of]
    return head, params


def aging(m: Marts, f: Filters, as_of: date) -> pl.DataFrame:
    """AR and AP open amounts by aging bucket as of a date (days past due)."""
    head, params = _open_items_cte(m, f, as_of)
    return m.frame(
        head + """, bucketed as (
                select document_type, open_reporting,
                       case when days_overdue = 0 then 'current' when days_overdue <= 30 then '1-30'
                            when days_overdue <= 60 then '31-60' when days_overdue <= 90 then '61-90'
                            else '90+' end as bucket
                from open_items
            )
            select document_type, bucket, count(*) as documents, sum(open_reporting) as open_amount
            from bucketed group by 1, 2
            order by document_type, list_position(['current','1-30','31-60','61-90','90+'], bucket)""",
        params,
    )


def top_overdue_customers(m: Marts, f: Filters, as_of: date, limit: int = 10) -> pl.DataFrame:
    head, params = _open_items_cte(m, f, as_of)
    return m.frame(
        head + f""" select contact_name as customer, entity_id, count(*) as overdue_invoices,
                   sum(open_reporting) as overdue_amount, max(days_overdue) as oldest_days_overdue
            from open_items where document_type = 'AR' and days_overdue > 0
            group by all order by overdue_amount desc, customer limit {int(limit)}""",
        params,
    )


def aging_date_bounds(m: Marts) -> tuple[date, date]:
    t = f"{MARTS}.fct_ar_ap_documents"
    m.require(t)
    lo, hi = m.rows(f"select min(issue_date), max(issue_date) from {t}")[0]
    return lo, hi


# -- Alerts ---------------------------------------------------------------------------


def alerts(m: Marts, f: Filters, states: dict[str, dict[str, Any]] | None = None) -> pl.DataFrame:
    """Alerts for the chosen entities, newest first, with their workflow status.

    `states` (alert_id -> {"status", "by", "at", "note"}) comes from the alert-state store:
    acknowledging is a write the read-only warehouse must not take.
    """
    t = f"{FORECAST}.alerts"
    m.require(t)
    where, wparams = _entity_clause(f)
    head, params = _with(
        m,
        f,
        f"""a as (
            select alert_id, raised_at, severity, rule, entity_id, title, detail,
                   {_convert("amount_reporting", m, f)} as amount
            from {t} {_rate_join(m, f, "raised_at::date")}
            where {where}
        )""",
    )
    frame = m.frame(head + " select * from a order by raised_at desc, alert_id", params + wparams)
    states = states or {}
    status = [states.get(a, {}).get("status", "open") for a in frame["alert_id"].to_list()]
    return frame.with_columns(pl.Series("status", status, dtype=pl.Utf8))


def alert_evidence(m: Marts, alert_id: str) -> list[dict[str, Any]]:
    """The evidence rows of one alert: each names a mart row and its raw lineage."""
    t = f"{FORECAST}.alerts"
    m.require(t)
    rows = m.rows(f"select evidence from {t} where alert_id = ?", [alert_id])
    if not rows or rows[0][0] is None:
        return []
    value = rows[0][0]
    data = json.loads(value) if isinstance(value, str) else value
    return data if isinstance(data, list) else [data]


def raw_record(key: str, lake=None) -> dict[str, Any]:
    """The raw provider record behind an evidence row (the one place the dashboard reads raw,
    on an explicit click): the envelope and the payload as the provider sent it."""
    from .lake import Lake

    envelope, payload = (lake or Lake()).read(key)
    return {"envelope": envelope, "payload": payload}


# -- Integration health ---------------------------------------------------------------


def source_health(m: Marts) -> pl.DataFrame:
    t = f"{MARTS}.source_health"
    m.require(t)
    return m.frame(
        f"""select source_system, entity_id, last_event_received_at, last_poll_succeeded_at,
                   raw_objects, mart_rows
            from {t} order by source_system, entity_id"""
    )


def integrity_findings(m: Marts, f: Filters) -> pl.DataFrame:
    t = f"{MARTS}.integrity_findings"
    m.require(t)
    where, wparams = _entity_clause(f)
    head, params = _with(
        m,
        f,
        f"""i as (
            select check_name, severity, entity_id, source_system, source_id, description,
                   {_convert("amount_reporting", m, f)} as amount
            from {t} {_rate_join(m, f, "current_date", constant=True)} where {where}
        )""",
    )
    return m.frame(head + " select * from i order by severity, check_name, source_id", params + wparams)


def integrity_summary(m: Marts, f: Filters) -> pl.DataFrame:
    t = f"{MARTS}.integrity_findings"
    m.require(t)
    where, wparams = _entity_clause(f)
    return m.frame(
        f"select check_name, severity, count(*) as findings from {t} where {where} group by all order by findings desc",
        wparams,
    )


def table_row_counts(m: Marts) -> pl.DataFrame:
    """Rows per mart and forecast table (DuckDB's exact counts, not estimates)."""
    names = sorted(t for t in m.tables if t.split(".", 1)[0] in (MARTS, FORECAST))
    if not names:
        return pl.DataFrame({"table": [], "rows": []}, schema={"table": pl.Utf8, "rows": pl.Int64})
    sql = " union all ".join(f"select '{n}' as \"table\", count(*) as rows from {n}" for n in names)
    return m.frame(sql + " order by 1")


def evidence_rows(m: Marts, table: str, key: dict[str, Any]) -> pl.DataFrame:
    """The mart row(s) an evidence item names. Table and columns are checked against the
    warehouse's own catalogue before they reach SQL (evidence is data, not trusted code)."""
    if table not in m.tables or not key:
        raise MissingMart(table)
    schema, name = table.split(".", 1)
    columns = {r[0] for r in m.rows(
        "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
        [schema, name])}
    unknown = set(key) - columns
    if unknown:
        raise ValueError(f"evidence names columns {sorted(unknown)} that {table} does not have")
    where = " and ".join(f'"{c}" = ?' for c in key)
    return m.frame(f'select * from {schema}."{name}" where {where}', [str(v) for v in key.values()])


# -- alert workflow state -------------------------------------------------------------


class LocalAlertStates:
    """Acknowledge / resolve, kept beside the warehouse (it is read-only and rebuilt).

    A JSON file under $LEDGERLAKE_HOME; used only until the alerts package provides the
    shared store (see `alert_store`).
    """

    def __init__(self, path: Path | None = None):
        self.path = path or config.home() / "alert_state.json"
        self._lock = threading.Lock()

    def all(self) -> dict[str, dict[str, Any]]:
        if not self.path.exists():
            return {}
        return json.loads(self.path.read_text())

    def _set(self, alert_id: str, status: str, by: str, note: str = "") -> None:
        from datetime import datetime, timezone

        with self._lock:
            states = self.all()
            states[alert_id] = {
                "status": status, "by": by, "note": note,
                "at": datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z"),
            }
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(states, indent=1, sort_keys=True))
            os.replace(tmp, self.path)

    def acknowledge(self, alert_id: str, by: str, note: str = "") -> None:
        self._set(alert_id, "acknowledged", by, note)

    def resolve(self, alert_id: str, by: str, note: str = "") -> None:
        self._set(alert_id, "resolved", by, note)


def alert_store():
    return LocalAlertStates()

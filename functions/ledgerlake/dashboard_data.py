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
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from . import config, figures
from .config import Settings

# Schemas the warehouse uses: dbt's layers and the forecaster's outputs.
MARTS = "marts"
FORECAST = "forecast"

# The tables and columns the dashboard reads (names as the dbt project and the forecaster
# write them). A missing table shows as "not built yet" on its page, not as an error.
ENTITIES = "seeds.legal_entities"  # entity_id, entity_name, functional_currency
FX_DAILY = "intermediate.int_fx_rates_daily"  # rate_date, currency, rate (into the reporting currency)
KPIS_MONTHLY = f"{MARTS}.finance_kpis_monthly"  # entity_id, period_month, reporting_currency, revenue, burn,
#                                                cash_balance, mrr, runway_months, dso_days, dpo_days, ar_overdue
CASH_DAILY = f"{MARTS}.cash_by_account_day"  # entity_id, account_key, account_name, currency, balance_date, balance
REVENUE_MONTHLY = f"{MARTS}.revenue_by_month"  # entity_id, period_month, currency, revenue, revenue_reporting
REVENUE_BY_CHANNEL = f"{MARTS}.revenue_by_channel_month"  # entity_id, period_month, channel, currency, revenue
MRR_MOVEMENTS = f"{MARTS}.mrr_movements_monthly"  # entity_id, period_month, movement_type, currency, mrr_change
DEALS = f"{MARTS}.crm_deals"  # deal_id, stage_label, probability, is_closed, amount, currency,
#                                                weighted_amount, close_date
DOCUMENTS = f"{MARTS}.ar_ap_documents"  # document_key, entity_id, document_kind, contact_name, issued_on,
#                                                due_date, currency, total_amount, is_voided, is_deleted
ALLOCATIONS = "intermediate.int_allocations"  # document_key, amount, applied_on
HEALTH = f"{MARTS}.source_health"  # source_system, entity_id, last_event_received_at,
#                                                last_poll_succeeded_at, raw_objects (one row per source and entity)
INTEGRITY_PREFIX = "integrity_"  # every marts.integrity_* table is a check; a row is a finding
FORECAST_DAILY = f"{FORECAST}.cash_forecast_daily"  # entity_id, currency, as_of, forecast_date, p10, p50, p90,
#                                                ar, ap, payroll, recurring, pipeline, unscheduled (docs/forecast.md)
ACCURACY = f"{FORECAST}.forecast_accuracy"  # series_id, entity_id, as_of, horizon, horizon_weeks, n_origins,
#                                                mase, naive_mase, wape, bias, coverage_calibrated
ALERTS = f"{FORECAST}.alerts"  # alert_id, rule, severity, entity_id, currency, amount,
#                                                amount_reporting, occurred_on, title, first_seen, status
#                                                (new / acknowledged / resolved), evidence (JSON list; docs/alerts.md)
CASH_FLOOR = f"{FORECAST}.cash_floor"  # entity_id, currency, floor_amount (what the runway alert used)

FORECAST_COMPONENTS = ("ar", "ap", "payroll", "recurring", "pipeline", "unscheduled", "residual")
CONSOLIDATED = "consolidated"  # the forecaster's all-entities rows (bands combined properly)
AGING_BUCKETS = ("current", "1-30", "31-60", "61-90", "90+")
ALL = "All entities"


PARQUET_REFRESH_SECONDS = 300  # how stale the dashboard on S3 may be (the transform runs hourly)


def warehouse_path() -> Path:
    explicit = os.environ.get("LEDGERLAKE_WAREHOUSE")
    return Path(explicit).resolve() if explicit else config.home() / "warehouse.duckdb"


class MissingMart(LookupError):
    """A table the page needs is not in the warehouse (that part of the pipeline has not run)."""


@dataclass(frozen=True)
class Filters:
    """What the sidebar chose: entity (an entity_id or ALL), a span of months, a currency."""

    entity: str
    period_start: date  # first month (day 1)
    period_end: date  # last month (day 1), inclusive
    currency: str


class Marts:
    """Read-only DuckDB access to the marts.

    Over the warehouse file, every query opens a short read-only connection and closes it:
    DuckDB lets one process write a file only when no other process has it open, and the
    forecaster writes its tables into the same file, so the dashboard must not hold it.
    (Results are cached by the app, keyed on `version`, so this costs little.) Over the
    Parquet marts on S3 one in-memory connection with views is kept instead.
    """

    def __init__(self, path: Path | None = None, settings: Settings | None = None):
        self.settings = settings or Settings.from_env()
        self.path = path or warehouse_path()
        self._conn = None
        self._lock = threading.Lock()
        if self.path.exists():
            self.mode = "warehouse"
            self.version = self.current_version(self.path)
        else:
            from .lake import duckdb_connect

            self.mode = "parquet"
            self._conn = duckdb_connect(":memory:", settings=self.settings)
            self.version = "s3:" + self._attach_parquet_marts()
        rows = self.rows("select table_schema, table_name, column_name from information_schema.columns")
        self.columns: dict[str, set[str]] = {}
        for schema, table, column in rows:
            self.columns.setdefault(f"{schema}.{table}", set()).add(column)
        self.tables = set(self.columns)

    def _attach_parquet_marts(self) -> str:
        """Views named like the warehouse's tables over s3://{marts}/marts/[{schema}/]{t}/{t}.parquet
        (the dbt marts, the forecaster's `forecast` schema, and the few seeds/intermediate
        tables the transform publishes for the dashboard: transform.runner.SUPPORT_TABLES)."""
        from .lake import s3_client

        s3 = s3_client(self.settings)
        bucket = self.settings.marts_bucket
        latest = ""
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="marts/"):
            for item in page.get("Contents", []):
                parts = item["Key"].split("/")
                if len(parts) not in (3, 4) or parts[-1] != parts[-2] + ".parquet":
                    continue
                schema = parts[1] if len(parts) == 4 else MARTS
                name = parts[-2]
                self._conn.execute(f'create schema if not exists "{schema}"')
                url = f"s3://{bucket}/{item['Key']}"
                self._conn.execute(f"create or replace view {schema}.\"{name}\" as select * from read_parquet('{url}')")
                latest = max(latest, item["LastModified"].isoformat())
        return latest

    @staticmethod
    def current_version(path: Path | None = None) -> str:
        """Cheap: changes whenever the warehouse file is rebuilt or rewritten (cache key).

        Without a file (the published Parquet on S3) it changes every PARQUET_REFRESH_SECONDS:
        the app then opens a new Marts, which lists the marts again (a new mart appears) and
        signs with fresh credentials (a container's role credentials expire; DuckDB's S3
        secret holds the ones it was given)."""
        path = path or warehouse_path()
        if not path.exists():
            return f"s3:{int(time.time() // PARQUET_REFRESH_SECONDS)}"
        st = path.stat()
        return f"{path}:{st.st_mtime_ns}:{st.st_size}"

    def _cursor(self):
        import duckdb

        if self._conn is not None:
            return self._conn.cursor()
        for attempt in range(50):  # a writer (the forecaster) holds the file for seconds at most
            try:
                return duckdb.connect(str(self.path), read_only=True)
            except duckdb.IOException:
                if attempt == 49:
                    raise
                time.sleep(0.1)

    def frame(self, sql: str, params: list[Any] | None = None) -> pl.DataFrame:
        cur = self._cursor()
        try:
            return cur.execute(_inline(sql, params)).pl()
        finally:
            cur.close()

    def rows(self, sql: str, params: list[Any] | None = None) -> list[tuple]:
        cur = self._cursor()
        try:
            return cur.execute(_inline(sql, params)).fetchall()
        finally:
            cur.close()

    def has(self, *tables: str) -> bool:
        return all(t in self.tables for t in tables)

    def require(self, *tables: str) -> None:
        missing = [t for t in tables if t not in self.tables]
        if missing:
            raise MissingMart(", ".join(missing))


def _literal(value: Any) -> str:
    """A parameter as a typed SQL literal (strings quoted, quotes doubled)."""
    from datetime import datetime
    from decimal import Decimal

    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return f"timestamp '{value.isoformat(sep=' ')}'"
    if isinstance(value, date):
        return f"date '{value.isoformat()}'"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return format(value, "f")  # an exact DECIMAL literal
    return "'" + str(value).replace("'", "''") + "'"


def _inline(sql: str, params: list[Any] | None) -> str:
    """The statement with its `?` parameters written in as literals.

    Why: DuckDB's Python client imports pandas the first time it binds a parameter (to
    recognise pandas values), which costs 1-9 s on the first page of a fresh server (see
    docs/benchmarks.md, Dashboard); nothing else in the dashboard needs pandas. The SQL here
    never has a `?` inside a string literal, and every value is quoted by `_literal`.
    """
    if not params:
        return sql
    parts = sql.split("?")
    if len(parts) != len(params) + 1:
        raise ValueError(f"{len(parts) - 1} placeholders for {len(params)} parameters")
    out = [parts[0]]
    for value, rest in zip(params, parts[1:]):
        out += [_literal(value), rest]
    return "".join(out)


# -- filters --------------------------------------------------------------------------


def entities(m: Marts) -> pl.DataFrame:
    m.require(ENTITIES)
    return m.frame(f"select entity_id, entity_name, functional_currency from {ENTITIES} order by entity_id")


def months(m: Marts) -> list[date]:
    """Months with KPIs (or, before the KPI mart exists, with revenue), oldest first."""
    table = KPIS_MONTHLY if m.has(KPIS_MONTHLY) else REVENUE_MONTHLY
    m.require(table)
    return [r[0] for r in m.rows(f"select distinct period_month from {table} order by 1")]


def base_currency(m: Marts) -> str:
    """The reporting currency the marts were built in (their `*_reporting` amounts)."""
    return m.settings.reporting_currency


def currencies(m: Marts) -> list[str]:
    """Reporting currencies the user may pick: the marts' own plus every currency with rates."""
    base = base_currency(m)
    found = {base}
    if m.has(FX_DAILY):
        found |= {r[0] for r in m.rows(f"select distinct currency from {FX_DAILY}")}
    return [base] + sorted(found - {base})


# -- SQL helpers ----------------------------------------------------------------------
#
# Conversion: every money column is in some currency X (its row's `currency`, or the
# marts' reporting currency). Into the chosen currency C on day d it is
# amount × rate(X→base, d) ÷ rate(C→base, d), the cross rate kept as DECIMAL(38,10) and the
# result rounded to cents. Rates are the warehouse's daily, carried-forward table; dates
# past its end (the forecast) use the latest rate.


def _entity_clause(f: Filters, column: str = "entity_id") -> tuple[str, list[Any]]:
    if f.entity == ALL:
        return "true", []
    return f"{column} = ?", [f.entity]


def _fx_cte(m: Marts, f: Filters) -> tuple[str, list[Any]]:
    """`fx(rate_date, currency, rate)`: one unit of `currency` in the chosen currency, per day."""
    base = base_currency(m)
    if not m.has(FX_DAILY):
        # No rates: only the marts' own currency can be shown.
        return ("fx as (select current_date as rate_date, ? as currency, cast(1 as decimal(38,10)) as rate)", [base])
    return (
        f"""fx_all as (
            select rate_date, currency, cast(rate as decimal(38,10)) as rate from {FX_DAILY} where currency <> ?
            union all
            select distinct rate_date, ?, cast(1 as decimal(38,10)) from {FX_DAILY}
        ),
        fx as (
            select x.rate_date, x.currency, cast(x.rate / c.rate as decimal(38,10)) as rate
            from fx_all x join fx_all c on c.rate_date = x.rate_date and c.currency = ?
        )""",
        [base, base, f.currency],
    )


def _money(expr: str, rate: str = "fx_rate") -> str:
    """A converted amount, rounded to cents (DECIMAL, never float); `rate` qualified when the
    mart has an fx_rate column of its own."""
    return f"cast(round(cast({expr} as decimal(38,6)) * {rate}, 2) as decimal(38,2))"


def _rate_join(alias: str, currency_expr: str, date_expr: str) -> str:
    """ASOF join: the latest rate on or before the row's date, for the row's currency."""
    return (
        f"asof left join (select rate_date, currency as fx_currency, rate as fx_rate from fx) {alias} "
        f"on {alias}.fx_currency = {currency_expr} and {date_expr} >= {alias}.rate_date"
    )


def _rate_at(alias: str, currency_expr: str, date_expr: str) -> str:
    """The same for one date shared by every row (a parameter or current_date)."""
    return (
        f"left join (select currency as fx_currency, arg_max(rate, rate_date) as fx_rate from fx "
        f"where rate_date <= {date_expr} group by 1) {alias} on {alias}.fx_currency = {currency_expr}"
    )


def _with(m: Marts, f: Filters, *ctes: str) -> tuple[str, list[Any]]:
    fx_sql, fx_params = _fx_cte(m, f)
    return "with " + ",\n".join((fx_sql, *ctes)), fx_params


def _add_months(d: date, k: int) -> date:
    y, mth = divmod(d.year * 12 + d.month - 1 + k, 12)
    return date(y, mth + 1, 1)


def _month_end(d: date) -> date:
    return _add_months(d, 1) - timedelta(days=1)


def previous_period(f: Filters) -> tuple[date, date]:
    """The span of the same length just before the chosen one."""
    n = (f.period_end.year - f.period_start.year) * 12 + f.period_end.month - f.period_start.month + 1
    end = _add_months(f.period_start, -1)
    return _add_months(end, -(n - 1)), end


@dataclass(frozen=True)
class Coverage:
    """What the chosen period really covers, and what it is compared with.

    A period the data ends inside (the current month or quarter, a fiscal year to date) is
    compared like with like: its days with data against the same number of days from the
    start of the period before it (MTD / QTD / YTD vs the same days), never against a whole
    period. A whole period is compared with the whole period of the same length before it."""

    start: date  # first month of the period (day 1)
    end: date  # last month with data in the period (day 1)
    data_end: date | None  # the last day with data in that month
    previous: tuple[date, date]  # the months compared against (day 1 of each)
    to_date: bool  # the period runs past the data (…-to-date)
    partial_days: tuple[int, int] | None  # (days with data, days in month) when the last month is partial
    months_in_period: int
    days: tuple[date, date] = None  # the days shown: first and last (inclusive)
    previous_days: tuple[date, date] = None  # the days compared against: first and last (inclusive)

    @property
    def shifted(self) -> bool:
        return self.to_date

    @property
    def label(self) -> str:
        """ "MTD" / "QTD" / "YTD" for a period to date ("" for a whole one)."""
        if not self.to_date:
            return ""
        return {1: "MTD", 3: "QTD"}.get(self.months_in_period, "YTD")

    @property
    def n_days(self) -> int:
        return (self.days[1] - self.days[0]).days + 1

    @property
    def against(self) -> str:
        """How a change is described: "vs previous period" or "QTD vs same days"."""
        return f"{self.label} vs same days" if self.to_date else "vs previous period"


def coverage(m: Marts, f: Filters) -> Coverage:
    """The chosen period cut to the data (docs/dashboard.md: partial periods)."""
    m.require(KPIS_MONTHLY)
    where, wparams = _entity_clause(f)
    extra = (
        "max(period_end), bool_and(is_complete)"
        if {"period_end", "is_complete"} <= m.columns[KPIS_MONTHLY]
        else "max(last_day(period_month)), true"
    )
    last_month, data_end, complete = m.rows(
        f"select max(period_month), {extra} from {KPIS_MONTHLY} where {where} and period_month between ? and ? "
        f"and period_month = (select max(period_month) from {KPIS_MONTHLY} where {where} and period_month <= ?)",
        wparams + [f.period_start, f.period_end] + wparams + [f.period_end],
    )[0]
    n_period = _months_between(f.period_start, f.period_end)
    if last_month is None or last_month >= f.period_end:
        end, to_date = f.period_end, False
    else:
        end, to_date = last_month, True
    end = max(end, f.period_start)
    partial = None
    if last_month == end and complete is False and data_end is not None:
        partial = (_day(data_end).day, _month_end(end).day)
        to_date = True
    last_day = _day(data_end) if partial else _month_end(end)
    prev_start, prev_end = previous_period(f)  # the whole period of the same length before
    if to_date:  # its first days, as many as this period has with data
        prev_last = min(prev_start + timedelta(days=(last_day - f.period_start).days), _month_end(prev_end))
    else:
        prev_last = _month_end(prev_end)
    return Coverage(
        start=f.period_start,
        end=end,
        data_end=_day(data_end) if data_end else None,
        previous=(prev_start, prev_last.replace(day=1)),
        to_date=to_date,
        partial_days=partial,
        months_in_period=n_period,
        days=(f.period_start, last_day),
        previous_days=(prev_start, prev_last),
    )


def _months_between(start: date, end: date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month + 1


def _day(value: Any) -> date:
    return value.date() if hasattr(value, "hour") else value


# -- Overview -------------------------------------------------------------------------

KPIS_ENTITY_DAILY = f"{MARTS}.finance_kpis_entity_daily"  # entity_id, date, period_month, reporting_currency,
#                       revenue_reporting, net_burn_reporting, cash_balance_reporting, ar_overdue_reporting,
#                       runway_months, dso_days, dpo_days, net_burn_90d, ar_invoiced_90d, ap_billed_90d
KPI_FLOW = ("revenue", "burn")  # add up over the days of a period
KPI_STOCK_MONEY = ("cash_balance", "mrr", "ar_overdue")  # the period's last day (MRR: its last month's end)
KPI_RATIO = ("runway_months", "dso_days", "dpo_days")


def kpis(m: Marts, f: Filters) -> dict[str, dict[str, Any]]:
    """{metric: {"value", "previous", "why"}} for the chosen period and the one it is compared
    with (`coverage`: a period to date against the same number of days of the period before).

    Built from the per-entity daily KPI mart, cut at each span's last day: flows add up over
    the span's days, stocks are the span's last day's (MRR: the monthly mart's month-end
    figure for the span's last month), each month converted at its month-end rate as the
    monthly mart's are. Money adds across entities after conversion. For all entities the
    ratios are rebuilt from their parts, never averaged: runway = cash at the end ÷ average
    monthly burn, DSO weighted by revenue, DPO by burn. One entity shows the mart's own
    ratios. `why` says, for a KPI with no value, why it has none (runway when not burning).
    """
    m.require(KPIS_MONTHLY, KPIS_ENTITY_DAILY)
    where, wparams = _entity_clause(f, "d.entity_id")
    cov = coverage(m, f)
    (cur_start, cur_end), (prev_start, prev_end) = cov.days, cov.previous_days
    money_cols = (*KPI_FLOW, *KPI_STOCK_MONEY)
    head, params = _with(
        m,
        f,
        """periods as (
            select 'current' as period, ?::date as p_start, ?::date as p_end
            union all select 'previous', ?::date, ?::date
        )""",
        f"""days as (
            select p.period, d.entity_id, d.period_month, d.date, d.reporting_currency, d.revenue_reporting,
                   d.net_burn_reporting, d.cash_balance_reporting, d.ar_overdue_reporting, d.runway_months,
                   d.dso_days, d.dpo_days, d.net_burn_90d, d.ar_invoiced_90d, d.ap_billed_90d, d.days_of_data,
                   max(d.date) over (partition by p.period, d.entity_id, d.period_month) as month_last_day
            from (select *, count(*) over (partition by entity_id order by date) as days_of_data
                  from {KPIS_ENTITY_DAILY}) d
            join periods p on d.date between p.p_start and p.p_end
            where {where}
        )""",
        """months as (
            -- one row per span, entity and month: flows summed, stocks on the month's last day in the span
            select x.period, x.entity_id, x.period_month, max(x.reporting_currency) as reporting_currency,
                   sum(x.revenue_reporting) as revenue, sum(x.net_burn_reporting) as burn,
                   max(case when x.date = x.month_last_day then x.cash_balance_reporting end) as cash_balance,
                   max(case when x.date = x.month_last_day then x.ar_overdue_reporting end) as ar_overdue,
                   max(case when x.date = x.month_last_day then x.runway_months end) as runway_months,
                   max(case when x.date = x.month_last_day then x.dso_days end) as dso_days,
                   max(case when x.date = x.month_last_day then x.dpo_days end) as dpo_days,
                   max(case when x.date = x.month_last_day then x.net_burn_90d end) as net_burn_90d,
                   max(case when x.date = x.month_last_day then x.ar_invoiced_90d end) as ar_invoiced_90d,
                   max(case when x.date = x.month_last_day then x.ap_billed_90d end) as ap_billed_90d,
                   max(case when x.date = x.month_last_day then x.days_of_data end) as days_of_data
            from days x group by x.period, x.entity_id, x.period_month
        )""",
        f"""k as (
            select x.period, x.period_month, x.entity_id,
                   {
            ", ".join(f"{_money('x.' + c if c != 'mrr' else 'coalesce(mm.mrr, 0)')} as {c}" for c in money_cols)
        },
                   x.runway_months, x.dso_days, x.dpo_days, x.net_burn_90d, x.ar_invoiced_90d, x.ap_billed_90d,
                   x.days_of_data
            from months x
            left join {KPIS_MONTHLY} mm on mm.entity_id = x.entity_id and mm.period_month = x.period_month
            {_rate_join("r", "x.reporting_currency", "last_day(x.period_month)")}
        )""",
        """per_month as (
            select period, period_month,
                   sum(revenue) as revenue, sum(burn) as burn, sum(cash_balance) as cash_balance,
                   sum(mrr) as mrr, sum(ar_overdue) as ar_overdue,
                   cast(round(sum(dso_days * revenue)
                              / nullif(sum(case when dso_days is not null then revenue end), 0), 1)
                        as decimal(18,1)) as dso_days,
                   cast(round(sum(dpo_days * burn) / nullif(sum(case when dpo_days is not null then burn end), 0), 1)
                        as decimal(18,1)) as dpo_days,
                   case when count(*) = 1 then any_value(runway_months) end as single_runway,
                   sum(net_burn_90d) as net_burn_90d, sum(ar_invoiced_90d) as ar_invoiced_90d,
                   sum(ap_billed_90d) as ap_billed_90d, min(days_of_data) as days_of_data,
                   max(period_month) over (partition by period) as last_month
            from k group by period, period_month
        )""",
        "spans as (select *, max(period_month) over (partition by period) as last_month from per_month)",
    )
    params += [cur_start, cur_end, prev_start, prev_end] + wparams
    last = "filter (where period_month = last_month)"
    sql = (
        head
        + f"""
        select period, sum(revenue) as revenue, sum(burn) as burn,
               max(cash_balance) {last} as cash_balance, max(mrr) {last} as mrr,
               max(ar_overdue) {last} as ar_overdue, max(dso_days) {last} as dso_days,
               max(dpo_days) {last} as dpo_days, max(single_runway) {last} as single_runway,
               cast(round(max(cash_balance) {last} / nullif(avg(burn), 0), 2) as decimal(18,2)) as group_runway,
               avg(burn) > 0 as burning, max(net_burn_90d) {last} as net_burn_90d,
               max(ar_invoiced_90d) {last} as ar_invoiced_90d, max(ap_billed_90d) {last} as ap_billed_90d,
               max(days_of_data) {last} as days_of_data
        from spans group by period
    """
    )
    out = {k: {"value": None, "previous": None, "why": None} for k in (*KPI_FLOW, *KPI_STOCK_MONEY, *KPI_RATIO)}
    current: dict[str, Any] = {}
    for row in m.frame(sql, params).iter_rows(named=True):
        slot = "value" if row["period"] == "current" else "previous"
        current = row if slot == "value" else current
        for k in (*KPI_FLOW, *KPI_STOCK_MONEY, "dso_days", "dpo_days"):
            out[k][slot] = row[k]
        if f.entity == ALL:
            out["runway_months"][slot] = row["group_runway"] if row["burning"] else None
        else:
            out["runway_months"][slot] = row["single_runway"]
    if m.has(DOCUMENTS, ALLOCATIONS):  # payables past due: not in the KPI mart, from the documents
        out["ap_overdue"] = {
            "value": overdue_total(m, f, cur_end, "AP") if current else None,
            "previous": overdue_total(m, f, prev_end, "AP"),
            "why": None,
        }
    for key, why in _why_undefined(f, cov, current).items():
        if out[key]["value"] is None:
            out[key]["why"] = why
    return out


def _why_undefined(f: Filters, cov: Coverage, row: dict[str, Any]) -> dict[str, str]:
    """What an empty KPI means, in words (the Overview shows it on the card)."""
    if not row:
        return dict.fromkeys((*KPI_FLOW, *KPI_STOCK_MONEY, *KPI_RATIO), f"No data for {f.entity} in this period.")
    short = row["days_of_data"] is not None and row["days_of_data"] < 90
    history = f"Needs 90 days of history; there are {row['days_of_data']} to {cov.days[1]:%d %b %Y}."
    if f.entity == ALL:
        runway = (
            (
                "Not burning: cash came in faster than it went out over the period (net burn "
                f"{row['burn']:,.0f} {f.currency}), so there is no runway to count down."
            )
            if row["burn"] is not None and row["burn"] <= 0
            else "No burn figure for the period."
        )
    elif short:
        runway = history
    else:
        runway = (
            (
                "Not burning: over the trailing 90 days cash came in faster than it went out, so there is "
                "no runway to count down."
            )
            if (row["net_burn_90d"] or 0) <= 0
            else "No cash balance on the day."
        )
    return {
        "runway_months": runway,
        "dso_days": history if short else "No sales invoices in the trailing 90 days: nothing to measure against.",
        "dpo_days": history if short else "No bills in the trailing 90 days: nothing to measure against.",
    }


def kpi_trend(m: Marts, f: Filters, months_back: int = 12) -> pl.DataFrame:
    """Monthly revenue, burn and cash for the 12 months to the period's end (entities summed)."""
    m.require(KPIS_MONTHLY)
    where, wparams = _entity_clause(f)
    start = min(f.period_start, _add_months(f.period_end, -(months_back - 1)))
    head, params = _with(
        m,
        f,
        f"""k as (
            select period_month, {_money("revenue")} as revenue, {_money("burn")} as burn,
                   {_money("cash_balance")} as cash_balance
            from {KPIS_MONTHLY} {_rate_join("r", "reporting_currency", "last_day(period_month)")}
            where {where} and period_month between ? and ?
        )""",
    )
    return m.frame(
        head + " select period_month as month, sum(revenue) as revenue, sum(burn) as burn, "
        "sum(cash_balance) as cash_balance from k group by 1 order by 1",
        params + wparams + [start, f.period_end],
    )


def _cash_daily_cte(m: Marts, f: Filters, extra_where: str = "true") -> tuple[str, list[Any]]:
    m.require(CASH_DAILY)
    where, wparams = _entity_clause(f, "c.entity_id")
    head, params = _with(
        m,
        f,
        f"""cash as (
            select c.entity_id, c.balance_date, {_money("c.balance")} as balance
            from {CASH_DAILY} c {_rate_join("r", "c.currency", "c.balance_date")}
            where {where} and {extra_where}
        )""",
    )
    return head, params + wparams


def cash_by_entity(m: Marts, f: Filters) -> pl.DataFrame:
    """Bank balances per entity at the period's end — or, for a period the data ends inside,
    at the last day with data — and at the end of the period it is compared with. Each
    account carries its latest balance on or before the day (an account with no movement
    that day still holds its money), so every entity with an account shows a figure."""
    m.require(CASH_DAILY)
    last = m.rows(f"select max(balance_date) from {CASH_DAILY}")[0][0]
    end = min(_month_end(f.period_end), _day(last)) if last else _month_end(f.period_end)
    cov = coverage(m, f) if m.has(KPIS_MONTHLY) else None
    prev_end = cov.previous_days[1] if cov else _month_end(previous_period(f)[1])  # the compared span's last day
    head, params = _cash_daily_cte(m, f, "c.balance_date <= ?::date")
    head = head.replace("select c.entity_id, c.balance_date,", "select c.entity_id, c.account_key, c.balance_date,")
    return m.frame(
        head
        + """, latest as (
                select entity_id, account_key, arg_max(balance, balance_date) filter (where balance_date <= ?) as cash,
                       arg_max(balance, balance_date) filter (where balance_date <= ?) as previous_cash
                from cash group by all
            )
            select entity_id, ?::date as as_of, coalesce(sum(cash), 0) as cash, ?::date as previous_as_of,
                   sum(previous_cash) as previous_cash
            from latest group by entity_id order by entity_id""",
        params + [end, end, prev_end, end, prev_end],
    )


# -- Cash -----------------------------------------------------------------------------


def cash_history(m: Marts, f: Filters, days: int = 120) -> pl.DataFrame:
    """Actual daily bank cash (chosen entities summed) for the last `days` days of data."""
    head, params = _cash_daily_cte(m, f)
    return m.frame(
        head
        + f""" select balance_date as date, sum(balance) as cash from cash
        where balance_date > (select max(balance_date) from cash) - interval {int(days)} day
        group by 1 order by 1""",
        params,
    )


def _forecast_cte(m: Marts, f: Filters, cols: tuple[str, ...]) -> tuple[str, list[Any]]:
    """The latest forecast run's rows: the consolidated rows for all entities (their band
    combines the entities properly), the entity's own otherwise; converted."""
    m.require(FORECAST_DAILY)
    entity = CONSOLIDATED if f.entity == ALL else f.entity
    head, params = _with(
        m,
        f,
        f"""fc as (
            select d.forecast_date as date, {", ".join(f"{_money('d.' + c)} as {c}" for c in cols)}
            from {FORECAST_DAILY} d {_rate_join("r", "d.currency", "d.forecast_date")}
            where d.entity_id = ? and d.as_of = (select max(as_of) from {FORECAST_DAILY})
        )""",
    )
    return head, params + [entity]


def cash_forecast(m: Marts, f: Filters) -> pl.DataFrame:
    """The 13-week forecast, daily: the balance's p10/p50/p90 and the components' daily flows."""
    cols = ("p10", "p50", "p90", *FORECAST_COMPONENTS)
    head, params = _forecast_cte(m, f, cols)
    return m.frame(head + f" select date, {', '.join(cols)} from fc order by date", params)


def cash_scenarios(m: Marts, f: Filters) -> pl.DataFrame:
    """Saved what-if scenarios beside the base forecast (forecast.cash_scenarios, latest run):
    per scenario and day the base p50, the scenario's p10/p50/p90 and the change, converted
    like the forecast; empty when no scenario is saved."""
    table = f"{FORECAST}.cash_scenarios"
    if not m.has(table):
        return pl.DataFrame()
    entity = CONSOLIDATED if f.entity == ALL else f.entity
    cols = ("base_p50", "change", "p10", "p50", "p90")
    head, params = _with(
        m,
        f,
        f"""sc as (
            select s.scenario, s.forecast_date as date, s.horizon_day,
                   {", ".join(f"{_money('s.' + c)} as {c}" for c in cols)}
            from {table} s {_rate_join("r", "s.currency", "s.forecast_date")}
            where s.entity_id = ? and s.as_of = (select max(as_of) from {table})
        )""",
    )
    return m.frame(head + " select * from sc order by scenario, date", params + [entity])


def cash_in_13_weeks(m: Marts, f: Filters) -> dict[str, Any] | None:
    """ "Cash in 13 weeks" by the one definition every surface uses (ledgerlake.figures: the
    latest run's balance on its as-of day + 91 days), converted like the rest of the page."""
    m.require(FORECAST_DAILY)
    h = figures.cash_in_13_weeks(m.rows, CONSOLIDATED if f.entity == ALL else f.entity)
    if h is None:
        return None
    found = cash_forecast(m, f).filter(pl.col("date") == h.date)
    if found.is_empty():
        return None
    row = found.row(0, named=True)
    return {"as_of": h.as_of, "date": h.date, "p10": row["p10"], "p50": row["p50"], "p90": row["p90"]}


def headline(m: Marts, states: dict[str, str] | None = None) -> figures.Headline | None:
    """The company's headline figures (all entities, the marts' reporting currency), by the
    definitions the weekly email uses too (ledgerlake.figures)."""
    m.require(figures.KPIS_DAILY, KPIS_MONTHLY)
    return figures.headline(m.rows, base_currency(m), states)


def forecast_weekly_components(m: Marts, f: Filters) -> pl.DataFrame:
    """Net flow per forecast week and component (long form, for a stacked bar)."""
    head, params = _forecast_cte(m, f, FORECAST_COMPONENTS)
    sums = ", ".join(f"sum({c}) as {c}" for c in FORECAST_COMPONENTS)
    return m.frame(
        head
        + f""", w as (select date_trunc('week', date)::date as week_start, {sums} from fc group by 1)
        select week_start, component, amount from w
        unpivot (amount for component in ({", ".join(FORECAST_COMPONENTS)}))
        order by week_start, component""",
        params,
    )


def forecast_accuracy(m: Marts, f: Filters) -> pl.DataFrame:
    """The rolling-origin backtest of the statistical part, by horizon (latest run)."""
    m.require(ACCURACY)
    where, wparams = _entity_clause(f)
    wanted = [
        c
        for c in (
            "entity_id",
            "series_id",
            "horizon",
            "mase",
            "naive_mase",
            "wape",
            "bias",
            "coverage_calibrated",
            "n_origins",
        )
        if c in m.columns[ACCURACY]
    ]
    # horizon buckets in order ('weeks 01-04' … 'weeks 09-13'), the overall 'all' last
    return m.frame(
        f"""select {", ".join(wanted)} from {ACCURACY}
            where {where} and as_of = (select max(as_of) from {ACCURACY})
            order by entity_id, series_id, horizon_weeks nulls last, horizon""",
        wparams,
    )


def forecast_headline(m: Marts, f: Filters) -> list[tuple[str, bool]]:
    """The forecaster's own sentence per entity (forecast.forecast_headline): how far its
    13-week forecasts have been from the actual balance beside flat, and whether it beats
    the baselines. [(sentence, beats_baselines)]; empty before a backtest has run."""
    headline = f"{FORECAST}.forecast_headline"
    if not m.has(headline):
        return []
    where, params = _entity_clause(f)
    return [
        (s, bool(b))
        for s, b in m.rows(f"select sentence, beats_baselines from {headline} where {where} order by entity_id", params)
    ]


# Optional columns the forecaster may write to say which model a series' forecast uses
# (e.g. after falling back to a naive one); read when present (docs/forecast.md).
MODEL_COLUMNS = ("model_used", "model", "chosen_model")


def forecast_not_beating_naive(m: Marts, f: Filters) -> pl.DataFrame:
    """Series whose backtest (all horizons, latest run) does not beat a naive forecast:
    MASE ≥ 1 (no better than repeating the last period) or ≥ the seasonal naive's own MASE
    on the same windows. Columns: entity_id, series_id, mase, naive_mase, wape, model (the
    model the forecast uses, when the forecaster says)."""
    m.require(ACCURACY)
    cols = m.columns[ACCURACY]
    where, wparams = _entity_clause(f)
    model = next((c for c in MODEL_COLUMNS if c in cols), None)
    naive = "naive_mase" if "naive_mase" in cols else "null::double"
    return m.frame(
        f"""select entity_id, series_id, mase, {naive} as naive_mase, wape,
                   {model if model else "null::varchar"} as model
            from {ACCURACY}
            where {where} and as_of = (select max(as_of) from {ACCURACY}) and horizon = 'all'
              and (mase >= 1 or mase >= coalesce({naive}, 'infinity'::double))
            order by entity_id, series_id""",
        wparams,
    )


def cash_floor(m: Marts, f: Filters) -> Any:
    """The cash floor the runway alert used, converted: the forecaster's `cash_floor` table
    (the entity's own currency; the reporting currency for the consolidated group), or the
    alerts configuration before a forecast has run. None if unknown. Converted at the
    forecast's as-of rate, as its balances are."""
    from .alerts.rules import AlertConfig

    entity = CONSOLIDATED if f.entity == ALL else f.entity
    found = (
        m.rows(f"select floor_amount, currency from {CASH_FLOOR} where entity_id = ?", [entity])
        if m.has(CASH_FLOOR)
        else []
    )
    if found:
        amount, currency = found[0]
    else:
        amount = AlertConfig.from_env().floor_for(entity)
        if entity == CONSOLIDATED:
            currency = base_currency(m)
        else:
            ents = entities(m)
            currency = ents.filter(pl.col("entity_id") == entity)["functional_currency"].item()
    if amount is None:
        return None
    on = f"(select max(as_of) from {FORECAST_DAILY})" if m.has(FORECAST_DAILY) else "current_date"
    head, params = _with(m, f, "x as (select ?::decimal(38,6) as amount, ? as currency)")
    rows = m.rows(
        head + f" select {_money('amount')} from x {_rate_at('r', 'x.currency', on)}", params + [str(amount), currency]
    )
    return rows[0][0] if rows else None


# -- Revenue & pipeline ---------------------------------------------------------------


def revenue_by_entity(m: Marts, f: Filters) -> pl.DataFrame:
    """Revenue per month and entity: in its functional currency and in the chosen one (the
    mart's own reporting amounts, converted at each posting's rate, when that is the choice)."""
    m.require(REVENUE_MONTHLY)
    where, wparams = _entity_clause(f, "v.entity_id")
    head, params = _with(
        m,
        f,
        f"""v as (
            select v.period_month, v.entity_id, v.currency, v.revenue as revenue_functional,
                   {"v.revenue_reporting" if f.currency == base_currency(m) else _money("v.revenue")} as revenue
            from {REVENUE_MONTHLY} v {_rate_join("r", "v.currency", "last_day(v.period_month)")}
            where {where} and v.period_month between ? and ?
        )""",
    )
    return m.frame(
        head + " select * from v order by period_month, entity_id", params + wparams + [f.period_start, f.period_end]
    )


def revenue_by_channel(m: Marts, f: Filters) -> pl.DataFrame:
    """Revenue per month, channel and transaction currency (converted)."""
    m.require(REVENUE_BY_CHANNEL)
    where, wparams = _entity_clause(f, "v.entity_id")
    head, params = _with(
        m,
        f,
        f"""v as (
            select v.period_month, v.entity_id, v.channel, v.currency, v.revenue as revenue_transaction_currency,
                   {_money("v.revenue")} as revenue
            from {REVENUE_BY_CHANNEL} v {_rate_join("r", "v.currency", "last_day(v.period_month)")}
            where {where} and v.period_month between ? and ?
        )""",
    )
    return m.frame(
        head
        + """ select period_month, channel, currency, sum(revenue_transaction_currency)
                   as revenue_transaction_currency, sum(revenue) as revenue from v group by all order by all""",
        params + wparams + [f.period_start, f.period_end],
    )


def mrr_movements(m: Marts, f: Filters) -> pl.DataFrame:
    m.require(MRR_MOVEMENTS)
    where, wparams = _entity_clause(f, "v.entity_id")
    head, params = _with(
        m,
        f,
        f"""v as (
            select v.period_month, v.movement_type, {_money("v.mrr_change")} as mrr_change
            from {MRR_MOVEMENTS} v {_rate_join("r", "v.currency", "last_day(v.period_month)")}
            where {where} and v.period_month between ? and ?
        )""",
    )
    return m.frame(
        head + " select period_month, movement_type, sum(mrr_change) as mrr_change from v group by all order by all",
        params + wparams + [f.period_start, f.period_end],
    )


def pipeline_by_stage_month(m: Marts, f: Filters) -> pl.DataFrame:
    """Open deals by stage and expected close month: count, amount, probability-weighted.

    CRM deals carry no legal entity, so the entity filter does not apply here."""
    m.require(DEALS)
    head, params = _with(
        m,
        f,
        f"""p as (
            select d.stage_label as stage, date_trunc('month', d.close_date)::date as close_month,
                   {_money("d.amount")} as amount, {_money("d.weighted_amount")} as weighted_amount
            from {DEALS} d {_rate_at("r", "d.currency", "current_date")}
            where not d.is_closed
        )""",
    )
    return m.frame(
        head
        + """ select stage, close_month, count(*) as deals, sum(amount) as amount,
                   sum(weighted_amount) as weighted_amount from p group by all order by close_month, stage""",
        params,
    )


# -- Receivables & payables -----------------------------------------------------------


# -- consolidation (#20): the group in the reporting currency ----------------------------------
CONSOLIDATED_PNL = f"{MARTS}.consolidated_profit_and_loss"
CONSOLIDATED_BS = f"{MARTS}.consolidated_balance_sheet"
CONSOLIDATION_LINES = "intermediate.int_consolidation_lines"


def consolidated_statements(m: Marts, f: Filters) -> dict[str, pl.DataFrame]:
    """The group's P&L per month and P&L line (entities at average rates, eliminations,
    consolidated) and balance sheet per month end, in the period of the filters. Always in the
    reporting currency: translating the group is what these marts are."""
    m.require(CONSOLIDATED_PNL, CONSOLIDATED_BS)
    pnl = m.frame(
        f"select period_month, pl_line, entities_amount, eliminated_amount, consolidated_amount, currency "
        f"from {CONSOLIDATED_PNL} where period_month between ? and ? order by period_month, pl_line",
        [_month_start(f.period_start), f.period_end],
    )
    bs = m.frame(
        f"select month_end, total_assets, total_liabilities, total_equity, earnings_to_date, "
        f"translation_adjustment, eliminated_assets, eliminated_liabilities, currency "
        f"from {CONSOLIDATED_BS} where month_end between ? and ? order by month_end",
        [_month_start(f.period_start), _month_end(f.period_end)],
    )
    return {"pnl": pnl, "balance_sheet": bs}


def _month_start(d: date) -> date:
    return d.replace(day=1)


def _open_items_cte(m: Marts, f: Filters, as_of: date) -> tuple[str, list[Any]]:
    """Documents open at the end of `as_of`: issued by then, less what was applied by then."""
    m.require(DOCUMENTS, ALLOCATIONS)
    where, wparams = _entity_clause(f, "d.entity_id")
    # the resolved customer / vendor name when the marts have parties (one name per party)
    party = "coalesce(d.party_name, d.contact_name)" if "party_name" in m.columns[DOCUMENTS] else "d.contact_name"
    head, params = _with(
        m,
        f,
        f"""applied as (
            select document_key, sum(amount) as applied from {ALLOCATIONS} where applied_on <= ? group by 1
        )""",
        f"""open_items as (
            select d.document_kind, d.entity_id, {party} as contact_name, d.document_key, d.document_number,
                   d.issued_on, d.source_system, d.source_id,
                   coalesce(d.due_date, d.issued_on) as due_date, d.currency,
                   d.total_amount - coalesce(a.applied, 0) as open_amount_document_currency,
                   {_money("d.total_amount - coalesce(a.applied, 0)")} as open_amount,
                   -- a document without a due date is due when issued (the marts' ar_ap_open_items rule)
                   greatest(date_diff('day', coalesce(d.due_date, d.issued_on), ?::date), 0) as days_overdue
            from {DOCUMENTS} d left join applied a using (document_key)
            {_rate_at("r", "d.currency", "?::date")}
            where {where} and d.issued_on <= ? and not d.is_voided and not d.is_deleted
              and d.total_amount - coalesce(a.applied, 0) <> 0
        )""",
    )
    return head, params + [as_of, as_of, as_of] + wparams + [as_of]


BUCKET_SQL = """case when days_overdue = 0 then 'current' when days_overdue <= 30 then '1-30'
                      when days_overdue <= 60 then '31-60' when days_overdue <= 90 then '61-90' else '90+' end"""


def aging(m: Marts, f: Filters, as_of: date) -> pl.DataFrame:
    """AR and AP open amounts by days past due, as of a date."""
    head, params = _open_items_cte(m, f, as_of)
    return m.frame(
        head
        + f""", bucketed as (
            select document_kind, open_amount, {BUCKET_SQL} as bucket
            from open_items
        )
        select document_kind, bucket, count(*) as documents, sum(open_amount) as open_amount
        from bucketed group by 1, 2
        order by document_kind desc, list_position(['current','1-30','31-60','61-90','90+'], bucket)""",
        params,
    )


def aging_documents(
    m: Marts, f: Filters, as_of: date, kind: str, bucket: str | None = None, overdue_only: bool = False
) -> pl.DataFrame:
    """The documents behind an aging bucket (or every overdue one): what a click on a bar or
    a KPI card opens. Amounts open as of `as_of`, converted; lineage to the source record."""
    head, params = _open_items_cte(m, f, as_of)
    cond = "true"
    if bucket:
        cond = f"({BUCKET_SQL}) = '{bucket}'" if bucket in AGING_BUCKETS else "false"
    elif overdue_only:
        cond = "days_overdue > 0"
    return m.frame(
        head
        + f""" select document_kind, entity_id, contact_name as party, document_number, issued_on, due_date,
                   days_overdue, currency, open_amount_document_currency, open_amount, source_system, source_id
            from open_items where document_kind = ? and {cond}
            order by days_overdue desc, open_amount desc, document_number""",
        params + [kind],
    )


# -- the documents behind a KPI card ---------------------------------------------------

GL = f"{MARTS}.general_ledger"
MRR_CUSTOMERS = "intermediate.int_mrr_customer_month"  # entity_id, customer_id, currency, period_month, mrr
CARDS = ("cash_balance", "revenue", "burn", "runway_months", "mrr", "dso_days", "dpo_days", "ar_overdue", "ap_overdue")


def card_documents(m: Marts, f: Filters, card: str) -> pl.DataFrame:
    """The records behind one Overview card for the chosen period (its days with data,
    `coverage`), converted; each row names its source record. An `amount` column adds up
    to the card where the card is a sum: cash (bank accounts on the last day), revenue
    (revenue postings), burn (bank documents net of money in; runway rests on it), MRR
    (subscribers at the last month's end), AR / AP overdue (open documents past due). DSO
    and DPO show the open receivables / payables they divide."""
    cov = coverage(m, f)
    first, last = cov.days
    if card in ("ar_overdue", "ap_overdue", "dso_days", "dpo_days"):
        kind = "AR" if card in ("ar_overdue", "dso_days") else "AP"
        docs = aging_documents(m, f, last, kind, None, card.endswith("overdue"))
        return docs.rename({"open_amount": "amount"})
    if card == "cash_balance":
        return cash_accounts(m, f, last)
    if card == "mrr":
        return mrr_customers(m, f, cov.end)
    if card in ("revenue", "burn", "runway_months"):
        return ledger_documents(m, f, first, last, "revenue" if card == "revenue" else "burn")
    raise ValueError(f"no drill-down for {card!r}; one of {', '.join(CARDS)}")


def cash_accounts(m: Marts, f: Filters, day: date) -> pl.DataFrame:
    """Each bank account's balance at the end of `day` (its latest on or before it)."""
    head, params = _cash_daily_cte(m, f, "c.balance_date <= ?::date")
    head = head.replace(
        "select c.entity_id, c.balance_date,",
        "select c.entity_id, c.account_key, c.account_name, c.currency, c.balance as balance_account,"
        " c.source_system, c.source_id, c.balance_date,",
    )
    return m.frame(
        head
        + """ select entity_id, account_name, currency, max(balance_date) as balance_date,
               arg_max(balance_account, balance_date) as balance_account_currency,
               arg_max(balance, balance_date) as amount, any_value(source_system) as source_system,
               arg_max(source_id, balance_date) as source_id
        from cash group by entity_id, account_key, account_name, currency order by entity_id, amount desc""",
        params + [day],
    )


def mrr_customers(m: Marts, f: Filters, month: date) -> pl.DataFrame:
    """Subscribers' MRR at the end of `month`, largest first (converted at the month end)."""
    m.require(MRR_CUSTOMERS)
    where, wparams = _entity_clause(f, "c.entity_id")
    head, params = _with(
        m,
        f,
        f"""mrr as (
        select c.entity_id, c.customer_id, c.currency, c.mrr as mrr_currency, {_money("c.mrr")} as amount,
               c.movement_type, c.source_system, c.source_id
        from {MRR_CUSTOMERS} c {_rate_join("r", "c.currency", "last_day(c.period_month)")}
        where {where} and c.period_month = ? and c.mrr <> 0)""",
    )
    return m.frame(head + " select * from mrr order by amount desc, customer_id", params + wparams + [month])


def ledger_documents(m: Marts, f: Filters, first: date, last: date, what: str) -> pl.DataFrame:
    """The ledger documents behind revenue (operating revenue postings, credit-positive) or
    burn (each document's net effect on the bank, money out positive; transfers between the
    entity's own accounts and equity-only documents left out, as finance_kpis_entity_daily
    does) from `first` to `last`, with the resolved party when the ledger marts carry it."""
    m.require(GL)
    where, wparams = _entity_clause(f, "g.entity_id")
    party = "g.party_name" if "party_name" in m.columns[GL] else "null::varchar"
    if what == "revenue":
        amount, having = (
            "-sum(case when g.is_operating_revenue then g.functional_amount else 0 end)",
            "max(case when g.is_operating_revenue then 1 else 0 end) = 1",
        )
    else:
        amount = "-sum(case when g.is_bank then g.functional_amount else 0 end)"
        having = (
            "max(case when not g.is_bank and g.account_class <> 'equity' then 1 else 0 end) = 1 "
            "and sum(case when g.is_bank then g.functional_amount else 0 end) <> 0"
        )
    head, params = _with(
        m,
        f,
        f"""docs as (
        select g.posted_on, g.entity_id, g.document_type, max(g.doc_number) as doc_number,
               max({party}) as party, max(g.description) as description, g.functional_currency as currency,
               {amount} as amount_functional, g.source_system, g.document_id as source_id
        from {GL} g
        where {where} and g.posted_on between ? and ?
        group by g.posted_on, g.entity_id, g.document_type, g.functional_currency, g.source_system,
                 g.tenant_id, g.document_id
        having {having})""",
    )
    return m.frame(
        head
        + f""" select d.*, {_money("d.amount_functional")} as amount
        from docs d {_rate_join("r", "d.currency", "d.posted_on")} order by amount desc, posted_on, source_id""",
        params + wparams + [first, last],
    )


def overdue_total(m: Marts, f: Filters, day: date, kind: str) -> Any:
    """What is open and past due at the end of `day` (AR or AP), converted."""
    head, params = _open_items_cte(m, f, day)
    return m.rows(
        head + " select coalesce(sum(open_amount), 0) from open_items where document_kind = ? and days_overdue > 0",
        params + [kind],
    )[0][0]


def top_overdue_customers(m: Marts, f: Filters, as_of: date, limit: int = 10) -> pl.DataFrame:
    head, params = _open_items_cte(m, f, as_of)
    return m.frame(
        head
        + f""" select contact_name as customer, entity_id, count(*) as overdue_invoices,
                   sum(open_amount) as overdue_amount, max(days_overdue) as oldest_days_overdue
            from open_items where document_kind = 'AR' and days_overdue > 0
            group by all order by overdue_amount desc, customer limit {int(limit)}""",
        params,
    )


def aging_date_bounds(m: Marts) -> tuple[date, date]:
    m.require(DOCUMENTS)
    return m.rows(f"select min(issued_on), max(greatest(issued_on, due_date)) from {DOCUMENTS}")[0]


# -- Budget vs actual -----------------------------------------------------------------

BUDGET_VS_ACTUAL = f"{MARTS}.budget_vs_actual"  # budget_name, entity_id, period_month, account_key, account_code,
#                    account_name, account_class, currency, is_budgeted, is_month_complete, budget_amount,
#                    actual_amount (functional currency; docs/budgets.md)


def budget_names(m: Marts) -> list[str]:
    m.require(BUDGET_VS_ACTUAL)
    return [r[0] for r in m.rows(f"select distinct budget_name from {BUDGET_VS_ACTUAL} order by 1")]


BUDGET_SOURCES = {"csv": "an imported CSV", "qbo": "QuickBooks Online", "xero": "Xero"}


def budget_kept_in(m: Marts, budget: str) -> str:
    """Where a budget is kept ("QuickBooks Online", "an imported CSV"...): the mart's
    budget_source; '' for marts built before budgets came from the ledgers."""
    if "budget_source" not in m.columns.get(BUDGET_VS_ACTUAL, set()):
        return ""
    rows = m.rows(f"select distinct budget_source from {BUDGET_VS_ACTUAL} where budget_name = ? order by 1", [budget])
    return " and ".join(BUDGET_SOURCES.get(r[0], r[0]) for r in rows)


def _budget_cte(m: Marts, f: Filters, budget: str) -> tuple[str, list[Any]]:
    """The budget's rows for the chosen entities and months, converted at each month end's rate."""
    m.require(BUDGET_VS_ACTUAL)
    where, wparams = _entity_clause(f, "b.entity_id")
    head, params = _with(
        m,
        f,
        f"""bva as (
        select b.entity_id, b.period_month, b.account_key, b.account_code, b.account_name, b.account_class,
               b.is_budgeted, b.is_month_complete, {_money("b.budget_amount", "r.fx_rate")} as budget,
               {_money("b.actual_amount", "r.fx_rate")} as actual
        from {BUDGET_VS_ACTUAL} b {_rate_join("r", "b.currency", "last_day(b.period_month)")}
        where b.budget_name = ? and {where} and b.period_month between ? and ?)""",
    )
    return head, params + [budget] + wparams + [f.period_start, f.period_end]


_VARIANCE = """sum(actual) - sum(budget) as variance,
               cast(round((sum(actual) - sum(budget)) * 100 / nullif(abs(sum(budget)), 0), 1) as decimal(18,1))
                   as variance_pct,
               case when account_class = 'revenue' then sum(actual) - sum(budget)
                    else sum(budget) - sum(actual) end as favourable_variance"""


def budget_by_account(m: Marts, f: Filters, budget: str) -> pl.DataFrame:
    """Budget, actual and variance per entity and account over the chosen months, largest
    variance first; variance % recomputed from the sums (never averaged)."""
    head, params = _budget_cte(m, f, budget)
    return m.frame(
        head
        + f""" select entity_id, account_class, account_code, account_name, bool_or(is_budgeted)
               as is_budgeted, sum(budget) as budget, sum(actual) as actual, {_VARIANCE}
        from bva group by entity_id, account_class, account_code, account_name, account_key
        order by abs(sum(actual) - sum(budget)) desc, entity_id, account_name""",
        params,
    )


def budget_summary(m: Marts, f: Filters, budget: str) -> pl.DataFrame:
    """Per month: revenue and expense, budget and actual (entities summed), and whether the
    month's actuals are whole."""
    head, params = _budget_cte(m, f, budget)
    return m.frame(
        head
        + f""" select period_month, account_class, sum(budget) as budget, sum(actual) as actual,
               {_VARIANCE}, bool_and(is_month_complete) as is_month_complete
        from bva group by period_month, account_class order by period_month, account_class""",
        params,
    )


# -- Alerts ---------------------------------------------------------------------------


def alerts(m: Marts, f: Filters, states: dict[str, str] | None = None) -> pl.DataFrame:
    """Alerts for the chosen entities, most severe and newest first, amounts converted (in
    the reporting currency the table's own `amount_reporting`, at the forecast's as-of rate;
    otherwise `amount` from its currency at the day it occurred).

    `states` (alert_id → status) overrides the status frozen into the table at forecast
    time with the live alert-state store, so an acknowledgement shows at once.
    """
    m.require(ALERTS)
    where, wparams = _entity_clause(f, "a.entity_id")
    amount = "a.amount_reporting" if f.currency == base_currency(m) else _money("a.amount")
    head, params = _with(
        m,
        f,
        f"""al as (
            select a.alert_id, a.occurred_on, a.severity, a.rule, a.entity_id, a.title,
                   cast({amount} as decimal(38,2)) as amount, a.status, a.first_seen
            from {ALERTS} a {_rate_join("r", "a.currency", "a.occurred_on")}
            where {where}
        )""",
    )
    frame = m.frame(
        head
        + """ select * from al order by
        list_position(['high', 'medium', 'low'], severity) nulls last, occurred_on desc, alert_id""",
        params + wparams,
    )
    if states:
        frame = frame.with_columns(
            pl.col("alert_id").replace_strict(states, default=pl.col("status"), return_dtype=pl.Utf8).alias("status")
        )
    return frame


def alert_evidence(m: Marts, alert_id: str) -> dict[str, Any]:
    """{"records": [...]} — the records behind an alert, each naming its source system,
    source id, record type and the raw key it came from (docs/alerts.md: `evidence` is a
    JSON list of them)."""
    m.require(ALERTS)
    rows = m.rows(f"select evidence from {ALERTS} where alert_id = ?", [alert_id])
    if not rows or rows[0][0] is None:
        return {"records": []}
    value = json.loads(rows[0][0]) if isinstance(rows[0][0], str) else rows[0][0]
    return value if isinstance(value, dict) else {"records": list(value)}


def lineage_ids(record: dict[str, Any]) -> list[str]:
    """The source ids a mart may carry for an evidence record: the id itself and, for ids
    the alert rules qualify with the record type ("BillPayment:863", "Payment:<uuid>"), the
    provider's bare id the marts use."""
    source_id = str(record["source_id"])
    ids = [source_id]
    prefix, _, rest = source_id.partition(":")
    if rest and prefix.lower() == str(record.get("record_type") or "").lower():
        ids.append(rest)
    return ids


def lineage_rows(m: Marts, source_system: str, source_ids: str | list[str]) -> dict[str, pl.DataFrame]:
    """Every mart row that came from one provider record (marts carry source_system and
    source_id lineage columns), by table. `source_ids`: the record's id, or its
    alternatives (`lineage_ids`)."""
    ids = [source_ids] if isinstance(source_ids, str) else list(source_ids)
    found: dict[str, pl.DataFrame] = {}
    for table in sorted(m.tables):
        if not table.startswith(MARTS + ".") or not {"source_system", "source_id"} <= m.columns[table]:
            continue
        frame = m.frame(
            f"select * from {table} where source_system = ? and source_id in ({', '.join('?' * len(ids))})",
            [source_system, *ids],
        )
        if frame.height:
            found[table] = frame
    return found


def raw_record(key: str, lake=None, ids: list[str] | None = None) -> dict[str, Any]:
    """The raw provider record behind an evidence row — the one place the dashboard reads
    raw, on an explicit click: the envelope and the payload as the provider sent it. When
    the object is a polled page (many records) and `ids` name the record, `record` is that
    record as it sits in the page."""
    from .lake import Lake

    envelope, payload = (lake or Lake()).read(key)
    out: dict[str, Any] = {"envelope": envelope}
    found = _find_record(payload, set(ids or ()))
    if found is not None and found is not payload:
        out["record"] = found
    out["payload"] = payload
    return out


def _find_record(value: Any, ids: set[str]) -> Any:
    """The first object in a provider response whose own id field (`id`, `Id`, `PaymentID`,
    …: a key ending in "id") is one of `ids`; None if there is none."""
    if not ids:
        return None
    stack = [value]
    while stack:
        item = stack.pop(0)
        if isinstance(item, dict):
            if any(
                k.lower().endswith("id") and str(v) in ids
                for k, v in item.items()
                if isinstance(v, (str, int)) and k.lower() not in ("realmid", "tenantid")
            ):
                return item
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None


def alert_store(settings: Settings | None = None):
    """The shared alert-state store (acknowledge / resolve survive rebuilds)."""
    from .figures import alert_store as store

    return store(settings)


# -- Integration health ---------------------------------------------------------------


def source_health(m: Marts) -> pl.DataFrame:
    m.require(HEALTH)
    return m.frame(f"select * from {HEALTH} order by all")


FRESHNESS = "ops.source_freshness"  # transform.freshness: `dbt source freshness` of the raw lake


def source_freshness(m: Marts) -> pl.DataFrame:
    """How long ago each watched raw entity last landed, against its warn / error thresholds
    (transforms/models/staging/<provider>/_<source>__sources.yml): problems first."""
    m.require(FRESHNESS)
    return m.frame(
        "select source_system, entity, status, max_loaded_at, hours_since_loaded, warn_after_hours, "
        f"error_after_hours, error from {FRESHNESS} order by case status when 'runtime error' then 0 "
        "when 'error' then 1 when 'warn' then 2 else 3 end, source_system, entity"
    )


QUARANTINE = f"{MARTS}.quarantine_records"


def quarantine_records(m: Marts) -> pl.DataFrame:
    """Records the build set aside, newest kinds first, each with the command that shows it."""
    m.require(QUARANTINE)
    return m.frame(
        f"select source_system, tenant_id, entity, source_id, reason, raw_key, "
        f"'ledgerlake quarantine show ' || left(quarantine_key, 12) as show_with "
        f"from {QUARANTINE} order by source_system, entity, reason"
    )


def integrity_checks(m: Marts) -> list[str]:
    return sorted(t for t in m.tables if t.startswith(f"{MARTS}.{INTEGRITY_PREFIX}"))


def integrity_summary(m: Marts, f: Filters) -> pl.DataFrame:
    """Findings per integrity check (each integrity mart is a check; each row a finding)."""
    checks = integrity_checks(m)
    if not checks:
        raise MissingMart(f"{MARTS}.{INTEGRITY_PREFIX}*")
    parts, params = [], []
    for t in checks:
        where, wparams = _entity_clause(f) if "entity_id" in m.columns[t] else ("true", [])
        parts.append(
            f"select '{t.split('.', 1)[1][len(INTEGRITY_PREFIX) :]}' as check_name, count(*) as findings "
            f"from {t} where {where}"
        )
        params += wparams
    return m.frame(" union all ".join(parts) + " order by findings desc, check_name", params)


def integrity_findings(m: Marts, f: Filters, check: str) -> pl.DataFrame:
    table = f"{MARTS}.{INTEGRITY_PREFIX}{check}"
    m.require(table)
    where, wparams = _entity_clause(f) if "entity_id" in m.columns[table] else ("true", [])
    return m.frame(f"select * from {table} where {where} order by all", wparams)


def table_row_counts(m: Marts) -> pl.DataFrame:
    """Rows in every mart and forecast table (exact counts)."""
    names = sorted(t for t in m.tables if t.split(".", 1)[0] in (MARTS, FORECAST))
    if not names:
        return pl.DataFrame(schema={"table": pl.Utf8, "rows": pl.Int64})
    sql = " union all ".join(f"select '{n}' as \"table\", count(*) as rows from {n}" for n in names)
    return m.frame(sql + " order by 1")


# -- Reconciliation (marts/bank) ---------------------------------------------------------------
BANK_DAILY = f"{MARTS}.bank_reconciliation_daily"
BANK_UNMATCHED = f"{MARTS}.bank_unmatched"
BANK_MATCHES = f"{MARTS}.bank_matches"


def reconciliation_summary(m: Marts, f: Filters) -> dict[str, Any]:
    """Lines, matched, auto-coded, waiting, match rate over the chosen months and entity."""
    m.require(BANK_DAILY, BANK_UNMATCHED)
    where, wparams = _entity_clause(f)
    row = m.rows(
        f"select coalesce(sum(lines), 0), coalesce(sum(matched_lines), 0), coalesce(sum(fuzzy_matched_lines), 0), "
        f"coalesce(sum(auto_coded_lines), 0), coalesce(sum(corrected_lines), 0), coalesce(sum(review_lines), 0), "
        f"coalesce(sum(judged_auto_codes), 0), coalesce(sum(correct_auto_codes), 0) "
        f"from {BANK_DAILY} where {where} and line_date >= ? and line_date <= ?",
        wparams + [f.period_start, _month_end(f.period_end)],
    )[0]
    lines, matched, fuzzy, auto, corrected, review, judged, right = (int(v) for v in row)
    waiting = m.rows(
        f"select count(*), max(days_outstanding) from {BANK_UNMATCHED} where needs_review and {where}", wparams
    )[0]
    return {
        "lines": lines,
        "matched": matched,
        "fuzzy": fuzzy,
        "auto_coded": auto,
        "corrected": corrected,
        "review": review,
        "match_rate": matched / lines if lines else None,
        "coverage": auto / (lines - matched) if lines > matched else None,
        "precision": right / judged if judged else None,
        "waiting": int(waiting[0]),
        "oldest_days": waiting[1],
    }


def reconciliation_daily(m: Marts, f: Filters) -> pl.DataFrame:
    """Match rate per bank account and day (bank_reconciliation_daily) in the chosen months."""
    m.require(BANK_DAILY)
    where, wparams = _entity_clause(f, "d.entity_id")
    return m.frame(
        f"select d.line_date, d.bank_account_id, d.entity_id, d.lines, d.matched_lines, d.fuzzy_matched_lines, "
        f"d.auto_coded_lines, d.review_lines, d.match_rate_pct from {BANK_DAILY} d "
        f"where {where} and d.line_date >= ? and d.line_date <= ? order by d.line_date, d.bank_account_id",
        wparams + [f.period_start, _month_end(f.period_end)],
    )


def bank_queue(m: Marts, f: Filters, statuses: tuple[str, ...] = ("review", "uncoded")) -> pl.DataFrame:
    """Unmatched bank lines (all dates) in the given coding statuses, oldest first."""
    m.require(BANK_UNMATCHED)
    where, wparams = _entity_clause(f)
    marks = ", ".join("?" for _ in statuses)
    return m.frame(
        f"select bank_line_id, entity_id, line_date, days_outstanding, amount, currency, description, "
        f"counterparty_name, coding_status, account_code, account_name, suggested_account_code, "
        f"suggested_account_name, suggestion_confidence, suggestion_method, corrected_by, corrected_at "
        f"from {BANK_UNMATCHED} where {where} and coding_status in ({marks}) order by line_date, bank_line_id",
        wparams + list(statuses),
    )


def bank_match_rules(m: Marts, f: Filters) -> pl.DataFrame:
    """Matched bank lines per rule and kind in the chosen months."""
    m.require(BANK_MATCHES)
    where, wparams = _entity_clause(f)
    return m.frame(
        f"select match_rule, match_kind, is_exact, count(distinct bank_line_id) as bank_lines, "
        f"count(distinct ledger_line_id) as ledger_lines from {BANK_MATCHES} "
        f"where {where} and line_date >= ? and line_date <= ? group by all order by bank_lines desc",
        wparams + [f.period_start, _month_end(f.period_end)],
    )


def chart_of_accounts(m: Marts, entity: str) -> pl.DataFrame:
    """The entity's P&L accounts (code, name): what a bank line can be coded to."""
    return m.frame(
        f"select account_code, min(account_name) as account_name from {MARTS}.general_ledger "
        "where entity_id = ? and account_class in ('revenue', 'expense') "
        "group by account_code order by account_code",
        [entity],
    )


def process_kpis(m: Marts, f: Filters) -> dict[str, Any]:
    """The #19 process KPIs over the chosen months and entity (finance_kpis_monthly): invoice
    error rate (voided, deleted or credited after issue), duplicate payment rate, and the
    close (last month whose bank lines are all matched or coded, as of the period's end)."""
    m.require(KPIS_MONTHLY, KPIS_ENTITY_DAILY)
    where, wparams = _entity_clause(f)
    row = m.rows(
        f"select coalesce(sum(invoices_issued), 0), coalesce(sum(invoices_voided), 0), "
        f"coalesce(sum(invoices_credited), 0), coalesce(sum(invoices_in_error), 0), "
        f"coalesce(sum(bills_paid), 0), coalesce(sum(duplicate_bills_paid), 0) "
        f"from {KPIS_MONTHLY} where {where} and period_month >= ? and period_month <= ?",
        wparams + [f.period_start, f.period_end],
    )[0]
    issued, voided, credited, in_error, bills, duplicates = (int(v) for v in row)
    # the group closes a month when its last entity does
    close = m.rows(
        f"select min(last_closed_month), max(days_since_close) from {KPIS_ENTITY_DAILY} "
        f"where {where} and date = (select max(date) from {KPIS_ENTITY_DAILY} where {where} and date <= ? "
        f"and bank_lines is not null)",
        wparams + wparams + [_month_end(f.period_end)],
    )
    closed, days = close[0] if close else (None, None)
    return {
        "invoices_issued": issued,
        "invoices_voided": voided,
        "invoices_credited": credited,
        "invoices_in_error": in_error,
        "invoice_error_rate": in_error / issued if issued else None,
        "bills_paid": bills,
        "duplicate_bills_paid": duplicates,
        "duplicate_payment_rate": duplicates / bills if bills else None,
        "last_closed_month": closed,
        "days_since_close": days,
    }


LATENCY = f"{MARTS}.finance_kpis_source_latency"


def webhook_latency(m: Marts, period: str = "month") -> pl.DataFrame:
    """Webhook-to-mart latency per source, for each source's latest `period` with webhooks."""
    m.require(LATENCY)
    return m.frame(
        f"select source_system, period_start, webhooks, delivery_p50_seconds, delivery_p95_seconds, "
        f"lake_to_mart_p50_seconds, lake_to_mart_p95_seconds, event_to_mart_p50_seconds, event_to_mart_p95_seconds "
        f"from {LATENCY} l where period = ? and period_start = "
        f"(select max(period_start) from {LATENCY} where period = l.period and source_system = l.source_system) "
        f"order by source_system",
        [period],
    )

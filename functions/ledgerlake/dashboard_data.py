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
ENTITIES = "seeds.legal_entities"            # entity_id, entity_name, functional_currency
FX_DAILY = "intermediate.int_fx_rates_daily"  # rate_date, currency, rate (into the reporting currency)
KPIS_MONTHLY = f"{MARTS}.finance_kpis_monthly"  # entity_id, period_month, reporting_currency, revenue, burn,
#                                                cash_balance, mrr, runway_months, dso_days, dpo_days, ar_overdue
CASH_DAILY = f"{MARTS}.cash_by_account_day"    # entity_id, account_key, account_name, currency, balance_date, balance
REVENUE_MONTHLY = f"{MARTS}.revenue_by_month"  # entity_id, period_month, currency, revenue, revenue_reporting
REVENUE_BY_CHANNEL = f"{MARTS}.revenue_by_channel_month"  # entity_id, period_month, channel, currency, revenue
MRR_MOVEMENTS = f"{MARTS}.mrr_movements_monthly"  # entity_id, period_month, movement_type, currency, mrr_change
DEALS = f"{MARTS}.crm_deals"                   # deal_id, stage_label, probability, is_closed, amount, currency,
#                                                weighted_amount, close_date
DOCUMENTS = f"{MARTS}.ar_ap_documents"         # document_key, entity_id, document_kind, contact_name, issued_on,
#                                                due_date, currency, total_amount, is_voided, is_deleted
ALLOCATIONS = "intermediate.int_allocations"   # document_key, amount, applied_on
HEALTH = f"{MARTS}.source_health"              # source_system, entity_id, last_event_received_at,
#                                                last_poll_succeeded_at, raw_objects (one row per source and entity)
INTEGRITY_PREFIX = "integrity_"                # every marts.integrity_* table is a check; a row is a finding
FORECAST_DAILY = f"{FORECAST}.cash_forecast_daily"  # entity_id, currency, as_of, forecast_date, p10, p50, p90,
#                                                ar, ap, payroll, recurring, pipeline, unscheduled (docs/forecast.md)
ACCURACY = f"{FORECAST}.forecast_accuracy"     # series_id, entity_id, as_of, horizon, horizon_weeks, n_origins,
#                                                mase, naive_mase, wape, bias, coverage_calibrated
ALERTS = f"{FORECAST}.alerts"                  # alert_id, rule, severity, entity_id, currency, amount,
#                                                amount_reporting, occurred_on, title, first_seen, status
#                                                (new / acknowledged / resolved), evidence (JSON list; docs/alerts.md)
CASH_FLOOR = f"{FORECAST}.cash_floor"          # entity_id, currency, floor_amount (what the runway alert used)

FORECAST_COMPONENTS = ("ar", "ap", "payroll", "recurring", "pipeline", "unscheduled", "residual")
CONSOLIDATED = "consolidated"  # the forecaster's all-entities rows (bands combined properly)
AGING_BUCKETS = ("current", "1-30", "31-60", "61-90", "90+")
ALL = "All entities"


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
        """Views named like the warehouse's tables over s3://{marts}/marts/[forecast/]{t}/{t}.parquet."""
        from .lake import s3_client

        s3 = s3_client(self.settings)
        bucket = self.settings.marts_bucket
        latest = ""
        for schema in (MARTS, FORECAST):
            self._conn.execute(f"create schema if not exists {schema}")
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="marts/"):
            for item in page.get("Contents", []):
                parts = item["Key"].split("/")
                if not parts[-1].endswith(".parquet"):
                    continue
                schema = FORECAST if len(parts) == 4 and parts[1] == FORECAST else MARTS
                name = parts[-2]
                url = f"s3://{bucket}/{item['Key']}"
                self._conn.execute(f'create or replace view {schema}."{name}" as select * from read_parquet(\'{url}\')')
                latest = max(latest, item["LastModified"].isoformat())
        return latest

    @staticmethod
    def current_version(path: Path | None = None) -> str:
        """Cheap: changes whenever the warehouse file is rebuilt or rewritten (cache key)."""
        path = path or warehouse_path()
        if not path.exists():
            return "s3"
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


def _money(expr: str) -> str:
    """A converted amount, rounded to cents (DECIMAL, never float)."""
    return f"cast(round(cast({expr} as decimal(38,6)) * fx_rate, 2) as decimal(38,2))"


def _rate_join(alias: str, currency_expr: str, date_expr: str) -> str:
    """ASOF join: the latest rate on or before the row's date, for the row's currency."""
    return (f"asof left join (select rate_date, currency as fx_currency, rate as fx_rate from fx) {alias} "
            f"on {alias}.fx_currency = {currency_expr} and {date_expr} >= {alias}.rate_date")


def _rate_at(alias: str, currency_expr: str, date_expr: str) -> str:
    """The same for one date shared by every row (a parameter or current_date)."""
    return (f"left join (select currency as fx_currency, arg_max(rate, rate_date) as fx_rate from fx "
            f"where rate_date <= {date_expr} group by 1) {alias} on {alias}.fx_currency = {currency_expr}")


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

    A period the data ends inside (the current quarter with one month in it, a fiscal year
    to date) is compared like with like: its months with data against the same number of
    months just before them, never against a whole period. `partial_days` is set when the
    last month itself is not whole (flows are then not compared at all)."""

    start: date                 # first month with data in the period
    end: date                   # last month with data in the period (day 1)
    data_end: date | None       # the last day with data in that month
    previous: tuple[date, date]  # the months compared against
    to_date: bool               # the period runs past the data (…-to-date)
    partial_days: tuple[int, int] | None  # (days with data, days in month) when the last month is partial
    months_in_period: int

    @property
    def shifted(self) -> bool:
        return self.to_date


def coverage(m: Marts, f: Filters) -> Coverage:
    """The chosen period cut to the data (docs/dashboard.md: partial periods)."""
    m.require(KPIS_MONTHLY)
    where, wparams = _entity_clause(f)
    extra = "max(period_end), bool_and(is_complete)" if {"period_end", "is_complete"} <= m.columns[KPIS_MONTHLY] \
        else "max(last_day(period_month)), true"
    last_month, data_end, complete = m.rows(
        f"select max(period_month), {extra} from {KPIS_MONTHLY} where {where} and period_month between ? and ? "
        f"and period_month = (select max(period_month) from {KPIS_MONTHLY} where {where} and period_month <= ?)",
        wparams + [f.period_start, f.period_end] + wparams + [f.period_end])[0]
    n_period = _months_between(f.period_start, f.period_end)
    if last_month is None or last_month >= f.period_end:
        end, to_date = f.period_end, False
    else:
        end, to_date = last_month, True
    end = max(end, f.period_start)
    span = Filters(f.entity, f.period_start, end, f.currency)
    partial = None
    if last_month == end and complete is False and data_end is not None:
        partial = (data_end.day, _month_end(end).day)
        to_date = True
    return Coverage(start=f.period_start, end=end, data_end=_day(data_end) if data_end else None,
                    previous=previous_period(span), to_date=to_date, partial_days=partial,
                    months_in_period=n_period)


def _months_between(start: date, end: date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month + 1


def _day(value: Any) -> date:
    return value.date() if hasattr(value, "hour") else value


# -- Overview -------------------------------------------------------------------------

KPI_FLOW = ("revenue", "burn")  # add up over the months of a period
KPI_STOCK_MONEY = ("cash_balance", "mrr", "ar_overdue")  # the period's last month
KPI_RATIO = ("runway_months", "dso_days", "dpo_days")


def kpis(m: Marts, f: Filters) -> dict[str, dict[str, Any]]:
    """{metric: {"value", "previous"}} for the chosen period and the one before it.

    Money adds across entities after conversion. For all entities the ratios are rebuilt
    from their parts, never averaged: runway = cash at the end ÷ average monthly burn,
    DSO weighted by revenue, DPO by burn. One entity shows the mart's own ratios.
    """
    m.require(KPIS_MONTHLY)
    where, wparams = _entity_clause(f)
    cov = coverage(m, f)
    f = Filters(f.entity, cov.start, cov.end, f.currency)  # the months with data, to date
    prev_start, prev_end = cov.previous
    money_cols = (*KPI_FLOW, *KPI_STOCK_MONEY)
    head, params = _with(
        m, f,
        f"""k as (
            select period_month, entity_id, {", ".join(f"{_money(c)} as {c}" for c in money_cols)},
                   runway_months, dso_days, dpo_days
            from {KPIS_MONTHLY} {_rate_join("r", "reporting_currency", "last_day(period_month)")}
            where {where}
        )""",
        """periods as (
            select 'current' as period, ?::date as p_start, ?::date as p_end
            union all select 'previous', ?::date, ?::date
        )""",
        """per_month as (
            select p.period, k.period_month,
                   sum(revenue) as revenue, sum(burn) as burn, sum(cash_balance) as cash_balance,
                   sum(mrr) as mrr, sum(ar_overdue) as ar_overdue,
                   cast(round(sum(dso_days * revenue) / nullif(sum(case when dso_days is not null then revenue end), 0), 1)
                        as decimal(18,1)) as dso_days,
                   cast(round(sum(dpo_days * burn) / nullif(sum(case when dpo_days is not null then burn end), 0), 1)
                        as decimal(18,1)) as dpo_days,
                   case when count(*) = 1 then any_value(runway_months) end as single_runway
            from k join periods p on k.period_month between p.p_start and p.p_end
            group by all
        )""",
    )
    params += wparams + [f.period_start, f.period_end, prev_start, prev_end]
    sql = head + """
        select period, sum(revenue) as revenue, sum(burn) as burn,
               arg_max(cash_balance, period_month) as cash_balance, arg_max(mrr, period_month) as mrr,
               arg_max(ar_overdue, period_month) as ar_overdue, arg_max(dso_days, period_month) as dso_days,
               arg_max(dpo_days, period_month) as dpo_days, arg_max(single_runway, period_month) as single_runway,
               cast(round(arg_max(cash_balance, period_month) / nullif(avg(burn), 0), 2) as decimal(18,2)) as group_runway,
               avg(burn) > 0 as burning
        from per_month group by period
    """
    out = {k: {"value": None, "previous": None} for k in (*KPI_FLOW, *KPI_STOCK_MONEY, *KPI_RATIO)}
    for row in m.frame(sql, params).iter_rows(named=True):
        slot = "value" if row["period"] == "current" else "previous"
        for k in (*KPI_FLOW, *KPI_STOCK_MONEY, "dso_days", "dpo_days"):
            out[k][slot] = row[k]
        if f.entity == ALL:
            out["runway_months"][slot] = row["group_runway"] if row["burning"] else None
        else:
            out["runway_months"][slot] = row["single_runway"]
    return out


def kpi_trend(m: Marts, f: Filters, months_back: int = 12) -> pl.DataFrame:
    """Monthly revenue, burn and cash for the 12 months to the period's end (entities summed)."""
    m.require(KPIS_MONTHLY)
    where, wparams = _entity_clause(f)
    start = min(f.period_start, _add_months(f.period_end, -(months_back - 1)))
    head, params = _with(
        m, f,
        f"""k as (
            select period_month, {_money("revenue")} as revenue, {_money("burn")} as burn,
                   {_money("cash_balance")} as cash_balance
            from {KPIS_MONTHLY} {_rate_join("r", "reporting_currency", "last_day(period_month)")}
            where {where} and period_month between ? and ?
        )""",
    )
    return m.frame(head + " select period_month as month, sum(revenue) as revenue, sum(burn) as burn, "
                   "sum(cash_balance) as cash_balance from k group by 1 order by 1",
                   params + wparams + [start, f.period_end])


def _cash_daily_cte(m: Marts, f: Filters, extra_where: str = "true") -> tuple[str, list[Any]]:
    m.require(CASH_DAILY)
    where, wparams = _entity_clause(f, "c.entity_id")
    head, params = _with(
        m, f,
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
    prev_end = _month_end(cov.previous[1] if cov else previous_period(f)[1])
    if cov and cov.partial_days:  # the previous period's same day
        prev_end = min(prev_end, cov.previous[1].replace(day=min(cov.partial_days[0], prev_end.day)))
    head, params = _cash_daily_cte(m, f, "c.balance_date <= ?::date")
    head = head.replace("select c.entity_id, c.balance_date,", "select c.entity_id, c.account_key, c.balance_date,")
    return m.frame(
        head + """, latest as (
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
        head + f""" select balance_date as date, sum(balance) as cash from cash
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
        m, f,
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


def cash_in_13_weeks(m: Marts, f: Filters) -> dict[str, Any] | None:
    """"Cash in 13 weeks" by the one definition every surface uses (ledgerlake.figures: the
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
        head + f""", w as (select date_trunc('week', date)::date as week_start, {sums} from fc group by 1)
        select week_start, component, amount from w
        unpivot (amount for component in ({", ".join(FORECAST_COMPONENTS)}))
        order by week_start, component""",
        params,
    )


def forecast_accuracy(m: Marts, f: Filters) -> pl.DataFrame:
    """The rolling-origin backtest of the statistical part, by horizon (latest run)."""
    m.require(ACCURACY)
    where, wparams = _entity_clause(f)
    wanted = [c for c in ("entity_id", "series_id", "horizon", "mase", "naive_mase", "wape", "bias",
                          "coverage_calibrated", "n_origins") if c in m.columns[ACCURACY]]
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
    return [(s, bool(b)) for s, b in m.rows(
        f"select sentence, beats_baselines from {headline} where {where} order by entity_id", params)]


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
    found = m.rows(f"select floor_amount, currency from {CASH_FLOOR} where entity_id = ?", [entity]) \
        if m.has(CASH_FLOOR) else []
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
    rows = m.rows(head + f" select {_money('amount')} from x {_rate_at('r', 'x.currency', on)}",
                  params + [str(amount), currency])
    return rows[0][0] if rows else None


# -- Revenue & pipeline ---------------------------------------------------------------


def revenue_by_entity(m: Marts, f: Filters) -> pl.DataFrame:
    """Revenue per month and entity: in its functional currency and in the chosen one (the
    mart's own reporting amounts, converted at each posting's rate, when that is the choice)."""
    m.require(REVENUE_MONTHLY)
    where, wparams = _entity_clause(f, "v.entity_id")
    head, params = _with(
        m, f,
        f"""v as (
            select v.period_month, v.entity_id, v.currency, v.revenue as revenue_functional,
                   {"v.revenue_reporting" if f.currency == base_currency(m) else _money("v.revenue")} as revenue
            from {REVENUE_MONTHLY} v {_rate_join("r", "v.currency", "last_day(v.period_month)")}
            where {where} and v.period_month between ? and ?
        )""",
    )
    return m.frame(head + " select * from v order by period_month, entity_id",
                   params + wparams + [f.period_start, f.period_end])


def revenue_by_channel(m: Marts, f: Filters) -> pl.DataFrame:
    """Revenue per month, channel and transaction currency (converted)."""
    m.require(REVENUE_BY_CHANNEL)
    where, wparams = _entity_clause(f, "v.entity_id")
    head, params = _with(
        m, f,
        f"""v as (
            select v.period_month, v.entity_id, v.channel, v.currency, v.revenue as revenue_transaction_currency,
                   {_money("v.revenue")} as revenue
            from {REVENUE_BY_CHANNEL} v {_rate_join("r", "v.currency", "last_day(v.period_month)")}
            where {where} and v.period_month between ? and ?
        )""",
    )
    return m.frame(head + """ select period_month, channel, currency, sum(revenue_transaction_currency)
                   as revenue_transaction_currency, sum(revenue) as revenue from v group by all order by all""",
                   params + wparams + [f.period_start, f.period_end])


def mrr_movements(m: Marts, f: Filters) -> pl.DataFrame:
    m.require(MRR_MOVEMENTS)
    where, wparams = _entity_clause(f, "v.entity_id")
    head, params = _with(
        m, f,
        f"""v as (
            select v.period_month, v.movement_type, {_money("v.mrr_change")} as mrr_change
            from {MRR_MOVEMENTS} v {_rate_join("r", "v.currency", "last_day(v.period_month)")}
            where {where} and v.period_month between ? and ?
        )""",
    )
    return m.frame(head + " select period_month, movement_type, sum(mrr_change) as mrr_change "
                   "from v group by all order by all", params + wparams + [f.period_start, f.period_end])


def pipeline_by_stage_month(m: Marts, f: Filters) -> pl.DataFrame:
    """Open deals by stage and expected close month: count, amount, probability-weighted.

    CRM deals carry no legal entity, so the entity filter does not apply here."""
    m.require(DEALS)
    head, params = _with(
        m, f,
        f"""p as (
            select d.stage_label as stage, date_trunc('month', d.close_date)::date as close_month,
                   {_money("d.amount")} as amount, {_money("d.weighted_amount")} as weighted_amount
            from {DEALS} d {_rate_at("r", "d.currency", "current_date")}
            where not d.is_closed
        )""",
    )
    return m.frame(head + """ select stage, close_month, count(*) as deals, sum(amount) as amount,
                   sum(weighted_amount) as weighted_amount from p group by all order by close_month, stage""",
                   params)


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
    pnl = m.frame(f"select period_month, pl_line, entities_amount, eliminated_amount, consolidated_amount, currency "
                  f"from {CONSOLIDATED_PNL} where period_month between ? and ? order by period_month, pl_line",
                  [_month_start(f.period_start), f.period_end])
    bs = m.frame(f"select month_end, total_assets, total_liabilities, total_equity, earnings_to_date, "
                 f"translation_adjustment, eliminated_assets, eliminated_liabilities, currency "
                 f"from {CONSOLIDATED_BS} where month_end between ? and ? order by month_end",
                 [_month_start(f.period_start), _month_end(f.period_end)])
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
        m, f,
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
        head + f""", bucketed as (
            select document_kind, open_amount, {BUCKET_SQL} as bucket
            from open_items
        )
        select document_kind, bucket, count(*) as documents, sum(open_amount) as open_amount
        from bucketed group by 1, 2
        order by document_kind desc, list_position(['current','1-30','31-60','61-90','90+'], bucket)""",
        params,
    )


def aging_documents(m: Marts, f: Filters, as_of: date, kind: str, bucket: str | None = None,
                    overdue_only: bool = False) -> pl.DataFrame:
    """The documents behind an aging bucket (or every overdue one): what a click on a bar or
    a KPI card opens. Amounts open as of `as_of`, converted; lineage to the source record."""
    head, params = _open_items_cte(m, f, as_of)
    cond = "true"
    if bucket:
        cond = f"({BUCKET_SQL}) = '{bucket}'" if bucket in AGING_BUCKETS else "false"
    elif overdue_only:
        cond = "days_overdue > 0"
    return m.frame(
        head + f""" select document_kind, entity_id, contact_name as party, document_number, issued_on, due_date,
                   days_overdue, currency, open_amount_document_currency, open_amount, source_system, source_id
            from open_items where document_kind = ? and {cond}
            order by days_overdue desc, open_amount desc, document_number""",
        params + [kind],
    )


def top_overdue_customers(m: Marts, f: Filters, as_of: date, limit: int = 10) -> pl.DataFrame:
    head, params = _open_items_cte(m, f, as_of)
    return m.frame(
        head + f""" select contact_name as customer, entity_id, count(*) as overdue_invoices,
                   sum(open_amount) as overdue_amount, max(days_overdue) as oldest_days_overdue
            from open_items where document_kind = 'AR' and days_overdue > 0
            group by all order by overdue_amount desc, customer limit {int(limit)}""",
        params,
    )


def aging_date_bounds(m: Marts) -> tuple[date, date]:
    m.require(DOCUMENTS)
    return m.rows(f"select min(issued_on), max(greatest(issued_on, due_date)) from {DOCUMENTS}")[0]


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
        m, f,
        f"""al as (
            select a.alert_id, a.occurred_on, a.severity, a.rule, a.entity_id, a.title,
                   cast({amount} as decimal(38,2)) as amount, a.status, a.first_seen
            from {ALERTS} a {_rate_join("r", "a.currency", "a.occurred_on")}
            where {where}
        )""",
    )
    frame = m.frame(head + """ select * from al order by
        list_position(['high', 'medium', 'low'], severity) nulls last, occurred_on desc, alert_id""",
                    params + wparams)
    if states:
        frame = frame.with_columns(
            pl.col("alert_id").replace_strict(states, default=pl.col("status"), return_dtype=pl.Utf8).alias("status"))
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
        frame = m.frame(f"select * from {table} where source_system = ? and source_id in ({', '.join('?' * len(ids))})",
                        [source_system, *ids])
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
            if any(k.lower().endswith("id") and str(v) in ids for k, v in item.items()
                   if isinstance(v, (str, int)) and k.lower() not in ("realmid", "tenantid")):
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


QUARANTINE = f"{MARTS}.quarantine_records"


def quarantine_records(m: Marts) -> pl.DataFrame:
    """Records the build set aside, newest kinds first, each with the command that shows it."""
    m.require(QUARANTINE)
    return m.frame(f"select source_system, tenant_id, entity, source_id, reason, raw_key, "
                   f"'ledgerlake quarantine show ' || left(quarantine_key, 12) as show_with "
                   f"from {QUARANTINE} order by source_system, entity, reason")


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
        parts.append(f"select '{t.split('.', 1)[1][len(INTEGRITY_PREFIX):]}' as check_name, count(*) as findings "
                     f"from {t} where {where}")
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

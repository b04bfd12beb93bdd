"""The forecaster: inputs (frames) → statistical backtest + live forecast → cash forecast,
accuracy and alerts → the `forecast` schema of the warehouse and Parquet on S3.

`forecast_from_inputs` is pure (frames in, frames out) so it is testable without a
warehouse; `run_forecast` reads the marts, calls it, joins alert state and publishes.
"""

from __future__ import annotations

import io
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import polars as pl

from ..alerts.model import Alert
from ..alerts.rules import AlertConfig, all_payment_alerts, runway
from ..money import quantize
from .backtest import BacktestResult, Calibration, choose_model
from .cash import CONSOLIDATED, Statistical, consolidate, entity_forecast
from .collection import collection_assumptions
from .engine import MODELS, SeriesSpec, predict, regularise
from .flows import (
    COMPONENTS,
    ap_flows,
    ar_flows,
    empty_flows,
    pipeline_flows,
    recurring_flows,
)

log = logging.getLogger(__name__)

HORIZON_DAYS = 91  # 13 weeks
FORECAST_SCHEMA = "forecast"
MIN_HISTORY_DAYS = 120  # below this a statistical series is not modelled (flows only)


@dataclass(frozen=True)
class EntityInfo:
    currency: str
    country: str | None = None  # for public holidays


@dataclass
class ForecastInputs:
    """Everything the forecaster needs, as frames (see each loader in marts.py for columns)."""

    as_of: date
    reporting_currency: str
    entities: dict[str, EntityInfo]
    openings: dict[str, Decimal]  # entity -> cash at close of as_of, entity currency
    fx_to_reporting: dict[str, Decimal]  # currency -> rate to the reporting currency
    open_ar: pl.DataFrame  # entity, currency, customer_id, document_id, due_date, open_amount
    paid_ar: pl.DataFrame  # entity, customer_id, due_date, paid_date
    open_ap: pl.DataFrame  # entity, currency, vendor_name, document_id, due_date, open_amount
    recurring: pl.DataFrame  # entity, currency, kind, series, date, amount (outflow positive)
    deals: pl.DataFrame  # entity, currency, deal_id, amount, probability, close_date, stage_id (open deals)
    sales_daily: pl.DataFrame  # entity, currency, date, amount (net unscheduled inflow, Decimal)
    vendor_payments: pl.DataFrame  # see alerts.rules.PAYMENT_COLUMNS
    integrity_alerts: list[Alert] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # inputs that could not be read
    deal_events: pl.DataFrame | None = None  # the CRM's stage history to the day (pipeline.EVENT_SCHEMA)
    invoiced: pl.DataFrame | None = None  # entity, currency, issued_on, due_date, total_amount: recent AR invoices


@dataclass
class ForecastResult:
    cash_forecast_daily: pl.DataFrame
    forecast_accuracy: pl.DataFrame
    alerts: list[Alert]
    backtests: dict[str, BacktestResult]
    fits: int
    seconds: float
    missing: list[str]
    alerts_table: pl.DataFrame | None = None
    published: list[str] = field(default_factory=list)
    fx_to_reporting: dict[str, Decimal] = field(default_factory=dict)
    balance_backtest: object | None = None  # balance.BalanceBacktest, when run with history
    collection: pl.DataFrame | None = None  # the AR collection assumption (collection.py)
    flows: pl.DataFrame | None = None  # the live forecast's dated flows (flows.FLOW_SCHEMA), what scenarios change
    open_ar: pl.DataFrame | None = None  # the open invoices behind `ar` (document -> customer)
    scenarios: pl.DataFrame | None = None  # cash_scenarios (scenarios.py), when scenarios are saved


def _series(inputs: ForecastInputs, entity: str) -> pl.DataFrame | None:
    """The entity's daily unscheduled inflows to the as-of day; None when too short to model."""
    history = inputs.sales_daily.filter((pl.col("entity") == entity) & (pl.col("date") <= inputs.as_of))
    if history.is_empty():
        return None
    series = regularise(history.select(pl.col("date").alias("ds"), pl.col("amount").cast(pl.Float64).alias("y")))
    # Run the series to the as-of day: days with no sales after the last one are zeros.
    series = regularise(pl.concat([series, pl.DataFrame({"ds": [inputs.as_of], "y": [0.0]})]))
    return series if series.height >= MIN_HISTORY_DAYS else None


def _statistical(
    inputs: ForecastInputs,
    entity: str,
    horizon: int,
    n_origins: int,
    step: int,
    on_fit: Callable[[], None] | None,
    models: tuple[str, ...] = MODELS,
) -> tuple[Statistical | None, BacktestResult | None, int, str]:
    """Choose the series' model by rolling-origin backtest, forecast with it live.
    Returns (forecast, the winner's backtest, fits, why it won)."""
    series = _series(inputs, entity)
    if series is None:
        return None, None, 0, ""
    spec = SeriesSpec(freq="D", country=inputs.entities[entity].country)
    winner, results, why = choose_model(series, spec, horizon, n_origins, step, models=models, on_fit=on_fit)
    backtest = results[winner]
    backtest.notes.append(why)
    live = predict(winner, series, horizon, spec)
    if on_fit:
        on_fit()
    cal = backtest.calibration if backtest.calibration.calibrated else Calibration()
    steps = np.arange(1, horizon + 1, dtype=float)
    if cal.calibrated:
        growth = steps**cal.cum_power
        low, high = cal.cum_q_low * growth, cal.cum_q_high * growth
    else:
        # Uncalibrated fallback: the model's daily band, added up as if days were independent.
        half_low = (live["yhat"] - live["yhat_lower"]).to_numpy()
        half_high = (live["yhat_upper"] - live["yhat"]).to_numpy()
        low, high = -np.sqrt(np.cumsum(half_low**2)), np.sqrt(np.cumsum(half_high**2))
    stat = Statistical(yhat=live["yhat"].to_numpy(), cum_low=np.minimum(low, 0), cum_high=np.maximum(high, 0))
    return stat, backtest, sum(r.fits for r in results.values()) + 1, why


def in_entity_currency(frame: pl.DataFrame | None, column: str, inputs: ForecastInputs) -> pl.DataFrame | None:
    """`frame` (entity, currency, `column` …) with `column` in its entity's own currency at the
    as-of day's rates (through the reporting currency) and `currency` set to it; rows keep
    their order.

    A document's cash lands in its entity's bank account, in that account's currency: the UK's
    euro invoices are paid into its sterling account, its dollar bills paid from it (and the
    US's sterling bills from its dollar account). Summing them in their own currency counted
    €1 as £1. Rows whose rate is unknown keep their currency and amount, with a warning."""
    if frame is None or frame.is_empty() or "currency" not in frame.columns:
        return frame
    own = {entity: info.currency for entity, info in inputs.entities.items()}
    frame = frame.with_row_index("_row")
    foreign = frame.filter(pl.col("currency") != pl.col("entity").replace_strict(own, default=None))
    if foreign.is_empty():
        return frame.drop("_row")
    rates = inputs.fx_to_reporting
    amounts, currencies, unknown = [], [], set()
    for entity, currency, amount in foreign.select("entity", "currency", column).iter_rows():
        target = own[entity]
        if amount is not None and currency in rates and rates.get(target):
            amounts.append(quantize(Decimal(amount) * rates[currency] / rates[target], target))
            currencies.append(target)
        else:
            if amount is not None:
                unknown.add(f"{currency}->{target}")
            amounts.append(amount)
            currencies.append(currency)
    if unknown:
        log.warning(
            "no FX rate for %s as of %s: those amounts left in their own currency", sorted(unknown), inputs.as_of
        )
    converted = foreign.with_columns(
        pl.Series(column, amounts, dtype=frame.schema[column]), pl.Series("currency", currencies, dtype=pl.Utf8)
    )
    rest = frame.join(foreign.select("_row"), on="_row", how="anti")
    return pl.concat([rest, converted.select(rest.columns)]).sort("_row").drop("_row")


def _flows(inputs: ForecastInputs, horizon: int) -> pl.DataFrame:
    as_of = inputs.as_of
    open_ar = in_entity_currency(inputs.open_ar, "open_amount", inputs)
    open_ap = in_entity_currency(inputs.open_ap, "open_amount", inputs)
    return pl.concat(
        [
            ar_flows(open_ar, inputs.paid_ar, as_of, horizon),
            ap_flows(open_ap, as_of, horizon),
            recurring_flows(in_entity_currency(inputs.recurring, "amount", inputs), open_ap, as_of, horizon),
            pipeline_flows(
                in_entity_currency(inputs.deals, "amount", inputs),
                inputs.paid_ar,
                as_of,
                horizon,
                events=inputs.deal_events,
                invoiced=in_entity_currency(inputs.invoiced, "total_amount", inputs),
                open_ar=open_ar,
            ),
            empty_flows(),
        ]
    )


def component_paths(inputs: ForecastInputs, horizon: int, models: dict[str, str]) -> dict[str, dict[str, np.ndarray]]:
    """The forecaster's cumulative flow per component and day, per entity (the backtest's view
    of one origin): the same flows as live, the statistical part from each entity's model."""
    flows = _flows(inputs, horizon)
    days = {inputs.as_of + timedelta(days=i): i for i in range(1, horizon + 1)}
    out = {}
    for entity in inputs.entities:
        comps = {c: np.zeros(horizon) for c in COMPONENTS}
        for comp, day, amount in (
            flows.filter(pl.col("entity") == entity)
            .select("component", "date", pl.col("amount").cast(pl.Float64))
            .iter_rows()
        ):
            if day in days:
                comps[comp][days[day] - 1] += amount
        series = _series(inputs, entity)
        if series is not None and entity in models:
            spec = SeriesSpec(freq="D", country=inputs.entities[entity].country)
            comps["unscheduled"] = predict(models[entity], series, horizon, spec)["yhat"].to_numpy()
        out[entity] = {c: np.cumsum(v) for c, v in comps.items()}
    return out


def forecast_from_inputs(
    inputs: ForecastInputs,
    horizon: int = HORIZON_DAYS,
    n_origins: int = 8,
    step: int = 14,
    config: AlertConfig | None = None,
    on_fit: Callable[[], None] | None = None,
    history=None,
    balance_step: int = 14,
    models: tuple[str, ...] = MODELS,
) -> ForecastResult:
    """Components + statistical part for the live day; with `history` (see history.py) also
    the whole-balance backtest, whose residual model, band and method choice shape the live
    balance (see balance.py)."""
    started = time.monotonic()
    config = config or AlertConfig.from_env()
    as_of = inputs.as_of
    flows = _flows(inputs, horizon)
    per_entity, accuracy, backtests, fits, winners = [], [], {}, 0, {}
    stats = {}
    for entity, info in sorted(inputs.entities.items()):
        stat, bt, n, why = _statistical(inputs, entity, horizon, n_origins, step, on_fit, models)
        fits += n
        stats[entity] = stat
        if bt is not None and not bt.metrics.is_empty():
            winners[entity] = bt.model
            series_id = f"{entity}:unscheduled"
            backtests[series_id] = bt
            accuracy.append(
                bt.metrics.with_columns(
                    series_id=pl.lit(series_id),
                    entity_id=pl.lit(entity),
                    currency=pl.lit(info.currency),
                    cqr_margin=pl.lit(bt.calibration.cqr_margin),
                    cum_power=pl.lit(bt.calibration.cum_power),
                    model_choice=pl.lit(why),
                    kind=pl.lit("series"),
                )
            )
    balance_bt = None
    if history is not None:
        balance_bt = _balance_backtest(history, inputs, horizon, balance_step, winners)
    for entity, info in sorted(inputs.entities.items()):
        opening = inputs.openings.get(entity, Decimal("0.00"))
        live = balance_bt.live.get(entity) if balance_bt is not None else None
        per_entity.append(entity_forecast(entity, info.currency, opening, flows, stats[entity], as_of, horizon, live))
    daily = pl.concat(per_entity) if per_entity else pl.DataFrame()
    if not daily.is_empty():
        daily = pl.concat([daily, consolidate(daily, inputs.fx_to_reporting, inputs.reporting_currency)])
    accuracy_frame = _accuracy_frame(accuracy, as_of)
    if balance_bt is not None:
        accuracy_frame = pl.concat([accuracy_frame, _balance_rows(balance_bt, inputs, as_of)], how="diagonal_relaxed")
    if not daily.is_empty() and not accuracy_frame.is_empty() and "mase" in accuracy_frame.columns:
        # Accuracy beside every forecast row: the backtest of the series that drives its band.
        headline = accuracy_frame.filter(pl.col("horizon") == "all").select(
            "entity_id",
            pl.col("mase").alias("backtest_mase"),
            pl.col("naive_mase").alias("backtest_naive_mase"),
            pl.col("wape").alias("backtest_wape"),
            pl.col("coverage_calibrated").alias("backtest_coverage"),
            pl.col("model").alias("statistical_model"),
        )
        daily = daily.join(headline, on="entity_id", how="left")
    alerts = [
        *all_payment_alerts(inputs.vendor_payments, config),
        *(runway(daily, config, as_of) if not daily.is_empty() else []),
        *inputs.integrity_alerts,
    ]
    result = ForecastResult(
        daily, accuracy_frame, _dedupe(alerts), backtests, fits, time.monotonic() - started, list(inputs.missing)
    )
    result.balance_backtest = balance_bt
    result.collection = collection_assumptions(inputs.open_ar, inputs.paid_ar, as_of, horizon)
    result.flows, result.open_ar = flows, inputs.open_ar
    return result


def _balance_backtest(history, inputs: ForecastInputs, horizon: int, step: int, winners: dict[str, str]):
    from .balance import origins_for, run_balance_backtest
    from .history import inputs_as_of

    started = time.monotonic()
    first = history.balances["date"].min() if not history.balances.is_empty() else inputs.as_of
    origins = origins_for(first, inputs.as_of, step)
    lookup = {(e, d): b for e, d, b in history.balances.iter_rows()}
    result = run_balance_backtest(
        origins,
        inputs.as_of,
        sorted(inputs.entities),
        lambda e, d: lookup.get((e, d)),
        lambda o: component_paths(inputs_as_of(history, o), horizon, winners),
        horizon,
        inputs.as_of,
        history.transferred(),
        history.payroll_paid(),
        history.settled_from_open(),
    )
    result.seconds = time.monotonic() - started
    log.info("whole-balance backtest: %d origins in %.1f s", len(origins), result.seconds)
    return result


def _balance_rows(bt, inputs: ForecastInputs, as_of: date) -> pl.DataFrame:
    """forecast_accuracy rows for the whole balance: one per entity and horizon week, the
    model's error beside each baseline's on the same origins."""
    acc = bt.accuracy
    if acc.is_empty():
        return pl.DataFrame()
    wide = acc.pivot(
        on="method",
        index=["entity_id", "horizon_weeks", "model_variant"],
        values=["error_pct", "mae", "bias_pct", "coverage", "n_origins"],
    )
    rows = []
    for r in wide.iter_rows(named=True):
        e, w = r["entity_id"], r["horizon_weeks"]
        bases = {m: r.get(f"error_pct_{m}") for m in ("flat", "drift", "seasonal_naive")}
        bases = {m: v for m, v in bases.items() if v is not None}
        best = min(bases, key=bases.get) if bases else None
        live = bt.live.get(e)
        rows.append(
            {
                "series_id": f"{e}:balance",
                "entity_id": e,
                "currency": inputs.entities[e].currency,
                "as_of": as_of,
                "horizon": f"week {w:02d}",
                "horizon_weeks": w,
                "kind": "balance",
                "model": "components+residual"
                if r.get("model_variant") in (None, "model")
                else "components without payouts+residual",
                "n_origins": r.get("n_origins_model"),
                "balance_error": r.get("mae_model"),
                "balance_error_pct": r.get("error_pct_model"),
                "bias": r.get("bias_pct_model"),
                "p10_p90_coverage": r.get("coverage_model"),
                "interval_nominal": 0.8,
                "flat_error_pct": r.get("error_pct_flat"),
                "drift_error_pct": r.get("error_pct_drift"),
                "seasonal_naive_error_pct": r.get("error_pct_seasonal_naive"),
                "flat_bias": r.get("bias_pct_flat"),
                "drift_bias": r.get("bias_pct_drift"),
                "best_baseline": best,
                "beats_baseline": best is None or (r.get("error_pct_model") or math.inf) < bases[best],
                "method_used": live.method if live else "model",
                "model_choice": live.note if live else None,
                "backtests": r.get("n_origins_model"),
            }
        )
    return pl.DataFrame(rows)


def _dedupe(alerts: list[Alert]) -> list[Alert]:
    seen, out = set(), []
    for a in alerts:
        if a.alert_id not in seen:
            seen.add(a.alert_id)
            out.append(a)
    return out


def _accuracy_frame(parts: list[pl.DataFrame], as_of: date) -> pl.DataFrame:
    if not parts:
        return pl.DataFrame()
    frame = pl.concat(parts).with_columns(
        as_of=pl.lit(as_of),
        interval_nominal=pl.lit(0.8),
        # The dashboard's names for the headline figures.
        horizon_weeks=pl.col("horizon").str.extract(r"(\d+)$").cast(pl.Int32),
        p10_p90_coverage=pl.col("coverage_calibrated"),
        backtests=pl.col("n_origins"),
    )
    first = ["series_id", "entity_id", "currency", "as_of", "horizon", "horizon_weeks"]
    return frame.select(*first, *[c for c in frame.columns if c not in first])


def alerts_frame(
    alerts: list[Alert], fx_to_reporting: dict[str, Decimal], state=None, seen_at: str | None = None
) -> pl.DataFrame:
    """The alerts table: one row per alert; status and first_seen come from the alert state."""
    rows = []
    for a in alerts:
        aid = a.alert_id
        rate = fx_to_reporting.get(a.currency)
        first_seen = (state.first_seen(aid) if state else None) or seen_at
        rows.append(
            {
                "alert_id": aid,
                "rule": a.type,
                "severity": a.severity,
                "entity_id": a.entity,
                "currency": a.currency,
                "amount": a.amount,
                "amount_reporting": (a.amount * rate).quantize(Decimal("0.01")) if rate is not None else None,
                "occurred_on": a.occurred_on,
                "first_seen": first_seen,
                "raised_at": datetime.fromisoformat(first_seen.replace("Z", "+00:00")) if first_seen else None,
                "status": state.status(aid) if state else "new",
                "title": a.title,
                "detail": a.detail_json(),
                "evidence": a.evidence_json(),
                "source_ids": sorted(a.source_ids()),
            }
        )
    schema = {
        "alert_id": pl.Utf8,
        "rule": pl.Utf8,
        "severity": pl.Utf8,
        "entity_id": pl.Utf8,
        "currency": pl.Utf8,
        "amount": pl.Decimal(18, 2),
        "amount_reporting": pl.Decimal(18, 2),
        "occurred_on": pl.Date,
        "first_seen": pl.Utf8,
        "raised_at": pl.Datetime("us", "UTC"),
        "status": pl.Utf8,
        "title": pl.Utf8,
        "detail": pl.Utf8,
        "evidence": pl.Utf8,
        "source_ids": pl.List(pl.Utf8),
    }
    return pl.DataFrame(rows, schema=schema)


# -- publishing -----------------------------------------------------------------------------


def write_warehouse(warehouse: Path, tables: dict[str, pl.DataFrame]) -> None:
    """Replace the forecast schema's tables in the DuckDB warehouse (one transaction)."""
    import duckdb

    conn = duckdb.connect(str(warehouse))
    try:
        conn.execute("begin")
        conn.execute(f"create schema if not exists {FORECAST_SCHEMA}")
        for name, frame in tables.items():
            arrow = frame.to_arrow()  # noqa: F841  (referenced by name in the SQL below)
            conn.execute(f"create or replace table {FORECAST_SCHEMA}.{name} as select * from arrow")
        conn.execute("commit")
    finally:
        conn.close()


def write_parquet(settings, tables: dict[str, pl.DataFrame]) -> list[str]:
    """s3://{marts}/marts/forecast/{table}/{table}.parquet, beside the dbt marts."""
    from ..lake import s3_client

    s3 = s3_client(settings)
    keys = []
    for name, frame in tables.items():
        buf = io.BytesIO()
        frame.write_parquet(buf, compression="zstd")
        key = f"marts/{FORECAST_SCHEMA}/{name}/{name}.parquet"
        s3.put_object(Bucket=settings.marts_bucket, Key=key, Body=buf.getvalue())
        keys.append(f"s3://{settings.marts_bucket}/{key}")
    return keys


def extra_tables(result: ForecastResult) -> dict[str, pl.DataFrame]:
    """The whole-balance backtest's tables (see docs/forecast.md) and the AR assumption."""
    from .balance import headline

    out = {}
    bt = result.balance_backtest
    if bt is not None:
        out["balance_accuracy"] = bt.accuracy
        out["balance_backtest"] = bt.points
        out["forecast_headline"] = headline(bt.accuracy, live=bt.live, points=bt.points)
    if result.collection is not None:
        out["ar_collection"] = result.collection
    if result.scenarios is not None:
        out["cash_scenarios"] = result.scenarios
    return out


def state_frame(state) -> pl.DataFrame:
    rows = [
        {
            "alert_id": k,
            "status": v["status"],
            "first_seen": v.get("first_seen"),
            "last_seen": v.get("last_seen"),
            "changes": len(v.get("history", [])),
        }
        for k, v in sorted(state.alerts.items())
    ]
    return pl.DataFrame(
        rows,
        schema={
            "alert_id": pl.Utf8,
            "status": pl.Utf8,
            "first_seen": pl.Utf8,
            "last_seen": pl.Utf8,
            "changes": pl.Int64,
        },
    )


def floor_frame(inputs: ForecastInputs, config: AlertConfig) -> pl.DataFrame:
    """The configured cash floors (what the runway alert compares against), per entity."""
    rows = [
        {"entity_id": e, "currency": info.currency, "floor_amount": config.floor_for(e)}
        for e, info in sorted(inputs.entities.items())
    ]
    rows.append(
        {
            "entity_id": CONSOLIDATED,
            "currency": inputs.reporting_currency,
            "floor_amount": config.floor_for(CONSOLIDATED),
        }
    )
    return pl.DataFrame(rows, schema={"entity_id": pl.Utf8, "currency": pl.Utf8, "floor_amount": pl.Decimal(18, 2)})


def alerts_only(
    warehouse: Path | None = None, settings=None, as_of: date | None = None, config: AlertConfig | None = None
) -> list[Alert]:
    """The record-level alerts (payments and integrity) without forecasting: no Prophet fits."""
    from ..config import Settings, home
    from .marts import load_inputs

    settings = settings or Settings.from_env()
    inputs = load_inputs(Path(warehouse or home() / "warehouse.duckdb"), settings, as_of=as_of)
    config = config or AlertConfig.from_env()
    return _dedupe(
        [
            *all_payment_alerts(inputs.vendor_payments, config),
            *inputs.integrity_alerts,
        ]
    )


def run_forecast(
    warehouse: Path | None = None,
    settings=None,
    horizon: int = HORIZON_DAYS,
    n_origins: int = 8,
    step: int = 14,
    as_of: date | None = None,
    publish: bool = True,
    state=None,
    config: AlertConfig | None = None,
    on_fit: Callable[[], None] | None = None,
    balance_backtest: bool = True,
) -> ForecastResult:
    """Read the marts, forecast, raise alerts, and (unless `publish=False`) write the
    `forecast` schema into the warehouse and Parquet to S3. For `ledgerlake run`, the CLI
    and the forecaster Lambda."""
    from ..alerts.state import AlertState
    from ..config import Settings, home
    from .history import inputs_as_of
    from .marts import load_history
    from .scenarios import (
        ScenarioError,
        apply_scenarios,
        load_scenarios,
        scenarios_path,
    )

    settings = settings or Settings.from_env()
    warehouse = Path(warehouse or home() / "warehouse.duckdb")
    # No warehouse file (the Lambda): marts come from Parquet and results go only to Parquet.
    local_warehouse = warehouse.exists()
    history = load_history(warehouse, settings, as_of=as_of)
    inputs = inputs_as_of(history, as_of or history.last_day)
    config = config or AlertConfig.from_env()
    result = forecast_from_inputs(
        inputs,
        horizon=horizon,
        n_origins=n_origins,
        step=step,
        config=config,
        on_fit=on_fit,
        history=history if balance_backtest else None,
    )
    seen_at = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    if publish:
        state = state or AlertState.default(settings)
        state.observe([a.alert_id for a in result.alerts], seen_at)
        state.save()
    result.fx_to_reporting = inputs.fx_to_reporting
    # Saved what-if scenarios on the live forecast only: never in the backtest (scenarios.py).
    try:
        result.scenarios = apply_scenarios(
            load_scenarios(scenarios_path(home())),
            result.cash_forecast_daily,
            result.flows,
            result.open_ar,
            inputs.fx_to_reporting,
        )
    except ScenarioError as err:  # a bad scenario never stops the base forecast
        log.warning("scenarios not applied: %s", err)
        result.missing.append(f"scenarios: {err}")
    result.alerts_table = alerts_frame(result.alerts, inputs.fx_to_reporting, state, seen_at)
    if publish:
        tables = {
            "cash_forecast_daily": result.cash_forecast_daily,
            "forecast_accuracy": result.forecast_accuracy,
            "alerts": result.alerts_table,
            "alert_state": state_frame(state),
            "cash_floor": floor_frame(inputs, config),
            **extra_tables(result),
        }
        tables = {k: v for k, v in tables.items() if v.width}
        if local_warehouse:
            write_warehouse(warehouse, tables)
        result.published = write_parquet(settings, tables)
    return result

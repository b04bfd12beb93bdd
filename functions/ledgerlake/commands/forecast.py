"""`ledgerlake forecast`: the 13-week cash forecast, its backtest and the alerts."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "forecast",
        help="forecast 13 weeks of cash, backtest it and raise alerts (writes the forecast marts)",
        description=(
            "Read the marts, backtest the statistical part from rolling origins (MASE vs seasonal naive, "
            "WAPE, bias, interval coverage), forecast 13 weeks of daily cash per entity and consolidated "
            "with p10/p50/p90, raise alerts, and write schema `forecast` into the warehouse and Parquet to "
            "s3://{marts}/marts/forecast/. With --fixtures, run the same backtest on the reference series "
            "in ../shared/fixtures/forecasting instead."
        ),
    )
    parser.add_argument(
        "--warehouse", type=Path, default=None, help="DuckDB warehouse (default $LEDGERLAKE_HOME/warehouse.duckdb)"
    )
    parser.add_argument(
        "--as-of", type=date.fromisoformat, default=None, help="forecast from this day (default: the ledger's last day)"
    )
    parser.add_argument("--horizon", type=int, default=91, help="days ahead (default 91 = 13 weeks)")
    parser.add_argument("--origins", type=int, default=8, help="backtest origins per series (default 8)")
    parser.add_argument("--step", type=int, default=14, help="days between backtest origins (default 14)")
    parser.add_argument("--no-publish", action="store_true", help="compute and print only; write nothing")
    parser.add_argument("--fixtures", action="store_true", help="evaluate on the shared reference series instead")
    parser.set_defaults(func=_run)


def _run(args) -> int:
    from ..progress import Progress, step

    if args.fixtures:
        from ..forecast.fixtures import evaluate_fixtures
        from ..forecast.report import accuracy_markdown

        with Progress("prophet fits") as bar:
            results = evaluate_fixtures(on_fit=bar.advance)
        print(accuracy_markdown({k: v.metrics for k, v in results.items()}))
        return 0

    import polars as pl

    from ..forecast import run_forecast
    from ..forecast.report import accuracy_markdown, balance_markdown, cash_summary

    step("forecast: reading marts, backtesting, forecasting")
    with Progress("prophet fits") as bar:
        result = run_forecast(
            warehouse=args.warehouse,
            horizon=args.horizon,
            n_origins=args.origins,
            step=args.step,
            as_of=args.as_of,
            publish=not args.no_publish,
            on_fit=bar.advance,
        )
    if result.missing:
        print("inputs not available (forecast made without them):", file=sys.stderr)
        for m in result.missing:
            print(f"  - {m}", file=sys.stderr)
    if not result.forecast_accuracy.is_empty():
        print("\nbacktest of the statistical part (unscheduled flows)\n")
        series = (
            result.forecast_accuracy.filter(pl.col("kind") == "series")
            if "kind" in result.forecast_accuracy.columns
            else result.forecast_accuracy
        )
        by_series = {s: g for (s,), g in series.group_by("series_id", maintain_order=True)}
        print(accuracy_markdown(by_series))
    bt = result.balance_backtest
    if bt is not None and not bt.accuracy.is_empty():
        print(f"\nwhole-balance backtest ({len(bt.origins)} origins, {bt.seconds:.1f}s)\n")
        print(balance_markdown(bt.accuracy.sort("entity_id", "horizon_weeks")))
        for lp_entity, lp in sorted(bt.live.items()):
            print(f"  {lp_entity}: {lp.note}")
    print("\n" + cash_summary(result.cash_forecast_daily))
    counts: dict[str, int] = {}
    for a in result.alerts:
        counts[a.type] = counts.get(a.type, 0) + 1
    print(f"\nalerts: {len(result.alerts)} " + ", ".join(f"{k}={v}" for k, v in sorted(counts.items())))
    for key in result.published:
        print(f"  wrote {key}")
    print(f"{result.fits} model fits in {result.seconds:.1f}s")
    return 0

"""The same backtest on public reference series (Prophet's example data, MIT licence).

The series live in the workspace at ../shared/fixtures/forecasting and are read in place.
A 13-week horizon is 91 days for the daily series and 3 months for the monthly ones.
"""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl

from .backtest import BacktestResult, run_backtest
from .engine import SeriesSpec, regularise

# name -> (file, frequency, seasonality mode, trend changepoint prior, horizon, origins, step).
# Every series runs with the defaults every ledgerlake series gets (additive, stiff trend
# 0.01); two extra rows show what the other choice is worth where it matters: air passengers
# multiplicative (as Prophet's own documentation models it), and retail sales with Prophet's
# default, more flexible trend (0.05).
FIXTURES = {
    "peyton_manning_daily": ("example_wp_log_peyton_manning.csv", "D", "additive", 0.01, 91, 8, 91),
    "retail_sales_monthly": ("example_retail_sales.csv", "MS", "additive", 0.01, 3, 12, 3),
    "retail_sales_monthly_trend_0.05": ("example_retail_sales.csv", "MS", "additive", 0.05, 3, 12, 3),
    "air_passengers_monthly": ("example_air_passengers.csv", "MS", "additive", 0.01, 3, 12, 3),
    "air_passengers_monthly_mult": ("example_air_passengers.csv", "MS", "multiplicative", 0.01, 3, 12, 3),
}


def fixtures_dir() -> Path:
    explicit = os.environ.get("LEDGERLAKE_FORECAST_FIXTURES")
    if explicit:
        return Path(explicit)
    return Path(__file__).resolve().parents[3].parent / "shared" / "fixtures" / "forecasting"


def load_fixture(name: str, directory: Path | None = None) -> tuple[pl.DataFrame, SeriesSpec]:
    file, freq, mode, cps, *_ = FIXTURES[name]
    text = ((directory or fixtures_dir()) / file).read_text()
    # One of the files uses bare carriage returns as line ends.
    lines = [line for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n") if line.strip()]
    rows = [line.replace('"', "").split(",") for line in lines[1:]]
    frame = pl.DataFrame({"ds": [r[0] for r in rows], "y": [float(r[1]) for r in rows]})
    frame = frame.with_columns(pl.col("ds").str.to_date("%Y-%m-%d"))
    return regularise(frame, freq, fill="interpolate"), SeriesSpec(
        freq=freq, country=None, month_end=False, seasonality_mode=mode, changepoint_prior_scale=cps
    )


def evaluate_fixtures(directory: Path | None = None, on_fit=None) -> dict[str, BacktestResult]:
    results = {}
    for name, (_, _, _, _, horizon, n_origins, step) in FIXTURES.items():
        series, spec = load_fixture(name, directory)
        results[name] = run_backtest(series, spec, horizon, n_origins, step, on_fit=on_fit)
    return results


BASE_SERIES = ("peyton_manning_daily", "retail_sales_monthly", "air_passengers_monthly")


def compare_models(directory: Path | None = None, on_fit=None) -> pl.DataFrame:
    """Every candidate model on the same windows of each reference series, and the one the
    forecaster would choose (lowest MASE over the horizon): the evidence behind the choice."""
    from .backtest import choose_model

    rows = []
    for name in BASE_SERIES:
        _, _, _, _, horizon, n_origins, step = FIXTURES[name]
        series, spec = load_fixture(name, directory)
        winner, results, why = choose_model(series, spec, horizon, n_origins, step, on_fit=on_fit)
        for model, bt in results.items():
            m = bt.metrics.filter(pl.col("horizon") == "all").row(0, named=True)
            rows.append(
                {
                    "series": name,
                    "model": model,
                    "origins": m["n_origins"],
                    "mase": m["mase"],
                    "naive_mase": m["naive_mase"],
                    "wape": m["wape"],
                    "bias": m["bias"],
                    "coverage_raw": m["coverage_raw"],
                    "coverage_calibrated": m["coverage_calibrated"],
                    "coverage_cumulative": m["coverage_cumulative"],
                    "chosen": model == winner,
                    "why": why,
                }
            )
    return pl.DataFrame(rows)

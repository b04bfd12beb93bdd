"""Rolling-origin backtest and conformal calibration of the statistical forecast.

For each origin the model is fitted on everything before it and scored on the next
`horizon` periods, exactly as it would have been used. Reported per horizon bucket:

* MASE: mean absolute error scaled by the in-sample error of the one-season-back naive
  forecast (Hyndman & Koehler 2006), for the model and for the seasonal naive forecast
  itself over the same windows, so "better than seasonal naive" is read off directly;
* WAPE = sum|error| / sum|actual|; bias = sum(forecast - actual) / sum|actual| (positive
  means the forecast ran high);
* coverage of the nominal 80 % interval: Prophet's own, and after calibration.

Calibration is conformalised quantile regression (Romano, Patterson & Candès 2019): the
score of a point is how far it fell outside Prophet's interval (negative inside), and the
interval is widened (or narrowed) by the score quantile at level ceil((n+1)*0.8)/n. In the
backtest each origin is calibrated only on the origins before it, so the reported
calibrated coverage is out of sample. The cash balance needs the interval of the *sum* of
flows up to day h, which daily intervals do not give; its calibration is a band +-q*h**p around the
cumulative forecast: p is fitted from how the error spread grows with h (0.5 when daily
errors are independent, 1.0 when the forecast is off by a persistent level; clipped to
that range), each origin gets one score — the 80th percentile over its horizon of
|cumulative error| / h**p — and q is the conformal quantile of those scores over origins.
Errors within one origin are strongly correlated, so origins, not days, are the samples.
Pooling days was too narrow (~55 % coverage on the reference series); one max per origin
too wide (~100 %); the per-origin 80th percentile lands at 70–95 %.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from .engine import INTERVAL, MODELS, SeriesSpec, naive_scale, predict, seasonal_naive

MIN_CALIBRATION_ORIGINS = 2


@dataclass(frozen=True)
class Calibration:
    """What the backtest teaches the live forecast about its own errors."""

    cqr_margin: float = 0.0  # added to both sides of Prophet's interval (may be negative)
    cum_q_low: float = 0.0  # cumulative band: [cum_q_low, cum_q_high] * h**cum_power
    cum_q_high: float = 0.0
    cum_power: float = 0.5
    n_origins: int = 0

    @property
    def calibrated(self) -> bool:
        return self.n_origins >= MIN_CALIBRATION_ORIGINS


@dataclass
class BacktestResult:
    points: pl.DataFrame  # one row per origin x step
    metrics: pl.DataFrame  # one row per horizon bucket
    calibration: Calibration
    fits: int = 0
    notes: list[str] = field(default_factory=list)
    model: str = "prophet"


def conformal_quantile(scores: np.ndarray, level: float = INTERVAL) -> float:
    """Finite-sample split-conformal quantile: the ceil((n+1)*level)-th smallest score."""
    scores = np.sort(scores[~np.isnan(scores)])
    n = len(scores)
    if n == 0:
        return 0.0
    k = min(n, math.ceil((n + 1) * level))
    return float(scores[k - 1])


def growth_power(cum_err: np.ndarray, steps: np.ndarray) -> float:
    """How the spread of the cumulative error grows with the step: rms(h) ~ h**p."""
    hs = np.unique(steps)
    if len(hs) < 3:
        return 0.5
    rms = np.array([np.sqrt(np.mean(cum_err[steps == h] ** 2)) for h in hs])
    ok = rms > 0
    if ok.sum() < 3:
        return 0.5
    slope = np.polyfit(np.log(hs[ok]), np.log(rms[ok]), 1)[0]
    return float(np.clip(slope, 0.5, 1.0))


def cumulative_quantiles(cum_err: np.ndarray, steps: np.ndarray, origin: np.ndarray) -> tuple[float, float, float]:
    """(low, high, p): the cumulative band is [low, high] * h**p (low = -high)."""
    power = growth_power(cum_err, steps)
    z = np.abs(cum_err) / steps.astype(float) ** power
    per_origin = np.array([np.quantile(z[origin == k], INTERVAL) for k in np.unique(origin)])
    q = conformal_quantile(per_origin)
    return -q, q, power


def origins_for(n: int, horizon: int, n_origins: int, step: int, min_train: int) -> list[int]:
    """Training lengths for each origin, oldest first; the last one ends exactly at the data."""
    last = n - horizon
    out = [last - k * step for k in range(n_origins)]
    return sorted(o for o in out if o >= min_train)


def horizon_bucket(steps: pl.Expr, freq: str) -> pl.Expr:
    if freq == "D":
        week = (steps - 1) // 7 + 1
        return (
            pl.when(week <= 4)
            .then(pl.lit("weeks 01-04"))
            .when(week <= 8)
            .then(pl.lit("weeks 05-08"))
            .otherwise(pl.lit("weeks 09-13"))
        )
    return pl.format("month {}", steps)


def run_backtest(
    series: pl.DataFrame,
    spec: SeriesSpec,
    horizon: int,
    n_origins: int,
    step: int,
    min_train: int | None = None,
    on_fit: Callable[[], None] | None = None,
    model: str = "prophet",
) -> BacktestResult:
    """Backtest `series` (ds, y; regular, no gaps) from `n_origins` origins `step` apart.

    Origins are at least `horizon` apart in calibration: origin k is calibrated only on
    origins whose whole test window ended on or before origin k's start (no overlap)."""
    series = series.sort("ds")
    y = series["y"].to_numpy().astype(float)
    min_train = min_train or max(3 * spec.season, 2 * horizon if spec.freq == "D" else 24)
    origins = origins_for(len(y), horizon, n_origins, step, min_train)
    frames = []
    for k, origin in enumerate(origins):
        train = series.head(origin)
        fc = predict(model, train, horizon, spec)
        if on_fit:
            on_fit()
        actual = y[origin : origin + horizon]
        frames.append(
            pl.DataFrame(
                {
                    "origin": [series["ds"][origin - 1]] * horizon,
                    "origin_index": [k] * horizon,
                    "step": np.arange(1, horizon + 1),
                    "ds": fc["ds"],
                    "y": actual,
                    "yhat": fc["yhat"],
                    "lower": fc["yhat_lower"],
                    "upper": fc["yhat_upper"],
                    "naive": seasonal_naive(y[:origin], horizon, spec.season),
                    "scale": [naive_scale(y[:origin], spec.season)] * horizon,
                }
            )
        )
    if not frames:
        empty = pl.DataFrame()
        return BacktestResult(empty, empty, Calibration(), 0, [f"history too short for a {horizon}-step backtest"])
    points = pl.concat(frames).with_columns(
        score=pl.max_horizontal(pl.col("lower") - pl.col("y"), pl.col("y") - pl.col("upper")),
        cum_err=(pl.col("y") - pl.col("yhat")).cum_sum().over("origin_index"),
    )
    points = _sequential_calibration(points, horizon)
    metrics = _metrics(points, spec.freq).with_columns(model=pl.lit(model))
    calibration = _calibration(points, len(origins))
    return BacktestResult(points, metrics, calibration, fits=len(origins), model=model)


def _calibration(points: pl.DataFrame, n_origins: int) -> Calibration:
    low, high, power = cumulative_quantiles(
        points["cum_err"].to_numpy(), points["step"].to_numpy(), points["origin_index"].to_numpy()
    )
    return Calibration(
        cqr_margin=conformal_quantile(points["score"].to_numpy()),
        cum_q_low=low,
        cum_q_high=high,
        cum_power=power,
        n_origins=n_origins,
    )


def _sequential_calibration(points: pl.DataFrame, horizon: int) -> pl.DataFrame:
    """Calibrate origin k only on origins whose test window had ended by origin k's start
    (origin + horizon <= origin k): calibration and test windows never overlap, so the
    calibrated coverage is out of sample."""
    margins, lows, highs, powers = {}, {}, {}, {}
    starts = dict(points.group_by("origin_index").agg(pl.col("origin").first()).iter_rows())
    ends = dict(points.group_by("origin_index").agg(pl.col("ds").max()).iter_rows())
    for k in sorted(starts):
        done = [j for j in starts if ends[j] <= starts[k]]
        if len(done) < MIN_CALIBRATION_ORIGINS:
            margins[k] = lows[k] = highs[k] = powers[k] = None
            continue
        past = points.filter(pl.col("origin_index").is_in(done))
        margins[k] = conformal_quantile(past["score"].to_numpy())
        lows[k], highs[k], powers[k] = cumulative_quantiles(
            past["cum_err"].to_numpy(), past["step"].to_numpy(), past["origin_index"].to_numpy()
        )
    idx = pl.col("origin_index")
    as_float = lambda mapping: idx.replace_strict(mapping, return_dtype=pl.Float64)  # noqa: E731
    margin = as_float(margins)
    growth = pl.col("step").cast(pl.Float64).pow(as_float(powers))
    return points.with_columns(
        cal_lower=pl.col("lower") - margin,
        cal_upper=pl.col("upper") + margin,
        cum_lower=as_float(lows) * growth,
        cum_upper=as_float(highs) * growth,
    )


def _metrics(points: pl.DataFrame, freq: str) -> pl.DataFrame:
    err = pl.col("yhat") - pl.col("y")
    inside = lambda lo, hi: ((pl.col("y") >= lo) & (pl.col("y") <= hi)).cast(pl.Float64)  # noqa: E731
    calibrated = pl.col("cal_lower").is_not_null()
    aggs = [
        pl.col("origin_index").n_unique().alias("n_origins"),
        pl.len().alias("n_points"),
        (err.abs() / pl.col("scale")).mean().alias("mase"),
        ((pl.col("naive") - pl.col("y")).abs() / pl.col("scale")).mean().alias("naive_mase"),
        (err.abs().sum() / pl.col("y").abs().sum()).alias("wape"),
        (err.sum() / pl.col("y").abs().sum()).alias("bias"),
        inside(pl.col("lower"), pl.col("upper")).mean().alias("coverage_raw"),
        inside(pl.col("cal_lower"), pl.col("cal_upper")).filter(calibrated).mean().alias("coverage_calibrated"),
        # Cumulative flow to day h inside its calibrated interval (what the balance band uses).
        ((pl.col("cum_err") >= pl.col("cum_lower")) & (pl.col("cum_err") <= pl.col("cum_upper")))
        .cast(pl.Float64)
        .filter(calibrated)
        .mean()
        .alias("coverage_cumulative"),
    ]
    bucketed = points.with_columns(horizon=horizon_bucket(pl.col("step"), freq))
    per_bucket = bucketed.group_by("horizon").agg(aggs)
    overall = bucketed.select(aggs).with_columns(horizon=pl.lit("all"))
    return pl.concat([per_bucket, overall.select(per_bucket.columns)]).sort("horizon")


def choose_model(
    series: pl.DataFrame,
    spec: SeriesSpec,
    horizon: int,
    n_origins: int,
    step: int,
    models: tuple[str, ...] = MODELS,
    on_fit: Callable[[], None] | None = None,
) -> tuple[str, dict[str, BacktestResult], str]:
    """Backtest every candidate on the same origins and keep the lowest MASE over the whole
    horizon. Returns (winner, backtests, why) — `why` is the sentence the dashboard shows."""
    results = {m: run_backtest(series, spec, horizon, n_origins, step, on_fit=on_fit, model=m) for m in models}
    scores = {}
    for m, bt in results.items():
        row = bt.metrics.filter(pl.col("horizon") == "all") if not bt.metrics.is_empty() else bt.metrics
        scores[m] = float(row["mase"][0]) if not row.is_empty() and row["mase"][0] is not None else math.inf
    winner = min(scores, key=scores.get)
    ranked = sorted(scores.items(), key=lambda kv: kv[1])
    naive = scores.get("seasonal_naive", math.inf)
    why = (
        f"{winner}: lowest MASE {scores[winner]:.2f} on {results[winner].fits} backtest origins"
        + (f" (next {ranked[1][0]} {ranked[1][1]:.2f})" if len(ranked) > 1 else "")
        + (f"; seasonal naive {naive:.2f}" if winner != "seasonal_naive" and math.isfinite(naive) else "")
        + ("; no model beat seasonal naive, so it is used" if winner == "seasonal_naive" else "")
    )
    return winner, results, why

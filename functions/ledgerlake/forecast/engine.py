"""The statistical part of the cash forecast: Prophet on one regular series.

A series is a polars frame `ds` (Date) / `y` (Float64) at daily (`"D"`) or month-start
(`"MS"`) frequency. Feature preparation is polars; pandas appears only at the Prophet
boundary (`_to_pandas`), because Prophet requires it. Floats are fine here: this is a
statistical estimate, and amounts become cents-rounded Decimals only in the outputs.

Daily series get weekly seasonality, a month-end / month-start effect (payroll, card
settlement and customer payment runs bunch there) and the entity country's public holidays;
Prophet's priors shrink the ones that do not matter, and the backtest says whether the
whole thing beats seasonal naive. Yearly seasonality is left to Prophet's own rule (on with
two or more years of history).
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import polars as pl

INTERVAL = 0.80  # p10..p90
SEASON = {"D": 7, "MS": 12}
# Fewer samples than Prophet's 1000: the raw interval is calibrated afterwards anyway,
# and sampling dominates predict time.
UNCERTAINTY_SAMPLES = 300


@dataclass(frozen=True)
class SeriesSpec:
    """How to model one series: its frequency and, for daily series, the holiday country."""

    freq: str = "D"
    country: str | None = None  # ISO country for public holidays (US, GB), daily only
    month_end: bool = True  # month-end / month-start regressors, daily only
    seasonality_mode: str = "additive"
    # A stiffer trend than Prophet's 0.05: 13 weeks of cash should not extrapolate the last
    # few weeks' swings (lumpy annual-plan payouts). Chosen on the backtest; see docs/forecast.md.
    changepoint_prior_scale: float = 0.01

    @property
    def season(self) -> int:
        return SEASON[self.freq]


def future_dates(last: date, horizon: int, freq: str) -> list[date]:
    if freq == "D":
        return [last + timedelta(days=i) for i in range(1, horizon + 1)]
    out, y, m = [], last.year, last.month
    for _ in range(horizon):
        m += 1
        if m > 12:
            y, m = y + 1, 1
        out.append(date(y, m, 1))
    return out


def add_calendar_features(frame: pl.DataFrame) -> pl.DataFrame:
    """Month-end (last 3 days) and month-start (first 3 days) indicators for daily series."""
    ds = pl.col("ds")
    days_in_month = ds.dt.month_end().dt.day()
    return frame.with_columns(
        month_end=(ds.dt.day() > days_in_month - 3).cast(pl.Float64),
        month_start=(ds.dt.day() <= 3).cast(pl.Float64),
    )


def _to_pandas(frame: pl.DataFrame):
    pdf = frame.to_pandas()
    pdf["ds"] = pdf["ds"].astype("datetime64[ns]")
    return pdf


def _quiet_stan() -> None:
    for name in ("cmdstanpy", "prophet", "prophet.plot"):
        logging.getLogger(name).setLevel(logging.ERROR)


def fit_predict(train: pl.DataFrame, horizon: int, spec: SeriesSpec) -> pl.DataFrame:
    """Fit on `train` (ds, y) and forecast `horizon` steps: ds, yhat, yhat_lower, yhat_upper."""
    _quiet_stan()
    from prophet import Prophet

    train = train.select("ds", pl.col("y").cast(pl.Float64)).sort("ds")
    daily = spec.freq == "D"
    model = Prophet(
        interval_width=INTERVAL,
        uncertainty_samples=UNCERTAINTY_SAMPLES,
        weekly_seasonality="auto" if daily else False,
        daily_seasonality=False,
        seasonality_mode=spec.seasonality_mode,
        changepoint_prior_scale=spec.changepoint_prior_scale,
    )
    if daily and spec.country:
        model.add_country_holidays(country_name=spec.country)
    use_month = daily and spec.month_end
    if use_month:
        train = add_calendar_features(train)
        model.add_regressor("month_end", prior_scale=5.0, standardize=False)
        model.add_regressor("month_start", prior_scale=5.0, standardize=False)
    with warnings.catch_warnings():
        # Prophet 1.5 on pandas 3 warns about its own deprecated calls on every fit.
        warnings.simplefilter("ignore")
        model.fit(_to_pandas(train))

    future = pl.DataFrame({"ds": future_dates(train["ds"].max(), horizon, spec.freq)})
    if use_month:
        future = add_calendar_features(future)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pred = model.predict(_to_pandas(future))
    return pl.DataFrame(
        {
            "ds": future["ds"],
            "yhat": pred["yhat"].to_numpy(dtype=float),
            "yhat_lower": pred["yhat_lower"].to_numpy(dtype=float),
            "yhat_upper": pred["yhat_upper"].to_numpy(dtype=float),
        }
    )


# The candidates for a statistical series, chosen per series by rolling-origin backtest
# (`backtest.choose_model`). AutoARIMA is left out: too slow for the Lambda budget.
MODELS = ("prophet", "autoets", "autotheta", "seasonal_naive")


def predict(model: str, train: pl.DataFrame, horizon: int, spec: SeriesSpec) -> pl.DataFrame:
    """Forecast with one of MODELS: ds, yhat, yhat_lower, yhat_upper (80 %)."""
    if model == "prophet":
        return fit_predict(train, horizon, spec)
    from statsforecast.models import AutoETS, AutoTheta, SeasonalNaive

    season = spec.season
    y = train.sort("ds")["y"].to_numpy().astype(float)
    candidates = {
        "autoets": lambda: AutoETS(season_length=season, model="ZZA" if spec.seasonality_mode == "additive" else "ZZZ"),
        "autotheta": lambda: AutoTheta(season_length=season),
        "seasonal_naive": lambda: SeasonalNaive(season_length=season),
    }
    if model not in candidates:
        raise ValueError(f"unknown model {model!r}; choose from {', '.join(MODELS)}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = candidates[model]().forecast(y=y, h=horizon, level=[int(INTERVAL * 100)])
    ds = future_dates(train["ds"].max(), horizon, spec.freq)
    level = int(INTERVAL * 100)
    # float64 whatever the model returns (some return float32 for some inputs)
    return pl.DataFrame(
        {
            "ds": ds,
            "yhat": np.asarray(out["mean"], dtype=float),
            "yhat_lower": np.asarray(out[f"lo-{level}"], dtype=float),
            "yhat_upper": np.asarray(out[f"hi-{level}"], dtype=float),
        }
    )


def seasonal_naive(train_y: np.ndarray, horizon: int, season: int) -> np.ndarray:
    """Repeat the last full season: the benchmark every forecast here must beat."""
    last = train_y[-season:]
    reps = int(np.ceil(horizon / season))
    return np.tile(last, reps)[:horizon]


def naive_scale(train_y: np.ndarray, season: int) -> float:
    """MASE denominator: in-sample mean absolute error of the one-season-back naive forecast."""
    if len(train_y) <= season:
        return float("nan")
    return float(np.mean(np.abs(train_y[season:] - train_y[:-season])))


def regularise(frame: pl.DataFrame, freq: str = "D", fill: str = "zero") -> pl.DataFrame:
    """Sum to one row per period and fill missing periods.

    `fill="zero"` for flows (no payment that day is a zero flow); `"interpolate"` for level
    series such as the reference fixtures, where a missing day is unknown, not zero.
    """
    frame = frame.select(pl.col("ds").cast(pl.Date), pl.col("y").cast(pl.Float64))
    if freq == "MS":
        frame = frame.with_columns(pl.col("ds").dt.truncate("1mo"))
    frame = frame.group_by("ds").agg(pl.col("y").sum()).sort("ds")
    if frame.is_empty():
        return frame
    interval = "1d" if freq == "D" else "1mo"
    grid = pl.DataFrame({"ds": pl.date_range(frame["ds"].min(), frame["ds"].max(), interval, eager=True)})
    out = grid.join(frame, on="ds", how="left")
    if fill == "interpolate":
        return out.with_columns(pl.col("y").interpolate())
    return out.with_columns(pl.col("y").fill_null(0.0))

"""The statistical engine and its backtest, on series whose behaviour is known."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest

from ledgerlake.forecast.backtest import conformal_quantile, origins_for, run_backtest
from ledgerlake.forecast.engine import SeriesSpec, naive_scale, regularise, seasonal_naive
from ledgerlake.forecast.fixtures import fixtures_dir, load_fixture


def weekly_sales(days: int = 400, seed: int = 3) -> pl.DataFrame:
    """Card sales with a strong weekly shape, month-end bump, mild growth and noise."""
    rng = np.random.default_rng(seed)
    start = date(2024, 1, 1)
    ds = [start + timedelta(days=i) for i in range(days)]
    shape = np.array([1.0, 1.1, 1.15, 1.2, 1.4, 0.5, 0.4])
    y = [
        10_000 * shape[d.weekday()] * (1 + i / 2000) + (3_000 if d.day >= 28 else 0) + rng.normal(0, 900)
        for i, d in enumerate(ds)
    ]
    return pl.DataFrame({"ds": ds, "y": y})


@pytest.fixture(scope="module")
def backtest():
    return run_backtest(weekly_sales(), SeriesSpec(freq="D", country="US"), horizon=28, n_origins=4, step=21)


def test_prophet_beats_seasonal_naive_on_a_weekly_series(backtest):
    overall = backtest.metrics.filter(pl.col("horizon") == "all").row(0, named=True)
    assert overall["n_origins"] == 4 and overall["n_points"] == 4 * 28
    assert overall["mase"] < 1.0
    assert overall["mase"] < overall["naive_mase"]
    assert abs(overall["bias"]) < 0.05 and overall["wape"] < 0.15


def test_calibrated_interval_covers_about_eighty_percent(backtest):
    overall = backtest.metrics.filter(pl.col("horizon") == "all").row(0, named=True)
    assert 0.6 <= overall["coverage_calibrated"] <= 0.97
    assert backtest.calibration.calibrated and backtest.calibration.cum_q_low < 0 < backtest.calibration.cum_q_high


def test_backtest_never_sees_the_future(backtest):
    points = backtest.points
    assert (points["ds"] > points["origin"]).all()
    assert (
        points.group_by("origin")
        .agg(pl.col("ds").min() - pl.col("origin").first())
        .to_series(1)
        .dt.total_days()
        .to_list()
        == [1] * 4
    )


def test_seasonal_naive_and_scale():
    y = np.array([1, 2, 3, 4, 5, 6, 7, 1, 2, 3, 4, 5, 6, 7], dtype=float)
    assert seasonal_naive(y, 10, 7).tolist() == [1, 2, 3, 4, 5, 6, 7, 1, 2, 3]
    assert naive_scale(y, 7) == 0.0
    assert naive_scale(np.arange(10.0), 7) == 7.0


def test_conformal_quantile_uses_the_finite_sample_rank():
    scores = np.arange(1.0, 11.0)  # n = 10: rank ceil(11 * 0.8) = 9
    assert conformal_quantile(scores) == 9.0


def test_origins_end_at_the_data_and_respect_min_train():
    assert origins_for(400, 28, 4, 21, 100) == [309, 330, 351, 372]
    assert origins_for(120, 28, 4, 21, 60) == [71, 92]


def test_regularise_fills_missing_days_with_zero_flow():
    frame = pl.DataFrame({"ds": [date(2024, 1, 1), date(2024, 1, 1), date(2024, 1, 4)], "y": [1.0, 2.0, 5.0]})
    assert regularise(frame)["y"].to_list() == [3.0, 0.0, 0.0, 5.0]


def test_reference_fixtures_load_in_place():
    if not fixtures_dir().exists():
        pytest.skip("shared fixtures not present")
    series, spec = load_fixture("air_passengers_monthly")  # the file with bare CR line ends
    assert series.height == 144 and spec.freq == "MS" and series["y"][0] == 112
    series, _ = load_fixture("peyton_manning_daily")
    assert series["ds"].diff().drop_nulls().dt.total_days().max() == 1  # gaps filled

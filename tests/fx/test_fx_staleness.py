"""The FX staleness alarm: the alert rule on marts.fx_rates_latest (TARGET business days, so
weekends and Easter are not staleness) and the CloudWatch metric the poller Lambda writes."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import polars as pl

from ledgerlake.alerts.fx import stale_fx_rates
from ledgerlake.sources.ecb.feed import business_days_between


def _latest(day: date) -> pl.DataFrame:
    rows = [
        {"currency": c, "reporting_currency": "USD", "latest_rate_date": day, "rate": Decimal(r), "rate_source": "ecb"}
        for c, r in (("GBP", "1.2647855577"), ("EUR", "1.0705000000"))
    ]
    # Croatia joined the euro: the ECB's last HRK rate stays the newest HRK rate for ever
    rows.append(
        {
            "currency": "HRK",
            "reporting_currency": "USD",
            "latest_rate_date": date(2022, 12, 30),
            "rate": Decimal("0.1413468812"),
            "rate_source": "ecb",
        }
    )
    return pl.DataFrame(rows)


def test_rates_carried_over_a_weekend_or_easter_are_not_stale():
    friday = date(2024, 6, 28)
    assert stale_fx_rates(_latest(friday), date(2024, 6, 30), 2) == []  # Sunday
    assert stale_fx_rates(_latest(friday), date(2024, 7, 2), 2) == []  # Tuesday: 2 business days
    maundy_thursday = date(2024, 3, 28)  # then Good Friday and Easter Monday: TARGET holidays
    assert stale_fx_rates(_latest(maundy_thursday), date(2024, 4, 3), 2) == []


def test_rates_older_than_the_limit_raise_one_alert_and_a_discontinued_currency_none():
    friday = date(2024, 6, 28)
    (alert,) = stale_fx_rates(_latest(friday), date(2024, 7, 3), 2)  # Wednesday: 3 business days
    assert alert.type == "fx_rates_stale" and alert.severity == "medium" and alert.occurred_on == friday
    assert alert.metrics["business_days_old"] == 3 and alert.metrics["currencies"] == ["EUR", "GBP"]
    assert {e.source_id for e in alert.evidence} == {"GBP:2024-06-28", "EUR:2024-06-28"}
    (later,) = stale_fx_rates(_latest(friday), date(2024, 7, 12), 2)
    assert later.severity == "high" and later.alert_id == alert.alert_id  # the same episode, worse


def test_poller_lambda_writes_the_staleness_metric(lake, ecb_sim, monkeypatch, capsys):
    from ledgerlake.handlers import poller
    from ledgerlake.sourceapi import serve_in_thread

    with serve_in_thread(ecb_sim, clock="2024-06-20T18:00:00Z") as providers:
        monkeypatch.setenv("ECB_API_BASE_URL", providers.base_urls["ecb"])
        summary = poller.handler({"source": "ecb"}, None)
    assert summary["complete"] and summary["pages_landed"] == 1
    emf = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith('{"_aws"')]
    # one FX freshness line (the poller's ObjectsCreated line is its own, tests/polling/test_poller_metrics.py)
    fx_lines = [m for m in emf if "FxRateAgeBusinessDays" in m]
    assert len(fx_lines) == 1
    metric = fx_lines[0]
    assert metric["_aws"]["CloudWatchMetrics"][0]["Metrics"] == [{"Name": "FxRateAgeBusinessDays", "Unit": "Count"}]
    assert metric["source"] == "ecb" and metric["latest_rate_date"] == "2024-06-20"
    # rates from 2024 read today: stale by every business day since, which the alarm compares to its threshold
    today = datetime.now(UTC).date()
    assert metric["FxRateAgeBusinessDays"] == business_days_between(date(2024, 6, 20), today) > 2

"""FX rates gone stale: the newest reference rate is older than the publisher's calendar allows.

Every conversion after the newest published rate carries it forward (int_fx_pair_rates_daily
says from which date). Over a weekend or a TARGET holiday that is the rule; for more than
`LEDGERLAKE_FX_STALE_BUSINESS_DAYS` (default 2) TARGET business days it means the feed stopped
(poller failing, ECB format change, an override file nobody updates) and every converted
amount since then is at an old rate. Judged on the newest rate date of all currencies, so a
currency the ECB stopped quoting while the feed goes on (HRK when Croatia joined the euro,
RUB since March 2022) is not staleness; one alert lists the currencies at that date.
"""

from __future__ import annotations

import os
from datetime import date
from decimal import Decimal

import polars as pl

from ..sources.ecb.feed import business_days_between
from .model import Alert, Evidence

DEFAULT_MAX_BUSINESS_DAYS = 2


def max_business_days() -> int:
    return int(os.environ.get("LEDGERLAKE_FX_STALE_BUSINESS_DAYS") or DEFAULT_MAX_BUSINESS_DAYS)


def stale_fx_rates(latest: pl.DataFrame, as_of: date, max_days: int | None = None) -> list[Alert]:
    """`latest` is marts.fx_rates_latest: currency, reporting_currency, latest_rate_date, rate, rate_source."""
    max_days = max_business_days() if max_days is None else max_days
    rows_all = list(latest.iter_rows(named=True))
    newest = max((r["latest_rate_date"] for r in rows_all), default=None)
    by_day = {newest: [r for r in rows_all if r["latest_rate_date"] == newest]} if newest else {}
    alerts = []
    for day, rows in by_day.items():
        age = business_days_between(day, as_of)
        if age <= max_days:
            continue
        currencies = sorted(r["currency"] for r in rows)
        reporting = rows[0]["reporting_currency"]
        alerts.append(
            Alert(
                type="fx_rates_stale",
                severity="high" if age > 2 * max_days else "medium",
                entity="all",
                currency=reporting,
                amount=Decimal(0),
                occurred_on=day,
                title=(
                    f"FX rates stale: the latest {', '.join(currencies)} → {reporting} rate is from {day}, "
                    f"{age} business days before {as_of}; conversions since then carry it forward"
                ),
                identity=tuple(f"fx:{c}:{day}" for c in currencies),
                evidence=tuple(
                    Evidence(
                        role="latest rate",
                        source_system=r["rate_source"],
                        source_id=f"{r['currency']}:{day}",
                        record_type="fx_rate",
                        occurred_on=day,
                        detail={"rate": str(r["rate"])},
                    )
                    for r in rows
                ),
                metrics={
                    "as_of": as_of.isoformat(),
                    "business_days_old": age,
                    "max_business_days": max_days,
                    "currencies": currencies,
                },
            )
        )
    return alerts

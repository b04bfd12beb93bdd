"""The pipeline's expected cash: win rates and slippage learnt from the CRM's stage history."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import polars as pl

from ledgerlake.forecast.collection import Survival
from ledgerlake.forecast.pipeline import (
    EVENT_SCHEMA,
    learn,
    pipeline_flows,
    run_rate_path,
    top_up,
)

AS_OF = date(2026, 6, 30)


def _history(n: int = 20) -> pl.DataFrame:
    """Deals seen at 'proposal' (nominal 0.2): 3 in 4 won, each 20 days after the close date
    the CRM showed; one deal still open (its outcome unknown: not counted)."""
    rows = []
    for i in range(n):
        start = date(2026, 1, 1) + timedelta(days=5 * i)
        close = start + timedelta(days=30)
        won = i % 4 != 0
        rows.append(
            {
                "entity": "US",
                "deal_id": f"d{i}",
                "day": start,
                "stage_id": "proposal",
                "probability": 0.2,
                "close_date": close,
                "is_closed": False,
                "is_won": False,
            }
        )
        rows.append(
            {
                "entity": "US",
                "deal_id": f"d{i}",
                "day": close + timedelta(days=20),
                "stage_id": "won" if won else "lost",
                "probability": 1.0 if won else 0.0,
                "close_date": close,
                "is_closed": True,
                "is_won": won,
            }
        )
    rows.append(
        {
            "entity": "US",
            "deal_id": "open",
            "day": date(2026, 6, 1),
            "stage_id": "proposal",
            "probability": 0.2,
            "close_date": date(2026, 7, 10),
            "is_closed": False,
            "is_won": False,
        }
    )
    return pl.DataFrame(rows, schema=EVENT_SCHEMA)


def _deal(close: date) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "entity": ["US"],
            "currency": ["USD"],
            "deal_id": ["x"],
            "amount": [Decimal("10000.00")],
            "probability": [0.2],
            "close_date": [close],
            "stage_id": ["proposal"],
        }
    )


def test_win_rate_and_slippage_come_from_the_stage_history_not_the_settings():
    model = learn(_history(), AS_OF)
    rate = model.win_rate[("US", "proposal")]
    assert 0.6 < rate < 0.75  # 15 of 20 won, shrunk a little towards the 0.2 setting
    assert set(model.slips["US"]) == {20.0}
    rows = pipeline_flows(_deal(date(2026, 7, 10)), model, {"US": 0}, AS_OF, 91)
    # won 20 days after the shown close, paid on 30 days' terms
    assert [r["date"] for r in rows] == [date(2026, 7, 10) + timedelta(days=50)]
    assert abs(float(rows[0]["amount"]) - 10000 * rate) < 0.01
    # nothing after the day leaks in: as of before any deal closed, the setting is used
    early = learn(_history(), date(2026, 1, 20))
    assert early.win_rate == {} and early.slips == {}


def test_a_deal_past_every_slip_seen_is_not_expected_and_no_history_falls_back_to_the_setting():
    model = learn(_history(), AS_OF)
    assert pipeline_flows(_deal(date(2026, 5, 1)), model, {"US": 0}, AS_OF, 91) == []  # 60 days overdue
    bare = pipeline_flows(_deal(date(2026, 7, 10)), learn(None, AS_OF), {"US": 5}, AS_OF, 91)
    assert [(r["date"], r["amount"]) for r in bare] == [(date(2026, 7, 10) + timedelta(days=35), Decimal("2000.0"))]


def test_invoices_not_raised_yet_are_expected_at_the_run_rate_where_the_pipeline_falls_short():
    # 91 days of invoicing at 1,000 a day on 30 days' terms, every customer paying 10 days late
    issued = [AS_OF - timedelta(days=k) for k in range(91)]
    invoiced = pl.DataFrame(
        {
            "issued_on": issued,
            "due_date": [d + timedelta(days=30) for d in issued],
            "total_amount": [Decimal("1000.00")] * 91,
        }
    )
    paid_10_late = Survival(np.full(50, 10), np.ones(50))
    path = run_rate_path(invoiced, paid_10_late, AS_OF, 91)
    assert path[39] == 0 and abs(path[40] - 1000) < 1e-6  # the first new invoice is paid on day 41
    assert abs(path[-1] - 1000 * 51) < 1e-6
    # a deal expected for 80,000 on day 60 covers the run-rate until then; only the gap is added
    deal = [
        {
            "entity": "US",
            "currency": "USD",
            "date": AS_OF + timedelta(days=60),
            "amount": Decimal("80000.00"),
        }
    ]
    extra = top_up(deal, path, "US", "USD", AS_OF)
    assert abs(float(sum(r["amount"] for r in extra))) < 0.05  # the deal alone exceeds the run-rate by day 91
    assert float(sum(r["amount"] for r in extra if r["date"] < AS_OF + timedelta(days=60))) > 0  # not before it
    small = [{**deal[0], "amount": Decimal("5000.00")}]
    total = 5000 + float(sum(r["amount"] for r in top_up(small, path, "US", "USD", AS_OF)))
    assert abs(total - path[-1]) < 0.05

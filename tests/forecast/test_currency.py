"""A document in another currency is forecast in its entity's own currency: the UK's euro
invoices are paid into its sterling account and its dollar bills paid from it, so a €1,000
invoice must forecast what an £864 one does (at EUR 1.08 and GBP 1.25 to the dollar), not
£1,000. The backtest's settled cash of open documents is converted the same way."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import polars as pl

from ledgerlake.forecast.history import (
    CREDIT_SCHEMA,
    DEAL_SCHEMA,
    DOCUMENT_SCHEMA,
    FX_SCHEMA,
    MONEY,
    RECURRING_SCHEMA,
    History,
    inputs_as_of,
)
from ledgerlake.forecast.run import EntityInfo, _flows

DAY = date(2026, 3, 31)
FX = pl.DataFrame(
    {"currency": ["GBP", "EUR"], "posted_on": [DAY - timedelta(days=1)] * 2, "fx_rate": [1.25, 1.08]}, schema=FX_SCHEMA
)


def _history(invoice: tuple[str, str], bill: tuple[str, str], paid: list[tuple[str, date, str]] = ()) -> History:
    """The UK entity (sterling) with one open invoice and one open bill, in the given
    (currency, amount), a year of earlier invoices paid 10 days late (its paying curve)."""
    docs = [
        ("AR", "inv", invoice[0], DAY - timedelta(days=20), invoice[1]),
        ("AP", "bill", bill[0], DAY - timedelta(days=5), bill[1]),
    ]
    allocations = list(paid)
    for i in range(24):
        issued = DAY - timedelta(days=380 - 14 * i)
        docs.append(("AR", f"old{i}", "GBP", issued, "100.00"))
        allocations.append((f"old{i}", issued + timedelta(days=40), "100.00"))
    days = [DAY - timedelta(days=k) for k in range(400)]
    return History(
        reporting_currency="USD",
        entities={"UK": EntityInfo("GBP", "GB")},
        last_day=DAY + timedelta(days=91),
        balances=pl.DataFrame({"entity": ["UK"] * len(days), "date": days, "balance": [50_000.0] * len(days)}),
        fx=FX,
        documents=pl.DataFrame(
            [
                {
                    "entity": "UK",
                    "kind": kind,
                    "currency": currency,
                    "contact_key": key if kind == "AP" else "customer",
                    "contact_name": key,
                    "document_key": key,
                    "issued_on": issued,
                    "due_date": issued + timedelta(days=30),
                    "total_amount": Decimal(total),
                }
                for kind, key, currency, issued, total in docs
            ],
            schema=DOCUMENT_SCHEMA,
        ),
        allocations=pl.DataFrame(
            [{"document_key": k, "applied_on": d, "amount": Decimal(a)} for k, d, a in allocations],
            schema={"document_key": pl.Utf8, "applied_on": pl.Date, "amount": MONEY},
        ),
        credits=pl.DataFrame(schema=CREDIT_SCHEMA),
        deal_snapshots=None,
        deals_now=pl.DataFrame(schema=DEAL_SCHEMA),
        recurring=pl.DataFrame(schema=RECURRING_SCHEMA),
        sales=pl.DataFrame(schema={"entity": pl.Utf8, "currency": pl.Utf8, "date": pl.Date, "amount": MONEY}),
        payments=pl.DataFrame(schema={"paid_on": pl.Date}),
    )


def _by_component(history: History) -> dict[str, tuple[Decimal, set[str]]]:
    flows = _flows(inputs_as_of(history, DAY), 91)
    out = {}
    for (component,), g in flows.group_by("component"):
        out[component] = (sum(g["amount"].to_list(), Decimal(0)), set(g["currency"].to_list()))
    return out


def test_a_euro_invoice_and_a_dollar_bill_are_forecast_in_sterling():
    foreign = _by_component(_history(("EUR", "1000.00"), ("USD", "1000.00")))
    sterling = _by_component(_history(("GBP", "864.00"), ("GBP", "800.00")))
    assert foreign["ap"] == (Decimal("-800.00"), {"GBP"})  # $1,000 at 1 / 1.25, on its due date
    assert foreign["ar"][1] == {"GBP"} and Decimal(0) < foreign["ar"][0] <= Decimal("864.00")
    # the euro invoice's expected cash is the sterling invoice's (to the cent of each day's share)
    assert abs(foreign["ar"][0] - sterling["ar"][0]) <= Decimal("0.05")
    # and not the €1,000 counted as £1,000 (what the forecaster did before)
    assert abs(foreign["ar"][0] - _by_component(_history(("GBP", "1000.00"), ("GBP", "800.00")))["ar"][0]) > 10


def test_the_backtests_settled_cash_of_a_foreign_document_is_in_the_entitys_currency():
    paid = [("inv", DAY + timedelta(days=5), "1000.00"), ("bill", DAY + timedelta(days=10), "1000.00")]
    settled = _history(("EUR", "1000.00"), ("USD", "1000.00"), paid).settled_from_open()("UK", DAY, 14)
    assert abs(settled[5 - 1] - 864.0) < 1e-6  # €1,000 at the origin's rates
    assert abs(settled[10 - 1] - (864.0 - 800.0)) < 1e-6  # then the $1,000 bill out


def test_an_amount_without_a_rate_is_kept_and_said_not_dropped(caplog):
    # no CHF rate is known: the invoice stays in francs (and is still forecast), with a warning
    flows = _flows(inputs_as_of(_history(("CHF", "1000.00"), ("GBP", "800.00")), DAY), 91)
    ar = flows.filter(pl.col("component") == "ar")
    assert set(ar["currency"].to_list()) == {"CHF"} and sum(ar["amount"].to_list(), Decimal(0)) > 0
    assert any("no FX rate for ['CHF->GBP']" in r.getMessage() for r in caplog.records)

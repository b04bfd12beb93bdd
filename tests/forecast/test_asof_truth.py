"""The forecaster's as-of history is what the books said then: open AR per customer and open
AP per vendor, rebuilt from the marts as of every past month end, equal the simulation's
ground truth (truth/open_ar_month_end.csv, truth/open_ap_month_end.csv) to the cent. This is
what makes the whole-balance backtest honest: each origin sees the documents as they stood."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from decimal import Decimal

import polars as pl

from ledgerlake.config import Settings
from ledgerlake.forecast.history import (
    DOCUMENT_SCHEMA,
    MONEY,
    History,
    inputs_as_of,
    open_ap_by_vendor,
    open_ar_by_customer,
)
from ledgerlake.forecast.marts import load_history


def _truth(sim_dir, name: str, key: str) -> dict[str, dict]:
    out: dict[str, dict] = {}
    with open(sim_dir / "truth" / name, encoding="utf-8", newline="") as handle:
        for r in csv.DictReader(handle):
            out.setdefault(r["month_end"], {})[(r["entity"], r[key])] = Decimal(r["open_amount"])
    return out


def _bare(frame, key: str) -> dict:
    return {
        (e, k.split(":", 1)[1]): Decimal(str(v)) for e, k, v in frame.select("entity", key, "open_amount").iter_rows()
    }


def test_as_of_open_ar_and_ap_equal_the_truth_at_every_past_month_end(built_company):
    with built_company["use_env"]():
        history = load_history(built_company["warehouse"], Settings.from_env())
    sim = built_company["sim_dir"]
    ar_truth = _truth(sim, "open_ar_month_end.csv", "customer_id")
    ap_truth = _truth(sim, "open_ap_month_end.csv", "vendor_id")
    month_ends = sorted({*ar_truth, *ap_truth})
    assert len(month_ends) >= 12
    for month_end in month_ends:
        day = date.fromisoformat(month_end)
        assert _bare(open_ar_by_customer(history, day), "customer_id") == ar_truth.get(month_end, {}), month_end
        assert _bare(open_ap_by_vendor(history, day), "vendor_id") == ap_truth.get(month_end, {}), month_end
    # and the forecaster's inputs at a past month end carry the same open documents and the
    # bank balance of that day, not today's
    day = date.fromisoformat(month_ends[len(month_ends) // 2])
    inputs = inputs_as_of(history, day)
    total = sum(ar_truth.get(month_ends[len(month_ends) // 2], {}).values())
    assert sum(inputs.open_ar["open_amount"].to_list(), Decimal(0)) == total
    with open(sim / "truth" / "cash_by_account_day.csv", encoding="utf-8", newline="") as handle:
        cash = [r for r in csv.DictReader(handle) if r["date"] == day.isoformat()]
    for entity, opening in inputs.openings.items():
        assert opening == sum((Decimal(r["balance"]) for r in cash if r["entity"] == entity), Decimal(0))
    assert inputs.recurring["date"].max() <= day and inputs.sales_daily["date"].max() <= day


def test_the_forecasters_fx_rates_are_each_currencys_own(built_company):
    # Foreign documents are converted to their entity's currency with these rates, and the
    # consolidated forecast sums the entities with them: each currency must carry its own
    # rate (the general ledger's rate is the functional currency's: read by the document's
    # currency it gave a euro invoice sterling's rate, and sterling 1.0 on a US line).
    with built_company["use_env"]():
        history = load_history(built_company["warehouse"], Settings.from_env())
    day = history.last_day
    reference: dict[str, tuple[str, float]] = {}  # the simulation's ECB rates to the dollar, latest by the day
    with open(built_company["sim_dir"] / "reference" / "fx_rates.csv", encoding="utf-8", newline="") as handle:
        for r in csv.DictReader(handle):
            if r["quote"] == "USD" and r["date"] <= day.isoformat():
                reference[r["base"]] = max(reference.get(r["base"], ("", 0.0)), (r["date"], float(r["rate"])))
    rate = history.rate_as_of()
    for currency in ("EUR", "GBP"):
        assert abs(rate(currency, day) - reference[currency][1]) < 1e-6, currency
    assert rate("USD", day) == 1.0
    rates = inputs_as_of(history, day).fx_to_reporting
    assert rates["EUR"] != rates["GBP"]


def test_the_cash_settled_from_documents_open_at_an_origin_counts_only_those_documents():
    # What the whole-balance backtest compares the AR and AP components with: receipts and
    # payments against the invoices and bills open at the origin, by day, and nothing else.
    origin = date(2026, 3, 31)
    docs = [  # kind, key, issued, total
        ("AR", "open-invoice", date(2026, 2, 1), "1000.00"),  # 400 paid before, 600 after
        ("AR", "paid-before", date(2026, 1, 1), "500.00"),  # settled before the origin
        ("AR", "raised-after", date(2026, 4, 2), "700.00"),  # not open at the origin
        ("AP", "open-bill", date(2026, 3, 1), "300.00"),  # paid 10 days after the origin
    ]
    applied = [  # key, day, amount
        ("open-invoice", date(2026, 3, 15), "400.00"),
        ("open-invoice", date(2026, 4, 5), "600.00"),
        ("paid-before", date(2026, 2, 20), "500.00"),
        ("raised-after", date(2026, 4, 10), "700.00"),
        ("open-bill", date(2026, 4, 10), "300.00"),
    ]
    history = History(
        reporting_currency="USD",
        entities={},
        last_day=date(2026, 6, 30),
        balances=pl.DataFrame(),
        fx=pl.DataFrame(),
        documents=pl.DataFrame(
            [
                {
                    "entity": "US",
                    "kind": kind,
                    "currency": "USD",
                    "contact_key": key,
                    "contact_name": key,
                    "document_key": key,
                    "issued_on": issued,
                    "due_date": issued + timedelta(days=30),
                    "total_amount": Decimal(total),
                }
                for kind, key, issued, total in docs
            ],
            schema=DOCUMENT_SCHEMA,
        ),
        allocations=pl.DataFrame(
            [{"document_key": k, "applied_on": d, "amount": Decimal(a)} for k, d, a in applied],
            schema={"document_key": pl.Utf8, "applied_on": pl.Date, "amount": MONEY},
        ),
        credits=pl.DataFrame(),
        deal_snapshots=None,
        deals_now=pl.DataFrame(),
        recurring=pl.DataFrame(),
        sales=pl.DataFrame(),
        payments=pl.DataFrame(),
    )
    settled = history.settled_from_open()("US", origin, 14)
    assert settled[4 - 1] == 0.0  # day 4 (April 4): nothing yet
    assert settled[5 - 1] == 600.0  # April 5: the rest of the open invoice
    assert settled[10 - 1] == 300.0  # April 10: the bill paid (out); the invoice raised after is not counted
    assert settled[-1] == 300.0
    assert not history.settled_from_open()("UK", origin, 14).any()

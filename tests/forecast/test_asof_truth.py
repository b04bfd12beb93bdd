"""The forecaster's as-of history is what the books said then: open AR per customer and open
AP per vendor, rebuilt from the marts as of every past month end, equal the simulation's
ground truth (truth/open_ar_month_end.csv, truth/open_ap_month_end.csv) to the cent. This is
what makes the whole-balance backtest honest: each origin sees the documents as they stood."""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal

from ledgerlake.config import Settings
from ledgerlake.forecast.history import inputs_as_of, open_ap_by_vendor, open_ar_by_customer
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

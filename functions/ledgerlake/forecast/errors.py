"""Where the whole-balance error comes from: each component's forecast beside what happened
in that component's own terms (the analysis behind docs/forecast.md's "where the error came
from"; not part of the live run).

For every backtest origin and horizon in `BalanceBacktest.components`, from the history:

* `ar` — collections of invoices open at the origin, inside the window;
* `new_invoices` — invoices raised after the origin and paid inside the window (what the
  pipeline and the run-rate forecast);
* `vendors` — bills (open or new) paid and direct vendor payments, against `ap` + `recurring`;
* `payroll` — payroll runs; `payouts` — the payout series;
* `other` — the balance's change not in any of these (intercompany, interest, refunds ...),
  against nothing (what the residual model has to learn).

`decompose` returns one row per entity, origin and horizon day with `err_<part>` = forecast
− actual (+ = the forecast was high); `summary` their means per entity and horizon.
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl

PAYROLL_VENDORS = ("Payroll", "HM Revenue & Customs")


def decompose(history, components: pl.DataFrame) -> pl.DataFrame:
    docs = history.documents.join(
        history.allocations.with_columns(pl.col("amount").cast(pl.Float64)), on="document_key"
    )
    pay = history.payments.with_columns(pl.col("amount").cast(pl.Float64))
    rec = history.recurring.with_columns(pl.col("amount").cast(pl.Float64))
    sales = history.sales.with_columns(pl.col("amount").cast(pl.Float64))
    rows = []
    for r in components.iter_rows(named=True):
        e, o = r["entity_id"], r["origin"]
        end = o + timedelta(days=r["horizon_day"])

        def window(frame: pl.DataFrame, col: str, e=e, o=o, end=end) -> pl.DataFrame:
            return frame.filter((pl.col("entity") == e) & (pl.col(col) > o) & (pl.col(col) <= end))

        applied = window(docs, "applied_on")
        opened = pl.col("issued_on") <= o
        ar = applied.filter((pl.col("kind") == "AR") & opened)["amount"].sum()
        new = applied.filter((pl.col("kind") == "AR") & ~opened)["amount"].sum()
        bills = -applied.filter(pl.col("kind") == "AP")["amount"].sum()
        direct = (
            -window(pay, "paid_on")
            .filter(
                pl.col("record_type").is_in(["Purchase", "BankTransaction"])
                & ~pl.col("vendor_name").is_in(PAYROLL_VENDORS)
            )["amount"]
            .sum()
        )
        payroll = -window(rec, "date").filter(pl.col("kind") == "payroll")["amount"].sum()
        payouts = window(sales, "date")["amount"].sum()
        other = r["actual_change"] - (ar + new + bills + direct + payroll + payouts)
        fc = {k[3:]: v for k, v in r.items() if k.startswith("fc_")}
        rows.append(
            {
                "entity_id": e,
                "origin": o,
                "horizon_day": r["horizon_day"],
                "err_ar": fc.get("ar", 0.0) - ar,
                "err_new_invoices": fc.get("pipeline", 0.0) - new,
                "err_vendors": fc.get("ap", 0.0) + fc.get("recurring", 0.0) - (bills + direct),
                "err_payroll": fc.get("payroll", 0.0) - payroll,
                "err_payouts": fc.get("unscheduled", 0.0) - payouts,
                "err_other": -other,
                "actual_new_invoices": new,
                "actual_other": other,
            }
        )
    return pl.DataFrame(rows)


def summary(parts: pl.DataFrame) -> pl.DataFrame:
    """Mean forecast − actual per part, entity and horizon day (and the number of origins)."""
    cols = [c for c in parts.columns if c.startswith("err_")]
    return (
        parts.group_by("entity_id", "horizon_day")
        .agg([pl.col(c).mean().round(0) for c in cols] + [pl.len().alias("origins")])
        .sort("entity_id", "horizon_day")
    )

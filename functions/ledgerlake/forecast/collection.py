"""When open invoices turn into cash: a distribution over dates, with a chance of never.

Each invoice's *lateness* is days paid after its due date. The company's paying history as
of the forecast day gives a survival curve of lateness, S(x) = P(still unpaid x days after
due), estimated by Kaplan–Meier: paid invoices are events at their lateness, invoices still
open are censored at their current age (they are known to be unpaid *so far*), so a
customer who has not paid a 200-day-old invoice counts as evidence that some never pay.

An open invoice now `a` days past due (negative: not yet due) is collected on forecast day
k with probability (S(a + k - 1) - S(a + k)) / S(a): the conditional hazard given it is
unpaid at its age. The older the invoice, the lower the chance it is ever paid, because
S flattens where the history has invoices that stayed open.

Beyond the latest lateness the history ever saw paid, Kaplan–Meier knows nothing: left flat,
it says "never", which a short history gets badly wrong (six months in, nothing has been
paid more than ~60 days late yet, so every invoice older than that was forecast at zero,
and on the simulated company such invoices were all paid within weeks). There the curve
continues at a constant hazard estimated from the evidence past that point: no payment
seen in the days invoices spent unpaid there (censored exposure), plus one pseudo-payment
at the pace of the overdue range — λ = 1 / (days unpaid beyond the last payment + the
overdue range's days at risk per payment). Invoices that have sat unpaid long beyond
anything ever paid drive λ towards 0 ("never"); a young history with nothing stuck keeps
the overdue pace.

A customer with at least `MIN_CUSTOMER_PAID` paid invoices is judged on their own curve
(their habit: always 20 days late, or always on time); others on the entity's curve.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

MIN_CUSTOMER_PAID = 4
# Lateness grid in days relative to the due date; beyond it an invoice is "never" for 13 weeks.
LOW, HIGH = -120, 730


class Survival:
    """Kaplan–Meier survival of lateness on the integer grid LOW..HIGH."""

    def __init__(self, times: np.ndarray, events: np.ndarray):
        grid = np.arange(LOW, HIGH + 1)
        times = np.clip(times.astype(int), LOW, HIGH) - LOW
        deaths = np.bincount(times[events.astype(bool)], minlength=len(grid))
        seen = np.bincount(times, minlength=len(grid))
        at_risk = len(times) - np.concatenate([[0], np.cumsum(seen)[:-1]])  # observations with time >= x
        factor = np.where(at_risk > 0, 1.0 - deaths / np.maximum(at_risk, 1), 1.0)
        surv = np.cumprod(factor)
        self.grid, self.surv, self.n = grid, _with_tail(surv, deaths, at_risk), len(times)

    def at(self, x) -> np.ndarray:
        """S(x) for lateness x (array); S = 1 before the grid, flat after it."""
        idx = np.clip(np.asarray(x, dtype=int) - LOW, 0, len(self.grid) - 1)
        out = self.surv[idx]
        return np.where(np.asarray(x) < LOW, 1.0, out)

    def daily(self, age: int, horizon: int) -> np.ndarray:
        """P(collected on forecast day k = 1..horizon | unpaid at `age` days past due)."""
        s = self.at(np.arange(age, age + horizon + 1))
        if s[0] <= 1e-9:
            return np.zeros(horizon)
        return (s[:-1] - s[1:]) / s[0]


def _with_tail(surv: np.ndarray, deaths: np.ndarray, at_risk: np.ndarray) -> np.ndarray:
    """The curve beyond its last payment, at a constant hazard (module docstring): one
    pseudo-payment over the days seen unpaid there plus the overdue range's days per payment."""
    paid_at = np.nonzero(deaths)[0]
    if len(paid_at) == 0:
        return surv
    last, due = int(paid_at[-1]), -LOW
    start = min(due + 1, last)  # the overdue range (or the last payment's day if none was late)
    payments = float(deaths[start : last + 1].sum())
    if payments == 0:
        return surv
    days_per_payment = float(at_risk[start : last + 1].sum()) / payments
    hazard = 1.0 / (float(at_risk[last + 1 :].sum()) + days_per_payment)
    beyond = np.arange(len(surv)) - last
    return np.where(beyond > 0, surv[last] * np.exp(-hazard * np.maximum(beyond, 0)), surv)


def survivals(open_ar: pl.DataFrame, paid: pl.DataFrame, as_of: date) -> tuple[dict, dict]:
    """Per (entity, customer) with enough history, and per entity."""
    paid = paid.select(
        "entity", "customer_id", lateness=(pl.col("paid_date") - pl.col("due_date")).dt.total_days(), event=pl.lit(1)
    )
    still = open_ar.filter(pl.col("open_amount") > 0).select(
        "entity", "customer_id", lateness=(pl.lit(as_of) - pl.col("due_date")).dt.total_days(), event=pl.lit(0)
    )
    obs = pl.concat(
        [paid.cast({"lateness": pl.Int64, "event": pl.Int32}), still.cast({"lateness": pl.Int64, "event": pl.Int32})]
    )
    per_entity = {e: Survival(g["lateness"].to_numpy(), g["event"].to_numpy()) for (e,), g in obs.group_by("entity")}
    per_customer = {}
    for (e, c), g in obs.group_by("entity", "customer_id"):
        if int(g["event"].sum()) >= MIN_CUSTOMER_PAID:
            per_customer[(e, c)] = Survival(g["lateness"].to_numpy(), g["event"].to_numpy())
    return per_customer, per_entity


def collection_assumptions(open_ar: pl.DataFrame, paid: pl.DataFrame, as_of: date, horizon: int) -> pl.DataFrame:
    """The assumption shown to the user: per entity and age bucket of the open invoices, the
    open amount and the share expected within the horizon (the rest: later or never)."""
    per_customer, per_entity = survivals(open_ar, paid, as_of)
    rows = []
    for r in open_ar.filter(pl.col("open_amount") > 0).iter_rows(named=True):
        surv = per_customer.get((r["entity"], r["customer_id"])) or per_entity.get(r["entity"])
        age = (as_of - r["due_date"]).days
        share = float(surv.daily(age, horizon).sum()) if surv else 0.0
        bucket = (
            "not yet due"
            if age <= 0
            else "1-30 days overdue"
            if age <= 30
            else "31-60 days overdue"
            if age <= 60
            else "61-90 days overdue"
            if age <= 90
            else "over 90 days overdue"
        )
        rows.append(
            {
                "entity_id": r["entity"],
                "currency": r["currency"],
                "age_bucket": bucket,
                "open_amount": float(r["open_amount"]),
                "expected": float(r["open_amount"]) * share,
            }
        )
    schema = {
        "entity_id": pl.Utf8,
        "currency": pl.Utf8,
        "age_bucket": pl.Utf8,
        "open_amount": pl.Float64,
        "expected": pl.Float64,
    }
    frame = pl.DataFrame(rows, schema=schema)
    order = ["not yet due", "1-30 days overdue", "31-60 days overdue", "61-90 days overdue", "over 90 days overdue"]
    return (
        frame.group_by("entity_id", "currency", "age_bucket")
        .agg(pl.len().alias("invoices"), pl.col("open_amount").sum(), pl.col("expected").sum())
        .with_columns(
            expected_share=pl.col("expected") / pl.col("open_amount"),
            as_of=pl.lit(as_of),
            horizon_days=pl.lit(horizon),
            bucket_order=pl.col("age_bucket").replace_strict(order, list(range(len(order)))),
        )
        .sort("entity_id", "bucket_order")
        .drop("bucket_order")
        .with_columns(pl.col("open_amount", "expected").round(2).cast(pl.Decimal(18, 2)))
    )

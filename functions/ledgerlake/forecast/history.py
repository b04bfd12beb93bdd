"""The forecaster's inputs as they stood on any past day: the history behind the backtest.

`load_history` reads the marts once (documents with every payment applied to them and its
date, the daily bank balances, the bank documents, the CRM pipeline as it stood each day);
`inputs_as_of(history, day)` cuts them at `day`, exactly what the forecaster would have been
given that evening:

* open AR / AP: documents issued on or before the day, minus payments and credits applied on
  or before it (`intermediate.int_allocations`, dated by the payment), QBO credit memos not
  applied to an invoice lowering what their customer owes (the same rule as the
  `open_ar_month_end` mart, so the two agree to the cent — tested);
* paying history: invoices fully paid by the day, with the date the last payment landed;
* deals: `crm_pipeline_snapshot_daily` on the day (stage, amount, close date then), so a
  deal that later slipped or was lost is forecast as it looked, not as it ended; the stage
  history up to the day (which deals closed, won or lost, and when) teaches the pipeline's
  win rates and slippage (`pipeline.py`);
* opening cash: every bank account's balance at the day's close;
* bank history (payroll, vendors, payouts): only what was posted on or before the day;
* internal transfers (intercompany funding between the group's entities, read from the
  ledger: the bank lines whose other side is an intercompany balance-sheet account,
  seeds/intercompany_accounts.csv): known flows, which the whole-balance backtest keeps out
  of what the model learns (`balance.py`).

Nothing after the day leaks in; that is what makes the whole-balance backtest honest.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import polars as pl

from .pipeline import RUN_RATE_DAYS
from .run import EntityInfo, ForecastInputs

MONEY = pl.Decimal(18, 2)
CENT = Decimal("0.01")

AR_SCHEMA = {
    "entity": pl.Utf8,
    "currency": pl.Utf8,
    "customer_id": pl.Utf8,
    "document_id": pl.Utf8,
    "issued_on": pl.Date,
    "due_date": pl.Date,
    "open_amount": MONEY,
}
PAID_SCHEMA = {"entity": pl.Utf8, "customer_id": pl.Utf8, "due_date": pl.Date, "paid_date": pl.Date}
AP_SCHEMA = {
    "entity": pl.Utf8,
    "currency": pl.Utf8,
    "vendor_name": pl.Utf8,
    "document_id": pl.Utf8,
    "due_date": pl.Date,
    "open_amount": MONEY,
}
# An AR/AP document as the forecaster reads it (the marts' ar_ap_documents, or the simulation's files).
DOCUMENT_SCHEMA = {
    "entity": pl.Utf8,
    "kind": pl.Utf8,
    "currency": pl.Utf8,
    "contact_key": pl.Utf8,
    "contact_name": pl.Utf8,
    "document_key": pl.Utf8,
    "issued_on": pl.Date,
    "due_date": pl.Date,
    "total_amount": MONEY,
}
# An unapplied credit memo (lowers its customer's open balance from its own date).
CREDIT_SCHEMA = {
    "entity": pl.Utf8,
    "currency": pl.Utf8,
    "contact_key": pl.Utf8,
    "document_key": pl.Utf8,
    "issued_on": pl.Date,
    "amount": MONEY,
}
# One payroll run or recurring charge, outflows positive (kind "payroll" | "recurring").
RECURRING_SCHEMA = {
    "entity": pl.Utf8,
    "currency": pl.Utf8,
    "kind": pl.Utf8,
    "series": pl.Utf8,
    "date": pl.Date,
    "amount": MONEY,
}
# A currency's rate to the reporting currency, by the day the ledger posted it.
FX_SCHEMA = {"currency": pl.Utf8, "posted_on": pl.Date, "fx_rate": pl.Float64}
# One internal transfer as it touched one entity's bank: + in, - out, the entity's currency.
TRANSFER_SCHEMA = {"entity": pl.Utf8, "date": pl.Date, "amount": pl.Float64}
DEAL_SCHEMA = {
    "entity": pl.Utf8,
    "currency": pl.Utf8,
    "deal_id": pl.Utf8,
    "amount": MONEY,
    "probability": pl.Float64,
    "close_date": pl.Date,
    "stage_id": pl.Utf8,
}


@dataclass
class History:
    """Everything the forecaster reads, undated by a cut-off (see module docstring)."""

    reporting_currency: str
    entities: dict[str, EntityInfo]
    last_day: date
    # entity, date, balance (Float64, every calendar day from the first to the last)
    balances: pl.DataFrame
    fx: pl.DataFrame  # currency, posted_on, fx_rate (to the reporting currency)
    # entity, kind (AR/AP), currency, contact_key, contact_name, document_key, issued_on, due_date, total_amount
    documents: pl.DataFrame
    allocations: pl.DataFrame  # document_key, applied_on, amount
    credits: pl.DataFrame  # entity, currency, contact_key, document_key, issued_on, amount (unapplied credit)
    deal_snapshots: pl.DataFrame | None  # snapshot_date + DEAL_SCHEMA columns (open deals only)
    deals_now: pl.DataFrame  # DEAL_SCHEMA: the open deals today (fallback without snapshots)
    recurring: pl.DataFrame
    sales: pl.DataFrame
    payments: pl.DataFrame
    integrity_alerts: list = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    # DEAL_SCHEMA + valid_from, valid_to: each open deal's state between two versions
    # (simhistory; the marts give daily snapshots instead)
    deal_intervals: pl.DataFrame | None = None
    # pipeline.EVENT_SCHEMA: every change of a deal's stage / close date and its close, dated
    # (the stage history the pipeline's win rates and slippage are learnt from)
    deal_events: pl.DataFrame | None = None
    # TRANSFER_SCHEMA: money the bank moved between the group's own entities (intercompany
    # funding), by the day it posted; the backtest keeps it out of what the model learns
    internal_transfers: pl.DataFrame | None = None

    def balance_on(self, entity: str, day: date) -> float | None:
        row = self.balances.filter((pl.col("entity") == entity) & (pl.col("date") == day))
        return None if row.is_empty() else float(row["balance"][0])

    def transferred(self) -> Callable[[str, date], float]:
        """`f(entity, day)`: the net internal transfers posted up to that day's close, in the
        entity's currency (as its balance), cumulative: what `balance.run_balance_backtest`
        leaves out of the change the model learns from."""
        frame = self.internal_transfers if self.internal_transfers is not None else pl.DataFrame(schema=TRANSFER_SCHEMA)
        return _cumulative(frame)

    def payroll_paid(self) -> Callable[[str, date], float]:
        """`f(entity, day)`: the payroll runs paid up to that day's close (outflows positive),
        cumulative: what the backtest compares the payroll component with, so that the
        residual model does not learn a miss the payroll series has already taken in."""
        return _cumulative(self.recurring.filter(pl.col("kind") == "payroll").select("entity", "date", "amount"))

    def rate_as_of(self) -> Callable[[str, date], float | None]:
        """`f(currency, day)`: the rate to the reporting currency as of that day (see `_rates`)."""
        return _rates(self.fx, self.reporting_currency)

    def settled_from_open(self) -> Callable[[str, date, int], np.ndarray]:
        """`f(entity, origin, horizon)`: the cash that invoices and bills open at the origin's
        close actually settled by each day of the horizon (receipts +, payments -), cumulative:
        what the backtest compares the AR and AP components with. A document paid later than
        its curve expected is still open at the next origin and forecast again there, so the
        residual model must not learn that miss as well (balance.py)."""
        applied = self.allocations.group_by("document_key").agg(pl.col("applied_on"), pl.col("amount"))
        docs = self.documents.join(applied, on="document_key", how="inner")
        per: dict[str, list] = {}
        for entity, kind, currency, issued, total, days, amounts in docs.select(
            "entity", "kind", "currency", "issued_on", "total_amount", "applied_on", "amount"
        ).iter_rows():
            if total <= 0:
                continue
            sign = 1.0 if kind == "AR" else -1.0
            per.setdefault(entity, []).append((issued, total, sign, currency, list(zip(days, amounts))))
        rate = self.rate_as_of()

        def settled(entity: str, origin: date, horizon: int) -> np.ndarray:
            daily = np.zeros(horizon)
            own = self.entities[entity].currency if entity in self.entities else None
            for issued, total, sign, currency, paid in per.get(entity, []):
                # open at the origin as `_ar_ap_as_of` has it: issued, and less applied than
                # its total by then (in Decimal: three thirds of an invoice settle it exactly)
                if issued > origin or sum((a for d, a in paid if d <= origin), Decimal(0)) >= total:
                    continue
                # in the entity's currency at the origin's rate, as the components had it
                # (run.in_entity_currency); unknown rates leave the amount as it is, as there
                factor = 1.0
                if own and currency != own:
                    theirs, ours = rate(currency, origin), rate(own, origin)
                    factor = theirs / ours if theirs and ours else 1.0
                for d, a in paid:
                    k = (d - origin).days
                    if 1 <= k <= horizon:
                        daily[k - 1] += sign * float(a) * factor
            return np.cumsum(daily)

        return settled


def _rates(fx: pl.DataFrame, reporting: str) -> Callable[[str, date], float | None]:
    """`f(currency, day)`: the rate to the reporting currency last posted on or before the day
    (None when none is, or it was posted empty; the reporting currency's is then 1). The one
    rule for "the rate as of a day": `inputs_as_of` (what the components convert with) and
    `settled_from_open` both read it."""
    per: dict[str, tuple[list[date], list[float | None]]] = {}
    if "fx_rate" not in fx.columns:
        fx = pl.DataFrame(schema=FX_SCHEMA)
    for currency, g in fx.sort("posted_on").group_by("currency", maintain_order=True):
        per[currency[0]] = (g["posted_on"].to_list(), g["fx_rate"].to_list())

    def at(currency: str, day: date) -> float | None:
        days, values = per.get(currency, ([], []))
        i = bisect.bisect_right(days, day)
        value = values[i - 1] if i else None
        if value is None:
            return 1.0 if currency == reporting else None
        return float(value)

    return at


def _cumulative(frame: pl.DataFrame) -> Callable[[str, date], float]:
    """`f(entity, day)`: the sum of `amount` (entity, date, amount rows) up to that day."""
    per = {}
    for entity, g in frame.cast(TRANSFER_SCHEMA).group_by("entity"):
        g = g.group_by("date").agg(pl.col("amount").sum()).sort("date")
        per[entity[0]] = (g["date"].to_list(), np.cumsum(g["amount"].to_numpy()).tolist())

    def at(entity: str, day: date) -> float:
        days, cum = per.get(entity, ([], []))
        k = bisect.bisect_right(days, day)
        return float(cum[k - 1]) if k else 0.0

    return at


def _ar_ap_as_of(h: History, day: date) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    docs = h.documents.filter(pl.col("issued_on") <= day)
    applied = (
        h.allocations.filter(pl.col("applied_on") <= day)
        .group_by("document_key")
        .agg(pl.col("amount").sum().alias("applied"), pl.col("applied_on").max().alias("paid_date"))
    )
    docs = docs.join(applied, on="document_key", how="left").with_columns(
        open_amount=(pl.col("total_amount") - pl.col("applied").fill_null(0)).cast(MONEY)
    )
    ar = docs.filter((pl.col("kind") == "AR") & (pl.col("open_amount") > 0)).select(
        "entity",
        "currency",
        pl.col("contact_key").alias("customer_id"),
        pl.col("document_key").alias("document_id"),
        "issued_on",
        "due_date",
        "open_amount",
    )
    credits = h.credits.filter(pl.col("issued_on") <= day)
    if not credits.is_empty():
        # An unapplied credit memo lowers what its customer owes from its own date: it is
        # netted against the customer's next collection (due the day it was issued).
        ar = pl.concat(
            [
                ar,
                credits.select(
                    "entity",
                    "currency",
                    pl.col("contact_key").alias("customer_id"),
                    pl.col("document_key").alias("document_id"),
                    "issued_on",
                    pl.col("issued_on").alias("due_date"),
                    (-pl.col("amount")).cast(MONEY).alias("open_amount"),
                ),
            ]
        )
    paid = docs.filter(
        (pl.col("kind") == "AR") & (pl.col("open_amount") <= 0) & pl.col("paid_date").is_not_null()
    ).select("entity", pl.col("contact_key").alias("customer_id"), "due_date", "paid_date")
    ap = docs.filter((pl.col("kind") == "AP") & (pl.col("open_amount") > 0)).select(
        "entity",
        "currency",
        pl.col("contact_name").alias("vendor_name"),
        pl.col("document_key").alias("document_id"),
        "due_date",
        "open_amount",
    )
    return ar.cast(AR_SCHEMA), paid.cast(PAID_SCHEMA), ap.cast(AP_SCHEMA)


def open_ar_by_customer(h: History, day: date) -> pl.DataFrame:
    """entity, customer_id, open_amount as of `day` (the as-of test compares it with the truth)."""
    ar, _, _ = _ar_ap_as_of(h, day)
    return (
        ar.group_by("entity", "customer_id")
        .agg(pl.col("open_amount").sum())
        .filter(pl.col("open_amount") != 0)
        .sort("entity", "customer_id")
    )


def open_ap_by_vendor(h: History, day: date) -> pl.DataFrame:
    """entity, vendor_id (the ledger's contact key), open_amount as of `day`."""
    docs = h.documents.filter((pl.col("kind") == "AP") & (pl.col("issued_on") <= day))
    applied = h.allocations.filter(pl.col("applied_on") <= day).group_by("document_key").agg(pl.col("amount").sum())
    return (
        docs.join(applied, on="document_key", how="left")
        .with_columns(open_amount=pl.col("total_amount") - pl.col("amount").fill_null(0))
        .group_by("entity", pl.col("contact_key").alias("vendor_id"))
        .agg(pl.col("open_amount").sum())
        .filter(pl.col("open_amount") != 0)
        .sort("entity", "vendor_id")
    )


def inputs_as_of(h: History, day: date) -> ForecastInputs:
    """What the forecaster would have been given at the close of `day`."""
    ar, paid, ap = _ar_ap_as_of(h, day)
    openings = {}
    for entity in h.entities:
        b = h.balance_on(entity, day)
        if b is not None:
            openings[entity] = Decimal(str(b)).quantize(CENT)
    rate = h.rate_as_of()
    currencies = set(h.fx["currency"].to_list()) if "currency" in h.fx.columns else set()
    fx_to_reporting = {c: Decimal(str(r)) for c in currencies if (r := rate(c, day)) is not None}
    fx_to_reporting.setdefault(h.reporting_currency, Decimal(1))
    if h.deal_snapshots is not None:
        deals = h.deal_snapshots.filter(pl.col("snapshot_date") == day).drop("snapshot_date")
    elif h.deal_intervals is not None:
        deals = h.deal_intervals.filter((pl.col("valid_from") <= day) & (pl.col("valid_to") > day)).drop(
            "valid_from", "valid_to"
        )
    else:
        deals = h.deals_now
    live = day >= h.last_day
    return ForecastInputs(
        as_of=day,
        reporting_currency=h.reporting_currency,
        entities=h.entities,
        openings=openings,
        fx_to_reporting=fx_to_reporting,
        open_ar=ar.drop("issued_on"),
        paid_ar=paid,
        open_ap=ap,
        recurring=h.recurring.filter(pl.col("date") <= day),
        deals=deals.cast(DEAL_SCHEMA),
        sales_daily=h.sales.filter(pl.col("date") <= day),
        vendor_payments=h.payments.filter(pl.col("paid_on") <= day),
        integrity_alerts=list(h.integrity_alerts) if live else [],
        missing=list(h.missing),
        deal_events=h.deal_events.filter(pl.col("day") <= day) if h.deal_events is not None else None,
        invoiced=h.documents.filter(
            (pl.col("kind") == "AR")
            & (pl.col("issued_on") <= day)
            & (pl.col("issued_on") > day - timedelta(days=RUN_RATE_DAYS))
        ).select("entity", "currency", "issued_on", "due_date", "total_amount"),
    )

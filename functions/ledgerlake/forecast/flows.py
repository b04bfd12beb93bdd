"""Known and expected cash flows over the horizon, placed on the day they should land.

Every function returns a frame `entity, currency, date, component, amount (Decimal),
source_id` with inflows positive and outflows negative, only for dates in
(as_of, as_of + horizon]; past-due items are placed on the first forecast day (they are
still owed, and the earliest they can move is tomorrow).

* AR: each open invoice at its due date shifted by its customer's observed paying delay
  (median days late over that customer's paid invoices; the entity's median when the
  customer has too little history).
* AP: each open bill at its due date (a company pays its bills on terms).
* Payroll and recurring charges: each series repeated on its own observed cadence from its
  last occurrence, at the median of its last three amounts. Recurring *bills* that already
  have an open AP document are not projected again until after that bill.
* Pipeline: open deals at amount x stage probability, at expected close + the entity's
  usual payment terms + the entity's observed paying delay.
"""

from __future__ import annotations

import statistics
from datetime import date, timedelta
from decimal import Decimal

import polars as pl

from ..alerts.vendors import normalize_vendor

FLOW_SCHEMA = {
    "entity": pl.Utf8, "currency": pl.Utf8, "date": pl.Date, "component": pl.Utf8,
    "amount": pl.Decimal(18, 2), "source_id": pl.Utf8,
}
COMPONENTS = ("ar", "ap", "payroll", "recurring", "pipeline", "unscheduled")
MIN_CUSTOMER_HISTORY = 2
DEFAULT_TERMS_DAYS = 30
CENT = Decimal("0.01")


def empty_flows() -> pl.DataFrame:
    return pl.DataFrame(schema=FLOW_SCHEMA)


def _frame(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=FLOW_SCHEMA) if rows else empty_flows()


def _place(day: date, as_of: date) -> date:
    return max(day, as_of + timedelta(days=1))


def paying_delays(paid: pl.DataFrame) -> tuple[dict[tuple[str, str], int], dict[str, int]]:
    """Median days paid after due date, per (entity, customer) and per entity.

    `paid`: entity, customer_id, due_date, paid_date (one row per paid invoice).
    """
    if paid.is_empty():
        return {}, {}
    late = paid.with_columns(days=(pl.col("paid_date") - pl.col("due_date")).dt.total_days())
    per_customer = {
        (r["entity"], r["customer_id"]): int(r["days"])
        for r in late.group_by("entity", "customer_id")
        .agg(pl.col("days").median(), pl.len().alias("n"))
        .filter(pl.col("n") >= MIN_CUSTOMER_HISTORY)
        .iter_rows(named=True)
    }
    per_entity = {r["entity"]: int(r["days"]) for r in late.group_by("entity").agg(pl.col("days").median()).iter_rows(named=True)}
    return per_customer, per_entity


def ar_flows(open_ar: pl.DataFrame, paid: pl.DataFrame, as_of: date, horizon: int) -> pl.DataFrame:
    """open_ar: entity, currency, customer_id, document_id, due_date, open_amount."""
    per_customer, per_entity = paying_delays(paid)
    end = as_of + timedelta(days=horizon)
    rows = []
    for r in open_ar.iter_rows(named=True):
        delay = per_customer.get((r["entity"], r["customer_id"]), per_entity.get(r["entity"], 0))
        day = _place(r["due_date"] + timedelta(days=max(delay, 0)), as_of)
        if day <= end and r["open_amount"]:
            rows.append({"entity": r["entity"], "currency": r["currency"], "date": day, "component": "ar",
                         "amount": r["open_amount"], "source_id": r["document_id"]})
    return _frame(rows)


def ap_flows(open_ap: pl.DataFrame, as_of: date, horizon: int) -> pl.DataFrame:
    """open_ap: entity, currency, vendor_name, document_id, due_date, open_amount (positive)."""
    end = as_of + timedelta(days=horizon)
    rows = [
        {"entity": r["entity"], "currency": r["currency"], "date": _place(r["due_date"], as_of), "component": "ap",
         "amount": -r["open_amount"], "source_id": r["document_id"]}
        for r in open_ap.iter_rows(named=True)
        if _place(r["due_date"], as_of) <= end and r["open_amount"]
    ]
    return _frame(rows)


def _add_months(day: date, months: int, dom: int) -> date:
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    last = (date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(dom, last))


def cadence_days(days: list[date]) -> int | None:
    """Median gap between occurrences; None when there are too few to tell."""
    if len(days) < 3:
        return None
    gaps = [(b - a).days for a, b in zip(days, days[1:])]
    return int(statistics.median(gaps))


def monthly_days(days: list[date]) -> list[int] | None:
    """The days of month a series keeps (1st; 15th and 28th): those seen in at least two of
    its last three months, so one stray payment (a duplicate, a late run) does not count."""
    months: dict[tuple[int, int], set[int]] = {}
    for d in days:
        months.setdefault((d.year, d.month), set()).add(d.day)
    recent = [months[k] for k in sorted(months)[-3:]]
    if len(recent) < 3:
        return None
    kept = sorted(dom for dom in set().union(*recent) if sum(dom in r for r in recent) >= 2)
    return kept or None


def project_series(days: list[date], amounts: list[Decimal], as_of: date, horizon: int,
                   not_before: date | None = None) -> list[tuple[date, Decimal]]:
    """Repeat a recurring series after `as_of`: on the same days of month when it keeps them
    (monthly rent, semi-monthly payroll), else every `cadence_days` from its last occurrence."""
    if not days:
        return []
    days, amounts = zip(*sorted(zip(days, amounts)))
    gap = cadence_days(list(days))
    if gap is None or gap <= 0:
        return []
    per_occurrence = statistics.median(amounts[-3:])
    end = as_of + timedelta(days=horizon)
    doms = monthly_days(list(days)) if gap >= 12 else None
    if doms:
        candidates = [_add_months(date(days[-1].year, days[-1].month, 1), k, dom)
                      for k in range(0, horizon // 28 + 2) for dom in doms]
    else:
        candidates = [days[-1] + timedelta(days=gap * k) for k in range(1, horizon // gap + 2)]
    return [(d, per_occurrence) for d in sorted(set(candidates))
            if as_of < d <= end and d > days[-1] and (not_before is None or d > not_before)]


def recurring_flows(history: pl.DataFrame, open_ap: pl.DataFrame, as_of: date, horizon: int) -> pl.DataFrame:
    """history: entity, currency, kind ("payroll" | "recurring"), series, date, amount (outflows positive)."""
    covered = {}
    if not open_ap.is_empty():
        for r in open_ap.group_by("entity", "vendor_name").agg(pl.col("due_date").max()).iter_rows(named=True):
            covered[(r["entity"], normalize_vendor(r["vendor_name"]))] = r["due_date"]
    rows = []
    for (entity, currency, kind, series), g in history.filter(pl.col("date") <= as_of).group_by(
        "entity", "currency", "kind", "series", maintain_order=True
    ):
        not_before = covered.get((entity, normalize_vendor(series)))
        for day, amount in project_series(g["date"].to_list(), g["amount"].to_list(), as_of, horizon, not_before):
            rows.append({"entity": entity, "currency": currency, "date": day, "component": kind,
                         "amount": -Decimal(amount).quantize(CENT), "source_id": f"{kind}:{series}"})
    return _frame(rows)


def pipeline_flows(deals: pl.DataFrame, paid: pl.DataFrame, as_of: date, horizon: int,
                   terms_days: dict[str, int] | None = None) -> pl.DataFrame:
    """deals: entity, currency, deal_id, amount, probability (Decimal 0..1), close_date (open deals only)."""
    _, per_entity = paying_delays(paid)
    end = as_of + timedelta(days=horizon)
    rows = []
    for r in deals.iter_rows(named=True):
        terms = (terms_days or {}).get(r["entity"], DEFAULT_TERMS_DAYS)
        day = _place(r["close_date"] + timedelta(days=terms + max(per_entity.get(r["entity"], 0), 0)), as_of)
        expected = (r["amount"] * Decimal(str(r["probability"]))).quantize(CENT)
        if day <= end and expected:
            rows.append({"entity": r["entity"], "currency": r["currency"], "date": day, "component": "pipeline",
                         "amount": expected, "source_id": r["deal_id"]})
    return _frame(rows)

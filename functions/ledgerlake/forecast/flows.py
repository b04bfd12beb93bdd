"""Known and expected cash flows over the horizon, placed on the day they should land.

Every function returns a frame `entity, currency, date, component, amount (Decimal),
source_id` with inflows positive and outflows negative, only for dates in
(as_of, as_of + horizon]; past-due items are placed on the first forecast day (still owed,
the earliest they can move is tomorrow) — except AR, placed by its collection curve.

* AR: each open invoice spread over the days it may be paid, by its customer's (or its
  entity's) observed paying curve given the invoice's age, with a chance of never
  (`collection.py`).
* AP: each open bill at its due date (a company pays its bills on terms).
* Payroll and recurring charges: each series repeated on its own observed cadence from its
  last occurrence, at the median of its last three amounts. Recurring *bills* that already
  have an open AP document are not projected again until after that bill.
* Pipeline: open deals at amount x stage probability, at expected close + the entity's
  usual payment terms + the entity's observed paying delay.
"""

from __future__ import annotations

import itertools
import statistics
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import polars as pl

FLOW_SCHEMA = {
    "entity": pl.Utf8,
    "currency": pl.Utf8,
    "date": pl.Date,
    "component": pl.Utf8,
    "amount": pl.Decimal(18, 2),
    "source_id": pl.Utf8,
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
    per_entity = {
        r["entity"]: int(r["days"]) for r in late.group_by("entity").agg(pl.col("days").median()).iter_rows(named=True)
    }
    return per_customer, per_entity


def ar_flows(open_ar: pl.DataFrame, paid: pl.DataFrame, as_of: date, horizon: int) -> pl.DataFrame:
    """open_ar: entity, currency, customer_id, document_id, due_date, open_amount.

    Each invoice's expected collection spread over the horizon by its customer's (or its
    entity's) paying curve given its age (`collection.py`): an overdue invoice is not all
    collected tomorrow, and an old one may never be. Credits (negative open amounts) net
    against the customer's next collection."""
    from .collection import survivals

    per_customer, per_entity = survivals(open_ar, paid, as_of)
    rows = []
    for r in open_ar.iter_rows(named=True):
        if not r["open_amount"]:
            continue
        if r["open_amount"] < 0:
            rows.append(
                {
                    "entity": r["entity"],
                    "currency": r["currency"],
                    "date": _place(r["due_date"], as_of),
                    "component": "ar",
                    "amount": r["open_amount"],
                    "source_id": r["document_id"],
                }
            )
            continue
        surv = per_customer.get((r["entity"], r["customer_id"])) or per_entity.get(r["entity"])
        if surv is None:
            continue
        probs = surv.daily((as_of - r["due_date"]).days, horizon)
        amount = float(r["open_amount"])
        for k in np.nonzero(probs > 1e-4)[0]:
            rows.append(
                {
                    "entity": r["entity"],
                    "currency": r["currency"],
                    "date": as_of + timedelta(days=int(k) + 1),
                    "component": "ar",
                    "amount": Decimal(str(round(amount * probs[k], 2))),
                    "source_id": r["document_id"],
                }
            )
    return _frame(rows)


def ap_flows(open_ap: pl.DataFrame, as_of: date, horizon: int) -> pl.DataFrame:
    """open_ap: entity, currency, vendor_name, document_id, due_date, open_amount (positive)."""
    end = as_of + timedelta(days=horizon)
    rows = [
        {
            "entity": r["entity"],
            "currency": r["currency"],
            "date": _place(r["due_date"], as_of),
            "component": "ap",
            "amount": -r["open_amount"],
            "source_id": r["document_id"],
        }
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
    gaps = [(b - a).days for a, b in itertools.pairwise(days)]
    return int(statistics.median(gaps))


def _last_dom(year: int, month: int) -> int:
    return (date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)).day


def _mark(d: date) -> int:
    """A run's nominal day of month: 31 for the last day, or a business day moved before a
    month-end weekend; else the day itself."""
    last = _last_dom(d.year, d.month)
    rest = [date(d.year, d.month, k).weekday() >= 5 for k in range(d.day + 1, last + 1)]
    return 31 if all(rest) else d.day


def monthly_days(days: list[date]) -> list[int] | None:
    """The nominal days of month a series keeps (1st; 15th and last day; 25th), over its last
    six months. Runs moved to the business day before a weekend (payroll on Friday the 13th
    for the 15th) count for their nominal day: marks within 3 days of each other are one
    cluster, whose nominal day is its most frequent mark (the latest on a tie). A cluster is
    kept when it appears in at least 2 of 3 months, so a stray payment does not count."""
    months: dict[tuple[int, int], list[int]] = {}
    for d in days:
        months.setdefault((d.year, d.month), []).append(_mark(d))
    recent = [months[k] for k in sorted(months)[-6:]]
    if len(recent) < 3:
        return None
    marks = sorted(set().union(*recent))
    clusters, current = [], [marks[0]]
    for m in marks[1:]:
        if m - current[0] <= 3:
            current.append(m)
        else:
            clusters.append(current)
            current = [m]
    clusters.append(current)
    counts = [m for r in recent for m in r]
    kept = [
        max(c, key=lambda m: (counts.count(m), m))
        for c in clusters
        if 3 * sum(any(m in c for m in r) for r in recent) >= 2 * len(recent)
    ]
    return kept or None


def _business_day_on_or_before(day: date) -> date:
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


GROWTH_LOOKBACK_DAYS = 365
RUN_RATE_GAP_DAYS = 12  # series paid more often than this, on no fixed days: card spend
RUN_RATE_WINDOW_DAYS = 91
STANDOUT = 0.08  # a run 8 %+ away from the runs on both sides of it is a one-off (bonus, 13th month)


def growth_per_day(days: list[date], amounts: list[Decimal]) -> float:
    """Trend of a series' amounts over its last year (headcount growth in payroll), per day:
    the Theil–Sen slope of the log amounts (the median of every pair's slope), so a bonus
    run or a single step does not tilt it. A year, because hiring comes in waves months
    apart: six months may see one wave or none. Clipped to -1 %..+5 % a month."""
    if len(days) < 6:
        return 0.0
    cut = days[-1] - timedelta(days=GROWTH_LOOKBACK_DAYS)
    pts = [(d, float(a)) for d, a in zip(days, amounts) if d >= cut and a > 0]
    if len(pts) < 6:
        return 0.0
    x = np.array([(d - pts[0][0]).days for d, _ in pts], dtype=float)
    y = np.log([a for _, a in pts])
    i, j = np.triu_indices(len(x), k=1)
    apart = x[j] != x[i]
    if not apart.any():
        return 0.0
    slope = float(np.median((y[j] - y[i])[apart] / (x[j] - x[i])[apart]))
    return float(np.clip(slope, np.log(0.99) / 30.4, np.log(1.05) / 30.4))


def annual_factor(days: list[date], amounts: list[Decimal], day: date) -> float:
    """The run a year before `day`, if it stood out from the runs on both sides of it (a
    bonus paid with one run a year, a 13th month): its ratio to them, expected again this
    year. 1.0 without a year of history or when that run was ordinary (steps such as a raise
    or a hiring wave stand out on one side only, and the trend carries them)."""
    ago = day - timedelta(days=365)
    near = [k for k, d in enumerate(days) if abs((d - ago).days) <= 7]
    if not near:
        return 1.0
    k = min(near, key=lambda n: abs((days[n] - ago).days))
    before, after = amounts[max(0, k - 2) : k], amounts[k + 1 : k + 3]
    if not before or not after:
        return 1.0
    a = float(amounts[k])
    r_before, r_after = a / float(statistics.median(before)), a / float(statistics.median(after))
    if min(r_before, r_after) > 1 + STANDOUT or max(r_before, r_after) < 1 - STANDOUT:
        return a / float(statistics.median([*before, *after]))
    return 1.0


def project_series(
    days: list[date],
    amounts: list[Decimal],
    as_of: date,
    horizon: int,
    not_before: date | None = None,
    grow: bool = False,
) -> list[tuple[date, Decimal]]:
    """Repeat a recurring series after `as_of`: on its nominal days of month when it keeps
    them (monthly rent, semi-monthly payroll; moved before weekends when the series always
    is), else every `cadence_days` from its last occurrence. A frequent series on no fixed
    days (card spend at a merchant: a charge every few days, of any size) is projected at its
    run-rate instead (`run_rate`). `grow` (payroll): the amount
    follows the series' own trend (headcount growth) and repeats last year's one-off runs
    (the bonus run: `annual_factor`)."""
    if not days:
        return []
    days, amounts = zip(*sorted(zip(days, amounts)))
    gap = cadence_days(list(days))
    if gap is None or gap <= 0:
        return []
    recent = list(days[-3:])
    per_occurrence = statistics.median(amounts[-3:])
    slope = growth_per_day(list(days), list(amounts)) if grow else 0.0
    middle = recent[len(recent) // 2]
    end = as_of + timedelta(days=horizon)
    doms = monthly_days(list(days)) if gap >= 12 else None
    if not doms and gap < RUN_RATE_GAP_DAYS:
        return run_rate(days, amounts, as_of, horizon, not_before)
    if doms:
        weekdays_only = all(d.weekday() < 5 for d in days[-12:])
        candidates = [
            _add_months(date(days[-1].year, days[-1].month, 1), k, dom)
            for k in range(horizon // 28 + 2)
            for dom in doms
        ]
        if weekdays_only:
            candidates = [_business_day_on_or_before(d) for d in candidates]
    else:
        candidates = [days[-1] + timedelta(days=gap * k) for k in range(1, horizon // gap + 2)]
    out = []
    for d in sorted(set(candidates)):
        if as_of < d <= end and d > days[-1] and (not_before is None or d > not_before):
            seasonal = annual_factor(days, amounts, d) if grow else 1.0
            factor = Decimal(str(round(float(np.exp(slope * (d - middle).days)) * seasonal, 6)))
            out.append((d, per_occurrence * factor))
    return out


def run_rate(
    days: list[date], amounts: list[Decimal], as_of: date, horizon: int, not_before: date | None = None
) -> list[tuple[date, Decimal]]:
    """A daily amount: what the series paid over the last `RUN_RATE_WINDOW_DAYS`, per day.
    Charges that come at random moments (Poisson-like) have gaps whose median is only ~0.7
    of their mean, and amounts whose median is below their mean: repeating the median charge
    at the median gap overstates some series and understates others; the run-rate is the
    unbiased estimate of what the next weeks will add up to."""
    start = as_of - timedelta(days=RUN_RATE_WINDOW_DAYS)
    total = sum((a for d, a in zip(days, amounts) if start < d <= as_of), Decimal(0))
    if not total:
        return []
    per_day = total / RUN_RATE_WINDOW_DAYS
    first = max(as_of, not_before or as_of)
    return [(as_of + timedelta(days=k), per_day) for k in range(1, horizon + 1) if as_of + timedelta(days=k) > first]


def recurring_flows(history: pl.DataFrame, open_ap: pl.DataFrame, as_of: date, horizon: int) -> pl.DataFrame:
    """history: entity, currency, kind ("payroll" | "recurring"), series, date, amount (outflows positive)."""
    # A series already owed as an open bill starts after the bill's due date. The series and the
    # bill's vendor are both named by the ledger contact's own name (marts.py, simhistory.py),
    # so equal names are one contact: no vendor rule is needed, and a series stays per contact.
    covered = {}
    if not open_ap.is_empty():
        for r in open_ap.group_by("entity", "vendor_name").agg(pl.col("due_date").max()).iter_rows(named=True):
            covered[(r["entity"], r["vendor_name"])] = r["due_date"]
    rows = []
    for (entity, currency, kind, series), g in history.filter(pl.col("date") <= as_of).group_by(
        "entity", "currency", "kind", "series", maintain_order=True
    ):
        not_before = covered.get((entity, series))
        for day, amount in project_series(
            g["date"].to_list(), g["amount"].to_list(), as_of, horizon, not_before, grow=kind == "payroll"
        ):
            rows.append(
                {
                    "entity": entity,
                    "currency": currency,
                    "date": day,
                    "component": kind,
                    "amount": -Decimal(amount).quantize(CENT),
                    "source_id": f"{kind}:{series}",
                }
            )
    return _frame(rows)


def pipeline_flows(
    deals: pl.DataFrame,
    paid: pl.DataFrame,
    as_of: date,
    horizon: int,
    terms_days: dict[str, int] | None = None,
    events: pl.DataFrame | None = None,
    invoiced: pl.DataFrame | None = None,
    open_ar: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """deals: entity, currency, deal_id, amount, probability (0..1), close_date[, stage_id] (open
    deals only); `events`: the CRM's stage history, from which win rates and slippage are
    learnt (`pipeline.py`; without it, the stage's nominal probability at the close date).
    `invoiced` (entity, currency, issued_on, due_date, total_amount: recent invoices): the
    deals' expected cash is topped up to the run-rate of invoicing where it falls short (deals
    not in the CRM yet), collected along the entity's paying curve (`open_ar` + `paid`)."""
    from .collection import survivals
    from .pipeline import learn, run_rate_path, top_up
    from .pipeline import pipeline_flows as learnt_flows

    _, per_entity = paying_delays(paid)
    rows = learnt_flows(deals, learn(events, as_of), per_entity, as_of, horizon, terms_days)
    if invoiced is not None and not invoiced.is_empty() and open_ar is not None:
        _, curves = survivals(open_ar, paid, as_of)
        for (entity, currency), g in invoiced.group_by("entity", "currency"):
            rows += top_up(rows, run_rate_path(g, curves.get(entity), as_of, horizon), entity, currency, as_of)
    return _frame(rows)

"""Open deals turned into expected cash, with win rates and slippage learnt from the CRM.

A stage's nominal probability (HubSpot's `hs_deal_stage_probability`) is what someone typed
into the pipeline settings, and the expected close date is what a rep hopes. Both are
learnt instead from the stage history as it stood on the forecast day (`deal_events`: every
change of stage, amount or close date, and the close itself):

* **Win rate per stage** — of the deals seen in a stage that have since closed, the share
  won; shrunk towards the stage's nominal probability by `PRIOR_DEALS` pseudo-deals, so a
  stage with few closed deals keeps roughly its setting. Deals still open are not counted
  (their outcome is unknown), so a young pipeline leans on the setting.
* **Slippage** — for every won deal, the days between the close date the CRM showed in each
  state and the day it was actually won. An open deal with expected close c is won on
  c + s for s drawn from that distribution, *given it is still open today*: only slips that
  land after the forecast day count, and the win rate shrinks by the share of the
  distribution already behind it (a deal far past its close date is less and less likely
  to close at all) — the same conditioning as the AR collection curve.
* **Cash** — the won day + the entity's payment terms + its median paying delay.

Without stage history (a bare deals list) the nominal probability at the close date is used.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import polars as pl

PRIOR_DEALS = 5.0
MIN_WON = 8  # won deals before an entity's slippage is learnt
RUN_RATE_DAYS = 91
DEFAULT_TERMS_DAYS = 30
CENT = Decimal("0.01")
EVENT_SCHEMA = {
    "entity": pl.Utf8,
    "deal_id": pl.Utf8,
    "day": pl.Date,
    "stage_id": pl.Utf8,
    "probability": pl.Float64,
    "close_date": pl.Date,
    "is_closed": pl.Boolean,
    "is_won": pl.Boolean,
}


@dataclass
class PipelineModel:
    win_rate: dict[tuple[str, str], float] = field(default_factory=dict)  # (entity, stage) -> learnt
    slips: dict[str, np.ndarray] = field(default_factory=dict)  # entity -> days won after the shown close date

    def rows(self) -> list[dict]:
        return [{"entity_id": e, "stage_id": s, "win_rate": r} for (e, s), r in sorted(self.win_rate.items())]


def learn(events: pl.DataFrame | None, as_of: date) -> PipelineModel:
    """Win rates per (entity, stage) and slippage per entity, from events on or before `as_of`."""
    model = PipelineModel()
    if events is None or events.is_empty():
        return model
    seen = events.filter(pl.col("day") <= as_of)
    closed = (
        seen.filter(pl.col("is_closed"))
        .group_by("deal_id")
        .agg(
            pl.col("day").min().alias("closed_on"),
            pl.col("is_won").first().alias("won"),
        )
    )
    states = seen.filter(~pl.col("is_closed")).join(closed, on="deal_id", how="inner")
    per_stage = (
        states.unique(["deal_id", "stage_id"])
        .group_by("entity", "stage_id")
        .agg(
            pl.col("won").sum().alias("won"),
            pl.len().alias("n"),
            pl.col("probability").median(),
        )
    )
    for r in per_stage.iter_rows(named=True):
        prior = r["probability"] or 0.0
        model.win_rate[(r["entity"], r["stage_id"])] = (r["won"] + PRIOR_DEALS * prior) / (r["n"] + PRIOR_DEALS)
    won = states.filter(pl.col("won") & pl.col("close_date").is_not_null()).with_columns(
        slip=(pl.col("closed_on") - pl.col("close_date")).dt.total_days()
    )
    for (entity,), g in won.group_by("entity"):
        if g["deal_id"].n_unique() >= MIN_WON:
            model.slips[entity] = g["slip"].to_numpy().astype(float)
    return model


def pipeline_flows(
    deals: pl.DataFrame,
    model: PipelineModel,
    delays: dict[str, int],
    as_of: date,
    horizon: int,
    terms_days: dict[str, int] | None = None,
) -> list[dict]:
    """Rows (entity, currency, date, amount, source_id) of expected cash from open deals.
    `deals`: entity, currency, deal_id, amount, probability, close_date [, stage_id]."""
    end = as_of + timedelta(days=horizon)
    rows = []
    has_stage = "stage_id" in deals.columns
    for r in deals.iter_rows(named=True):
        entity = r["entity"]
        lag = (terms_days or {}).get(entity, DEFAULT_TERMS_DAYS) + max(delays.get(entity, 0), 0)
        rate = model.win_rate.get((entity, r["stage_id"])) if has_stage else None
        rate = float(r["probability"] or 0.0) if rate is None else rate
        slips = model.slips.get(entity)
        if slips is None:
            days = {r["close_date"]: 1.0}
        else:
            won_on = [r["close_date"] + timedelta(days=int(s)) for s in slips]
            ahead = [d for d in won_on if d > as_of]
            # Still open today: only the slips that land after today are possible; the
            # chance of winning at all shrinks with the share already behind.
            rate *= len(ahead) / len(won_on)
            days = {}
            for d in ahead:
                days[d] = days.get(d, 0.0) + 1.0 / len(ahead)
        amount = float(r["amount"]) * rate
        for won_on, share in days.items():
            day = max(won_on + timedelta(days=lag), as_of + timedelta(days=1))  # overdue: tomorrow at the earliest
            expected = Decimal(str(round(amount * share, 2)))
            if as_of < day <= end and expected:
                rows.append(
                    {
                        "entity": entity,
                        "currency": r["currency"],
                        "date": day,
                        "component": "pipeline",
                        "amount": expected,
                        "source_id": r["deal_id"],
                    }
                )
    return rows


def run_rate_path(
    invoiced: pl.DataFrame,
    survival,
    as_of: date,
    horizon: int,
    window: int = RUN_RATE_DAYS,
) -> np.ndarray:
    """Cumulative cash by each forecast day from invoices not raised yet, at the run-rate of
    the last `window` days' invoicing: each future day's invoices (issued at that rate, on the
    entity's usual terms) collected along the entity's paying curve. `invoiced`: issued_on,
    due_date, total_amount of one entity's invoices."""
    recent = invoiced.filter((pl.col("issued_on") > as_of - timedelta(days=window)) & (pl.col("issued_on") <= as_of))
    if recent.is_empty() or survival is None:
        return np.zeros(horizon)
    rate = float(recent["total_amount"].cast(pl.Float64).sum()) / window
    terms = int(recent.select((pl.col("due_date") - pl.col("issued_on")).dt.total_days().median()).item() or 0)
    per_day = survival.daily(-terms, horizon)  # P(paid on day k after issue)
    collected = np.concatenate([[0.0], np.cumsum(per_day)])  # by k days after issue
    return np.array([rate * float(collected[:h].sum()) for h in range(1, horizon + 1)])


def top_up(rows: list[dict], target: np.ndarray, entity: str, currency: str, as_of: date) -> list[dict]:
    """Rows that take the deals' cumulative expected cash up to `target` where it is lower
    (the pipeline cannot see deals not created yet; the run-rate can), never down."""
    horizon = len(target)
    deals = np.zeros(horizon)
    for r in rows:
        k = (r["date"] - as_of).days
        if r["entity"] == entity and 1 <= k <= horizon:
            deals[k - 1] += float(r["amount"])
    cum = np.cumsum(deals)
    extra = np.diff(np.concatenate([[0.0], np.maximum(cum, target) - cum]))
    return [
        {
            "entity": entity,
            "currency": currency,
            "date": as_of + timedelta(days=k + 1),
            "component": "pipeline",
            "amount": Decimal(str(round(float(x), 2))),
            "source_id": "run-rate",
        }
        for k, x in enumerate(extra)
        if round(float(x), 2)
    ]

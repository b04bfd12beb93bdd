"""Assemble the daily cash balance: opening cash + known + expected + statistical flows.

The p10/p90 band comes from the statistical part only (its backtest-calibrated band for
the cumulative unscheduled flow to each day); known flows are taken at face value, which
understates the band when customers' paying habits change (see docs/forecast.md).
Consolidation converts each entity at the as-of FX rate and combines the entities' bands
as independent (root-sum-square), which is narrower than adding them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import polars as pl

from .flows import COMPONENTS

CENT = Decimal("0.01")
MONEY = pl.Decimal(18, 2)
CONSOLIDATED = "consolidated"


@dataclass
class Statistical:
    """The live statistical forecast of one entity's unscheduled flows (entity currency)."""

    yhat: np.ndarray  # per day, horizon long
    cum_low: np.ndarray  # offset of the cumulative p10 from the cumulative p50, per day (<= 0)
    cum_high: np.ndarray  # offset of the cumulative p90 (>= 0)


def _cents(x: float | Decimal) -> Decimal:
    return Decimal(str(round(float(x), 2))).quantize(CENT) if not isinstance(x, Decimal) else x.quantize(CENT)


def entity_forecast(
    entity: str,
    currency: str,
    opening: Decimal,
    flows: pl.DataFrame,
    stat: Statistical | None,
    as_of: date,
    horizon: int,
    live=None,
) -> pl.DataFrame:
    """`live` (balance.LivePath) adds the residual model's flow (column `residual`), or the
    baseline the backtest chose instead (then `residual` is the difference to it), and the
    band calibrated on the whole balance; without it the band is the statistical part's."""
    days = [as_of + timedelta(days=i) for i in range(1, horizon + 1)]
    mine = flows.filter(pl.col("entity") == entity)
    per_day: dict[tuple[date, str], Decimal] = {}
    for r in mine.iter_rows(named=True):
        per_day[(r["date"], r["component"])] = per_day.get((r["date"], r["component"]), Decimal(0)) + r["amount"]
    rows, balance, cum_model, cum_left = [], opening, Decimal(0), Decimal(0)
    for i, day in enumerate(days):
        comp = {c: per_day.get((day, c), Decimal(0)).quantize(CENT) for c in COMPONENTS if c != "unscheduled"}
        comp["unscheduled"] = _cents(stat.yhat[i]) if stat is not None else Decimal("0.00")
        cum_model += sum(comp.values(), Decimal(0))
        if live is not None and live.without:
            cum_left += comp[live.without]  # left to the residual model by the chosen variant
        if live is not None:
            target = (
                float(live.baseline[i])
                if live.baseline is not None
                else (float(cum_model - cum_left) + float(live.residual[i]))
                * (float(live.shrink[i]) if live.shrink is not None else 1.0)
            )
            # the residual's daily flow: what takes the balance from the components to the target
            comp["residual"] = _cents(target) - (balance - opening) - sum(comp.values(), Decimal(0))
        else:
            comp["residual"] = Decimal("0.00")
        net = sum(comp.values(), Decimal(0))
        balance += net
        if live is not None and live.half_width is not None:
            low, high = -_cents(live.half_width[i]), _cents(live.half_width[i])
        else:
            low = _cents(stat.cum_low[i]) if stat is not None else Decimal("0.00")
            high = _cents(stat.cum_high[i]) if stat is not None else Decimal("0.00")
        rows.append(
            {
                "entity_id": entity,
                "currency": currency,
                "as_of": as_of,
                "forecast_date": day,
                "horizon_day": i + 1,
                "opening_balance": opening,
                **comp,
                "net_flow": net,
                "p10": balance + low,
                "p50": balance,
                "p90": balance + high,
                "forecast_method": live.method if live is not None else "model",
                "beats_baselines": live.beats_baselines if live is not None else None,
                "method_note": live.note if live is not None else "not backtested on the balance",
            }
        )
    return _typed(pl.DataFrame(rows, schema_overrides={"beats_baselines": pl.Boolean}))


def _typed(frame: pl.DataFrame) -> pl.DataFrame:
    money = ["opening_balance", *COMPONENTS, "residual", "net_flow", "p10", "p50", "p90"]
    return frame.with_columns([pl.col(c).cast(MONEY) for c in money])


def consolidate(per_entity: pl.DataFrame, fx_to_reporting: dict[str, Decimal], reporting: str) -> pl.DataFrame:
    """Sum the entities in the reporting currency; bands combine as independent (root-sum-square)."""
    rows = {}
    for r in per_entity.iter_rows(named=True):
        rate = fx_to_reporting.get(r["currency"], Decimal(1) if r["currency"] == reporting else None)
        if rate is None:
            raise ValueError(f"no FX rate {r['currency']}->{reporting} for consolidation")
        acc = rows.setdefault(
            r["forecast_date"],
            {
                "entity_id": CONSOLIDATED,
                "currency": reporting,
                "as_of": r["as_of"],
                "forecast_date": r["forecast_date"],
                "horizon_day": r["horizon_day"],
                "opening_balance": Decimal(0),
                **{c: Decimal(0) for c in (*COMPONENTS, "residual")},
                "net_flow": Decimal(0),
                "p50": Decimal(0),
                "_lo2": 0.0,
                "_hi2": 0.0,
                "forecast_method": set(),
                "beats_baselines": True,
                "method_note": None,
            },
        )
        acc["forecast_method"].add(r["forecast_method"])
        acc["beats_baselines"] = acc["beats_baselines"] and bool(r["beats_baselines"])
        for c in ("opening_balance", *COMPONENTS, "residual", "net_flow", "p50"):
            acc[c] += (r[c] * rate).quantize(CENT)
        acc["_lo2"] += float((r["p50"] - r["p10"]) * rate) ** 2
        acc["_hi2"] += float((r["p90"] - r["p50"]) * rate) ** 2
    out = []
    for acc in rows.values():
        lo, hi = acc.pop("_lo2"), acc.pop("_hi2")
        methods = sorted(acc["forecast_method"])
        acc["forecast_method"] = methods[0] if len(methods) == 1 else "mixed: " + ", ".join(methods)
        acc["method_note"] = "sum of the entities' forecasts (each entity's own method)"
        acc["p10"] = acc["p50"] - _cents(math.sqrt(lo))
        acc["p90"] = acc["p50"] + _cents(math.sqrt(hi))
        out.append(acc)
    return _typed(pl.DataFrame(out)).select(per_entity.columns) if out else per_entity.clear()

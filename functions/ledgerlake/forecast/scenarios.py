"""What-if layers on the base cash forecast (#20): named scenarios, saved, compared side by side.

A scenario is a name and a list of layers, each a change to the base forecast's flows of one
entity:

- `hire` (`start`, `monthly_cost`, `on_cost_pct` default 20): from `start`, monthly_cost ×
  (1 + on-costs) a month, paid with the entity's payroll runs that month (or its last day).
- `lost_customer` (`customer`, the ledger contact key, e.g. `qbo:58`): that customer's open
  invoices are not collected.
- `delayed_receivable` (`document`, e.g. `qbo:Invoice:1234`, and `days`): that invoice's
  expected collections move `days` later (out of the horizon if far enough).
- `recurring_cost` (`start`, `monthly_amount`, `day` default 1): a new cost every month from `start`.
- `pipeline_haircut` (`pct`): the pipeline's expected cash (deals and run-rate) cut by `pct` %.

Scenarios are kept in a JSON file (`$LEDGERLAKE_SCENARIOS`, default `<home>/scenarios.json`:
`{"scenarios": [{"name": ..., "layers": [{"kind": ..., "entity": ..., ...}]}]}`) and applied
to the live forecast only, after it is made: they never enter the whole-balance backtest,
whose job is to judge the base forecast. The band moves with the p50 (a scenario is a
known change, not a new uncertainty). Output: `forecast.cash_scenarios`, one row per
scenario, entity (and `consolidated`) and forecast day.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import polars as pl

CENT = Decimal("0.01")
KINDS = {
    "hire": ("start", "monthly_cost"),
    "lost_customer": ("customer",),
    "delayed_receivable": ("document", "days"),
    "recurring_cost": ("start", "monthly_amount"),
    "pipeline_haircut": ("pct",),
}
SCHEMA = {
    "scenario": pl.Utf8,
    "entity_id": pl.Utf8,
    "currency": pl.Utf8,
    "as_of": pl.Date,
    "forecast_date": pl.Date,
    "horizon_day": pl.Int64,
    "base_p50": pl.Decimal(18, 2),
    "change": pl.Decimal(18, 2),
    "p10": pl.Decimal(18, 2),
    "p50": pl.Decimal(18, 2),
    "p90": pl.Decimal(18, 2),
}


class ScenarioError(ValueError):
    """A scenario file or layer that cannot be applied (the message says which and why)."""


@dataclass
class Scenario:
    name: str
    layers: list[dict] = field(default_factory=list)


def scenarios_path(home: Path) -> Path:
    return Path(os.environ.get("LEDGERLAKE_SCENARIOS") or home / "scenarios.json")


def load_scenarios(path: Path) -> list[Scenario]:
    """The saved scenarios; none when the file does not exist. Every layer is checked."""
    if not path.exists():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ScenarioError(f"{path}: not JSON ({err})") from err
    out = []
    for i, s in enumerate(data.get("scenarios", [])):
        if not s.get("name"):
            raise ScenarioError(f"{path}: scenario {i + 1} has no name")
        for j, layer in enumerate(s.get("layers", [])):
            _check(layer, f"{path}: scenario '{s['name']}' layer {j + 1}")
        out.append(Scenario(s["name"], list(s.get("layers", []))))
    return out


def save_scenarios(path: Path, scenarios: list[Scenario]) -> None:
    for s in scenarios:
        for j, layer in enumerate(s.layers):
            _check(layer, f"scenario '{s.name}' layer {j + 1}")
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {"scenarios": [{"name": s.name, "layers": s.layers} for s in scenarios]}
    path.write_text(json.dumps(body, indent=2, default=str) + "\n", encoding="utf-8")


def _check(layer: dict, where: str) -> None:
    kind = layer.get("kind")
    if kind not in KINDS:
        raise ScenarioError(f"{where}: unknown kind {kind!r} (one of {', '.join(KINDS)})")
    if not layer.get("entity"):
        raise ScenarioError(f"{where}: no entity")
    missing = [k for k in KINDS[kind] if layer.get(k) in (None, "")]
    if missing:
        raise ScenarioError(f"{where}: {kind} needs {', '.join(missing)}")


def _month_starts(first: date, last: date):
    d = date(first.year, first.month, 1)
    while d <= last:
        yield d
        d = date(d.year + d.month // 12, d.month % 12 + 1, 1)


def _month_end(d: date) -> date:
    return date(d.year + d.month // 12, d.month % 12 + 1, 1) - timedelta(days=1)


def layer_flows(
    layer: dict, flows: pl.DataFrame, open_ar: pl.DataFrame, as_of: date, horizon: int
) -> dict[date, Decimal]:
    """The change one layer makes to its entity's daily net flow (entity currency)."""
    entity, end = layer["entity"], as_of + timedelta(days=horizon)
    mine = flows.filter(pl.col("entity") == entity)
    out: dict[date, Decimal] = {}

    def add(day: date, amount: Decimal) -> None:
        if as_of < day <= end and amount:
            out[day] = out.get(day, Decimal(0)) + amount

    kind = layer["kind"]
    if kind in ("hire", "recurring_cost"):
        start = date.fromisoformat(str(layer["start"]))
        if kind == "hire":
            monthly = Decimal(str(layer["monthly_cost"])) * (1 + Decimal(str(layer.get("on_cost_pct", 20))) / 100)
            runs = sorted(set(mine.filter(pl.col("component") == "payroll")["date"].to_list()))
        else:
            monthly = Decimal(str(layer["monthly_amount"]))
        for month in _month_starts(max(start, as_of + timedelta(days=1)), end):
            if kind == "hire":
                days = [d for d in runs if d.year == month.year and d.month == month.month and d >= start]
                days = days or [_month_end(month)]
            else:
                day = min(int(layer.get("day", 1)), _month_end(month).day)
                days = [date(month.year, month.month, day)]
            days = [d for d in days if d >= start]
            for d in days:
                add(d, -(monthly / len(days)).quantize(CENT))
    elif kind == "lost_customer":
        docs = set(
            open_ar.filter((pl.col("entity") == entity) & (pl.col("customer_id") == layer["customer"]))[
                "document_id"
            ].to_list()
        )
        if not docs:
            raise ScenarioError(f"lost_customer: {layer['customer']} has no open invoice in {entity}")
        for d, a in (
            mine.filter((pl.col("component") == "ar") & pl.col("source_id").is_in(list(docs)))
            .select("date", "amount")
            .iter_rows()
        ):
            add(d, -a)
    elif kind == "delayed_receivable":
        rows = mine.filter((pl.col("component") == "ar") & (pl.col("source_id") == layer["document"]))
        if rows.is_empty():
            raise ScenarioError(f"delayed_receivable: {layer['document']} is not expected in {entity}'s forecast")
        for d, a in rows.select("date", "amount").iter_rows():
            add(d, -a)
            add(d + timedelta(days=int(layer["days"])), a)
    elif kind == "pipeline_haircut":
        share = Decimal(str(layer["pct"])) / 100
        for d, a in mine.filter(pl.col("component") == "pipeline").select("date", "amount").iter_rows():
            add(d, -(a * share).quantize(CENT))
    return out


def apply_scenarios(
    scenarios: list[Scenario],
    daily: pl.DataFrame,
    flows: pl.DataFrame,
    open_ar: pl.DataFrame,
    fx_to_reporting: dict[str, Decimal],
) -> pl.DataFrame:
    """`cash_scenarios`: each scenario's balance beside the base forecast (`daily` is
    `cash_forecast_daily`), per entity and consolidated."""
    if not scenarios or daily.is_empty():
        return pl.DataFrame(schema=SCHEMA)
    as_of, horizon = daily["as_of"][0], int(daily["horizon_day"].max())
    entities = daily.filter(pl.col("entity_id") != "consolidated")
    reporting = daily.filter(pl.col("entity_id") == "consolidated")
    rows = []
    for s in scenarios:
        change: dict[str, dict[date, Decimal]] = {}
        for layer in s.layers:
            for d, a in layer_flows(layer, flows, open_ar, as_of, horizon).items():
                per = change.setdefault(layer["entity"], {})
                per[d] = per.get(d, Decimal(0)) + a
        consolidated: dict[date, Decimal] = {}
        for (entity,), g in entities.group_by("entity_id", maintain_order=True):
            cum, delta = Decimal(0), change.get(entity, {})
            rate = fx_to_reporting.get(g["currency"][0], Decimal(1))
            for r in g.sort("forecast_date").iter_rows(named=True):
                cum += delta.get(r["forecast_date"], Decimal(0))
                consolidated[r["forecast_date"]] = consolidated.get(r["forecast_date"], Decimal(0)) + (
                    cum * rate
                ).quantize(CENT)
                rows.append(_row(s.name, r, cum))
        for r in reporting.sort("forecast_date").iter_rows(named=True):
            rows.append(_row(s.name, r, consolidated.get(r["forecast_date"], Decimal(0))))
    return pl.DataFrame(rows, schema=SCHEMA)


def _row(name: str, r: dict, cum: Decimal) -> dict:
    return {
        "scenario": name,
        "entity_id": r["entity_id"],
        "currency": r["currency"],
        "as_of": r["as_of"],
        "forecast_date": r["forecast_date"],
        "horizon_day": r["horizon_day"],
        "base_p50": r["p50"],
        "change": cum,
        "p10": r["p10"] + cum,
        "p50": r["p50"] + cum,
        "p90": r["p90"] + cum,
    }

"""What-if scenarios on the cash forecast (#20): each layer's change, saved and refused."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import polars as pl
import pytest

from ledgerlake.cli import main
from ledgerlake.forecast.flows import FLOW_SCHEMA
from ledgerlake.forecast.scenarios import (
    Scenario,
    ScenarioError,
    apply_scenarios,
    load_scenarios,
)

AS_OF = date(2026, 6, 30)
H = 91


def _flow(day: date, component: str, amount: str, source: str) -> dict:
    return {
        "entity": "US",
        "currency": "USD",
        "date": day,
        "component": component,
        "amount": Decimal(amount),
        "source_id": source,
    }


def _base():
    days = [AS_OF + timedelta(days=k) for k in range(1, H + 1)]
    daily = pl.DataFrame(
        {
            "entity_id": ["US"] * H + ["consolidated"] * H,
            "currency": ["USD"] * 2 * H,
            "as_of": [AS_OF] * 2 * H,
            "forecast_date": days * 2,
            "horizon_day": list(range(1, H + 1)) * 2,
            "p10": [Decimal("900000.00")] * 2 * H,
            "p50": [Decimal("1000000.00")] * 2 * H,
            "p90": [Decimal("1100000.00")] * 2 * H,
        }
    )
    flows = pl.DataFrame(
        [
            _flow(date(2026, 7, 15), "payroll", "-50000.00", "payroll:net"),
            _flow(date(2026, 7, 31), "payroll", "-50000.00", "payroll:net"),
            _flow(date(2026, 7, 10), "ar", "30000.00", "qbo:Invoice:1"),
            _flow(date(2026, 8, 20), "pipeline", "40000.00", "deal-1"),
        ],
        schema=FLOW_SCHEMA,
    )
    open_ar = pl.DataFrame({"entity": ["US"], "customer_id": ["qbo:58"], "document_id": ["qbo:Invoice:1"]})
    return daily, flows, open_ar


def _at(frame: pl.DataFrame, name: str, day: date) -> Decimal:
    return frame.filter(
        (pl.col("scenario") == name) & (pl.col("entity_id") == "US") & (pl.col("forecast_date") == day)
    )["change"][0]


def test_each_layer_changes_the_balance_where_it_should():
    daily, flows, open_ar = _base()
    scenarios = [
        Scenario(
            "hire",
            [
                {
                    "kind": "hire",
                    "entity": "US",
                    "start": "2026-07-01",
                    "monthly_cost": 10000,
                }
            ],
        ),
        Scenario("lost", [{"kind": "lost_customer", "entity": "US", "customer": "qbo:58"}]),
        Scenario(
            "late",
            [
                {
                    "kind": "delayed_receivable",
                    "entity": "US",
                    "document": "qbo:Invoice:1",
                    "days": 30,
                }
            ],
        ),
        Scenario(
            "rent",
            [
                {
                    "kind": "recurring_cost",
                    "entity": "US",
                    "start": "2026-08-01",
                    "monthly_amount": 5000,
                }
            ],
        ),
        Scenario("cut", [{"kind": "pipeline_haircut", "entity": "US", "pct": 50}]),
    ]
    out = apply_scenarios(scenarios, daily, flows, open_ar, {"USD": Decimal(1)})
    # a hire costs 12,000 a month with on-costs, paid with July's two payroll runs
    assert _at(out, "hire", date(2026, 7, 14)) == 0 and _at(out, "hire", date(2026, 7, 15)) == Decimal("-6000.00")
    # July with its runs; August on its last day (no run forecast then); September's is after the horizon
    assert _at(out, "hire", date(2026, 9, 29)) == Decimal("-24000.00")
    assert _at(out, "lost", date(2026, 9, 29)) == Decimal("-30000.00")
    assert _at(out, "late", date(2026, 7, 10)) == Decimal("-30000.00") and _at(out, "late", date(2026, 8, 9)) == 0
    assert _at(out, "rent", date(2026, 8, 1)) == Decimal("-5000.00")
    assert _at(out, "cut", date(2026, 9, 29)) == Decimal("-20000.00")
    # the band moves with the p50; the consolidated row carries the change too
    row = out.filter((pl.col("scenario") == "cut") & (pl.col("horizon_day") == H))
    assert set(row["p50"].to_list()) == {Decimal("980000.00")} and set(row["p10"].to_list()) == {Decimal("880000.00")}


def test_the_command_saves_scenarios_and_refuses_a_bad_layer_without_writing(tmp_path, monkeypatch, capsys):
    store = tmp_path / "scenarios.json"
    monkeypatch.setenv("LEDGERLAKE_SCENARIOS", str(store))
    hire = ["scenarios", "add", "Hire two", "hire", "--entity", "US", "--start", "2027-06-01"]
    assert main([*hire, "--monthly-cost", "12000"]) == 0
    saved = store.read_text()
    assert main(hire) == 2  # no monthly cost
    assert "needs monthly_cost" in capsys.readouterr().err and store.read_text() == saved
    assert [s.name for s in load_scenarios(store)] == ["Hire two"]
    store.write_text(json.dumps({"scenarios": [{"name": "x", "layers": [{"kind": "raise", "entity": "US"}]}]}))
    with pytest.raises(ScenarioError, match="unknown kind 'raise'"):
        load_scenarios(store)

"""The simulator's changing habits (#17): hiring in waves, seasonal pay, late payers
drifting, deals slipping — what makes the future unlike the past for the forecaster."""

from __future__ import annotations

import json
from datetime import date
from itertools import pairwise

from ledgerlake.simulate.dynamics import BONUS, RAISE, Dynamics
from ledgerlake.simulate.util import stream

START = date(2025, 5, 1)


def test_headcount_steps_up_in_waves_and_pay_rises_once_a_year_with_a_bonus_run():
    world = Dynamics(stream(7, "world"), START, 24)
    months = [world.hiring_month("US", date(2025 + (4 + m) // 12, (4 + m) % 12 + 1, 10)) for m in range(24)]
    assert months == sorted(months) and months[0] == 0
    steps = sorted(set(months))
    assert 4 <= len(steps) <= 9  # a wave every 3-6 months, flat in between
    assert all(3 <= b - a <= 6 for a, b in pairwise(steps))
    assert world.pay_factor("US", date(2025, 12, 15), False) == 1.0  # the first run of December
    assert world.pay_factor("US", date(2025, 12, 31)) == 1 + BONUS["US"]  # the bonus run
    assert world.pay_factor("US", date(2026, 2, 13)) == 1 + RAISE["US"]  # January's raise
    assert world.pay_factor("UK", date(2027, 4, 25)) == (1 + RAISE["UK"]) ** 2


def test_a_quarter_of_customers_pay_later_every_month_and_deals_slip_more_as_the_run_goes_on():
    world = Dynamics(stream(7, "world"), START, 24)
    late = [world.late_drift_days(f"company-{i}", date(2026, 5, 1)) for i in range(400)]
    drifters = [d for d in late if d]
    assert 0.18 < len(drifters) / len(late) < 0.32 and set(drifters) == {24}
    assert world.late_drift_days("company-1", START) == 0
    early = sum(world.slips(date(2025, 5, 10)) for _ in range(2000))
    late_run = sum(world.slips(date(2027, 4, 10)) for _ in range(2000))
    assert early < 0.1 * 2000 < 0.2 * 2000 < late_run


def test_slipped_deals_move_their_close_date_out_in_the_crm(sim_dir):
    moved = set()
    first_close = {}
    with (sim_dir / "api" / "hubspot" / "deals.jsonl").open() as fh:
        for line in fh:
            v = json.loads(line)
            props = (v.get("object") or {}).get("properties") or {}
            if props.get("hs_is_closed") == "true" or not props.get("closedate"):
                continue
            first = first_close.setdefault(v["id"], props["closedate"])
            if props["closedate"] > first:
                moved.add(v["id"])
    assert len(moved) >= 0.05 * len(first_close)

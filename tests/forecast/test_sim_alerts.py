"""The payment rules on the simulated company: every planted payment problem is found and
at most one alert in ten is false (scored against truth/problems.json)."""

from __future__ import annotations

from ledgerlake.alerts.rules import AlertConfig, all_payment_alerts
from ledgerlake.alerts.score import cited_ids, load_problems, score
from ledgerlake.forecast.simframes import sales_daily, vendor_payments

PAYMENT_RULES = ("duplicate_payment", "unusual_vendor_charge", "new_vendor_large_payment")


def test_payment_rules_find_every_planted_problem(sim_dir):
    payments = vendor_payments(sim_dir)
    assert payments.height > 100 and payments.schema["amount"].is_decimal()
    alerts = all_payment_alerts(payments, AlertConfig())
    scores, _ = score([cited_ids(a) for a in alerts], load_problems(sim_dir))
    by = {s.alert_type: s for s in scores}
    for rule in PAYMENT_RULES:
        assert by[rule].planted >= 1, rule
        assert by[rule].found == by[rule].planted, (rule, by[rule])
    raised = sum(by[r].alerts for r in PAYMENT_RULES)
    true = sum(by[r].true_alerts for r in PAYMENT_RULES)
    assert true / raised >= 0.9


def test_unscheduled_series_is_payouts_per_entity(sim_dir):
    sales = sales_daily(sim_dir)
    assert sorted(sales["entity"].unique().to_list()) == ["UK", "US"]
    assert sales.group_by("entity").len()["len"].min() > 300  # most days have a payout

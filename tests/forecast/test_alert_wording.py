"""Alert titles read as words and formatted money, and every kind of alert says what to do."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from ledgerlake.alerts import wording


def test_money_days_and_ratios_read_as_a_person_writes_them():
    assert wording.money(Decimal("48500"), "USD") == "$48,500.00"
    assert wording.money(Decimal("-1200.505"), "GBP") == "-£1,200.50"  # half-even
    assert wording.money(Decimal("1000"), "CHF") == "1,000.00 CHF"
    assert wording.money(None, "USD") == "an unknown amount"
    assert wording.day(date(2026, 11, 3)) == "3 Nov 2026" and wording.day(None, "soon") == "soon"
    assert wording.times_usual(Decimal("48500"), Decimal("1200")) == "40 times its usual"
    assert wording.times_usual(Decimal("10"), Decimal("0")) == "far above its usual"


def test_every_rule_has_a_next_step():
    import inspect

    from ledgerlake.alerts import integrity, rules

    kinds = set()
    for module in (rules, integrity):
        kinds |= set(re.findall(r'type="([a-z_]+)"', inspect.getsource(module)))
    kinds.discard("cash_forecast_daily")  # an evidence record type, not an alert rule
    assert kinds, "found the rules' alert types"
    assert kinds <= set(wording.NEXT_STEP), kinds - set(wording.NEXT_STEP)


def test_no_raw_values_in_the_titles_of_the_rules():
    """No `48500.00 USD`, `z=43.4` or `None` left in how titles are built."""
    import inspect

    from ledgerlake.alerts import integrity, rules

    for module in (rules, integrity):
        titles = "\n".join(re.findall(r"title=\(?f\".*", inspect.getsource(module)))
        assert "z=" not in titles and "} {currency}" not in titles, titles

"""The weekly email's "Largest budget variances" section (issue #20, budgets vs actuals), on
a copy of the hand-built warehouse with a budget_vs_actual mart added."""

from __future__ import annotations

import re
import shutil
from datetime import date
from decimal import Decimal

import pytest
from mini_warehouse import AS_OF

from ledgerlake.analyst import connect
from ledgerlake.report import formatting as fmt
from ledgerlake.report import weekly_email

MAY = date(2025, 5, 1)  # the last whole month on 16 Jun 2025: the headline revenue's month


@pytest.fixture
def budget_conn(mini_warehouse, tmp_path):
    import duckdb

    path = tmp_path / "warehouse.duckdb"
    shutil.copyfile(mini_warehouse, path)
    with duckdb.connect(str(path)) as con:
        con.execute("""create table marts.budget_vs_actual (budget_name varchar, period_month date, entity_id varchar,
            account_name varchar, account_class varchar, is_budgeted boolean, budget_amount_reporting decimal(38,6),
            actual_amount_reporting decimal(38,6), variance_reporting decimal(38,6), variance_pct decimal(18,1),
            favourable_variance decimal(38,6))""")
        rows = [  # (budget, month, entity, account, class, budget, actual)
            ("Plan", MAY, "US", "Subscriptions", "revenue", "100000", "112000"),
            ("Plan", MAY, "US", "Rent", "expense", "8000", "8000"),
            ("Plan", MAY, "US", "Contractors", "expense", "20000", "45000"),
            ("Plan", MAY, "UK", "Sales", "revenue", "30000", "21000"),
            ("Plan", MAY, "UK", "Travel", "expense", "0", "1500"),
            ("Plan", MAY, "US", "Software", "expense", "5000", "4000"),
            ("Plan", MAY, "US", "Payroll", "expense", "90000", "90500"),
            (
                "Plan",
                date(2025, 4, 1),
                "US",
                "Contractors",
                "expense",
                "1",
                "900000",
            ),  # another month
            ("Reforecast", MAY, "US", "Contractors", "expense", "44000", "45000"),
        ]
        for b, m, e, a, cls, bud, act in rows:
            bud, act = Decimal(bud), Decimal(act)
            var = act - bud
            con.execute(
                "insert into marts.budget_vs_actual values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    b,
                    m,
                    e,
                    a,
                    cls,
                    bud != 0,
                    bud,
                    act,
                    var,
                    round(var * 100 / bud, 1) if bud else None,
                    var if cls == "revenue" else -var,
                ],
            )
    c = connect(path, source="warehouse", lake=False)
    yield c
    c.close()


def _settings(monkeypatch):
    from ledgerlake.report.settings import ReportSettings

    monkeypatch.setenv("LEDGERLAKE_REPORT_TIMEZONE", "America/New_York")
    monkeypatch.delenv("LEDGERLAKE_REPORT_BUDGET", raising=False)
    return ReportSettings.from_env()


def test_the_email_lists_the_months_largest_variances(budget_conn, monkeypatch):
    mail = weekly_email(budget_conn, as_of=AS_OF, settings=_settings(monkeypatch), live_alerts=None)
    shown = [(v["entity_id"], v["account_name"]) for v in mail.report.budget_variances]
    # by size of the variance, largest first, five at most; an on-budget line never shows
    assert shown == [
        ("US", "Contractors"),
        ("US", "Subscriptions"),
        ("UK", "Sales"),
        ("UK", "Travel"),
        ("US", "Software"),
    ]
    html = mail.rendered.html
    assert "Largest budget variances, May 2025" in html
    assert re.findall(r'data-variance="([^"]+)"', html) == [f"{e}:{a}" for e, a in shown]
    assert f"{fmt.money(Decimal(25000), 'USD')} (+125.0%)" in html  # contractors: 45,000 vs 20,000
    assert "not budgeted" in html  # travel: an actual with no budget line
    text = mail.rendered.text
    assert "LARGEST BUDGET VARIANCES, MAY 2025" in text
    assert (
        f"- Sales (UK): actual {fmt.money(Decimal(21000), 'USD')} vs budget {fmt.money(Decimal(30000), 'USD')}, "
        f"{fmt.money(Decimal(-9000), 'USD')} (-30.0%) worse than budget"
    ) in text


def test_a_named_budget_and_no_budget(budget_conn, mini_warehouse, monkeypatch):
    settings = _settings(monkeypatch)
    monkeypatch.setenv("LEDGERLAKE_REPORT_BUDGET", "Reforecast")
    mail = weekly_email(budget_conn, as_of=AS_OF, settings=settings, live_alerts=None)
    assert [(v["budget_name"], v["account_name"]) for v in mail.report.budget_variances] == [
        ("Reforecast", "Contractors")
    ]
    plain = connect(mini_warehouse, source="warehouse", lake=False)  # no budget_vs_actual mart
    try:
        mail = weekly_email(plain, as_of=AS_OF, settings=settings, live_alerts=None)
    finally:
        plain.close()
    assert mail.report.budget_variances == [] and "budget variances" not in mail.rendered.html.lower()

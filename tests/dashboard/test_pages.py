"""Every page, run through Streamlit's AppTest on the simulated company's real warehouse
(landed, built by dbt, forecast: tests/conftest.py's `built_company`): what each page shows
equals the marts.

Expected values are computed here with plain, independent SQL against the warehouse (not
through ledgerlake.dashboard_data), then formatted the way a reader sees them.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import duckdb
import pytest


def q(warehouse, sql, params=None):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def shown_money(amount, symbol="$"):
    amount = Decimal(amount).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
    return f"{'-' if amount < 0 else ''}{symbol}{abs(amount):,.0f}"


def money_of(text: str) -> Decimal:
    negative = text.startswith("-")
    return Decimal(text.lstrip("-").lstrip("$£€").replace(",", "")) * (-1 if negative else 1)


def metric(at, label):
    found = [m for m in at.metric if m.label == label]
    assert found, f"no metric {label!r}; have {[m.label for m in at.metric]}"
    return found[0]


def metric_starting(at, prefix):
    found = [m for m in at.metric if m.label.startswith(prefix)]
    assert found, f"no metric {prefix!r}…; have {[m.label for m in at.metric]}"
    return found[0]


def latest_month(wh):
    return q(wh, "select max(period_month) from marts.finance_kpis_monthly")[0][0]


def live_status(wh) -> dict[str, str]:
    """alert_id → status: the dashboard's alert-state store over the table's own copy."""
    from ledgerlake.alerts.state import AlertState

    statuses = dict(q(wh, "select alert_id, status from forecast.alerts"))
    statuses.update({aid: e["status"] for aid, e in AlertState.default().alerts.items() if aid in statuses})
    return statuses


def test_the_company_is_really_built(dashboard_env):
    """The pages below read a real build: every mart and forecast table they use has rows."""
    wh = dashboard_env["warehouse"]
    for table in (
        "marts.finance_kpis_monthly",
        "marts.cash_by_account_day",
        "marts.revenue_by_month",
        "marts.revenue_by_channel_month",
        "marts.mrr_movements_monthly",
        "marts.crm_deals",
        "marts.ar_ap_documents",
        "marts.ar_ap_aging",
        "marts.source_health",
        "forecast.cash_forecast_daily",
        "forecast.forecast_accuracy",
        "forecast.alerts",
    ):
        assert q(wh, f"select count(*) from {table}")[0][0] > 0, table
    assert {e for (e,) in q(wh, "select distinct entity_id from marts.finance_kpis_monthly")} == {"US", "UK"}


def test_overview_kpis_equal_the_finance_mart(app, dashboard_env):
    wh = dashboard_env["warehouse"]
    month = latest_month(wh)
    prev = q(wh, "select max(period_month) from marts.finance_kpis_monthly where period_month < ?", [month])[0][0]
    cur_row, prev_row = (
        q(
            wh,
            """select sum(revenue), sum(burn), sum(cash_balance), sum(mrr), sum(ar_overdue)
                 from marts.finance_kpis_monthly where period_month = ?""",
            [m],
        )[0]
        for m in (month, prev)
    )
    revenue, burn, cash, mrr, overdue = cur_row
    parts = q(
        wh,
        """select dso_days, revenue from marts.finance_kpis_monthly
                     where period_month = ? and dso_days is not null""",
        [month],
    )
    dso = sum(d * r for d, r in parts) / sum(r for _, r in parts)
    assert metric(app, "Revenue").value == shown_money(revenue)
    assert metric(app, "Burn").value == shown_money(burn)
    assert metric(app, "Cash").value == shown_money(cash)
    assert metric(app, "MRR").value == shown_money(mrr)
    assert metric(app, "AR overdue").value == shown_money(overdue)
    # group runway = cash ÷ burn for a one-month period (none when the group is not burning)
    if burn > 0:
        runway = round(cash / burn, 2).quantize(Decimal("0.1"), rounding=ROUND_HALF_EVEN)
        assert metric(app, "Runway").value == f"{runway} months"
    else:  # an undefined KPI says why
        assert metric(app, "Runway").value == "Not burning"
    # DSO weighted by revenue (DPO by burn): never a plain average of the entities'
    assert metric(app, "DSO").value == f"{round(dso, 1).quantize(Decimal('0.1'), rounding=ROUND_HALF_EVEN)} days"
    change = (revenue - prev_row[0]) / abs(prev_row[0]) * 100
    assert metric(app, "Revenue").delta.startswith(f"{change:+.1f}%")
    # cash by entity = the banks' closing balances at the month end (USD and GBP accounts in USD)
    by_entity = next(d.value for d in app.dataframe if "previous_cash" in d.value.columns)
    assert sorted(by_entity["entity_id"]) == ["UK", "US"]
    for entity_id, cash_shown in zip(by_entity["entity_id"], by_entity["cash"]):
        kpi_cash = q(
            wh,
            "select cash_balance from marts.finance_kpis_monthly where entity_id = ? and period_month = ?",
            [entity_id, month],
        )[0][0]
        assert abs(Decimal(str(cash_shown)) - kpi_cash) <= Decimal("0.02"), entity_id
    open_alerts = sum(1 for s in live_status(wh).values() if s != "resolved")
    assert metric(app, "Open alerts").value == str(open_alerts)


def test_overview_headline_uses_the_shared_definitions(app, dashboard_env):
    """The "at a glance" strip: cash on the forecast's as-of day, the 13-week figure on
    as_of + 91 days, the last whole month's revenue, open alerts (independent SQL)."""
    wh = dashboard_env["warehouse"]
    as_of = q(wh, "select max(as_of) from forecast.cash_forecast_daily")[0][0]
    cash = q(wh, "select cash_balance from marts.finance_kpis_daily where date = ?", [as_of])[0][0]
    p50 = q(
        wh,
        """select p50 from forecast.cash_forecast_daily where entity_id = 'consolidated'
                   and as_of = ? and forecast_date = ?""",
        [as_of, as_of + timedelta(days=91)],
    )[0][0]
    month = (
        as_of.replace(day=1)
        if (as_of + timedelta(days=1)).day == 1
        else (as_of.replace(day=1) - timedelta(days=1)).replace(day=1)
    )
    revenue = q(wh, "select sum(revenue) from marts.finance_kpis_monthly where period_month = ?", [month])[0][0]
    assert metric(app, f"Cash, {as_of:%d %b %Y}").value == shown_money(cash)
    assert metric(app, f"Cash in 13 weeks ({as_of + timedelta(days=91):%d %b %Y})").value == shown_money(p50)
    assert metric(app, f"Revenue, {month:%b %Y}").value == shown_money(revenue)
    status = live_status(wh)
    severity = dict(q(wh, "select alert_id, severity from forecast.alerts"))
    opened = [a for a, s in status.items() if s in ("new", "acknowledged")]
    card = metric(app, "Open alerts, all entities")
    assert card.value == str(len(opened))
    assert card.delta == f"{sum(1 for a in opened if severity[a] == 'high')} high"


def test_overview_entity_and_currency_filters(app, dashboard_env):
    wh = dashboard_env["warehouse"]
    month = latest_month(wh)
    app.selectbox(key="entity").set_value("UK").run()
    uk_revenue, uk_runway = q(
        wh,
        """select revenue, runway_months from marts.finance_kpis_monthly
                                     where entity_id = 'UK' and period_month = ?""",
        [month],
    )[0]
    assert metric(app, "Revenue").value == shown_money(uk_revenue)
    shown_runway = (
        "—" if uk_runway is None else f"{uk_runway.quantize(Decimal('0.1'), rounding=ROUND_HALF_EVEN)} months"
    )
    assert metric(app, "Runway").value == shown_runway  # one entity: the mart's own runway
    # In GBP: USD amounts ÷ the GBP→USD rate at month end (within a pound of rounding).
    app.selectbox(key="currency").set_value("GBP").run()
    assert not app.exception
    rate = q(
        wh,
        "select rate from intermediate.int_fx_rates_daily where currency = 'GBP' and rate_date = last_day(?::date)",
        [month],
    )[0][0]
    shown = money_of(metric(app, "Revenue").value)
    assert metric(app, "Revenue").value.startswith("£")
    assert abs(shown - uk_revenue / rate) <= 1


def test_overview_quarter_adds_flows_and_takes_stocks_at_the_end(app, dashboard_env):
    wh = dashboard_env["warehouse"]
    app.session_state["granularity"] = "Quarter"
    app.run()
    label = app.selectbox(key="period_Quarter").value
    end = latest_month(wh)
    # the newest fiscal quarter (the fiscal year starts in April)
    fy_start = date(end.year if end.month >= 4 else end.year - 1, 4, 1)
    n = ((end.year - fy_start.year) * 12 + end.month - fy_start.month) // 3
    q_start = date(fy_start.year + (fy_start.month - 1 + 3 * n) // 12, (fy_start.month - 1 + 3 * n) % 12 + 1, 1)
    assert label.startswith(f"FQ{n + 1} {q_start:%b}")
    rev, cash = q(
        wh,
        """select sum(revenue), sum(cash_balance) filter (where period_month = ?)
                         from marts.finance_kpis_monthly where period_month between ? and ?""",
        [end, q_start, end],
    )[0]
    assert metric(app, "Revenue").value == shown_money(rev)
    assert metric(app, "Cash").value == shown_money(cash)


def test_cash_page_shows_the_forecast_and_floor(app, dashboard_env):
    wh = dashboard_env["warehouse"]
    app.switch_page("pages/cash.py").run()
    assert not app.exception, [e.message for e in app.exception]
    day, p10, p50, p90 = q(
        wh,
        """select forecast_date, p10, p50, p90 from forecast.cash_forecast_daily
                            where entity_id = 'consolidated'
                              and as_of = (select max(as_of) from forecast.cash_forecast_daily)
                              and forecast_date = as_of + interval 91 day""",
    )[0]
    assert p10 <= p50 <= p90
    assert metric(app, f"Cash in 13 weeks on {day:%d %b %Y} (p50)").value == shown_money(p50)
    assert metric(app, "Downside (p10)").value == shown_money(p10)
    assert metric(app, "Upside (p90)").value == shown_money(p90)
    floor = q(wh, "select floor_amount from forecast.cash_floor where entity_id = 'consolidated'")[0][0]
    assert metric(app, "Cash floor").value == shown_money(floor)
    accuracy = app.dataframe[0].value
    assert (
        len(accuracy)
        == q(
            wh,
            """select count(*) from forecast.forecast_accuracy
                                     where as_of = (select max(as_of) from forecast.forecast_accuracy)""",
        )[0][0]
    )
    # the weekly components add up to the forecast's net flows
    weekly = app.dataframe[1].value
    total_flow = q(wh, "select sum(net_flow) from forecast.cash_forecast_daily where entity_id = 'consolidated'")[0][0]
    shown_flow = sum(Decimal(str(v)) for c in weekly.columns if c != "week_start" for v in weekly[c] if v == v)
    assert abs(shown_flow - total_flow) <= Decimal("0.01") * 91 * 6  # cents of rounding per day and component
    days = q(wh, "select count(*) from forecast.cash_forecast_daily where entity_id = 'consolidated'")[0][0]
    assert days == 91 and len(app.dataframe[-1].value) == days  # the daily table in the expander


def test_cash_page_for_one_entity_in_its_own_rows(app, dashboard_env):
    """UK: the forecaster's UK rows (GBP), converted to USD at the rate on each forecast day
    (the latest rate, past the rates' end)."""
    wh = dashboard_env["warehouse"]
    app.switch_page("pages/cash.py").run()
    app.selectbox(key="entity").set_value("UK").run()
    assert not app.exception, [e.message for e in app.exception]
    day, p50 = q(
        wh,
        """select forecast_date, p50 from forecast.cash_forecast_daily where entity_id = 'UK'
                       order by forecast_date desc limit 1""",
    )[0]
    rate = q(
        wh,
        """select rate from intermediate.int_fx_rates_daily where currency = 'GBP' and rate_date <= ?
                    order by rate_date desc limit 1""",
        [day],
    )[0][0]
    assert abs(money_of(metric_starting(app, "Cash in 13 weeks").value) - p50 * rate) <= 1


def test_revenue_page_equals_revenue_marts(app, dashboard_env):
    wh = dashboard_env["warehouse"]
    month = latest_month(wh)
    app.switch_page("pages/revenue.py").run()
    assert not app.exception, [e.message for e in app.exception]
    revenue = q(wh, "select sum(revenue_reporting) from marts.revenue_by_month where period_month = ?", [month])[0][0]
    assert metric(app, "Revenue in the period").value == shown_money(revenue)
    tables = [t.value for t in app.dataframe]
    by_channel = next(t for t in tables if "channel" in t.columns)
    expected = {
        (c, cur): amount
        for c, cur, amount in q(
            wh,
            """
        select channel, currency, sum(revenue) from marts.revenue_by_channel_month where period_month = ?
        group by all""",
            [month],
        )
    }
    got = {
        (c, cur): Decimal(str(v))
        for c, cur, v in zip(by_channel["channel"], by_channel["currency"], by_channel["revenue_transaction_currency"])
    }
    assert got == expected and expected  # every channel and currency, to the cent, in its own currency
    mrr = next(t for t in tables if "movement_type" in t.columns)
    expected = dict(
        q(
            wh,
            """select movement_type, sum(mrr_change_reporting)
        from marts.mrr_movements_monthly where period_month = ? group by 1""",
            [month],
        )
    )
    got = {t: Decimal(str(v)) for t, v in zip(mrr["movement_type"], mrr["mrr_change"])}
    assert set(got) == {"new", "expansion", "contraction", "churn"}
    assert all(abs(got[t] - expected[t]) <= Decimal("0.01") for t in got), (got, expected)
    weighted = q(
        wh,
        "select sum(weighted_amount * coalesce(r.rate, 1)) from marts.crm_deals d "
        "left join intermediate.int_fx_rates_daily r on r.currency = d.currency "
        "and r.rate_date = (select max(rate_date) from intermediate.int_fx_rates_daily "
        "where rate_date <= current_date) "
        "where not is_closed",
    )[0][0]
    assert abs(money_of(metric(app, "Open pipeline, weighted").value) - weighted) <= 1


def aging_mart(wh, entity, as_of):
    """marts.ar_ap_aging for an as-of date it has (week and month ends): kind → bucket → amount in
    USD (a foreign document, such as the US entity's sterling bills, at the as-of day's rate, as
    the page converts it)."""
    out: dict[str, dict[str, Decimal]] = {"AR": {}, "AP": {}}
    for kind, bucket, amount in q(
        wh,
        """select a.document_kind, a.aging_bucket,
                                                sum(round(a.open_amount * coalesce(r.rate, 1), 2))
                                         from marts.ar_ap_aging as a
                                         left join intermediate.int_fx_rates_daily as r
                                           on r.currency = a.currency and a.currency <> 'USD'
                                          and r.rate_date = a.as_of_date
                                         where a.entity_id = ? and a.as_of_date = ? group by all""",
        [entity, as_of],
    ):
        out[kind][bucket] = amount
    return out


def test_receivables_aging_equals_the_aging_mart(app, dashboard_env):
    wh = dashboard_env["warehouse"]
    app.switch_page("pages/receivables.py").run()
    app.selectbox(key="entity").set_value("US").run()  # USD documents, and sterling bills converted
    assert not app.exception, [e.message for e in app.exception]
    month_ends = [
        d
        for (d,) in q(
            wh,
            """select distinct as_of_date from marts.ar_ap_aging where is_month_end
                                        and entity_id = 'US' order by 1""",
        )
    ]
    for as_of in (app.date_input(key="aging_as_of").value, month_ends[len(month_ends) // 2]):
        assert as_of in month_ends
        app.date_input(key="aging_as_of").set_value(as_of).run()
        mart = aging_mart(wh, "US", as_of)
        assert mart["AR"], as_of
        assert metric(app, "Open receivables").value == shown_money(sum(mart["AR"].values()))
        assert metric(app, "Receivables overdue").value == shown_money(
            sum(v for b, v in mart["AR"].items() if b != "current")
        )
        assert metric(app, "Open payables").value == shown_money(sum(mart["AP"].values()))
        table = app.dataframe[0].value
        shown = {
            (k, b): Decimal(str(v)) for k, b, v in zip(table["document_kind"], table["bucket"], table["open_amount"])
        }
        assert shown == {(k, b): v for k in mart for b, v in mart[k].items()}
    top = app.dataframe[-1].value
    assert 0 < len(top) <= 10 and list(top["overdue_amount"]) == sorted(top["overdue_amount"], reverse=True)


def test_every_kpi_card_opens_the_documents_it_adds_up_from(app, dashboard_env):
    """Each card's documents (the Overview's "Documents behind a card") add up to the card,
    checked against plain SQL on the marts: bank accounts to cash, revenue postings to
    revenue, bank documents to burn, subscribers to MRR, overdue documents to AR / AP
    overdue; DSO and DPO open the receivables / payables they divide."""
    from ledgerlake import dashboard_data as dd

    wh = dashboard_env["warehouse"]
    month = latest_month(wh)
    app.selectbox(key="entity").set_value("US").run()  # USD: the sums are exact
    f = dd.Filters("US", month, month, "USD")
    marts = dd.Marts()
    revenue, burn, cash, mrr, ar_overdue, ar_open, ap_open = q(
        wh,
        """select revenue, burn, cash_balance, mrr,
        ar_overdue, ar_open, ap_open from marts.finance_kpis_monthly where entity_id = 'US' and period_month = ?""",
        [month],
    )[0]
    expected = {
        "cash_balance": cash,
        "revenue": revenue,
        "burn": burn,
        "mrr": mrr,
        "ar_overdue": ar_overdue,
        "dso_days": ar_open,
        "dpo_days": ap_open,
    }
    for card, total in expected.items():
        app.segmented_control(key="card_drill").set_value(card).run()
        assert not app.exception, [e.message for e in app.exception]
        docs = next(d.value for d in app.dataframe if "amount" in d.value.columns and "source_id" in d.value.columns)
        assert len(docs) > 0, card
        assert sum(Decimal(str(v)) for v in docs["amount"]) == Decimal(total).quantize(Decimal("0.01")), card
        assert docs["source_id"].notna().all(), card
    ap_overdue = dd.card_documents(marts, f, "ap_overdue")
    assert metric(app, "AP overdue").value == shown_money(ap_overdue["amount"].sum())


def test_every_aging_bucket_opens_its_documents(app, dashboard_env):
    """The documents behind each aging bucket add up to that bucket in the aging mart, each
    naming its source record and its resolved party."""
    wh = dashboard_env["warehouse"]
    app.switch_page("pages/receivables.py").run()
    app.selectbox(key="entity").set_value("US").run()
    as_of = app.date_input(key="aging_as_of").value
    mart = aging_mart(wh, "US", as_of)
    for kind in ("AR", "AP"):
        app.segmented_control(key="drill_kind").set_value(kind).run()
        for bucket, amount in mart[kind].items():
            app.selectbox(key="drill_bucket").set_value(bucket).run()
            docs = next(d.value for d in app.dataframe if "days_overdue" in d.value.columns)
            assert sum(Decimal(str(v)) for v in docs["open_amount"]) == amount, (kind, bucket)
            assert docs["source_id"].notna().all() and docs["party"].notna().all()


def test_alerts_acknowledge_resolve_and_raw_click_through(app, dashboard_env):
    wh = dashboard_env["warehouse"]
    from ledgerlake.alerts.state import AlertState

    app.switch_page("pages/alerts.py").run()
    assert not app.exception, [e.message for e in app.exception]
    statuses = live_status(wh)
    assert len(app.dataframe[0].value) == sum(1 for s in statuses.values() if s != "resolved")
    # a planted duplicate vendor payment: its evidence names the payment, its bill and the raw page
    alert_id, evidence = q(
        wh,
        """select alert_id, evidence from forecast.alerts where rule = 'duplicate_payment'
                                  and entity_id = 'US' order by alert_id limit 1""",
    )[0]
    records = json.loads(evidence)
    bill = next(r for r in records if r["record_type"] == "Bill")
    payment = next(r for r in records if r.get("raw_key"))

    app.selectbox(key="alert_pick").set_value(alert_id).run()
    assert statuses[alert_id] == "new"
    app.button(key=f"ack_{alert_id}").click().run()
    assert AlertState.default().status(alert_id) == "acknowledged"
    table = app.dataframe[0].value
    assert list(table[table["alert_id"] == alert_id]["status"]) == ["acknowledged"]

    # Evidence: the mart rows behind it (the bill's ledger lines and AP document) …
    evidence_tables = [d.value for d in app.dataframe[1:]]
    assert any(bill["source_id"] in set(t.get("source_id", [])) for t in evidence_tables)
    # … and, on a click, the raw provider record the payment came from
    index = records.index(payment)
    app.button(key=f"raw_{alert_id}_{index}").click().run()
    raw = [json.loads(j.value) for j in app.json]
    shown = next(r for r in raw if "envelope" in r)
    assert shown["envelope"]["source"] == "qbo"
    payment_id = payment["source_id"].split(":", 1)[1]
    assert str(shown["record"]["Id"]) == payment_id  # the payment, out of the polled page

    app.button(key=f"resolve_{alert_id}").click().run()
    assert AlertState.default().status(alert_id) == "resolved"
    # resolved alerts leave the default view
    assert alert_id not in list(app.dataframe[0].value["alert_id"])


def test_health_page_shows_sources_and_integrity(app, dashboard_env):
    wh = dashboard_env["warehouse"]
    app.switch_page("pages/health.py").run()
    assert not app.exception, [e.message for e in app.exception]
    checks = [
        t
        for (t,) in q(
            wh,
            "select table_name from information_schema.tables "
            "where table_schema = 'marts' and table_name like 'integrity_%'",
        )
    ]
    findings = sum(q(wh, f"select count(*) from marts.{t}")[0][0] for t in checks)
    assert findings > 0  # the simulated company's planted problems
    assert metric(app, "Integrity findings").value == str(findings)
    sources = app.dataframe[0].value
    assert set(sources["source_system"]) == {"stripe", "shopify", "hubspot", "qbo", "xero", "plaid"}
    assert len(sources) == q(wh, "select count(*) from marts.source_health")[0][0]
    # webhook-to-mart latency per source, then dbt source freshness of the just-landed lake
    # (every watched entity, all passing)
    latency = app.dataframe[1].value
    assert "event_to_mart_p95_seconds" in latency.columns and len(latency) > 0
    freshness = app.dataframe[2].value
    assert len(freshness) == q(wh, "select count(*) from ops.source_freshness")[0][0] > 0
    assert set(freshness["status"]) == {"pass"}
    counts = app.dataframe[-1].value
    for table in ("marts.ar_ap_documents", "forecast.alerts"):
        row = counts[counts["table"] == table]
        assert int(row["rows"].iloc[0]) == q(wh, f"select count(*) from {table}")[0][0]


@pytest.mark.parametrize("page", ["overview", "cash", "revenue", "receivables", "alerts", "health", "consolidation"])
def test_every_page_offers_csv_downloads(app, page):
    if page != "overview":
        app.switch_page(f"pages/{page}.py").run()
    assert not app.exception
    buttons = app.get("download_button")
    assert buttons, f"{page} has no CSV download"


def test_a_warehouse_without_the_forecast_says_not_built(tmp_path, dashboard_env, monkeypatch):
    """Edge case, on a copy of the real warehouse: the forecaster has not run yet. The cash
    page says so instead of failing; the overview still shows the marts."""
    import shutil

    import streamlit as st
    from streamlit.testing.v1 import AppTest

    app_path = Path(__file__).resolve().parents[2] / "dashboard" / "app.py"

    copy = tmp_path / "warehouse.duckdb"
    shutil.copyfile(dashboard_env["warehouse"], copy)
    with duckdb.connect(str(copy)) as con:
        con.execute("drop schema forecast cascade")
    monkeypatch.setenv("LEDGERLAKE_WAREHOUSE", str(copy))
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(app_path), default_timeout=60)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert metric(at, "Revenue").value != "—"
    assert any("forecast.alerts" in i.value for i in at.info)
    at.switch_page("pages/cash.py").run()
    assert not at.exception, [e.message for e in at.exception]
    assert any("forecast.cash_forecast_daily" in i.value for i in at.info)


def test_consolidation_page_shows_the_group_statements(app, dashboard_env):
    wh = dashboard_env["warehouse"]
    app.switch_page("pages/consolidation.py").run()
    assert not app.exception, [e.message for e in app.exception]
    pnl, by_month, bs = (app.dataframe[i].value for i in (0, 1, -1))
    # the period's consolidated P&L lines are the mart's months shown, added up
    months = sorted({str(m)[:10] for m in by_month["period_month"]})
    assert months
    want = dict(
        q(
            wh,
            "select pl_line, sum(consolidated_amount) from marts.consolidated_profit_and_loss"
            " where cast(period_month as varchar) between ? and ? group by all",
            [months[0], months[-1]],
        )
    )
    assert {k: Decimal(str(v)) for k, v in zip(pnl["pl_line"], pnl["consolidated_amount"])} == want
    # and the balance sheet balances with the translation adjustment in equity
    for a, li, e, r, cta in zip(
        bs["total_assets"],
        bs["total_liabilities"],
        bs["total_equity"],
        bs["earnings_to_date"],
        bs["translation_adjustment"],
    ):
        assert Decimal(str(a)) == Decimal(str(li)) + Decimal(str(e)) + Decimal(str(r)) + Decimal(str(cta))

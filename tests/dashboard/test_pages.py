"""Every page, run through Streamlit's AppTest: what it shows equals the marts.

Expected values are computed here with plain, independent SQL against the warehouse (not
through ledgerlake.dashboard_data), then formatted the way a reader sees them.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal

import duckdb
import pytest


def q(warehouse, sql, params=None):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def shown_money(amount, symbol="$"):
    amount = Decimal(amount).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
    return f"{'-' if amount < 0 else ''}{symbol}{abs(amount):,.0f}"


def metric(at, label):
    found = [m for m in at.metric if m.label == label]
    assert found, f"no metric {label!r}; have {[m.label for m in at.metric]}"
    return found[0]


def latest_month(wh):
    return q(wh, "select max(period_month) from marts.finance_kpis_monthly")[0][0]


def test_overview_kpis_equal_the_finance_mart(app, dashboard_env):
    wh = dashboard_env["warehouse"]
    month = latest_month(wh)
    prev = q(wh, "select max(period_month) from marts.finance_kpis_monthly where period_month < ?", [month])[0][0]
    cur_row, prev_row = (
        q(wh, """select sum(revenue), sum(burn), sum(cash_balance), sum(mrr), sum(ar_overdue),
                        sum(dso_days * revenue) / sum(revenue)
                 from marts.finance_kpis_monthly where period_month = ?""", [m])[0]
        for m in (month, prev)
    )
    assert metric(app, "Revenue").value == shown_money(cur_row[0])
    assert metric(app, "Burn").value == shown_money(cur_row[1])
    assert metric(app, "Cash").value == shown_money(cur_row[2])
    assert metric(app, "MRR").value == shown_money(cur_row[3])
    assert metric(app, "AR overdue").value == shown_money(cur_row[4])
    # group runway = cash ÷ burn for a one-month period; DSO weighted by revenue
    runway = (cur_row[2] / cur_row[1]).quantize(Decimal("0.1"))
    assert metric(app, "Runway").value == f"{runway} months"
    assert metric(app, "DSO").value == f"{Decimal(cur_row[5]).quantize(Decimal('0.1'))} days"
    change = (cur_row[0] - prev_row[0]) / abs(prev_row[0]) * 100
    assert metric(app, "Revenue").delta.startswith(f"{change:+.1f}%")
    alerts = q(wh, "select count(*) from forecast.alerts where status <> 'resolved'")[0][0]
    assert metric(app, "Open alerts").value == str(alerts)


def test_overview_entity_and_currency_filters(app, dashboard_env):
    wh = dashboard_env["warehouse"]
    month = latest_month(wh)
    app.selectbox(key="entity").set_value("UK").run()
    uk_revenue = q(wh, "select revenue from marts.finance_kpis_monthly where entity_id = 'UK' and period_month = ?",
                   [month])[0][0]
    assert metric(app, "Revenue").value == shown_money(uk_revenue)
    # In GBP: USD amounts ÷ the GBP→USD rate at month end (within a pound of rounding).
    app.selectbox(key="currency").set_value("GBP").run()
    assert not app.exception
    rate = q(wh, "select rate from intermediate.int_fx_rates_daily where currency = 'GBP' and rate_date = last_day(?::date)",
             [month])[0][0]
    shown = Decimal(metric(app, "Revenue").value.lstrip("£").replace(",", ""))
    assert abs(shown - uk_revenue / rate) <= 1


def test_overview_quarter_adds_flows_and_takes_stocks_at_the_end(app, dashboard_env):
    wh = dashboard_env["warehouse"]
    app.session_state["granularity"] = "Quarter"
    app.run()
    period = app.selectbox(key="period_Quarter")
    label = period.value
    start, end = q(wh, "select min(period_month), max(period_month) from marts.finance_kpis_monthly")[0]
    # the newest fiscal quarter (April start): Apr–Jun 2025 for data ending June 2025
    assert label.startswith("FQ1 Apr")
    rev, cash = q(wh, """select sum(revenue), sum(cash_balance) filter (where period_month = ?)
                         from marts.finance_kpis_monthly where period_month between ? and ?""",
                  [end, date(end.year, 4, 1), end])[0]
    assert metric(app, "Revenue").value == shown_money(rev)
    assert metric(app, "Cash").value == shown_money(cash)


def test_cash_page_shows_the_forecast_and_floor(app, dashboard_env):
    wh = dashboard_env["warehouse"]
    app.switch_page("pages/cash.py").run()
    assert not app.exception, [e.message for e in app.exception]
    p10, p50, p90 = q(wh, """select balance_p10, balance_p50, balance_p90 from forecast.cash_forecast_daily
                            where entity = 'consolidated' order by date desc limit 1""")[0]
    assert metric(app, "Cash in 13 weeks (p50)").value == shown_money(p50)
    assert metric(app, "Downside (p10)").value == shown_money(p10)
    assert metric(app, "Upside (p90)").value == shown_money(p90)
    assert metric(app, "Cash floor").value == shown_money(Decimal("100000"))  # the alerts' default floor
    accuracy = app.dataframe[0].value
    assert len(accuracy) == q(wh, "select count(*) from forecast.forecast_accuracy")[0][0]
    days = q(wh, "select count(*) from forecast.cash_forecast_daily where entity = 'consolidated'")[0][0]
    assert days == 91 and len(app.dataframe[-1].value) == days  # the daily table in the expander


def test_revenue_page_equals_revenue_marts(app, dashboard_env):
    wh = dashboard_env["warehouse"]
    month = latest_month(wh)
    app.switch_page("pages/revenue.py").run()
    assert not app.exception, [e.message for e in app.exception]
    revenue = q(wh, "select sum(revenue_reporting) from marts.revenue_by_month where period_month = ?", [month])[0][0]
    assert metric(app, "Revenue in the period").value == shown_money(revenue)
    weighted = q(wh, "select sum(weighted_amount * coalesce(r.rate, 1)) from marts.crm_deals d "
                     "left join intermediate.int_fx_rates_daily r on r.currency = d.currency "
                     "and r.rate_date = (select max(rate_date) from intermediate.int_fx_rates_daily) "
                     "where not is_closed")[0][0]
    shown = Decimal(metric(app, "Open pipeline, weighted").value.lstrip("$").replace(",", ""))
    assert abs(shown - weighted) <= 1


def open_at(wh, kind, as_of, overdue_only=False):
    return q(wh, f"""
        select coalesce(sum(d.total_amount - coalesce((select sum(amount) from intermediate.int_allocations a
                         where a.document_key = d.document_key and a.applied_on <= ?), 0)), 0)
        from marts.ar_ap_documents d
        where d.document_kind = ? and d.issued_on <= ? and not d.is_voided and not d.is_deleted
          and d.currency = 'USD' {"and d.due_date < ?" if overdue_only else ""}""",
        [as_of, kind, as_of] + ([as_of] if overdue_only else []))[0][0]


def test_receivables_aging_as_of_a_date(app, dashboard_env):
    wh = dashboard_env["warehouse"]
    app.switch_page("pages/receivables.py").run()
    app.selectbox(key="entity").set_value("US").run()  # USD documents: no conversion in play
    assert not app.exception, [e.message for e in app.exception]
    as_of = app.date_input(key="aging_as_of").value
    assert metric(app, "Open receivables").value == shown_money(open_at(wh, "AR", as_of))
    assert metric(app, "Receivables overdue").value == shown_money(open_at(wh, "AR", as_of, overdue_only=True))
    assert metric(app, "Open payables").value == shown_money(open_at(wh, "AP", as_of))
    earlier = date(2025, 1, 31)
    app.date_input(key="aging_as_of").set_value(earlier).run()
    assert metric(app, "Open receivables").value == shown_money(open_at(wh, "AR", earlier))
    top = app.dataframe[-1].value
    assert 0 < len(top) <= 10 and list(top["overdue_amount"]) == sorted(top["overdue_amount"], reverse=True)


def test_alerts_acknowledge_resolve_and_raw_click_through(app, dashboard_env):
    wh = dashboard_env["warehouse"]
    from ledgerlake.alerts.state import AlertState

    app.switch_page("pages/alerts.py").run()
    assert not app.exception, [e.message for e in app.exception]
    total = q(wh, "select count(*) from forecast.alerts")[0][0]
    assert len(app.dataframe[0].value) == total

    app.selectbox(key="alert_pick").set_value("al_dup_payment").run()
    app.button(key="ack_al_dup_payment").click().run()
    assert AlertState.default().status("al_dup_payment") == "acknowledged"
    assert "acknowledged" in list(app.dataframe[0].value["status"])

    # Evidence: the mart row behind it, then the raw provider record on a click.
    evidence_tables = [d.value for d in app.dataframe[1:]]
    assert any("AP-US-17-3" in set(t.get("source_id", [])) for t in evidence_tables)
    app.button(key="raw_al_dup_payment_0").click().run()
    raw = [j.value for j in app.json]
    assert any('"Id": "AP-US-17-3"' in v or '"Id":"AP-US-17-3"' in v for v in raw), raw

    app.button(key="resolve_al_dup_payment").click().run()
    assert AlertState.default().status("al_dup_payment") == "resolved"
    # resolved alerts leave the default view
    assert "al_dup_payment" not in list(app.dataframe[0].value["alert_id"])


def test_health_page_shows_sources_and_integrity(app, dashboard_env):
    wh = dashboard_env["warehouse"]
    app.switch_page("pages/health.py").run()
    assert not app.exception, [e.message for e in app.exception]
    checks = [t for (t,) in q(wh, "select table_name from information_schema.tables "
                                  "where table_schema = 'marts' and table_name like 'integrity_%'")]
    findings = sum(q(wh, f"select count(*) from marts.{t}")[0][0] for t in checks)
    assert metric(app, "Integrity findings").value == str(findings)
    sources = app.dataframe[0].value
    assert len(sources) == q(wh, "select count(*) from marts.source_health")[0][0]
    counts = app.dataframe[-1].value
    row = counts[counts["table"] == "marts.ar_ap_documents"]
    assert int(row["rows"].iloc[0]) == q(wh, "select count(*) from marts.ar_ap_documents")[0][0]


@pytest.mark.parametrize("page", ["overview", "cash", "revenue", "receivables", "alerts", "health"])
def test_every_page_offers_csv_downloads(app, page):
    if page != "overview":
        app.switch_page(f"pages/{page}.py").run()
    assert not app.exception
    buttons = app.get("download_button")
    assert buttons, f"{page} has no CSV download"

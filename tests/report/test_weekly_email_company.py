"""The weekly email on the simulated company's real build (tests/conftest.py's
`built_company`: landed, built by dbt, forecast): every number it renders equals the marts,
read here with independent SQL."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from test_weekly_email import _Cells, _settings

from ledgerlake.analyst import connect
from ledgerlake.figures import live_alert_entries
from ledgerlake.report import formatting as fmt
from ledgerlake.report import weekly_email
from ledgerlake.report.queries import METRICS


@pytest.fixture(scope="module")
def company_conn(built_company):
    c = connect(built_company["warehouse"], source="warehouse", lake=False)
    yield c
    c.close()


def _last_whole_week(conn):
    """The newest week the mart holds all seven days of, and the Monday after it."""
    week = conn.execute("select max(week_start) from marts.finance_kpis_weekly where is_complete").fetchone()[0]
    return week, week + timedelta(days=7)


def test_email_numbers_equal_the_marts(company_conn, monkeypatch):
    conn = company_conn
    week, monday = _last_whole_week(conn)
    mail = weekly_email(conn, as_of=monday, settings=_settings(monkeypatch))
    assert mail.report.week_start == week and mail.report.currency == "USD"
    cells = _Cells()
    cells.feed(mail.rendered.html)
    for m in METRICS:
        found = dict(
            conn.execute(
                f"select week_start, {m.column} from marts.finance_kpis_weekly where week_start between ? and ?",
                [week - timedelta(days=28), week],
            ).fetchall()
        )
        current, prior = found[week], found[week - timedelta(days=7)]
        before = [found[week - timedelta(days=7 * k)] for k in range(1, 5)]
        before = [v for v in before if v is not None]
        avg4 = sum(before, Decimal(0)) / len(before) if before else None
        shown = [fmt.value(v, m.unit, "USD") for v in (current, prior, avg4)]
        assert [cells.cells[(m.column, c)] for c in ("current", "prior", "avg4")] == shown, m.column
        line = next(line for line in mail.rendered.text.splitlines() if line.startswith(m.label + " "))
        assert shown[0] in line, (m.label, line)
    # the company has revenue and cash every week: no blank KPI where it matters
    for column in ("revenue", "collections", "cash_balance"):
        assert cells.cells[(column, "current")] not in ("—", "n/a", ""), column


def test_email_cash_chart_and_forecast_equal_the_marts(company_conn, monkeypatch):
    conn = company_conn
    _, monday = _last_whole_week(conn)
    mail = weekly_email(conn, as_of=monday, settings=_settings(monkeypatch))
    as_of = conn.execute("select max(as_of) from forecast.cash_forecast_daily").fetchone()[0]
    actuals = conn.execute(
        """select date, cash_balance from marts.finance_kpis_daily
                              where date between ? and ? and cash_balance is not null order by date""",
        [as_of - timedelta(days=91), as_of],
    ).fetchall()
    assert mail.report.cash_actuals == actuals and len(actuals) == 92
    forecast = conn.execute(
        """select forecast_date, p50, p10, p90 from forecast.cash_forecast_daily
                               where entity_id = 'consolidated' and as_of = ? order by forecast_date""",
        [as_of],
    ).fetchall()
    assert len(forecast) == 91 and forecast[-1][0] == as_of + timedelta(days=91)
    assert [(p["date"], p["cash"], p["cash_lower"], p["cash_upper"]) for p in mail.report.forecast] == forecast
    end, cash, low, high = forecast[-1]  # cash in 13 weeks: as_of + 91 days, as on the dashboard
    expected = (
        f"Cash in 13 weeks, on {end:%d %b %Y}: {fmt.money(cash, 'USD')} "
        f"(range {fmt.money(low, 'USD')} to {fmt.money(high, 'USD')})"
    )
    assert expected in mail.rendered.text


def test_email_alerts_and_health_equal_the_marts(company_conn, monkeypatch):
    conn = company_conn
    week, monday = _last_whole_week(conn)
    mail = weekly_email(conn, as_of=monday, settings=_settings(monkeypatch))
    zone = ZoneInfo("America/New_York")
    start, end = datetime.combine(week, time(0), zone), datetime.combine(monday, time(0), zone)
    raised = [
        a
        for (a,) in conn.execute(
            "select alert_id from forecast.alerts where raised_at >= ? and raised_at < ?", [start, end]
        ).fetchall()
    ]
    assert sorted(a["alert_id"] for a in mail.report.alerts) == sorted(raised)
    # every open high alert is listed, whatever its age (the forecaster raised them after the
    # company's last simulated week, so none is "new" in it: the email still shows them)
    status = dict(conn.execute("select alert_id, status from forecast.alerts").fetchall())
    status.update({k: v["status"] for k, v in (live_alert_entries() or {}).items() if k in status})
    high = conn.execute("select alert_id from forecast.alerts where severity = 'high'").fetchall()
    open_high = {a for (a,) in high if status[a] != "resolved"} - set(raised)
    assert open_high, "the demo company has open high alerts"
    assert {a["alert_id"] for a in mail.report.open_high} == open_high
    assert mail.report.open_count == sum(1 for s in status.values() if s != "resolved")
    for a in open_high:
        assert f'data-alert="{a}" data-list="open-high"' in mail.rendered.html
    sources = conn.execute("""select source_system, max(last_event_received_at), max(last_poll_succeeded_at)
                              from marts.source_health group by 1 order by 1""").fetchall()
    assert [h.source for h in mail.report.health] == [s for s, _, _ in sources]
    assert len(sources) == 6
    for h, (_, event, poll) in zip(mail.report.health, sources):
        assert (h.last_event_at, h.last_poll_at) == (event, poll)
        assert h.status != "no data"  # every source landed something

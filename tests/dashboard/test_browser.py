"""`ledgerlake dashboard` served for real, every page loaded in headless Chromium: real
content rendered (Streamlit draws over a websocket, so we wait for each page's heading and
a metric or table), no error element, one screenshot per page kept in tests/artifacts/.

One server and one browser for the whole module (browser tests are the slow ones): the
pages, then the figures a CFO reads on two surfaces (dashboard and weekly email) read off
the rendered pages and compared, then the Statements page against the marts.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from ledgerlake.bench.dashboard import (
    CHROMIUM,
    CHROMIUM_ARGS,
    free_port,
    serve_dashboard,
    stop,
    wait_for_port,
    wait_until_ready,
)

PAGES = [
    ("", "Overview", "Runway"),
    ("cash", "Cash", "Backtest accuracy"),
    ("revenue", "Revenue & pipeline", "Revenue in the period"),
    ("statements", "Statements", "Profit and loss"),
    ("budgets", "Budget vs actual", "By account, largest variance first"),
    ("consolidation", "Consolidation", "Balance sheet"),
    ("receivables", "Receivables & payables", "Open receivables"),
    ("alerts", "Alerts", "Alert detail"),
    ("health", "Integration health", "Integrity findings"),
]

METRICS_JS = """() => Object.fromEntries([...document.querySelectorAll('[data-testid="stMetric"]')].map(m => [
    m.querySelector('[data-testid="stMetricLabel"]').innerText.trim(),
    {value: m.querySelector('[data-testid="stMetricValue"]').innerText.trim(),
     delta: (m.querySelector('[data-testid="stMetricDelta"]') || {innerText: ''}).innerText.trim()}]))"""


@pytest.fixture(scope="module")
def company_budget(dashboard_env, tmp_path_factory):
    """An FP&A budget for the simulated company, imported the way a user does it
    (`ledgerlake budgets import`) and built into the dashboard's warehouse: each P&L
    account's actuals of the last three months, 10 % up for revenue and 5 % down for costs
    (a plan the company missed), as the CSV a finance team keeps. Removed from the company's
    lake afterwards (other tests compare build fingerprints)."""
    from ledgerlake.budgets import Chart, import_file
    from ledgerlake.config import Settings
    from ledgerlake.lake import Lake
    from ledgerlake.transform.runner import run_dbt

    wh = dashboard_env["warehouse"]
    with duckdb.connect(str(wh), read_only=True) as con:
        rows = con.execute("""
            select g.entity_id, coalesce(a.account_code, a.account_name), strftime(g.period_month, '%Y-%m'),
                   g.account_class,
                   sum(case when g.account_class = 'revenue' then -g.functional_amount else g.functional_amount end)
            from marts.general_ledger g join intermediate.int_ledger_accounts a using (entity_id, account_key)
            where g.account_class in ('revenue', 'expense') and g.period_month in (
                select distinct period_month from marts.finance_kpis_monthly order by period_month desc limit 3)
            group by 1, 2, 3, 4 order by 1, 2, 3""").fetchall()
    path = tmp_path_factory.mktemp("budget") / "fy-plan.csv"
    plan = {"revenue": Decimal("1.10"), "expense": Decimal("0.95")}
    path.write_text(
        "entity,account,month,amount\n"
        + "".join(f"{e},{a},{m},{actual * plan[cls]:.2f}\n" for e, a, m, cls, actual in rows)
    )
    lake = Lake()
    done = import_file(path, Chart.from_warehouse(wh), lake, name="FY plan", by="fpa@example.com")
    try:
        ok, _ = run_dbt(["build", "--select", "stg_reference__budgets", "budget_vs_actual"], Settings.from_env(), wh)
        assert ok
        yield "FY plan"
    finally:
        for key in (done.key, done.history_key):
            lake.s3.delete_object(Bucket=lake.bucket, Key=key)


@pytest.fixture(scope="module")
def company_scenarios(dashboard_env):
    """Two what-ifs saved as `ledgerlake scenarios add` saves them, applied to the company's live
    forecast the way the forecaster applies them (forecast.scenarios.apply_scenarios) and
    written to the dashboard's warehouse as `forecast.cash_scenarios`."""
    from ledgerlake.forecast.scenarios import Scenario, apply_scenarios, save_scenarios, scenarios_path

    result = dashboard_env["company"]["forecast"]
    daily = result.cash_forecast_daily
    as_of = daily["as_of"][0]
    scenarios = [
        Scenario(
            "Hire two engineers",
            [{"kind": "hire", "entity": "US", "start": str(as_of + timedelta(days=14)), "monthly_cost": 24000}],
        ),
        Scenario("Pipeline haircut 40 %", [{"kind": "pipeline_haircut", "entity": "US", "pct": 40}]),
    ]
    path = scenarios_path(Path(dashboard_env["env"]["LEDGERLAKE_HOME"]))
    saved_file = path.read_bytes() if path.exists() else None
    save_scenarios(path, scenarios)
    frame = apply_scenarios(scenarios, daily, result.flows, result.open_ar, result.fx_to_reporting)
    assert frame.height and set(frame["scenario"]) == {s.name for s in scenarios}
    with duckdb.connect(str(dashboard_env["warehouse"])) as con:
        had_table = con.execute(
            "select count(*) from information_schema.tables where table_schema = 'forecast' "
            "and table_name = 'cash_scenarios'"
        ).fetchone()[0]
        if had_table:
            con.execute(
                "create or replace table forecast.cash_scenarios_before as select * from forecast.cash_scenarios"
            )
        con.register("scenario_frame", frame.to_arrow())
        con.execute("create or replace table forecast.cash_scenarios as select * from scenario_frame")
    yield [s.name for s in scenarios]
    # put the shared company back as it was: later modules (test_pages' Cash page) read it
    with duckdb.connect(str(dashboard_env["warehouse"])) as con:
        if had_table:
            con.execute(
                "create or replace table forecast.cash_scenarios as select * from forecast.cash_scenarios_before"
            )
            con.execute("drop table forecast.cash_scenarios_before")
        else:
            con.execute("drop table forecast.cash_scenarios")
    if saved_file is None:
        path.unlink(missing_ok=True)
    else:
        path.write_bytes(saved_file)


@pytest.fixture(scope="module")
def browser_page(dashboard_env, company_budget, company_scenarios):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} missing: `make browser` installs it")
    from playwright.sync_api import sync_playwright

    port = free_port()
    proc = serve_dashboard(port, dict(os.environ, **dashboard_env["env"]))
    try:
        wait_for_port(port)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            yield {"page": page, "url": f"http://127.0.0.1:{port}", "proc": proc}
            browser.close()
    finally:
        stop(proc)


def _open(page, url, heading, marker):
    page.goto(url)
    page.get_by_role("heading", name=heading, exact=True).first.wait_for(timeout=60000)
    page.get_by_text(marker, exact=True).first.wait_for(timeout=60000)
    page.wait_for_load_state("networkidle")
    # a loaded machine shows grey skeletons while the script still runs: wait for the elements
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stSkeleton\"]')", timeout=60000)
    page.wait_for_timeout(1000)  # charts draw after the data arrives


def _errors(page):
    return page.locator("[data-testid='stException'], [data-testid='stAlertContentError']")


@pytest.mark.browser
@pytest.mark.slow
def test_every_page_renders_in_chromium(browser_page, artifacts_dir):
    page, url, proc = browser_page["page"], browser_page["url"], browser_page["proc"]
    for path, heading, marker in PAGES:
        _open(page, f"{url}/{path}", heading, marker)
        page.screenshot(path=str(artifacts_dir / f"dashboard-{path or 'overview'}.png"), full_page=True)
        assert _errors(page).count() == 0, f"{heading}: {_errors(page).first.inner_text()}"
    # The server's own warm-up visit (commands/dashboard.py) ran the Overview to the end
    # over the same websocket protocol the browser speaks.
    wait_until_ready(proc, timeout=60)
    ready = [line for line in proc.output if line.startswith("ledgerlake dashboard: ready")]
    assert "warm-up failed" not in ready[0], ready[0]


@pytest.mark.browser
@pytest.mark.slow
def test_dashboard_and_email_show_the_same_figures(browser_page, dashboard_env, artifacts_dir, tmp_path):
    """Cash, cash in 13 weeks (figure and date), last month's revenue and the open alerts
    (and how many are high), read off the rendered Overview and Cash page and off the
    weekly email's HTML in the same browser: equal, and equal to the marts."""
    from ledgerlake.analyst import connect
    from ledgerlake.figures import live_alert_entries
    from ledgerlake.report import formatting as fmt
    from ledgerlake.report import weekly_email, write_local

    page, url = browser_page["page"], browser_page["url"]
    _open(page, url + "/", "Overview", "Runway")
    overview = page.evaluate(METRICS_JS)
    _open(page, url + "/cash", "Cash", "Backtest accuracy")
    cash_page = page.evaluate(METRICS_JS)

    wh = dashboard_env["warehouse"]
    conn = connect(wh, source="warehouse", lake=False)
    try:
        monday = conn.execute(
            "select max(week_start) + interval 7 day from marts.finance_kpis_weekly where is_complete"
        ).fetchone()[0]
        mail = weekly_email(
            conn, as_of=monday.date() if hasattr(monday, "date") else monday, live_alerts=live_alert_entries()
        )
        as_of = conn.execute("select max(as_of) from forecast.cash_forecast_daily").fetchone()[0]
        p50 = conn.execute(
            "select p50 from forecast.cash_forecast_daily where entity_id = 'consolidated' "
            "and as_of = ? and forecast_date = ?",
            [as_of, as_of + timedelta(days=91)],
        ).fetchone()[0]
        cash = conn.execute("select cash_balance from marts.finance_kpis_daily where date = ?", [as_of]).fetchone()[0]
    finally:
        conn.close()
    paths = write_local(mail, tmp_path)
    page.goto(paths["html"].as_uri())
    page.screenshot(path=str(artifacts_dir / "weekly-email-company.png"), full_page=True)
    email = page.evaluate("""() => Object.fromEntries([...document.querySelectorAll('[data-figure]')]
                                   .map(e => [e.dataset.figure, e.innerText.trim()]))""")
    email_text = page.inner_text("body")

    horizon = as_of + timedelta(days=91)
    h = mail.report.headline
    # the marts' own figures, independently
    assert email["cash_13w"] == fmt.money(p50, "USD") and email["cash"] == fmt.money(cash, "USD")
    assert f"Cash in 13 weeks ({horizon:%d %b %Y})" in email_text
    # the dashboard shows the same text for each
    assert overview[f"Cash, {as_of:%d %b %Y}"]["value"] == email["cash"]
    assert overview[f"Cash in 13 weeks ({horizon:%d %b %Y})"]["value"] == email["cash_13w"]
    shown = cash_page.get(f"Cash in 13 weeks on {horizon:%d %b %Y} (p50)", {})
    assert shown.get("value") == email["cash_13w"], cash_page
    assert overview[f"Revenue, {h.revenue_month:%b %Y}"]["value"] == email["revenue"]
    alerts = overview["Open alerts, all entities"]
    assert alerts["value"] == email["open_alerts"] and alerts["delta"] == email["open_high"]
    assert int(email["open_alerts"]) == mail.report.open_count > 0
    # the Overview's month card for the same month (its own query) agrees with the headline revenue
    month_revenue = Decimal(email["revenue"].lstrip("$").replace(",", ""))
    assert month_revenue > 0


@pytest.mark.browser
@pytest.mark.slow
def test_statements_page_balances_and_equals_the_marts(browser_page, dashboard_env, artifacts_dir):
    """The Statements page for the latest whole month: the balance sheet's difference line is
    zero and its totals equal marts.balance_sheet; the P&L's net income and totals equal
    marts.profit_and_loss; screenshots of every tab."""
    from ledgerlake.report import formatting as fmt

    page, url = browser_page["page"], browser_page["url"]
    _open(page, url + "/statements", "Statements", "Profit and loss")
    wh = dashboard_env["warehouse"]
    with duckdb.connect(str(wh), read_only=True) as con:
        month = con.execute("select max(period_month) from marts.finance_kpis_monthly").fetchone()[0]
        pnl = dict(
            con.execute(
                "select pl_line, sum(reporting_amount) from marts.profit_and_loss where period_month = ? group by 1",
                [month],
            ).fetchall()
        )
    net = (
        pnl.get("revenue", 0)
        - pnl.get("cost_of_sales", 0)
        - pnl.get("operating_expense", 0)
        + pnl.get("other_income", 0)
        + pnl.get("fx_realised", 0)
        + pnl.get("fx_unrealised", 0)
    )
    page.get_by_text("Net income", exact=False).first.wait_for(timeout=60000)
    page.wait_for_timeout(1000)
    metrics = page.evaluate(METRICS_JS)
    label = next(k for k in metrics if k.startswith("Net income") and "accrual" in k)
    assert metrics[label]["value"] == fmt.money(net, "USD")
    grid = page.locator("[data-testid='stDataFrame']").first
    grid.wait_for(timeout=30000)
    page.screenshot(path=str(artifacts_dir / "dashboard-statements-pnl.png"), full_page=True)
    for tab, shot in (("Balance sheet", "bs"), ("Cash flow", "cash-flow"), ("Trial balance", "trial-balance")):
        page.get_by_role("tab", name=tab).click()
        page.wait_for_timeout(2500)
        page.screenshot(path=str(artifacts_dir / f"dashboard-statements-{shot}.png"), full_page=True)
        assert _errors(page).count() == 0, f"{tab}: {_errors(page).first.inner_text()}"
    page.get_by_role("tab", name="Balance sheet").click()
    page.get_by_text("(balances", exact=False).first.wait_for(timeout=30000)
    # the Excel workbook downloads
    page.get_by_role("tab", name="Profit and loss").click()
    with page.expect_download(timeout=60000) as download:
        page.get_by_role("button", name="Download all statements (Excel)").click()
    target = artifacts_dir / "statements.xlsx"
    download.value.save_as(str(target))
    assert target.read_bytes()[:2] == b"PK"  # an OOXML (zip) workbook


@pytest.mark.browser
@pytest.mark.slow
def test_overview_cards_open_their_documents_and_a_quarter_to_date_says_so(browser_page, dashboard_env, artifacts_dir):
    """Clicking a card's name under "Documents behind a card" lists the records behind it,
    and their total is the card's figure; the current quarter, when the data ends inside it,
    is compared with the same days of the quarter before and says "QTD vs same days"."""
    page, url = browser_page["page"], browser_page["url"]
    _open(page, url + "/", "Overview", "Runway")
    cards = page.evaluate(METRICS_JS)
    for label in ("Cash", "Revenue", "Burn", "MRR", "AR overdue", "DSO", "Runway"):
        page.locator("[data-testid='stButtonGroup'] button", has_text=label).last.click()
        caption = page.get_by_text(re.compile(f"^{re.escape(label)}: .* rows, ")).last
        caption.wait_for(timeout=30000)
        page.wait_for_timeout(500)
        if label in ("Cash", "Revenue", "Burn", "MRR", "AR overdue"):
            assert f"rows, {cards[label]['value']} ·" in caption.inner_text(), (label, caption.inner_text())
        if label in ("Burn", "Cash"):
            page.screenshot(
                path=str(artifacts_dir / f"dashboard-overview-documents-{label.lower()}.png"), full_page=True
            )
        assert _errors(page).count() == 0, f"{label}: {_errors(page).first.inner_text()}"
    with duckdb.connect(str(dashboard_env["warehouse"]), read_only=True) as con:
        last_month, complete = con.execute("""select max(period_month), bool_and(is_complete) filter
            (where period_month = (select max(period_month) from marts.finance_kpis_monthly))
            from marts.finance_kpis_monthly""").fetchone()
    page.locator("[data-testid='stButtonGroup'] button", has_text="Quarter").first.click()
    page.get_by_text("Documents behind a card").first.wait_for(timeout=30000)
    page.wait_for_timeout(2000)
    quarter_ends = last_month.month in (3, 6, 9, 12)  # fiscal quarters from April
    deltas = page.evaluate(METRICS_JS)
    if complete and quarter_ends:
        assert deltas["Revenue"]["delta"].endswith("vs previous period")
    else:
        assert deltas["Revenue"]["delta"].endswith("QTD vs same days"), deltas["Revenue"]
        assert page.get_by_text("Quarter to date (QTD)", exact=False).count() > 0
    page.screenshot(path=str(artifacts_dir / "dashboard-overview-quarter.png"), full_page=True)


@pytest.mark.browser
@pytest.mark.slow
def test_budget_vs_actual_page_equals_the_mart(browser_page, dashboard_env, company_budget, artifacts_dir):
    """The Budget vs actual page for the latest whole month: revenue and expenses, actual and
    budget, equal marts.budget_vs_actual (reporting currency); a screenshot."""
    from ledgerlake.report import formatting as fmt

    page, url = browser_page["page"], browser_page["url"]
    _open(page, url + "/budgets", "Budget vs actual", "By account, largest variance first")
    with duckdb.connect(str(dashboard_env["warehouse"]), read_only=True) as con:
        month = con.execute("select max(period_month) from marts.finance_kpis_monthly").fetchone()[0]
        sums = {
            cls: (b, a)
            for cls, b, a in con.execute(
                """select account_class, sum(budget_amount_reporting), sum(actual_amount_reporting)
               from marts.budget_vs_actual where budget_name = ? and period_month = ? group by 1""",
                [company_budget, month],
            ).fetchall()
        }
    page.get_by_text("Expenses vs budget", exact=True).first.wait_for(timeout=60000)
    page.wait_for_timeout(1000)
    metrics = page.evaluate(METRICS_JS)
    if not sums:  # the latest month is past the budget's months: pick the budget's last month
        page.screenshot(path=str(artifacts_dir / "dashboard-budgets.png"), full_page=True)
        pytest.fail(f"the budget has no line for {month}")
    for label, cls in (("Revenue vs budget", "revenue"), ("Expenses vs budget", "expense")):
        budget, actual = sums[cls]
        assert metrics.get(label, {}).get("value") == fmt.money(actual, "USD"), (label, metrics)
        assert metrics[label]["delta"].endswith(f"vs {fmt.money(budget, 'USD')}"), (label, metrics[label])
    page.screenshot(path=str(artifacts_dir / "dashboard-budgets.png"), full_page=True)
    assert _errors(page).count() == 0


@pytest.mark.browser
@pytest.mark.slow
def test_statements_pnl_filtered_by_class_equals_the_mart(browser_page, dashboard_env, artifacts_dir):
    """The Statements page's Class filter: picking the business line with the most revenue in
    the latest whole month shows that class's net income, equal to marts.profit_and_loss's
    rows for it (reporting currency); a screenshot of the filtered P&L."""
    from ledgerlake.report import formatting as fmt

    page, url = browser_page["page"], browser_page["url"]
    _open(page, url + "/statements", "Statements", "Profit and loss")
    with duckdb.connect(str(dashboard_env["warehouse"]), read_only=True) as con:
        month = con.execute("select max(period_month) from marts.finance_kpis_monthly").fetchone()[0]
        klass, net = con.execute(
            """select class_name,
                      sum(case when pl_line in ('revenue', 'other_income', 'fx_realised', 'fx_unrealised')
                               then reporting_amount else -reporting_amount end)
               from marts.profit_and_loss where period_month = ? and class_name is not null
               group by 1 order by sum(case when pl_line = 'revenue' then reporting_amount else 0 end) desc
               limit 1""",
            [month],
        ).fetchone()
    page.get_by_role("combobox", name="Class", exact=True).click()  # Streamlit's selectbox: a combobox
    page.get_by_role("option", name=klass, exact=True).click()
    label = page.get_by_text(f"class {klass}", exact=False).first
    label.wait_for(timeout=60000)
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(1500)
    metrics = page.evaluate(METRICS_JS)
    shown = next(k for k in metrics if k.startswith("Net income") and f"class {klass}" in k)
    assert metrics[shown]["value"] == fmt.money(net, "USD"), (shown, metrics[shown], net)
    page.screenshot(path=str(artifacts_dir / "dashboard-statements-pnl-by-class.png"), full_page=True)


@pytest.mark.browser
@pytest.mark.slow
def test_consolidation_and_scenarios_show_in_the_browser(browser_page, dashboard_env, company_scenarios, artifacts_dir):
    """The Consolidation page (the group's P&L, FX lines of their own, and balance sheet with its
    eliminations) and the Cash page's saved scenarios beside the base forecast, compared side by
    side at weeks 4, 8 and 13; a screenshot of each."""
    page, url = browser_page["page"], browser_page["url"]
    _open(page, url + "/consolidation", "Consolidation", "Balance sheet")
    page.get_by_text("Download the consolidated balance sheet (CSV)", exact=True).first.wait_for(timeout=60000)
    page.get_by_text("open receivables and payables between the entities", exact=False).first.wait_for(timeout=6000)
    page.screenshot(path=str(artifacts_dir / "dashboard-consolidation.png"), full_page=True)
    assert _errors(page).count() == 0
    with duckdb.connect(str(dashboard_env["warehouse"]), read_only=True) as con:
        lines = {
            r[0] for r in con.execute("select distinct pl_line from marts.consolidated_profit_and_loss").fetchall()
        }
    assert {"fx_realised", "fx_unrealised"} <= lines, lines

    _open(page, url + "/cash", "Cash", "Scenarios")
    page.get_by_text("Cash at weeks 4, 8 and 13", exact=False).first.wait_for(timeout=60000)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stSkeleton\"]')", timeout=60000)
    page.wait_for_timeout(1500)  # the scenario chart draws after its data
    page.screenshot(path=str(artifacts_dir / "dashboard-cash-scenarios.png"), full_page=True)
    assert _errors(page).count() == 0

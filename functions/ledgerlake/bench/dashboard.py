"""Dashboard benchmark: time to first render of the Overview and server memory, by scale.

    python -m ledgerlake.bench dashboard [--quick] [--warehouse PATH]

For each scale it builds a warehouse with the marts' table names (the synthetic one below,
or the real build with --warehouse), serves `ledgerlake dashboard` on a free port, opens
the Overview in headless Chromium and measures from navigation to the KPI cards being on
screen (cold: the server's first session, no cache), then a warm second load, and the
server's peak resident memory. Writes `## Dashboard` in docs/benchmarks.md.

`synthetic_warehouse()` is also the tests' fixture until the real marts exist: a small
company (two entities, 18 months) with the same tables and columns the dashboard reads,
its volume multiplied by `scale` (scale 100 ≈ 5M revenue rows).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

# -- the synthetic warehouse ---------------------------------------------------------------

# Deterministic pseudo-random numbers in SQL: hash(seed, row, salt) → [0, 1).
_R = "((hash({seed}, {row}, '{salt}') % 1000000) / 1000000.0)"


def _r(row: str, salt: str, seed: int) -> str:
    return _R.format(seed=seed, row=row, salt=salt)


def synthetic_warehouse(path: Path, scale: float = 1.0, seed: int = 7, end_month: str = "2025-06-01",
                        raw_keys: dict[str, str] | None = None) -> Path:
    """Build a DuckDB file with every table the dashboard reads. Returns the path.

    `raw_keys` maps an alert's evidence source_id to a raw object key, so the tests can
    land that object in the lake and follow the click-through.
    """
    import duckdb

    path = Path(path)
    if path.exists():
        path.unlink()
    con = duckdb.connect(str(path))
    n_rev = max(int(1500 * scale), 10)  # revenue lines per entity per month
    n_docs = max(int(120 * scale), 5)   # AR/AP documents per entity per month
    n_deals = max(int(300 * scale), 10)
    r = lambda row, salt: _r(row, salt, seed)  # noqa: E731
    con.execute("create schema marts; create schema forecast;")
    con.execute(f"set variable end_month = date '{end_month}'")
    con.execute("""
        create table marts.dim_entities as select * from (values
            ('uk', 'Ledgerlake Ltd', 'GBP', 'xero'),
            ('us', 'Ledgerlake Inc', 'USD', 'qbo')) t(entity_id, entity_name, functional_currency, source_system)
    """)
    con.execute("""
        create table marts.fct_finance_kpis_monthly as
        with m as (
            select e.entity_id, (getvariable('end_month') - to_months(17 - i))::date as month_start, i
            from marts.dim_entities e, range(18) t(i)
        )
        select entity_id, month_start, 'USD' as reporting_currency,
            cast(round((case entity_id when 'us' then 400000 else 150000 end) * (1 + i * 0.03)
                 + %(r1)s * 20000, 2) as decimal(38,6)) as revenue,
            cast(round((case entity_id when 'us' then 350000 else 120000 end) + %(r2)s * 60000, 2) as decimal(38,6)) as burn,
            cast(round((case entity_id when 'us' then 3000000 else 900000 end) - i * 25000 + %(r3)s * 50000, 2) as decimal(38,6)) as cash_balance,
            cast(round((case entity_id when 'us' then 250000 else 90000 end) * (1 + i * 0.025), 2) as decimal(38,6)) as mrr,
            cast(null as decimal(18,2)) as runway_months,
            cast(round(35 + %(r4)s * 20, 1) as decimal(18,2)) as dso_days,
            cast(round(28 + %(r5)s * 15, 1) as decimal(18,2)) as dpo_days,
            cast(round((case entity_id when 'us' then 120000 else 40000 end) * (0.5 + %(r6)s), 2) as decimal(38,6)) as ar_overdue
        from m
    """ % {k: r("i * 7 + length(entity_id)", k) for k in ("r1", "r2", "r3", "r4", "r5", "r6")})
    con.execute("update marts.fct_finance_kpis_monthly set runway_months = round(cash_balance / burn, 2)")
    con.execute(f"""
        create table marts.fct_cash_balances_daily as
        with days as (
            select e.entity_id, e.functional_currency as currency,
                   (getvariable('end_month') - interval 17 month + to_days(d))::date as balance_date, d
            from marts.dim_entities e, range(cast(date_diff('day', getvariable('end_month') - interval 17 month,
                 getvariable('end_month') + interval 1 month) as bigint)) t(d)
        ), accts as (select * from (values ('operating', 'Operating account'), ('reserve', 'Reserve account')) a(account_id, account_name))
        select balance_date, entity_id, entity_id || '-' || account_id as account_id, account_name, currency,
               cast(round((case account_id when 'operating' then 800000 else 300000 end) + {r("d * 3 + length(account_id) + length(entity_id)", "cb")} * 100000, 2) as decimal(38,6)) as balance,
               cast(0 as decimal(38,6)) as balance_reporting
        from days, accts
    """)
    con.execute("update marts.fct_cash_balances_daily set balance_reporting = case currency when 'USD' then balance else cast(round(balance * 1.27, 2) as decimal(38,6)) end")
    con.execute(f"""
        create table marts.fct_revenue as
        with lines as (
            select e.entity_id, e.functional_currency, (getvariable('end_month') - to_months(17 - mo))::date as month_start, mo, k
            from marts.dim_entities e, range(18) a(mo), range({n_rev}) b(k)
        )
        select (month_start + to_days(cast(floor({r("mo * 100000 + k", "day")} * 28) as int)))::date as revenue_date,
               entity_id,
               case when {r("mo * 100000 + k", "ch")} < 0.5 then 'stripe' when {r("mo * 100000 + k", "ch")} < 0.8 then 'shopify' else 'invoice' end as channel,
               case when entity_id = 'uk' then 'GBP' when {r("mo * 100000 + k", "cur")} < 0.1 then 'EUR' else 'USD' end as currency,
               cast(round(20 + {r("mo * 100000 + k", "amt")} * 500, 2) as decimal(38,6)) as amount,
               cast(0 as decimal(38,6)) as amount_reporting,
               'stripe' as source_system, 'ch_' || entity_id || mo || '_' || k as source_id
        from lines
    """)
    con.execute("update marts.fct_revenue set amount_reporting = case currency when 'USD' then amount when 'GBP' then cast(round(amount * 1.27, 2) as decimal(38,6)) else cast(round(amount * 1.08, 2) as decimal(38,6)) end")
    con.execute(f"""
        create table marts.fct_mrr_movements as
        select (getvariable('end_month') - to_months(17 - mo))::date as month_start, e.entity_id,
               'cus_' || k as customer_id, mt.movement_type,
               cast(round(mt.sign * (100 + {r("mo * 1000 + k + length(mt.movement_type)", "mrr")} * 900), 2) as decimal(38,6)) as mrr_change_reporting
        from marts.dim_entities e, range(18) a(mo), range({max(int(20 * scale), 4)}) b(k),
             (values ('new', 1), ('expansion', 1), ('contraction', -1), ('churn', -1)) mt(movement_type, sign)
    """)
    con.execute(f"""
        create table marts.fct_pipeline as
        select 'deal_' || k as deal_id, 'Deal ' || k as deal_name,
               case when k % 3 = 0 then 'uk' else 'us' end as entity_id,
               s.stage, s.probability,
               (getvariable('end_month') + to_days(cast(floor({r("k", "close")} * 180) as int)))::date as expected_close_date,
               cast(round(5000 + {r("k", "deal")} * 95000, 2) as decimal(38,6)) as amount_reporting,
               cast(0 as decimal(38,6)) as weighted_amount_reporting,
               k % 10 <> 0 as is_open
        from range({n_deals}) t(k)
        join (values (0, 'Appointment', 0.2), (1, 'Qualified', 0.4), (2, 'Proposal', 0.6), (3, 'Contract sent', 0.9)) s(n, stage, probability)
          on s.n = k % 4
    """)
    con.execute("update marts.fct_pipeline set weighted_amount_reporting = cast(round(amount_reporting * probability, 2) as decimal(38,6))")
    con.execute(f"""
        create table marts.fct_ar_ap_documents as
        with d as (
            select e.entity_id, e.functional_currency as currency, dt.document_type,
                   (getvariable('end_month') - to_months(17 - mo))::date as month_start, mo, k
            from marts.dim_entities e, range(18) a(mo), range({n_docs}) b(k), (values ('AR'), ('AP')) dt(document_type)
        )
        select document_type || '-' || entity_id || '-' || mo || '-' || k as document_id, document_type, entity_id,
               'c' || (k % 40) as contact_id,
               case document_type when 'AR' then 'Customer ' else 'Vendor ' end || (k % 40) as contact_name,
               (month_start + to_days(cast(floor({r("mo * 100000 + k + length(document_type)", "iss")} * 28) as int)))::date as issue_date,
               null::date as due_date, currency,
               cast(round(500 + {r("mo * 100000 + k + length(document_type)", "tot")} * 20000, 2) as decimal(38,6)) as total_amount,
               cast(0 as decimal(38,6)) as total_amount_reporting,
               case entity_id when 'us' then 'qbo' else 'xero' end as source_system,
               document_type || '-' || entity_id || '-' || mo || '-' || k as source_id
        from d
    """)
    con.execute("""update marts.fct_ar_ap_documents set due_date = issue_date + interval 30 day,
                   total_amount_reporting = case currency when 'USD' then total_amount else cast(round(total_amount * 1.27, 2) as decimal(38,6)) end""")
    # Most documents are paid in full some days after their due date; some partly; some never.
    con.execute(f"""
        create table marts.fct_document_payments as
        select document_id,
               (due_date + to_days(cast(floor({r("hash(document_id) % 100000", "lag")} * 90) - 30 as int)))::date as paid_date,
               case when {r("hash(document_id) % 100000", "part")} < 0.15 then cast(round(total_amount / 2, 2) as decimal(38,6)) else total_amount end as amount,
               case when {r("hash(document_id) % 100000", "part")} < 0.15 then cast(round(total_amount_reporting / 2, 2) as decimal(38,6)) else total_amount_reporting end as amount_reporting
        from marts.fct_ar_ap_documents
        where {r("hash(document_id) % 100000", "paid")} < 0.85
    """)
    con.execute("""
        create table marts.fx_rates_daily as
        select d::date as rate_date, 'USD' as base_currency, q.quote_currency,
               cast(case q.quote_currency when 'GBP' then 0.79 else 0.92 end + (extract(doy from d) % 10) / 1000.0 as decimal(18,10)) as rate
        from range(getvariable('end_month') - interval 18 month, getvariable('end_month') + interval 4 month, interval 1 day) t(d),
             (values ('GBP'), ('EUR')) q(quote_currency)
    """)
    con.execute("""
        create table marts.integrity_findings as select * from (values
            ('won_deal_without_invoice', 'high', 'us', 'hubspot', 'deal_11', 'Deal 11 won 30 days ago; no invoice', cast(42000 as decimal(38,6))),
            ('payout_without_bank_deposit', 'high', 'us', 'stripe', 'po_123', 'Stripe payout po_123 has no bank deposit', cast(18250.5 as decimal(38,6))),
            ('duplicate_vendor', 'medium', 'uk', 'xero', 'c7', 'Vendor 7 appears as "Vendor 7 Ltd" too', cast(null as decimal(38,6))),
            ('paid_invoice_open_deal', 'low', 'us', 'qbo', 'AR-us-3-1', 'Invoice paid, CRM deal still open', cast(1200 as decimal(38,6)))
        ) t(check_name, severity, entity_id, source_system, source_id, description, amount_reporting)
    """)
    con.execute("""
        create table marts.source_health as select * from (values
            ('hubspot', 'us', timestamptz '2025-06-30 17:02:00+00', timestamptz '2025-06-30 18:00:00+00', 1200, 300),
            ('plaid', 'us', timestamptz '2025-06-30 09:12:00+00', timestamptz '2025-06-30 18:00:00+00', 800, 5400),
            ('qbo', 'us', timestamptz '2025-06-30 16:40:00+00', timestamptz '2025-06-30 18:00:00+00', 3100, 4320),
            ('shopify', 'us', timestamptz '2025-06-30 17:55:00+00', timestamptz '2025-06-30 17:30:00+00', 9000, 16200),
            ('stripe', 'us', timestamptz '2025-06-30 17:59:00+00', timestamptz '2025-06-30 18:00:00+00', 21000, 27000),
            ('xero', 'uk', timestamptz '2025-06-28 11:00:00+00', timestamptz '2025-06-29 06:00:00+00', 2900, 4320)
        ) t(source_system, entity_id, last_event_received_at, last_poll_succeeded_at, raw_objects, mart_rows)
    """)
    comp = ", ".join(
        f"cast(round(({lo} + {r('d * 13 + length(entity_id)', name)} * {span}) * w, 2) as decimal(38,6)) as {name}"
        for name, lo, span in (("ar", 20000, 30000), ("ap", -30000, 20000), ("payroll", 0, 0),
                               ("pipeline", 0, 15000), ("unscheduled", -5000, 10000))
    )
    con.execute(f"""
        create table forecast.cash_forecast_daily as
        with d as (
            select e.entity_id, (getvariable('end_month') + interval 1 month + to_days(d))::date as forecast_date, d,
                   case e.entity_id when 'us' then 1.0 else 0.35 end as w
            from marts.dim_entities e, range(91) t(d)
        ), c as (
            select entity_id, forecast_date, d, {comp},
                   case when dayofmonth(forecast_date) = 25 then cast(round(-250000 * w, 2) as decimal(38,6))
                        else cast(0 as decimal(38,6)) end as payroll_,
                   w
            from d
        ), c2 as (
            select * exclude (payroll, payroll_), payroll_ as payroll,
                   cast(round(1100000 * w, 2) as decimal(38,6)) + sum(ar + ap + payroll_ + pipeline + unscheduled)
                       over (partition by entity_id order by forecast_date) as p50
            from c
        )
        select entity_id, forecast_date,
               cast(p50 - round(sqrt(d + 1) * 25000 * w, 2) as decimal(38,6)) as p10, p50,
               cast(p50 + round(sqrt(d + 1) * 25000 * w, 2) as decimal(38,6)) as p90,
               ar, ap, payroll, pipeline, unscheduled
        from c2
    """)
    con.execute("""
        create table forecast.forecast_accuracy as
        select e.entity_id, h as horizon_weeks, cast(round(2 + h * 0.6 + length(e.entity_id), 2) as decimal(8,2)) as mape,
               cast(round(85 - h * 0.8, 1) as decimal(8,2)) as p10_p90_coverage, 12 as backtests
        from marts.dim_entities e, range(1, 14) t(h)
    """)
    con.execute("""create table forecast.cash_floor as select * from (values
        ('us', cast(500000 as decimal(38,6))), ('uk', cast(150000 as decimal(38,6)))) t(entity_id, floor_amount)""")
    raw_keys = raw_keys or {}
    alerts = [
        ("al_cash_floor_us", "cash_below_floor", "critical", "us", "2025-06-30 18:05:00",
         "Cash forecast breaches the floor in week 9", "p10 falls below the US cash floor.", 0, []),
        ("al_dup_payment", "duplicate_vendor_payment", "high", "us", "2025-06-29 10:00:00",
         "Vendor 3 paid twice for one bill", "Two payments of the same amount within 3 days.", 8123.45,
         [{"mart": "marts.fct_ar_ap_documents", "key": {"document_id": "AP-us-17-3"}, "source_system": "qbo",
           "source_id": "AP-us-17-3", "raw_key": raw_keys.get("AP-us-17-3")}]),
        ("al_uninvoiced_deal", "won_deal_not_invoiced", "medium", "uk", "2025-06-20 09:30:00",
         "Won deal not invoiced after 14 days", "Deal 12 closed-won; no invoice in Xero.", 42000,
         [{"mart": "marts.fct_pipeline", "key": {"deal_id": "deal_12"}, "source_system": "hubspot",
           "source_id": "deal_12", "raw_key": raw_keys.get("deal_12")}]),
    ]
    con.execute("""create table forecast.alerts (alert_id varchar, rule varchar, severity varchar, entity_id varchar,
                   raised_at timestamp, title varchar, detail varchar, amount_reporting decimal(38,6), evidence json)""")
    for a in alerts:
        con.execute("insert into forecast.alerts values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [*a[:7], str(a[7]), json.dumps(a[8])])
    con.close()
    return path


# -- measuring -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port} after {timeout}s")


def serve_dashboard(port: int, env: dict[str, str]) -> subprocess.Popen:
    """`ledgerlake dashboard` as a user runs it, on a given port."""
    return subprocess.Popen(
        [sys.executable, "-m", "ledgerlake", "dashboard", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
    )


def stop(proc: subprocess.Popen) -> None:
    import signal

    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (the CLI spawns streamlit), in MB."""
    total = 0
    pids = [pid]
    while pids:
        p = pids.pop()
        try:
            with open(f"/proc/{p}/status") as fh:
                total += next(int(line.split()[1]) for line in fh if line.startswith("VmRSS:"))
            with open(f"/proc/{p}/task/{p}/children") as fh:
                pids += [int(c) for c in fh.read().split()]
        except (OSError, StopIteration):
            continue
    return total / 1024


def time_overview(page, url: str, marker: str = "Runway") -> float:
    """Seconds from navigation to the Overview's KPI cards being rendered."""
    started = time.monotonic()
    page.goto(url, wait_until="domcontentloaded")
    page.get_by_test_id("stMetricLabel").filter(has_text=marker).first.wait_for(timeout=60000)
    page.get_by_test_id("stMetricValue").first.wait_for(timeout=60000)
    return time.monotonic() - started


def measure(warehouse: Path, home: Path) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    port = free_port()
    env = dict(os.environ, LEDGERLAKE_WAREHOUSE=str(warehouse), LEDGERLAKE_HOME=str(home))
    proc = serve_dashboard(port, env)
    try:
        wait_for_port(port)
        idle = tree_rss_mb(proc.pid)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            cold = time_overview(page, f"http://127.0.0.1:{port}/")
            warm = time_overview(browser.new_page(), f"http://127.0.0.1:{port}/")
            peak = tree_rss_mb(proc.pid)
            browser.close()
        return {"cold": cold, "warm": warm, "idle_mb": idle, "rss_mb": peak}
    finally:
        stop(proc)


def _write_section(markdown: str, doc: Path) -> None:
    text = doc.read_text() if doc.exists() else "# Benchmarks\n"
    section = re.compile(r"^## Dashboard\n.*?(?=^## |\Z)", re.S | re.M)
    if section.search(text):
        text = section.sub(markdown.rstrip() + "\n\n", text)
    else:
        text = text.rstrip() + "\n\n" + markdown.rstrip() + "\n"
    doc.write_text(text)


def main(argv: list[str] | None = None) -> int:
    import tempfile

    parser = argparse.ArgumentParser(prog="python -m ledgerlake.bench dashboard", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="scale 1 only")
    parser.add_argument("--scales", default="1,100", help="comma-separated scales (default 1,100)")
    parser.add_argument("--warehouse", type=Path, help="measure this warehouse instead of the synthetic ones")
    parser.add_argument("--doc", type=Path, default=REPO / "docs" / "benchmarks.md")
    args = parser.parse_args(argv)
    scales = [1.0] if args.quick else [float(s) for s in args.scales.split(",")]
    rows = []
    with tempfile.TemporaryDirectory(prefix="ll-bench-dash-") as tmp:
        for scale in scales:
            if args.warehouse:
                wh, label = args.warehouse, str(args.warehouse)
            else:
                t0 = time.monotonic()
                wh = synthetic_warehouse(Path(tmp) / f"warehouse-{scale:g}.duckdb", scale=scale)
                print(f"  scale {scale:g}: warehouse built in {time.monotonic() - t0:.1f}s "
                      f"({wh.stat().st_size / 1e6:.0f} MB)", file=sys.stderr)
                label = f"{scale:g}"
            res = measure(wh, Path(tmp) / "home")
            import duckdb

            with duckdb.connect(str(wh), read_only=True) as con:
                revenue_rows = con.execute("select count(*) from marts.fct_revenue").fetchone()[0]
            rows.append((label, revenue_rows, wh.stat().st_size / 1e6, res))
            print(f"  scale {label}: first render {res['cold']:.2f}s, warm {res['warm']:.2f}s, "
                  f"server RSS {res['rss_mb']:.0f} MB", file=sys.stderr)
            if args.warehouse:
                break
    md = ["## Dashboard", "",
          "`python -m ledgerlake.bench dashboard`: `ledgerlake dashboard` served on a free port, the Overview "
          "opened in headless Chromium; *first render* is navigation → KPI cards on screen for the server's "
          "first session (cold caches), *warm* is a second browser tab. Memory is the resident set of the "
          "server process tree after both loads. Targets: first render under 2 s at scale 1 and under 5 s at "
          "scale 100. Warehouse: the synthetic one with the marts' table names "
          "(`ledgerlake.bench.dashboard.synthetic_warehouse`).", "",
          "| scale | revenue rows | warehouse | first render | warm render | server RSS |",
          "|---:|---:|---:|---:|---:|---:|"]
    for label, n, size, res in rows:
        md.append(f"| {label} | {n:,} | {size:,.0f} MB | {res['cold']:.2f} s | {res['warm']:.2f} s | {res['rss_mb']:,.0f} MB |")
    markdown = "\n".join(md) + "\n"
    print(markdown)
    _write_section(markdown, args.doc)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A simulated company end to end: landed through the real ingestion paths (webhook
receiver + hydration against the local provider API, the pollers, the FX reference file)
into a moto S3 lake, built once per session, then its records landed a second time and
built again. Tests compare the marts with the simulator's ground truth.

The company and its first land + build + forecast are tests/conftest.py's `company_dir` and
`built_company` (shared with the dashboard, email and SQL tests): by default Northwind over
18 months at a tenth of the volume (seed 7: ~4,100 webhooks, every kind of planted problem),
so the area stays within its test budget. LEDGERLAKE_E2E_FULL=1 uses the session's `sim_dir`
instead (scale 1, 18 months: ~26,000 webhooks; landing alone takes several minutes on 2
cores, see docs/benchmarks.md).
"""

from __future__ import annotations

import logging
import time

import pytest

from .planted import plant_bad_records, resend_orders_with_refunds

# moto's werkzeug logs every S3 request; tens of thousands of lines slow the landing down.
logging.getLogger("werkzeug").setLevel(logging.WARNING)

MART_SNAPSHOT = (
    "revenue_by_month",
    "cash_by_account_day",
    "open_ar_month_end",
    "trial_balance",
    "ar_ap_documents",
    "general_ledger",
    "integrity_unreconciled_bank_lines",
    "integrity_won_deals_without_invoice",
    "integrity_payouts_without_bank_deposit",
    "integrity_paid_invoices_open_deals",
    "integrity_duplicate_vendors",
)


def _snapshot(warehouse) -> dict:
    """Every mart's rows without `raw_key`: a record landed again in another object may
    take its lineage from that copy, the numbers must not change."""
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        snap = {}
        for name in MART_SNAPSHOT:
            columns = [
                r[0]
                for r in con.execute(
                    "select column_name from information_schema.columns "
                    "where table_schema = 'marts' and table_name = ? "
                    "and column_name <> 'raw_key' order by ordinal_position",
                    [name],
                ).fetchall()
            ]
            snap[name] = con.execute(f"select {', '.join(columns)} from marts.{name} order by all").fetchall()
        return snap
    finally:
        con.close()


def _webhook_sample(company_dir, out, per_source: int):
    """The first `per_source` deliveries of each source, as a delivery directory."""
    (out / "webhooks").mkdir(parents=True)
    for path in (company_dir / "webhooks").glob("*.jsonl"):
        with path.open() as src, (out / "webhooks" / path.name).open("w") as dst:
            for _, line in zip(range(per_source), src):
                dst.write(line)
    return out


# `company_s3`, `company_dir` and the first land + build (+ forecast) are tests/conftest.py's
# `built_company`, shared with the dashboard, email and SQL tests (one build per session).


def _sim_realm() -> str:
    import csv

    from ledgerlake.transform.runner import project_dir

    with (project_dir() / "seeds" / "source_tenants.csv").open() as f:
        return next(
            r["tenant_id"] for r in csv.DictReader(f) if r["source_system"] == "qbo" and r["is_default"] == "true"
        )


@pytest.fixture(scope="session")
def company_build(built_company, tmp_path_factory):
    """{'first', 'second': BuildResult, 'landing', 'relanding': LandingReport, 'before',
    'after': mart snapshots, 'warehouse', 'lake', 'sim_dir', 'timings'}."""
    from ledgerlake.handlers import receiver
    from ledgerlake.landing import land_simulation
    from ledgerlake.transform import build
    from ledgerlake.webhooks.replay import deliver_directory

    company_dir, lake, first = built_company["sim_dir"], built_company["lake"], built_company["build"]
    timings = dict(built_company["timings"])
    # restored before the tests run: other areas' fixtures read these too
    with built_company["use_env"]():
        before = _snapshot(first.warehouse)
        keys_before = set(lake.keys("raw/"))
        # Every record a second time: every poller again from the simulation's first day
        # (backfill: the same records in new page objects; the webhooks' records are all in
        # the polled ones too), and a sample of the webhooks again, shuffled, 1-3 times each.
        # (All 26,000 webhooks again would double the landing time for nothing new: a
        # redelivery lands on its first key, which tests/webhooks covers.)
        t0 = time.monotonic()
        sample = _webhook_sample(company_dir, tmp_path_factory.mktemp("redelivery"), per_source=200)
        redelivered = deliver_directory(sample, receiver.handler, duplicates=True, workers=8)
        timings["redelivery"] = redelivered.summary()  # (its statuses are tests/webhooks' business)
        relanding = land_simulation(company_dir, lake, webhooks=False, backfill=True)
        timings["relanding"] = time.monotonic() - t0
        # ...and the records real providers send that the simulation does not (issue #14):
        # one bad record of each kind (they go to quarantine, every mart still publishes and
        # still equals the ground truth), and every Shopify order webhook that carries
        # refunds landed 13 more times (Shopify resends the whole order on each update)
        planted = plant_bad_records(lake, realm=_sim_realm())
        resend_orders_with_refunds(lake, times=13)
        keys_after = set(lake.keys("raw/"))
        second = build(stream=None)
        timings["second_build"] = second.seconds
        after = _snapshot(second.warehouse)
    yield {
        "first": first,
        "second": second,
        "landing": built_company["landing"],
        "relanding": relanding,
        "new_keys": keys_after - keys_before,
        "before": before,
        "after": after,
        "planted": planted,
        "warehouse": second.warehouse,
        "lake": lake,
        "sim_dir": company_dir,
        "timings": timings,
    }


@pytest.fixture(scope="session")
def wh(company_build):
    """query(sql, *params) → rows, on the built warehouse (read-only)."""
    import duckdb

    con = duckdb.connect(str(company_build["warehouse"]), read_only=True)

    def query(sql, *params):
        return con.execute(sql, list(params)).fetchall()

    yield query
    con.close()

"""The refund missing from the ledger, end to end: the simulated company landed through the
real ingestion paths, built and forecast (tests/conftest.py `built_company`, rebuilt by
tests/transforms/conftest.py): the integrity mart lists the planted refund and nothing
else, and the forecast run raises its alert."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest


@pytest.fixture(scope="module")
def planted(company_build):
    problems = json.loads((company_build["sim_dir"] / "truth" / "problems.json").read_text())["problems"]
    [problem] = [p for p in problems if p["kind"] == "refund_missing_from_ledger"]
    [refund_id] = [r["id"] for r in problem["records"] if r["resource"] == "refunds"]
    [charge_id] = [r["id"] for r in problem["records"] if r["resource"] == "charges"]
    return problem, refund_id, charge_id


def test_the_planted_refund_is_the_only_refund_missing_from_the_ledger(wh, planted):
    problem, refund_id, charge_id = planted
    rows = wh(
        "select source_system, entity_id, refund_id, parent_id, refunded_on, currency, amount, "
        "day_booked, match_basis, raw_key from marts.integrity_refunds_missing_from_ledger"
    )
    assert len(rows) == 1, rows
    system, entity, rid, parent, day, currency, amount, booked, basis, raw_key = rows[0]
    assert (system, entity, rid, parent) == ("stripe", problem["entity"], refund_id, charge_id)
    assert (str(day), currency, amount) == (problem["date"], problem["currency"], Decimal(problem["amount"]))
    assert basis == "exact_amount" and booked == 0
    assert raw_key.startswith("raw/source=stripe/")
    # the mart did compare something: refunds of both processors were landed and checked
    landed = dict(
        wh(
            "select 'stripe', count(*) from staging.stg_stripe__refunds union all "
            "select 'shopify', count(*) from staging.stg_shopify__balance_transactions "
            "where transaction_type = 'refund'"
        )
    )
    assert landed["stripe"] >= 2 and landed["shopify"] >= 2, landed


def test_the_ledger_books_every_other_refund_on_its_day(wh):
    """The rule's premise on this company: per processor and day, refunds booked in the
    clearing account's documents equal the processor's refunds except on the planted day."""
    short = wh("""
        with refunds as (
            select 'US' as entity_id, cast(created_at as date) as day, sum(amount) as refunded
            from staging.stg_stripe__refunds where status = 'succeeded' group by all
            union all
            select 'UK', cast(processed_at as date), -sum(amount)
            from staging.stg_shopify__balance_transactions where transaction_type = 'refund' group by all),
        booked as (
            select g.entity_id, g.posted_on as day, sum(g.transaction_amount) as booked
            from marts.general_ledger as g
            where g.account_class in ('revenue', 'liability') and g.transaction_amount > 0
              and g.document_id in (select document_id from marts.general_ledger
                                    where account_name in ('Stripe Clearing', 'Shopify Clearing'))
            group by all)
        select r.entity_id, r.day, r.refunded, coalesce(b.booked, 0)
        from refunds as r left join booked as b using (entity_id, day)
        where r.refunded <> coalesce(b.booked, 0)""")
    flagged = wh("select entity_id, refunded_on from marts.integrity_refunds_missing_from_ledger")
    assert sorted((e, d) for e, d, _, _ in short) == sorted(flagged) != []


def test_the_forecast_run_raises_one_refund_alert_for_the_planted_amount(built_company, planted):
    """`ledgerlake forecast` (run_forecast, in the shared fixture) wrote forecast.alerts."""
    import duckdb

    from ledgerlake.alerts.score import evidence_keys, load_problems, score

    problem, refund_id, charge_id = planted
    con = duckdb.connect(str(built_company["warehouse"]), read_only=True)
    try:
        rows = con.execute("select rule, entity_id, currency, amount, title, evidence from forecast.alerts").fetchall()
    finally:
        con.close()
    refund_alerts = [r for r in rows if r[0] == "refund_not_in_ledger"]
    assert len(refund_alerts) == 1, refund_alerts
    _, entity, currency, amount, title, evidence = refund_alerts[0]
    assert (entity, currency, amount) == (problem["entity"], problem["currency"], Decimal(problem["amount"]))
    assert refund_id in title
    evidence = json.loads(evidence)
    assert {(e["role"], e["source_id"]) for e in evidence} == {("refund", refund_id), ("charge", charge_id)}
    assert all(e["raw_key"].startswith("raw/source=stripe/") for e in evidence if e["role"] == "refund")
    # scored as `ledgerlake alerts score` scores the table
    scores, unmapped = score(
        [(r[0], evidence_keys(json.loads(r[5]))) for r in rows], load_problems(built_company["sim_dir"])
    )
    by = {s.alert_type: s for s in scores}
    assert (
        by["refund_not_in_ledger"].planted,
        by["refund_not_in_ledger"].found,
        by["refund_not_in_ledger"].alerts,
        by["refund_not_in_ledger"].true_alerts,
    ) == (1, 1, 1, 1)
    assert "refund_missing_from_ledger" not in unmapped

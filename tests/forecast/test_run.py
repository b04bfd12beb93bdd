"""run_forecast end to end on a small hand-built warehouse (marts tables as dbt builds them),
publishing to a real S3 API (moto server): outputs, alerts, and state that survives rebuilds."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import duckdb
import numpy as np
import polars as pl
import pytest

from ledgerlake.alerts.state import AlertState, FileBackend

AS_OF = date(2025, 6, 30)
START = AS_OF - timedelta(days=240)
# The party each ledger contact resolves to, as general_ledger carries it (party_key, party_name).
PARTIES = {
    "qbo:atl": ("vendor:atlassian", "Atlassian"),
    "qbo:land": ("vendor:landmark properties", "Landmark Properties LLC"),
    "xero:sw": ("vendor:shoreditch works", "Shoreditch Works Ltd"),
}


def _gl_rows():
    rng = np.random.default_rng(11)
    rows = []

    def line(entity, ccy, doc_type, doc_id, day, amount, contact=None, desc=None, account="qbo:35", other=None):
        rows.append(
            {
                "journal_line_id": f"{doc_type}:{doc_id}:{account}",
                "entity_id": entity,
                "functional_currency": ccy,
                "transaction_currency": ccy,
                "source_system": "qbo",
                "document_type": doc_type,
                "document_id": doc_id,
                "posted_on": day,
                "functional_amount": Decimal(amount).quantize(Decimal("0.01")),
                "contact_key": contact,
                "party_key": PARTIES.get(contact, (None, None))[0],
                "party_name": PARTIES.get(contact, (None, None))[1],
                "description": desc,
                "raw_key": f"raw/source=qbo/entity=cdc/date={day}/poll-{doc_id}.json",
                "is_bank": True,
                "account_key": account,
                "account_name": "Chase Operating",
                "fx_rate": Decimal("1") if ccy == "USD" else Decimal("1.27"),
            }
        )
        if other:  # the document's other side (not a bank line): what tells payroll apart
            rows.append(
                {
                    **rows[-1],
                    "journal_line_id": rows[-1]["journal_line_id"] + ":x",
                    "is_bank": False,
                    "account_key": "qbo:60",
                    "account_name": other,
                    "functional_amount": -rows[-1]["functional_amount"],
                    "description": None,
                }
            )

    for i in range(241):
        day = START + timedelta(days=i)
        if day.weekday() < 5:  # card payouts on business days, heavier on Fridays
            line(
                "US",
                "USD",
                "Deposit",
                f"dep{i}",
                day,
                4000 + 1500 * (day.weekday() == 4) + rng.normal(0, 300),
                desc="Stripe payout",
                other="Stripe Clearing",
            )
        if day.day == 12:
            line("US", "USD", "Purchase", f"atl{i}", day, -870, "qbo:atl", "Atlassian")
        if day.day == 1:
            line("US", "USD", "BillPayment", f"rent{i}", day, -14500, "qbo:land", "Bill payment")
        if day.day in (15, 28):
            line("US", "USD", "JournalEntry", f"pay{i}", day, -42000, None, "Net pay", other="Salaries and wages")
        if day.day == 20:  # a transfer between the entity's own accounts: not a cash flow
            line("US", "USD", "Transfer", f"tr{i}", day, -5000, None, "to payroll account", "qbo:35")
            line("US", "USD", "Transfer", f"tr{i}", day, 5000, None, "to payroll account", "qbo:36")
        if day == START + timedelta(days=100):  # an intercompany transfer in: cash, but not sales
            line("US", "USD", "Deposit", "ic1", day, 250000, desc="Transfer from UK", other="Intercompany")
        if day.day == 5:
            line("UK", "GBP", "Payment", f"ukrent{i}", day, -6000, "xero:sw", "Shoreditch Works Ltd")
    # The planted duplicate: the June rent paid again two days later.
    line("US", "USD", "BillPayment", "rent-dup", date(2025, 6, 3), -14500, "qbo:land", "Bill payment")
    return rows


@pytest.fixture
def warehouse(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    conn = duckdb.connect(str(path))
    conn.execute("create schema marts")
    gl = pl.DataFrame(_gl_rows()).with_columns(
        pl.col("functional_amount").cast(pl.Decimal(18, 2)), pl.col("fx_rate").cast(pl.Decimal(18, 6))
    )
    conn.register("gl", gl)
    conn.execute("create table marts.general_ledger as select * from gl")
    docs = (
        pl.DataFrame(
            [
                # Acme pays 10 days late, twice; its open invoice is due on July 10 -> expected July 20.
                {
                    "document_key": "qbo:Invoice:1",
                    "entity_id": "US",
                    "document_kind": "AR",
                    "contact_key": "qbo:c1",
                    "contact_name": "Acme Inc",
                    "due_date": date(2025, 3, 1),
                    "currency": "USD",
                    "open_amount": Decimal(0),
                    "status": "paid",
                    "last_applied_on": date(2025, 3, 11),
                    "document_number": "1001",
                },
                {
                    "document_key": "qbo:Invoice:2",
                    "entity_id": "US",
                    "document_kind": "AR",
                    "contact_key": "qbo:c1",
                    "contact_name": "Acme Inc",
                    "due_date": date(2025, 4, 1),
                    "currency": "USD",
                    "open_amount": Decimal(0),
                    "status": "paid",
                    "last_applied_on": date(2025, 4, 11),
                    "document_number": "1002",
                },
                {
                    "document_key": "qbo:Invoice:3",
                    "entity_id": "US",
                    "document_kind": "AR",
                    "contact_key": "qbo:c1",
                    "contact_name": "Acme Inc",
                    "due_date": date(2025, 7, 10),
                    "currency": "USD",
                    "open_amount": Decimal("25000.00"),
                    "status": "open",
                    "last_applied_on": None,
                    "document_number": "1003",
                },
                {
                    "document_key": "qbo:Bill:9",
                    "entity_id": "US",
                    "document_kind": "AP",
                    "contact_key": "qbo:land",
                    "contact_name": "Landmark Properties LLC",
                    "due_date": date(2025, 7, 1),
                    "currency": "USD",
                    "open_amount": Decimal("14500.00"),
                    "status": "open",
                    "last_applied_on": None,
                    "document_number": "R-7",
                },
            ]
        )
        .with_columns(
            # the mart's other columns: issued 30 days before due, nothing voided; what was
            # applied (paid documents: in full on their last payment day)
            issued_on=pl.col("due_date") - timedelta(days=30),
            total_amount=pl.when(pl.col("status") == "paid")
            .then(pl.lit(Decimal("9000.00")))
            .otherwise(pl.col("open_amount"))
            .cast(pl.Decimal(18, 2)),
            is_voided=pl.lit(False),
            is_deleted=pl.lit(False),
        )
        .with_columns(
            applied_amount=pl.col("total_amount") - pl.col("open_amount"),
            open_amount=pl.col("open_amount").cast(pl.Decimal(18, 2)),
        )
    )
    conn.register("docs", docs)
    conn.execute("create table marts.ar_ap_documents as select * from docs")
    cash = pl.DataFrame(
        [
            {"entity_id": "US", "account_key": "qbo:35", "balance_date": AS_OF, "balance": Decimal("400000.00")},
            {"entity_id": "US", "account_key": "qbo:36", "balance_date": AS_OF, "balance": Decimal("50000.00")},
            {"entity_id": "UK", "account_key": "xero:1", "balance_date": AS_OF, "balance": Decimal("30000.00")},
        ]
    ).with_columns(pl.col("balance").cast(pl.Decimal(18, 2)))
    conn.register("cash", cash)
    conn.execute("create table marts.cash_by_account_day as select * from cash")
    conn.execute("""create table marts.integrity_won_deals_without_invoice as
        select '9001' as deal_id, 'Globex renewal' as deal_name, 12000.00::decimal(18,2) as amount, 'USD' as currency,
               date '2025-05-01' as close_date, 60 as days_since_close, 'hubspot' as source_system,
               '9001' as source_id, 'raw/source=hubspot/x.json' as raw_key""")
    conn.close()
    return path


@pytest.fixture
def state(tmp_path):
    return AlertState(FileBackend(tmp_path / "state.json"))


def _run(warehouse, state, monkeypatch, lake):
    from ledgerlake.forecast import run_forecast

    monkeypatch.setenv("LEDGERLAKE_CASH_FLOOR", "25000")
    return run_forecast(
        warehouse=warehouse, settings=lake.settings, horizon=28, n_origins=2, step=28, state=AlertState(state.backend)
    )


def test_forecast_publishes_marts_and_alerts_keep_state_across_rebuilds(warehouse, state, monkeypatch, lake, tmp_path):
    # A saved what-if scenario (#20): published beside the base forecast, the base unchanged.
    store = tmp_path / "scenarios.json"
    store.write_text(
        json.dumps(
            {
                "scenarios": [
                    {
                        "name": "new office",
                        "layers": [
                            {
                                "kind": "recurring_cost",
                                "entity": "US",
                                "start": "2025-07-01",
                                "monthly_amount": 4000,
                                "day": 5,
                            }
                        ],
                    }
                ]
            }
        )
    )
    monkeypatch.setenv("LEDGERLAKE_SCENARIOS", str(store))
    result = _run(warehouse, state, monkeypatch, lake)
    office = result.scenarios.filter((pl.col("entity_id") == "US") & (pl.col("horizon_day") == 28))
    assert office["change"].to_list() == [Decimal("-4000.00")] and office["base_p50"][0] - 4000 == office["p50"][0]
    daily = result.cash_forecast_daily

    # One row per entity and day, plus the consolidated view, with money as cents.
    assert sorted(daily["entity_id"].unique().to_list()) == ["UK", "US", "consolidated"]
    assert daily.filter(pl.col("entity_id") == "US").height == 28
    assert daily.schema["p50"] == pl.Decimal(18, 2) and daily.schema["ar"] == pl.Decimal(18, 2)
    assert (daily["p10"] <= daily["p50"]).all() and (daily["p50"] <= daily["p90"]).all()
    us = daily.filter(pl.col("entity_id") == "US").sort("forecast_date")
    # Acme's open invoice lands at due date + its 10 observed days late.
    assert us.filter(pl.col("ar") != 0)["forecast_date"].to_list() == [date(2025, 7, 20)]
    assert us.filter(pl.col("ap") != 0).select("forecast_date", "ap").row(0) == (date(2025, 7, 1), Decimal("-14500.00"))
    assert us.filter(pl.col("payroll") != 0)["forecast_date"].to_list() == [date(2025, 7, 15), date(2025, 7, 28)]
    # Rent is already an open bill on July 1: not projected twice.
    assert us["recurring"].sum() == Decimal("-870.00")
    assert us["opening_balance"][0] == Decimal("450000.00")
    cons = daily.filter(pl.col("entity_id") == "consolidated").sort("forecast_date")
    assert cons["opening_balance"][0] == Decimal("450000.00") + Decimal("30000.00") * Decimal("1.27")
    assert us["backtest_mase"][0] is not None
    # The statistical series is payouts only: the 250k intercompany transfer is not "sales".
    assert result.backtests["US:unscheduled"].points["y"].max() < 10_000

    # Alerts: the planted duplicate and the integrity finding; UK rent on July 5 takes it below the 25k floor.
    by_rule = {}
    for a in result.alerts:
        by_rule.setdefault(a.type, []).append(a)
    assert [a.identity for a in by_rule["duplicate_payment"]] == [("BillPayment:rent-dup",)]
    assert "unusual_vendor_charge" not in by_rule  # fixed subscription, fixed rent
    assert len(by_rule["won_deal_without_invoice"]) == 1
    assert {a.entity for a in by_rule["cash_below_floor"]} == {"UK"}
    evidence = json.loads(result.alerts_table.filter(pl.col("rule") == "duplicate_payment")["evidence"][0])
    assert {e["role"] for e in evidence} == {"original", "duplicate"}
    assert all(e["raw_key"].startswith("raw/source=qbo/") for e in evidence)

    # Published: warehouse schema `forecast` and Parquet beside the marts.
    conn = duckdb.connect(str(warehouse), read_only=True)
    tables = {
        r[0]
        for r in conn.execute(
            "select table_name from information_schema.tables where table_schema = 'forecast'"
        ).fetchall()
    }
    conn.close()
    assert {
        "cash_forecast_daily",
        "forecast_accuracy",
        "alerts",
        "alert_state",
        "cash_floor",
        "cash_scenarios",
    } <= tables
    listed = lake.s3.list_objects_v2(Bucket=lake.settings.marts_bucket, Prefix="marts/forecast/")
    keys = {o["Key"] for o in listed.get("Contents", [])}
    assert "marts/forecast/alerts/alerts.parquet" in keys

    # Acknowledge the duplicate, rebuild everything (forecast schema dropped), run again.
    dup_id = by_rule["duplicate_payment"][0].alert_id
    first_seen = result.alerts_table.filter(pl.col("alert_id") == dup_id)["first_seen"][0]
    st = AlertState(state.backend)
    st.set_status(dup_id, "acknowledged", by="cfo", note="refund requested")
    st.save()
    conn = duckdb.connect(str(warehouse))
    conn.execute("drop schema forecast cascade")
    conn.close()
    again = _run(warehouse, state, monkeypatch, lake)
    row = again.alerts_table.filter(pl.col("alert_id") == dup_id).row(0, named=True)
    assert row["status"] == "acknowledged" and row["first_seen"] == first_seen
    assert sorted(again.alerts_table["alert_id"].to_list()) == sorted(result.alerts_table["alert_id"].to_list())


def test_production_alerts_name_and_group_vendors_as_the_marts_resolved_them(warehouse, lake):
    """A card payment whose bank line names "LANDMARK PROP MGMT", through a second ledger
    contact the marts resolved to Landmark's party, repeats April's rent the next day: the
    alerts group it by the marts' party (no name rule would join these names) and call the
    vendor by the party's name, keeping the line's own name as evidence."""
    from ledgerlake.forecast.marts import load_inputs
    from ledgerlake.forecast.run import alerts_only

    conn = duckdb.connect(str(warehouse))
    conn.execute(
        """insert into marts.general_ledger by name
           select * replace ('Purchase:card-rent:qbo:35' as journal_line_id, 'Purchase' as document_type,
                             'card-rent' as document_id, date '2025-04-02' as posted_on,
                             'qbo:land-card' as contact_key, 'LANDMARK PROP MGMT' as description)
           from marts.general_ledger where document_id = 'rent150'"""
    )
    conn.close()
    payments = load_inputs(warehouse, lake.settings).vendor_payments
    card = payments.filter(pl.col("source_id") == "Purchase:card-rent").row(0, named=True)
    assert (card["vendor_key"], card["vendor_name"], card["document_vendor_name"]) == (
        "vendor:landmark properties",
        "Landmark Properties LLC",
        "LANDMARK PROP MGMT",
    )
    duplicates = [a for a in alerts_only(warehouse, lake.settings) if a.type == "duplicate_payment"]
    card_alert = next(a for a in duplicates if a.identity == ("Purchase:card-rent",))
    assert card_alert.title.startswith("Possibly paid Landmark Properties LLC twice")
    assert {e.role: e.source_id for e in card_alert.evidence} == {
        "original": "BillPayment:rent150",
        "duplicate": "Purchase:card-rent",
    }
    duplicate = next(e for e in card_alert.evidence if e.role == "duplicate")
    assert duplicate.detail["document_vendor_name"] == "LANDMARK PROP MGMT"
    # the marts' party is the identity: the name rule alone would have kept these two apart
    from ledgerlake.alerts.identities import vendor_keys

    keys = vendor_keys(["LANDMARK PROP MGMT", "Landmark Properties LLC"])
    assert keys["LANDMARK PROP MGMT"] != keys["Landmark Properties LLC"]

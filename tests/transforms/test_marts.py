"""The transform end to end on a small hand-landed company: raw objects in the providers'
wire shapes land in a moto S3 lake, one build runs (compaction + dbt build with every
unit and integrity test), and the marts are checked against numbers worked out by hand.

One session-scoped build is shared by every assertion (the build is the slow part).
"""

from __future__ import annotations

import json
import os
import re
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

REALM = "9341453178520019"


def _qbo_meta(ts: str) -> dict:
    return {"CreateTime": ts, "LastUpdatedTime": ts}


def qbo_accounts():
    spec = [
        ("1", "Chase Operating", "1000", "Bank", "Asset"),
        ("3", "Accounts Receivable (A/R)", "1100", "Accounts Receivable", "Asset"),
        ("6", "Accounts Payable (A/P)", "2000", "Accounts Payable", "Liability"),
        ("8", "Opening Balance Equity", "3000", "Equity", "Equity"),
        ("10", "Services Revenue", "4000", "Income", "Revenue"),
        ("20", "Rent", "6200", "Expense", "Expense"),
        ("23", "Interest Income", "7000", "Other Income", "Revenue"),
    ]
    return [
        {
            "Id": i,
            "Name": n,
            "AcctNum": num,
            "AccountType": t,
            "Classification": c,
            "Active": True,
            "CurrencyRef": {"value": "USD"},
            "SyncToken": "0",
            "MetaData": _qbo_meta("2025-01-01T00:00:00-08:00"),
        }
        for i, n, num, t, c in spec
    ]


def qbo_invoice(iid, number, day, amount, deal, sync="0", ts=None, note=""):
    return {
        "Id": iid,
        "SyncToken": sync,
        "DocNumber": number,
        "TxnDate": day,
        "DueDate": day,
        "CurrencyRef": {"value": "USD"},
        "CustomerRef": {"value": "101", "name": "Acme Analytics Inc"},
        "CustomField": [{"DefinitionId": "1", "Name": "HubSpot Deal", "Type": "StringType", "StringValue": deal}],
        "PrivateNote": note,
        "TotalAmt": amount,
        "Balance": amount,
        "TxnTaxDetail": {"TotalTax": 0},
        "MetaData": _qbo_meta(ts or f"{day}T10:00:00-08:00"),
        "Line": [
            {
                "Id": "1",
                "LineNum": 1,
                "Amount": amount,
                "Description": "Services",
                "DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": {"ItemRef": {"value": "1"}, "ItemAccountRef": {"value": "10"}},
            },
            {"Amount": amount, "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}},
        ],
    }


def cdc_page(**entities) -> dict:
    return {
        "CDCResponse": [
            {"QueryResponse": [{k: v, "startPosition": 1, "maxResults": len(v)} for k, v in entities.items()]}
        ],
        "time": "2025-03-01T00:00:00-08:00",
    }


def xero_date(day: str) -> str:
    ms = int(datetime.fromisoformat(day).replace(tzinfo=UTC).timestamp() * 1000)
    return f"/Date({ms}+0000)/"


def land_company(lake, times: int = 1, arrival_variants: bool = False):
    """The mini company. Returns nothing: every expected number is derived in the tests."""

    def land(source, entity, payload, identity, day, arrival="poll"):
        for _ in range(times):
            lake.land(
                source=source,
                entity=entity,
                payload=json.dumps(payload).encode(),
                identity=identity,
                event_time=date.fromisoformat(day),
                arrival=arrival,
                extra={"request": {"path": f"/v3/company/{REALM}/cdc"}} if source == "qbo" else None,
            )

    # --- QBO (US): opening equity, 3 invoices (one voided later), a partial payment, a bill
    customer = {
        "Id": "101",
        "DisplayName": "Acme Analytics Inc",
        "CompanyName": "Acme Analytics Inc",
        "SyncToken": "0",
        "MetaData": _qbo_meta("2025-01-01T00:00:00-08:00"),
        "Active": True,
    }
    vendors = [
        {
            "Id": "201",
            "DisplayName": "Amazon Web Services",
            "SyncToken": "0",
            "MetaData": _qbo_meta("2025-01-01T00:00:00-08:00"),
        },
        {
            "Id": "202",
            "DisplayName": "Amazon.com",
            "SyncToken": "0",
            "MetaData": _qbo_meta("2025-01-01T00:00:00-08:00"),
        },
        {
            "Id": "203",
            "DisplayName": "Landmark Properties LLC",
            "SyncToken": "0",
            "MetaData": _qbo_meta("2025-01-01T00:00:00-08:00"),
        },
    ]
    opening = {
        "Id": "300",
        "SyncToken": "0",
        "DocNumber": "OPEN",
        "TxnDate": "2025-01-01",
        "CurrencyRef": {"value": "USD"},
        "MetaData": _qbo_meta("2025-01-01T00:00:00-08:00"),
        "Line": [
            {
                "Id": "0",
                "Amount": 100000,
                "DetailType": "JournalEntryLineDetail",
                "JournalEntryLineDetail": {"PostingType": "Debit", "AccountRef": {"value": "1"}},
            },
            {
                "Id": "1",
                "Amount": 100000,
                "DetailType": "JournalEntryLineDetail",
                "JournalEntryLineDetail": {"PostingType": "Credit", "AccountRef": {"value": "8"}},
            },
        ],
    }
    inv1 = qbo_invoice("401", "1001", "2025-01-15", 1200.50, "9001")
    inv2 = qbo_invoice("402", "1002", "2025-02-03", 800, "9002")
    inv3 = qbo_invoice("403", "1003", "2025-02-10", 500, "9003")
    payment = {
        "Id": "501",
        "SyncToken": "0",
        "TxnDate": "2025-02-20",
        "CurrencyRef": {"value": "USD"},
        "CustomerRef": {"value": "101"},
        "DepositToAccountRef": {"value": "1"},
        "TotalAmt": 700.25,
        "UnappliedAmt": 0,
        "MetaData": _qbo_meta("2025-02-20T09:00:00-08:00"),
        "Line": [{"Amount": 700.25, "LinkedTxn": [{"TxnId": "401", "TxnType": "Invoice"}]}],
    }
    bill = {
        "Id": "601",
        "SyncToken": "0",
        "DocNumber": "R-1",
        "TxnDate": "2025-02-01",
        "DueDate": "2025-02-01",
        "CurrencyRef": {"value": "USD"},
        "VendorRef": {"value": "203", "name": "Landmark Properties LLC"},
        "APAccountRef": {"value": "6"},
        "TotalAmt": 1450,
        "Balance": 1450,
        "MetaData": _qbo_meta("2025-02-01T09:00:00-08:00"),
        "Line": [
            {
                "Id": "1",
                "Amount": 1450,
                "DetailType": "AccountBasedExpenseLineDetail",
                "AccountBasedExpenseLineDetail": {"AccountRef": {"value": "20"}},
            }
        ],
    }
    land(
        "qbo",
        "cdc",
        cdc_page(
            Account=qbo_accounts(),
            Customer=[customer],
            Vendor=vendors,
            JournalEntry=[opening],
            Invoice=[inv1, inv2, inv3],
            Bill=[bill],
        ),
        "cdc-1",
        "2025-02-15",
    )
    land("qbo", "cdc", cdc_page(Payment=[payment]), "cdc-2", "2025-02-21")
    # invoice 1003 voided: a later version (QBO zeroes it) plus the webhook naming the void
    voided = qbo_invoice(
        "403", "1003", "2025-02-10", 0, "9003", sync="1", ts="2025-02-25T10:00:00-08:00", note="Voided"
    )
    land(
        "qbo",
        "invoice",
        {"Invoice": voided, "time": "2025-02-25T10:00:00-08:00"},
        "inv-403-1",
        "2025-02-25",
        arrival="hydrate",
    )
    land(
        "qbo",
        "notifications",
        {
            "realmId": REALM,
            "dataChangeEvent": {
                "entities": [
                    {"name": "Invoice", "id": "403", "operation": "Void", "lastUpdated": "2025-02-25T18:00:00.000Z"}
                ]
            },
        },
        "n-403",
        "2025-02-25",
        arrival="webhook",
    )

    # --- Xero (UK): an ACCREC invoice with 20% VAT, paid in full
    accounts = [
        {
            "AccountID": "x-bank",
            "Code": "090",
            "Name": "Barclays Current",
            "Type": "BANK",
            "Class": "ASSET",
            "Status": "ACTIVE",
            "CurrencyCode": "GBP",
            "UpdatedDateUTC": xero_date("2025-01-01"),
        },
        {
            "AccountID": "x-ar",
            "Code": "610",
            "Name": "Accounts Receivable",
            "Type": "CURRENT",
            "Class": "ASSET",
            "SystemAccount": "DEBTORS",
            "Status": "ACTIVE",
            "UpdatedDateUTC": xero_date("2025-01-01"),
        },
        {
            "AccountID": "x-vat",
            "Code": "820",
            "Name": "VAT",
            "Type": "CURRLIAB",
            "Class": "LIABILITY",
            "SystemAccount": "GST",
            "Status": "ACTIVE",
            "UpdatedDateUTC": xero_date("2025-01-01"),
        },
        {
            "AccountID": "x-rev",
            "Code": "200",
            "Name": "Sales - Services",
            "Type": "REVENUE",
            "Class": "REVENUE",
            "Status": "ACTIVE",
            "UpdatedDateUTC": xero_date("2025-01-01"),
        },
    ]
    land("xero", "accounts", {"Accounts": accounts}, "acc-1", "2025-01-01")
    invoice = {
        "InvoiceID": "x-inv-1",
        "Type": "ACCREC",
        "InvoiceNumber": "INV-0001",
        "Reference": "9004",
        "Contact": {"ContactID": "x-c-1", "Name": "Cedar Labs Ltd"},
        "Date": xero_date("2025-02-05"),
        "DueDate": xero_date("2025-03-05"),
        "Status": "AUTHORISED",
        "LineAmountTypes": "Exclusive",
        "LineItems": [
            {
                "LineItemID": "li-1",
                "Description": "Consulting",
                "AccountCode": "200",
                "LineAmount": "1000.00",
                "TaxAmount": "200.00",
                "Quantity": "1.00",
                "UnitAmount": "1000.00",
            }
        ],
        "SubTotal": "1000.00",
        "TotalTax": "200.00",
        "Total": "1200.00",
        "AmountDue": "1200.00",
        "AmountPaid": "0.00",
        "CurrencyCode": "GBP",
        "UpdatedDateUTC": xero_date("2025-02-05"),
    }
    land("xero", "invoices", {"Invoices": [invoice]}, "inv-1", "2025-02-05")
    pay = {
        "PaymentID": "x-pay-1",
        "Date": xero_date("2025-02-28"),
        "Amount": "1200.00",
        "PaymentType": "ACCRECPAYMENT",
        "Status": "AUTHORISED",
        "Account": {"AccountID": "x-bank", "Code": "090"},
        "Invoice": {"InvoiceID": "x-inv-1", "Type": "ACCREC", "CurrencyCode": "GBP", "Contact": {"ContactID": "x-c-1"}},
        "UpdatedDateUTC": xero_date("2025-02-28"),
    }
    land("xero", "payments", {"Payments": [pay]}, "pay-1", "2025-02-28")
    paid = dict(invoice, Status="PAID", AmountDue="0.00", AmountPaid="1200.00", UpdatedDateUTC=xero_date("2025-02-28"))
    land("xero", "invoices", {"Invoices": [paid]}, "inv-1-paid", "2025-02-28", arrival="hydrate")

    # --- HubSpot: deal 9001 won (invoiced), 9005 won long ago and never invoiced, 9004 still open
    stages = {
        "results": [
            {
                "id": "default",
                "label": "Sales Pipeline",
                "stages": [
                    {
                        "id": "contractsent",
                        "label": "Contract Sent",
                        "displayOrder": 4,
                        "metadata": {"probability": "0.9", "isClosed": "false"},
                    },
                    {
                        "id": "closedwon",
                        "label": "Closed Won",
                        "displayOrder": 5,
                        "metadata": {"probability": "1.0", "isClosed": "true"},
                    },
                ],
            }
        ]
    }
    land("hubspot", "pipelines", stages, "p-1", "2025-01-01")

    def deal(did, stage, amount, close):
        return {
            "id": did,
            "properties": {
                "dealname": f"Deal {did}",
                "amount": amount,
                "dealstage": stage,
                "pipeline": "default",
                "closedate": close + "T00:00:00Z",
                "hs_lastmodifieddate": close + "T00:00:00Z",
            },
            "createdAt": "2025-01-01T00:00:00Z",
            "updatedAt": close + "T00:00:00Z",
            "archived": False,
        }

    land(
        "hubspot",
        "deals",
        {
            "results": [
                deal("9001", "closedwon", "1200.50", "2025-01-10"),
                deal("9004", "contractsent", "1000", "2025-02-01"),
                deal("9005", "closedwon", "3000", "2025-01-05"),
            ]
        },
        "d-1",
        "2025-02-01",
    )

    # --- Stripe: one payout with its balance transactions, but no bank deposit
    bts = {
        "object": "list",
        "has_more": False,
        "data": [
            {
                "id": "txn_1",
                "object": "balance_transaction",
                "type": "charge",
                "amount": 10000,
                "fee": 320,
                "net": 9680,
                "currency": "usd",
                "created": 1738368000,
                "source": "ch_1",
            },
            {
                "id": "txn_2",
                "object": "balance_transaction",
                "type": "payout",
                "amount": -9680,
                "fee": 0,
                "net": -9680,
                "currency": "usd",
                "created": 1738540800,
                "source": "po_1",
            },
        ],
    }
    lake.land(
        source="stripe",
        entity="balance_transactions",
        payload=json.dumps(bts).encode(),
        identity="bt-po_1",
        event_time=date(2025, 2, 3),
        arrival="poll",
        extra={"request": {"path": "/v1/balance_transactions", "params": {"payout": "po_1"}}},
    )
    payout = {
        "id": "evt_po_1",
        "object": "event",
        "type": "payout.paid",
        "created": 1738540800,
        "data": {
            "object": {
                "id": "po_1",
                "object": "payout",
                "amount": 9680,
                "currency": "usd",
                "arrival_date": 1738540800,
                "created": 1738368000,
                "status": "paid",
            }
        },
    }
    land("stripe", "events", payout, "evt_po_1", "2025-02-03", arrival="webhook")

    # --- Plaid: the Chase Operating feed (QBO account 1 by name): a bank fee the books never
    # saw (unreconciled), the customer payment of 2025-02-20 arriving a day later (matched)
    chase = {
        "account_id": "plaid-chase",
        "balances": {"available": 100685.25, "current": 100685.25, "iso_currency_code": "USD", "limit": None},
        "mask": "4417",
        "name": "Chase Operating",
        "official_name": "CHASE BUSINESS CHECKING",
        "subtype": "checking",
        "type": "depository",
    }

    def plaid_txn(tid, day, amount, name):
        return {
            "account_id": "plaid-chase",
            "transaction_id": tid,
            "amount": amount,
            "date": day,
            "authorized_date": day,
            "iso_currency_code": "USD",
            "name": name,
            "merchant_name": None,
            "pending": False,
            "pending_transaction_id": None,
            "payment_channel": "other",
            "personal_finance_category": {"primary": "BANK_FEES", "detailed": "BANK_FEES_OTHER_BANK_FEES"},
        }

    land(
        "plaid",
        "transactions_sync",
        {
            "added": [
                plaid_txn("pt-1", "2025-02-01", 15.00, "MONTHLY SERVICE FEE"),
                plaid_txn("pt-2", "2025-02-21", -700.25, "ACH CREDIT ACME ANALYTICS"),
            ],
            "modified": [],
            "removed": [],
            "next_cursor": "c1",
            "has_more": False,
            "accounts": [chase],
        },
        "sync-1",
        "2025-02-21",
    )
    land("plaid", "accounts", {"accounts": [chase], "item": {"item_id": "item-us"}}, "acc-1", "2025-02-21")

    # --- ledgerlake's categoriser: a suggestion for the fee nothing explains, then a person's
    # correction (landed as the categoriser and `ledgerlake coding correct` land them)
    land(
        "ledgerlake",
        "coding_suggestions",
        {
            "run_id": "run-1",
            "suggested_at": "2025-02-22T06:00:00Z",
            "thresholds": {"US": {"rule": 0.9, "model": 0.9}},
            "suggestions": [
                {
                    "bank_line_id": "pt-1",
                    "entity_id": "US",
                    "account_code": "6300",
                    "confidence": "0.9500",
                    "method": "rule",
                    "status": "auto_applied",
                    "threshold": "0.9000",
                }
            ],
        },
        "run-1",
        "2025-02-22",
    )
    land(
        "ledgerlake",
        "coding_corrections",
        {
            "correction_id": "c-1",
            "bank_line_id": "pt-1",
            "entity_id": "US",
            "account_code": "6500",
            "previous_account_code": "6300",
            "by": "ana@example.com",
            "at": "2025-02-23T09:00:00Z",
            "note": "monthly bank fee",
        },
        "c-1",
        "2025-02-23",
        arrival="webhook",
    )

    # --- budgets kept in the ledgers: a QBO Budget (query API page) in two versions, the
    # newer one raising rent; a Xero OVERALL budget and a TRACKING one (not the entity's)
    def qbo_budget(sync, ts, rent):
        return {
            "Id": "900",
            "Name": "FY2025 Budget",
            "StartDate": "2025-01-01",
            "EndDate": "2025-12-31",
            "BudgetType": "ProfitAndLoss",
            "BudgetEntryType": "Monthly",
            "Active": True,
            "SyncToken": sync,
            "MetaData": _qbo_meta(ts),
            "BudgetDetail": [
                {
                    "BudgetDate": "2025-02-01",
                    "Amount": 1000.0,
                    "AccountRef": {"value": "10", "name": "Services Revenue"},
                },
                {"BudgetDate": "2025-02-01", "Amount": rent, "AccountRef": {"value": "20", "name": "Rent"}},
            ],
        }

    for sync, ts, rent in (("0", "2025-01-20T09:00:00-08:00", 400.0), ("1", "2025-02-02T09:00:00-08:00", 500.0)):
        page = {"QueryResponse": {"Budget": [qbo_budget(sync, ts, rent)], "startPosition": 1, "maxResults": 1}}
        land("qbo", "budget", page, f"budget-{sync}", ts[:10])

    def xero_budget(budget_id, kind, amount):
        return {
            "BudgetID": budget_id,
            "Type": kind,
            "Description": "UK plan" if kind == "OVERALL" else "UK plan - North",
            "UpdatedDateUTC": xero_date("2025-01-25"),
            "Tracking": [] if kind == "OVERALL" else [{"Name": "Region", "Option": "North"}],
            "BudgetLines": [
                {
                    "AccountID": "x-rev",
                    "AccountCode": "200",
                    "BudgetBalances": [{"Period": "2025-02", "Amount": amount, "Notes": ""}],
                }
            ],
        }

    for budget_id, kind, amount in (("xb-1", "OVERALL", 900.0), ("xb-2", "TRACKING", 300.0)):
        land("xero", "budgets", {"Budgets": [xero_budget(budget_id, kind, amount)]}, budget_id, "2025-01-25")

    lake.s3.put_object(
        Bucket=lake.bucket,
        Key="reference/fx_rates/fx_rates.csv",
        Body=b"date,base,quote,rate\n2025-01-01,GBP,USD,1.2500\n2025-02-01,GBP,USD,1.2600\n",
    )


@pytest.fixture(scope="session")
def built(s3_endpoint, tmp_path_factory):
    """One lake, one full build, then the same raw landed twice and an incremental build."""
    from ledgerlake.lake import Lake
    from ledgerlake.transform import build

    suffix = uuid.uuid4().hex[:8]
    home = tmp_path_factory.mktemp("transform-home")
    saved = {k: os.environ.get(k) for k in ("LEDGERLAKE_RAW_BUCKET", "LEDGERLAKE_MARTS_BUCKET", "LEDGERLAKE_HOME")}
    os.environ.update(
        {
            "LEDGERLAKE_RAW_BUCKET": f"raw-{suffix}",
            "LEDGERLAKE_MARTS_BUCKET": f"marts-{suffix}",
            "LEDGERLAKE_HOME": str(home),
        }
    )
    lake = Lake()
    lake.ensure_buckets()
    land_company(lake)
    first = build(stream=None)
    import duckdb

    def snapshot():
        con = duckdb.connect(str(first.warehouse), read_only=True)
        try:
            return {
                name: con.execute(f"select * from marts.{name} order by all").fetchall()
                for name in (
                    "revenue_by_month",
                    "cash_by_account_day",
                    "open_ar_month_end",
                    "trial_balance",
                    "ar_ap_documents",
                )
            }
        finally:
            con.close()

    before = snapshot()
    land_company(lake, times=2)  # every object landed twice more: no-ops by key
    second = build(stream=None)
    after = snapshot()
    yield {
        "first": first,
        "second": second,
        "before": before,
        "after": after,
        "lake": lake,
        "warehouse": first.warehouse,
    }
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def query(built, sql):
    import duckdb

    con = duckdb.connect(str(built["warehouse"]), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_build_is_green_with_tests(built):
    first = built["first"]
    assert first.success, first.failures
    assert first.models >= 70 and first.tests >= 70
    assert "revenue_by_month" in first.exported


def test_revenue_by_month_and_entity(built):
    rows = {
        (e, str(m)): r
        for e, m, r in query(built, "select entity_id, period_month, revenue from marts.revenue_by_month")
    }
    # Jan: invoice 1001; Feb: 1002 (1003 voided → nothing); UK: 1000 net of VAT.
    assert rows[("US", "2025-01-01")] == Decimal("1200.50")
    assert rows[("US", "2025-02-01")] == Decimal("800.00")
    assert rows[("UK", "2025-02-01")] == Decimal("1000.00")


def test_partial_payment_leaves_open_ar(built):
    rows = query(
        built,
        "select month_end, customer_id, open_amount from marts.open_ar_month_end "
        "where entity_id = 'US' order by month_end",
    )
    by_month = {str(m): a for m, _, a in rows}
    assert by_month["2025-01-31"] == Decimal("1200.50")
    assert by_month["2025-02-28"] == Decimal("1200.50") - Decimal("700.25") + Decimal("800")
    # the UK invoice was paid in full in February: nothing open at its month end
    assert not query(built, "select * from marts.open_ar_month_end where entity_id = 'UK' and month_end = '2025-02-28'")


def test_cash_by_account_and_day(built):
    """The bank's balance from its feed (opening implied by the reported balance), beside the book."""
    rows = {
        str(d): (b, book)
        for d, b, book in query(
            built,
            "select balance_date, balance, book_balance from marts.cash_by_account_day where account_key = 'qbo:1'",
        )
    }
    assert min(rows) == "2025-02-01" and max(rows) == "2025-02-21"
    assert rows["2025-02-01"] == (Decimal("99985.00"), Decimal("100000"))
    assert rows["2025-02-20"] == (Decimal("99985.00"), Decimal("100700.25"))
    assert rows["2025-02-21"] == (Decimal("100685.25"), Decimal("100700.25"))
    # the Xero bank account has no feed: no bank balance to report
    assert not query(built, "select * from marts.cash_by_account_day where account_key like 'xero:%'")


def test_unreconciled_bank_lines_flag_the_fee_the_books_never_saw(built):
    rows = query(built, "select problem, line_date, amount, source_id from marts.integrity_unreconciled_bank_lines")
    assert rows == [("bank_without_ledger", date(2025, 2, 1), Decimal("-15.00"), "pt-1")]


def test_bank_queue_carries_the_suggestion_and_the_correction_wins(built):
    rows = query(
        built,
        "select coding_status, needs_review, account_code, suggested_account_code, "
        "suggestion_method, corrected_by, correction_note from marts.bank_unmatched",
    )
    assert rows == [("corrected", False, "6500", "6300", "rule", "ana@example.com", "monthly bank fee")]
    # the auto-applied code was judged by the correction, and it disagreed
    judged = query(
        built,
        "select sum(judged_auto_codes), sum(correct_auto_codes), sum(matched_lines), sum(lines) "
        "from marts.bank_reconciliation_daily",
    )
    assert judged == [(1, 0, 1, 2)]


def test_reporting_currency_carries_dated_rate(built):
    rows = query(
        built,
        "select fx_rate, reporting_amount, functional_amount from marts.general_ledger "
        "where source_system = 'xero' and document_type = 'Invoice' and journal_line_id like '%:0'",
    )
    assert rows == [(Decimal("1.2600000000"), Decimal("1512.00"), Decimal("1200.00"))]


def test_voided_invoice_posts_nothing(built):
    status = query(built, "select status, open_amount from marts.ar_ap_documents where document_id = '403'")
    assert status == [("voided", Decimal("0"))]
    assert not query(built, "select * from marts.general_ledger where document_id = '403'")


def test_integrity_marts_flag_exactly_the_planted_problems(built):
    assert query(built, "select deal_id from marts.integrity_won_deals_without_invoice") == [("9005",)]
    assert query(built, "select payout_id from marts.integrity_payouts_without_bank_deposit") == [("po_1",)]
    assert query(built, "select deal_id from marts.integrity_paid_invoices_open_deals") == [("9004",)]
    names = sorted(r[0] for r in query(built, "select vendor_name from marts.integrity_duplicate_vendors"))
    assert names == ["Amazon Web Services", "Amazon.com"]


def test_landing_everything_twice_changes_no_mart(built):
    assert built["second"].success
    assert built["second"].new_raw_objects == 0
    assert built["before"] == built["after"]


def test_marts_published_as_parquet(built):
    lake = built["lake"]
    keys = list(lake.s3.list_objects_v2(Bucket=lake.settings.marts_bucket, Prefix="marts/").get("Contents", []))
    assert any(k["Key"] == "marts/revenue_by_month/revenue_by_month.parquet" for k in keys)


def test_ledger_budgets_meet_the_actuals_in_budget_vs_actual(built):
    """Budgets polled from the ledgers: the QBO Budget's latest version (rent 500, not 400) and
    the Xero OVERALL budget (not the TRACKING one), each against its entity's actuals."""
    rows = {
        (s, n, e, c): (b, a, v, budgeted)
        for s, n, e, c, b, a, v, budgeted in query(
            built,
            "select budget_source, budget_name, entity_id, account_code, budget_amount, actual_amount, variance,"
            " is_budgeted from marts.budget_vs_actual where period_month = date '2025-02-01'"
            " and budget_source in ('qbo', 'xero')",
        )
    }
    actual = dict(
        query(
            built,
            "select account_code, sum(case when account_class = 'revenue' then -functional_amount"
            " else functional_amount end) from marts.general_ledger where period_month = date '2025-02-01'"
            " and account_code in ('4000', '6200', '200') group by 1",
        )
    )
    us_revenue, us_rent, uk_revenue = (actual.get(c, Decimal(0)) for c in ("4000", "6200", "200"))
    assert rows[("qbo", "FY2025 Budget", "US", "4000")] == (1000, us_revenue, us_revenue - 1000, True)
    assert rows[("qbo", "FY2025 Budget", "US", "6200")] == (500, us_rent, us_rent - 500, True)
    assert rows[("xero", "UK plan", "UK", "200")] == (900, uk_revenue, uk_revenue - 900, True)
    assert uk_revenue == Decimal("1000.00")  # the UK invoice, net of VAT: a variance of +100
    assert not [k for k in rows if k[1] == "UK plan - North"]  # a tracking option's budget is not the entity's


def test_currency_exponents_match_money_module():
    from ledgerlake import money

    text = (REPO / "transforms" / "macros" / "money.sql").read_text()
    block = text[text.index("currency_exponents() -%}") : text.index("}) }}")]
    pairs = {c: int(e) for c, e in re.findall(r'"([A-Z]{3})": (\d)', block)}
    assert pairs == money._EXPONENTS

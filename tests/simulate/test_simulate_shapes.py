"""The simulated company speaks each provider's wire format."""

from __future__ import annotations

import json
import re
from decimal import Decimal

from sim_readers import read_lines

STRIPE_RESOURCES = (
    "charges",
    "balance_transactions",
    "payouts",
    "refunds",
    "disputes",
    "customers",
    "subscriptions",
    "invoices",
    "events",
)
CONTRACT_FILES = [
    "manifest.json",
    "reference/fx_rates.csv",
    "reference/ecb/eurofxref-hist.xml",
    "truth/problems.json",
    "truth/revenue_by_month.csv",
    "truth/cash_by_account_day.csv",
    "truth/open_ar_month_end.csv",
    *(f"webhooks/{s}.jsonl" for s in ("stripe", "shopify", "hubspot", "qbo", "xero", "plaid")),
    *(f"api/stripe/{r}.jsonl" for r in STRIPE_RESOURCES),
    *(f"api/shopify/{r}.jsonl" for r in ("orders", "transactions", "payouts", "balance_transactions")),
    *(f"api/hubspot/{r}.jsonl" for r in ("deals", "companies", "pipelines")),
    *(
        f"api/qbo/{r}.jsonl"
        for r in (
            "Invoice",
            "Payment",
            "Bill",
            "BillPayment",
            "JournalEntry",
            "Account",
            "Customer",
            "Vendor",
            "Purchase",
            "Deposit",
            "CreditMemo",
        )
    ),
    *(
        f"api/xero/{r}.jsonl"
        for r in ("Invoices", "Payments", "BankTransactions", "CreditNotes", "Accounts", "Contacts", "ManualJournals")
    ),
    *(f"api/plaid/{r}.jsonl" for r in ("accounts", "transactions")),
]


def test_every_contract_file_exists_and_manifest_counts_its_lines(sim_dir):
    manifest = json.loads((sim_dir / "manifest.json").read_text())
    for name in CONTRACT_FILES:
        path = sim_dir / name
        assert path.is_file(), name
        if name.endswith(".jsonl"):
            lines = sum(1 for _ in open(path, encoding="utf-8"))
            assert lines > 0, f"{name} is empty"
            assert manifest["files"][name] == lines, name
    assert manifest["seed"] == 7 and manifest["months"] == 18
    assert {e["code"]: e["currency"] for e in manifest["entities"]} == {"US": "USD", "UK": "GBP"}
    assert manifest["reporting_currency"] == "USD" and manifest["fiscal_year_start_month"] == 4
    # A real small company: hundreds of deals, thousands of orders and bank lines.
    assert manifest["stats"]["deals"] >= 300
    assert manifest["stats"]["shopify_orders"] >= 2000
    assert manifest["files"]["api/plaid/transactions.jsonl"] >= 1500


def test_api_lines_follow_the_contract(sim_dir):
    for name in CONTRACT_FILES:
        if not name.startswith("api/"):
            continue
        previous = ""
        for line in read_lines(sim_dir / name, limit=300):
            assert set(line) <= {"at", "id", "deleted", "object", "refs"}, name
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", line["at"]), name
            assert isinstance(line["id"], str) and isinstance(line["deleted"], bool)
            assert line["at"] >= previous, f"{name} not in time order"
            previous = line["at"]


def test_stripe_objects_carry_every_key_of_the_fixture_object(sim_dir, stripe_fixtures):
    checked = set()
    for resource in STRIPE_RESOURCES:
        for line in read_lines(sim_dir / "api" / "stripe" / f"{resource}.jsonl"):
            obj = line["object"]
            kind = obj["object"]
            missing = set(stripe_fixtures[kind]) - set(obj)
            assert not missing, f"{kind} {obj['id']} lacks {sorted(missing)}"
            if kind == "event":
                inner = obj["data"]["object"]
                assert not set(stripe_fixtures[inner["object"]]) - set(inner), obj["type"]
                checked.add(inner["object"])
            checked.add(kind)
    assert {
        "charge",
        "balance_transaction",
        "payout",
        "refund",
        "dispute",
        "customer",
        "subscription",
        "invoice",
        "event",
    } <= checked


def test_shopify_payloads_carry_every_fixture_key(sim_dir, shopify_fixture):
    order_keys = set(shopify_fixture("order.json")["order"]) | set(shopify_fixture("orders.json")["orders"][0])
    line_item_keys = set(shopify_fixture("order.json")["order"]["line_items"][0])
    refund = shopify_fixture("refund.json")["refund"]
    refunded = 0
    for line in read_lines(sim_dir / "api" / "shopify" / "orders.jsonl"):
        order = line["object"]
        assert not order_keys - set(order), sorted(order_keys - set(order))
        assert not line_item_keys - set(order["line_items"][0])
        for key in ("total_price_set", "subtotal_price_set", "total_tax_set", "total_discounts_set"):
            assert set(order[key]) == {"shop_money", "presentment_money"}
        assert order["total_price_set"]["presentment_money"]["currency_code"] == order["presentment_currency"]
        for r in order["refunds"]:
            assert not set(refund) - set(r)
            assert not set(refund["refund_line_items"][0]) - set(r["refund_line_items"][0])
            refunded += 1
    assert refunded > 20
    for name, fixture, key in (
        ("payouts", "payouts.json", "payouts"),
        ("balance_transactions", "payouts_transactions.json", "transactions"),
        ("transactions", "transaction.json", None),
    ):
        sample = shopify_fixture(fixture)
        sample = sample[key][0] if key else sample["transaction"]
        for line in read_lines(sim_dir / "api" / "shopify" / f"{name}.jsonl", limit=2000):
            assert not set(sample) - set(line["object"]), name


def test_shopify_orders_use_several_presentment_currencies(sim_dir):
    orders = [line["object"] for line in read_lines(sim_dir / "api" / "shopify" / "orders.jsonl", limit=3000)]
    assert {"GBP", "EUR", "USD"} <= {o["presentment_currency"] for o in orders}
    assert {o["currency"] for o in orders} == {"GBP"}


_XERO_DATE = re.compile(r"/Date\(\d+[+-]\d{4}\)/")


def test_xero_dates_are_ms_json_dates(sim_dir):
    def walk(value, path):
        if isinstance(value, dict):
            for key, item in value.items():
                if key in ("Date", "DueDate", "UpdatedDateUTC", "FullyPaidOnDate"):
                    assert _XERO_DATE.fullmatch(item), (path, key, item)
                walk(item, path)
        elif isinstance(value, list):
            for item in value:
                walk(item, path)

    from ledgerlake.simulate.engine import RESOURCES

    for resource in RESOURCES["xero"]:
        for line in read_lines(sim_dir / "api" / "xero" / f"{resource}.jsonl"):
            walk(line["object"], resource)


def test_plaid_amounts_are_positive_for_money_out(api, sim_dir):
    txns = [line["object"] for line in api.lines("plaid", "transactions") if not line["deleted"]]
    stripe_deposits = [t for t in txns if t["name"].startswith("STRIPE TRANSFER")]
    rent = [t for t in txns if t["name"].startswith("LANDMARK PROPERTIES")]
    assert stripe_deposits and all(t["amount"] < 0 for t in stripe_deposits)
    assert rent and all(t["amount"] > 0 for t in rent)
    accounts = {a["account_id"] for a in api.latest("plaid", "accounts").values()}
    manifest = json.loads((sim_dir / "manifest.json").read_text())
    assert accounts == {a["plaid_account_id"] for a in manifest["accounts"]}


def test_plaid_pending_transactions_are_removed_and_replaced_when_posted(api):
    deleted, pending_seen, posted_refs = set(), set(), []
    for line in api.lines("plaid", "transactions"):
        obj = line["object"]
        if line["deleted"]:
            assert obj["pending"] is True
            deleted.add(line["id"])
        elif obj["pending"]:
            pending_seen.add(obj["transaction_id"])
        elif obj["pending_transaction_id"]:
            assert obj["pending_transaction_id"] in deleted, "posted before its pending was removed"
            posted_refs.append(obj)
    assert len(posted_refs) > 100
    assert deleted <= pending_seen


def test_webhook_deliveries_have_provider_shapes(sim_dir):
    signature_headers = {
        "stripe-signature",
        "x-shopify-hmac-sha256",
        "x-hubspot-signature-v3",
        "x-hubspot-request-timestamp",
        "intuit-signature",
        "x-xero-signature",
        "plaid-verification",
    }
    seen_qbo_formats = set()
    shopify_topics = set()
    for source in ("stripe", "shopify", "hubspot", "qbo", "xero", "plaid"):
        previous = ""
        for delivery in read_lines(sim_dir / "webhooks" / f"{source}.jsonl", limit=5000):
            assert delivery["source"] == source and delivery["method"] == "POST"
            assert delivery["sent_at"] >= previous
            previous = delivery["sent_at"]
            assert not {h.lower() for h in delivery["headers"]} & signature_headers
            body = json.loads(delivery["body"])
            if source == "stripe":
                assert body["object"] == "event" and body["id"] == delivery["delivery_id"]
            elif source == "shopify":
                headers = delivery["headers"]
                for name in (
                    "X-Shopify-Topic",
                    "X-Shopify-Webhook-Id",
                    "X-Shopify-Shop-Domain",
                    "X-Shopify-API-Version",
                    "X-Shopify-Triggered-At",
                    "X-Shopify-Event-Id",
                ):
                    assert headers[name]
                assert headers["X-Shopify-Webhook-Id"] == delivery["delivery_id"]
                shopify_topics.add(headers["X-Shopify-Topic"])
            elif source == "hubspot":
                assert isinstance(body, list) and 1 <= len(body) <= 100
                for event in body:
                    assert {
                        "eventId",
                        "subscriptionId",
                        "portalId",
                        "appId",
                        "occurredAt",
                        "subscriptionType",
                        "attemptNumber",
                        "objectId",
                        "changeSource",
                    } <= set(event)
                    if event["subscriptionType"] == "deal.propertyChange":
                        assert {"propertyName", "propertyValue"} <= set(event)
            elif source == "qbo":
                if isinstance(body, list):
                    seen_qbo_formats.add("cloudevents")
                    assert all(e["specversion"] == "1.0" and e["intuitentityid"] for e in body)
                else:
                    seen_qbo_formats.add("legacy")
                    entities = body["eventNotifications"][0]["dataChangeEvent"]["entities"]
                    assert all({"name", "id", "operation", "lastUpdated"} <= set(e) for e in entities)
            elif source == "xero":
                assert {"events", "firstEventSequence", "lastEventSequence", "entropy"} <= set(body)
                for event in body["events"]:
                    assert {
                        "resourceUrl",
                        "resourceId",
                        "eventDateUtc",
                        "eventType",
                        "eventCategory",
                        "tenantId",
                        "tenantType",
                    } <= set(event)
            elif source == "plaid":
                assert body["webhook_type"] == "TRANSACTIONS"
                assert body["webhook_code"] == "SYNC_UPDATES_AVAILABLE" and body["item_id"]
    assert seen_qbo_formats == {"cloudevents", "legacy"}
    assert {"orders/create", "orders/paid", "orders/updated", "refunds/create"} <= shopify_topics


def test_hubspot_pipelines_have_stage_labels_and_probabilities(api):
    pipelines = api.latest("hubspot", "pipelines")
    assert len(pipelines) == 2
    for pipeline in pipelines.values():
        for stage in pipeline["stages"]:
            assert stage["label"] and stage["metadata"]["isClosed"] in ("true", "false")
            assert Decimal(stage["metadata"]["probability"]) <= 1
    deal = next(iter(api.latest("hubspot", "deals").values()))
    assert {
        "dealname",
        "amount",
        "dealstage",
        "pipeline",
        "closedate",
        "hs_lastmodifieddate",
        "deal_currency_code",
        "hs_deal_stage_probability",
    } <= set(deal["properties"])
    assert deal["associations"]["companies"]["results"][0]["type"] == "deal_to_company"


def test_charts_of_accounts_cover_the_needed_classes(api):
    qbo = {a["AccountType"] for a in api.latest("qbo", "Account").values()}
    assert {
        "Bank",
        "Accounts Receivable",
        "Accounts Payable",
        "Other Current Asset",
        "Income",
        "Cost of Goods Sold",
        "Expense",
        "Equity",
        "Other Current Liability",
    } <= qbo
    xero = {a["Type"] for a in api.latest("xero", "Accounts").values()}
    assert {"BANK", "CURRENT", "CURRLIAB", "EQUITY", "REVENUE", "SALES", "DIRECTCOSTS", "EXPENSE"} <= xero
    # QBO versions: SyncToken increments with each version of the same record.
    tokens: dict[str, list[int]] = {}
    for line in api.lines("qbo", "Invoice"):
        if not line["deleted"]:
            tokens.setdefault(line["id"], []).append(int(line["object"]["SyncToken"]))
    assert all(t == list(range(len(t))) for t in tokens.values())
    assert max(len(t) for t in tokens.values()) >= 2


def test_deletes_and_voids_look_like_the_providers_report_them(api):
    qbo = [line for line in api.lines("qbo", "Invoice") if line["deleted"]]
    xero = [line for line in api.lines("xero", "Invoices") if line["deleted"]]
    assert qbo and xero
    for line in qbo:
        assert line["object"]["status"] == "Deleted" and line["object"]["Id"] == line["id"]
        assert line["id"] not in api.latest("qbo", "Invoice")
    for line in xero:
        assert line["object"]["Status"] == "VOIDED" and line["object"]["AmountDue"] == 0

"""Records planted into test lakes: one of each kind that cannot be staged or posted, and
the Shopify order + refund whose copies multiplied refunds (issue #14). Shared by
test_quarantine.py (the mini lake) and conftest.py `company_build` (the simulated company).
"""

from __future__ import annotations

import json
import uuid
from datetime import date

from .test_marts import qbo_invoice, xero_date

SHOP = "northwind-uk.myshopify.com"

# what each planted record is quarantined as: (source, entity, source_id, reason_code)
PLANTED_AS = {
    "order_without_id": ("shopify", "orders", None, "no id"),
    "event_object_without_id": ("stripe", "events", "evt_bad_1", "no id"),
    "journal_unknown_account": ("xero", "ManualJournal", "mj-unknown-account", "unknown account"),
    "invoice_no_rate": ("qbo", "Invoice", "999777", "no fx rate"),
    "xero_item_without_id": ("xero", "contacts", None, "no id"),
}


def _land(lake, source, entity, payload, day, arrival="poll", extra=None, headers=None, identity=None):
    return lake.land(
        source=source,
        entity=entity,
        payload=json.dumps(payload).encode(),
        identity=identity or uuid.uuid4().hex,
        event_time=date.fromisoformat(day),
        arrival=arrival,
        extra=extra,
        headers=headers,
    ).key


def shopify_refund(order_id="820982911946154508"):
    return {
        "id": 509562969,
        "order_id": int(order_id),
        "created_at": "2025-02-12T10:00:00+00:00",
        "processed_at": "2025-02-12T10:00:00+00:00",
        "note": "Customer return",
        "restock": True,
        "transactions": [
            {
                "id": 389404469,
                "order_id": int(order_id),
                "kind": "refund",
                "status": "success",
                "amount": "209.00",
                "currency": "GBP",
                "gateway": "shopify_payments",
            }
        ],
        "refund_line_items": [],
        "order_adjustments": [],
    }


def shopify_order(updated="2025-02-12T10:00:00+00:00", refunds=()):
    return {
        "id": 820982911946154508,
        "name": "#1001",
        "email": "jon@example.com",
        "currency": "GBP",
        "created_at": "2025-02-10T09:00:00+00:00",
        "processed_at": "2025-02-10T09:00:00+00:00",
        "updated_at": updated,
        "total_price": "598.94",
        "subtotal_price": "499.12",
        "total_tax": "99.82",
        "total_discounts": "0.00",
        "financial_status": "partially_refunded",
        "source_name": "web",
        "customer": {"id": 115310627314723954, "email": "jon@example.com", "first_name": "Jon", "last_name": "Snow"},
        "refunds": list(refunds),
    }


def _shopify_headers(topic):
    return {"X-Shopify-Topic": topic, "X-Shopify-Shop-Domain": SHOP, "X-Shopify-Webhook-Id": uuid.uuid4().hex}


def plant_bad_records(lake, realm: str) -> dict[str, str]:
    """One record of each kind that cannot be staged or posted: {what: raw key}."""
    keys = {}
    keys["order_without_id"] = _land(
        lake,
        "shopify",
        "orders",
        {"note": "a signed body of an unexpected kind"},
        "2025-02-11",
        arrival="webhook",
        headers=_shopify_headers("orders/updated"),
    )
    keys["event_object_without_id"] = _land(
        lake,
        "stripe",
        "events",
        {
            "id": "evt_bad_1",
            "object": "event",
            "type": "charge.updated",
            "created": 1738368000,
            "data": {"object": {"object": "charge"}},
        },
        "2025-02-01",
        arrival="webhook",
    )
    journal = {
        "ManualJournalID": "mj-unknown-account",
        "Date": xero_date("2025-02-14"),
        "Status": "POSTED",
        "Narration": "Accrual",
        "UpdatedDateUTC": xero_date("2025-02-14"),
        "JournalLines": [{"AccountCode": "999", "LineAmount": "75.00"}, {"AccountCode": "200", "LineAmount": "-75.00"}],
    }
    keys["journal_unknown_account"] = _land(lake, "xero", "manualjournals", {"ManualJournals": [journal]}, "2025-02-14")
    no_rate = dict(qbo_invoice("999777", "Q-999777", "2025-02-12", 1000, "9777"), CurrencyRef={"value": "ZAR"})
    keys["invoice_no_rate"] = _land(
        lake, "qbo", "invoice", {"Invoice": no_rate}, "2025-02-12", arrival="hydrate", extra={"realm_id": realm}
    )
    keys["xero_item_without_id"] = _land(lake, "xero", "contacts", {"Contacts": [{"Name": "No id Ltd"}]}, "2025-02-14")
    return keys


def resend_orders_with_refunds(lake, times: int) -> int:
    """Every Shopify order webhook that carries refunds, landed `times` more times under new
    keys (an orders/updated delivery each): a refund then sits in many raw objects."""
    resent = 0
    for key in list(lake.keys("raw/source=shopify/entity=orders/")):
        if "/webhook-" not in key:
            continue
        envelope, payload = lake.read(key)
        if not payload.get("refunds"):
            continue
        for _ in range(times):
            headers = dict(
                envelope.get("headers") or {},
                **{"x-shopify-topic": "orders/updated", "x-shopify-webhook-id": uuid.uuid4().hex},
            )
            _land(
                lake,
                "shopify",
                "orders",
                payload,
                key.split("date=")[1][:10],
                arrival="webhook",
                headers=headers,
                extra=envelope.get("extra"),
            )
            resent += 1
    return resent

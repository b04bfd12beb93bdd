"""Helpers for the webhook tests: one valid delivery per source in the provider's real
shape, and signing it the way the provider would."""

from __future__ import annotations

import json
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures"
TOKENS = {
    "QBO_ACCESS_TOKEN": "test-qbo-access-token",
    "XERO_ACCESS_TOKEN": "test-xero-access-token",
    "HUBSPOT_ACCESS_TOKEN": "test-hubspot-access-token",
    "PLAID_CLIENT_ID": "test-plaid-client",
    "PLAID_SECRET": "test-plaid-secret",
    "PLAID_ACCESS_TOKEN": "access-sandbox-test",
}
REALM, TENANT, ITEM = (
    "9130350000000001",
    "3b5e2f4a-6d7c-4e1b-9a0f-2c8d7e6f5a41",
    "eVBnVMp7zdTJLkRNr33Rs6zr7KNJqBFL9DrE6",
)


# -- one valid delivery per source --------------------------------------------------------

SOURCES = ("stripe", "shopify", "hubspot", "qbo", "xero", "plaid")


def sample(source: str) -> tuple[bytes, dict[str, str]]:
    """(body, non-signature headers) of a realistic delivery."""
    if source == "stripe":
        from ledgerlake.sources.stripe.webhook import event_of

        charge = json.loads((SHARED / "stripe" / "fixtures3.json").read_text())["resources"]["charge"]
        return event_of(charge, event_id="evt_1PgafuB7WZ01zgkWtest0001", event_type="charge.succeeded"), {}
    if source == "shopify":
        order = json.loads((SHARED / "shopify" / "order.json").read_text())["order"]
        return json.dumps(order).encode(), {
            "X-Shopify-Topic": "orders/create",
            "X-Shopify-Shop-Domain": "ledgerlake-demo.myshopify.com",
            "X-Shopify-Webhook-Id": "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
            "X-Shopify-Event-Id": "98880550-7158-44d4-b7cd-2c97c8a091b5",
            "X-Shopify-Triggered-At": "2025-05-02T12:00:00.000000Z",
            "X-Shopify-API-Version": "2025-04",
        }
    if source == "hubspot":
        events = [
            {
                "eventId": 100,
                "subscriptionId": 2181,
                "portalId": 62515,
                "appId": 54321,
                "occurredAt": 1746187200000,
                "subscriptionType": "deal.propertyChange",
                "attemptNumber": 0,
                "objectId": 1234567,
                "propertyName": "dealstage",
                "propertyValue": "closedwon",
                "changeSource": "CRM",
                "sourceId": "userId:1",
            },
            {
                "eventId": 100,
                "subscriptionId": 2182,
                "portalId": 62515,
                "appId": 54321,
                "occurredAt": 1746187200000,
                "subscriptionType": "deal.creation",
                "attemptNumber": 0,
                "objectId": 7654321,
                "changeFlag": "CREATED",
                "changeSource": "CRM",
            },
        ]
        return json.dumps(events).encode(), {}
    if source == "qbo":
        body = {
            "eventNotifications": [
                {
                    "realmId": REALM,
                    "dataChangeEvent": {
                        "entities": [
                            {
                                "name": "Invoice",
                                "id": "130",
                                "operation": "Update",
                                "lastUpdated": "2025-05-03T17:15:00.000Z",
                            }
                        ]
                    },
                }
            ]
        }
        return json.dumps(body).encode(), {}
    if source == "xero":
        body = {
            "events": [
                {
                    "resourceUrl": "https://api.xero.com/api.xro/2.0/Invoices/7a1b2c3d-0000-4000-8000-000000000042",
                    "resourceId": "7a1b2c3d-0000-4000-8000-000000000042",
                    "eventDateUtc": "2025-05-03T10:15:20.345",
                    "eventType": "UPDATE",
                    "eventCategory": "INVOICE",
                    "tenantId": TENANT,
                    "tenantType": "ORGANISATION",
                }
            ],
            "firstEventSequence": 42,
            "lastEventSequence": 42,
            "entropy": "S0M3R4ND0MT3XT",
        }
        return json.dumps(body).encode(), {}
    if source == "plaid":
        body = {
            "environment": "production",
            "historical_update_complete": True,
            "initial_update_complete": True,
            "item_id": ITEM,
            "webhook_code": "SYNC_UPDATES_AVAILABLE",
            "webhook_type": "TRANSACTIONS",
        }
        return json.dumps(body, indent=2).encode(), {"Plaid-Version": "2020-09-14"}
    raise KeyError(source)


def sign(source: str, body: bytes, url: str, *, now: float | None = None, secret_value=None, providers=None) -> dict:
    from ledgerlake.webhooks.registry import provider

    if source == "plaid" and secret_value is None:
        secret_value = providers.key
    return provider(source).sign(body, url=url, now=now, secret_value=secret_value)

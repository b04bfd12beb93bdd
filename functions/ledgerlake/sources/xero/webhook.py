"""Xero webhooks: thin pings signed with `x-xero-signature`, plus intent to receive.

`x-xero-signature` is the base64 HMAC-SHA256 of the raw body keyed by the webhook key.
Body: `{"events": [{"resourceUrl", "resourceId", "eventDateUtc", "eventType",
"eventCategory", "tenantId", "tenantType"}], "firstEventSequence", "lastEventSequence",
"entropy"}`.

Intent to receive: when a subscription is set up Xero sends deliveries with an empty
`events` list, some correctly signed and some not; the endpoint must answer 200 with an
empty body to the former and 401 to the latter, every time. The receiver answers every
Xero delivery with an empty body, and an empty `events` list lands nothing.

Each event lands on its own (entity `notifications`), identity = tenant + category +
resource id + event type + event date. Xero signs no timestamp.
"""

from __future__ import annotations

from urllib.parse import urlparse

from ...config import secret
from ...lake import identity_hash
from ...webhooks.core import Landing, Refused, Request, check_b64_hmac, compact, event_time, hmac_sha256_b64

SOURCE = "xero"
THIN = True
SECRET_NAME = "XERO_WEBHOOK_KEY"
EMPTY_RESPONSE = True  # Xero wants 200 with an empty body

# eventCategory -> Accounting API resource (path segment; lower-cased, the raw entity).
RESOURCES = {
    "INVOICE": "Invoices",
    "CONTACT": "Contacts",
    "CREDITNOTE": "CreditNotes",
    "PAYMENT": "Payments",
    "BANKTRANSACTION": "BankTransactions",
    "MANUALJOURNAL": "ManualJournals",
    "ACCOUNT": "Accounts",
}


def verify(request: Request) -> None:
    check_b64_hmac(request, "x-xero-signature", secret(SECRET_NAME))


def resource_for(event: dict) -> str | None:
    category = str(event.get("eventCategory", "")).upper()
    if category in RESOURCES:
        return RESOURCES[category]
    # .../api.xro/2.0/{Resource}/{id}
    parts = urlparse(str(event.get("resourceUrl", ""))).path.strip("/").split("/")
    return parts[-2] if len(parts) >= 2 and parts[-2].isalpha() else None


def landings(request: Request, document) -> list[Landing]:
    if not isinstance(document, dict) or not isinstance(document.get("events"), list):
        raise Refused("Xero body has no events list", status=400)
    out = []
    for event in document["events"]:
        if not isinstance(event, dict):
            raise Refused("a Xero event is not an object", status=400)
        resource = resource_for(event)
        job = None
        if resource and event.get("resourceId") and event.get("tenantId"):
            job = {
                "source": SOURCE,
                "resource": resource,
                "id": str(event["resourceId"]),
                "tenant_id": str(event["tenantId"]),
                "event_date": event.get("eventDateUtc"),
            }
        out.append(
            Landing(
                entity="notifications",
                identity=identity_hash(
                    "xero",
                    event.get("tenantId"),
                    event.get("eventCategory"),
                    event.get("resourceId"),
                    event.get("eventType"),
                    event.get("eventDateUtc"),
                ),
                event_time=event_time(event.get("eventDateUtc"), fallback=request.now),
                payload=compact(event),
                extra={
                    "event_category": event.get("eventCategory"),
                    "event_type": event.get("eventType"),
                    "first_event_sequence": document.get("firstEventSequence"),
                },
                jobs=(job,) if job else (),
            )
        )
    return out


def sign(
    body: bytes, *, url: str = "", method: str = "POST", now: float | None = None, secret_value: str | None = None
) -> dict[str, str]:
    return {"x-xero-signature": hmac_sha256_b64(secret_value or secret(SECRET_NAME), body)}

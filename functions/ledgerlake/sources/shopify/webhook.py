"""Shopify webhooks: fat events, the resource itself as the body.

`X-Shopify-Hmac-Sha256` is the base64 HMAC-SHA256 of the raw body keyed by the app's
client secret. The topic (`orders/create`, `refunds/create`, ...) comes from
`X-Shopify-Topic`, the identity from `X-Shopify-Webhook-Id` (the same on every retry of
a delivery). Shopify signs no timestamp, so a replay of a captured delivery can only be
recognised by that id: it lands on the same key and changes nothing.
"""

from __future__ import annotations

from ...config import secret
from ...webhooks.core import Landing, Refused, Request, check_b64_hmac, event_time, hmac_sha256_b64

SOURCE = "shopify"
THIN = False
SECRET_NAME = "SHOPIFY_WEBHOOK_SECRET"

# Topic prefix -> raw entity. `orders/*` and `refunds/create` are the contract's entities;
# any other subscribed topic lands under its own resource name.
_ENTITIES = {"orders": "orders", "refunds": "refunds"}


def entity_for(topic: str) -> str:
    resource = topic.split("/", 1)[0].strip().lower()
    if not resource or not resource.replace("_", "").isalnum():
        raise Refused(f"unusable X-Shopify-Topic {topic[:60]!r}", status=400)
    return _ENTITIES.get(resource, resource)


def verify(request: Request) -> None:
    check_b64_hmac(request, "X-Shopify-Hmac-Sha256", secret(SECRET_NAME))


def landings(request: Request, document) -> list[Landing]:
    # Signed but incomplete: the sender is authentic, the delivery unusable (400).
    topic = request.header("X-Shopify-Topic")
    webhook_id = request.header("X-Shopify-Webhook-Id")
    if not topic or not webhook_id:
        raise Refused("missing X-Shopify-Topic or X-Shopify-Webhook-Id header", status=400)
    if not isinstance(document, dict):
        raise Refused("Shopify body is not a JSON object", status=400)
    return [
        Landing(
            entity=entity_for(topic),
            identity=webhook_id,
            # The event's own time: when Shopify triggered it (kept on retries), else the
            # resource's stamps. Never arrival time, or a retry tomorrow would land twice.
            event_time=event_time(
                request.header("X-Shopify-Triggered-At"),
                document.get("updated_at"),
                document.get("created_at"),
                fallback=request.now,
            ),
            payload=request.body,
            event_id=request.header("X-Shopify-Event-Id") or webhook_id,
            api_version=request.header("X-Shopify-API-Version"),
            extra={"topic": topic, "resource_id": document.get("id")},
        )
    ]


def sign(body: bytes, *, url: str = "", method: str = "POST", now: float | None = None, secret_value: str | None = None) -> dict[str, str]:
    return {"X-Shopify-Hmac-Sha256": hmac_sha256_b64(secret_value or secret(SECRET_NAME), body)}

"""Stripe webhooks: fat events, signed with `Stripe-Signature`.

Header: `t=<unix seconds>,v1=<hex>[,v1=<hex>...][,v0=...]`. The signed payload is
`f"{t}.{raw body}"`, HMAC-SHA256 with the endpoint's signing secret (`whsec_...`).
While a secret is being rolled Stripe sends one `v1` per active secret, so the delivery
is accepted when any `v1` matches. Deliveries older than 300 s are refused (replays).
Identity: the Event id (`evt_...`); a redelivered event carries the same id.
"""

from __future__ import annotations

import json
import time

from ...config import secret
from ...webhooks.core import Landing, Refused, Request, check_fresh, event_time, hmac_sha256, require_header, same

SOURCE = "stripe"
THIN = False
SECRET_NAME = "STRIPE_WEBHOOK_SECRET"
TOLERANCE_SECONDS = 300


def _expected(secret_value: str, timestamp: str, body: bytes) -> str:
    return hmac_sha256(secret_value, timestamp.encode() + b"." + body).hex()


def verify(request: Request) -> None:
    header = require_header(request, "Stripe-Signature")
    timestamp, signatures = None, []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t":
            timestamp = value
        elif key == "v1":
            signatures.append(value)
    if not timestamp or not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12) or not signatures:
        raise Refused("Stripe-Signature lacks t= or v1=")
    expected = _expected(secret(SECRET_NAME), timestamp, request.body)
    # Compare against every v1 (no early exit) so timing says nothing about which matched.
    matches = [same(expected, candidate) for candidate in signatures]
    if not any(matches):
        raise Refused("no v1 signature matches")
    check_fresh(int(timestamp), request.now, TOLERANCE_SECONDS)


def landings(request: Request, document) -> list[Landing]:
    if (
        not isinstance(document, dict)
        or document.get("object") != "event"
        or not isinstance(document.get("id"), str)
        or not document["id"]
    ):
        raise Refused("body is not a Stripe Event", status=400)
    data = document.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    api_version = document.get("api_version")
    return [
        Landing(
            entity="events",
            identity=str(document["id"])[:255],
            event_time=event_time(document.get("created"), fallback=request.now),
            payload=request.body,
            event_id=str(document["id"])[:255],
            api_version=api_version if isinstance(api_version, str) else None,
            extra={"type": document.get("type"), "object_id": obj.get("id") if isinstance(obj, dict) else None},
        )
    ]


def sign(
    body: bytes, *, url: str = "", method: str = "POST", now: float | None = None, secret_value: str | None = None
) -> dict[str, str]:
    timestamp = str(int(now if now is not None else time.time()))
    signature = _expected(secret_value or secret(SECRET_NAME), timestamp, body)
    return {"Stripe-Signature": f"t={timestamp},v1={signature}"}


def event_of(obj: dict, *, event_id: str, event_type: str | None = None, created: int | None = None) -> bytes:
    """Wrap an API object in an Event the way Stripe delivers it (fixtures and tests)."""
    kind = obj.get("object", "object")
    event = {
        "id": event_id,
        "object": "event",
        "api_version": "2024-06-20",
        "created": created if created is not None else int(obj.get("created") or time.time()),
        "data": {"object": obj},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type or f"{kind}.updated",
    }
    return json.dumps(event, indent=2).encode()

"""HubSpot webhooks: thin pings, a JSON array of up to 100 events, signatures v1-v3.

HubSpot's request-validation guide defines three signatures; a delivery carries v3 and,
for backwards compatibility, an older one named by `X-HubSpot-Signature-Version`:

* v3: `X-HubSpot-Signature-v3` = base64(HMAC-SHA256(client secret,
  method + URI + raw body + X-HubSpot-Request-Timestamp)), where URI is the full URL the
  request was sent to (scheme, host, path, query) with a few percent-escapes decoded as
  the guide lists. The timestamp is in milliseconds; older than 5 minutes is refused.
* v2: `X-HubSpot-Signature` = hex SHA-256 of client secret + method + URI + body.
* v1: `X-HubSpot-Signature` = hex SHA-256 of client secret + body.

When the v3 header is present it alone decides (a failing v3 is not retried as v1: no
downgrade). Otherwise `X-HubSpot-Signature-Version` picks v1 or v2. v1 and v2 sign no
time, so a captured delivery can be replayed; it lands on the keys it landed on first
(identity and date come from the signed events), so a replay adds nothing.

Each event of the batch lands as its own object (entity `notifications`). `eventId` is
not unique across subscriptions and portals, and `attemptNumber` changes on every retry,
so identity is a hash of the fields that say what happened (portal, subscription, object,
change, time) without `attemptNumber`. Creation and property-change pings enqueue a
hydration job for the object; deletions do not (the record is gone; the ping says so).
"""

from __future__ import annotations

import hashlib
import time

from ...config import secret
from ...lake import identity_hash
from ...webhooks.core import (
    Landing,
    Refused,
    Request,
    check_fresh,
    compact,
    event_time,
    hmac_sha256_b64,
    require_header,
    same,
)

SOURCE = "hubspot"
THIN = True
SECRET_NAME = "HUBSPOT_CLIENT_SECRET"
TOLERANCE_SECONDS = 300
MAX_EVENTS = 100

# The escapes HubSpot decodes in the URI before signing (its request-validation guide).
_DECODE = {
    "%3A": ":",
    "%2F": "/",
    "%3F": "?",
    "%40": "@",
    "%21": "!",
    "%24": "$",
    "%27": "'",
    "%28": "(",
    "%29": ")",
    "%2A": "*",
    "%2C": ",",
    "%3B": ";",
}
# Object type of a subscription -> CRM object path (and raw entity of the hydrated record).
OBJECT_TYPES = {"deal": "deals", "company": "companies", "contact": "contacts"}
# Generic `object.*` subscriptions name the type by id.
OBJECT_TYPE_IDS = {"0-1": "contacts", "0-2": "companies", "0-3": "deals"}
IDENTITY_FIELDS = (
    "portalId",
    "appId",
    "subscriptionId",
    "subscriptionType",
    "eventId",
    "objectId",
    "objectTypeId",
    "occurredAt",
    "propertyName",
    "propertyValue",
    "changeSource",
    "changeFlag",
    "sourceId",
    "fromObjectId",
    "toObjectId",
    "associationType",
    "primaryObjectId",
    "mergedObjectIds",
)


def canonical_uri(url: str) -> str:
    for escape, char in _DECODE.items():
        url = url.replace(escape, char).replace(escape.lower(), char)
    return url


def _expected(secret_value: str, method: str, url: str, body: bytes, timestamp: str) -> str:
    message = method.upper().encode() + canonical_uri(url).encode() + body + timestamp.encode()
    return hmac_sha256_b64(secret_value, message)


def _legacy_expected(version: str, secret_value: str, method: str, url: str, body: bytes) -> str:
    """v1: sha256(secret + body); v2: sha256(secret + method + URI + body), hex."""
    message = secret_value.encode() + (b"" if version == "v1" else method.upper().encode() + url.encode()) + body
    return hashlib.sha256(message).hexdigest()


def verify(request: Request) -> None:
    if request.header("X-HubSpot-Signature-v3") is None:
        version = (request.header("X-HubSpot-Signature-Version") or "").strip().lower()
        if version not in ("v1", "v2"):
            raise Refused("missing X-HubSpot-Signature-v3 header and no v1/v2 signature version")
        given = require_header(request, "X-HubSpot-Signature")
        expected = _legacy_expected(version, secret(SECRET_NAME), request.method, request.url, request.body)
        if not same(expected, given.lower()):
            raise Refused(f"X-HubSpot-Signature ({version}) does not match")
        return
    given = require_header(request, "X-HubSpot-Signature-v3")
    timestamp = require_header(request, "X-HubSpot-Request-Timestamp")
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 16):
        raise Refused("X-HubSpot-Request-Timestamp is not a number")
    expected = _expected(secret(SECRET_NAME), request.method, request.url, request.body, timestamp)
    if not same(expected, given):
        raise Refused("X-HubSpot-Signature-v3 does not match")
    check_fresh(int(timestamp) / 1000, request.now, TOLERANCE_SECONDS)


def object_type(event: dict) -> str | None:
    kind, _, _ = str(event.get("subscriptionType", "")).partition(".")
    if kind == "object":
        return OBJECT_TYPE_IDS.get(str(event.get("objectTypeId")))
    return OBJECT_TYPES.get(kind)


def _job(event: dict) -> dict | None:
    action = str(event.get("subscriptionType", "")).partition(".")[2]
    kind = object_type(event)
    if (
        kind is None
        or event.get("objectId") is None
        or action not in ("creation", "propertyChange", "restore", "merge")
    ):
        return None
    return {
        "source": SOURCE,
        "object_type": kind,
        "id": str(event["objectId"]),
        "portal_id": event.get("portalId"),
        "occurred_at": event.get("occurredAt"),
    }


def landings(request: Request, document) -> list[Landing]:
    if not isinstance(document, list) or not all(isinstance(e, dict) for e in document):
        raise Refused("HubSpot body is not an array of events", status=400)
    if len(document) > MAX_EVENTS:
        raise Refused(f"HubSpot batch of {len(document)} events exceeds {MAX_EVENTS}", status=400)
    out = []
    for index, event in enumerate(document):
        identity = identity_hash("hubspot", *[event.get(name) for name in IDENTITY_FIELDS])
        job = _job(event)
        out.append(
            Landing(
                entity="notifications",
                identity=identity,
                event_time=event_time(event.get("occurredAt"), fallback=request.now),
                payload=compact(event),
                event_id=str(event.get("eventId")) if event.get("eventId") is not None else None,
                extra={
                    "subscription_type": event.get("subscriptionType"),
                    "batch_index": index,
                    "batch_size": len(document),
                },
                jobs=(job,) if job else (),
            )
        )
    return out


def sign(
    body: bytes,
    *,
    url: str,
    method: str = "POST",
    now: float | None = None,
    secret_value: str | None = None,
    version: str = "v3",
) -> dict[str, str]:
    if version in ("v1", "v2"):
        signature = _legacy_expected(version, secret_value or secret(SECRET_NAME), method, url, body)
        return {"X-HubSpot-Signature": signature, "X-HubSpot-Signature-Version": version}
    timestamp = str(int((now if now is not None else time.time()) * 1000))
    signature = _expected(secret_value or secret(SECRET_NAME), method, url, body, timestamp)
    return {"X-HubSpot-Signature-v3": signature, "X-HubSpot-Request-Timestamp": timestamp}

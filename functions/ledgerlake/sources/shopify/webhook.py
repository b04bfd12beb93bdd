"""Shopify webhooks: fat events, the resource itself as the body.

`X-Shopify-Hmac-Sha256` is the base64 HMAC-SHA256 of the raw body keyed by the app's
client secret. Shopify now also sends its headers without the `X-` prefix
(`shopify-hmac-sha256`, `shopify-topic`, ...), as its own libraries accept: both
spellings are read, the prefixed one first.

Only the body is signed. Shopify signs no timestamp and none of its headers, so a
captured delivery can be replayed with any `X-Shopify-Topic`, `-Webhook-Id` or
`-Triggered-At`. What lands is therefore decided by the signed body alone:

* entity: the resource type of the body's `admin_graphql_api_id`
  (`gid://shopify/Order/…` → `orders`, `Refund` → `refunds`, `DraftOrder` →
  `draft_orders`), else the REST shape of the older payloads (a refund carries
  `order_id` and `refund_line_items`, an order `line_items` and `order_number`, a
  transaction `kind` and `gateway`, ...: `_REST_SHAPES`). A body that names no resource
  is quarantined: the topic header cannot be trusted to say what it is.
  A delete (`{"id": …}` and nothing else: the only thing Shopify sends for `*/delete`)
  names its resource nowhere in the body: its `*/delete` topic header decides the entity,
  and only a `*/delete` topic is accepted for it, so a replay cannot turn it into data.
* identity: the SHA-256 of the body (plus the entity, for deletes), so the same bytes
  land once whatever the headers say; Shopify's retries resend the same bytes.
* date: the body's `updated_at`, else `created_at`/`processed_at`/`initiated_at`; deletes, which carry
  no time at all, land under the fixed partition `date=1970-01-01`.
  A body that should carry a time and does not is quarantined.

The unsigned headers are kept in the envelope (and the topic in `extra.topic`) as
hints for humans and for telling `orders/delete` apart, never as identity.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date

from ...config import secret
from ...webhooks.core import Landing, Refused, Request, first_time, hmac_sha256_b64, same

SOURCE = "shopify"
THIN = False
SECRET_NAME = "SHOPIFY_WEBHOOK_SECRET"
UNDATED = date(1970, 1, 1)  # the partition of deletes, whose bodies carry no time

# Resource type (GraphQL name) -> raw entity. `orders` and `refunds` are the contract's
# entities; any other type lands under its own snake_case plural.
_ENTITIES = {"Order": "orders", "Refund": "refunds"}
# Older REST payloads carry no `admin_graphql_api_id`; each resource Shopify sends is then
# told by fields only it has (first match wins: a refund also has `order_id`).
_REST_SHAPES = (
    ("refunds", ("order_id", "refund_line_items")),
    ("orders", ("line_items", "order_number")),
    ("orders", ("line_items", "financial_status")),
    ("order_transactions", ("order_id", "kind", "gateway")),
    ("disputes", ("order_id", "evidence_due_by")),
    ("tender_transactions", ("order_id", "payment_method", "remote_reference")),
)
_TIME_FIELDS = ("updated_at", "created_at", "processed_at", "initiated_at")  # the last: disputes
_GID = re.compile(r"gid://shopify/([A-Za-z][A-Za-z0-9]{0,63})/[^/\s]{1,64}")


def header(request: Request, name: str) -> str | None:
    """A Shopify header in either spelling (`X-Shopify-Topic` or `shopify-topic`)."""
    return request.header(name) or request.header(name.removeprefix("X-").removeprefix("x-"))


def _snake_plural(type_name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type_name).lower() + "s"


def entity_of(document: dict) -> str | None:
    """The raw entity the signed body itself names (None: the body does not say)."""
    gid = document.get("admin_graphql_api_id")
    match = _GID.fullmatch(gid) if isinstance(gid, str) else None
    if match:
        type_name = match.group(1)
        return _ENTITIES.get(type_name, _snake_plural(type_name))
    for entity, fields in _REST_SHAPES:
        if all(name in document for name in fields):
            return entity
    return None


def _delete_entity(request: Request) -> str:
    topic = (header(request, "X-Shopify-Topic") or "").strip().lower()
    resource, _, action = topic.partition("/")
    if action != "delete" or not resource or not re.fullmatch(r"[a-z][a-z_]{0,63}", resource):
        raise Refused("a bare {id} body is only a */delete delivery, and the topic says otherwise", status=400)
    return resource


def verify(request: Request) -> None:
    given = header(request, "X-Shopify-Hmac-Sha256")
    if not given:
        raise Refused("missing X-Shopify-Hmac-Sha256 header")
    if not same(hmac_sha256_b64(secret(SECRET_NAME), request.body), given.strip()):
        raise Refused("X-Shopify-Hmac-Sha256 does not match the body")


def landings(request: Request, document) -> list[Landing]:
    # Signed but unusable: the sender is authentic, the delivery is not (400 + quarantine).
    if not isinstance(document, dict):
        raise Refused("Shopify body is not a JSON object", status=400)
    resource_id = document.get("id")
    if resource_id is None or isinstance(resource_id, (dict, list, bool)):
        raise Refused("Shopify body has no id", status=400)
    digest = hashlib.sha256(request.body).hexdigest()[:32]
    topic = header(request, "X-Shopify-Topic")
    if set(document) == {"id"}:  # a */delete: nothing else in the body
        entity = _delete_entity(request)
        identity, moment = f"{entity}-{digest}", UNDATED
    else:
        entity = entity_of(document)
        if entity is None:
            raise Refused("the signed body names no resource Shopify sends (no admin_graphql_api_id)", status=400)
        identity = digest
        moment = first_time(*(document.get(name) for name in _TIME_FIELDS))
        if moment is None:
            raise Refused(f"Shopify body carries none of {', '.join(_TIME_FIELDS)}", status=400)
    return [
        Landing(
            entity=entity,
            identity=identity,
            event_time=moment,
            payload=request.body,
            event_id=str(resource_id)[:64],
            api_version=header(request, "X-Shopify-API-Version"),
            extra={"topic": topic[:100] if topic else None, "resource_id": str(resource_id)[:64]},
        )
    ]


def sign(
    body: bytes, *, url: str = "", method: str = "POST", now: float | None = None, secret_value: str | None = None
) -> dict[str, str]:
    return {"X-Shopify-Hmac-Sha256": hmac_sha256_b64(secret_value or secret(SECRET_NAME), body)}

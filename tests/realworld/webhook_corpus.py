"""Corpus deliveries in each provider's webhook form, signed the way the provider signs."""

from __future__ import annotations

import json
import time
import uuid

import corpus_kit as kit

TRIMMED = ("charge", "refund")  # the objects orders and refunds read: fixture without each field


def stripe_events(n_per_entity: int, seed_value: int) -> list[dict]:
    """Events around records drawn from Stripe's spec, plus stripe-mock's fixture of each
    resource (for charges and refunds also without each top-level field)."""
    fixtures = json.loads((kit.SHARED / "stripe" / "fixtures3.json").read_text())["resources"]
    events: list[dict] = []
    for entity, event_type in kit.STRIPE_EVENTS.items():
        drawn = kit.draw(kit.schemas("stripe")[entity], n_per_entity, seed_value)
        examples = [fixtures[entity], kit.with_unknown_fields(fixtures[entity])]
        if entity in TRIMMED:
            examples += [obj for _, obj in kit.without_each_field(fixtures[entity], depth=1)]
        for obj in drawn + examples:
            obj = dict(obj)
            if "id" in obj:
                obj["id"] = f"{kit.STRIPE_PREFIX[entity]}_corpus{len(events)}"
            events.append(kit.stripe_event(obj, len(events), event_type))
    return events


# The fields by which the signed body itself says what it is (the receiver never trusts the
# unsigned topic header, issue #15): its `id`, and for these older REST examples without
# `admin_graphql_api_id`, the fields that tell an order (`line_items`) or a refund
# (`order_id`, `refund_line_items`) apart; and a time to date it by (the refund example's
# only one is `created_at`: its `processed_at` and `updated_at` are null). Without one of
# them a delivery is refused with 400 and kept in quarantine with its reason; without any
# other field it lands.
SHOPIFY_IDENTIFYING = {
    "orders/updated": {"id", "line_items"},
    "refunds/create": {"id", "order_id", "refund_line_items", "created_at"},
}


def shopify_deliveries() -> list[tuple[str, str, dict]]:
    """(topic, removed field or '', body): Shopify's own order and refund examples, whole,
    with unknown fields, and without each field."""
    order = json.loads((kit.SHARED / "shopify" / "order.json").read_text())["order"]
    refund = json.loads((kit.SHARED / "shopify" / "refund.json").read_text())["refund"]
    out = []
    for topic, example in (("orders/updated", order), ("refunds/create", refund)):
        for removed, body in [
            ("", example),
            ("", kit.with_unknown_fields(example)),
            *kit.without_each_field(example, depth=1),
        ]:
            out.append((topic, removed, body))
    return out


def shopify_must_refuse(topic: str, removed: str) -> bool:
    return removed in SHOPIFY_IDENTIFYING[topic]


def shopify_headers(topic: str, body: bytes, shop: str = "corpus-shop.myshopify.com") -> dict[str, str]:
    from ledgerlake.webhooks.registry import provider

    return {
        "X-Shopify-Topic": topic,
        "X-Shopify-Shop-Domain": shop,
        "X-Shopify-Webhook-Id": str(uuid.uuid4()),
        "X-Shopify-Triggered-At": "2026-01-05T10:00:00Z",
        "X-Shopify-API-Version": "2025-04",
        **provider("shopify").sign(body),
    }


def stripe_headers(body: bytes) -> dict[str, str]:
    from ledgerlake.webhooks.registry import provider

    return provider("stripe").sign(body, now=time.time())


def post(source: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    """One delivery through the receiver Lambda handler, as API Gateway v2 would invoke it."""
    from ledgerlake.handlers.receiver import handler
    from ledgerlake.webhooks.apigw import build_event

    event = build_event(
        "POST",
        f"https://hooks.ledgerlake.test/webhooks/{source}",
        {"Content-Type": "application/json", **headers},
        body,
    )
    answer = handler(event, None)
    return answer["statusCode"], answer.get("body") or ""

"""Signed webhooks carrying corpus records through the receiver handler: Stripe events
around records drawn from Stripe's spec and stripe-mock's fixtures, Shopify's own order
and refund examples, each also without each field. Every delivery lands (2xx, one raw
object per delivery) or is refused with a 4xx and a reason; never a 5xx."""

from __future__ import annotations

import json

import pytest
import webhook_corpus as corpus


@pytest.fixture
def receiver(lake):
    from ledgerlake.handlers import receiver as receiver_module
    from ledgerlake.webhooks.queue import MemoryQueue

    receiver_module.configure(lake=lake, queue=MemoryQueue())
    return lake


def test_stripe_events_from_the_spec_land(receiver):
    events = corpus.stripe_events(n_per_entity=3, seed_value=14)
    statuses = []
    for event in events:
        body = json.dumps(event).encode()
        status, answer = corpus.post("stripe", body, corpus.stripe_headers(body))
        statuses.append(status)
        assert status == 200, (status, answer, event["type"])
    landed = list(receiver.keys("raw/source=stripe/entity=events/"))
    assert len(landed) == len(events)  # one raw object per event, none dropped
    # Stripe's own identity: each landed object is one of the events, byte for byte.
    ids = {receiver.read(key)[1]["id"] for key in landed}
    assert ids == {e["id"] for e in events}


def test_stripe_bodies_that_are_not_events_are_refused_with_a_reason(receiver):
    for body in (b'{"object": "charge", "id": "ch_1"}', b'{"object": "event"}', b"[]", b'"text"'):
        status, answer = corpus.post("stripe", body, corpus.stripe_headers(body))
        assert 400 <= status < 500 and answer, (body, status)
    assert not list(receiver.keys("raw/source=stripe/entity=events/"))


def test_shopify_examples_missing_any_field_land_or_are_quarantined_with_a_reason(receiver):
    deliveries = corpus.shopify_deliveries()
    refused = 0
    for topic, removed, document in deliveries:
        body = json.dumps(document).encode()
        status, answer = corpus.post("shopify", body, corpus.shopify_headers(topic, body))
        if corpus.shopify_must_refuse(topic, removed):
            # signed but not telling what it is: 400, kept in quarantine with the reason
            assert status == 400 and answer, (status, answer, topic, removed)
            refused += 1
        else:
            assert status == 200, (status, answer, topic, removed)
    orders = list(receiver.keys("raw/source=shopify/entity=orders/"))
    refunds = list(receiver.keys("raw/source=shopify/entity=refunds/"))
    assert len(orders) + len(refunds) == len(deliveries) - refused
    assert refused == sum(len(fields) for fields in corpus.SHOPIFY_IDENTIFYING.values())
    assert len(list(receiver.keys("quarantine/source=shopify/"))) == refused

"""The receiver's contract beyond signatures: routing, limits, quarantine, logging,
idempotent landing, and the public fixtures delivered as providers would."""

from __future__ import annotations

import json

import pytest
from webhook_kit import SHARED, sample, sign


def _signed(via, source, body, headers=None, **kw):
    return {**(headers or {}), **sign(source, body, f"{via.base_url}/webhooks/{source}", **kw)}


def test_unknown_source_is_404(via):
    body = b'{"id": "evt_1"}'
    assert via.post("netsuite", body, {"Stripe-Signature": "t=1,v1=00"})[0] == 404
    assert via.everything() == []


def test_paths_outside_webhooks_are_404(receiver, served):
    import urllib3

    for path in ("/", "/webhooks", "/webhooks/stripe/extra", "/admin"):
        assert urllib3.request("POST", served + path, body=b"{}", retries=False).status == 404, path
    assert receiver.everything() == []


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH"])
def test_wrong_method_is_405(via, method):
    body, _ = sample("stripe")
    status, _ = via.post("stripe", body, _signed(via, "stripe", body), method=method)
    assert status == 405
    assert via.everything() == []


def test_oversized_body_is_413(via):
    body = b'{"pad": "' + b"x" * (1024 * 1024) + b'"}'
    status, _ = via.post(
        "shopify",
        body,
        _signed(via, "shopify", body, {"X-Shopify-Topic": "orders/create", "X-Shopify-Webhook-Id": "big"}),
    )
    assert status == 413
    assert via.everything() == []


@pytest.mark.parametrize("source", ["stripe", "shopify", "qbo", "xero"])
def test_malformed_json_behind_a_valid_signature_is_400_and_quarantined(via, source, providers):
    body = b'{"id": "evt_broken", "object": "event", '  # cut off mid-object
    _, headers = sample(source)
    status, _ = via.post(source, body, _signed(via, source, body, headers, providers=providers))
    assert status == 400
    keys = via.everything()
    assert len(keys) == 1 and keys[0].startswith(f"quarantine/source={source}/")
    assert via.lake.read_bytes(keys[0]) == body  # kept verbatim for inspection
    assert not via.queue.jobs


def test_signed_json_of_the_wrong_shape_is_quarantined(via):
    body = json.dumps({"hello": "world"}).encode()  # valid JSON, not an Event
    assert via.post("stripe", body, _signed(via, "stripe", body))[0] == 400
    assert [k.split("/")[0] for k in via.everything()] == ["quarantine"]


def test_base64_encoded_bodies_are_verified_on_the_decoded_bytes(receiver):
    """API Gateway base64-encodes non-text bodies; the signature covers the raw bytes."""
    body, headers = sample("shopify")
    status, answer = receiver.post("shopify", body, _signed(receiver, "shopify", body, headers), base64_body=True)
    assert status == 200 and answer["landed"] == 1


def test_redelivery_lands_on_the_same_key(via, providers):
    for source in ("stripe", "shopify", "hubspot", "qbo", "xero", "plaid"):
        body, headers = sample(source)
        first = via.post(source, body, _signed(via, source, body, headers, providers=providers))
        again = via.post(source, body, _signed(via, source, body, headers, providers=providers))
        assert first[0] == again[0] == 200
        if isinstance(again[1], dict):  # Xero answers with an empty body
            assert again[1]["landed"] == 0 and again[1]["duplicates"] == first[1]["landed"]
    per_source = {}
    for key in via.everything():
        source = key.split("/")[1].removeprefix("source=")
        per_source[source] = per_source.get(source, 0) + 1
    assert per_source == {"stripe": 1, "shopify": 1, "hubspot": 2, "qbo": 1, "xero": 1, "plaid": 1}


def test_hubspot_retry_with_a_new_attempt_number_is_the_same_event(receiver):
    body, _ = sample("hubspot")
    events = json.loads(body)
    assert receiver.post("hubspot", body, _signed(receiver, "hubspot", body))[1]["landed"] == 2
    for event in events:
        event["attemptNumber"] = 3
    retried = json.dumps(events).encode()
    assert receiver.post("hubspot", retried, _signed(receiver, "hubspot", retried))[1]["duplicates"] == 2


def test_qbo_cloudevents_array_lands_one_object_per_event(receiver):
    events = [
        {
            "specversion": "1.0",
            "id": f"88cd52aa-33b6-4351-9aa4-47572edbd06{i}",
            "source": "intuit.dsnBgbseACLLRZNxo2dfc4evmEJdxde58xeeYcZliOU=",
            "type": f"qbo.{kind}.v1",
            "datacontenttype": "application/json",
            "time": "2025-09-10T21:31:25.179851517Z",
            "intuitentityid": str(100 + i),
            "intuitaccountid": "310687",
            "data": {},
        }
        for i, kind in enumerate(["invoice.created", "payment.updated", "customer.deleted"])
    ]
    body = json.dumps(events).encode()
    status, answer = receiver.post("qbo", body, _signed(receiver, "qbo", body))
    assert status == 200 and answer["landed"] == 3
    keys = receiver.everything()
    assert all("/date=2025-09-10/" in k for k in keys)
    # Deleted records cannot be fetched: two jobs, not three.
    assert sorted((j["entity"], j["id"]) for j in receiver.queue.jobs) == [("invoice", "100"), ("payment", "101")]
    assert {receiver.lake.read(k)[1]["id"] for k in keys} == {e["id"] for e in events}


def test_refusals_are_logged_with_a_reason_but_never_the_secret_or_body(receiver):
    import logging

    from ledgerlake.handlers.receiver import logger

    lines = []

    class Collect(logging.Handler):
        def emit(self, record):
            lines.append(self.format(record))

    collect = Collect()
    collect.setFormatter(logger.registered_formatter)  # the JSON lines CloudWatch gets
    logging.getLogger(logger.name).addHandler(collect)
    try:
        body, headers = sample("shopify")
        signed = _signed(receiver, "shopify", body, headers, secret_value="wrong")
        assert receiver.post("shopify", body, signed)[0] == 401
    finally:
        logging.getLogger(logger.name).removeHandler(collect)
    logged = "\n".join(lines)
    refusal = [json.loads(line) for line in logged.splitlines() if '"webhook refused"' in line]
    assert refusal and refusal[0]["reason"] == "X-Shopify-Hmac-Sha256 does not match the body"
    assert refusal[0]["correlation_id"]
    import os

    assert os.environ["SHOPIFY_WEBHOOK_SECRET"] not in logged
    assert signed["X-Shopify-Hmac-Sha256"] not in logged
    assert "financial_status" not in logged  # nothing of the body


# -- the public fixtures, delivered signed ---------------------------------------------------


def _stripe_fixture_events():
    """The fixture's Event as delivered, plus every other object that has an id, wrapped
    in the Event Stripe would send about it (`<object>.updated`)."""
    from ledgerlake.sources.stripe.webhook import event_of

    resources = json.loads((SHARED / "stripe" / "fixtures3.json").read_text())["resources"]
    events = [(resources["event"]["id"], json.dumps(resources["event"], indent=2).encode())]
    for name, obj in sorted(resources.items()):
        if name == "event" or not obj.get("id"):
            continue
        event_id = f"evt_fixture_{name.replace('.', '_')}"
        events.append((event_id, event_of(obj, event_id=event_id)))
    return events


def test_every_stripe_fixture_event_lands(receiver):
    events = _stripe_fixture_events()
    assert len(events) > 140
    for event_id, body in events:
        status, answer = receiver.post("stripe", body, _signed(receiver, "stripe", body))
        assert status == 200 and answer["landed"] == 1, event_id
    keys = receiver.everything()
    assert len(keys) == len(events)
    landed_ids = {receiver.lake.read(k)[0]["event_id"] for k in keys}
    assert landed_ids == {event_id for event_id, _ in events}
    # The real fixture event keeps its own date (created 1234567890 = 2009-02-13).
    assert any("/date=2009-02-13/webhook-evt_1Pgc76B7WZ01zgkWwyRHS12y.json" in k for k in keys)


SHOPIFY_DELIVERIES = [
    # fixture file, key inside it, topic, entity it lands under
    ("order.json", "order", "orders/create", "orders"),
    ("orders.json", "orders", "orders/updated", "orders"),
    ("refund.json", "refund", "refunds/create", "refunds"),
    ("transaction.json", "transaction", "order_transactions/create", "order_transactions"),
    ("transactions.json", None, "order_transactions/create", "order_transactions"),
    ("disputes.json", "disputes", "disputes/create", "disputes"),
    ("tender_transactions.json", "tender_transactions", "tender_transactions/create", "tender_transactions"),
]


def test_every_shopify_fixture_lands(receiver):
    """Each fixture lands under the entity its signed body names; the same bytes sent
    again under another webhook id (transaction.json is transactions.json's first item)
    land once."""
    expected, seen = set(), set()
    for filename, key, topic, entity in SHOPIFY_DELIVERIES:
        doc = json.loads((SHARED / "shopify" / filename).read_text())
        resources = doc if key is None else doc[key]
        for i, resource in enumerate(resources if isinstance(resources, list) else [resources]):
            webhook_id = f"{filename}-{i}-{resource['id']}"
            body = json.dumps(resource).encode()
            headers = {
                "X-Shopify-Topic": topic,
                "X-Shopify-Webhook-Id": webhook_id,
                "X-Shopify-Shop-Domain": "apple.myshopify.com",
                "X-Shopify-API-Version": "2025-04",
            }
            status, answer = receiver.post("shopify", body, _signed(receiver, "shopify", body, headers))
            assert status == 200 and answer["landed"] == (body not in seen), (filename, i)
            seen.add(body)
            expected.add((entity, str(resource["id"])))
    keys = receiver.everything()
    assert len(keys) == len(seen) >= 14
    landed = {(k.split("/")[2].removeprefix("entity="), receiver.lake.read(k)[0]["extra"]["resource_id"]) for k in keys}
    assert landed == expected


# -- hardening (#15) ------------------------------------------------------------------------


def _mutated(source, change):
    body, headers = sample(source)
    document = json.loads(body)
    change(document)
    return json.dumps(document).encode(), headers


def _cloudevent_at(time_text):
    return json.dumps(
        [
            {
                "specversion": "1.0",
                "id": "ce-1",
                "source": "intuit.qbo",
                "type": "qbo.invoice.updated.v1",
                "time": time_text,
                "intuitentityid": "130",
                "intuitaccountid": "9130350000000001",
                "data": {},
            }
        ]
    ).encode(), {}


OUT_OF_RANGE = {  # case -> (source, (body, headers)): timestamps no date partition can hold
    "stripe-created": ("stripe", lambda: _mutated("stripe", lambda d: d.update(created=10**20))),
    "hubspot-occurredAt": ("hubspot", lambda: _mutated("hubspot", lambda d: d[0].update(occurredAt=10**19))),
    "qbo-ms-date": (
        "qbo",
        lambda: _mutated(
            "qbo",
            lambda d: d["eventNotifications"][0]["dataChangeEvent"]["entities"][0].update(
                lastUpdated="/Date(99999999999999999+0000)/"
            ),
        ),
    ),
    "qbo-cloudevent-time": ("qbo", lambda: _cloudevent_at("9999-12-31T23:59:59-23:59")),
    "xero-negative": (
        "xero",
        lambda: _mutated("xero", lambda d: d["events"][0].update(eventDateUtc="/Date(-99999999999999999)/")),
    ),
}


@pytest.mark.parametrize("case", sorted(OUT_OF_RANGE))
def test_out_of_range_timestamps_are_400_and_quarantined(via, case):
    source, build = OUT_OF_RANGE[case]
    body, headers = build()
    status, _ = via.post(source, body, _signed(via, source, body, headers))
    assert status == 400
    keys = via.everything()
    assert len(keys) == 1 and keys[0].startswith(f"quarantine/source={source}/")


@pytest.mark.parametrize("shape", ["a string", "a list", "a number", "entities a string", "entity a number"])
def test_qbo_legacy_bodies_of_unexpected_shape_are_quarantined(via, shape):
    body, _ = sample("qbo")
    document = json.loads(body)
    notification = document["eventNotifications"][0]
    if shape == "a string":
        notification["dataChangeEvent"] = "Invoice 130 changed"
    elif shape == "a list":
        notification["dataChangeEvent"] = [{"entities": []}]
    elif shape == "a number":
        document["eventNotifications"][0] = 42
    elif shape == "entities a string":
        notification["dataChangeEvent"]["entities"] = "Invoice"
    else:
        notification["dataChangeEvent"]["entities"][0] = 130
    body = json.dumps(document).encode()
    assert via.post("qbo", body, _signed(via, "qbo", body))[0] == 400
    assert [k.split("/")[0] for k in via.everything()] == ["quarantine"]


def test_quarantine_keeps_every_reason_a_body_was_refused_for(receiver):
    body = b'{"id": "evt_1", "object": "event"'
    first = receiver.lake.quarantine(source="stripe", body=body, reason="malformed JSON")
    again = receiver.lake.quarantine(source="stripe", body=body, reason="malformed JSON")
    second = receiver.lake.quarantine(
        source="stripe", body=body, reason="timestamp 'é' is outside 1970-2099", headers={"X-Shopify-Topic": "orders/ü"}
    )
    assert first == again != second
    reasons = {
        receiver.lake.s3.head_object(Bucket=receiver.lake.bucket, Key=k)["Metadata"]["reason"] for k in (first, second)
    }
    assert reasons == {"malformed JSON", "timestamp '\\xe9' is outside 1970-2099"}
    assert all(receiver.lake.read_bytes(k) == body for k in (first, second))


def test_shopify_delete_lands_by_its_topic_only_as_a_delete(receiver):
    """`{"id": …}` is all Shopify signs for a */delete: the topic names the resource, but
    only a delete topic is taken, and a replay under another topic adds nothing to orders."""
    body = b'{"id":820982911946154508}'
    status, answer = receiver.post(
        "shopify", body, _signed(receiver, "shopify", body, {"X-Shopify-Topic": "orders/delete"})
    )
    assert status == 200 and answer["landed"] == 1
    (key,) = receiver.everything()
    assert key.startswith("raw/source=shopify/entity=orders/date=1970-01-01/")
    assert (
        receiver.post(
            "shopify",
            body,
            _signed(
                receiver, "shopify", body, {"X-Shopify-Topic": "orders/delete", "X-Shopify-Webhook-Id": "replayed"}
            ),
        )[1]["landed"]
        == 0
    )
    assert (
        receiver.post("shopify", body, _signed(receiver, "shopify", body, {"X-Shopify-Topic": "orders/updated"}))[0]
        == 400
    )
    assert [k for k in receiver.everything() if k.startswith("raw/")] == [key]


@pytest.mark.parametrize("source", ["qbo", "xero"])
def test_large_batch_is_answered_at_once_and_fanned_out_later(receiver, source):
    """A batch past INLINE_EVENTS lands as one object (same key on redelivery) with fan-out
    jobs; the hydrator then lands exactly the per-event objects and hydration jobs the
    inline path would have."""
    from ledgerlake.handlers import hydrator
    from ledgerlake.webhooks.queue import MemoryQueue, sqs_event
    from ledgerlake.webhooks.receive import FANOUT_CHUNK, INLINE_EVENTS

    n = FANOUT_CHUNK + 20
    assert n > INLINE_EVENTS
    if source == "qbo":
        entities = [
            {
                "name": "Invoice",
                "id": str(1000 + i),
                "operation": "Update",
                "lastUpdated": f"2025-05-03T17:{i // 60 % 60:02d}:{i % 60:02d}.000Z",
            }
            for i in range(n)
        ]
        body = json.dumps(
            {"eventNotifications": [{"realmId": "9130350000000001", "dataChangeEvent": {"entities": entities}}]}
        ).encode()
    else:
        template = json.loads(sample("xero")[0])["events"][0]
        events = [dict(template, resourceId=f"7a1b2c3d-0000-4000-8000-{i:012d}") for i in range(n)]
        body = json.dumps({"events": events, "firstEventSequence": 1, "lastEventSequence": n, "entropy": "X"}).encode()
    for _ in range(2):  # a redelivery lands on the same batch key and enqueues nothing more
        status, _ = receiver.post(source, body, _signed(receiver, source, body))
        assert status == 200
    (batch_key,) = receiver.everything()
    assert batch_key.startswith(f"raw/source={source}/entity=batches/")
    fanouts = receiver.queue.jobs
    assert [(j["start"], j["stop"]) for j in fanouts] == [(0, FANOUT_CHUNK), (FANOUT_CHUNK, n)]

    out = MemoryQueue()
    hydrator.configure(lake=receiver.lake, queue=out)
    for job in fanouts + fanouts[:1]:  # a fan-out job run twice (SQS redelivers) changes nothing
        assert not hydrator.handler(sqs_event([job]), None).get("batchItemFailures")
    notifications = list(receiver.lake.keys(f"raw/source={source}/entity=notifications/"))
    assert len(notifications) == n
    assert len({(j.get("id"), j.get("ping_key")) for j in out.jobs}) == n
    assert {j["ping_key"] for j in out.jobs} == set(notifications)

"""Thin pings end with the full record landed: receiver → SQS (moto server) → hydrator →
the provider API (a local server) → the lake. A failing fetch is retried and parked in
the dead-letter queue, and the ping stays in the lake."""

from __future__ import annotations

import json
import uuid

import pytest
from webhook_kit import REALM, sample, sign


@pytest.fixture
def sqs(s3_endpoint, receiver):
    """A hydration queue with a DLQ after 2 receives, wired to the receiver."""
    from ledgerlake.handlers import hydrator
    from ledgerlake.handlers import receiver as receiver_module
    from ledgerlake.webhooks.queue import SqsQueue, sqs_client

    client = sqs_client()
    name = f"hydrate-{uuid.uuid4().hex[:8]}"
    dlq_url = client.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dlq_arn = client.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    url = client.create_queue(
        QueueName=name,
        Attributes={
            "VisibilityTimeout": "30",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "2"}),
        },
    )["QueueUrl"]
    receiver_module.configure(queue=SqsQueue(url, client))
    hydrator.configure(lake=receiver.lake)
    yield {"url": url, "dlq": dlq_url, "client": client}
    hydrator.configure(lake=None)


def _deliver(receiver, source, body, headers, providers):
    status, answer = receiver.post(
        source, body, {**headers, **sign(source, body, f"{receiver.base_url}/webhooks/{source}", providers=providers)}
    )
    assert status == 200, answer


def _drain(sqs):
    from ledgerlake.handlers.hydrator import handler
    from ledgerlake.webhooks.queue import pump_sqs

    return pump_sqs(sqs["url"], handler, client=sqs["client"])


EXPECTED = {
    # source: (hydrated entity, what the landed payload must hold)
    "qbo": ("invoice", lambda p: p["Invoice"]["Id"] == "130" and p["Invoice"]["TotalAmt"] == 1200.0),
    "xero": ("invoices", lambda p: p["Invoices"][0]["InvoiceID"] == "7a1b2c3d-0000-4000-8000-000000000042"),
    "hubspot": ("deals", lambda p: p["id"] in ("1234567", "7654321") and p["properties"]["dealstage"] == "closedwon"),
    "plaid": ("transactions_sync", lambda p: p["next_cursor"].startswith("cursor-page-")),
}


@pytest.mark.parametrize("source", sorted(EXPECTED))
def test_thin_ping_ends_with_the_full_record_landed(receiver, sqs, providers, source):
    body, headers = sample(source)
    _deliver(receiver, source, body, headers, providers)
    pings = list(receiver.lake.keys(f"raw/source={source}/entity=notifications/"))
    assert pings

    counts = _drain(sqs)
    assert counts["failed"] == 0 and counts["succeeded"] >= 1

    entity, holds = EXPECTED[source]
    hydrated = list(receiver.lake.keys(f"raw/source={source}/entity={entity}/"))
    expected_objects = {"hubspot": 2, "plaid": 2}.get(source, 1)  # 2 deals in the batch; 2 sync pages
    assert len(hydrated) == expected_objects
    for key in hydrated:
        envelope, payload = receiver.lake.read(key)
        assert envelope["arrival"] == "hydrate" and key.split("/")[-1].startswith("hydrate-")
        assert holds(payload)
        assert envelope["extra"]["ping_key"] in pings
    # Redelivering the same ping and hydrating again adds nothing: same versions, same keys.
    _deliver(receiver, source, body, headers, providers)
    _drain(sqs)
    assert sorted(receiver.lake.keys(f"raw/source={source}/entity={entity}/")) == sorted(hydrated)


def test_hydration_sends_provider_auth(receiver, sqs, providers):
    providers.reset()
    body, headers = sample("xero")
    _deliver(receiver, "xero", body, headers, providers)
    _drain(sqs)
    method, path, sent = providers.requests[-1]
    assert (method, path) == ("GET", "/api.xro/2.0/Invoices/7a1b2c3d-0000-4000-8000-000000000042")
    assert sent["Xero-tenant-id"] and sent["Authorization"].startswith("Bearer ")


def test_failing_fetch_retries_then_lands_in_the_dlq_with_the_ping_kept(receiver, sqs, providers):
    body = json.dumps(
        {
            "eventNotifications": [
                {
                    "realmId": REALM,
                    "dataChangeEvent": {
                        "entities": [
                            {
                                "name": "Invoice",
                                "id": "fail-131",
                                "operation": "Create",
                                "lastUpdated": "2025-05-03T17:20:00.000Z",
                            }
                        ]
                    },
                }
            ]
        }
    ).encode()
    providers.reset()
    _deliver(receiver, "qbo", body, {}, providers)

    counts = _drain(sqs)
    attempts = [r for r in providers.requests if "fail-131" in r[1]]
    assert counts["succeeded"] == 0 and counts["failed"] == 2 and len(attempts) == 2  # tried, retried

    parked = sqs["client"].receive_message(QueueUrl=sqs["dlq"], MaxNumberOfMessages=10)["Messages"]
    assert [json.loads(m["Body"])["id"] for m in parked] == ["fail-131"]
    assert not sqs["client"].receive_message(QueueUrl=sqs["url"]).get("Messages")
    assert len(list(receiver.lake.keys("raw/source=qbo/entity=notifications/"))) == 1
    assert list(receiver.lake.keys("raw/source=qbo/entity=invoice/")) == []


def test_local_queue_hydrates_in_the_background_and_dead_letters_to_a_file(receiver, providers, tmp_path, monkeypatch):
    """What `ledgerlake serve` uses when there is no SQS."""
    from ledgerlake.handlers import hydrator
    from ledgerlake.handlers import receiver as receiver_module
    from ledgerlake.webhooks.queue import LocalQueue

    monkeypatch.setenv("LEDGERLAKE_HOME", str(tmp_path))
    hydrator.configure(lake=receiver.lake)
    queue = LocalQueue(attempts=2, backoff=0.01)
    receiver_module.configure(queue=queue)
    try:
        body, headers = sample("qbo")
        _deliver(receiver, "qbo", body, headers, providers)
        failing = body.replace(b'"130"', b'"fail-7"')
        _deliver(receiver, "qbo", failing, headers, providers)
        queue.join(timeout=30)
    finally:
        hydrator.configure(lake=None)
    assert queue.done == 1 and queue.failed == 1
    assert len(list(receiver.lake.keys("raw/source=qbo/entity=invoice/"))) == 1
    parked = [json.loads(line) for line in (tmp_path / "hydrate-dlq.jsonl").read_text().splitlines()]
    assert [job["id"] for job in parked] == ["fail-7"]

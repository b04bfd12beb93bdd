"""Replaying deliveries as providers send them (shuffled, 1-3 times each) leaves exactly
one raw object per event, in-process (`ledgerlake run`'s path) and over HTTP
(`ledgerlake replay --to` against `ledgerlake serve`)."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path

import pytest
from webhook_kit import SOURCES, sample

PER_SOURCE = 60  # deliveries per source taken from the simulated company (test time)


def _write_deliveries(directory: Path, rows_by_source: dict[str, list[dict]]) -> Path:
    (directory / "webhooks").mkdir(parents=True, exist_ok=True)
    for source, rows in rows_by_source.items():
        with (directory / "webhooks" / f"{source}.jsonl").open("w") as handle:
            for row in rows:
                handle.write(json.dumps(row) + "\n")
    return directory


def _mini_company(directory: Path) -> Path:
    """Two distinct deliveries per source in the simulated company's file format."""
    rows = {}
    for source in SOURCES:
        body, headers = sample(source)
        doc = json.loads(body)
        second = json.loads(body)
        if source == "stripe":
            second["id"] = "evt_second"
        elif source == "shopify":  # the order updated: another signed body, another object
            headers2 = dict(headers, **{"X-Shopify-Webhook-Id": "second-webhook-id"})
            second["updated_at"] = "2025-05-03T10:04:00Z"
        elif source == "hubspot":
            for event in second:
                event["objectId"] += 1
        elif source == "qbo":
            second["eventNotifications"][0]["dataChangeEvent"]["entities"][0]["id"] = "131"
        elif source == "xero":
            second["events"][0]["resourceId"] = "second-resource"
        elif source == "plaid":
            second["item_id"] = "another-item"
        rows[source] = [
            {
                "delivery_id": f"{source}-1",
                "source": source,
                "sent_at": "2025-05-03T10:00:00Z",
                "method": "POST",
                "path": f"/webhooks/{source}",
                "headers": headers,
                "body": body.decode(),
            },
            {
                "delivery_id": f"{source}-2",
                "source": source,
                "sent_at": "2025-05-03T10:05:00Z",
                "method": "POST",
                "path": f"/webhooks/{source}",
                "headers": headers2 if source == "shopify" else headers,
                "body": json.dumps(second),
            },
        ]
        del doc
    return _write_deliveries(directory, rows)


def expected_objects(directory: Path, at_sent_time: bool) -> Counter:
    """Events per source, counted from the delivery files themselves.

    Plaid pings carry no id: byte-identical pings signed the same day are one event
    (docs/webhooks.md). Delivered at their own send times they keep their own days;
    replayed now, they all share today."""
    from ledgerlake.webhooks.replay import read_deliveries

    seen, counts = set(), Counter()
    plaid_bodies, shopify_bodies = set(), set()
    for d in read_deliveries(directory):
        if (d.source, d.delivery_id) in seen:
            continue
        seen.add((d.source, d.delivery_id))
        doc = json.loads(d.body)
        if d.source == "stripe":
            counts[d.source] += 1
        elif d.source == "shopify":  # identity is the signed body: identical bodies are one
            shopify_bodies.add(d.body)
        elif d.source == "hubspot":
            counts[d.source] += len(doc)
        elif d.source == "qbo":
            counts[d.source] += (
                len(doc)
                if isinstance(doc, list)
                else sum(len(n["dataChangeEvent"]["entities"]) for n in doc["eventNotifications"])
            )
        elif d.source == "xero":
            counts[d.source] += len(doc["events"])
        elif d.source == "plaid":
            plaid_bodies.add((d.body, d.sent_at[:10] if at_sent_time else "today"))
    if plaid_bodies:
        counts["plaid"] = len(plaid_bodies)
    if shopify_bodies:
        counts["shopify"] = len(shopify_bodies)
    return counts


def landed_objects(lake) -> Counter:
    counts = Counter()
    for key in lake.keys("raw/"):
        if key.rsplit("/", 1)[-1].startswith("webhook-"):
            counts[key.split("/")[1].removeprefix("source=")] += 1
    return counts


def test_in_process_replay_with_duplicates_lands_each_event_once(receiver, tmp_path):
    from ledgerlake.handlers.receiver import handler
    from ledgerlake.webhooks.replay import deliver_directory

    directory = _mini_company(tmp_path / "mini")
    report = deliver_directory(directory, handler, duplicates=True, seed=3, workers=4, at_sent_time=False)
    assert report.ok and report.unique == 12 and report.sent > report.unique  # some sent twice or thrice
    assert landed_objects(receiver.lake) == expected_objects(directory, at_sent_time=False)
    assert sum(1 for k in receiver.everything() if k.startswith("quarantine/")) == 0


def test_http_replay_through_serve_lands_each_event_once(receiver, served, tmp_path):
    from ledgerlake.webhooks.replay import replay_http

    directory = _mini_company(tmp_path / "mini")
    report = replay_http(directory, served, duplicates=True, seed=11, workers=4)
    assert report.ok, report.failures
    assert report.sent > report.unique == 12
    assert landed_objects(receiver.lake) == expected_objects(directory, at_sent_time=False)


def _trimmed(sim_dir: Path, directory: Path, n: int) -> Path:
    rows = {}
    for source in SOURCES:
        path = sim_dir / "webhooks" / f"{source}.jsonl"
        if path.exists():
            with path.open() as handle:
                rows[source] = [json.loads(line) for _, line in zip(range(n), handle)]
    return _write_deliveries(directory, rows)


@pytest.fixture
def company(request, tmp_path):
    """The first PER_SOURCE deliveries of each source of the simulated company."""
    try:
        from ledgerlake.simulate import generate  # noqa: F401
    except ImportError:
        pytest.skip("the simulated company generator is not in this tree yet")
    sim_dir = request.getfixturevalue("sim_dir")
    return _trimmed(sim_dir, tmp_path / "company", PER_SOURCE)


def test_simulated_company_replayed_shuffled_with_duplicates_lands_one_object_per_event(receiver, company):
    from ledgerlake.handlers.receiver import handler
    from ledgerlake.webhooks.replay import deliver_directory

    expected = expected_objects(company, at_sent_time=True)
    assert set(expected) == set(SOURCES), "the simulated company delivers webhooks for all six sources"
    report = deliver_directory(company, handler, duplicates=True, seed=7, workers=4)  # at each sent_at
    assert report.ok, report.failures
    assert landed_objects(receiver.lake) == expected
    # History delivered at its own times: every Plaid ping keeps its day, and stale-checked
    # signatures (Stripe, HubSpot, Plaid) verified against the simulated clock.
    plaid_days = {k.split("/")[3] for k in receiver.lake.keys("raw/source=plaid/")}
    assert len(plaid_days) > 1


def test_in_process_clock_is_restored_after_a_simulated_replay(receiver, tmp_path):
    """After replaying history, the receiver judges freshness by the wall clock again."""
    from datetime import datetime

    from webhook_kit import sign

    from ledgerlake.handlers.receiver import handler
    from ledgerlake.webhooks.replay import deliver_directory

    directory = _mini_company(tmp_path / "mini")
    report = deliver_directory(directory, handler, at_sent_time=True)  # signed and judged in 2025
    assert report.ok
    body = sample("stripe")[0].replace(b"test0001", b"test0009")
    then = datetime.fromisoformat("2025-05-03T10:00:00+00:00").timestamp()
    assert receiver.post("stripe", body, sign("stripe", body, "", now=then))[0] == 401


def test_in_process_delivery_needs_no_plaid_key_server(receiver, tmp_path, monkeypatch):
    """`ledgerlake run` signs Plaid deliveries itself, so it verifies them with its own key."""
    from ledgerlake.handlers.receiver import handler
    from ledgerlake.webhooks.replay import deliver_directory

    for name in ("PLAID_API_BASE_URL", "PLAID_CLIENT_ID", "PLAID_SECRET"):
        monkeypatch.delenv(name, raising=False)
    directory = _mini_company(tmp_path / "mini")
    report = deliver_directory(directory, handler, sources=["plaid"])
    assert report.ok and report.sent == 2
    assert landed_objects(receiver.lake) == Counter({"plaid": 2})


@pytest.mark.parametrize("path", ["in-process", "http"])
def test_concurrent_deliveries_never_cross(receiver, served, tmp_path, path):
    """Many deliveries at once through one process (serve's threads, in-process workers)
    each land exactly their own event: Powertools keeps the current event in class state,
    so the receiver must not let one request read another's."""
    from ledgerlake.bench.webhooks import write_deliveries
    from ledgerlake.handlers.receiver import handler
    from ledgerlake.webhooks.replay import deliver_directory, read_deliveries, replay_http

    directory = write_deliveries(tmp_path / "many", 300)  # Stripe and Shopify interleaved
    if path == "in-process":
        report = deliver_directory(directory, handler, workers=16, at_sent_time=False)
    else:
        report = replay_http(directory, served, duplicates=False, workers=16)
    assert report.ok, report.failures
    assert report.landed == 300 and report.duplicates == 0
    landed = {k.rsplit("/webhook-", 1)[1].removesuffix(".json") for k in receiver.everything()}
    # Stripe lands on its event id, Shopify on the hash of the signed body.
    assert landed == {
        d.delivery_id if d.source == "stripe" else hashlib.sha256(d.body).hexdigest()[:32]
        for d in read_deliveries(directory)
    }

"""The receive path, free of any web framework: verify → parse → land → enqueue → answer.

`receive()` is what the Lambda route calls (and, through the same handler, `ledgerlake
serve` and the in-process delivery). It does only what must happen before the 2xx:
a signature check on the raw bytes, one conditional S3 write per event, one SQS batch
for thin pings. Anything slow (fetching records) happens in the hydrator.
"""

from __future__ import annotations

import json
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from .core import MAX_BODY_BYTES, Refused, Request
from .registry import provider

log = logging.getLogger(__name__)
_PARALLEL_LANDINGS = 8  # HubSpot batches carry up to 100 events; land them concurrently


@dataclass
class Outcome:
    status: int
    body: dict[str, Any] | None = None  # None: empty body
    reason: str | None = None  # why a delivery was refused (logged, never returned in full)
    counts: dict[str, int] = field(default_factory=dict)
    keys: list[str] = field(default_factory=list)


def _refuse(status: int, reason: str, public: str) -> Outcome:
    return Outcome(status, {"error": public}, reason=reason, counts={"DeliveriesRefused": 1})


def receive(source: str, request: Request, *, lake, queue) -> Outcome:
    module = provider(source)
    if module is None:
        return _refuse(404, f"unknown source {source[:40]!r}", "unknown source")
    if request.method.upper() != "POST":
        return _refuse(405, f"method {request.method} not allowed", "method not allowed")
    if len(request.body) > MAX_BODY_BYTES:
        return _refuse(413, f"body of {len(request.body)} bytes exceeds {MAX_BODY_BYTES}", "payload too large")

    try:
        module.verify(request)
    except Refused as refused:
        return _refuse(refused.status, refused.reason, "signature verification failed")
    except KeyError as missing:  # a secret is not configured: our fault, let them retry
        log.error("configuration missing for %s: %s", source, missing)
        return Outcome(500, {"error": "receiver not configured"}, reason=str(missing), counts={"DeliveriesFailed": 1})

    # Authentic from here on: anything unusable is kept in quarantine for a human.
    try:
        document = json.loads(request.body)
        events = module.landings(request, document)
    except (ValueError, Refused) as bad:
        reason = bad.reason if isinstance(bad, Refused) else f"malformed JSON: {bad.__class__.__name__}"
        key = lake.quarantine(source=source, body=request.body, reason=reason, headers=request.headers)
        outcome = _refuse(400, reason, "malformed payload")
        outcome.keys.append(key)
        outcome.counts["DeliveriesQuarantined"] = 1
        return outcome

    def land(event):
        return lake.land(
            source=source,
            entity=event.entity,
            payload=event.payload,
            identity=event.identity,
            event_time=event.event_time,
            arrival="webhook",
            event_id=event.event_id,
            api_version=event.api_version,
            headers=request.headers,
            extra=event.extra,
        )

    if len(events) > 1:
        with ThreadPoolExecutor(max_workers=min(_PARALLEL_LANDINGS, len(events))) as pool:
            landed = list(pool.map(land, events))
    else:
        landed = [land(event) for event in events]

    jobs = []
    for event, result in zip(events, landed):
        for job in event.jobs:
            jobs.append({**job, "ping_key": result.key, "event_time": event.event_time.isoformat()})
    if jobs:
        queue.send(jobs)

    created = sum(1 for r in landed if r.created)
    counts = {
        "DeliveriesAccepted": 1,
        "EventsLanded": created,
        "EventsDuplicate": len(landed) - created,
        "HydrationJobsEnqueued": len(jobs),
    }
    body = None if getattr(module, "EMPTY_RESPONSE", False) else {
        "received": len(events), "landed": created, "duplicates": len(landed) - created,
    }
    return Outcome(200, body, counts=counts, keys=[r.key for r in landed])

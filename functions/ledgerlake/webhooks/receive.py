"""The receive path, free of any web framework: verify → parse → land → enqueue → answer.

`receive()` is what the Lambda route calls (and, through the same handler, `ledgerlake
serve` and the in-process delivery). It does only what must happen before the 2xx:
a signature check on the raw bytes, one conditional S3 write per event (or one for the
whole batch, see below), one SQS batch for thin pings. Anything slow (fetching records,
fanning a large batch out) happens in the hydrator.

Failure contract (docs/webhooks.md, "Threat model"):

* nothing an unauthenticated caller sends ends in a 5xx: every failure before the
  signature is verified is a 4xx, and nothing is written;
* a verified delivery that cannot be used (malformed JSON, a nesting bomb, a timestamp
  outside 1970-2099, a shape the provider does not send) is kept in `quarantine/` with
  its reason and answered 400; nothing lands in `raw/`;
* only a missing secret (our configuration) or a lake/queue outage answers 5xx, so the
  provider retries once we are fixed.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from .core import MAX_BODY_BYTES, Landing, Refused, Request, load_json
from .registry import provider

log = logging.getLogger(__name__)
_PARALLEL_LANDINGS = 8  # HubSpot batches carry up to 100 events; land them concurrently
# A batch larger than this lands as one object and is fanned out by the hydrator: QBO
# answers must come within 3 s and Xero's within 5 s whatever the batch size, and one
# conditional PUT per event does not fit that past a few hundred events.
INLINE_EVENTS = 50
FANOUT_CHUNK = 250  # events per fan-out job: one job stays well inside the hydrator's timeout
BATCH_ENTITY = "batches"
# What a provider module may raise on hostile input before the signature is known good.
# (KeyError is not here: `config.secret` raises it for a missing secret, our fault.)
_UNVERIFIABLE = (ValueError, TypeError, AttributeError, IndexError, RecursionError, OverflowError, UnicodeError)
# What shaping an authentic body may raise besides `Refused` (a shape the module did not
# foresee): quarantined like any other unusable delivery, never a 500.
_UNUSABLE = _UNVERIFIABLE + (KeyError,)


@dataclass
class Outcome:
    status: int
    body: dict[str, Any] | None = None  # None: empty body
    reason: str | None = None  # why a delivery was refused (logged, never returned in full)
    counts: dict[str, int] = field(default_factory=dict)
    keys: list[str] = field(default_factory=list)


def _refuse(status: int, reason: str, public: str, module=None) -> Outcome:
    # Xero wants refusals without a body (its intent-to-receive check reads only the status).
    body = None if getattr(module, "EMPTY_RESPONSE", False) else {"error": public}
    return Outcome(status, body, reason=reason, counts={"DeliveriesRefused": 1})


def receive(source: str, request: Request, *, lake, queue) -> Outcome:
    module = provider(source)
    if module is None:
        return _refuse(404, f"unknown source {source[:40]!r}", "unknown source")
    if request.method.upper() != "POST":
        return _refuse(405, f"method {request.method[:10]!r} not allowed", "method not allowed", module)
    if len(request.body) > MAX_BODY_BYTES:
        return _refuse(413, f"body of {len(request.body)} bytes exceeds {MAX_BODY_BYTES}", "payload too large", module)

    try:
        module.verify(request)
    except Refused as refused:
        return _refuse(refused.status, refused.reason, "signature verification failed", module)
    except KeyError as missing:  # a secret is not configured: our fault, let them retry
        log.error("configuration missing for %s: %s", source, missing)
        return Outcome(500, {"error": "receiver not configured"}, reason=str(missing), counts={"DeliveriesFailed": 1})
    except _UNVERIFIABLE as odd:  # hostile input the module did not foresee: still a 401
        return _refuse(401, f"unverifiable request ({odd.__class__.__name__})", "signature verification failed", module)

    # Authentic from here on: anything unusable is kept in quarantine for a human.
    try:
        document = load_json(request.body)
        events = module.landings(request, document)
    except Refused as bad:
        return _quarantine(source, request, bad.reason, lake, module)
    except _UNUSABLE as odd:
        return _quarantine(
            source, request, f"unexpected {source} payload shape ({odd.__class__.__name__})", lake, module
        )

    if len(events) > INLINE_EVENTS and getattr(queue, "runs_fanout", False):
        return _land_batch(source, module, request, events, lake=lake, queue=queue)
    landed, jobs = land_events(source, request.headers, events, lake=lake, queue=queue)
    created = sum(1 for r in landed if r.created)
    counts = {
        "DeliveriesAccepted": 1,
        "EventsLanded": created,
        "EventsDuplicate": len(landed) - created,
        "HydrationJobsEnqueued": jobs,
    }
    body = (
        None
        if getattr(module, "EMPTY_RESPONSE", False)
        else {
            "received": len(events),
            "landed": created,
            "duplicates": len(landed) - created,
        }
    )
    return Outcome(200, body, counts=counts, keys=[r.key for r in landed])


def _quarantine(source: str, request: Request, reason: str, lake, module) -> Outcome:
    key = lake.quarantine(source=source, body=request.body, reason=reason, headers=request.headers)
    outcome = _refuse(400, reason, "malformed payload", module)
    outcome.keys.append(key)
    outcome.counts["DeliveriesQuarantined"] = 1
    return outcome


def land_events(source: str, headers: dict[str, str], events: list[Landing], *, lake, queue) -> tuple[list, int]:
    """Land each event on its own key and enqueue its hydration jobs: (landed, jobs sent)."""

    def land(event: Landing):
        return lake.land(
            source=source,
            entity=event.entity,
            payload=event.payload,
            identity=event.identity,
            event_time=event.event_time,
            arrival="webhook",
            event_id=event.event_id,
            api_version=event.api_version,
            headers=headers,
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
    return landed, len(jobs)


# -- large batches: one object now, one event per object later ------------------------------


def _land_batch(source: str, module, request: Request, events: list[Landing], *, lake, queue) -> Outcome:
    """Land the verified delivery as one object and enqueue fan-out jobs for its events.

    The batch object is keyed by the body's hash and dated by its earliest event, both
    from the signed body, so a redelivery (or a replay) lands on the same key; the
    fan-out then writes exactly the per-event objects the inline path would have.
    """
    import hashlib

    identity = hashlib.sha256(request.body).hexdigest()[:32]
    result = lake.land(
        source=source,
        entity=BATCH_ENTITY,
        payload=request.body,
        identity=identity,
        event_time=min(event.event_time for event in events),
        arrival="webhook",
        headers=request.headers,
        extra={"events": len(events), "method": request.method, "url": request.url, "received_epoch": request.now},
    )
    jobs = [
        {"source": source, "fanout": result.key, "start": start, "stop": min(start + FANOUT_CHUNK, len(events))}
        for start in range(0, len(events), FANOUT_CHUNK)
    ]
    if result.created:  # a redelivered batch was fanned out (or is being) already
        queue.send(jobs)
    counts = {
        "DeliveriesAccepted": 1,
        "BatchesDeferred": 1,
        "EventsDeferred": len(events) if result.created else 0,
        "FanoutJobsEnqueued": len(jobs) if result.created else 0,
    }
    body = (
        None
        if getattr(module, "EMPTY_RESPONSE", False)
        else {
            "received": len(events),
            "deferred": len(events) if result.created else 0,
            "duplicates": 0 if result.created else len(events),
        }
    )
    return Outcome(200, body, counts=counts, keys=[result.key])  # 200: what QBO and Xero expect


def fan_out(job: dict, *, lake, queue) -> list:
    """Run one fan-out job (the hydrator calls this): land events [start, stop) of a batch
    object exactly as the receiver would have, and enqueue their hydration jobs."""
    from datetime import datetime

    from ..lake import decode_raw_object

    raw = lake.read_bytes(job["fanout"])
    envelope, _ = decode_raw_object(raw)
    body = raw[raw.index(b',"payload":') + len(b',"payload":') : -1]  # the delivery's bytes, as landed
    extra = envelope.get("extra") or {}
    received = extra.get("received_epoch")
    if received is None:
        received = datetime.fromisoformat(envelope["received_at"]).timestamp()
    request = Request(
        method=extra.get("method", "POST"),
        url=extra.get("url", ""),
        headers=envelope.get("headers") or {},
        body=body,
        now=float(received),
    )
    source = job["source"]
    events = provider(source).landings(request, load_json(body))
    landed, _ = land_events(
        source, request.headers, events[int(job["start"]) : int(job["stop"])], lake=lake, queue=queue
    )
    return landed

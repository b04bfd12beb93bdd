"""Webhook receiver Lambda (API Gateway HTTP API, payload v2): `POST /webhooks/{source}`.

Thin on purpose: route with Powertools, hand the raw request to
`ledgerlake.webhooks.receive`, log the outcome with the request's correlation id, emit
metrics, answer. Import cost matters (a cold start sits inside the providers' 3-5 s
deadlines): nothing here pulls polars, duckdb, pandas or prophet, and boto3 is imported
on the first request, not at import.
"""

from __future__ import annotations

import threading
import time

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.api_gateway import BaseRouter
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.metrics.functions import is_metrics_disabled

from ..webhooks.apigw import request_of
from ..webhooks.receive import Outcome, receive

logger = Logger(service="ledgerlake-receiver")
metrics = Metrics(namespace="ledgerlake", service="receiver")
_state = threading.local()
_lake = None
_queue = None
_clock = time.time  # the receiver's "now"; only in-process replay of a simulation moves it
_metrics_lock = threading.Lock()  # `ledgerlake serve` calls this handler from many threads
# Powertools keeps the event being resolved in class attributes (BaseRouter.current_event,
# .lambda_context) shared by every resolver in the process. Lambda resolves one event at a
# time; `ledgerlake serve` and the in-process delivery resolve many at once on threads. So
# routing and response building run under this lock, and the route lets go of it while it
# does the slow part (verify, land, enqueue), restoring its own event before it answers.
_resolve_lock = threading.RLock()
_OTHER_METHODS = ["GET", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


def configure(*, lake=None, queue=None, clock=None) -> None:
    """Set the lake, hydration queue and clock (tests, serve, in-process delivery); by
    default the first two come from the environment on the first request and the clock
    is the wall clock."""
    global _lake, _queue, _clock
    if lake is not None:
        _lake = lake
    if queue is not None:
        _queue = queue
    if clock is not None:
        _clock = clock


def _deps():
    global _lake, _queue
    if _lake is None:
        from ..lake import Lake

        _lake = Lake()
    if _queue is None:
        from ..webhooks.queue import queue_from_env

        _queue = queue_from_env()
    return _lake, _queue


def _answer(source: str, outcome: Outcome, size: int) -> Response:
    _state.outcome = (source, outcome)
    if outcome.status >= 400:
        # The reason and sizes only: never the secret, never the body.
        logger.warning(
            "webhook refused",
            extra={"source": source, "status": outcome.status, "reason": outcome.reason, "bytes": size},
        )
    else:
        logger.info("webhook accepted", extra={"source": source, "keys": outcome.keys[:5], **outcome.counts})
    if outcome.body is None:
        return Response(status_code=outcome.status, content_type="text/plain", body="")
    return Response(status_code=outcome.status, content_type="application/json", body=outcome.body)


def post_webhook(source: str) -> Response:
    request = request_of(app.current_event.raw_event, now=_clock())  # read while we hold the lock
    event, context = BaseRouter.current_event, BaseRouter.lambda_context
    _resolve_lock.release()
    try:
        lake, queue = _deps()
        outcome = receive(source, request, lake=lake, queue=queue)
    finally:
        _resolve_lock.acquire()
        BaseRouter.current_event, BaseRouter.lambda_context = event, context
    return _answer(source, outcome, len(request.body))


app = APIGatewayHttpResolver()
# POST is the route; every other method reaches the same code to get its 405 (or the 404
# an unknown source earns first).
app.route("/webhooks/<source>", method=["POST"] + _OTHER_METHODS)(post_webhook)


def _emit_metrics() -> None:
    recorded = getattr(_state, "outcome", None)  # None: no route ran (e.g. a path outside /webhooks)
    if recorded is None or is_metrics_disabled():
        return
    source, outcome = recorded
    with _metrics_lock:
        metrics.add_dimension("source", source if outcome.status != 404 else "unknown")
        for name, value in outcome.counts.items():
            metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
        metrics.flush_metrics()


def handler(event: dict, context) -> dict:
    request_id = (event.get("requestContext") or {}).get("requestId")
    logger.thread_safe_append_keys(correlation_id=request_id)
    _state.outcome = None
    try:
        with _resolve_lock:
            return app.resolve(event, context)
    finally:
        _emit_metrics()
        logger.thread_safe_clear_keys()

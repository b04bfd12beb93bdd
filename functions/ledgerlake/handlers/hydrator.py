"""Hydrator Lambda (SQS): fetch the full record behind each thin ping and land it (and
fan large webhook batches out into one object per event, see `webhooks.receive`).

Each SQS record is one job from the receiver (`{"source": "qbo", ...}`). A job that
fails (provider down, 404, bad answer) raises inside the record handler; Powertools'
batch processor reports it in `batchItemFailures`, so only that message returns to the
queue, is retried, and after the queue's maxReceiveCount lands in the dead-letter
queue. The ping it came from is already in the lake either way.
"""

from __future__ import annotations

import json

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.metrics.functions import is_metrics_disabled
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from ..webhooks.registry import hydrator

logger = Logger(service="ledgerlake-hydrator")
metrics = Metrics(namespace="ledgerlake", service="hydrator")
_lake = None
_queue = None  # where a fan-out job sends the hydration jobs of its events


def configure(*, lake=None, queue=None) -> None:
    global _lake, _queue
    _lake = lake
    if queue is not None:
        _queue = queue


def _get_queue():
    global _queue
    if _queue is None:
        from ..webhooks.queue import queue_from_env

        _queue = queue_from_env()
    return _queue


def _get_lake():
    global _lake
    if _lake is None:
        from ..lake import Lake

        _lake = Lake()
    return _lake


def hydrate_job(job: dict) -> list:
    """Run one job (raises on failure); returns what landed.

    A fan-out job (`{"fanout": <batch key>, "start", "stop"}`, from a batch too large to
    land inside the provider's deadline) lands those events of the batch as the receiver
    would have, and enqueues their hydration jobs."""
    if "fanout" in job:
        from ..webhooks.receive import fan_out

        return fan_out(job, lake=_get_lake(), queue=_get_queue())
    return hydrator(job["source"]).hydrate(job, _get_lake())


def _record_handler(record: SQSRecord) -> None:
    job = json.loads(record.body)
    try:
        landed = hydrate_job(job)
    except Exception as err:
        logger.warning(
            "hydration failed",
            extra={
                "source": job.get("source"),
                "job_id": job.get("id") or job.get("item_id"),
                "error": str(err)[:300],
                "receive_count": record.attributes.approximate_receive_count,
            },
        )
        raise
    logger.info(
        "hydrated",
        extra={
            "source": job.get("source"),
            "keys": [obj.key for obj in landed],
            "new": sum(1 for obj in landed if obj.created),
        },
    )


def handler(event: dict, context) -> dict:
    # Report failures per message even when every record failed (rather than raising), so
    # each message follows its own retry count to the DLQ and the answer has one shape.
    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    result = process_partial_response(event=event, record_handler=_record_handler, processor=processor, context=context)
    if not is_metrics_disabled():
        failed = len(result.get("batchItemFailures", []))
        metrics.add_metric(
            name="HydrationSucceeded", unit=MetricUnit.Count, value=len(event.get("Records", [])) - failed
        )
        metrics.add_metric(name="HydrationFailed", unit=MetricUnit.Count, value=failed)
        metrics.flush_metrics()
    return result

"""Where hydration jobs go: SQS on AWS, an in-process worker locally, or nowhere.

* `SqsQueue`: `LEDGERLAKE_HYDRATE_QUEUE_URL`; the hydrator Lambda consumes it and the
  queue's redrive policy parks jobs that keep failing in the dead-letter queue.
* `LocalQueue`: `ledgerlake serve` / in-process delivery without SQS. A background
  thread hands each job to the same hydrator handler (as a one-record SQS event), retries
  a failing job a few times, then appends it to `$LEDGERLAKE_HOME/hydrate-dlq.jsonl`.
* `DiscardQueue`: no queue and no local API to hydrate from; jobs are counted and
  dropped (the pings are in the lake, and the pollers fetch the records anyway).

`pump_sqs()` plays Lambda's SQS event source mapping (receive, invoke, delete what
succeeded, leave failures for redelivery): for tests and local runs against an SQS
emulator.
"""

from __future__ import annotations

import json
import logging
import os
import queue as _queue
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any

log = logging.getLogger(__name__)


# `runs_fanout`: the queue's jobs reach the hydrator handler, so the receiver may defer a
# large batch to a fan-out job. A queue without it (discard, a landing run's batch) gets
# every event landed inline.


class DiscardQueue:
    runs_fanout = False

    def __init__(self) -> None:
        self.discarded = 0

    def send(self, jobs: Iterable[dict]) -> int:
        n = len(list(jobs))
        self.discarded += n
        return n


class MemoryQueue:
    """Keeps jobs in a list (tests, and callers that hydrate in a batch afterwards)."""

    runs_fanout = True  # whoever drains it runs the jobs through the hydrator handler

    def __init__(self) -> None:
        self.jobs: list[dict] = []
        self._lock = threading.Lock()

    def send(self, jobs: Iterable[dict]) -> int:
        jobs = list(jobs)
        with self._lock:
            self.jobs.extend(jobs)
        return len(jobs)


def sqs_client():
    """An SQS client on the same endpoint settings as the lake (moto/local when set)."""
    import boto3

    from ..config import Settings

    settings = Settings.from_env()
    endpoint = os.environ.get("LEDGERLAKE_SQS_ENDPOINT") or settings.s3_endpoint
    return boto3.client("sqs", endpoint_url=endpoint, region_name=settings.region)


class SqsQueue:
    runs_fanout = True

    def __init__(self, url: str, client=None):
        self.url = url
        self.sqs = client or sqs_client()

    def send(self, jobs: Iterable[dict]) -> int:
        jobs = list(jobs)
        for start in range(0, len(jobs), 10):  # SendMessageBatch takes at most 10
            entries = [
                {"Id": str(i), "MessageBody": json.dumps(job, separators=(",", ":"))}
                for i, job in enumerate(jobs[start : start + 10])
            ]
            answer = self.sqs.send_message_batch(QueueUrl=self.url, Entries=entries)
            if answer.get("Failed"):
                # Raise so the receiver answers 5xx and the provider redelivers; the pings
                # already landed will land on the same keys again.
                raise RuntimeError(f"SQS refused {len(answer['Failed'])} hydration jobs")
        return len(jobs)


def sqs_event(messages: list[dict], queue_arn: str = "arn:aws:sqs:us-east-1:000000000000:hydrate") -> dict:
    """An SQS event as Lambda delivers it, from ReceiveMessage results (or job dicts)."""
    records = []
    for message in messages:
        if "Body" not in message:  # a bare job
            message = {"MessageId": str(uuid.uuid4()), "ReceiptHandle": "local", "Body": json.dumps(message)}
        records.append(
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": {
                    "ApproximateReceiveCount": message.get("Attributes", {}).get("ApproximateReceiveCount", "1"),
                    "SentTimestamp": str(int(time.time() * 1000)),
                    "SenderId": "ledgerlake",
                    "ApproximateFirstReceiveTimestamp": str(int(time.time() * 1000)),
                },
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": "us-east-1",
            }
        )
    return {"Records": records}


class LocalQueue:
    """Hydrates in a background thread through the hydrator handler (no SQS locally)."""

    runs_fanout = True

    def __init__(self, handler: Callable[[dict, Any], dict] | None = None, attempts: int = 3, backoff: float = 0.5):
        if handler is None:
            from ..handlers import hydrator

            handler = hydrator.handler
            hydrator.configure(lake=hydrator._lake, queue=self)  # fan-out jobs feed this queue
        self.handler = handler
        self.attempts = attempts
        self.backoff = backoff
        self.failed = 0
        self.done = 0
        self._jobs: _queue.Queue = _queue.Queue()
        self._thread = threading.Thread(target=self._work, name="ledgerlake-hydrate", daemon=True)
        self._thread.start()

    def send(self, jobs: Iterable[dict]) -> int:
        n = 0
        for job in jobs:
            self._jobs.put(job)
            n += 1
        return n

    def join(self, timeout: float | None = None) -> None:
        """Wait until every job sent so far is hydrated or dead-lettered."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self._jobs.unfinished_tasks:
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError("hydration jobs still pending")
            time.sleep(0.02)

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            try:
                self._run(job)
            finally:
                self._jobs.task_done()

    def _run(self, job: dict) -> None:
        for attempt in range(1, self.attempts + 1):
            answer = self.handler(sqs_event([job]), None)
            if not answer.get("batchItemFailures"):
                self.done += 1
                return
            time.sleep(self.backoff * attempt)
        self.failed += 1
        from ..config import home

        path = home() / "hydrate-dlq.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a") as handle:
            handle.write(json.dumps(job) + "\n")
        log.warning(
            "hydration job dead-lettered to %s: %s %s", path, job.get("source"), job.get("id") or job.get("item_id")
        )


def queue_from_env():
    """SQS when `LEDGERLAKE_HYDRATE_QUEUE_URL` is set, else a discard queue.

    (Local commands choose `LocalQueue` themselves when a local API base URL is set.)
    """
    url = os.environ.get("LEDGERLAKE_HYDRATE_QUEUE_URL")
    return SqsQueue(url) if url else DiscardQueue()


def local_queue_or_discard():
    """For `ledgerlake serve` and in-process delivery: hydrate locally when any
    `<SOURCE>_API_BASE_URL` of a thin source points somewhere, else discard."""
    from .registry import THIN_SOURCES

    if os.environ.get("LEDGERLAKE_HYDRATE_QUEUE_URL"):
        return queue_from_env()
    if any(os.environ.get(f"{s.upper()}_API_BASE_URL") for s in THIN_SOURCES):
        return LocalQueue()
    return DiscardQueue()


def pump_sqs(
    url: str, handler: Callable[[dict, Any], dict], *, client=None, max_rounds: int = 50, wait: float = 0.0
) -> dict:
    """Drain a queue the way Lambda's event source mapping does; returns counts.

    Successful records are deleted; failed ones (reported in `batchItemFailures`) are
    left to reappear after the visibility timeout, until the redrive policy moves them
    to the dead-letter queue.
    """
    sqs = client or sqs_client()
    counts = {"invocations": 0, "succeeded": 0, "failed": 0}
    for _ in range(max_rounds):
        answer = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["ApproximateReceiveCount"], WaitTimeSeconds=0
        )
        messages = answer.get("Messages", [])
        if not messages:
            if wait <= 0:
                break
            time.sleep(wait)
            wait = 0
            continue
        result = handler(sqs_event(messages), None)
        counts["invocations"] += 1
        failed = {item["itemIdentifier"] for item in result.get("batchItemFailures", [])}
        for message in messages:
            if message["MessageId"] in failed:
                counts["failed"] += 1
                sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0)
            else:
                counts["succeeded"] += 1
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return counts

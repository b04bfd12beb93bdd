"""Deliver the simulated company's webhooks the way providers do: signed at send time,
in any order, some more than once.

Two ways out, one set of deliveries:

* `deliver_directory(sim_dir)` builds the API Gateway v2 event for each delivery and calls
  the receiver handler in-process (no HTTP): what `ledgerlake run` uses.
* `replay_http(sim_dir, to=URL)` POSTs them to a running receiver (`ledgerlake serve`,
  or a deployed API): what `ledgerlake replay --to URL` does.

Delivery files: `DIR/webhooks/{source}.jsonl`, one JSON object per line with
`delivery_id, source, sent_at, method, path, headers, body` (docs/architecture.md).
Signature headers are not in the file; they are computed here with the configured
secrets (Plaid: the local signing key), exactly as each provider computes them.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .apigw import build_event
from .core import parse_time
from .registry import SOURCES, provider

LOCAL_ORIGIN = "https://localhost"  # the origin in-process deliveries are addressed to
_simulated = threading.local()  # per delivering thread: the simulated "now" of its delivery


def simulated_clock() -> float:
    """The receiver's clock during an in-process replay at the deliveries' own send times."""
    return getattr(_simulated, "now", None) or time.time()


@dataclass(frozen=True)
class Delivery:
    delivery_id: str
    source: str
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    sent_at: str | None = None

    def sent_epoch(self) -> float | None:
        moment = parse_time(self.sent_at)
        return moment.timestamp() if moment else None


def read_deliveries(sim_dir: Path | str, sources: Iterable[str] = SOURCES) -> Iterator[Delivery]:
    """Every delivery line of `DIR/webhooks/{source}.jsonl`, in file order."""
    for source in sources:
        path = Path(sim_dir) / "webhooks" / f"{source}.jsonl"
        if not path.exists():
            continue
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                if not line.strip():
                    continue
                row = json.loads(line)
                yield Delivery(
                    delivery_id=str(row["delivery_id"]),
                    source=row.get("source", source),
                    method=row.get("method", "POST"),
                    path=row.get("path", f"/webhooks/{source}"),
                    headers=dict(row.get("headers") or {}),
                    body=row["body"].encode("utf-8"),
                    sent_at=row.get("sent_at"),
                )


def schedule(deliveries: Iterable[Delivery], *, duplicates: bool, seed: int | None) -> list[Delivery]:
    """Providers deliver at least once and in no particular order: with `duplicates`,
    each delivery is sent 1-3 times, and the whole list is shuffled."""
    rng = random.Random(seed)
    out: list[Delivery] = []
    for delivery in deliveries:
        out.extend([delivery] * (rng.randint(1, 3) if duplicates else 1))
    if duplicates:
        rng.shuffle(out)
    return out


def signed_headers(delivery: Delivery, url: str, now: float | None = None) -> dict[str, str]:
    """The delivery's own headers plus the provider's signature, computed now."""
    headers = dict(delivery.headers)
    headers.setdefault("Content-Type", "application/json")
    headers.update(provider(delivery.source).sign(delivery.body, url=url, method=delivery.method, now=now))
    return headers


@dataclass
class Report:
    sent: int = 0
    unique: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    landed: int = 0
    duplicates: int = 0
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)  # first few non-2xx, for the operator

    def count(self, status: int, body: Any, delivery: Delivery) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if isinstance(body, dict):
            self.landed += int(body.get("landed", 0))
            self.duplicates += int(body.get("duplicates", 0))
        if status >= 300 and len(self.failures) < 10:
            self.failures.append(f"{delivery.source} {delivery.delivery_id}: HTTP {status} {str(body)[:200]}")

    @property
    def ok(self) -> bool:
        return all(200 <= status < 300 for status in self.statuses)

    def summary(self) -> str:
        rate = self.sent / self.seconds if self.seconds else 0.0
        statuses = ", ".join(f"{k}: {v}" for k, v in sorted(self.statuses.items()))
        return (
            f"{self.sent} deliveries ({self.unique} unique) in {self.seconds:.1f} s ({rate:,.0f}/s); "
            f"HTTP {statuses}; {self.landed} events landed, {self.duplicates} already there"
        )


def _run(deliveries: list[Delivery], send: Callable[[Delivery], tuple[int, Any]], workers: int, progress) -> Report:
    report = Report(sent=len(deliveries), unique=len({(d.source, d.delivery_id) for d in deliveries}))
    started = time.monotonic()

    def one(delivery):
        return delivery, send(delivery)

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for delivery, (status, body) in pool.map(one, deliveries):
            report.count(status, body, delivery)
            if progress is not None:
                progress.advance()
    report.seconds = time.monotonic() - started
    return report


def deliver_directory(
    sim_dir: Path | str,
    handler: Callable[[dict, Any], dict] | None = None,
    *,
    duplicates: bool = False,
    seed: int | None = 7,
    workers: int = 4,
    sources: Iterable[str] = SOURCES,
    origin: str = LOCAL_ORIGIN,
    at_sent_time: bool = True,
    progress=None,
    quiet: bool = True,
) -> Report:
    """Deliver every webhook of a simulated company through the receiver, in-process.

    `handler` defaults to `ledgerlake.handlers.receiver.handler` (configure its lake and
    queue first with `receiver.configure(...)`, or let it read the environment).
    With `at_sent_time` each delivery is signed at its `sent_at` and the receiver's clock
    is set to that moment while it handles it, as if the history were happening now:
    timestamps verify, and Plaid pings (dated by their signing time) keep their own days.
    `quiet` silences the per-request logs and EMF metrics a Lambda would print.
    """
    import logging
    import os

    from ..handlers import receiver

    handler = handler or receiver.handler
    deliveries = schedule(read_deliveries(sim_dir, sources), duplicates=duplicates, seed=seed)
    if any(d.source == "plaid" for d in deliveries):
        # This process signs the Plaid deliveries, so it knows the key: no key server needed.
        from ..sources.plaid.webhook import trust_local_key

        trust_local_key()

    def send(delivery: Delivery) -> tuple[int, Any]:
        url = origin.rstrip("/") + delivery.path
        now = delivery.sent_epoch() if at_sent_time else None
        event = build_event(delivery.method, url, signed_headers(delivery, url, now=now), delivery.body)
        _simulated.now = now
        try:
            answer = handler(event, None)
        finally:
            _simulated.now = None
        body = answer.get("body")
        try:
            body = json.loads(body) if body else None
        except ValueError:
            pass
        return answer["statusCode"], body

    saved = os.environ.get("POWERTOOLS_METRICS_DISABLED")
    receiver_log = logging.getLogger("ledgerlake-receiver")
    level = receiver_log.level
    if quiet:
        os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"
        receiver_log.setLevel(logging.WARNING)
    if at_sent_time:
        receiver.configure(clock=simulated_clock)
    try:
        return _run(deliveries, send, workers, progress)
    finally:
        receiver.configure(clock=time.time)
        if quiet:
            receiver_log.setLevel(level)
            if saved is None:
                os.environ.pop("POWERTOOLS_METRICS_DISABLED", None)
            else:
                os.environ["POWERTOOLS_METRICS_DISABLED"] = saved


def replay_http(
    sim_dir: Path | str,
    to: str,
    *,
    duplicates: bool = True,
    seed: int | None = None,
    workers: int = 8,
    sources: Iterable[str] = SOURCES,
    progress=None,
    timeout: float = 10.0,
) -> Report:
    """POST every delivery to `to` (e.g. http://127.0.0.1:8800), signed at send time."""
    import urllib3

    deliveries = schedule(read_deliveries(sim_dir, sources), duplicates=duplicates, seed=seed)
    # Like a provider, retry a delivery whose connection failed (sending it twice is fine:
    # it lands on the same key); an HTTP answer, whatever its status, is final.
    retries = urllib3.Retry(total=3, connect=3, read=2, status=0, backoff_factor=0.2, allowed_methods=None)
    http = urllib3.PoolManager(maxsize=max(1, workers), retries=retries, timeout=urllib3.Timeout(total=timeout))

    def send(delivery: Delivery) -> tuple[int, Any]:
        url = to.rstrip("/") + delivery.path
        try:
            response = http.request(delivery.method, url, body=delivery.body, headers=signed_headers(delivery, url))
        except urllib3.exceptions.HTTPError as err:
            return 599, f"no answer: {type(err).__name__}"
        try:
            body = json.loads(response.data) if response.data else None
        except ValueError:
            body = response.data[:200].decode("utf-8", "replace")
        return response.status, body

    return _run(deliveries, send, workers, progress)

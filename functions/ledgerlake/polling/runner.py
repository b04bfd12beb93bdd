"""The run loop shared by every poller: context, page landing, cursor saving, the budget.

A provider module (`ledgerlake.sources.<provider>.poll`) exposes:

    SOURCE = "stripe"
    DEFAULT_BASE_URL = "https://api.stripe.com"
    STREAMS = ("events", "balance_transactions")
    def poll(ctx: PollContext) -> None          # walk every stream from its cursor
    def page_records(entity, payload) -> iterable of dedupe.Record

`poll_source` builds the context, runs the module and turns "out of time" into a clean,
resumable stop. Each page lands before the cursor that covers it is saved.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import os
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any, Callable

from ..lake import Lake, identity_hash
from .cursors import CursorStore
from .http import Budget, BudgetExhausted, HttpClient, RetryPolicy

log = logging.getLogger(__name__)

SOURCES = ("stripe", "shopify", "hubspot", "qbo", "xero", "plaid")


def provider_module(source: str):
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}; one of {', '.join(SOURCES)}")
    return importlib.import_module(f"ledgerlake.sources.{source}.poll")


def base_url_for(source: str) -> str:
    """`<SOURCE>_API_BASE_URL`, else the provider's real URL."""
    configured = os.environ.get(f"{source.upper()}_API_BASE_URL")
    if configured:
        return configured.rstrip("/")
    module = provider_module(source)
    default = module.DEFAULT_BASE_URL
    return default() if callable(default) else default


@dataclass
class StreamResult:
    pages_landed: int = 0
    pages_existing: int = 0  # same request, same answer: landed before, nothing written
    records: int = 0


@dataclass
class PollResult:
    source: str
    complete: bool = False
    stopped: str | None = None  # why a run stopped early ("budget")
    streams: dict[str, StreamResult] = field(default_factory=dict)
    http: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def pages_landed(self) -> int:
        return sum(s.pages_landed for s in self.streams.values())

    @property
    def records(self) -> int:
        return sum(s.records for s in self.streams.values())

    def summary(self) -> str:
        state = "complete" if self.complete else f"stopped ({self.stopped})"
        parts = ", ".join(
            f"{name}: {s.records} records in {s.pages_landed} new pages" for name, s in self.streams.items()
        )
        return f"{self.source}: {state}; {parts or 'nothing to do'}"


class SimulatedCrash(Exception):
    """Raised by a test hook between landing a page and saving its cursor."""


@dataclass
class PollContext:
    source: str
    base_url: str
    lake: Lake
    cursors: CursorStore
    http: HttpClient
    since: datetime | None = None  # backfill: start here instead of the saved cursor
    credentials: dict[str, str] = field(default_factory=dict)
    result: PollResult | None = None
    page_size: int | None = None  # override the provider's page size (tests, benchmarks)
    # Test hook: called after each page lands and before its cursor is saved.
    after_land: Callable[[str, Any], None] | None = None

    def secret(self, name: str) -> str:
        if name in self.credentials:
            return self.credentials[name]
        from ..config import secret

        return secret(name)

    def setting(self, name: str, default: str | None = None) -> str | None:
        return self.credentials.get(name) or os.environ.get(name) or default

    def stream(self, name: str) -> StreamResult:
        return self.result.streams.setdefault(name, StreamResult())

    def start(self, stream: str) -> dict[str, Any] | None:
        """Where a stream starts: None for a backfill (`since`) else the saved cursor."""
        if self.since is not None:
            return None
        return self.cursors.get(self.source, stream)

    def out_of_time(self) -> bool:
        return self.http.budget.expired()

    def land_page(
        self,
        entity: str,
        *,
        request: dict[str, Any],
        body: bytes,
        records: int,
        page_time: datetime | date,
        fingerprint: str | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
        stream: str | None = None,
    ):
        """Land one page. Identity = hash(request identity, page content): a rerun of the
        same request that gets the same answer lands on the same key (a no-op)."""
        content = fingerprint or hashlib.sha256(body).hexdigest()
        identity = identity_hash(self.source, entity, request, content)
        landed = self.lake.land(
            source=self.source,
            entity=entity,
            payload=body,
            identity=identity,
            event_time=page_time,
            arrival="poll",
            api_version=(headers or {}).get("stripe-version") or None,
            headers=headers,
            extra={"request": request, "records": records, **(extra or {})},
        )
        result = self.stream(stream or entity)
        if landed.created:
            result.pages_landed += 1
        else:
            result.pages_existing += 1
        result.records += records
        if self.after_land is not None:
            self.after_land(entity, landed)
        return landed

    def save_cursor(self, stream: str, cursor: dict[str, Any]) -> None:
        self.cursors.put(self.source, stream, cursor)


def poll_source(
    source: str,
    *,
    lake: Lake | None = None,
    base_url: str | None = None,
    since: datetime | None = None,
    budget_seconds: float | None = None,
    credentials: dict[str, str] | None = None,
    policy: RetryPolicy | None = None,
    page_size: int | None = None,
    after_land: Callable[[str, Any], None] | None = None,
    http: HttpClient | None = None,
) -> PollResult:
    """Run one source's poller until every stream is caught up or the budget is spent."""
    import time

    module = provider_module(source)
    lake = lake or Lake()
    client = http or HttpClient(budget=Budget(budget_seconds), policy=policy)
    result = PollResult(source=source)
    ctx = PollContext(
        source=source,
        base_url=(base_url or base_url_for(source)).rstrip("/"),
        lake=lake,
        cursors=CursorStore(lake),
        http=client,
        since=since,
        credentials=dict(credentials or {}),
        result=result,
        page_size=page_size,
        after_land=after_land,
    )
    started = time.monotonic()
    try:
        module.poll(ctx)
        result.complete = not ctx.out_of_time()
        if not result.complete:
            result.stopped = "budget"
    except BudgetExhausted as err:
        log.warning("%s: stopping cleanly, resuming next run: %s", source, err)
        result.stopped = "budget"
    result.seconds = time.monotonic() - started
    result.http = {
        "requests": client.stats.requests,
        "retries_429": client.stats.retries_429,
        "retries_5xx": client.stats.retries_5xx,
        "retries_timeout": client.stats.retries_timeout,
        "slept_s": round(client.stats.slept, 2),
    }
    return result


def poll_all(
    *,
    base_urls: dict[str, str] | None = None,
    lake: Lake | None = None,
    sources: tuple[str, ...] | list[str] | None = None,
    credentials: dict[str, str] | None = None,
    since: datetime | None = None,
    budget_seconds: float | None = None,
    progress: Callable[[PollResult], None] | None = None,
) -> dict[str, PollResult]:
    """Poll every source (the headless pipeline's way in); base URLs default to config."""
    lake = lake or Lake()
    results: dict[str, PollResult] = {}
    for source in sources or SOURCES:
        url = (base_urls or {}).get(source)
        results[source] = poll_source(
            source, lake=lake, base_url=url, since=since, budget_seconds=budget_seconds, credentials=credentials
        )
        if progress:
            progress(results[source])
    return results


def utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


class Boundary:
    """The records at a cursor's own stamp.

    Cursors are inclusive (`>=`): a record stamped in the same second as the last one
    seen, but not yet visible then, must not be skipped. The price is that the next run
    reads the boundary records again; remembering their ids lets the poller skip a page
    that holds nothing but those, so an idle run lands nothing.
    """

    def __init__(self, state: dict[str, Any] | None = None):
        state = state or {}
        self.stamp = state.get("boundary_stamp")
        self.ids = set(state.get("boundary_ids", []))

    def all_seen(self, items: list[tuple[str, Any]]) -> bool:
        return bool(items) and all(stamp == self.stamp and rid in self.ids for rid, stamp in items)

    def advance(self, items: list[tuple[str, Any]]) -> None:
        if not items:
            return
        newest = max(stamp for _, stamp in items)
        if self.stamp is None or newest > self.stamp:
            self.stamp, self.ids = newest, set()
        if newest == self.stamp:
            self.ids |= {rid for rid, stamp in items if stamp == newest}

    def to_json(self) -> dict[str, Any]:
        return {"boundary_stamp": self.stamp, "boundary_ids": sorted(self.ids)}

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
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from ..lake import Lake, identity_hash
from ..sources import POLLED
from .cursors import CursorStore
from .http import Budget, BudgetExhausted, HttpClient, RetryPolicy

log = logging.getLogger(__name__)

SOURCES = POLLED  # the providers + ecb (FX reference rates)


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
    stopped: str | None = None  # why a run stopped early ("budget", "needs_reconnect")
    error: str | None = None
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
        if self.error:
            state += f": {self.error}"
        parts = ", ".join(
            f"{name}: {s.records} records in {s.pages_landed} new pages" for name, s in self.streams.items()
        )
        return f"{self.source}: {state}; {parts or 'nothing to do'}"


class SimulatedCrash(Exception):
    """Raised by a test hook between landing a page and saving its cursor."""


class PageWriter:
    """Lands pages on a few threads while the poller fetches the next ones, and saves
    cursors in order, each only once every page submitted before it has landed.

    S3 latency, not bandwidth, bounds a poller that lands one page at a time; this keeps
    up to `max_in_flight` pages in the air. The rule does not change: a cursor value is
    written only after all pages it covers are on S3. Cursor values waiting for their
    pages are coalesced (a later value for the same stream covers the earlier pages), and
    if a landing fails no later cursor is written and the error surfaces in the poller.
    """

    def __init__(self, cursors: CursorStore, source: str, workers: int = 4, max_in_flight: int = 12):
        from concurrent.futures import ThreadPoolExecutor

        self.cursors, self.source = cursors, source
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"land-{source}")
        self.max_in_flight = max_in_flight
        self.lands: list = []  # futures, in submission order
        self.landed_prefix = 0  # how many leading lands are done and succeeded
        self.deferred: list[tuple[int, str, dict[str, Any]]] = []  # (lands needed, stream, cursor)
        self.lock = threading.Lock()

    def _advance(self) -> None:
        while self.landed_prefix < len(self.lands) and self.lands[self.landed_prefix].done():
            error = self.lands[self.landed_prefix].exception()
            if error is not None:
                raise error
            self.landed_prefix += 1

    def _write_ready(self) -> None:
        self._advance()
        ready = [d for d in self.deferred if d[0] <= self.landed_prefix]
        if not ready:
            return
        self.deferred = [d for d in self.deferred if d[0] > self.landed_prefix]
        latest: dict[str, dict[str, Any]] = {}
        for _, stream, cursor in ready:
            latest[stream] = cursor  # in order: the last one covers the others
        for stream, cursor in latest.items():
            self.cursors.put(self.source, stream, cursor)

    def submit(self, fn) -> None:
        self._write_ready()
        while len(self.lands) - self.landed_prefix >= self.max_in_flight:
            self.lands[self.landed_prefix].exception()  # wait for the oldest
            self._write_ready()
        self.lands.append(self.pool.submit(fn))

    def save_cursor(self, stream: str, cursor: dict[str, Any]) -> None:
        import copy

        self.deferred.append((len(self.lands), stream, copy.deepcopy(cursor)))
        self._write_ready()

    def pending_cursor(self, stream: str) -> dict[str, Any] | None:
        """The newest cursor value not yet written for `stream` (readers must see it)."""
        for _, name, cursor in reversed(self.deferred):
            if name == stream:
                return cursor
        return None

    def drain(self) -> None:
        """Wait for every landing; write the cursors they cover; raise the first failure."""
        try:
            for future in self.lands[self.landed_prefix :]:
                future.exception()
            self._write_ready()
        finally:
            self.pool.shutdown(wait=True)


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
    writer: PageWriter | None = None
    _counts: Any = field(default_factory=threading.Lock)

    def secret(self, name: str) -> str:
        """A credential: the explicit mapping, else the stored connection, else config."""
        from ..connections import credential

        return credential(name, self.credentials)

    def setting(self, name: str, default: str | None = None) -> str | None:
        from ..connections import lookup

        return self.credentials.get(name) or lookup(name) or os.environ.get(name) or default

    def auth(self, name: str, header: str = "Authorization", scheme: str = "Bearer "):
        """The request auth for a credential: fresh on every request, refreshed on a 401."""
        from ..connections import auth

        return auth(name, self.credentials, header, scheme)

    def stream(self, name: str) -> StreamResult:
        return self.result.streams.setdefault(name, StreamResult())

    def start(self, stream: str) -> dict[str, Any] | None:
        """Where a stream starts: None for a backfill (`since`) else the saved cursor."""
        if self.since is not None:
            return None
        return self.read_cursor(stream)

    def read_cursor(self, stream: str) -> dict[str, Any] | None:
        """The stream's cursor, including a value still waiting for its pages to land."""
        pending = self.writer.pending_cursor(stream) if self.writer else None
        return pending if pending is not None else self.cursors.get(self.source, stream)

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
        result = self.stream(stream or entity)
        result.records += records

        def land():
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
            with self._counts:
                if landed.created:
                    result.pages_landed += 1
                else:
                    result.pages_existing += 1
            if self.after_land is not None:
                self.after_land(entity, landed)
            return landed

        if self.writer is None:
            return land()
        self.writer.submit(land)
        return None

    def save_cursor(self, stream: str, cursor: dict[str, Any]) -> None:
        """Save a cursor, once every page landed before this call is on S3."""
        if self.writer is None:
            self.cursors.put(self.source, stream, cursor)
        else:
            self.writer.save_cursor(stream, cursor)


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
    land_workers: int = 4,
) -> PollResult:
    """Run one source's poller until every stream is caught up or the budget is spent.
    `land_workers=0` lands each page before fetching the next."""
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
    cursors = ctx.cursors
    ctx.writer = PageWriter(cursors, source, workers=land_workers) if land_workers else None
    from ..connections import NeedsReconnect

    started = time.monotonic()
    try:
        try:
            module.poll(ctx)
        finally:
            if ctx.writer is not None:
                ctx.writer.drain()  # every submitted page lands and its cursors are saved
        result.complete = not ctx.out_of_time()
        if not result.complete:
            result.stopped = "budget"
    except BudgetExhausted as err:
        log.warning("%s: stopping cleanly, resuming next run: %s", source, err)
        result.stopped = "budget"
    except NeedsReconnect as err:
        # Every landed page is covered by its cursor (drained above): after
        # `ledgerlake connect` the next run resumes from there.
        log.error("%s: %s", source, err)
        result.stopped, result.error = "needs_reconnect", str(err)
    from ..connections.status import publish

    publish(lake, [source])  # the connection's public status beside the cursors (dashboard, email)
    result.seconds = time.monotonic() - started
    result.http = {
        "requests": client.stats.requests,
        "retries_429": client.stats.retries_429,
        "retries_5xx": client.stats.retries_5xx,
        "retries_timeout": client.stats.retries_timeout,
        "slept_s": round(client.stats.slept, 2),
        "reauth": client.stats.reauth,
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
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


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

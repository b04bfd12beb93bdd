"""Land a simulated company in a lake through the real ingestion paths (`ledgerlake run`, tests, benchmarks).

    from ledgerlake.landing import land_simulation
    report = land_simulation(sim_dir, lake)        # webhooks + hydration + polls (FX rates included)

The same ways in production uses, in-process:

1. every webhook delivery, signed at send time, through the receiver handler
   (`webhooks.replay.deliver_directory`); the hydration jobs of thin pings (HubSpot, QBO,
   Xero, Plaid) then run through the hydrator handler against the local provider API
   (`HydrationBatch`);
2. every poller (`polling.runner.poll_all`) against the local provider API server
   (`sourceapi.serve_in_thread`) at the server's clock;
3. the simulation's FX rates by the `ecb` poller from the same server's ECB feed
   (`reference/ecb/eurofxref-hist.xml`); a simulation made before that feed existed gets
   its `reference/fx_rates.csv` uploaded as the hand override instead.

`until` (a datetime) lands the company as it stood then: deliveries sent up to `until`,
the API server's clock at `until`. Landing again with a later `until` adds the next
stretch of activity (what a bench's "one more day" needs).
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from .lake import Lake
from .sources import THIN_PROVIDERS

THIN_SOURCES = THIN_PROVIDERS


@dataclass
class LandingReport:
    deliveries: int = 0
    landed_webhook_events: int = 0
    hydrated: int = 0
    hydrate_failed: int = 0
    polled_pages: int = 0
    webhook_seconds: float = 0.0
    hydrate_seconds: float = 0.0
    poll_seconds: float = 0.0
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.deliveries} deliveries ({self.landed_webhook_events} events landed) in "
            f"{self.webhook_seconds:.1f} s, {self.hydrated} hydrations ({self.hydrate_failed} failed) "
            f"+{self.hydrate_seconds:.1f} s, {self.polled_pages} polled pages in {self.poll_seconds:.1f} s; "
            f"total {self.seconds:.1f} s"
        )


def _parse(moment: str) -> datetime:
    return datetime.fromisoformat(moment.replace("Z", "+00:00"))


def _deliveries_until(sim_dir: Path, until: datetime, out: Path, after: datetime | None = None) -> Path:
    """A copy of DIR/webhooks/ holding only deliveries sent at or before `until` (and after
    `after`, when given)."""
    (out / "webhooks").mkdir(parents=True, exist_ok=True)
    for path in sorted((sim_dir / "webhooks").glob("*.jsonl")):
        with path.open(encoding="utf-8") as src, (out / "webhooks" / path.name).open("w", encoding="utf-8") as dst:
            for line in src:
                if not line.strip():
                    continue
                sent = _parse(json.loads(line)["sent_at"])
                if sent <= until and (after is None or sent > after):
                    dst.write(line)
    return out


class _Env:
    """Set environment variables for the duration of a block, then restore them."""

    def __init__(self, values: dict[str, str]):
        self.values = values
        self.saved: dict[str, str | None] = {}

    def __enter__(self):
        for name, value in self.values.items():
            self.saved[name] = os.environ.get(name)
            os.environ[name] = value
        return self

    def __exit__(self, *exc):
        for name, value in self.saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class HydrationBatch:
    """The hydration queue for a landing run: collects the receiver's jobs, then runs them
    through the hydrator Lambda handler (as one-record SQS events) on a thread pool.

    Jobs identical but for the ping they came from are run once: at one API clock they
    fetch the same answer onto the same keys (a Plaid ping re-syncs the whole item, and
    the simulated company sends one per item per day), so running them again lands nothing.
    On AWS every job runs; this only keeps a local landing of a year and a half short.
    """

    def __init__(self) -> None:
        import threading

        self._lock = threading.Lock()
        self._jobs: dict[str, dict] = {}
        self.sent = 0

    def send(self, jobs) -> int:
        n = 0
        with self._lock:
            for job in jobs:
                key = json.dumps({k: v for k, v in job.items() if k not in ("ping_key", "event_time")}, sort_keys=True)
                self._jobs.setdefault(key, job)
                n += 1
            self.sent += n
        return n

    def run(self, workers: int = 4, attempts: int = 3, progress=None) -> tuple[int, int, list[str]]:
        """(succeeded, failed, first failures). `progress`: advanced once per job."""
        from concurrent.futures import ThreadPoolExecutor

        from .handlers.hydrator import handler
        from .webhooks.queue import sqs_event

        def one(job):
            try:
                for _ in range(attempts):
                    if not handler(sqs_event([job]), None).get("batchItemFailures"):
                        return None
                return f"{job.get('source')} {job.get('id') or job.get('item_id')}"
            finally:
                if progress is not None:
                    progress.advance()

        with self._lock:
            jobs, self._jobs = list(self._jobs.values()), {}
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            failures = [f for f in pool.map(one, jobs) if f]
        return len(jobs) - len(failures), len(failures), failures[:10]


# -- what a previous run already landed -----------------------------------------------------
#
# A second `ledgerlake run` over the same simulation has nothing new to land: the
# receiver would store every event again under the same keys (idempotent, so nothing
# changes) but re-signing, re-receiving and re-hydrating 25k deliveries costs minutes, and
# re-polling re-takes today's balance snapshots, which makes the build run again. After a
# landing without failures a marker naming the simulation's fingerprint is kept in the lake
# itself (so a wiped or different lake lands again); `ledgerlake run` skips a simulation it
# finds marked (pipeline.step_land).

LANDED_PREFIX = "state/landing/"


def simulation_fingerprint(sim_dir: Path) -> str:
    """Changes when the simulation is regenerated or its webhook files change."""
    import hashlib

    digest = hashlib.sha256((sim_dir / "manifest.json").read_bytes())
    for path in sorted((sim_dir / "webhooks").glob("*.jsonl")):
        stat = path.stat()
        digest.update(f"{path.name}:{stat.st_size}".encode())
    return digest.hexdigest()[:24]


def webhooks_landed(lake: Lake, sim_dir: Path) -> dict | None:
    """The marker of an earlier complete landing of this simulation's webhooks, if any."""
    key = LANDED_PREFIX + simulation_fingerprint(sim_dir) + ".json"
    try:
        return json.loads(lake.s3.get_object(Bucket=lake.bucket, Key=key)["Body"].read())
    except lake.s3.exceptions.NoSuchKey:
        return None


def mark_webhooks_landed(lake: Lake, sim_dir: Path, report: LandingReport) -> None:
    key = LANDED_PREFIX + simulation_fingerprint(sim_dir) + ".json"
    body = {
        "sim_dir": str(sim_dir),
        "deliveries": report.deliveries,
        "hydrated": report.hydrated,
        "landed_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    lake.s3.put_object(Bucket=lake.bucket, Key=key, Body=json.dumps(body).encode(), ContentType="application/json")


def simulation_credentials(manifest: dict) -> dict[str, str]:
    """Local API credentials naming the simulated company's own realm, tenant and shop (the
    webhook pings carry them, and the API refuses any other)."""
    from .sourceapi import local_credentials

    creds = local_credentials()
    sources = manifest.get("sources", {})
    for name, source, key in (
        ("QBO_REALM_ID", "qbo", "realm_id"),
        ("XERO_TENANT_ID", "xero", "tenant_id"),
        ("SHOPIFY_SHOP", "shopify", "shop_domain"),
    ):
        if sources.get(source, {}).get(key):
            creds[name] = sources[source][key]
    return creds


APP_IDS = ("SHOPIFY_SHOP", "PLAID_CLIENT_ID", "PLAID_SECRET")  # app identity, not a connection's token


def connect_simulation(providers, store=None) -> dict[str, dict]:
    """`ledgerlake connect` for every source against the local server, non-interactively:
    a scripted browser follows each authorize redirect to the flow's own 127.0.0.1
    callback; Plaid uses the sandbox public token; Stripe takes the local restricted key.
    Refuses to overwrite a connection to a real provider (another `LEDGERLAKE_HOME` is
    the place for the simulated company)."""
    import urllib.request

    from .connections import SOURCES
    from .connections.flow import Prompt, connect
    from .connections.store import store_from_env

    store = store or store_from_env()
    for source in SOURCES:
        existing = store.read(source)[0] or {}
        url = existing.get("token_url") or ""
        if existing and existing.get("kind") == "oauth2" and not url.startswith("http://127.0.0.1"):
            raise RuntimeError(
                f"{store.describe(source)} holds a real {source} connection: land the simulated "
                "company under another LEDGERLAKE_HOME"
            )
    opener = urllib.request.build_opener()  # follows the 302 to the callback, like a browser

    prompt = Prompt(
        out=lambda line: None,
        browser=lambda url: opener.open(url, timeout=10).read(),
        ask_secret=lambda _: providers.credentials["STRIPE_API_KEY"],
        timeout=30,
    )
    from .sourceapi.oauth import simulated_items

    done = {}
    for source in SOURCES:
        done[source] = connect(source, prompt, store=store, sandbox_institution="ins_109508", replace=True)
    for _ in simulated_items(providers.api)[1:]:  # Plaid: one access token per item
        done["plaid"] = connect("plaid", prompt, store=store, sandbox_institution="ins_109508", replace=False)
    return done


def land_simulation(
    sim_dir: Path | str,
    lake: Lake,
    *,
    until: datetime | None = None,
    after: datetime | None = None,
    webhooks: bool = True,
    polls: bool = True,
    workers: int = 4,
    duplicates: bool = False,
    backfill: bool = False,
    providers=None,
    connect: bool = False,
    token_ttl: float | None = None,
    progress: bool = False,
) -> LandingReport:
    """Land `sim_dir` into `lake` through receiver + hydrator + pollers; see the module doc.

    `after`: deliver only webhooks sent after this moment (the next stretch after a
    landing `until` it); pollers continue from their cursors either way.
    `duplicates`: each webhook 1-3 times, shuffled (providers deliver at least once, in any
    order). `backfill`: pollers start from the simulation's first day instead of their saved
    cursors (the same records again, in pages of their own).
    `providers`: a running `sourceapi.LocalProviders` to reuse (its clock is set to
    `until`); by default one is started over `sim_dir` and stopped afterwards.
    `connect`: connect every source first, through each provider's OAuth / token flow
    against the local server (`connect_simulation`), and poll and hydrate with those
    connections only: the server refuses the static demo tokens and its access tokens
    live `token_ttl` seconds, so they expire and are refreshed under the run.
    `progress`: report deliveries, hydrations and polls as they go (a redrawn line on a
    terminal, a line every few seconds in a log: `ledgerlake.progress.Progress`).
    """
    from contextlib import nullcontext

    from .handlers import hydrator, receiver
    from .polling.runner import SOURCES, poll_all
    from .progress import Progress
    from .sourceapi import serve_in_thread
    from .sourceapi.providers.ecb import SIM_FEED
    from .webhooks.replay import deliver_directory

    sim_dir = Path(sim_dir)
    report = LandingReport()
    started = time.monotonic()
    manifest = json.loads((sim_dir / "manifest.json").read_text())
    ecb_feed = sim_dir.joinpath(*SIM_FEED).exists()  # FX rates polled from the simulated ECB feed
    if until is None:
        until = datetime.fromisoformat(manifest["end"]).replace(hour=23, minute=59, second=59, tzinfo=UTC)
    quiet = logging.getLogger("ledgerlake-hydrator")
    level = quiet.level
    own_server = providers is None
    if own_server:
        providers = serve_in_thread(
            sim_dir,
            clock=until.timestamp(),
            credentials=simulation_credentials(manifest),
            token_ttl=token_ttl,
            oauth_only=connect,
        )
    else:
        providers.set_clock(until.timestamp())
    try:
        env = {f"{s.upper()}_API_BASE_URL": url for s, url in providers.base_urls.items()}
        credentials = providers.credentials
        if connect:
            from .connections import FIELDS

            # Only the apps' client credentials: every token comes from the connections.
            credentials = {k: v for k, v in credentials.items() if k not in FIELDS or k in APP_IDS}
        env.update(credentials)
        env["POWERTOOLS_METRICS_DISABLED"] = "true"  # no EMF lines per hydration
        quiet.setLevel(logging.WARNING)
        with _Env(env), tempfile.TemporaryDirectory(prefix="ledgerlake-deliveries-") as scratch:
            if connect:
                connect_simulation(providers)
            if webhooks:
                queue = HydrationBatch()
                receiver.configure(lake=lake, queue=queue)
                hydrator.configure(lake=lake)
                everything = after is None and until.timestamp() >= _parse(manifest["end"] + "T23:59:59Z").timestamp()
                source_dir = sim_dir if everything else _deliveries_until(sim_dir, until, Path(scratch), after)
                t0 = time.monotonic()
                with Progress("webhook deliveries", every_seconds=15) if progress else nullcontext() as bar:
                    sent = deliver_directory(
                        source_dir, receiver.handler, duplicates=duplicates, workers=workers, progress=bar
                    )
                report.webhook_seconds = time.monotonic() - t0
                report.deliveries, report.landed_webhook_events = sent.sent, sent.landed
                report.failures += sent.failures
                t0 = time.monotonic()
                with Progress("hydrations", every_seconds=15) if progress else nullcontext() as bar:
                    report.hydrated, report.hydrate_failed, failed = queue.run(workers=workers, progress=bar)
                report.hydrate_seconds = time.monotonic() - t0
                report.failures += [f"hydration failed: {f}" for f in failed]
            if polls:
                t0 = time.monotonic()
                since = None
                if backfill:
                    since = datetime.fromisoformat(manifest["start"]).replace(tzinfo=UTC) - timedelta(days=1)
                with Progress("sources polled", every_seconds=15) if progress else nullcontext() as bar:
                    results = poll_all(
                        base_urls=providers.base_urls,
                        credentials=credentials,
                        lake=lake,
                        since=since,
                        sources=[s for s in SOURCES if s != "ecb" or ecb_feed],
                        progress=(lambda _r: bar.advance()) if bar else None,
                    )
                report.poll_seconds = time.monotonic() - t0
                report.polled_pages = sum(r.pages_landed for r in results.values())
                report.failures += [r.summary() for r in results.values() if not r.complete]
        if ecb_feed and not polls:  # FX rates are reference data every landing needs
            fx = poll_all(base_urls=providers.base_urls, lake=lake, sources=["ecb"])["ecb"]
            report.failures += [] if fx.complete else [fx.summary()]
        if not ecb_feed:  # a simulation from before the ECB feed: its rates file, uploaded as the override
            rates = sim_dir / "reference" / "fx_rates.csv"
            lake.s3.put_object(Bucket=lake.bucket, Key="reference/fx_rates/fx_rates.csv", Body=rates.read_bytes())
    finally:
        quiet.setLevel(level)
        if own_server:
            providers.stop()
    report.seconds = time.monotonic() - started
    return report

"""The pollers' HTTP client: urllib3 (light enough for a Lambda import), with the retry
rules every provider needs, in one place.

* 429: wait what `Retry-After` says (seconds or an HTTP date), else back off.
* 5xx, timeouts, dropped connections: exponential backoff with full jitter
  (sleep uniform(0, min(cap, base * 2**attempt))), so many pollers do not retry in step.
* Every wait is checked against the run's time budget: if the wait would overrun it,
  `BudgetExhausted` is raised and the run loop stops cleanly (the cursor already covers
  every landed page, so the next run resumes where this one stopped).
* 401 with an `auth` (a `connections.Auth`): refresh the access token once (another
  refresher may already have) and retry with the new one; a provider that rejects the new
  token too gets its 401 returned.
* Other 4xx answers are returned, not raised: they are the provider's business answers
  (Plaid's mutation error, HubSpot's 10,000-result cap) and the poller decides.
"""

from __future__ import annotations

import email.utils
import json
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import urllib3

log = logging.getLogger(__name__)


class BudgetExhausted(Exception):
    """The run's time budget is spent: stop cleanly, resume next run."""


class HttpError(Exception):
    def __init__(self, response: Response, message: str = ""):
        self.response = response
        super().__init__(message or f"HTTP {response.status} from {response.url}: {response.body[:300]!r}")


class Budget:
    """A per-run deadline (Lambda: the remaining invocation time minus a safety margin)."""

    def __init__(self, seconds: float | None, clock: Callable[[], float] = time.monotonic):
        self._clock = clock
        self.deadline = None if seconds is None else clock() + seconds

    def remaining(self) -> float:
        return float("inf") if self.deadline is None else self.deadline - self._clock()

    def expired(self) -> bool:
        return self.remaining() <= 0


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes
    url: str

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def expect_ok(self) -> Response:
        if not self.ok:
            raise HttpError(self)
        return self


@dataclass
class RetryPolicy:
    max_attempts: int = 8  # per request, all retryable causes together
    base_delay: float = 0.5
    max_delay: float = 30.0
    connect_timeout: float = 5.0
    read_timeout: float = 30.0


@dataclass
class Stats:
    requests: int = 0
    retries_429: int = 0
    retries_5xx: int = 0
    retries_timeout: int = 0
    slept: float = 0.0
    reauth: int = 0  # 401s answered by refreshing the access token
    by_status: dict[int, int] = field(default_factory=dict)


def retry_after_seconds(value: str | None) -> float | None:
    """`Retry-After` as seconds: delta-seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class HttpClient:
    def __init__(
        self,
        budget: Budget | None = None,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        pool: urllib3.PoolManager | None = None,
    ):
        self.budget = budget or Budget(None)
        self.policy = policy or RetryPolicy()
        self._sleep = sleep
        self.rng = rng or random.Random()
        self.pool = pool or urllib3.PoolManager(num_pools=8, maxsize=4, retries=False)
        self.stats = Stats()

    def wait(self, seconds: float, why: str) -> None:
        """Sleep, unless that would overrun the budget (then stop the run cleanly)."""
        if seconds > self.budget.remaining():
            raise BudgetExhausted(f"waiting {seconds:.1f}s ({why}) would overrun the run's time budget")
        log.debug("waiting %.2fs: %s", seconds, why)
        self.stats.slept += seconds
        if seconds > 0:
            self._sleep(seconds)

    def backoff(self, attempt: int) -> float:
        cap = min(self.policy.max_delay, self.policy.base_delay * (2**attempt))
        return self.rng.uniform(0, cap)

    def request(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, Any] | list[tuple[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        json_body: Any = None,
        body: bytes | None = None,
        auth: Any = None,
    ) -> Response:
        if params:
            url = url + ("&" if "?" in url else "?") + urlencode(params)
        headers = dict(headers or {})
        if json_body is not None:
            body = json.dumps(json_body).encode()
            headers.setdefault("Content-Type", "application/json")
        timeout = urllib3.Timeout(connect=self.policy.connect_timeout, read=self.policy.read_timeout)
        attempt = 0
        renewed = False
        while True:
            if self.budget.expired():
                raise BudgetExhausted("run time budget spent")
            if auth is not None:
                headers.update(auth.headers())  # a fresh token (refreshed ahead of expiry)
            self.stats.requests += 1
            try:
                raw = self.pool.request(
                    method, url, body=body, headers=headers, timeout=timeout, redirect=False, retries=False
                )
            except (
                urllib3.exceptions.TimeoutError,
                urllib3.exceptions.ProtocolError,
                urllib3.exceptions.NewConnectionError,
            ) as err:
                attempt += 1
                self.stats.retries_timeout += 1
                if attempt >= self.policy.max_attempts:
                    raise
                self.wait(self.backoff(attempt), f"{type(err).__name__} on {method} {url}")
                continue
            response = Response(raw.status, {k.lower(): v for k, v in raw.headers.items()}, raw.data, url)
            self.stats.by_status[raw.status] = self.stats.by_status.get(raw.status, 0) + 1
            if raw.status == 401 and auth is not None and not renewed:
                renewed = True
                if auth.renew(headers):
                    self.stats.reauth += 1
                    continue
            if raw.status == 429 or raw.status >= 500:
                attempt += 1
                if attempt >= self.policy.max_attempts:
                    return response
                if raw.status == 429:
                    self.stats.retries_429 += 1
                    delay = retry_after_seconds(response.headers.get("retry-after"))
                    if delay is None:
                        delay = self.backoff(attempt)
                else:
                    self.stats.retries_5xx += 1
                    delay = self.backoff(attempt)
                self.wait(delay, f"HTTP {raw.status} on {method} {url}")
                continue
            return response

"""The small HTTP client webhooks need (Plaid's key fetch, the hydrators): urllib3.

No retries here on purpose: a hydration job that fails raises, and SQS redelivers it
(then parks it in the dead-letter queue), so retry policy lives in one place, the queue.
"""

from __future__ import annotations

import json
import os
from typing import Any

import urllib3


class FetchError(Exception):
    """A provider API call that did not return 2xx (`status`), or did not answer (None)."""

    def __init__(self, message: str, status: int | None = None, body: bytes = b""):
        super().__init__(message)
        self.status = status
        self.body = body  # the provider's error body, for callers that must tell errors apart


_POOL: urllib3.PoolManager | None = None


def pool() -> urllib3.PoolManager:
    global _POOL
    if _POOL is None:
        _POOL = urllib3.PoolManager(
            num_pools=8,
            maxsize=8,
            retries=False,
            timeout=urllib3.Timeout(connect=3.0, read=float(os.environ.get("LEDGERLAKE_HYDRATE_TIMEOUT", "10"))),
        )
    return _POOL


def request_json(
    method: str, url: str, *, headers: dict[str, str] | None = None, body: Any = None, auth: Any = None
) -> tuple[bytes, Any]:
    """(raw response bytes, parsed JSON). Raises FetchError on transport errors and non-2xx.
    `auth` (a `connections.Auth`) adds a fresh token; on a 401 it is refreshed and the
    request retried once (an access token can expire between two jobs)."""
    sent = {"Accept": "application/json", **(headers or {})}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        sent["Content-Type"] = "application/json"
    for attempt in (1, 2):
        if auth is not None:
            sent.update(auth.headers())
        try:
            response = pool().request(method, url, body=data, headers=sent)
        except urllib3.exceptions.HTTPError as err:
            raise FetchError(f"{method} {url}: {type(err).__name__}") from err
        if response.status == 401 and auth is not None and attempt == 1 and auth.renew(sent):
            continue
        break
    if not 200 <= response.status < 300:
        raise FetchError(f"{method} {url}: HTTP {response.status}", status=response.status, body=response.data)
    try:
        return response.data, json.loads(response.data)
    except ValueError as err:
        raise FetchError(f"{method} {url}: response is not JSON") from err


def base_url(source: str, default: str) -> str:
    """`<SOURCE>_API_BASE_URL` (e.g. a local server speaking that API), else the provider's."""
    return os.environ.get(f"{source.upper()}_API_BASE_URL", default).rstrip("/")

"""What every provider's write module shares: the context a write runs in and what a
write's answer means for the action that asked for it.

A write module (`sources/<provider>/write.py`) speaks its provider's write API; it gets a
`WriteContext` (the HTTP client with the pollers' retry rules, the provider's base URL and
credentials from `ledgerlake.connections`) and returns an `Outcome`. Every request and
answer is kept on the outcome (`exchanges`, credentials never included) for the audit
trail in the lake.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import urllib3

from ..polling.http import BudgetExhausted, HttpClient, Response

SECRET_HEADERS = {"authorization", "xero-tenant-id", "cookie"}


@dataclass
class WriteContext:
    source: str
    base_url: str
    http: HttpClient
    credentials: dict[str, str] = field(default_factory=dict)

    def secret(self, name: str) -> str:
        from ..connections import credential

        return credential(name, self.credentials)

    def auth(self, name: str):
        from ..connections import auth

        return auth(name, self.credentials)


@dataclass
class Exchange:
    """One request and its answer, as kept in the audit trail."""

    method: str
    path: str
    request: Any
    status: int
    response: Any
    headers: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {
            "method": self.method,
            "path": self.path,
            "request": self.request,
            "status": self.status,
            "response": self.response,
            "headers": self.headers,
        }


@dataclass
class Outcome:
    """`applied`: the provider accepted the write (`result` holds its ids). Otherwise
    `reason` says why not, in the provider's words, and the action stays pending."""

    applied: bool
    result: dict[str, Any] = field(default_factory=dict)
    reason: str = ""
    status: int | None = None
    exchanges: list[Exchange] = field(default_factory=list)


class Refused(Exception):
    """A provider answered a write with an error (its reason in its own words)."""

    def __init__(self, status: int, reason: str):
        self.status, self.reason = status, reason
        super().__init__(f"HTTP {status}: {reason}")


def _decode(body: bytes) -> Any:
    try:
        return json.loads(body) if body else None
    except ValueError:
        return body[:2000].decode("utf-8", "replace")


def call(
    ctx: WriteContext,
    exchanges: list[Exchange],
    method: str,
    path: str,
    *,
    credential: str,
    params: dict | None = None,
    body: Any = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """One request with the pollers' retry rules (429 Retry-After, 5xx backoff, a 401
    refreshes the connection's token once); the exchange is recorded, secrets left out."""
    payload = None if body is None else json.dumps(body, default=_json_default).encode()
    sent_headers = {"Accept": "application/json", **(headers or {})}
    if payload is not None:
        sent_headers["Content-Type"] = "application/json"
    response = ctx.http.request(
        method, ctx.base_url + path, params=params, headers=sent_headers, body=payload, auth=ctx.auth(credential)
    )
    shown = path + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")
    exchanges.append(
        Exchange(
            method,
            shown,
            body,
            response.status,
            _decode(response.body),
            {k: v for k, v in sent_headers.items() if k.lower() not in SECRET_HEADERS},
        )
    )
    return response


def _json_default(value):
    from decimal import Decimal

    if isinstance(value, Decimal):  # money goes out as the JSON number with the same digits
        return float(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def refusal_reason(response: Response, provider_reason: str) -> str:
    if response.status == 401:
        return f"401 unauthorised: {provider_reason} (reconnect with `ledgerlake connect`)"
    if response.status == 429:
        return f"429 rate limited: {provider_reason} (retried on the next run)"
    if response.status >= 500:
        return f"{response.status} provider unavailable: {provider_reason} (retried on the next run)"
    return f"{response.status} refused: {provider_reason}"


def run_write(fn, *args) -> Outcome:
    """Run a write function that returns an Outcome, turning a refusal or a spent time
    budget into a not-applied outcome (the action stays pending with the reason)."""
    exchanges: list[Exchange] = []
    try:
        return fn(exchanges, *args)
    except Refused as err:
        return Outcome(False, reason=err.reason, status=err.status, exchanges=exchanges)
    except BudgetExhausted as err:
        return Outcome(False, reason=f"not attempted: {err}", exchanges=exchanges)
    except (OSError, urllib3.exceptions.HTTPError) as err:  # timeouts / resets after the client's retries
        return Outcome(False, reason=f"network error: {type(err).__name__}: {err}", exchanges=exchanges)

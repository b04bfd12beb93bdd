"""What every provider module shares: the request as received, refusals, landings, jobs.

A provider module (`ledgerlake.sources.<name>.webhook`) exposes:

* `SOURCE`, `THIN` (True when its deliveries are "something changed" pings),
* `verify(request) -> None`: checks the signature on the raw bytes, raises `Refused`,
* `landings(request, document) -> list[Landing]`: one per event in the (parsed) body,
  each with the identity and date its raw key is derived from and, for thin pings,
  the hydration jobs to enqueue,
* `sign(body, *, url, method="POST", now=None) -> dict`: the signature headers the
  provider would send (for `ledgerlake replay`, the in-process delivery and the tests).

Verification always runs on the exact bytes received, before any parsing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any

MAX_BODY_BYTES = 1024 * 1024  # 1 MiB: far above any provider's real delivery


class Refused(Exception):
    """A delivery that must not land: 401 (signature) unless another status is given.

    `reason` is logged; it never holds the secret or the body.
    """

    def __init__(self, reason: str, status: int = 401):
        super().__init__(reason)
        self.reason = reason
        self.status = status


@dataclass(frozen=True)
class Request:
    """One HTTP delivery as the receiver saw it."""

    method: str
    url: str  # full URI as the sender addressed it (HubSpot signs it)
    headers: dict[str, str]  # lower-cased names
    body: bytes
    now: float = field(default_factory=time.time)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass(frozen=True)
class Landing:
    """One event of a delivery, ready for `Lake.land(arrival="webhook")`."""

    entity: str
    identity: str
    event_time: datetime | date
    payload: bytes
    event_id: str | None = None
    api_version: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    jobs: tuple[dict[str, Any], ...] = ()  # hydration jobs (thin pings only)


# -- signature helpers ------------------------------------------------------------------


def hmac_sha256(secret: str | bytes, message: bytes) -> bytes:
    key = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(key, message, hashlib.sha256).digest()


def hmac_sha256_b64(secret: str | bytes, message: bytes) -> str:
    return base64.b64encode(hmac_sha256(secret, message)).decode()


def same(expected: str, given: str) -> bool:
    """Constant-time comparison of two signature strings."""
    return hmac.compare_digest(expected.encode(), given.encode())


def require_header(request: Request, name: str) -> str:
    value = request.header(name)
    if not value:
        raise Refused(f"missing {name} header")
    return value.strip()


def check_b64_hmac(request: Request, header: str, secret: str) -> None:
    """The scheme Shopify, QBO and Xero share: base64 HMAC-SHA256 of the raw body."""
    given = require_header(request, header)
    if not same(hmac_sha256_b64(secret, request.body), given):
        raise Refused(f"{header} does not match the body")


def check_fresh(timestamp: float, now: float, tolerance: float, what: str = "timestamp") -> None:
    """Refuse replays: the signed timestamp must be within `tolerance` seconds of now."""
    if abs(now - timestamp) > tolerance:
        raise Refused(f"stale {what}: {int(now - timestamp)} s from now, tolerance {int(tolerance)} s")


# -- time parsing -----------------------------------------------------------------------

_FRACTION = re.compile(r"(\.\d{6})\d+")
_MS_DATE = re.compile(r"/Date\((-?\d+)([+-]\d{4})?\)/")


def parse_time(value: Any) -> datetime | None:
    """A provider timestamp as an aware UTC datetime (None when absent or unreadable).

    Handles ISO 8601 with `Z`, `+hh:mm` or `-hhmm` offsets and nanoseconds (QBO
    CloudEvents), offset-less UTC (Xero's `eventDateUtc`), Microsoft JSON dates
    (`/Date(1518685950940+0000)/`, Xero's API), epoch seconds and epoch milliseconds.
    """
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)):
        seconds = value / 1000 if value > 10**11 else value
        return datetime.fromtimestamp(seconds, tz=timezone.utc)
    text = str(value).strip()
    match = _MS_DATE.fullmatch(text)
    if match:
        return datetime.fromtimestamp(int(match.group(1)) / 1000, tz=timezone.utc)
    if text.isdigit():
        return parse_time(int(text))
    text = _FRACTION.sub(r"\1", text.replace("Z", "+00:00"))
    if re.search(r"[+-]\d{4}$", text):
        text = text[:-2] + ":" + text[-2:]
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def event_time(*candidates: Any, fallback: float | None = None) -> datetime:
    """The first readable timestamp among the candidates, else `fallback` (epoch seconds)."""
    for candidate in candidates:
        moment = parse_time(candidate)
        if moment is not None:
            return moment
    return datetime.fromtimestamp(fallback if fallback is not None else time.time(), tz=timezone.utc)


def compact(document: Any) -> bytes:
    """One event of a batch, serialised for its own raw object (key order kept)."""
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()

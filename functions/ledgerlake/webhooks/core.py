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
import math
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

MAX_BODY_BYTES = 1024 * 1024  # 1 MiB: far above any provider's real delivery
# Real deliveries nest a handful of levels (a Shopify order: ~6). 32 leaves room for any
# provider's growth and keeps every later step (json.dumps, DuckDB's JSON functions) far
# from Python's recursion limit, which a nesting bomb would otherwise hit.
MAX_JSON_DEPTH = 32
# Event dates must fall in [1970, 2100): the raw key's date partition is derived from
# them, and anything outside is a broken or hostile stamp, not a business date.
_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
_LATEST = datetime(2100, 1, 1, tzinfo=UTC)


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


def require_header(request: Request, name: str, *aliases: str) -> str:
    """The first of `name`, `aliases` present (a provider's older or newer spellings)."""
    for candidate in (name, *aliases):
        value = request.header(candidate)
        if value:
            return value.strip()
    raise Refused(f"missing {name} header")


# -- parsing what a caller sent -----------------------------------------------------------


def json_depth_exceeds(document: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """True when `document` nests deeper than `limit` (iterative: no recursion to blow)."""
    stack = [(document, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def load_json(data: bytes | str, what: str = "body", limit: int = MAX_JSON_DEPTH) -> Any:
    """Parse JSON a caller sent, or raise `Refused` (status 400) saying why.

    Whatever the bytes, the only exception is `Refused`: malformed text, invalid UTF-8,
    a nesting bomb (which makes the C parser raise RecursionError) and anything nested
    deeper than `limit` are all refusals, never a crash.
    """
    try:
        document = json.loads(data)
    except RecursionError:
        raise Refused(f"{what} nests deeper than {limit} levels", status=400) from None
    except ValueError as err:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise Refused(f"{what} is not JSON ({err.__class__.__name__})", status=400) from None
    if json_depth_exceeds(document, limit):
        raise Refused(f"{what} nests deeper than {limit} levels", status=400)
    return document


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


def _out_of_range(value: Any) -> Refused:
    # The reason names the kind of value, never the value: it is logged, and it is body.
    return Refused(f"a {type(value).__name__} timestamp is outside 1970-2099", status=400)


def _in_range(moment: datetime, value: Any) -> datetime:
    if not _EARLIEST <= moment < _LATEST:
        raise _out_of_range(value)
    return moment


def _from_epoch(seconds: float, value: Any) -> datetime:
    try:
        return _in_range(datetime.fromtimestamp(seconds, tz=UTC), value)
    except (OverflowError, OSError, ValueError):  # beyond what the platform's time_t holds
        raise _out_of_range(value) from None


def parse_time(value: Any) -> datetime | None:
    """A provider timestamp as an aware UTC datetime (None when absent or unreadable).

    A readable stamp outside 1970-2099 (an epoch of 10**20, `/Date(-10**15)/`) raises
    `Refused` with status 400: it is a broken delivery, not an unknown date.

    Handles ISO 8601 with `Z`, `+hh:mm` or `-hhmm` offsets and nanoseconds (QBO
    CloudEvents), offset-less UTC (Xero's `eventDateUtc`), Microsoft JSON dates
    (`/Date(1518685950940+0000)/`, Xero's API), epoch seconds and epoch milliseconds.
    """
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        if not math.isfinite(value):  # json.loads reads NaN and Infinity
            return None
        seconds = value / 1000 if abs(value) > 10**11 else value
        return _from_epoch(seconds, value)
    text = str(value).strip()[:64]  # no real stamp is longer; bounds the regex work
    match = _MS_DATE.fullmatch(text)
    if match:
        return _from_epoch(int(match.group(1)) / 1000, value)
    if text.isdigit() and text.isascii():
        return parse_time(int(text))
    text = _FRACTION.sub(r"\1", text.replace("Z", "+00:00"))
    if re.search(r"[+-]\d{4}$", text):
        text = text[:-2] + ":" + text[-2:]
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:59:59-23:59 and the like
        raise _out_of_range(value) from None
    return _in_range(moment, value)


def first_time(*candidates: Any) -> datetime | None:
    """The first readable timestamp among the candidates (None: none is readable)."""
    for candidate in candidates:
        moment = parse_time(candidate)
        if moment is not None:
            return moment
    return None


def event_time(*candidates: Any, fallback: float | None = None) -> datetime:
    """The first readable timestamp among the candidates, else `fallback` (epoch seconds)."""
    moment = first_time(*candidates)
    if moment is not None:
        return moment
    return datetime.fromtimestamp(fallback if fallback is not None else time.time(), tz=UTC)


def compact(document: Any) -> bytes:
    """One event of a batch, serialised for its own raw object (key order kept)."""
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()

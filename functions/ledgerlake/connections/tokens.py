"""Token endpoint calls and refresh that survives rotating refresh tokens.

QuickBooks and Xero hand out a new refresh token on every refresh and the old one dies;
a second refresher using the old one gets `invalid_grant` and the connection is lost.
So a refresh is taken under a *lease* written into the connection record with the
store's compare-and-swap: the refresher whose write lands holds the lease and calls the
provider; the others see the lease, wait, and re-read until the new access token is
there. A lease expires (LEASE_SECONDS) so a crashed holder does not block forever.

`invalid_grant` (revoked, expired, reused) marks the connection `needs_reconnect`, emits
the `ConnectionNeedsReconnect` metric (an alarm in template.yaml) and raises
`NeedsReconnect`; pollers stop before saving any cursor past what landed, so after
`ledgerlake connect` again they resume from their cursors.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import random
import threading
import time
import uuid
from typing import Any
from urllib.parse import urlencode

from .records import REFRESHING, endpoints
from .store import Conflict

log = logging.getLogger(__name__)
LEASE_SECONDS = 30.0
WAIT_SECONDS = 45.0  # how long a refresher waits for another one's lease


def refresh_ahead() -> float:
    """Refresh an access token this long before it expires (default 5 minutes)."""
    return float(os.environ.get("LEDGERLAKE_REFRESH_AHEAD_SECONDS", "300"))


class TokenError(Exception):
    """The token endpoint refused or failed (not `invalid_grant`): retry later."""


class InvalidGrant(TokenError):
    """The grant (code or refresh token) is revoked, expired or already used."""


class NeedsReconnect(Exception):
    def __init__(self, source: str, reason: str = ""):
        self.source = source
        super().__init__(
            f"{source} connection needs reconnecting ({reason or 'refresh token refused'}): "
            f"run `ledgerlake connect {source}`; polling resumes from its cursors afterwards"
        )


def _http():
    from ..polling.http import HttpClient, RetryPolicy

    return HttpClient(policy=RetryPolicy(max_attempts=4, base_delay=0.2, max_delay=2.0))


def token_request(
    source: str, token_url: str, form: dict[str, str], client_id: str, client_secret: str | None, client_auth: str
) -> dict[str, Any]:
    """POST the form to the token endpoint with the provider's client authentication."""
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
    form = dict(form)
    if client_auth == "basic" and client_secret:
        pair = f"{client_id}:{client_secret}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
    else:
        form["client_id"] = client_id
        if client_secret:
            form["client_secret"] = client_secret
    response = _http().request("POST", token_url, headers=headers, body=urlencode(form).encode())
    try:
        answer = response.json()
    except ValueError:
        answer = {}
    if response.ok and isinstance(answer, dict) and answer.get("access_token"):
        return answer
    error = answer.get("error") if isinstance(answer, dict) else None
    # HubSpot answers a dead refresh token with status BAD_REFRESH_TOKEN and no `error`.
    if error == "invalid_grant" or (isinstance(answer, dict) and answer.get("status") == "BAD_REFRESH_TOKEN"):
        raise InvalidGrant(f"{source} token endpoint: invalid_grant")
    # Never echo the body: a misbehaving endpoint could reflect the secret back.
    raise TokenError(f"{source} token endpoint answered HTTP {response.status} ({error or 'no error code'})")


def apply_tokens(record: dict, answer: dict, now: float | None = None) -> dict:
    """A record updated from a token endpoint answer (`expires_in`, Intuit's
    `x_refresh_token_expires_in`); a refresh without a new refresh token keeps the old."""
    now = time.time() if now is None else now
    out = dict(record, access_token=answer["access_token"], status="connected", error=None)
    if answer.get("refresh_token"):
        out["refresh_token"] = answer["refresh_token"]
    if answer.get("expires_in") is not None:
        out["expires_at"] = now + float(answer["expires_in"])
    if answer.get("x_refresh_token_expires_in") is not None:
        out["refresh_expires_at"] = now + float(answer["x_refresh_token_expires_in"])
    if answer.get("scope"):
        out["scope"] = answer["scope"]
    return out


def _needs_refresh(record: dict, margin: float, cap: bool = True) -> bool:
    """Within `margin` of expiry; with `cap`, the margin is at most a fifth of the token's
    lifetime (a 2-minute demo token is not refreshed on every request). The scheduled
    refresher passes its own margin, uncapped."""
    if record.get("source") not in REFRESHING or record.get("kind") != "oauth2":
        return False
    expires = float(record.get("expires_at") or 0)
    issued = float(record.get("refreshed_at") or record.get("connected_at") or 0)
    if cap and issued and expires > issued:
        margin = min(margin, 0.2 * (expires - issued))
    return expires - time.time() < margin


_ME = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"


def digest(token: str | None) -> str | None:
    """A token's fingerprint: what crosses a process boundary instead of the token."""
    import hashlib

    return None if token is None else hashlib.sha256(token.encode()).hexdigest()[:32]


def refresh(
    store, source: str, *, rejected: str | None = None, force: bool = False, margin: float | None = None
) -> dict:
    """A record whose access token is fresh. `rejected`: the access token a provider just
    answered 401 to (refresh unless someone already replaced it). Raises NeedsReconnect.

    On AWS (`LEDGERLAKE_REFRESHER_FUNCTION` set) the refresher function does it: it is
    the only one allowed to write the secret; this process then re-reads."""
    function = os.environ.get("LEDGERLAKE_REFRESHER_FUNCTION")
    if not function:
        return refresh_here(store, source, rejected_digest=digest(rejected), force=force, margin=margin)
    import boto3

    payload = {"source": source, "rejected": digest(rejected), "force": force}
    answer = boto3.client("lambda").invoke(FunctionName=function, Payload=json.dumps(payload).encode())
    outcome = json.loads(answer["Payload"].read() or b"{}")
    if answer.get("FunctionError"):
        raise TokenError(f"{source}: the refresher failed ({outcome.get('errorType', 'error')})")
    record = store.read(source)[0]
    if outcome.get(source) == "needs_reconnect" or (record or {}).get("status") == "needs_reconnect":
        raise NeedsReconnect(source, (record or {}).get("error") or "")
    if record is None:
        raise NeedsReconnect(source, "not connected")
    return record


def refresh_here(
    store, source: str, *, rejected_digest: str | None = None, force: bool = False, margin: float | None = None
) -> dict:
    """`refresh` in this process, under the lease (see the module doc)."""
    cap = margin is None
    margin = refresh_ahead() if margin is None else margin
    owner = f"{_ME}-{threading.get_ident()}"
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        record, version = store.read(source)
        if record is None:
            raise NeedsReconnect(source, "not connected")
        if record.get("status") == "needs_reconnect":
            raise NeedsReconnect(source, record.get("error") or "")
        if rejected_digest is not None:
            if digest(record.get("access_token")) != rejected_digest:
                return record  # another refresher already replaced the rejected token
        elif not force and not _needs_refresh(record, margin, cap):
            return record
        lease = record.get("lease") or {}
        if lease and float(lease.get("until", 0)) > time.time() and lease.get("owner") != owner:
            if time.monotonic() > deadline:
                raise TokenError(f"{source}: another refresher has held the lease for over {WAIT_SECONDS:.0f}s")
            time.sleep(random.uniform(0.05, 0.25))
            continue
        leased = dict(record, lease={"owner": owner, "until": time.time() + LEASE_SECONDS})
        try:
            version = store.write(source, leased, version)
        except Conflict:
            continue  # lost the race for the lease: re-read
        break
    return _refresh_holding_lease(store, source, leased, version)


def _refresh_holding_lease(store, source: str, record: dict, version: str) -> dict:
    ends = endpoints(source)
    form = {"grant_type": "refresh_token", "refresh_token": record.get("refresh_token") or ""}
    try:
        answer = token_request(
            source,
            record.get("token_url") or ends.token,
            form,
            record["client_id"],
            record.get("client_secret"),
            record.get("client_auth") or ends.client_auth,
        )
    except InvalidGrant:
        failed = dict(
            record,
            status="needs_reconnect",
            lease=None,
            error="refresh token refused (invalid_grant: revoked, expired or already used)",
            failed_at=time.time(),
        )
        _write_as_holder(store, source, failed, version)
        alarm(source)
        raise NeedsReconnect(source, "invalid_grant") from None
    except Exception:
        _write_as_holder(store, source, dict(record, lease=None), version)  # let the next one try
        raise
    fresh = apply_tokens(record, answer)
    fresh.update(lease=None, refreshed_at=time.time(), refresh_count=int(record.get("refresh_count") or 0) + 1)
    _write_as_holder(store, source, fresh, version)
    log.info("%s: access token refreshed, valid for %.0fs", source, fresh.get("expires_at", 0) - time.time())
    return fresh


def _write_as_holder(store, source: str, record: dict, version: str) -> None:
    try:
        store.write(source, record, version)
    except Conflict:
        # Only a writer that took an expired lease can get here: the record it holds is
        # newer than ours only if it refreshed too. Keep ours only if nothing newer landed.
        current, now_version = store.read(source)
        if current and float(current.get("refreshed_at") or 0) < float(record.get("refreshed_at") or 0):
            store.write(source, record, now_version)


def alarm(source: str) -> None:
    """The `ConnectionNeedsReconnect` metric as a CloudWatch embedded-metric log line
    (template.yaml alarms on it) plus a clear error line; no secret in either."""
    print(
        json.dumps(
            {
                "_aws": {
                    "Timestamp": int(time.time() * 1000),
                    "CloudWatchMetrics": [
                        {
                            "Namespace": "ledgerlake",
                            "Dimensions": [["source"], []],
                            "Metrics": [{"Name": "ConnectionNeedsReconnect", "Unit": "Count"}],
                        }
                    ],
                },
                "source": source,
                "ConnectionNeedsReconnect": 1,
            }
        )
    )
    log.error(
        "%s connection needs reconnecting: its refresh token was refused; run `ledgerlake connect %s`", source, source
    )

"""Connections: provider credentials obtained with `ledgerlake connect`, kept fresh.

Pollers and hydrators ask for a credential by its configuration name
(`QBO_ACCESS_TOKEN`, `XERO_TENANT_ID`, ...). The answer comes from, in order:

1. an explicit credentials mapping (tests, the local server's static demo tokens);
2. the connection store (`store.store_from_env()`: a 0600 file locally, Secrets Manager
   on AWS), refreshing an OAuth access token ahead of its expiry;
3. configuration (`config.secret`: the environment, SSM, a secret ARN) — pasted tokens.

`Auth` builds the request's auth header and, on a 401, refreshes (once) and retries
with the new token (`polling.http.HttpClient` and `webhooks.http.request_json` call it).
"""

from __future__ import annotations

import threading
import time

from .records import REFRESHING, SOURCES, account_of, public_view
from .store import Conflict, FileStore, SecretsManagerStore, store_from_env
from .tokens import InvalidGrant, NeedsReconnect, TokenError, refresh

__all__ = [
    "SOURCES",
    "Auth",
    "Conflict",
    "FileStore",
    "InvalidGrant",
    "NeedsReconnect",
    "SecretsManagerStore",
    "TokenError",
    "account_of",
    "auth",
    "credential",
    "lookup",
    "public_view",
    "refresh",
    "store_from_env",
]

# configuration name -> (source, record field)
FIELDS = {
    "STRIPE_API_KEY": ("stripe", "access_token"),
    "SHOPIFY_ACCESS_TOKEN": ("shopify", "access_token"),
    "SHOPIFY_SHOP": ("shopify", "shop"),
    "HUBSPOT_ACCESS_TOKEN": ("hubspot", "access_token"),
    "QBO_ACCESS_TOKEN": ("qbo", "access_token"),
    "QBO_REALM_ID": ("qbo", "realm_id"),
    "XERO_ACCESS_TOKEN": ("xero", "access_token"),
    "XERO_TENANT_ID": ("xero", "tenant_id"),
    "PLAID_CLIENT_ID": ("plaid", "client_id"),
    "PLAID_SECRET": ("plaid", "client_secret"),
    "PLAID_ACCESS_TOKENS": ("plaid", "items"),  # the poller's comma-separated list
    "PLAID_ACCESS_TOKEN": ("plaid", "items"),  # the hydrator's {item_id: token} mapping
}
CACHE_SECONDS = 60.0  # Secrets Manager reads are API calls: reuse a record this long

_cache: dict[tuple[str, str], tuple[float, dict | None]] = {}
_cache_lock = threading.Lock()


def _store_key() -> str:
    import os

    return "|".join(
        os.environ.get(n, "")
        for n in (
            "LEDGERLAKE_SECRET_STORE",
            "LEDGERLAKE_SECRET_PREFIX",
            "LEDGERLAKE_CONNECTIONS_DIR",
            "LEDGERLAKE_HOME",
        )
    )


def _record(source: str) -> dict | None:
    store = store_from_env()
    key = (_store_key(), source)
    if store.kind == "file":
        record = store.read(source)[0]  # a local file read is cheap: always current
    else:
        with _cache_lock:
            hit = _cache.get(key)
        if hit and time.monotonic() - hit[0] < CACHE_SECONDS:
            record = hit[1]
        else:
            record = store.read(source)[0]
    with _cache_lock:
        _cache[key] = (time.monotonic(), record)
    if record is not None and record.get("status") == "needs_reconnect":
        raise NeedsReconnect(source, record.get("error") or "")
    if record is not None and source in REFRESHING and record.get("kind") == "oauth2":
        from .tokens import _needs_refresh, refresh_ahead

        if _needs_refresh(record, refresh_ahead()):
            record = refresh(store, source)
            with _cache_lock:
                _cache[key] = (time.monotonic(), record)
    return record


def lookup(name: str) -> str | None:
    """The stored connection's value for a configuration name, or None when not connected."""
    source, field = FIELDS.get(name, (None, None))
    if source is None:
        return None
    record = _record(source)
    if record is None:
        return None
    if field == "items":
        items = record.get("items") or []
        if name == "PLAID_ACCESS_TOKENS":
            return ",".join(i["access_token"] for i in items)
        import json

        return json.dumps({i["item_id"]: i["access_token"] for i in items})
    value = record.get(field)
    return None if value is None else str(value)


def credential(name: str, credentials: dict[str, str] | None = None) -> str:
    if credentials and name in credentials:
        return credentials[name]
    value = lookup(name)
    if value is not None:
        return value
    from ..config import secret

    return secret(name)


class Auth:
    """One credential sent as a header; `renew` after a 401 refreshes a connected OAuth token."""

    def __init__(
        self,
        name: str,
        header: str = "Authorization",
        scheme: str = "Bearer ",
        credentials: dict[str, str] | None = None,
    ):
        self.name, self.header, self.scheme = name, header, scheme
        self.static = (credentials or {}).get(name)

    def headers(self) -> dict[str, str]:
        token = self.static if self.static is not None else credential(self.name)
        return {self.header: self.scheme + token}

    def renew(self, sent: dict[str, str]) -> bool:
        """After a 401 for the headers `sent`: True when there is a new token to retry with."""
        source, _ = FIELDS.get(self.name, (None, None))
        if self.static is not None or source not in REFRESHING:
            return False
        store = store_from_env()
        record = store.read(source)[0]
        if record is None or record.get("kind") != "oauth2":
            return False
        rejected = (sent.get(self.header) or "")[len(self.scheme) :]
        fresh = refresh(store, source, rejected=rejected)
        with _cache_lock:
            _cache[(_store_key(), source)] = (time.monotonic(), fresh)
        return fresh.get("access_token") != rejected


def auth(
    name: str, credentials: dict[str, str] | None = None, header: str = "Authorization", scheme: str = "Bearer "
) -> Auth:
    return Auth(name, header, scheme, credentials)

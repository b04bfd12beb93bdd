"""Refresher Lambda: the only function that writes the connection secrets.

* On its schedule (`{}` or an EventBridge event) it refreshes every OAuth connection
  whose access token expires within `LEDGERLAKE_REFRESH_AHEAD_SECONDS`, so tokens stay
  fresh (and QBO's / Xero's refresh tokens stay alive) even when nothing polls, and it
  publishes each connection's public status beside the cursors.
* Pollers and the hydrator invoke it synchronously (`{"source": "xero", "rejected":
  "<sha256 prefix of the token a provider refused>"}`) instead of writing secrets
  themselves; it refreshes under the lease (or finds another refresh already done).

The answer names states only: no token ever leaves it.
"""

from __future__ import annotations

import json
import logging

from ..connections import NeedsReconnect, TokenError
from ..connections.records import REFRESHING
from ..connections.status import publish
from ..connections.store import store_from_env
from ..connections.tokens import refresh_ahead, refresh_here

log = logging.getLogger(__name__)


def handler(event, context):
    event = event or {}
    store = store_from_env()
    sources = [event["source"]] if event.get("source") else list(REFRESHING)
    result = {}
    for source in sources:
        if source not in REFRESHING:
            result[source] = "not refreshable"
            continue
        if store.read(source)[0] is None:
            result[source] = "not connected"
            continue
        try:
            # Scheduled: the configured margin as is (LEDGERLAKE_REFRESH_AHEAD_SECONDS);
            # asked by a poller: its own rule (the rejected token, or expiring soon).
            margin = refresh_ahead() if not event.get("source") else None
            record = refresh_here(
                store, source, rejected_digest=event.get("rejected"), force=bool(event.get("force")), margin=margin
            )
            result[source] = f"fresh, {record.get('refresh_count', 0)} refreshes"
        except NeedsReconnect:
            result[source] = "needs_reconnect"
        except TokenError as err:
            result[source] = f"error: {err}"
    if not event.get("source"):
        from ..lake import Lake

        publish(Lake(), sources, store)
    log.info(json.dumps(result))
    return result

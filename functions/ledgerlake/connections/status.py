"""Per-source connection status, without secrets: for `ledgerlake sources status`, the
dashboard's Integration health page and the weekly email.

The store itself holds secrets, so readers that must not see them (the dashboard, the
weekly email) read a public copy in the raw bucket beside the cursors:

    s3://{raw}/state/connections/{source}.json      (records.public_view + published_at)

written by `ledgerlake connect`, by every poller run and by the scheduled refresher.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime
from typing import Any

from .records import SOURCES, account_of, public_view
from .store import store_from_env

log = logging.getLogger(__name__)
PREFIX = "state/connections/"


def _iso(epoch) -> str | None:
    if epoch in (None, ""):
        return None
    return datetime.fromtimestamp(float(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def describe(record: dict | None, source: str) -> dict[str, Any]:
    """One status row from a record (or its public copy)."""
    if record is None:
        return {
            "source": source,
            "connection": "not connected",
            "account": None,
            "token_expires_at": None,
            "refresh_expires_at": None,
            "last_refresh": None,
            "error": None,
        }
    expires = record.get("expires_at")
    state = "needs reconnect" if record.get("status") == "needs_reconnect" else "connected"
    if state == "connected" and expires is not None and float(expires) < time.time() and record.get("kind") != "oauth2":
        state = "expired"
    return {
        "source": source,
        "connection": state,
        "account": account_of(record),
        "token_expires_at": _iso(expires) if expires is not None else "never",
        "refresh_expires_at": _iso(record.get("refresh_expires_at")),
        "last_refresh": _iso(record.get("refreshed_at")),
        "error": record.get("error"),
    }


def publish(lake, sources=SOURCES, store=None) -> None:
    """Write the public copy of each source's connection to the lake (best effort: a
    status copy must never fail a poll)."""
    try:
        store = store or store_from_env()
        for source in sources:
            record = store.read(source)[0]
            body = dict(
                public_view(record) if record else {"source": source, "status": "not_connected"},
                published_at=time.time(),
            )
            lake.s3.put_object(
                Bucket=lake.bucket,
                Key=f"{PREFIX}{source}.json",
                Body=json.dumps(body, sort_keys=True).encode(),
                ContentType="application/json",
            )
    except Exception as err:  # noqa: BLE001 - status is advisory
        log.warning("could not publish connection status: %s", type(err).__name__)


def published(lake) -> dict[str, dict]:
    """The public copies in the lake, by source."""
    out = {}
    for source in SOURCES:
        try:
            body = lake.s3.get_object(Bucket=lake.bucket, Key=f"{PREFIX}{source}.json")["Body"].read()
        except Exception:  # noqa: BLE001 - missing or unreadable: not known
            continue
        record = json.loads(body)
        out[source] = None if record.get("status") == "not_connected" else record
    return out


def last_polls(lake) -> dict[str, str]:
    """Newest cursor save per source: the last poll that completed a page."""
    from ..polling.cursors import CURSOR_PREFIX

    newest: dict[str, str] = {}
    for page in lake.s3.get_paginator("list_objects_v2").paginate(Bucket=lake.bucket, Prefix=CURSOR_PREFIX):
        for item in page.get("Contents", []):
            source = item["Key"][len(CURSOR_PREFIX) :].split("/", 1)[0]
            stamp = item["LastModified"].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            newest[source] = max(newest.get(source, ""), stamp)
    return newest


def last_webhooks() -> dict[str, str]:
    """Last webhook event received per source, from the source_health mart (as of the last
    build); empty when there is no warehouse yet."""
    try:
        from ..analyst import connect

        conn = connect(source="warehouse", lake=False)
        rows = conn.execute(
            "select source_system, max(last_event_received_at) from source_health group by 1"
        ).fetchall()
    except Exception:  # noqa: BLE001 - no warehouse built yet
        return {}
    return {s: v.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") for s, v in rows if v is not None}


def rows(lake=None, *, from_lake: bool = False, store=None) -> list[dict[str, Any]]:
    """Status per source: connection (from the store, or the lake's public copy when
    `from_lake`), last successful poll (cursors) and last webhook (source_health)."""
    records: dict[str, dict | None]
    if from_lake and lake is not None:
        records = published(lake)
    else:
        store = store or store_from_env()
        records = {s: store.read(s)[0] for s in SOURCES}
    polls: dict[str, str] = {}
    if lake is not None:
        try:
            polls = last_polls(lake)
        except Exception as err:  # noqa: BLE001 - lake not running
            log.warning("lake not reachable for poll times: %s", type(err).__name__)
    hooks = last_webhooks()
    out = []
    for source in SOURCES:
        row = describe(records.get(source), source)
        row["last_poll"] = polls.get(source)
        row["last_webhook"] = hooks.get(source)
        out.append(row)
    return out


def needs_reconnect(lake) -> list[str]:
    """Sources whose published status says `needs reconnect` (weekly email, alarms)."""
    return [s for s, r in published(lake).items() if r and r.get("status") == "needs_reconnect"]

"""Fetch what a Plaid ping announces: `POST /transactions/sync` for the item, all pages.

The hydrator keeps no cursor (the poller owns cursors): it syncs the item from the
start and lands every page verbatim (entity `transactions_sync`), keyed by item +
request cursor + `next_cursor`. Pages that did not change since the last hydration land
on the same keys; staging dedupes transactions by `transaction_id`.

The access token comes from `PLAID_ACCESS_TOKEN`: one token, or a JSON object mapping
`item_id` to token when several items are linked.
"""

from __future__ import annotations

import json

from ...connections import credential as secret  # a connection, else config
from ...lake import Lake, Landed, identity_hash
from ...webhooks.core import event_time
from ...webhooks.http import base_url, request_json

SOURCE = "plaid"
DEFAULT_API = "https://production.plaid.com"
PAGE_SIZE = 500
MAX_PAGES = 1000  # a runaway guard, far above any real item


def access_token(item_id: str) -> str:
    value = secret("PLAID_ACCESS_TOKEN")
    if value.lstrip().startswith("{"):
        tokens = json.loads(value)
        if item_id not in tokens:
            raise KeyError(f"PLAID_ACCESS_TOKEN has no token for item {item_id}")
        return tokens[item_id]
    return value


def page_date(page: dict, job: dict):
    """The page's own date: its latest transaction date, so a re-sync lands on the same key."""
    dates = [t.get("date") for key in ("added", "modified") for t in page.get(key) or [] if isinstance(t, dict)]
    dates = [d for d in dates if isinstance(d, str)]
    return event_time(max(dates) if dates else None, job.get("event_time"))


def hydrate(job: dict, lake: Lake) -> list[Landed]:
    item_id = job["item_id"]
    url = base_url(SOURCE, DEFAULT_API) + "/transactions/sync"
    request = {
        "client_id": secret("PLAID_CLIENT_ID"),
        "secret": secret("PLAID_SECRET"),
        "access_token": access_token(item_id),
        "count": PAGE_SIZE,
    }
    cursor, landed = "", []
    for _ in range(MAX_PAGES):
        body = dict(request, cursor=cursor) if cursor else request
        raw, page = request_json("POST", url, body=body)
        if not isinstance(page, dict) or "next_cursor" not in page:
            raise ValueError(f"Plaid /transactions/sync answer for {item_id} has no next_cursor")
        landed.append(
            lake.land(
                source=SOURCE,
                entity="transactions_sync",
                payload=raw,
                identity=identity_hash("plaid", item_id, cursor, page["next_cursor"]),
                event_time=page_date(page, job),
                arrival="hydrate",
                event_id=page.get("request_id"),
                extra={"item_id": item_id, "cursor": cursor, "ping_key": job.get("ping_key")},
            )
        )
        if not page.get("has_more"):
            return landed
        cursor = page["next_cursor"]
    raise RuntimeError(f"Plaid item {item_id}: more than {MAX_PAGES} pages")

"""Plaid poller: the `/transactions/sync` loop per Item, and `/accounts/get`.

Plaid's rule: page with `next_cursor` while `has_more`, and persist the cursor only
when the loop finishes; if Plaid answers TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION,
restart the loop from the cursor it started with. Pages land as they arrive (each is
the provider's answer verbatim); a restarted or interrupted loop lands its pages again
on the same keys when the answers are the same, or as duplicates that staging resolves
(later sync pages win). Amounts are Plaid's: positive = money out.

Items: `PLAID_ACCESS_TOKENS` (comma-separated) or `PLAID_ACCESS_TOKEN`; one cursor per
Item, named by a hash of its access token (tokens are secrets, never keys).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime

from ...polling.dedupe import Record, page_time, utc_stamp

SOURCE = "plaid"
DEFAULT_BASE_URL = "https://production.plaid.com"
STREAMS = ("transactions_sync", "accounts")
PAGE_SIZE = 500
MAX_RESTARTS = 5


def _tokens(ctx) -> list[str]:
    listed = ctx.setting("PLAID_ACCESS_TOKENS")
    if listed:
        return [t.strip() for t in listed.split(",") if t.strip()]
    return [ctx.secret("PLAID_ACCESS_TOKEN")]


def _auth(ctx) -> dict[str, str]:
    return {
        "client_id": ctx.setting("PLAID_CLIENT_ID") or ctx.secret("PLAID_CLIENT_ID"),
        "secret": ctx.secret("PLAID_SECRET"),
    }


def item_key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:12]


def _content(doc: dict) -> str:
    """The page without its request_id (which differs on every call)."""
    return hashlib.sha256(
        json.dumps({k: v for k, v in doc.items() if k != "request_id"}, sort_keys=True).encode()
    ).hexdigest()


def _rows(doc: dict, key: str) -> list[dict]:
    return [r for r in doc.get(key) or [] if isinstance(r, dict)]


def _page_date(doc: dict) -> date:
    # `date` is required in Plaid's schema, but a reader does not crash on a page without it.
    return page_time([utc_stamp(t.get("date")) for t in _rows(doc, "added") + _rows(doc, "modified")]).date()


def _sync(ctx, token: str) -> None:
    stream = f"transactions_sync-{item_key(token)}"
    state = ({} if ctx.since else ctx.read_cursor(stream)) or {}
    start_cursor = state.get("cursor", "")
    restarts = 0
    while True:
        cursor, finished = start_cursor, False
        while not ctx.out_of_time():
            body = {**_auth(ctx), "access_token": token, "cursor": cursor or None, "count": ctx.page_size or PAGE_SIZE}
            response = ctx.http.request("POST", ctx.base_url + "/transactions/sync", json_body=body)
            doc = response.json()
            if response.status == 400 and doc.get("error_code") == "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION":
                break  # restart the whole loop from start_cursor
            response.expect_ok()
            if "next_cursor" not in doc or "has_more" not in doc:
                raise ValueError("Plaid /transactions/sync answered without next_cursor/has_more: cannot page on")
            records = sum(len(_rows(doc, key)) for key in ("added", "modified", "removed"))
            if records:
                ctx.land_page(
                    "transactions_sync",
                    request={"path": "/transactions/sync", "item": item_key(token), "cursor": cursor},
                    body=response.body,
                    records=records,
                    page_time=_page_date(doc),
                    fingerprint=_content(doc),
                    headers=response.headers,
                    extra={"item": item_key(token)},
                    stream="transactions_sync",
                )
            cursor = doc["next_cursor"]
            if not doc["has_more"]:
                finished = True
                break
        if finished:
            ctx.save_cursor(stream, {"cursor": cursor})  # only once the loop is complete
            return
        if ctx.out_of_time():
            return  # the saved cursor still marks the last complete loop
        restarts += 1
        if restarts > MAX_RESTARTS:
            raise RuntimeError("Plaid kept mutating during pagination; giving up until the next run")


def _accounts(ctx, token: str) -> None:
    body = {**_auth(ctx), "access_token": token}
    response = ctx.http.request("POST", ctx.base_url + "/accounts/get", json_body=body).expect_ok()
    doc = response.json()
    ctx.land_page(
        "accounts",
        request={"path": "/accounts/get", "item": item_key(token)},
        body=response.body,
        records=len(_rows(doc, "accounts")),
        page_time=datetime.now(UTC).date(),  # a balance snapshot, dated when taken
        fingerprint=_content(doc),
        headers=response.headers,
        extra={"item": item_key(token)},
    )


def poll(ctx) -> None:
    for token in _tokens(ctx):
        if ctx.out_of_time():
            return
        _sync(ctx, token)
        if not ctx.out_of_time():
            _accounts(ctx, token)


def page_records(entity: str, payload: dict):
    if entity == "transactions_sync":
        # No update stamp on a Plaid transaction: sync order is the truth, so the stamp
        # is empty and the later page (arrival order) wins.
        for row in _rows(payload, "added") + _rows(payload, "modified"):
            yield Record("transaction", str(row.get("transaction_id", "")), "", False, row)
        for row in _rows(payload, "removed"):
            yield Record("transaction", str(row.get("transaction_id", "")), "", True, row)
    elif entity == "accounts":
        for row in _rows(payload, "accounts"):
            yield Record("account", str(row.get("account_id", "")), "", False, row)

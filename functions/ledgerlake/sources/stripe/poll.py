"""Stripe poller: `/v1/events` and `/v1/balance_transactions` (plus `payout=` pages).

Stripe lists newest first and pages with `starting_after`, so a walk from
`created[gte]=cursor` cannot move the cursor until it reaches the oldest page. The
cursor object therefore also holds the walk in progress (`gte`, `starting_after`, the
newest `created` seen): after every landed page it is saved, so a crash or a spent
budget resumes mid-walk, and only a finished walk moves `created_gte` forward.
`created[gte]` is inclusive, so the newest second is asked again next run (duplicates
in raw, never a gap).

Payout reconciliation: every `type: payout` balance transaction seen queues its payout
in the cursor; each queued payout's `?payout=po_…` pages land as `balance_transactions`
(with `extra.payout`) before it leaves the queue.
"""

from __future__ import annotations

from datetime import datetime

from ...polling.dedupe import Record, page_time, utc_stamp
from ...polling.runner import Boundary

SOURCE = "stripe"
DEFAULT_BASE_URL = "https://api.stripe.com"
STREAMS = ("events", "balance_transactions", "payouts")
PAGE_SIZE = 100


def _headers(ctx) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {ctx.secret('STRIPE_API_KEY')}"}
    version = ctx.setting("STRIPE_API_VERSION")
    if version:
        headers["Stripe-Version"] = version
    return headers


def _created(row, floor: int) -> int:
    """`created` (required by Stripe's schema, but a reader does not crash without it:
    such a row counts as created at the window start)."""
    value = row.get("created")
    return value if isinstance(value, int) and not isinstance(value, bool) else floor


def _page_time(data: list, floor: int) -> datetime:
    return page_time([utc_stamp(_created(r, floor)) for r in data])


def _walk(ctx, stream: str, path: str, entity: str, on_page=None) -> bool:
    """Walk `path` from the stream's cursor; True when caught up."""
    state = ctx.start(stream) or {}
    seen = Boundary(state)  # events at the cursor's second, landed by the last walk
    walk = state.get("walk")
    if walk is None:
        gte = int(ctx.since.timestamp()) if ctx.since else int(state.get("created_gte", 0))
        walk = {"gte": gte, "starting_after": None, "high": gte}
    fresh = Boundary(walk.get("fresh"))
    while not ctx.out_of_time():
        params = {"limit": ctx.page_size or PAGE_SIZE, "created[gte]": walk["gte"]}
        if walk["starting_after"]:
            params["starting_after"] = walk["starting_after"]
        response = ctx.http.request("GET", ctx.base_url + path, params=params, headers=_headers(ctx)).expect_ok()
        page = response.json()
        data = [r for r in page.get("data") or [] if isinstance(r, dict)]
        if data:
            items = [(str(r.get("id", "")), _created(r, walk["gte"])) for r in data]
            if not seen.all_seen(items):
                ctx.land_page(
                    entity,
                    request={"path": path, "params": params},
                    body=response.body,
                    records=len(data),
                    page_time=_page_time(data, walk["gte"]),
                    headers=response.headers,
                    stream=stream,
                )
            fresh.advance(items)
            walk["fresh"] = fresh.to_json()
            walk["starting_after"] = data[-1].get("id")
            walk["high"] = max(walk["high"], max(item[1] for item in items))
        extra = on_page(data) if on_page else {}
        if page.get("has_more") and data and walk["starting_after"]:
            ctx.save_cursor(
                stream, {"created_gte": state.get("created_gte", walk["gte"]), **seen.to_json(), "walk": walk, **extra}
            )
            continue
        final = fresh if fresh.stamp is not None else seen
        ctx.save_cursor(stream, {"created_gte": walk["high"], **final.to_json(), **extra})
        return True
    return False


def poll(ctx) -> None:
    _walk(ctx, "events", "/v1/events", "events")

    pending = list((ctx.read_cursor("payouts") or {}).get("pending", []))

    def queue_payouts(data):
        new = [
            row["source"]
            for row in data
            if row.get("type") == "payout" and isinstance(row.get("source"), str) and row["source"] not in pending
        ]
        if new:
            pending.extend(new)
            # Queued before the balance-transactions cursor moves past them.
            ctx.save_cursor("payouts", {"pending": pending})
        return {}

    _walk(ctx, "balance_transactions", "/v1/balance_transactions", "balance_transactions", queue_payouts)
    while pending and not ctx.out_of_time():
        payout = pending[0]
        _payout_pages(ctx, payout)
        if ctx.out_of_time():
            return
        pending.pop(0)
        ctx.save_cursor("payouts", {"pending": pending})


def _payout_pages(ctx, payout: str) -> None:
    """Every balance transaction the payout settled (re-listed from the start if interrupted:
    the pages land on the same keys)."""
    starting_after = None
    while not ctx.out_of_time():
        params = {"limit": ctx.page_size or PAGE_SIZE, "payout": payout}
        if starting_after:
            params["starting_after"] = starting_after
        response = ctx.http.request(
            "GET", ctx.base_url + "/v1/balance_transactions", params=params, headers=_headers(ctx)
        ).expect_ok()
        page = response.json()
        data = [r for r in page.get("data") or [] if isinstance(r, dict)]
        if data:
            ctx.land_page(
                "balance_transactions",
                request={"path": "/v1/balance_transactions", "params": params},
                body=response.body,
                records=len(data),
                page_time=_page_time(data, 0),
                headers=response.headers,
                extra={"payout": payout},
                stream="payouts",
            )
            starting_after = data[-1].get("id")
        if not (page.get("has_more") and data and starting_after):
            return


def page_records(entity: str, payload: dict):
    kind = {"events": "event", "balance_transactions": "balance_transaction"}[entity]
    for row in payload.get("data") or []:
        if not isinstance(row, dict):
            continue
        # Events and balance transactions are immutable apart from a balance
        # transaction's status; `created` orders them and a tie keeps the later arrival.
        yield Record(kind, str(row.get("id", "")), utc_stamp(row.get("created")), False, row)

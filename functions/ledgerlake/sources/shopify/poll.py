"""Shopify poller.

* `orders`: Admin GraphQL `orders(first, after, query: "updated_at:>='…'", sortKey:
  UPDATED_AT)`. Ascending by update time, so after every landed page the cursor moves to
  the newest `updatedAt` on it (inclusive next time: boundary duplicates, never gaps).
  Cost-aware: a `THROTTLED` answer waits (requested - available) / restoreRate, and the
  next query waits up front if the bucket reported by `extensions.cost` cannot pay it.
* `payouts`: REST `shopify_payments/payouts.json?date_min=` re-read over a 14-day
  lookback (a payout's status moves scheduled → in_transit → paid without a new date);
  unchanged pages land on the same keys. Each payout seen is queued, and its
  `balance/transactions.json?payout_id=` pages land as `balance_transactions`.
* `balance_transactions`: REST `balance/transactions.json?payout_status=pending`, the
  transactions no payout holds yet (re-read each run, landed when changed).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

from ...polling.dedupe import Record, page_time, utc_stamp
from ...polling.runner import Boundary

SOURCE = "shopify"
API_VERSION = "2025-01"
STREAMS = ("orders", "payouts", "balance_transactions")
ORDERS_PAGE = 250
REST_PAGE = 250
PAYOUT_LOOKBACK = timedelta(days=14)

ORDERS_QUERY = """
query Orders($first: Int!, $after: String, $query: String) {
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    edges { cursor node { id legacyResourceId name email createdAt updatedAt processedAt cancelledAt closedAt
      cancelReason displayFinancialStatus displayFulfillmentStatus currencyCode presentmentCurrencyCode sourceName test
      totalPriceSet { shopMoney { amount currencyCode } presentmentMoney { amount currencyCode } }
      subtotalPriceSet { shopMoney { amount currencyCode } presentmentMoney { amount currencyCode } }
      totalTaxSet { shopMoney { amount currencyCode } presentmentMoney { amount currencyCode } }
      totalDiscountsSet { shopMoney { amount currencyCode } presentmentMoney { amount currencyCode } }
      totalRefundedSet { shopMoney { amount currencyCode } }
      customer { id email firstName lastName displayName }
      lineItems(first: 50) { edges { node { id sku title quantity
        originalUnitPriceSet { shopMoney { amount currencyCode } presentmentMoney { amount currencyCode } } } } }
    } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


def DEFAULT_BASE_URL() -> str:  # noqa: N802 - the shop's own host
    import os

    from ...connections import lookup  # the connected shop, else configuration

    return f"https://{lookup('SHOPIFY_SHOP') or os.environ.get('SHOPIFY_SHOP', 'example.myshopify.com')}"


def _headers(ctx) -> dict[str, str]:
    return {"X-Shopify-Access-Token": ctx.secret("SHOPIFY_ACCESS_TOKEN"), "Accept": "application/json"}


def _api(ctx, path: str) -> str:
    return f"{ctx.base_url}/admin/api/{API_VERSION}/{path}"


def _graphql(ctx, variables: dict) -> tuple[dict, bytes, dict]:
    """One GraphQL call, waiting out THROTTLED answers within the run's budget."""
    while True:
        response = ctx.http.request(
            "POST",
            _api(ctx, "graphql.json"),
            headers=_headers(ctx),
            json_body={"query": ORDERS_QUERY, "variables": variables},
        ).expect_ok()
        doc = response.json()
        errors = doc.get("errors") or []
        cost = (doc.get("extensions") or {}).get("cost") or {}
        throttle = cost.get("throttleStatus") or {}
        if any((e.get("extensions") or {}).get("code") == "THROTTLED" for e in errors):
            missing = cost.get("requestedQueryCost", 0) - throttle.get("currentlyAvailable", 0)
            ctx.http.wait(max(0.05, missing / max(1.0, throttle.get("restoreRate", 50.0))), "Shopify THROTTLED")
            continue
        if errors:
            raise RuntimeError(f"Shopify GraphQL errors: {errors}")
        ctx._shopify_cost = (throttle, cost.get("requestedQueryCost", 0))
        return doc, response.body, response.headers


def _poll_orders(ctx) -> None:
    state = ctx.start("orders") or {}
    boundary = Boundary(state)
    since = ctx.since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if ctx.since else state.get("updated_at_min")
    first = ctx.page_size or ORDERS_PAGE
    after = None
    while not ctx.out_of_time():
        throttle, requested = getattr(ctx, "_shopify_cost", ({}, 0))
        if throttle and throttle.get("currentlyAvailable", requested) < requested:
            need = requested - throttle["currentlyAvailable"]
            ctx.http.wait(need / max(1.0, throttle.get("restoreRate", 50.0)), "Shopify cost bucket refill")
        variables = {"first": first, "after": after, "query": f"updated_at:>='{since}'" if since else None}
        doc, body, headers = _graphql(ctx, variables)
        orders = (doc.get("data") or {}).get("orders") or {}
        nodes = [
            edge["node"]
            for edge in orders.get("edges") or []
            if isinstance(edge, dict) and isinstance(edge.get("node"), dict)
        ]
        items = []
        if nodes:
            stamps = [utc_stamp(_updated(n)) for n in nodes]
            # An order without `updatedAt` counts as updated at the window start.
            window = (utc_stamp(since) or "1970-01-01T00:00:00")[:19] + "Z"
            items = [(str(n.get("id", "")), stamp[:19] + "Z" if stamp else window) for n, stamp in zip(nodes, stamps)]
            if boundary.all_seen(items):
                nodes = []  # only the records at the cursor's second, landed last run
        if nodes:
            ctx.land_page(
                "orders",
                request={"query": "orders", "variables": variables},
                body=body,
                records=len(nodes),
                page_time=page_time(stamps),
                # The cost extension changes call to call; the page is the orders.
                fingerprint=_hash(doc["data"]),
                headers=headers,
            )
        if items:
            boundary.advance(items)
            ctx.save_cursor("orders", {"updated_at_min": boundary.stamp, **boundary.to_json()})
        page_info = orders.get("pageInfo") or {}
        if not (page_info.get("hasNextPage") and page_info.get("endCursor")):
            return
        after = page_info["endCursor"]


def _updated(node: dict):
    return node.get("updatedAt") or node.get("updated_at")


def _hash(obj) -> str:
    import hashlib

    return hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()


def _next_link(headers: dict) -> str | None:
    for part in (headers.get("link") or "").split(","):
        match = re.search(r'<([^>]+)>;\s*rel="next"', part)
        if match:
            return match.group(1)
    return None


def _rest_walk(ctx, path: str, params: dict, key: str, entity: str, stream: str, extra=None, seen=None):
    """Follow Link rel=next pages; land each (unless every row on it is in `seen`, a map
    of id -> content digest from the last run); return every row seen."""
    url = _api(ctx, path)
    rows_seen = []
    request_params = dict(params)
    while not ctx.out_of_time():
        response = ctx.http.request("GET", url, params=request_params, headers=_headers(ctx)).expect_ok()
        rows = [r for r in response.json().get(key) or [] if isinstance(r, dict)]
        unchanged = seen is not None and rows and all(seen.get(str(r.get("id"))) == _hash(r)[:16] for r in rows)
        if rows and not unchanged:
            ctx.land_page(
                entity,
                request={"path": path, "params": params, "page": _page_info(url)},
                body=response.body,
                records=len(rows),
                page_time=_rest_date(rows),
                headers=response.headers,
                extra=extra,
                stream=stream,
            )
        rows_seen.extend(rows)
        nxt = _next_link(response.headers)
        if not nxt:
            return rows_seen
        url, request_params = nxt, None
    return None  # out of time


def _page_info(url: str) -> str | None:
    match = re.search(r"page_info=([^&]+)", url)
    return match.group(1) if match else None


def _rest_date(rows: list[dict]) -> datetime:
    stamps = [utc_stamp(r.get("date")) or utc_stamp(r.get("processed_at")) for r in rows]
    return page_time(stamps, datetime(1970, 1, 1, tzinfo=UTC))


def _poll_payouts(ctx) -> None:
    state = ctx.start("payouts") or {}
    pending = list((ctx.read_cursor("payouts") or {}).get("pending", []))
    newest = state.get("newest_date")
    start = (
        ctx.since.date() if ctx.since else (datetime.fromisoformat(newest).date() - PAYOUT_LOOKBACK if newest else None)
    )
    params = {"limit": ctx.page_size or REST_PAGE}
    if start:
        params["date_min"] = start.isoformat()
    seen = state.get("seen", {})
    rows = _rest_walk(ctx, "shopify_payments/payouts.json", params, "payouts", "payouts", "payouts", seen=seen)
    if rows is None:
        return
    rows = [r for r in rows if r.get("id") is not None]  # no id: landed, but nothing to follow up
    for row in rows:
        if seen.get(str(row["id"])) != _hash(row)[:16] and str(row["id"]) not in pending:
            pending.append(str(row["id"]))  # new or changed: (re)read its transactions
    seen = {str(r["id"]): _hash(r)[:16] for r in rows}  # what the lookback window holds now
    dates = [str(r.get("date")) for r in rows if r.get("date")] + ([newest] if newest else [])
    cursor = {"newest_date": max(dates) if dates else None, "seen": seen}
    ctx.save_cursor("payouts", {**cursor, "pending": pending})
    while pending and not ctx.out_of_time():
        payout = pending[0]
        done = _rest_walk(
            ctx,
            "shopify_payments/balance/transactions.json",
            {"limit": ctx.page_size or REST_PAGE, "payout_id": payout},
            "transactions",
            "balance_transactions",
            "payout_transactions",
            extra={"payout_id": payout},
        )
        if done is None:
            return
        pending.pop(0)
        ctx.save_cursor("payouts", {**cursor, "pending": pending})


def _poll_balance_transactions(ctx) -> None:
    """Transactions not yet in a payout (`payout_status=pending`): a small, changing set,
    re-read every run and landed only when it changed. Paid-out transactions arrive on
    their payout's pages. (`since_id` would assume ids grow with time.)"""
    state = ctx.start("balance_transactions") or {}
    seen = state.get("seen", {})
    params = {"limit": ctx.page_size or REST_PAGE, "payout_status": "pending"}
    rows = _rest_walk(
        ctx,
        "shopify_payments/balance/transactions.json",
        params,
        "transactions",
        "balance_transactions",
        "balance_transactions",
        seen=seen,
    )
    if rows is None:
        return
    ctx.save_cursor("balance_transactions", {"seen": {str(r.get("id")): _hash(r)[:16] for r in rows}})


def poll(ctx) -> None:
    _poll_orders(ctx)
    _poll_payouts(ctx)
    _poll_balance_transactions(ctx)


def page_records(entity: str, payload: dict):
    if entity == "orders":
        for edge in ((payload.get("data") or {}).get("orders") or {}).get("edges") or []:
            node = edge.get("node") if isinstance(edge, dict) else None
            if not isinstance(node, dict):
                continue
            rid = node.get("legacyResourceId") or str(node.get("id", "")).rsplit("/", 1)[-1]
            yield Record("order", str(rid), utc_stamp(_updated(node)), False, node)
    elif entity == "payouts":
        for row in payload.get("payouts") or []:
            yield Record("payout", str(row.get("id", "")), "", False, row)  # no update stamp: later arrival wins
    elif entity == "balance_transactions":
        for row in payload.get("transactions") or []:
            yield Record("balance_transaction", str(row.get("id", "")), "", False, row)

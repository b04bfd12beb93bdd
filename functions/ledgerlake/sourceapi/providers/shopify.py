"""Shopify Admin API subset.

* GraphQL `POST /admin/api/{version}/graphql.json`: the `orders` connection with
  `first`, `after`, `query: "updated_at:>='…'"`, `sortKey: UPDATED_AT`; cursor paging
  through `edges { cursor node }` + `pageInfo { hasNextPage endCursor }`; calculated
  query cost in `extensions.cost` (requestedQueryCost = 2 + first, a leaky bucket with
  `throttleStatus`), and `THROTTLED` errors when the bucket cannot pay
  (https://shopify.dev/docs/api/usage/limits). Field selection is not evaluated: every
  node carries the fields of `ORDER_NODE_FIELDS` (the poller's query), mapped from the
  simulation's REST order JSON (`order_node`).
* REST `GET /admin/api/{version}/shopify_payments/payouts.json` (`date_min`, `since_id`,
  `limit` ≤ 250, newest first) and `.../shopify_payments/balance/transactions.json`
  (`payout_id`, `payout_status`, `since_id`), paged with `Link: <…page_info=…>; rel="next"`.
"""

from __future__ import annotations

import base64
import bisect
import json
import re
import time

from ..server import Reply, json_reply
from ..store import iso, parse_time

BUCKET_MAX = 10000.0  # a Plus-sized bucket, so the local benchmark measures the pipeline
RESTORE_RATE = 1000.0
_PATH = re.compile(r"^/admin/api/(?P<version>[0-9]{4}-[0-9]{2}|unstable)/(?P<rest>.+)$")
_FILTER = re.compile(r"updated_at:(?P<op>>=|<=|>|<)?'?(?P<value>[^' )]+)'?")


def _errors(status: int, message: str, headers=None) -> Reply:
    return json_reply(status, {"errors": message}, headers)


def check_auth(api, req) -> Reply | None:
    token = req.headers.get("x-shopify-access-token")
    if not api.accepts("shopify", token, "SHOPIFY_ACCESS_TOKEN"):
        return _errors(401, "[API] Invalid API key or access token (unrecognized login or wrong password)")
    return None


def rate_limited(api, retry_after: int) -> Reply:
    return _errors(
        429,
        "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service.",
        {"Retry-After": f"{float(retry_after):.1f}"},
    )


def server_error(api) -> Reply:
    return _errors(503, "Service Unavailable")


def _utc(text):
    if not text:
        return None
    return iso(parse_time(text))


def _money_set(order: dict, rest_field: str) -> dict | None:
    """REST `total_price` (+ `total_price_set`) -> GraphQL `totalPriceSet`."""
    bag = order.get(f"{rest_field}_set")
    if isinstance(bag, dict) and bag.get("shop_money"):
        out = {"shopMoney": {"amount": bag["shop_money"]["amount"], "currencyCode": bag["shop_money"]["currency_code"]}}
        if bag.get("presentment_money"):
            out["presentmentMoney"] = {
                "amount": bag["presentment_money"]["amount"],
                "currencyCode": bag["presentment_money"]["currency_code"],
            }
        return out
    if order.get(rest_field) is None:
        return None
    money = {"amount": str(order[rest_field]), "currencyCode": order.get("currency")}
    return {"shopMoney": money, "presentmentMoney": dict(money)}


def _gid(kind: str, value) -> str | None:
    return None if value is None else f"gid://shopify/{kind}/{value}"


def order_node(order: dict) -> dict:
    """The Admin GraphQL `Order` node for a REST order (already-GraphQL objects pass through)."""
    if "updatedAt" in order:
        return order
    customer = order.get("customer") or {}
    first, last = customer.get("first_name"), customer.get("last_name")
    refunded = sum(
        (float(t.get("amount") or 0) for r in order.get("refunds") or [] for t in r.get("transactions") or []), 0.0
    )
    return {
        "id": order.get("admin_graphql_api_id") or _gid("Order", order["id"]),
        "legacyResourceId": str(order["id"]),
        "name": order.get("name"),
        "email": order.get("email") or order.get("contact_email"),
        "createdAt": _utc(order.get("created_at")),
        "updatedAt": _utc(order.get("updated_at")),
        "processedAt": _utc(order.get("processed_at")),
        "cancelledAt": _utc(order.get("cancelled_at")),
        "closedAt": _utc(order.get("closed_at")),
        "cancelReason": (order.get("cancel_reason") or None) and order["cancel_reason"].upper(),
        "displayFinancialStatus": (order.get("financial_status") or "").upper() or None,
        "displayFulfillmentStatus": (order.get("fulfillment_status") or "unfulfilled").upper(),
        "currencyCode": order.get("currency"),
        "presentmentCurrencyCode": order.get("presentment_currency") or order.get("currency"),
        "sourceName": order.get("source_name"),
        "test": bool(order.get("test")),
        "totalPriceSet": _money_set(order, "total_price"),
        "subtotalPriceSet": _money_set(order, "subtotal_price"),
        "totalTaxSet": _money_set(order, "total_tax"),
        "totalDiscountsSet": _money_set(order, "total_discounts"),
        "totalRefundedSet": {"shopMoney": {"amount": f"{refunded:.2f}", "currencyCode": order.get("currency")}},
        "customer": {
            "id": customer.get("admin_graphql_api_id") or _gid("Customer", customer.get("id")),
            "email": customer.get("email"),
            "firstName": first,
            "lastName": last,
            "displayName": " ".join(p for p in (first, last) if p) or None,
        }
        if customer
        else None,
        "lineItems": {
            "edges": [
                {
                    "node": {
                        "id": item.get("admin_graphql_api_id") or _gid("LineItem", item.get("id")),
                        "sku": item.get("sku"),
                        "title": item.get("title") or item.get("name"),
                        "quantity": item.get("quantity"),
                        "originalUnitPriceSet": _money_set(item, "price"),
                    }
                }
                for item in order.get("line_items") or []
            ]
        },
    }


def _cursor(version) -> str:
    return base64.urlsafe_b64encode(json.dumps([version.at, version.seq]).encode()).decode()


def _decode(cursor: str) -> tuple[float, int]:
    at, seq = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    return float(at), int(seq)


def _bucket(api, cost: float) -> tuple[bool, dict]:
    """Leaky bucket: refill at RESTORE_RATE, pay `cost` if available."""
    with api.lock:
        state = api.state.setdefault("shopify_bucket", {"available": BUCKET_MAX, "t": time.monotonic()})
        now = time.monotonic()
        state["available"] = min(BUCKET_MAX, state["available"] + (now - state["t"]) * RESTORE_RATE)
        state["t"] = now
        if api.faults.take("shopify", "shopify_throttle"):
            state["available"] = 0.0
        paid = state["available"] >= cost
        if paid:
            state["available"] -= cost
        return paid, {
            "maximumAvailable": BUCKET_MAX,
            "currentlyAvailable": round(state["available"]),
            "restoreRate": RESTORE_RATE,
        }


def _graphql(api, req) -> Reply:
    body = req.json()
    query = body.get("query") or ""
    variables = body.get("variables") or {}
    if "orders" not in query:
        return json_reply(
            200,
            {
                "errors": [
                    {
                        "message": "Only the orders connection is served locally",
                        "extensions": {"code": "undefinedField"},
                    }
                ]
            },
        )

    def arg(name, cast=str):
        if name in variables:
            return variables[name]
        found = re.search(rf"(?<![$\w]){name}\s*:\s*(\"(?:[^\"\\]|\\.)*\"|[A-Za-z0-9_]+)", query)
        if not found:
            return None
        raw = found.group(1)
        return cast(json.loads(raw) if raw.startswith('"') else raw)

    first = int(arg("first", int) or 50)
    if not 1 <= first <= 250:
        return json_reply(
            200,
            {
                "errors": [
                    {
                        "message": "The first argument must be between 1 and 250",
                        "extensions": {"code": "MAX_INPUT_SIZE_EXCEEDED"},
                    }
                ]
            },
        )
    requested = 2 + first
    paid, throttle = _bucket(api, requested)
    if not paid:
        return json_reply(
            200,
            {
                "errors": [
                    {
                        "message": "Throttled",
                        "extensions": {
                            "code": "THROTTLED",
                            "documentation": "https://shopify.dev/api/usage/rate-limits",
                        },
                    }
                ],
                "extensions": {
                    "cost": {"requestedQueryCost": requested, "actualQueryCost": None, "throttleStatus": throttle}
                },
            },
        )
    res = api.store.resource("shopify", "orders")
    search = arg("query") or ""

    def select():
        rows = [v for v in res.latest(api.clock) if not v.deleted]  # ordered by (at, seq) = UPDATED_AT
        for match in _FILTER.finditer(search):
            bound, op = parse_time(match.group("value")), match.group("op") or ">="
            test = {
                ">=": lambda a, b=bound: a >= b,
                ">": lambda a, b=bound: a > b,
                "<=": lambda a, b=bound: a <= b,
                "<": lambda a, b=bound: a < b,
            }[op]
            rows = [v for v in rows if test(v.at)]
        return rows, [(v.at, v.seq) for v in rows]

    # One filtered list per (clock, search); pages are then a bisect on the cursor.
    rows, keys = res.memo(("orders", api.clock, search), select)
    after = arg("after")
    start = bisect.bisect_right(keys, _decode(after)) if after else 0
    rows = rows[start : start + first + 1]
    page = rows[:first]
    # Real Shopify refunds the difference between requested and actual cost.
    actual = 2 + len(page)
    with api.lock:
        api.state["shopify_bucket"]["available"] = min(
            BUCKET_MAX, api.state["shopify_bucket"]["available"] + requested - actual
        )
        throttle["currentlyAvailable"] = round(api.state["shopify_bucket"]["available"])
    edges = [{"cursor": _cursor(v), "node": order_node(v.obj)} for v in page]
    return json_reply(
        200,
        {
            "data": {
                "orders": {
                    "edges": edges,
                    "pageInfo": {
                        "hasNextPage": len(rows) > first,
                        "hasPreviousPage": bool(after),
                        "startCursor": edges[0]["cursor"] if edges else None,
                        "endCursor": edges[-1]["cursor"] if edges else None,
                    },
                }
            },
            "extensions": {
                "cost": {"requestedQueryCost": requested, "actualQueryCost": actual, "throttleStatus": throttle}
            },
        },
    )


def _rest_list(api, req, resource: str, key: str, base_path: str, filters: dict) -> Reply:
    limit = int(req.arg("limit", "50"))
    if not 1 <= limit <= 250:
        return _errors(400, "limit must be between 1 and 250")
    page_info = req.arg("page_info")
    if page_info:
        state = json.loads(base64.urlsafe_b64decode(page_info.encode()))
        filters, offset = state["filters"], state["offset"]
    else:
        offset = 0
    res = api.store.resource("shopify", resource)

    def by_payout():
        index: dict[str, list] = {}
        for version in res.latest(api.clock):
            if not version.deleted:
                obj = version.obj
                index.setdefault(str(obj.get("payout_id")), []).append((obj, version))
        return index

    def build():
        if filters.get("payout_id"):  # one index per clock, not a scan per payout
            rows = list(res.memo(("by-payout", api.clock), by_payout).get(str(filters["payout_id"]), []))
        else:
            rows = [(v.obj, v) for v in res.latest(api.clock) if not v.deleted]
        if filters.get("date_min"):
            rows = [r for r in rows if str(r[0].get("date", "")) >= filters["date_min"]]
        if filters.get("since_id"):
            rows = [r for r in rows if int(r[0]["id"]) > int(filters["since_id"])]
        if filters.get("payout_id"):
            rows = [r for r in rows if str(r[0].get("payout_id")) == str(filters["payout_id"])]
        if filters.get("payout_status"):
            rows = [r for r in rows if r[0].get("payout_status") == filters["payout_status"]]
        rows.sort(key=lambda r: int(r[0]["id"]), reverse=True)  # newest first, as Shopify lists
        return [v for _, v in rows]

    rows = res.memo(("rest", api.clock, json.dumps(filters, sort_keys=True)), build)
    page = rows[offset : offset + limit]
    headers = {}
    if offset + limit < len(rows):
        token = base64.urlsafe_b64encode(json.dumps({"filters": filters, "offset": offset + limit}).encode()).decode()
        headers["Link"] = f'<{api.base_url}/shopify{base_path}?limit={limit}&page_info={token}>; rel="next"'
    return json_reply(200, {key: [v.json for v in page]}, headers)


def handle(api, req) -> Reply:
    match = _PATH.match(req.path)
    if not match:
        return _errors(404, "Not Found")
    rest = match.group("rest")
    if rest == "graphql.json" and req.method == "POST":
        return _graphql(api, req)
    if req.method == "GET" and rest == "shopify_payments/payouts.json":
        filters = {k: req.arg(k) for k in ("date_min", "since_id") if req.arg(k)}
        return _rest_list(api, req, "payouts", "payouts", req.path, filters)
    if req.method == "GET" and rest == "shopify_payments/balance/transactions.json":
        filters = {k: req.arg(k) for k in ("payout_id", "payout_status", "since_id") if req.arg(k)}
        return _rest_list(api, req, "balance_transactions", "transactions", req.path, filters)
    return _errors(404, "Not Found")

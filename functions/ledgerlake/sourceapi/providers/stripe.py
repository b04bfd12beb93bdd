"""Stripe's list API (https://docs.stripe.com/api/pagination): newest first,
`limit` (1-100, default 10), `starting_after` / `ending_before` object ids,
`created[gte|gt|lte|lt]`, and `{"object": "list", "url", "has_more", "data"}` pages.

Served: `GET /v1/events`, `GET /v1/balance_transactions` (with `payout=`),
`GET /v1/payouts`.
"""

from __future__ import annotations

import base64
import bisect

from ..server import Reply, json_reply

API_VERSION = "2025-03-31.basil"


def _error(status: int, message: str, type_: str = "invalid_request_error", **more) -> Reply:
    return json_reply(
        status,
        {"error": {"message": message, "type": type_, **more}},
        {"Request-Id": "req_local", "Stripe-Version": API_VERSION},
    )


def check_auth(api, req) -> Reply | None:
    header = req.headers.get("authorization", "")
    key = None
    if header.startswith("Bearer "):
        key = header[7:].strip()
    elif header.startswith("Basic "):
        key = base64.b64decode(header[6:]).decode().split(":", 1)[0]
    if not key:
        return _error(
            401,
            "You did not provide an API key. You need to provide your API key in the "
            "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
            "YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, "
            "or we can help at https://support.stripe.com/.",
        )
    if key != api.credentials["STRIPE_API_KEY"]:
        return _error(401, f"Invalid API Key provided: {key[:8]}{'*' * 12}{key[-4:]}")
    return None


def rate_limited(api, retry_after: int) -> Reply:
    reply = _error(
        429,
        "Too many requests hit the API too quickly. We recommend an exponential backoff of your requests.",
        code="rate_limit",
    )
    reply.headers["Retry-After"] = str(retry_after)
    return reply


def server_error(api) -> Reply:
    return _error(500, "An unknown error occurred", type_="api_error")


def _created_filter(req):
    bounds = {}
    for op in ("gte", "gt", "lte", "lt"):
        value = req.arg(f"created[{op}]")
        if value is not None:
            bounds[op] = int(value)
    if req.arg("created") is not None:
        bounds["eq"] = int(req.arg("created"))
    return bounds


def _ok(created: int, bounds) -> bool:
    return (
        ("gte" not in bounds or created >= bounds["gte"])
        and ("gt" not in bounds or created > bounds["gt"])
        and ("lte" not in bounds or created <= bounds["lte"])
        and ("lt" not in bounds or created < bounds["lt"])
        and ("eq" not in bounds or created == bounds["eq"])
    )


_META = ("id", "created", "type", "source", "available_on")


def _newest_first(api, resource: str) -> list[dict]:
    """The visible objects, newest first, as small dicts of the fields lists filter on
    (`_v` keeps the version, whose bytes are what gets served)."""
    res = api.store.resource("stripe", resource)
    clock = api.clock

    def build():
        rows = []
        for version in res.latest(clock):
            if version.deleted:
                continue
            obj = version.obj
            rows.append({**{k: obj.get(k) for k in _META}, "_v": version})
        rows.sort(key=lambda r: (r["created"] or 0, r["id"] or ""), reverse=True)  # id-less corpus records too
        return rows

    return res.memo(("newest-first", clock), build)


def payout_members(api) -> dict[str, list[dict]]:
    """Which balance transactions each payout settled.

    Stripe does not put the payout on the balance transaction; the API knows it. Here:
    the version line's `refs.payout` (if the simulation records one), else
    automatic-payout semantics: a payout (its own `type: payout` transaction, `source`
    = po_...) sweeps every earlier-available transaction not yet swept.
    """
    res = api.store.resource("stripe", "balance_transactions")
    clock = api.clock

    def build():
        rows = _newest_first(api, "balance_transactions")
        members: dict[str, list[dict]] = {}
        if any((r["_v"].refs or {}).get("payout") for r in rows):
            for row in rows:
                payout = (row["_v"].refs or {}).get("payout")
                if payout:
                    members.setdefault(payout, []).append(row)
        else:
            payouts = sorted((r for r in rows if r["type"] == "payout"), key=lambda r: (r["created"], r["id"]))
            others = sorted(
                (r for r in rows if r["type"] != "payout"), key=lambda r: (r["available_on"] or r["created"], r["id"])
            )
            keys = [r["available_on"] or r["created"] for r in others]
            taken = 0
            for payout in payouts:
                upto = bisect.bisect_right(keys, payout["created"])
                members[payout["source"]] = [payout] + others[taken:upto]
                taken = max(taken, upto)
        for rows_ in members.values():
            rows_.sort(key=lambda r: (r["created"], r["id"]), reverse=True)
        return members

    return res.memo(("payout-members", clock), build)


def _list(api, req, url: str, rows: list[dict], cache_on=None) -> Reply:
    try:
        limit = int(req.arg("limit", "10"))
    except ValueError:
        return _error(400, "Invalid integer: limit", param="limit")
    if not 1 <= limit <= 100:
        return _error(400, "This value must be between 1 and 100.", param="limit")
    bounds = _created_filter(req)
    wanted_type = req.arg("type")

    def select():
        chosen = rows
        if bounds:
            chosen = [r for r in chosen if _ok(r["created"] or 0, bounds)]
        if wanted_type:
            chosen = [r for r in chosen if r["type"] == wanted_type]
        return chosen, {r["id"]: i for i, r in enumerate(chosen)}

    # Pollers ask many pages of one filtered list at one clock: index it once.
    key = ("list", url, api.clock, tuple(sorted(bounds.items())), wanted_type, req.arg("payout"))
    rows, index = cache_on.memo(key, select) if cache_on is not None else select()
    after, before = req.arg("starting_after"), req.arg("ending_before")
    if after or before:
        anchor = after or before
        if anchor not in index:
            return _error(400, f"No such object: '{anchor}'", param="starting_after" if after else "ending_before")
        i = index[anchor]
        page = rows[i + 1 : i + 1 + limit] if after else rows[max(0, i - limit) : i]
        has_more = (i + 1 + limit < len(rows)) if after else (i - limit > 0)
    else:
        page = rows[:limit]
        has_more = len(rows) > limit
    return json_reply(
        200,
        {"object": "list", "data": [r["_v"].json for r in page], "has_more": has_more, "url": url},
        {"Request-Id": "req_local", "Stripe-Version": API_VERSION},
    )


def handle(api, req) -> Reply:
    if req.method != "GET":
        return _error(405, f"Unrecognized request URL ({req.method}: {req.path}).")
    if req.path == "/v1/events":
        return _list(api, req, "/v1/events", _newest_first(api, "events"), api.store.resource("stripe", "events"))
    if req.path == "/v1/balance_transactions":
        payout = req.arg("payout")
        if payout:
            members = payout_members(api)
            if payout not in members:
                return _error(404, f"No such payout: '{payout}'", param="payout", code="resource_missing")
            return _list(api, req, "/v1/balance_transactions", members[payout])
        return _list(
            api,
            req,
            "/v1/balance_transactions",
            _newest_first(api, "balance_transactions"),
            api.store.resource("stripe", "balance_transactions"),
        )
    if req.path == "/v1/payouts":
        return _list(api, req, "/v1/payouts", _newest_first(api, "payouts"))
    return _error(
        404,
        f"Unrecognized request URL (GET: {req.path}). Please see https://stripe.com/docs "
        "or we can help at https://support.stripe.com/.",
    )

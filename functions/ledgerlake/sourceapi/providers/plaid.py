"""Plaid subset (https://plaid.com/docs/api/products/transactions/#transactionssync).

* `POST /transactions/sync` `{client_id, secret, access_token, cursor, count}` →
  `{added, modified, removed, next_cursor, has_more, accounts, request_id}`. The cursor
  is a position in the item's change history; a cursor issued mid-pagination
  (`has_more: true`) fails with `TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION` if the
  history grew since it was issued (the clock moved) or the `mutation` fault is on.
  Amounts are Plaid's: positive = money out of the account.
* `POST /accounts/get`, `POST /webhook_verification_key/get`.
Auth: `client_id` + `secret` in the body (errors are HTTP 400 `INVALID_API_KEYS`, as
Plaid answers), plus a known `access_token`.
"""

from __future__ import annotations

import base64
import json
import uuid

from ..server import Reply, json_reply

MAX_COUNT = 500


def _error(status: int, error_type: str, code: str, message: str) -> Reply:
    return json_reply(
        status,
        {
            "display_message": None,
            "documentation_url": (
                f"https://plaid.com/docs/errors/{error_type.lower().replace('_', '-')}/#{code.lower()}"
            ),
            "error_code": code,
            "error_message": message,
            "error_type": error_type,
            "request_id": uuid.uuid4().hex[:15],
            "suggested_action": None,
        },
    )


def access_tokens(api) -> set[str]:
    tokens = api.oauth.tokens_of("plaid")  # exchanged from a public_token: one per item
    if api.oauth_only:
        return tokens
    tokens.add(api.credentials["PLAID_ACCESS_TOKEN"])
    tokens.update(t.strip() for t in api.credentials.get("PLAID_ACCESS_TOKENS", "").split(",") if t.strip())
    return tokens


def check_auth(api, req) -> Reply | None:
    try:
        body = req.json()
    except ValueError:
        return _error(400, "INVALID_REQUEST", "INVALID_BODY", "body could not be parsed as JSON")
    client_id = body.get("client_id") or req.headers.get("plaid-client-id")
    secret = body.get("secret") or req.headers.get("plaid-secret")
    if not client_id or not secret:
        return _error(
            400, "INVALID_REQUEST", "MISSING_FIELDS", "the following required fields are missing: client_id, secret"
        )
    if client_id != api.credentials["PLAID_CLIENT_ID"] or secret != api.credentials["PLAID_SECRET"]:
        return _error(400, "INVALID_INPUT", "INVALID_API_KEYS", "invalid client_id or secret provided")
    if req.path != "/webhook_verification_key/get" and body.get("access_token") not in access_tokens(api):
        return _error(400, "INVALID_INPUT", "INVALID_ACCESS_TOKEN", "provided access token is in an invalid format")
    return None


def rate_limited(api, retry_after: int) -> Reply:
    reply = _error(
        429,
        "RATE_LIMIT_EXCEEDED",
        "TRANSACTIONS_SYNC_LIMIT",
        "rate limit exceeded for attempts to access this item. please try again later",
    )
    reply.headers["Retry-After"] = str(retry_after)
    return reply


def server_error(api) -> Reply:
    return _error(500, "API_ERROR", "INTERNAL_SERVER_ERROR", "an unexpected error occurred")


def _encode(seq: int, visible: int, more: bool) -> str:
    return base64.urlsafe_b64encode(json.dumps({"s": seq, "v": visible, "m": more}).encode()).decode()


def _accounts(api) -> list:
    return [v.json for v in api.store.resource("plaid", "accounts").latest(api.clock) if not v.deleted]


def _sync(api, req) -> Reply:
    body = req.json()
    count = int(body.get("count") or 100)
    if not 1 <= count <= MAX_COUNT:
        return _error(400, "INVALID_REQUEST", "INVALID_FIELD", f"count must be between 1 and {MAX_COUNT}")
    res = api.store.resource("plaid", "transactions")
    visible = res.upto(api.clock)
    start = 0
    if body.get("cursor"):
        try:
            state = json.loads(base64.urlsafe_b64decode(body["cursor"].encode()))
            start = int(state["s"])
        except (ValueError, KeyError, TypeError):
            return _error(400, "INVALID_INPUT", "INVALID_FIELD", "cursor is invalid")
        if state.get("m") and (state.get("v") != visible or api.faults.take("plaid", "plaid_mutations")):
            return _error(
                400,
                "TRANSACTIONS_ERROR",
                "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION",
                "Underlying transaction data changed since last page was fetched. "
                "Please restart pagination from last update.",
            )
    end = min(start + count, visible)
    latest: dict[str, object] = {}
    for version in res.versions[start:end]:
        latest[version.id] = version  # the newest state of each transaction in this page
    added, modified, removed = [], [], []
    for rid, version in latest.items():
        if version.deleted:
            removed.append({"transaction_id": rid, "account_id": (version.obj or {}).get("account_id")})
        elif res.by_id[rid][0].seq >= start:
            added.append(version.json)  # first seen by this client in this page
        else:
            modified.append(version.json)
    has_more = end < visible
    return json_reply(
        200,
        {
            "accounts": _accounts(api),
            "added": added,
            "modified": modified,
            "removed": removed,
            "next_cursor": _encode(end, visible, has_more),
            "has_more": has_more,
            "request_id": uuid.uuid4().hex[:15],
            "transactions_update_status": "HISTORICAL_UPDATE_COMPLETE",
        },
    )


def _verification_key(api, req) -> Reply:
    try:
        from ...sources.plaid import webhook
    except ImportError:
        webhook = None
    key_fn = getattr(webhook, "local_verification_jwk", None) if webhook else None
    if key_fn is None:
        return _error(
            400,
            "INVALID_INPUT",
            "INVALID_WEBHOOK_VERIFICATION_KEY_ID",
            "no local webhook verification key is configured",
        )
    key = key_fn()
    wanted = req.json().get("key_id")
    if wanted and wanted != key.get("kid"):
        return _error(
            400,
            "INVALID_INPUT",
            "INVALID_WEBHOOK_VERIFICATION_KEY_ID",
            "invalid key_id provided. note that key_ids are specific to Plaid environments",
        )
    return json_reply(200, {"key": key, "request_id": uuid.uuid4().hex[:15]})


def handle(api, req) -> Reply:
    if req.method != "POST":
        return _error(404, "INVALID_REQUEST", "NOT_FOUND", "not found")
    if req.path == "/transactions/sync":
        return _sync(api, req)
    if req.path == "/accounts/get":
        return json_reply(
            200,
            {
                "accounts": _accounts(api),
                "item": {
                    "item_id": "ledgerlake-local-item",
                    "institution_id": "ins_local",
                    "products": ["transactions"],
                    "webhook": "",
                },
                "request_id": uuid.uuid4().hex[:15],
            },
        )
    if req.path == "/webhook_verification_key/get":
        return _verification_key(api, req)
    return _error(404, "INVALID_REQUEST", "NOT_FOUND", f"unknown endpoint {req.path}")

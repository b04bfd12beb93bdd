"""HubSpot CRM v3 subset (https://developers.hubspot.com/docs/api/crm/search).

* `POST /crm/v3/objects/{deals|companies}/search`: `filterGroups` (OR of AND-ed filters;
  EQ/NEQ/GT/GTE/LT/LTE on any property, dates as epoch-ms or ISO), one `sorts` entry,
  `limit` ≤ 200, `after` (an offset). Results stop at 10,000 per query: no `paging.next`
  past it and a 400 for `after` ≥ 10,000, so pollers must slide their window.
  Archived records are not returned by search.
* `GET /crm/v3/objects/{type}/{id}` (the hydrator's fetch), `GET /crm/v3/pipelines/deals`.
"""

from __future__ import annotations

import re
import uuid

from ..server import Reply, json_reply
from ..store import parse_time

SEARCH_CAP = 10_000
_OBJECT = re.compile(r"^/crm/v3/objects/(?P<type>[a-z_0-9]+)(?:/(?P<id>[^/]+))?$")


def _error(status: int, message: str, category: str, **more) -> Reply:
    body = {"status": "error", "message": message, "correlationId": str(uuid.uuid4()), "category": category}
    body.update(more)
    return json_reply(status, body)


def check_auth(api, req) -> Reply | None:
    header = req.headers.get("authorization", "")
    if not header.startswith("Bearer ") or not api.accepts("hubspot", header[7:], "HUBSPOT_ACCESS_TOKEN"):
        return _error(401, "Authentication credentials not found. This API supports OAuth 2.0 authentication "
                      "and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview",
                      "INVALID_AUTHENTICATION")
    return None


def rate_limited(api, retry_after: int) -> Reply:
    reply = _error(429, "You have reached your secondly limit.", "RATE_LIMITS", errorType="RATE_LIMIT",
                   policyName="SECONDLY")
    reply.headers["Retry-After"] = str(retry_after)
    return reply


def server_error(api) -> Reply:
    return _error(502, "Bad Gateway", "INTERNAL_ERROR")


def _value(text):
    """Property values compare as time (epoch ms / ISO), number, or text."""
    if text is None:
        return None
    text = str(text)
    if re.fullmatch(r"-?\d{12,}", text):
        return int(text) / 1000.0
    if re.fullmatch(r"\d{4}-\d\d-\d\dT.*", text):
        return parse_time(text)
    try:
        return float(text)
    except ValueError:
        return text


_OPS = {
    "EQ": lambda a, b: a == b, "NEQ": lambda a, b: a != b,
    "GT": lambda a, b: a > b, "GTE": lambda a, b: a >= b,
    "LT": lambda a, b: a < b, "LTE": lambda a, b: a <= b,
}


def _matches(props: dict, group: dict) -> bool:
    for flt in group.get("filters", []):
        op = _OPS.get(flt.get("operator"))
        left, right = _value(props.get(flt["propertyName"])), _value(flt.get("value"))
        if op is None or left is None or type(left) is not type(right) or not op(left, right):
            return False
    return True


def _sort_key(text):
    value = _value(text)
    if value is None:
        return (0, 0.0, "")
    return (1, value, "") if isinstance(value, float) else (2, 0.0, value)


def _search(api, req, object_type: str) -> Reply:
    body = req.json()
    limit = int(body.get("limit", 10))
    if not 1 <= limit <= 200:
        return _error(400, "limit must be between 1 and 200", "VALIDATION_ERROR")
    offset = int(body.get("after") or 0)
    if offset >= SEARCH_CAP:
        return _error(400, f"Paging beyond {SEARCH_CAP} results is not supported; narrow the search",
                      "VALIDATION_ERROR")
    groups = body.get("filterGroups") or []
    sorts = body.get("sorts") or []
    res = api.store.resource("hubspot", object_type)

    def build():
        rows = [(v.obj, v) for v in res.latest(api.clock) if not v.deleted]
        if groups:
            rows = [r for r in rows if any(_matches(r[0].get("properties", {}), g) for g in groups)]
        if sorts:
            sort = sorts[0] if isinstance(sorts[0], dict) else {"propertyName": sorts[0].lstrip("-"),
                                                                 "direction": "DESCENDING" if sorts[0].startswith("-") else "ASCENDING"}
            prop = sort["propertyName"]
            rows.sort(key=lambda r: (_sort_key(r[0].get("properties", {}).get(prop)), int(r[0].get("id") or 0)),
                      reverse=sort.get("direction") == "DESCENDING")
        else:
            rows.sort(key=lambda r: int(r[0].get("id") or 0))
        return [v for _, v in rows]  # keep versions (bytes), not the parsed objects

    import json as _json

    rows = res.memo(("search", api.clock, _json.dumps([groups, sorts], sort_keys=True)), build)
    page = rows[offset : min(offset + limit, SEARCH_CAP)]
    out = {"total": len(rows), "results": [v.json for v in page]}
    nxt = offset + limit
    if nxt < len(rows) and nxt < SEARCH_CAP:
        out["paging"] = {"next": {"after": str(nxt)}}
    return json_reply(200, out)


def handle(api, req) -> Reply:
    if req.path == "/crm/v3/pipelines/deals" and req.method == "GET":
        rows = [v.json for v in api.store.resource("hubspot", "pipelines").latest(api.clock) if not v.deleted]
        return json_reply(200, {"results": rows})
    match = _OBJECT.match(req.path.removesuffix("/search")) if req.path.endswith("/search") else _OBJECT.match(req.path)
    if match and req.path.endswith("/search") and req.method == "POST":
        return _search(api, req, match.group("type"))
    if match and match.group("id") and req.method == "GET":
        found = api.store.resource("hubspot", match.group("type")).get(match.group("id"), api.clock)
        if found is None or found.deleted:
            return _error(404, "resource not found", "OBJECT_NOT_FOUND")
        return json_reply(200, found.json)
    return _error(404, f"Unable to route {req.method} {req.path}", "OBJECT_NOT_FOUND")

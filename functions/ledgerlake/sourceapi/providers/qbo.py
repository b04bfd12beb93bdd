"""QuickBooks Online v3 subset.

* `GET /v3/company/{realm}/cdc?entities=Invoice,Payment&changedSince=ISO` — change data
  capture: the full current payload of each changed entity, deletes as
  `{"Id", "status": "Deleted", "domain": "QBO", "MetaData": {"LastUpdatedTime"}}`, at most
  1,000 objects per response (the earliest changes first here; callers narrow the
  window by moving `changedSince` forward and asking again).
  (https://developer.intuit.com/app/developer/qbo/docs/learn/explore-the-quickbooks-online-api/change-data-capture)
* `GET /v3/company/{realm}/{entity}/{id}` — one entity, `{"Invoice": {...}, "time": ...}`.
Auth: `Authorization: Bearer <token>`; the realm in the path must be the company's.
"""

from __future__ import annotations

import heapq
import itertools
import re
from datetime import datetime, timezone

from ..server import Reply, json_reply
from ..store import parse_time

CDC_CAP = 1000
ENTITIES = ("Invoice", "Payment", "Bill", "BillPayment", "JournalEntry", "Account", "Customer",
            "Vendor", "Purchase", "Deposit", "CreditMemo", "SalesReceipt")
_BY_LOWER = {name.lower(): name for name in ENTITIES}
_PATH = re.compile(r"^/v3/company/(?P<realm>[^/]+)/(?P<what>[A-Za-z]+)(?:/(?P<id>[^/]+))?$")


def _time(epoch: float | None = None) -> str:
    moment = datetime.fromtimestamp(epoch, timezone.utc) if epoch is not None else datetime.now(timezone.utc)
    return moment.isoformat(timespec="milliseconds")


def _fault(status: int, message: str, detail: str, code: str, type_: str, api=None) -> Reply:
    return json_reply(status, {"Fault": {"Error": [{"Message": message, "Detail": detail, "code": code,
                                                    "element": ""}], "type": type_},
                               "time": _time(api.clock if api else None)},
                      {"intuit_tid": "local-tid"})


def check_auth(api, req) -> Reply | None:
    header = req.headers.get("authorization") or ""
    if not header.startswith("Bearer ") or not api.accepts("qbo", header[7:], "QBO_ACCESS_TOKEN"):
        # The gateway's 401 body (lower-case keys, as QuickBooks sends it).
        return json_reply(401, {"warnings": None, "intuitObject": None, "fault": {"error": [{
            "message": "message=AuthenticationFailed; errorCode=003200; statusCode=401",
            "detail": "Token revoked or invalid", "code": "3200", "element": None}], "type": "AUTHENTICATION"},
            "report": None, "queryResponse": None, "batchItemResponse": [], "attachableResponse": [],
            "syncErrorResponse": None, "requestId": None, "time": _time(), "status": None, "cdcresponse": []})
    return None


def rate_limited(api, retry_after: int) -> Reply:
    reply = _fault(429, "message=ThrottleExceeded; errorCode=003001; statusCode=429",
                   "The request limit was reached.", "3001", "SERVICE", api)
    reply.headers["Retry-After"] = str(retry_after)
    return reply


def server_error(api) -> Reply:
    return _fault(503, "Service Unavailable", "Please try again later.", "10000", "SystemFault", api)


def _deleted_shape(version, entity: str) -> dict:
    obj = version.obj or {}
    if obj.get("status") == "Deleted":
        return obj
    meta = obj.get("MetaData") or {}
    return {"domain": "QBO", "status": "Deleted", "Id": version.id,
            "MetaData": {"LastUpdatedTime": meta.get("LastUpdatedTime") or _time(version.at)}}


def _cdc(api, req, realm: str) -> Reply:
    names = [n.strip() for n in (req.arg("entities") or "").split(",") if n.strip()]
    unknown = [n for n in names if n.lower() not in _BY_LOWER]
    if not names or unknown:
        return _fault(400, "Invalid query", f"entities must be a list of {', '.join(ENTITIES)}", "4000",
                      "ValidationFault", api)
    try:
        since = parse_time(req.arg("changedSince") or "")
    except ValueError:
        return _fault(400, "Invalid query", "changedSince must be an ISO 8601 date-time", "4000",
                      "ValidationFault", api)
    entities = [_BY_LOWER[n.lower()] for n in names]
    streams = []
    for entity in entities:
        changed = api.store.resource("qbo", entity).changed(since, api.clock)
        streams.append([(v.at, v.seq, entity, v) for v in changed])
    # The CAP earliest changes across all entities: the response is a prefix in time,
    # so moving changedSince to its newest stamp loses nothing.
    chosen = list(itertools.islice(heapq.merge(*streams, key=lambda t: (t[0], t[1])), CDC_CAP))
    per_entity: dict[str, list] = {e: [] for e in entities}
    for _, _, entity, version in chosen:
        per_entity[entity].append(_deleted_shape(version, entity) if version.deleted else version.json)
    query_responses = []
    for entity in entities:
        rows = per_entity[entity]
        query_responses.append({entity: rows, "startPosition": 1, "maxResults": len(rows)} if rows else {})
    return json_reply(200, {"CDCResponse": [{"QueryResponse": query_responses}], "time": _time(api.clock)},
                      {"intuit_tid": "local-tid"})


def handle(api, req) -> Reply:
    match = _PATH.match(req.path)
    if not match or req.method != "GET":
        return _fault(404, "Unsupported Operation", f"{req.method} {req.path}", "500", "ValidationFault", api)
    if match.group("realm") != api.credentials["QBO_REALM_ID"]:
        return _fault(403, "message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403",
                      "Not authorized for this company", "3100", "AUTHORIZATION", api)
    what = match.group("what")
    if what == "cdc" and not match.group("id"):
        return _cdc(api, req, match.group("realm"))
    entity = _BY_LOWER.get(what.lower())
    if entity and match.group("id"):
        found = api.store.resource("qbo", entity).get(match.group("id"), api.clock)
        if found is None or found.deleted:
            return _fault(400, "Object Not Found", "Object Not Found : Something you're trying to use has been "
                          "made inactive. Check the fields with accounts, customers, items, vendors or employees.",
                          "610", "ValidationFault", api)
        return json_reply(200, {entity: found.json, "time": _time(api.clock)})
    return _fault(400, "Unsupported Operation", f"Operation {what} is not supported", "500",
                  "ValidationFault", api)

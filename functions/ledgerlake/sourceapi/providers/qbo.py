"""QuickBooks Online v3 subset.

* `GET /v3/company/{realm}/cdc?entities=Invoice,Payment&changedSince=ISO` — change data
  capture: the full current payload of each changed entity, deletes as
  `{"Id", "status": "Deleted", "domain": "QBO", "MetaData": {"LastUpdatedTime"}}`, at most
  1,000 objects per response (the earliest changes first here; callers narrow the
  window by moving `changedSince` forward and asking again).
  (https://developer.intuit.com/app/developer/qbo/docs/learn/explore-the-quickbooks-online-api/change-data-capture)
* `GET /v3/company/{realm}/{entity}/{id}` — one entity, `{"Invoice": {...}, "time": ...}`.
* `GET /v3/company/{realm}/query?query=select * from Customer where DisplayName = '…'` —
  the query language's simplest form (one entity, optional one `=` condition, optional
  `STARTPOSITION n MAXRESULTS m` paging, 1,000 at most). `Budget` is read only this way
  (it is not a CDC entity): `select * from Budget`.
* Writes (https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/invoice):
  `POST /v3/company/{realm}/invoice` creates (no `Id`) or updates (`Id` + the current
  `SyncToken`; a stale one is `5010 Stale Object Error`); `?operation=void` voids;
  `POST /v3/company/{realm}/customer` creates a customer (a taken DisplayName is `6240
  Duplicate Name Exists Error`). `?requestid=` makes a create or update idempotent: the
  same id again answers the first result and writes nothing.
Auth: `Authorization: Bearer <token>`; the realm in the path must be the company's.
"""

from __future__ import annotations

import heapq
import itertools
import re
from datetime import UTC, datetime
from decimal import Decimal

from ...sources.qbo.poll import ENTITIES, QUERY_ENTITIES  # the poller's lists: one home
from ..server import Reply, json_reply
from ..store import parse_time

CDC_CAP = 1000
_BY_LOWER = {name.lower(): name for name in ENTITIES}
_QUERYABLE = {name.lower(): name for name in (*ENTITIES, *QUERY_ENTITIES)}
QUERY_MAX = 1000
_PATH = re.compile(r"^/v3/company/(?P<realm>[^/]+)/(?P<what>[A-Za-z]+)(?:/(?P<id>[^/]+))?$")


def _time(epoch: float | None = None) -> str:
    moment = datetime.fromtimestamp(epoch, UTC) if epoch is not None else datetime.now(UTC)
    return moment.isoformat(timespec="milliseconds")


def _fault(status: int, message: str, detail: str, code: str, type_: str, api=None) -> Reply:
    return json_reply(
        status,
        {
            "Fault": {"Error": [{"Message": message, "Detail": detail, "code": code, "element": ""}], "type": type_},
            "time": _time(api.clock if api else None),
        },
        {"intuit_tid": "local-tid"},
    )


def check_auth(api, req) -> Reply | None:
    header = req.headers.get("authorization") or ""
    if not header.startswith("Bearer ") or not api.accepts("qbo", header[7:], "QBO_ACCESS_TOKEN"):
        # The gateway's 401 body (lower-case keys, as QuickBooks sends it).
        return json_reply(
            401,
            {
                "warnings": None,
                "intuitObject": None,
                "fault": {
                    "error": [
                        {
                            "message": "message=AuthenticationFailed; errorCode=003200; statusCode=401",
                            "detail": "Token revoked or invalid",
                            "code": "3200",
                            "element": None,
                        }
                    ],
                    "type": "AUTHENTICATION",
                },
                "report": None,
                "queryResponse": None,
                "batchItemResponse": [],
                "attachableResponse": [],
                "syncErrorResponse": None,
                "requestId": None,
                "time": _time(),
                "status": None,
                "cdcresponse": [],
            },
        )
    return None


def rate_limited(api, retry_after: int) -> Reply:
    reply = _fault(
        429,
        "message=ThrottleExceeded; errorCode=003001; statusCode=429",
        "The request limit was reached.",
        "3001",
        "SERVICE",
        api,
    )
    reply.headers["Retry-After"] = str(retry_after)
    return reply


def server_error(api) -> Reply:
    return _fault(503, "Service Unavailable", "Please try again later.", "10000", "SystemFault", api)


def _deleted_shape(version, entity: str) -> dict:
    obj = version.obj or {}
    if obj.get("status") == "Deleted":
        return obj
    meta = obj.get("MetaData") or {}
    return {
        "domain": "QBO",
        "status": "Deleted",
        "Id": version.id,
        "MetaData": {"LastUpdatedTime": meta.get("LastUpdatedTime") or _time(version.at)},
    }


def _cdc(api, req, realm: str) -> Reply:
    names = [n.strip() for n in (req.arg("entities") or "").split(",") if n.strip()]
    unknown = [n for n in names if n.lower() not in _BY_LOWER]
    if not names or unknown:
        return _fault(
            400, "Invalid query", f"entities must be a list of {', '.join(ENTITIES)}", "4000", "ValidationFault", api
        )
    try:
        since = parse_time(req.arg("changedSince") or "")
    except ValueError:
        return _fault(
            400, "Invalid query", "changedSince must be an ISO 8601 date-time", "4000", "ValidationFault", api
        )
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
    return json_reply(
        200,
        {"CDCResponse": [{"QueryResponse": query_responses}], "time": _time(api.clock)},
        {"intuit_tid": "local-tid"},
    )


def handle(api, req) -> Reply:
    match = _PATH.match(req.path)
    if match and req.method == "POST" and match.group("realm") == api.credentials["QBO_REALM_ID"]:
        return _write(api, req, match.group("realm"), match.group("what").lower())
    if match and req.method == "GET" and match.group("what") == "query" and not match.group("id"):
        return _query(api, req)
    if not match or req.method != "GET":
        return _fault(404, "Unsupported Operation", f"{req.method} {req.path}", "500", "ValidationFault", api)
    if match.group("realm") != api.credentials["QBO_REALM_ID"]:
        return _fault(
            403,
            "message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403",
            "Not authorized for this company",
            "3100",
            "AUTHORIZATION",
            api,
        )
    what = match.group("what")
    if what == "cdc" and not match.group("id"):
        return _cdc(api, req, match.group("realm"))
    entity = _BY_LOWER.get(what.lower())
    if entity and match.group("id"):
        found = api.store.resource("qbo", entity).get(match.group("id"), api.clock)
        if found is None or found.deleted:
            return _fault(
                400,
                "Object Not Found",
                "Object Not Found : Something you're trying to use has been "
                "made inactive. Check the fields with accounts, customers, items, vendors or employees.",
                "610",
                "ValidationFault",
                api,
            )
        return json_reply(200, {entity: found.json, "time": _time(api.clock)})
    return _fault(400, "Unsupported Operation", f"Operation {what} is not supported", "500", "ValidationFault", api)


# -- writes ----------------------------------------------------------------------------------

_QUERY = re.compile(
    r"^\s*select\s+\*\s+from\s+(?P<entity>\w+)"
    r"(?:\s+where\s+(?P<field>\w+)\s*=\s*'(?P<value>(?:[^'\\]|\\.)*)')?"
    r"(?:\s+startposition\s+(?P<start>\d+))?(?:\s+maxresults\s+(?P<max>\d+))?\s*$",
    re.IGNORECASE,
)
# The items the simulated company sells and the income account each posts to (QuickBooks
# derives a line's ItemAccountRef from its item; callers never send it).
ITEMS = {"1": ("Services", "Services Revenue"), "2": ("Subscription", "Subscription Revenue")}
TERMS = {"1": ("Due on receipt", 0), "2": ("Net 15", 15), "3": ("Net 30", 30), "4": ("Net 45", 45), "5": ("Net 60", 60)}


def _validation(api, message: str, detail: str, code: str) -> Reply:
    return _fault(400, message, detail, code, "ValidationFault", api)


def _latest(api, entity: str) -> list:
    return [v for v in api.store.resource("qbo", entity).latest(api.clock) if not v.deleted]


def _query(api, req) -> Reply:
    match = _QUERY.match(req.arg("query") or "")
    entity = _QUERYABLE.get((match.group("entity") if match else "").lower())
    if not match or not entity:
        return _validation(api, "Error parsing query", f'QueryParserError: Encountered "{req.arg("query")}"', "4000")
    rows = [v.obj for v in _latest(api, entity)]
    if match.group("field"):
        wanted = match.group("value").replace("\\'", "'")
        rows = [r for r in rows if str(r.get(match.group("field"), "")) == wanted]
    start = max(1, int(match.group("start") or 1))
    rows = rows[start - 1 : start - 1 + min(QUERY_MAX, int(match.group("max") or QUERY_MAX))]
    answer = {entity: rows, "startPosition": start, "maxResults": len(rows)} if rows else {}
    return json_reply(200, {"QueryResponse": answer, "time": _time(api.clock)})


def _next_id(api) -> str:
    """QuickBooks Ids are one integer sequence per company, across entity types."""
    state = api.state.setdefault("qbo", {})
    if "next_id" not in state:
        ids = [int(v.id) for res in api.store.resources.get("qbo", {}).values() for v in res.versions if v.id.isdigit()]
        state["next_id"] = max(ids, default=100)
    state["next_id"] += 1
    return str(state["next_id"])


def _write(api, req, realm: str, what: str) -> Reply:
    from .. import writes

    request_id = req.arg("requestid")
    return writes.once(api, f"qbo:{realm}:{request_id}" if request_id else None, lambda: _write_now(api, req, what))


def _write_now(api, req, what: str) -> Reply:
    from .. import writes

    try:
        body = writes.body_json(req)
    except ValueError:
        return _validation(
            api,
            "Request has invalid or unsupported property",
            "Request has invalid or unsupported property: the body is not JSON",
            "2010",
        )
    if not isinstance(body, dict):
        return _validation(api, "Request has invalid or unsupported property", "an object is expected", "2010")
    if what == "invoice":
        return _write_invoice(api, req, body)
    if what == "customer":
        return _write_customer(api, body)
    return _fault(400, "Unsupported Operation", f"Operation {what} is not supported", "500", "ValidationFault", api)


def _stale(api, current: dict, body: dict) -> Reply | None:
    if str(body.get("SyncToken")) != str(current.get("SyncToken")):
        return _validation(
            api,
            "Stale Object Error",
            "Stale Object Error : You and ledgerlake were working on "
            "this at the same time. ledgerlake finished before you did, so your work was not saved.",
            "5010",
        )
    return None


def _meta(at: float, created: str | None = None) -> dict:
    now = _time(at)
    return {"CreateTime": created or now, "LastUpdatedTime": now}


def _write_customer(api, body: dict) -> Reply:
    from .. import writes

    name = (body.get("DisplayName") or "").strip()
    if not name and not body.get("Id"):
        return _validation(
            api,
            "Required param missing, need to supply the required value for the API",
            "Required parameter DisplayName is missing in the request",
            "2020",
        )
    if not body.get("Id"):
        if any(v.obj.get("DisplayName") == name for v in _latest(api, "Customer")):
            return _validation(
                api,
                "Duplicate Name Exists Error",
                "The name supplied already exists. : Another "
                "customer, vendor or employee is already using this name. Please use a different "
                "name.",
                "6240",
            )
        cid = _next_id(api)
        obj = {
            "Taxable": False,
            "Job": False,
            "BillWithParent": False,
            "Balance": 0,
            "BalanceWithJobs": 0,
            "CurrencyRef": {"value": "USD", "name": "United States Dollar"},
            "PreferredDeliveryMethod": "Email",
            "IsProject": False,
            "domain": "QBO",
            "sparse": False,
            "Id": cid,
            "SyncToken": "0",
            "FullyQualifiedName": name,
            "CompanyName": body.get("CompanyName") or name,
            "DisplayName": name,
            "PrintOnCheckName": name,
            "Active": True,
            **{k: v for k, v in body.items() if k in ("PrimaryEmailAddr", "BillAddr", "Notes")},
        }
        obj = writes.record(api, "qbo", "Customer", cid, lambda at: {**obj, "MetaData": _meta(at)}, method="create")
        return json_reply(200, {"Customer": obj, "time": _time(api.clock)})
    return _fault(
        400, "Unsupported Operation", "customer updates are not supported here", "500", "ValidationFault", api
    )


def _invoice_lines(api, lines: list) -> tuple[list, Decimal] | Reply:
    accounts = {v.obj.get("Name"): v.obj for v in _latest(api, "Account")}
    out, total = [], Decimal(0)
    for n, line in enumerate(ln for ln in lines if ln.get("DetailType") == "SalesItemLineDetail"):
        detail = dict(line.get("SalesItemLineDetail") or {})
        if line.get("Amount") is None:
            return _validation(
                api,
                "Required param missing, need to supply the required value for the API",
                "Required parameter Line.Amount is missing in the request",
                "2020",
            )
        item = ITEMS.get(str((detail.get("ItemRef") or {}).get("value", "1")))
        if item is None:
            return _validation(
                api,
                "Invalid Reference Id",
                "Invalid Reference Id : Item assigned to this transaction has been deleted or does not exist.",
                "2500",
            )
        amount = Decimal(str(line["Amount"]))
        qty = Decimal(str(detail.get("Qty", 1)))
        price = Decimal(str(detail.get("UnitPrice", amount)))
        if (qty * price).quantize(Decimal("0.01")) != amount:
            return _validation(
                api,
                "A business validation error has occurred while processing your request",
                f"Business Validation Error: Amount is not equal to UnitPrice * Qty. Supplied value:{amount}",
                "6070",
            )
        account = accounts.get(item[1]) or {}
        detail.update(
            {
                "ItemRef": {"value": str((detail.get("ItemRef") or {}).get("value", "1")), "name": item[0]},
                "UnitPrice": price,
                "Qty": qty,
                "ItemAccountRef": {"value": account.get("Id", ""), "name": item[1]},
                "TaxCodeRef": detail.get("TaxCodeRef") or {"value": "NON"},
            }
        )
        out.append(
            {
                "Id": str(n + 1),
                "LineNum": n + 1,
                "Description": line.get("Description", ""),
                "Amount": amount,
                "DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": detail,
            }
        )
        total += amount
    if not out:
        return _validation(
            api,
            "A business validation error has occurred while processing your request",
            "Business Validation Error: You must fill out at least one split line.",
            "6000",
        )
    out.append({"Amount": total, "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}})
    return out, total


def _write_invoice(api, req, body: dict) -> Reply:
    from datetime import date, timedelta

    from .. import writes

    res = api.store.resource("qbo", "Invoice")
    if body.get("Id"):  # update or void: the current SyncToken is required
        found = res.get(str(body["Id"]), api.clock)
        if found is None or found.deleted:
            return _validation(
                api,
                "Object Not Found",
                "Object Not Found : Something you're trying to use has "
                "been made inactive. Check the fields with accounts, customers, items, vendors or "
                "employees.",
                "610",
            )
        current = found.obj
        stale = _stale(api, current, body)
        if stale is not None:
            return stale
        if req.arg("operation") == "void":
            updated = dict(
                current,
                Balance=0,
                TotalAmt=0,
                PrivateNote=("Voided " + (current.get("PrivateNote") or "")).strip(),
                Line=[dict(ln, Amount=0) for ln in current.get("Line", [])],
            )
        elif body.get("sparse"):
            updated = {**current, **{k: v for k, v in body.items() if k not in ("Id", "SyncToken", "sparse")}}
        else:
            updated = {**body}
        updated.update({"SyncToken": str(int(current.get("SyncToken", "0")) + 1)})
        created = (current.get("MetaData") or {}).get("CreateTime")
        updated = writes.record(
            api,
            "qbo",
            "Invoice",
            str(body["Id"]),
            lambda at: {**updated, "MetaData": _meta(at, created)},
            method="update",
        )
        return json_reply(200, {"Invoice": updated, "time": _time(api.clock)})
    customer_id = str((body.get("CustomerRef") or {}).get("value") or "")
    if not customer_id:
        return _validation(
            api,
            "Required param missing, need to supply the required value for the API",
            "Required parameter CustomerRef is missing in the request",
            "2020",
        )
    customer = api.store.resource("qbo", "Customer").get(customer_id, api.clock)
    if customer is None or customer.deleted:
        return _validation(
            api,
            "Invalid Reference Id",
            f"Invalid Reference Id : Customer assigned to this "
            f"transaction has been deleted. Before you can modify this transaction, you must restore "
            f"{customer_id} (deleted).",
            "2500",
        )
    currency = (body.get("CurrencyRef") or {}).get("value", "USD")
    if currency != "USD":
        return _validation(
            api,
            "A business validation error has occurred while processing your request",
            "Business Validation Error: Multicurrency is not turned on: the transaction must be in "
            "the home currency (USD).",
            "6000",
        )
    built = _invoice_lines(api, body.get("Line") or [])
    if isinstance(built, Reply):
        return built
    lines, total = built
    today = datetime.fromtimestamp(api.clock, UTC).date()
    txn_date = date.fromisoformat(body.get("TxnDate") or today.isoformat())
    term = str((body.get("SalesTermRef") or {}).get("value") or "3")
    if term not in TERMS:
        return _validation(api, "Invalid Reference Id", "Invalid Reference Id : Term does not exist.", "2500")
    doc_number = body.get("DocNumber")
    if not doc_number:  # auto-numbering: the next number after the highest numeric one
        numbers = [
            int(v.obj.get("DocNumber")) for v in _latest(api, "Invoice") if str(v.obj.get("DocNumber") or "").isdigit()
        ]
        doc_number = str(max(numbers, default=1000) + 1)
    iid = _next_id(api)
    cust = customer.obj
    obj = {
        "AllowIPNPayment": False,
        "AllowOnlinePayment": False,
        "AllowOnlineCreditCardPayment": False,
        "AllowOnlineACHPayment": False,
        "domain": "QBO",
        "sparse": False,
        "Id": iid,
        "SyncToken": "0",
        "CustomField": [
            {
                "DefinitionId": str(f.get("DefinitionId", "1")),
                "Name": "HubSpot Deal",
                "Type": "StringType",
                "StringValue": f.get("StringValue", ""),
            }
            for f in body.get("CustomField") or []
        ],
        "DocNumber": doc_number,
        "TxnDate": txn_date.isoformat(),
        "CurrencyRef": {"value": "USD", "name": "United States Dollar"},
        "PrivateNote": body.get("PrivateNote", ""),
        "LinkedTxn": [],
        "Line": lines,
        "TxnTaxDetail": {"TotalTax": 0},
        "CustomerRef": {"value": customer_id, "name": cust.get("DisplayName")},
        "CustomerMemo": body.get("CustomerMemo") or {"value": ""},
        "BillEmail": body.get("BillEmail") or cust.get("PrimaryEmailAddr") or {},
        "SalesTermRef": {"value": term, "name": TERMS[term][0]},
        "DueDate": body.get("DueDate") or (txn_date + timedelta(days=TERMS[term][1])).isoformat(),
        "TotalAmt": total,
        "ApplyTaxAfterDiscount": False,
        "PrintStatus": "NotSet",
        "EmailStatus": "NeedToSend" if body.get("EmailStatus") == "NeedToSend" else "NotSet",
        "Balance": total,
        "Deposit": 0,
    }
    obj = writes.record(api, "qbo", "Invoice", iid, lambda at: {**obj, "MetaData": _meta(at)}, method="create")
    return json_reply(200, {"Invoice": obj, "time": _time(api.clock)})

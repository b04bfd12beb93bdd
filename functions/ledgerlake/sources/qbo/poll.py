"""QuickBooks Online poller: change data capture for the ledger's entities.

`GET /v3/company/{realm}/cdc?entities=…&changedSince=…` returns every entity changed
since then (deletes as `status: "Deleted"`), at most 1,000 objects per response. A
response at the cap is treated as a prefix: `changedSince` moves to its newest
`MetaData.LastUpdatedTime` and the call repeats (inclusive, so boundary objects repeat).
The cursor moves after each landed response.

CDC looks back at most 30 days on the real service: a first backfill further back
needs the query API (not implemented; see docs/polling.md).

Budgets are not a CDC entity: `select * from Budget` through the query API, paged with
STARTPOSITION / MAXRESULTS, every run (a company keeps a handful). A page identical to one
already landed lands on the same key (a no-op); staging keeps each budget's latest version.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

from ...polling.dedupe import Record, page_time, utc_stamp
from ...polling.runner import Boundary

SOURCE = "qbo"
DEFAULT_BASE_URL = "https://quickbooks.api.intuit.com"
STREAMS = ("cdc", "budget")
ENTITIES = (
    "Invoice",
    "Payment",
    "Bill",
    "BillPayment",
    "JournalEntry",
    "Account",
    "Customer",
    "Vendor",
    "Purchase",
    "Deposit",
    "CreditMemo",
    "SalesReceipt",
    # dimensions: the class and department (location) lists documents reference
    "Class",
    "Department",
)
QUERY_ENTITIES = ("Budget",)  # read with the query API only (not in CDC)
QUERY_PAGE = 1000
CDC_CAP = 1000
EPOCH_START = "2000-01-01T00:00:00Z"  # "everything" for an empty cursor against the local API


def _headers(ctx) -> dict[str, str]:
    return {"Accept": "application/json"}


def _objects(doc: dict):
    for block in doc.get("CDCResponse") or []:
        for response in (block.get("QueryResponse") or []) if isinstance(block, dict) else []:
            for entity, rows in response.items() if isinstance(response, dict) else ():
                if isinstance(rows, list):
                    for row in rows:
                        if isinstance(row, dict):
                            yield entity, row


def _stamp(row: dict) -> str:
    """`MetaData.LastUpdatedTime` (optional in Intuit's schema: '' when absent)."""
    meta = row.get("MetaData")
    return utc_stamp(meta.get("LastUpdatedTime")) if isinstance(meta, dict) else ""


def poll(ctx) -> None:
    _cdc(ctx)
    if not ctx.out_of_time():
        _budgets(ctx)


def _budgets(ctx) -> None:
    realm = ctx.secret("QBO_REALM_ID")
    start = 1
    while not ctx.out_of_time():
        query = f"select * from Budget STARTPOSITION {start} MAXRESULTS {QUERY_PAGE}"
        params = {"query": query, "minorversion": "75"}
        response = ctx.http.request(
            "GET",
            f"{ctx.base_url}/v3/company/{realm}/query",
            params=params,
            headers=_headers(ctx),
            auth=ctx.auth("QBO_ACCESS_TOKEN"),
        ).expect_ok()
        answer = response.json().get("QueryResponse") or {}
        rows = [r for r in answer.get("Budget") or [] if isinstance(r, dict)]
        if not rows:
            return
        stamps = [_stamp(r) for r in rows]
        ctx.land_page(
            "budget",
            request={"path": "/v3/company/{realm}/query", "params": params},
            body=response.body,
            records=len(rows),
            page_time=page_time(stamps, None),
            # the envelope's `time` differs per call; the page is the budgets
            fingerprint=hashlib.sha256(json.dumps(rows, sort_keys=True).encode()).hexdigest(),
            headers=response.headers,
        )
        if len(rows) < QUERY_PAGE:
            return
        start += QUERY_PAGE


def _cdc(ctx) -> None:
    state = ctx.start("cdc") or {}
    boundary = Boundary(state)
    since = (
        ctx.since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        if ctx.since
        else state.get("changed_since", EPOCH_START)
    )
    realm = ctx.secret("QBO_REALM_ID")
    path = f"/v3/company/{realm}/cdc"
    while not ctx.out_of_time():
        params = {"entities": ",".join(ENTITIES), "changedSince": since, "minorversion": "75"}
        response = ctx.http.request(
            "GET", ctx.base_url + path, params=params, headers=_headers(ctx), auth=ctx.auth("QBO_ACCESS_TOKEN")
        ).expect_ok()
        doc = response.json()
        objects = list(_objects(doc))
        if not objects:
            return
        stamps = [_stamp(row) for _, row in objects]
        # A record without a stamp counts as changed at the window start: it can never
        # move the cursor past anything.
        window = utc_stamp(since)
        items = [
            (f"{kind}:{row.get('Id', '')}", (stamp or window)[:19] + "Z") for (kind, row), stamp in zip(objects, stamps)
        ]
        if boundary.all_seen(items):
            return  # only the objects at the cursor's second, landed last run
        ctx.land_page(
            "cdc",
            request={"path": "/v3/company/{realm}/cdc", "params": params},
            body=response.body,
            records=len(objects),
            page_time=page_time(stamps, datetime.fromisoformat(window.replace("Z", "+00:00"))),
            fingerprint=hashlib.sha256(json.dumps(doc.get("CDCResponse"), sort_keys=True).encode()).hexdigest(),
            headers=response.headers,
        )
        boundary.advance(items)
        newest = boundary.stamp
        ctx.save_cursor("cdc", {"changed_since": newest, **boundary.to_json()})
        if len(objects) < CDC_CAP:
            return
        if newest == since:
            raise RuntimeError(f"more than {CDC_CAP} QuickBooks objects changed at {since}: cannot narrow the window")
        since = newest


def page_records(entity: str, payload: dict):
    if entity == "budget":
        for row in (payload.get("QueryResponse") or {}).get("Budget") or []:
            if isinstance(row, dict):
                yield Record("Budget", str(row.get("Id", "")), _stamp(row), False, row)
        return
    for kind, row in _objects(payload):
        yield Record(kind, str(row.get("Id", "")), _stamp(row), row.get("status") == "Deleted", row)

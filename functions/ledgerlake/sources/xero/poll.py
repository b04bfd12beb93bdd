"""Xero poller: the accounting endpoints with `If-Modified-Since` and `page`.

Each endpoint is read in `UpdatedDateUTC` order. Page-number paging shifts when a
record changes mid-walk (it jumps to the end and an unseen record slides onto a page
already read), so the walk is keyset-like: after each landed page the cursor moves to
the newest `UpdatedDateUTC` on it (floored to the second, the header's precision) and
the next request is page 1 from there; only when a whole page shares one second does
it step to page 2, 3, ... Boundary records repeat in raw; nothing is skipped.
Dates arrive as `/Date(1439434356790+0000)/`.

`TrackingCategories` (the dimensions documents' line items are tracked by) has no
`UpdatedDateUTC` and no paging: the whole list, archived categories and options included, is
read on every run and landed when it differs from what is in raw (a page's identity is its
content, so an unchanged list lands nothing). It is a few rows.

Tolerant reader: `UpdatedDateUTC` (and even the id) is optional in Xero's published
schemas, so a record without one lands like any other; it only cannot move the cursor
(it is stamped with the window's start, so the cursor never passes it) and staging
decides whether it can be used.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

from ...polling.dedupe import Record, page_time, stamp_time, utc_stamp
from ...polling.runner import Boundary

SOURCE = "xero"
DEFAULT_BASE_URL = "https://api.xero.com"
RESOURCES = {  # endpoint -> id field
    "Invoices": "InvoiceID",
    "Payments": "PaymentID",
    "BankTransactions": "BankTransactionID",
    "CreditNotes": "CreditNoteID",
    "Accounts": "AccountID",
    "Contacts": "ContactID",
    "ManualJournals": "ManualJournalID",
    "TrackingCategories": "TrackingCategoryID",
}
LISTS = {"TrackingCategories"}  # read whole every run (no UpdatedDateUTC to move a cursor on)
STREAMS = tuple(name.lower() for name in RESOURCES)
UNPAGED = {"Accounts"}
PAGE_SIZE = 100


def _headers(ctx, since: datetime | None) -> dict[str, str]:
    headers = {
        "Xero-tenant-id": ctx.setting("XERO_TENANT_ID") or ctx.secret("XERO_TENANT_ID"),
        "Accept": "application/json",
    }
    if since is not None:
        headers["If-Modified-Since"] = since.strftime("%Y-%m-%dT%H:%M:%S")
    return headers


def _updated(row, floor: float) -> float:
    """The record's `UpdatedDateUTC` in epoch seconds; `floor` (the window start) when it
    has none or it cannot be read."""
    moment = stamp_time(utc_stamp(row.get("UpdatedDateUTC") if isinstance(row, dict) else None))
    return moment.timestamp() if moment is not None else floor


def _id(row, id_field: str) -> str:
    return str(row.get(id_field, "")) if isinstance(row, dict) else ""


def _get(ctx, resource: str, params: dict, since: datetime | None):
    """One GET of a resource: (the response, its JSON, its records)."""
    response = ctx.http.request(
        "GET",
        f"{ctx.base_url}/api.xro/2.0/{resource}",
        params=params,
        headers=_headers(ctx, since),
        auth=ctx.auth("XERO_ACCESS_TOKEN"),
    ).expect_ok()
    doc = response.json()
    return response, doc, doc.get(resource) or []


def _walk(ctx, resource: str) -> None:
    stream = resource.lower()
    state = ctx.start(stream) or {}
    boundary = Boundary(state)
    since = (
        ctx.since
        if ctx.since
        else (
            datetime.fromisoformat(state["modified_since"].replace("Z", "+00:00"))
            if state.get("modified_since")
            else None
        )
    )
    page_no = 1
    size = ctx.page_size or PAGE_SIZE
    while not ctx.out_of_time():
        params = {} if resource in UNPAGED else {"page": page_no, "pageSize": size, "order": "UpdatedDateUTC ASC"}
        response, _, rows = _get(ctx, resource, params, since)
        id_field = RESOURCES[resource]
        floor = since.timestamp() if since else 0.0
        updated = [_updated(r, floor) for r in rows]
        items = [(_id(r, id_field), int(u)) for r, u in zip(rows, updated)]
        if rows and not boundary.all_seen(items):
            ctx.land_page(
                stream,
                request={
                    "path": f"/api.xro/2.0/{resource}",
                    "params": params,
                    "if_modified_since": since.isoformat() if since else None,
                },
                body=response.body,
                records=len(rows),
                page_time=page_time(
                    [utc_stamp(r.get("UpdatedDateUTC")) for r in rows if isinstance(r, dict)],
                    datetime.fromtimestamp(floor, UTC) if since else None,
                ),
                # The envelope's Id and DateTimeUTC differ per call; the page is the records.
                fingerprint=hashlib.sha256(json.dumps(rows, sort_keys=True).encode()).hexdigest(),
                headers=response.headers,
            )
        if rows:
            boundary.advance(items)
            floored = datetime.fromtimestamp(boundary.stamp, UTC)
            ctx.save_cursor(
                stream, {"modified_since": floored.isoformat().replace("+00:00", "Z"), **boundary.to_json()}
            )
        if resource in UNPAGED or len(rows) < size:
            return
        floored = datetime.fromtimestamp(int(max(updated)), UTC)
        if (since is not None and floored <= since) or (since is None and max(updated) == 0.0):
            page_no += 1  # a whole page within one second: step past it
        else:
            since, page_no = floored, 1


def _list(ctx, resource: str) -> None:
    """A small list read whole: landed when its records differ from the last landed list
    (the cursor keeps that list's fingerprint), filed under the answer's `DateTimeUTC`."""
    stream = resource.lower()
    state = ctx.start(stream) or {}
    params = {"includeArchived": "true"}
    response, doc, rows = _get(ctx, resource, params, None)
    fingerprint = hashlib.sha256(json.dumps(rows, sort_keys=True).encode()).hexdigest()
    if not rows or state.get("fingerprint") == fingerprint:
        return
    answered = stamp_time(utc_stamp(doc.get("DateTimeUTC")))
    ctx.land_page(
        stream,
        request={"path": f"/api.xro/2.0/{resource}", "params": params},
        body=response.body,
        records=len(rows),
        page_time=answered or datetime.now(UTC),
        fingerprint=fingerprint,
        headers=response.headers,
    )
    ctx.save_cursor(stream, {"fingerprint": fingerprint})


def poll(ctx) -> None:
    for resource in RESOURCES:
        if ctx.out_of_time():
            return
        (_list if resource in LISTS else _walk)(ctx, resource)


def page_records(entity: str, payload: dict):
    resource = next(name for name in RESOURCES if name.lower() == entity)
    id_field = RESOURCES[resource]
    for row in payload.get(resource) or []:
        if not isinstance(row, dict):
            continue  # not a record at all; the page itself stays in raw
        yield Record(
            resource[:-3] + "y" if resource.endswith("ies") else resource[:-1] if resource.endswith("s") else resource,
            _id(row, id_field),
            utc_stamp(row.get("UpdatedDateUTC")),
            row.get("Status") == "DELETED",
            row,
        )

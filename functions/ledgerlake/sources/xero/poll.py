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

Budgets (`GET /Budgets`, then `GET /Budgets/{id}?DateFrom&DateTo` for the lines, at most 24
months per request): a budget is read again when its `UpdatedDateUTC` moved or the month
turned since it was last read, for the 24 months to the current one and the 12 after it
(two requests; "now" is the list response's own `DateTimeUTC`). Each answer lands as a page
of entity `budgets`; staging keeps each (budget, account, period)'s latest balance.

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
STREAMS = (*(name.lower() for name in RESOURCES), "budgets")
BUDGET_WINDOWS = ((-23, 0), (1, 12))  # months relative to the current one, each <= 24 months
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


def _get(ctx, path: str, params: dict, since: datetime | None = None):
    """One authorised GET of the accounting API (`path` under /api.xro/2.0/)."""
    return ctx.http.request(
        "GET",
        f"{ctx.base_url}/api.xro/2.0/{path}",
        params=params,
        headers=_headers(ctx, since),
        auth=ctx.auth("XERO_ACCESS_TOKEN"),
    ).expect_ok()


def _updated(row, floor: float) -> float:
    """The record's `UpdatedDateUTC` in epoch seconds; `floor` (the window start) when it
    has none or it cannot be read."""
    moment = stamp_time(utc_stamp(row.get("UpdatedDateUTC") if isinstance(row, dict) else None))
    return moment.timestamp() if moment is not None else floor


def _id(row, id_field: str) -> str:
    return str(row.get(id_field, "")) if isinstance(row, dict) else ""


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
        response = _get(ctx, resource, params, since)
        doc = response.json()
        rows = doc.get(resource) or []
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
    response = _get(ctx, resource, params)
    doc = response.json()
    rows = doc.get(resource) or []
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
    if not ctx.out_of_time():
        _budgets(ctx)


def _month_span(now: datetime, first: int, last: int) -> tuple[str, str]:
    """DateFrom / DateTo covering months `first`..`last` relative to `now`'s month."""

    def month(offset: int) -> tuple[int, int]:
        index = now.year * 12 + now.month - 1 + offset
        return index // 12, index % 12 + 1

    (y1, m1), (y2, m2) = month(first), month(last + 1)
    end = datetime(y2, m2, 1, tzinfo=UTC).timestamp() - 86400
    return f"{y1:04d}-{m1:02d}-01", datetime.fromtimestamp(end, UTC).strftime("%Y-%m-%d")


def _budgets(ctx) -> None:
    doc = _get(ctx, "Budgets", {}).json()
    now = stamp_time(utc_stamp(doc.get("DateTimeUTC"))) or datetime.now(UTC)
    seen = (None if ctx.since else (ctx.start("budgets") or {}).get("budgets")) or {}
    month = now.strftime("%Y-%m")
    read = dict(seen)
    for budget in doc.get("Budgets") or []:
        budget_id = _id(budget, "BudgetID")
        version = [str(budget.get("UpdatedDateUTC") or ""), month]
        if not budget_id or seen.get(budget_id) == version:
            continue
        for first, last in BUDGET_WINDOWS:
            if ctx.out_of_time():
                return
            date_from, date_to = _month_span(now, first, last)
            params = {"DateFrom": date_from, "DateTo": date_to}
            response = _get(ctx, f"Budgets/{budget_id}", params)
            rows = response.json().get("Budgets") or []
            ctx.land_page(
                "budgets",
                request={"path": f"/api.xro/2.0/Budgets/{budget_id}", "params": params},
                body=response.body,
                records=len(rows),
                page_time=page_time([utc_stamp(r.get("UpdatedDateUTC")) for r in rows if isinstance(r, dict)], now),
                fingerprint=hashlib.sha256(json.dumps(rows, sort_keys=True).encode()).hexdigest(),
                headers=response.headers,
            )
        read[budget_id] = version
        ctx.save_cursor("budgets", {"budgets": read})


def page_records(entity: str, payload: dict):
    if entity == "budgets":
        for row in payload.get("Budgets") or []:
            if isinstance(row, dict):
                yield Record("Budget", _id(row, "BudgetID"), utc_stamp(row.get("UpdatedDateUTC")), False, row)
        return
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

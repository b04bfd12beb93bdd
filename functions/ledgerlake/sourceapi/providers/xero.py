"""Xero Accounting API subset (https://developer.xero.com/documentation/api/accounting/overview).

* `GET /api.xro/2.0/{Invoices|Payments|BankTransactions|CreditNotes|Contacts|ManualJournals}`
  with `If-Modified-Since` (records modified at or after it), `page` (1-based, 100 per
  page; `pageSize` up to 1,000), ordered by `UpdatedDateUTC` ascending. `Accounts` is
  not paged. Dates in payloads are Microsoft JSON dates, `/Date(1439434356790+0000)/`.
* `GET /api.xro/2.0/{Resource}/{id}` — one record, in the same envelope.
Auth: `Authorization: Bearer <token>` plus `Xero-tenant-id`.
"""

from __future__ import annotations

import email.utils
import re
import uuid
from datetime import timezone

from ..server import Reply, json_reply
from ..store import parse_time

RESOURCES = {
    "invoices": "Invoices", "payments": "Payments", "banktransactions": "BankTransactions",
    "creditnotes": "CreditNotes", "accounts": "Accounts", "contacts": "Contacts",
    "manualjournals": "ManualJournals",
}
UNPAGED = {"Accounts"}
PAGE_SIZE = 100
_PATH = re.compile(r"^/api\.xro/2\.0/(?P<resource>[A-Za-z]+)(?:/(?P<id>[^/]+))?$")


def ms_date(epoch: float) -> str:
    """Xero's JSON date: /Date(milliseconds+0000)/."""
    return f"/Date({round(epoch * 1000)}+0000)/"


def _problem(status: int, title: str, detail: str, headers=None) -> Reply:
    return json_reply(status, {"Type": None, "Title": title, "Status": status, "Detail": detail,
                               "Instance": str(uuid.uuid4()), "Extensions": {}}, headers)


def check_auth(api, req) -> Reply | None:
    header = req.headers.get("authorization") or ""
    if not header.startswith("Bearer ") or not api.accepts("xero", header[7:], "XERO_ACCESS_TOKEN"):
        return _problem(401, "Unauthorized", "AuthenticationUnsuccessful",
                        {"WWW-Authenticate": 'OAuth Realm="api.xero.com"'})
    if req.headers.get("xero-tenant-id") != api.credentials["XERO_TENANT_ID"]:
        return _problem(403, "Forbidden", "AuthenticationUnsuccessful")
    return None


def rate_limited(api, retry_after: int) -> Reply:
    return _problem(429, "Too Many Requests", "Rate limit exceeded",
                    {"Retry-After": str(retry_after), "X-Rate-Limit-Problem": "minute"})


def server_error(api) -> Reply:
    return _problem(503, "Service Unavailable", "The Xero API is temporarily unavailable")


def parse_if_modified_since(value: str) -> float:
    """Xero accepts `2025-01-31T10:00:00` (UTC) and RFC 1123 dates."""
    value = value.strip()
    if re.match(r"^\d{4}-\d\d-\d\d", value):
        return parse_time(value)
    moment = email.utils.parsedate_to_datetime(value)
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).timestamp()


def _envelope(api, resource: str, rows: list) -> dict:
    return {"Id": str(uuid.uuid4()), "Status": "OK", "ProviderName": "ledgerlake local API",
            "DateTimeUTC": ms_date(api.clock), resource: rows}


def handle(api, req) -> Reply:
    match = _PATH.match(req.path)
    resource = RESOURCES.get((match.group("resource") if match else "").lower())
    if not match or not resource or req.method != "GET":
        return Reply(404, b"The resource you're looking for cannot be found", {"Content-Type": "text/plain"})
    res = api.store.resource("xero", resource)
    if match.group("id"):
        found = res.get(match.group("id"), api.clock)
        if found is None:
            return Reply(404, b"The resource you're looking for cannot be found", {"Content-Type": "text/plain"})
        return json_reply(200, _envelope(api, resource, [found.json]))
    since_header = req.headers.get("if-modified-since")
    try:
        since = parse_if_modified_since(since_header) if since_header else None
    except (TypeError, ValueError):
        return _problem(400, "Bad Request", f"Invalid If-Modified-Since: {since_header}")
    rows = res.changed(since, api.clock)  # ordered by UpdatedDateUTC ascending
    if resource not in UNPAGED and req.arg("page"):
        page = max(1, int(req.arg("page")))
        size = min(1000, max(1, int(req.arg("pageSize", str(PAGE_SIZE)))))
        rows = rows[(page - 1) * size : page * size]
    return json_reply(200, _envelope(api, resource, [v.json for v in rows]))

"""Xero Accounting API subset (https://developer.xero.com/documentation/api/accounting/overview).

* `GET /api.xro/2.0/{Invoices|Payments|BankTransactions|CreditNotes|Contacts|ManualJournals}`
  with `If-Modified-Since` (records modified at or after it), `page` (1-based, 100 per
  page; `pageSize` up to 1,000), ordered by `UpdatedDateUTC` ascending. `Accounts` and
  `TrackingCategories` (each category with its `Options`; no `UpdatedDateUTC`) are not paged.
  Dates in payloads are Microsoft JSON dates, `/Date(1439434356790+0000)/`.
* `GET /api.xro/2.0/{Resource}/{id}` — one record, in the same envelope.
* Writes (https://developer.xero.com/documentation/api/accounting/invoices):
  `PUT /api.xro/2.0/Invoices` creates (`{"Invoices": [...]}` or one object; the contact
  by `ContactID`, or by `Name` — an unknown name creates the contact, as Xero does);
  `POST /api.xro/2.0/Invoices/{id}` updates (`Status: VOIDED` voids an authorised invoice,
  `DELETED` deletes a draft). A refusal is a 400 `ValidationException` with
  `Elements[].ValidationErrors[].Message`. The `Idempotency-Key` header makes a write
  idempotent: the same key again answers the first result and writes nothing.
* `GET /api.xro/2.0/Budgets` lists the budgets without their lines; `GET
  /api.xro/2.0/Budgets/{BudgetID}?DateFrom=YYYY-MM-DD&DateTo=YYYY-MM-DD` returns one with its
  BudgetLines[].BudgetBalances[] for the periods in that span: the previous, current and next
  month when no span is given, at most 24 months per request
  (https://developer.xero.com/documentation/api/budgets).
Auth: `Authorization: Bearer <token>` plus `Xero-tenant-id`.
"""

from __future__ import annotations

import email.utils
import re
import uuid
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from ...simulate.company import CRM_PRODUCTS
from ..server import Reply, json_reply
from ..store import parse_time

RESOURCES = {
    "invoices": "Invoices",
    "payments": "Payments",
    "banktransactions": "BankTransactions",
    "creditnotes": "CreditNotes",
    "accounts": "Accounts",
    "contacts": "Contacts",
    "manualjournals": "ManualJournals",
    "trackingcategories": "TrackingCategories",
    "budgets": "Budgets",
}
UNPAGED = {"Accounts", "TrackingCategories", "Budgets"}
BUDGET_MONTHS_MAX = 24
PAGE_SIZE = 100
_PATH = re.compile(r"^/api\.xro/2\.0/(?P<resource>[A-Za-z]+)(?:/(?P<id>[^/]+))?$")


def ms_date(epoch: float) -> str:
    """Xero's JSON date: /Date(milliseconds+0000)/."""
    return f"/Date({round(epoch * 1000)}+0000)/"


def _problem(status: int, title: str, detail: str, headers=None) -> Reply:
    return json_reply(
        status,
        {
            "Type": None,
            "Title": title,
            "Status": status,
            "Detail": detail,
            "Instance": str(uuid.uuid4()),
            "Extensions": {},
        },
        headers,
    )


def check_auth(api, req) -> Reply | None:
    header = req.headers.get("authorization") or ""
    if not header.startswith("Bearer ") or not api.accepts("xero", header[7:], "XERO_ACCESS_TOKEN"):
        return _problem(
            401, "Unauthorized", "AuthenticationUnsuccessful", {"WWW-Authenticate": 'OAuth Realm="api.xero.com"'}
        )
    if req.headers.get("xero-tenant-id") != api.credentials["XERO_TENANT_ID"]:
        return _problem(403, "Forbidden", "AuthenticationUnsuccessful")
    return None


def rate_limited(api, retry_after: int) -> Reply:
    return _problem(
        429,
        "Too Many Requests",
        "Rate limit exceeded",
        {"Retry-After": str(retry_after), "X-Rate-Limit-Problem": "minute"},
    )


def server_error(api) -> Reply:
    return _problem(503, "Service Unavailable", "The Xero API is temporarily unavailable")


def parse_if_modified_since(value: str) -> float:
    """Xero accepts `2025-01-31T10:00:00` (UTC) and RFC 1123 dates."""
    value = value.strip()
    if re.match(r"^\d{4}-\d\d-\d\d", value):
        return parse_time(value)
    moment = email.utils.parsedate_to_datetime(value)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def _envelope(api, resource: str, rows: list) -> dict:
    return {
        "Id": str(uuid.uuid4()),
        "Status": "OK",
        "ProviderName": "ledgerlake local API",
        "DateTimeUTC": ms_date(api.clock),
        resource: rows,
    }


def handle(api, req) -> Reply:
    match = _PATH.match(req.path)
    resource = RESOURCES.get((match.group("resource") if match else "").lower())
    if match and resource == "Invoices" and req.method in ("PUT", "POST"):
        return _write(api, req, match.group("id"))
    if not match or not resource or req.method != "GET":
        return Reply(404, b"The resource you're looking for cannot be found", {"Content-Type": "text/plain"})
    res = api.store.resource("xero", resource)
    if resource == "Budgets":
        return _budgets(api, req, res, match.group("id"))
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


def _month(day) -> int:
    return day.year * 12 + day.month - 1


def _budgets(api, req, res, budget_id: str | None) -> Reply:
    """The list (no lines), or one budget with its balances for the requested periods."""
    if not budget_id:
        rows = [{k: v for k, v in version.obj.items() if k != "BudgetLines"} for version in res.latest(api.clock)]
        return json_reply(200, _envelope(api, "Budgets", rows))
    found = res.get(budget_id, api.clock)
    if found is None or found.deleted:
        return Reply(404, b"The resource you're looking for cannot be found", {"Content-Type": "text/plain"})
    today = datetime.fromtimestamp(api.clock, UTC).date()
    try:
        first = _month(_day(req.arg("DateFrom"), None) or today) - (0 if req.arg("DateFrom") else 1)
        last = _month(_day(req.arg("DateTo"), None) or today) + (0 if req.arg("DateTo") else 1)
    except ValueError:
        return _problem(400, "Bad Request", "DateFrom and DateTo are dates, YYYY-MM-DD")
    if last - first + 1 > BUDGET_MONTHS_MAX or last < first:
        return _problem(400, "Bad Request", f"A budget can be read for 1 to {BUDGET_MONTHS_MAX} months at a time")
    budget = found.obj
    lines = []
    for line in budget.get("BudgetLines") or []:
        balances = [
            b
            for b in line.get("BudgetBalances") or []
            if first <= int(b["Period"][:4]) * 12 + int(b["Period"][5:7]) - 1 <= last
        ]
        lines.append({**line, "BudgetBalances": balances})
    return json_reply(200, _envelope(api, "Budgets", [{**budget, "BudgetLines": lines}]))


# -- writes ----------------------------------------------------------------------------------

TAX_RATES = {
    "OUTPUT2": Decimal("0.20"),
    "INPUT2": Decimal("0.20"),
    "NONE": Decimal(0),
    "ZERORATEDOUTPUT": Decimal(0),
    "EXEMPTOUTPUT": Decimal(0),
}
_CENT = Decimal("0.01")


def _validation(invoice: dict, messages: list[str]) -> Reply:
    element = dict(invoice, HasErrors=True, ValidationErrors=[{"Message": m} for m in messages])
    return json_reply(
        400,
        {
            "ErrorNumber": 10,
            "Type": "ValidationException",
            "Message": "A validation exception occurred",
            "Elements": [element],
        },
    )


def _day(text: str | None, default):
    if not text:
        return default
    return datetime.fromisoformat(str(text)[:10]).date()


def _contact(api, given: dict) -> tuple[dict | None, str | None]:
    """The invoice's contact: by ContactID, else by Name (created when new, as Xero does)."""
    from .. import writes

    contacts = api.store.resource("xero", "Contacts")
    if given.get("ContactID"):
        found = contacts.get(given["ContactID"], api.clock)
        return (found.obj, None) if found is not None and not found.deleted else (None, "Contact not found")
    name = (given.get("Name") or "").strip()
    if not name:
        return None, "A Contact must be specified for this type of transaction"
    for version in contacts.latest(api.clock):
        if not version.deleted and (version.obj.get("Name") or "").lower() == name.lower():
            return version.obj, None
    cid = str(uuid.uuid4())
    fields = {
        "ContactID": cid,
        "ContactStatus": "ACTIVE",
        "Name": name,
        "EmailAddress": given.get("EmailAddress", ""),
        "Addresses": [],
        "Phones": [],
        "ContactGroups": [],
        "IsSupplier": False,
        "IsCustomer": True,
        "DefaultCurrency": "GBP",
        "ContactPersons": [],
        "HasAttachments": False,
        "HasValidationErrors": False,
    }
    return writes.record(
        api, "xero", "Contacts", cid, lambda at: {**fields, "UpdatedDateUTC": ms_date(at)}, method="create"
    ), None


def _write(api, req, invoice_id: str | None) -> Reply:
    from .. import writes

    key = req.headers.get("idempotency-key")
    key = f"xero:{req.headers.get('xero-tenant-id')}:{key}" if key else None
    return writes.once(api, key, lambda: _write_now(api, req, invoice_id))


def _write_now(api, req, invoice_id: str | None) -> Reply:
    from .. import writes

    try:
        body = writes.body_json(req)
    except ValueError:
        return _problem(400, "Bad Request", "The request body is not valid JSON")
    items = body.get("Invoices") if isinstance(body, dict) and "Invoices" in body else [body]
    if len(items) != 1 or not isinstance(items[0], dict):
        return _problem(400, "Bad Request", "one invoice per request here")
    invoice = items[0]
    target = invoice_id or invoice.get("InvoiceID")
    return _update(api, target, invoice) if target else _create(api, invoice)


def _update(api, invoice_id: str, change: dict) -> Reply:
    from .. import writes

    found = api.store.resource("xero", "Invoices").get(invoice_id, api.clock)
    if found is None:
        return Reply(404, b"The resource you're looking for cannot be found", {"Content-Type": "text/plain"})
    current = found.obj
    status = change.get("Status")
    if status == "VOIDED" and current.get("Status") != "AUTHORISED":
        return _validation(current, ["Only AUTHORISED invoices without payments can be voided"])
    if status == "DELETED" and current.get("Status") not in ("DRAFT", "SUBMITTED"):
        return _validation(current, ["Only DRAFT and SUBMITTED invoices can be deleted"])
    if Decimal(str(current.get("AmountPaid") or 0)) and status in ("VOIDED", "DELETED"):
        return _validation(
            current, ["This document cannot be edited as it has a payment or credit note allocated to it."]
        )
    updated = dict(current, **{k: v for k, v in change.items() if k in ("Status", "Reference", "DueDate")})
    if status in ("VOIDED", "DELETED"):
        updated["AmountDue"] = Decimal(0)
    updated = writes.record(
        api,
        "xero",
        "Invoices",
        invoice_id,
        lambda at: {**updated, "UpdatedDateUTC": ms_date(at)},
        deleted=status in ("VOIDED", "DELETED"),
        method="update",
    )
    return json_reply(200, _envelope(api, "Invoices", [updated]))


# The simulated organisation's Items (GET /Items): one per product its sales team sells,
# Code = the product's SKU. A line's ItemCode must name one of them.
ITEM_CODES = frozenset(CRM_PRODUCTS)


def _create(api, given: dict) -> Reply:
    from .. import writes

    errors = []
    if given.get("Type") not in ("ACCREC", "ACCPAY"):
        errors.append("Invoice Type must be specified")
    status = given.get("Status") or "DRAFT"
    if status not in ("DRAFT", "SUBMITTED", "AUTHORISED"):
        errors.append(f"Invoice Status {status} is not valid for a new invoice")
    currency = given.get("CurrencyCode") or "GBP"
    if currency != "GBP":
        errors.append(f"The currency {currency} is not enabled for this organisation")
    codes = {v.obj.get("Code"): v.obj for v in api.store.resource("xero", "Accounts").latest(api.clock)}
    lines, sub, tax = [], Decimal(0), Decimal(0)
    for line in given.get("LineItems") or []:
        qty = Decimal(str(line.get("Quantity", 1)))
        unit = Decimal(str(line.get("UnitAmount", 0)))
        code = str(line.get("AccountCode") or "")
        if code not in codes:
            errors.append(f"Account code '{code}' is not a valid code for this document.")
            continue
        item_code = line.get("ItemCode")
        if item_code and item_code not in ITEM_CODES:
            errors.append(f"Item code '{item_code}' is not valid")
            continue
        tax_type = line.get("TaxType") or codes[code].get("TaxType") or "NONE"
        amount = (qty * unit).quantize(_CENT, ROUND_HALF_UP)
        line_tax = (amount * TAX_RATES.get(tax_type, Decimal(0))).quantize(_CENT, ROUND_HALF_UP)
        lines.append(
            {
                "LineItemID": str(uuid.uuid4()),
                "Description": line.get("Description", ""),
                "Quantity": qty,
                "UnitAmount": unit,
                "TaxType": tax_type,
                "TaxAmount": line_tax,
                "LineAmount": amount,
                "AccountCode": code,
                "AccountID": codes[code].get("AccountID"),
                "Tracking": [],
                **({"ItemCode": item_code} if item_code else {}),
            }
        )
        sub, tax = sub + amount, tax + line_tax
    if not given.get("LineItems"):
        errors.append("One or more line items must be specified")
    today = datetime.fromtimestamp(api.clock, UTC).date()
    day = _day(given.get("Date"), today)
    if status == "AUTHORISED" and not given.get("DueDate"):
        errors.append("Due Date is required.")
    contact, problem = (None, None) if errors else _contact(api, given.get("Contact") or {})
    if problem:
        errors.append(problem)
    if errors:
        return _validation(given, errors)
    due = _day(given.get("DueDate"), day + timedelta(days=30))
    number = given.get("InvoiceNumber")
    if not number and given["Type"] == "ACCREC":
        numbers = [
            int(v.obj["InvoiceNumber"][4:])
            for v in api.store.resource("xero", "Invoices").latest(api.clock)
            if str(v.obj.get("InvoiceNumber") or "").startswith("INV-") and v.obj["InvoiceNumber"][4:].isdigit()
        ]
        number = f"INV-{max(numbers, default=0) + 1:04d}"
    iid = str(uuid.uuid4())
    midnight = datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()
    due_midnight = datetime(due.year, due.month, due.day, tzinfo=UTC).timestamp()
    obj = {
        "Type": given["Type"],
        "InvoiceID": iid,
        "InvoiceNumber": number or "",
        "Reference": given.get("Reference", ""),
        "Payments": [],
        "CreditNotes": [],
        "Prepayments": [],
        "Overpayments": [],
        "AmountDue": sub + tax,
        "AmountPaid": Decimal(0),
        "AmountCredited": Decimal(0),
        "CurrencyRate": Decimal(1),
        "IsDiscounted": False,
        "HasAttachments": False,
        "HasErrors": False,
        "Contact": {"ContactID": contact["ContactID"], "Name": contact.get("Name")},
        "DateString": day.isoformat() + "T00:00:00",
        "Date": ms_date(midnight),
        "DueDateString": due.isoformat() + "T00:00:00",
        "DueDate": ms_date(due_midnight),
        "Status": status,
        "LineAmountTypes": given.get("LineAmountTypes") or "Exclusive",
        "LineItems": lines,
        "SubTotal": sub,
        "TotalTax": tax,
        "Total": sub + tax,
        "CurrencyCode": currency,
        "SentToContact": False,
    }
    obj = writes.record(
        api, "xero", "Invoices", iid, lambda at: {**obj, "UpdatedDateUTC": ms_date(at)}, method="create"
    )
    return json_reply(200, _envelope(api, "Invoices", [obj]))

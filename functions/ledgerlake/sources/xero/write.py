"""Xero writes: a draft sales invoice (ACCREC) for a won deal, and voiding / deleting one
(https://developer.xero.com/documentation/api/accounting/invoices).

* `PUT /Invoices` with an `Idempotency-Key` header (the action's key): a retry or a
  duplicate gets the first answer and creates nothing more.
* The contact goes by `ContactID` when the lake knows it, else by `Name`: Xero uses the
  contact of that name, or creates it.
* Refusals are `ValidationException` bodies; their `ValidationErrors[].Message` are the
  reason shown on the pending action.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from ..writing import Exchange, Outcome, Refused, WriteContext, call, refusal_reason, run_write

SALES_ACCOUNT = "200"  # Sales - Services
OUTPUT_VAT = "OUTPUT2"  # UK standard-rated output VAT


def _reason(response) -> str:
    try:
        doc = response.json()
    except ValueError:
        return refusal_reason(response, response.body[:300].decode("utf-8", "replace"))
    messages = [
        e.get("Message") for element in doc.get("Elements") or [] for e in element.get("ValidationErrors") or []
    ]
    text = "; ".join(m for m in messages if m) or doc.get("Detail") or doc.get("Message") or str(doc)[:300]
    return refusal_reason(response, text)


def _headers(ctx: WriteContext, key: str | None = None) -> dict[str, str]:
    headers = {"Xero-tenant-id": ctx.secret("XERO_TENANT_ID")}
    if key:
        headers["Idempotency-Key"] = key
    return headers


def _line(line: dict) -> dict:
    """One LineItem per deal line item: its product's ItemCode when the SKU is mapped to a
    Xero item, the sales account, quantity and unit amount as quoted, standard-rated VAT."""
    item = line.get("item") or {}
    out = {
        "Description": line["description"],
        "Quantity": Decimal(line.get("quantity") or "1"),
        "UnitAmount": Decimal(line.get("unit_price") or line["amount"]),
        "AccountCode": str(item.get("xero_account") or SALES_ACCOUNT),
        "TaxType": OUTPUT_VAT,
    }
    if item.get("xero_item_code"):
        out["ItemCode"] = str(item["xero_item_code"])
    return out


def invoice_body(proposal: dict) -> dict:
    customer = proposal["customer"]
    contact = (
        {"ContactID": customer["ledger_id"]}
        if customer.get("ledger_id")
        else {"Name": customer["name"], "EmailAddress": customer.get("email") or ""}
    )
    issued = date.fromisoformat(proposal["issue_date"])
    return {
        "Invoices": [
            {
                "Type": "ACCREC",
                "Contact": contact,
                "Date": issued.isoformat(),
                "DueDate": (issued + timedelta(days=int(proposal["terms_days"]))).isoformat(),
                "LineAmountTypes": "Exclusive",
                "Reference": proposal["reference"],
                "Status": "DRAFT",
                "CurrencyCode": proposal["currency"],
                "LineItems": [_line(line) for line in proposal["lines"]],
            }
        ]
    }


def _create_invoice(exchanges: list[Exchange], ctx: WriteContext, proposal: dict, key: str) -> Outcome:
    response = call(
        ctx,
        exchanges,
        "PUT",
        "/api.xro/2.0/Invoices",
        credential="XERO_ACCESS_TOKEN",
        params={"summarizeErrors": "true"},
        body=invoice_body(proposal),
        headers=_headers(ctx, key),
    )
    if not response.ok:
        raise Refused(response.status, _reason(response))
    invoice = response.json()["Invoices"][0]
    return Outcome(
        True,
        {
            "invoice_id": invoice["InvoiceID"],
            "invoice_number": invoice.get("InvoiceNumber"),
            "customer_id": (invoice.get("Contact") or {}).get("ContactID"),
            "status": invoice.get("Status"),
            "total": str(invoice.get("Total")),
        },
        status=200,
        exchanges=exchanges,
    )


def create_invoice(ctx: WriteContext, proposal: dict, key: str) -> Outcome:
    return run_write(_create_invoice, ctx, proposal, key)


def _cancel(exchanges: list[Exchange], ctx: WriteContext, invoice_id: str, key: str, status: str) -> Outcome:
    response = call(
        ctx,
        exchanges,
        "POST",
        f"/api.xro/2.0/Invoices/{invoice_id}",
        credential="XERO_ACCESS_TOKEN",
        body={"Invoices": [{"InvoiceID": invoice_id, "Status": status}]},
        headers=_headers(ctx, f"{key}-{status.lower()}"),
    )
    if not response.ok:
        raise Refused(response.status, _reason(response))
    return Outcome(True, {"invoice_id": invoice_id, "status": status}, status=200, exchanges=exchanges)


def void_invoice(ctx: WriteContext, invoice_id: str, key: str, draft: bool = True) -> Outcome:
    """Take back an invoice ledgerlake created: a draft is DELETED, an authorised one VOIDED."""
    return run_write(_cancel, ctx, invoice_id, key, "DELETED" if draft else "VOIDED")


def describe(proposal: dict) -> dict[str, Any]:
    return {
        "method": "PUT",
        "path": "/api.xro/2.0/Invoices",
        "headers": {"Idempotency-Key": "<action>"},
        "body": invoice_body(proposal),
    }

"""QuickBooks Online writes: a customer when the ledger has none, an invoice for a won deal,
a void to take one back (https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/invoice).

* Every create and update carries `requestid` (the action's key): a retried or duplicated
  request gets the first answer and creates nothing more.
* Updates carry the entity's current `SyncToken`; a stale one (`5010 Stale Object Error`,
  someone edited it meanwhile) is answered by reading the entity again and retrying once.
* Refusals come back as `Fault.Error[]` (`Message`, `Detail`, `code`); their text is the
  reason shown on the pending action.
QuickBooks has no draft invoices: an invoice is created unsent (`EmailStatus: NotSet`), so
nothing reaches the customer until someone in finance sends it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..writing import Exchange, Outcome, Refused, WriteContext, call, refusal_reason, run_write

MINOR_VERSION = "75"
TERMS = {0: "1", 15: "2", 30: "3", 45: "4", 60: "5"}  # days -> SalesTermRef (the company's terms list)
ITEM_SERVICES = "1"
DEAL_FIELD = {"DefinitionId": "1", "Name": "HubSpot Deal", "Type": "StringType"}


def _reason(response) -> str:
    try:
        doc = response.json()
    except ValueError:
        return response.body[:300].decode("utf-8", "replace")
    fault = doc.get("Fault") or doc.get("fault") or {}
    errors = fault.get("Error") or fault.get("error") or []
    text = "; ".join(
        f"{e.get('Message') or e.get('message')}: {e.get('Detail') or e.get('detail')} (code {e.get('code')})"
        for e in errors
    )
    return refusal_reason(response, text or str(doc)[:300])


def _ok(response) -> dict:
    if not response.ok:
        raise Refused(response.status, _reason(response))
    return response.json()


def _base(ctx: WriteContext) -> str:
    return f"/v3/company/{ctx.secret('QBO_REALM_ID')}"


def invoice_body(proposal: dict, customer_id: str) -> dict:
    """The QBO Invoice for a won-deal proposal (one SalesItemLineDetail line per deal line
    item: its product's item, quantity and unit price; the deal named in the "HubSpot Deal"
    custom field, which is how the integrity marts link invoice and deal)."""
    lines = [
        {
            "Amount": Decimal(line["amount"]),
            "DetailType": "SalesItemLineDetail",
            "Description": line["description"],
            "SalesItemLineDetail": {
                "ItemRef": {"value": str((line.get("item") or {}).get("qbo_item") or ITEM_SERVICES)},
                "Qty": Decimal(line.get("quantity") or "1"),
                "UnitPrice": Decimal(line.get("unit_price") or line["amount"]),
            },
        }
        for line in proposal["lines"]
    ]
    return {
        "CustomerRef": {"value": customer_id},
        "Line": lines,
        "TxnDate": proposal["issue_date"],
        "SalesTermRef": {"value": TERMS.get(int(proposal["terms_days"]), "3")},
        "CurrencyRef": {"value": proposal["currency"]},
        "CustomField": [dict(DEAL_FIELD, StringValue=proposal["reference"])],
        "PrivateNote": proposal["note"],
        "EmailStatus": "NotSet",
    }


def _customer(ctx: WriteContext, exchanges: list[Exchange], proposal: dict, key: str) -> tuple[str, bool]:
    """The ledger's customer for the deal's company: the id the lake knows, else found by
    DisplayName (QuickBooks' query API), else created."""
    customer = proposal["customer"]
    if customer.get("ledger_id"):
        return str(customer["ledger_id"]), False
    name = customer["name"]
    quoted = name.replace("\\", "\\\\").replace("'", "\\'")
    doc = _ok(
        call(
            ctx,
            exchanges,
            "GET",
            _base(ctx) + "/query",
            credential="QBO_ACCESS_TOKEN",
            params={"query": f"select * from Customer where DisplayName = '{quoted}'", "minorversion": MINOR_VERSION},
        )
    )
    found = (doc.get("QueryResponse") or {}).get("Customer") or []
    if found:
        return str(found[0]["Id"]), False
    body = {"DisplayName": name, "CompanyName": name}
    if customer.get("email"):
        body["PrimaryEmailAddr"] = {"Address": customer["email"]}
    doc = _ok(
        call(
            ctx,
            exchanges,
            "POST",
            _base(ctx) + "/customer",
            credential="QBO_ACCESS_TOKEN",
            params={"requestid": f"{key}-customer", "minorversion": MINOR_VERSION},
            body=body,
        )
    )
    return str(doc["Customer"]["Id"]), True


def _create_invoice(exchanges: list[Exchange], ctx: WriteContext, proposal: dict, key: str) -> Outcome:
    customer_id, created = _customer(ctx, exchanges, proposal, key)
    doc = _ok(
        call(
            ctx,
            exchanges,
            "POST",
            _base(ctx) + "/invoice",
            credential="QBO_ACCESS_TOKEN",
            params={"requestid": key, "minorversion": MINOR_VERSION},
            body=invoice_body(proposal, customer_id),
        )
    )
    invoice = doc["Invoice"]
    return Outcome(
        True,
        {
            "invoice_id": invoice["Id"],
            "invoice_number": invoice.get("DocNumber"),
            "customer_id": customer_id,
            "customer_created": created,
            "total": str(invoice.get("TotalAmt")),
        },
        status=200,
        exchanges=exchanges,
    )


def create_invoice(ctx: WriteContext, proposal: dict, key: str) -> Outcome:
    return run_write(_create_invoice, ctx, proposal, key)


def _void(exchanges: list[Exchange], ctx: WriteContext, invoice_id: str, key: str) -> Outcome:
    for attempt in range(2):  # a stale SyncToken: read the invoice again and retry once
        current = _ok(
            call(
                ctx,
                exchanges,
                "GET",
                f"{_base(ctx)}/invoice/{invoice_id}",
                credential="QBO_ACCESS_TOKEN",
                params={"minorversion": MINOR_VERSION},
            )
        )["Invoice"]
        response = call(
            ctx,
            exchanges,
            "POST",
            _base(ctx) + "/invoice",
            credential="QBO_ACCESS_TOKEN",
            params={
                "operation": "void",
                "requestid": f"{key}-void-{current['SyncToken']}",
                "minorversion": MINOR_VERSION,
            },
            body={"Id": invoice_id, "SyncToken": current["SyncToken"], "sparse": True},
        )
        if response.status == 400 and b'"5010"' in response.body and attempt == 0:
            continue
        doc = _ok(response)
        return Outcome(
            True,
            {"invoice_id": invoice_id, "voided": True, "sync_token": doc["Invoice"]["SyncToken"]},
            status=200,
            exchanges=exchanges,
        )
    raise AssertionError("unreachable")


def void_invoice(ctx: WriteContext, invoice_id: str, key: str) -> Outcome:
    """Take back an invoice ledgerlake created (QuickBooks keeps it, zeroed, as Voided)."""
    return run_write(_void, ctx, invoice_id, key)


def describe(proposal: dict) -> dict[str, Any]:
    """What would be sent, for a dry run (the customer is resolved only when writing)."""
    return {
        "method": "POST",
        "path": "/v3/company/{realm}/invoice?requestid=<action>",
        "body": invoice_body(proposal, proposal["customer"].get("ledger_id") or "<found or created by name>"),
    }

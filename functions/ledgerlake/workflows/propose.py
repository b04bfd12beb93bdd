"""What the marts say should be written: one `Proposal` per write.

* `invoice_from_won_deal` reads `integrity_won_deals_without_invoice` (a won deal with no
  invoice naming it after the grace days: proposing earlier would race the person who
  invoices by hand), with the deal's entity (`crm_deals.entity_id`, from its pipeline), the
  customer the lake already knows in that ledger (`crm_customers`), the deal's line items
  (`crm_deal_line_items`: one invoice line each, its product mapped to a ledger item by
  SKU) and the customer's payment terms (those of its latest invoice in that ledger,
  `ar_ap_documents`; else `LEDGERLAKE_WRITEBACK_TERMS_DAYS`).
* `paid_to_crm` reads `crm_deal_invoices` (deal → invoices → payments) for deals with
  money received, and proposes the HubSpot properties the deal and its company should show,
  skipping deals whose CRM record (as last landed) already shows exactly that.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

CENT = Decimal("0.01")


@dataclass
class Proposal:
    workflow: str
    entity_id: str
    kind: str  # create_invoice | update_deal | update_company
    system: str  # the provider written to
    identity: tuple[str, ...]  # what the write is about: same identity, same action
    payload: dict[str, Any]
    why: str
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def action_id(self) -> str:
        return hashlib.sha256("|".join(self.identity).encode()).hexdigest()[:24]


def _rows(conn, sql: str) -> list[dict[str, Any]]:
    cursor = conn.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def _tables(conn) -> set[str]:
    return {
        f"{s}.{t}" for s, t in conn.execute("select table_schema, table_name from information_schema.tables").fetchall()
    }


def _money(value) -> str:
    return str(Decimal(str(value or 0)).quantize(CENT))


# Ledger item for a line whose product has no mapping: the services item / sales account.
DEFAULT_ITEM = {"qbo_item": "1", "xero_account": "200", "xero_item_code": None}


def item_map() -> dict[str, dict[str, Any]]:
    """SKU -> ledger item, from `LEDGERLAKE_WRITEBACK_ITEMS` (JSON: {"SKU": {"qbo_item": "2",
    "xero_item_code": "PLAT-12", "xero_account": "200"}}); what a SKU leaves out is the default."""
    text = os.environ.get("LEDGERLAKE_WRITEBACK_ITEMS", "").strip()
    try:
        given = json.loads(text) if text else {}
    except ValueError as exc:
        raise ValueError(f"LEDGERLAKE_WRITEBACK_ITEMS is not JSON: {exc}") from exc
    if not isinstance(given, dict) or not all(isinstance(v, dict) for v in given.values()):
        raise ValueError('LEDGERLAKE_WRITEBACK_ITEMS must map each SKU to {"qbo_item": ..., "xero_account": ...}')
    return {str(sku): {**DEFAULT_ITEM, **item} for sku, item in given.items()}


def _deal_lines(conn, tables: set[str]) -> dict[str, list[dict[str, Any]]]:
    """{deal id: its line items in quote order} ({} when the mart is not there yet)."""
    if "marts.crm_deal_line_items" not in tables:
        return {}
    out: dict[str, list[dict[str, Any]]] = {}
    for row in _rows(
        conn,
        """
        select deal_id, line_item_id, line_item_name, description, sku, product_id, quantity, unit_price, amount
        from marts.crm_deal_line_items
        order by deal_id, quote_position nulls last, line_item_id""",
    ):
        out.setdefault(row["deal_id"], []).append(row)
    return out


def _customer_terms(conn, tables: set[str]) -> dict[str, int]:
    """{'<ledger>:<customer id>': days between issue and due on its latest invoice}."""
    if "marts.ar_ap_documents" not in tables:
        return {}
    rows = _rows(
        conn,
        """
        select contact_key, cast(due_date - issued_on as integer) as days
        from marts.ar_ap_documents
        where document_kind = 'AR' and not is_voided and not is_deleted and due_date is not null
        qualify row_number() over (partition by contact_key order by issued_on desc, document_key desc) = 1""",
    )
    return {r["contact_key"]: int(r["days"]) for r in rows if r["days"] is not None and r["days"] >= 0}


def _invoice_lines(deal: dict, lines: list[dict], items: dict) -> list[dict[str, Any]]:
    if not lines:
        return [
            {
                "description": deal["deal_name"],
                "quantity": "1",
                "unit_price": _money(deal["amount"]),
                "amount": _money(deal["amount"]),
                "sku": None,
                "line_item_id": None,
                "item": dict(DEFAULT_ITEM),
            }
        ]
    return [
        {
            "description": line["line_item_name"] + (f" - {line['description']}" if line["description"] else ""),
            "quantity": str(Decimal(str(line["quantity"])).normalize()),
            "unit_price": _money(line["unit_price"]),
            "amount": _money(line["amount"]),
            "sku": line["sku"],
            "line_item_id": line["line_item_id"],
            "item": dict(items.get(line["sku"] or "", DEFAULT_ITEM)),
        }
        for line in lines
    ]


def invoice_proposals(conn) -> list[Proposal]:
    rows = _rows(
        conn,
        """
        select w.deal_id, w.deal_name, w.amount, w.currency, w.close_date, w.days_since_close,
               w.raw_key, d.entity_id, d.ledger_source, d.company_id, c.customer_name, c.email, c.qbo_customer_id,
               c.xero_contact_id, (select max(posted_on) from marts.general_ledger) as as_of
        from marts.integrity_won_deals_without_invoice as w
        join marts.crm_deals as d on d.deal_id = w.deal_id
        left join marts.crm_customers as c on c.hubspot_company_id = d.company_id
        order by w.deal_id, c.qbo_customer_id, c.xero_contact_id""",
    )
    default_terms = int(os.environ.get("LEDGERLAKE_WRITEBACK_TERMS_DAYS", "30"))
    tables = _tables(conn)
    deal_lines, known_terms, items = _deal_lines(conn, tables), _customer_terms(conn, tables), item_map()
    out: dict[str, Proposal] = {}
    for row in rows:
        if row["deal_id"] in out or not row["entity_id"]:
            continue
        ledger = row["ledger_source"]
        if ledger not in ("qbo", "xero"):
            continue
        name = row["customer_name"] or row["deal_name"].split(" - ")[0]
        ledger_id = row["qbo_customer_id"] if ledger == "qbo" else row["xero_contact_id"]
        lines = _invoice_lines(row, deal_lines.get(row["deal_id"], []), items)
        amount = _money(sum(Decimal(line["amount"]) for line in lines))
        terms = known_terms.get(f"{ledger}:{ledger_id}", default_terms) if ledger_id else default_terms
        payload = {
            "deal_id": row["deal_id"],
            "deal_name": row["deal_name"],
            "currency": row["currency"],
            "amount": amount,
            "issue_date": str(row["as_of"]),
            "terms_days": terms,
            "reference": f"HS-DEAL-{row['deal_id']}",
            "customer": {
                "name": name,
                "email": row["email"],
                "ledger_id": ledger_id,
                "hubspot_company_id": row["company_id"],
            },
            "lines": lines,
            "note": f"Created by ledgerlake write-back for HubSpot deal {row['deal_id']} (won {row['close_date']})",
        }
        out[row["deal_id"]] = Proposal(
            "invoice_from_won_deal",
            row["entity_id"],
            "create_invoice",
            ledger,
            ("invoice_from_won_deal", row["entity_id"], row["deal_id"]),
            payload,
            f"Deal '{row['deal_name']}' was won on {row['close_date']} and no invoice names it "
            f"{row['days_since_close']} days later.",
            {
                "mart": "integrity_won_deals_without_invoice",
                "deal_id": row["deal_id"],
                "raw_key": row["raw_key"],
                "deal_amount": _money(row["amount"]),
                "line_items": len(deal_lines.get(row["deal_id"], [])),
                "terms_from": "the customer's latest invoice"
                if ledger_id and f"{ledger}:{ledger_id}" in known_terms
                else "LEDGERLAKE_WRITEBACK_TERMS_DAYS",
            },
        )
    return list(out.values())


def paid_proposals(conn) -> list[Proposal]:
    rows = _rows(
        conn,
        """
        with inv as (
            select deal_id, max(entity_id) as entity_id, max(invoice_currency) as currency,
                   sum(invoice_open_amount) as outstanding, sum(invoice_paid_amount) as paid,
                   max(invoice_last_paid_on) as last_paid_on, max(cast(deal_is_paid as int)) as is_paid,
                   max(invoice_number) as invoice_number, count(*) as invoices
            from marts.crm_deal_invoices
            where document_key is not null and invoice_status <> 'voided'
            group by deal_id
        )
        select inv.*, d.deal_name, d.company_id, d.pipeline_id, d.is_won, d.stage_label,
               d.ledger_payment_status, d.ledger_paid_on, d.ledger_amount_outstanding, d.raw_key
        from inv join marts.crm_deals as d on d.deal_id = inv.deal_id
        order by inv.deal_id""",
    )
    proposals: list[Proposal] = []
    companies: dict[str, dict[str, Any]] = {}
    for row in rows:
        status = "paid" if row["is_paid"] else ("partially_paid" if (row["paid"] or 0) > 0 else "unpaid")
        outstanding = _money(row["outstanding"])
        paid_on = str(row["last_paid_on"]) if status == "paid" and row["last_paid_on"] else ""
        if row["company_id"]:
            company = companies.setdefault(
                row["company_id"],
                {"outstanding": Decimal(0), "last_paid": "", "entity_id": row["entity_id"], "paid_deals": 0},
            )
            company["outstanding"] += Decimal(outstanding)
            if row["last_paid_on"] and (row["paid"] or 0) > 0:
                company["last_paid"] = max(company["last_paid"], str(row["last_paid_on"]))
        if status == "unpaid":
            continue
        if row["company_id"]:
            companies[row["company_id"]]["paid_deals"] += 1
        mark_won = status == "paid" and not row["is_won"]
        shown = (
            row["ledger_payment_status"],
            str(row["ledger_paid_on"] or ""),
            _money(row["ledger_amount_outstanding"]) if row["ledger_amount_outstanding"] is not None else None,
        )
        if shown == (status, paid_on, outstanding) and not mark_won:
            continue  # HubSpot (as last landed) already shows it
        properties = {
            "ledgerlake_payment_status": status,
            "ledgerlake_paid_date": paid_on,
            "ledgerlake_amount_outstanding": outstanding,
            "ledgerlake_invoice_number": row["invoice_number"] or "",
        }
        why = (
            f"Deal '{row['deal_name']}': invoice {row['invoice_number']} is {status.replace('_', ' ')} in the "
            f"ledger ({outstanding} {row['currency']} outstanding)"
            + (f", but the deal is still at '{row['stage_label']}'." if mark_won else ".")
        )
        proposals.append(
            Proposal(
                "paid_to_crm",
                row["entity_id"],
                "update_deal",
                "hubspot",
                ("paid_to_crm", "deal", row["deal_id"], status, paid_on, outstanding, str(mark_won)),
                {
                    "object_type": "deals",
                    "object_id": row["deal_id"],
                    "properties": properties,
                    "pipeline": row["pipeline_id"],
                    "mark_won": mark_won,
                },
                why,
                {"mart": "crm_deal_invoices", "deal_id": row["deal_id"], "raw_key": row["raw_key"]},
            )
        )
    for company_id, company in sorted(companies.items()):
        if not company["paid_deals"]:
            continue
        outstanding = _money(company["outstanding"])
        properties = {"ledgerlake_amount_outstanding": outstanding, "ledgerlake_last_paid_date": company["last_paid"]}
        proposals.append(
            Proposal(
                "paid_to_crm",
                company["entity_id"],
                "update_company",
                "hubspot",
                ("paid_to_crm", "company", company_id, outstanding, company["last_paid"]),
                {
                    "object_type": "companies",
                    "object_id": company_id,
                    "properties": properties,
                    "pipeline": None,
                    "mark_won": False,
                },
                f"Company {company_id}: {outstanding} outstanding on its invoiced deals, "
                f"last paid {company['last_paid']}.",
                {"mart": "crm_deal_invoices", "company_id": company_id},
            )
        )
    return proposals


NEEDS = {
    "invoice_from_won_deal": (
        "marts.integrity_won_deals_without_invoice",
        "marts.crm_deals",
        "marts.crm_customers",
        "marts.general_ledger",
    ),
    "paid_to_crm": ("marts.crm_deal_invoices", "marts.crm_deals"),
}
BUILDERS = {"invoice_from_won_deal": invoice_proposals, "paid_to_crm": paid_proposals}


def propose(conn, workflows=None) -> tuple[dict[str, list[Proposal]], list[str]]:
    """{workflow: proposals} for every workflow whose marts exist, and what was missing."""
    tables = _tables(conn)
    out, missing = {}, []
    for workflow in workflows or BUILDERS:
        lacking = [t for t in NEEDS[workflow] if t not in tables]
        if lacking:
            missing.append(f"{workflow}: needs {', '.join(lacking)}")
            continue
        out[workflow] = BUILDERS[workflow](conn)
    return out, missing

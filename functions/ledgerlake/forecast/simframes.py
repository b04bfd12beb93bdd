"""Stand-in frames read straight from a simulation's API files (DIR/api/{source}/*.jsonl).

The forecaster's real inputs are the marts (`marts.py`). Building marts from a simulation
means landing it in a lake and running dbt (minutes); this reads the same provider records
the lake would hold — latest version of each, deletes dropped — for the two inputs the
record-level rules and the statistical backtest need, so both can be evaluated (and tested)
on the simulated company in seconds:

* vendor payments: QBO BillPayment / Purchase, Xero ACCPAY Payments / SPEND bank
  transactions, with the bills they settled and those bills' numbers;
* unscheduled daily inflows: QBO Deposits (Stripe payouts) and Xero RECEIVE bank
  transactions (Shopify payouts).

It cannot stand in for the integrity marts (won deals without invoice, payouts without
deposit, CRM out of sync, vendor name variants): those are cross-system joins the marts own.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import polars as pl

MONEY = pl.Decimal(18, 2)
PAYROLL_CONTACTS = ("Payroll", "HM Revenue & Customs")  # Xero SPEND contacts of net pay and PAYE/NI
PAYMENT_SCHEMA = {
    "entity": pl.Utf8,
    "currency": pl.Utf8,
    "source_system": pl.Utf8,
    "source_id": pl.Utf8,
    "raw_key": pl.Utf8,
    "record_type": pl.Utf8,
    "vendor_name": pl.Utf8,
    "paid_on": pl.Date,
    "amount": MONEY,
    "invoice_number": pl.Utf8,
    "document_keys": pl.List(pl.Utf8),
}


def latest(path: Path) -> list[dict]:
    """The latest version of every record in a version file (the API's view at the end)."""
    records: dict[str, tuple[str, dict | None]] = {}
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            row = json.loads(line)
            if row["id"] not in records or row["at"] >= records[row["id"]][0]:
                records[row["id"]] = (row["at"], None if row.get("deleted") else row["object"])
    return [obj for _, obj in records.values() if obj is not None]


def _xero_date(value: str) -> date:
    millis = int(value.split("(")[1].split("+")[0].split(")")[0])
    return datetime.fromtimestamp(millis / 1000, tz=UTC).date()


def _money(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def _entities(sim_dir: Path) -> dict[str, str]:
    """ledger source -> entity id, from the manifest (US on QBO, UK on Xero)."""
    manifest = json.loads((sim_dir / "manifest.json").read_text())
    out = {}
    for e in manifest.get("entities", []):
        if isinstance(e, dict) and e.get("ledger"):
            out[e["ledger"]] = e.get("id") or e.get("entity") or e.get("code")
    return {"qbo": out.get("qbo") or "US", "xero": out.get("xero") or "UK"}


def vendor_payments(sim_dir: Path) -> pl.DataFrame:
    sim_dir = Path(sim_dir)
    ent = _entities(sim_dir)
    api = sim_dir / "api"
    rows = []
    bills = {b["Id"]: b for b in latest(api / "qbo" / "Bill.jsonl")}
    for p in latest(api / "qbo" / "BillPayment.jsonl"):
        linked = [
            t["TxnId"] for line in p.get("Line", []) for t in line.get("LinkedTxn", []) if t.get("TxnType") == "Bill"
        ]
        numbers = sorted(bills[i].get("DocNumber") or "" for i in linked if i in bills)
        rows.append(
            {
                "entity": ent["qbo"],
                "currency": p["CurrencyRef"]["value"],
                "source_system": "qbo",
                "source_id": f"BillPayment:{p['Id']}",
                "raw_key": None,
                "record_type": "BillPayment",
                "vendor_name": p["VendorRef"].get("name"),
                "paid_on": date.fromisoformat(p["TxnDate"]),
                "amount": _money(p["TotalAmt"]),
                "invoice_number": numbers[0] if numbers else None,
                "document_keys": [f"qbo:Bill:{i}" for i in linked],
            }
        )
    for p in latest(api / "qbo" / "Purchase.jsonl"):
        if p.get("Credit"):
            continue
        rows.append(
            {
                "entity": ent["qbo"],
                "currency": p["CurrencyRef"]["value"],
                "source_system": "qbo",
                "source_id": f"Purchase:{p['Id']}",
                "raw_key": None,
                "record_type": "Purchase",
                "vendor_name": (p.get("EntityRef") or {}).get("name"),
                "paid_on": date.fromisoformat(p["TxnDate"]),
                "amount": _money(p["TotalAmt"]),
                "invoice_number": p.get("DocNumber") or None,
                "document_keys": [],
            }
        )
    for p in latest(api / "xero" / "Payments.jsonl"):
        inv = p.get("Invoice") or {}
        if inv.get("Type") != "ACCPAY" or p.get("Status") == "DELETED":
            continue
        rows.append(
            {
                "entity": ent["xero"],
                "currency": inv.get("CurrencyCode"),
                "source_system": "xero",
                "source_id": f"Payment:{p['PaymentID']}",
                "raw_key": None,
                "record_type": "Payment",
                "vendor_name": (inv.get("Contact") or {}).get("Name"),
                "paid_on": _xero_date(p["Date"]),
                "amount": _money(p["Amount"]),
                "invoice_number": inv.get("InvoiceNumber"),
                "document_keys": [f"xero:Invoice:{inv['InvoiceID']}"],
            }
        )
    for t in latest(api / "xero" / "BankTransactions.jsonl"):
        if t.get("Type") != "SPEND" or t.get("Status") != "AUTHORISED":
            continue
        if (t.get("Contact") or {}).get("Name") in PAYROLL_CONTACTS:
            continue  # payroll is not a vendor (its own component; bonus runs are not "unusual charges")
        rows.append(
            {
                "entity": ent["xero"],
                "currency": t.get("CurrencyCode"),
                "source_system": "xero",
                "source_id": f"BankTransaction:{t['BankTransactionID']}",
                "raw_key": None,
                "record_type": "BankTransaction",
                "vendor_name": (t.get("Contact") or {}).get("Name"),
                "paid_on": _xero_date(t["Date"]),
                "amount": _money(t["Total"]),
                # A spend transaction settles no bill, so it carries no invoice number (as in the
                # marts, where numbers come from the documents a payment settled); its Reference
                # is free text ("Card", a card's last four digits) that would pair unrelated lines.
                "invoice_number": None,
                "document_keys": [],
            }
        )
    from ..alerts.identities import with_vendor_keys  # the marts' vendor rule, as the marts would apply it

    return with_vendor_keys(pl.DataFrame([r for r in rows if r["vendor_name"]], schema=PAYMENT_SCHEMA))


def sales_daily(sim_dir: Path) -> pl.DataFrame:
    """entity, currency, date, amount: card / shop payouts reaching the bank. Other receipts
    (opening balances, interest, an intercompany transfer) are not sales and would swamp the
    series (a single GBP 198k transfer did, at first)."""
    sim_dir = Path(sim_dir)
    ent = _entities(sim_dir)
    api = sim_dir / "api"
    rows = []
    for d in latest(api / "qbo" / "Deposit.jsonl"):
        if "payout" not in (d.get("PrivateNote") or "").lower():
            continue
        rows.append(
            {
                "entity": ent["qbo"],
                "currency": d["CurrencyRef"]["value"],
                "date": date.fromisoformat(d["TxnDate"]),
                "amount": _money(d["TotalAmt"]),
            }
        )
    for t in latest(api / "xero" / "BankTransactions.jsonl"):
        text = " ".join(line.get("Description") or "" for line in t.get("LineItems", [])).lower()
        if t.get("Type") != "RECEIVE" or t.get("Status") != "AUTHORISED" or "payout" not in text:
            continue
        rows.append(
            {
                "entity": ent["xero"],
                "currency": t.get("CurrencyCode"),
                "date": _xero_date(t["Date"]),
                "amount": _money(t["Total"]),
            }
        )
    # Invoice payments taken by card reach the bank inside the processor's payouts; the AR
    # component already expects them, so they leave the payout series (counted once).
    clearing = {a["Id"] for a in latest(api / "qbo" / "Account.jsonl") if "clearing" in a.get("Name", "").lower()}
    for p in latest(api / "qbo" / "Payment.jsonl"):
        if (p.get("DepositToAccountRef") or {}).get("value") in clearing:
            rows.append(
                {
                    "entity": ent["qbo"],
                    "currency": p["CurrencyRef"]["value"],
                    "date": date.fromisoformat(p["TxnDate"]),
                    "amount": -_money(p["TotalAmt"]),
                }
            )
    frame = pl.DataFrame(rows, schema={"entity": pl.Utf8, "currency": pl.Utf8, "date": pl.Date, "amount": MONEY})
    return frame.group_by("entity", "currency", "date").agg(pl.col("amount").sum()).sort("entity", "date")


def intercompany_codes(entity: str) -> set[str]:
    """The entity's intercompany account codes: seeds/intercompany_accounts.csv, the one list
    consolidation eliminates (the forecast reads the same)."""
    import csv

    from ..transform.runner import project_dir

    with (project_dir() / "seeds" / "intercompany_accounts.csv").open(encoding="utf-8", newline="") as fh:
        return {r["account_code"] for r in csv.DictReader(fh) if r["entity_id"] == entity}


def internal_transfers(sim_dir: Path) -> pl.DataFrame:
    """entity, date, amount (history.TRANSFER_SCHEMA): money moved between the group's
    entities, read from the ledgers as the marts read it — a bank movement whose other side
    is an intercompany balance-sheet account (a QBO journal entry crediting the bank and
    debiting "Due from Northwind UK"; a Xero bank transaction coded to "Due to Northwind US").
    Intercompany P&L accounts (the management fee) are operating flows, invoiced and
    forecast as AR/AP: they are not transfers."""
    sim_dir = Path(sim_dir)
    ent, api, rows = _entities(sim_dir), Path(sim_dir) / "api", []
    accounts = latest(api / "qbo" / "Account.jsonl")
    codes = intercompany_codes(ent["qbo"])
    ic = {a["Id"] for a in accounts if a.get("AcctNum") in codes and a.get("Classification") in ("Asset", "Liability")}
    for j in latest(api / "qbo" / "JournalEntry.jsonl"):
        lines = [ln.get("JournalEntryLineDetail") or {} for ln in j.get("Line", [])]
        # the bank moves by what the intercompany account takes: debit "due from" = cash out
        moved = sum(
            (-1 if d.get("PostingType") == "Debit" else 1) * float(ln["Amount"])
            for ln, d in zip(j.get("Line", []), lines, strict=True)
            if (d.get("AccountRef") or {}).get("value") in ic
        )
        if moved:
            rows.append({"entity": ent["qbo"], "date": date.fromisoformat(j["TxnDate"]), "amount": moved})
    codes = intercompany_codes(ent["xero"])
    accounts = latest(api / "xero" / "Accounts.jsonl")
    ic = {a["Code"] for a in accounts if a.get("Code") in codes and a.get("Class") in ("ASSET", "LIABILITY")}
    for t in latest(api / "xero" / "BankTransactions.jsonl"):
        if t.get("Status") != "AUTHORISED" or t.get("Type") not in ("RECEIVE", "SPEND"):
            continue
        sign = 1 if t["Type"] == "RECEIVE" else -1
        moved = sum(float(li.get("LineAmount") or 0) for li in t.get("LineItems", []) if li.get("AccountCode") in ic)
        if moved:
            rows.append({"entity": ent["xero"], "date": _xero_date(t["Date"]), "amount": sign * moved})
    return pl.DataFrame(rows, schema={"entity": pl.Utf8, "date": pl.Date, "amount": pl.Float64})

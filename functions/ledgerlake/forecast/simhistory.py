"""The forecaster's History read straight from a simulation's API version files, no lake.

The product reads its history from the marts (`marts.load_history`). Landing and building a
24-month company takes many minutes on a shared machine; for the multi-seed whole-balance
benchmark this reads the same provider records the lake would hold, as versions with their
timestamps, so "as it stood on day D" is the latest version at or before D's end — the
definition the simulator's ground truth uses. Everything after `History` (the as-of cut, the
forecaster, the backtest) is the product's code unchanged.

* documents: QBO Invoice / Bill, Xero ACCREC / ACCPAY invoices, each as its latest version
  (voided and deleted ones left out, as the marts leave them); what was applied to each, and
  when, from the rise of its paid part (total less `Balance` / `AmountDue`) between versions
  (a corrected invoice's lower total is not a payment);
* balances: `truth/cash_by_account_day.csv` (what `marts.cash_by_account_day` equals to the
  cent), summed per entity;
* deals: HubSpot deal versions (stage, amount, close date, probability), open ones;
* bank history: payroll (QBO payroll journals' bank lines, Xero SPEND to the payroll and tax
  contacts), vendor payments and payouts (`simframes`).
"""

from __future__ import annotations

import csv
import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import polars as pl

from .history import CREDIT_SCHEMA, DEAL_SCHEMA, DOCUMENT_SCHEMA, FX_SCHEMA, History
from .run import EntityInfo
from .simframes import PAYROLL_CONTACTS, _xero_date, internal_transfers, sales_daily, vendor_payments

MONEY = pl.Decimal(18, 2)


def _versions(path: Path):
    if not path.exists():
        return
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def _day(at: str) -> date:
    return datetime.fromisoformat(at.replace("Z", "+00:00")).date()


def _documents(api: Path) -> tuple[list[dict], list[dict]]:
    """Each document as its latest version has it (as the marts keep it), and what was applied
    to it, and when: every rise of its paid part (total less balance) between versions. A
    correction that lowers the total lowers the balance with it and is not a payment; a
    document voided or deleted in the end is left out with its applications, as the marts
    leave it out (`ar_ap_documents` without voided and deleted documents)."""
    docs, allocations, paid, dead = {}, [], {}, set()
    for source, file, kind_of in (
        ("qbo", "Invoice.jsonl", lambda o: "AR"),
        ("qbo", "Bill.jsonl", lambda o: "AP"),
        ("xero", "Invoices.jsonl", lambda o: {"ACCREC": "AR", "ACCPAY": "AP"}.get(o.get("Type"))),
    ):
        for v in _versions(api / source / file):
            o, key = v["object"], f"{source}:{file}:{v['id']}"
            if v.get("deleted") or ("TxnDate" not in o and "Date" not in o):
                dead.add(key)  # a deletion (the object is a stub)
                continue
            kind = kind_of(o)
            if kind is None:
                continue
            if source == "qbo":
                ref = o.get("CustomerRef") or o.get("VendorRef") or {}
                total = Decimal(str(o.get("TotalAmt", 0)))
                balance = Decimal(str(o.get("Balance", total)))
                entity, currency = "US", (o.get("CurrencyRef") or {}).get("value", "USD")
                issued, due = date.fromisoformat(o["TxnDate"]), date.fromisoformat(o.get("DueDate") or o["TxnDate"])
                contact, name = f"qbo:{ref.get('value')}", ref.get("name")
                voided = False
            else:
                contact_obj = o.get("Contact") or {}
                total = Decimal(str(o.get("Total", 0)))
                balance = Decimal(str(o.get("AmountDue", total)))
                entity, currency = "UK", o.get("CurrencyCode", "GBP")
                issued, due = _xero_date(o["Date"]), _xero_date(o.get("DueDate") or o["Date"])
                contact, name = f"xero:{contact_obj.get('ContactID')}", contact_obj.get("Name")
                voided = o.get("Status") in ("VOIDED", "DELETED")
            if voided:
                dead.add(key)
                continue
            dead.discard(key)
            docs[key] = {
                "entity": entity,
                "kind": kind,
                "currency": currency,
                "contact_key": contact,
                "contact_name": name,
                "document_key": key,
                "issued_on": issued,
                "due_date": due,
                "total_amount": total,
            }
            # Versions can arrive out of order (a bill paid the hour it was entered: the
            # entry's version is stamped after the payment's): what was paid never falls.
            rise = (total - balance) - paid.get(key, Decimal(0))
            if rise > 0:
                allocations.append({"document_key": key, "applied_on": max(_day(v["at"]), issued), "amount": rise})
                paid[key] = total - balance
    alive = [d for k, d in docs.items() if k not in dead]
    return alive, [a for a in allocations if a["document_key"] not in dead]


def _stages(api: Path) -> dict[str, tuple[float, bool]]:
    """stage id -> (probability, closed) from the HubSpot pipelines."""
    stages = {}
    for v in _versions(api / "hubspot" / "pipelines.jsonl"):
        for s in v["object"].get("stages", []):
            meta = s.get("metadata") or {}
            stages[s["id"]] = (float(meta.get("probability") or 0), meta.get("isClosed") == "true")
    return stages


def _deal_intervals(api: Path) -> pl.DataFrame:
    stages = _stages(api)
    entity_for = {"USD": "US", "GBP": "UK"}
    rows, open_row = [], {}
    for v in _versions(api / "hubspot" / "deals.jsonl"):
        p, day = (v["object"].get("properties") or {}), _day(v["at"])
        if v["id"] in open_row:
            open_row.pop(v["id"])["valid_to"] = day
        prob, closed = stages.get(p.get("dealstage"), (0.0, True))
        currency = p.get("deal_currency_code") or "USD"
        if v.get("deleted") or closed or not p.get("amount") or not p.get("closedate") or currency not in entity_for:
            continue
        row = {
            "entity": entity_for[currency],
            "currency": currency,
            "deal_id": v["id"],
            "amount": Decimal(p["amount"]),
            "probability": prob,
            "close_date": _day(p["closedate"]),
            "stage_id": p.get("dealstage"),
            "valid_from": day,
            "valid_to": date(9999, 1, 1),
        }
        rows.append(row)
        open_row[v["id"]] = row
    return pl.DataFrame(rows, schema={**DEAL_SCHEMA, "valid_from": pl.Date, "valid_to": pl.Date})


def _deal_events(api: Path) -> pl.DataFrame:
    """Every deal version as a stage-history event (what the snapshot mart's changes are)."""
    from .pipeline import EVENT_SCHEMA

    stages = _stages(api)
    entity_for = {"USD": "US", "GBP": "UK"}
    rows = []
    for v in _versions(api / "hubspot" / "deals.jsonl"):
        p = v["object"].get("properties") or {}
        currency = p.get("deal_currency_code") or "USD"
        if v.get("deleted") or currency not in entity_for or p.get("dealstage") not in stages:
            continue
        prob, closed = stages[p["dealstage"]]
        rows.append(
            {
                "entity": entity_for[currency],
                "deal_id": v["id"],
                "day": _day(v["at"]),
                "stage_id": p["dealstage"],
                "probability": prob,
                "close_date": _day(p["closedate"]) if p.get("closedate") else None,
                "is_closed": closed,
                "is_won": closed and prob >= 1.0,
            }
        )
    return pl.DataFrame(rows, schema=EVENT_SCHEMA)


def _payroll(api: Path) -> list[dict]:
    rows = []
    for v in _versions(api / "qbo" / "JournalEntry.jsonl"):
        o = v["object"]
        if not str(o.get("DocNumber", "")).startswith(("PR-", "PRTAX-")):
            continue
        paid = sum(
            Decimal(str(line["Amount"]))
            for line in o.get("Line", [])
            if line.get("JournalEntryLineDetail", {}).get("PostingType") == "Credit"
            and "Payroll" in line["JournalEntryLineDetail"].get("AccountRef", {}).get("name", "")
            and "Liab" not in line["JournalEntryLineDetail"]["AccountRef"].get("name", "")
        )
        if paid:
            rows.append(
                {
                    "entity": "US",
                    "currency": "USD",
                    "kind": "payroll",
                    "series": "payroll",
                    "date": date.fromisoformat(o["TxnDate"]),
                    "amount": paid,
                    "id": v["id"],
                }
            )
    for v in _versions(api / "xero" / "BankTransactions.jsonl"):
        o = v["object"]
        name = (o.get("Contact") or {}).get("Name")
        if o.get("Type") == "SPEND" and o.get("Status") == "AUTHORISED" and name in PAYROLL_CONTACTS:
            rows.append(
                {
                    "entity": "UK",
                    "currency": "GBP",
                    "kind": "payroll",
                    "series": name,
                    "date": _xero_date(o["Date"]),
                    "amount": Decimal(str(o["Total"])),
                    "id": v["id"],
                }
            )
    latest = {r["id"]: r for r in rows}  # the latest version of each document
    return [{k: v for k, v in r.items() if k != "id"} for r in latest.values()]


def load_sim_history(sim_dir: Path, reporting_currency: str = "USD") -> History:
    sim_dir = Path(sim_dir)
    api = sim_dir / "api"
    docs, allocations = _documents(api)
    cash: dict[tuple[str, date], float] = {}
    with open(sim_dir / "truth" / "cash_by_account_day.csv", encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            key = (r["entity"], date.fromisoformat(r["date"]))
            cash[key] = cash.get(key, 0.0) + float(r["balance"])
    balances = pl.DataFrame(
        [{"entity": e, "date": d, "balance": b} for (e, d), b in cash.items()],
        schema={"entity": pl.Utf8, "date": pl.Date, "balance": pl.Float64},
    ).sort("entity", "date")
    fx_rows = []
    with open(sim_dir / "reference" / "fx_rates.csv", encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            if r["quote"] == reporting_currency:
                fx_rows.append(
                    {"currency": r["base"], "posted_on": date.fromisoformat(r["date"]), "fx_rate": float(r["rate"])}
                )
    payments = vendor_payments(sim_dir)
    # (net pay and the tax office are not vendor payments: they are the payroll series below)
    vendor_series = payments.select(
        "entity",
        "currency",
        kind=pl.lit("recurring"),
        series=pl.col("vendor_name"),
        date=pl.col("paid_on"),
        amount=pl.col("amount"),
    )
    recurring = (
        pl.concat([vendor_series, pl.DataFrame(_payroll(api), schema=vendor_series.schema)])
        .group_by("entity", "currency", "kind", "series", "date")
        .agg(pl.col("amount").sum())
    )
    doc_schema = DOCUMENT_SCHEMA
    return History(
        reporting_currency=reporting_currency,
        entities={"US": EntityInfo("USD", "US"), "UK": EntityInfo("GBP", "GB")},
        last_day=balances["date"].max(),
        balances=balances,
        fx=pl.DataFrame(fx_rows, schema=FX_SCHEMA),
        documents=pl.DataFrame(docs, schema=doc_schema),
        allocations=pl.DataFrame(allocations, schema={"document_key": pl.Utf8, "applied_on": pl.Date, "amount": MONEY}),
        credits=pl.DataFrame(schema=CREDIT_SCHEMA),
        deal_snapshots=None,
        deals_now=pl.DataFrame(schema=DEAL_SCHEMA),
        deal_intervals=_deal_intervals(api),
        deal_events=_deal_events(api),
        recurring=recurring.with_columns(pl.col("amount").cast(MONEY)),
        sales=sales_daily(sim_dir),
        payments=payments,
        internal_transfers=internal_transfers(sim_dir),
    )

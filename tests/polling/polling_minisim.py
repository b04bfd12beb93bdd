"""A small hand-built simulated company in the generator's output format
(DIR/api/{source}/{resource}.jsonl, one `{"at", "id", "deleted", "object"}` line per
version) and in each provider's wire shapes, plus the ground truth read straight from
those files. Lets the polling tests run without depending on the full generator.
"""

from __future__ import annotations

import json
import random
import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from ledgerlake.simulate.engine import RESOURCES

START = datetime(2025, 1, 1, tzinfo=UTC)
END = START + timedelta(days=60)

QBO_ENTITIES = RESOURCES["qbo"]  # what the simulated company emits (no cash sales)
XERO_RESOURCES = {
    "Invoices": "InvoiceID",
    "Payments": "PaymentID",
    "BankTransactions": "BankTransactionID",
    "CreditNotes": "CreditNoteID",
    "Accounts": "AccountID",
    "Contacts": "ContactID",
    "ManualJournals": "ManualJournalID",
}


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Writer:
    def __init__(self, root: Path):
        self.root = root
        self.lines: dict[Path, list[tuple[datetime, str]]] = {}

    def add(self, source: str, resource: str, at: datetime, rid, obj, deleted=False, refs=None):
        line = {"at": iso(at), "id": str(rid), "deleted": deleted, "object": obj}
        if refs:
            line["refs"] = refs
        path = self.root / "api" / source / f"{resource}.jsonl"
        self.lines.setdefault(path, []).append((at, json.dumps(line)))

    def close(self):
        for path, rows in self.lines.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            rows.sort(key=lambda r: r[0])
            path.write_text("".join(text + "\n" for _, text in rows))


def _moments(rng, n):
    span = (END - START).total_seconds()
    return sorted(START + timedelta(seconds=int(rng.random() * span)) for _ in range(n))


def build(root: Path, n: int = 60, seed: int = 3) -> Path:
    """About `n` objects per resource, some with several versions, some deleted."""
    rng = random.Random(seed)
    w = Writer(Path(root))

    def later(at, hours=72):
        return min(END, at + timedelta(seconds=rng.randint(60, hours * 3600)))

    # -- Stripe --------------------------------------------------------------------------
    charges = []
    for i, at in enumerate(_moments(rng, n)):
        ts = int(at.timestamp())
        amount = rng.randint(500, 50000)
        charge = {"id": f"ch_{i:06d}", "object": "charge", "amount": amount, "currency": "usd", "created": ts}
        w.add(
            "stripe",
            "events",
            at,
            f"evt_{i:06d}",
            {
                "id": f"evt_{i:06d}",
                "object": "event",
                "api_version": "2025-03-31.basil",
                "created": ts,
                "data": {"object": charge},
                "livemode": False,
                "pending_webhooks": 0,
                "request": {"id": None, "idempotency_key": None},
                "type": "charge.succeeded",
            },
        )
        fee = amount * 29 // 1000 + 30
        txn = {
            "id": f"txn_{i:06d}",
            "object": "balance_transaction",
            "amount": amount,
            "fee": fee,
            "net": amount - fee,
            "currency": "usd",
            "created": ts,
            "available_on": ts + 2 * 86400,
            "status": "available",
            "type": "charge",
            "source": charge["id"],
            "reporting_category": "charge",
        }
        w.add("stripe", "balance_transactions", at, txn["id"], txn)
        charges.append(txn)
    day = START + timedelta(days=7)
    p = 0
    while day < END:
        ts = int(day.timestamp())
        swept = [t for t in charges if t["available_on"] <= ts and not t.get("_paid")]
        for t in swept:
            t["_paid"] = True
        if swept:
            total = sum(t["net"] for t in swept)
            txn = {
                "id": f"txn_po_{p:04d}",
                "object": "balance_transaction",
                "amount": -total,
                "fee": 0,
                "net": -total,
                "currency": "usd",
                "created": ts,
                "available_on": ts,
                "status": "available",
                "type": "payout",
                "source": f"po_{p:04d}",
                "reporting_category": "payout",
            }
            w.add("stripe", "balance_transactions", day, txn["id"], txn)
            p += 1
        day += timedelta(days=7)

    # -- Shopify -------------------------------------------------------------------------
    for i, at in enumerate(_moments(rng, n)):
        oid = 5000000 + i
        local = at.astimezone(timezone(timedelta(hours=1)))
        order = {
            "id": oid,
            "admin_graphql_api_id": f"gid://shopify/Order/{oid}",
            "name": f"#{1000 + i}",
            "created_at": local.isoformat(),
            "updated_at": local.isoformat(),
            "financial_status": "pending",
            "currency": "GBP",
            "total_price": f"{rng.randint(10, 900)}.{rng.randint(0, 99):02d}",
            "customer": {"id": 900 + i, "email": f"c{i}@example.com", "first_name": "Ada", "last_name": "L"},
            "line_items": [{"id": 1, "sku": "SKU-1", "title": "Thing", "quantity": 1, "price": "10.00"}],
        }
        w.add("shopify", "orders", at, oid, order)
        if rng.random() < 0.5:
            at2 = later(at)
            w.add(
                "shopify",
                "orders",
                at2,
                oid,
                {**order, "updated_at": at2.astimezone(local.tzinfo).isoformat(), "financial_status": "paid"},
            )
        if rng.random() < 0.05:
            w.add("shopify", "orders", later(at, 200), oid, {"id": oid}, deleted=True)
    for i, at in enumerate(_moments(rng, max(3, n // 10))):
        payout = {
            "id": 700 + i,
            "status": "scheduled",
            "date": at.date().isoformat(),
            "currency": "USD",
            "amount": f"{rng.randint(100, 9000)}.00",
        }
        w.add("shopify", "payouts", at, payout["id"], payout)
        w.add("shopify", "payouts", later(at, 48), payout["id"], {**payout, "status": "paid"})
        for j in range(3):
            bt = {
                "id": 90000 + i * 10 + j,
                "type": "charge",
                "payout_id": payout["id"],
                "payout_status": "paid",
                "currency": "USD",
                "amount": "10.00",
                "fee": "0.59",
                "net": "9.41",
                "processed_at": iso(at - timedelta(days=2)),
            }
            w.add("shopify", "balance_transactions", at - timedelta(days=2), bt["id"], bt)

    # -- HubSpot -------------------------------------------------------------------------
    for kind in ("deals", "companies"):
        for i, at in enumerate(_moments(rng, n)):
            rid = str(10000 + i)
            props = {"hs_object_id": rid, "createdate": iso(at), "hs_lastmodifieddate": iso(at)}
            props.update(
                {
                    "dealname": f"Deal {i}",
                    "amount": str(rng.randint(1000, 90000)),
                    "dealstage": "appointmentscheduled",
                    "pipeline": "default",
                }
                if kind == "deals"
                else {"name": f"Company {i}", "domain": f"c{i}.example"}
            )
            obj = {"id": rid, "properties": props, "createdAt": iso(at), "updatedAt": iso(at), "archived": False}
            w.add("hubspot", kind, at, rid, obj)
            if rng.random() < 0.5:
                at2 = later(at)
                props2 = {**props, "hs_lastmodifieddate": iso(at2)}
                if kind == "deals":
                    props2["dealstage"] = "closedwon"
                w.add("hubspot", kind, at2, rid, {**obj, "properties": props2, "updatedAt": iso(at2)})
            if rng.random() < 0.05:
                at3 = later(at, 300)
                w.add("hubspot", kind, at3, rid, {**obj, "archived": True, "updatedAt": iso(at3)}, deleted=True)
    w.add(
        "hubspot",
        "pipelines",
        START,
        "default",
        {
            "id": "default",
            "label": "Sales Pipeline",
            "displayOrder": 0,
            "archived": False,
            "createdAt": iso(START),
            "updatedAt": iso(START),
            "stages": [
                {
                    "id": "appointmentscheduled",
                    "label": "Appointment Scheduled",
                    "displayOrder": 0,
                    "metadata": {"isClosed": "false", "probability": "0.2"},
                },
                {
                    "id": "closedwon",
                    "label": "Closed Won",
                    "displayOrder": 1,
                    "metadata": {"isClosed": "true", "probability": "1.0"},
                },
            ],
        },
    )

    # -- QuickBooks Online ---------------------------------------------------------------
    for entity in QBO_ENTITIES:
        for i, at in enumerate(_moments(rng, max(2, n // 4))):
            rid = str(i + 1)
            local = at.astimezone(timezone(timedelta(hours=-8)))
            obj = {
                "Id": rid,
                "SyncToken": "0",
                "domain": "QBO",
                "sparse": False,
                "MetaData": {"CreateTime": local.isoformat(), "LastUpdatedTime": local.isoformat()},
            }
            w.add("qbo", entity, at, rid, obj)
            if rng.random() < 0.3:
                at2 = later(at)
                local2 = at2.astimezone(timezone(timedelta(hours=-8)))
                w.add(
                    "qbo",
                    entity,
                    at2,
                    rid,
                    {**obj, "SyncToken": "1", "MetaData": {**obj["MetaData"], "LastUpdatedTime": local2.isoformat()}},
                )
            if rng.random() < 0.08:
                at3 = later(at, 400)
                local3 = at3.astimezone(timezone(timedelta(hours=-8)))
                w.add(
                    "qbo",
                    entity,
                    at3,
                    rid,
                    {
                        "domain": "QBO",
                        "status": "Deleted",
                        "Id": rid,
                        "MetaData": {"LastUpdatedTime": local3.isoformat()},
                    },
                    deleted=True,
                )

    # -- Xero ----------------------------------------------------------------------------
    for resource, id_field in XERO_RESOURCES.items():
        for at in _moments(rng, max(2, n // 3)):
            rid = str(uuid.UUID(int=rng.getrandbits(128)))
            ms = int(at.timestamp() * 1000) + rng.randint(0, 999)
            obj = {id_field: rid, "UpdatedDateUTC": f"/Date({ms}+0000)/", "Status": "AUTHORISED"}
            w.add("xero", resource, datetime.fromtimestamp(ms / 1000, UTC), rid, obj)
            if rng.random() < 0.3:
                ms2 = ms + rng.randint(60_000, 86_400_000)
                at2 = datetime.fromtimestamp(ms2 / 1000, UTC)
                if at2 < END:
                    w.add(
                        "xero", resource, at2, rid, {**obj, "UpdatedDateUTC": f"/Date({ms2}+0000)/", "Status": "PAID"}
                    )

    # -- Plaid ---------------------------------------------------------------------------
    accounts = [
        {
            "account_id": f"acc_{k}",
            "name": f"Checking {k}",
            "type": "depository",
            "subtype": "checking",
            "balances": {"available": None, "current": 1000.5, "iso_currency_code": "USD"},
        }
        for k in range(2)
    ]
    for acc in accounts:
        w.add("plaid", "accounts", START, acc["account_id"], acc)
    for i, at in enumerate(_moments(rng, n)):
        outflow = rng.random() < 0.7
        txn = {
            "transaction_id": f"tx_{i:06d}",
            "account_id": accounts[i % 2]["account_id"],
            "amount": round(rng.uniform(5, 900), 2) * (1 if outflow else -1),
            "iso_currency_code": "USD",
            "date": at.date().isoformat(),
            "name": "Vendor payment" if outflow else "Customer deposit",
            "pending": True,
        }
        w.add("plaid", "transactions", at, txn["transaction_id"], txn)
        if rng.random() < 0.6:
            w.add("plaid", "transactions", later(at, 48), txn["transaction_id"], {**txn, "pending": False})
        elif rng.random() < 0.1:
            w.add(
                "plaid",
                "transactions",
                later(at, 48),
                txn["transaction_id"],
                {"transaction_id": txn["transaction_id"], "account_id": txn["account_id"]},
                deleted=True,
            )
    w.close()
    return Path(root)


# Shared by the polling tests (import from here, not from conftest: every test folder has
# a conftest.py, so `import conftest` resolves to whichever was imported first).
SOURCES = ("stripe", "shopify", "hubspot", "qbo", "xero", "plaid")
MID = START + (END - START) / 2

"""A hand-built warehouse with the ledger marts the analyst examples read (same names and
columns as transforms/models/marts/ledger), plus the rows in Python to compute answers from."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

LEDGER_END = date(2025, 6, 30)  # the last posted day: what the AR aging example ages against


@dataclass
class MiniLedger:
    path: Path
    revenue: list[tuple]  # (period_month, entity_id, currency, revenue, revenue_reporting)
    documents: list[tuple]  # (kind, entity, contact, due_date, currency, total, open, status, voided)


def build(path: Path, seed: int = 11) -> MiniLedger:
    import duckdb

    rng = random.Random(seed)
    conn = duckdb.connect(str(path))
    conn.execute("create schema marts")
    conn.execute(
        "create table marts.revenue_by_month (revenue_key varchar, entity_id varchar, period_month date,"
        " currency varchar, revenue decimal(38,6), revenue_reporting decimal(38,6), reporting_currency varchar)"
    )
    revenue = []
    for m in range(1, 7):
        month = date(2025, m, 1)
        for entity, currency, rate in (("US", "USD", Decimal(1)), ("UK", "GBP", Decimal("1.27"))):
            amount = Decimal(rng.randint(5_000_000, 9_000_000)) / 100
            revenue.append((month, entity, currency, amount, (amount * rate).quantize(Decimal("0.01"))))
    conn.executemany(
        "insert into marts.revenue_by_month values (? || ':' || ?, ?, ?, ?, ?, ?, 'USD')",
        [(e, str(m), e, m, c, r, rr) for m, e, c, r, rr in revenue],
    )
    conn.execute(
        """create table marts.ar_ap_documents (document_key varchar, entity_id varchar, document_kind varchar,
           contact_name varchar, issued_on date, due_date date, currency varchar, total_amount decimal(38,6),
           applied_amount decimal(38,6), open_amount decimal(38,6), status varchar, is_voided boolean,
           is_deleted boolean, source_system varchar, source_id varchar)"""
    )
    documents = []
    vendors = ["Acme Hosting", "Globex Payroll", "Initech Software", "Umbrella Rent", "Hooli Ads"]
    customers = ["Stark", "Wayne", "Wonka", "Tyrell"]
    for i in range(120):
        kind = "AR" if i % 2 else "AP"
        entity, currency = (("US", "USD"), ("UK", "GBP"))[i % 3 == 0]
        due = LEDGER_END - timedelta(days=rng.randint(-40, 150))
        total = Decimal(rng.randint(10_000, 2_000_000)) / 100
        roll = rng.random()
        voided = roll < 0.05
        open_amount = (
            Decimal(0) if voided or roll > 0.7 else (total if roll < 0.5 else (total / 2).quantize(Decimal("0.01")))
        )
        status = (
            "voided"
            if voided
            else ("paid" if open_amount == 0 else ("open" if open_amount == total else "partially_paid"))
        )
        contact = rng.choice(vendors if kind == "AP" else customers)
        documents.append((kind, entity, contact, due, currency, total, open_amount, status, voided))
        conn.execute(
            "insert into marts.ar_ap_documents values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, false, 'qbo', ?)",
            [
                f"d{i}",
                entity,
                kind,
                contact,
                due - timedelta(days=30),
                due,
                currency,
                total,
                total - open_amount,
                open_amount,
                status,
                voided,
                str(i),
            ],
        )
    conn.execute("create table marts.general_ledger (journal_line_id varchar, entity_id varchar, posted_on date)")
    conn.execute(
        "insert into marts.general_ledger values ('a', 'US', ?), ('b', 'UK', ?)",
        [LEDGER_END - timedelta(days=3), LEDGER_END],
    )
    conn.close()
    return MiniLedger(path, revenue, documents)

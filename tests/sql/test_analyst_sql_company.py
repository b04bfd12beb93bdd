"""`ledgerlake sql -c` on the simulated company's real build (tests/conftest.py's
`built_company`): the documented analyst queries' answers, checked against the marts' rows
recomputed here in Python (an independent computation, not the same SQL)."""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from decimal import Decimal

import duckdb

from ledgerlake.analyst.examples import AR_AGING, REVENUE_BY_MONTH, TOP_VENDORS
from ledgerlake.cli import main


def sql(capsys, warehouse, *args) -> tuple[int, str, str]:
    code = main(["sql", "--warehouse", str(warehouse), "--no-lake", *args])
    out, err = capsys.readouterr()
    return code, out, err


def rows(warehouse, query, params=None):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(query, params or []).fetchall()


def test_revenue_by_month_on_the_company(built_company, capsys):
    wh = built_company["warehouse"]
    code, out, _ = sql(capsys, wh, "-c", REVENUE_BY_MONTH, "--format", "csv")
    assert code == 0
    got = {r["month"]: (Decimal(r["revenue"]), r["currency"]) for r in csv.DictReader(io.StringIO(out))}
    expected: dict[str, Decimal] = defaultdict(Decimal)
    for month, amount in rows(wh, "select period_month, revenue_reporting from marts.revenue_by_month"):
        expected[month.isoformat()] += amount
    assert len(got) >= 5 and {m: v for m, (v, _) in got.items()} == dict(expected)
    assert {c for _, c in got.values()} == {"USD"}
    # the UK's GBP revenue is in it, in USD: more than the US alone in every month with UK revenue
    us = dict(
        rows(wh, "select period_month::varchar, revenue_reporting from marts.revenue_by_month where entity_id = 'US'")
    )
    uk_months = {
        m
        for (m,) in rows(
            wh, "select period_month::varchar from marts.revenue_by_month where entity_id = 'UK' and revenue > 0"
        )
    }
    assert uk_months and all(got[m][0] > us.get(m, 0) for m in uk_months)


def test_ar_aging_on_the_company(built_company, capsys):
    wh = built_company["warehouse"]
    code, out, _ = sql(capsys, wh, "-c", AR_AGING, "--format", "json")
    assert code == 0
    answer = json.loads(out)
    (as_of,) = rows(wh, "select max(posted_on) from marts.general_ledger")[0]
    expected: dict[tuple, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for entity, currency, issued, due, open_amount, status in rows(
        wh,
        """
            select entity_id, currency, issued_on, due_date, open_amount, status
            from marts.ar_ap_documents where document_kind = 'AR'""",
    ):
        if status not in ("open", "partially_paid") or open_amount <= 0:
            continue
        late = (as_of - (due or issued)).days
        bucket = (
            "current"
            if late <= 0
            else "1-30"
            if late <= 30
            else "31-60"
            if late <= 60
            else "61-90"
            if late <= 90
            else "90+"
        )
        expected[(entity, currency)][bucket] += open_amount
        expected[(entity, currency)]["total"] += open_amount
    assert expected and {(r["entity_id"], r["currency"]) for r in answer} == set(expected)
    for r in answer:
        want = expected[(r["entity_id"], r["currency"])]
        for bucket in ("current", "1-30", "31-60", "61-90", "90+", "total"):
            assert Decimal(r[bucket]) == want[bucket], (r["entity_id"], bucket)
        # every open amount falls in exactly one bucket
        assert sum(Decimal(r[b]) for b in ("current", "1-30", "31-60", "61-90", "90+")) == Decimal(r["total"])


def test_top_vendors_on_the_company(built_company, capsys):
    wh = built_company["warehouse"]
    code, out, _ = sql(capsys, wh, "-c", TOP_VENDORS, "--format", "csv")
    assert code == 0
    got = [
        (r["vendor"], r["entity_id"], r["currency"], int(r["bills"]), Decimal(r["billed"]))
        for r in csv.DictReader(io.StringIO(out))
    ]
    totals: dict[tuple, list] = defaultdict(lambda: [0, Decimal(0)])
    for vendor, entity, currency, total, voided, deleted in rows(
        wh,
        """
            select contact_name, entity_id, currency, total_amount, is_voided, is_deleted
            from marts.ar_ap_documents where document_kind = 'AP'""",
    ):
        if not voided and not deleted:
            totals[(vendor, entity, currency)][0] += 1
            totals[(vendor, entity, currency)][1] += total
    expected = sorted(((*k, n, t) for k, (n, t) in totals.items()), key=lambda r: (-r[4], r[0]))[:10]
    assert len(got) == min(10, len(totals)) >= 5 and got == expected

"""The simulated company is internally consistent, and its ground truth recomputes from
the emitted records alone (the same way the marts must compute it)."""

from __future__ import annotations

import csv
import json
import re
import statistics
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from sim_readers import problem_ids

from ledgerlake.sources.ecb.feed import cross_rate

ZERO = Decimal(0)


def cents(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def xero_day(value: str) -> date:
    ms = int(re.fullmatch(r"/Date\((\d+)[+-]\d{4}\)/", value).group(1))
    return datetime.fromtimestamp(ms / 1000, tz=UTC).date()


def read_csv(path):
    with open(path, encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


# -- ledger postings, recomputed from the wire documents ------------------------------------


def functional(lines, rate):
    """A foreign document's lines in the entity's currency at the document's rate: each line
    rounded half away from zero, the rounding left on the first (control / bank) line."""
    if rate is None:
        return lines
    rest = [(a, (amount * rate).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)) for a, amount in lines[1:]]
    return [(lines[0][0], -sum((v for _, v in rest), ZERO))] + rest


def qbo_rate(obj):
    """QBO ExchangeRate: home (USD) per 1 unit of a foreign document's currency."""
    return Decimal(str(obj["ExchangeRate"])) if obj.get("CurrencyRef", {}).get("value", "USD") != "USD" else None


def xero_rate(obj, currency):
    """Xero CurrencyRate is document units per 1 GBP: the functional rate is its inverse."""
    return cross_rate(Decimal(str(obj["CurrencyRate"])), Decimal(1)) if currency != "GBP" else None


def qbo_postings(api):
    """[(document kind, id, txn date, [(account id, debit-positive amount)])] for every live document."""
    accounts = api.latest("qbo", "Account")
    ar = next(i for i, a in accounts.items() if a["AccountType"] == "Accounts Receivable")
    ap = next(i for i, a in accounts.items() if a["AccountType"] == "Accounts Payable")
    docs = []
    for kind in ("Invoice", "Payment", "CreditMemo", "Bill", "BillPayment", "Purchase", "Deposit", "JournalEntry"):
        for oid, obj in api.latest("qbo", kind).items():
            total = cents(obj.get("TotalAmt", 0))
            lines = []
            if kind in ("Invoice", "CreditMemo"):
                sign = 1 if kind == "Invoice" else -1
                lines.append((ar, sign * total))
                for ln in obj["Line"]:
                    if ln["DetailType"] == "SalesItemLineDetail":
                        lines.append(
                            (ln["SalesItemLineDetail"]["ItemAccountRef"]["value"], -sign * cents(ln["Amount"]))
                        )
            elif kind == "Payment":
                lines += [(obj["DepositToAccountRef"]["value"], total), (ar, -total)]
            elif kind in ("Bill", "Purchase"):
                credit = ap if kind == "Bill" else obj["AccountRef"]["value"]
                lines.append((credit, -total))
                for ln in obj["Line"]:
                    lines.append((ln["AccountBasedExpenseLineDetail"]["AccountRef"]["value"], cents(ln["Amount"])))
            elif kind == "BillPayment":
                lines += [(ap, total), (obj["CheckPayment"]["BankAccountRef"]["value"], -total)]
            elif kind == "Deposit":
                lines.append((obj["DepositToAccountRef"]["value"], total))
                for ln in obj["Line"]:
                    lines.append((ln["DepositLineDetail"]["AccountRef"]["value"], -cents(ln["Amount"])))
            else:
                for ln in obj["Line"]:
                    detail = ln["JournalEntryLineDetail"]
                    sign = 1 if detail["PostingType"] == "Debit" else -1
                    lines.append((detail["AccountRef"]["value"], sign * cents(ln["Amount"])))
            docs.append((kind, oid, date.fromisoformat(obj["TxnDate"]), functional(lines, qbo_rate(obj))))
    return docs


def xero_postings(api):
    accounts = {a["Code"]: a for a in api.latest("xero", "Accounts").values()}
    system = {a.get("SystemAccount"): code for code, a in accounts.items()}
    ar, ap, vat = system["DEBTORS"], system["CREDITORS"], system["GST"]
    docs = []
    for oid, obj in api.latest("xero", "Invoices").items():
        sign = 1 if obj["Type"] == "ACCREC" else -1
        lines = [(ar if sign > 0 else ap, sign * cents(obj["Total"])), (vat, -sign * cents(obj["TotalTax"]))]
        lines += [(ln["AccountCode"], -sign * cents(ln["LineAmount"])) for ln in obj["LineItems"]]
        lines = functional(lines, xero_rate(obj, obj["CurrencyCode"]))
        docs.append(("Invoice", oid, xero_day(obj["Date"]), lines))
    for oid, obj in api.latest("xero", "CreditNotes").items():
        lines = [(ar, -cents(obj["Total"])), (vat, cents(obj["TotalTax"]))]
        lines += [(ln["AccountCode"], cents(ln["LineAmount"])) for ln in obj["LineItems"]]
        docs.append(("CreditNote", oid, xero_day(obj["Date"]), lines))
    for oid, obj in api.latest("xero", "Payments").items():
        amount = cents(obj["Amount"])
        bank = obj["Account"]["Code"]
        if obj["PaymentType"] == "ACCRECPAYMENT":
            lines = [(bank, amount), (ar, -amount)]
        else:
            lines = [(ap, amount), (bank, -amount)]
        lines = functional(lines, xero_rate(obj, obj["Invoice"].get("CurrencyCode", "GBP")))
        docs.append(("Payment", oid, xero_day(obj["Date"]), lines))
    for oid, obj in api.latest("xero", "BankTransactions").items():
        sign = 1 if obj["Type"] == "SPEND" else -1
        lines = [(obj["BankAccount"]["Code"], -sign * cents(obj["Total"]))]
        for ln in obj["LineItems"]:
            lines += [(ln["AccountCode"], sign * cents(ln["LineAmount"])), (vat, sign * cents(ln["TaxAmount"]))]
        docs.append(("BankTransaction", oid, xero_day(obj["Date"]), lines))
    for oid, obj in api.latest("xero", "ManualJournals").items():
        docs.append(
            (
                "ManualJournal",
                oid,
                xero_day(obj["Date"]),
                [(ln["AccountCode"], cents(ln["LineAmount"])) for ln in obj["JournalLines"]],
            )
        )
    return docs


@pytest.fixture(scope="session")
def ledgers(api):
    return {"US": qbo_postings(api), "UK": xero_postings(api)}


def test_every_ledger_document_balances_and_each_ledger_nets_to_zero(ledgers):
    for entity, docs in ledgers.items():
        assert len(docs) > 500
        trial = defaultdict(Decimal)
        for kind, oid, _, lines in docs:
            assert sum(amount for _, amount in lines) == ZERO, (entity, kind, oid)
            for account, amount in lines:
                trial[account] += amount
        assert sum(trial.values()) == ZERO


def test_revenue_truth_recomputes_from_income_postings(api, ledgers, sim_dir):
    qbo_income = {i for i, a in api.latest("qbo", "Account").items() if a["AccountType"] == "Income"}
    xero_income = {a["Code"] for a in api.latest("xero", "Accounts").values() if a["Type"] in ("REVENUE", "SALES")}
    income = {"US": qbo_income, "UK": xero_income}
    recomputed = defaultdict(Decimal)
    for entity, docs in ledgers.items():
        for _, _, day, lines in docs:
            for account, amount in lines:
                if account in income[entity]:
                    recomputed[(day.strftime("%Y-%m"), entity)] -= amount
    truth = read_csv(sim_dir / "truth" / "revenue_by_month.csv")
    assert len(truth) == 18 * 2
    for row in truth:
        assert re.fullmatch(r"-?\d+\.\d\d", row["revenue"])
        assert {"US": "USD", "UK": "GBP"}[row["entity"]] == row["currency"]
        assert Decimal(row["revenue"]) == recomputed[(row["month"], row["entity"])], row
        assert Decimal(row["revenue"]) > 0


def test_cash_truth_recomputes_from_plaid_posted_transactions(api, sim_dir):
    opening = {}
    for line in api.lines("plaid", "accounts"):
        opening.setdefault(line["id"], cents(line["object"]["balances"]["current"]))
    moves = defaultdict(Decimal)
    for line in api.lines("plaid", "transactions"):
        txn = line["object"]
        if not line["deleted"] and not txn["pending"]:
            moves[(txn["account_id"], txn["date"])] += cents(txn["amount"])
    running = dict(opening)
    rows = read_csv(sim_dir / "truth" / "cash_by_account_day.csv")
    assert len(rows) == 549 * 4
    for row in rows:  # rows are in date order
        running[row["account_id"]] -= moves.pop((row["account_id"], row["date"]), ZERO)
        assert Decimal(row["balance"]) == running[row["account_id"]], row
    assert not moves, "posted transactions outside the truth's days"
    final = {a["account_id"]: cents(a["balances"]["current"]) for a in api.latest("plaid", "accounts").values()}
    assert final == running


def test_open_ar_truth_recomputes_from_invoice_versions(api, sim_dir):
    truth = defaultdict(dict)
    for row in read_csv(sim_dir / "truth" / "open_ar_month_end.csv"):
        truth[row["month_end"]][(row["entity"], row["customer_id"])] = Decimal(row["open_amount"])
    assert len(truth) >= 15
    for month_end, expected in truth.items():
        cutoff = f"{month_end}T23:59:59Z"
        got = defaultdict(Decimal)
        for inv in api.latest("qbo", "Invoice", until=cutoff).values():
            if cents(inv["Balance"]):
                got[("US", inv["CustomerRef"]["value"])] += cents(inv["Balance"])
        for inv in api.latest("xero", "Invoices", until=cutoff).values():
            if inv["Type"] == "ACCREC" and cents(inv["AmountDue"]):
                got[("UK", inv["Contact"]["ContactID"])] += cents(inv["AmountDue"])
        assert dict(got) == expected, month_end


# -- processors and the bank -------------------------------------------------------------------


def plaid_posted(api):
    return [
        line["object"]
        for line in api.lines("plaid", "transactions")
        if not line["deleted"] and not line["object"]["pending"]
    ]


def test_each_stripe_payout_equals_its_balance_transactions(api):
    payouts = api.latest("stripe", "payouts")
    members = defaultdict(list)
    for line in api.lines("stripe", "balance_transactions"):
        if "refs" in line:
            members[line["refs"]["payout"]].append(line["object"])
    assert len(payouts) > 300
    for po_id, payout in payouts.items():
        settled = {bt["id"]: bt for bt in members[po_id]}
        own = [bt for bt in settled.values() if bt["type"] == "payout"]
        assert len(own) == 1 and own[0]["amount"] == -payout["amount"]
        assert sum(bt["net"] for bt in settled.values() if bt["type"] != "payout") == payout["amount"], po_id
        assert all(bt["amount"] - bt["fee"] == bt["net"] for bt in settled.values())


def test_each_stripe_payout_reaches_the_bank_except_the_planted_one(api, problems):
    missing = problem_ids(problems, "payout_missing_from_bank")
    assert len(missing) == 1
    deposits = {}
    for txn in plaid_posted(api):
        if txn["name"].startswith("STRIPE TRANSFER ST-"):
            deposits["po_" + txn["name"].removeprefix("STRIPE TRANSFER ST-")] = txn
    end = json.loads((api.root / "manifest.json").read_text())["end"]
    for po_id, payout in api.latest("stripe", "payouts").items():
        arrival = datetime.fromtimestamp(payout["arrival_date"], tz=UTC).date().isoformat()
        if payout["status"] != "paid":  # the run ended before it arrived
            assert arrival > end and po_id not in deposits
            continue
        if po_id in missing:
            assert po_id not in deposits
            continue
        txn = deposits.pop(po_id)
        assert txn["payment_meta"]["reference_number"] == po_id
        assert cents(txn["amount"]) == -Decimal(payout["amount"]) / 100
        assert txn["date"] == arrival
    assert not deposits, "bank deposits without a payout"


def test_each_shopify_payout_equals_its_transactions_and_reaches_the_bank(api):
    payouts = api.latest("shopify", "payouts")
    nets = defaultdict(Decimal)
    for bt in api.latest("shopify", "balance_transactions").values():
        assert Decimal(bt["amount"]) - Decimal(bt["fee"]) == Decimal(bt["net"])
        nets[bt["payout_id"]] += Decimal(bt["net"])
    deposits = {
        txn["name"].removeprefix("SHOPIFY PAYMENTS "): txn
        for txn in plaid_posted(api)
        if txn["name"].startswith("SHOPIFY PAYMENTS ")
    }
    assert len(payouts) > 300
    end = json.loads((api.root / "manifest.json").read_text())["end"]
    for pid, payout in payouts.items():
        assert nets[int(pid)] == Decimal(payout["amount"]), pid
        if payout["status"] != "paid":  # the run ended before it arrived
            assert payout["date"] > end and pid not in deposits
            continue
        txn = deposits.pop(pid)
        assert cents(txn["amount"]) == -Decimal(payout["amount"]) and txn["date"] == payout["date"]
    assert not deposits


# -- CRM <-> ledger ---------------------------------------------------------------------------------


def won_stages(api):
    return {
        s["id"]
        for p in api.latest("hubspot", "pipelines").values()
        for s in p["stages"]
        if s["metadata"]["probability"] == "1.0"
    }


def test_line_items_belong_to_won_deals_and_add_up_to_their_amount(api):
    """Some won deals are quoted with line items (HubSpot line_items, each associated to its
    deal): quantity x price is the line's amount, and a deal's lines add up to its amount."""
    deals, won = api.latest("hubspot", "deals"), won_stages(api)
    by_deal: dict[str, list[dict]] = {}
    for item in api.latest("hubspot", "line_items").values():
        props = item["properties"]
        assert Decimal(props["quantity"]) * Decimal(props["price"]) == Decimal(props["amount"]), item["id"]
        by_deal.setdefault(item["associations"]["deals"]["results"][0]["id"], []).append(props)
    won_deals = [d for d in deals.values() if d["properties"]["dealstage"] in won]
    assert 0.5 < len(by_deal) / len(won_deals) < 0.9  # some deals, not all
    for deal_id, lines in by_deal.items():
        deal = deals[deal_id]["properties"]
        assert deal["dealstage"] in won
        assert sum(Decimal(p["amount"]) for p in lines) == Decimal(deal["amount"]), deal_id
        assert {p["hs_line_item_currency_code"] for p in lines} == {deal["deal_currency_code"]}


def test_each_ledger_invoice_matches_a_won_deal_except_the_planted_ones(api, problems):
    deals = api.latest("hubspot", "deals")
    won = won_stages(api)
    open_but_paid = problem_ids(problems, "paid_invoice_deal_open", "deals", "Invoice")
    not_invoiced = problem_ids(problems, "won_deal_not_invoiced")
    assert len(not_invoiced) >= 2 and len(open_but_paid) == 2
    invoiced = set()
    invoices = [
        (i, o["CustomField"][0]["StringValue"], cents(o["TotalAmt"]), cents(o["Balance"]), o["CustomerRef"]["name"])
        for i, o in api.latest("qbo", "Invoice").items()
    ]
    invoices += [
        (i, o["Reference"], cents(o["SubTotal"]), cents(o["AmountDue"]), o["Contact"]["Name"])
        for i, o in api.latest("xero", "Invoices").items()
        if o["Type"] == "ACCREC"
    ]
    assert len(invoices) > 150
    # invoices outside the CRM: the customer billed in euros every month, and the intercompany fee
    without_deal = {name for _, reference, _, _, name in invoices if not reference}
    assert without_deal == {"Rheinland Logistik GmbH", "Northwind UK Ltd"}
    for inv_id, reference, subtotal, balance, _ in invoices:
        if not reference:
            continue
        deal_id = reference.removeprefix("HS-DEAL-")
        deal = deals[deal_id]
        invoiced.add(deal_id)
        assert Decimal(deal["properties"]["amount"]) == subtotal, inv_id
        if inv_id in open_but_paid:
            assert deal_id in open_but_paid and deal["properties"]["dealstage"] not in won and balance == 0
        else:
            assert deal["properties"]["dealstage"] in won, inv_id
    won_deals = {i for i, d in deals.items() if d["properties"]["dealstage"] in won}
    assert won_deals - invoiced == not_invoiced


def test_stripe_invoice_payments_reference_the_ledger_invoice(api):
    invoices = api.latest("qbo", "Invoice")
    linked = 0
    for charge in api.latest("stripe", "charges").values():
        meta = charge["metadata"]
        if "qbo_invoice_id" in meta:
            assert invoices[meta["qbo_invoice_id"]]["DocNumber"] == meta["invoice_number"]
            linked += 1
    assert linked > 20


# -- planted problems and their look-alikes ---------------------------------------------------------


def test_every_planted_problem_is_listed_with_existing_records(api, problems):
    kinds = {p["kind"] for p in problems}
    assert kinds == {
        "duplicate_vendor_payment",
        "vendor_name_variants",
        "unusual_vendor_charge",
        "won_deal_not_invoiced",
        "payout_missing_from_bank",
        "paid_invoice_deal_open",
        "refund_missing_from_ledger",
        "new_vendor_large_payment",
    }
    for p in problems:
        assert p["entity"] in ("US", "UK") and re.fullmatch(r"\d+\.\d\d", p["amount"])
        for record in p["records"]:
            assert record["id"] in api.latest(record["source"], record["resource"]), record


def test_only_the_planted_bills_are_duplicates_while_recurring_amounts_repeat(api, problems):
    planted = problem_ids(problems, "duplicate_vendor_payment", "Bill", "Invoices")
    groups = defaultdict(list)
    for bid, bill in api.latest("qbo", "Bill").items():
        groups[("US", bill["VendorRef"]["value"], bill["DocNumber"])].append(bid)
    for iid, inv in api.latest("xero", "Invoices").items():
        if inv["Type"] == "ACCPAY":
            groups[("UK", inv["Contact"]["ContactID"], inv["InvoiceNumber"])].append(iid)
    duplicated = {i for ids in groups.values() if len(ids) > 1 for i in ids}
    assert duplicated == planted and len(planted) == 4
    # Both copies were paid.
    paid_bills = {ln["LinkedTxn"][0]["TxnId"] for p in api.latest("qbo", "BillPayment").values() for ln in p["Line"]}
    paid_bills |= {p["Invoice"]["InvoiceID"] for p in api.latest("xero", "Payments").values()}
    assert planted <= paid_bills
    for p in problems:
        if p["kind"] == "duplicate_vendor_payment":
            resources = [r["resource"] for r in p["records"]]
            assert resources.count("transactions") == 2, "both bank debits are listed"
            assert resources.count("BillPayment") + resources.count("Payments") == 2
    # Legit repeats: rent is the same amount every month under a different bill number.
    rent = [b for b in api.latest("qbo", "Bill").values() if b["VendorRef"]["name"] == "Landmark Properties LLC"]
    assert (
        len(rent) >= 17 and len({b["TotalAmt"] for b in rent}) == 1 and len({b["DocNumber"] for b in rent}) == len(rent)
    )
    fixed = [p for p in api.latest("qbo", "Purchase").values() if p["EntityRef"]["name"] == "Atlassian"]
    assert len(fixed) >= 17 and len({p["TotalAmt"] for p in fixed}) == 1


def test_only_the_planted_vendor_charge_is_a_spike(api, problems):
    planted = problem_ids(problems, "unusual_vendor_charge", "Bill") | problem_ids(
        problems, "new_vendor_large_payment", "Bill"
    )
    by_vendor = defaultdict(list)
    for bid, bill in api.latest("qbo", "Bill").items():
        by_vendor[bill["VendorRef"]["name"]].append((bid, cents(bill["TotalAmt"])))
    spikes = set()
    for bills in by_vendor.values():
        if len(bills) < 3:
            continue
        median = statistics.median(a for _, a in bills)
        spikes |= {bid for bid, amount in bills if amount > 2 * median}
    assert spikes and spikes <= planted


def test_the_missing_refund_is_the_only_refund_not_booked(api, problems):
    missing = problem_ids(problems, "refund_missing_from_ledger", "refunds")
    refunds = api.latest("stripe", "refunds")
    missing_refunds = [r for r in refunds.values() if r["id"] in missing]
    assert len(missing_refunds) == 1
    refund_account = next(i for i, a in api.latest("qbo", "Account").items() if a["Name"] == "Refunds & Allowances")
    booked = sum(
        cents(ln["Amount"])
        for je in api.latest("qbo", "JournalEntry").values()
        for ln in je["Line"]
        if ln["JournalEntryLineDetail"]["AccountRef"]["value"] == refund_account
    )
    total = sum(Decimal(r["amount"]) for r in refunds.values()) / 100
    assert booked == total - Decimal(missing_refunds[0]["amount"]) / 100


def test_the_fx_transfer_links_both_entities(api):
    out = [t for t in plaid_posted(api) if t["name"] == "WIRE TRANSFER OUT NORTHWIND UK LTD"]
    into = [t for t in plaid_posted(api) if t["name"] == "NORTHWIND US INC TT INTERCOMPANY"]
    assert len(out) == 1 and len(into) == 1
    assert out[0]["iso_currency_code"] == "USD" and into[0]["iso_currency_code"] == "GBP"
    assert date.fromisoformat(into[0]["date"]) - date.fromisoformat(out[0]["date"]) == timedelta(days=1)
    rates = {
        (r["date"], r["base"], r["quote"]): Decimal(r["rate"])
        for r in read_csv(api.root / "reference" / "fx_rates.csv")
        if r["base"] == "USD"
    }
    rate = rates[(out[0]["date"], "USD", "GBP")]
    assert cents(-into[0]["amount"]) == cents(out[0]["amount"] * rate)


def test_manifest_stats_describe_the_run(sim_dir, problems):
    manifest = json.loads((sim_dir / "manifest.json").read_text())
    assert manifest["problems"] == len(problems)
    assert manifest["stats"]["invoices"] > 150 and manifest["stats"]["stripe_payouts"] > 300


def test_clearing_accounts_tie_out_to_the_processors(api, ledgers, problems):
    """Ledger clearing = processor balance + what left the processor but is not booked at the bank."""
    qbo_accounts = api.latest("qbo", "Account")
    stripe_clearing = next(i for i, a in qbo_accounts.items() if a["Name"] == "Stripe Clearing")
    clearing = sum(
        amount for _, _, _, lines in ledgers["US"] for account, amount in lines if account == stripe_clearing
    )
    balance = sum(bt["net"] for bt in api.latest("stripe", "balance_transactions").values())
    deposited = {
        "po_" + t["name"].removeprefix("STRIPE TRANSFER ST-")
        for t in plaid_posted(api)
        if t["name"].startswith("STRIPE TRANSFER ST-")
    }
    undeposited = sum(p["amount"] for i, p in api.latest("stripe", "payouts").items() if i not in deposited)
    unbooked = sum(
        r["amount"]
        for i, r in api.latest("stripe", "refunds").items()
        if i in problem_ids(problems, "refund_missing_from_ledger")
    )
    assert undeposited > 0 and unbooked > 0
    assert clearing == Decimal(balance + undeposited + unbooked) / 100

    shopify_clearing = sum(amount for _, _, _, lines in ledgers["UK"] for account, amount in lines if account == "620")
    net = sum(Decimal(bt["net"]) for bt in api.latest("shopify", "balance_transactions").values())
    paid = sum(Decimal(p["amount"]) for p in api.latest("shopify", "payouts").values() if p["status"] == "paid")
    assert shopify_clearing == net - paid

"""The simulation: Northwind's 18 months, one day at a time.

Everything that happens later than "now" (a deal's next stage, an invoice payment, a
refund, a payout arriving at the bank) is an item on one agenda (a heap ordered by time,
then by a sequence number, so ties are deterministic). Each simulated day: pop and handle
the day's agenda, generate the day's new activity, book the day's sales journals, close
the bank day, batch webhooks, flush the day's records to disk.
"""

from __future__ import annotations

import csv
import heapq
import json
import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from ..sources.qbo.poll import ENTITIES as QBO_ENTITIES
from .budgets import LedgerBudgets
from .cards import CATEGORIES, PFC, CardLine, draw_lines, merchants
from .company import (
    AWS_ALIAS_NAME,
    BANK_ACCOUNTS,
    COMPANY_WORDS_A,
    COMPANY_WORDS_B,
    ENTITIES,
    FIRST_NAMES,
    HUBSPOT_PORTAL_ID,
    LAST_NAMES,
    LOST_STAGE,
    NEW_VENDOR,
    PAYROLL,
    PIPELINE_FOR,
    PIPELINES,
    PLANS,
    QBO_ACCOUNTS,
    REPORTING_CURRENCY,
    SHOP_DOMAIN,
    STRIPE_ACCOUNT,
    UK,
    UK_SUFFIX,
    US,
    US_SUFFIX,
    VENDORS,
    WON_STAGE,
    XERO_ACCOUNTS,
    Vendor,
)
from .dimensions import Dimensions
from .dynamics import Dynamics
from .foreign import ForeignTrade
from .fx import FxTable
from .hubspot import HubSpot
from .ledger import QboBooks, XeroBooks
from .out import Output
from .plaid import Bank
from .shopify import ShopifyRun
from .stripe import Stripe
from .util import (
    Ids,
    add_months,
    at,
    business_day_on_or_before,
    iso_ms_z,
    money_str,
    month_end,
    poisson,
    stream,
)

GENERATOR_VERSION = "1"
CARD_LINES_PER_DAY = 3.0  # per entity at scale 1 (at least 0.9 a day at small scales: the categoriser needs history)
# api/{source}/{resource}.jsonl files the generator always writes (file names are the
# provider's own resource names: REST paths for Stripe/Shopify/HubSpot/Xero/Plaid, entity
# names for QuickBooks).
RESOURCES = {
    "stripe": (
        "events",
        "charges",
        "balance_transactions",
        "payouts",
        "refunds",
        "disputes",
        "customers",
        "subscriptions",
        "invoices",
    ),
    "shopify": ("orders", "transactions", "payouts", "balance_transactions"),
    "hubspot": ("deals", "companies", "pipelines", "line_items"),
    "qbo": tuple(e for e in QBO_ENTITIES if e != "SalesReceipt"),  # the company makes no cash sales
    "xero": (
        "Invoices",
        "Payments",
        "BankTransactions",
        "CreditNotes",
        "Accounts",
        "Contacts",
        "ManualJournals",
        "TrackingCategories",
    ),
    "plaid": ("accounts", "transactions"),
}
CITIES = {
    US: ("New York", "Austin", "Chicago", "Denver", "Seattle", "Boston", "Atlanta", "San Diego"),
    UK: ("London", "Manchester", "Bristol", "Leeds", "Edinburgh", "Cambridge", "Birmingham"),
}
INDUSTRIES = (
    "COMPUTER_SOFTWARE",
    "RETAIL",
    "LOGISTICS_AND_SUPPLY_CHAIN",
    "HOSPITAL_HEALTH_CARE",
    "FINANCIAL_SERVICES",
    "FOOD_BEVERAGES",
    "MARKETING_AND_ADVERTISING",
)


@dataclass
class Deal:
    entity: str
    obj: dict
    company: dict
    amount: int
    stages: list  # remaining open stage ids
    plant: str | None = None


@dataclass
class Plan:
    """When each planted problem happens (fractions of the run, so short runs get them too)."""

    when: dict[str, date] = field(default_factory=dict)
    done: set = field(default_factory=set)

    def due(self, kind: str, day: date) -> bool:
        return kind not in self.done and kind in self.when and day >= self.when[kind]


class Simulation:
    def __init__(
        self,
        out_dir: Path,
        seed: int,
        months: int,
        scale: float,
        start: date,
        fiscal_year_start_month: int,
        on_day=None,
        parallel: bool | None = None,
    ):
        self.root = out_dir
        self.seed, self.months, self.scale, self.start = seed, months, scale, start
        self.fy_start = fiscal_year_start_month
        self.end = add_months(start, months) - timedelta(days=1)
        self.on_day = on_day
        self.ids = Ids(seed)
        self.rng = {
            name: stream(seed, name)
            for name in (
                "crm",
                "ar",
                "subs",
                "shop",
                "ap",
                "payroll",
                "bank",
                "hooks",
                "fx",
                "stripe",
                "names",
                "recon",
                "cards",
            )
        }
        self.out = Output(out_dir, self.end)
        self.fx = FxTable(self.rng["fx"], start, self.end)
        # Hiring waves, seasonal pay, late payers drifting, deals slipping: its own stream.
        self.world = Dynamics(stream(seed, "world"), start, months)
        # Which won deals were quoted with line items, and what they were: its own stream.
        self.line_item_rng = stream(seed, "deal_line_items")
        # Invoices edited in place after issue (#19): its own stream; truth/invoice_corrections.csv.
        self.corrections_rng = stream(seed, "invoice_corrections")
        self.corrections: list[dict] = []
        self.bank = Bank(self.out, self.ids, self.rng["bank"])
        self.qbo = QboBooks(self.out, self.ids)
        self.xero = XeroBooks(self.out, self.ids)
        self.books = {US: self.qbo, UK: self.xero}
        # class / department coding of documents: its own random and id streams
        self.qbo.dims = self.xero.dims = Dimensions(seed)
        self.foreign = ForeignTrade(self)
        self.budgets = LedgerBudgets(self)
        self.stripe = Stripe(self.out, self.ids, self.rng["stripe"])
        self.shop = ShopifyRun(out_dir, seed, scale, start, self.end, parallel)
        self.hs = HubSpot(self.out, self.ids, self.rng["crm"])
        self.agenda: list = []
        self._today = start
        self._seq = 0
        self.problems: list[dict] = []
        self.companies: dict[str, list[dict]] = {US: [], UK: []}
        self.company_names: set[str] = set()
        self.ledger_customer: dict[str, str] = {}  # hubspot company id -> ledger customer id
        self.stripe_customer: dict[str, str] = {}
        self.emails: dict[str, str] = {}
        self.doc_numbers = {US: 1000, UK: 0}
        self.vendor_history: dict[str, list[int]] = defaultdict(list)
        self.stats: dict[str, int] = defaultdict(int)
        self._alias_bills: list[str] = []
        self.followed: dict[str, dict] = {}  # ledger document id -> planted problem it belongs to
        self._alias_amounts: list[int] = []
        self.plan = self._plan()
        self.merchants = {e: merchants(e, start) for e in (US, UK)}
        self.card_lines: dict[str, CardLine] = {}  # bank txn id -> the card line (truth of its coding)
        self._receipt_shapes: set[tuple[str, str]] = set()
        (out_dir / "truth").mkdir(parents=True, exist_ok=True)
        (out_dir / "reference").mkdir(parents=True, exist_ok=True)
        self._cash_file = open(out_dir / "truth" / "cash_by_account_day.csv", "w", encoding="utf-8", newline="")
        self._cash = csv.writer(self._cash_file, lineterminator="\n")
        self._cash.writerow(["date", "entity", "account_id", "currency", "balance"])
        self._ar_file = open(out_dir / "truth" / "open_ar_month_end.csv", "w", encoding="utf-8", newline="")
        self._ar = csv.writer(self._ar_file, lineterminator="\n")
        self._ar.writerow(["month_end", "entity", "customer_id", "customer_name", "currency", "open_amount"])
        self._ap_file = open(out_dir / "truth" / "open_ap_month_end.csv", "w", encoding="utf-8", newline="")
        self._ap = csv.writer(self._ap_file, lineterminator="\n")
        self._ap.writerow(["month_end", "entity", "vendor_id", "currency", "open_amount"])

    # -- scheduling ------------------------------------------------------------------------
    def schedule(self, moment: datetime, kind: str, payload) -> None:
        if moment.date() < self._today:
            raise ValueError(f"{kind} scheduled in the past ({moment} while simulating {self._today})")
        self._seq += 1
        heapq.heappush(self.agenda, (moment, self._seq, kind, payload))

    def _plan(self) -> Plan:
        def frac(x: float) -> date:
            return self.start + timedelta(days=int((self.end - self.start).days * x))

        return Plan(
            {
                "duplicate_vendor_payment_us": frac(0.38),
                "duplicate_vendor_payment_uk": frac(0.52),
                "vendor_alias_1": frac(0.28),
                "vendor_alias_2": frac(0.72),
                "unusual_vendor_charge": frac(0.6),
                "new_vendor_large_payment": frac(0.66),
                "won_deal_not_invoiced_1": frac(0.3),
                "won_deal_not_invoiced_2": frac(0.55),
                "won_deal_not_invoiced_3": frac(0.45),
                "paid_invoice_deal_open": frac(0.4),
                "payout_missing_from_bank": frac(0.5),
                "refund_missing_from_ledger": frac(0.42),
                "dispute": frac(0.48),
                "fx_transfer": frac(0.35),
                "equity_raise": frac(0.25),
            }
        )

    def problem(
        self,
        kind: str,
        description: str,
        entity: str,
        amount: int,
        currency: str,
        day: date,
        records: list[tuple[str, str, str, str]],
        follow: list[str] = (),
    ) -> dict:
        """records: (source, resource file, raw lake entity, provider id). Payments later made
        against the documents in `follow` (and their bank lines) are added to the records."""
        problem = {
            "id": f"P{len(self.problems) + 1:03d}",
            "kind": kind,
            "description": description,
            "entity": entity,
            "amount": money_str(amount, currency),
            "currency": currency,
            "date": day.isoformat(),
            "records": [{"source": s, "resource": r, "raw_entity": e, "id": i} for s, r, e, i in records],
        }
        self.problems.append(problem)
        for doc_id in follow:
            self.followed[doc_id] = problem
        return problem

    def _record(self, doc_id: str, source: str, resource: str, raw: str, oid: str) -> None:
        problem = self.followed.get(doc_id)
        if problem is not None:
            problem["records"].append({"source": source, "resource": resource, "raw_entity": raw, "id": oid})

    # -- run -------------------------------------------------------------------------------
    def run(self) -> Path:
        self.shop.start()
        day = self.start
        self._open(day)
        while day <= self.end:
            self._day(day)
            day += timedelta(days=1)
        self._finish()
        return self.root

    def _open(self, day: date) -> None:
        # Every contract file exists even when a short run has no records for it.
        for source, resources in RESOURCES.items():
            if source != "shopify":  # written by the Shopify runner
                self.out.touch(f"webhooks/{source}.jsonl")
                for resource in resources:
                    self.out.touch(f"api/{source}/{resource}.jsonl")
        moment = at(day, 1)
        self.hs.pipelines(moment)
        self.qbo.emit_accounts(moment)
        self.xero.emit_accounts(moment)
        self.qbo.emit_dimensions(moment)
        self.xero.emit_dimensions(moment)
        self.bank.opening_accounts(moment)
        for v in VENDORS:
            if v.entity == US:
                self.qbo.vendor(moment, v.key, v.ledger_name)
            else:
                self.xero.contact(moment, v.key, v.ledger_name, f"accounts@{v.key.replace('_', '')}.co.uk", False)
        for key, name in (
            ("shopify", "Shopify"),
            ("opening", "Opening Balance"),
            ("hmrc", "HM Revenue & Customs"),
            ("payroll", "Payroll"),
            ("barclays", "Barclays Bank"),
            ("northwind_us", "Northwind US Inc"),
        ):
            self.xero.contact(moment, key, name, "", False)
        self.foreign.open(moment)
        self.budgets.open()
        us_lines = []
        for acct in BANK_ACCOUNTS:
            if acct.entity == US:
                us_lines.append((acct.key, acct.opening_minor, "Opening balance"))
            else:
                # Xero rejects manual journals on bank accounts: opening balances are RECEIVE
                # bank transactions against Opening Balance Equity (no bank feed line: the
                # feed's opening balance already contains them).
                self.xero.bank_transaction(
                    moment,
                    day,
                    "RECEIVE",
                    acct.key,
                    "opening",
                    [("opening_equity", acct.opening_minor, "Opening balance")],
                    "Opening balance",
                )
        total = sum(a for _, a, _ in us_lines)
        self.qbo.journal(
            moment, day, us_lines + [("opening_equity", -total, "Opening balance")], "OPENING", "Opening balances"
        )

    def _day(self, day: date) -> None:
        self._today = day
        self.bank.settle(day)
        self._drain(day)
        self.budgets.step(day)  # before today posts anything: last month is complete
        self.foreign.step(day)
        self._crm(day)
        self._subscriptions(day)
        shop_day = self.shop.step(day)
        self._vendors(day)
        self._card_spend(day)
        self._payroll(day)
        self._treasury(day)
        self._payouts(day, shop_day.payout)
        self._drain(day)  # what today's activity scheduled for later today
        self._sales_journals(day, shop_day.totals)
        self.bank.end_of_day(day, self._cash_row)
        if day == month_end(day):
            self._month_end(day)
        self.hs.webhook_batches()
        self.qbo.webhook_batches(self.rng["hooks"], self.ids)
        self.xero.webhook_batches(self.rng["hooks"], self.ids)
        self.out.flush_through(day)
        if self.on_day:
            self.on_day(day)

    def _drain(self, day: date) -> None:
        while self.agenda and self.agenda[0][0].date() <= day:
            moment, _, kind, payload = heapq.heappop(self.agenda)
            getattr(self, f"_on_{kind}")(moment, payload)

    # -- CRM: deals through the pipeline ------------------------------------------------------
    def _company_name(self, entity: str, rng) -> str:
        suffix = US_SUFFIX if entity == US else UK_SUFFIX
        for attempt in range(1000):
            name = f"{rng.choice(COMPANY_WORDS_A)} {rng.choice(COMPANY_WORDS_B)}"
            if attempt > 20:
                name = f"{rng.choice(COMPANY_WORDS_A)} {rng.choice(COMPANY_WORDS_A)} {rng.choice(COMPANY_WORDS_B)}"
            if attempt > 200:
                name += f" {attempt}"
            name += f" {rng.choice(suffix)}"
            if name not in self.company_names:
                self.company_names.add(name)
                return name
        raise RuntimeError("company names exhausted")

    def _crm(self, day: date) -> None:
        rng = self.rng["crm"]
        for entity, per_month in ((US, 22), (UK, 10)):
            for _ in range(poisson(rng, per_month * self.scale / 30.4)):
                moment = at(day, 8 * 3600 + rng.randrange(10 * 3600))
                pool = self.companies[entity]
                if pool and rng.random() < 0.25:
                    company = pool[rng.randrange(len(pool))]
                else:
                    name = self._company_name(entity, rng)
                    domain = (
                        name.split(" ")[0].lower() + name.split(" ")[1].lower() + (".com" if entity == US else ".co.uk")
                    )
                    company = self.hs.company(
                        moment,
                        name,
                        domain,
                        "United States" if entity == US else "United Kingdom",
                        rng.choice(CITIES[entity]),
                        rng.choice(INDUSTRIES),
                    )
                    self.emails[company["id"]] = f"ap@{domain}"
                    pool.append(company)
                    if len(pool) > 5000:
                        pool.pop(0)
                median = 18_000 if entity == US else 14_000
                amount = int(min(max(rng.lognormvariate(math.log(median), 0.7), 2_500), 250_000) / 100) * 100 * 100
                pipeline = PIPELINE_FOR[entity]
                stages = [s[0] for p in PIPELINES if p[0] == pipeline for s in p[2] if not s[3]]
                currency = ENTITIES[entity]["currency"]
                deal_kind = rng.choice(("New business", "Expansion", "Platform", "Annual plan"))
                deal = self.hs.deal(
                    moment,
                    f"{company['properties']['name']} - {deal_kind}",
                    money_str(amount, currency),
                    currency,
                    pipeline,
                    stages[0],
                    moment + timedelta(days=30 + rng.randrange(60)),
                    company["id"],
                    str(61_000_000 + rng.randrange(6)),
                )
                state = Deal(entity, deal, company, amount, stages[1:])
                self.stats["deals"] += 1
                self.schedule(
                    moment + timedelta(days=3 + rng.randrange(12), seconds=rng.randrange(3600)), "deal_step", state
                )

    def _on_deal_step(self, moment: datetime, deal: Deal) -> None:
        rng = self.rng["crm"]
        day = moment.date()
        lose = 0.15 if deal.entity == US else 0.22
        if rng.random() < lose:
            self.hs.update_deal(
                moment,
                deal.obj,
                {"dealstage": LOST_STAGE[deal.entity], "closedate": iso_ms_z(moment), "hs_is_closed": "true"},
            )
            return
        if deal.stages:
            stage = deal.stages.pop(0)
            changes = {"dealstage": stage}
            if rng.random() < 0.15:
                deal.amount = max(int(deal.amount * rng.uniform(0.8, 1.2)) // 10000 * 10000, 100000)
                changes["amount"] = money_str(deal.amount, ENTITIES[deal.entity]["currency"])
            slip = not deal.plant and self.world.slips(day)
            if slip:
                # The deal slips: the rep moves its expected close out a month; the next step waits.
                close = datetime.fromisoformat(deal.obj["properties"]["closedate"].replace("Z", "+00:00"))
                changes["closedate"] = iso_ms_z(max(close, moment) + timedelta(days=30))
            self.hs.update_deal(moment, deal.obj, changes)
            if (
                not deal.stages
                and deal.entity == US
                and self.plan.due("paid_invoice_deal_open", day)
                and day < self.end - timedelta(days=60)
            ):
                # Planted: invoiced and paid in the ledger, but the deal stays at its last open stage.
                self.plan.done.add("paid_invoice_deal_open")
                deal.plant = "paid_invoice_deal_open"
                self.schedule(moment + timedelta(days=2), "invoice", deal)
                return
            wait = 2 + rng.randrange(12) + (self.world.slip_days() if slip else 0)
            self.schedule(moment + timedelta(days=wait, seconds=rng.randrange(3600)), "deal_step", deal)
            return
        # Won.
        self.hs.update_deal(
            moment,
            deal.obj,
            {
                "dealstage": WON_STAGE[deal.entity],
                "closedate": iso_ms_z(moment),
                "hs_is_closed": "true",
                "hs_is_closed_won": "true",
            },
        )
        self.stats["deals_won"] += 1
        if self.line_item_rng.random() < 0.7:  # quoted with line items (the rest: an amount only)
            currency = ENTITIES[deal.entity]["currency"]
            self.hs.line_items(moment, deal.obj, deal.entity, deal.amount, currency, self.line_item_rng)
            self.stats["deals_with_line_items"] += 1
        for n, entity in (("1", US), ("2", US), ("3", UK)):
            kind = f"won_deal_not_invoiced_{n}"
            if entity == deal.entity and self.plan.due(kind, day):
                self.plan.done.add(kind)
                currency = ENTITIES[entity]["currency"]
                self.problem(
                    "won_deal_not_invoiced",
                    f"Deal '{deal.obj['properties']['dealname']}' was won on {day} but never invoiced in "
                    f"{ENTITIES[entity]['ledger'].upper()}.",
                    entity,
                    deal.amount,
                    currency,
                    day,
                    [("hubspot", "deals", "deals", deal.obj["id"])],
                )
                return
        # Invoiced 0-3 days after the win, but never after the run's last day: a won deal
        # without an invoice must only ever be a planted one.
        invoice_at = min(
            moment + timedelta(days=rng.randrange(4), hours=rng.randrange(6)),
            max(at(self.end, 20 * 3600), moment + timedelta(seconds=1)),
        )
        self.schedule(invoice_at, "invoice", deal)

    # -- AR: invoices and customer payments ----------------------------------------------------
    def _ledger_customer(self, moment: datetime, deal: Deal) -> str:
        company = deal.company
        cid = self.ledger_customer.get(company["id"])
        if cid is None:
            name = company["properties"]["name"]
            email = self.emails[company["id"]]
            if deal.entity == US:
                cid = self.qbo.customer(moment, name, email)
            else:
                cid = self.xero.contact(moment, f"hs:{company['id']}", name, email, True)
            self.ledger_customer[company["id"]] = cid
        return cid

    def _on_invoice(self, moment: datetime, deal: Deal) -> None:
        rng = self.rng["ar"]
        day = moment.date()
        cid = self._ledger_customer(moment, deal)
        deal_ref = f"HS-DEAL-{deal.obj['id']}"
        onboarding = (deal.amount // 5) // 100 * 100 if rng.random() < 0.4 else 0
        items = [("Platform subscription (12 months)", deal.amount - onboarding, "rev_services")]
        if onboarding:
            items.append(("Onboarding and implementation", onboarding, "rev_services"))
        terms = rng.choice((15, 30, 30, 30, 45))
        mistaken = False
        if not deal.plant and rng.random() < 0.04 and (moment + timedelta(minutes=90)).date() == day:
            mistaken = True
            # A mistake: an invoice with the wrong amount, deleted (QBO) / voided (Xero) within the
            # hour and issued again correctly.
            wrong = [(d, a + a // 10 // 100 * 100, k) for d, a, k in items]
            mistake = self._issue_invoice(moment, deal, cid, deal_ref, wrong, terms)[1]
            moment = moment + timedelta(minutes=20 + rng.randrange(40))
            if deal.entity == US:
                self.qbo.delete_invoice(moment, day, mistake)
            else:
                self.xero.void_invoice(moment, day, mistake)
            self.stats["invoices_deleted_or_voided"] += 1
            moment += timedelta(minutes=5)
        # A correction: the invoice sent with a typo in its first line, edited in place a few
        # hours later (the total with it) before anything is applied to it.
        correct = self.corrections_rng.random() < 0.12
        fix_at = moment + timedelta(minutes=30 + self.corrections_rng.randrange(150))
        typo = items[0][1] // 10 // 100 * 100
        issued = items
        if correct and typo and not deal.plant and not mistaken and fix_at.date() == day:
            issued = [(items[0][0], items[0][1] + typo, items[0][2]), *items[1:]]
        number, doc = self._issue_invoice(moment, deal, cid, deal_ref, issued, terms)
        if issued is not items:
            first_total = doc.total
            self.books[deal.entity].correct_invoice(fix_at, doc, items[0][1])
            currency = ENTITIES[deal.entity]["currency"]
            self.corrections.append(
                {
                    "entity": deal.entity,
                    "source": "qbo" if deal.entity == US else "xero",
                    "document_id": doc.id,
                    "document_number": number,
                    "issued_on": day.isoformat(),
                    "corrected_at": fix_at.isoformat(),
                    "currency": currency,
                    "first_total": money_str(first_total, currency),
                    "corrected_total": money_str(doc.total, currency),
                }
            )
            self.stats["invoices_corrected"] += 1
        self.stats["invoices"] += 1
        if deal.plant == "paid_invoice_deal_open":
            self.problem(
                "paid_invoice_deal_open",
                f"Invoice {number} (deal {deal.obj['id']}) is paid in the ledger while the HubSpot deal "
                f"is still open at stage '{deal.obj['properties']['dealstage']}'.",
                deal.entity,
                doc.total,
                ENTITIES[deal.entity]["currency"],
                day,
                [("hubspot", "deals", "deals", deal.obj["id"]), ("qbo", "Invoice", "invoice", doc.id)],
                follow=[doc.id],
            )
        # How and when the customer pays.
        due = day + timedelta(days=terms)
        r = rng.random()
        if deal.plant or r < 0.65:
            pay_day = max(day + timedelta(days=1), due - timedelta(days=rng.randrange(12)))
        elif r < 0.92:
            pay_day = due + timedelta(days=5 + rng.randrange(55))
        else:
            pay_day = due + timedelta(days=61 + rng.randrange(60))
        if not deal.plant:
            pay_day += timedelta(days=self.world.late_drift_days(deal.company["id"], day))
        method = "bank"
        if deal.entity == US:
            m = rng.random()
            method = "card" if m < 0.15 else ("ach" if m < 0.4 else "bank")
        if not deal.plant and rng.random() < 0.05:
            credit = (doc.total // 10) // 100 * 100
            self.schedule(at(day + timedelta(days=3 + rng.randrange(5)), 15 * 3600), "credit_memo", (deal, doc, credit))
        if not deal.plant and rng.random() < 0.1:
            self.schedule(at(pay_day, 10 * 3600 + rng.randrange(6 * 3600)), "pay_invoice", (deal, doc, method, 0.6))
            pay_day = pay_day + timedelta(days=20 + rng.randrange(25))
        self.schedule(at(pay_day, 10 * 3600 + rng.randrange(6 * 3600)), "pay_invoice", (deal, doc, method, None))

    def _issue_invoice(self, moment: datetime, deal: Deal, cid: str, deal_ref: str, items, terms: int):
        day = moment.date()
        if deal.entity == US:
            self.doc_numbers[US] += 1
            number = str(self.doc_numbers[US])
            return number, self.qbo.invoice(
                moment, day, cid, number, deal_ref, items, terms, self.emails[deal.company["id"]]
            )
        self.doc_numbers[UK] += 1
        number = f"INV-{self.doc_numbers[UK]:04d}"
        return number, self.xero.invoice(moment, day, f"hs:{deal.company['id']}", number, deal_ref, items, terms)

    def _on_credit_memo(self, moment: datetime, payload) -> None:
        deal, doc, credit = payload
        if doc.balance < credit or credit <= 0:
            return
        if deal.entity == US:
            self.qbo.credit_memo(moment, moment.date(), doc, credit, "Service credit")
        else:
            net = credit * 100 // 120 // 100 * 100
            self.xero.credit_note(moment, moment.date(), doc, net, "Service credit")

    def _on_pay_invoice(self, moment: datetime, payload) -> None:
        deal, doc, method, share = payload
        if doc.balance <= 0:
            return
        amount = doc.balance if share is None else (doc.balance * 6 // 10)
        day = moment.date()
        name = doc.customer_name
        if deal.entity == UK or method == "bank":
            self._bank_receipt(deal, doc, amount, moment, share)
        else:
            company_id = deal.company["id"]
            customer = self.stripe_customer.get(company_id)
            if customer is None:
                customer = self.stripe.customer(
                    moment, name, self.emails[company_id], {"qbo_customer_id": doc.customer_id}
                )
                self.stripe_customer[company_id] = customer
            charge = self.stripe.charge(
                moment,
                customer,
                amount,
                f"Invoice {doc.number}",
                {
                    "customer_name": name,
                    "qbo_invoice_id": doc.id,
                    "invoice_number": doc.number,
                    "hubspot_deal_id": deal.obj["id"],
                },
                "card" if method == "card" else "ach",
                "invoice",
            )
            pid = self.qbo.payment(
                moment, day, doc, amount, "stripe_clearing", charge["id"], note=f"Stripe charge {charge['id']}"
            )
            self._record(doc.id, "qbo", "Payment", "payment", pid)
            self._record(doc.id, "stripe", "charges", "events", charge["id"])
        self.stats["invoice_payments"] += 1

    # -- bank receipts: how a customer's transfer looks on the feed (reconciliation truth) ------
    def _bank_receipt(self, deal: Deal, doc, amount: int, moment: datetime, share) -> None:
        """A customer pays `amount` of `doc` by bank transfer. Most transfers name the invoice
        and carry its amount; some are harder to match (what a bank-reconciliation engine
        meets): a reference with two digits transposed, one payment split in two transfers,
        an international payment arriving net of the bank's charge (UK), one transfer paying
        two invoices of the same customer. Draws come from their own stream ("recon")."""
        rng = self.rng["recon"]
        uk = deal.entity == UK
        key = "bank_current" if uk else "bank_operating"
        day = moment.date()
        name = doc.customer_name.upper()[:24]
        shape, r = "one_to_one", rng.random()
        others = [
            d
            for d in self.books[deal.entity].invoices.values()
            if d.customer_id == doc.customer_id and d.id != doc.id and d.balance > 0 and d.id not in self.followed
        ]
        if not deal.plant and share is None:
            possible = {
                "transposed_reference": _transposed(doc.number) != doc.number,
                "split": True,
                "fee_netted": uk,
                "multi_invoice": bool(others),
            }
            # every shape at least once per entity (small runs too), then at their usual rates
            todo = [k for k in possible if possible[k] and (deal.entity, k) not in self._receipt_shapes]
            if todo:
                shape = todo[0]
            elif r < 0.05 and possible["transposed_reference"]:
                shape = "transposed_reference"
            elif r < 0.11:
                shape = "split"
            elif r < 0.19 and uk:
                shape = "fee_netted"
            elif r < 0.4 and others:
                shape = "multi_invoice"
            self._receipt_shapes.add((deal.entity, shape))
        docs = [doc] + (others[:1] if shape == "multi_invoice" else [])
        refs = " ".join(d.number for d in docs)
        if shape == "transposed_reference":
            refs = _transposed(doc.number)
        total = amount + sum(d.balance for d in docs[1:])
        fee = 6_00 + rng.randrange(20) * 1_00 if shape == "fee_netted" else 0

        def transfer(value: int, pending_days: int = 0) -> str:
            text = f"FP {name} REF {refs}" if uk else f"ACH CREDIT {name} INV {refs}"
            txn = self.bank.move(
                key,
                moment,
                -value,
                text,
                pfc=("TRANSFER_IN", "TRANSFER_IN_ACCOUNT_TRANSFER"),
                pending_days=pending_days,
                counterparty=doc.customer_name,
                reference=refs,
            )
            self._record(doc.id, "plaid", "transactions", "transactions_sync", txn)
            return txn

        if shape == "split":
            first = total * rng.choice((5, 6, 7)) // 10 // 100 * 100
            txns = [transfer(first), transfer(total - first, pending_days=1)]
        else:
            txns = [transfer(total - fee)]
        pids = []
        for d in docs:
            paid = amount if d is doc else d.balance
            if uk:
                pid = self.xero.payment(moment, day, d, paid, key, d.number)
                self._record(d.id, "xero", "Payments", "payments", pid)
            else:
                pid = self.qbo.payment(moment, day, d, paid, key, f"ACH {d.number}")
                self._record(d.id, "qbo", "Payment", "payment", pid)
            pids.append(pid)
        if fee:
            pids.append(
                self.xero.bank_transaction(
                    moment,
                    day,
                    "SPEND",
                    key,
                    "barclays",
                    [("bank_fees", fee, "International payment charge")],
                    f"Charges {doc.number}",
                )
            )
        for txn in txns:
            self.bank.explain(txn, shape, *pids)
        self.stats[f"bank_receipts_{shape}"] += 1

    # -- card spend: what the bookkeeper codes by hand (the categoriser's history) ------------
    def _card_spend(self, day: date) -> None:
        rng = self.rng["cards"]
        for entity in (US, UK):
            for line in draw_lines(
                rng, entity, day, self.end, self.merchants[entity], CARD_LINES_PER_DAY * max(self.scale, 0.3)
            ):
                self._card_line(rng, day, line)

    def _card_line(self, rng, day: date, line: CardLine) -> None:
        m = line.merchant
        moment = at(day, 7 * 3600 + rng.randrange(14 * 3600))
        us = m.entity == US
        key = "bank_operating" if us else "bank_current"
        if us and m.key not in self.qbo.vendors:
            self.qbo.vendor(moment, m.key, m.name)
        if not us and m.key not in self.xero.contacts:
            self.xero.contact(moment, m.key, m.name, "", False)
        doc = None
        if line.coded_category:
            account = CATEGORIES[line.coded_category][0]
            if us:
                doc = self.qbo.purchase(moment, day, m.key, line.amount, account, f"{m.name} card")
            else:
                doc = self.xero.bank_transaction(
                    moment, day, "SPEND", key, m.key, [(account, line.amount, f"{m.name} card")], "Card"
                )
        pending = 1 if rng.random() < 0.5 else 0
        txn = self.bank.move(
            key,
            moment,
            line.amount,
            m.descriptor,
            m.merchant_name,
            PFC[m.categories[0][0]],
            "in store" if line.category in ("meals", "travel") else "online",
            pending,
        )
        if doc:
            self.bank.explain(txn, "one_to_one", doc)
        self.card_lines[txn] = line
        self.stats["card_lines"] += 1

    def _write_bank_truth(self) -> None:
        """truth/bank_lines.csv: every posted bank line, what explains it in the ledger, and
        for card lines the account they belong on (the booked one may be wrong or missing)."""
        entity_of = {a.key: a.entity for a in BANK_ACCOUNTS}

        def code(entity: str, category: str | None) -> str:
            if category is None:
                return ""
            account = CATEGORIES[category][0]
            return (QBO_ACCOUNTS if entity == US else XERO_ACCOUNTS)[account][1]

        with open(self.root / "truth" / "bank_lines.csv", "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(
                [
                    "transaction_id",
                    "entity",
                    "account_key",
                    "date",
                    "amount",
                    "description",
                    "match_kind",
                    "explained_by",
                    "vendor",
                    "vendor_first_used",
                    "true_account_code",
                    "booked_account_code",
                ]
            )
            for txn, (key, day, amount_out, name) in self.bank.posted.items():
                entity = entity_of[key]
                currency = ENTITIES[entity]["currency"]
                card = self.card_lines.get(txn)
                kind, docs = self.bank.explained.get(txn, ("uncoded" if card else "unexplained", ()))
                writer.writerow(
                    [
                        txn,
                        entity,
                        key,
                        day.isoformat(),
                        money_str(-amount_out, currency),
                        name,
                        kind,
                        " ".join(docs),
                        card.merchant.name if card else "",
                        card.merchant.starts.isoformat() if card else "",
                        code(entity, card.category) if card else "",
                        code(entity, card.coded_category) if card else "",
                    ]
                )

    # -- Stripe subscriptions --------------------------------------------------------------------
    def _subscriptions(self, day: date) -> None:
        rng = self.rng["subs"]
        lam = 15 * self.scale / 30.4
        if (day - self.start).days < 30:
            lam += 70 * self.scale / 30  # existing customer base migrating in during the first month
        for _ in range(poisson(rng, lam)):
            moment = at(day, rng.randrange(86_000))
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            company = f"{rng.choice(COMPANY_WORDS_A)} {rng.choice(COMPANY_WORDS_B)}"
            email = f"{first.lower()}@{company.replace(' ', '').lower()}{rng.randrange(100)}.com"
            x, acc, plan = rng.random(), 0.0, PLANS[-1]
            for p in PLANS:
                acc += p.weight
                if x < acc:
                    plan = p
                    break
            customer = self.stripe.customer(moment, f"{first} {last}", email, {"company": company})
            sub = self.stripe.subscription(moment, customer, plan, f"price_{plan.key}_nw", f"prod_{plan.key[:-2]}_nw")
            self.stripe.save_subscription(moment, sub, "customer.subscription.created")
            self._bill_subscription(
                moment, {"sub": sub, "plan": plan, "name": f"{first} {last}", "email": email, "n": 0}
            )

    def _bill_subscription(self, moment: datetime, state: dict) -> None:
        rng = self.rng["subs"]
        sub, plan = state["sub"], state["plan"]
        months = 1 if plan.interval == "month" else 12
        period_end = datetime.combine(add_months(moment.date(), months), moment.timetz())
        state["n"] += 1
        method = "card"
        charge = self.stripe.charge(
            moment,
            sub["customer"],
            plan.unit_amount,
            "Subscription update",
            {"subscription": sub["id"]},
            method,
            "subscription",
        )
        inv = self.stripe.invoice_paid(
            moment + timedelta(seconds=2),
            sub,
            moment,
            period_end,
            charge,
            f"{sub['customer'][4:12].upper()}-{state['n']:04d}",
            state["name"],
            state["email"],
        )
        previous = {"latest_invoice": sub["latest_invoice"]}
        item = sub["items"]["data"][0]
        item["current_period_start"] = int(moment.timestamp())
        item["current_period_end"] = int(period_end.timestamp())
        sub["latest_invoice"] = inv["id"]
        self.stripe.save_subscription(moment + timedelta(seconds=3), sub, "customer.subscription.updated", previous)
        self.stats["subscription_charges"] += 1
        day = moment.date()
        if self.plan.due("dispute", day) and plan.unit_amount >= 199_00:
            self.plan.done.add("dispute")
            self.schedule(moment + timedelta(days=18), "dispute", charge)
        elif rng.random() < 0.025:
            when = moment + timedelta(days=1 + rng.randrange(14), seconds=rng.randrange(3600))
            self.schedule(when, "refund", charge)
        churn = 0.03 if months == 1 else 0.12
        if rng.random() < churn:
            self.schedule(period_end - timedelta(hours=1), "cancel", state)
        else:
            self.schedule(period_end, "renew", state)

    def _on_renew(self, moment: datetime, state: dict) -> None:
        self._bill_subscription(moment, state)

    def _on_cancel(self, moment: datetime, state: dict) -> None:
        sub = state["sub"]
        sub.update(status="canceled", canceled_at=int(moment.timestamp()), ended_at=int(moment.timestamp()))
        sub["cancellation_details"] = {"comment": None, "feedback": "too_expensive", "reason": "cancellation_requested"}
        self.stripe.save_subscription(moment, sub, "customer.subscription.deleted", {"status": "active"})

    def _on_refund(self, moment: datetime, charge: dict) -> None:
        day = moment.date()
        booked = True
        if self.plan.due("refund_missing_from_ledger", day):
            self.plan.done.add("refund_missing_from_ledger")
            booked = False
        re_id = self.stripe.refund(moment, charge, charge["amount"], "requested_by_customer", booked)
        self.stats["stripe_refunds"] += 1
        if not booked:
            self.problem(
                "refund_missing_from_ledger",
                f"Stripe refund {re_id} of charge {charge['id']} was never booked in QuickBooks.",
                US,
                charge["amount"],
                "USD",
                day,
                [("stripe", "refunds", "events", re_id), ("stripe", "charges", "events", charge["id"])],
            )

    def _on_dispute(self, moment: datetime, charge: dict) -> None:
        self.stripe.dispute(moment, charge)

    # -- payouts and daily sales journals --------------------------------------------------------
    def _payouts(self, day: date, sp: dict | None) -> None:
        po = self.stripe.payout(day, "ba_1NorthwindChase4417")
        if po:
            self.stats["stripe_payouts"] += 1
            # The planted missing payout is a material one (not a few-dollar day).
            if self.plan.due("payout_missing_from_bank", day) and (
                po["amount"] >= 1_000_00 or day >= self.plan.when["payout_missing_from_bank"] + timedelta(days=21)
            ):
                self.plan.done.add("payout_missing_from_bank")
                self.problem(
                    "payout_missing_from_bank",
                    f"Stripe payout {po['id']} ({po['count']} balance transactions) is marked paid for "
                    f"{po['arrival']} but no deposit ever reached the Chase Operating account.",
                    US,
                    po["amount"],
                    "USD",
                    po["arrival"],
                    [("stripe", "payouts", "events", po["id"])],
                )
            else:
                self.schedule(po["paid_at"], "stripe_payout_arrival", po)
        if sp:
            self.stats["shopify_payouts"] += 1
            self.schedule(sp["paid_at"], "shopify_payout_arrival", sp)

    def _on_stripe_payout_arrival(self, moment: datetime, po: dict) -> None:
        txn = self.bank.move(
            "bank_operating",
            moment,
            -po["amount"],
            f"STRIPE TRANSFER ST-{po['id'][3:]}",
            pfc=("TRANSFER_IN", "TRANSFER_IN_ACCOUNT_TRANSFER"),
            counterparty="Stripe",
            reference=po["id"],
        )
        dep = self.qbo.deposit(
            moment,
            moment.date(),
            "bank_operating",
            [("stripe_clearing", po["amount"], f"Stripe payout {po['id']}")],
            f"Stripe payout {po['id']}",
        )
        self.bank.explain(txn, "payout", dep)

    def _on_shopify_payout_arrival(self, moment: datetime, sp: dict) -> None:
        txn = self.bank.move(
            "bank_current",
            moment,
            -sp["amount"],
            f"SHOPIFY PAYMENTS {sp['id']}",
            pfc=("TRANSFER_IN", "TRANSFER_IN_ACCOUNT_TRANSFER"),
            counterparty="Shopify",
            reference=str(sp["id"]),
        )
        bt = self.xero.bank_transaction(
            moment,
            moment.date(),
            "RECEIVE",
            "bank_current",
            "shopify",
            [("shopify_clearing", sp["amount"], f"Shopify payout {sp['id']}")],
            f"Shopify payout {sp['id']}",
        )
        self.bank.explain(txn, "payout", bt)

    def _sales_journals(self, day: date, h) -> None:
        moment = at(day, 23 * 3600 + 50 * 60)
        s = self.stripe.days.pop(day, None)
        if s and (s.subscription_gross or s.refunds or s.fees or s.dispute_amount):
            self.qbo.journal(
                moment,
                day,
                [
                    ("stripe_clearing", s.subscription_gross, "Subscription charges"),
                    ("rev_subscriptions", -s.subscription_gross, "Subscription charges"),
                    ("rev_refunds", s.refunds, "Refunds"),
                    ("stripe_clearing", -s.refunds, "Refunds"),
                    ("merchant_fees", s.fees + s.dispute_fee, "Stripe fees"),
                    ("chargebacks", s.dispute_amount, "Disputed charges"),
                    ("stripe_clearing", -(s.fees + s.dispute_fee + s.dispute_amount), "Fees and disputes"),
                ],
                f"STRIPE-{day:%Y%m%d}",
                f"Stripe sales {day.isoformat()}",
            )
        if h:
            gross = h.goods_net + h.shipping_net + h.vat
            self.xero.journal(
                moment,
                day,
                [
                    ("shopify_clearing", gross, "Orders (gross)"),
                    ("rev_store", -h.goods_net, "Online store sales"),
                    ("rev_shipping", -h.shipping_net, "Shipping charged"),
                    ("shopify_vat", -h.vat, "VAT on sales"),
                    ("rev_returns", h.refunds_net, "Refunds"),
                    ("shopify_vat", h.refunds_vat, "VAT on refunds"),
                    ("shopify_clearing", -(h.refunds_net + h.refunds_vat), "Refunds"),
                    ("merchant_fees", h.fees, "Shopify Payments fees"),
                    ("shopify_clearing", -h.fees, "Fees"),
                ],
                f"Shopify sales {day.isoformat()}",
            )

    # -- vendors --------------------------------------------------------------------------------
    def _vendor_amount(self, v: Vendor, day: date) -> int:
        rng = self.rng["ap"]
        months_in = (day.year - self.start.year) * 12 + day.month - self.start.month
        base = v.base_minor * (1 + v.growth) ** months_in
        if v.variability:
            base *= 1 + rng.uniform(-v.variability, v.variability)
        return int(base)

    def _vendors(self, day: date) -> None:
        rng = self.rng["ap"]
        last = month_end(day).day
        for v in VENDORS:
            if day.day != min(v.day, last):
                continue
            amount = self._vendor_amount(v, day)
            moment = at(day, 9 * 3600 + rng.randrange(8 * 3600))
            if v.key == "aws_us" and self.plan.due("unusual_vendor_charge", day):
                self.plan.done.add("unusual_vendor_charge")
                amount = amount * 34 // 10
                self._vendor_charge(v, day, moment, amount, plant="unusual_vendor_charge")
            elif v.key == "aws_us" and (self.plan.due("vendor_alias_1", day) or self.plan.due("vendor_alias_2", day)):
                kind = "vendor_alias_1" if self.plan.due("vendor_alias_1", day) else "vendor_alias_2"
                self.plan.done.add(kind)
                self._vendor_charge(v, day, moment, amount, plant=kind)
            elif v.key in ("devon", "cotswold") and self.plan.due(
                f"duplicate_vendor_payment_{'us' if v.entity == US else 'uk'}", day
            ):
                self.plan.done.add(f"duplicate_vendor_payment_{'us' if v.entity == US else 'uk'}")
                self._vendor_charge(v, day, moment, amount, plant="duplicate")
            else:
                self._vendor_charge(v, day, moment, amount)
        if self.plan.due("new_vendor_large_payment", day) and day.day == NEW_VENDOR.day:
            self.plan.done.add("new_vendor_large_payment")
            moment = at(day, 11 * 3600)
            self.qbo.vendor(moment, NEW_VENDOR.key, NEW_VENDOR.ledger_name)
            self._vendor_charge(NEW_VENDOR, day, moment, NEW_VENDOR.base_minor, plant="new_vendor")

    def _vendor_charge(self, v: Vendor, day: date, moment: datetime, amount: int, plant: str | None = None) -> None:
        rng = self.rng["ap"]
        entity = v.entity
        currency = ENTITIES[entity]["currency"]
        number = f"{v.key[:3].upper()}-{day:%Y%m}-{rng.randrange(1000):03d}"
        self.vendor_history[v.key].append(amount)
        if v.kind == "direct":
            pending = 1 + rng.randrange(2) if rng.random() < 0.6 else 0
            if entity == US:
                doc = self.qbo.purchase(moment, day, v.key, amount, v.account, f"{v.ledger_name} {day:%B %Y}")
                txn = self.bank.move(
                    "bank_operating", moment, amount, v.bank_name, v.merchant_name, v.pfc, "online", pending
                )
            else:
                doc = self.xero.bank_transaction(
                    moment,
                    day,
                    "SPEND",
                    "bank_current",
                    v.key,
                    [(v.account, amount, f"{v.ledger_name} {day:%B %Y}")],
                    number,
                )
                txn = self.bank.move(
                    "bank_current", moment, amount, v.bank_name, v.merchant_name, v.pfc, "online", pending
                )
            self.bank.explain(txn, "one_to_one", doc)
            return
        vendor_key = v.key
        if plant in ("vendor_alias_1", "vendor_alias_2"):
            vendor_key = "aws_alias"
            if vendor_key not in self.qbo.vendors:
                self.qbo.vendor(moment, vendor_key, AWS_ALIAS_NAME)
        docs = [self._bill(v, vendor_key, day, moment, number, amount)]
        if plant == "duplicate":
            # The same supplier invoice entered twice (a week later) and paid twice.
            docs.append(self._bill(v, vendor_key, day + timedelta(days=7), moment + timedelta(days=7), number, amount))
        pay_ids = []
        for n, doc in enumerate(docs):
            due = doc_day = day + timedelta(days=7 * n)
            due = doc_day + timedelta(days=v.terms_days)
            pay_moment = at(max(due, doc_day), 14 * 3600 + rng.randrange(3600) + n)
            pay_ids.append(self._schedule_bill_payment(v, doc, pay_moment))
        if plant == "duplicate":
            ids = [d.id for d in docs]
            src, res, raw = ("qbo", "Bill", "bill") if entity == US else ("xero", "Invoices", "invoices")
            self.problem(
                "duplicate_vendor_payment",
                f"{v.ledger_name} invoice {number} was entered twice and paid twice.",
                entity,
                amount if entity == US else docs[0].total,
                currency,
                day,
                [(src, res, raw, i) for i in ids],
                follow=ids,
            )
        elif plant == "unusual_vendor_charge":
            history = self.vendor_history[v.key][:-1]
            typical = sorted(history)[len(history) // 2] if history else amount
            self.problem(
                "unusual_vendor_charge",
                f"{v.ledger_name} bill {number} is {amount / typical:.1f}x the vendor's typical monthly "
                f"amount ({money_str(typical, currency)} {currency}).",
                entity,
                amount,
                currency,
                day,
                [("qbo", "Bill", "bill", docs[0].id)],
                follow=[docs[0].id],
            )
        elif plant in ("vendor_alias_1", "vendor_alias_2"):
            self._alias_bills.append(docs[0].id)
            if plant == "vendor_alias_2":
                self.problem(
                    "vendor_name_variants",
                    "Amazon Web Services appears as 'Amazon Web Services' and 'Amazon.com' in QuickBooks, "
                    "'AWS' in Xero and 'AMAZON WEB SERVICES' / 'AWS EMEA' on the bank feeds.",
                    US,
                    sum(self._alias_amounts) + amount,
                    "USD",
                    day,
                    [
                        ("qbo", "Vendor", "vendor", self.qbo.vendors["aws_us"][0]),
                        ("qbo", "Vendor", "vendor", self.qbo.vendors["aws_alias"][0]),
                        ("xero", "Contacts", "contacts", self.xero.contacts["aws_uk"][0]),
                    ]
                    + [("qbo", "Bill", "bill", b) for b in self._alias_bills],
                )
            self._alias_amounts.append(amount)
        elif plant == "new_vendor":
            self.problem(
                "new_vendor_large_payment",
                f"First-ever payment to new vendor {v.ledger_name}: {money_str(amount, currency)} "
                f"{currency} in one go.",
                entity,
                amount,
                currency,
                day,
                [("qbo", "Vendor", "vendor", self.qbo.vendors[v.key][0]), ("qbo", "Bill", "bill", docs[0].id)],
                follow=[docs[0].id],
            )

    def _bill(self, v: Vendor, vendor_key: str, day: date, moment: datetime, number: str, amount: int):
        desc = f"{v.ledger_name} {day:%B %Y}"
        if v.entity == US:
            return self.qbo.bill(moment, day, vendor_key, number, amount, v.account, desc, v.terms_days)
        return self.xero.bill(moment, day, vendor_key, number, amount, v.account, desc, v.terms_days, v.vat)

    def _schedule_bill_payment(self, v: Vendor, doc, moment: datetime) -> None:
        self.schedule(moment, "pay_bill", (v, doc))

    def _on_pay_bill(self, moment: datetime, payload) -> None:
        v, doc = payload
        rng = self.rng["ap"]
        day = moment.date()
        pending = 1 if rng.random() < 0.4 else 0
        amount = doc.balance
        if v.entity == US:
            bank_key = "bank_operating"
            pid = self.qbo.bill_payment(moment, day, doc, bank_key)
            recorded = ("qbo", "BillPayment", "billpayment")
        else:
            bank_key = "bank_current"
            pid = self.xero.payment(moment, day, doc, amount, bank_key, doc.number)
            recorded = ("xero", "Payments", "payments")
        txn = self.bank.move(
            bank_key,
            moment,
            amount,
            v.bank_name,
            v.merchant_name,
            v.pfc,
            "other",
            pending,
            counterparty=v.ledger_name,
            reference=doc.number,
        )
        self.bank.explain(txn, "one_to_one", pid)
        self._record(doc.id, *recorded, pid)
        self._record(doc.id, "plaid", "transactions", "transactions_sync", txn)

    # -- payroll ---------------------------------------------------------------------------------
    def _headcount(self, entity: str, day: date) -> int:
        h = PAYROLL[entity]
        months_in = self.world.hiring_month(entity, day)  # hires arrive in waves (dynamics.py)
        return max(1, round(h.start * max(self.scale, 0.05) * (1 + h.monthly_growth) ** months_in))

    def _payroll(self, day: date) -> None:
        rng = self.rng["payroll"]
        # US: Gusto pays on the 15th and the last day (business day on or before); the payroll
        # account is funded from operating two business days ahead.
        for month_start in (day.replace(day=1), add_months(day.replace(day=1), 1)):
            for pay_day in (
                business_day_on_or_before(month_start.replace(day=15)),
                business_day_on_or_before(month_end(month_start)),
            ):
                if business_day_on_or_before(pay_day - timedelta(days=2)) != day or pay_day > self.end:
                    continue
                heads = self._headcount(US, pay_day)
                gross = int(
                    heads
                    * PAYROLL[US].avg_gross_minor
                    * rng.uniform(0.97, 1.03)
                    * self.world.pay_factor(US, pay_day, pay_day.day > 15)
                )
                withholding = gross * 24 // 100
                employer = gross * 765 // 10000
                net = gross - withholding
                self.schedule(at(day, 15 * 3600), "payroll_funding", (gross + employer, pay_day))
                self.schedule(at(pay_day, 8 * 3600), "payroll_us", (gross, withholding, employer, net, heads))
        uk_pay = business_day_on_or_before(day.replace(day=25))
        if day == uk_pay:
            heads = self._headcount(UK, day)
            gross = int(heads * PAYROLL[UK].avg_gross_minor * rng.uniform(0.98, 1.02) * self.world.pay_factor(UK, day))
            paye = gross * 28 // 100
            employer = gross * 15 // 100
            net = gross - paye
            moment = at(day, 8 * 3600)
            self.xero.journal(
                moment,
                day,
                [
                    ("salaries", gross, "Gross pay"),
                    ("employer_ni", employer, "Employer NI"),
                    ("wages_payable", -net, "Net pay"),
                    ("paye_payable", -(paye + employer), "PAYE and NI"),
                ],
                f"Payroll {day:%B %Y} ({heads} employees)",
            )
            bt = self.xero.bank_transaction(
                moment,
                day,
                "SPEND",
                "bank_current",
                "payroll",
                [("wages_payable", net, "Net pay")],
                f"Payroll {day:%Y-%m}",
            )
            txn = self.bank.move(
                "bank_current",
                moment,
                net,
                f"BACS PAYROLL NORTHWIND UK {day:%b%y}".upper(),
                pfc=("TRANSFER_OUT", "TRANSFER_OUT_ACCOUNT_TRANSFER"),
                counterparty="Payroll",
            )
            self.bank.explain(txn, "one_to_one", bt)
            hmrc = business_day_on_or_before(add_months(day, 1).replace(day=22))
            self.schedule(at(hmrc, 10 * 3600), "hmrc", (paye + employer, day))

    def _on_payroll_funding(self, moment: datetime, payload) -> None:
        amount, pay_day = payload
        jid = self.qbo.journal(
            moment,
            moment.date(),
            [("bank_payroll", amount, "Payroll funding"), ("bank_operating", -amount, "Payroll funding")],
            f"XFER-{pay_day:%Y%m%d}",
            f"Fund payroll for {pay_day.isoformat()}",
        )
        out = self.bank.move(
            "bank_operating",
            moment,
            amount,
            "ONLINE TRANSFER TO CHK ...9021",
            pfc=("TRANSFER_OUT", "TRANSFER_OUT_ACCOUNT_TRANSFER"),
        )
        into = self.bank.move(
            "bank_payroll",
            moment,
            -amount,
            "ONLINE TRANSFER FROM CHK ...4417",
            pfc=("TRANSFER_IN", "TRANSFER_IN_ACCOUNT_TRANSFER"),
        )
        self.bank.explain(out, "one_to_one", jid)
        self.bank.explain(into, "one_to_one", jid)

    def _on_payroll_us(self, moment: datetime, payload) -> None:
        gross, withholding, employer, net, heads = payload
        day = moment.date()
        pay = self.qbo.journal(
            moment,
            day,
            [
                ("salaries", gross, "Gross wages"),
                ("payroll_tax", employer, "Employer taxes"),
                ("bank_payroll", -net, "Net pay"),
                ("payroll_liab", -(withholding + employer), "Taxes withheld and employer"),
            ],
            f"PR-{day:%Y%m%d}",
            f"Gusto payroll {day.isoformat()} ({heads} employees)",
        )
        tax = self.qbo.journal(
            moment,
            day,
            [
                ("payroll_liab", withholding + employer, "Tax remittance"),
                ("bank_payroll", -(withholding + employer), "Tax remittance"),
            ],
            f"PRTAX-{day:%Y%m%d}",
            f"Gusto tax remittance {day.isoformat()}",
        )
        net_txn = self.bank.move(
            "bank_payroll",
            moment,
            net,
            "GUSTO NET PAY 8F3K2Q",
            "Gusto",
            ("TRANSFER_OUT", "TRANSFER_OUT_ACCOUNT_TRANSFER"),
            "other",
            1,
        )
        tax_txn = self.bank.move(
            "bank_payroll",
            moment,
            withholding + employer,
            "GUSTO TAX 8F3K2Q",
            "Gusto",
            ("GOVERNMENT_AND_NON_PROFIT", "GOVERNMENT_AND_NON_PROFIT_TAX_PAYMENT"),
            "other",
            1,
        )
        self.bank.explain(net_txn, "one_to_one", pay)
        self.bank.explain(tax_txn, "one_to_one", tax)

    def _on_hmrc(self, moment: datetime, payload) -> None:
        amount, pay_day = payload
        bt = self.xero.bank_transaction(
            moment,
            moment.date(),
            "SPEND",
            "bank_current",
            "hmrc",
            [("paye_payable", amount, f"PAYE/NI for {pay_day:%B %Y}")],
            f"HMRC {pay_day:%Y-%m}",
        )
        txn = self.bank.move(
            "bank_current",
            moment,
            amount,
            "HMRC PAYE CUMBERNAULD",
            "HM Revenue & Customs",
            ("GOVERNMENT_AND_NON_PROFIT", "GOVERNMENT_AND_NON_PROFIT_TAX_PAYMENT"),
            "other",
            1,
        )
        self.bank.explain(txn, "one_to_one", bt)

    # -- treasury: interest, the FX transfer -------------------------------------------------------
    def _treasury(self, day: date) -> None:
        if day.day == 1 and day != self.start:
            reserve = self.bank.accounts["bank_reserve"]
            interest = reserve.current * 35 // 1000 // 12
            moment = at(day, 5 * 3600)
            txn = self.bank.move(
                "bank_reserve", moment, -interest, "INTEREST PAID", None, ("INCOME", "INCOME_INTEREST_EARNED")
            )
            bt = self.xero.bank_transaction(
                moment,
                day,
                "RECEIVE",
                "bank_reserve",
                "barclays",
                [("interest_income", interest, "Interest")],
                f"Interest {day:%Y-%m}",
            )
            self.bank.explain(txn, "one_to_one", bt)
        if self.plan.due("equity_raise", day) and day.weekday() < 5:
            # A venture-backed company burns cash; without its Series A the US bank balance
            # would run deeply negative, which no real bank feed shows.
            self.plan.done.add("equity_raise")
            usd = 2_500_000_00 * max(1, round(self.scale)) if self.scale >= 1 else 2_500_000_00
            moment = at(day, 14 * 3600)
            jid = self.qbo.journal(
                moment,
                day,
                [
                    ("bank_operating", usd, "Series A proceeds"),
                    ("share_capital", -usd, "Series A preferred stock issued"),
                ],
                f"EQ-{day:%Y%m%d}",
                "Series A financing from Northwind Ventures LP",
            )
            txn = self.bank.move(
                "bank_operating",
                moment,
                -usd,
                "WIRE TRANSFER IN NORTHWIND VENTURES LP",
                None,
                ("TRANSFER_IN", "TRANSFER_IN_INVESTMENT_AND_RETIREMENT_FUNDS"),
                "other",
                0,
                counterparty="Northwind Ventures LP",
            )
            self.bank.explain(txn, "one_to_one", jid)
        if self.plan.due("fx_transfer", day) and day.weekday() < 5:
            self.plan.done.add("fx_transfer")
            usd = 250_000_00 * max(1, round(self.scale)) if self.scale >= 1 else 250_000_00
            rate = self.fx.rate(day, "USD", "GBP")
            gbp = int((Decimal(usd) * rate).quantize(Decimal(1)))
            moment = at(day, 15 * 3600)
            jid = self.qbo.journal(
                moment,
                day,
                [
                    ("ic_receivable", usd, "Funding to Northwind UK"),
                    ("bank_operating", -usd, "Wire to Northwind UK"),
                    ("bank_fees", 35_00, "Outgoing wire fee"),
                    ("bank_operating", -35_00, "Outgoing wire fee"),
                ],
                f"FX-{day:%Y%m%d}",
                f"Intercompany funding to Northwind UK at {rate} GBP/USD",
            )
            wire = self.bank.move(
                "bank_operating",
                moment,
                usd,
                "WIRE TRANSFER OUT NORTHWIND UK LTD",
                None,
                ("TRANSFER_OUT", "TRANSFER_OUT_ACCOUNT_TRANSFER"),
                "other",
                0,
                counterparty="Northwind UK Ltd",
            )
            fee = self.bank.move(
                "bank_operating", moment, 35_00, "WIRE FEE", None, ("BANK_FEES", "BANK_FEES_OTHER_BANK_FEES")
            )
            self.bank.explain(wire, "one_to_one", jid)
            self.bank.explain(fee, "one_to_one", jid)
            arrive = at(day + timedelta(days=1), 11 * 3600)
            self.schedule(arrive, "fx_arrival", (usd, gbp, rate))

    def _on_fx_arrival(self, moment: datetime, payload) -> None:
        usd, gbp, rate = payload
        txn = self.bank.move(
            "bank_current",
            moment,
            -gbp,
            "NORTHWIND US INC TT INTERCOMPANY",
            None,
            ("TRANSFER_IN", "TRANSFER_IN_ACCOUNT_TRANSFER"),
            counterparty="Northwind US Inc",
        )
        bt = self.xero.bank_transaction(
            moment,
            moment.date(),
            "RECEIVE",
            "bank_current",
            "northwind_us",
            [("ic_payable", gbp, f"Funding from Northwind US: USD {money_str(usd)} at {rate}")],
            "Intercompany funding",
        )
        self.bank.explain(txn, "one_to_one", bt)

    # -- truth -------------------------------------------------------------------------------------
    def _cash_row(self, day: date, entity: str, account_id: str, currency: str, balance: int) -> None:
        self._cash.writerow([day.isoformat(), entity, account_id, currency, money_str(balance, currency)])

    def _on_foreign_payment(self, moment: datetime, payload) -> None:
        self.foreign.pay(moment, *payload)

    def _on_intercompany_settlement(self, moment: datetime, payload) -> None:
        self.foreign.settle_intercompany(moment, *payload)

    def _month_end(self, day: date) -> None:
        self.foreign.month_end(day)
        for entity in (US, UK):
            books = self.books[entity]
            currency = books.currency
            for cid, amount in sorted(books.open_ar().items()):
                if amount:
                    # open AR is in the invoices' currency (a customer billed in euros owes euros)
                    doc_currency = books.customer_currency.get(cid, currency)
                    self._ar.writerow(
                        [
                            day.isoformat(),
                            entity,
                            cid,
                            books.customer_names[cid],
                            doc_currency,
                            money_str(amount, doc_currency),
                        ]
                    )
            for vid, amount in sorted(books.open_ap(day).items()):
                doc_currency = books.customer_currency.get(vid, currency)
                self._ap.writerow([day.isoformat(), entity, vid, doc_currency, money_str(amount, doc_currency)])
            books.forget_paid()
        self.qbo.emit_accounts(at(day, 23 * 3600 + 59 * 60 + 30))

    def _write_ledger_truth(self, path: Path) -> None:
        """truth/ledger_by_account_month.csv: each account's movement per month as the books
        posted it (debit-positive, functional currency): the statements' truth (P&L by month,
        balances at month ends, and from them the consolidated statements and budget variance)."""
        charts = {US: QBO_ACCOUNTS, UK: XERO_ACCOUNTS}
        with open(path, "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(
                [
                    "month",
                    "entity",
                    "account_code",
                    "account_name",
                    "account_type",
                    "account_class",
                    "currency",
                    "movement",
                ]
            )
            for entity in (US, UK):
                books = self.books[entity]
                for (month, key), amount in sorted(books.movements.items()):
                    if amount:
                        spec = charts[entity][key]
                        # QBO: (name, number, AccountType, sub type, Classification);
                        # Xero: (name, code, Type, Class, system account)
                        klass = (spec[4] if entity == US else spec[3]).lower()
                        writer.writerow(
                            [
                                month,
                                entity,
                                spec[1],
                                spec[0],
                                spec[2],
                                klass,
                                books.currency,
                                money_str(amount, books.currency),
                            ]
                        )
        with open(path.parent / "intercompany_open_month_end.csv", "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(
                [
                    "month_end",
                    "entity",
                    "kind",
                    "document_number",
                    "currency",
                    "open_amount",
                    "functional_currency",
                    "carried_amount",
                ]
            )
            writer.writerows(self.foreign.intercompany_open)

    def _finish(self) -> None:
        self.out.flush_through(self.end)
        shop_counts, shop_stats = self.shop.finish()
        self.out.counts.update(shop_counts)
        self.stats.update(shop_stats)
        self._cash_file.close()
        self._ar_file.close()
        self._ap_file.close()
        self._write_bank_truth()
        truth = self.root / "truth"
        with open(truth / "revenue_by_month.csv", "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(["month", "entity", "currency", "revenue"])
            month = self.start.replace(day=1)
            while month <= self.end:
                key = month.strftime("%Y-%m")
                for entity in (US, UK):
                    books = self.books[entity]
                    writer.writerow(
                        [key, entity, books.currency, money_str(books.revenue_by_month.get(key, 0), books.currency)]
                    )
                month = add_months(month, 1)
        with open(truth / "fx_gain_loss_by_month.csv", "w", encoding="utf-8", newline="") as handle:
            # realised (on payment) and unrealised (month-end revaluation net of its reversal)
            # gains on foreign documents, credit-positive, in the entity's functional currency
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(["month", "entity", "currency", "realised", "unrealised"])
            for entity in (US, UK):
                books = self.books[entity]
                for key in sorted(books.fx_by_month):
                    gains = books.fx_by_month[key]
                    writer.writerow(
                        [
                            key,
                            entity,
                            books.currency,
                            money_str(gains["realised"], books.currency),
                            money_str(gains["unrealised"], books.currency),
                        ]
                    )
        with open(truth / "pnl_by_dimension.csv", "w", encoding="utf-8", newline="") as handle:
            # every P&L posting coded with a class or a department, per month, entity, class,
            # department and account, debit-positive in the entity's functional currency
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(["month", "entity", "currency", "class_name", "department_name", "account_code", "amount"])
            for entity, accounts in ((US, QBO_ACCOUNTS), (UK, XERO_ACCOUNTS)):
                books = self.books[entity]
                for (month, klass, department, key), amount in sorted(
                    books.dims_truth.items(), key=lambda kv: tuple(str(x) for x in kv[0])
                ):
                    if amount:
                        writer.writerow(
                            [
                                month,
                                entity,
                                books.currency,
                                klass or "",
                                department or "",
                                accounts[key][1],
                                money_str(amount, books.currency),
                            ]
                        )
        self.budgets.write_truth(truth / "ledger_budgets.csv")
        self._write_ledger_truth(truth / "ledger_by_account_month.csv")
        self.out.close()
        (truth / "problems.json").write_text(json.dumps({"problems": self.problems}, indent=2) + "\n")
        with open(truth / "invoice_corrections.csv", "w", encoding="utf-8", newline="") as handle:
            fields = ["entity", "source", "document_id", "document_number", "issued_on", "corrected_at"]
            writer = csv.DictWriter(handle, [*fields, "currency", "first_total", "corrected_total"])
            writer.writeheader()
            writer.writerows(self.corrections)
        fx_rows = self.fx.write_csv(self.root / "reference" / "fx_rates.csv")
        ecb_days = self.fx.write_ecb(self.root / "reference" / "ecb" / "eurofxref-hist.xml")
        manifest = {
            "generator": "ledgerlake.simulate",
            "generator_version": GENERATOR_VERSION,
            "seed": self.seed,
            "months": self.months,
            "scale": self.scale,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "fiscal_year_start_month": self.fy_start,
            "reporting_currency": REPORTING_CURRENCY,
            "currencies": ["USD", "GBP", "EUR", "CAD"],
            "entities": [dict(ENTITIES[e], plaid_item_id=self.bank.items[e]) for e in (US, UK)],
            "accounts": [
                {
                    "entity": a.spec.entity,
                    "name": a.spec.name,
                    "plaid_account_id": a.account_id,
                    "currency": a.spec.currency,
                    "mask": a.spec.mask,
                    "ledger_account": (
                        self.qbo.account_ids[a.spec.key] if a.spec.entity == US else self.xero.code(a.spec.key)
                    ),
                    "opening_balance": money_str(a.spec.opening_minor, a.spec.currency),
                }
                for a in self.bank.accounts.values()
            ],
            "sources": {
                "stripe": {"entity": US, "account": STRIPE_ACCOUNT, "api_version": "2025-06-30.basil"},
                "shopify": {"entity": UK, "shop_domain": SHOP_DOMAIN, "currency": "GBP"},
                "hubspot": {"portal_id": HUBSPOT_PORTAL_ID},
                "qbo": {"entity": US, "realm_id": ENTITIES[US]["ledger_company_id"]},
                "xero": {"entity": UK, "tenant_id": ENTITIES[UK]["ledger_company_id"]},
                "plaid": {"items": {e: self.bank.items[e] for e in (US, UK)}},
            },
            "stats": dict(sorted(self.stats.items())),
            "problems": len(self.problems),
            "files": dict(
                sorted(
                    {
                        **self.out.counts,
                        "reference/fx_rates.csv": fx_rows,
                        "reference/ecb/eurofxref-hist.xml": ecb_days,
                    }.items()
                )
            ),
        }
        (self.root / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")


def _transposed(reference: str) -> str:
    """The reference with its last two differing adjacent digits swapped (a typing slip)."""
    chars = list(reference)
    for i in range(len(chars) - 1, 0, -1):
        if chars[i].isdigit() and chars[i - 1].isdigit() and chars[i] != chars[i - 1]:
            chars[i - 1], chars[i] = chars[i], chars[i - 1]
            return "".join(chars)
    return reference

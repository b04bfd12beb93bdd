"""Documents in a currency other than the entity's own (issue #20).

Northwind UK bills a German customer in euros every month (Xero: CurrencyCode EUR with the
document's CurrencyRate, EUR per GBP) and is paid in euros into its sterling account (the
payment's own CurrencyRate; BankAmount in GBP). Northwind US buys design work from a London
studio billed in sterling (QBO: CurrencyRef GBP with ExchangeRate, USD per GBP) and pays it
from its dollar account at the payment day's rate. Rates are the ECB reference rates of the
day, stored to six places as the ledgers store them.

Each payment realises an FX gain or loss against the document's own rate; every month end
(except the last simulated day) the open foreign documents are revalued at that day's ECB
rate, reversed the next day (the books' side: ledger.Books.revalue_foreign).

Between the entities: Northwind US charges Northwind UK a monthly management fee in dollars
(a QBO invoice on "Intercompany Service Revenue"; in Xero a USD bill on "Intercompany
Management Fees", foreign for the UK), settled within the month; consolidation eliminates
both sides (seeds/intercompany_accounts.csv). Its own random stream, so the rest of the
company draws what it drew before.

At each quarter's last day Northwind US also recharges Northwind UK for shared IT systems
(the same documents, on the same accounts), settled on the 10th of the next month: at the
quarter end it is open intercompany AR in the US and AP in the UK, which consolidation
eliminates too (seeds/intercompany_contacts.csv names the counterparties). Its amount draws
on a stream of its own ("intercompany_recharge").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from .company import UK, US
from .ledger import OpenDoc, provider_rate, to_functional, xero_functional_rate
from .util import at, money_str, month_end, stream


@dataclass(frozen=True)
class ForeignParty:
    key: str
    name: str
    currency: str
    day: int  # day of month the document is issued
    low: int  # amount range, whole units of the currency
    high: int
    terms_days: int


EUR_CUSTOMER = ForeignParty("rheinland", "Rheinland Logistik GmbH", "EUR", 8, 6_000, 14_000, 30)
GBP_VENDOR = ForeignParty("thames_studio", "Thames Design Studio Ltd", "GBP", 12, 2_500, 4_500, 30)
MANAGEMENT_FEE_USD = 12_000_00  # per month at scale 1
FEE_DAY, FEE_SETTLED_DAY = 3, 20
RECHARGE_USD = (2_000, 6_000)  # whole dollars at scale 1, per quarter
RECHARGE_SETTLED_DAY = 10  # of the month after the quarter end


class ForeignTrade:
    def __init__(self, engine):
        self.engine = engine
        self.rng = stream(engine.seed, "foreign")  # its own stream: the company's other draws are unchanged
        self.recharge_rng = stream(engine.seed, "intercompany_recharge")
        self.open_charges: list[tuple[OpenDoc, OpenDoc]] = []  # (US invoice, UK bill) not yet settled
        self.intercompany_open: list[list[str]] = []  # truth rows, see month_end
        self.fx = engine.fx

    def open(self, moment: datetime) -> None:
        self.engine.xero.contact(
            moment,
            EUR_CUSTOMER.key,
            EUR_CUSTOMER.name,
            "ap@rheinland-logistik.de",
            True,
            currency=EUR_CUSTOMER.currency,
        )
        self.engine.qbo.vendor(moment, GBP_VENDOR.key, GBP_VENDOR.name, currency=GBP_VENDOR.currency)
        self.uk_customer = self.engine.qbo.customer(moment, "Northwind UK Ltd", "finance@northwind.co.uk")
        self.fee = max(round(MANAGEMENT_FEE_USD * self.engine.scale / 100) * 100, 500_00)

    def step(self, day: date) -> None:
        """Reverse last month end's revaluation, then issue today's documents."""
        for books in (self.engine.qbo, self.engine.xero):
            if books.pending_reversals:
                books.reverse_revaluation(day)
        if day.day == min(EUR_CUSTOMER.day, month_end(day).day):
            self._invoice(day)
        if day.day == min(GBP_VENDOR.day, month_end(day).day):
            self._bill(day)
        if day.day == FEE_DAY:
            self._management_fee(day)
        if day.month % 3 == 0 and day == month_end(day):
            self._recharge(day)

    def month_end(self, day: date) -> None:
        """Revalue open foreign documents at the month end's rate (reversed tomorrow), unless
        the simulation ends today (tomorrow's reversal would fall outside it)."""
        if day < self.engine.end:
            for books in (self.engine.qbo, self.engine.xero):
                books.revalue_foreign(day, lambda currency, books=books: self.fx.rate(day, currency, books.currency))
        self._intercompany_truth(day)

    def _intercompany_truth(self, day: date) -> None:
        """Open intercompany receivables (US) and payables (UK) at the month end, in the document's
        currency and at the functional amount carried (the month end's revaluation when foreign):
        truth/intercompany_open_month_end.csv."""
        self.open_charges = [(i, b) for i, b in self.open_charges if i.balance or b.balance]
        revalued = day < self.engine.end
        for invoice, bill in self.open_charges:
            for entity, doc, books in ((US, invoice, self.engine.qbo), (UK, bill, self.engine.xero)):
                if not doc.balance or doc.created.date() > day:
                    continue
                carried = doc.balance
                if doc.currency:
                    sign = 1 if doc.functional > 0 else -1
                    carried = (
                        to_functional(doc.balance, self.fx.rate(day, doc.currency, books.currency))
                        if revalued
                        else sign * doc.functional
                    )
                kind = "receivable" if entity == US else "payable"
                self.intercompany_open.append(
                    [
                        day.isoformat(),
                        entity,
                        kind,
                        doc.number,
                        doc.currency or books.currency,
                        money_str(doc.balance, doc.currency or books.currency),
                        books.currency,
                        money_str(carried, books.currency),
                    ]
                )

    def _amount(self, party: ForeignParty) -> int:
        return self.rng.randrange(party.low, party.high) * 100

    def _invoice(self, day: date) -> None:
        engine = self.engine
        moment = at(day, 10 * 3600 + self.rng.randrange(6 * 3600))
        engine.doc_numbers[UK] += 1
        number = f"INV-{engine.doc_numbers[UK]:04d}"
        rate = provider_rate(self.fx.rate(day, "GBP", EUR_CUSTOMER.currency))
        doc = engine.xero.invoice(
            moment,
            day,
            EUR_CUSTOMER.key,
            number,
            None,
            [(f"Logistics analytics services {day:%B %Y}", self._amount(EUR_CUSTOMER), "rev_services")],
            EUR_CUSTOMER.terms_days,
            currency=EUR_CUSTOMER.currency,
            currency_rate=rate,
        )
        # paid in full, some early, most a little late: several stay open over a month end
        pay_day = day + timedelta(days=EUR_CUSTOMER.terms_days - 5 + self.rng.randrange(30))
        engine.schedule(at(pay_day, 11 * 3600 + self.rng.randrange(4 * 3600)), "foreign_payment", (UK, doc))
        engine.stats["foreign_invoices"] += 1

    def _bill(self, day: date) -> None:
        engine = self.engine
        moment = at(day, 9 * 3600 + self.rng.randrange(8 * 3600))
        number = f"TDS-{day:%Y%m}"
        rate = provider_rate(self.fx.rate(day, GBP_VENDOR.currency, "USD"))
        doc = engine.qbo.bill(
            moment,
            day,
            GBP_VENDOR.key,
            number,
            self._amount(GBP_VENDOR),
            "cogs_contractors",
            f"{GBP_VENDOR.name} {day:%B %Y}",
            GBP_VENDOR.terms_days,
            currency=GBP_VENDOR.currency,
            rate=rate,
        )
        pay_day = day + timedelta(days=GBP_VENDOR.terms_days + self.rng.randrange(6))
        engine.schedule(at(pay_day, 14 * 3600 + self.rng.randrange(3600)), "foreign_payment", (US, doc))
        engine.stats["foreign_bills"] += 1

    def _management_fee(self, day: date) -> None:
        settle = at(day.replace(day=FEE_SETTLED_DAY), 12 * 3600)
        self.engine.doc_numbers[US] += 1
        number = str(self.engine.doc_numbers[US])
        self._charge(day, number, f"Group management services {day:%B %Y}", self.fee, settle)

    def _recharge(self, day: date) -> None:
        """The quarter's IT systems recharge: open over the quarter end, settled next month."""
        low, high = RECHARGE_USD
        amount = max(round(self.recharge_rng.randrange(low, high) * 100 * self.engine.scale / 100) * 100, 100_00)
        settle = at(date.fromordinal(day.toordinal() + RECHARGE_SETTLED_DAY), 13 * 3600)
        quarter = f"Q{(day.month - 1) // 3 + 1} {day.year}"
        # its own number series, so the invoices' sequence is what it was before recharges
        number = f"ICR-{day.year}Q{(day.month - 1) // 3 + 1}"
        self._charge(day, number, f"Shared IT systems recharge {quarter}", amount, settle)
        self.engine.stats["intercompany_recharges"] += 1

    def _charge(self, day: date, number: str, desc: str, amount: int, settle: datetime) -> None:
        """A US invoice to the UK and the UK's dollar bill for it, settled together at `settle`."""
        engine = self.engine
        moment = at(day, 8 * 3600)
        invoice = engine.qbo.invoice(
            moment, day, self.uk_customer, number, None, [(desc, amount, "ic_revenue")], 30, "finance@northwind.co.uk"
        )
        bill = engine.xero.bill(
            moment + timedelta(hours=2),
            day,
            "northwind_us",
            f"NWUS-{number}",
            amount,
            "ic_charges",
            desc,
            30,
            vat=False,
            currency="USD",
            currency_rate=provider_rate(self.fx.rate(day, "GBP", "USD")),
        )
        engine.schedule(settle, "intercompany_settlement", (invoice, bill))
        self.open_charges.append((invoice, bill))
        engine.stats["intercompany_charges"] += 1

    def settle_intercompany(self, moment: datetime, invoice: OpenDoc, bill: OpenDoc) -> None:
        """The UK pays the dollar bill from its sterling account; the US receives the dollars."""
        engine, day = self.engine, moment.date()
        rate = provider_rate(self.fx.rate(day, "GBP", "USD"))
        sterling = to_functional(bill.balance, xero_functional_rate(rate))
        paid = engine.xero.payment(moment, day, bill, bill.balance, "bank_current", bill.number, currency_rate=rate)
        txn = engine.bank.move(
            "bank_current",
            moment,
            sterling,
            "NORTHWIND US INC MGMT FEE",
            None,
            ("TRANSFER_OUT", "TRANSFER_OUT_ACCOUNT_TRANSFER"),
            counterparty="Northwind US Inc",
            reference=bill.number,
        )
        engine.bank.explain(txn, "one_to_one", paid)  # the reconciliation truth (truth/bank_lines.csv)
        amount = invoice.balance
        received = engine.qbo.payment(moment, day, invoice, amount, "bank_operating", f"WIRE {invoice.number}")
        txn = engine.bank.move(
            "bank_operating",
            moment,
            -amount,
            "WIRE TRANSFER IN NORTHWIND UK LTD",
            None,
            ("TRANSFER_IN", "TRANSFER_IN_ACCOUNT_TRANSFER"),
            counterparty="Northwind UK Ltd",
            reference=invoice.number,
        )
        engine.bank.explain(txn, "one_to_one", received)

    def pay(self, moment: datetime, entity: str, doc: OpenDoc) -> None:
        engine, day = self.engine, moment.date()
        if doc.balance <= 0:
            return
        if entity == UK:
            rate = provider_rate(self.fx.rate(day, "GBP", doc.currency))
            received = to_functional(doc.balance, xero_functional_rate(rate))
            payment = engine.xero.payment(moment, day, doc, doc.balance, "bank_current", doc.number, currency_rate=rate)
            txn = engine.bank.move(
                "bank_current",
                moment,
                -received,
                f"FP RHEINLAND LOGISTIK REF {doc.number}",
                pfc=("TRANSFER_IN", "TRANSFER_IN_ACCOUNT_TRANSFER"),
                counterparty=EUR_CUSTOMER.name,
                reference=doc.number,
            )
        else:
            rate = provider_rate(self.fx.rate(day, doc.currency, "USD"))
            paid = to_functional(doc.balance, rate)
            payment = engine.qbo.bill_payment(moment, day, doc, "bank_operating", rate=rate)
            txn = engine.bank.move(
                "bank_operating",
                moment,
                paid,
                "INTL WIRE GBP THAMES DESIGN STUDIO",
                None,
                ("GENERAL_SERVICES", "GENERAL_SERVICES_CONSULTING_AND_LEGAL"),
                "other",
                0,
                counterparty=GBP_VENDOR.name,
                reference=doc.number,
            )
        engine.bank.explain(txn, "one_to_one", payment)
        engine.stats["foreign_payments"] += 1

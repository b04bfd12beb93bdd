"""The books: QuickBooks Online (Northwind US) and Xero (Northwind UK).

Every ledger document is emitted in the provider's wire shape (one API line per version)
and, in the same call, posted as debit-positive lines to a small general ledger here,
which checks that the document balances and accumulates the ground truth (revenue by
month, open AR per customer). The wire objects are the record; the GL is the generator's
own bookkeeping of what those records say.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import ClassVar

from ..sources.ecb.feed import cross_rate
from .company import (
    ENTITIES,
    QBO_ACCOUNTS,
    QBO_REVENUE_TYPES,
    UK,
    US,
    XERO_ACCOUNTS,
    XERO_REVENUE_TYPES,
)
from .dimensions import NONE, Coding, Dimensions, qbo_line_coding, xero_line_coding
from .out import Output
from .util import UTC, Ids, dec, dumps, iso_ms_z, qbo_time, xero_date

Lines = list[tuple[str, int, str]]  # (account key, debit-positive minor amount, description)


def xero_day(value: str) -> date:
    return datetime.fromtimestamp(int(value[6 : value.index("+")]) / 1000, tz=UTC).date()


class Unbalanced(AssertionError):
    pass


def to_functional(minor: int, rate: Decimal) -> int:
    """A document-currency amount in the entity's functional currency at `rate` (functional per
    1 document unit), rounded half away from zero to the minor unit, as the build's `convert`
    macro rounds (both currencies have two decimals here)."""
    return int((Decimal(minor) * rate).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def xero_functional_rate(currency_rate: Decimal) -> Decimal:
    """Xero's CurrencyRate is units of the document currency per 1 unit of the organisation's
    base currency (EUR per GBP); the functional rate is its inverse, to 10 places half-even,
    as the build derives it (the fx_cross_rate macro)."""
    return cross_rate(currency_rate, Decimal(1))


def provider_rate(rate: Decimal) -> Decimal:
    """A rate as the ledgers store one on a document: six decimal places."""
    return rate.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)


@dataclass
class OpenDoc:
    """An AR/AP document still tracked for balance and versioning."""

    id: str
    number: str
    customer_id: str
    customer_name: str
    total: int
    balance: int
    version: int
    obj: dict
    created: datetime
    payments: list = field(default_factory=list)
    # a foreign-currency document: its currency, and the functional amount its control line
    # (receivable debit-positive, payable negative) was booked at: the carrying amount
    currency: str | None = None
    functional: int = 0


class Books:
    """What both ledgers share: the GL, revenue truth, AR truth and change notifications."""

    source = ""
    revenue_keys: frozenset[str] = frozenset()
    pnl_keys: frozenset[str] = frozenset()  # revenue and expense accounts (what P&L by dimension sums)

    def __init__(self, entity: str, out: Output, ids: Ids):
        self.entity = entity
        self.currency = ENTITIES[entity]["currency"]
        self.out = out
        self.ids = ids
        self.balances: dict[str, int] = defaultdict(int)
        self.revenue_by_month: dict[str, int] = defaultdict(int)
        self.invoices: dict[str, OpenDoc] = {}
        self.customer_names: dict[str, str] = {}
        self.notifications: list[tuple[datetime, str, str, str]] = []  # (moment, name, id, operation)
        self.documents = 0
        # realised / unrealised FX gain (credit-positive) per month, functional minor units
        self.fx_by_month: dict[str, dict[str, int]] = defaultdict(lambda: {"realised": 0, "unrealised": 0})
        self.pending_reversals: list[tuple[str, int]] = []
        self.customer_currency: dict[str, str] = {}  # customer / vendor id -> its documents' currency
        # class / department coding (simulate/dimensions.py); None leaves documents uncoded
        self.dims: Dimensions | None = None
        # coded P&L postings: (month, class, department, account key) -> debit-positive amount
        self.dims_truth: dict[tuple[str, str | None, str | None, str], int] = defaultdict(int)
        # every account's movement per month (debit-positive, functional minor units): the
        # truth of the statements (truth/ledger_by_account_month.csv) and the budgets' run-rate
        self.movements: dict[tuple[str, str], int] = defaultdict(int)

    def post(self, day: date, lines: Lines, what: str, coding: list[Coding] | None = None) -> None:
        """Post balanced lines; `coding` (parallel to `lines`) is each line's (class,
        department) as its document states them."""
        total = sum(amount for _, amount, _ in lines)
        if total != 0:
            raise Unbalanced(f"{self.entity} {what} on {day}: debits - credits = {total}")
        month = day.strftime("%Y-%m")
        for key, amount, _ in lines:
            self.balances[key] += amount
            self.movements[(month, key)] += amount
            if key in self.revenue_keys:
                self.revenue_by_month[month] -= amount  # revenue = credits - debits
        for (key, amount, _), (klass, department) in zip(lines, coding or ()):
            if (klass or department) and key in self.pnl_keys:
                self.dims_truth[(month, klass, department, key)] += amount
        self.documents += 1

    def expense_coding(self, account: str) -> Coding:
        """The (class, department) an expense document on `account` is coded with."""
        return self.dims.expense(account) if self.dims and account in self.pnl_keys else NONE

    def open_ar(self) -> dict[str, int]:
        """Open AR per customer id (from invoices still carrying a balance)."""
        totals: dict[str, int] = defaultdict(int)
        for doc in self.invoices.values():
            if doc.balance:
                totals[doc.customer_id] += doc.balance
        return totals

    def open_ap(self, day: date) -> dict[str, int]:
        """Open AP per vendor id at the end of `day`: bills entered by then (a duplicate bill is
        planted a week ahead) and not yet paid (both ledgers drop a bill once paid)."""
        totals: dict[str, int] = defaultdict(int)
        for doc in getattr(self, "bills", {}).values():
            if doc.balance and doc.created.date() <= day:
                totals[doc.customer_id] += doc.balance
        return totals

    # -- foreign-currency documents -------------------------------------------------------------
    fx_realised_key = ""
    fx_unrealised_key = ""

    def settle_foreign(self, day: date, doc: OpenDoc, paid_functional: int, bank_key: str, what: str) -> Lines:
        """The functional lines of paying a foreign document in full: the control account is
        cleared at the carrying amount, the bank moves by what the payment is worth at its own
        rate, and the difference is the realised FX gain (credit) or loss (debit)."""
        control = "ar" if doc.functional > 0 else "ap"
        bank = paid_functional if doc.functional > 0 else -paid_functional
        lines = [
            (bank_key, bank, what),
            (control, -doc.functional, what),
            (self.fx_realised_key, doc.functional - bank, "Realised FX"),
        ]
        self.post(day, lines, what)
        self.fx_by_month[day.strftime("%Y-%m")]["realised"] -= doc.functional - bank
        return lines

    def revalue_foreign(self, day: date, rate_of) -> None:
        """Month-end revaluation of every open foreign document at the closing rate
        (`rate_of(currency)`: functional per 1 unit), reversed on the next day."""
        month = day.strftime("%Y-%m")
        for doc in [*self.invoices.values(), *getattr(self, "bills", {}).values()]:
            if not doc.currency or doc.balance <= 0 or doc.created.date() > day:
                continue
            control = "ar" if doc.functional > 0 else "ap"
            sign = 1 if doc.functional > 0 else -1
            adjustment = sign * to_functional(doc.balance, rate_of(doc.currency)) - doc.functional
            if adjustment:
                self.post(
                    day,
                    [(control, adjustment, "Revaluation"), (self.fx_unrealised_key, -adjustment, "Unrealised FX")],
                    "Revaluation",
                )
                self.fx_by_month[month]["unrealised"] += adjustment
                self.pending_reversals.append((control, adjustment))

    def reverse_revaluation(self, day: date) -> None:
        """The day after a month end: last month end's revaluation reversed."""
        month = day.strftime("%Y-%m")
        for control, adjustment in self.pending_reversals:
            self.post(
                day,
                [
                    (control, -adjustment, "Revaluation reversed"),
                    (self.fx_unrealised_key, adjustment, "Unrealised FX reversed"),
                ],
                "Revaluation reversal",
            )
            self.fx_by_month[month]["unrealised"] -= adjustment
        self.pending_reversals = []

    def forget_paid(self) -> None:
        """Drop fully settled invoices so memory stays bounded at large scales."""
        for key in [k for k, d in self.invoices.items() if d.balance == 0]:
            del self.invoices[key]


# =========================================================================================
# QuickBooks Online
# =========================================================================================

_TERMS = {
    0: ("1", "Due on receipt"),
    15: ("2", "Net 15"),
    30: ("3", "Net 30"),
    45: ("4", "Net 45"),
    60: ("5", "Net 60"),
}


class QboBooks(Books):
    source = "qbo"
    fx_realised_key = fx_unrealised_key = "fx_gain_loss"  # QBO books both to "Exchange Gain or Loss"
    revenue_keys = frozenset(k for k, v in QBO_ACCOUNTS.items() if v[2] in QBO_REVENUE_TYPES)
    pnl_keys = frozenset(k for k, v in QBO_ACCOUNTS.items() if v[4] in ("Revenue", "Expense"))
    income_keys = frozenset(k for k, v in QBO_ACCOUNTS.items() if v[4] == "Revenue")  # credit-normal P&L

    def __init__(self, out: Output, ids: Ids):
        super().__init__(US, out, ids)
        self.realm = ENTITIES[US]["ledger_company_id"]
        self.account_ids = {key: str(i + 1) for i, key in enumerate(QBO_ACCOUNTS)}
        self.account_ids_inv = {v: k for k, v in self.account_ids.items()}
        self.account_versions = dict.fromkeys(QBO_ACCOUNTS, 0)
        self.account_created: datetime | None = None
        self.bills: dict[str, OpenDoc] = {}
        self.vendors: dict[str, tuple[str, str]] = {}  # key -> (id, name)
        self._next_id = 100

    # -- helpers ---------------------------------------------------------------------------
    def _id(self) -> str:
        # QBO Ids are per-company integers shared across transaction types.
        self._next_id += 1
        return str(self._next_id)

    def ref(self, key: str) -> dict:
        return {"value": self.account_ids[key], "name": QBO_ACCOUNTS[key][0]}

    @staticmethod
    def _meta(created: datetime, updated: datetime) -> dict:
        return {"CreateTime": qbo_time(created), "LastUpdatedTime": qbo_time(updated)}

    def _emit(self, name: str, moment: datetime, obj: dict, operation: str, deleted: bool = False) -> None:
        self.out.api("qbo", name, moment, obj["Id"], dumps(obj), deleted=deleted)
        self.notifications.append((moment, name, obj["Id"], operation))

    _CUR: ClassVar[dict[str, str]] = {"USD": "United States Dollar", "GBP": "British Pound Sterling", "EUR": "Euro"}

    def _expense_line(self, desc: str, amount: int, account: str, klass: str | None = None) -> dict:
        """A bill's or a purchase's one expense line (AccountBasedExpenseLineDetail), with its
        ClassRef when coded."""
        detail = {"AccountRef": self.ref(account), "BillableStatus": "NotBillable", "TaxCodeRef": {"value": "NON"}}
        if klass:
            detail["ClassRef"] = Dimensions.qbo_class_ref(klass)
        return {
            "Id": "1",
            "Description": desc,
            "Amount": dec(amount),
            "DetailType": "AccountBasedExpenseLineDetail",
            "AccountBasedExpenseLineDetail": detail,
        }

    def emit_dimensions(self, moment: datetime) -> None:
        """The company's Class and Department lists (QBO entities, polled through CDC). Set up
        before any webhook subscription here: no change notification, so the webhook
        deliveries (and the id stream they draw from) are as they were before dimensions."""
        for name, obj in Dimensions.qbo_objects(moment):
            self.out.api("qbo", name, moment, obj["Id"], dumps(obj))

    def _cur(self, currency: str = "USD") -> dict:
        return {"value": currency, "name": self._CUR[currency]}

    # -- lists -----------------------------------------------------------------------------
    def emit_accounts(self, moment: datetime) -> None:
        self.account_created = self.account_created or moment
        for key, (name, number, atype, subtype, classification) in QBO_ACCOUNTS.items():
            version = self.account_versions[key]
            balance = self.balances.get(key, 0)
            # QBO reports CurrentBalance in the account's natural sign (credit-normal positive).
            if classification in ("Liability", "Equity", "Revenue"):
                balance = -balance
            obj = {
                "Name": name,
                "SubAccount": False,
                "FullyQualifiedName": name,
                "Active": True,
                "Classification": classification,
                "AccountType": atype,
                "AccountSubType": subtype,
                "AcctNum": number,
                "CurrentBalance": dec(balance),
                "CurrentBalanceWithSubAccounts": dec(balance),
                "CurrencyRef": self._cur(),
                "domain": "QBO",
                "sparse": False,
                "Id": self.account_ids[key],
                "SyncToken": str(version),
                "MetaData": self._meta(self.account_created, moment),
            }
            self.account_versions[key] = version + 1
            self._emit("Account", moment, obj, "Create" if version == 0 else "Update")

    def customer(self, moment: datetime, name: str, email: str) -> str:
        cid = self._id()
        obj = {
            "Taxable": False,
            "Job": False,
            "BillWithParent": False,
            "Balance": 0,
            "BalanceWithJobs": 0,
            "CurrencyRef": self._cur(),
            "PreferredDeliveryMethod": "Email",
            "IsProject": False,
            "domain": "QBO",
            "sparse": False,
            "Id": cid,
            "SyncToken": "0",
            "MetaData": self._meta(moment, moment),
            "FullyQualifiedName": name,
            "CompanyName": name,
            "DisplayName": name,
            "PrintOnCheckName": name,
            "Active": True,
            "PrimaryEmailAddr": {"Address": email},
        }
        self.customer_names[cid] = name
        self._emit("Customer", moment, obj, "Create")
        return cid

    def vendor(self, moment: datetime, key: str, name: str, currency: str = "USD") -> str:
        vid = self._id()
        obj = {
            "Balance": 0,
            "Vendor1099": False,
            "CurrencyRef": self._cur(currency),
            "domain": "QBO",
            "sparse": False,
            "Id": vid,
            "SyncToken": "0",
            "MetaData": self._meta(moment, moment),
            "CompanyName": name,
            "DisplayName": name,
            "PrintOnCheckName": name,
            "Active": True,
        }
        self.vendors[key] = (vid, name)
        self.customer_currency[vid] = currency
        self._emit("Vendor", moment, obj, "Create")
        return vid

    # -- AR --------------------------------------------------------------------------------
    def invoice(
        self,
        moment: datetime,
        day: date,
        customer_id: str,
        doc_number: str,
        deal_ref: str | None,
        items: list[tuple[str, int, str]],
        terms_days: int,
        email: str,
    ) -> OpenDoc:
        """items: (description, amount, revenue account key)."""
        iid = self._id()
        total = sum(a for _, a, _ in items)
        classes, department = self.dims.sales([k for _, _, k in items]) if self.dims else ([None] * len(items), None)
        lines = []
        for n, (desc, amount, key) in enumerate(items, 1):
            lines.append(
                {
                    "Id": str(n),
                    "LineNum": n,
                    "Description": desc,
                    "Amount": dec(amount),
                    "DetailType": "SalesItemLineDetail",
                    "SalesItemLineDetail": {
                        "ItemRef": {
                            "value": "1" if key == "rev_services" else "2",
                            "name": "Services" if key == "rev_services" else "Subscription",
                        },
                        "UnitPrice": dec(amount),
                        "Qty": 1,
                        "ItemAccountRef": self.ref(key),
                        "TaxCodeRef": {"value": "NON"},
                    }
                    | ({"ClassRef": Dimensions.qbo_class_ref(classes[n - 1])} if classes[n - 1] else {}),
                }
            )
        lines.append({"Amount": dec(total), "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}})
        term_id, term_name = _TERMS.get(terms_days, ("3", "Net 30"))
        name = self.customer_names[customer_id]
        obj = {
            "AllowIPNPayment": False,
            "AllowOnlinePayment": False,
            "AllowOnlineCreditCardPayment": False,
            "AllowOnlineACHPayment": False,
            "domain": "QBO",
            "sparse": False,
            "Id": iid,
            "SyncToken": "0",
            "MetaData": self._meta(moment, moment),
            "CustomField": [
                {"DefinitionId": "1", "Name": "HubSpot Deal", "Type": "StringType", "StringValue": deal_ref or ""}
            ],
            "DocNumber": doc_number,
            "TxnDate": day.isoformat(),
            "CurrencyRef": self._cur(),
            "PrivateNote": f"HubSpot deal {deal_ref}" if deal_ref else "",
            "LinkedTxn": [],
            "Line": lines,
            "TxnTaxDetail": {"TotalTax": 0},
            "CustomerRef": {"value": customer_id, "name": name},
            "BillEmail": {"Address": email},
            "SalesTermRef": {"value": term_id, "name": term_name},
            "DueDate": (day + timedelta(days=terms_days)).isoformat(),
            "TotalAmt": dec(total),
            "ApplyTaxAfterDiscount": False,
            "PrintStatus": "NotSet",
            "EmailStatus": "EmailSent",
            "Balance": dec(total),
            "Deposit": 0,
        }
        if department:
            obj["DepartmentRef"] = Dimensions.qbo_department_ref(department)
        self.post(
            day,
            [("ar", total, doc_number)] + [(k, -a, d) for d, a, k in items],
            f"Invoice {doc_number}",
            [(None, department)] + [(c, department) for c in classes],
        )
        doc = OpenDoc(iid, doc_number, customer_id, name, total, total, 0, obj, moment)
        self.invoices[iid] = doc
        self._emit("Invoice", moment, obj, "Create")
        return doc

    def delete_invoice(self, moment: datetime, day: date, doc: OpenDoc) -> None:
        """Delete an unpaid invoice (a mistake). QBO then reports only Id, status Deleted and MetaData."""
        txn_day = date.fromisoformat(doc.obj["TxnDate"])
        sales = [ln for ln in doc.obj["Line"] if ln["DetailType"] == "SalesItemLineDetail"]
        lines = [("ar", -doc.total, "Deleted")] + [
            (
                self.account_ids_inv[ln["SalesItemLineDetail"]["ItemAccountRef"]["value"]],
                int(ln["Amount"] * 100),
                "Deleted",
            )
            for ln in sales
        ]
        coding = [NONE] + [qbo_line_coding(doc.obj, ln) for ln in sales]
        self.post(txn_day, lines, f"Delete Invoice {doc.number}", coding)
        obj = {"domain": "QBO", "status": "Deleted", "Id": doc.id, "MetaData": {"LastUpdatedTime": qbo_time(moment)}}
        self.out.api("qbo", "Invoice", moment, doc.id, dumps(obj), deleted=True)
        self.notifications.append((moment, "Invoice", doc.id, "Delete"))
        del self.invoices[doc.id]

    def correct_invoice(self, moment: datetime, doc: OpenDoc, amount: int) -> None:
        """Edit an unpaid invoice in place (#19): its first line's amount becomes `amount`, the
        total and balance follow, the SyncToken bumps; the GL moves by the difference on the
        invoice's date. No webhook notification is added: it would draw from the shared hooks
        and id streams and move the rest of the company; the pollers' /cdc brings the edit."""
        obj = doc.obj
        line = obj["Line"][0]
        delta = amount - int(line["Amount"] * 100)
        key = self.account_ids_inv[line["SalesItemLineDetail"]["ItemAccountRef"]["value"]]
        self.post(
            date.fromisoformat(obj["TxnDate"]),
            [("ar", delta, doc.number), (key, -delta, line["Description"])],
            f"Correct Invoice {doc.number}",
            [NONE, qbo_line_coding(obj, line)],
        )
        line["Amount"] = line["SalesItemLineDetail"]["UnitPrice"] = dec(amount)
        doc.total += delta
        doc.balance += delta
        for ln in obj["Line"]:
            if ln["DetailType"] == "SubTotalLineDetail":
                ln["Amount"] = dec(doc.total)
        obj["TotalAmt"] = dec(doc.total)
        doc.version += 1
        obj["SyncToken"] = str(doc.version)
        obj["MetaData"] = self._meta(doc.created, moment)
        obj["Balance"] = dec(doc.balance)
        self.out.api("qbo", "Invoice", moment, doc.id, dumps(obj))

    def _bump(self, name: str, doc: OpenDoc, moment: datetime, balance_field: str = "Balance") -> None:
        doc.version += 1
        obj = doc.obj
        obj["SyncToken"] = str(doc.version)
        obj["MetaData"] = self._meta(doc.created, moment)
        obj[balance_field] = dec(doc.balance)
        self._emit(name, moment, obj, "Update")

    def payment(
        self,
        moment: datetime,
        day: date,
        doc: OpenDoc,
        amount: int,
        deposit_key: str,
        ref: str,
        note: str = "",
        credit: tuple[str, int] | None = None,
    ) -> str:
        """Apply `amount` of cash (plus an optional credit memo) to one invoice."""
        pid = self._id()
        lines = [
            {
                "Amount": dec(amount + (credit[1] if credit else 0)),
                "LinkedTxn": [{"TxnId": doc.id, "TxnType": "Invoice"}],
            }
        ]
        if credit:
            lines.append({"Amount": dec(credit[1]), "LinkedTxn": [{"TxnId": credit[0], "TxnType": "CreditMemo"}]})
        obj = {
            "CustomerRef": {"value": doc.customer_id, "name": doc.customer_name},
            "DepositToAccountRef": {"value": self.account_ids[deposit_key]},
            "PaymentRefNum": ref,
            "TotalAmt": dec(amount),
            "UnappliedAmt": 0,
            "ProcessPayment": False,
            "domain": "QBO",
            "sparse": False,
            "Id": pid,
            "SyncToken": "0",
            "MetaData": self._meta(moment, moment),
            "TxnDate": day.isoformat(),
            "CurrencyRef": self._cur(),
            "PrivateNote": note,
            "Line": lines,
        }
        self.post(day, [(deposit_key, amount, ref), ("ar", -amount, ref)], f"Payment {pid}")
        self._emit("Payment", moment, obj, "Create")
        doc.balance -= amount
        doc.obj["LinkedTxn"].append({"TxnId": pid, "TxnType": "Payment"})
        doc.payments.append(pid)
        self._bump("Invoice", doc, moment)
        return pid

    def credit_memo(self, moment: datetime, day: date, doc: OpenDoc, amount: int, reason: str) -> str:
        cid = self._id()
        number = f"CM-{doc.number}"
        obj = {
            "RemainingCredit": 0,
            "domain": "QBO",
            "sparse": False,
            "Id": cid,
            "SyncToken": "0",
            "MetaData": self._meta(moment, moment),
            "DocNumber": number,
            "TxnDate": day.isoformat(),
            "CurrencyRef": self._cur(),
            "PrivateNote": reason,
            "Line": [
                {
                    "Id": "1",
                    "LineNum": 1,
                    "Description": reason,
                    "Amount": dec(amount),
                    "DetailType": "SalesItemLineDetail",
                    "SalesItemLineDetail": {
                        "ItemRef": {"value": "1", "name": "Services"},
                        "UnitPrice": dec(amount),
                        "Qty": 1,
                        "ItemAccountRef": self.ref("rev_services"),
                        "TaxCodeRef": {"value": "NON"},
                    },
                },
                {"Amount": dec(amount), "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}},
            ],
            "TxnTaxDetail": {"TotalTax": 0},
            "CustomerRef": {"value": doc.customer_id, "name": doc.customer_name},
            "TotalAmt": dec(amount),
            "Balance": 0,
            "PrintStatus": "NotSet",
            "EmailStatus": "NotSet",
        }
        self.post(day, [("rev_services", amount, reason), ("ar", -amount, reason)], f"CreditMemo {number}")
        self._emit("CreditMemo", moment, obj, "Create")
        doc.balance -= amount
        self._bump("Invoice", doc, moment)
        return cid

    # -- AP --------------------------------------------------------------------------------
    def bill(
        self,
        moment: datetime,
        day: date,
        vendor_key: str,
        doc_number: str,
        amount: int,
        account: str,
        desc: str,
        terms_days: int,
        currency: str | None = None,
        rate: Decimal | None = None,
    ) -> OpenDoc:
        """A bill; in a foreign `currency` it carries QBO's ExchangeRate (home units per 1
        foreign unit) and posts its functional amount at that rate."""
        bid = self._id()
        vid, vname = self.vendors[vendor_key]
        klass, department = self.expense_coding(account)
        obj = {
            "DueDate": (day + timedelta(days=terms_days)).isoformat(),
            "Balance": dec(amount),
            "domain": "QBO",
            "sparse": False,
            "Id": bid,
            "SyncToken": "0",
            "MetaData": self._meta(moment, moment),
            "DocNumber": doc_number,
            "TxnDate": day.isoformat(),
            "CurrencyRef": self._cur(),
            "LinkedTxn": [],
            "Line": [{"Id": "1", "LineNum": 1} | self._expense_line(desc, amount, account, klass)],
            "VendorRef": {"value": vid, "name": vname},
            "APAccountRef": self.ref("ap"),
            "TotalAmt": dec(amount),
        }
        if department:
            obj["DepartmentRef"] = Dimensions.qbo_department_ref(department)
        functional = amount
        if currency:
            functional = to_functional(amount, rate)
            obj.update({"CurrencyRef": self._cur(currency), "ExchangeRate": rate})
        self.post(
            day,
            [(account, functional, desc), ("ap", -functional, desc)],
            f"Bill {doc_number}",
            [(klass, department), (None, department)],
        )
        doc = OpenDoc(
            bid, doc_number, vid, vname, amount, amount, 0, obj, moment, currency=currency, functional=-functional
        )
        self.bills[bid] = doc
        self._emit("Bill", moment, obj, "Create")
        return doc

    def bill_payment(
        self, moment: datetime, day: date, doc: OpenDoc, bank_key: str, rate: Decimal | None = None
    ) -> str:
        """Pay a bill in full; a foreign bill at the payment's own ExchangeRate, the difference to
        the bill's rate booked as a realised exchange gain or loss."""
        pid = self._id()
        amount = doc.balance
        obj = {
            "VendorRef": {"value": doc.customer_id, "name": doc.customer_name},
            "PayType": "Check",
            "CheckPayment": {"BankAccountRef": self.ref(bank_key), "PrintStatus": "NotSet"},
            "TotalAmt": dec(amount),
            "domain": "QBO",
            "sparse": False,
            "Id": pid,
            "SyncToken": "0",
            "MetaData": self._meta(moment, moment),
            "DocNumber": f"ACH{pid}",
            "TxnDate": day.isoformat(),
            "CurrencyRef": self._cur(),
            "PrivateNote": f"Payment of bill {doc.number}",
            "Line": [{"Amount": dec(amount), "LinkedTxn": [{"TxnId": doc.id, "TxnType": "Bill"}]}],
        }
        if doc.currency:
            obj.update({"CurrencyRef": self._cur(doc.currency), "ExchangeRate": rate})
            self.settle_foreign(day, doc, to_functional(amount, rate), bank_key, f"BillPayment {pid}")
        else:
            self.post(day, [("ap", amount, doc.number), (bank_key, -amount, doc.number)], f"BillPayment {pid}")
        self._emit("BillPayment", moment, obj, "Create")
        doc.balance = 0
        doc.obj["LinkedTxn"].append({"TxnId": pid, "TxnType": "BillPaymentCheck"})
        self._bump("Bill", doc, moment)
        del self.bills[doc.id]
        return pid

    def purchase(
        self,
        moment: datetime,
        day: date,
        vendor_key: str,
        amount: int,
        account: str,
        desc: str,
        bank_key: str = "bank_operating",
    ) -> str:
        pid = self._id()
        vid, vname = self.vendors[vendor_key]
        klass, department = self.expense_coding(account)
        obj = {
            "AccountRef": self.ref(bank_key),
            "PaymentType": "Check",
            "EntityRef": {"value": vid, "name": vname, "type": "Vendor"},
            "Credit": False,
            "TotalAmt": dec(amount),
            "PurchaseEx": {"any": []},
            "domain": "QBO",
            "sparse": False,
            "Id": pid,
            "SyncToken": "0",
            "MetaData": self._meta(moment, moment),
            "DocNumber": "",
            "TxnDate": day.isoformat(),
            "CurrencyRef": self._cur(),
            "PrivateNote": desc,
            "Line": [self._expense_line(desc, amount, account, klass)],
        }
        if department:
            obj["DepartmentRef"] = Dimensions.qbo_department_ref(department)
        self.post(
            day,
            [(account, amount, desc), (bank_key, -amount, desc)],
            f"Purchase {pid}",
            [(klass, department), (None, department)],
        )
        self._emit("Purchase", moment, obj, "Create")
        return pid

    # -- cash and journals -----------------------------------------------------------------
    def deposit(self, moment: datetime, day: date, bank_key: str, lines: list[tuple[str, int, str]], note: str) -> str:
        did = self._id()
        total = sum(a for _, a, _ in lines)
        obj = {
            "DepositToAccountRef": self.ref(bank_key),
            "TotalAmt": dec(total),
            "domain": "QBO",
            "sparse": False,
            "Id": did,
            "SyncToken": "0",
            "MetaData": self._meta(moment, moment),
            "TxnDate": day.isoformat(),
            "CurrencyRef": self._cur(),
            "PrivateNote": note,
            "Line": [
                {
                    "Id": str(n),
                    "LineNum": n,
                    "Description": desc,
                    "Amount": dec(amount),
                    "DetailType": "DepositLineDetail",
                    "DepositLineDetail": {"AccountRef": self.ref(key)},
                }
                for n, (key, amount, desc) in enumerate(lines, 1)
            ],
        }
        self.post(day, [(bank_key, total, note)] + [(k, -a, d) for k, a, d in lines], f"Deposit {did}")
        self._emit("Deposit", moment, obj, "Create")
        return did

    def journal(
        self, moment: datetime, day: date, lines: Lines, doc_number: str, note: str, adjustment: bool = False
    ) -> str:
        jid = self._id()
        wire_lines = []
        for n, (key, amount, desc) in enumerate((ln for ln in lines if ln[1] != 0), 1):
            wire_lines.append(
                {
                    "Id": str(n - 1),
                    "Description": desc,
                    "Amount": dec(abs(amount)),
                    "DetailType": "JournalEntryLineDetail",
                    "JournalEntryLineDetail": {
                        "PostingType": "Debit" if amount > 0 else "Credit",
                        "AccountRef": self.ref(key),
                    },
                }
            )
        obj = {
            "Adjustment": adjustment,
            "TotalAmt": dec(sum(a for _, a, _ in lines if a > 0)),
            "domain": "QBO",
            "sparse": False,
            "Id": jid,
            "SyncToken": "0",
            "MetaData": self._meta(moment, moment),
            "DocNumber": doc_number,
            "TxnDate": day.isoformat(),
            "CurrencyRef": self._cur(),
            "PrivateNote": note,
            "Line": wire_lines,
        }
        self.post(day, [ln for ln in lines if ln[1] != 0], f"JournalEntry {doc_number}")
        self._emit("JournalEntry", moment, obj, "Create")
        return jid

    # -- webhooks --------------------------------------------------------------------------
    def webhook_batches(self, rng, ids: Ids) -> None:
        """Batch the day's entity changes (QBO aggregates over a few minutes) into deliveries.

        Intuit is moving webhooks to CloudEvents; about a third of deliveries use that
        array format, the rest the legacy eventNotifications envelope.
        """
        if not self.notifications:
            return
        self.notifications.sort(key=lambda n: n[0])
        batches: dict[datetime, list] = defaultdict(list)
        for moment, name, oid, op in self.notifications:
            window = moment.replace(minute=(moment.minute // 5) * 5, second=0, microsecond=0)
            batches[window].append((moment, name, oid, op))
        self.notifications = []
        for window in sorted(batches):
            items = batches[window]
            sent = items[-1][0] + timedelta(seconds=30 + rng.randrange(240))
            if rng.random() < 0.33:
                body = dumps(
                    [
                        {
                            "specversion": "1.0",
                            "id": ids.uuid(),
                            "source": "intuit.qbo.dataservices",
                            "type": f"qbo.{name.lower()}.{_CE_OP[op]}.v1",
                            "datacontenttype": "application/json",
                            "time": iso_ms_z(moment),
                            "intuitentityid": oid,
                            "intuitaccountid": self.realm,
                            "data": {},
                        }
                        for moment, name, oid, op in items
                    ]
                )
            else:
                body = dumps(
                    {
                        "eventNotifications": [
                            {
                                "realmId": self.realm,
                                "dataChangeEvent": {
                                    "entities": [
                                        {"name": name, "id": oid, "operation": op, "lastUpdated": iso_ms_z(moment)}
                                        for moment, name, oid, op in items
                                    ]
                                },
                            }
                        ]
                    }
                )
            headers = {"Content-Type": "application/json; charset=utf-8", "intuit-t-id": ids.uuid()}
            self.out.webhook("qbo", sent, ids.uuid(), headers, body)


_CE_OP = {"Create": "created", "Update": "updated", "Delete": "deleted", "Void": "voided", "Merge": "merged"}


# =========================================================================================
# Xero
# =========================================================================================


class XeroBooks(Books):
    source = "xero"
    fx_realised_key, fx_unrealised_key = "fx_realised", "fx_unrealised"  # Xero's system accounts
    revenue_keys = frozenset(k for k, v in XERO_ACCOUNTS.items() if v[2] in XERO_REVENUE_TYPES)
    pnl_keys = frozenset(k for k, v in XERO_ACCOUNTS.items() if v[3] in ("REVENUE", "EXPENSE"))
    income_keys = frozenset(k for k, v in XERO_ACCOUNTS.items() if v[3] == "REVENUE")  # credit-normal P&L

    def __init__(self, out: Output, ids: Ids):
        super().__init__(UK, out, ids)
        self.tenant = ENTITIES[UK]["ledger_company_id"]
        self.account_ids = {key: ids.uuid() for key in XERO_ACCOUNTS}
        self.key_by_code = {v[1]: k for k, v in XERO_ACCOUNTS.items()}
        self.contacts: dict[str, tuple[str, str]] = {}
        self.bills: dict[str, OpenDoc] = {}
        self.event_seq = 0
        self.events: list[tuple[datetime, str, str, str]] = []  # (moment, category, id, type)

    def code(self, key: str) -> str:
        return XERO_ACCOUNTS[key][1]

    def _emit(
        self,
        resource: str,
        moment: datetime,
        oid: str,
        obj: dict,
        category: str | None = None,
        event_type: str = "CREATE",
        deleted: bool = False,
    ) -> None:
        self.out.api("xero", resource, moment, oid, dumps(obj), deleted=deleted)
        self.documents += 0
        if category:  # Xero webhooks only cover contacts and invoices (incl. bills)
            self.events.append((moment, category, oid, event_type))

    @staticmethod
    def _date(day: date) -> str:
        return xero_date(day)

    def emit_accounts(self, moment: datetime) -> None:
        for key, (name, code, atype, klass, system) in XERO_ACCOUNTS.items():
            obj = {
                "AccountID": self.account_ids[key],
                "Code": code,
                "Name": name,
                "Status": "ACTIVE",
                "Type": atype,
                "TaxType": "NONE"
                if atype in ("BANK", "CURRENT", "CURRLIAB", "EQUITY")
                else ("OUTPUT2" if klass == "REVENUE" else "INPUT2"),
                "Class": klass,
                "EnablePaymentsToAccount": False,
                "ShowInExpenseClaims": False,
                "ReportingCode": "",
                "ReportingCodeName": "",
                "HasAttachments": False,
                "UpdatedDateUTC": xero_date(moment),
                "AddToWatchlist": False,
            }
            if system:
                obj["SystemAccount"] = system
            if atype == "BANK":
                obj.update(
                    {
                        "BankAccountNumber": "20320643917251" if code == "090" else "20320690120388",
                        "BankAccountType": "BANK",
                        "CurrencyCode": "GBP",
                    }
                )
            self._emit("Accounts", moment, obj["AccountID"], obj)

    def contact(self, moment: datetime, key: str, name: str, email: str, customer: bool, currency: str = "GBP") -> str:
        cid = self.ids.uuid()
        obj = {
            "ContactID": cid,
            "ContactStatus": "ACTIVE",
            "Name": name,
            "FirstName": "",
            "LastName": "",
            "EmailAddress": email,
            "BankAccountDetails": "",
            "Addresses": [
                {"AddressType": "STREET", "City": "", "Region": "", "PostalCode": "", "Country": ""},
                {"AddressType": "POBOX", "City": "", "Region": "", "PostalCode": "", "Country": ""},
            ],
            "Phones": [{"PhoneType": "DEFAULT", "PhoneNumber": "", "PhoneAreaCode": "", "PhoneCountryCode": ""}],
            "UpdatedDateUTC": xero_date(moment),
            "ContactGroups": [],
            "IsSupplier": not customer,
            "IsCustomer": customer,
            "DefaultCurrency": currency,
            "ContactPersons": [],
            "HasAttachments": False,
            "HasValidationErrors": False,
        }
        self.contacts[key] = (cid, name)
        if customer:
            self.customer_names[cid] = name
            self.customer_currency[cid] = currency
        self._emit("Contacts", moment, cid, obj, "CONTACT", "CREATE")
        return cid

    # -- invoices (ACCREC) and bills (ACCPAY) ------------------------------------------------
    def _invoice_obj(
        self,
        kind: str,
        iid: str,
        number: str,
        reference: str,
        contact: tuple[str, str],
        day: date,
        due: date,
        items: list[dict],
        sub: int,
        tax: int,
        moment: datetime,
        currency: str = "GBP",
        rate: Decimal | None = None,
    ) -> dict:
        return {
            "Type": kind,
            "InvoiceID": iid,
            "InvoiceNumber": number,
            "Reference": reference,
            "Payments": [],
            "CreditNotes": [],
            "Prepayments": [],
            "Overpayments": [],
            "AmountDue": dec(sub + tax),
            "AmountPaid": dec(0),
            "AmountCredited": dec(0),
            "CurrencyRate": rate or dec(100),
            "IsDiscounted": False,
            "HasAttachments": False,
            "HasErrors": False,
            "Contact": {"ContactID": contact[0], "Name": contact[1]},
            "DateString": day.isoformat() + "T00:00:00",
            "Date": self._date(day),
            "DueDateString": due.isoformat() + "T00:00:00",
            "DueDate": self._date(due),
            "Status": "AUTHORISED",
            "LineAmountTypes": "Exclusive",
            "LineItems": items,
            "SubTotal": dec(sub),
            "TotalTax": dec(tax),
            "Total": dec(sub + tax),
            "UpdatedDateUTC": xero_date(moment),
            "CurrencyCode": currency,
            "SentToContact": kind == "ACCREC",
        }

    def emit_dimensions(self, moment: datetime) -> None:
        """The organisation's tracking categories and their options (`GET /TrackingCategories`)."""
        for category in self.dims.xero_tracking_categories():
            self.out.api("xero", "TrackingCategories", moment, category["TrackingCategoryID"], dumps(category))

    def _line(self, desc: str, amount: int, key: str, tax_type: str, tax: int, coding: Coding = NONE) -> dict:
        return {
            "LineItemID": self.ids.uuid(),
            "Description": desc,
            "Quantity": dec(100),
            "UnitAmount": dec(amount),
            "TaxType": tax_type,
            "TaxAmount": dec(tax),
            "LineAmount": dec(amount),
            "AccountCode": self.code(key),
            "AccountID": self.account_ids[key],
            "Tracking": self.dims.xero_tracking(coding) if self.dims else [],
        }

    def invoice(
        self,
        moment: datetime,
        day: date,
        contact_key: str,
        number: str,
        deal_ref: str | None,
        items: list[tuple[str, int, str]],
        terms_days: int,
        currency: str | None = None,
        currency_rate: Decimal | None = None,
    ) -> OpenDoc:
        """A sales invoice; in a foreign `currency` it carries Xero's CurrencyRate (document
        units per 1 GBP), is outside the scope of UK VAT (an export of services) and each line
        posts its functional amount at the inverse rate, the receivable their sum."""
        iid = self.ids.uuid()
        wire, posts, sub, tax = [], [], 0, 0
        rate = xero_functional_rate(currency_rate) if currency else None
        classes, department = self.dims.sales([k for _, _, k in items]) if self.dims else ([None] * len(items), None)
        coding = [(c, department) for c in classes]
        for (desc, amount, key), line_coding in zip(items, coding):
            line_tax = 0 if currency else (amount * 20 + 50) // 100  # UK standard-rated 20% output VAT
            wire.append(self._line(desc, amount, key, "NONE" if currency else "OUTPUT2", line_tax, line_coding))
            posts.append((key, -(to_functional(amount, rate) if currency else amount), desc))
            sub += amount
            tax += line_tax
        contact = self.contacts[contact_key]
        obj = self._invoice_obj(
            "ACCREC",
            iid,
            number,
            deal_ref or "",
            contact,
            day,
            day + timedelta(days=terms_days),
            wire,
            sub,
            tax,
            moment,
            currency or "GBP",
            currency_rate,
        )
        receivable = -sum(a for _, a, _ in posts) + tax
        self.post(
            day,
            [("ar", receivable, number), ("vat", -tax, "Output VAT")] + posts,
            f"Invoice {number}",
            [NONE, NONE] + coding,
        )
        doc = OpenDoc(
            iid,
            number,
            contact[0],
            contact[1],
            sub + tax,
            sub + tax,
            0,
            obj,
            moment,
            currency=currency,
            functional=receivable,
        )
        self.invoices[iid] = doc
        self._emit("Invoices", moment, iid, obj, "INVOICE", "CREATE")
        return doc

    def correct_invoice(self, moment: datetime, doc: OpenDoc, amount: int) -> None:
        """Edit an unpaid GBP sales invoice in place (#19): its first line's amount becomes
        `amount`, its VAT, total and amount due follow, UpdatedDateUTC moves; the GL moves by
        the difference on the invoice's date. No webhook event (see QboBooks.correct_invoice)."""
        inv = doc.obj
        line = inv["LineItems"][0]
        delta = amount - int(line["LineAmount"] * 100)
        old_tax = int(line["TaxAmount"] * 100)
        new_tax = (amount * 20 + 50) // 100 if line["TaxType"] == "OUTPUT2" else 0
        change = delta + new_tax - old_tax
        self.post(
            xero_day(inv["Date"]),
            [
                ("ar", change, doc.number),
                ("vat", old_tax - new_tax, "Output VAT"),
                (self.key_by_code[line["AccountCode"]], -delta, line["Description"]),
            ],
            f"Correct {doc.number}",
            [NONE, NONE, xero_line_coding(line)],
        )
        line["UnitAmount"] = line["LineAmount"] = dec(amount)
        line["TaxAmount"] = dec(new_tax)
        doc.total += change
        doc.balance += change
        doc.functional += change
        inv["SubTotal"] = dec(int(inv["SubTotal"] * 100) + delta)
        inv["TotalTax"] = dec(int(inv["TotalTax"] * 100) + new_tax - old_tax)
        inv["Total"] = dec(doc.total)
        inv["AmountDue"] = dec(doc.balance)
        inv["UpdatedDateUTC"] = xero_date(moment)
        self.out.api("xero", "Invoices", moment, doc.id, dumps(inv))

    def void_invoice(self, moment: datetime, day: date, doc: OpenDoc) -> None:
        """Void an unpaid ACCREC invoice (a mistake): Xero keeps it, with Status VOIDED."""
        inv = doc.obj
        txn_day = xero_day(inv["Date"])
        lines = [("ar", -doc.total, "Voided"), ("vat", int(inv["TotalTax"] * 100), "Voided")] + [
            (self.key_by_code[ln["AccountCode"]], int(ln["LineAmount"] * 100), "Voided") for ln in inv["LineItems"]
        ]
        coding = [NONE, NONE] + [xero_line_coding(ln) for ln in inv["LineItems"]]
        self.post(txn_day, lines, f"Void {doc.number}", coding)
        inv["Status"] = "VOIDED"
        inv["AmountDue"] = dec(0)
        inv["UpdatedDateUTC"] = xero_date(moment)
        self._emit("Invoices", moment, doc.id, inv, "INVOICE", "UPDATE", deleted=True)
        del self.invoices[doc.id]

    def bill(
        self,
        moment: datetime,
        day: date,
        contact_key: str,
        number: str,
        amount: int,
        key: str,
        desc: str,
        terms_days: int,
        vat: bool,
        currency: str | None = None,
        currency_rate: Decimal | None = None,
    ) -> OpenDoc:
        """A bill (ACCPAY); in a foreign `currency` with its CurrencyRate (document units per 1
        GBP), no VAT, the line's functional amount at the inverse rate."""
        iid = self.ids.uuid()
        tax = (amount * 20 + 50) // 100 if vat and not currency else 0
        coding = self.expense_coding(key)
        wire = [self._line(desc, amount, key, "INPUT2" if tax else "NONE", tax, coding)]
        contact = self.contacts[contact_key]
        obj = self._invoice_obj(
            "ACCPAY",
            iid,
            number,
            "",
            contact,
            day,
            day + timedelta(days=terms_days),
            wire,
            amount,
            tax,
            moment,
            currency or "GBP",
            currency_rate,
        )
        functional = to_functional(amount, xero_functional_rate(currency_rate)) if currency else amount
        posts = [(key, functional, desc), ("ap", -(functional + tax), number)]
        if tax:
            posts.append(("vat", tax, "Input VAT"))
        self.post(day, posts, f"Bill {number}", [coding])
        doc = OpenDoc(
            iid,
            number,
            contact[0],
            contact[1],
            amount + tax,
            amount + tax,
            0,
            obj,
            moment,
            currency=currency,
            functional=-(functional + tax),
        )
        self.bills[iid] = doc
        self._emit("Invoices", moment, iid, obj, "INVOICE", "CREATE")
        return doc

    def payment(
        self,
        moment: datetime,
        day: date,
        doc: OpenDoc,
        amount: int,
        bank_key: str,
        reference: str,
        currency_rate: Decimal | None = None,
    ) -> str:
        """A payment against an ACCREC invoice (money in) or an ACCPAY bill (money out). For a
        foreign document (paid in full) `currency_rate` is the payment's own CurrencyRate:
        Amount is in the document's currency, BankAmount in the GBP bank account's."""
        pid = self.ids.uuid()
        receivable = doc.obj["Type"] == "ACCREC"
        rate = currency_rate or dec(100)
        bank_amount = to_functional(amount, xero_functional_rate(rate)) if doc.currency else amount
        obj = {
            "PaymentID": pid,
            "Date": self._date(day),
            "BankAmount": dec(bank_amount),
            "Amount": dec(amount),
            "Reference": reference,
            "CurrencyRate": rate,
            "PaymentType": "ACCRECPAYMENT" if receivable else "ACCPAYPAYMENT",
            "Status": "AUTHORISED",
            "UpdatedDateUTC": xero_date(moment),
            "HasAccount": True,
            "IsReconciled": True,
            "HasValidationErrors": False,
            "Account": {"AccountID": self.account_ids[bank_key], "Code": self.code(bank_key)},
            "Invoice": {
                "Type": doc.obj["Type"],
                "InvoiceID": doc.id,
                "InvoiceNumber": doc.number,
                "Contact": {"ContactID": doc.customer_id, "Name": doc.customer_name},
                "CurrencyCode": doc.currency or "GBP",
                "Payments": [],
                "CreditNotes": [],
                "Prepayments": [],
                "Overpayments": [],
                "HasErrors": False,
                "IsDiscounted": False,
                "LineItems": [],
            },
        }
        if doc.currency:
            self.settle_foreign(day, doc, bank_amount, bank_key, f"Payment {pid}")
        elif receivable:
            self.post(day, [(bank_key, amount, reference), ("ar", -amount, reference)], f"Payment {pid}")
        else:
            self.post(day, [("ap", amount, reference), (bank_key, -amount, reference)], f"Payment {pid}")
        self._emit("Payments", moment, pid, obj)
        doc.balance -= amount
        doc.version += 1
        inv = doc.obj
        inv["Payments"].append(
            {
                "PaymentID": pid,
                "Date": self._date(day),
                "Amount": dec(amount),
                "Reference": reference,
                "CurrencyRate": rate,
                "HasAccount": False,
                "HasValidationErrors": False,
            }
        )
        paid = doc.total - doc.balance
        inv["AmountPaid"] = dec(paid)
        inv["AmountDue"] = dec(max(doc.balance, 0))
        inv["UpdatedDateUTC"] = xero_date(moment)
        if doc.balance <= 0:
            inv["Status"] = "PAID"
            inv["FullyPaidOnDate"] = self._date(day)
        self._emit("Invoices", moment, doc.id, inv, "INVOICE", "UPDATE")
        if doc.balance <= 0:
            (self.invoices if receivable else self.bills).pop(doc.id, None)
        return pid

    def bank_transaction(
        self,
        moment: datetime,
        day: date,
        kind: str,
        bank_key: str,
        contact_key: str,
        lines: list[tuple[str, int, str]],
        reference: str,
        vat: bool = False,
    ) -> str:
        """SPEND (money out) or RECEIVE (money in): lines are (account key, amount, description)."""
        tid = self.ids.uuid()
        wire, posts, sub, tax, coding = [], [], 0, 0, []
        sign = 1 if kind == "SPEND" else -1
        for key, amount, desc in lines:
            line_tax = (amount * 20 + 50) // 100 if vat else 0
            line_coding = self.expense_coding(key) if kind == "SPEND" else NONE
            wire.append(self._line(desc, amount, key, "INPUT2" if vat else "NONE", line_tax, line_coding))
            posts.append((key, sign * amount, desc))
            coding.append(line_coding)
            if line_tax:
                posts.append(("vat", sign * line_tax, "VAT"))
                coding.append(NONE)
            sub += amount
            tax += line_tax
        posts.append((bank_key, -sign * (sub + tax), reference))
        contact = self.contacts[contact_key]
        obj = {
            "BankTransactionID": tid,
            "Type": kind,
            "Contact": {"ContactID": contact[0], "Name": contact[1]},
            "LineItems": wire,
            "BankAccount": {
                "AccountID": self.account_ids[bank_key],
                "Code": self.code(bank_key),
                "Name": XERO_ACCOUNTS[bank_key][0],
            },
            "IsReconciled": True,
            "HasAttachments": False,
            "Date": self._date(day),
            "DateString": day.isoformat() + "T00:00:00",
            "Reference": reference,
            "CurrencyCode": "GBP",
            "CurrencyRate": dec(100),
            "Status": "AUTHORISED",
            "LineAmountTypes": "Exclusive" if vat else "NoTax",
            "SubTotal": dec(sub),
            "TotalTax": dec(tax),
            "Total": dec(sub + tax),
            "UpdatedDateUTC": xero_date(moment),
        }
        self.post(day, posts, f"BankTransaction {tid}", coding)
        self._emit("BankTransactions", moment, tid, obj)
        return tid

    def journal(self, moment: datetime, day: date, lines: Lines, narration: str) -> str:
        jid = self.ids.uuid()
        lines = [ln for ln in lines if ln[1] != 0]
        obj = {
            "Date": self._date(day),
            "Status": "POSTED",
            "LineAmountTypes": "NoTax",
            "UpdatedDateUTC": xero_date(moment),
            "ManualJournalID": jid,
            "Narration": narration,
            "JournalLines": [
                {
                    "Description": desc,
                    "TaxType": "NONE",
                    "TaxAmount": dec(0),
                    "LineAmount": dec(amount),
                    "AccountCode": self.code(key),
                    "AccountID": self.account_ids[key],
                    "Tracking": [],
                    "IsBlank": False,
                }
                for key, amount, desc in lines
            ],
            "ShowOnCashBasisReports": True,
            "HasAttachments": False,
        }
        for key, _, _ in lines:
            if key in ("bank_current", "bank_reserve", "ar", "ap", "retained", "vat"):
                raise ValueError(f"Xero rejects manual journals on {key}")
        self.post(day, lines, f"ManualJournal {narration}")
        self._emit("ManualJournals", moment, jid, obj)
        return jid

    def credit_note(self, moment: datetime, day: date, doc: OpenDoc, amount: int, reason: str) -> str:
        """An ACCRECCREDIT allocated to an open invoice (amount is net; VAT added)."""
        cid = self.ids.uuid()
        tax = (amount * 20 + 50) // 100
        number = f"CN-{doc.number[4:]}"
        line = self._line(reason, amount, "rev_services", "OUTPUT2", tax)
        obj = {
            "CreditNoteID": cid,
            "CreditNoteNumber": number,
            "Type": "ACCRECCREDIT",
            "Reference": doc.number,
            "Contact": {"ContactID": doc.customer_id, "Name": doc.customer_name},
            "Date": self._date(day),
            "DateString": day.isoformat() + "T00:00:00",
            "Status": "PAID",
            "LineAmountTypes": "Exclusive",
            "LineItems": [line],
            "SubTotal": dec(amount),
            "TotalTax": dec(tax),
            "Total": dec(amount + tax),
            "UpdatedDateUTC": xero_date(moment),
            "CurrencyCode": "GBP",
            "CurrencyRate": dec(100),
            "FullyPaidOnDate": self._date(day),
            "RemainingCredit": dec(0),
            "HasAttachments": False,
            "Allocations": [
                {
                    "Amount": dec(amount + tax),
                    "Date": self._date(day),
                    "Invoice": {"InvoiceID": doc.id, "InvoiceNumber": doc.number},
                }
            ],
        }
        self.post(
            day,
            [("rev_services", amount, reason), ("vat", tax, "Output VAT"), ("ar", -(amount + tax), reason)],
            f"CreditNote {number}",
        )
        self._emit("CreditNotes", moment, cid, obj)
        doc.balance -= amount + tax
        inv = doc.obj
        inv["CreditNotes"].append(
            {
                "CreditNoteID": cid,
                "CreditNoteNumber": number,
                "Total": dec(amount + tax),
                "AppliedAmount": dec(amount + tax),
                "Date": self._date(day),
            }
        )
        inv["AmountCredited"] = dec(amount + tax)
        inv["AmountDue"] = dec(doc.balance)
        inv["UpdatedDateUTC"] = xero_date(moment)
        self._emit("Invoices", moment, doc.id, inv, "INVOICE", "UPDATE")
        return cid

    def webhook_batches(self, rng, ids: Ids) -> None:
        if not self.events:
            return
        self.events.sort(key=lambda e: e[0])
        batches: dict[datetime, list] = defaultdict(list)
        for event in self.events:
            batches[event[0].replace(minute=0, second=0, microsecond=0)].append(event)
        self.events = []
        for window in sorted(batches):
            items = batches[window]
            first = self.event_seq + 1
            self.event_seq += len(items)
            body = dumps(
                {
                    "events": [
                        {
                            "resourceUrl": "https://api.xero.com/api.xro/2.0/"
                            f"{'Invoices' if cat == 'INVOICE' else 'Contacts'}/{oid}",
                            "resourceId": oid,
                            "eventDateUtc": moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}",
                            "eventType": etype,
                            "eventCategory": cat,
                            "tenantId": self.tenant,
                            "tenantType": "ORGANISATION",
                        }
                        for moment, cat, oid, etype in items
                    ],
                    "firstEventSequence": first,
                    "lastEventSequence": self.event_seq,
                    "entropy": ids.lower(20).upper(),
                }
            )
            sent = items[-1][0] + timedelta(seconds=5 + rng.randrange(120))
            self.out.webhook("xero", sent, ids.uuid(), {"Content-Type": "application/json; charset=utf-8"}, body)

"""Plaid bank feeds: one Item per entity, every cash movement as a Plaid transaction.

Plaid sign convention: a positive `amount` is money leaving the account. Some outflows
are seen first as pending; when they post, Plaid removes the pending transaction and adds
a posted one whose `pending_transaction_id` points at it (two API lines: a delete of the
pending id, then the posted transaction). Balances (`/accounts/get`) are emitted once per
day: `current` = posted balance, `available` = current minus pending outflows.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from .company import BANK_ACCOUNTS, ENTITIES, BankAccount
from .out import Output
from .util import Ids, at, dec, dumps

_CHANNEL_TYPE = {"online": "digital", "other": "special", "in store": "place"}


@dataclass
class PlaidAccount:
    spec: BankAccount
    account_id: str
    item_id: str
    current: int  # posted balance, minor units (positive = money in the account)
    pending_out: int = 0


class Bank:
    def __init__(self, out: Output, ids: Ids, rng):
        self.out = out
        self.ids = ids
        self.rng = rng
        self.items = {code: ids.plaid() for code in ENTITIES}
        self.accounts: dict[str, PlaidAccount] = {}
        for spec in BANK_ACCOUNTS:
            self.accounts[spec.key] = PlaidAccount(spec, ids.plaid(), self.items[spec.entity], spec.opening_minor)
        self._postings: list = []  # heap of (post day, seq, payload)
        self._seq = 0
        self.changed_items: dict[str, datetime] = {}
        self.lines = 0
        # reconciliation truth: every posted line, and the ledger documents that explain it
        self.posted: dict[str, tuple[str, date, int, str]] = {}  # txn id -> (account key, day, amount out, name)
        self.explained: dict[str, tuple[str, tuple[str, ...]]] = {}  # txn id -> (match kind, ledger doc ids)

    def explain(self, txn_id: str, kind: str, *doc_ids: str) -> None:
        """Record which ledger documents explain the (final, posted) bank line `txn_id`."""
        self.explained[txn_id] = (kind, doc_ids)

    def account_id(self, key: str) -> str:
        return self.accounts[key].account_id

    def _txn(
        self,
        acct: PlaidAccount,
        txn_id: str,
        amount: int,
        day: date,
        auth_day: date,
        name: str,
        merchant: str | None,
        pfc: tuple[str, str],
        channel: str,
        pending: bool,
        pending_id: str | None,
        counterparty: str | None,
        reference: str | None = None,
    ) -> dict:
        cur = acct.spec.currency
        return {
            "account_id": acct.account_id,
            "account_owner": None,
            "amount": dec(amount, cur),
            "authorized_date": auth_day.isoformat(),
            "authorized_datetime": None,
            "category": None,
            "category_id": None,
            "check_number": None,
            "counterparties": (
                [
                    {
                        "name": merchant or counterparty,
                        "type": "merchant" if merchant else "financial_institution",
                        "website": None,
                        "logo_url": None,
                        "confidence_level": "HIGH",
                        "entity_id": None,
                        "phone_number": None,
                    }
                ]
                if (merchant or counterparty)
                else []
            ),
            "date": day.isoformat(),
            "datetime": None,
            "iso_currency_code": cur,
            "location": {
                "address": None,
                "city": None,
                "country": None,
                "lat": None,
                "lon": None,
                "postal_code": None,
                "region": None,
                "store_number": None,
            },
            "logo_url": None,
            "merchant_entity_id": None,
            "merchant_name": merchant,
            "name": name,
            "original_description": name,
            "payment_channel": channel,
            "payment_meta": {
                "by_order_of": None,
                "payee": None,
                "payer": None,
                "payment_method": None,
                "payment_processor": None,
                "ppd_id": None,
                "reason": None,
                "reference_number": reference,
            },
            "pending": pending,
            "pending_transaction_id": pending_id,
            "personal_finance_category": {"primary": pfc[0], "detailed": pfc[1], "confidence_level": "HIGH"},
            "personal_finance_category_icon_url": f"https://plaid-category-icons.plaid.com/PFC_{pfc[0]}.png",
            "transaction_code": None,
            "transaction_id": txn_id,
            "transaction_type": _CHANNEL_TYPE[channel],
            "unofficial_currency_code": None,
            "website": None,
        }

    def move(
        self,
        key: str,
        moment: datetime,
        amount_out: int,
        name: str,
        merchant: str | None = None,
        pfc: tuple[str, str] = ("TRANSFER_OUT", "TRANSFER_OUT_ACCOUNT_TRANSFER"),
        channel: str = "other",
        pending_days: int = 0,
        counterparty: str | None = None,
        reference: str | None = None,
    ) -> str:
        """Record one cash movement. amount_out > 0 is money out. Returns the final transaction id.

        With pending_days > 0 the transaction appears pending on the day of `moment` and posts
        `pending_days` later (under a new id); otherwise it is posted on that day.
        """
        acct = self.accounts[key]
        day = moment.date()
        if pending_days:
            pending_id = self.ids.plaid()
            obj = self._txn(
                acct,
                pending_id,
                amount_out,
                day,
                day,
                name,
                merchant,
                pfc,
                channel,
                True,
                None,
                counterparty,
                reference,
            )
            self.out.api("plaid", "transactions", moment, pending_id, dumps(obj))
            self.lines += 1
            if amount_out > 0:
                acct.pending_out += amount_out
            self.changed_items[acct.item_id] = moment
            posted_id = self.ids.plaid()
            self._seq += 1
            heapq.heappush(
                self._postings,
                (
                    day + timedelta(days=pending_days),
                    self._seq,
                    (
                        key,
                        pending_id,
                        posted_id,
                        amount_out,
                        day,
                        name,
                        merchant,
                        pfc,
                        channel,
                        counterparty,
                        reference,
                        obj,
                    ),
                ),
            )
            return posted_id
        txn_id = self.ids.plaid()
        self._post(
            acct, moment, txn_id, amount_out, day, day, name, merchant, pfc, channel, None, counterparty, reference
        )
        return txn_id

    def _post(
        self,
        acct,
        moment,
        txn_id,
        amount_out,
        day,
        auth_day,
        name,
        merchant,
        pfc,
        channel,
        pending_id,
        counterparty,
        reference=None,
    ):
        obj = self._txn(
            acct,
            txn_id,
            amount_out,
            day,
            auth_day,
            name,
            merchant,
            pfc,
            channel,
            False,
            pending_id,
            counterparty,
            reference,
        )
        self.out.api("plaid", "transactions", moment, txn_id, dumps(obj))
        self.lines += 1
        self.posted[txn_id] = (acct.spec.key, day, amount_out, name)
        acct.current -= amount_out
        self.changed_items[acct.item_id] = moment

    def settle(self, day: date) -> None:
        """Post every pending transaction due on `day` (early morning bank processing)."""
        while self._postings and self._postings[0][0] <= day:
            post_day, _, payload = heapq.heappop(self._postings)
            key, pending_id, posted_id, amount_out, auth_day, name, merchant, pfc, channel, cp, ref, pending_obj = (
                payload
            )
            acct = self.accounts[key]
            moment = at(post_day, 6 * 3600 + self.rng.randrange(3600))
            self.out.api("plaid", "transactions", moment, pending_id, dumps(pending_obj), deleted=True)
            if amount_out > 0:
                acct.pending_out -= amount_out
            self._post(
                acct,
                moment,
                posted_id,
                amount_out,
                post_day,
                auth_day,
                name,
                merchant,
                pfc,
                channel,
                pending_id,
                cp,
                ref,
            )

    def account_obj(self, acct: PlaidAccount) -> dict:
        cur = acct.spec.currency
        return {
            "account_id": acct.account_id,
            "balances": {
                "available": dec(acct.current - acct.pending_out, cur),
                "current": dec(acct.current, cur),
                "iso_currency_code": cur,
                "limit": None,
                "unofficial_currency_code": None,
            },
            "mask": acct.spec.mask,
            "name": acct.spec.name,
            "official_name": acct.spec.official_name,
            "persistent_account_id": None,
            "subtype": acct.spec.subtype,
            "type": "depository",
        }

    def end_of_day(self, day: date, cash_truth, deliver_webhooks: bool = True) -> None:
        """Balances for the day, the cash truth rows, and one SYNC_UPDATES_AVAILABLE per changed item."""
        moment = at(day, 23 * 3600 + 59 * 60)
        for key in sorted(self.accounts):
            acct = self.accounts[key]
            self.out.api("plaid", "accounts", moment, acct.account_id, dumps(self.account_obj(acct)))
            cash_truth(day, acct.spec.entity, acct.account_id, acct.spec.currency, acct.current)
        if deliver_webhooks:
            for item_id in sorted(self.changed_items):
                sent = self.changed_items[item_id] + timedelta(seconds=60 + self.rng.randrange(600))
                body = dumps(
                    {
                        "environment": "production",
                        "historical_update_complete": True,
                        "initial_update_complete": True,
                        "item_id": item_id,
                        "webhook_code": "SYNC_UPDATES_AVAILABLE",
                        "webhook_type": "TRANSACTIONS",
                    }
                )
                self.out.webhook(
                    "plaid",
                    sent,
                    self.ids.uuid(),
                    {"Content-Type": "application/json", "Plaid-Version": "2020-09-14"},
                    body,
                )
        self.changed_items = {}

    def opening_accounts(self, moment: datetime) -> None:
        for key in sorted(self.accounts):
            acct = self.accounts[key]
            self.out.api("plaid", "accounts", moment, acct.account_id, dumps(self.account_obj(acct)))

"""Stripe (Northwind US): customers, subscriptions, invoices, charges, refunds, a dispute,
balance transactions and daily automatic payouts, as Stripe API objects and Events.

Object shapes follow the current API (stripe-mock's fixtures3.json): every object carries
at least the keys of the fixture object of its type (tests/simulate checks this).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from .company import STRIPE_API_VERSION
from .out import Output
from .util import Ids, at, day_epoch, dumps, epoch

_WEBHOOK_HEADERS = {
    "Content-Type": "application/json; charset=utf-8",
    "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
}
_ADDRESS = {"city": None, "country": None, "line1": None, "line2": None, "postal_code": None, "state": None}


def card_fee(amount: int) -> int:
    return (amount * 29 + 500) // 1000 + 30  # 2.9% + 30c


def ach_fee(amount: int) -> int:
    return min((amount * 8 + 500) // 1000, 500)  # 0.8%, capped at $5


@dataclass
class DayTotals:
    """What the US ledger books per Stripe day (journal 'Stripe sales YYYY-MM-DD')."""

    subscription_gross: int = 0
    refunds: int = 0
    fees: int = 0
    dispute_amount: int = 0
    dispute_fee: int = 0
    charges: list = field(default_factory=list)


class Stripe:
    def __init__(self, out: Output, ids: Ids, rng):
        self.out = out
        self.ids = ids
        self.rng = rng
        self.by_available: dict[date, list[tuple[str, int, str]]] = defaultdict(list)  # (bt id, net, bt json)
        self.carry: list = []
        self.days: dict[date, DayTotals] = defaultdict(DayTotals)
        self.events = 0

    # -- events ------------------------------------------------------------------------------
    def event(self, moment: datetime, etype: str, obj_json: str, previous: dict | None = None) -> str:
        eid = self.ids.stripe("evt")
        prev = f',"previous_attributes":{dumps(previous)}' if previous else ""
        req = (
            f'{{"id":"req_{self.ids.lower(14)}","idempotency_key":null}}'
            if etype.endswith("created")
            else '{"id":null,"idempotency_key":null}'
        )
        body = (
            f'{{"id":"{eid}","object":"event","api_version":"{STRIPE_API_VERSION}","created":{epoch(moment)},'
            f'"data":{{"object":{obj_json}{prev}}},"livemode":true,"pending_webhooks":1,"request":{req},'
            f'"type":"{etype}"}}'
        )
        self.out.api("stripe", "events", moment, eid, body)
        self.out.webhook("stripe", moment + timedelta(seconds=1 + self.rng.randrange(20)), eid, _WEBHOOK_HEADERS, body)
        self.events += 1
        return eid

    def _save(
        self,
        resource: str,
        moment: datetime,
        obj: dict,
        event: str | None = None,
        previous: dict | None = None,
        refs: dict | None = None,
    ) -> str:
        text = dumps(obj)
        self.out.api("stripe", resource, moment, obj["id"], text, refs=refs)
        if event:
            self.event(moment, event, text, previous)
        return text

    # -- customers ---------------------------------------------------------------------------
    def customer(self, moment: datetime, name: str, email: str, metadata: dict | None = None) -> str:
        cid = self.ids.stripe("cus")[:18]
        obj = {
            "id": cid,
            "object": "customer",
            "address": dict(_ADDRESS),
            "balance": 0,
            "created": epoch(moment),
            "currency": "usd",
            "default_source": None,
            "delinquent": False,
            "description": None,
            "discount": None,
            "email": email,
            "invoice_prefix": self.ids.hexstr(8).upper(),
            "invoice_settings": {
                "custom_fields": None,
                "default_payment_method": None,
                "footer": None,
                "rendering_options": None,
            },
            "livemode": True,
            "metadata": metadata or {},
            "name": name,
            "next_invoice_sequence": 1,
            "phone": None,
            "preferred_locales": ["en-US"],
            "shipping": None,
            "tax_exempt": "none",
            "test_clock": None,
        }
        self._save("customers", moment, obj, "customer.created")
        return cid

    # -- charges -----------------------------------------------------------------------------
    def charge(
        self, moment: datetime, customer: str, amount: int, description: str, metadata: dict, method: str, kind: str
    ) -> dict:
        """A succeeded charge and its balance transaction. kind: 'subscription' or 'invoice'."""
        ch_id = self.ids.stripe("ch")
        bt_id = self.ids.stripe("txn")
        pi_id = self.ids.stripe("pi")
        fee = card_fee(amount) if method == "card" else ach_fee(amount)
        created = epoch(moment)
        if method == "card":
            brand = self.rng.choice(("visa", "visa", "mastercard", "amex"))
            pm_details = {
                "card": {
                    "amount_authorized": amount,
                    "brand": brand,
                    "checks": {"address_line1_check": None, "address_postal_code_check": "pass", "cvc_check": "pass"},
                    "country": "US",
                    "exp_month": 1 + self.rng.randrange(12),
                    "exp_year": 2027 + self.rng.randrange(4),
                    "extended_authorization": {"status": "disabled"},
                    "fingerprint": self.ids.lower(16),
                    "funding": "credit",
                    "incremental_authorization": {"status": "unavailable"},
                    "installments": None,
                    "last4": f"{self.rng.randrange(10000):04d}",
                    "mandate": None,
                    "multicapture": {"status": "unavailable"},
                    "network": brand,
                    "network_token": {"used": False},
                    "overcapture": {"maximum_amount_capturable": amount, "status": "unavailable"},
                    "three_d_secure": None,
                    "wallet": None,
                    "authorization_code": f"{self.rng.randrange(10**6):06d}",
                    "regulated_status": "unregulated",
                    "network_transaction_id": self.ids.lower(15),
                },
                "type": "card",
            }
            pm = "pm_" + self.ids.stripe("x")[2:]
        else:
            pm_details = {
                "type": "us_bank_account",
                "us_bank_account": {
                    "account_holder_type": "company",
                    "account_type": "checking",
                    "bank_name": "JPMORGAN CHASE",
                    "fingerprint": self.ids.lower(16),
                    "last4": f"{self.rng.randrange(10000):04d}",
                    "mandate": "mandate_" + self.ids.stripe("x")[2:],
                    "payment_reference": None,
                    "routing_number": "021000021",
                },
            }
            pm = "pm_" + self.ids.stripe("x")[2:]
        obj = {
            "id": ch_id,
            "object": "charge",
            "amount": amount,
            "amount_captured": amount,
            "amount_refunded": 0,
            "application": None,
            "application_fee": None,
            "application_fee_amount": None,
            "balance_transaction": bt_id,
            "billing_details": {
                "address": dict(_ADDRESS),
                "email": None,
                "name": metadata.get("customer_name"),
                "phone": None,
                "tax_id": None,
            },
            "calculated_statement_descriptor": "NORTHWIND",
            "captured": True,
            "created": created,
            "currency": "usd",
            "customer": customer,
            "description": description,
            "disputed": False,
            "failure_balance_transaction": None,
            "failure_code": None,
            "failure_message": None,
            "fraud_details": {},
            "livemode": True,
            "metadata": {k: v for k, v in metadata.items() if k != "customer_name"},
            "on_behalf_of": None,
            "outcome": {
                "advice_code": None,
                "network_advice_code": None,
                "network_decline_code": None,
                "network_status": "approved_by_network",
                "reason": None,
                "risk_level": "normal",
                "risk_score": self.rng.randrange(5, 60),
                "seller_message": "Payment complete.",
                "type": "authorized",
            },
            "paid": True,
            "payment_intent": pi_id,
            "payment_method": pm,
            "payment_method_details": pm_details,
            "receipt_email": None,
            "receipt_number": None,
            "receipt_url": f"https://pay.stripe.com/receipts/payment/{self.ids.stripe('x')[2:]}",
            "refunded": False,
            "refunds": {
                "object": "list",
                "data": [],
                "has_more": False,
                "total_count": 0,
                "url": f"/v1/charges/{ch_id}/refunds",
            },
            "review": None,
            "shipping": None,
            "source": None,
            "source_transfer": None,
            "statement_descriptor": None,
            "statement_descriptor_suffix": None,
            "status": "succeeded",
            "transfer_data": None,
            "transfer_group": None,
        }
        self._save("charges", moment, obj, "charge.succeeded")
        self._balance_txn(moment, bt_id, amount, fee, ch_id, "charge", "charge", description)
        totals = self.days[moment.date()]
        totals.fees += fee
        if kind == "subscription":
            totals.subscription_gross += amount
        return obj

    def _balance_txn(
        self,
        moment: datetime,
        bt_id: str,
        amount: int,
        fee: int,
        source: str,
        btype: str,
        category: str,
        description: str | None,
    ) -> None:
        available = moment.date() + timedelta(days=2)
        obj = {
            "id": bt_id,
            "object": "balance_transaction",
            "amount": amount,
            "available_on": day_epoch(available),
            "balance_type": "payments",
            "created": epoch(moment),
            "currency": "usd",
            "description": description,
            "exchange_rate": None,
            "fee": fee,
            "fee_details": (
                [
                    {
                        "amount": fee,
                        "application": None,
                        "currency": "usd",
                        "description": "Stripe processing fees",
                        "type": "stripe_fee",
                    }
                ]
                if fee
                else []
            ),
            "net": amount - fee,
            "reporting_category": category,
            "source": source,
            "status": "pending",
            "type": btype,
        }
        self.out.api("stripe", "balance_transactions", moment, bt_id, dumps(obj))
        self.by_available[available].append((bt_id, amount - fee, obj))

    def refund(self, moment: datetime, charge: dict, amount: int, reason: str, booked: bool = True) -> str:
        re_id = self.ids.stripe("re")
        bt_id = self.ids.stripe("txn")
        obj = {
            "id": re_id,
            "object": "refund",
            "amount": amount,
            "balance_transaction": bt_id,
            "charge": charge["id"],
            "created": epoch(moment),
            "currency": "usd",
            "destination_details": {
                "card": {
                    "reference": self.ids.lower(12),
                    "reference_status": "available",
                    "reference_type": "acquirer_reference_number",
                    "type": "refund",
                },
                "type": "card",
            },
            "metadata": {},
            "payment_intent": charge["payment_intent"],
            "reason": reason,
            "receipt_number": None,
            "source_transfer_reversal": None,
            "status": "succeeded",
            "transfer_reversal": None,
        }
        self._save("refunds", moment, obj, "refund.created")
        previous = {"amount_refunded": charge["amount_refunded"], "refunded": charge["refunded"]}
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
        charge["refunds"]["data"].append(obj)
        charge["refunds"]["total_count"] += 1
        self._save("charges", moment, charge, "charge.refunded", previous)
        self._balance_txn(moment, bt_id, -amount, 0, re_id, "refund", "refund", "REFUND FOR CHARGE")
        if booked:
            self.days[moment.date()].refunds += amount
        return re_id

    def dispute(self, moment: datetime, charge: dict) -> str:
        dp_id = self.ids.stripe("dp")
        bt_id = self.ids.stripe("txn")
        fee = 15_00
        amount = charge["amount"]
        bt = {
            "id": bt_id,
            "object": "balance_transaction",
            "amount": -amount,
            "available_on": day_epoch(moment.date() + timedelta(days=2)),
            "balance_type": "payments",
            "created": epoch(moment),
            "currency": "usd",
            "description": f"Chargeback withdrawal for {charge['id']}",
            "exchange_rate": None,
            "fee": fee,
            "fee_details": [
                {
                    "amount": fee,
                    "application": None,
                    "currency": "usd",
                    "description": "Dispute fee",
                    "type": "stripe_fee",
                }
            ],
            "net": -amount - fee,
            "reporting_category": "dispute",
            "source": dp_id,
            "status": "pending",
            "type": "adjustment",
        }
        obj = {
            "id": dp_id,
            "object": "dispute",
            "amount": amount,
            "balance_transactions": [bt],
            "charge": charge["id"],
            "created": epoch(moment),
            "currency": "usd",
            "evidence": dict.fromkeys(
                (
                    "access_activity_log",
                    "billing_address",
                    "cancellation_policy",
                    "cancellation_policy_disclosure",
                    "cancellation_rebuttal",
                    "customer_communication",
                    "customer_email_address",
                    "customer_name",
                    "customer_purchase_ip",
                    "customer_signature",
                    "duplicate_charge_documentation",
                    "duplicate_charge_explanation",
                    "duplicate_charge_id",
                    "product_description",
                    "receipt",
                    "refund_policy",
                    "refund_policy_disclosure",
                    "refund_refusal_explanation",
                    "service_date",
                    "service_documentation",
                    "shipping_address",
                    "shipping_carrier",
                    "shipping_date",
                    "shipping_documentation",
                    "shipping_tracking_number",
                    "uncategorized_file",
                    "uncategorized_text",
                )
            )
            | {"enhanced_evidence": {}},
            "evidence_details": {
                "due_by": epoch(moment + timedelta(days=21)),
                "has_evidence": False,
                "past_due": False,
                "submission_count": 0,
                "enhanced_eligibility": {},
            },
            "is_charge_refundable": False,
            "livemode": True,
            "metadata": {},
            "payment_intent": charge["payment_intent"],
            "payment_method_details": {
                "card": {"brand": "visa", "case_type": "chargeback", "network_reason_code": "13.1"},
                "type": "card",
            },
            "reason": "product_not_received",
            "status": "needs_response",
            "enhanced_eligibility_types": [],
        }
        self._save("disputes", moment, obj, "charge.dispute.created")
        charge["disputed"] = True
        self._save("charges", moment, charge, "charge.updated", {"disputed": False})
        self.out.api("stripe", "balance_transactions", moment, bt_id, dumps(bt))
        self.by_available[moment.date() + timedelta(days=2)].append((bt_id, -amount - fee, bt))
        totals = self.days[moment.date()]
        totals.dispute_amount += amount
        totals.dispute_fee += fee
        return dp_id

    # -- payouts -------------------------------------------------------------------------------
    def payout(self, day: date, destination: str) -> dict | None:
        """Daily automatic payout of everything that became available today (plus any carry)."""
        items = self.carry + self.by_available.pop(day, [])
        if not items:
            return None
        total = sum(net for _, net, _ in items)
        if total <= 0:
            self.carry = items
            return None
        self.carry = []
        moment = at(day, 3 * 3600 + self.rng.randrange(3600))
        po_id = self.ids.stripe("po")
        bt_id = self.ids.stripe("txn")
        arrival = day + timedelta(days=1)
        for bt_id_i, _, bt in items:
            bt["status"] = "available"
            self.out.api("stripe", "balance_transactions", moment, bt_id_i, dumps(bt), refs={"payout": po_id})
        obj = {
            "id": po_id,
            "object": "payout",
            "amount": total,
            "application_fee": None,
            "application_fee_amount": None,
            "arrival_date": day_epoch(arrival),
            "automatic": True,
            "balance_transaction": bt_id,
            "created": epoch(moment),
            "currency": "usd",
            "description": "STRIPE PAYOUT",
            "destination": destination,
            "failure_balance_transaction": None,
            "failure_code": None,
            "failure_message": None,
            "livemode": True,
            "metadata": {},
            "method": "standard",
            "original_payout": None,
            "reconciliation_status": "not_applicable",
            "reversed_by": None,
            "source_type": "card",
            "statement_descriptor": None,
            "status": "pending",
            "type": "bank_account",
            "trace_id": {"status": "pending", "value": None},
            "payout_method": None,
        }
        self._save("payouts", moment, obj, "payout.created")
        pbt = {
            "id": bt_id,
            "object": "balance_transaction",
            "amount": -total,
            "available_on": day_epoch(day),
            "balance_type": "payments",
            "created": epoch(moment),
            "currency": "usd",
            "description": "STRIPE PAYOUT",
            "exchange_rate": None,
            "fee": 0,
            "fee_details": [],
            "net": -total,
            "reporting_category": "payout",
            "source": po_id,
            "status": "available",
            "type": "payout",
        }
        self.out.api("stripe", "balance_transactions", moment, bt_id, dumps(pbt), refs={"payout": po_id})
        paid_at = at(arrival, 13 * 3600 + self.rng.randrange(3 * 3600))
        obj = dict(obj)
        obj.update(
            status="paid",
            reconciliation_status="completed",
            trace_id={"status": "supported", "value": f"021000021{self.rng.randrange(10**6):06d}"},
        )
        self._save("payouts", paid_at, obj, "payout.paid", {"status": "in_transit"})
        return {"id": po_id, "amount": total, "arrival": arrival, "paid_at": paid_at, "count": len(items)}

    # -- subscriptions and their invoices ------------------------------------------------------
    def subscription(self, moment: datetime, customer: str, plan, price_id: str, product_id: str) -> dict:
        sub_id = self.ids.stripe("sub")
        si_id = "si_" + self.ids.stripe("x")[2:16]
        created = epoch(moment)
        price = {
            "id": price_id,
            "object": "price",
            "active": True,
            "billing_scheme": "per_unit",
            "created": created,
            "currency": "usd",
            "custom_unit_amount": None,
            "livemode": True,
            "lookup_key": plan.key,
            "metadata": {},
            "nickname": plan.name,
            "product": product_id,
            "recurring": {
                "interval": plan.interval,
                "interval_count": 1,
                "meter": None,
                "usage_type": "licensed",
                "trial_period_days": None,
            },
            "tax_behavior": "unspecified",
            "tiers_mode": None,
            "transform_quantity": None,
            "type": "recurring",
            "unit_amount": plan.unit_amount,
            "unit_amount_decimal": str(plan.unit_amount),
        }
        obj = {
            "id": sub_id,
            "object": "subscription",
            "application": None,
            "application_fee_percent": None,
            "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None},
            "billing_cycle_anchor": created,
            "billing_cycle_anchor_config": None,
            "billing_mode": {"type": "classic"},
            "billing_thresholds": None,
            "cancel_at": None,
            "cancel_at_period_end": False,
            "canceled_at": None,
            "cancellation_details": {"comment": None, "feedback": None, "reason": None},
            "collection_method": "charge_automatically",
            "created": created,
            "currency": "usd",
            "customer": customer,
            "days_until_due": None,
            "default_payment_method": None,
            "default_source": None,
            "default_tax_rates": [],
            "description": None,
            "discounts": [],
            "ended_at": None,
            "invoice_settings": {"account_tax_ids": None, "issuer": {"type": "self"}},
            "items": {
                "object": "list",
                "data": [
                    {
                        "id": si_id,
                        "object": "subscription_item",
                        "billing_thresholds": None,
                        "created": created,
                        "current_period_end": created,
                        "current_period_start": created,
                        "discounts": [],
                        "metadata": {},
                        "plan": {
                            "id": price_id,
                            "object": "plan",
                            "active": True,
                            "amount": plan.unit_amount,
                            "amount_decimal": str(plan.unit_amount),
                            "billing_scheme": "per_unit",
                            "created": created,
                            "currency": "usd",
                            "interval": plan.interval,
                            "interval_count": 1,
                            "livemode": True,
                            "metadata": {},
                            "meter": None,
                            "nickname": plan.name,
                            "product": product_id,
                            "tiers_mode": None,
                            "transform_usage": None,
                            "trial_period_days": None,
                            "usage_type": "licensed",
                        },
                        "price": price,
                        "quantity": 1,
                        "subscription": sub_id,
                        "tax_rates": [],
                    }
                ],
                "has_more": False,
                "total_count": 1,
                "url": f"/v1/subscription_items?subscription={sub_id}",
            },
            "latest_invoice": None,
            "livemode": True,
            "metadata": {},
            "next_pending_invoice_item_invoice": None,
            "on_behalf_of": None,
            "pause_collection": None,
            "payment_settings": {
                "payment_method_options": None,
                "payment_method_types": None,
                "save_default_payment_method": "off",
            },
            "pending_invoice_item_interval": None,
            "pending_setup_intent": None,
            "pending_update": None,
            "schedule": None,
            "start_date": created,
            "status": "active",
            "test_clock": None,
            "transfer_data": None,
            "trial_end": None,
            "trial_settings": {"end_behavior": {"missing_payment_method": "create_invoice"}},
            "trial_start": None,
        }
        return obj

    def save_subscription(self, moment: datetime, sub: dict, event: str, previous: dict | None = None) -> None:
        self._save("subscriptions", moment, sub, event, previous)

    def invoice_paid(
        self,
        moment: datetime,
        sub: dict,
        period_start: datetime,
        period_end: datetime,
        charge: dict,
        number: str,
        customer_name: str,
        customer_email: str,
    ) -> dict:
        """The subscription invoice for one period, already paid by `charge`."""
        in_id = self.ids.stripe("in")
        item = sub["items"]["data"][0]
        amount = item["price"]["unit_amount"]
        created = epoch(moment)
        line = {
            "id": "il_" + self.ids.stripe("x")[2:],
            "object": "line_item",
            "amount": amount,
            "currency": "usd",
            "description": f"1 × {item['price']['nickname']}",
            "discount_amounts": [],
            "discountable": True,
            "discounts": [],
            "invoice": in_id,
            "livemode": True,
            "metadata": {},
            "parent": {
                "invoice_item_details": None,
                "subscription_item_details": {
                    "invoice_item": None,
                    "proration": False,
                    "proration_details": {"credited_items": None},
                    "subscription": sub["id"],
                    "subscription_item": item["id"],
                },
                "type": "subscription_item_details",
            },
            "period": {"end": epoch(period_end), "start": epoch(period_start)},
            "pretax_credit_amounts": [],
            "pricing": {
                "price_details": {"price": item["price"]["id"], "product": item["price"]["product"]},
                "type": "price_details",
                "unit_amount_decimal": str(amount),
            },
            "quantity": 1,
            "subscription": sub["id"],
            "taxes": [],
        }
        obj = {
            "id": in_id,
            "object": "invoice",
            "account_country": "US",
            "account_name": "Northwind US Inc",
            "account_tax_ids": None,
            "amount_due": amount,
            "amount_overpaid": 0,
            "amount_paid": amount,
            "amount_remaining": 0,
            "amount_shipping": 0,
            "application": None,
            "attempt_count": 1,
            "attempted": True,
            "auto_advance": False,
            "automatic_tax": {
                "disabled_reason": None,
                "enabled": False,
                "liability": None,
                "provider": None,
                "status": None,
            },
            "automatically_finalizes_at": None,
            "billing_reason": "subscription_create" if sub["latest_invoice"] is None else "subscription_cycle",
            "collection_method": "charge_automatically",
            "created": created,
            "currency": "usd",
            "custom_fields": None,
            "customer": sub["customer"],
            "customer_address": None,
            "customer_email": customer_email,
            "customer_name": customer_name,
            "customer_phone": None,
            "customer_shipping": None,
            "customer_tax_exempt": "none",
            "customer_tax_ids": [],
            "default_payment_method": None,
            "default_source": None,
            "default_tax_rates": [],
            "description": None,
            "discounts": [],
            "due_date": None,
            "effective_at": created,
            "ending_balance": 0,
            "footer": None,
            "from_invoice": None,
            "hosted_invoice_url": f"https://invoice.stripe.com/i/{self.ids.lower(24)}",
            "invoice_pdf": f"https://pay.stripe.com/invoice/{self.ids.lower(24)}/pdf",
            "issuer": {"type": "self"},
            "last_finalization_error": None,
            "latest_revision": None,
            "lines": {
                "object": "list",
                "data": [line],
                "has_more": False,
                "total_count": 1,
                "url": f"/v1/invoices/{in_id}/lines",
            },
            "livemode": True,
            "metadata": {"charge": charge["id"]},
            "next_payment_attempt": None,
            "number": number,
            "on_behalf_of": None,
            "parent": {
                "quote_details": None,
                "subscription_details": {"metadata": {}, "subscription": sub["id"]},
                "type": "subscription_details",
            },
            "payment_settings": {"default_mandate": None, "payment_method_options": None, "payment_method_types": None},
            "period_end": epoch(period_end),
            "period_start": epoch(period_start),
            "post_payment_credit_notes_amount": 0,
            "pre_payment_credit_notes_amount": 0,
            "receipt_number": None,
            "rendering": None,
            "shipping_cost": None,
            "shipping_details": None,
            "starting_balance": 0,
            "statement_descriptor": None,
            "status": "paid",
            "status_transitions": {
                "finalized_at": created,
                "marked_uncollectible_at": None,
                "paid_at": created,
                "voided_at": None,
            },
            "subscription": sub["id"],
            "subtotal": amount,
            "subtotal_excluding_tax": amount,
            "test_clock": None,
            "total": amount,
            "total_discount_amounts": [],
            "total_excluding_tax": amount,
            "total_pretax_credit_amounts": [],
            "total_taxes": [],
            "webhooks_delivered_at": created,
        }
        self._save("invoices", moment, obj, "invoice.paid")
        return obj

"""Shopify (Northwind UK's D2C store, shop currency GBP): orders in several presentment
currencies with VAT-inclusive prices, discounts, shipping, refunds, Shopify Payments
balance transactions and daily payouts, in the REST Admin shapes (orders with *_set money
bags, transactions, refunds inside orders, payouts, balance transactions).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from .company import PRESENTMENT, PRODUCTS, SHOP_DOMAIN, SHOPIFY_API_VERSION
from .out import Output
from .util import Ids, at, dumps, iso_z, money_str, shopify_time

_PRODUCT_IDS = {
    p.sku: (7_100_000_000_000 + i * 1_000_003, 42_000_000_000_000 + i * 1_000_033) for i, p in enumerate(PRODUCTS)
}


def _bag(shop: int, pres: int, pres_cur: str) -> dict:
    return {
        "shop_money": {"amount": money_str(shop, "GBP"), "currency_code": "GBP"},
        "presentment_money": {"amount": money_str(pres, pres_cur), "currency_code": pres_cur},
    }


@dataclass
class ShopDay:
    """What the UK ledger books per Shopify day (journal 'Shopify sales YYYY-MM-DD')."""

    goods_net: int = 0  # ex VAT, after discounts
    shipping_net: int = 0
    vat: int = 0
    refunds_net: int = 0
    refunds_vat: int = 0
    fees: int = 0


class Shopify:
    def __init__(self, out: Output, ids: Ids, rng, fx):
        self.out = out
        self.ids = ids
        self.rng = rng
        self.fx = fx  # fx(day, base, quote) -> Decimal
        self.number = 1000
        self.customers: list[list] = []  # [id, first, last, email, orders, spent, created]
        self.days: dict[date, ShopDay] = defaultdict(ShopDay)
        self.by_payout_day: dict[date, list] = defaultdict(list)
        self.orders = 0

    def _headers(self, topic: str, moment: datetime) -> dict:
        return {
            "Content-Type": "application/json",
            "X-Shopify-Topic": topic,
            "X-Shopify-Shop-Domain": SHOP_DOMAIN,
            "X-Shopify-API-Version": SHOPIFY_API_VERSION,
            "X-Shopify-Webhook-Id": self.ids.uuid(),
            "X-Shopify-Event-Id": self.ids.uuid(),
            "X-Shopify-Triggered-At": iso_z(moment).replace("Z", ".000000Z"),
        }

    def _webhook(self, topic: str, moment: datetime, body: str) -> None:
        sent = moment + timedelta(seconds=2 + self.rng.randrange(30))
        headers = self._headers(topic, moment)
        self.out.webhook("shopify", sent, headers["X-Shopify-Webhook-Id"], headers, body)

    def _customer(self, moment: datetime, names) -> list:
        rng = self.rng
        if self.customers and rng.random() < 0.3:
            cust = self.customers[rng.randrange(len(self.customers))]
        else:
            first, last = rng.choice(names[0]), rng.choice(names[1])
            cust = [
                self.ids.shopify(),
                first,
                last,
                f"{first.lower()}.{last.lower()}{rng.randrange(1000)}@example.com",
                0,
                0,
                moment,
            ]
            if len(self.customers) < 50_000:
                self.customers.append(cust)
        return cust

    def order(self, moment: datetime, names) -> dict:
        """Create one paid order; returns the state the engine schedules follow-ups with."""
        rng = self.rng
        day = moment.date()
        self.number += 1
        oid = self.ids.shopify()
        cur = _pick(rng.random(), PRESENTMENT)
        rate = self.fx(day, "GBP", cur) if cur != "GBP" else Decimal(1)

        def pres(minor: int) -> int:
            return int((Decimal(minor) * rate).quantize(Decimal(1)))

        items = []
        for _ in range(1 + (rng.random() < 0.35) + (rng.random() < 0.1)):
            product = PRODUCTS[rng.randrange(len(PRODUCTS))]
            items.append((product, 1 + (rng.random() < 0.15)))
        line_total = sum(p.price_minor * q for p, q in items)
        discount = (line_total // 10) if rng.random() < 0.15 else 0
        shipping = 0 if line_total - discount >= 50_00 else 4_95
        subtotal = line_total - discount
        total = subtotal + shipping
        tax = (total + 3) // 6  # prices include 20% VAT: tax = total * 20/120, rounded
        cust = self._customer(moment, names)
        cust[4] += 1
        cust[5] += total
        ts = shopify_time(moment)
        line_items = []
        for product, qty in items:
            pid, vid = _PRODUCT_IDS[product.sku]
            li_total = product.price_minor * qty
            li_disc = (discount * li_total) // line_total if discount else 0
            li_tax = (li_total - li_disc + 3) // 6
            line_items.append(
                {
                    "id": self.ids.shopify(),
                    "admin_graphql_api_id": "",
                    "fulfillable_quantity": qty,
                    "fulfillment_service": "manual",
                    "fulfillment_status": None,
                    "gift_card": False,
                    "grams": product.grams,
                    "name": f"{product.title} - {product.variant}",
                    "price": money_str(product.price_minor, "GBP"),
                    "price_set": _bag(product.price_minor, pres(product.price_minor), cur),
                    "product_exists": True,
                    "product_id": pid,
                    "properties": [],
                    "quantity": qty,
                    "requires_shipping": True,
                    "sku": product.sku,
                    "taxable": True,
                    "title": product.title,
                    "total_discount": money_str(li_disc, "GBP"),
                    "total_discount_set": _bag(li_disc, pres(li_disc), cur),
                    "variant_id": vid,
                    "variant_inventory_management": "shopify",
                    "variant_title": product.variant,
                    "vendor": "Northwind",
                    "tax_lines": [
                        {
                            "channel_liable": False,
                            "price": money_str(li_tax, "GBP"),
                            "price_set": _bag(li_tax, pres(li_tax), cur),
                            "rate": 0.2,
                            "title": "GB VAT",
                        }
                    ],
                    "duties": [],
                    "discount_allocations": [],
                }
            )
            line_items[-1]["admin_graphql_api_id"] = f"gid://shopify/LineItem/{line_items[-1]['id']}"
        address = {
            "first_name": cust[1],
            "address1": f"{1 + rng.randrange(200)} High Street",
            "phone": None,
            "city": rng.choice(("London", "Manchester", "Leeds", "Bristol", "Paris", "Berlin", "Toronto", "New York")),
            "zip": "EC1A 1BB",
            "province": None,
            "country": "United Kingdom",
            "last_name": cust[2],
            "address2": "",
            "company": None,
            "latitude": None,
            "longitude": None,
            "name": f"{cust[1]} {cust[2]}",
            "country_code": "GB",
            "province_code": None,
        }
        token = self.ids.hexstr(32)
        transaction = {
            "id": self.ids.shopify(),
            "admin_graphql_api_id": "",
            "amount": money_str(pres(total), cur),
            "authorization": f"ch_{self.ids.lower(24)}",
            "created_at": ts,
            "currency": cur,
            "device_id": None,
            "error_code": None,
            "gateway": "shopify_payments",
            "kind": "sale",
            "location_id": None,
            "message": "Transaction approved",
            "order_id": oid,
            "parent_id": None,
            "processed_at": ts,
            "receipt": {"paid_amount": money_str(pres(total), cur)},
            "source_name": "web",
            "status": "success",
            "test": False,
            "user_id": None,
            "payment_details": {
                "avs_result_code": "Y",
                "credit_card_bin": "424242",
                "cvv_result_code": "M",
                "credit_card_number": f"•••• •••• •••• {rng.randrange(10000):04d}",
                "credit_card_company": rng.choice(("Visa", "Mastercard", "American Express")),
            },
        }
        transaction["admin_graphql_api_id"] = f"gid://shopify/OrderTransaction/{transaction['id']}"
        obj = {
            "id": oid,
            "admin_graphql_api_id": f"gid://shopify/Order/{oid}",
            "app_id": 580111,
            "browser_ip": f"81.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(256)}",
            "buyer_accepts_marketing": rng.random() < 0.4,
            "cancel_reason": None,
            "cancelled_at": None,
            "cart_token": self.ids.hexstr(32),
            "checkout_id": self.ids.shopify(),
            "checkout_token": self.ids.hexstr(32),
            "client_details": {
                "accept_language": "en-GB",
                "browser_height": None,
                "browser_ip": None,
                "browser_width": None,
                "session_hash": None,
                "user_agent": "Mozilla/5.0",
            },
            "closed_at": None,
            "confirmed": True,
            "contact_email": cust[3],
            "created_at": ts,
            "currency": "GBP",
            "current_subtotal_price": money_str(subtotal, "GBP"),
            "current_subtotal_price_set": _bag(subtotal, pres(subtotal), cur),
            "current_total_discounts": money_str(discount, "GBP"),
            "current_total_discounts_set": _bag(discount, pres(discount), cur),
            "current_total_price": money_str(total, "GBP"),
            "current_total_price_set": _bag(total, pres(total), cur),
            "current_total_tax": money_str(tax, "GBP"),
            "current_total_tax_set": _bag(tax, pres(tax), cur),
            "customer_locale": "en-GB",
            "device_id": None,
            "discount_codes": (
                [{"code": "WELCOME10", "amount": money_str(discount, "GBP"), "type": "percentage"}] if discount else []
            ),
            "email": cust[3],
            "estimated_taxes": False,
            "financial_status": "paid",
            "fulfillment_status": None,
            "gateway": "shopify_payments",
            "landing_site": "/",
            "landing_site_ref": None,
            "location_id": None,
            "name": f"#{self.number}",
            "note": None,
            "note_attributes": [],
            "number": self.number - 1000,
            "order_number": self.number,
            "order_status_url": f"https://{SHOP_DOMAIN}/{oid}/orders/{token}/authenticate?key={self.ids.hexstr(32)}",
            "payment_details": transaction["payment_details"],
            "payment_gateway_names": ["shopify_payments"],
            "phone": None,
            "presentment_currency": cur,
            "processed_at": ts,
            "processing_method": "direct",
            "reference": None,
            "referring_site": rng.choice(("https://www.google.com/", "https://www.instagram.com/", "")),
            "source": None,
            "source_identifier": None,
            "source_name": "web",
            "source_url": None,
            "subtotal_price": money_str(subtotal, "GBP"),
            "subtotal_price_set": _bag(subtotal, pres(subtotal), cur),
            "tags": "",
            "tax_lines": [
                {
                    "price": money_str(tax, "GBP"),
                    "rate": 0.2,
                    "title": "GB VAT",
                    "price_set": _bag(tax, pres(tax), cur),
                    "channel_liable": False,
                }
            ],
            "taxes_included": True,
            "test": False,
            "token": token,
            "total_discounts": money_str(discount, "GBP"),
            "total_discounts_set": _bag(discount, pres(discount), cur),
            "total_line_items_price": money_str(line_total, "GBP"),
            "total_line_items_price_set": _bag(line_total, pres(line_total), cur),
            "total_outstanding": "0.00",
            "total_price": money_str(total, "GBP"),
            "total_price_set": _bag(total, pres(total), cur),
            "total_price_usd": money_str(
                int((Decimal(total) * self.fx(day, "GBP", "USD")).quantize(Decimal(1))), "USD"
            ),
            "total_shipping_price_set": _bag(shipping, pres(shipping), cur),
            "total_tax": money_str(tax, "GBP"),
            "total_tax_set": _bag(tax, pres(tax), cur),
            "total_tip_received": "0.00",
            "total_weight": sum(p.grams * q for p, q in items),
            "updated_at": ts,
            "user_id": None,
            "billing_address": address,
            "shipping_address": address,
            "customer": {
                "id": cust[0],
                "email": cust[3],
                "accepts_marketing": False,
                "created_at": shopify_time(cust[6]),
                "updated_at": ts,
                "first_name": cust[1],
                "last_name": cust[2],
                "orders_count": cust[4],
                "state": "enabled",
                "total_spent": money_str(cust[5], "GBP"),
                "last_order_id": oid,
                "note": None,
                "verified_email": True,
                "multipass_identifier": None,
                "tax_exempt": False,
                "phone": None,
                "tags": "",
                "last_order_name": f"#{self.number}",
                "currency": "GBP",
                "accepts_marketing_updated_at": shopify_time(cust[6]),
                "marketing_opt_in_level": None,
                "tax_exemptions": [],
                "admin_graphql_api_id": f"gid://shopify/Customer/{cust[0]}",
                "default_address": None,
            },
            "discount_applications": (
                [
                    {
                        "type": "discount_code",
                        "value": "10.0",
                        "value_type": "percentage",
                        "allocation_method": "across",
                        "target_selection": "all",
                        "target_type": "line_item",
                        "code": "WELCOME10",
                    }
                ]
                if discount
                else []
            ),
            "fulfillments": [],
            "line_items": line_items,
            "refunds": [],
            "shipping_lines": (
                [
                    {
                        "id": self.ids.shopify(),
                        "code": "Standard",
                        "price": money_str(shipping, "GBP"),
                        "price_set": _bag(shipping, pres(shipping), cur),
                        "source": "shopify",
                        "title": "Royal Mail Standard",
                        "discounted_price": money_str(shipping, "GBP"),
                        "tax_lines": [],
                        "carrier_identifier": None,
                        "discount_allocations": [],
                    }
                ]
            ),
        }
        text = dumps(obj)
        self.out.api("shopify", "orders", moment, oid, text)
        self.out.api("shopify", "transactions", moment, transaction["id"], dumps(transaction))
        self._webhook("orders/create", moment, text)
        self._webhook("orders/paid", moment + timedelta(seconds=1), text)
        self.orders += 1
        # Shopify Payments: 1.5% + 25p (UK cards, GBP), 2.5% + 25p (international).
        fee = ((total * 15 + 500) // 1000 if cur == "GBP" else (total * 25 + 500) // 1000) + 25
        goods_net = subtotal - (subtotal + 3) // 6
        ship_net = shipping - (shipping + 3) // 6
        vat = tax
        # Split so goods + shipping + VAT == total exactly (VAT is rounded on the total).
        goods_net = total - vat - ship_net
        totals = self.days[day]
        totals.goods_net += goods_net
        totals.shipping_net += ship_net
        totals.vat += vat
        totals.fees += fee
        self._balance_txn(moment, "charge", total, fee, transaction["id"], oid, transaction["id"])
        return {
            "obj": obj,
            "total": total,
            "pres": pres,
            "cur": cur,
            "transaction": transaction,
            "goods_net": goods_net,
            "ship_net": ship_net,
            "vat": vat,
        }

    def _balance_txn(
        self, moment: datetime, btype: str, amount: int, fee: int, source_id: int, order_id: int, txn_id: int
    ) -> None:
        # Shopify Payments pays out three days after the transaction.
        payout_day = moment.date() + timedelta(days=3)
        bt = {
            "id": self.ids.shopify(),
            "type": btype,
            "test": False,
            "payout_id": None,
            "payout_status": "pending",
            "currency": "GBP",
            "amount": money_str(amount, "GBP"),
            "fee": money_str(fee, "GBP"),
            "net": money_str(amount - fee, "GBP"),
            "source_id": source_id,
            "source_type": "charge" if btype == "charge" else "refund",
            "source_order_id": order_id,
            "source_order_transaction_id": txn_id,
            "processed_at": shopify_time(moment),
        }
        # Listed at once as pending (no payout yet), then again when a payout takes it.
        self.out.api("shopify", "balance_transactions", moment, bt["id"], dumps(bt))
        self.by_payout_day[payout_day].append((bt, amount, fee, moment))

    def fulfil(self, moment: datetime, state: dict) -> None:
        obj = state["obj"]
        ts = shopify_time(moment)
        obj["fulfillment_status"] = "fulfilled"
        obj["updated_at"] = ts
        obj["fulfillments"] = [
            {
                "id": self.ids.shopify(),
                "admin_graphql_api_id": "",
                "created_at": ts,
                "location_id": 71_234_567,
                "name": f"{obj['name']}.1",
                "order_id": obj["id"],
                "receipt": {},
                "service": "manual",
                "shipment_status": None,
                "status": "success",
                "tracking_company": "Royal Mail",
                "tracking_number": f"RM{self.rng.randrange(10**9):09d}GB",
                "tracking_numbers": [],
                "tracking_url": "https://www.royalmail.com/track-your-item",
                "tracking_urls": [],
                "updated_at": ts,
                "line_items": [
                    {"id": li["id"], "quantity": li["quantity"], "sku": li["sku"]} for li in obj["line_items"]
                ],
            }
        ]
        for li in obj["line_items"]:
            li["fulfillment_status"] = "fulfilled"
            li["fulfillable_quantity"] = 0
        text = dumps(obj)
        self.out.api("shopify", "orders", moment, obj["id"], text)
        self._webhook("orders/updated", moment, text)

    def refund(self, moment: datetime, state: dict, full: bool) -> dict:
        """Refund the whole order or its first line item (with its VAT). Returns ledger amounts."""
        obj, pres, cur = state["obj"], state["pres"], state["cur"]
        ts = shopify_time(moment)
        if full:
            amount = state["total"]
            lines = obj["line_items"]
        else:
            li = obj["line_items"][0]
            amount = int(Decimal(li["price"]) * 100) * li["quantity"] - int(Decimal(li["total_discount"]) * 100)
            lines = [li]
        vat = (amount + 3) // 6
        rid = self.ids.shopify()
        txn = dict(state["transaction"])
        txn.update(
            id=self.ids.shopify(),
            kind="refund",
            amount=money_str(pres(amount), cur),
            created_at=ts,
            processed_at=ts,
            parent_id=state["transaction"]["id"],
            message="Refund processed",
            authorization=f"re_{self.ids.lower(24)}",
            receipt={},
        )
        txn["admin_graphql_api_id"] = f"gid://shopify/OrderTransaction/{txn['id']}"
        refund = {
            "id": rid,
            "admin_graphql_api_id": f"gid://shopify/Refund/{rid}",
            "created_at": ts,
            "note": "Customer return",
            "order_id": obj["id"],
            "processed_at": ts,
            "restock": True,
            "total_duties_set": _bag(0, 0, cur),
            "user_id": None,
            "order_adjustments": [],
            "transactions": [txn],
            "duties": [],
            "refund_line_items": [
                {
                    "id": self.ids.shopify(),
                    "line_item_id": li["id"],
                    "location_id": None,
                    "quantity": li["quantity"],
                    "restock_type": "return",
                    "subtotal": li["price"],
                    "subtotal_set": li["price_set"],
                    "total_tax": li["tax_lines"][0]["price"],
                    "total_tax_set": li["tax_lines"][0]["price_set"],
                    "line_item": li,
                }
                for li in lines
            ],
        }
        obj["refunds"].append(refund)
        obj["financial_status"] = "refunded" if full else "partially_refunded"
        obj["updated_at"] = ts
        remaining = state["total"] - amount
        obj["current_total_price"] = money_str(remaining, "GBP")
        obj["current_total_price_set"] = _bag(remaining, pres(remaining), cur)
        obj["current_total_tax"] = money_str(state["vat"] - vat if not full else 0, "GBP")
        obj["current_total_tax_set"] = _bag(
            state["vat"] - vat if not full else 0, pres(state["vat"] - vat if not full else 0), cur
        )
        self.out.api("shopify", "transactions", moment, txn["id"], dumps(txn))
        self._webhook("refunds/create", moment, dumps(refund))
        text = dumps(obj)
        self.out.api("shopify", "orders", moment, obj["id"], text)
        self._webhook("orders/updated", moment + timedelta(seconds=1), text)
        totals = self.days[moment.date()]
        if full:
            vat = state["vat"]
        totals.refunds_net += amount - vat
        totals.refunds_vat += vat
        self._balance_txn(moment, "refund", -amount, 0, rid, obj["id"], txn["id"])
        return {"amount": amount, "vat": vat, "refund_id": rid}

    def payout(self, day: date) -> dict | None:
        items = self.by_payout_day.pop(day, [])
        if not items:
            return None
        total = sum(amount - fee for _, amount, fee, _ in items)
        if total <= 0:
            self.by_payout_day[day + timedelta(days=1)].extend(items)
            return None
        pid = self.ids.shopify()
        moment = at(day, 4 * 3600 + self.rng.randrange(3600))
        summary = dict.fromkeys(
            (
                "adjustments_fee_amount",
                "adjustments_gross_amount",
                "charges_fee_amount",
                "charges_gross_amount",
                "refunds_fee_amount",
                "refunds_gross_amount",
                "reserved_funds_fee_amount",
                "reserved_funds_gross_amount",
                "retried_payouts_fee_amount",
                "retried_payouts_gross_amount",
            ),
            "0.00",
        )
        charges = [(a, f) for bt, a, f, _ in items if bt["type"] == "charge"]
        refunds = [(a, f) for bt, a, f, _ in items if bt["type"] == "refund"]
        summary["charges_gross_amount"] = money_str(sum(a for a, _ in charges), "GBP")
        summary["charges_fee_amount"] = money_str(sum(f for _, f in charges), "GBP")
        summary["refunds_gross_amount"] = money_str(sum(a for a, _ in refunds), "GBP")
        summary["refunds_fee_amount"] = money_str(sum(f for _, f in refunds), "GBP")
        arrival = day + timedelta(days=1)
        obj = {
            "id": pid,
            "status": "scheduled",
            "date": arrival.isoformat(),
            "currency": "GBP",
            "amount": money_str(total, "GBP"),
            "summary": summary,
        }
        self.out.api("shopify", "payouts", moment, pid, dumps(obj))
        for bt, _, _, _ in items:
            bt["payout_id"] = pid
            bt["payout_status"] = "scheduled"
            self.out.api("shopify", "balance_transactions", moment, bt["id"], dumps(bt))
        paid_at = at(arrival, 9 * 3600 + self.rng.randrange(3600))
        obj = dict(obj, status="paid")
        self.out.api("shopify", "payouts", paid_at, pid, dumps(obj))
        for bt, _, _, _ in items:
            bt["payout_status"] = "paid"
            self.out.api("shopify", "balance_transactions", paid_at, bt["id"], dumps(bt))
        return {"id": pid, "amount": total, "arrival": arrival, "paid_at": paid_at, "count": len(items)}


def _pick(x: float, weighted) -> str:
    acc = 0.0
    for value, weight in weighted:
        acc += weight
        if x < acc:
            return value
    return weighted[-1][0]


@dataclass
class ShopResult:
    """What the rest of the company needs from one Shopify day."""

    totals: ShopDay | None
    payout: dict | None


class ShopifyRun:
    """The whole Shopify side of the simulation, self-contained so it can run in its own process.

    It has its own random streams, id stream, agenda and output files (only
    webhooks/shopify.jsonl and api/shopify/*), and hands back one small ShopResult per
    day (the day's sales totals for the Xero journal and the payout for the bank). Run
    in-process or in a forked child, it writes the same bytes: nothing it draws depends
    on the rest of the simulation.
    """

    def __init__(self, root, seed: int, scale: float, start: date, end: date, parallel: bool | None):
        self.root, self.seed, self.scale, self.start_day, self.end = root, seed, scale, start, end
        self.parallel = (scale >= 3) if parallel is None else parallel
        self._conn = None
        self._proc = None
        self._local = None
        self.child_max_rss_kb = 0  # peak RSS of the Shopify process when it runs separately

    # -- the generator proper -----------------------------------------------------------
    def _days(self):
        import heapq

        from .company import FIRST_NAMES, LAST_NAMES
        from .fx import FxTable
        from .util import poisson, stream

        out = Output(self.root, self.end)
        out.touch("webhooks/shopify.jsonl")
        for resource in ("orders", "transactions", "payouts", "balance_transactions"):
            out.touch(f"api/shopify/{resource}.jsonl")
        rng = stream(self.seed, "shop")
        fx = FxTable(stream(self.seed, "fx"), self.start_day, self.end)
        shop = Shopify(out, Ids(self.seed, "shopify-ids"), stream(self.seed, "shopify"), fx.rate)
        agenda: list = []
        seq = 0
        stats = {"shopify_orders": 0, "shopify_refunds": 0, "shopify_payouts": 0}
        day = self.start_day
        names = (FIRST_NAMES, LAST_NAMES)
        while day <= self.end:
            while agenda and agenda[0][0].date() <= day:
                moment, _, kind, state, full = heapq.heappop(agenda)
                if kind == "fulfil":
                    shop.fulfil(moment, state)
                else:
                    shop.refund(moment, state, full)
                    stats["shopify_refunds"] += 1
            months_in = (day - self.start_day).days / 30.4
            season = {11: 1.3, 12: 1.5, 1: 0.8}.get(day.month, 1.0)
            lam = 5 * self.scale * season * (1.015**months_in)
            for seconds in sorted(rng.randrange(86_000) for _ in range(poisson(rng, lam))):
                moment = at(day, seconds)
                state = shop.order(moment, names)
                stats["shopify_orders"] += 1
                seq += 1
                heapq.heappush(
                    agenda,
                    (
                        moment + timedelta(days=1 + rng.randrange(3), seconds=rng.randrange(3600)),
                        seq,
                        "fulfil",
                        state,
                        False,
                    ),
                )
                if rng.random() < 0.05:
                    seq += 1
                    heapq.heappush(
                        agenda,
                        (
                            moment + timedelta(days=3 + rng.randrange(18), seconds=rng.randrange(3600)),
                            seq,
                            "refund",
                            state,
                            rng.random() < 0.6,
                        ),
                    )
            payout = shop.payout(day)
            if payout:
                stats["shopify_payouts"] += 1
            out.flush_through(day)
            yield ShopResult(shop.days.pop(day, None), payout)
            day += timedelta(days=1)
        out.close()
        yield (dict(out.counts), stats)

    # -- in-process or in a child process ---------------------------------------------------
    def start(self) -> None:
        if not self.parallel:
            self._local = self._days()
            return
        import multiprocessing

        ctx = multiprocessing.get_context("fork")
        parent, child = ctx.Pipe(duplex=False)
        self._proc = ctx.Process(target=self._child, args=(child,), daemon=True)
        self._proc.start()
        child.close()
        self._conn = parent

    def _child(self, conn) -> None:
        import resource

        for result in self._days():
            conn.send(result)
        conn.send(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
        conn.close()

    def step(self, day: date) -> ShopResult:
        return next(self._local) if self._local is not None else self._conn.recv()

    def finish(self) -> tuple[dict, dict]:
        if self._local is not None:
            return next(self._local)
        counts, stats = self._conn.recv()
        self.child_max_rss_kb = self._conn.recv()
        self._proc.join()
        if self._proc.exitcode != 0:
            raise RuntimeError(f"shopify generator process failed ({self._proc.exitcode})")
        return counts, stats

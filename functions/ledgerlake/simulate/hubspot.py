"""HubSpot CRM: companies, deals moving through pipeline stages, pipelines, deal line
items, and v3 webhook batches (JSON arrays of up to 100 events)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from .company import CRM_PRODUCT_IDS, CRM_PRODUCTS, HUBSPOT_APP_ID, HUBSPOT_PORTAL_ID, PIPELINES
from .out import Output
from .util import UTC, Ids, dumps, iso_ms_z, money_str

_HEADERS = {
    "Content-Type": "application/json",
    "User-Agent": "HubSpot Connect 2.0 (http://dev.hubspot.com/) - WebhooksExecutorDaemon-executor",
}
_PROBABILITY = {sid: prob for _, _, stages in PIPELINES for sid, _, prob, _ in stages}
_SUBSCRIPTIONS = {"deal.creation": 2_110_001, "deal.propertyChange": 2_110_002, "company.creation": 2_110_003}


class HubSpot:
    def __init__(self, out: Output, ids: Ids, rng):
        self.out = out
        self.ids = ids
        self.rng = rng
        self.events: list[dict] = []
        self.event_id = 1_700_000_000
        self.line_item_id = 9_870_000_000  # line items number apart from deals and companies

    def pipelines(self, moment: datetime) -> None:
        created = iso_ms_z(moment - timedelta(days=400))
        for order, (pid, label, stages) in enumerate(PIPELINES):
            obj = {
                "label": label,
                "displayOrder": order,
                "id": pid,
                "stages": [
                    {
                        "label": s_label,
                        "displayOrder": n,
                        "metadata": {"isClosed": "true" if closed else "false", "probability": prob},
                        "id": sid,
                        "createdAt": created,
                        "updatedAt": created,
                        "archived": False,
                        "writePermissions": "CRM_PERMISSIONS_ENFORCEMENT",
                    }
                    for n, (sid, s_label, prob, closed) in enumerate(stages)
                ],
                "createdAt": created,
                "updatedAt": created,
                "archived": False,
            }
            self.out.api("hubspot", "pipelines", moment, pid, dumps(obj))

    def _event(
        self,
        moment: datetime,
        subscription_type: str,
        object_id: str,
        prop: str | None = None,
        value: str | None = None,
    ) -> None:
        self.event_id += 1 + self.rng.randrange(50)
        event = {
            "eventId": self.event_id,
            "subscriptionId": _SUBSCRIPTIONS[subscription_type],
            "portalId": HUBSPOT_PORTAL_ID,
            "appId": HUBSPOT_APP_ID,
            "occurredAt": int(moment.timestamp() * 1000),
            "subscriptionType": subscription_type,
            "attemptNumber": 0,
            "objectId": int(object_id),
            "changeSource": "CRM_UI",
            "sourceId": f"userId:{52_000_000 + self.rng.randrange(5)}",
        }
        if prop is not None:
            event["propertyName"] = prop
            event["propertyValue"] = value
        else:
            event["changeFlag"] = "CREATED"
        self.events.append(event)

    def company(self, moment: datetime, name: str, domain: str, country: str, city: str, industry: str) -> dict:
        cid = self.ids.hubspot()
        ts = iso_ms_z(moment)
        obj = {
            "id": cid,
            "properties": {
                "city": city,
                "country": country,
                "createdate": ts,
                "domain": domain,
                "hs_lastmodifieddate": ts,
                "hs_object_id": cid,
                "industry": industry,
                "lifecyclestage": "opportunity",
                "name": name,
            },
            "createdAt": ts,
            "updatedAt": ts,
            "archived": False,
        }
        self.out.api("hubspot", "companies", moment, cid, dumps(obj))
        self._event(moment, "company.creation", cid)
        return obj

    def deal(
        self,
        moment: datetime,
        name: str,
        amount: str,
        currency: str,
        pipeline: str,
        stage: str,
        expected_close: datetime,
        company_id: str,
        owner: str,
    ) -> dict:
        did = self.ids.hubspot()
        ts = iso_ms_z(moment)
        obj = {
            "id": did,
            "properties": {
                "amount": amount,
                "closedate": iso_ms_z(expected_close),
                "createdate": ts,
                "deal_currency_code": currency,
                "dealname": name,
                "dealstage": stage,
                "hs_lastmodifieddate": ts,
                "hs_object_id": did,
                "hubspot_owner_id": owner,
                "pipeline": pipeline,
                "hs_is_closed_won": "false",
                "hs_is_closed": "false",
                "hs_deal_stage_probability": _PROBABILITY[stage],
            },
            "createdAt": ts,
            "updatedAt": ts,
            "archived": False,
            "associations": {"companies": {"results": [{"id": company_id, "type": "deal_to_company"}]}},
        }
        self.out.api("hubspot", "deals", moment, did, dumps(obj))
        self._event(moment, "deal.creation", did)
        return obj

    def update_deal(self, moment: datetime, deal: dict, changes: dict[str, str]) -> None:
        ts = iso_ms_z(moment)
        if "dealstage" in changes:
            changes = dict(changes, hs_deal_stage_probability=_PROBABILITY[changes["dealstage"]])
        for prop, value in changes.items():
            deal["properties"][prop] = value
            if prop in ("dealstage", "amount", "closedate"):
                self._event(moment, "deal.propertyChange", deal["id"], prop, value)
        deal["properties"]["hs_lastmodifieddate"] = ts
        deal["updatedAt"] = ts
        self.out.api("hubspot", "deals", moment, deal["id"], dumps(deal))

    def line_items(self, moment: datetime, deal: dict, entity: str, amount: int, currency: str, rng) -> list[dict]:
        """The deal's line items, as the rep quoted them, summing to `amount` (minor units):
        the platform subscription (seats x a per-seat price), and sometimes onboarding, training
        days and premium support. Each is a `line_items` object as `GET
        /crm/v3/objects/line_items/{id}?associations=deals` answers it (the association to its
        deal, type 20 "line_item_to_deal", is what the v4 associations API serves). `rng` is
        the feature's own stream, so the rest of the company does not move."""
        lines: list[tuple[str, int, int]] = []  # (sku, quantity, unit price)
        rest = amount
        for sku, chance in (("NW-SUPPORT-PREM", 0.2), ("NW-TRAIN-DAY", 0.3)):
            price = CRM_PRODUCTS[sku][1][entity]
            days = 1 + rng.randrange(3) if sku == "NW-TRAIN-DAY" else 1
            if rng.random() < chance and rest - price * days >= amount // 2:
                lines.append((sku, days, price))
                rest -= price * days
        if rng.random() < 0.5:
            onboarding = rest // 5 // 10_000 * 10_000
            if onboarding:
                lines.append(("NW-ONBOARD", 1, onboarding))
                rest -= onboarding
        # seats: a count that divides what is left exactly, so quantity x price is the amount
        seats = [n for n in (50, 40, 25, 20, 10, 5, 4, 2) if rest % n == 0 and rest // n >= 500_00]
        count = rng.choice(seats) if seats and rng.random() < 0.7 else 1
        lines.insert(0, ("NW-PLAT-12", count, rest // count))
        ts = iso_ms_z(moment)
        out = []
        for order, (sku, quantity, price) in enumerate(lines):
            self.line_item_id += 1 + rng.randrange(3)
            lid = str(self.line_item_id)
            obj = {
                "id": lid,
                "properties": {
                    "amount": money_str(quantity * price, currency),
                    "createdate": ts,
                    "description": "",
                    "hs_lastmodifieddate": ts,
                    "hs_line_item_currency_code": currency,
                    "hs_object_id": lid,
                    "hs_position_on_quote": str(order),
                    "hs_product_id": CRM_PRODUCT_IDS[sku],
                    "hs_sku": sku,
                    "name": CRM_PRODUCTS[sku][0],
                    "price": money_str(price, currency),
                    "quantity": str(quantity),
                },
                "createdAt": ts,
                "updatedAt": ts,
                "archived": False,
                "associations": {"deals": {"results": [{"id": deal["id"], "type": "line_item_to_deal"}]}},
            }
            self.out.api("hubspot", "line_items", moment, lid, dumps(obj))
            out.append(obj)
        return out

    def webhook_batches(self) -> None:
        """HubSpot sends up to 100 events per request; batch the day's events per minute window."""
        if not self.events:
            return
        self.events.sort(key=lambda e: (e["occurredAt"], e["eventId"]))
        windows: dict[int, list] = defaultdict(list)
        for event in self.events:
            windows[event["occurredAt"] // 60_000].append(event)
        self.events = []
        for window in sorted(windows):
            items = windows[window]
            for start in range(0, len(items), 100):
                chunk = items[start : start + 100]
                sent = _from_ms(chunk[-1]["occurredAt"] + 1500 + self.rng.randrange(4000))
                self.out.webhook("hubspot", sent, self.ids.uuid(), _HEADERS, dumps(chunk))


def _from_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)

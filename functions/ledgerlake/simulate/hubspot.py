"""HubSpot CRM: companies, deals moving through pipeline stages, pipelines, and v3
webhook batches (JSON arrays of up to 100 events)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from .company import HUBSPOT_APP_ID, HUBSPOT_PORTAL_ID, PIPELINES
from .out import Output
from .util import UTC, Ids, dumps, iso_ms_z

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

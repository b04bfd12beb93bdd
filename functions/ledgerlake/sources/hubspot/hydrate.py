"""Fetch the CRM object behind a HubSpot ping: `GET /crm/v3/objects/{type}/{id}`.

Asks for the properties finance needs (HubSpot returns only a default few otherwise)
and the deal's company association. Lands the response verbatim under the object type
(`deals`, `companies`), keyed by type + id + `updatedAt`.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from ...connections import auth
from ...lake import Lake, Landed, identity_hash
from ...webhooks.core import event_time
from ...webhooks.http import base_url, request_json

SOURCE = "hubspot"
DEFAULT_API = "https://api.hubapi.com"
PROPERTIES = {
    "deals": "dealname,amount,deal_currency_code,dealstage,pipeline,closedate,createdate,"
    "hs_lastmodifieddate,hs_is_closed_won,hs_is_closed,hubspot_owner_id",
    "companies": "name,domain,country,currency,createdate,hs_lastmodifieddate,lifecyclestage",
    "contacts": "email,firstname,lastname,company,createdate,lastmodifieddate",
}
ASSOCIATIONS = {"deals": "companies"}


def hydrate(job: dict, lake: Lake) -> list[Landed]:
    kind, object_id = job["object_type"], job["id"]
    query = {"archived": "false"}
    if kind in PROPERTIES:
        query["properties"] = PROPERTIES[kind]
    if kind in ASSOCIATIONS:
        query["associations"] = ASSOCIATIONS[kind]
    path = f"/crm/v3/objects/{quote(kind, safe='')}/{quote(object_id, safe='')}"
    url = f"{base_url(SOURCE, DEFAULT_API)}{path}?{urlencode(query)}"
    raw, answer = request_json("GET", url, auth=auth("HUBSPOT_ACCESS_TOKEN"))
    if not isinstance(answer, dict) or str(answer.get("id")) != str(object_id):
        raise ValueError(f"HubSpot answer for {kind}/{object_id} is not that object")
    return [
        lake.land(
            source=SOURCE,
            entity=kind,
            payload=raw,
            identity=identity_hash("hubspot", job.get("portal_id"), kind, object_id, answer.get("updatedAt")),
            event_time=event_time(answer.get("updatedAt"), job.get("occurred_at")),
            arrival="hydrate",
            event_id=str(object_id),
            extra={"portal_id": job.get("portal_id"), "ping_key": job.get("ping_key")},
        )
    ]

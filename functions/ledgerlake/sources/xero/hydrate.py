"""Fetch the Xero record behind a ping: `GET /api.xro/2.0/{Resource}/{id}` for the tenant.

Lands the response verbatim (`{"Invoices": [{...}]}`) under the lower-cased resource
(`invoices`), keyed by tenant + resource + id + `UpdatedDateUTC` (a new version lands
beside the old; the same version lands once).
"""

from __future__ import annotations

from urllib.parse import quote

from ...connections import auth
from ...lake import Lake, Landed, identity_hash
from ...webhooks.core import event_time
from ...webhooks.http import base_url, request_json

SOURCE = "xero"
DEFAULT_API = "https://api.xero.com"


def hydrate(job: dict, lake: Lake) -> list[Landed]:
    resource, record_id, tenant = job["resource"], job["id"], job["tenant_id"]
    url = f"{base_url(SOURCE, DEFAULT_API)}/api.xro/2.0/{quote(resource, safe='')}/{quote(record_id, safe='')}"
    raw, answer = request_json("GET", url, headers={"Xero-tenant-id": tenant}, auth=auth("XERO_ACCESS_TOKEN"))
    records = answer.get(resource) if isinstance(answer, dict) else None
    if not isinstance(records, list) or not records or not isinstance(records[0], dict):
        raise ValueError(f"Xero answer for {resource}/{record_id} holds no {resource}")
    updated = records[0].get("UpdatedDateUTC")
    return [
        lake.land(
            source=SOURCE,
            entity=resource.lower(),
            payload=raw,
            identity=identity_hash("xero", tenant, resource, record_id, updated),
            event_time=event_time(updated, job.get("event_date")),
            arrival="hydrate",
            event_id=str(record_id),
            extra={"tenant_id": tenant, "ping_key": job.get("ping_key")},
        )
    ]

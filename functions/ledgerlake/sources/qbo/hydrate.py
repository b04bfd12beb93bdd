"""Fetch the QuickBooks Online record behind a ping: `GET /v3/company/{realm}/{entity}/{id}`.

Lands the response verbatim (`{"Invoice": {...}, "time": ...}`) under the lower-cased
entity name (`invoice`), keyed by realm + entity + id + SyncToken, so fetching the same
version twice lands once and every new version lands beside the old ones.
"""

from __future__ import annotations

from urllib.parse import quote

from ...connections import auth
from ...lake import Lake, Landed, identity_hash
from ...webhooks.core import event_time
from ...webhooks.http import FetchError, base_url, request_json

SOURCE = "qbo"
DEFAULT_API = "https://quickbooks.api.intuit.com"
MINOR_VERSION = "75"


def hydrate(job: dict, lake: Lake) -> list[Landed]:
    realm, name, entity_id = job["realm_id"], job["entity"], job["id"]
    entity = name.lower()
    url = (
        f"{base_url(SOURCE, DEFAULT_API)}/v3/company/{quote(realm, safe='')}/{quote(entity, safe='')}/"
        f"{quote(entity_id, safe='')}?minorversion={MINOR_VERSION}"
    )
    try:
        raw, answer = request_json("GET", url, auth=auth("QBO_ACCESS_TOKEN"))
    except FetchError as err:
        if _object_not_found(err):
            # Deleted (or made inactive) since the ping was sent: pings arrive late and out
            # of order. Nothing to fetch; the deletion itself reaches the lake through its
            # own Delete ping and the CDC poll, so the job is done, not failed.
            return []
        raise
    record = next((v for k, v in answer.items() if k.lower() == entity and isinstance(v, dict)), None)
    if record is None:
        raise ValueError(f"QBO answer for {name} {entity_id} holds no {name}")
    meta = record.get("MetaData") if isinstance(record.get("MetaData"), dict) else {}  # optional in Intuit's schema
    return [
        lake.land(
            source=SOURCE,
            entity=entity,
            payload=raw,
            identity=identity_hash(
                "qbo", realm, entity, entity_id, record.get("SyncToken"), meta.get("LastUpdatedTime")
            ),
            event_time=event_time(meta.get("LastUpdatedTime"), job.get("last_updated"), answer.get("time")),
            arrival="hydrate",
            event_id=str(entity_id),
            api_version=f"minorversion={MINOR_VERSION}",
            extra={"realm_id": realm, "ping_key": job.get("ping_key")},
        )
    ]


def _object_not_found(err: FetchError) -> bool:
    """QBO answers a read of a deleted object with 400 and Fault code 610 (Object Not Found)."""
    if err.status != 400:
        return False
    try:
        import json

        errors = json.loads(err.body)["Fault"]["Error"]
    except (ValueError, KeyError, TypeError):
        return False
    return any(str(e.get("code")) == "610" for e in errors)

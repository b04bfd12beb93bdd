"""HubSpot poller: CRM search for deals, companies and deal line items, and the deal
pipelines.

Search sorted by `hs_lastmodifieddate` ascending with a `GTE` filter and `after`
paging. One search can page through at most 10,000 results, so when a walk reaches
that cap the window slides: a new search starts at the newest `hs_lastmodifieddate`
seen (inclusive; boundary records repeat). The cursor (epoch ms) moves after every
landed page. Pipelines (stage labels and probabilities) are a small snapshot landed
every run; an unchanged snapshot lands on the same key.

Search answers carry no associations, so after each landed page of line items the poller
asks which deal each belongs to (`POST /crm/v4/associations/line_items/deals/batch/read`)
and lands that answer as `line_item_deals`, beside the page it explains.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from ...polling.dedupe import Record, page_time, utc_stamp
from ...polling.runner import Boundary
from .write import PROPERTIES as _WRITTEN

SOURCE = "hubspot"
DEFAULT_BASE_URL = "https://api.hubapi.com"
STREAMS = ("deals", "companies", "line_items", "pipelines")
PAGE_SIZE = 200  # the search endpoint's maximum
SEARCH_CAP = 10_000
PROPERTIES = {
    "deals": [
        "dealname",
        "amount",
        "deal_currency_code",
        "dealstage",
        "pipeline",
        "closedate",
        "createdate",
        "hs_lastmodifieddate",
        "hs_is_closed_won",
        "hs_deal_stage_probability",
        "hubspot_owner_id",
        "hs_object_id",
    ],
    "companies": ["name", "domain", "country", "industry", "createdate", "hs_lastmodifieddate", "hs_object_id"],
    "line_items": [
        "name",
        "quantity",
        "price",
        "amount",
        "hs_sku",
        "hs_product_id",
        "description",
        "hs_line_item_currency_code",
        "hs_position_on_quote",
        "createdate",
        "hs_lastmodifieddate",
        "hs_object_id",
    ],
}
# ...and the ledger's payment status that write-back keeps on them (sources/hubspot/write.py)
for _kind, _names in _WRITTEN.items():
    PROPERTIES[_kind] += list(_names)


def _headers(ctx) -> dict[str, str]:
    return {"Accept": "application/json"}


def _ms(stamp: str, floor: int) -> int:
    """A stamp as epoch ms; `floor` (the window start) for a record without one."""
    return int(datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp() * 1000) if stamp else floor


def _stamp(row: dict) -> str:
    """`hs_lastmodifieddate`, else `updatedAt`: both optional in HubSpot's schemas."""
    properties = row.get("properties") if isinstance(row.get("properties"), dict) else {}
    return utc_stamp(properties.get("hs_lastmodifieddate")) or utc_stamp(row.get("updatedAt"))


def _search(ctx, object_type: str) -> None:
    state = ctx.start(object_type) or {}
    since_ms = int(ctx.since.timestamp() * 1000) if ctx.since else int(state.get("since_ms", 0))
    boundary = Boundary({} if ctx.since else state)
    path = f"/crm/v3/objects/{object_type}/search"
    while not ctx.out_of_time():  # one iteration per search window
        after, seen_in_window, newest_ms = None, 0, since_ms
        while not ctx.out_of_time():
            body = {
                "filterGroups": [
                    {"filters": [{"propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": str(since_ms)}]}
                ],
                "sorts": [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}],
                "properties": PROPERTIES[object_type],
                "limit": ctx.page_size or PAGE_SIZE,
            }
            if after:
                body["after"] = after
            response = ctx.http.request(
                "POST",
                ctx.base_url + path,
                headers=_headers(ctx),
                json_body=body,
                auth=ctx.auth("HUBSPOT_ACCESS_TOKEN"),
            ).expect_ok()
            page = response.json()
            results = [r for r in page.get("results") or [] if isinstance(r, dict)]
            if results:
                stamps = [_stamp(r) for r in results]
                items = [(str(r.get("id", "")), _ms(stamp, since_ms)) for r, stamp in zip(results, stamps)]
                if not boundary.all_seen(items):
                    ctx.land_page(
                        object_type,
                        request={"path": path, "body": body},
                        body=response.body,
                        records=len(results),
                        page_time=page_time(stamps),
                        headers=response.headers,
                    )
                    if object_type == "line_items":
                        _line_item_deals(ctx, [oid for oid, _ in items], page_time(stamps))
                boundary.advance(items)
                newest_ms = max(newest_ms, boundary.stamp)
                ctx.save_cursor(object_type, {"since_ms": newest_ms, **boundary.to_json()})
                seen_in_window += len(results)
            after = ((page.get("paging") or {}).get("next") or {}).get("after")
            if not after:
                break
        else:
            return
        capped = seen_in_window >= SEARCH_CAP and page.get("total", 0) > seen_in_window
        if not capped:
            return
        if newest_ms == since_ms:
            raise RuntimeError(
                f"more than {SEARCH_CAP} {object_type} share hs_lastmodifieddate {since_ms}: "
                "cannot slide the search window"
            )
        since_ms = newest_ms  # slide past the cap


def _line_item_deals(ctx, ids: list[str], when) -> None:
    """Which deal each line item of a landed page belongs to (v4 associations, batch read)."""
    path = "/crm/v4/associations/line_items/deals/batch/read"
    body = {"inputs": [{"id": oid} for oid in ids if oid]}
    response = ctx.http.request(
        "POST", ctx.base_url + path, headers=_headers(ctx), json_body=body, auth=ctx.auth("HUBSPOT_ACCESS_TOKEN")
    ).expect_ok()
    results = response.json().get("results") or []
    ctx.land_page(
        "line_item_deals",
        request={"path": path, "body": body},
        body=response.body,
        records=len(results),
        page_time=when,
        headers=response.headers,
    )


def _pipelines(ctx) -> None:
    path = "/crm/v3/pipelines/deals"
    response = ctx.http.request(
        "GET", ctx.base_url + path, headers=_headers(ctx), auth=ctx.auth("HUBSPOT_ACCESS_TOKEN")
    ).expect_ok()
    results = response.json().get("results", [])
    if not results:
        return
    stamps = [utc_stamp(p.get("updatedAt")) or utc_stamp(p.get("createdAt")) for p in results]
    stamps = [s for s in stamps if s] or ["1970-01-01T00:00:00.000000Z"]
    ctx.land_page(
        "pipelines",
        request={"path": path},
        body=response.body,
        records=len(results),
        page_time=datetime.fromisoformat(max(stamps).replace("Z", "+00:00")),
        fingerprint=hashlib.sha256(json.dumps(results, sort_keys=True).encode()).hexdigest(),
        headers=response.headers,
    )


def poll(ctx) -> None:
    _search(ctx, "deals")
    _search(ctx, "companies")
    _search(ctx, "line_items")
    if not ctx.out_of_time():
        _pipelines(ctx)


def page_records(entity: str, payload: dict):
    if entity in ("deals", "companies", "line_items"):
        kind = {"deals": "deal", "companies": "company", "line_items": "line_item"}[entity]
        for row in payload.get("results") or []:
            yield Record(kind, str(row.get("id", "")), _stamp(row), bool(row.get("archived")), row)
    elif entity == "line_item_deals":
        for row in payload.get("results") or []:
            from_id = str((row.get("from") or {}).get("id", ""))
            yield Record("line_item_deal", from_id, "", False, row)
    elif entity == "pipelines":
        for row in payload.get("results") or []:
            yield Record(
                "pipeline", str(row.get("id", "")), utc_stamp(row.get("updatedAt")), bool(row.get("archived")), row
            )

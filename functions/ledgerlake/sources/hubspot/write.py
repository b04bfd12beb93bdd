"""HubSpot writes: the ledger's payment status on deals and companies
(https://developers.hubspot.com/docs/api-reference/crm-deals-v3, PATCH /crm/v3/objects/{type}/{id}).

The status lives in custom properties this module creates when missing
(`POST /crm/v3/properties/{type}`), named `ledgerlake_*` so nobody mistakes them for
HubSpot's own. A deal whose invoices are paid but which is still in an open stage is
moved to its pipeline's won stage (a paid invoice is a won deal). PATCH sets values, so
sending the same properties twice changes nothing: the write is idempotent by nature.
"""

from __future__ import annotations

from typing import Any

from ..writing import Exchange, Outcome, Refused, WriteContext, call, refusal_reason, run_write

GROUP = {"deals": "dealinformation", "companies": "companyinformation"}
PROPERTIES = {
    "deals": {
        "ledgerlake_payment_status": (
            "Ledger payment status",
            "enumeration",
            "select",
            ["unpaid", "partially_paid", "paid"],
        ),
        "ledgerlake_paid_date": ("Ledger paid date", "date", "date", None),
        "ledgerlake_amount_outstanding": ("Ledger amount outstanding", "number", "number", None),
        "ledgerlake_invoice_number": ("Ledger invoice number", "string", "text", None),
    },
    "companies": {
        "ledgerlake_amount_outstanding": ("Ledger amount outstanding", "number", "number", None),
        "ledgerlake_last_paid_date": ("Ledger last paid date", "date", "date", None),
    },
}


def _reason(response) -> str:
    try:
        doc = response.json()
    except ValueError:
        return refusal_reason(response, response.body[:300].decode("utf-8", "replace"))
    return refusal_reason(response, f"{doc.get('category', '')}: {doc.get('message', '')}".strip(": "))


def _ok(response) -> dict:
    if not response.ok:
        raise Refused(response.status, _reason(response))
    return response.json()


def _ensure_properties(ctx: WriteContext, exchanges: list[Exchange], object_type: str) -> None:
    done = ctx.__dict__.setdefault("_hubspot_properties", set())
    if object_type in done:
        return
    for name, (label, kind, field, options) in PROPERTIES[object_type].items():
        path = f"/crm/v3/properties/{object_type}"
        response = call(ctx, exchanges, "GET", f"{path}/{name}", credential="HUBSPOT_ACCESS_TOKEN")
        if response.status == 404:
            body = {"name": name, "label": label, "type": kind, "fieldType": field, "groupName": GROUP[object_type]}
            if options:
                body["options"] = [
                    {"label": o.replace("_", " "), "value": o, "displayOrder": n} for n, o in enumerate(options)
                ]
            created = call(ctx, exchanges, "POST", path, credential="HUBSPOT_ACCESS_TOKEN", body=body)
            if created.status != 409:
                _ok(created)
        else:
            _ok(response)
    done.add(object_type)


def won_stage(ctx: WriteContext, exchanges: list[Exchange], pipeline: str) -> str | None:
    """The pipeline's closed-won stage (closed, probability 1)."""
    cache = ctx.__dict__.setdefault("_hubspot_won", {})
    if pipeline not in cache:
        doc = _ok(call(ctx, exchanges, "GET", "/crm/v3/pipelines/deals", credential="HUBSPOT_ACCESS_TOKEN"))
        for row in doc.get("results", []):
            for stage in row.get("stages", []):
                meta = stage.get("metadata") or {}
                if str(meta.get("isClosed")) == "true" and float(meta.get("probability") or 0) == 1.0:
                    cache[str(row["id"])] = stage["id"]
    return cache.get(pipeline)


def _update(
    exchanges: list[Exchange],
    ctx: WriteContext,
    object_type: str,
    object_id: str,
    properties: dict,
    pipeline: str | None,
    mark_won: bool,
) -> Outcome:
    _ensure_properties(ctx, exchanges, object_type)
    properties = dict(properties)
    if mark_won and pipeline:
        stage = won_stage(ctx, exchanges, pipeline)
        if stage is None:
            raise Refused(400, f"pipeline {pipeline} has no closed-won stage")
        properties["dealstage"] = stage
    doc = _ok(
        call(
            ctx,
            exchanges,
            "PATCH",
            f"/crm/v3/objects/{object_type}/{object_id}",
            credential="HUBSPOT_ACCESS_TOKEN",
            body={"properties": properties},
        )
    )
    shown = {k: (doc.get("properties") or {}).get(k) for k in properties}
    return Outcome(
        True, {"object_type": object_type, "id": object_id, "properties": shown}, status=200, exchanges=exchanges
    )


def update(
    ctx: WriteContext,
    object_type: str,
    object_id: str,
    properties: dict,
    *,
    pipeline: str | None = None,
    mark_won: bool = False,
) -> Outcome:
    return run_write(_update, ctx, object_type, object_id, properties, pipeline, mark_won)


def describe(object_type: str, object_id: str, properties: dict, mark_won: bool) -> dict[str, Any]:
    body = dict(properties, **({"dealstage": "<the pipeline's closed-won stage>"} if mark_won else {}))
    return {"method": "PATCH", "path": f"/crm/v3/objects/{object_type}/{object_id}", "body": {"properties": body}}

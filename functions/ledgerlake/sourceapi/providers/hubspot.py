"""HubSpot CRM v3 subset (https://developers.hubspot.com/docs/api/crm/search).

* `POST /crm/v3/objects/{deals|companies}/search`: `filterGroups` (OR of AND-ed filters;
  EQ/NEQ/GT/GTE/LT/LTE on any property, dates as epoch-ms or ISO), one `sorts` entry,
  `limit` ≤ 200, `after` (an offset). Results stop at 10,000 per query: no `paging.next`
  past it and a 400 for `after` ≥ 10,000, so pollers must slide their window.
  Archived records are not returned by search.
* `GET /crm/v3/objects/{type}/{id}` (the hydrator's fetch), `GET /crm/v3/pipelines/deals`.
  Deal line items are `line_items` objects, searched like deals.
* `POST /crm/v4/associations/{from}/{to}/batch/read` `{"inputs": [{"id": ...}]}`
  (https://developers.hubspot.com/docs/api-reference/legacy/crm/associations/associate-records/batch/get-associations):
  `{"status": "COMPLETE", "results": [{"from": {"id"}, "to": [{"toObjectId", "associationTypes":
  [{"category": "HUBSPOT_DEFINED", "typeId", "label"}]}]}]}`, from the associations each
  stored object carries (deal→company 5, line item→deal 20 and back 19); ids with none are
  left out of `results`, as HubSpot does. At most 1,000 inputs.
* Writes (https://developers.hubspot.com/docs/api-reference/crm-deals-v3): `PATCH
  /crm/v3/objects/{deals|companies}/{id}` `{"properties": {...}}` answers the whole object;
  a property that does not exist, a read-only one or a stage outside the deal's pipeline
  is a 400 `VALIDATION_ERROR` listing each bad value; changing `dealstage` recomputes
  `hs_is_closed`, `hs_is_closed_won` and the stage probability, as HubSpot does.
  Custom properties are created with `POST /crm/v3/properties/{type}` (409 when the name
  exists) and read with `GET /crm/v3/properties/{type}/{name}`.
"""

from __future__ import annotations

import re
import uuid

from ..server import Reply, json_reply
from ..store import parse_time

SEARCH_CAP = 10_000
_OBJECT = re.compile(r"^/crm/v3/objects/(?P<type>[a-z_0-9]+)(?:/(?P<id>[^/]+))?$")


def _error(status: int, message: str, category: str, **more) -> Reply:
    body = {"status": "error", "message": message, "correlationId": str(uuid.uuid4()), "category": category}
    body.update(more)
    return json_reply(status, body)


def check_auth(api, req) -> Reply | None:
    header = req.headers.get("authorization", "")
    if not header.startswith("Bearer ") or not api.accepts("hubspot", header[7:], "HUBSPOT_ACCESS_TOKEN"):
        return _error(
            401,
            "Authentication credentials not found. This API supports OAuth 2.0 authentication "
            "and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview",
            "INVALID_AUTHENTICATION",
        )
    return None


def rate_limited(api, retry_after: int) -> Reply:
    reply = _error(
        429, "You have reached your secondly limit.", "RATE_LIMITS", errorType="RATE_LIMIT", policyName="SECONDLY"
    )
    reply.headers["Retry-After"] = str(retry_after)
    return reply


def server_error(api) -> Reply:
    return _error(502, "Bad Gateway", "INTERNAL_ERROR")


def _value(text):
    """Property values compare as time (epoch ms / ISO), number, or text."""
    if text is None:
        return None
    text = str(text)
    if re.fullmatch(r"-?\d{12,}", text):
        return int(text) / 1000.0
    if re.fullmatch(r"\d{4}-\d\d-\d\dT.*", text):
        return parse_time(text)
    try:
        return float(text)
    except ValueError:
        return text


_OPS = {
    "EQ": lambda a, b: a == b,
    "NEQ": lambda a, b: a != b,
    "GT": lambda a, b: a > b,
    "GTE": lambda a, b: a >= b,
    "LT": lambda a, b: a < b,
    "LTE": lambda a, b: a <= b,
}


def _matches(props: dict, group: dict) -> bool:
    for flt in group.get("filters", []):
        op = _OPS.get(flt.get("operator"))
        left, right = _value(props.get(flt["propertyName"])), _value(flt.get("value"))
        if op is None or left is None or type(left) is not type(right) or not op(left, right):
            return False
    return True


def _sort_key(text):
    value = _value(text)
    if value is None:
        return (0, 0.0, "")
    return (1, value, "") if isinstance(value, float) else (2, 0.0, value)


def _search(api, req, object_type: str) -> Reply:
    body = req.json()
    limit = int(body.get("limit", 10))
    if not 1 <= limit <= 200:
        return _error(400, "limit must be between 1 and 200", "VALIDATION_ERROR")
    offset = int(body.get("after") or 0)
    if offset >= SEARCH_CAP:
        return _error(
            400, f"Paging beyond {SEARCH_CAP} results is not supported; narrow the search", "VALIDATION_ERROR"
        )
    groups = body.get("filterGroups") or []
    sorts = body.get("sorts") or []
    res = api.store.resource("hubspot", object_type)

    def build():
        rows = [(v.obj, v) for v in res.latest(api.clock) if not v.deleted]
        if groups:
            rows = [r for r in rows if any(_matches(r[0].get("properties", {}), g) for g in groups)]
        if sorts:
            sort = (
                sorts[0]
                if isinstance(sorts[0], dict)
                else {
                    "propertyName": sorts[0].lstrip("-"),
                    "direction": "DESCENDING" if sorts[0].startswith("-") else "ASCENDING",
                }
            )
            prop = sort["propertyName"]
            rows.sort(
                key=lambda r: (_sort_key(r[0].get("properties", {}).get(prop)), int(r[0].get("id") or 0)),
                reverse=sort.get("direction") == "DESCENDING",
            )
        else:
            rows.sort(key=lambda r: int(r[0].get("id") or 0))
        return [v for _, v in rows]  # keep versions (bytes), not the parsed objects

    import json as _json

    rows = res.memo(("search", api.clock, _json.dumps([groups, sorts], sort_keys=True)), build)
    page = rows[offset : min(offset + limit, SEARCH_CAP)]
    out = {"total": len(rows), "results": [v.json for v in page]}
    nxt = offset + limit
    if nxt < len(rows) and nxt < SEARCH_CAP:
        out["paging"] = {"next": {"after": str(nxt)}}
    return json_reply(200, out)


_ASSOCIATIONS = re.compile(r"^/crm/v4/associations/(?P<src>[a-z_]+)/(?P<dst>[a-z_]+)/batch/read$")
_TYPE_IDS = {("deals", "companies"): 5, ("line_items", "deals"): 20, ("deals", "line_items"): 19}
BATCH_CAP = 1_000


def _association_batch(api, req, src: str, dst: str) -> Reply:
    try:
        inputs = [str(i["id"]) for i in (req.json() or {}).get("inputs") or []]
    except (ValueError, KeyError, TypeError, AttributeError):
        return _error(400, "Invalid input JSON: inputs must be a list of {id}", "VALIDATION_ERROR")
    if len(inputs) > BATCH_CAP:
        return _error(400, f"Too many inputs: at most {BATCH_CAP}", "VALIDATION_ERROR")
    type_id = _TYPE_IDS.get((src, dst))
    if type_id is None:
        return _error(400, f"No association type between {src} and {dst}", "VALIDATION_ERROR")
    links: dict[str, list[str]] = {}
    if (src, dst) == ("deals", "line_items"):  # stored on the line item: invert
        wanted = set(inputs)
        for version in api.store.resource("hubspot", "line_items").latest(api.clock):
            if version.deleted:
                continue
            for row in ((version.obj.get("associations") or {}).get("deals") or {}).get("results") or []:
                if str(row.get("id")) in wanted:
                    links.setdefault(str(row["id"]), []).append(str(version.obj["id"]))
    else:
        resource = api.store.resource("hubspot", src)
        for oid in inputs:
            found = resource.get(oid, api.clock)
            if found is not None and not found.deleted:
                rows = ((found.obj.get("associations") or {}).get(dst) or {}).get("results") or []
                links[oid] = [str(r["id"]) for r in rows]
    from ..store import iso

    now = iso(api.clock)
    results = [
        {
            "from": {"id": oid},
            "to": [
                {
                    "toObjectId": int(to) if to.isdigit() else to,
                    "associationTypes": [{"category": "HUBSPOT_DEFINED", "typeId": type_id, "label": None}],
                }
                for to in sorted(set(links[oid]))
            ],
        }
        for oid in inputs
        if links.get(oid)
    ]
    return json_reply(200, {"status": "COMPLETE", "results": results, "startedAt": now, "completedAt": now})


def handle(api, req) -> Reply:
    assoc = _ASSOCIATIONS.match(req.path)
    if assoc and req.method == "POST":
        return _association_batch(api, req, assoc.group("src"), assoc.group("dst"))
    prop = _PROPERTY.match(req.path)
    if prop:
        return _property(api, req, prop.group("type"), prop.group("name"))
    patch = _OBJECT.match(req.path)
    if patch and patch.group("id") and req.method == "PATCH" and patch.group("type") in ("deals", "companies"):
        return _patch(api, req, patch.group("type"), patch.group("id"))
    if req.path == "/crm/v3/pipelines/deals" and req.method == "GET":
        rows = [v.json for v in api.store.resource("hubspot", "pipelines").latest(api.clock) if not v.deleted]
        return json_reply(200, {"results": rows})
    match = _OBJECT.match(req.path.removesuffix("/search")) if req.path.endswith("/search") else _OBJECT.match(req.path)
    if match and req.path.endswith("/search") and req.method == "POST":
        return _search(api, req, match.group("type"))
    if match and match.group("id") and req.method == "GET":
        found = api.store.resource("hubspot", match.group("type")).get(match.group("id"), api.clock)
        if found is None or found.deleted:
            return _error(404, "resource not found", "OBJECT_NOT_FOUND")
        return json_reply(200, found.json)
    return _error(404, f"Unable to route {req.method} {req.path}", "OBJECT_NOT_FOUND")


# -- writes ----------------------------------------------------------------------------------

_PROPERTY = re.compile(r"^/crm/v3/properties/(?P<type>deals|companies)(?:/(?P<name>[a-z0-9_]+))?$")
READ_ONLY = {
    "hs_object_id",
    "hs_lastmodifieddate",
    "createdate",
    "hs_is_closed",
    "hs_is_closed_won",
    "hs_deal_stage_probability",
}
STANDARD = {
    "deals": {
        "amount",
        "closedate",
        "dealname",
        "dealstage",
        "pipeline",
        "hubspot_owner_id",
        "deal_currency_code",
        "description",
    },
    "companies": {"name", "domain", "city", "country", "industry", "lifecyclestage", "phone"},
}


def _custom(api, object_type: str) -> dict:
    return api.state.setdefault("hubspot_properties", {}).setdefault(object_type, {})


def _property(api, req, object_type: str, name: str | None) -> Reply:
    custom = _custom(api, object_type)
    if req.method == "GET" and name:
        if name in custom:
            return json_reply(200, custom[name])
        if name in STANDARD[object_type] | READ_ONLY:
            return json_reply(200, {"name": name, "hubspotDefined": True})
        return _error(404, f"Unable to find property {name}", "OBJECT_NOT_FOUND")
    if req.method == "POST" and not name:
        body = req.json()
        missing = [k for k in ("name", "label", "type", "fieldType", "groupName") if not body.get(k)]
        if missing:
            return _error(400, f"Property is missing {', '.join(missing)}", "VALIDATION_ERROR")
        if body["name"] in custom or body["name"] in STANDARD[object_type] | READ_ONLY:
            return _error(409, f"A property named '{body['name']}' already exists.", "OBJECT_ALREADY_EXISTS")
        custom[body["name"]] = dict(body, hubspotDefined=False, archived=False)
        return json_reply(201, custom[body["name"]])
    return _error(405, f"{req.method} is not allowed here", "VALIDATION_ERROR")


def _stages(api, pipeline: str) -> dict:
    for version in api.store.resource("hubspot", "pipelines").latest(api.clock):
        obj = version.obj
        if str(obj.get("id")) == str(pipeline):
            return {s["id"]: s for s in obj.get("stages", [])}
    return {}


def _patch(api, req, object_type: str, oid: str) -> Reply:
    import json as _json

    from .. import writes

    found = api.store.resource("hubspot", object_type).get(oid, api.clock)
    if found is None or found.deleted:
        return _error(404, "resource not found", "OBJECT_NOT_FOUND")
    try:
        body = req.json()
    except ValueError:
        return _error(400, "Invalid input JSON on line 1", "VALIDATION_ERROR")
    changes = body.get("properties") if isinstance(body, dict) else None
    if not isinstance(changes, dict) or not changes:
        return _error(400, "No properties found to update, please provide at least one.", "VALIDATION_ERROR")
    current = found.obj
    known = STANDARD[object_type] | set(current.get("properties", {})) | set(_custom(api, object_type))
    bad = []
    for name in changes:
        if name in READ_ONLY:
            bad.append(
                {
                    "isValid": False,
                    "message": f'"{name}" is a read only property; its value cannot be set.',
                    "error": "READ_ONLY_VALUE",
                    "name": name,
                }
            )
        elif name not in known:
            bad.append(
                {
                    "isValid": False,
                    "message": f'Property "{name}" does not exist',
                    "error": "PROPERTY_DOESNT_EXIST",
                    "name": name,
                }
            )
    stages = _stages(api, current.get("properties", {}).get("pipeline")) if object_type == "deals" else {}
    if "dealstage" in changes and changes["dealstage"] not in stages:
        bad.append(
            {
                "isValid": False,
                "message": f"{changes['dealstage']} was not one of the allowed options",
                "error": "INVALID_OPTION",
                "name": "dealstage",
            }
        )
    if bad:
        return _error(400, "Property values were not valid: " + _json.dumps(bad), "VALIDATION_ERROR")

    def build(at: float) -> dict:
        from ..store import iso

        stamp = iso(at).replace("Z", "").split(".")[0] + ".000Z"
        props = dict(current.get("properties", {}), **{k: None if v is None else str(v) for k, v in changes.items()})
        if "dealstage" in changes:  # HubSpot's calculated properties follow the stage
            meta = stages[changes["dealstage"]].get("metadata", {})
            props["hs_is_closed"] = meta.get("isClosed", "false")
            props["hs_is_closed_won"] = "true" if str(meta.get("probability")) in ("1.0", "1") else "false"
            props["hs_deal_stage_probability"] = meta.get("probability")
        props["hs_lastmodifieddate"] = stamp
        return dict(current, properties=props, updatedAt=stamp)

    return json_reply(200, writes.record(api, "hubspot", object_type, oid, build, method="patch"))

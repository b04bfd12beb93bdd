"""Tolerant readers: a record may lack any field (optional fields vary by API version;
even ids and update stamps are optional in Xero's and Intuit's schemas) and may carry
fields no schema here knows (a newer version's). Every poller and hydrator reads records
drawn from the provider's published schema, each copy missing one field (and one copy
with unknown fields), over HTTP from the local provider API server: no crash, every
record lands, cursors are saved, and a second run completes from them.
"""

from __future__ import annotations

import json

import corpus_kit as kit
import pytest

SEED = 14
PER_ENTITY = 2  # drawn records per entity; each then loses each of its fields in turn


def _stamp(source: str, obj: dict) -> str:
    """The record's own update stamp (where the provider sorts it), '' when it has none."""
    from ledgerlake.polling.dedupe import utc_stamp

    if source == "xero":
        return utc_stamp(obj.get("UpdatedDateUTC"))
    if source == "qbo":
        meta = obj.get("MetaData")
        return utc_stamp(meta.get("LastUpdatedTime")) if isinstance(meta, dict) else ""
    if source == "hubspot":
        props = obj.get("properties")
        return utc_stamp(props.get("hs_lastmodifieddate")) if isinstance(props, dict) else ""
    return ""


def _variants(source: str) -> dict[str, list[tuple[str, dict]]]:
    """{resource: [(store id, record), ...]}: each drawn record whole and without each field."""
    rows: dict[str, list] = {}
    n = 0
    for entity, schema in kit.schemas(source).items():
        if entity not in kit.SERVED.get(source, {}):
            continue
        resource, id_field, make = kit.SERVED[source][entity]
        for record in kit.draw(schema, PER_ENTITY, SEED):
            for path, obj in [
                ("", record),
                ("+unknown", kit.with_unknown_fields(record)),
                *kit.without_each_field(record),
            ]:
                if source == "hubspot" and path in ("properties", "properties.hs_lastmodifieddate"):
                    continue  # HubSpot sets it on every object; its search cannot return one without it
                n += 1
                if id_field in obj:  # each copy its own object (same id = versions of one object)
                    obj[id_field] = make(n)
                rows.setdefault(resource, []).append((str(obj.get(id_field) or f"noid-{n}"), obj))
    return rows


def _write(tmp_path, source: str, rows: dict) -> tuple:
    """The API directory, records ordered by their own stamps as the provider orders them."""
    from datetime import datetime

    ordered = {}
    for resource, items in rows.items():
        ordered[resource] = sorted(items, key=lambda item: _stamp(source, item[1]))
    # The local server orders by version time: give each record its own stamp (if any).
    root = tmp_path / "api-corpus"
    for resource, items in ordered.items():
        path = root / "api" / source / f"{resource}.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w") as out:
            for i, (rid, obj) in enumerate(items):
                at = _stamp(source, obj) or datetime.fromtimestamp(1_262_304_000 + i).isoformat() + "Z"
                out.write(json.dumps({"at": at, "id": rid, "deleted": False, "object": obj}) + "\n")
    return root


def _landed_records(lake, source: str) -> list:
    from ledgerlake.polling.dedupe import raw_records

    return [kit.canonical(r.obj) for r in raw_records(lake, source)]


@pytest.mark.parametrize("source", ["xero", "qbo", "hubspot", "plaid", "stripe"])
def test_poller_reads_every_record_missing_any_field(source, tmp_path, lake, serve_corpus):
    from ledgerlake.polling import poll_source
    from ledgerlake.polling.http import RetryPolicy

    rows = _variants(source)
    if source == "stripe":  # charges, refunds, ... arrive inside events
        events = []
        for entity, event_type in kit.STRIPE_EVENTS.items():
            for record in kit.draw(kit.schemas("stripe")[entity], PER_ENTITY, SEED):
                for _, obj in [("", record), *kit.without_each_field(record, depth=1)]:
                    if "id" in obj:
                        obj["id"] = f"{kit.STRIPE_PREFIX[entity]}_corpus{len(events)}"
                    event = kit.stripe_event(obj, len(events), event_type)
                    events.append((event["id"], event))
        rows["events"] = events
    root = _write(tmp_path, source, rows)
    server = serve_corpus(root)
    policy = RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.05)

    first = poll_source(
        source,
        lake=lake,
        base_url=server.base_urls[source],
        credentials=server.credentials,
        policy=policy,
        page_size=50,
    )
    assert first.complete, first.summary()
    assert first.http["retries_5xx"] == 0, "the local API server failed on a corpus record"
    served = {kit.canonical(obj) for items in rows.values() for _, obj in items}
    landed = set(_landed_records(lake, source))
    if source == "plaid":  # accounts come back on /accounts/get pages, transactions on sync pages
        served = {kit.canonical(obj) for _, obj in rows["transactions"]}
    missing = served - landed
    assert not missing, f"{len(missing)} of {len(served)} records never landed, e.g. {sorted(missing)[:1]}"

    again = poll_source(
        source,
        lake=lake,
        base_url=server.base_urls[source],
        credentials=server.credentials,
        policy=policy,
        page_size=50,
    )
    assert again.complete, again.summary()


def test_shopify_poller_reads_every_record_missing_any_field(tmp_path, lake, serve_corpus):
    """Shopify publishes no JSON schema for these; its own examples (Shopify/shopify_python_api
    fixtures, read in place) lose each field in turn. Ids stay: Shopify's are non-null."""
    from ledgerlake.polling import poll_source
    from ledgerlake.polling.dedupe import utc_stamp
    from ledgerlake.polling.http import RetryPolicy

    def load(name, key):
        return json.loads((kit.SHARED / "shopify" / name).read_text())[key]

    orders = load("orders.json", "orders") + [load("order.json", "order")]
    payouts = load("payouts.json", "payouts")
    transactions = load("payouts_transactions.json", "transactions")
    n = 0
    rows: dict[str, list] = {"orders": [], "payouts": [], "balance_transactions": []}
    for resource, examples in (
        ("orders", orders),
        ("payouts", payouts[:1]),
        ("balance_transactions", transactions[:2]),
    ):
        for example in examples:
            for path, obj in [("", example), *kit.without_each_field(example)]:
                if path == "id":
                    continue
                n += 1
                obj["id"] = 5_000_000 + n
                if resource == "balance_transactions" and "payout_id" in obj:
                    obj["payout_id"] = payouts[0]["id"]  # reachable through its payout's pages
                at = utc_stamp(obj.get("updated_at")) or utc_stamp(obj.get("processed_at")) or "2020-01-01T00:00:00Z"
                rows[resource].append((str(obj["id"]), obj, at))
    root = tmp_path / "api-corpus"
    for resource, items in rows.items():
        path = root / "api" / "shopify" / f"{resource}.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            "".join(
                json.dumps({"at": at, "id": rid, "deleted": False, "object": obj}) + "\n"
                for rid, obj, at in sorted(items, key=lambda r: r[2])
            )
        )
    server = serve_corpus(root)
    policy = RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.05)
    result = poll_source(
        "shopify",
        lake=lake,
        base_url=server.base_urls["shopify"],
        credentials=server.credentials,
        policy=policy,
        page_size=50,
    )
    assert result.complete and result.http["retries_5xx"] == 0, result.summary()

    from ledgerlake.polling.dedupe import raw_records

    landed = {(r.kind, r.id) for r in raw_records(lake, "shopify")}
    assert {("order", str(obj["id"])) for _, obj, _ in rows["orders"]} <= landed
    assert {("payout", str(obj["id"])) for _, obj, _ in rows["payouts"]} <= landed
    reachable = {
        ("balance_transaction", str(obj["id"]))
        for _, obj, _ in rows["balance_transactions"]
        if obj.get("payout_id") == payouts[0]["id"]
    }  # without payout_id only a pending one is listed
    assert reachable and reachable <= landed


HYDRATIONS = 60  # per source: a seeded sample of the field-removed copies


@pytest.mark.parametrize("source", ["xero", "qbo", "hubspot"])
def test_hydrator_reads_every_record_missing_any_field(source, tmp_path, lake, serve_corpus):
    """A thin ping's record fetched by the hydrator, whatever field it lacks: it lands, or
    the job is refused with a reason (ValueError: the answer is not the record asked for)."""
    import random

    from ledgerlake.webhooks.registry import hydrator

    rows = _variants(source)
    server = serve_corpus(_write(tmp_path, source, rows))
    creds = server.credentials
    jobs = []
    for resource, items in rows.items():
        for rid, obj in items:
            if source == "xero":
                name = {
                    "banktransactions": "BankTransactions",
                    "creditnotes": "CreditNotes",
                    "manualjournals": "ManualJournals",
                }.get(resource, resource.capitalize())
                jobs.append(
                    ({"source": "xero", "resource": name, "id": rid, "tenant_id": creds["XERO_TENANT_ID"]}, obj)
                )
            elif source == "qbo":
                jobs.append(({"source": "qbo", "realm_id": creds["QBO_REALM_ID"], "entity": resource, "id": rid}, obj))
            elif resource != "pipelines":  # pipelines are polled, never pinged
                jobs.append(({"source": "hubspot", "object_type": resource, "id": rid, "portal_id": 62515}, obj))
    jobs = random.Random(SEED).sample(jobs, min(HYDRATIONS, len(jobs)))
    landed, refused = 0, []
    for job, obj in jobs:
        try:
            result = hydrator(source).hydrate(job, lake)
        except ValueError as err:
            refused.append((job["id"], str(err)))
            continue
        assert result and all(r.key for r in result)
        envelope, payload = lake.read(result[0].key)
        assert envelope["arrival"] == "hydrate"
        assert kit.canonical(obj) in kit.canonical(payload)  # the record verbatim, inside its envelope
        landed += 1
    # Only HubSpot refuses, and only an answer without the id asked for.
    assert all(source == "hubspot" and "is not that object" in why for _, why in refused), refused[:3]
    assert landed + len(refused) == len(jobs) and landed > len(jobs) // 2


def test_plaid_hydrator_reads_transactions_missing_any_field(tmp_path, lake, serve_corpus):
    from ledgerlake.webhooks.registry import hydrator

    rows = _variants("plaid")
    serve_corpus(_write(tmp_path, "plaid", rows))
    landed = hydrator("plaid").hydrate(
        {"source": "plaid", "item_id": "corpus-item", "event_time": "2026-01-01T00:00:00Z"}, lake
    )
    assert landed
    seen = set()
    for result in landed:
        _, page = lake.read(result.key)
        seen |= {kit.canonical(t) for t in page["added"] + page["modified"]}
    assert {kit.canonical(obj) for _, obj in rows["transactions"]} <= seen

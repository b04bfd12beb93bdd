"""The real-world corpus: records drawn from the providers' published schemas (seeded,
bounded), in the shapes each path carries them (API pages through the local provider
server, signed webhooks, hydrations).

`schemas(source)` reads tests/realworld/corpus/<source>/schemas.json; `draw(schema, n,
seed)` draws n schema-valid records, the same ones every run; `api_dir(...)` writes
records where the local API server (`ledgerlake.sourceapi`) serves them from;
`without_each_field(record)` is every copy of a record with one field removed.
"""

from __future__ import annotations

import copy
import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, seed, settings
from schema_strategy import from_schema

from ledgerlake.sources.qbo.poll import ENTITIES as QBO_ENTITIES

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
SHARED = HERE.parents[1].parent / "shared" / "fixtures"
SOURCES = ("stripe", "shopify", "hubspot", "qbo", "xero", "plaid")

# Where each spec entity is served from and which field is its id, per source:
# entity -> (API resource in the local server's layout, id field, id maker).
SERVED = {
    "xero": {
        name: (name.lower() + "s", f"{name}ID", lambda i: str(uuid.UUID(int=i + 1, version=4)))
        for name in ("Invoice", "Payment", "BankTransaction", "CreditNote", "Account", "Contact", "ManualJournal")
    },
    "qbo": {
        name: (name, "Id", lambda i: str(9000 + i))
        for name in QBO_ENTITIES  # the poller's own list
    },
    "hubspot": {
        "deal": ("deals", "id", lambda i: str(90000 + i)),
        "company": ("companies", "id", lambda i: str(80000 + i)),
        "pipeline": ("pipelines", "id", lambda i: f"corpus-pipeline-{i}"),
    },
    "plaid": {
        "transaction": ("transactions", "transaction_id", lambda i: f"corpus-txn-{i}"),
        "account": ("accounts", "account_id", lambda i: f"corpus-acct-{i}"),
    },
    "stripe": {"balance_transaction": ("balance_transactions", "id", lambda i: f"txn_corpus{i}")},
}
# Stripe objects reach the lake inside events (poll or webhook): object -> event type.
STRIPE_EVENTS = {
    "charge": "charge.succeeded",
    "refund": "charge.refund.updated",
    "payout": "payout.paid",
    "customer": "customer.updated",
    "invoice": "invoice.paid",
    "subscription": "customer.subscription.updated",
}
STRIPE_PREFIX = {
    "charge": "ch",
    "refund": "re",
    "payout": "po",
    "customer": "cus",
    "invoice": "in",
    "subscription": "sub",
    "balance_transaction": "txn",
}


def schemas(source: str) -> dict[str, dict]:
    doc = json.loads((CORPUS / source / "schemas.json").read_text())
    defs = doc.get("$defs") or {}
    return {name: ({**schema, "$defs": defs} if defs else schema) for name, schema in doc["entities"].items()}


def draw(schema: dict, n: int, seed_value: int) -> list[dict]:
    """n records drawn from `schema`, the same ones on every run (fixed seed, no database)."""
    out: list = []

    @seed(seed_value)
    @settings(
        max_examples=n, database=None, deadline=None, phases=[Phase.generate], suppress_health_check=list(HealthCheck)
    )
    @given(from_schema(schema))
    def collect(record):
        out.append(record)

    collect()
    return out[:n]


def with_ids(records: list[dict], id_field: str, make, start: int = 0) -> list[dict]:
    """Distinct ids (drawn ids collide: "", "0"), kept absent where the draw left them out."""
    out = []
    for i, record in enumerate(records, start):
        record = dict(record)
        if id_field in record:
            record[id_field] = make(i)
        out.append(record)
    return out


def without_each_field(record: dict, depth: int = 2):
    """(path, copy of `record` without that field) for every field, nested dicts included."""

    def paths(obj, prefix, level):
        for key, value in obj.items():
            yield prefix + (key,)
            if isinstance(value, dict) and level > 1:
                yield from paths(value, prefix + (key,), level - 1)

    for path in list(paths(record, (), depth)):
        clone = copy.deepcopy(record)
        holder = clone
        for key in path[:-1]:
            holder = holder[key]
        del holder[path[-1]]
        yield ".".join(path), clone


UNKNOWN = {"x_field_from_a_newer_api_version": {"nested": [1, "two", None, {"deep": True}], "note": "ignored"}}


def with_unknown_fields(record: dict) -> dict:
    """A copy with fields no schema here knows, at the top and inside the first nested
    object (a newer API version's additions): readers must ignore them."""
    clone = copy.deepcopy(record)
    nested = next((v for v in clone.values() if isinstance(v, dict)), None)
    if nested is not None:
        nested.update(copy.deepcopy(UNKNOWN))
    clone.update(copy.deepcopy(UNKNOWN))
    return clone


def stripe_event(obj: dict, i: int, event_type: str) -> dict:
    created = obj.get("created") if isinstance(obj.get("created"), int) else 1_700_000_000 + i
    return {
        "id": f"evt_corpus{i:05d}",
        "object": "event",
        "api_version": "2022-08-01",
        "created": created,
        "data": {"object": obj},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }


def api_dir(
    root: Path, rows: dict[str, dict[str, list[tuple[str, dict]]]], start: datetime = datetime(2026, 1, 5, tzinfo=UTC)
) -> Path:
    """Write {source: {resource: [(id, object), ...]}} where the local API server reads
    it (one version per record, a second apart in list order)."""
    for source, resources in rows.items():
        for resource, items in resources.items():
            path = root / "api" / source / f"{resource}.jsonl"
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("w") as out:
                for i, (rid, obj) in enumerate(items):
                    at = (start + timedelta(seconds=i)).isoformat().replace("+00:00", "Z")
                    out.write(json.dumps({"at": at, "id": rid, "deleted": False, "object": obj}) + "\n")
    return root


def canonical(obj) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))

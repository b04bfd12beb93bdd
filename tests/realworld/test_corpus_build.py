"""The must-show of #14: a lake holding a small simulated company plus spec-drawn records
of every entity, landed through the real paths (signed webhooks through the receiver,
the pollers over HTTP), builds: every mart publishes, the records that cannot be staged
are in quarantine with their reasons and raw keys, no corpus record is silently
dropped, and the company's marts still equal its ground truth to the cent.

One land + one build (~2-3 minutes on a loaded 2-core machine: the dbt build's fixed
cost dominates), so every assertion reads the same built warehouse.
"""

from __future__ import annotations

import csv
import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import corpus_kit as kit
import pytest
import webhook_corpus as hooks

SEED = 14
DRAWN = 3  # records per entity, plus the fullest one without each of its fields
POLLED = {"xero": None, "qbo": None, "hubspot": None, "plaid": None}  # sources whose corpus arrives by poll
REPO = Path(__file__).resolve().parents[2]


def _api_rows() -> dict[str, dict[str, list]]:
    rows: dict[str, dict[str, list]] = {}
    n = 0
    for source in POLLED:
        for entity, schema in kit.schemas(source).items():
            if entity not in kit.SERVED[source]:
                continue
            resource, id_field, make = kit.SERVED[source][entity]
            drawn = kit.draw(schema, DRAWN, SEED)
            fullest = max(drawn, key=lambda r: len(json.dumps(r)))  # Hypothesis draws the emptiest first
            copies = (
                drawn
                + [kit.with_unknown_fields(fullest)]
                + [
                    obj
                    for path, obj in kit.without_each_field(fullest)
                    if not (source == "hubspot" and path.startswith("properties"))
                ]
            )
            for obj in copies:
                n += 1
                if id_field in obj:
                    obj[id_field] = make(n)
                rows.setdefault(source, {}).setdefault(resource, []).append(
                    (str(obj.get(id_field) or f"noid-{n}"), obj)
                )
    return rows


def _write_api(root: Path, rows) -> Path:
    from ledgerlake.polling.dedupe import utc_stamp

    def stamp(source, obj):
        if source == "xero":
            return utc_stamp(obj.get("UpdatedDateUTC"))
        meta = obj.get("MetaData") if source == "qbo" else obj.get("properties") if source == "hubspot" else None
        key = "LastUpdatedTime" if source == "qbo" else "hs_lastmodifieddate"
        return utc_stamp(meta.get(key)) if isinstance(meta, dict) else ""

    for source, resources in rows.items():
        for resource, items in resources.items():
            path = root / "api" / source / f"{resource}.jsonl"
            path.parent.mkdir(parents=True, exist_ok=True)
            ordered = sorted(items, key=lambda item: stamp(source, item[1]))
            with path.open("w") as out:
                for i, (rid, obj) in enumerate(ordered):
                    at = stamp(source, obj) or datetime.fromtimestamp(1_262_304_000 + i, UTC).isoformat()
                    out.write(json.dumps({"at": at, "id": rid, "deleted": False, "object": obj}) + "\n")
    return root


@pytest.fixture(scope="module")
def corpus_build(company_s3, tmp_path_factory):
    from ledgerlake.handlers import receiver
    from ledgerlake.lake import Lake
    from ledgerlake.landing import land_simulation
    from ledgerlake.polling import poll_source
    from ledgerlake.simulate import generate
    from ledgerlake.sourceapi import serve_in_thread
    from ledgerlake.transform import build
    from ledgerlake.webhooks.queue import MemoryQueue

    suffix = uuid.uuid4().hex[:8]
    home = tmp_path_factory.mktemp("corpus-home")
    env = {
        "LEDGERLAKE_RAW_BUCKET": f"raw-{suffix}",
        "LEDGERLAKE_MARTS_BUCKET": f"marts-{suffix}",
        "LEDGERLAKE_HOME": str(home),
        "LEDGERLAKE_S3_ENDPOINT": company_s3,
    }
    company = generate(tmp_path_factory.mktemp("corpus-company") / "co", seed=7, months=2, scale=0.1)
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        lake = Lake()
        lake.ensure_buckets()
        landing = land_simulation(company, lake, workers=4)
        assert not landing.failures, landing.failures
        before = set(lake.keys("raw/"))

        # Webhooks: Stripe events and Shopify deliveries, signed, through the receiver handler.
        receiver.configure(lake=lake, queue=MemoryQueue())
        refused = []
        events = hooks.stripe_events(n_per_entity=DRAWN, seed_value=SEED)
        for event in events:
            body = json.dumps(event).encode()
            status, answer = hooks.post("stripe", body, hooks.stripe_headers(body))
            assert status < 500, answer
            if status != 200:
                refused.append(("stripe", answer))
        for topic, removed, document in hooks.shopify_deliveries():
            body = json.dumps(document).encode()
            status, answer = hooks.post("shopify", body, hooks.shopify_headers(topic, body))
            assert status < 500, answer
            if status != 200 and not hooks.shopify_must_refuse(topic, removed):
                refused.append(("shopify", answer))  # test_corpus_webhooks.py covers the refused ones

        # Polls: the corpus served by the local provider API server, read from the start.
        rows = _api_rows()
        server = serve_in_thread(_write_api(tmp_path_factory.mktemp("corpus-api"), rows))
        try:
            for source in POLLED:
                result = poll_source(
                    source,
                    lake=lake,
                    base_url=server.base_urls[source],
                    credentials=server.credentials,
                    since=datetime(2000, 1, 1, tzinfo=UTC),
                )
                assert result.complete, result.summary()
        finally:
            server.stop()
        corpus_keys = set(lake.keys("raw/")) - before
        built = build(stream=None)
    return {
        "env": env,
        "company": company,
        "build": built,
        "events": events,
        "rows": rows,
        "refused": refused,
        "corpus_keys": corpus_keys,
        "lake": lake,
    }


@pytest.fixture(scope="module")
def wh(corpus_build):
    import duckdb

    conn = duckdb.connect(str(corpus_build["build"].warehouse), read_only=True)

    def query(sql, params=()):
        return conn.execute(sql, params).fetchall()

    yield query
    conn.close()


def _mart_models() -> set[str]:
    return {p.stem for p in (REPO / "transforms" / "models" / "marts").rglob("*.sql")}


@pytest.mark.slow
def test_the_build_publishes_every_mart(corpus_build):
    built = corpus_build["build"]
    assert built.success, "\n".join(built.failures)
    assert corpus_build["corpus_keys"], "no corpus record landed"
    assert not corpus_build["refused"], corpus_build["refused"][:3]  # every corpus delivery was a valid event
    missing = _mart_models() - set(built.exported)
    assert not missing, f"marts not published: {sorted(missing)}"


@pytest.mark.slow
def test_bad_records_are_quarantined_with_reasons(corpus_build, wh):
    rows = wh("select source_system, entity, source_id, raw_key, reason from marts.quarantine_records")
    assert rows, "no corpus record was quarantined: the corpus holds records no staging model can use"
    assert all(reason for *_, reason in rows)
    keys = corpus_build["corpus_keys"] | set(corpus_build["lake"].keys("raw/"))
    assert all(raw_key in keys for _, _, _, raw_key, _ in rows)
    by_source = {}
    for source, entity, *_ in rows:
        by_source.setdefault(source, set()).add(entity)
    print("quarantined:", {s: sorted(e) for s, e in by_source.items()})


def _staged_or_quarantined(wh, source: str, model: str, key: str, ids: set[str]) -> set[str]:
    staged = {str(r[0]) for r in wh(f"select {key} from staging.{model}")}
    quarantined = {
        str(r[0]) for r in wh("select source_id from marts.quarantine_records where source_system = ?", [source])
    }
    return ids - staged - quarantined


@pytest.mark.slow
@pytest.mark.parametrize(
    "source, resource, model, key",
    [
        ("xero", "invoices", "stg_xero__invoices", "invoice_id"),
        ("xero", "payments", "stg_xero__payments", "payment_id"),
        ("qbo", "Invoice", "stg_qbo__invoices", "invoice_id"),
        ("qbo", "Payment", "stg_qbo__payments", "payment_id"),
        ("hubspot", "deals", "stg_hubspot__deals", "deal_id"),
        ("plaid", "transactions", "stg_plaid__transactions", "transaction_id"),
    ],
)
def test_no_polled_corpus_record_is_silently_dropped(corpus_build, wh, source, resource, model, key):
    id_field = next(f for r, f, _ in kit.SERVED[source].values() if r == resource)
    ids = {str(obj[id_field]) for _, obj in corpus_build["rows"][source][resource] if obj.get(id_field)}
    dropped = _staged_or_quarantined(wh, source, model, key, ids)
    assert not dropped, f"{len(dropped)} of {len(ids)} {source} {resource} neither staged nor quarantined"


@pytest.mark.slow
def test_no_stripe_charge_is_silently_dropped(corpus_build, wh):
    ids = {
        e["data"]["object"]["id"]
        for e in corpus_build["events"]
        if e["type"] == "charge.succeeded" and e["data"]["object"].get("id")
    }
    dropped = _staged_or_quarantined(wh, "stripe", "stg_stripe__charges", "charge_id", ids)
    assert not dropped, f"{len(dropped)} of {len(ids)} charges neither staged nor quarantined"


def _truth(company: Path, name: str):
    with open(company / "truth" / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.slow
def test_the_company_still_matches_its_ground_truth(corpus_build, wh):
    """Corpus records are dated before 2024 and belong to their own customers and accounts,
    so on the company's own keys every number is the simulator's, to the cent."""
    company = corpus_build["company"]
    revenue = {
        (r["month"], r["entity"], r["currency"]): Decimal(r["revenue"]) for r in _truth(company, "revenue_by_month.csv")
    }
    got = {
        (str(m)[:7], e, c): v
        for m, e, c, v in wh("select period_month, entity_id, currency, revenue from marts.revenue_by_month")
    }
    assert revenue and {k: got.get(k) for k in revenue} == revenue
    cash = {(r["date"], r["account_id"]): Decimal(r["balance"]) for r in _truth(company, "cash_by_account_day.csv")}
    got = {
        (str(d), a): b for d, a, b in wh("select balance_date, bank_account_id, balance from marts.cash_by_account_day")
    }
    assert cash and {k: got.get(k) for k in cash} == cash
    open_ar = {
        (r["month_end"], r["entity"], r["customer_id"]): Decimal(r["open_amount"])
        for r in _truth(company, "open_ar_month_end.csv")
    }
    got = {
        (str(m), e, c): a
        for m, e, c, a in wh("select month_end, entity_id, customer_id, open_amount from marts.open_ar_month_end")
    }
    assert {k: got.get(k, Decimal(0)) for k in open_ar} == open_ar

"""The lake module against a running S3 server: keys, envelope, idempotence, DuckDB read-back."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from ledgerlake import money
from ledgerlake.lake import decode_raw_object, duckdb_connect, raw_key

STRIPE_EVENT = (
    b'{\n  "id": "evt_1",\n  "object": "event",\n  "created": 1748779200,\n  "data": {"object": {"amount": 1999}}\n}'
)


def test_land_keeps_payload_bytes_and_envelope(lake):
    landed = lake.land(
        source="stripe",
        entity="events",
        payload=STRIPE_EVENT,
        identity="evt_1",
        event_time=datetime(2025, 6, 1, 12, tzinfo=UTC),
        arrival="webhook",
        event_id="evt_1",
        api_version="2025-05-28.basil",
        headers={"Stripe-Signature": "t=1,v1=abc", "Content-Type": "application/json", "User-Agent": "Stripe/1.0"},
    )
    assert landed.created
    assert landed.key == "raw/source=stripe/entity=events/date=2025-06-01/webhook-evt_1.json"
    data = lake.read_bytes(landed.key)
    # The provider's bytes are inside the object verbatim (whitespace and all).
    assert STRIPE_EVENT in data
    envelope, payload = decode_raw_object(data)
    assert payload["data"]["object"]["amount"] == 1999
    assert envelope["source"] == "stripe" and envelope["arrival"] == "webhook"
    assert envelope["api_version"] == "2025-05-28.basil"
    # Signatures are never kept; allow-listed headers are, lower-cased.
    assert "stripe-signature" not in envelope["headers"]
    assert envelope["headers"]["user-agent"] == "Stripe/1.0"
    # The provider's event time, from which webhook-to-mart latency is measured
    assert envelope["occurred_at"] == "2025-06-01T12:00:00Z"


def test_redelivery_lands_on_the_same_key_and_never_rewrites(lake):
    kwargs = {
        "source": "shopify",
        "entity": "orders",
        "identity": "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
        "event_time": datetime(2025, 6, 1, tzinfo=UTC),
        "arrival": "webhook",
    }
    first = lake.land(payload=b'{"id": 1, "v": 1}', received_at=datetime(2025, 6, 1, tzinfo=UTC), **kwargs)
    again = lake.land(payload=b'{"id": 1, "v": 1}', received_at=datetime(2025, 6, 3, tzinfo=UTC), **kwargs)
    assert first.created and not again.created and first.key == again.key
    assert lake.count("raw/source=shopify/") == 1
    envelope, _ = lake.read(first.key)
    assert envelope["received_at"] == "2025-06-01T00:00:00Z"  # the first landing stands


def test_unsafe_identities_are_hashed_and_arrival_is_checked(lake):
    key = raw_key("hubspot", "notifications", datetime(2025, 1, 2).date(), "webhook", "deal/123 changed?")
    assert key.startswith("raw/source=hubspot/entity=notifications/date=2025-01-02/webhook-")
    assert "/" not in key.rsplit("/", 1)[1] and "?" not in key
    with pytest.raises(ValueError):
        raw_key("stripe", "events", datetime(2025, 1, 2).date(), "carrier-pigeon", "x")


def test_quarantine_keeps_the_body_verbatim(lake):
    body = b'{"id": "evt_broken", '
    key = lake.quarantine(source="stripe", body=body, reason="malformed JSON", headers={"Stripe-Signature": "x"})
    assert key.startswith("quarantine/source=stripe/")
    assert lake.read_bytes(key) == body
    meta = lake.s3.head_object(Bucket=lake.bucket, Key=key)["Metadata"]
    assert meta["reason"] == "malformed JSON"
    assert not any("signature" in k for k in meta)


def test_duckdb_reads_back_what_the_lake_wrote(lake):
    for i, amount in enumerate([1999, 500, 12001]):
        lake.land(
            source="stripe",
            entity="events",
            identity=f"evt_{i}",
            arrival="webhook",
            event_time=datetime(2025, 6, 1 + i, tzinfo=UTC),
            payload=json.dumps({"id": f"evt_{i}", "data": {"object": {"amount": amount, "currency": "usd"}}}).encode(),
        )
    con = duckdb_connect()
    rows = con.sql(
        f"""
        select envelope->>'source' as source, payload->>'id' as id,
               cast(payload->'data'->'object'->>'amount' as bigint) as amount, date
        from read_json('s3://{lake.bucket}/raw/source=stripe/entity=events/*/*.json',
                       columns={{'envelope': 'JSON', 'payload': 'JSON'}}, hive_partitioning=true)
        order by id
        """
    ).fetchall()
    assert [(r[0], r[1], r[2]) for r in rows] == [
        ("stripe", "evt_0", 1999),
        ("stripe", "evt_1", 500),
        ("stripe", "evt_2", 12001),
    ]
    assert str(rows[2][3]) == "2025-06-03"


@pytest.mark.parametrize(
    "minor,currency,expected",
    [(1234, "USD", "12.34"), (1234, "JPY", "1234"), (1234, "KWD", "1.234"), (-50, "GBP", "-0.50")],
)
def test_minor_units_convert_by_iso_exponent(minor, currency, expected):
    assert money.from_minor(minor, currency) == Decimal(expected)
    assert money.to_minor(Decimal(expected), currency) == minor


def test_to_minor_refuses_sub_unit_amounts():
    with pytest.raises(ValueError):
        money.to_minor(Decimal("1.5"), "JPY")


def test_duckdb_secret_on_aws_uses_the_lambda_session_keys(monkeypatch):
    from ledgerlake.config import Settings
    from ledgerlake.lake import duckdb_s3_secret_sql

    for name in ("LEDGERLAKE_S3_ENDPOINT", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "ASIAEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "s3cr3t")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "tok'en")
    sql = duckdb_s3_secret_sql(Settings.from_env())
    assert "KEY_ID 'ASIAEXAMPLE'" in sql and "SESSION_TOKEN 'tok''en'" in sql
    assert "ENDPOINT" not in sql and "credential_chain" not in sql

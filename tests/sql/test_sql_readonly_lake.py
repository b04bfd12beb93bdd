"""`ledgerlake sql` cannot write to the lake: a COPY … TO 's3://…/raw/…' that would
overwrite history is refused with a clear message and the raw object is unchanged, while
reads of the lake and local exports keep working."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from ledgerlake.cli import main


@pytest.fixture
def landed(lake):
    landed = lake.land(
        source="stripe",
        entity="events",
        payload=json.dumps({"id": "evt_1", "object": "event"}).encode(),
        identity="evt_1",
        event_time=datetime(2025, 6, 1, tzinfo=UTC),
        arrival="webhook",
    )
    before = lake.s3.get_object(Bucket=lake.bucket, Key=landed.key)["Body"].read()
    return landed.key, before


@pytest.mark.parametrize(
    "statement",
    [
        "COPY (select 'forged' as payload) TO 's3://{bucket}/{key}' (FORMAT json)",
        "copy (select 1 as a) to 'S3://{bucket}/raw/source=stripe/new.parquet'",
        "select 1; EXPORT DATABASE 's3://{bucket}/raw/export'",
        "PREPARE overwrite AS COPY (select 1) TO 's3://{bucket}/{key}'",
    ],
)
def test_writes_to_the_lake_are_refused(lake, mini_ledger, landed, capsys, statement):
    key, before = landed
    code = main(["sql", "--warehouse", str(mini_ledger.path), "-c", statement.format(bucket=lake.bucket, key=key)])
    err = capsys.readouterr().err
    assert code == 1 and ("read-only on the lake" in err or "cannot be checked" in err), err
    assert lake.s3.get_object(Bucket=lake.bucket, Key=key)["Body"].read() == before
    assert sorted(lake.keys("raw/")) == [key]


def test_reads_and_local_exports_still_work(lake, mini_ledger, landed, capsys, tmp_path):
    out = tmp_path / "events.csv"
    query = (
        f"COPY (select json_extract_string(payload, '$.id') as id from read_json('s3://{lake.bucket}/raw/source=stripe/"
        f"entity=events/*/*.json', columns={{'envelope':'JSON','payload':'JSON'}})) TO '{out}' (HEADER)"
    )
    code = main(["sql", "--warehouse", str(mini_ledger.path), "-c", query])
    assert code == 0, capsys.readouterr().err
    assert out.read_text().splitlines() == ["id", "evt_1"]

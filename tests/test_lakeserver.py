"""`ledgerlake lake start|status|stop` with the real SeaweedFS server `make demo` uses."""

from __future__ import annotations

import subprocess
import sys
from datetime import date

import pytest

from ledgerlake import lakeserver


@pytest.fixture
def local_home(tmp_path, monkeypatch):
    monkeypatch.setenv("LEDGERLAKE_HOME", str(tmp_path / "home"))
    # Use the credentials `lake start` generates, not the test session's.
    for name in ("LEDGERLAKE_S3_ENDPOINT", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name, raising=False)
    yield tmp_path / "home"
    lakeserver.stop()


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ledgerlake", *args], capture_output=True, text=True, timeout=120)


def test_lake_start_reuse_land_status_stop(local_home):
    started = cli("lake", "start")
    assert started.returncode == 0, started.stderr
    pid = lakeserver.status().pid
    again = cli("lake", "start")  # a second start reuses the running server
    assert again.returncode == 0 and lakeserver.status().pid == pid

    from ledgerlake.config import load_local_env
    from ledgerlake.lake import Lake, duckdb_connect

    load_local_env()
    lake = Lake()
    lake.land(
        source="xero",
        entity="invoices",
        identity="page-1",
        arrival="poll",
        event_time=date(2025, 7, 1),
        payload=b'{"Invoices": [{"InvoiceID": "a"}, {"InvoiceID": "b"}]}',
    )
    ids = (
        duckdb_connect()
        .sql(
            f"select unnest(from_json(payload->'Invoices', '[\"JSON\"]'))->>'InvoiceID' as id "
            f"from read_json('s3://{lake.bucket}/raw/source=xero/*/*/*.json', "
            "columns={'envelope':'JSON','payload':'JSON'}) order by id"
        )
        .fetchall()
    )
    assert ids == [("a",), ("b",)]

    status = cli("lake", "status")
    assert status.returncode == 0 and "xero" in status.stdout and "1 raw objects" in status.stdout

    # The server authenticates: a wrong secret is refused.
    import boto3
    from botocore.exceptions import ClientError

    bad = boto3.client(
        "s3",
        endpoint_url=lake.settings.s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id="ledgerlake-local",
        aws_secret_access_key="wrong",
    )
    with pytest.raises(ClientError):
        bad.list_objects_v2(Bucket=lake.bucket)

    stopped = cli("lake", "stop")
    assert stopped.returncode == 0 and "stopped" in stopped.stdout
    assert cli("lake", "status").returncode == 1

"""The dashboard's fixtures: a warehouse with the marts' names, a lake holding the raw
records its alerts point at, and the environment the app reads.

Until the transforms build runs in-process for the simulated company, the warehouse is
`synthetic_warehouse()` (same tables and columns as the real marts); the tests compare
what the pages show with independent queries against whatever warehouse they are given.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
APP = REPO / "dashboard" / "app.py"

# Raw objects the alert evidence points at (landed in the lake by the fixture).
RAW_RECORDS = {
    "AP-US-17-3": ("qbo", "billpayment", b'{"BillPayment":{"Id":"AP-US-17-3","TotalAmt":8123.45,"VendorRef":{"name":"Vendor 3"}}}'),
    "4": ("hubspot", "deals", b'{"id":"4","properties":{"dealname":"Deal 4","dealstage":"closedwon","amount":"42000"}}'),
}


@pytest.fixture(scope="session")
def dashboard_env(s3_endpoint, tmp_path_factory):
    """Buckets, raw records and a warehouse; sets the variables the app (and a served
    `ledgerlake dashboard`) reads. Returns a dict with the paths and the raw keys."""
    from datetime import datetime, timezone

    from ledgerlake.bench.dashboard import synthetic_warehouse
    from ledgerlake.lake import Lake

    suffix = uuid.uuid4().hex[:8]
    home = tmp_path_factory.mktemp("dashboard-home")
    env = {
        "LEDGERLAKE_S3_ENDPOINT": s3_endpoint,
        "LEDGERLAKE_RAW_BUCKET": f"raw-dash-{suffix}",
        "LEDGERLAKE_MARTS_BUCKET": f"marts-dash-{suffix}",
        "LEDGERLAKE_HOME": str(home),
        "LEDGERLAKE_WAREHOUSE": str(home / "warehouse.duckdb"),
        "LEDGERLAKE_REPORTING_CURRENCY": "USD",
    }
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    lake = Lake()
    lake.ensure_buckets()
    raw_keys = {}
    for source_id, (source, entity, body) in RAW_RECORDS.items():
        landed = lake.land(source=source, entity=entity, payload=body, identity=source_id,
                           event_time=datetime(2025, 6, 1, tzinfo=timezone.utc), arrival="hydrate")
        raw_keys[source_id] = landed.key
    warehouse = synthetic_warehouse(Path(env["LEDGERLAKE_WAREHOUSE"]), scale=0.2, raw_keys=raw_keys)
    yield {"env": env, "warehouse": warehouse, "raw_keys": raw_keys, "lake": lake}
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture
def marts(dashboard_env):
    from ledgerlake.dashboard_data import Marts

    return Marts()


@pytest.fixture
def app(dashboard_env):
    """A fresh AppTest of the whole multipage app, first run done (Overview)."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at

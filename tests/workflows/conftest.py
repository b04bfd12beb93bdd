"""A small simulated company (5 months, 0.3 of the volume: 3 planted won deals without
an invoice, 2 US + 1 UK, and a paid invoice whose deal is still open), polled through the
local provider API server into a moto lake and built once per module."""

from __future__ import annotations

import json
import logging
import os
import uuid
from datetime import UTC, datetime
from unittest import mock

import pytest

logging.getLogger("werkzeug").setLevel(logging.WARNING)


@pytest.fixture(scope="module")
def company(tmp_path_factory, s3_endpoint):
    from ledgerlake.lake import Lake
    from ledgerlake.landing import land_simulation, simulation_credentials
    from ledgerlake.simulate import generate
    from ledgerlake.sourceapi import serve_in_thread
    from ledgerlake.transform import build

    sim = generate(tmp_path_factory.mktemp("writeback") / "northwind", seed=7, months=5, scale=0.3)
    manifest = json.loads((sim / "manifest.json").read_text())
    end = datetime.fromisoformat(manifest["end"]).replace(hour=23, minute=59, second=59, tzinfo=UTC)
    suffix = uuid.uuid4().hex[:8]
    env = {
        "LEDGERLAKE_RAW_BUCKET": f"raw-wb-{suffix}",
        "LEDGERLAKE_MARTS_BUCKET": f"marts-wb-{suffix}",
        "LEDGERLAKE_HOME": str(tmp_path_factory.mktemp("writeback-home")),
        "LEDGERLAKE_S3_ENDPOINT": s3_endpoint,
        "LEDGERLAKE_WRITEBACK_ATTEMPTS": "2",
        # the subscription product is the ledgers' subscription item (QBO item 2, a Xero item
        # of its SKU); the other products fall back to the services item / sales account
        "LEDGERLAKE_WRITEBACK_ITEMS": json.dumps({"NW-PLAT-12": {"qbo_item": "2", "xero_item_code": "NW-PLAT-12"}}),
    }
    providers = serve_in_thread(sim, clock=end.timestamp(), credentials=simulation_credentials(manifest))
    with mock.patch.dict(os.environ, env):
        lake = Lake()
        lake.ensure_buckets()
        landing = land_simulation(sim, lake, webhooks=False, providers=providers)
        assert not landing.failures, landing.failures
        first = build(stream=None)
        assert first.success, first.failures
    problems = json.loads((sim / "truth" / "problems.json").read_text())["problems"]
    yield {
        "sim": sim,
        "env": env,
        "use_env": lambda: mock.patch.dict(os.environ, env),
        "lake": lake,
        "providers": providers,
        "warehouse": first.warehouse,
        "problems": problems,
        "build": first,
    }
    providers.stop()

"""`ledgerlake run`'s landing step connects every source by OAuth against the local server
and lands the simulated company while access tokens expire underneath it."""

from __future__ import annotations

import json
from datetime import UTC

import polling_truth as truth
import pytest

from ledgerlake.connections.store import store_from_env
from ledgerlake.polling.dedupe import latest_from_lake


@pytest.fixture(scope="module")
def small_company(tmp_path_factory):
    from ledgerlake.simulate import generate

    return generate(tmp_path_factory.mktemp("sim") / "company", seed=5, months=2, scale=0.2)


def test_landing_through_short_lived_tokens(small_company, lake, monkeypatch):
    from datetime import datetime

    from ledgerlake.landing import land_simulation

    for name in ("QBO_ACCESS_TOKEN", "XERO_ACCESS_TOKEN", "HUBSPOT_ACCESS_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    report = land_simulation(small_company, lake, connect=True, token_ttl=1.0)
    assert not report.failures, report.failures
    assert report.hydrated > 0 and report.polled_pages > 0
    store = store_from_env()
    for source in ("qbo", "xero", "hubspot"):
        record = store.read(source)[0]
        assert record["status"] == "connected" and record["refresh_count"] >= 1, source  # lived through expiry
    assert len(store.read("plaid")[0]["items"]) == 2  # one access token per simulated item
    manifest = json.loads((small_company / "manifest.json").read_text())
    end = datetime.fromisoformat(manifest["end"]).replace(hour=23, minute=59, second=59, tzinfo=UTC)
    for source in ("stripe", "shopify", "hubspot", "qbo", "xero", "plaid"):
        landed = set(latest_from_lake(lake, source))
        assert truth.expected(small_company, source, end.timestamp()) <= landed, source

    # `ledgerlake run` again: a new local server, every source connected anew, nothing new lands.
    before = set(lake.keys("raw/"))
    again = land_simulation(small_company, lake, connect=True, token_ttl=1.0)
    assert not again.failures and again.polled_pages == 0, sorted(set(lake.keys("raw/")) - before)
    assert set(lake.keys("raw/")) == before

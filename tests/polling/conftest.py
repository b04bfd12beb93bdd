"""Fixtures for the polling tests: a small hand-built company and the local API server."""

from __future__ import annotations

import logging
import os
import sys
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import polling_minisim as minisim  # noqa: E402
from polling_minisim import MID, SOURCES  # noqa: E402,F401


# moto's werkzeug logs every S3 request; thousands of lines slow the tests down.
logging.getLogger("werkzeug").setLevel(logging.WARNING)


@pytest.fixture(scope="session")
def _s3_client(s3_endpoint):
    """One boto3 client for the session (creating one costs about a second)."""
    from ledgerlake.config import Settings
    from ledgerlake.lake import s3_client

    os.environ["LEDGERLAKE_S3_ENDPOINT"] = s3_endpoint
    return s3_client(Settings.from_env())


@pytest.fixture
def lake(_s3_client, s3_endpoint, monkeypatch, tmp_path):
    """Like the shared `lake` fixture (fresh uniquely named buckets), on the shared client."""
    from ledgerlake.lake import Lake

    suffix = uuid.uuid4().hex[:8]
    monkeypatch.setenv("LEDGERLAKE_S3_ENDPOINT", s3_endpoint)
    monkeypatch.setenv("LEDGERLAKE_RAW_BUCKET", f"raw-{suffix}")
    monkeypatch.setenv("LEDGERLAKE_MARTS_BUCKET", f"marts-{suffix}")
    monkeypatch.setenv("LEDGERLAKE_HOME", str(tmp_path / "home"))
    lake = Lake(client=_s3_client)
    lake.ensure_buckets()
    return lake


@pytest.fixture(scope="session")
def company(tmp_path_factory) -> Path:
    return minisim.build(tmp_path_factory.mktemp("minisim") / "company", n=60)


@pytest.fixture
def providers(company):
    """The local API server over the small company, clock at its end, no faults."""
    from ledgerlake.sourceapi import serve_in_thread

    running = serve_in_thread(company)
    yield running
    running.stop()


@pytest.fixture
def poll(lake, providers):
    """poll(source, **kw): one poller run against the local server into the test lake."""
    from ledgerlake.polling import poll_source

    def run(source, **kw):
        return poll_source(source, lake=lake, base_url=providers.base_urls[source],
                           credentials=providers.credentials, **kw)

    return run


@pytest.fixture(autouse=True)
def small_provider_caps(monkeypatch):
    """Shrink QuickBooks' 1,000-object CDC cap and HubSpot's 10,000-result search cap (on
    both the server and the poller) so the small company exercises the narrowing and
    window-sliding paths in every test."""
    from ledgerlake.sources.hubspot import poll as hubspot_poll
    from ledgerlake.sources.qbo import poll as qbo_poll
    from ledgerlake.sourceapi.providers import hubspot as hubspot_api
    from ledgerlake.sourceapi.providers import qbo as qbo_api

    monkeypatch.setattr(qbo_api, "CDC_CAP", 40)
    monkeypatch.setattr(qbo_poll, "CDC_CAP", 40)
    monkeypatch.setattr(hubspot_api, "SEARCH_CAP", 25)
    monkeypatch.setattr(hubspot_poll, "SEARCH_CAP", 25)

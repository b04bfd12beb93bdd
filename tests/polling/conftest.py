"""Fixtures for the polling tests: a small hand-built company and the local API server."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import lake_fixtures
import polling_minisim as minisim
from polling_minisim import MID, SOURCES  # noqa: F401

_s3_client, lake = lake_fixtures._s3_client, lake_fixtures.lake  # one session client for every lake


# moto's werkzeug logs every S3 request; thousands of lines slow the tests down.
logging.getLogger("werkzeug").setLevel(logging.WARNING)


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
        return poll_source(
            source, lake=lake, base_url=providers.base_urls[source], credentials=providers.credentials, **kw
        )

    return run


@pytest.fixture(autouse=True)
def small_provider_caps(monkeypatch):
    """Shrink QuickBooks' 1,000-object CDC cap and HubSpot's 10,000-result search cap (on
    both the server and the poller) so the small company exercises the narrowing and
    window-sliding paths in every test."""
    from ledgerlake.sourceapi.providers import hubspot as hubspot_api
    from ledgerlake.sourceapi.providers import qbo as qbo_api
    from ledgerlake.sources.hubspot import poll as hubspot_poll
    from ledgerlake.sources.qbo import poll as qbo_poll

    monkeypatch.setattr(qbo_api, "CDC_CAP", 40)
    monkeypatch.setattr(qbo_poll, "CDC_CAP", 40)
    monkeypatch.setattr(hubspot_api, "SEARCH_CAP", 25)
    monkeypatch.setattr(hubspot_poll, "SEARCH_CAP", 25)

"""Fixtures for the polling tests: a small hand-built company and the local API server."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import minisim  # noqa: E402

SOURCES = ("stripe", "shopify", "hubspot", "qbo", "xero", "plaid")
MID = minisim.START + (minisim.END - minisim.START) / 2


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

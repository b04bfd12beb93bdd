"""Fixtures for the real-world corpus: a lake on the session's S3 server, and the local
provider API server over a directory of corpus records."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import lake_fixtures

_s3_client, lake = lake_fixtures._s3_client, lake_fixtures.lake  # one session client for every lake

logging.getLogger("werkzeug").setLevel(logging.WARNING)


@pytest.fixture
def serve_corpus(monkeypatch):
    """serve_corpus(sim_dir) -> the local provider API server over it, with every
    hydrator's `<SOURCE>_API_BASE_URL` and credentials pointed at it."""
    from ledgerlake.sourceapi import serve_in_thread

    running = []

    def start(sim_dir):
        server = serve_in_thread(sim_dir)
        running.append(server)
        for source, url in server.base_urls.items():
            monkeypatch.setenv(f"{source.upper()}_API_BASE_URL", url)
        for name, value in server.credentials.items():
            monkeypatch.setenv(name, value)
        return server

    yield start
    for server in running:
        server.stop()

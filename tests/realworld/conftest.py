"""Fixtures for the real-world corpus: a lake on the session's S3 server, and the local
provider API server over a directory of corpus records."""

from __future__ import annotations

import logging
import os
import sys
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

logging.getLogger("werkzeug").setLevel(logging.WARNING)


@pytest.fixture(scope="session")
def _s3_client(s3_endpoint):
    from ledgerlake.config import Settings
    from ledgerlake.lake import s3_client

    os.environ["LEDGERLAKE_S3_ENDPOINT"] = s3_endpoint
    return s3_client(Settings.from_env())


@pytest.fixture
def lake(_s3_client, s3_endpoint, monkeypatch, tmp_path):
    """A Lake on fresh, uniquely named buckets, on one shared boto3 client."""
    from ledgerlake.lake import Lake

    suffix = uuid.uuid4().hex[:8]
    monkeypatch.setenv("LEDGERLAKE_S3_ENDPOINT", s3_endpoint)
    monkeypatch.setenv("LEDGERLAKE_RAW_BUCKET", f"raw-{suffix}")
    monkeypatch.setenv("LEDGERLAKE_MARTS_BUCKET", f"marts-{suffix}")
    monkeypatch.setenv("LEDGERLAKE_HOME", str(tmp_path / "home"))
    lake = Lake(client=_s3_client)
    lake.ensure_buckets()
    return lake


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

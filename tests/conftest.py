"""Shared fixtures: an S3 server, the lake on it, and one simulated company per session.

Tests talk to a running S3 server over HTTP (moto's threaded server; the SeaweedFS server
that `make demo` uses is exercised in tests/test_lakeserver.py).
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED_FIXTURES = REPO.parent / "shared" / "fixtures"
ARTIFACTS = REPO / "tests" / "artifacts"

# Isolate every test run from the developer's own settings and local.env.
os.environ["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
os.environ["DO_NOT_TRACK"] = "1"
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing-secret")
os.environ["AWS_REGION"] = "us-east-1"
os.environ["AWS_DEFAULT_REGION"] = "us-east-1"
for name, value in {
    "STRIPE_WEBHOOK_SECRET": "whsec_test_stripe_secret",
    "SHOPIFY_WEBHOOK_SECRET": "shpss_test_shopify_secret",
    "HUBSPOT_CLIENT_SECRET": "test-hubspot-client-secret",
    "QBO_WEBHOOK_VERIFIER_TOKEN": "test-qbo-verifier-token",
    "XERO_WEBHOOK_KEY": "test-xero-webhook-key",
}.items():
    os.environ[name] = value


@pytest.fixture(scope="session")
def s3_endpoint():
    """A moto S3 server on a free port, for the whole session."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    os.environ["LEDGERLAKE_S3_ENDPOINT"] = endpoint
    yield endpoint
    server.stop()


@pytest.fixture
def lake(s3_endpoint, monkeypatch, tmp_path):
    """A Lake on fresh, uniquely named buckets (tests never see each other's objects)."""
    from ledgerlake.lake import Lake

    suffix = uuid.uuid4().hex[:8]
    monkeypatch.setenv("LEDGERLAKE_S3_ENDPOINT", s3_endpoint)
    monkeypatch.setenv("LEDGERLAKE_RAW_BUCKET", f"raw-{suffix}")
    monkeypatch.setenv("LEDGERLAKE_MARTS_BUCKET", f"marts-{suffix}")
    monkeypatch.setenv("LEDGERLAKE_HOME", str(tmp_path / "home"))
    lake = Lake()
    lake.ensure_buckets()
    return lake


@pytest.fixture(scope="session")
def sim_dir(tmp_path_factory) -> Path:
    """The simulated company at scale 1 (seed 7, 18 months), generated once per session."""
    from ledgerlake.simulate import generate

    out = tmp_path_factory.mktemp("sim") / "company"
    generate(out, seed=7, months=18, scale=1.0)
    return out


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS

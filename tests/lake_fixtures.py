"""A `lake` fixture on one boto3 client per session (creating a client costs about a
second; suites that make many lakes share one). Import both names into a conftest:

    import lake_fixtures
    _s3_client, lake = lake_fixtures._s3_client, lake_fixtures.lake
"""

from __future__ import annotations

import os
import uuid

import pytest


@pytest.fixture(scope="session")
def _s3_client(s3_endpoint):
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

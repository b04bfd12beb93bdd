"""The dashboard's fixtures: the simulated company's real warehouse (tests/conftest.py's
`built_company`: landed through the receiver, hydrator and pollers, built by dbt, forecast),
its raw lake for the evidence click-through, and the environment the app reads.

The dashboard gets its own copy of the warehouse (acknowledging an alert mirrors the status
into the file) and its own marts bucket for the alert-state store, so what the tests click
here changes nothing the other areas read.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
APP = REPO / "dashboard" / "app.py"


@pytest.fixture(scope="session")
def dashboard_env(built_company, tmp_path_factory):
    """Sets the variables the app (and a served `ledgerlake dashboard`) reads; returns
    {'env', 'warehouse', 'lake', 'company'}."""
    from ledgerlake.lake import Lake

    home = tmp_path_factory.mktemp("dashboard-home")
    warehouse = home / "warehouse.duckdb"
    shutil.copyfile(built_company["warehouse"], warehouse)
    warehouse.chmod(0o644)
    env = {
        "LEDGERLAKE_S3_ENDPOINT": built_company["env"]["LEDGERLAKE_S3_ENDPOINT"],
        "LEDGERLAKE_RAW_BUCKET": built_company["env"]["LEDGERLAKE_RAW_BUCKET"],  # the raw records behind alerts
        "LEDGERLAKE_MARTS_BUCKET": f"marts-dash-{uuid.uuid4().hex[:8]}",  # its own alert-state store
        "LEDGERLAKE_HOME": str(home),
        "LEDGERLAKE_WAREHOUSE": str(warehouse),
        "LEDGERLAKE_REPORTING_CURRENCY": "USD",
    }
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    lake = Lake()
    lake.ensure_buckets()
    yield {"env": env, "warehouse": warehouse, "lake": lake, "company": built_company}
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture
def marts(dashboard_env):
    from ledgerlake.dashboard_data import Marts

    return Marts()


def run_app(timeout: float = 60):
    """A fresh AppTest of the whole multipage app (caches cleared), first run done (Overview)."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(APP), default_timeout=timeout)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


@pytest.fixture
def app(dashboard_env):
    """A fresh AppTest of the whole multipage app, first run done (Overview)."""
    return run_app()


@pytest.fixture
def fresh_app():
    """`run_app` for tests that set their environment first and then start the app."""
    return run_app

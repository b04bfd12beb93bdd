"""Session fixtures over the simulated company (`sim_dir` comes from tests/conftest.py)."""

from __future__ import annotations

import json

import pytest
from sim_readers import SHARED_FIXTURES, Api


@pytest.fixture(scope="session")
def api(sim_dir) -> Api:
    return Api(sim_dir)


@pytest.fixture(scope="session")
def problems(sim_dir) -> list[dict]:
    return json.loads((sim_dir / "truth" / "problems.json").read_text())["problems"]


@pytest.fixture(scope="session")
def stripe_fixtures() -> dict:
    return json.loads((SHARED_FIXTURES / "stripe" / "fixtures3.json").read_text())["resources"]


@pytest.fixture(scope="session")
def shopify_fixture():
    def load(name: str):
        return json.loads((SHARED_FIXTURES / "shopify" / name).read_text())

    return load

"""Fixtures for the analyst SQL tests (the hand-built ledger marts are in mini_ledger.py)."""

from __future__ import annotations

import pytest
from mini_ledger import MiniLedger, build


@pytest.fixture(scope="session")
def mini_ledger(tmp_path_factory) -> MiniLedger:
    return build(tmp_path_factory.mktemp("ledger") / "warehouse.duckdb")

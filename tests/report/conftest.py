"""Fixtures for the weekly email tests (the hand-built warehouse is in mini_warehouse.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from mini_warehouse import build_mini_warehouse


@pytest.fixture(scope="session")
def mini_warehouse(tmp_path_factory) -> Path:
    return build_mini_warehouse(tmp_path_factory.mktemp("mini") / "warehouse.duckdb")

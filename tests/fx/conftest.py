"""Fixtures for the FX feed tests: the real ECB sample and a simulated ECB served over HTTP."""

from __future__ import annotations

import logging
import random
from datetime import date
from pathlib import Path

import pytest

SAMPLES = Path(__file__).parent / "samples"
REAL_DAILY = SAMPLES / "eurofxref-daily-2024-06-28.xml"  # published by the ECB on Friday 2024-06-28

logging.getLogger("werkzeug").setLevel(logging.WARNING)


@pytest.fixture(scope="session")
def ecb_sim(tmp_path_factory) -> Path:
    """A simulation directory holding only an ECB feed: May–July 2024 from the simulator's walk."""
    from ledgerlake.simulate.fx import FxTable

    sim = tmp_path_factory.mktemp("ecb-sim")
    FxTable(random.Random(3), date(2024, 5, 1), date(2024, 7, 31)).write_ecb(
        sim / "reference" / "ecb" / "eurofxref-hist.xml"
    )
    return sim

"""`ledgerlake simulate`: Northwind, a simulated two-entity company, in each provider's wire format.

See docs/simulated-company.md for the company, the planted problems, the ground-truth
files and the id conventions the rest of the pipeline relies on.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path

__all__ = ["generate"]


def generate(
    out: Path,
    seed: int = 42,
    months: int = 18,
    scale: float = 1.0,
    start: date = date(2025, 5, 1),
    fiscal_year_start_month: int = 4,
    on_day: Callable[[date], None] | None = None,
) -> Path:
    """Write the simulated company into `out` (replacing what a previous run left there).

    Deterministic: the same arguments give byte-identical files. `on_day` is called after
    each simulated day is written (progress reporting).
    """
    from .engine import Simulation

    if months < 1:
        raise ValueError("months must be at least 1")
    if scale <= 0:
        raise ValueError("scale must be positive")
    if not 1 <= fiscal_year_start_month <= 12:
        raise ValueError("fiscal_year_start_month must be 1..12")
    out = Path(out)
    for sub in ("webhooks", "api", "truth", "reference"):
        if (out / sub).exists():
            shutil.rmtree(out / sub)
    out.mkdir(parents=True, exist_ok=True)
    return Simulation(out, seed, months, scale, start, fiscal_year_start_month, on_day).run()

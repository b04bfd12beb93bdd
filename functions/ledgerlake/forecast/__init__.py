"""The 13-week cash forecast: known flows, expected flows and a Prophet statistical part,
with a rolling-origin backtest that calibrates its own interval (see docs/forecast.md).

In-process entry point: `run_forecast(...)` (for `ledgerlake run`, the CLI and the Lambda).
"""

from __future__ import annotations


def run_forecast(*args, **kwargs):
    """See `ledgerlake.forecast.run.run_forecast` (imported lazily: Prophet is heavy)."""
    from .run import run_forecast as _run

    return _run(*args, **kwargs)


__all__ = ["run_forecast"]

"""Forecaster Lambda (container image: Prophet and its Stan binary do not fit a zip).

Invoked after each transform (EventBridge / Step Functions, or directly). Reads the marts
(the warehouse file when the event names one, else the published Parquet on S3), writes
the forecast marts as Parquet, and keeps alert state on S3. Event (all optional):
`{"as_of": "YYYY-MM-DD", "origins": 8, "step": 14, "warehouse": "/tmp/warehouse.duckdb"}`.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from aws_lambda_powertools import Logger

logger = Logger(service="ledgerlake-forecaster")


@logger.inject_lambda_context
def handler(event, context):
    from ..forecast import run_forecast

    event = event or {}
    warehouse = Path(event.get("warehouse") or "/tmp/ledgerlake/warehouse.duckdb")
    result = run_forecast(
        warehouse=warehouse,
        as_of=date.fromisoformat(event["as_of"]) if event.get("as_of") else None,
        n_origins=int(event.get("origins", 8)),
        step=int(event.get("step", 14)),
    )
    summary = {
        "as_of": str(result.cash_forecast_daily["as_of"][0]) if result.cash_forecast_daily.height else None,
        "fits": result.fits,
        "seconds": round(result.seconds, 1),
        "alerts": len(result.alerts),
        "published": result.published,
        "missing": result.missing,
    }
    logger.info("forecast done", extra=summary)
    return summary

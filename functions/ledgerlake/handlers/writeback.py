"""Write-back Lambda: invoked after each transform (EventBridge rule on the transform's
success, or directly). Reads the published marts (or the warehouse the event names),
proposes, and writes what `LEDGERLAKE_WRITEBACK_MODES` allows; the only function with the
providers' write scopes. Event (all optional): `{"warehouse": "/tmp/…/warehouse.duckdb",
"max_writes": 200}`.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger

logger = Logger(service="ledgerlake-writeback")


@logger.inject_lambda_context
def handler(event, context):
    from pathlib import Path

    from ..workflows import run_writeback

    event = event if isinstance(event, dict) else {}
    detail = event.get("detail") if isinstance(event.get("detail"), dict) else {}
    warehouse = event.get("warehouse") or detail.get("warehouse")
    remaining = context.get_remaining_time_in_millis() / 1000 - 20 if context is not None else None
    summary = run_writeback(
        warehouse=Path(warehouse) if warehouse else None, max_writes=event.get("max_writes"), budget_seconds=remaining
    )
    body = summary.to_json()
    logger.info("write-back done", extra=body)
    return body

"""Categoriser Lambda: invoked after each write-back run, which runs after each forecast,
which runs after each successful transform (Lambda destinations). Reads the published
marts (bank_coded_history, bank_unmatched) and the people's corrections in the lake,
suggests an account — and the tax code, class and department where the entity uses them —
for every unexplained bank line, and lands the run under
raw/source=ledgerlake/entity=coding_suggestions/; the next transform publishes them in
bank_unmatched and the coding KPIs. A run with the same suggestions lands nothing.
Event (all optional): `{"warehouse": "/tmp/…/warehouse.duckdb"}`.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger

logger = Logger(service="ledgerlake-categoriser")


@logger.inject_lambda_context
def handler(event, context):
    from pathlib import Path

    from ..categorise.run import run_categoriser

    event = event if isinstance(event, dict) else {}
    warehouse = event.get("warehouse")
    run = run_categoriser(Path(warehouse) if warehouse else Path("/nonexistent/warehouse.duckdb"))
    body = {
        "suggestions": len(run.suggestions),
        "by_status": run.counts(),
        "thresholds": run.thresholds,
        "landed_key": run.landed_key,
        "landed_new": run.created,
    }
    logger.info("categoriser done", extra=body)
    return body

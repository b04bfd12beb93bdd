"""Poller Lambda: an EventBridge schedule per source sends `{"source": "stripe"}`.

The run stops cleanly before Lambda's own timeout (its budget is the remaining time
minus a margin) and resumes from the saved cursors on the next schedule.
Imports stay light: urllib3 and boto3, no dataframe libraries.
"""

from __future__ import annotations

import json
import logging

from ..polling import poll_source

log = logging.getLogger(__name__)
SAFETY_MARGIN_S = 20.0


def handler(event, context):
    source = (event or {}).get("source") or (event or {}).get("detail", {}).get("source")
    if not source:
        raise ValueError('the schedule must send {"source": "<provider>"}')
    remaining = context.get_remaining_time_in_millis() / 1000.0 if context else 600.0
    result = poll_source(source, budget_seconds=max(1.0, remaining - SAFETY_MARGIN_S))
    summary = {
        "source": source,
        "complete": result.complete,
        "stopped": result.stopped,
        "records": result.records,
        "pages_landed": result.pages_landed,
        "http": result.http,
        "seconds": round(result.seconds, 2),
    }
    log.info(json.dumps(summary))
    if source == "ecb":
        _fx_freshness_metric(summary)
    return summary


def _fx_freshness_metric(summary: dict) -> None:
    """FX staleness for CloudWatch: the newest landed rate's age in TARGET business days."""
    from datetime import datetime, timezone

    from ..lake import Lake
    from ..polling.cursors import CursorStore
    from ..sources.ecb.poll import age_business_days, emf_line, latest_rate_day

    now = datetime.now(timezone.utc)
    latest = latest_rate_day(CursorStore(Lake()))
    summary["fx_rate_age_business_days"] = age_business_days(latest, now.date())
    print(emf_line(summary["fx_rate_age_business_days"], latest, now), flush=True)

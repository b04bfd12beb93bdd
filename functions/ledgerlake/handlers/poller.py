"""Poller Lambda: an EventBridge schedule per source sends `{"source": "stripe"}`.

The run stops cleanly before Lambda's own timeout (its budget is the remaining time
minus a margin) and resumes from the saved cursors on the next schedule.
Imports stay light: urllib3 and boto3, no dataframe libraries.
"""

from __future__ import annotations

from datetime import UTC

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.metrics.functions import is_metrics_disabled

from ..polling import poll_source

logger = Logger(service="ledgerlake-poller")
metrics = Metrics(namespace="ledgerlake", service="poller")
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
        "error": result.error,  # e.g. the connection needs `ledgerlake connect` again
        "records": result.records,
        "pages_landed": result.pages_landed,
        "http": result.http,
        "seconds": round(result.seconds, 2),
    }
    logger.info("polled", extra=summary)  # one structured line, like the receiver's and hydrator's
    _emit_metrics(source, result)
    if source == "ecb":
        _fx_freshness_metric(summary)
    return summary


def _emit_metrics(source: str, result) -> None:
    """ObjectsCreated: pages this run wrote (a page landed before, same request and same
    answer, writes nothing and counts nothing). The source's stale-data alarm sums it
    with the receiver's EventsLanded (template.yaml)."""
    if is_metrics_disabled():
        return
    metrics.add_dimension("source", source)
    metrics.add_metric(name="ObjectsCreated", unit=MetricUnit.Count, value=result.pages_landed)
    metrics.add_metric(name="RecordsPolled", unit=MetricUnit.Count, value=result.records)
    metrics.flush_metrics()


def _fx_freshness_metric(summary: dict) -> None:
    """FX staleness for CloudWatch: the newest landed rate's age in TARGET business days."""
    from datetime import datetime

    from ..lake import Lake
    from ..polling.cursors import CursorStore
    from ..sources.ecb.poll import age_business_days, emf_line, latest_rate_day

    now = datetime.now(UTC)
    latest = latest_rate_day(CursorStore(Lake()))
    summary["fx_rate_age_business_days"] = age_business_days(latest, now.date())
    print(emf_line(summary["fx_rate_age_business_days"], latest, now), flush=True)

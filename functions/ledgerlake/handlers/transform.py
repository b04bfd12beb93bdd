"""Lambda entry for the transform (container image: dbt + DuckDB + the dbt project).

Event (all optional): {"full_refresh": false, "recompact": false, "select": ["marts.ledger+"]}.
LEDGERLAKE_HOME defaults to /tmp here (the only writable place in Lambda); the durable
output is the marts' Parquet copy on S3.
"""

from __future__ import annotations

import os


def handler(event, context):
    os.environ.setdefault("LEDGERLAKE_HOME", "/tmp/ledgerlake")
    from ledgerlake.transform import build

    event = event or {}
    result = build(
        full_refresh=bool(event.get("full_refresh", False)),
        recompact=bool(event.get("recompact", False)),
        select=event.get("select") or None,
        stream=None,
    )
    body = {
        "success": result.success,
        "seconds": round(result.seconds, 2),
        "new_raw_objects": result.new_raw_objects,
        "total_raw_objects": result.total_raw_objects,
        "models": result.models,
        "tests": result.tests,
        "marts_published": result.exported,
        "failures": result.failures[:50],
    }
    if not result.success:
        # Fail the invocation so the schedule's retry/alarm sees it.
        raise RuntimeError(f"transform failed: {body}")
    return body

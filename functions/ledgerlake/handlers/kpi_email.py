"""Lambda entry for the weekly KPI email (EventBridge Scheduler, Mondays, in the report timezone).

Event (all optional): {"as_of": "YYYY-MM-DD", "dry_run": false}. An EventBridge rule event's
`time` is honoured too. Without either, "today" in LEDGERLAKE_REPORT_TIMEZONE decides the
week. The marts come from the warehouse file when this container has one, else the
published Parquet marts on S3 (ledgerlake.analyst.connect).
"""

from __future__ import annotations

import os
from datetime import date, datetime


def _as_of(event: dict, settings) -> date | None:
    if event.get("as_of"):
        return date.fromisoformat(event["as_of"])
    if event.get("time"):  # EventBridge rule events carry the scheduled time in UTC
        return settings.today(datetime.fromisoformat(event["time"].replace("Z", "+00:00")))
    return None


def handler(event, context):
    # Lambda's only writable place is /tmp: DuckDB's extension dir and matplotlib's cache go there.
    os.environ.setdefault("LEDGERLAKE_HOME", "/tmp/ledgerlake")
    os.environ.setdefault("HOME", "/tmp")
    os.environ.setdefault("MPLCONFIGDIR", "/tmp/matplotlib")
    from ledgerlake.report import weekly_email
    from ledgerlake.report.send import send
    from ledgerlake.report.settings import ReportSettings

    event = event or {}
    settings = ReportSettings.from_env()
    settings.require_delivery()
    email = weekly_email(as_of=_as_of(event, settings), settings=settings)
    body = {
        "week_start": email.report.week_start.isoformat(),
        "subject": email.rendered.subject,
        "recipients": len(settings.recipients),
        "alerts": len(email.report.alerts),
        "bytes": len(email.message.as_bytes()),
    }
    if event.get("dry_run"):
        return {**body, "sent": False}
    return {**body, "sent": True, "message_id": send(email.message, settings)}

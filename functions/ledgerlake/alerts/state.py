"""Alert state (new / acknowledged / resolved) that survives rebuilds.

The alerts table is rebuilt from scratch on every forecast run, and the warehouse file
itself is swapped or recreated by full refreshes, so what a person decided about an alert
cannot live there. It lives in one small JSON document keyed by the stable alert id
(`s3://{marts bucket}/state/alerts/alert_state.json`), read before every rebuild and
joined in. The document also keeps each alert's first-seen time, so `first_seen` does not
move when the marts are rebuilt, and an audit trail of every status change.

Writes are read-modify-write of one object: fine for a CFO's team acknowledging alerts by
hand and one forecaster run at a time (the forecaster Lambda has reserved concurrency 1).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

STATUSES = ("new", "acknowledged", "resolved")
STATE_KEY = "state/alerts/alert_state.json"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class S3Backend:
    def __init__(self, s3, bucket: str, key: str = STATE_KEY):
        self.s3, self.bucket, self.key = s3, bucket, key

    def read(self) -> dict[str, Any] | None:
        try:
            body = self.s3.get_object(Bucket=self.bucket, Key=self.key)["Body"].read()
        except self.s3.exceptions.NoSuchKey:
            return None
        return json.loads(body)

    def write(self, doc: dict[str, Any]) -> None:
        self.s3.put_object(
            Bucket=self.bucket,
            Key=self.key,
            Body=json.dumps(doc, indent=1, sort_keys=True).encode(),
            ContentType="application/json",
        )

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


class FileBackend:
    def __init__(self, path: Path):
        self.path = Path(path)

    def read(self) -> dict[str, Any] | None:
        return json.loads(self.path.read_text()) if self.path.exists() else None

    def write(self, doc: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(doc, indent=1, sort_keys=True))
        tmp.replace(self.path)

    def __str__(self) -> str:
        return str(self.path)


class AlertState:
    """The decisions about alerts, by alert id."""

    def __init__(self, backend):
        self.backend = backend
        doc = backend.read() or {"alerts": {}}
        self.alerts: dict[str, dict[str, Any]] = doc["alerts"]

    @classmethod
    def default(cls, settings=None) -> AlertState:
        from ..config import Settings
        from ..lake import s3_client

        settings = settings or Settings.from_env()
        return cls(S3Backend(s3_client(settings), settings.marts_bucket))

    def save(self) -> None:
        self.backend.write({"alerts": self.alerts})

    def observe(self, alert_ids: Iterable[str], seen_at: str | None = None) -> None:
        """Record first sight of alerts (status `new`); known ones keep their state."""
        seen_at = seen_at or _now()
        for aid in alert_ids:
            entry = self.alerts.setdefault(aid, {"status": "new", "first_seen": seen_at, "history": []})
            entry["last_seen"] = seen_at

    def status(self, alert_id: str) -> str:
        return self.alerts.get(alert_id, {}).get("status", "new")

    def first_seen(self, alert_id: str) -> str | None:
        return self.alerts.get(alert_id, {}).get("first_seen")

    def set_status(self, alert_id: str, status: str, by: str = "cli", note: str = "") -> dict[str, Any]:
        if status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}")
        if alert_id not in self.alerts:
            raise KeyError(f"unknown alert {alert_id} (run the forecast first, or check the id)")
        entry = self.alerts[alert_id]
        entry["history"].append({"at": _now(), "from": entry["status"], "to": status, "by": by, "note": note})
        entry["status"] = status
        return entry

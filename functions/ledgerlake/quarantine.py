"""Quarantined records: what the build set aside, and an operator's releases.

The build decides what is quarantined, from raw, on every run (marts.quarantine_records:
a record that cannot be staged, a ledger document that cannot be posted). Nothing is
ever deleted or moved: raw keeps the record, and the first build after its cause is fixed
(the account arrives in the chart, the rate in the FX file, the tenant in
seeds/source_tenants.csv, a corrected record is delivered again) stages it like any other.

A *release* is the operator saying "I fixed this; take it again":

* it is recorded, with who, when and why, in one small JSON document beside raw
  (`s3://{raw bucket}/state/quarantine/releases.json`), an audit trail that survives
  every rebuild;
* it is an input of the build (transform.runner.inputs_fingerprint reads its ETag), so
  the next `ledgerlake build` runs dbt even when no raw object changed — a fix that
  lives outside raw (a seed row, the FX file) is picked up;
* after that build a released record that still fails is listed as `released, still
  failing` (the fix did not take); one that flowed is no longer in quarantine_records and
  its release is shown as `flowed` in the history.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RELEASES_KEY = "state/quarantine/releases.json"

COLUMNS = (
    "quarantine_key",
    "source_system",
    "tenant_id",
    "entity_id",
    "entity",
    "source_id",
    "raw_key",
    "reason_code",
    "reason",
    "stage",
)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def read_quarantine(warehouse: Path, source: str | None = None) -> list[dict[str, Any]]:
    """marts.quarantine_records as dicts (newest build's findings), optionally one source's."""
    import duckdb

    conn = duckdb.connect(str(warehouse), read_only=True)
    try:
        sql = f"select {', '.join(COLUMNS)} from marts.quarantine_records"
        params: list[Any] = []
        if source:
            sql += " where source_system = ?"
            params.append(source)
        rows = conn.execute(sql + " order by source_system, entity, reason, raw_key", params).fetchall()
    finally:
        conn.close()
    return [dict(zip(COLUMNS, row)) for row in rows]


def counts_by_source(rows: list[dict[str, Any]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for row in rows:
        out[row["source_system"]] = out.get(row["source_system"], 0) + 1
    return out


@dataclass
class Releases:
    """The operator's releases, by quarantine key (s3://{raw}/state/quarantine/releases.json)."""

    s3: Any
    bucket: str
    doc: dict[str, Any]

    @classmethod
    def load(cls, s3, bucket: str) -> Releases:
        try:
            body = s3.get_object(Bucket=bucket, Key=RELEASES_KEY)["Body"].read()
            doc = json.loads(body)
        except s3.exceptions.NoSuchKey:
            doc = {}
        doc.setdefault("releases", {})
        return cls(s3, bucket, doc)

    @classmethod
    def default(cls, settings=None) -> Releases:
        from .config import Settings
        from .lake import s3_client

        settings = settings or Settings.from_env()
        return cls.load(s3_client(settings), settings.raw_bucket)

    def get(self, key: str) -> dict[str, Any] | None:
        return self.doc["releases"].get(key)

    def release(self, row: dict[str, Any], by: str, note: str = "") -> dict[str, Any]:
        """Record a release of one quarantined record (idempotent: a second release of the
        same key adds to its history, it does not duplicate it)."""
        entry = self.doc["releases"].setdefault(
            row["quarantine_key"],
            {
                "source_system": row["source_system"],
                "entity": row["entity"],
                "source_id": row["source_id"],
                "raw_key": row["raw_key"],
                "reason": row["reason"],
                "history": [],
            },
        )
        entry["released_at"] = _now()
        entry["released_by"] = by
        entry["note"] = note
        entry["history"].append({"at": entry["released_at"], "by": by, "note": note})
        self.s3.put_object(
            Bucket=self.bucket,
            Key=RELEASES_KEY,
            ContentType="application/json",
            Body=json.dumps(self.doc, indent=1, sort_keys=True).encode(),
        )
        return entry

    def status(self, key: str, still_quarantined: bool) -> str:
        if self.get(key) is None:
            return "quarantined"
        return "released, still failing" if still_quarantined else "flowed"

    def flowed(self, current_keys: set[str]) -> list[tuple[str, dict[str, Any]]]:
        """Released records no longer in quarantine: they flowed on a later build."""
        return [(k, v) for k, v in sorted(self.doc["releases"].items()) if k not in current_keys]


def find(rows: list[dict[str, Any]], key: str) -> dict[str, Any]:
    """The row whose quarantine key is `key` or starts with it (an unambiguous prefix)."""
    matches = [r for r in rows if r["quarantine_key"] == key] or [
        r for r in rows if r["quarantine_key"].startswith(key)
    ]
    if not matches:
        raise KeyError(f"no quarantined record {key!r} (run `ledgerlake quarantine list`)")
    if len(matches) > 1:
        raise KeyError(f"{key!r} is ambiguous: {len(matches)} records start with it")
    return matches[0]

"""`dbt source freshness` over the raw lake, kept as a table the Integration health page reads.

Every provider is a dbt source (transforms/models/staging/<provider>/_<source>__sources.yml)
whose tables are the compacted entity partitions, `loaded_at_field` the time ledgerlake
received each object. The entity a working connection keeps landing carries a freshness
policy (warn / error after so many hours). After each build (and each skipped build: time
passes even when nothing lands) the check runs against the warehouse and its results become
`ops.source_freshness`, one row per checked source table, published beside the marts.
"""

from __future__ import annotations

import json
import logging
import tempfile
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from ..config import Settings

log = logging.getLogger(__name__)

TABLE = "ops.source_freshness"
_PERIOD_HOURS = {"minute": Decimal(1) / 60, "hour": Decimal(1), "day": Decimal(24)}
_COLUMNS = (
    ("source_freshness_key", "varchar"),
    ("source_system", "varchar"),
    ("entity", "varchar"),
    ("status", "varchar"),
    ("max_loaded_at", "timestamptz"),
    ("snapshotted_at", "timestamptz"),
    ("hours_since_loaded", "decimal(18, 2)"),
    ("warn_after_hours", "decimal(18, 2)"),
    ("error_after_hours", "decimal(18, 2)"),
    ("error", "varchar"),
)


def _hours(rule: dict | None) -> Decimal | None:
    if not rule or rule.get("count") is None or rule.get("period") is None:
        return None
    return Decimal(rule["count"]) * _PERIOD_HOURS[rule["period"]]


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def parse_results(document: dict) -> list[dict]:
    """dbt's sources.json → one row per source table checked, oldest problem first.

    `status` is dbt's: pass, warn, error (older than the thresholds) or runtime error (the
    check itself failed; `error` says why)."""
    rows = []
    for result in document.get("results", []):
        # unique_id: source.<project>.<source>.<table>
        _, _, source, entity = result["unique_id"].split(".", 3)
        criteria = result.get("criteria") or {}
        age = result.get("max_loaded_at_time_ago_in_s")
        failed = result.get("status") == "runtime error"
        rows.append(
            {
                "source_freshness_key": f"{source}.{entity}",
                "source_system": source,
                "entity": entity,
                "status": result.get("status"),
                "max_loaded_at": _moment(result.get("max_loaded_at")),
                "snapshotted_at": _moment(result.get("snapshotted_at")),
                "hours_since_loaded": None if age is None else round(Decimal(str(age)) / 3600, 2),
                "warn_after_hours": _hours(criteria.get("warn_after")),
                "error_after_hours": _hours(criteria.get("error_after")),
                "error": (result.get("error") or result.get("message")) if failed else None,
            }
        )
    order = {"runtime error": 0, "error": 1, "warn": 2, "pass": 3}
    return sorted(rows, key=lambda r: (order.get(r["status"], 0), r["source_freshness_key"]))


def write_table(warehouse: Path, rows: list[dict]) -> None:
    """Replace ops.source_freshness in the warehouse with `rows`."""
    import duckdb

    conn = duckdb.connect(str(warehouse))
    try:
        conn.execute("create schema if not exists ops")
        conn.execute(f"create or replace table {TABLE} ({', '.join(f'{n} {t}' for n, t in _COLUMNS)})")
        if rows:
            conn.executemany(
                f"insert into {TABLE} values ({', '.join('?' for _ in _COLUMNS)})",
                [[row[n] for n, _ in _COLUMNS] for row in rows],
            )
    finally:
        conn.close()


def check(settings: Settings, warehouse: Path) -> list[dict]:
    """Run `dbt source freshness` against `warehouse` and write its results there.

    A stale source is a finding, not a failed build: the rows say it. Only a check that
    could not run at all raises (the caller logs it and keeps the build)."""
    from .runner import run_dbt

    with tempfile.TemporaryDirectory(prefix="ledgerlake-freshness-") as tmp:
        output = Path(tmp) / "sources.json"
        run_dbt(["source", "freshness", "--output", str(output)], settings, warehouse, stream=None)
        if not output.exists():
            raise RuntimeError("dbt source freshness wrote no results (see the dbt log)")
        rows = parse_results(json.loads(output.read_text()))
    write_table(warehouse, rows)
    stale = [f"{r['source_freshness_key']} {r['status']}" for r in rows if r["status"] != "pass"]
    if stale:
        log.warning("source freshness: %s", ", ".join(stale))
    return rows

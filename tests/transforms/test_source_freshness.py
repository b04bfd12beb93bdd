"""The raw lake as dbt sources: every compacted entity is declared, and `dbt source
freshness`'s results become the rows Integration health shows (the run itself on the
simulated company's lake: tests/transforms/test_new_marts.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import yaml

from ledgerlake.transform.compact import KNOWN_ENTITIES
from ledgerlake.transform.freshness import parse_results

STAGING = Path(__file__).resolve().parents[2] / "transforms" / "models" / "staging"


def _declared() -> dict[str, set[str]]:
    declared: dict[str, set[str]] = {}
    for path in STAGING.glob("*/_*__sources.yml"):
        for source in yaml.safe_load(path.read_text())["sources"]:
            declared.setdefault(source["name"], set()).update(t["name"] for t in source["tables"])
    return declared


def test_every_compacted_entity_is_a_dbt_source_table():
    """One list of raw entities (compact.KNOWN_ENTITIES): a new entity without its source
    table, or a source table nothing compacts, fails here rather than at build time."""
    assert _declared() == {source: set(entities) for source, entities in KNOWN_ENTITIES.items()}


def test_staging_reads_the_lake_only_through_sources():
    models = Path(__file__).resolve().parents[2] / "transforms"
    offenders = [
        str(p.relative_to(models))
        for p in [*models.glob("models/**/*.sql"), *models.glob("macros/*.sql")]
        if "read_parquet(" in p.read_text() or "raw_objects(" in p.read_text()
    ]
    assert offenders == []


def test_freshness_results_become_rows_with_hours_and_problems_first():
    document = {
        "results": [
            {
                "unique_id": "source.ledgerlake.stripe.events",
                "status": "pass",
                "max_loaded_at": "2026-03-01T10:00:00+00:00",
                "snapshotted_at": "2026-03-01T12:30:00+00:00",
                "max_loaded_at_time_ago_in_s": 9000.0,
                "criteria": {
                    "warn_after": {"count": 12, "period": "hour"},
                    "error_after": {"count": 2, "period": "day"},
                },
            },
            {
                "unique_id": "source.ledgerlake.xero.invoices",
                "status": "error",
                "max_loaded_at": "2026-02-20T00:00:00Z",
                "snapshotted_at": "2026-03-01T12:30:00Z",
                "max_loaded_at_time_ago_in_s": 822600.0,
                "criteria": {
                    "warn_after": {"count": 24, "period": "hour"},
                    "error_after": {"count": 72, "period": "hour"},
                },
            },
            {
                "unique_id": "source.ledgerlake.plaid.transactions_sync",
                "status": "runtime error",
                "error": "IO Error: No files found that match the pattern",
            },
        ]
    }
    rows = parse_results(document)
    assert [r["source_freshness_key"] for r in rows] == ["plaid.transactions_sync", "xero.invoices", "stripe.events"]
    failed, stale, fresh = rows
    assert failed["status"] == "runtime error" and "No files found" in failed["error"]
    assert failed["max_loaded_at"] is None and failed["hours_since_loaded"] is None
    assert stale["hours_since_loaded"] == Decimal("228.50") and stale["error_after_hours"] == 72
    assert stale["max_loaded_at"] == datetime(2026, 2, 20, tzinfo=UTC)
    assert fresh["hours_since_loaded"] == Decimal("2.50")
    assert (fresh["warn_after_hours"], fresh["error_after_hours"]) == (12, 48)
    assert fresh["error"] is None

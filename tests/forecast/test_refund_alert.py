"""integrity_refunds_missing_from_ledger rows → refund_not_in_ledger alerts, on hand-built
mart frames: what becomes one alert, its amount, severity, stable id and evidence."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import polars as pl

from ledgerlake.alerts.integrity import INTEGRITY_MARTS, integrity_alerts, refunds_not_in_ledger
from ledgerlake.alerts.rules import AlertConfig
from ledgerlake.alerts.score import cited_ids, score

CONFIG = AlertConfig()
AS_OF = date(2025, 10, 1)
_SCHEMA = {
    "refund_key": pl.Utf8,
    "source_system": pl.Utf8,
    "entity_id": pl.Utf8,
    "refund_id": pl.Utf8,
    "parent_id": pl.Utf8,
    "refunded_on": pl.Date,
    "currency": pl.Utf8,
    "amount": pl.Decimal(38, 6),
    "day_refunded": pl.Decimal(38, 6),
    "day_booked": pl.Decimal(38, 6),
    "day_shortfall": pl.Decimal(38, 6),
    "match_basis": pl.Utf8,
    "days_since_refund": pl.Int64,
    "source_id": pl.Utf8,
    "raw_key": pl.Utf8,
}


def mart(*rows: tuple) -> pl.DataFrame:
    """rows: (source_system, refund_id, parent_id, day, amount, day_refunded, day_booked, match_basis)."""
    return pl.DataFrame(
        [
            {
                "refund_key": f"{system}:{rid}",
                "source_system": system,
                "entity_id": "US" if system == "stripe" else "UK",
                "refund_id": rid,
                "parent_id": parent,
                "refunded_on": day,
                "currency": "USD" if system == "stripe" else "GBP",
                "amount": Decimal(amount),
                "day_refunded": Decimal(refunded),
                "day_booked": Decimal(booked),
                "day_shortfall": Decimal(refunded) - Decimal(booked),
                "match_basis": basis,
                "days_since_refund": (AS_OF - day).days,
                "source_id": rid,
                "raw_key": f"raw/source={system}/entity=events/date={day}/webhook-{rid}.json",
            }
            for system, rid, parent, day, amount, refunded, booked, basis in rows
        ],
        schema=_SCHEMA,
    )


def test_a_pinned_down_refund_is_one_alert_for_its_amount_with_lineage():
    frame = mart(("stripe", "re_MISSING", "ch_PARENT", date(2025, 7, 27), "199.00", "398.00", "199.00", "exact_amount"))
    [alert] = refunds_not_in_ledger(frame, CONFIG, AS_OF)
    assert alert.type == "refund_not_in_ledger"
    assert (alert.entity, alert.currency, alert.amount, alert.occurred_on) == (
        "US",
        "USD",
        Decimal("199.00"),
        date(2025, 7, 27),
    )
    assert alert.severity == "low"  # below the 1,000 medium threshold
    assert "re_MISSING" in alert.title and "$199.00 of $398.00" in alert.title
    refund, parent = alert.evidence
    assert (refund.role, refund.source_system, refund.source_id, refund.record_type) == (
        "refund",
        "stripe",
        "re_MISSING",
        "refund",
    )
    assert refund.raw_key.startswith("raw/source=stripe/") and refund.amount == Decimal("199.00")
    assert (parent.role, parent.source_id) == ("charge", "ch_PARENT")
    assert alert.metrics["day_shortfall"] == "199.00" and alert.metrics["match_basis"] == "exact_amount"


def test_a_short_day_no_single_refund_explains_is_one_alert_for_the_shortfall():
    day = date(2025, 8, 3)
    frame = mart(
        ("shopify", "5001", "9001", day, "40.00", "100.00", "30.00", "day_shortfall"),
        ("shopify", "5002", "9002", day, "60.00", "100.00", "30.00", "day_shortfall"),
        ("stripe", "re_OTHER", "ch_X", day, "2500.00", "2500.00", "0.00", "exact_amount"),
    )
    alerts = {a.entity: a for a in refunds_not_in_ledger(frame, CONFIG, AS_OF)}
    assert len(alerts) == 2
    uk = alerts["UK"]
    # the money at stake is what the ledger misses that day, not the sum of the suspects
    assert (uk.amount, uk.currency, uk.severity) == (Decimal("70.00"), "GBP", "low")
    assert sorted(e.source_id for e in uk.evidence if e.role == "refund") == ["5001", "5002"]
    assert {e.role for e in uk.evidence} == {"refund", "order"}
    assert alerts["US"].severity == "medium"


def test_alert_ids_are_stable_across_rebuilds_and_differ_per_refund():
    rows = [
        ("stripe", "re_A", "ch_A", date(2025, 7, 1), "50.00", "50.00", "0.00", "exact_amount"),
        ("stripe", "re_B", "ch_B", date(2025, 7, 2), "50.00", "50.00", "0.00", "exact_amount"),
    ]
    first = [a.alert_id for a in refunds_not_in_ledger(mart(*rows), CONFIG, AS_OF)]
    again = [a.alert_id for a in refunds_not_in_ledger(mart(*reversed(rows)), CONFIG, AS_OF)]
    assert sorted(first) == sorted(again) and len(set(first)) == 2


def test_the_mart_feeds_integrity_alerts_and_scores_against_the_planted_refund():
    frame = mart(("stripe", "re_PLANTED", "ch_P", date(2025, 7, 27), "199.00", "199.00", "0.00", "exact_amount"))
    assert "integrity_refunds_missing_from_ledger" in INTEGRITY_MARTS
    alerts = integrity_alerts({"integrity_refunds_missing_from_ledger": frame}, CONFIG, {}, AS_OF)
    assert [a.type for a in alerts] == ["refund_not_in_ledger"]
    problems = [
        {
            "id": "P006",
            "kind": "refund_missing_from_ledger",
            "records": [
                {"source": "stripe", "resource": "refunds", "raw_entity": "events", "id": "re_PLANTED"},
                {"source": "stripe", "resource": "charges", "raw_entity": "events", "id": "ch_P"},
            ],
        }
    ]
    scores, unmapped = score([cited_ids(a) for a in alerts], problems)
    [s] = scores
    assert (s.alert_type, s.planted, s.found, s.alerts, s.true_alerts) == ("refund_not_in_ledger", 1, 1, 1, 1)
    assert unmapped == []
    # an empty mart raises nothing
    assert integrity_alerts({"integrity_refunds_missing_from_ledger": mart()}, CONFIG, {}, AS_OF) == []


def test_an_empty_integrity_mart_loads_as_an_empty_frame(tmp_path):
    """The usual case is no refund missing: the forecaster's loader must read the empty mart."""
    import duckdb

    from ledgerlake.forecast.marts import _Reader

    conn = duckdb.connect(str(tmp_path / "w.duckdb"))
    conn.execute("create schema marts")
    conn.execute("create table marts.integrity_refunds_missing_from_ledger (refund_key varchar, amount decimal(38, 6))")
    frame = _Reader(conn).frame(
        "select * from marts.integrity_refunds_missing_from_ledger",
        ("marts.integrity_refunds_missing_from_ledger",),
        "refunds",
    )
    conn.close()
    assert frame is not None and frame.is_empty() and frame.columns == ["refund_key", "amount"]
    assert integrity_alerts({"integrity_refunds_missing_from_ledger": frame}, CONFIG, {}, AS_OF) == []

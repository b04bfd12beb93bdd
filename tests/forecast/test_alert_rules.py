"""The alert rules on hand-built cases: what must alert, and what must not."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
import yaml

from ledgerlake.alerts.identities import vendor_keys, with_vendor_keys
from ledgerlake.alerts.rules import (
    AlertConfig,
    all_payment_alerts,
    duplicate_payments,
    near_identical_invoices,
    new_vendor_large_payments,
    runway,
    unusual_vendor_charges,
)
from ledgerlake.alerts.vendors import typo_families

CONFIG = AlertConfig()
REPO = Path(__file__).resolve().parents[2]
_SCHEMA = {
    "entity": pl.Utf8,
    "currency": pl.Utf8,
    "source_system": pl.Utf8,
    "source_id": pl.Utf8,
    "raw_key": pl.Utf8,
    "record_type": pl.Utf8,
    "vendor_name": pl.Utf8,
    "paid_on": pl.Date,
    "amount": pl.Decimal(18, 2),
    "invoice_number": pl.Utf8,
}


def payments(*rows: tuple) -> pl.DataFrame:
    """rows: (source_id, vendor_name, paid_on, amount, invoice_number); vendors keyed by the
    marts' rule, as for any frame built without marts."""
    return with_vendor_keys(raw_payments(*rows))


def raw_payments(*rows: tuple) -> pl.DataFrame:
    """The same payments without their vendor_key."""
    return pl.DataFrame(
        [
            {
                "entity": "us",
                "currency": "USD",
                "source_system": "qbo",
                "source_id": sid,
                "raw_key": f"raw/source=qbo/entity=cdc/date={day}/poll-x.json",
                "record_type": "BillPayment",
                "vendor_name": vendor,
                "paid_on": day,
                "amount": Decimal(amount),
                "invoice_number": inv,
            }
            for sid, vendor, day, amount, inv in rows
        ],
        schema=_SCHEMA,
    )


def monthly(vendor: str, amounts: list[str], start=date(2024, 1, 15), prefix="p", invoices=True) -> list[tuple]:
    return [
        (f"{prefix}{i}", vendor, start + timedelta(days=30 * i), a, f"INV-{1040 + i}" if invoices else None)
        for i, a in enumerate(amounts)
    ]


# -- vendor names ------------------------------------------------------------------------


def test_aws_names_are_one_vendor():
    names = ["AWS", "Amazon Web Services", "Amazon.com", "AMAZON WEB SERVICES INC", "Slack Technologies", "Atlassian"]
    keys = vendor_keys(names)
    assert {keys[n] for n in names[:4]} == {"vendor:amazon web services"}  # parties.party_key's format
    assert len({keys["Slack Technologies"], keys["Atlassian"], keys["AWS"]}) == 3


def test_normalisation_drops_case_punctuation_and_legal_suffixes():
    keys = vendor_keys(["Landmark Properties, LLC.", "LANDMARK PROPERTIES LLC", "Acme Ltd", "ACME Limited"])
    assert keys["Landmark Properties, LLC."] == keys["LANDMARK PROPERTIES LLC"] == "vendor:landmark properties"
    assert keys["Acme Ltd"] == keys["ACME Limited"]


def test_different_vendors_sharing_a_word_stay_apart():
    keys = vendor_keys(["Delta Analytics Inc", "Delta Freight LLC"])
    assert keys["Delta Analytics Inc"] != keys["Delta Freight LLC"]


def test_names_differing_only_by_a_number_are_different_vendors():
    names = ["Vendor 1 Ltd", "Vendor 11 Ltd", "Unit 4 Storage", "Unit 5 Storage"]
    keys = vendor_keys(names)
    assert len({keys[n] for n in names}) == 4
    assert len(set(typo_families(keys.values()).values())) == 4  # nor typos of each other


def test_the_alerts_run_the_marts_vendor_rule():
    """Without marts the alerts run the marts' own macro (vendor_identity_ctes): on the names of
    int_vendor_identities' unit test (the rule's casebook, checked by dbt on the model) they
    give the same grouping, with the alias seed applied as in the model."""
    spec = yaml.safe_load((REPO / "transforms/models/intermediate/ledger/int_vendor_identities.yml").read_text())
    [case] = spec["unit_tests"]
    given = {i["input"]: i["rows"] for i in case["given"]}
    names = [r["display_name"] for r in given["ref('stg_qbo__vendors')"]] + [
        r["contact_name"] for r in given["ref('stg_xero__contacts')"] if r["is_supplier"]
    ]
    assert given["ref('contact_aliases')"] == [{"alias_name": "Amazon.com", "canonical_name": "Amazon Web Services"}]
    keys = vendor_keys(names)  # the alias seed in transforms/seeds holds the casebook's alias too
    expected = {r["normalized_name"]: r["vendor_key"] for r in case["expect"]["rows"]}
    assert set(keys.values()) == {f"vendor:{k}" for k in expected.values()}
    assert keys["AWS"] == keys["Amazon.com"] == keys["AMAZON WEB SERVICES INC"] == "vendor:amazon"
    assert keys["Delta Analytics Inc"] != keys["Delta Freight LLC"] and keys["Ace"] != keys["Ace Hosting"]


def test_a_typo_is_not_one_vendor_but_a_duplicate_across_it_is_caught():
    """The marts keep a typo'd supplier record as its own vendor; the duplicate rule still pairs
    a payment to it with the same payment to the correctly spelt record."""
    keys = vendor_keys(["Cotswold Manufacturing Ltd", "Cotswold Manufactoring Ltd"])
    assert keys["Cotswold Manufacturing Ltd"] != keys["Cotswold Manufactoring Ltd"]
    families = typo_families(keys.values())
    assert families[keys["Cotswold Manufacturing Ltd"]] == families[keys["Cotswold Manufactoring Ltd"]]
    frame = payments(
        *monthly("Cotswold Manufacturing Ltd", ["7300.00", "6900.00"]),
        ("dup", "Cotswold Manufactoring Ltd", date(2024, 2, 16), "6900.00", None),
    )
    [alert] = duplicate_payments(frame, CONFIG)
    assert alert.identity == ("dup",) and alert.metrics["original_vendor"] == "vendor:cotswold manufacturing"
    assert "also paid as Cotswold Manufacturing Ltd" in alert.title
    # ...but the typo'd record is not the same vendor's history: no "usual" to compare with
    assert unusual_vendor_charges(frame, CONFIG) == []


def test_payments_from_the_marts_are_grouped_by_the_marts_vendor_not_their_names():
    """With `vendor_key` given (the marts' party), no name is re-resolved: two ledger records the
    marts resolved to one party are one vendor however unlike their names, and two records that
    look alike but the marts keep apart stay two."""
    frame = payments(
        *monthly("Northwind Facilities", ["5200.00", "5400.00"], invoices=False),
        ("dup", "NWF Svcs (card)", date(2024, 2, 16), "5400.00", None),
        ("x", "Delta Freight LLC", date(2024, 2, 14), "5400.00", None),
    ).with_columns(
        vendor_key=pl.when(pl.col("source_id") == "x")
        .then(pl.lit("vendor:delta freight"))
        .otherwise(pl.lit("vendor:northwind facilities")),
        document_vendor_name=pl.col("vendor_name"),
        vendor_name=pl.when(pl.col("source_id") == "x")
        .then(pl.lit("Delta Freight LLC"))
        .otherwise(pl.lit("Northwind Facilities Ltd")),
    )
    [alert] = duplicate_payments(frame, CONFIG)
    assert alert.identity == ("dup",) and alert.metrics["vendor"] == "vendor:northwind facilities"
    assert alert.title.startswith("Possibly paid Northwind Facilities Ltd twice")  # the marts' name
    duplicate = next(e for e in alert.evidence if e.role == "duplicate")
    assert duplicate.detail["document_vendor_name"] == "NWF Svcs (card)"  # what the ledger line said


# -- duplicates ----------------------------------------------------------------------------


def test_monthly_repeat_payment_on_schedule_is_not_a_duplicate():
    frame = payments(*monthly("Landmark Properties LLC", ["14500.00"] * 12))
    assert duplicate_payments(frame, CONFIG) == []


def test_exact_duplicate_same_invoice_alerts():
    frame = payments(
        *monthly("Devon Park Consulting", ["11000.00", "10400.00", "12100.00"]),
        ("dup", "Devon Park Consulting", date(2024, 3, 25), "12100.00", "INV-1042"),
    )
    alerts = duplicate_payments(frame, CONFIG)
    assert [(a.metrics["match"], a.identity, a.amount) for a in alerts] == [("exact", ("dup",), Decimal("12100.00"))]
    assert {e.role: e.source_id for e in alerts[0].evidence} == {"original": "p2", "duplicate": "dup"}
    assert all(e.raw_key and e.raw_key.startswith("raw/source=qbo/") for e in alerts[0].evidence)
    assert alerts[0].severity == "high"


def test_fuzzy_duplicate_across_name_variants_within_window():
    frame = payments(
        *monthly("Amazon Web Services", ["9200.00", "9350.12"], invoices=False),
        ("dup", "AMAZON WEB SERVICES INC", date(2024, 2, 17), "9350.12", None),
    )
    alerts = duplicate_payments(frame, CONFIG)
    assert [a.identity for a in alerts] == [("dup",)]
    assert alerts[0].metrics["match"].startswith("same amount within")


def test_near_identical_invoice_number_alerts_even_weeks_apart():
    frame = payments(
        ("a", "Mira Chen Design", date(2024, 5, 1), "4200.00", "INV-00731"),
        ("b", "Mira Chen Design", date(2024, 5, 29), "4200.00", "inv 731"),
    )
    alerts = duplicate_payments(frame, CONFIG)
    assert [a.metrics["match"] for a in alerts] in (["exact"], ["near-identical invoice number"])


def test_invoice_number_similarity_rules():
    assert near_identical_invoices("INV-00123", "inv123")
    assert near_identical_invoices("INV-123", "123-A")
    assert not near_identical_invoices("INV-1041", "INV-1042")
    assert not near_identical_invoices(None, "INV-1")


def test_same_amount_outside_window_without_invoice_match_does_not_alert():
    frame = payments(("a", "Gusto", date(2024, 5, 1), "420.00", None), ("b", "Gusto", date(2024, 5, 9), "420.00", None))
    assert duplicate_payments(frame, CONFIG) == []


def test_card_reference_shared_by_many_lines_is_not_an_invoice_number():
    # Xero card spend carries Reference "Card" (or a card's last four digits) on every line:
    # two same-amount lunches months apart are not one invoice paid twice.
    for ref in ("Card", "4417"):
        frame = payments(
            ("a", "Pret A Manger", date(2024, 1, 5), "600.40", ref),
            ("b", "Pret A Manger", date(2024, 2, 9), "812.10", ref),
            ("c", "Pret A Manger", date(2024, 5, 20), "600.40", ref),
        )
        assert duplicate_payments(frame, CONFIG) == [], ref


def test_small_same_amount_lines_without_a_shared_invoice_are_below_the_floor():
    frame = payments(("a", "Tesco", date(2024, 8, 31), "60.92", None), ("b", "Tesco", date(2024, 9, 1), "60.92", None))
    assert duplicate_payments(frame, CONFIG) == []
    low_floor = AlertConfig(duplicate_floor=Decimal("50"))
    assert [a.identity for a in duplicate_payments(frame, low_floor)] == [("b",)]


# -- unusual charges ---------------------------------------------------------------------


def test_fixed_subscription_that_never_varies_does_not_alert():
    frame = payments(*monthly("Atlassian", ["870.00"] * 18))
    assert unusual_vendor_charges(frame, CONFIG) == []
    assert all_payment_alerts(frame, CONFIG) == []


def test_spike_against_vendor_history_alerts_with_robust_z():
    amounts = ["9200.00", "9650.00", "8900.00", "9400.00", "9100.00", "9550.00", "27600.00", "9300.00"]
    frame = payments(*monthly("Amazon Web Services", amounts, invoices=False))
    alerts = unusual_vendor_charges(frame, CONFIG)
    assert [a.identity for a in alerts] == [("p6",)]
    assert Decimal(alerts[0].metrics["robust_z"]) >= CONFIG.z_threshold
    assert alerts[0].amount == Decimal("27600.00")


def test_large_z_but_small_money_is_below_the_floor():
    # $59 -> $120 is a huge z-score for a never-varying subscription, but not worth an alert.
    frame = payments(*monthly("Xero (UK) Ltd", ["59.00"] * 8 + ["120.00"]))
    assert unusual_vendor_charges(frame, CONFIG) == []
    low_floor = AlertConfig(charge_floor=Decimal("50"))
    assert len(unusual_vendor_charges(frame, low_floor)) == 1


def test_variable_vendor_within_its_usual_spread_does_not_alert():
    amounts = ["11000.00", "9300.00", "12800.00", "10100.00", "13200.00", "8800.00", "12500.00", "14100.00"]
    frame = payments(*monthly("Devon Park Consulting", amounts))
    assert unusual_vendor_charges(frame, CONFIG) == []


# 30 ad charges spread like real ad spend (about 0.5x to 2x their median of ~700)
AD_SPEND = [700, 820, 560, 1150, 640, 910, 480, 730, 1320, 600, 770, 520, 1010, 690, 850]
AD_SPEND = [f"{a}.00" for a in AD_SPEND + [a + 15 for a in reversed(AD_SPEND)]]


def test_variable_spend_vendor_at_3x_its_median_is_ordinary_but_a_steady_vendor_at_3x_is_not():
    ads = payments(*monthly("Google Ads", [*AD_SPEND, "2100.00"], invoices=False))
    assert unusual_vendor_charges(ads, CONFIG) == []
    steady = payments(*monthly("Amazon Web Services", [str(9000 + 37 * i) + ".00" for i in range(30)] + ["27500.00"]))
    alerts = unusual_vendor_charges(steady, CONFIG)
    assert [a.identity for a in alerts] == [("p30",)]
    assert Decimal(alerts[0].metrics["robust_z"]) >= Decimal(alerts[0].metrics["threshold"]) > CONFIG.z_threshold


def test_few_payments_need_a_larger_jump_and_a_flagged_spike_does_not_widen_the_usual():
    # four near-identical bills say little about how much the fifth may vary: 1.4x is not an alert
    few = payments(*monthly("Thames Design Studio", ["2850.00", "2690.00", "2770.00", "2810.00", "3950.00"]))
    assert unusual_vendor_charges(few, CONFIG) == []
    # a second spike months after the first is still found: the first is not "usual" variation
    amounts = [f"{9000 + 41 * i}.00" for i in range(14)]
    amounts[8], amounts[13] = "30000.00", "31000.00"
    frame = payments(*monthly("Amazon Web Services", amounts))
    assert [a.identity for a in unusual_vendor_charges(frame, CONFIG)] == [("p8",), ("p13",)]


# -- new vendors ---------------------------------------------------------------------------


def test_new_vendor_receiving_a_large_payment_alerts():
    base = monthly("Landmark Properties LLC", ["14500.00"] * 10)
    frame = payments(
        *base,
        ("new", "Brightline Advisory Partners", date(2024, 7, 16), "48500.00", "BAP-1"),
        ("small", "Corner Coffee Co", date(2024, 7, 20), "85.00", None),
    )
    alerts = new_vendor_large_payments(frame, CONFIG)
    assert [a.identity for a in alerts] == [("new",)]


def test_known_vendor_under_a_new_name_is_not_new():
    base = monthly("Amazon Web Services", ["12000.00"] * 8, invoices=False)
    frame = payments(*base, ("alias", "Amazon.com", date(2024, 8, 1), "12000.00", None))
    assert new_vendor_large_payments(frame, CONFIG) == []


def test_vendors_already_paid_at_the_start_of_the_data_are_not_new():
    frame = payments(("a", "Landmark Properties LLC", date(2024, 1, 2), "14500.00", None))
    assert new_vendor_large_payments(frame, CONFIG) == []


# -- runway ---------------------------------------------------------------------------------


def _forecast(p50: list[int], spread: int = 30_000) -> pl.DataFrame:
    days = [date(2025, 1, 1) + timedelta(days=i) for i in range(len(p50))]
    dec = lambda xs: pl.Series([Decimal(x) for x in xs], dtype=pl.Decimal(18, 2))  # noqa: E731
    return pl.DataFrame(
        {
            "entity_id": "us",
            "currency": "USD",
            "forecast_date": days,
            "p10": dec([v - spread for v in p50]),
            "p50": dec(p50),
            "p90": dec([v + spread for v in p50]),
        }
    )


@pytest.mark.parametrize(
    "path, expected",
    [
        (
            [500_000 - 5_000 * i for i in range(91)],
            [("high", date(2025, 3, 23))],
        ),  # p50 = 100k on day 80, below on day 81
        ([120_000] * 91, [("medium", date(2025, 1, 1))]),  # only p10 (90k) is below
        ([400_000] * 91, []),
    ],
)
def test_cash_below_floor_within_13_weeks(path, expected):
    alerts = runway(_forecast(path), AlertConfig(default_cash_floor=Decimal("100000")), as_of=date(2024, 12, 31))
    assert [(a.severity, a.occurred_on) for a in alerts] == expected


def test_alert_ids_are_stable_and_distinct():
    frame = payments(
        *monthly("Devon Park Consulting", ["11000.00"] * 3),
        ("dup", "Devon Park Consulting", date(2024, 3, 16), "11000.00", "INV-1042"),
    )
    first = duplicate_payments(frame, CONFIG)
    again = duplicate_payments(frame.reverse(), CONFIG)
    assert [a.alert_id for a in first] == [a.alert_id for a in again]
    assert first[0].alert_id.startswith("al_")


# -- scoring against planted problems -----------------------------------------------------


def test_scoring_matches_alerts_to_planted_problems_by_typed_record_ids():
    from ledgerlake.alerts.score import score

    problems = [
        {
            "id": "P001",
            "kind": "duplicate_vendor_payment",
            "records": [
                {"source": "qbo", "resource": "Bill", "raw_entity": "bill", "id": "123"},
                {"source": "qbo", "resource": "Bill", "raw_entity": "bill", "id": "130"},
            ],
        },
        {
            "id": "P002",
            "kind": "payout_missing_from_bank",
            "records": [{"source": "stripe", "resource": "payouts", "raw_entity": "events", "id": "po_1ABC"}],
        },
        {"id": "P003", "kind": "inventory_shrinkage", "records": []},  # no rule covers it: listed, not hidden
    ]
    alerts = [
        ("duplicate_payment", {"billpayment:123", "bill:130"}),  # cites the second bill: true
        ("duplicate_payment", {"billpayment:130"}),  # a payment numbered like the bill: NOT a match
        ("payout_without_deposit", {"po_1ABC"}),
    ]
    scores, unmapped = score(alerts, problems)
    by = {s.alert_type: s for s in scores}
    assert (by["duplicate_payment"].found, by["duplicate_payment"].true_alerts, by["duplicate_payment"].alerts) == (
        1,
        1,
        2,
    )
    assert by["duplicate_payment"].precision == 0.5 and by["payout_without_deposit"].recall == 1.0
    assert unmapped == ["inventory_shrinkage"]


def test_the_rules_refuse_payments_whose_vendors_nobody_resolved():
    """The rules never resolve names themselves (the forecaster's image has no dbt macros):
    a frame without vendor_key is an error, not a silent second vendor rule."""
    frame = raw_payments(("a", "Acme Ltd", date(2026, 1, 5), "100.00", "INV-1"))
    with pytest.raises(ValueError, match="vendor_key"):
        duplicate_payments(frame, CONFIG)

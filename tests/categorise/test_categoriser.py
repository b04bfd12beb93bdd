"""The categoriser on small hand-made histories: vendor rules, the model for new vendors,
corrections final and learnt from, the time-split evaluation; corrections landed in the lake
with their audit fields and refused when the warehouse cannot place them."""

from __future__ import annotations

import json
from datetime import date, timedelta

import duckdb
import pytest

from ledgerlake.categorise.model import Categoriser, Line, evaluate, vendor_key
from ledgerlake.categorise.run import (
    CorrectionError,
    correct,
    load_corrections,
    suggest,
)

MERCHANTS = (  # descriptor, counterparty, category, account
    ("UBER *TRIP HELP.UBER.COM", "Uber", "TRAVEL", "6600"),
    ("DELTA AIR 0062341 ATLANTA GA", "Delta", "TRAVEL", "6600"),
    ("MARRIOTT HOTELS BOSTON MA", "Marriott", "TRAVEL", "6600"),
    ("SWEETGREEN NYC 0231", "Sweetgreen", "FOOD_AND_DRINK", "6610"),
    ("CHIPOTLE 1123 AUSTIN TX", "Chipotle", "FOOD_AND_DRINK", "6610"),
    ("GOOGLE *ADS3391 CC@GOOGLE.COM", "Google Ads", "GENERAL_SERVICES", "6700"),
    ("LINKEDIN ADS 7731 MOUNTAIN VIEW", "LinkedIn", "GENERAL_SERVICES", "6700"),
    ("FIGMA MONTHLY SAN FRANCISCO CA", "Figma", "GENERAL_SERVICES", "6300"),
    ("STAPLES 00112 NEW YORK NY", "Staples", "GENERAL_MERCHANDISE", "6800"),
)


def history(days: int = 120) -> list[Line]:
    out, start = [], date(2025, 1, 1)
    for n in range(days):
        for m, (text, cp, cat, account) in enumerate(MERCHANTS):
            if (n + m) % 3 == 0:
                out.append(
                    Line(
                        f"h{n}-{m}",
                        "US",
                        start + timedelta(days=n),
                        text,
                        cp,
                        1000 + 37 * m + n,
                        account,
                        cat,
                    )
                )
    return out


def test_vendor_key_prefers_the_counterparty_and_drops_store_numbers():
    assert vendor_key(Line("1", "US", date(2025, 1, 1), "SWEETGREEN NYC 0231", None, 100)) == "SWEETGREEN NYC"
    assert vendor_key(Line("1", "US", date(2025, 1, 1), "AMZN MKTP US*2K4", "Amazon", 100)) == "AMAZON"


def test_known_vendors_follow_their_history_and_new_ones_get_the_model():
    cat = Categoriser.fit(history())
    known = Line(
        "k",
        "US",
        date(2025, 6, 1),
        "CHIPOTLE 0999 DENVER CO",
        "Chipotle",
        1500,
        None,
        "FOOD_AND_DRINK",
    )
    new = Line(
        "n",
        "US",
        date(2025, 6, 1),
        "HILTON HOTELS CHICAGO IL",
        "Hilton",
        30000,
        None,
        "TRAVEL",
    )
    rule, model = cat.suggest([known, new])
    assert (rule.account, rule.method) == ("6610", "rule") and rule.confidence > 0.95
    assert (model.account, model.method) == ("6600", "model")


def test_a_correction_is_final_and_changes_the_vendors_next_suggestion():
    past = history()
    line = Line(
        "x1",
        "US",
        date(2025, 6, 1),
        "STAPLES 00112 NEW YORK NY",
        "Staples",
        5000,
        None,
        "GENERAL_MERCHANDISE",
    )
    later = Line(
        "x2",
        "US",
        date(2025, 6, 9),
        "STAPLES 00112 NEW YORK NY",
        "Staples",
        4200,
        None,
        "GENERAL_MERCHANDISE",
    )
    before = Categoriser.fit(past).suggest([later])[0]
    assert before.account == "6800"
    after = Categoriser.fit(past, {"x1": "6300"}, [line]).suggest([line, later])
    assert (after[0].account, after[0].method, after[0].confidence) == (
        "6300",
        "human",
        1.0,
    )
    assert after[1].account == "6300" and after[1].confidence < before.confidence  # changed, not yet confirmed


def test_suggest_marks_auto_applied_and_review_per_entity_thresholds():
    past = history()
    todo = [
        Line(
            "t1",
            "US",
            date(2025, 6, 1),
            "FIGMA MONTHLY SAN FRANCISCO CA",
            "Figma",
            6000,
            None,
            "GENERAL_SERVICES",
        ),
        Line("t2", "US", date(2025, 6, 1), "ZZQX 4411", None, 123456, None, None),
    ]
    run = suggest(past, todo, {})
    status = {s["bank_line_id"]: s["status"] for s in run.suggestions}
    assert status == {"t1": "auto_applied", "t2": "review"}
    assert set(run.thresholds) == {"US"}


def test_tax_code_and_class_are_suggested_with_their_own_confidence_and_corrections():
    """UK-style history: travel and meals carry no VAT to reclaim (NONE), software and ads are
    standard-rated (INPUT2); only ads carry a class (Marketing). Each label is learnt apart."""
    from dataclasses import replace

    tax = {"6600": "NONE", "6610": "NONE", "6700": "INPUT2", "6300": "INPUT2", "6800": "INPUT2"}
    past = [
        replace(ln, labels={"tax_code": tax[ln.account], "class_name": "Marketing" if ln.account == "6700" else None})
        for ln in history()
    ]
    todo = [
        Line("a", "US", date(2025, 6, 1), "GOOGLE *ADS9913", "Google Ads", 9000, None, "GENERAL_SERVICES"),
        Line("b", "US", date(2025, 6, 2), "SWEETGREEN NYC 0231", "Sweetgreen", 1400, None, "FOOD_AND_DRINK"),
    ]
    run = suggest(past, todo, {})
    got = {s["bank_line_id"]: s for s in run.suggestions}
    assert (got["a"]["account_code"], got["a"]["tax_code"], got["a"]["class_name"]) == ("6700", "INPUT2", "Marketing")
    assert (got["b"]["account_code"], got["b"]["tax_code"], got["b"]["class_name"]) == ("6610", "NONE", None)
    assert got["a"]["tax_code_status"] == got["a"]["class_name_status"] == "auto_applied"
    assert float(got["a"]["tax_code_confidence"]) > 0.9
    assert set(run.thresholds["US"]) == {"rule", "model", "tax_code", "class_name"}  # no department in the history
    assert "department_name" not in got["a"]

    # a person sets the ads line's class: final for that line, and the vendor's next line follows
    later = replace(todo[0], line_id="c", day=date(2025, 6, 9))
    fixed = {"a": {"entity_id": "US", "account_code": "6700", "class_name": "Growth"}}
    again = {s["bank_line_id"]: s for s in suggest(past, [*todo, later], fixed).suggestions}
    assert (again["a"]["class_name"], again["a"]["class_name_status"]) == ("Growth", "human")
    assert again["c"]["class_name"] == "Growth" and again["c"]["class_name_status"] == "review"
    assert again["c"]["tax_code"] == "INPUT2"  # the other labels are untouched

    # the time-split evaluation per label (ledgerlake coding evaluate): each scored on its own
    from ledgerlake.categorise.model import evaluate_labels

    scores = evaluate_labels(past)["US"]
    assert set(scores) == {"account", "tax_code", "class_name"}
    assert scores["tax_code"]["all"]["precision"] == 1.0 and scores["tax_code"]["all"]["coverage"] > 0.9


def test_time_split_evaluation_scores_seen_and_new_vendors_apart():
    past = history(200)
    newcomer = [
        Line(
            f"nw{n}",
            "US",
            date(2025, 5, 1) + timedelta(days=n),
            "HILTON HOTELS CHICAGO IL",
            "Hilton",
            25000 + n,
            "6600",
            "TRAVEL",
        )
        for n in range(20)
    ]
    result = evaluate(past + newcomer, date(2025, 5, 1))
    assert result["new"]["lines"] == 20 and result["seen"]["lines"] > 100
    assert result["seen"]["precision"] >= 0.95


@pytest.fixture
def warehouse(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create schema marts; create schema intermediate")
    con.execute(
        "create table marts.bank_unmatched as select 'b1' as bank_line_id, 'US' as entity_id, "
        "'6600' as suggested_account_code"
    )
    con.execute(
        "create table marts.bank_coded_history as select 'b0' as bank_line_id, 'US' as entity_id, "
        "'6610' as account_code"
    )
    con.execute(
        "create table intermediate.int_ledger_accounts as select * from (values "
        "('US', '6600', false), ('US', '6800', false)) as t(entity_id, account_code, is_deleted)"
    )
    con.close()
    return path


def test_corrections_are_landed_with_who_when_why_and_read_back_latest_first(lake, warehouse):
    correct("b1", "6800", by="ana", note="office chairs", warehouse=warehouse, lake=lake)
    second = correct(
        "b1",
        "6600",
        by="ben",
        note="it was a flight after all",
        warehouse=warehouse,
        lake=lake,
    )
    keys = list(lake.keys("raw/source=ledgerlake/entity=coding_corrections/"))
    assert len(keys) == 2  # never rewritten: both stay, the audit trail
    envelope, payload = lake.read(keys[0])
    assert envelope["source"] == "ledgerlake" and {
        "by",
        "at",
        "note",
        "previous_account_code",
    } <= set(payload)
    latest = load_corrections(lake)["b1"]
    assert latest["correction_id"] == second["correction_id"] and latest["account_code"] == "6600"
    assert json.loads(json.dumps(latest))["previous_account_code"] == "6600"


def test_a_correction_the_warehouse_cannot_place_is_refused_and_lands_nothing(lake, warehouse):
    with pytest.raises(CorrectionError, match="unknown bank line"):
        correct("nope", "6600", by="ana", warehouse=warehouse, lake=lake)
    with pytest.raises(CorrectionError, match="chart of accounts"):
        correct("b1", "9999", by="ana", warehouse=warehouse, lake=lake)
    with pytest.raises(CorrectionError, match="who"):
        correct("b1", "6600", by=" ", warehouse=warehouse, lake=lake)
    assert not list(lake.keys("raw/source=ledgerlake/"))

"""The payment alerts as production raises them: `run_forecast` over the built company's marts
(the shared `built_company` fixture: landed, built and forecast once per session)."""

from __future__ import annotations

import json

import duckdb

from ledgerlake.alerts.score import evidence_keys, load_problems, score

PAYMENT_RULES = ("duplicate_payment", "unusual_vendor_charge", "new_vendor_large_payment")


def test_production_payment_alerts_find_the_planted_problems_and_name_the_marts_vendor(built_company):
    con = duckdb.connect(str(built_company["warehouse"]), read_only=True)
    try:
        rows = con.execute("select rule, title, detail, evidence from forecast.alerts").fetchall()
        parties = dict(con.execute("select party_key, party_name from marts.parties").fetchall())
    finally:
        con.close()
    scores, _ = score([(r[0], evidence_keys(json.loads(r[3]))) for r in rows], load_problems(built_company["sim_dir"]))
    by = {s.alert_type: s for s in scores}
    for rule in PAYMENT_RULES:
        assert by[rule].planted >= 1 and by[rule].found == by[rule].planted, (rule, by[rule])
    # Each payment alert's vendor is the marts' party, called by the party's one name.
    payment_alerts = [r for r in rows if r[0] in PAYMENT_RULES]
    for rule, title, detail, _ in payment_alerts:
        vendor = json.loads(detail)["vendor"]
        assert vendor in parties, (rule, vendor)
        assert parties[vendor] in title, (title, parties[vendor])

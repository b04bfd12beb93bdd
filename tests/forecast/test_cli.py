"""`ledgerlake alerts ack|resolve|score` against a warehouse and the S3 state store."""

from __future__ import annotations

import json

import duckdb

from ledgerlake.alerts.state import AlertState
from ledgerlake.cli import main


def _warehouse(path):
    conn = duckdb.connect(str(path))
    conn.execute("create schema forecast")
    conn.execute("""create table forecast.alerts as select * from (values
        ('al_1', 'duplicate_payment', 'high', 'US', 10249.59::decimal(18,2), 'USD', 'new',
         '[{"role": "duplicate", "source_system": "qbo", "source_id": "BillPayment:901", "raw_key": null},
           {"role": "duplicate document", "source_system": "qbo", "source_id": "818", "record_type": "Bill",
            "raw_key": null}]'),
        ('al_2', 'duplicate_payment', 'medium', 'US', 420.00::decimal(18,2), 'USD', 'new',
         '[{"role": "duplicate", "source_system": "qbo", "source_id": "BillPayment:777", "raw_key": null}]')
        ) t(alert_id, rule, severity, entity_id, amount, currency, status, evidence)""")
    conn.execute("create table forecast.alert_state as select 'al_1' as alert_id, 'new' as status")
    conn.close()


def test_ack_survives_in_the_state_store_and_mirrors_into_the_table(lake, tmp_path, capsys):
    wh = tmp_path / "warehouse.duckdb"
    _warehouse(wh)
    state = AlertState.default()
    state.observe(["al_1", "al_2"], "2026-01-01T00:00:00Z")
    state.save()

    assert (
        main(["alerts", "ack", "al_1", "--note", "asked vendor for refund", "--by", "cfo", "--warehouse", str(wh)]) == 0
    )
    assert main(["alerts", "resolve", "al_2", "--warehouse", str(wh)]) == 0
    assert main(["alerts", "ack", "al_nope", "--warehouse", str(wh)]) == 2

    fresh = AlertState.default()
    assert fresh.status("al_1") == "acknowledged" and fresh.status("al_2") == "resolved"
    assert fresh.alerts["al_1"]["history"][-1]["note"] == "asked vendor for refund"
    assert fresh.first_seen("al_1") == "2026-01-01T00:00:00Z"
    conn = duckdb.connect(str(wh), read_only=True)
    assert dict(conn.execute("select alert_id, status from forecast.alerts order by 1").fetchall()) == {
        "al_1": "acknowledged",
        "al_2": "resolved",
    }
    conn.close()


def test_score_prints_precision_and_recall_per_type(tmp_path, capsys):
    wh = tmp_path / "warehouse.duckdb"
    _warehouse(wh)
    sim = tmp_path / "sim"
    (sim / "truth").mkdir(parents=True)
    (sim / "truth" / "problems.json").write_text(
        json.dumps(
            {
                "problems": [
                    {
                        "id": "P002",
                        "kind": "duplicate_vendor_payment",
                        "records": [
                            {"source": "qbo", "resource": "Bill", "raw_entity": "bill", "id": "817"},
                            {"source": "qbo", "resource": "Bill", "raw_entity": "bill", "id": "818"},
                        ],
                    }
                ]
            }
        )
    )
    assert main(["alerts", "score", "--sim-dir", str(sim), "--warehouse", str(wh)]) == 0
    out = capsys.readouterr().out
    assert "| duplicate_payment | 1 | 1 | 2 | 1 | 50% | 100% |" in out

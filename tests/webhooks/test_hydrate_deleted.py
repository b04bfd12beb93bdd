"""A thin QBO ping for a record deleted since (pings arrive late) is done, not failed:
the provider answers 400 / Fault 610 "Object Not Found", nothing is hydrated, the job is
not retried into the DLQ. Against the local provider API over the simulated company."""

from __future__ import annotations

import json


def _created_then_deleted_invoice(sim_dir) -> tuple[str, str]:
    versions: dict[str, list[dict]] = {}
    for line in (sim_dir / "api" / "qbo" / "Invoice.jsonl").read_text().splitlines():
        row = json.loads(line)
        versions.setdefault(row["id"], []).append(row)
    for entity_id, rows in versions.items():
        if rows[-1]["deleted"] and not rows[0]["deleted"]:
            return entity_id, rows[0]["at"]
    raise AssertionError("the simulated company deletes no QBO invoice")


def test_ping_for_a_deleted_invoice_hydrates_nothing_and_succeeds(sim_dir, lake, monkeypatch):
    from ledgerlake.sourceapi import serve_in_thread
    from ledgerlake.sources.qbo.hydrate import hydrate

    entity_id, created_at = _created_then_deleted_invoice(sim_dir)
    with serve_in_thread(sim_dir) as providers:
        monkeypatch.setenv("QBO_API_BASE_URL", providers.base_urls["qbo"])
        for name, value in providers.credentials.items():
            monkeypatch.setenv(name, value)
        realm_id = providers.credentials["QBO_REALM_ID"]
        job = {"realm_id": realm_id, "entity": "Invoice", "id": entity_id, "last_updated": created_at}
        assert hydrate(job, lake) == []
        # A live invoice on the same server still hydrates (the 610 rule is narrow).
        live = next(
            json.loads(line)["id"]
            for line in (sim_dir / "api" / "qbo" / "Invoice.jsonl").read_text().splitlines()
            if json.loads(line)["id"] != entity_id
        )
        landed = hydrate({**job, "id": live}, lake)
    assert len(landed) == 1 and landed[0].created
    assert list(lake.keys("raw/source=qbo/entity=invoice/")) == [landed[0].key]

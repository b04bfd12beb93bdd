"""The stale-source alarm's webhook half: EventsLanded (EMF, per source) counts objects the
receiver created, so a redelivery (a PUT answered 412) counts nothing."""

from __future__ import annotations

import json

from webhook_kit import sample, sign


def _landed(out: str) -> list[float]:
    values = []
    for line in out.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            doc = json.loads(line)
            if doc.get("service") == "receiver" and doc.get("source") == "stripe" and "EventsLanded" in doc:
                values += doc["EventsLanded"]
    return values


def test_a_redelivery_lands_nothing_and_counts_nothing(receiver, monkeypatch, capfd):
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    body = sample("stripe")[0]
    capfd.readouterr()
    for _ in range(3):  # the first delivery and two redeliveries of the same event
        assert receiver.post("stripe", body, sign("stripe", body, ""))[0] == 200
    assert _landed(capfd.readouterr().out) == [1.0, 0.0, 0.0]
    assert len([k for k in receiver.everything() if k.startswith("raw/")]) == 1
